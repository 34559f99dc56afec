"""API endpoints: exit-check runs (read-only, scoped like the pages) and their household verdicts."""
from rest_framework.decorators import action

from povertyapp.api import AreaScopedReadOnlyViewSet

from .. import rules
from ..models import EligibilityRun, HouseholdResult
from .serializers import EligibilityRunSerializer, HouseholdResultSerializer


class EligibilityRunViewSet(AreaScopedReadOnlyViewSet):
    queryset = EligibilityRun.objects.all()
    serializer_class = EligibilityRunSerializer
    filterset_fields = ["year", "state", "township"]

    @action(detail=True, serializer_class=HouseholdResultSerializer, filterset_fields=[])
    def households(self, request, pk=None):
        """The run's household verdicts in the user's area; ?passed=false and ?fails=<criterion code> narrow them."""
        run = self.get_object()
        results = (
            HouseholdResult.objects.restrict(request.user).filter(run=run)
            .select_related("household", "run").order_by("household_id")
        )
        if request.query_params.get("passed") in ("true", "false"):
            results = results.filter(passed=request.query_params["passed"] == "true")
        criterion = rules.CRITERIA_BY_CODE.get(request.query_params.get("fails", ""))
        if criterion is not None:
            results = results.failing(criterion)
        page = self.paginate_queryset(results)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
