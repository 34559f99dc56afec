"""Frozen query counts (NetBox's pattern): every list page and API list is measured with few rows and with more;
the count must not grow with the rows shown, nor rise above the committed baseline (tests/query_counts.json).

After a deliberate change, rewrite the baseline with `UPDATE_QUERY_COUNTS=1 .venv/bin/pytest tests/test_query_counts.py`
and say why in the commit.
"""
import datetime
import json
import os
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.choices import Kind, State
from reviews.models import Case
from visits.choices import Status as VisitStatus
from visits.models import Visit

from . import factories

BASELINE = Path(__file__).with_name("query_counts.json")
PAGES = {
    "households:list": reverse("households:list"),
    "households:quality": reverse("households:quality"),
    "villages:list": reverse("villages:list"),
    "visits:mine": reverse("visits:mine"),
    "visits:list": reverse("visits:list"),
    "visits:coverage": reverse("visits:coverage"),
    "reviews:waiting": reverse("reviews:waiting", args=[State.PROPOSED]),
    "reviews:notice_list": reverse("reviews:notice_list"),
    "exits:runs": reverse("exits:runs"),
    "identification:list": reverse("identification:list"),
}
API_LISTS = ("households", "members", "pairings", "townships", "villages", "cadres", "visits", "review-cases",
             "exit-runs")
SMALL, LARGE = 2, 9  # households added to the county fixture's three


def grow(county, count: int) -> None:
    """`count` more households in the first village, each with members, an income row, a pairing with the
    fixture's cadre, a done visit and an open review case: every list gets `count` more rows."""
    today = timezone.localdate()
    for _ in range(count):
        household = factories.household(county.villages[0], members=3)
        factories.income(household, year=2016)
        factories.pairing(county.cadre, household)
        Visit.objects.create(household=household, visitor=county.cadre, planned_date=today,
                             actual_date=today - datetime.timedelta(days=3), status=VisitStatus.DONE)
        Case.objects.create(household=household, kind=Kind.EXIT, year=2016, state=State.PROPOSED,
                            created_by=county.users.county_staff)


def measure(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def counts(client) -> dict[str, int]:
    measured = {name: measure(client, url) for name, url in PAGES.items()}
    for name in API_LISTS:
        measured[f"api:{name}"] = measure(client, f"/api/v1/{name}/?limit=50")
    return measured


def test_it_keeps_every_list_flat_and_within_the_baseline(client, county):
    client.force_login(county.users.county_staff)
    grow(county, SMALL)
    few = counts(client)
    grow(county, LARGE - SMALL)
    many = counts(client)
    grown = {name: (few[name], many[name]) for name in few if many[name] > few[name]}
    assert grown == {}, f"query counts that grow with the rows shown (few, many): {grown}"
    if os.environ.get("UPDATE_QUERY_COUNTS"):
        BASELINE.write_text(json.dumps(many, indent=2, sort_keys=True) + "\n")
    baseline = json.loads(BASELINE.read_text())
    assert set(baseline) == set(many), "pages added or removed: rewrite the baseline (see the module docstring)"
    above = {name: (baseline[name], count) for name, count in many.items() if count > baseline[name]}
    assert above == {}, f"query counts above the baseline (baseline, now): {above}"


@pytest.mark.parametrize("role", ["township_cadre", "first_secretary", "pairing_cadre", "auditor"])
def test_it_keeps_the_lists_flat_for_every_scoped_role(client, county, role):
    client.force_login(getattr(county.users, role))
    grow(county, SMALL)
    few = {name: measure(client, url) for name, url in PAGES.items() if client.get(url).status_code == 200}
    grow(county, LARGE - SMALL)
    many = {name: measure(client, PAGES[name]) for name in few}
    assert {name: (few[name], many[name]) for name in few if many[name] > few[name]} == {}
