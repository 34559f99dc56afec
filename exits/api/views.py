"""API endpoints: exit-check runs (scoped like the pages; POST starts one) and their household and village verdicts."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from povertyapp.api import AreaScopedReadOnlyViewSet

from .. import rules
from ..forms import RunForm
from ..models import EligibilityRun, HouseholdResult, PovertyLine, VillageResult
from ..services import create_run
from .serializers import (
    EligibilityRunSerializer, HouseholdResultSerializer, RunRequestSerializer, VillageResultSerializer,
)


class EligibilityRunViewSet(AreaScopedReadOnlyViewSet):
    queryset = EligibilityRun.objects.all()
    serializer_class = EligibilityRunSerializer
    filterset_fields = ["year", "state", "township"]

    @extend_schema(request=RunRequestSerializer, responses=EligibilityRunSerializer)
    def create(self, request):
        """Start a run, validated as on the page: the user's scope, and a year with a line and income records."""
        data = request.data
        form = RunForm(
            {"year": data.get("year"), "township": data.get("township") or "",
             "line_kind": data.get("line_kind") or PovertyLine.Kind.EXIT_CHECK},
            user=request.user,
        )
        if not form.is_valid():
            errors = {name if name != "__all__" else "non_field_errors": list(messages)
                      for name, messages in form.errors.items()}
            raise serializers.ValidationError(errors)
        cleaned = form.cleaned_data
        run = create_run(
            year=cleaned["year"], county=cleaned["county"], township=cleaned["township"], user=request.user,
            kind=cleaned["line_kind"],
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)

    @action(detail=True, serializer_class=HouseholdResultSerializer, filterset_fields=[])
    def households(self, request, pk=None):
        """The run's household verdicts in the user's area, narrowed by ?outcome=passed|failed|not_assessable,
        ?passed=true|false, ?fails=<criterion code> and ?lacks=<criterion code>."""
        run = self.get_object()
        results = (
            HouseholdResult.objects.restrict(request.user).filter(run=run)
            .select_related("household", "run").order_by("household_id")
        )
        params = request.query_params
        if params.get("outcome") in rules.Outcome.values:
            results = results.with_outcome(params["outcome"])
        if params.get("passed") in ("true", "false"):
            results = results.filter(passed=params["passed"] == "true")
        if (criterion := rules.CRITERIA_BY_CODE.get(params.get("fails", ""))) is not None:
            results = results.failing(criterion)
        if (criterion := rules.CRITERIA_BY_CODE.get(params.get("lacks", ""))) is not None:
            results = results.lacking(criterion)
        page = self.paginate_queryset(results)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=True, serializer_class=VillageResultSerializer, filterset_fields=[])
    def villages(self, request, pk=None):
        """The run's village verdicts in the user's area (incidence null and outcome not_assessable without a
        registered population)."""
        run = self.get_object()
        results = (
            VillageResult.objects.restrict(request.user).filter(run=run)
            .select_related("village").order_by("village__code")
        )
        page = self.paginate_queryset(results)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
