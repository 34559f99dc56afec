"""Filters for case lists and the public-notice list (pages and API)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from villages.filters import scoped
from villages.models import Township, Village

from .choices import Kind
from .models import Case


class CaseFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("类别"))
    township = django_filters.ModelChoiceFilter(
        field_name="household__village__township", queryset=scoped(Township), label=_("乡镇")
    )
    village = django_filters.ModelChoiceFilter(field_name="household__village", queryset=scoped(Village), label=_("行政村"))
    number = django_filters.CharFilter(field_name="household__number", lookup_expr="icontains", label=_("户编号"))

    class Meta:
        model = Case
        fields = ["kind", "year", "township", "village", "number"]
