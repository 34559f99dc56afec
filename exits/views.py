"""Exit-check pages: runs (list, start, progress, results), areas on track, rules; household and village panels."""
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from povertyapp import views as generic
from povertyapp.access import can
from povertyapp.jobs import JobState, progress_response

from . import batch, rules
from .forms import ExitThresholdForm, PovertyLineForm, RunForm, VillageIndicatorForm
from .models import EligibilityRun, ExitThreshold, HouseholdResult, PovertyLine, VillageIndicator, VillageResult
from .services import create_run, latest_result, may_run_county, runnable_townships


def may_start_runs(user) -> bool:
    return may_run_county(user) or runnable_townships(user).exists()


class RunListView(generic.ObjectListView):
    queryset = EligibilityRun.objects.select_related("county", "township", "created_by")
    template_name = "exits/run_list.html"
    paginate_by = 20

    def post(self, request, *args, **kwargs):
        if not may_start_runs(request.user):
            raise PermissionDenied
        self.form = RunForm(request.POST, user=request.user)
        if self.form.is_valid():
            data = self.form.cleaned_data
            run = create_run(
                year=data["year"], county=data["county"], township=data["township"], user=request.user,
                kind=data["line_kind"],
            )
            messages.success(request, _("已开始%(run)s。") % {"run": run})
            return redirect(run)
        return self.get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = getattr(self, "form", None)
        context["form"] = form or (RunForm(user=user) if may_start_runs(user) else None)
        return context


def listed_results(run: EligibilityRun, results, query) -> tuple[object, str, str, int]:
    """The run page's list — households that did not pass — narrowed by ?outcome=, ?fails= or ?lacks=:
    (results, title, query string, count).

    The count comes from the run's stored counts: it spares a COUNT(*) over a county of results.
    """
    results = results.filter(passed=False)
    if (criterion := rules.CRITERIA_BY_CODE.get(query.get("fails", ""))) in rules.FAILING_CRITERIA:
        return (
            results.failing(criterion), _("%(label)s 未达标") % {"label": criterion.label}, f"fails={criterion.code}",
            run.failure_counts.get(criterion.code, 0),
        )
    if (criterion := rules.CRITERIA_BY_CODE.get(query.get("lacks", ""))) in rules.GAP_CRITERIA:
        return (
            results.lacking(criterion), _("%(label)s 无法评估") % {"label": criterion.label},
            f"lacks={criterion.code}", run.gap_counts.get(criterion.code, 0),
        )
    outcome = query.get("outcome", "")
    if outcome == rules.Outcome.FAILED:
        return results.with_outcome(outcome), _("未达标户"), f"outcome={outcome}", run.households_failed
    if outcome == rules.Outcome.NOT_ASSESSABLE:
        return (
            results.with_outcome(outcome), _("无法评估户"), f"outcome={outcome}", run.households_not_assessable
        )
    return results, _("未达标及无法评估户"), "", run.households_checked - run.households_passed


class RunDetailView(generic.ObjectDetailView):
    queryset = EligibilityRun.objects.select_related("county", "township", "created_by")
    template_name = "exits/run_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run, user = self.object, self.request.user
        results = (
            HouseholdResult.objects.restrict(user).filter(run=run)
            .select_related("household__village__township", "run").order_by("household_id")
        )
        listed, title, query_string, count = listed_results(run, results, self.request.GET)
        paginator = Paginator(listed, 50)
        if run.state == JobState.DONE:
            paginator.count = count  # whoever may open a run sees all its rows (EligibilityRun.area_paths)
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            progress_url=reverse("exits:progress", args=[run.pk]),
            paginator=paginator,
            is_paginated=page.has_other_pages(),
            finished=run.state == JobState.DONE,
            may_retry=run.state == JobState.FAILED and context["can_change"],
            outcomes=rules.Outcome,
            list_title=title,
            page_obj=page,
            listed=[(result, result.verdict()) for result in page],
            query_string=query_string,
            villages=VillageResult.objects.restrict(user).filter(run=run).select_related("village__township", "run"),
        )
        return context


@generic.area_scoped
@login_required
def run_progress(request, pk):
    return progress_response(get_object_or_404(EligibilityRun.objects.restrict(request.user), pk=pk))


@generic.area_scoped
@login_required
@require_POST
def run_retry(request, pk):
    """重试: a failed run queued again by someone who may start it."""
    run = get_object_or_404(EligibilityRun.objects.restrict(request.user, "change"), pk=pk)
    if batch.retry(run):
        messages.success(request, _("已重新开始%(run)s。") % {"run": run})
    else:
        messages.error(request, _("只有失败的退出检测才能重试。"))
    return redirect(run)


@dataclass
class TownshipProgress:
    """A township's villages in one run, summed (incidence of the township from its villages' figures)."""

    name: str
    threshold: object
    villages: list = field(default_factory=list)

    @property
    def verdict(self) -> rules.AreaVerdict:
        return rules.judge_area(
            sum(v.poor_persons for v in self.villages), sum(v.registered_persons or 0 for v in self.villages),
            self.threshold, villages_without_population=sum(v.below_threshold is None for v in self.villages),
        )

    @property
    def behind(self) -> int:
        return sum(v.progress == rules.Progress.BEHIND for v in self.villages)

    @property
    def unknown(self) -> int:
        return sum(v.progress == rules.Progress.UNKNOWN for v in self.villages)

    @property
    def due(self) -> int:
        due = (rules.Progress.DONE, rules.Progress.BEHIND, rules.Progress.UNKNOWN)
        return sum(v.progress in due for v in self.villages)


@generic.area_scoped
@login_required
def areas(request):
    """Villages and townships against their planned exit year, from the latest finished run the user can see."""
    visible = VillageResult.objects.restrict(request.user).filter(run__state=JobState.DONE)
    requested = request.GET.get("run", "")
    latest = visible.order_by("-run_id").values_list("run_id", flat=True).first()
    run_id = int(requested) if requested.isdigit() else latest
    rows = list(visible.filter(run_id=run_id).select_related("village__township", "run"))
    run = rows[0].run if rows else None
    townships = {}
    for row in rows:
        township = row.village.township
        townships.setdefault(township.pk, TownshipProgress(township.name, run.threshold)).villages.append(row)
    sees_run = run is not None and EligibilityRun.objects.restrict(request.user).filter(pk=run.pk).exists()
    county_run = run if sees_run and run.township_id is None else None
    return render(request, "exits/areas.html", {
        "run": run, "rows": rows, "townships": townships.values(), "county_run": county_run,
        "runs": EligibilityRun.objects.done().filter(pk__in=visible.values("run_id")).order_by("-pk")[:24],
    })


@generic.area_scoped
@login_required
def rules_page(request):
    """扶贫标准线, incidence thresholds and village indicators: read by all staff, edited by county staff."""
    return render(request, "exits/rules.html", {
        "lines": PovertyLine.objects.restrict(request.user),
        "thresholds": ExitThreshold.objects.restrict(request.user),
        "indicators": VillageIndicator.objects.restrict(request.user),
        "can_change": can(request.user, "change", PovertyLine),
    })


class RuleFormMixin:
    template_name = "exits/rule_form.html"
    success_url = reverse_lazy("exits:rules")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        name = self.queryset.model._meta.verbose_name
        context["title"] = f"{_('修改') if self.object else _('新增')} · {self.object or name}"
        return context


class PovertyLineCreateView(RuleFormMixin, generic.ObjectCreateView):
    queryset = PovertyLine.objects.all()
    form_class = PovertyLineForm


class PovertyLineEditView(RuleFormMixin, generic.ObjectEditView):
    queryset = PovertyLine.objects.all()
    form_class = PovertyLineForm


class VillageIndicatorCreateView(RuleFormMixin, generic.ObjectCreateView):
    queryset = VillageIndicator.objects.all()
    form_class = VillageIndicatorForm


class VillageIndicatorEditView(RuleFormMixin, generic.ObjectEditView):
    queryset = VillageIndicator.objects.all()
    form_class = VillageIndicatorForm


class ExitThresholdEditView(RuleFormMixin, generic.ObjectEditView):
    queryset = ExitThreshold.objects.all()
    form_class = ExitThresholdForm


# --- Panels (registered in apps.py) -------------------------------------------------------------------


def household_panel(request, household):
    """The household's verdict in the latest finished run (the household page is already area-restricted)."""
    result = latest_result(household)
    return {"result": result, "verdict": result.verdict() if result else None}


def village_panel(request, village):
    result = (
        VillageResult.objects.filter(village=village, run__state=JobState.DONE)
        .select_related("run").order_by("-run_id").first()
    )
    return {"result": result} if result else None
