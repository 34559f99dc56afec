"""API routes of the exits app (mounted under /api/v1/ by povertyapp.api_urls)."""
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("exit-runs", views.EligibilityRunViewSet)
