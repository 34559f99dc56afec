"""What the register supplies to the layers below it, registered in HouseholdsConfig.ready():
the paired-household level of povertyapp.access and the register figures of villages."""
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .choices import Status
from .models import Household, Member, Pairing

PAIRED_ID_FIELDS = {"household": "household_id", "village": "household__village_id"}


def paired_ids(cadre_id: int, key: str):
    """The ids of the households (key "household") or villages (key "village") the cadre is paired with now."""
    return Pairing.objects.active().filter(cadre_id=cadre_id).values(PAIRED_ID_FIELDS[key])


def _count(queryset, group_by: str):
    """A correlated COUNT subquery of `queryset` grouped by `group_by` (0 when empty)."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def village_figures(villages):
    """Households, persons and poor persons on the register, per village."""
    members = Member.objects.filter(household__village=OuterRef("pk"), is_active=True)
    return villages.annotate(
        household_count=_count(Household.objects.filter(village=OuterRef("pk")), "village"),
        person_count=_count(members, "household__village"),
        poor_person_count=_count(members.filter(household__status__in=Status.poor()), "household__village"),
    )
