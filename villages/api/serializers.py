"""API serializers for the area tree and cadres (read-only: the county edits them in the admin)."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from povertyapp.api import ScopedModelSerializer
from villages.models import Cadre, Township, Village


class TownshipSerializer(ScopedModelSerializer):
    class Meta:
        model = Township
        fields = ["id", "code", "name", "county"]


class VillageSerializer(ScopedModelSerializer):
    township_name = serializers.CharField(source="township.name", read_only=True)
    household_count = serializers.IntegerField(read_only=True, help_text=_("在册户数"))
    person_count = serializers.IntegerField(read_only=True, help_text=_("在册人数"))
    poor_person_count = serializers.IntegerField(read_only=True, help_text=_("未脱贫(含返贫)人数"))
    registered_persons = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("最近一次登记的户籍人口(贫困发生率分母)")
    )
    incidence = serializers.DecimalField(
        max_digits=6, decimal_places=2, read_only=True, allow_null=True, help_text=_("贫困发生率(%)")
    )

    class Meta:
        model = Village
        fields = [
            "id", "code", "name", "township", "township_name", "is_poor", "planned_exit_year", "exit_year",
            "household_count", "person_count", "poor_person_count", "registered_persons", "incidence",
        ]


class CadreSerializer(ScopedModelSerializer):
    class Meta:
        model = Cadre
        fields = ["id", "name", "work_unit", "phone"]
