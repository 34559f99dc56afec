"""API routes of the villages app (mounted under /api/v1/ by povertyapp.api_urls)."""
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("townships", views.TownshipViewSet)
router.register("villages", views.VillageViewSet)
router.register("cadres", views.CadreViewSet)
