"""The review state machine (reviews.workflow): happy paths, guards, overrides, reasons, audit rows."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from households.choices import Status
from households.models import Household
from reviews import workflow
from reviews.choices import Kind, ObjectionOutcome, Outcome, State, Step
from reviews.models import Case, CaseStep
from reviews.workflow import StepInput, WorkflowError

from . import factories
from .reviews_support import PDF, YEAR, exit_ready  # noqa: F401 -- exit_ready is a fixture

TODAY = datetime.date(2016, 11, 20)


def on(day_offset: int) -> StepInput:
    return StepInput(decided_on=TODAY + datetime.timedelta(days=day_offset))


@pytest.fixture
def home(exit_ready):
    return exit_ready.home


def to_notice(case, users, start=TODAY - datetime.timedelta(days=10)):
    """Village review, township review and the notice (starting `start`), each by a role that may."""
    workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, on(-20), today=TODAY)
    workflow.advance(case, Step.TOWNSHIP_REVIEW, users.township_cadre, on(-15), today=TODAY)
    workflow.advance(case, Step.NOTICE, users.township_cadre, StepInput(decided_on=start), today=TODAY)
    case.refresh_from_db()
    return case


def exit_to_signed(household, users, **notice):
    case = workflow.propose(household, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    to_notice(case, users, **notice)
    workflow.advance(case, Step.AGREEMENT, users.first_secretary, on(-5), today=TODAY)
    case.refresh_from_db()
    return case


def test_the_full_exit_path_sets_exited_with_policy_and_writes_history(county, home):
    users = county.users
    case = exit_to_signed(home, users)
    assert case.state == State.SIGNED and home.status == Status.NOT_EXITED
    workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)

    case.refresh_from_db()
    home.refresh_from_db()
    assert case.state == State.APPROVED
    assert home.status == Status.EXITED_WITH_POLICY and home.exit_year == YEAR
    latest = home.history.order_by("-history_id").first()
    assert latest.status == Status.EXITED_WITH_POLICY
    assert f"审核案件#{case.pk}" in latest.history_change_reason
    assert latest.history_user == users.county_staff
    steps = list(case.steps.values_list("step", "from_state", "to_state", "actor"))
    assert steps == [
        (Step.PROPOSE, "", State.PROPOSED, users.township_cadre.pk),
        (Step.VILLAGE_REVIEW, State.PROPOSED, State.VILLAGE_REVIEWED, users.first_secretary.pk),
        (Step.TOWNSHIP_REVIEW, State.VILLAGE_REVIEWED, State.TOWNSHIP_REVIEWED, users.township_cadre.pk),
        (Step.NOTICE, State.TOWNSHIP_REVIEWED, State.NOTICE, users.township_cadre.pk),
        (Step.AGREEMENT, State.NOTICE, State.SIGNED, users.first_secretary.pk),
        (Step.APPROVAL, State.SIGNED, State.APPROVED, users.county_staff.pk),
    ]
    assert all(step.check_passed for step in case.steps.all())


def test_the_notice_runs_seven_days_and_approval_waits_until_they_have_passed(county, home):
    users = county.users
    start = TODAY - datetime.timedelta(days=6)  # TODAY is the notice's seventh and last day
    case = exit_to_signed(home, users, start=start)
    assert (case.notice_start, case.notice_end) == (start, TODAY)

    with pytest.raises(WorkflowError) as refused:
        workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)
    assert "尚未期满" in refused.value.messages[0]
    case.refresh_from_db()
    assert case.state == State.SIGNED
    assert not case.steps.filter(step=Step.APPROVAL).exists()

    tomorrow = TODAY + datetime.timedelta(days=1)
    workflow.advance(case, Step.APPROVAL, users.county_staff, StepInput(decided_on=tomorrow), today=tomorrow)
    home.refresh_from_db()
    assert home.status == Status.EXITED_WITH_POLICY


def test_notice_length_comes_from_settings(county, home, settings):
    settings.REVIEW_NOTICE_DAYS = 10
    case = workflow.propose(home, Kind.EXIT, YEAR, county.users.township_cadre, today=TODAY)
    case = to_notice(case, county.users, start=TODAY)
    assert case.notice_end == TODAY + datetime.timedelta(days=9)


def test_an_unresolved_objection_blocks_approval_until_it_is_resolved(county, home):
    users = county.users
    case = exit_to_signed(home, users)
    objection = workflow.raise_objection(
        case, users.township_cadre, raised_on=TODAY - datetime.timedelta(days=3), content="收入有隐瞒", today=TODAY
    )
    with pytest.raises(WorkflowError) as refused:
        workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)
    assert "1条公示异议未处理" in refused.value.messages[0]

    workflow.resolve_objection(
        objection, users.county_staff, outcome=ObjectionOutcome.DISMISSED, resolution="经核实收入属实",
        resolved_on=TODAY, today=TODAY,
    )
    workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)
    case.refresh_from_db()
    assert case.state == State.APPROVED
    assert list(case.steps.filter(step__in=workflow.OBJECTION_STEPS).values_list("step", flat=True)) == [
        Step.OBJECTION, Step.RESOLVE_OBJECTION,
    ]


def test_an_upheld_objection_allows_only_rejection(county, home):
    users = county.users
    case = exit_to_signed(home, users)
    objection = workflow.raise_objection(case, users.county_staff, raised_on=TODAY, content="有车辆", today=TODAY)
    workflow.resolve_objection(
        objection, users.township_cadre, outcome=ObjectionOutcome.UPHELD, resolution="属实", resolved_on=TODAY,
        today=TODAY,
    )
    with pytest.raises(WorkflowError, match="只能作不通过处理"):
        workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)
    workflow.advance(
        case, Step.APPROVAL, users.county_staff,
        StepInput(outcome=Outcome.REJECTED, decided_on=TODAY, note="异议成立"), today=TODAY,
    )
    case.refresh_from_db()
    home.refresh_from_db()
    assert case.state == State.REJECTED and home.status == Status.NOT_EXITED


def test_a_failed_check_blocks_every_step_unless_county_staff_override_with_a_reason(county, home):
    users = county.users
    Household.objects.filter(pk=home.pk).update(safe_drinking_water=False)
    home.refresh_from_db()

    with pytest.raises(WorkflowError, match="饮水"):
        workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    assert not Case.objects.exists()
    with pytest.raises(WorkflowError, match="只有县扶贫办工作人员"):
        workflow.propose(
            home, Kind.EXIT, YEAR, users.township_cadre, data=StepInput(override_reason="已通自来水"), today=TODAY
        )

    case = workflow.propose(
        home, Kind.EXIT, YEAR, users.county_staff, data=StepInput(override_reason="水管已接通,待复核登记"), today=TODAY
    )
    proposal = case.steps.get()
    assert proposal.check_passed is False
    assert proposal.override_reason == "水管已接通,待复核登记"
    assert [failure["code"] for failure in proposal.check_failures] == ["water"]

    # The override covers the failures it named: the first secretary may go on.
    workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, on(-1), today=TODAY)
    # A new failure was never overridden: blocked again.
    Household.objects.filter(pk=home.pk).update(food_and_clothing_secure=False)
    case.household.refresh_from_db()
    with pytest.raises(WorkflowError, match="吃穿"):
        workflow.advance(case, Step.TOWNSHIP_REVIEW, users.township_cadre, on(0), today=TODAY)

    workflow.advance(case, Step.OVERRIDE, users.county_staff, StepInput(override_reason="已发放生活补助"), today=TODAY)
    workflow.advance(case, Step.TOWNSHIP_REVIEW, users.township_cadre, on(0), today=TODAY)
    case.refresh_from_db()
    assert case.state == State.TOWNSHIP_REVIEWED


def test_a_household_that_cannot_be_assessed_is_never_proposed_even_with_a_reason(county, home):
    users = county.users
    home.incomes.filter(year=YEAR).delete()  # no income row for the year: 无法评估
    for data in (StepInput(), StepInput(override_reason="收入已核实")):
        with pytest.raises(WorkflowError, match="无法评估.*无2016年度收入记录"):
            workflow.propose(home, Kind.EXIT, YEAR, users.county_staff, data=data, today=TODAY)
    assert not Case.objects.exists()


def test_a_gap_that_opens_mid_case_blocks_the_next_step_and_the_record_keeps_it(county, home):
    users = county.users
    case = workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    Household.objects.filter(pk=home.pk).update(housing_grade="", was_dangerous_house=None, house_renovated=False)
    case.household.refresh_from_db()
    with pytest.raises(WorkflowError, match="无法评估"):
        workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, on(-1), today=TODAY)
    rejection = StepInput(outcome=Outcome.REJECTED, note="住房待核", decided_on=TODAY)
    workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, rejection, today=TODAY)
    step = case.steps.latest("pk")
    assert {"code": "housing", "gap": True}.items() <= step.check_failures[-1].items()
    assert step.check_passed is False


def test_an_override_needs_a_reason_and_a_failing_check(county, home):
    users = county.users
    case = workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    with pytest.raises(WorkflowError, match="无需例外"):
        workflow.advance(case, Step.OVERRIDE, users.county_staff, StepInput(override_reason="x"), today=TODAY)
    Household.objects.filter(pk=home.pk).update(safe_drinking_water=False)
    with pytest.raises(WorkflowError, match="须填写核查例外理由"):
        workflow.advance(case, Step.OVERRIDE, users.county_staff, StepInput(), today=TODAY)
    with pytest.raises(PermissionDenied):
        workflow.advance(case, Step.OVERRIDE, users.township_cadre, StepInput(override_reason="x"), today=TODAY)


def test_a_year_without_a_poverty_line_blocks_exit_with_a_message(county, home):
    with pytest.raises(WorkflowError, match="未设置1999年度"):
        workflow.propose(home, Kind.EXIT, 1999, county.users.county_staff, today=TODAY)


@pytest.mark.parametrize("kind, status, start", [
    (Kind.RETURN, Status.RETURNED, Status.EXITED_WITH_POLICY),
    (Kind.REMOVAL, Status.REMOVED, Status.NOT_EXITED),
])
def test_return_and_removal_need_a_reason_and_end_in_their_status(county, home, kind, status, start):
    users = county.users
    Household.objects.filter(pk=home.pk).update(status=start, exit_year=2015)
    home.refresh_from_db()
    with pytest.raises(WorkflowError, match="须写明原因"):
        workflow.propose(home, kind, YEAR, users.township_cadre, reason="  ", today=TODAY)

    case = workflow.propose(home, kind, YEAR, users.township_cadre, reason="因病致贫,医疗支出大", today=TODAY)
    workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, on(-20), today=TODAY)
    workflow.advance(case, Step.TOWNSHIP_REVIEW, users.township_cadre, on(-15), today=TODAY)
    if kind == Kind.REMOVAL:  # removal is noticed publicly; a return is not
        workflow.advance(case, Step.NOTICE, users.county_staff, on(-10), today=TODAY)
    workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)

    home.refresh_from_db()
    assert home.status == status
    assert f"审核案件#{case.pk}" in home.history.order_by("-history_id").first().history_change_reason
    assert Case.objects.get(pk=case.pk).reason == "因病致贫,医疗支出大"


def test_identification_registers_a_candidate_as_not_exited(county):
    users = county.users
    candidate = factories.household(county.villages[0], status=Status.CANDIDATE, year_identified=2015)
    with pytest.raises(WorkflowError, match="不能办理脱贫"):
        workflow.propose(candidate, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    case = workflow.propose(candidate, Kind.IDENTIFICATION, YEAR, users.first_secretary, today=TODAY)
    to_notice(case, users)
    with pytest.raises(WorkflowError):  # identification has no household agreement step
        workflow.advance(case, Step.AGREEMENT, users.first_secretary, on(0), today=TODAY)
    workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)
    candidate.refresh_from_db()
    assert candidate.status == Status.NOT_EXITED and candidate.year_identified == YEAR


def test_a_rejected_village_review_ends_the_case_and_needs_a_note(county, home):
    users = county.users
    case = workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    with pytest.raises(WorkflowError, match="不通过须填写说明"):
        workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary,
                         StepInput(outcome=Outcome.REJECTED, decided_on=TODAY), today=TODAY)
    workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary,
                     StepInput(outcome=Outcome.REJECTED, decided_on=TODAY, note="评议未过半数"), today=TODAY)
    case.refresh_from_db()
    assert case.state == State.REJECTED
    assert case.steps.last().outcome == Outcome.REJECTED
    with pytest.raises(WorkflowError):
        workflow.advance(case, Step.TOWNSHIP_REVIEW, users.township_cadre, on(0), today=TODAY)
    # A closed case frees the household for a new proposal.
    assert workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY).pk != case.pk


def test_one_open_case_per_household(county, home):
    workflow.propose(home, Kind.EXIT, YEAR, county.users.township_cadre, today=TODAY)
    with pytest.raises(WorkflowError, match="已有进行中的审核案件"):
        workflow.propose(home, Kind.REMOVAL, YEAR, county.users.county_staff, reason="错评", today=TODAY)


def test_steps_out_of_order_or_dated_in_the_future_are_refused(county, home):
    users = county.users
    case = workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    with pytest.raises(WorkflowError, match="不能办理"):
        workflow.advance(case, Step.APPROVAL, users.county_staff, on(0), today=TODAY)
    with pytest.raises(WorkflowError, match="不能晚于今天"):
        workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, on(1), today=TODAY)
    with pytest.raises(WorkflowError, match="请填写日期"):
        workflow.advance(case, Step.VILLAGE_REVIEW, users.first_secretary, StepInput(), today=TODAY)
    assert CaseStep.objects.filter(case=case).count() == 1


def test_the_workflow_itself_refuses_roles_and_areas_it_does_not_allow(county, home):
    users = county.users
    with pytest.raises(PermissionDenied):
        workflow.propose(home, Kind.EXIT, YEAR, users.auditor, today=TODAY)
    with pytest.raises(PermissionDenied):  # the first secretary's capture scope is village A only
        workflow.propose(county.neighbour, Kind.EXIT, YEAR, users.first_secretary, today=TODAY)
    case = workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    with pytest.raises(PermissionDenied):
        workflow.advance(case, Step.VILLAGE_REVIEW, users.pairing_cadre, on(0), today=TODAY)
    stranger = factories.user("township_cadre", township=county.townships[1])
    with pytest.raises(PermissionDenied):
        workflow.advance(case, Step.VILLAGE_REVIEW, stranger, on(0), today=TODAY)


def test_a_scanned_agreement_is_stored_and_wrong_files_are_refused(county, home, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    users = county.users
    case = workflow.propose(home, Kind.EXIT, YEAR, users.township_cadre, today=TODAY)
    to_notice(case, users)
    fake = SimpleUploadedFile("签字页.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(WorkflowError, match="PDF、JPEG或PNG"):
        workflow.advance(case, Step.AGREEMENT, users.first_secretary,
                         StepInput(decided_on=TODAY, attachment=fake), today=TODAY)
    settings.REVIEW_ATTACHMENT_MAX_MB = 1
    big = SimpleUploadedFile("签字页.pdf", PDF + b"0" * (1024 * 1024), content_type="application/pdf")
    with pytest.raises(WorkflowError, match="不能超过1MB"):
        workflow.advance(case, Step.AGREEMENT, users.first_secretary,
                         StepInput(decided_on=TODAY, attachment=big), today=TODAY)

    page = SimpleUploadedFile("签字页.pdf", PDF, content_type="application/pdf")
    step = workflow.advance(case, Step.AGREEMENT, users.first_secretary,
                            StepInput(decided_on=TODAY, attachment=page), today=TODAY)
    assert step.attachment_name == "签字页.pdf"
    assert step.attachment.name.startswith(f"reviews/{case.pk}/") and step.attachment.name.endswith(".pdf")
    assert (tmp_path / step.attachment.name).read_bytes() == PDF
