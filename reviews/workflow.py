"""The review state machine: one table of transitions with their guards, and the functions that take a step.

Who may take each step is in reviews.permissions (roles are per step; a step such
as the county approval has one transition per kind of case).

Pages, the API and bulk actions call propose(), advance(), raise_objection() and
resolve_objection(); each checks the role (reviews.permissions), the capture
scope, the transition table and its guards, then writes one CaseStep (the audit
row) in a transaction. Approval changes the household's status with a
django-simple-history reason naming the case.
"""
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exits.services import MissingPovertyLine, check_household
from households.choices import Status
from povertyapp.jobs import JobState
from households.models import Household

from .choices import Kind, ObjectionOutcome, Outcome, State, Step
from .models import Case, CaseStep, Objection, validate_scan
from .permissions import may, may_override_check


class WorkflowError(Exception):
    """A step that cannot be taken now; `messages` say why, in Chinese, for the page."""

    def __init__(self, *messages):
        super().__init__(*messages)
        self.messages = [str(message) for message in messages]


@dataclass
class StepInput:
    """What a person enters for a step."""

    outcome: str = Outcome.PASSED
    decided_on: datetime.date | None = None
    note: str = ""
    attachment: object = None  # an UploadedFile
    override_reason: str = ""


@dataclass
class Attempt:
    """One try at a transition: what the guards look at."""

    case: Case
    user: object
    data: StepInput
    today: datetime.date
    transition: "Transition"

    @cached_property
    def verdict(self):
        return exit_verdict(self.case.household, self.case.year)

    @cached_property
    def overridden_codes(self) -> set[str]:
        """Failure codes a county user has already let pass on this case."""
        if self.case.pk is None:
            return set()
        steps = self.case.steps.exclude(override_reason="").values_list("check_failures", flat=True)
        return {failure["code"] for failures in steps for failure in failures if not failure.get("gap")}


def exit_verdict(household, year: int):
    """The exits app's household check for `year`; WorkflowError when that year has no poverty line."""
    try:
        return check_household(household, year)
    except MissingPovertyLine as exc:
        raise WorkflowError(exc) from exc


# --- guards: each returns None when the step may go on, else the reason it may not ------------------------

ELIGIBLE_STATUSES = {
    Kind.EXIT: (Status.NOT_EXITED, Status.RETURNED),
    Kind.IDENTIFICATION: (Status.CANDIDATE,),
    Kind.RETURN: (Status.EXITED_WITH_POLICY, Status.EXITED),
    Kind.REMOVAL: (Status.NOT_EXITED, Status.RETURNED, Status.EXITED_WITH_POLICY, Status.EXITED),
}

# On approval: the household's new status, and the field that takes the case year.
RESULTS = {
    Kind.EXIT: (Status.EXITED_WITH_POLICY, "exit_year"),
    Kind.IDENTIFICATION: (Status.NOT_EXITED, "year_identified"),
    Kind.RETURN: (Status.RETURNED, None),
    Kind.REMOVAL: (Status.REMOVED, None),
}


def status_allows(attempt: Attempt) -> str | None:
    household, kind = attempt.case.household, attempt.case.kind
    if household.status in ELIGIBLE_STATUSES[kind]:
        return None
    return _("该户当前状态为“%(status)s”,不能办理%(kind)s。") % {
        "status": household.get_status_display(), "kind": Kind(kind).label,
    }


def reason_given(attempt: Attempt) -> str | None:
    case = attempt.case
    if case.kind in (Kind.RETURN, Kind.REMOVAL) and not case.reason.strip():
        return _("%(kind)s须写明原因。") % {"kind": Kind(case.kind).label}
    return None


def check_passes(attempt: Attempt) -> str | None:
    """Exit cases only: the household check passes, or a county user lets its failures pass with a reason.

    A household the check cannot assess (data gaps) never goes on: no reason can stand in for missing facts.
    """
    if attempt.case.kind != Kind.EXIT:
        return None
    try:
        verdict = attempt.verdict
    except WorkflowError as exc:
        return exc.messages[0]
    if verdict.gaps:
        summary = ";".join(f"{gap.label}:{gap.detail}" for gap in verdict.gaps)
        return _("无法评估(%(summary)s),请先补全登记信息后再办理。") % {"summary": summary}
    failing = {failure.code for failure in verdict.failures}
    if verdict.passed or failing <= attempt.overridden_codes:
        return None
    if attempt.data.override_reason.strip() and may_override_check(attempt.user):
        return None
    summary = ";".join(f"{failure.label}:{failure.detail}" for failure in verdict.failures)
    return _("脱贫核查未通过(%(summary)s)。须由县扶贫办工作人员填写例外理由后方可继续。") % {"summary": summary}


def check_fails(attempt: Attempt) -> str | None:
    """An override is only for a household whose check currently fails."""
    try:
        passed = attempt.verdict.passed
    except WorkflowError as exc:
        return exc.messages[0]
    if passed:
        return _("该户脱贫核查已通过,无需例外。")
    return None


def notice_elapsed(attempt: Attempt) -> str | None:
    case = attempt.case
    if case.notice_end is None:
        return _("尚未公示。")
    if attempt.today <= case.notice_end:
        return _("公示期至%(end)s止,尚未期满,不能审批。") % {"end": case.notice_end.isoformat()}
    return None


def objections_settled(attempt: Attempt) -> str | None:
    outcomes = list(attempt.case.objections.values_list("outcome", flat=True))
    unresolved = outcomes.count("")
    if unresolved:
        return _("尚有%(n)s条公示异议未处理。") % {"n": unresolved}
    if ObjectionOutcome.UPHELD in outcomes:
        return _("公示异议成立,只能作不通过处理。")
    return None


# --- the table ---------------------------------------------------------------------------------------------

ALL_KINDS = frozenset(Kind.values)
NOTICED_KINDS = frozenset({Kind.EXIT, Kind.IDENTIFICATION, Kind.REMOVAL})
NOTICE_RUNNING = (State.NOTICE, State.SIGNED)
NEW = ""  # the source "state" of a proposal


@dataclass(frozen=True)
class Transition:
    step: str
    kinds: frozenset
    sources: tuple  # states the step starts from
    target: str | None  # None: the state stays (objections, check overrides)
    guards: tuple[Callable[[Attempt], str | None], ...] = ()
    rejectable: bool = False  # a "不通过" outcome ends the case (guards do not apply to it)


TRANSITIONS = (
    Transition(Step.PROPOSE, ALL_KINDS, (NEW,), State.PROPOSED, (status_allows, reason_given, check_passes)),
    Transition(Step.VILLAGE_REVIEW, ALL_KINDS, (State.PROPOSED,), State.VILLAGE_REVIEWED, (check_passes,), True),
    Transition(
        Step.TOWNSHIP_REVIEW, ALL_KINDS, (State.VILLAGE_REVIEWED,), State.TOWNSHIP_REVIEWED, (check_passes,), True
    ),
    Transition(Step.NOTICE, NOTICED_KINDS, (State.TOWNSHIP_REVIEWED,), State.NOTICE, (check_passes,)),
    Transition(Step.OBJECTION, NOTICED_KINDS, NOTICE_RUNNING, None),
    Transition(Step.RESOLVE_OBJECTION, NOTICED_KINDS, NOTICE_RUNNING, None),
    Transition(Step.AGREEMENT, frozenset({Kind.EXIT}), (State.NOTICE,), State.SIGNED, (check_passes,)),
    Transition(
        Step.APPROVAL, frozenset({Kind.EXIT}), (State.SIGNED,), State.APPROVED,
        (status_allows, notice_elapsed, objections_settled, check_passes), True,
    ),
    Transition(
        Step.APPROVAL, frozenset({Kind.IDENTIFICATION, Kind.REMOVAL}), (State.NOTICE,), State.APPROVED,
        (status_allows, notice_elapsed, objections_settled), True,
    ),
    Transition(Step.APPROVAL, frozenset({Kind.RETURN}), (State.TOWNSHIP_REVIEWED,), State.APPROVED, (status_allows,), True),
    Transition(Step.OVERRIDE, frozenset({Kind.EXIT}), tuple(State.open()), None, (check_fails,)),
)

# Steps with their own forms and functions (objections), not offered as generic step buttons.
OBJECTION_STEPS = (Step.OBJECTION, Step.RESOLVE_OBJECTION)
# Steps that record the date of the meeting or decision (the notice: its first day).
DATED_STEPS = (Step.VILLAGE_REVIEW, Step.TOWNSHIP_REVIEW, Step.NOTICE, Step.AGREEMENT, Step.APPROVAL)


def transition_for(case: Case, step: str) -> Transition | None:
    state = case.state if case.pk else NEW
    return next((t for t in TRANSITIONS if t.step == step and case.kind in t.kinds and state in t.sources), None)


def available_steps(case: Case, user) -> list[Transition]:
    """The steps this user's role may take on the case in its present state (scope is the caller's check)."""
    return [
        t for t in TRANSITIONS
        if t.step != Step.PROPOSE and case.kind in t.kinds and case.state in t.sources and may(user, t.step)
    ]


def notice_days() -> int:
    return settings.REVIEW_NOTICE_DAYS


# --- taking steps ------------------------------------------------------------------------------------------


def propose(household: Household, kind: str, year: int, user, *, reason: str = "", data: StepInput | None = None,
            run_id: int | None = None, run_label: str = "", today: datetime.date | None = None) -> Case:
    """Open a case on a household inside the user's capture scope."""
    data = data or StepInput()
    case = Case(household=household, kind=kind, year=year, reason=reason.strip(), run_id=run_id,
                run_label=run_label, created_by=user)
    with transaction.atomic():
        _authorize(user, Step.PROPOSE, Household.objects.filter(pk=household.pk))
        if Case.objects.open().filter(household=household).exists():
            raise WorkflowError(_("该户已有进行中的审核案件。"))
        attempt = _attempt(case, Step.PROPOSE, user, data, today)
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError as exc:  # a concurrent proposal got there first
            raise WorkflowError(_("该户已有进行中的审核案件。")) from exc
        _record(attempt, NEW, State.PROPOSED)
    return case


def exit_candidates(run, user):
    """Households that passed in `run`, may exit (status), have no open case and lie in the user's capture scope.

    Passed means nothing failed and nothing could not be assessed: a household with a data gap is never proposed.
    """
    passed = run.household_results.filter(passed=True).values("household_id")
    return (
        Household.objects.restrict(user, "change")
        .filter(pk__in=passed, status__in=ELIGIBLE_STATUSES[Kind.EXIT])
        .exclude(pk__in=Case.objects.open().values("household_id"))
    )


def propose_exits_from_run(run, user) -> int:
    """Open an exit case for every household exit_candidates() finds, in bulk; returns how many.

    The run's stored verdict stands in for check_passes at the proposal; every later
    step checks the household again.
    """
    if not may(user, Step.PROPOSE):
        raise PermissionDenied
    if run.state != JobState.DONE:
        raise WorkflowError(_("该检测尚未完成。"))
    label = str(run)
    note = _("由退出检测 #%(pk)s 批量提议(检测时达标)") % {"pk": run.pk}
    with transaction.atomic():
        household_ids = list(exit_candidates(run, user).values_list("pk", flat=True))
        try:
            with transaction.atomic():
                cases = Case.objects.bulk_create([
                    Case(household_id=pk, kind=Kind.EXIT, year=run.year, run_id=run.pk, run_label=label,
                         created_by=user)
                    for pk in household_ids
                ], batch_size=1000)
        except IntegrityError as exc:  # someone opened a case meanwhile
            raise WorkflowError(_("有农户刚被他人提议,请重试。")) from exc
        CaseStep.objects.bulk_create([
            CaseStep(case=case, step=Step.PROPOSE, from_state=NEW, to_state=State.PROPOSED, note=note,
                     check_passed=True, actor=user)
            for case in cases
        ], batch_size=1000)
    return len(cases)



def identification_candidates(round_, user):
    """Households an identification round added that are still 待识别, have no open case and lie in the user's
    capture scope (identification.models.IdentificationRound.waiting_households)."""
    return round_.waiting_households(user).exclude(pk__in=Case.objects.open().values("household_id"))


def propose_identifications_from_round(round_, user) -> int:
    """Open a 识别纳入 case with propose() for every household identification_candidates() finds; returns how many.

    All or none: a household someone proposed meanwhile stops the whole batch (WorkflowError), to be tried again.
    """
    if not may(user, Step.PROPOSE):
        raise PermissionDenied
    label = round_.audit_reason[:120]
    data = StepInput(note=_("由识别批次 #%(pk)s 批量提议") % {"pk": round_.pk})
    with transaction.atomic():
        households = list(identification_candidates(round_, user))
        for household in households:
            propose(household, Kind.IDENTIFICATION, round_.year, user, data=data, run_label=label)
    return len(households)

def advance(case: Case, step: str, user, data: StepInput | None = None, today: datetime.date | None = None) -> CaseStep:
    """Take a state step (review, notice, agreement, approval) or record a check override."""
    data = data or StepInput()
    if step in OBJECTION_STEPS or step == Step.PROPOSE:
        raise ValueError(f"{step} has its own function")
    with transaction.atomic():
        case = _locked(case, user, step)
        attempt = _attempt(case, step, user, data, today)
        transition = attempt.transition
        outcome = data.outcome if transition.rejectable else ""
        target = State.REJECTED if outcome == Outcome.REJECTED else (transition.target or case.state)
        source = case.state
        if step == Step.NOTICE:
            case.notice_start = data.decided_on
            case.notice_end = data.decided_on + datetime.timedelta(days=notice_days() - 1)
        case.state = target
        case.save()
        recorded = _record(attempt, source, target, outcome)
        if target == State.APPROVED:
            _apply_result(case, user)
    return recorded


def raise_objection(case: Case, user, *, raised_on: datetime.date, content: str, raised_by: str = "",
                    today: datetime.date | None = None) -> Objection:
    with transaction.atomic():
        case = _locked(case, user, Step.OBJECTION)
        attempt = _attempt(case, Step.OBJECTION, user, StepInput(decided_on=raised_on, note=content), today)
        objection = Objection.objects.create(case=case, raised_on=raised_on, raised_by=raised_by, content=content)
        _record(attempt, case.state, case.state)
    return objection


def resolve_objection(objection: Objection, user, *, outcome: str, resolution: str, resolved_on: datetime.date,
                      today: datetime.date | None = None) -> Objection:
    with transaction.atomic():
        case = _locked(objection.case, user, Step.RESOLVE_OBJECTION)
        objection = Objection.objects.select_for_update().get(pk=objection.pk, case=case)
        if objection.is_resolved:
            raise WorkflowError(_("该异议已处理。"))
        note = f"{ObjectionOutcome(outcome).label}:{resolution}"
        attempt = _attempt(case, Step.RESOLVE_OBJECTION, user, StepInput(decided_on=resolved_on, note=note), today)
        objection.outcome, objection.resolution = outcome, resolution
        objection.resolved_on, objection.resolved_by = resolved_on, user
        objection.save()
        _record(attempt, case.state, case.state)
    return objection


def _authorize(user, step: str, in_scope) -> None:
    """Role, then capture scope; `in_scope` is a queryset of the one object (household or case)."""
    if not may(user, step) or not in_scope.restrict(user, "change").exists():
        raise PermissionDenied


def _locked(case: Case, user, step: str) -> Case:
    _authorize(user, step, Case.objects.filter(pk=case.pk))
    return Case.objects.select_for_update().select_related("household").get(pk=case.pk)


def _attempt(case: Case, step: str, user, data: StepInput, today) -> Attempt:
    """Check the transition applies, the entry is complete, and (for a passing outcome) every guard."""
    today = today or timezone.localdate()
    transition = transition_for(case, step)
    if transition is None:
        raise WorkflowError(_("案件当前状态(%(state)s)下不能办理“%(step)s”。") % {
            "state": case.get_state_display() if case.pk else "—", "step": Step(step).label,
        })
    attempt = Attempt(case, user, data, today, transition)
    problems = []
    if step in DATED_STEPS and not data.decided_on:
        problems.append(_("请填写日期。"))
    if data.decided_on and data.decided_on > today:
        problems.append(_("日期不能晚于今天。"))
    if step == Step.OVERRIDE and not data.override_reason.strip():
        problems.append(_("须填写核查例外理由。"))
    if data.attachment:
        try:
            validate_scan(data.attachment)
        except ValidationError as exc:
            problems += exc.messages
    if data.override_reason.strip() and not may_override_check(user):
        problems.append(_("只有县扶贫办工作人员可以填写核查例外理由。"))
    if transition.rejectable and data.outcome == Outcome.REJECTED:
        if not data.note.strip():
            problems.append(_("不通过须填写说明。"))
    else:
        problems += [message for guard in transition.guards if (message := guard(attempt))]
    if problems:
        raise WorkflowError(*problems)
    return attempt


def _record(attempt: Attempt, source: str, target: str, outcome: str = "") -> CaseStep:
    case, data, step = attempt.case, attempt.data, attempt.transition.step
    values = {}
    verdict = None
    if case.kind == Kind.EXIT and step not in OBJECTION_STEPS:
        try:
            verdict = attempt.verdict
        except WorkflowError:  # no poverty line for the year: only a rejection gets this far
            pass
    if verdict is not None:
        values = {
            "check_passed": verdict.passed,
            # Failures, then gaps (marked "gap": the check could not judge that criterion).
            "check_failures": [
                {"code": f.code, "label": str(f.label), "detail": str(f.detail)} for f in verdict.failures
            ] + [
                {"code": g.code, "label": str(g.label), "detail": str(g.detail), "gap": True} for g in verdict.gaps
            ],
        }
        if not verdict.passed:
            values["override_reason"] = data.override_reason.strip()
    recorded = CaseStep(
        case=case, step=step, from_state=source, to_state=target, outcome=outcome, decided_on=data.decided_on,
        note=data.note.strip(), actor=attempt.user, **values,
    )
    if data.attachment:
        recorded.attachment_name = data.attachment.name[:200]
        recorded.attachment = data.attachment
    recorded.save()
    return recorded


def _apply_result(case: Case, user) -> None:
    """The approved case changes the household; the history row names the case."""
    status, year_field = RESULTS[case.kind]
    household = Household.objects.select_for_update().get(pk=case.household_id)
    household.status = status
    fields = ["status", "updated_at"]
    if year_field:
        setattr(household, year_field, case.year)
        fields.append(year_field)
    household._change_reason = _("审核案件#%(pk)s:%(kind)s(%(year)s年)县审批公告") % {
        "pk": case.pk, "kind": case.get_kind_display(), "year": case.year,
    }
    household._history_user = user
    household.save(update_fields=fields)
