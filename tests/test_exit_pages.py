"""Exit-check pages: who may start runs for which scope, run and progress pages, panels, areas, rules."""
from decimal import Decimal

import pytest
from django.urls import reverse

from exits.models import EligibilityRun, ExitThreshold, PovertyLine
from households import choices
from households.models import Household
from reviews.forms import ProposeForm
from tests import factories

YEAR = 2017


@pytest.fixture
def checked(county):
    """Ledgers for the county: home passes, away fails on income, neighbour has none (not assessable)."""
    factories.income(county.home, year=YEAR)
    factories.income(county.away, year=YEAR, wage_income=Decimal("3000"), business_income=Decimal("0"))
    return county


def start(client, user, on_commit, **data):
    client.force_login(user)
    with on_commit(execute=True):
        return client.post(reverse("exits:runs"), {"year": YEAR, "line_kind": "exit_check", **data})


def listed(page: str) -> str:
    return page.split('id="failing"')[1].split("</table>")[0]


def test_county_staff_runs_the_county_and_sees_counts_and_verdicts(client, checked, django_capture_on_commit_callbacks):
    response = start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    run = EligibilityRun.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    assert (run.state, run.township, run.line, run.threshold) == ("done", None, Decimal("3335"), Decimal("3"))
    assert (run.households_checked, run.households_passed, run.households_failed, run.households_not_assessable) == (
        3, 1, 1, 1,
    )
    assert (run.failure_counts["income"], run.gap_counts["income"]) == (1, 1)
    assert run.created_by == checked.users.county_staff

    page = client.get(run.get_absolute_url()).content.decode()
    for stat, figure in (("checked", 3), ("passed", 1), ("failed", 1), ("not-assessable", 1)):
        assert f'<b id="households-{stat}">{figure}</b>' in page
    assert "人均纯收入 1,500.00 元 &lt; 3,335.00 元" in listed(page)  # away: 3,000 / 2
    assert "无2017年度收入记录" in listed(page)  # neighbour: a gap, not a failure
    assert checked.away.number in listed(page) and checked.home.number not in listed(page)
    progress = client.get(reverse("exits:progress", args=[run.pk])).json()
    assert progress["state"] == "done" and progress["percent"] == 100 and progress["total"] == 3

    failed = listed(client.get(run.get_absolute_url() + "?outcome=failed").content.decode())
    assert checked.away.number in failed and checked.neighbour.number not in failed
    unknown = client.get(run.get_absolute_url() + "?outcome=not_assessable").content.decode()
    assert checked.neighbour.number in listed(unknown) and checked.away.number not in listed(unknown)
    assert 'data-outcome="not_assessable"' in listed(unknown) and "无法评估" in listed(unknown)
    fails_income = listed(client.get(run.get_absolute_url() + "?fails=income").content.decode())
    assert checked.away.number in fails_income and checked.neighbour.number not in fails_income
    lacks_income = listed(client.get(run.get_absolute_url() + "?lacks=income").content.decode())
    assert checked.neighbour.number in lacks_income and checked.away.number not in lacks_income
    assert checked.away.number not in listed(client.get(run.get_absolute_url() + "?fails=water").content.decode())


def test_the_run_form_defaults_to_the_latest_year_with_incomes_and_a_line(client, checked):
    client.force_login(checked.users.county_staff)
    assert client.get(reverse("exits:runs")).context["form"]["year"].value() == YEAR
    factories.income(checked.home, year=2018)
    assert client.get(reverse("exits:runs")).context["form"]["year"].value() == 2018
    assert ProposeForm(kind="exit", may_override=False)["year"].value() == 2018  # exit proposals too


def test_a_year_without_incomes_is_a_form_error(client, checked, django_capture_on_commit_callbacks):
    client.force_login(checked.users.county_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exits:runs"), {"year": 2020, "line_kind": "exit_check", "township": ""})
    assert response.status_code == 200
    assert "2020年度尚无收入记录,无法进行退出检测" in response.content.decode()
    assert not EligibilityRun.objects.exists()


def test_township_cadre_may_run_only_their_township(client, checked, django_capture_on_commit_callbacks):
    county = checked
    cadre = county.users.township_cadre
    client.force_login(cadre)
    form = client.get(reverse("exits:runs")).context["form"]
    assert list(form.fields["township"].queryset) == [county.townships[0]]
    assert '<option value="">全县</option>' not in client.get(reverse("exits:runs")).content.decode()

    for township in ("", county.townships[1].pk):  # the county, another township
        response = start(client, cadre, django_capture_on_commit_callbacks, township=township)
        assert response.status_code == 200 and response.context["form"].errors
    assert not EligibilityRun.objects.exists()

    start(client, cadre, django_capture_on_commit_callbacks, township=county.townships[0].pk)
    run = EligibilityRun.objects.get()
    assert run.township == county.townships[0]
    assert set(run.household_results.values_list("household", flat=True)) == {county.home.pk, county.neighbour.pk}


def test_runs_are_scoped_like_everything_else(client, county):
    county_run = EligibilityRun.objects.create(county=county.townships[0].county, year=YEAR, line=1, threshold=3)
    own = EligibilityRun.objects.create(county=county_run.county, township=county.townships[0], year=YEAR, line=1,
                                        threshold=3)
    other = EligibilityRun.objects.create(county=county_run.county, township=county.townships[1], year=YEAR, line=1,
                                          threshold=3)
    client.force_login(county.users.township_cadre)
    assert list(client.get(reverse("exits:runs")).context["object_list"]) == [own]
    for run in (county_run, other):
        assert client.get(run.get_absolute_url()).status_code == 404
        assert client.get(reverse("exits:progress", args=[run.pk])).status_code == 404
    assert client.get(reverse("exits:progress", args=[own.pk])).json()["state"] == "pending"
    client.force_login(county.users.auditor)
    assert client.get(reverse("exits:runs")).context["form"] is None  # read-only
    assert client.get(other.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("role", ["auditor", "pairing_cadre", "first_secretary"])
def test_roles_without_run_rights_cannot_start_one(client, county, role):
    client.force_login(getattr(county.users, role))
    response = client.post(reverse("exits:runs"), {"year": YEAR, "line_kind": "exit_check", "township": ""})
    assert response.status_code == 403
    assert not EligibilityRun.objects.exists()


def test_a_missing_line_is_a_form_error(client, county, django_capture_on_commit_callbacks):
    PovertyLine.objects.filter(year=YEAR, kind="exit_check").delete()
    PovertyLine.objects.create(year=YEAR, kind="national", amount=3000)
    response = start(client, county.users.county_staff, django_capture_on_commit_callbacks, township="")
    assert "未设置2017年度的脱贫验收标准" in response.content.decode()
    assert not EligibilityRun.objects.exists()


def test_household_page_shows_the_latest_verdict(client, checked, django_capture_on_commit_callbacks):
    client.force_login(checked.users.first_secretary)
    assert "尚未纳入退出检测" in client.get(checked.home.get_absolute_url()).content.decode()
    checked.home.members.filter(relation=choices.Relation.SPOUSE).update(has_medical_insurance=False)
    start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    client.force_login(checked.users.first_secretary)
    page = client.get(checked.home.get_absolute_url()).content.decode()
    panel = page.split('id="exit-verdict"')[1]
    assert "未达到脱贫标准" in panel and "基本医疗有保障" in panel and "1 名成员未参加基本医疗保险" in panel
    assert "7,500.00" in panel  # per-capita income shown with the line


def test_areas_page_shows_villages_and_townships_against_their_plan(
    client, checked, django_capture_on_commit_callbacks
):
    village_a, village_b, _village_a2 = checked.villages
    village_a.planned_exit_year = 2016  # due, but its village indicators are not recorded: behind
    village_a.save()
    start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    page = client.get(reverse("exits:areas")).content.decode()
    assert "滞后" in page and "甲镇" in page and "乙镇" in page
    client.force_login(checked.users.township_cadre)
    response = client.get(reverse("exits:areas"))
    assert {row.village for row in response.context["rows"]} == {village_a, checked.villages[2]}
    assert response.context["county_run"] is None  # the county's figure is not theirs to see


def test_rules_are_read_by_all_and_changed_by_county_staff(client, county):
    line = PovertyLine.objects.get(year=2019, kind="exit_check")
    threshold = ExitThreshold.objects.get()
    client.force_login(county.users.township_cadre)
    page = client.get(reverse("exits:rules")).content.decode()
    assert "3,747.00" in page and "未核实" in page and "/edit/" not in page
    assert client.get(reverse("exits:line_edit", args=[line.pk])).status_code == 403
    assert client.post(reverse("exits:threshold_edit", args=[threshold.pk]), {"province_threshold_percent": "2.00"}
                       ).status_code == 403

    client.force_login(county.users.county_staff)
    response = client.post(reverse("exits:line_edit", args=[line.pk]), {
        "year": 2019, "kind": "exit_check", "amount": "3747", "verified": "on", "note": "按省文件核实",
    })
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.verified and line.history.first().history_user == county.users.county_staff  # audited
    client.post(reverse("exits:threshold_edit", args=[threshold.pk]), {"province_threshold_percent": "2.00"})
    threshold.refresh_from_db()
    assert threshold.province_threshold_percent == Decimal("2")
    response = client.post(reverse("exits:indicator_create"), {
        "code": "toilet", "name": "卫生厕所", "requires_amount": "on", "order": 70, "counts": "on",
    })
    assert "按金额考核的指标须填写最低金额" in response.content.decode()


def test_village_page_shows_the_village_check(client, checked, django_capture_on_commit_callbacks):
    start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    page = client.get(checked.villages[0].get_absolute_url()).content.decode()
    panel = page.split('id="exit-village"')[1]
    assert "0.20%" in panel and "通硬化路" in panel  # 2 poor persons / 1,000; no indicator values recorded


def test_api_lists_runs_and_verdicts_in_the_users_area(client, checked, django_capture_on_commit_callbacks):
    start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    run = EligibilityRun.objects.get()
    body = client.get("/api/v1/exit-runs/").json()
    assert [row["id"] for row in body["results"]] == [run.pk]
    summary = body["results"][0]
    assert (summary["households_passed"], summary["households_failed"], summary["households_not_assessable"]) == (
        1, 1, 1,
    )
    assert (summary["failure_counts"]["income"], summary["gap_counts"]["income"]) == (1, 1)
    assert summary["area"] == {"outcome": "passed", "incidence": "0.20", "below_threshold": True, "gap": ""}
    verdicts = client.get(f"/api/v1/exit-runs/{run.pk}/households/?fails=income").json()["results"]
    assert [row["household_number"] for row in verdicts] == [checked.away.number]
    away = verdicts[0]
    assert (away["outcome"], away["passed"], away["per_capita_income"], away["gaps"]) == (
        "failed", False, "1500.00", [],
    )
    assert away["failures"] == [{"code": "income", "label": "收入达标", "detail": "人均纯收入 1,500.00 元 < 3,335.00 元"}]
    unknown = client.get(f"/api/v1/exit-runs/{run.pk}/households/?outcome=not_assessable").json()["results"]
    assert [(row["household"], row["outcome"], row["passed"]) for row in unknown] == [
        (checked.neighbour.pk, "not_assessable", False)
    ]
    assert unknown[0]["failures"] == [] and unknown[0]["per_capita_income"] is None
    assert unknown[0]["gaps"] == [{"code": "income", "label": "收入达标", "detail": "无2017年度收入记录"}]
    lacking = client.get(f"/api/v1/exit-runs/{run.pk}/households/?lacks=income").json()["results"]
    assert [row["household"] for row in lacking] == [checked.neighbour.pk]
    passed = client.get(f"/api/v1/exit-runs/{run.pk}/households/?passed=true").json()["results"]
    assert [row["household"] for row in passed] == [checked.home.pk]
    villages = client.get(f"/api/v1/exit-runs/{run.pk}/villages/").json()["results"]
    # Each village has its population and no recorded indicator (the default indicators count): failed.
    assert sorted((row["village"], row["outcome"], row["incidence"]) for row in villages) == sorted(
        (village.pk, "failed", incidence) for village, incidence in zip(checked.villages, ("0.20", "0.20", "0.20"))
    )

    client.force_login(checked.users.township_cadre)  # a county-wide run is not theirs
    assert client.get("/api/v1/exit-runs/").json()["results"] == []
    assert client.get(f"/api/v1/exit-runs/{run.pk}/households/").status_code == 404
    assert client.get(f"/api/v1/exit-runs/{run.pk}/villages/").status_code == 404


def test_the_api_starts_runs_under_the_pages_rules(client, checked, django_capture_on_commit_callbacks):
    client.force_login(checked.users.county_staff)
    response = client.post("/api/v1/exit-runs/", {"year": 2020}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [
        "2020年度尚无收入记录,无法进行退出检测;请先录入或导入该年度收入,或选择其他年度。"
    ]}
    PovertyLine.objects.filter(year=YEAR, kind="exit_check").delete()
    PovertyLine.objects.create(year=YEAR, kind="national", amount=3000)
    response = client.post("/api/v1/exit-runs/", {"year": YEAR}, content_type="application/json")
    assert "未设置2017年度的脱贫验收标准" in response.json()["non_field_errors"][0]
    PovertyLine.objects.create(year=YEAR, kind="exit_check", amount=Decimal("3335"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exit-runs/", {"year": YEAR, "township": None}, content_type="application/json")
    assert response.status_code == 201 and response.json()["state"] == "pending"  # queued once committed
    run = EligibilityRun.objects.get(pk=response.json()["id"])
    assert (run.township, run.year, run.created_by) == (None, YEAR, checked.users.county_staff)
    assert (run.state, run.households_checked, run.households_not_assessable) == ("done", 3, 1)

    client.force_login(checked.users.township_cadre)
    response = client.post(
        "/api/v1/exit-runs/", {"year": YEAR, "township": checked.townships[1].pk}, content_type="application/json"
    )
    assert response.status_code == 400 and "township" in response.json()  # not their township
    client.force_login(checked.users.auditor)
    assert client.post("/api/v1/exit-runs/", {"year": YEAR}, content_type="application/json").status_code == 403
    assert EligibilityRun.objects.count() == 1


def test_a_household_that_cannot_be_assessed_shows_why(client, checked, django_capture_on_commit_callbacks):
    Household.objects.filter(pk=checked.neighbour.pk).update(
        housing_grade="", was_dangerous_house=None, safe_drinking_water=False,
    )
    start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    page = client.get(checked.neighbour.get_absolute_url()).content.decode()
    panel = page.split('id="exit-verdict"')[1]
    assert 'data-outcome="not_assessable"' in panel and "未达到脱贫标准" not in panel
    assert "无2017年度收入记录" in panel and "未鉴定住房安全等级,也未登记是否危房户" in panel
    assert "饮水不安全" in panel  # really judged, and shown


def test_villages_and_the_county_without_a_population_cannot_be_assessed(
    client, checked, django_capture_on_commit_callbacks
):
    village = checked.villages[2]
    village.populations.all().delete()
    village.planned_exit_year = 2016
    village.save()
    start(client, checked.users.county_staff, django_capture_on_commit_callbacks, township="")
    run = EligibilityRun.objects.get()
    # No village indicator is recorded: the two with a population fail, the third cannot be assessed.
    assert (run.villages_checked, run.villages_failed, run.villages_without_population) == (3, 2, 1)
    page = client.get(reverse("exits:areas")).content.decode()
    county = page.split('id="county-incidence"')[1].split("</div>\n</div>")[0]
    assert "无法评估" in county and "1 个村无户籍人口数" in county
    assert "无法评估(无户籍人口数)" in page
    townships = page.split('id="townships"')[1].split("</table>")[0]
    assert "无法评估(1 个村无户籍人口数)" in townships  # 甲镇; 乙镇 has its figure
    assert "0.20%" in townships  # 乙镇: away's 2 persons / 1,000
    run_page = client.get(run.get_absolute_url()).content.decode()
    assert "1 个村无法评估" in run_page and "1 个村无户籍人口数" in run_page.split('id="run-incidence"')[1]
    panel = client.get(village.get_absolute_url()).content.decode().split('id="exit-village"')[1]
    assert "无法评估(无户籍人口数)" in panel and "滞后" not in panel
    villages = client.get(f"/api/v1/exit-runs/{run.pk}/villages/").json()["results"]
    unknown = next(row for row in villages if row["village"] == village.pk)
    assert (unknown["outcome"], unknown["incidence"], unknown["below_threshold"], unknown["gap"]) == (
        "not_assessable", None, None, "无户籍人口数",
    )
    assert unknown["progress"] == "unknown"
