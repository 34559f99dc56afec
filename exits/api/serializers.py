"""API serializers: runs with their parameters and counts, household and village verdicts as the pages show them."""
from rest_framework import serializers

from povertyapp.api import ScopedModelSerializer

from .. import rules
from ..models import EligibilityRun, PovertyLine, VillageResult


class AreaVerdictSerializer(serializers.Serializer):
    """An incidence verdict: null incidence and below_threshold, with the reason in `gap`, when not assessable."""

    outcome = serializers.ChoiceField(choices=rules.Outcome.choices)
    incidence = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    below_threshold = serializers.BooleanField(allow_null=True)
    gap = serializers.CharField()


class EligibilityRunSerializer(ScopedModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    households_failed = serializers.IntegerField(read_only=True)
    area = AreaVerdictSerializer(read_only=True, help_text="The scope's (county's or township's) incidence.")

    class Meta:
        model = EligibilityRun
        fields = [
            "id", "year", "county", "township", "trigger", "line_kind", "line", "threshold", "indicators", "state",
            "total", "done", "percent", "error", "households_checked", "households_passed", "households_failed",
            "households_not_assessable", "failure_counts", "gap_counts", "villages_checked", "villages_passed",
            "villages_without_population", "poor_persons", "registered_persons", "area", "created_by",
            "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    detail = serializers.CharField()


class HouseholdResultSerializer(serializers.Serializer):
    """One household's verdict in a run (rendered by exits.rules from the stored facts)."""

    household = serializers.IntegerField(source="household_id")
    household_number = serializers.CharField(source="household.number")
    outcome = serializers.ChoiceField(choices=rules.Outcome.choices)
    passed = serializers.BooleanField()
    per_capita_income = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    failures = serializers.SerializerMethodField()
    gaps = serializers.SerializerMethodField()

    def get_failures(self, result) -> list[dict]:
        return FindingSerializer(result.verdict().failures, many=True).data

    def get_gaps(self, result) -> list[dict]:
        return FindingSerializer(result.verdict().gaps, many=True).data


class VillageResultSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name")
    outcome = serializers.ChoiceField(choices=rules.Outcome.choices)
    gap = serializers.CharField()

    class Meta:
        model = VillageResult
        fields = [
            "village", "village_name", "outcome", "poor_persons", "registered_persons", "incidence",
            "below_threshold", "gap", "unmet_indicators", "planned_exit_year", "progress",
        ]
        read_only_fields = fields


class RunRequestSerializer(serializers.Serializer):
    """POST /exit-runs/ (for the schema; validated by exits.forms.RunForm, as on the page)."""

    year = serializers.IntegerField()
    township = serializers.IntegerField(required=False, allow_null=True, help_text="null: the whole county")
    line_kind = serializers.ChoiceField(choices=PovertyLine.Kind.choices, default=PovertyLine.Kind.EXIT_CHECK)
