"""API routes of the visits app (mounted under /api/v1/ by povertyapp.api_urls)."""
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("visits", views.VisitViewSet)
router.register("visit-photos", views.VisitPhotoViewSet)
