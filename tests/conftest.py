"""Shared fixtures: a two-township county with one user per role."""
from types import SimpleNamespace

import pytest

from povertyapp.roles import Role

from . import factories


@pytest.fixture
def county(db):
    """Two townships, a village in each, households in both; one user per role scoped to the first."""
    township_a, township_b = factories.township("甲镇"), factories.township("乙镇")
    village_a, village_b = factories.village(township_a, "甲村"), factories.village(township_b, "乙村")
    village_a2 = factories.village(township_a, "甲二村")
    home, away = factories.household(village_a), factories.household(village_b)
    neighbour = factories.household(village_a2)
    helper = factories.cadre()
    factories.pairing(helper, home)
    users = SimpleNamespace(
        county_staff=factories.user(Role.COUNTY_STAFF),
        auditor=factories.user(Role.AUDITOR),
        township_cadre=factories.user(Role.TOWNSHIP_CADRE, township=township_a),
        first_secretary=factories.user(Role.FIRST_SECRETARY, township=township_a, village=village_a),
        pairing_cadre=factories.user(Role.PAIRING_CADRE, cadre=helper),
    )
    return SimpleNamespace(
        townships=(township_a, township_b), villages=(village_a, village_b, village_a2),
        home=home, away=away, neighbour=neighbour, cadre=helper, users=users,
    )
