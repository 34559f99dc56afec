"""API: review cases in the user's view scope; POST …/steps/ takes a step through the same workflow as the pages."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from povertyapp.api import AreaScopedReadOnlyViewSet

from .. import workflow
from ..filters import CaseFilterSet
from ..models import Case
from .serializers import CaseListSerializer, CaseSerializer, CaseStepSerializer, StepInputSerializer


class CaseViewSet(AreaScopedReadOnlyViewSet):
    queryset = Case.objects.select_related("household").prefetch_related("steps__actor", "objections")
    list_queryset = Case.objects.select_related("household")
    serializer_class = CaseSerializer
    list_serializer_class = CaseListSerializer
    filterset_class = CaseFilterSet

    @extend_schema(request=StepInputSerializer, responses=CaseStepSerializer)
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Take a step; 403 for a role without it, 404 outside the capture scope, 400 when a guard refuses."""
        case = self.get_object()
        entry = StepInputSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        data = dict(entry.validated_data)
        step = data.pop("step")
        try:
            taken = workflow.advance(case, step, request.user, workflow.StepInput(**data))
        except workflow.WorkflowError as exc:
            raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc
        return Response(CaseStepSerializer(taken).data, status=status.HTTP_201_CREATED)
