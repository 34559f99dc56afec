"""The data-quality page: gaps counted and listed within the user's area only."""
import datetime

import pytest
from django.urls import reverse

from households import choices
from households.models import Household
from villages.models import VillagePopulation

from . import factories


@pytest.fixture
def gaps(county):
    """In the home township: an infant without ID, a household with unrecorded housing, one without members,
    and a village without population; the same kinds again in the other township."""
    for township_village, household in ((county.villages[0], county.home), (county.villages[1], county.away)):
        factories.member(
            household, id_number="", id_missing_reason=choices.IdMissingReason.NOT_ISSUED, sex=choices.Sex.FEMALE,
            birth_date=datetime.date(2025, 1, 1), relation=choices.Relation.DAUGHTER,
            school_status=choices.SchoolStatus.PRESCHOOL_CHILD, name="无证婴儿",
        )
        factories.household(township_village, housing_grade="", was_dangerous_house=None,
                            number=f"UNREC-{household.pk}")  # a hyphen: never part of a CSRF token
        factories.household(township_village, members=0, number=f"EMPTY-{household.pk}")
        village = factories.village(township_village.township, population=0)
        assert not VillagePopulation.objects.filter(village=village).exists()


def test_it_counts_each_gap_in_the_users_area(client, county, gaps):
    client.force_login(county.users.township_cadre)
    counts = {gap.code: n for gap, n in client.get(reverse("households:quality")).context["counts"]}
    assert counts == {
        "member_without_id": 1, "household_without_members": 1, "housing_unrecorded": 1,
        "village_without_population": 1,
    }
    client.force_login(county.users.county_staff)
    counts = {gap.code: n for gap, n in client.get(reverse("households:quality")).context["counts"]}
    assert counts["member_without_id"] == 2 and counts["village_without_population"] == 2


def test_it_lists_one_gap_without_what_lies_outside(client, county, gaps):
    client.force_login(county.users.township_cadre)
    page = client.get(reverse("households:quality"), {"gap": "housing_unrecorded"}).content.decode()
    assert f"UNREC-{county.home.pk}<" in page and f"UNREC-{county.away.pk}<" not in page
    members = client.get(reverse("households:quality"), {"gap": "member_without_id"}).content.decode()
    assert "无证婴儿" in members and "未办理身份证" in members and county.home.number in members


def test_it_does_not_count_a_household_that_answered_no_dangerous_house(client, county):
    factories.household(county.villages[0], housing_grade="", was_dangerous_house=False)
    client.force_login(county.users.county_staff)
    counts = {gap.code: n for gap, n in client.get(reverse("households:quality")).context["counts"]}
    assert counts["housing_unrecorded"] == 0
    assert Household.objects.housing_unrecorded().count() == 0


def test_it_is_404_for_an_unknown_gap(client, county):
    client.force_login(county.users.county_staff)
    assert client.get(reverse("households:quality"), {"gap": "nonsense"}).status_code == 404
