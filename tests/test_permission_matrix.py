"""The permission matrix, generated (NetBox's generated permission tests): from the role table (ROLE_LEVELS with
each model's role_overrides) and the registered models, with no hand-written case per model or role.

1. Every concrete model of the project's apps declares its access (`area_paths` and a manager with `restrict`)
   or is on the commented allow-list below.
2. For every model with `area_paths`, every role and action: one object inside the scoped users' area
   (county.home / its village / its township), one "near" (county.neighbour: same township, other village) and
   one outside (county.away / the other township), found in the fixture, built from the model's foreign keys or
   by the small FACTORIES registry, and checked against area_paths; `restrict(user, action)` includes and
   excludes each exactly as the role table says.
3. For every detail page, edit page and API endpoint of those models (found by walking the URLconf): 200 in
   scope, 404 out of scope (403 or 404 when the role has no level at all); writes by roles without change
   rights answer 403/404 and leave the object as it was.
"""
import datetime
import itertools
import json
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.views.generic import DetailView, ListView, UpdateView

from households.models import Household
from povertyapp.roles import ACTIONS, CHANGE, ROLE_LEVELS, VIEW, Level, Role
from villages.models import County, Township, Village

from . import factories

PROJECT_APPS = (
    "povertyapp", "villages", "households", "identification", "exits", "reviews", "visits", "projects", "funds",
    "reports", "demo",
)
ROLES = [role.value for role in Role]

# Models that need no area_paths, each with the reason. A model not here and without area_paths fails the test.
ALLOW_LIST = {
    # The user's own role and area: read through request.user.staff_profile, edited only in the (superuser) admin.
    "povertyapp.StaffProfile": "the user's own profile; admin-only",
    # An append-only audit log of personal-data reveals, written by PersonalDataAccess.record(), shown to no role.
    "povertyapp.PersonalDataAccess": "audit log, written only; no page or endpoint lists it",
    # A round's checking results, preview and frozen snapshot: only ever reached as round_.issues / .changes /
    # .snapshots after the round itself was fetched through IdentificationRound.objects.restrict() (views.py).
    "identification.RoundIssue": "child rows of IdentificationRound, reached only through the restricted round",
    "identification.RoundChange": "child rows of IdentificationRound, reached only through the restricted round",
    "identification.RoundSnapshot": "child rows of IdentificationRound, reached only through the restricted round",
}


def project_models():
    """Concrete and proxy models of the project's apps: no historical (simple_history) models, no through tables."""
    for label in PROJECT_APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            if model._meta.auto_created or model._meta.abstract or hasattr(model, "instance_type"):
                continue  # through tables; simple_history's Historical* models carry `instance_type`
            yield model


def scoped_models():
    return [model for model in project_models() if hasattr(model, "area_paths")]


# --- 1. every model declares its access ----------------------------------------------------------------------


def test_every_model_declares_its_area_paths_or_is_allow_listed():
    undeclared, unrestricted = [], []
    for model in project_models():
        label = model._meta.label
        if label in ALLOW_LIST:
            continue
        if not hasattr(model, "area_paths"):
            undeclared.append(label)
        elif not hasattr(model._default_manager, "restrict") or not hasattr(model._base_manager.all(), "filter"):
            unrestricted.append(label)
        else:
            unknown = set(model.area_paths) - {"township", "village", "household"}
            assert not unknown, f"{label}.area_paths has unknown keys {unknown}"
    assert undeclared == [], (
        f"models without area_paths (declare them, or add them to ALLOW_LIST with the reason): {undeclared}"
    )
    assert unrestricted == [], f"models with area_paths whose default manager has no restrict(): {unrestricted}"
    stale = set(ALLOW_LIST) - {model._meta.label for model in project_models()}
    assert not stale, f"ALLOW_LIST names models that no longer exist: {stale}"


def test_the_model_walk_finds_the_registry():
    labels = {model._meta.label for model in scoped_models()}
    assert {"households.Household", "households.Member", "villages.Village", "reviews.Case"} <= labels


# --- building an object inside and outside a role's scope -----------------------------------------------------

KEYS = ("household", "village", "township")  # deepest first
_counter = itertools.count(1)


SIDES = ("in", "near", "out")


@pytest.fixture(autouse=True)
def _distinct_primary_keys(db):
    """Before the county fixture: a township, two villages and three households elsewhere, so that the home
    household, its village and its township never share a primary key, and an `area_paths` entry that points at
    the wrong table cannot pass by coincidence."""
    township = factories.township("偏远镇")
    villages = [factories.village(township, population=0) for _ in range(2)]
    for _ in range(3):
        factories.household(villages[1], members=1)


def anchors(county, side):
    """What "inside" (the home household, its village and township), "near" (the neighbour household in another
    village of the same township) and "outside" (the other township) mean."""
    if side == "in":
        return {"household": county.home, "village": county.villages[0], "township": county.townships[0]}
    if side == "near":  # the same township, another village: inside for township roles only
        return {"household": county.neighbour, "village": county.villages[2], "township": county.townships[0]}
    return {"household": county.away, "village": county.villages[1], "township": county.townships[1]}


def _paths(model, key):
    paths = model.area_paths[key]
    return (paths,) if isinstance(paths, str) else tuple(paths)


def _reaches(model, pk, key, anchor) -> bool:
    return any(
        model._base_manager.filter(models.Q(pk=pk) & models.Q(**{path: anchor.pk})).exists()
        for path in _paths(model, key)
    )


def _reaches_any(model, pk, key) -> bool:
    return any(
        model._base_manager.filter(models.Q(pk=pk) & models.Q(**{f"{path}__isnull": False})).exists()
        for path in _paths(model, key)
    )


def placed(model, obj, county, side) -> bool:
    """Inside: reaches the home household / village / township through every declared path key.
    Outside: reaches none of them, and does reach some area through its deepest key (an object attached to
    nothing would prove little)."""
    keys = [key for key in KEYS if key in model.area_paths]
    inside = anchors(county, "in")
    if side == "near":
        if any(_reaches(model, obj.pk, key, inside[key]) for key in ("household", "village") if key in keys):
            return False
        return all(_reaches(model, obj.pk, key, anchors(county, "near")[key]) for key in keys)
    if side == "in":
        return all(_reaches(model, obj.pk, key, inside[key]) for key in keys)
    if any(_reaches(model, obj.pk, key, inside[key]) for key in keys):
        return False
    return _reaches_any(model, obj.pk, keys[0])


def _other_county():
    """A second county with a township of its own: the outside of county-level rows (thresholds, policies)."""
    other = County.objects.filter(code="459900000000").first()
    if other is None:
        other = County.objects.create(name="外县", code="459900000000")
        factories.village(factories.township("外县镇", county_=other), "外县村")
    return other


def _county_out(county):
    return _other_county()


def _in_other_county(label):
    return lambda county: autofill(apps.get_model(label), county, "out", overrides={"county": _other_county()})


def _cadre(household):
    def make(county):
        helper = factories.cadre("另一干部")
        factories.pairing(helper, getattr(county, household))
        return helper

    return make


# A township or county row reaches every village in it, so none sits in the user's township but outside the
# user's village: these have no "near" object (their inside and outside still are).
NO_NEAR_SIDE = {"villages.Township", "villages.County", "exits.ExitThreshold", "visits.VisitPolicy"}

# Where generic creation cannot place an object (it has no foreign key leading to the area), a factory:
# FACTORIES[label](county, side) -> object. Any model that neither the fixture, the generic builder nor this
# registry can place fails test_every_scoped_model_can_be_placed, naming it.
FACTORIES = {
    ("villages.County", "out"): _county_out,
    ("villages.Cadre", "out"): _cadre("away"),
    ("villages.Cadre", "near"): _cadre("neighbour"),
    # One row per county, reaching every township of it: the outside is the other county's row.
    ("exits.ExitThreshold", "out"): lambda county: apps.get_model("exits.ExitThreshold").objects.get(
        pk=_other_county().pk
    ),  # a proxy of County
    ("visits.VisitPolicy", "out"): _in_other_county("visits.VisitPolicy"),
}

AREA_MODELS = {Household: "household", Village: "village", Township: "township"}


def build(model, county, side, depth=0):
    """An instance of `model` on `side`: the fixture's, a registered factory's, or one filled in generically."""
    if not model.area_paths:  # county-wide reference data: any row does
        return model._base_manager.first() or autofill(model, county, side, depth)
    for obj in model._base_manager.order_by("pk")[:50]:
        if placed(model, obj, county, side):
            return obj
    factory = FACTORIES.get((model._meta.label, side))
    return factory(county) if factory else autofill(model, county, side, depth)


def autofill(model, county, side, depth=0, overrides=None):
    """Fill every required field: area foreign keys with the side's anchors, other foreign keys recursively."""
    if depth > 4:
        raise RecursionError(model)
    area = anchors(county, side)
    values = dict(overrides or {})
    for field in model._meta.concrete_fields:
        if field.name in values:
            continue
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if field.is_relation:
            target = field.related_model
            concrete_target = target._meta.concrete_model
            for area_model, key in AREA_MODELS.items():
                if issubclass(concrete_target, area_model):
                    values[field.name] = area[key]
                    break
            else:
                if issubclass(concrete_target, County):
                    values[field.name] = area["township"].county
                elif field.null or field.has_default():
                    continue
                elif target is get_user_model():
                    values[field.name] = county.users.county_staff
                elif hasattr(target, "area_paths"):
                    values[field.name] = build(target, county, side, depth + 1)
                else:
                    values[field.name] = autofill(target, county, side, depth + 1)
            continue
        if field.has_default() or field.null:
            continue
        values[field.name] = _value(field)
    obj = model(**values)
    obj.save()
    return obj


def _value(field):
    n = next(_counter)
    if field.choices:
        return field.choices[0][0]
    kind = field.get_internal_type()
    if kind in {"CharField", "TextField", "SlugField", "EmailField", "URLField"}:
        text = f"m{n}"
        return text[: field.max_length] if field.max_length else text
    if kind in {"FileField", "ImageField"}:
        return f"matrix/{n}.jpg"
    if kind == "GenericIPAddressField":
        return "127.0.0.1"
    if kind == "DateTimeField":
        return timezone.now()
    if kind == "DateField":
        return datetime.date(2016, 6, 1)
    if kind == "DecimalField":
        return Decimal("1")
    if kind == "JSONField":
        return {}
    if kind == "BooleanField":
        return False
    if "Integer" in kind:
        return 2016
    raise NotImplementedError(f"{field.model._meta.label}.{field.name} ({kind}): add a FACTORIES entry")


@pytest.fixture
def placed_objects(county):
    """{model: {side: object}}; for county-wide models (area_paths {}) one row, as "in"."""
    objects, failures = {}, []
    for model in scoped_models():
        label = model._meta.label
        sides = ("in",) if not model.area_paths else [s for s in SIDES if not (s == "near" and label in NO_NEAR_SIDE)]
        built = {}
        for side in sides:
            try:
                with transaction.atomic():
                    built[side] = build(model, county, side)
            except Exception as error:  # noqa: BLE001 -- reported below, with the model's name
                failures.append(f"{label} {side}side: {type(error).__name__}: {error}")
                continue
            if model.area_paths and not placed(model, built[side], county, side):
                failures.append(f"{label}: built {side}side object {built[side].pk} is not {side} scope")
        objects[model] = built
    assert failures == [], "models the matrix cannot place (add a FACTORIES entry):\n" + "\n".join(failures)
    return objects


def level(role, action, model) -> str:
    """The role table, read independently of povertyapp.access.level_for."""
    overrides = getattr(model, "role_overrides", None) or {}
    if role in overrides and action in overrides[role]:
        return overrides[role][action]
    return ROLE_LEVELS[role][action]


def visible(role, action, model, side) -> bool:
    """Whether the role's level for the action covers an object on `side` (inside: the user's own area)."""
    granted = level(role, action, model)
    if granted == Level.COUNTY:
        return True
    if side == "out" or not model.area_paths:
        return False
    paths = model.area_paths
    if side == "near":
        return granted == Level.TOWNSHIP and "township" in paths
    return (
        (granted == Level.TOWNSHIP and "township" in paths)
        or (granted == Level.VILLAGE and "village" in paths)
        or (granted == Level.PAIRED and ("household" in paths or "village" in paths))
    )


# --- 2. restrict() against the role table ---------------------------------------------------------------------


def test_every_scoped_model_can_be_placed(placed_objects):
    assert set(placed_objects) == set(scoped_models())


@pytest.mark.parametrize("role", ROLES)
def test_restrict_follows_the_role_table(county, placed_objects, role):
    user = getattr(county.users, role)
    wrong = []
    for model, built in placed_objects.items():
        for action in ACTIONS:
            pks = set(model._default_manager.restrict(user, action).values_list("pk", flat=True))
            for side, obj in built.items():
                expected = visible(role, action, model, side)
                if (obj.pk in pks) != expected:
                    wrong.append(
                        f"{model._meta.label} {action} {side}side pk={obj.pk}: level "
                        f"{level(role, action, model)} should {'include' if expected else 'exclude'} it"
                    )
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


# --- 3. URLs ---------------------------------------------------------------------------------------------------

PARAMETER = re.compile(r"<(?:int|str):(\w+)>|\(\?P<(\w+)>[^)]*\)")

# Views taking a pk whose class names no model (function views), with the model the pk is of.
FUNCTION_READ_PAGES = {
    "identification:progress": "identification.IdentificationRound",
    "exits:progress": "exits.EligibilityRun",
    "visits:household": "visits.VisitHousehold",
}
# Routes with a pk left to their apps' own tests, each with why: state-changing POST actions and files.
NOT_WALKED = {
    "identification:commit": "POST action on a validated round (test_identification_pages)",
    "identification:retry": "POST action on a failed round",
    "identification:error_report": "a file only a validated round has",
    "identification:snapshot": "only a committed round has one",
    "identification:compare": "needs two committed rounds",
    "exits:retry": "POST action on a failed run",
    "reviews:step": "POST workflow step (test_reviews_workflow)",
    "reviews:objection": "POST workflow action",
    "reviews:resolve_objection": "POST workflow action",
    "reviews:attachment": "a file only a step with an attachment has",
    "reviews:propose": "POST workflow action",
    "reviews:propose_from_run": "POST workflow action",
    "reviews:propose_from_round": "POST workflow action",
    "visits:reschedule": "POST action (test_visits)",
    "visits:resolve_need": "POST action (test_visits)",
    "visits:record": "create form for a household (test_visits)",
    "visits:photo": "a file only an uploaded photo has (test_visits_api)",
    "households:member_create": "create form",
    "households:income_create": "create form",
    "api:visitphoto-content": "a file only an uploaded photo has (test_visits_api)",
}


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def pk_routes():
    """(name, route, model, kind) for every pattern taking one pk: kind "read", "edit" (GET of an edit page),
    "write" (API PATCH) or "post" (an API action on the object); routes naming no model and not listed above are returned with model None."""
    for route, namespace, entry in _walk(get_resolver().url_patterns):
        if namespace == "admin" or "format" in route:
            continue
        names = [a or b for a, b in PARAMETER.findall(route)]
        if not {"pk", "household_pk"} & set(names):
            continue
        name = f"{namespace}:{entry.name}"
        route = "/" + route.replace("^", "").replace("$", "")
        if name in NOT_WALKED:
            continue
        callback = entry.callback
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        queryset = getattr(view_class, "queryset", None)
        model = getattr(queryset, "model", None) or getattr(view_class, "model", None)
        if name in FUNCTION_READ_PAGES:
            yield name, route, apps.get_model(FUNCTION_READ_PAGES[name]), "read"
            continue
        actions = getattr(callback, "actions", None)
        if actions is not None:  # a DRF viewset route
            if "get" in actions:
                yield name, route, model, "read"
            if "patch" in actions:
                yield name, route, model, "write"
            elif "post" in actions:
                yield name, route, model, "post"
        elif view_class is not None and issubclass(view_class, UpdateView):
            yield name, route, model, "edit"
        elif view_class is not None and issubclass(view_class, DetailView):
            yield name, route, model, "read"
        else:
            yield name, route, None, "unknown"


def test_every_pk_route_is_walked_or_listed():
    unknown = [f"{name} {route}" for name, route, model, _kind in pk_routes() if model is None]
    assert unknown == [], f"pk routes naming no model: add them to FUNCTION_READ_PAGES or NOT_WALKED: {unknown}"
    walked = {name for name, *_ in pk_routes()}
    assert {"households:detail", "households:edit", "api:household-detail", "reviews:case"} <= walked


def list_routes():
    """(name, route, model, is_api) for every list page and API list endpoint of a model with area_paths."""
    for route, namespace, entry in _walk(get_resolver().url_patterns):
        if namespace == "admin" or "format" in route or PARAMETER.search(route):
            continue
        callback = entry.callback
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        model = getattr(getattr(view_class, "queryset", None), "model", None) or getattr(view_class, "model", None)
        if model is None or not hasattr(model, "area_paths"):
            continue
        actions = getattr(callback, "actions", None)
        is_api = actions is not None and "list" in actions.values()
        if is_api or (view_class is not None and issubclass(view_class, ListView)):
            yield f"{namespace}:{entry.name}", "/" + route.replace("^", "").replace("$", ""), model, is_api


@pytest.mark.parametrize("role", ROLES)
def test_lists_follow_the_role_table(client, county, placed_objects, role):
    """Lists answer 200 to a role with a view level (API lists: with exactly the visible objects of the two),
    403 or an empty list to one without; API list POSTs (creates) are refused to roles without change rights."""
    user = getattr(county.users, role)
    client.force_login(user)
    wrong, walked = [], set()
    for name, route, model, is_api in list_routes():
        if model not in placed_objects:
            continue
        walked.add(name)
        no_view = level(role, VIEW, model) == Level.NONE
        response = client.get(route + ("?limit=1000" if is_api else ""))
        if response.status_code != 200:
            if not (no_view and response.status_code in {403, 404}):
                wrong.append(f"{name} {route}: {response.status_code}")
            continue
        if is_api:
            rows = response.json()
            rows = rows.get("results", rows) if isinstance(rows, dict) else rows
            ids = {row.get("id", row.get("pk")) for row in rows}
            for side, obj in placed_objects[model].items():
                if (obj.pk in ids) != visible(role, VIEW, model, side):
                    wrong.append(f"{name} {route}: {side}side {model._meta.label} pk={obj.pk} "
                                 f"{'missing' if obj.pk not in ids else 'listed'}")
            if level(role, CHANGE, model) == Level.NONE and "post" in getattr(
                get_resolver().resolve(route).func, "actions", {}
            ):
                count = model._base_manager.count()
                refused = client.post(route, data="{}", content_type="application/json")
                if refused.status_code not in {403, 404} or model._base_manager.count() != count:
                    wrong.append(f"{name} POST {route}: {refused.status_code}")
    assert len(walked) >= 5, f"the walk found too few lists: {walked}"
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


def _url(route, pk):
    return PARAMETER.sub(str(pk), route, count=1)


def _state(obj):
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    return json.dumps(model_to_dict(fresh), default=str, sort_keys=True)


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_endpoints_follow_the_role_table(client, county, placed_objects, role):
    user = getattr(county.users, role)
    client.force_login(user)
    wrong, requests = [], 0
    for name, route, model, kind in pk_routes():
        if model not in placed_objects:
            continue
        action = VIEW if kind == "read" else CHANGE
        no_level = level(role, action, model) == Level.NONE
        for side, obj in placed_objects[model].items():
            if kind in {"write", "post"} and visible(role, action, model, side):
                continue  # a permitted write is the app tests' business; here only refusals are checked
            url = _url(route, obj.pk)
            before = _state(obj)
            if kind == "write":
                response = client.patch(url, data="{}", content_type="application/json")
            elif kind == "post":
                response = client.post(url, data="{}", content_type="application/json")
            else:
                response = client.get(url)
            requests += 1
            if visible(role, action, model, side):
                allowed = {200}
            else:
                allowed = {403, 404} if no_level else {404}
            if response.status_code not in allowed:
                wrong.append(f"{name} {kind} {url} ({side}side {model._meta.label}): "
                             f"{response.status_code}, expected {sorted(allowed)}")
            if kind != "read" and _state(obj) != before:
                wrong.append(f"{name} {url}: the refused request changed the object")
    assert requests > 20, "the walk reached too few URLs to mean anything"
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)
