"""Visit pages: my households (phone-first), a household's visits, recording, photos, coverage reports."""
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from povertyapp import views as generic
from povertyapp.access import can
from povertyapp.roles import CHANGE

from . import coverage, rules
from .filters import VisitFilterSet, VisitHouseholdFilterSet
from .forms import CoverageForm, RescheduleForm, VisitForm
from .models import Visit, VisitHousehold, VisitPhoto

RECENT_VISITS = 10
SECTION_ROWS = 50  # rows per page of each coverage report section


class MyHouseholdsView(generic.ObjectListView):
    """我的帮扶户: the households in the user's area (a pairing cadre: their own), overdue first."""

    filterset_class = VisitHouseholdFilterSet
    template_name = "visits/my_households.html"
    paginate_by = 30

    @property
    def queryset(self):
        # Built per request: the visit state depends on today's date.
        return (
            VisitHousehold.objects.with_summary().with_visit_state(timezone.localdate())
            .order_by("state_rank", "next_planned", "number")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        context["is_pairing_cadre"] = rules.is_pairing_cadre(self.request.user)
        return context


class HouseholdVisitsView(generic.ObjectDetailView):
    """One household for the visitor: state, one-tap recording, open needs, last visits."""

    template_name = "visits/household.html"

    @property
    def queryset(self):
        return VisitHousehold.objects.with_summary().with_visit_state(timezone.localdate())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visits = Visit.objects.restrict(self.request.user).filter(household=self.object).select_related("visitor")
        context.update(
            today=timezone.localdate(),
            plan=visits.planned().first(),
            open_needs=visits.done().filter(needs_met=False).exclude(needs="").order_by("-actual_date"),
            recent=visits.exclude(status="planned").prefetch_related("photos").order_by("-planned_date", "-pk")[
                :RECENT_VISITS
            ],
            reschedule_form=RescheduleForm(),
        )
        return context


def _writable_household(request, pk):
    """A household the user may record visits for; 403 for roles that record none, 404 outside the area."""
    if not can(request.user, CHANGE, Visit):
        raise PermissionDenied
    households = VisitHousehold.objects.restrict(request.user, CHANGE).select_related("village__township")
    return get_object_or_404(households, pk=pk)


@generic.area_scoped
@login_required
def record(request, household_pk):
    """记录走访: completes the household's open plan (or records an unplanned visit) and plans the next."""
    household = _writable_household(request, household_pk)
    visit = rules.open_plan_or_new(household)
    form = VisitForm(request.POST or None, request.FILES or None, instance=visit, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已记录户%(number)s的走访。") % {"number": household.number})
        return redirect(household.get_visits_url())
    return render(request, "visits/visit_form.html", {"form": form, "household": household})


@generic.area_scoped
@login_required
@require_POST
def reschedule(request, pk):
    """Move a planned visit to another date (one whose date has passed is kept as missed)."""
    plan = get_object_or_404(Visit.objects.restrict(request.user, CHANGE).planned(), pk=pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        rules.reschedule(plan, form.cleaned_data["new_date"], timezone.localdate())
        messages.success(request, _("已改期。"))
    else:
        messages.error(request, " ".join(form.errors["new_date"]))
    return redirect("visits:household", pk=plan.household_id)


@generic.area_scoped
@login_required
@require_POST
def resolve_need(request, pk):
    """Mark the needs noted at a visit as met."""
    visit = get_object_or_404(Visit.objects.restrict(request.user, CHANGE).done(), pk=pk)
    visit.needs_met = True
    visit.save(update_fields=["needs_met", "updated_at"])
    messages.success(request, _("已标记为已解决。"))
    return redirect("visits:household", pk=visit.household_id)


class VisitListView(generic.ObjectListView):
    queryset = Visit.objects.select_related("household__village__township", "visitor")
    filterset_class = VisitFilterSet
    template_name = "visits/visit_list.html"


class VisitDetailView(generic.ObjectDetailView):
    queryset = Visit.objects.select_related("household__village__township", "visitor").prefetch_related("photos")
    template_name = "visits/visit_detail.html"


@generic.area_scoped
@login_required
def photo(request, pk):
    """A visit photo, read through the storage API for users who may see the visit."""
    found = get_object_or_404(VisitPhoto.objects.restrict(request.user), pk=pk)
    response = FileResponse(found.image.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _section(request, paginator: Paginator, name: str) -> dict:
    """One page of a coverage report section: its number is the `<name>_page` parameter, the other parameters kept."""
    param = f"{name}_page"
    query = request.GET.copy()
    query.pop(param, None)
    page = paginator.get_page(request.GET.get(param))
    return {"page": page, "param": param, "anchor": name, "query_string": query.urlencode()}


@generic.area_scoped
@login_required
def coverage_report(request):
    """Township and county views: visits per cadre and village, and the gaps in pairing, postings and visits.

    Each section is paged (SECTION_ROWS rows), so a county page reads a bounded number of rows.
    """
    user, today = request.user, timezone.localdate()
    form = CoverageForm(request.GET or None, policy=coverage.policy_for(user), today=today)
    chosen = form.values()
    period = chosen["date_from"], chosen["date_to"]
    by_key = partial(coverage.KeyPaginator, per_page=SECTION_ROWS)
    sections = {
        "unpaired": by_key(coverage.households_without_pairing(user, today)),
        "unvisited": by_key(coverage.pairings_without_visit(user, chosen["days"], today)),
        "unposted": by_key(coverage.poor_villages_without_posting(user, today)),
        "overloaded": Paginator(coverage.overloaded_cadres(user, chosen["threshold"], today), SECTION_ROWS),
        "cadres": coverage.visits_per_cadre(user, *period, today, per_page=SECTION_ROWS),
        "villages": by_key(coverage.visits_per_village(user, *period)),
    }
    context = {name: _section(request, paginator, name) for name, paginator in sections.items()}
    context.update(form=form, chosen=chosen)
    return render(request, "visits/coverage.html", context)


def household_panel(request, household):
    """Context of the visits panel on the household page: last visits, the open plan and its state."""
    visits = Visit.objects.restrict(request.user).filter(household=household).select_related("visitor")
    today = timezone.localdate()
    return {
        "today": today,
        "plan": visits.planned().first(),
        "last_visits": visits.done().order_by("-actual_date", "-pk")[:3],
        "state": VisitHousehold.objects.with_visit_state(today).filter(pk=household.pk).values_list(
            "visit_state", flat=True
        ).first(),
        "can_record": VisitHousehold.objects.restrict(request.user, CHANGE).filter(pk=household.pk).exists(),
    }
