"""Review pages: every step × every role (allowed, 403 or 404), lists, the notice list, the household panel."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exits.services import create_run
from households import choices
from households.choices import Status
from households.models import Household
from povertyapp.jobs import JobState
from povertyapp.masking import mask_id_number
from reviews import workflow
from reviews.choices import Kind, ObjectionOutcome, State, Step
from reviews.models import Case, CaseStep, Objection

from . import factories
from .reviews_support import YEAR, case_at, exit_ready  # noqa: F401 -- exit_ready is a fixture

ROLES = ["county_staff", "township_cadre", "first_secretary", "pairing_cadre", "auditor"]

# The specification, written out independently of reviews.permissions: who may take each step.
ALLOWED = {
    Step.PROPOSE: {"county_staff", "township_cadre", "first_secretary"},
    Step.VILLAGE_REVIEW: {"township_cadre", "first_secretary"},
    Step.TOWNSHIP_REVIEW: {"township_cadre"},
    Step.NOTICE: {"township_cadre", "county_staff"},
    Step.OBJECTION: {"township_cadre", "county_staff"},
    Step.RESOLVE_OBJECTION: {"township_cadre", "county_staff"},
    Step.AGREEMENT: {"first_secretary", "township_cadre", "county_staff"},
    Step.APPROVAL: {"county_staff"},
    Step.OVERRIDE: {"county_staff"},
}
# The state a case must be in for each step, and the state it reaches (None: a record, state unchanged).
SETUP = {
    Step.VILLAGE_REVIEW: (State.PROPOSED, State.VILLAGE_REVIEWED),
    Step.TOWNSHIP_REVIEW: (State.VILLAGE_REVIEWED, State.TOWNSHIP_REVIEWED),
    Step.NOTICE: (State.TOWNSHIP_REVIEWED, State.NOTICE),
    Step.OBJECTION: (State.NOTICE, None),
    Step.RESOLVE_OBJECTION: (State.NOTICE, None),
    Step.AGREEMENT: (State.NOTICE, State.SIGNED),
    Step.APPROVAL: (State.SIGNED, State.APPROVED),
    Step.OVERRIDE: (State.PROPOSED, None),
}
# For each scoped role, a household inside its view or capture area's township but outside its capture scope.
OUT_OF_SCOPE = [("township_cadre", "away"), ("first_secretary", "neighbour"), ("first_secretary", "away")]


def today():
    return timezone.localdate()


def request_for(step, household, county):
    """(url, POST data, a function telling whether the step took effect) for `step` on `household`."""
    day = today().isoformat()
    if step == Step.PROPOSE:
        url = reverse("reviews:propose", args=[household.pk, Kind.EXIT])
        return url, {"year": YEAR}, lambda: Case.objects.filter(household=household).exists()
    state, target = SETUP[step]
    case = case_at(household, state, county.users.county_staff)
    if step == Step.OBJECTION:
        data = {"raised_on": day, "content": "有异议"}
        return reverse("reviews:objection", args=[case.pk]), data, lambda: case.objections.exists()
    if step == Step.RESOLVE_OBJECTION:
        objection = Objection.objects.create(case=case, raised_on=today(), content="有异议")
        data = {"outcome": ObjectionOutcome.DISMISSED, "resolution": "经核实不成立", "resolved_on": day}
        url = reverse("reviews:resolve_objection", args=[objection.pk])
        return url, data, lambda: Objection.objects.get(pk=objection.pk).is_resolved
    url = reverse("reviews:step", args=[case.pk, step])
    if step == Step.OVERRIDE:
        Household.objects.filter(pk=household.pk).update(safe_drinking_water=False)
        return url, {"override_reason": "已接通自来水"}, lambda: case.steps.filter(step=step).exists()
    data = {"decided_on": day, "outcome": "passed", "note": ""}
    return url, data, lambda: Case.objects.get(pk=case.pk).state == target


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", list(ALLOWED))
def test_each_step_for_each_role_is_allowed_or_403(client, exit_ready, step, role):
    county = exit_ready
    client.force_login(getattr(county.users, role))
    url, data, took_effect = request_for(step, county.home, county)
    page = client.get(url)
    response = client.post(url, data)
    if role in ALLOWED[step]:
        assert page.status_code == 200
        assert response.status_code == 302, response.content.decode()[-1500:]
        assert took_effect()
    else:
        assert (page.status_code, response.status_code) == (403, 403)
        assert not took_effect()


@pytest.mark.parametrize("step, role, outside", [
    (step, role, outside) for step in ALLOWED for role, outside in OUT_OF_SCOPE if role in ALLOWED[step]
])
def test_each_step_outside_the_capture_scope_is_404(client, exit_ready, step, role, outside):
    county = exit_ready
    client.force_login(getattr(county.users, role))
    url, data, took_effect = request_for(step, getattr(county, outside), county)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    assert not took_effect()


def test_township_cadre_may_act_in_any_village_of_the_township(client, exit_ready):
    client.force_login(exit_ready.users.township_cadre)
    url, data, took_effect = request_for(Step.VILLAGE_REVIEW, exit_ready.neighbour, exit_ready)
    assert client.post(url, data).status_code == 302 and took_effect()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_case_in_its_area_with_only_its_own_buttons(client, exit_ready, role):
    case = case_at(exit_ready.home, State.PROPOSED, exit_ready.users.county_staff)
    client.force_login(getattr(exit_ready.users, role))
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    village_review = reverse("reviews:step", args=[case.pk, Step.VILLAGE_REVIEW])
    assert (village_review in html) == (role in ALLOWED[Step.VILLAGE_REVIEW])


def test_a_case_outside_the_view_scope_is_404(client, exit_ready):
    case = case_at(exit_ready.away, State.PROPOSED, exit_ready.users.county_staff)
    for role in ("township_cadre", "first_secretary", "pairing_cadre"):
        client.force_login(getattr(exit_ready.users, role))
        assert client.get(case.get_absolute_url()).status_code == 404


def test_approval_page_refuses_while_the_notice_runs(client, exit_ready):
    case = case_at(exit_ready.home, State.SIGNED, exit_ready.users.county_staff)
    Case.objects.filter(pk=case.pk).update(notice_start=today() - datetime.timedelta(days=2), notice_end=today() + datetime.timedelta(days=4))
    client.force_login(exit_ready.users.county_staff)
    response = client.post(reverse("reviews:step", args=[case.pk, Step.APPROVAL]),
                           {"decided_on": today().isoformat(), "outcome": "passed"})
    assert response.status_code == 200
    assert "尚未期满" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.SIGNED
    assert Household.objects.get(pk=exit_ready.home.pk).status == Status.NOT_EXITED


def test_a_failed_check_is_shown_and_only_county_staff_get_the_override_field(client, exit_ready):
    Household.objects.filter(pk=exit_ready.home.pk).update(safe_drinking_water=False)
    url = reverse("reviews:propose", args=[exit_ready.home.pk, Kind.EXIT])
    client.force_login(exit_ready.users.township_cadre)
    page = client.get(url).content.decode()
    assert "饮水不安全" in page and 'name="override_reason"' not in page
    refused = client.post(url, {"year": YEAR}).content.decode()
    assert "脱贫核查未通过" in refused and not Case.objects.exists()

    client.force_login(exit_ready.users.county_staff)
    assert 'name="override_reason"' in client.get(url).content.decode()
    assert client.post(url, {"year": YEAR, "override_reason": "已接通自来水"}).status_code == 302
    assert CaseStep.objects.get().override_reason == "已接通自来水"


@pytest.mark.parametrize("kind, start", [(Kind.RETURN, Status.EXITED_WITH_POLICY), (Kind.REMOVAL, Status.NOT_EXITED)])
def test_return_and_removal_forms_require_a_reason(client, exit_ready, kind, start):
    Household.objects.filter(pk=exit_ready.home.pk).update(status=start, exit_year=2015)
    client.force_login(exit_ready.users.township_cadre)
    url = reverse("reviews:propose", args=[exit_ready.home.pk, kind])
    assert client.post(url, {"year": YEAR, "reason": ""}).status_code == 200
    assert not Case.objects.exists()
    assert client.post(url, {"year": YEAR, "reason": "因病返贫"}).status_code == 302
    assert Case.objects.get().reason == "因病返贫"


def test_the_notice_list_shows_number_head_and_village_and_no_personal_data(client, exit_ready):
    home = exit_ready.home
    Household.objects.filter(pk=home.pk).update(phone="13912345678", bank_account="6228480012345678901")
    head = home.members.get(relation=choices.Relation.HEAD)
    spouse = home.members.get(relation=choices.Relation.SPOUSE)
    spouse.health = choices.Health.SERIOUS
    spouse.save()
    case_at(home, State.NOTICE, exit_ready.users.county_staff)
    case_at(exit_ready.away, State.NOTICE, exit_ready.users.county_staff)
    client.force_login(exit_ready.users.township_cadre)

    html = client.get(reverse("reviews:notice_list")).content.decode()
    assert home.number in html and head.name in html and home.village.name in html
    assert exit_ready.away.number not in html  # another township
    secrets = [head.id_number, spouse.id_number, mask_id_number(head.id_number), "13912345678", "139****5678",
               "6228480012345678901", "8901", "患有大病", spouse.get_health_display()]
    assert [secret for secret in secrets if secret in html] == []
    filtered = client.get(reverse("reviews:notice_list"), {"village": exit_ready.villages[2].pk}).content.decode()
    assert home.number not in filtered


def test_waiting_lists_count_and_list_only_the_users_area_without_a_query_per_row(client, exit_ready):
    staff = exit_ready.users.county_staff
    case_at(exit_ready.home, State.PROPOSED, staff)
    case_at(exit_ready.neighbour, State.PROPOSED, staff)
    case_at(exit_ready.away, State.PROPOSED, staff)
    client.force_login(exit_ready.users.township_cadre)

    index = client.get(reverse("reviews:index"))
    assert index.status_code == 200
    url = reverse("reviews:waiting", args=[State.PROPOSED])
    with CaptureQueriesContext(connection) as few:
        html = client.get(url).content.decode()
    assert exit_ready.home.number in html and exit_ready.neighbour.number in html
    assert exit_ready.away.number not in html
    head = exit_ready.home.members.get(relation=choices.Relation.HEAD)
    assert head.name in html

    for _ in range(5):
        case_at(factories.household(exit_ready.villages[0]), State.PROPOSED, staff)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count("办理</a>") == 7
    assert len(many) == len(few)
    assert client.get(reverse("reviews:waiting", args=["nonsense"])).status_code == 404


def test_the_household_panel_offers_proposals_to_capture_roles_only(client, exit_ready):
    url = exit_ready.home.get_absolute_url()
    propose = reverse("reviews:propose", args=[exit_ready.home.pk, Kind.EXIT])
    client.force_login(exit_ready.users.first_secretary)
    html = client.get(url).content.decode()
    assert propose in html
    assert reverse("reviews:propose", args=[exit_ready.home.pk, Kind.RETURN]) not in html  # not exited
    client.force_login(exit_ready.users.auditor)
    assert propose not in client.get(url).content.decode()

    case = case_at(exit_ready.home, State.PROPOSED, exit_ready.users.county_staff)
    client.force_login(exit_ready.users.first_secretary)
    html = client.get(url).content.decode()
    assert case.get_absolute_url() in html and propose not in html

    candidate = factories.household(exit_ready.villages[0], status=Status.CANDIDATE)
    html = client.get(candidate.get_absolute_url()).content.decode()
    offered = [kind for kind in Kind.values if reverse("reviews:propose", args=[candidate.pk, kind]) in html]
    assert offered == [Kind.IDENTIFICATION]


def test_attachments_are_served_only_inside_the_view_scope(client, exit_ready, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = case_at(exit_ready.home, State.NOTICE, exit_ready.users.county_staff)
    client.force_login(exit_ready.users.first_secretary)
    scan = SimpleUploadedFile("签字页.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="image/png")
    response = client.post(reverse("reviews:step", args=[case.pk, Step.AGREEMENT]),
                           {"decided_on": today().isoformat(), "attachment": scan})
    assert response.status_code == 302
    step = case.steps.get(step=Step.AGREEMENT)
    download = reverse("reviews:attachment", args=[step.pk])

    client.force_login(exit_ready.users.auditor)
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    stranger = factories.user("township_cadre", township=exit_ready.townships[1])
    client.force_login(stranger)
    assert client.get(download).status_code == 404


def test_a_bad_scan_is_refused_by_the_form(client, exit_ready):
    case = case_at(exit_ready.home, State.NOTICE, exit_ready.users.county_staff)
    client.force_login(exit_ready.users.first_secretary)
    fake = SimpleUploadedFile("签字页.jpg", b"GIF89a....", content_type="image/jpeg")
    response = client.post(reverse("reviews:step", args=[case.pk, Step.AGREEMENT]),
                           {"decided_on": today().isoformat(), "attachment": fake})
    assert response.status_code == 200 and "PDF、JPEG或PNG" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.NOTICE


def test_the_page_flow_ends_in_exited_with_policy(client, exit_ready):
    """The same path as the browser test, through the pages: county staff and the township cadre."""
    home, users = exit_ready.home, exit_ready.users
    client.force_login(users.township_cadre)
    client.post(reverse("reviews:propose", args=[home.pk, Kind.EXIT]), {"year": YEAR})
    case = Case.objects.get(household=home)
    day = today().isoformat()
    for step in (Step.VILLAGE_REVIEW, Step.TOWNSHIP_REVIEW):
        client.post(reverse("reviews:step", args=[case.pk, step]), {"decided_on": day, "outcome": "passed"})
    start = (today() - datetime.timedelta(days=workflow.notice_days())).isoformat()
    client.post(reverse("reviews:step", args=[case.pk, Step.NOTICE]), {"decided_on": start})
    client.force_login(users.county_staff)
    client.post(reverse("reviews:step", args=[case.pk, Step.AGREEMENT]), {"decided_on": day})
    client.post(reverse("reviews:step", args=[case.pk, Step.APPROVAL]), {"decided_on": day, "outcome": "passed"})
    home.refresh_from_db()
    assert home.status == Status.EXITED_WITH_POLICY and home.exit_year == YEAR
    assert home.history.order_by("-history_id").first().history_user == users.county_staff


def test_exits_that_passed_in_a_run_are_proposed_in_bulk(client, exit_ready, django_capture_on_commit_callbacks):
    county = exit_ready
    Household.objects.filter(pk=county.neighbour.pk).update(safe_drinking_water=False)  # fails the run
    already = factories.household(county.villages[0])
    factories.income(already, year=YEAR)
    case_at(already, State.PROPOSED, county.users.county_staff)  # passes, but has an open case
    unknown = factories.household(county.villages[0])  # no 2016 income: cannot be assessed, never proposed
    with django_capture_on_commit_callbacks(execute=True):
        run = create_run(year=YEAR, county=county.townships[0].county, user=county.users.county_staff)
    run.refresh_from_db()
    assert run.state == JobState.DONE

    client.force_login(county.users.township_cadre)  # a county-wide run is not in a township cadre's view
    assert client.get(reverse("reviews:propose_from_run", args=[run.pk])).status_code == 404
    client.force_login(county.users.auditor)
    assert client.post(reverse("reviews:propose_from_run", args=[run.pk])).status_code == 403

    client.force_login(county.users.county_staff)
    assert reverse("reviews:propose_from_run", args=[run.pk]) in client.get(reverse("reviews:index")).content.decode()
    url = reverse("reviews:propose_from_run", args=[run.pk])
    response = client.get(url)
    page = response.content.decode()
    assert county.home.number in page and county.away.number in page
    assert county.neighbour.number not in page and already.number not in page and unknown.number not in page
    assert "本次检测未达标 1 户、无法评估(登记信息不全)1 户,均不提议。" in page
    token = response.context["confirmation"]["token"].value()

    # A bare POST, or one without the box ticked, creates nothing: the action needs its confirmation.
    assert client.post(url).status_code == 302 and not Case.objects.filter(run_id=run.pk).exists()
    assert "请先勾选确认" in client.post(url, {"token": token}, follow=True).content.decode()
    assert not Case.objects.filter(run_id=run.pk).exists()

    assert client.post(url, {"token": token, "confirmed": "on"}).status_code == 302
    proposed = Case.objects.filter(run_id=run.pk)
    assert set(proposed.values_list("household", flat=True)) == {county.home.pk, county.away.pk}
    assert all(case.year == YEAR and case.run_label == str(run) for case in proposed)
    assert CaseStep.objects.filter(case__in=proposed, step=Step.PROPOSE).count() == 2
    again = client.post(url, {"token": token, "confirmed": "on"}, follow=True)  # the same form sent twice
    assert "已经执行过" in again.content.decode()
    assert Case.objects.filter(run_id=run.pk).count() == 2


def test_a_bulk_proposal_confirmed_for_other_numbers_is_refused(client, exit_ready, django_capture_on_commit_callbacks):
    county = exit_ready
    with django_capture_on_commit_callbacks(execute=True):
        run = create_run(year=YEAR, county=county.townships[0].county, user=county.users.county_staff)
    client.force_login(county.users.county_staff)
    url = reverse("reviews:propose_from_run", args=[run.pk])
    token = client.get(url).context["confirmation"]["token"].value()
    case_at(county.home, State.PROPOSED, county.users.county_staff)  # meanwhile one was proposed by hand
    page = client.post(url, {"token": token, "confirmed": "on"}, follow=True).content.decode()
    assert "数据已有变化" in page
    assert not Case.objects.filter(run_id=run.pk).exists()
