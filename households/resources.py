"""Admin import/export of pairings (结对帮扶): a cadre by 干部编号 and a household by 户编号, both inside the user's scope."""
from django.utils.translation import gettext_lazy as _
from import_export.fields import Field

from povertyapp.resources import ScopedForeignKeyWidget, ScopedModelResource, TextWidget
from villages.resources import cadre_fields, period_fields

from .models import Household, Pairing


class PairingResource(ScopedModelResource):
    cadre, cadre_name = cadre_fields()
    household = Field(attribute="household", column_name=_("户编号"), widget=ScopedForeignKeyWidget(Household, "number"))
    village_name = Field(attribute="household__village__name", column_name=_("行政村"), readonly=True, widget=TextWidget())
    start_date, end_date = period_fields()

    class Meta:
        model = Pairing
        fields = ("cadre", "cadre_name", "household", "village_name", "start_date", "end_date")
        import_id_fields = ["cadre", "household", "start_date"]
