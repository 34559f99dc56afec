"""Celery tasks: every night, give each paired household without an open plan its next planned visit."""
from celery import shared_task
from django.utils import timezone

from .rules import schedule_unplanned


@shared_task
def schedule_visits() -> int:
    return schedule_unplanned(timezone.localdate())
