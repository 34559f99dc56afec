"""The layers (README "Architecture"): import-linter (.importlinter) checks the imports; these tests check what it
cannot see — app names in the floor's strings — and that the apps' registrations reach the floor."""
import ast
import re
from pathlib import Path

from django.apps import apps
from django.urls import reverse

from households.models import Household
from povertyapp import access
from povertyapp.api import routes

from . import factories

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = {config.label for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
NAME = re.compile(r"^[a-z_]+(\.[A-Za-z_]+)*$")
# StaffProfile places a user in the area tree (township, village, cadre): the one app the floor names.
FLOOR_MAY_NAME = {"povertyapp/models.py": {"villages.Township", "villages.Village", "villages.Cadre"}}
# settings.py wires the project together: INSTALLED_APPS, beat tasks, exported choices.
FLOOR_WIRING = {"povertyapp/settings.py"}


def app_names_in(path: Path) -> set[str]:
    """Strings that name one of the project's other apps ("households", "households.models", "villages.Village")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
            if node.value.split(".")[0] in PROJECT_APPS - {"povertyapp"}:
                names.add(node.value)
    return names


def test_it_finds_no_app_named_in_the_floor():
    named = {}
    for path in sorted((ROOT / "povertyapp").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative in FLOOR_WIRING:
            continue
        unexpected = app_names_in(path) - FLOOR_MAY_NAME.get(relative, set())
        if unexpected:
            named[relative] = unexpected
    assert named == {}


def test_it_serves_every_registered_api_route(client, county):
    client.force_login(county.users.county_staff)
    listed = set(client.get("/api/v1/").json())
    assert listed == {route.prefix for route in routes()} == {
        "townships", "villages", "cadres", "households", "members", "pairings", "exit-runs", "review-cases",
        "visits", "visit-photos",
    }


def test_it_shows_a_pairing_cadre_nothing_without_a_paired_lookup(county, monkeypatch):
    user = county.users.pairing_cadre
    assert list(Household.objects.restrict(user)) == [county.home]
    monkeypatch.setattr(access, "_paired_lookup", None)
    assert not Household.objects.restrict(user).exists()


def test_it_lists_a_villages_households_in_the_registers_panel(client, county):
    unpaired = factories.household(county.villages[0])
    village_page = reverse("villages:detail", args=[county.villages[0].pk])
    client.force_login(county.users.first_secretary)
    response = client.get(village_page)
    page = response.content.decode()
    assert response.context["object"].household_count == 2
    assert county.home.number in page and unpaired.number in page
    client.force_login(county.users.pairing_cadre)
    page = client.get(village_page).content.decode()
    assert county.home.number in page and unpaired.number not in page
