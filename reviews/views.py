"""Review pages: the waiting lists, a case with its steps, step forms, objections, the printable notice list."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from exits.models import EligibilityRun
from households.models import Household
from identification.models import IdentificationRound
from povertyapp.jobs import JobState
from povertyapp import views as generic
from povertyapp.confirmation import ConfirmationForm

from . import forms, workflow
from .choices import Kind, State, Step
from .filters import CaseFilterSet
from .models import Case, CaseStep, Objection
from .permissions import may, may_override_check, require, writable_case

NOTICE_PAGE_SIZE = 500


def shown_verdict(household, year) -> dict:
    """The exit check for a page: {"verdict": …} or {"check_error": why there is none}."""
    try:
        return {"verdict": workflow.exit_verdict(household, year)}
    except workflow.WorkflowError as exc:
        return {"check_error": exc.messages[0]}


def state_counts(user, **filters) -> dict[str, int]:
    """Cases per state in the user's view scope (one query)."""
    rows = Case.objects.restrict(user).filter(**filters).order_by().values_list("state").annotate(n=Count("pk"))
    return dict(rows)


def done_runs(user):
    return EligibilityRun.objects.restrict(user).filter(state=JobState.DONE)


@generic.area_scoped
@login_required
def index(request):
    """Cases per kind and state: where households are waiting."""
    rows = Case.objects.restrict(request.user).order_by().values_list("kind", "state").annotate(n=Count("pk"))
    counts = {(kind, state): n for kind, state, n in rows}
    table = [
        (state, label, [(kind, counts.get((state_kind, state), 0)) for state_kind, kind in Kind.choices])
        for state, label in State.choices
    ]
    latest_run = done_runs(request.user).order_by("-pk").first() if may(request.user, Step.PROPOSE) else None
    return render(request, "reviews/index.html", {"kinds": Kind.choices, "table": table, "latest_run": latest_run})


def _bulk_proposal(request, *, candidates, action: str, propose, template: str, context: dict, done_url: str):
    """The confirmation page of a bulk proposal (the candidates, their count, a confirmation box), then the action.

    povertyapp.confirmation makes the POST count only when confirmed, for the count shown, and only once.
    """
    confirmation = ConfirmationForm(request.POST or None, request=request, action=action, count=candidates.count())
    if request.method == "POST":
        if not confirmation.is_valid():
            for errors in confirmation.errors.values():
                messages.error(request, errors[0])
            return redirect(request.path)
        try:
            with transaction.atomic():
                created = propose()
                confirmation.consume()
        except workflow.WorkflowError as exc:
            messages.error(request, exc.messages[0])
            return redirect(request.path)
        messages.success(request, _("已提议%(n)s户。") % {"n": created})
        return redirect(done_url)
    page = Paginator(candidates.with_summary(), 100).get_page(request.GET.get("page"))
    return render(request, template, {
        **context, "confirmation": confirmation, "page_obj": page, "paginator": page.paginator,
        "is_paginated": page.has_other_pages(), "object_list": page.object_list,
    })


@generic.area_scoped
@login_required
def propose_from_run(request, pk):
    """Bulk exit proposals for the households that passed in a finished run."""
    require(request.user, Step.PROPOSE)
    run = get_object_or_404(done_runs(request.user), pk=pk)
    return _bulk_proposal(
        request, candidates=workflow.exit_candidates(run, request.user), action=f"propose-exits-{run.pk}",
        propose=lambda: workflow.propose_exits_from_run(run, request.user),
        template="reviews/propose_from_run.html", context={"run": run},
        done_url=reverse("reviews:waiting", args=[State.PROPOSED]) + f"?kind={Kind.EXIT}",
    )


@generic.area_scoped
@login_required
def propose_from_round(request, pk):
    """识别纳入 proposals for the households a committed identification round added."""
    require(request.user, Step.PROPOSE)
    round_ = get_object_or_404(IdentificationRound.objects.restrict(request.user, "change"), pk=pk)
    return _bulk_proposal(
        request, candidates=workflow.identification_candidates(round_, request.user),
        action=f"propose-identifications-{round_.pk}",
        propose=lambda: workflow.propose_identifications_from_round(round_, request.user),
        template="reviews/propose_from_round.html", context={"round": round_},
        done_url=reverse("reviews:waiting", args=[State.PROPOSED]) + f"?kind={Kind.IDENTIFICATION}",
    )


class WaitingListView(generic.ObjectListView):
    """Households waiting at one state, oldest first."""

    queryset = Case.objects.with_household()
    filterset_class = CaseFilterSet
    template_name = "reviews/case_list.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["state"] not in State.values:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(state=self.kwargs["state"]).order_by("updated_at", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = self.request.GET.get("kind")
        counts = state_counts(self.request.user, **({"kind": kind} if kind in Kind.values else {}))
        context.update(
            state=State(self.kwargs["state"]),
            tabs=[(value, label, counts.get(value, 0)) for value, label in State.choices],
        )
        return context


class CaseDetailView(generic.ObjectDetailView):
    queryset = Case.objects.with_household()
    template_name = "reviews/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case, user = self.object, self.request.user
        allowed = workflow.available_steps(case, user) if context["can_change"] else []
        context.update(
            steps=case.steps.select_related("actor"),
            objections=case.objections.select_related("resolved_by"),
            actions=[t for t in allowed if t.step not in workflow.OBJECTION_STEPS],
            may_object=any(t.step == Step.OBJECTION for t in allowed),
            may_resolve=any(t.step == Step.RESOLVE_OBJECTION for t in allowed),
        )
        if case.kind == Kind.EXIT and case.is_open:
            context.update(shown_verdict(case.household, case.year))
        return context


def _form_page(request, case, form, title, check=None):
    """A step form page; `check` is (household, year) for exit cases, whose check result it shows."""
    context = {"case": case, "form": form, "title": title}
    if check:
        context.update(shown_verdict(*check))
    return render(request, "reviews/step_form.html", context)


def _take(request, form, action, success):
    """Run `action()` (a workflow call) and return its result; its refusals become form errors (None)."""
    try:
        result = action()
    except workflow.WorkflowError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None
    messages.success(request, success)
    return result


@generic.area_scoped
@login_required
def take_step(request, pk, step):
    if step not in Step.values or step in (Step.PROPOSE, *workflow.OBJECTION_STEPS):
        raise Http404
    case = writable_case(request.user, pk, step)
    transition = workflow.transition_for(case, step)
    if transition is None:
        messages.error(request, _("案件当前状态(%(state)s)下不能办理“%(step)s”。") % {
            "state": case.get_state_display(), "step": Step(step).label,
        })
        return redirect(case)
    may_override = case.kind == Kind.EXIT and may_override_check(request.user)
    form = forms.StepForm(request.POST or None, request.FILES or None, transition=transition, may_override=may_override)
    if request.method == "POST" and form.is_valid():
        done = _take(request, form, lambda: workflow.advance(case, step, request.user, form.step_input()),
                     _("已办理:%(step)s。") % {"step": Step(step).label})
        if done:
            return redirect(case)
    check = (case.household, case.year) if case.kind == Kind.EXIT else None
    return _form_page(request, case, form, Step(step).label, check)


@generic.area_scoped
@login_required
def propose(request, household_pk, kind):
    if kind not in Kind.values:
        raise Http404
    require(request.user, Step.PROPOSE)
    household = get_object_or_404(Household.objects.restrict(request.user, "change"), pk=household_pk)
    may_override = kind == Kind.EXIT and may_override_check(request.user)
    form = forms.ProposeForm(request.POST or None, kind=kind, may_override=may_override)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = _take(request, form, lambda: workflow.propose(
            household, kind, data["year"], request.user, reason=data.get("reason", ""), data=form.step_input()
        ), _("已提议%(kind)s。") % {"kind": Kind(kind).label})
        if case:
            return redirect(case)
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else form.fields["year"].initial
    title = _("提议%(kind)s:%(number)s") % {"kind": Kind(kind).label, "number": household.number}
    return _form_page(request, None, form, title, (household, year) if kind == Kind.EXIT else None)


@generic.area_scoped
@login_required
def raise_objection(request, pk):
    case = writable_case(request.user, pk, Step.OBJECTION)
    form = forms.ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _take(request, form, lambda: workflow.raise_objection(case, request.user, **form.cleaned_data),
                 _("已登记异议。")):
            return redirect(case)
    return _form_page(request, case, form, Step.OBJECTION.label)


@generic.area_scoped
@login_required
def resolve_objection(request, pk):
    require(request.user, Step.RESOLVE_OBJECTION)
    objection = get_object_or_404(Objection.objects.restrict(request.user, "change").select_related("case"), pk=pk)
    case = objection.case
    form = forms.ResolveObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _take(request, form, lambda: workflow.resolve_objection(objection, request.user, **form.cleaned_data),
                 _("已处理异议。")):
            return redirect(case)
    return render(request, "reviews/step_form.html", {
        "case": case, "form": form, "title": Step.RESOLVE_OBJECTION.label, "objection": objection,
    })


@generic.area_scoped
@login_required
def attachment(request, pk):
    """A scanned page, served only to users who may see the case (media files are not public)."""
    step = get_object_or_404(CaseStep.objects.restrict(request.user).exclude(attachment=""), pk=pk)
    return FileResponse(step.attachment.open("rb"), filename=step.attachment_name or step.attachment.name)


@generic.area_scoped
@login_required
def notice_list(request):
    """公示名单: households under public notice, printable; never ID numbers, phones, accounts or health."""
    cases = (
        Case.objects.restrict(request.user).with_household().filter(state__in=workflow.NOTICE_RUNNING)
        .order_by("household__village__code", "household__number")
    )
    filterset = CaseFilterSet(request.GET or None, queryset=cases, request=request)
    if filterset.is_bound and filterset.is_valid():
        cases = filterset.qs
    page = Paginator(cases, NOTICE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    village = filterset.form.cleaned_data.get("village") if filterset.is_bound and filterset.is_valid() else None
    return render(request, "reviews/notice_list.html", {
        "filterset": filterset, "page_obj": page, "paginator": page.paginator, "is_paginated": page.has_other_pages(),
        "object_list": page.object_list, "query_string": query.urlencode(), "village": village,
    })


def household_panel(request, household):
    """The review section of a household page: its cases and the proposals this user may start."""
    user = request.user
    cases = list(Case.objects.restrict(user).filter(household=household).order_by("-created_at"))
    has_open = any(case.is_open for case in cases)
    proposals = []
    if not has_open and may(user, Step.PROPOSE) and Household.objects.restrict(user, "change").filter(pk=household.pk).exists():
        proposals = [(kind, label) for kind, label in Kind.choices if household.status in workflow.ELIGIBLE_STATUSES[kind]]
    return {"cases": cases, "proposals": proposals}
