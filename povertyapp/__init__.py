"""povertyapp: county-level targeted poverty alleviation case management."""
from .celery import app as celery_app

__all__ = ("celery_app",)
