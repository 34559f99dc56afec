"""Registry pages: household list, page, forms for households, members and income."""
from django.contrib import messages
from django.db import transaction
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from povertyapp import views as generic
from povertyapp.access import can, sees_personal_data
from povertyapp.masking import wants_reveal
from povertyapp.models import PersonalDataAccess
from povertyapp.navigation import render_panels

from . import forms, quality
from .filters import HouseholdFilterSet
from .models import Household, IncomeRecord, Member
from .presenters import household_history, income_rows, personal_data_masker


class HouseholdListView(generic.ObjectListView):
    queryset = Household.objects.all()
    filterset_class = HouseholdFilterSet
    page_name = "household"
    template_name = "households/household_list.html"
    primary_filters = ("q", "township", "village", "attribute", "main_cause")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["more_filters_used"] = any(
            self.request.GET.get(name) for name in self.filterset.form.fields if name not in self.primary_filters
        )
        return context

    def decorate(self, queryset):
        return queryset.with_summary()


class HouseholdDetailView(generic.ObjectDetailView):
    queryset = Household.objects.select_related("village__township", "group")
    template_name = "households/household_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        reveal = wants_reveal(self.request)
        members = list(household.members.all())
        if reveal:
            PersonalDataAccess.record(
                self.request.user, PersonalDataAccess.Channel.PAGE, "household", [household.pk], len(members) + 1
            )
        mask = personal_data_masker(reveal)
        context.update(
            reveal=reveal,
            may_reveal=sees_personal_data(self.request.user),
            members=[(member, mask("id_number", member.id_number)) for member in members],
            phone=mask("phone", household.phone),
            bank_account=mask("bank_account", household.bank_account),
            incomes=income_rows(household, sum(m.is_active for m in members)),
            pairings=household.pairings.select_related("cadre").order_by("-start_date"),
            history=household_history(household, mask),
            panels=render_panels("household", self.request, household),
        )
        return context


class HouseholdEditView(generic.ObjectEditView):
    queryset = Household.objects.all()
    form_class = forms.HouseholdForm
    template_name = "households/household_form.html"


@generic.area_scoped
def household_create(request):
    """A new household is entered with its head, both saved in one transaction or neither."""
    if not can(request.user, "change", Household):
        raise PermissionDenied
    household_form = forms.HouseholdForm(request.POST or None, user=request.user, prefix="household")
    head_form = forms.HeadForm(request.POST or None, user=request.user, prefix="head")
    if request.method == "POST" and all([household_form.is_valid(), head_form.is_valid()]):
        with transaction.atomic():
            household = household_form.save()
            head_form.instance.household = household
            head_form.save()
        messages.success(request, _("已创建贫困户%(number)s。") % {"number": household.number})
        return redirect(household)
    return render(
        request, "households/household_create.html", {"form": household_form, "head_form": head_form}
    )


class HouseholdChildMixin:
    """Create or edit a member or income row: the household comes from the URL or the object, inside the capture scope."""

    template_name = "households/household_record_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if "household_pk" in self.kwargs:
            writable = Household.objects.restrict(self.request.user, "change")
            kwargs["household"] = get_object_or_404(writable, pk=self.kwargs["household_pk"])
        return kwargs

    def get_success_url(self):
        return self.object.household.get_absolute_url()


class MemberCreateView(HouseholdChildMixin, generic.ObjectCreateView):
    queryset = Member.objects.all()
    form_class = forms.MemberForm
    record_label = gettext_lazy("家庭成员")


class MemberEditView(HouseholdChildMixin, generic.ObjectEditView):
    queryset = Member.objects.select_related("household")
    form_class = forms.MemberForm
    record_label = gettext_lazy("家庭成员")


class IncomeCreateView(HouseholdChildMixin, generic.ObjectCreateView):
    queryset = IncomeRecord.objects.all()
    form_class = forms.IncomeRecordForm
    record_label = gettext_lazy("年度收入")


class IncomeEditView(HouseholdChildMixin, generic.ObjectEditView):
    queryset = IncomeRecord.objects.select_related("household")
    form_class = forms.IncomeRecordForm
    record_label = gettext_lazy("年度收入")


@generic.area_scoped
def data_quality(request):
    """Each gap with its count in the user's area; one gap's records, a page at a time, when chosen."""
    if not can(request.user, "view", Household):
        raise PermissionDenied
    counts = [(gap, gap.records().restrict(request.user, "view").count()) for gap in quality.GAPS]
    chosen, page = request.GET.get("gap"), None
    if chosen:
        gap = quality.GAPS_BY_CODE.get(chosen)
        if gap is None:
            raise Http404
        records = gap.records().restrict(request.user, "view").order_by("pk")
        page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "households/data_quality.html", {
        "counts": counts, "gap": quality.GAPS_BY_CODE.get(chosen), "page_obj": page,
        "paginator": page.paginator if page else None, "is_paginated": bool(page and page.has_other_pages()),
        "query_string": f"gap={chosen}" if chosen else "",
    })


def village_panel(request, village):
    """The village page's households (the first 200; the list page has them all)."""
    households = Household.objects.restrict(request.user).filter(village=village).with_summary()[:200]
    return {"households": households}
