"""The change list on household and village pages: from creation (建档), every change with who and why."""
import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from households import choices
from households.forms import HouseholdForm
from households.models import Household, Member
from households.presenters import household_history, personal_data_masker
from identification.choices import RoundStatus
from identification.models import IdentificationRound
from identification.services import commit_round, validate_round
from povertyapp.masking import mask_id_number
from reviews import workflow
from reviews.choices import Kind, State, Step
from reviews.models import Case
from villages.models import FirstSecretaryPosting, Village
from villages.views import village_history

from . import factories
from .identification_workbooks import RoundBuilder


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded workbooks go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path


def page_history(client, user, household):
    client.force_login(user)
    response = client.get(reverse("households:detail", args=[household.pk]))
    assert response.status_code == 200
    return response.context["history"], response.content.decode()


def lines(history) -> list[tuple[str, str, str]]:
    """(kind, subject, reason) of each entry, newest first."""
    return [(entry.kind, entry.subject, entry.reason) for entry in history]


def form_data(form) -> dict:
    """What a browser would post for an unbound form as it is shown."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return data


def test_it_shows_a_household_entered_by_form_from_its_creation(client, county):
    staff = county.users.county_staff
    client.force_login(staff)
    data = {
        "household-number": "45048199990001", "household-village": county.villages[0].pk,
        "household-year_identified": 2016, "household-standard": "national", "household-attribute": "general",
        "household-main_cause": "01", "household-status": "0", "household-safe_drinking_water": "on",
        "household-food_and_clothing_secure": "on", "head-name": "新户主", "head-id_number": factories.id_number(),
        "head-ethnicity": "01", "head-education": "3", "head-health": "1",
    }
    assert client.post(reverse("households:create"), data).status_code == 302
    household = Household.objects.get(number="45048199990001")
    edit = form_data(HouseholdForm(instance=household, user=staff))
    assert client.post(reverse("households:edit", args=[household.pk]), {**edit, "address": "新屯1号"}).status_code == 302

    history, page = page_history(client, staff, household)
    assert lines(history) == [("修改", "贫困户", ""), ("新增", "家庭成员 新户主", ""), ("建档", "贫困户", "")]
    assert {entry.user for entry in history} == {staff.username}
    assert [(c.label, c.old, c.new) for c in history[0].changes] == [("住址", "—", "新屯1号")]
    created = history[-1]
    assert not created.before_unrecorded
    assert ("户编号", "45048199990001") in created.recorded and ("主要致贫原因", "因病") in created.recorded
    head = household.members.get()
    assert ("证件号码", mask_id_number(head.id_number)) in history[1].recorded  # masked like the rest of the page
    assert head.id_number not in page and "住址:— → 新屯1号" in page and "登记内容" in page


def loaded_without_history(village) -> Household:
    """A household and its two members written the way seed data and COPY write them: no history rows."""
    household = Household(
        number="4504819999", village=village, year_identified=2014, attribute=choices.Attribute.GENERAL,
        main_cause=choices.Cause.ILLNESS, housing_grade=choices.HousingGrade.B, was_dangerous_house=False,
        status=choices.Status.EXITED_WITH_POLICY, exit_year=2016,
    )
    Household.objects.bulk_create([household])
    born = datetime.date(1980, 3, 1)
    Member.objects.bulk_create([
        Member(household=household, name="王大", id_number=factories.id_number(born, True), sex=choices.Sex.MALE,
               birth_date=born, relation=choices.Relation.HEAD, education=choices.Education.JUNIOR),
        Member(household=household, name="李二", id_number=factories.id_number(born, False), sex=choices.Sex.FEMALE,
               birth_date=born, relation=choices.Relation.SPOUSE, education=choices.Education.JUNIOR),
    ])
    assert not Household.history.filter(id=household.pk).exists()
    assert not Member.history.filter(household_id=household.pk).exists()
    return household


def test_it_shows_the_first_change_of_a_household_loaded_without_history(client, county):
    staff = county.users.county_staff
    household = loaded_without_history(county.villages[0])
    spouse = household.members.get(relation=choices.Relation.SPOUSE)
    spouse.health = choices.Health.SERIOUS
    spouse._history_user = staff
    spouse.save()
    case = Case.objects.create(
        household=household, kind=Kind.RETURN, year=2017, state=State.TOWNSHIP_REVIEWED, created_by=staff,
        reason="因病返贫",
    )
    workflow.advance(case, Step.APPROVAL, staff, workflow.StepInput(decided_on=timezone.localdate()))

    history, page = page_history(client, staff, household)
    assert lines(history) == [
        ("修改", "贫困户", f"审核案件#{case.pk}:返贫(2017年)县审批公告"),
        ("修改", "家庭成员 李二", ""),
        ("建档", "贫困户", "历史数据或批量导入,建档时未留变更记录"),
    ]
    returned, changed, created = history
    assert returned.user == changed.user == staff.username and created.user == "系统"
    assert returned.before_unrecorded and ("脱贫状态", "返贫") in returned.recorded
    assert changed.before_unrecorded and ("健康状况", "患有大病") in changed.recorded
    assert created.when == household.created_at and not created.recorded
    assert "修改后的内容(修改前的内容未记录)" in page and "健康状况:患有大病" in page


def test_it_shows_nothing_but_the_creation_of_a_household_never_changed(client, county):
    household = loaded_without_history(county.villages[0])
    history, _page = page_history(client, county.users.county_staff, household)
    assert lines(history) == [("建档", "贫困户", "历史数据或批量导入,建档时未留变更记录")]


def committed_round(user, builder, name) -> IdentificationRound:
    round_ = IdentificationRound.objects.create(
        name=name, year=2016, kind="adjustment", created_by=user,
        file=ContentFile(builder.workbook(), name="round.xlsx"), original_name="round.xlsx",
    )
    validate_round(round_)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("row", "message"))
    assert commit_round(round_, user), round_.error
    round_.refresh_from_db()
    return round_


def test_it_shows_a_household_created_by_a_round_and_changed_by_the_next_with_the_rounds_named(client, county):
    staff = county.users.county_staff
    first = RoundBuilder(seed=3)
    rows = first.add_household("9100000000", county.villages[0].code, size=3, **{"主要致贫原因": "因病"})
    created_by = committed_round(staff, first, "2016年动态调整")
    second = RoundBuilder(seed=4)
    second.used_ids = first.used_ids
    second.households = [[dict(row) for row in rows]]
    changed_rows = second.households[0]
    second.set_all(changed_rows, "主要致贫原因", "因灾")
    second.set_all(changed_rows, "工资性收入", 15000)
    changed_rows[1]["健康状况"] = "患有大病"
    changed_by = committed_round(staff, second, "2017年回头看")

    household = Household.objects.get(number="9100000000")
    history, page = page_history(client, staff, household)
    spouse = rows[1]["姓名"]
    by_round = {
        reason: [(kind, subject) for kind, subject, why in lines(history) if why == reason]
        for reason in (changed_by.audit_reason, created_by.audit_reason)
    }
    assert sorted(by_round[changed_by.audit_reason]) == sorted([
        ("修改", "贫困户"), ("修改", f"家庭成员 {spouse}"), ("修改", "收入一本账 2016"),
    ])
    assert sorted(by_round[created_by.audit_reason]) == sorted([
        ("建档", "贫困户"), ("新增", "收入一本账 2016"), *[("新增", f"家庭成员 {row['姓名']}") for row in rows],
    ])
    assert len(history) == 8 and lines(history)[-1] == ("建档", "贫困户", created_by.audit_reason)
    assert {entry.user for entry in history} == {staff.username}
    household_change = next(e for e in history if e.reason == changed_by.audit_reason and e.subject == "贫困户")
    assert [(c.label, c.old, c.new) for c in household_change.changes] == [("主要致贫原因", "因病", "因灾")]
    assert "工资性收入:12000.00 → 15000.00" in page and "2017年回头看" in page


def test_it_shows_a_rounds_change_to_a_household_registered_before_history_was_kept(client, county):
    staff = county.users.county_staff
    first = RoundBuilder(seed=5)
    rows = first.add_household("9200000000", county.villages[0].code, size=2, **{"主要致贫原因": "因病"})
    committed_round(staff, first, "2015年建档")
    household = Household.objects.get(number="9200000000")
    Household.history.filter(id=household.pk).delete()
    Member.history.filter(household_id=household.pk).delete()
    second = RoundBuilder(seed=6)
    second.used_ids = first.used_ids
    second.households = [[dict(row) for row in rows]]
    second.set_all(second.households[0], "主要致贫原因", "因灾")
    changed_by = committed_round(staff, second, "2016年动态调整")

    history, _page = page_history(client, staff, household)
    assert lines(history)[0] == ("修改", "贫困户", changed_by.audit_reason)
    assert history[0].before_unrecorded and ("主要致贫原因", "因灾") in history[0].recorded
    assert lines(history)[-1] == ("建档", "贫困户", "历史数据或批量导入,建档时未留变更记录")


def test_the_village_page_shows_a_village_loaded_without_history_and_its_postings(client, county):
    village = Village(township=county.townships[0], name="新村", code="450481299999")
    Village.objects.bulk_create([village])
    village.is_poor = True
    village._change_reason = "2016年贫困村认定"
    village.save()
    FirstSecretaryPosting.objects.create(village=village, cadre=county.cadre, start_date=datetime.date(2016, 3, 1))

    client.force_login(county.users.county_staff)
    response = client.get(reverse("villages:detail", args=[village.pk]))
    history = response.context["history"]
    assert lines(history) == [
        ("新增", f"第一书记任职 {county.cadre.name}", ""),
        ("修改", "行政村", "2016年贫困村认定"),
        ("建档", "行政村", "历史数据或批量导入,建档时未留变更记录"),
    ]
    assert history[-1].when is None and "时间不详" in response.content.decode()
    assert ("贫困村", "是") in history[1].recorded and ("干部", str(county.cadre)) in history[0].recorded


def test_it_reads_the_history_in_one_query_per_model(county, django_assert_num_queries):
    household = county.home
    for year in (2015, 2016):
        factories.income(household, year=year)
    for member in household.members.all():
        for health in (choices.Health.SERIOUS, choices.Health.CHRONIC, choices.Health.HEALTHY):
            member.health = health
            member.save()
    factories.pairing(factories.cadre("王干部"), household)
    household.address = "新屯2号"
    household.save()
    # household, members, income rows, pairings: each with its users and foreign keys joined
    with django_assert_num_queries(4):
        history = household_history(household, personal_data_masker(reveal=False))
    assert len(history) == 1 + 1 + 2 + 2 * 3 + 2 + 2
    with django_assert_num_queries(3):
        village_history(county.villages[0])
