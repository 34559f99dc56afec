"""Personal data on every path: walk each page, form, export and API endpoint for every role, asked to reveal
and not, and fail on any full ID number, phone or bank account the role may not see, or one shown unlogged."""
import io
import re
import zipfile

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from households.models import Pairing
from povertyapp.models import PersonalDataAccess
from povertyapp.roles import ROLES_SEEING_PERSONAL_DATA
from reviews.choices import Kind, State, Step
from reviews.models import Case

from . import factories

SKIPPED_NAMESPACES = {"admin"}  # superusers only
PARAMETER = re.compile(r"<(?:int|str):(\w+)>|\(\?P<(\w+)>[^)]*\)")
STRING_VALUES = {"state": State.values, "step": Step.values, "kind": Kind.values}


def routes():
    def walk(patterns, prefix="", namespace=None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), namespace

    for route, namespace in walk(get_resolver().url_patterns):
        if namespace in SKIPPED_NAMESPACES or "format" in route or "logout" in route:
            continue
        yield route.replace("^", "").replace("$", "")


def urls(candidate_pks):
    """Every GET-able URL with each parameter filled by each candidate (404s and 405s are fine)."""
    for route in routes():
        names = [a or b for a, b in PARAMETER.findall(route)]
        if not names:
            yield "/" + route
            continue
        values = [STRING_VALUES.get(name, candidate_pks) for name in names]
        for combination in _product(values):
            url, filled = route, iter(combination)
            url = PARAMETER.sub(lambda _match: str(next(filled)), url)
            yield "/" + url


def _product(lists):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


def text_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # an xlsx export: the cells are in the zipped XML
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"".join(archive.read(name) for name in archive.namelist())
    return body.decode("utf-8", errors="ignore")


@pytest.fixture
def secrets(county):
    home = county.home
    home.phone, home.bank_account = "13912345678", "6228480098765432"
    home.save()
    county.cadre.phone = "13700001111"
    county.cadre.save()
    factories.income(home, year=2016)
    Case.objects.create(household=home, kind=Kind.EXIT, year=2016, state=State.PROPOSED,
                        created_by=county.users.county_staff)
    values = {home.phone, home.bank_account, county.cadre.phone, *home.members.values_list("id_number", flat=True)}
    pks = {home.pk, county.cadre.pk, home.village_id, home.village.township_id,
           *home.members.values_list("pk", flat=True), *home.incomes.values_list("pk", flat=True),
           *Pairing.objects.filter(household=home).values_list("pk", flat=True),
           *Case.objects.values_list("pk", flat=True)}
    return values, sorted(pks)


@pytest.mark.parametrize("role", ["county_staff", "township_cadre", "first_secretary", "pairing_cadre", "auditor"])
def test_it_shows_personal_data_only_when_asked_allowed_and_logged(client, county, secrets, role):
    values, pks = secrets
    user = getattr(county.users, role)
    client.force_login(user)
    revealer = user.staff_profile.role in ROLES_SEEING_PERSONAL_DATA
    leaks, seen = [], 0
    for url in urls(pks):
        for query in ("?reveal=1", "") if revealer else ("?reveal=1",):
            logged_before = PersonalDataAccess.objects.count()
            response = client.get(url + query)
            if response.status_code != 200:
                continue
            seen += 1
            shown = {value for value in values if value in text_of(response)}
            logged = PersonalDataAccess.objects.count() > logged_before
            if shown and not (revealer and query and logged):
                leaks.append((url + query, sorted(shown)))
    assert seen > 20, "the walk reached too few pages to mean anything"
    assert leaks == []
