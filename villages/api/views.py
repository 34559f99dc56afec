"""API endpoints for townships, villages and cadres."""
from povertyapp.api import AreaScopedReadOnlyViewSet
from villages.filters import CadreFilterSet, TownshipFilterSet, VillageFilterSet
from villages.models import Cadre, Township, Village

from .serializers import CadreSerializer, TownshipSerializer, VillageSerializer


class TownshipViewSet(AreaScopedReadOnlyViewSet):
    queryset = Township.objects.all()
    serializer_class = TownshipSerializer
    filterset_class = TownshipFilterSet


class VillageViewSet(AreaScopedReadOnlyViewSet):
    """Villages with register counts, the latest registered (户籍) population and the incidence."""

    queryset = Village.objects.all()
    serializer_class = VillageSerializer
    filterset_class = VillageFilterSet

    def get_queryset(self):
        return super().get_queryset().with_figures()


class CadreViewSet(AreaScopedReadOnlyViewSet):
    queryset = Cadre.objects.all()
    serializer_class = CadreSerializer
    filterset_class = CadreFilterSet
