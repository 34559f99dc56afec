"""Shared set-up for the review tests (tests/test_reviews_*.py)."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from exits.models import PovertyLine
from reviews.choices import Kind, State
from reviews.models import Case

from . import factories

YEAR = 2016
LINE = Decimal("3146")  # the 2016 exit-check line; the factories' income gives 7,500 yuan per person
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def exit_ready(county):
    """The county fixture, with the 2016 line and an income that passes it for home, away and neighbour."""
    PovertyLine.objects.update_or_create(year=YEAR, kind=PovertyLine.Kind.EXIT_CHECK, defaults={"amount": LINE})
    for household in (county.home, county.away, county.neighbour):
        factories.income(household, year=YEAR)
    return county


def case_at(household, state, creator, kind=Kind.EXIT):
    """A case put straight into `state` (set-up only; the workflow tests cover how it gets there).

    A notice put this way started ten days ago and ended four days ago.
    """
    noticed = state in (State.NOTICE, State.SIGNED)
    today = timezone.localdate()
    return Case.objects.create(
        household=household, kind=kind, year=YEAR, state=state, created_by=creator,
        notice_start=today - datetime.timedelta(days=10) if noticed else None,
        notice_end=today - datetime.timedelta(days=4) if noticed else None,
    )


def take(page, step_label, **fields):
    """Click a step's button on the case page, fill the form, submit; returns the state badge's text."""
    page.locator("#case-actions").get_by_role("link", name=step_label, exact=True).click()
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)
    page.click("main form button[type=submit]")
    return page.locator("#case-state").inner_text()
