"""Coverage reports on a fixture with known gaps: each report lists exactly those gaps, per area, in set-based queries."""
import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from households import choices
from households.models import Pairing
from villages.models import FirstSecretaryPosting, WorkTeamMembership
from visits import coverage, views
from visits.choices import Status
from visits.models import Visit, VisitPolicy

from . import factories

TODAY = timezone.localdate()
LONG_AGO = datetime.date(2016, 1, 1)


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def done(household, cadre, when):
    return Visit.objects.create(household=household, visitor=cadre, status=Status.DONE, actual_date=when)


def pair(cadre, household, start=LONG_AGO, end=None):
    return Pairing.objects.create(cadre=cadre, household=household, start_date=start, end_date=end)


@pytest.fixture
def gaps(county):
    """Township A (甲镇) and B (乙镇) with known gaps; names say what each object is there for."""
    township_a, township_b = county.townships
    village_a, village_b, village_a2 = county.villages
    village_a3 = factories.village(township_a, "甲三村")
    factories.village(township_a, "甲富村", is_poor=False)  # not poor: needs no first secretary
    x, y = factories.cadre("许干部"), factories.cadre("叶干部")
    secretary = factories.cadre("石书记")

    # Postings: 甲村 complete; 甲二村 team only (its secretary left); 甲三村 secretary only; 乙村 nothing.
    FirstSecretaryPosting.objects.create(cadre=secretary, village=village_a, start_date=LONG_AGO)
    WorkTeamMembership.objects.create(cadre=secretary, village=village_a, start_date=LONG_AGO)
    FirstSecretaryPosting.objects.create(cadre=x, village=village_a2, start_date=LONG_AGO, end_date=ago(30))
    WorkTeamMembership.objects.create(cadre=x, village=village_a2, start_date=LONG_AGO)
    FirstSecretaryPosting.objects.create(cadre=y, village=village_a3, start_date=LONG_AGO)

    h = SimpleNamespace(home=county.home, neighbour=county.neighbour, away=county.away)  # neighbour, away: unpaired
    h.exited_with_policy = factories.household(
        village_a, members=1, status=choices.Status.EXITED_WITH_POLICY, exit_year=2017
    )  # unpaired: a gap (摘帽不摘帮扶)
    h.exited = factories.household(village_a, members=1, status=choices.Status.EXITED, exit_year=2017)  # no gap
    h.pairing_ended = factories.household(village_a, members=1)
    pair(x, h.pairing_ended, end=ago(1))  # unpaired today: a gap
    h.stale = factories.household(village_a, members=1)
    pair(x, h.stale)
    done(h.stale, x, ago(40))  # not visited in 30 days: a gap
    h.fresh = factories.household(village_a, members=1)
    pair(x, h.fresh, start=ago(10))  # paired 10 days ago: not yet a gap
    h.never = factories.household(village_a2, members=1)
    pair(x, h.never)  # never visited: a gap
    h.by_other = factories.household(village_a2, members=1)
    pair(x, h.by_other)
    done(h.by_other, county.cadre, ago(3))  # visited, but not by its pairing cadre x: a gap
    done(county.home, county.cadre, ago(5))  # helper's household, visited: no gap
    h.far = []
    for _ in range(4):  # y carries four households in township B
        household = factories.household(village_b, members=1)
        pair(y, household)
        h.far.append(household)
    done(h.far[0], y, ago(1))
    return SimpleNamespace(
        county=county, h=h, x=x, y=y, helper=county.cadre, secretary=secretary,
        villages=SimpleNamespace(a=village_a, a2=village_a2, a3=village_a3, b=village_b),
    )


def numbers(households):
    return {household.number for household in households}


@pytest.mark.parametrize("role", ["county_staff", "township_cadre"])
def test_households_without_a_pairing_cadre(gaps, role):
    user = getattr(gaps.county.users, role)
    expected = {gaps.h.neighbour, gaps.h.exited_with_policy, gaps.h.pairing_ended}
    if role == "county_staff":
        expected.add(gaps.h.away)
    assert numbers(coverage.households_without_pairing(user, TODAY)) == numbers(expected)


@pytest.mark.parametrize("role", ["county_staff", "township_cadre"])
def test_pairings_without_a_visit_in_n_days(gaps, role):
    user = getattr(gaps.county.users, role)
    found = {(p.cadre_id, p.household_id) for p in coverage.pairings_without_visit(user, 30, TODAY)}
    expected = {(gaps.x.pk, gaps.h.stale.pk), (gaps.x.pk, gaps.h.never.pk), (gaps.x.pk, gaps.h.by_other.pk)}
    if role == "county_staff":
        expected |= {(gaps.y.pk, household.pk) for household in gaps.h.far[1:]}
    assert found == expected
    # With a 50-day window the household visited 40 days ago is covered.
    wider = {p.household_id for p in coverage.pairings_without_visit(user, 50, TODAY)}
    assert gaps.h.stale.pk not in wider and gaps.h.fresh.pk not in wider


@pytest.mark.parametrize("role", ["county_staff", "township_cadre"])
def test_poor_villages_without_a_first_secretary_or_work_team(gaps, role):
    user = getattr(gaps.county.users, role)
    found = {(v.name, v.has_secretary, v.team_size) for v in coverage.poor_villages_without_posting(user, TODAY)}
    expected = {("甲二村", False, 1), ("甲三村", True, 0)}
    if role == "county_staff":
        expected.add(("乙村", False, 0))
    assert found == expected


@pytest.mark.parametrize("role, expected", [("county_staff", {"许干部": 4, "叶干部": 4}), ("township_cadre", {"许干部": 4})])
def test_cadres_with_too_many_households(gaps, role, expected):
    user = getattr(gaps.county.users, role)
    found = {c["name"]: c["paired_count"] for c in coverage.overloaded_cadres(user, 3, TODAY)}
    assert found == expected
    assert list(coverage.overloaded_cadres(user, 4, TODAY)) == []


def test_visits_per_cadre_and_per_village_over_a_period(gaps):
    user = gaps.county.users.county_staff
    per_cadre = {
        c.name: (c.paired_count, c.visit_count, c.visited_households)
        for c in coverage.visits_per_cadre(user, ago(30), TODAY, TODAY).get_page(1)
    }
    # x: 4 active pairings (the ended one does not count), its only visit is 40 days old.
    assert per_cadre == {"李干部": (1, 2, 2), "许干部": (4, 0, 0), "叶干部": (4, 1, 1)}
    per_village = {v.name: (v.supported_count, v.visit_count, v.visited_households)
                   for v in coverage.visits_per_village(user, ago(30), TODAY)}
    assert per_village["甲村"] == (5, 1, 1)  # home, exited_with_policy, pairing_ended, stale, fresh (not exited)
    assert per_village["甲二村"] == (3, 1, 1)
    assert per_village["乙村"] == (5, 1, 1)
    township = {v.name for v in coverage.visits_per_village(gaps.county.users.township_cadre, ago(30), TODAY)}
    assert "乙村" not in township and "甲村" in township


def test_pairing_cadre_sees_only_their_own_households_in_the_reports(gaps):
    user = gaps.county.users.pairing_cadre  # the helper: home only, visited 5 days ago
    assert list(coverage.households_without_pairing(user, TODAY)) == []
    assert list(coverage.pairings_without_visit(user, 3, TODAY)) == [gaps.county.home.pairings.get()]


def test_report_page_uses_the_county_policy_and_constant_queries(client, gaps):
    VisitPolicy.objects.create(county=gaps.villages.a.township.county, interval_days=30, max_households_per_cadre=3)
    client.force_login(gaps.county.users.township_cadre)

    def render():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("visits:coverage"))
        assert response.status_code == 200
        return response, len(captured)

    response, queries = render()
    context = response.context
    assert context["chosen"]["days"] == 30 and context["chosen"]["threshold"] == 3
    assert numbers(context["unpaired"]["page"]) == numbers(
        [gaps.h.neighbour, gaps.h.exited_with_policy, gaps.h.pairing_ended]
    )
    page = response.content.decode()
    assert "许干部" in page and gaps.h.away.number not in page and "乙村" not in page

    for _ in range(3):  # more rows of every kind: the page costs the same number of queries
        household = factories.household(gaps.villages.a, members=1)
        pair(gaps.x, household)
        factories.household(gaps.villages.a2, members=1)
        factories.village(gaps.villages.a.township, "新村")
        done(household, gaps.x, ago(2))
    assert render()[1] == queries

    chosen = client.get(reverse("visits:coverage"), {"days": "60", "threshold": "50"}).context["chosen"]
    assert chosen["days"] == 60 and chosen["threshold"] == 50


def test_visits_per_cadre_fewest_visits_first_each_page_one_query(gaps):
    user = gaps.county.users.county_staff
    with CaptureQueriesContext(connection) as captured:
        first = coverage.visits_per_cadre(user, ago(30), TODAY, TODAY, per_page=2).get_page(1)
    assert len(captured) == 1  # the page brings the number of rows along
    assert first.paginator.count == 3 and first.paginator.num_pages == 2
    assert [(c.name, c.visit_count) for c in first] == [("许干部", 0), ("叶干部", 1)]
    # Past the end (a stale link), or not a number: the last page, the first page.
    last = coverage.visits_per_cadre(user, ago(30), TODAY, TODAY, per_page=2).get_page(99)
    assert last.number == 2 and [(c.name, c.visit_count) for c in last] == [("李干部", 2)]
    assert coverage.visits_per_cadre(user, ago(30), TODAY, TODAY, per_page=2).get_page("x").number == 1
    nobody = get_user_model().objects.create(username="no-profile")  # restrict() gives them nothing
    empty = coverage.visits_per_cadre(nobody, ago(30), TODAY, TODAY).get_page(1)
    assert list(empty) == [] and empty.paginator.count == 0


def test_visits_per_cadre_counts_a_visitor_from_outside_the_township(gaps):
    """A cadre with no posting or pairing in the township who visited one of its households is counted there.

    The township's visit list names them as the visitor already; their visits count for the village too.
    """
    outsider = factories.cadre("吴干部")
    done(gaps.h.never, outsider, ago(2))
    user = gaps.county.users.township_cadre
    rows = {
        c.name: (c.paired_count, c.visit_count, c.visited_households)
        for c in coverage.visits_per_cadre(user, ago(30), TODAY, TODAY).get_page(1)
    }
    assert rows == {"李干部": (1, 2, 2), "许干部": (4, 0, 0), "吴干部": (0, 1, 1)}  # not 叶干部: township B only
    per_village = {v.name: v.visit_count for v in coverage.visits_per_village(user, ago(30), TODAY)}
    assert per_village["甲二村"] == 2


def test_report_sections_page_separately_and_keep_the_other_parameters(client, gaps, monkeypatch):
    monkeypatch.setattr(views, "SECTION_ROWS", 1)
    client.force_login(gaps.county.users.county_staff)
    response = client.get(reverse("visits:coverage"), {"days": "30", "unvisited_page": "2"})
    unvisited, unpaired = response.context["unvisited"]["page"], response.context["unpaired"]["page"]
    assert (unvisited.number, unvisited.paginator.count, len(unvisited)) == (2, 6, 1)
    assert (unpaired.number, unpaired.paginator.count, len(unpaired)) == (1, 4, 1)
    page = response.content.decode()
    assert 'href="?days=30&amp;unvisited_page=3#unvisited"' in page
    assert 'href="?days=30&amp;unvisited_page=2&amp;unpaired_page=2#unpaired"' in page
    # Every gap appears on exactly one page, with its last visit.
    seen = {}
    for number in range(1, 7):
        response = client.get(reverse("visits:coverage"), {"unvisited_page": number})
        seen.update({(p.cadre_id, p.household_id): p.last_visited for p in response.context["unvisited"]["page"]})
    expected = {(p.cadre_id, p.household_id) for p in coverage.pairings_without_visit(
        gaps.county.users.county_staff, 30, TODAY)}
    assert set(seen) == expected and len(expected) == 6
    assert seen[gaps.x.pk, gaps.h.stale.pk] == ago(40) and seen[gaps.x.pk, gaps.h.never.pk] is None


@pytest.mark.parametrize("params, error", [
    ({"date_from": "2016-01-01"}, "统计期不能超过366天"),  # to today: ten years of visits
    ({"date_from": ago(5).isoformat(), "date_to": ago(10).isoformat()}, "截止日期不能早于起始日期"),
    ({"date_from": "2016-01-01", "date_to": "not a date"}, "有效的日期"),  # never a period open at one end
    ({"days": "5000"}, "366"),
])
def test_report_period_is_bounded(client, gaps, params, error):
    client.force_login(gaps.county.users.county_staff)
    response = client.get(reverse("visits:coverage"), params)
    assert response.status_code == 200 and error in response.content.decode()
    assert response.context["chosen"] == {"date_from": ago(30), "date_to": TODAY, "days": 30, "threshold": 10}


def test_report_period_of_a_whole_year_is_allowed(client, gaps):
    client.force_login(gaps.county.users.county_staff)
    response = client.get(reverse("visits:coverage"), {"date_from": ago(366).isoformat(), "days": "366"})
    chosen = response.context["chosen"]
    assert chosen["date_from"] == ago(366) and chosen["days"] == 366
