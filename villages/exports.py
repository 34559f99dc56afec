"""村台账: the village list as filtered on its page, with households, persons, poor persons and incidence."""
from django.utils.translation import gettext_lazy as _

from povertyapp.exports import CHUNK_SIZE, YES_NO, Column, XlsxExportView

from .filters import VillageFilterSet
from .models import Village
from .rules import incidence_percent

VILLAGE_LEDGER_COLUMNS = [
    Column(_("县"), "township__county__name"),
    Column(_("乡镇"), "township__name"),
    Column(_("行政村"), "name"),
    Column(_("村代码"), "code", width=15),
    Column(_("贫困村"), "is_poor", labels=YES_NO),
    Column(_("计划出列年度"), "planned_exit_year", width=14),
    Column(_("实际出列年度"), "exit_year", width=14),
    Column(_("建档立卡户数"), "household_count", width=14),
    Column(_("在册人口"), "person_count"),
    Column(_("未脱贫人口"), "poor_person_count"),
    Column(_("户籍人口"), "registered_persons"),
    Column(
        _("贫困发生率(%)"), compute=lambda row: incidence_percent(row["poor_person_count"], row["registered_persons"]),
        width=14,
    ),
]


class VillageLedgerView(XlsxExportView):
    """村台账: one row per village of the filtered list; its figures come from Village.objects.with_figures()."""

    queryset = Village.objects.all()
    filterset_class = VillageFilterSet
    columns = VILLAGE_LEDGER_COLUMNS
    title = _("村台账")
    object_type = "village"

    def get_rows(self, queryset):
        keys = [column.key for column in self.columns if column.key]
        return queryset.with_figures().order_by("township__code", "code").values(*keys).iterator(chunk_size=CHUNK_SIZE)
