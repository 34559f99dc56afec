"""Filters for visit lists (pages and API) and for the household list with visit states."""
import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.filters import HouseholdFilterSet
from villages.filters import scoped
from villages.models import Township, Village

from .choices import Kind, Status, VisitState
from .models import Visit, VisitHousehold


class VisitFilterSet(django_filters.FilterSet):
    household = django_filters.NumberFilter(field_name="household_id", label=_("户"))
    household_number = django_filters.CharFilter(field_name="household__number", label=_("户编号"))
    township = django_filters.ModelChoiceFilter(
        field_name="household__village__township", queryset=scoped(Township), label=_("乡镇"),
    )
    village = django_filters.ModelChoiceFilter(field_name="household__village", queryset=scoped(Village), label=_("行政村"))
    visitor = django_filters.NumberFilter(field_name="visitor_id", label=_("走访人"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("状态"))
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("走访方式"))
    date_from = django_filters.DateFilter(field_name="actual_date", lookup_expr="gte", label=_("走访日期起"))
    date_to = django_filters.DateFilter(field_name="actual_date", lookup_expr="lte", label=_("走访日期止"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("逾期未访"))

    class Meta:
        model = Visit
        fields = [
            "household", "household_number", "township", "village", "visitor", "status", "kind", "date_from",
            "date_to", "overdue",
        ]

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class VisitHouseholdFilterSet(HouseholdFilterSet):
    """The household filters plus the visit state (on a queryset annotated by with_visit_state)."""

    visit_state = django_filters.ChoiceFilter(choices=VisitState.choices, label=_("走访状态"))

    class Meta(HouseholdFilterSet.Meta):
        model = VisitHousehold
        fields = [*HouseholdFilterSet.Meta.fields, "visit_state"]
