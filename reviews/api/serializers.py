"""Read serializers for review cases, and the input of a step taken through the API."""
from rest_framework import serializers

from ..choices import Outcome, Step
from ..models import Case, CaseStep, Objection
from ..workflow import OBJECTION_STEPS


class CaseStepSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = CaseStep
        fields = ["id", "step", "from_state", "to_state", "outcome", "decided_on", "note", "check_passed",
                  "check_failures", "override_reason", "attachment_name", "actor", "created_at"]


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "raised_on", "raised_by", "content", "outcome", "resolution", "resolved_on"]


class CaseListSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "household", "household_number", "kind", "year", "state", "reason", "run_id", "run_label",
                  "notice_start", "notice_end", "created_at", "updated_at"]


class CaseSerializer(CaseListSerializer):
    steps = CaseStepSerializer(many=True, read_only=True)
    objections = ObjectionSerializer(many=True, read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "steps", "objections"]


class StepInputSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=[
        (value, label) for value, label in Step.choices if value not in (Step.PROPOSE, *OBJECTION_STEPS)
    ])
    decided_on = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, default=Outcome.PASSED)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
    attachment = serializers.FileField(required=False, allow_null=True)
