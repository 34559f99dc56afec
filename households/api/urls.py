"""API routes of the households app (mounted under /api/v1/ by povertyapp.api_urls)."""
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("households", views.HouseholdViewSet)
router.register("members", views.MemberViewSet)
router.register("pairings", views.PairingViewSet)
