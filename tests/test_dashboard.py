"""The home page figures: households, persons and villages of the user's area, in a fixed number of queries."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households import choices

from . import factories


@pytest.fixture
def area(county):
    """The county fixture (home, neighbour in township A; away in B; two members each, not exited) plus:
    a returned household with one member gone (A), an exited one (A), a not-poor village (B)."""
    village_a, village_b, _village_a2 = county.villages
    returned = factories.household(village_a, members=3, status=choices.Status.RETURNED)
    returned.members.filter(relation=choices.Relation.SON).update(is_active=False, left_reason="迁出")
    factories.household(village_a, members=1, status=choices.Status.EXITED, exit_year=2017)
    factories.village(village_b.township, "乙富村", is_poor=False)
    return county


def figures(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    keys = ("household_count", "poor_household_count", "person_count", "poor_person_count", "village_count",
            "poor_village_count")
    return {key: response.context[key] for key in keys}, dict(response.context["status_rows"]), len(captured)


def test_county_figures(client, area):
    found, by_status, _queries = figures(client, area.users.county_staff)
    # Households: 3 not exited + returned + exited. Persons: 2+2+2, returned 2 of 3 active, exited 1.
    assert found == {
        "household_count": 5, "poor_household_count": 4, "person_count": 9, "poor_person_count": 8,
        "village_count": 4, "poor_village_count": 3,
    }
    labels = dict(choices.Status.choices)
    assert by_status[labels[choices.Status.NOT_EXITED]] == 3 and by_status[labels[choices.Status.EXITED]] == 1
    assert by_status[labels[choices.Status.RETURNED]] == 1 and by_status[labels[choices.Status.EXITED_WITH_POLICY]] == 0


def test_township_figures_in_the_same_number_of_queries(client, area):
    found, _by_status, queries = figures(client, area.users.township_cadre)
    assert found == {
        "household_count": 4, "poor_household_count": 3, "person_count": 7, "poor_person_count": 6,
        "village_count": 2, "poor_village_count": 2,
    }
    factories.household(area.villages[0], members=4)  # more rows: the same queries
    again, _by_status, more_rows_queries = figures(client, area.users.township_cadre)
    assert again["person_count"] == 11 and more_rows_queries == queries
