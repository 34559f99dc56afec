"""API serializers for households, members and pairings."""
from django.utils.translation import gettext as _
from rest_framework import serializers

from households.choices import Status
from households.models import Household, Member, Pairing
from povertyapp.api import ScopedModelSerializer
from povertyapp.roles import VIEW


class MemberSerializer(ScopedModelSerializer):
    """A member; sex and birth date are read from the ID number, or given with the reason it is missing."""

    derived_fields = ("id_number", "id_missing_reason", "sex", "birth_date")
    id_number = serializers.CharField(max_length=40, allow_blank=True, required=False)  # as typed; stored normalised
    id_warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="与导入相同的证件号码提示(如地区码不在行政区划代码表中)",
    )

    class Meta:
        model = Member
        fields = [
            "id", "household", "name", "id_number", "id_missing_reason", "id_warnings", "sex", "birth_date",
            "relation", "ethnicity", "education",
            "school_status", "health", "disability_grade", "labour_skill", "work_status", "months_worked",
            "has_medical_insurance", "has_serious_illness_insurance", "has_pension_insurance",
            "receives_subsistence", "receives_destitute_support", "is_active", "left_reason",
        ]


class HouseholdListSerializer(ScopedModelSerializer):
    """Lean list row: names, head and size come from Household.objects.with_summary(), not per-row queries."""

    village_name = serializers.CharField(source="village.name", read_only=True)
    township = serializers.IntegerField(source="village.township_id", read_only=True)
    township_name = serializers.CharField(source="village.township.name", read_only=True)
    head_name = serializers.CharField(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Household
        fields = [
            "id", "number", "township", "township_name", "village", "village_name", "head_name", "member_count",
            "attribute", "main_cause", "status", "year_identified", "exit_year",
        ]


class HouseholdSerializer(ScopedModelSerializer):
    """The household record with its members (read-only here: members are written at /members/)."""

    village_name = serializers.CharField(source="village.name", read_only=True)
    township = serializers.IntegerField(source="village.township_id", read_only=True)
    township_name = serializers.CharField(source="village.township.name", read_only=True)
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = Household
        fields = [
            "id", "number", "township", "township_name", "village", "village_name", "group", "address", "phone",
            "bank_name", "bank_account", "year_identified", "standard", "attribute", "main_cause", "other_causes",
            "status", "exit_year", "housing_grade", "was_dangerous_house", "house_renovated", "housing_area",
            "safe_drinking_water", "food_and_clothing_secure", "created_at", "updated_at", "members",
        ]

    def validate_status(self, value):
        if self.instance is None and value not in Status.on_entry():
            raise serializers.ValidationError(_("新建户的脱贫状态只能是“未脱贫”或“待识别”。"))
        if self.instance is not None and value != self.instance.status:
            raise serializers.ValidationError(_("脱贫状态只能通过审核公示流程或识别批次变更。"))
        return value

    def validate_exit_year(self, value):
        if value != (self.instance.exit_year if self.instance else None):
            raise serializers.ValidationError(_("脱贫年度由县审批公告时写入,不能直接修改。"))
        return value


class PairingSerializer(ScopedModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    household_number = serializers.CharField(source="household.number", read_only=True)

    class Meta:
        model = Pairing
        fields = ["id", "household", "household_number", "cadre", "cadre_name", "start_date", "end_date"]
        # Any cadre the user can see may be paired with a household the user may capture.
        extra_kwargs = {"cadre": {"scope_action": VIEW}}
