"""List filters for households, members and pairings, shared by the web pages and the API."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from villages.filters import scoped
from villages.models import Township, Village

from . import choices
from .models import Household, Member, Pairing


def normalise_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


class HouseholdFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("搜索"), help_text=_("户编号或成员姓名(部分匹配),或完整的证件号码"),
    )
    township = django_filters.ModelChoiceFilter(
        field_name="village__township", queryset=scoped(Township), label=_("乡镇"),
    )
    village = django_filters.ModelChoiceFilter(queryset=scoped(Village), label=_("行政村"))
    # distinct=False: a status is a column of the household itself, and DISTINCT over 250k rows costs seconds.
    status = django_filters.MultipleChoiceFilter(
        choices=choices.Status.choices, label=_("脱贫状态"), distinct=False
    )

    class Meta:
        model = Household
        fields = ["q", "township", "village", "status", "attribute", "main_cause", "number", "year_identified",
                  "exit_year"]

    def search(self, queryset, name, value):
        # ID numbers match only in full: a partial match would let masked users probe them digit by digit.
        # The member join runs in a subquery, so a household with two matching members appears once.
        value = value.strip()
        if not value:
            return queryset
        matches = Household.objects.filter(
            Q(number__icontains=value) | Q(members__name__icontains=value)
            | Q(members__id_number=normalise_id_number(value))
        )
        return queryset.filter(pk__in=matches.values("pk"))


class MemberFilterSet(django_filters.FilterSet):
    household = django_filters.NumberFilter(field_name="household_id", label=_("户"))
    household_number = django_filters.CharFilter(field_name="household__number", label=_("户编号"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("姓名"))
    id_number = django_filters.CharFilter(method="filter_id_number", label=_("证件号码"), help_text=_("完整号码"))

    class Meta:
        model = Member
        fields = ["household", "household_number", "name", "id_number", "relation", "health", "is_active"]

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(id_number=normalise_id_number(value))


class PairingFilterSet(django_filters.FilterSet):
    household = django_filters.NumberFilter(field_name="household_id", label=_("户"))
    cadre = django_filters.NumberFilter(field_name="cadre_id", label=_("帮扶责任人"))
    active = django_filters.BooleanFilter(
        field_name="end_date", lookup_expr="isnull", label=_("在帮"), help_text=_("尚未结束的结对"),
    )

    class Meta:
        model = Pairing
        fields = ["household", "cadre", "active"]
