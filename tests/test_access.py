"""restrict(): each role sees its own area and nothing else."""
import pytest

from households.models import Household, Member
from villages.models import Cadre, Village


@pytest.mark.parametrize(
    "role, visible",
    [
        ("county_staff", {"home", "away", "neighbour"}),
        ("auditor", {"home", "away", "neighbour"}),
        ("township_cadre", {"home", "neighbour"}),
        ("first_secretary", {"home"}),
        ("pairing_cadre", {"home"}),
    ],
)
def test_households_visible_per_role(county, role, visible):
    user = getattr(county.users, role)
    expected = {getattr(county, name).pk for name in visible}
    assert set(Household.objects.restrict(user, "view").values_list("pk", flat=True)) == expected
    members = Member.objects.restrict(user, "view").values_list("household_id", flat=True)
    assert set(members) == expected


@pytest.mark.parametrize(
    "role, writable",
    [
        ("county_staff", {"home", "away", "neighbour"}),
        ("auditor", set()),
        ("township_cadre", {"home", "neighbour"}),
        ("first_secretary", {"home"}),
        ("pairing_cadre", set()),
    ],
)
def test_capture_scope_per_role(county, role, writable):
    user = getattr(county.users, role)
    expected = {getattr(county, name).pk for name in writable}
    assert set(Household.objects.restrict(user, "change").values_list("pk", flat=True)) == expected


def test_villages_and_cadres_follow_the_households(county):
    pairing_cadre = county.users.pairing_cadre
    assert list(Village.objects.restrict(pairing_cadre)) == [county.home.village]
    assert list(Cadre.objects.restrict(county.users.township_cadre)) == [county.cadre]
    assert not Cadre.objects.restrict(county.users.first_secretary).exclude(pk=county.cadre.pk).exists()


def test_anonymous_and_profileless_users_see_nothing(county, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not Household.objects.restrict(AnonymousUser()).exists()
    bare = django_user_model.objects.create_user("bare", password="x-pass-123")
    assert not Household.objects.restrict(bare).exists()
