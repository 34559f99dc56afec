"""List filters for townships, villages and cadres, shared by the web pages and the API."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from povertyapp.roles import VIEW

from .models import Cadre, Township, Village


def scoped(model, action: str = VIEW):
    """A django-filter `queryset` callable: the objects of `model` the requesting user may see."""

    def queryset(request):
        return model.objects.restrict(getattr(request, "user", None), action)

    return queryset


class TownshipFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("乡镇"))
    code = django_filters.CharFilter(lookup_expr="startswith", label=_("区划代码"))

    class Meta:
        model = Township
        fields = ["name", "code"]


class VillageFilterSet(django_filters.FilterSet):
    township = django_filters.ModelChoiceFilter(queryset=scoped(Township), label=_("乡镇"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("行政村"))
    code = django_filters.CharFilter(lookup_expr="startswith", label=_("村代码"))

    class Meta:
        model = Village
        fields = ["township", "name", "code", "is_poor", "planned_exit_year", "exit_year"]


class CadreFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("姓名"))
    work_unit = django_filters.CharFilter(lookup_expr="icontains", label=_("工作单位"))
    village = django_filters.ModelChoiceFilter(
        queryset=scoped(Village), method="filter_village", label=_("服务行政村"),
        help_text=_("现任该村第一书记、驻村工作队队员或与该村农户结对的干部"),
    )

    class Meta:
        model = Cadre
        fields = ["name", "work_unit", "village"]

    @extend_schema_field(OpenApiTypes.INT)  # a village id
    def filter_village(self, queryset, name, value):
        serving = Cadre.objects.filter(
            Q(secretary_postings__village=value, secretary_postings__end_date__isnull=True)
            | Q(team_memberships__village=value, team_memberships__end_date__isnull=True)
            | Q(pairings__household__village=value, pairings__end_date__isnull=True)
        )
        return queryset.filter(pk__in=serving.values("pk"))
