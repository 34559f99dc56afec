"""API serializers: runs with their parameters and counts, and household verdicts as the pages show them."""
from rest_framework import serializers

from povertyapp.api import ScopedModelSerializer

from ..models import EligibilityRun


class EligibilityRunSerializer(ScopedModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = EligibilityRun
        fields = [
            "id", "year", "county", "township", "trigger", "line_kind", "line", "threshold", "indicators", "state",
            "total", "done", "percent", "error", "households_checked", "households_passed", "failure_counts",
            "villages_checked", "villages_passed", "poor_persons", "registered_persons", "created_by",
            "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields


class FailureSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()


class HouseholdResultSerializer(serializers.Serializer):
    """One household's verdict in a run (rendered by exits.rules from the stored facts)."""

    household = serializers.IntegerField(source="household_id")
    household_number = serializers.CharField(source="household.number")
    passed = serializers.BooleanField()
    per_capita_income = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    failures = serializers.SerializerMethodField()

    def get_failures(self, result) -> list[dict]:
        return FailureSerializer(result.verdict().failures, many=True).data
