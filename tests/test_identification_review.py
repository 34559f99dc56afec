"""What a round's preview promises and its commit does; new households through 识别纳入 review; the round's year."""
import datetime

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from households import choices
from households.models import Household, IncomeRecord, Member
from identification.choices import ChangeKind, RoundStatus
from identification.models import IdentificationRound
from identification.rules import has_id, member_key
from identification.services import validate_round
from reviews import workflow
from reviews.choices import Kind, State, Step
from reviews.models import Case

from . import factories
from .identification_workbooks import PERSON_HEADERS, RoundBuilder
from .test_identification import builder_with, checked_round, committed, media_in_tmp  # noqa: F401
from .test_identification_pages import upload


def active_members() -> set:
    """(household number, member key) of every active member."""
    return {
        (number, member_key(id_number, name, born))
        for number, id_number, name, born in Member.objects.filter(is_active=True).values_list(
            "household__number", "id_number", "name", "birth_date"
        )
    }


def numbers_of(round_, kind) -> set:
    return set(round_.changes.filter(kind=kind).values_list("household_number", flat=True))


def test_the_preview_summary_is_what_the_commit_does(county):
    user = county.users.township_cadre
    first = builder_with(county.villages[0], households=4, size=4)
    committed(checked_round(user, first.workbook()), user)
    second = RoundBuilder(seed=61)
    second.used_ids = first.used_ids
    kept, changed, shrunk, left_out = first.households
    second.households = [[dict(row) for row in rows] for rows in (kept, changed, shrunk)]
    kept_rows, changed_rows, shrunk_rows = second.households
    second.set_all(changed_rows, "工资性收入", 15000)
    moved = shrunk_rows.pop()
    shrunk_rows.pop()  # leaves the register
    changed_rows.append({**changed_rows[0], **{key: moved[key] for key in PERSON_HEADERS}})
    baby = {**kept_rows[0], **{key: "" for key in PERSON_HEADERS}, "姓名": "小宝", "性别": "男", "与户主关系": "之子",
            "证件号码": "户口待登记", "出生日期": "2023-09-09", "民族": "汉族", "在校生状况": "学龄前儿童",
            "健康状况": "健康"}
    kept_rows.append(baby)
    for rows in second.households:
        second.set_all(rows, "家庭人口数", len(rows))
    second.add_household("9800000000", county.villages[0].code, size=3)
    round_ = checked_round(user, second.workbook(), round_name="回头看")
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("row", "message"))
    households_before = set(Household.objects.values_list("number", flat=True))
    members_before = active_members()

    committed(round_, user)

    new = set(Household.objects.values_list("number", flat=True)) - households_before
    joined, gone = active_members() - members_before, members_before - active_members()
    moved_keys = {key for _number, key in joined} & {key for _number, key in gone}
    assert new == numbers_of(round_, ChangeKind.HOUSEHOLD_NEW) == {"9800000000"} and round_.new_households == 1
    assert round_.persons_added == len(joined) - len(moved_keys) == 3 + 1  # the new household's and the baby
    assert round_.persons_removed == len(gone) - len(moved_keys) == 1
    assert round_.persons_moved == len(moved_keys) == 1
    added = {(number, key if has_id(key) else key.split("#")[0]) for number, key in joined if key not in moved_keys}
    listed = round_.changes.filter(kind=ChangeKind.PERSON_ADDED)
    assert added == {(change.household_number, change.id_number or change.name) for change in listed}
    reason = round_.audit_reason
    written = set(Household.history.filter(history_change_reason=reason).values_list("number", flat=True))
    for model in (Member, IncomeRecord):
        touched = model.history.filter(history_change_reason=reason).values("household_id")
        written |= set(Household.objects.filter(pk__in=touched).values_list("number", flat=True))
    assert written - new == numbers_of(round_, ChangeKind.HOUSEHOLD_CHANGED)
    assert round_.changed_households == 3  # kept (the baby), changed (income, a member in), shrunk (two out)
    assert numbers_of(round_, ChangeKind.HOUSEHOLD_ABSENT) == {left_out[0]["户编号"], county.home.number}
    assert not written & numbers_of(round_, ChangeKind.HOUSEHOLD_ABSENT)


def round_with(user, content: bytes, covered=(), **fields) -> IdentificationRound:
    round_ = IdentificationRound.objects.create(
        name="村级批次", year=2016, kind="adjustment", created_by=user, township=user.staff_profile.township,
        file=ContentFile(content, name="round.xlsx"), original_name="round.xlsx", **fields,
    )
    round_.covered_villages.set(covered)
    validate_round(round_)
    round_.refresh_from_db()
    return round_


def test_removal_candidates_are_the_covered_villages_households_the_workbook_leaves_out(county):
    """A workbook of 甲村 says nothing about 甲二村, unless the round declares it covers 甲二村 too."""
    user = county.users.township_cadre
    content = builder_with(county.villages[0], households=2).workbook()
    village_only = round_with(user, content)
    assert numbers_of(village_only, ChangeKind.HOUSEHOLD_ABSENT) == {county.home.number}
    assert village_only.absent_households == 1
    declared = round_with(user, content, covered=[county.villages[2]])
    assert numbers_of(declared, ChangeKind.HOUSEHOLD_ABSENT) == {county.home.number, county.neighbour.number}


def test_the_upload_form_takes_the_covered_villages_inside_the_uploaders_area(client, county):
    user = county.users.township_cadre
    content = builder_with(county.villages[0]).workbook()
    response = upload(client, user, content, covered_villages=[county.villages[1].pk])
    assert response.status_code == 200 and not IdentificationRound.objects.exists()  # 乙村: not the cadre's
    upload(client, user, content, covered_villages=[county.villages[2].pk])
    round_ = IdentificationRound.objects.get()
    assert list(round_.covered_villages.all()) == [county.villages[2]] and round_.absent_households == 2


def test_new_households_wait_as_candidates_and_enter_the_register_through_review(client, county):
    user = county.users.township_cadre
    candidate = factories.household(county.villages[0], status=choices.Status.CANDIDATE)
    builder = builder_with(county.villages[0], households=2, size=3)
    builder.set_all(builder.households[1], "脱贫状态", "已脱贫(享受政策)")
    builder.set_all(builder.households[1], "脱贫年度", 2016)
    again = builder.add_household(candidate.number, candidate.village.code, size=2)
    for row, member in zip(again, candidate.members.order_by("relation")):
        row.update({"证件号码": member.id_number, "姓名": member.name, "性别": member.get_sex_display(),
                    "出生日期": member.birth_date})
    builder.set_all(again, "户主姓名", again[0]["姓名"])
    round_ = committed(checked_round(user, builder.workbook()), user)
    statuses = dict(Household.objects.filter(number__in=["9100000000", "9100000001", candidate.number])
                    .values_list("number", "status"))
    assert set(statuses.values()) == {choices.Status.CANDIDATE}  # whatever the workbook said
    assert round_.changes.get(household_number="9100000000", kind=ChangeKind.HOUSEHOLD_NEW).detail["status"] == "待识别"

    client.force_login(user)
    page = client.get(round_.get_absolute_url()).content.decode()
    assert reverse("reviews:propose_from_round", args=[round_.pk]) in page and "待识别的 2 户" in page
    url = reverse("reviews:propose_from_round", args=[round_.pk])
    response = client.get(url)
    confirm = response.content.decode()
    assert "9100000000" in confirm and "9100000001" in confirm and candidate.number not in confirm  # not this round's
    cases = Case.objects.filter(kind=Kind.IDENTIFICATION)
    assert client.post(url).status_code == 302 and not cases.exists()  # unconfirmed: nothing
    confirmed = {"token": response.context["confirmation"]["token"].value(), "confirmed": "on"}
    assert client.post(url, confirmed).status_code == 302
    assert set(cases.values_list("household__number", "state", "year")) == {
        ("9100000000", State.PROPOSED, 2016), ("9100000001", State.PROPOSED, 2016),
    }
    assert "已经执行过" in client.post(url, confirmed, follow=True).content.decode()
    assert cases.count() == 2  # proposed once

    case = cases.get(household__number="9100000000")
    today = timezone.localdate()
    day = today - datetime.timedelta(days=20)
    for step, actor in ((Step.VILLAGE_REVIEW, county.users.first_secretary), (Step.TOWNSHIP_REVIEW, user),
                        (Step.NOTICE, user)):
        workflow.advance(case, step, actor, workflow.StepInput(decided_on=day))
    workflow.advance(case, Step.APPROVAL, county.users.county_staff, workflow.StepInput(decided_on=today))
    assert Household.objects.get(number="9100000000").status == choices.Status.NOT_EXITED


def test_roles_that_may_not_propose_cannot_open_the_round_proposals(client, county):
    user = county.users.county_staff
    round_ = committed(checked_round(user, builder_with(county.villages[0]).workbook()), user)
    client.force_login(county.users.auditor)
    assert client.post(reverse("reviews:propose_from_round", args=[round_.pk])).status_code == 403
    assert not Case.objects.exists()


def test_the_round_year_defaults_to_the_registers_latest_income_year(client, county):
    client.force_login(county.users.township_cadre)
    page = client.get(reverse("identification:upload")).content.decode()
    assert f'name="year" value="{timezone.localdate().year}"' in page  # an empty ledger: this year
    factories.income(county.home, year=2019)
    factories.income(county.neighbour, year=2018)
    page = client.get(reverse("identification:upload")).content.decode()
    assert 'name="year" value="2019"' in page


def test_a_year_with_no_sense_is_refused_with_a_message(client, county):
    content = builder_with(county.villages[0]).workbook()
    next_year = timezone.localdate().year + 1
    for year in (next_year + 1, 2099, 2012):
        response = upload(client, county.users.township_cadre, content, year=year)
        assert response.status_code == 200 and f"年度{year}不合理" in response.content.decode()
    assert not IdentificationRound.objects.exists()
    upload(client, county.users.township_cadre, content, year=next_year)
    assert IdentificationRound.objects.get().year == next_year
