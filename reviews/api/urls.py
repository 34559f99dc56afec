"""API routes of the reviews app (mounted under /api/v1/ by povertyapp.api_urls)."""
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("review-cases", views.CaseViewSet)
