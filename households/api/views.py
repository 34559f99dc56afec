"""API endpoints for households, members and pairings."""
from households.filters import HouseholdFilterSet, MemberFilterSet, PairingFilterSet
from households.models import Household, Member, Pairing
from povertyapp.api import AreaScopedViewSet

from .serializers import HouseholdListSerializer, HouseholdSerializer, MemberSerializer, PairingSerializer


class HouseholdViewSet(AreaScopedViewSet):
    queryset = Household.objects.select_related("village__township").prefetch_related("members")
    list_queryset = Household.objects.with_summary()
    serializer_class = HouseholdSerializer
    list_serializer_class = HouseholdListSerializer
    filterset_class = HouseholdFilterSet


class MemberViewSet(AreaScopedViewSet):
    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet


class PairingViewSet(AreaScopedViewSet):
    queryset = Pairing.objects.select_related("cadre", "household")
    serializer_class = PairingSerializer
    filterset_class = PairingFilterSet
