"""REST API /api/v1/: area scoping per role, capture rights, masking and its log, validation, tokens, query counts."""
import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from households import choices
from households.api.serializers import PairingSerializer
from households.api.views import PairingViewSet
from households.models import Household, Member, Pairing
from povertyapp.api import AreaScopedReadOnlyViewSet, _RevealLog, write_reveal_log
from povertyapp.masking import mask_account, mask_id_number, mask_phone
from povertyapp.models import PersonalDataAccess
from povertyapp.roles import CHANGE, ROLE_LEVELS, VIEW, Level, Role
from villages.api.serializers import VillageSerializer

from . import factories

API = "/api/v1/"
RESTRICTED_ROLES = ["township_cadre", "first_secretary", "pairing_cadre"]
ENDPOINTS = ["households", "members", "villages", "townships", "cadres", "pairings"]
WRITABLE = {"households": {"address": "新地址"}, "members": {"name": "改名"}, "pairings": {"end_date": "2020-12-31"}}


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def objects(county):
    """Per endpoint, an object inside every restricted role's area ("near") and one in the other township ("far")."""
    far_cadre = factories.cadre("王干部")
    return {
        "near": {
            "households": county.home, "members": county.home.members.first(), "villages": county.villages[0],
            "townships": county.townships[0], "cadres": county.cadre, "pairings": county.home.pairings.get(),
        },
        "far": {
            "households": county.away, "members": county.away.members.first(), "villages": county.villages[1],
            "townships": county.townships[1], "cadres": far_cadre,
            "pairings": factories.pairing(far_cadre, county.away),
        },
    }


# --- Area scoping -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", RESTRICTED_ROLES)
def test_objects_outside_the_area_are_not_listed_and_answer_404(county, objects, role, endpoint):
    client = client_for(getattr(county.users, role))
    near, far = objects["near"][endpoint], objects["far"][endpoint]
    listed = ids(client.get(f"{API}{endpoint}/"))
    assert near.pk in listed and far.pk not in listed
    assert client.get(f"{API}{endpoint}/{near.pk}/").status_code == 200
    assert client.get(f"{API}{endpoint}/{far.pk}/").status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ["county_staff", "auditor"])
def test_county_wide_roles_see_every_township(county, objects, role, endpoint):
    client = client_for(getattr(county.users, role))
    listed = ids(client.get(f"{API}{endpoint}/"))
    assert {objects["near"][endpoint].pk, objects["far"][endpoint].pk} <= listed


@pytest.mark.parametrize("endpoint", WRITABLE)
@pytest.mark.parametrize("role", ["township_cadre", "first_secretary"])
def test_writes_outside_the_capture_scope_are_404(county, objects, role, endpoint):
    client = client_for(getattr(county.users, role))
    near, far = objects["near"][endpoint], objects["far"][endpoint]
    before = type(far).objects.values().get(pk=far.pk)
    assert client.patch(f"{API}{endpoint}/{far.pk}/", WRITABLE[endpoint], format="json").status_code == 404
    assert type(far).objects.values().get(pk=far.pk) == before
    assert client.patch(f"{API}{endpoint}/{near.pk}/", WRITABLE[endpoint], format="json").status_code == 200


def test_writes_use_the_capture_scope_where_the_view_scope_is_wider(county, monkeypatch):
    monkeypatch.setitem(ROLE_LEVELS, Role.TOWNSHIP_CADRE, {VIEW: Level.COUNTY, CHANGE: Level.TOWNSHIP})
    client = client_for(county.users.township_cadre)
    assert client.get(f"{API}households/{county.away.pk}/").status_code == 200
    assert client.patch(f"{API}households/{county.away.pk}/", {"address": "x"}, format="json").status_code == 404
    assert client.patch(f"{API}households/{county.home.pk}/", {"address": "x"}, format="json").status_code == 200


@pytest.mark.parametrize("endpoint", WRITABLE)
@pytest.mark.parametrize("role", ["auditor", "pairing_cadre"])
def test_roles_without_capture_rights_get_403_on_writes(county, objects, role, endpoint):
    client = client_for(getattr(county.users, role))
    near = objects["near"][endpoint]
    before = type(near).objects.values().get(pk=near.pk)
    response = client.patch(f"{API}{endpoint}/{near.pk}/", WRITABLE[endpoint], format="json")
    assert response.status_code == 403
    assert type(near).objects.values().get(pk=near.pk) == before
    assert client.post(f"{API}{endpoint}/", {}, format="json").status_code == 403


@pytest.mark.parametrize("endpoint", ["villages", "townships", "cadres"])
def test_area_tree_and_cadres_are_read_only(county, objects, endpoint):
    client = client_for(county.users.county_staff)
    assert client.patch(f"{API}{endpoint}/{objects['near'][endpoint].pk}/", {}, format="json").status_code == 405


def test_there_is_no_delete(county):
    client = client_for(county.users.county_staff)
    assert client.delete(f"{API}households/{county.home.pk}/").status_code == 405
    assert Household.objects.filter(pk=county.home.pk).exists()


def test_anonymous_requests_are_refused(county):
    assert APIClient().get(f"{API}households/").status_code == 401


def test_a_viewset_without_queryset_fails(county):
    class NoQueryset(AreaScopedReadOnlyViewSet):
        serializer_class = VillageSerializer

    request = APIRequestFactory().get("/")
    force_authenticate(request, county.users.county_staff)
    with pytest.raises(ImproperlyConfigured):
        NoQueryset.as_view({"get": "list"})(request)


def test_saved_objects_must_land_inside_the_capture_scope(county):
    """Deny by default: even a serializer whose choices were not restricted cannot write outside the area."""

    class UnscopedSerializer(PairingSerializer):
        serializer_related_field = serializers.PrimaryKeyRelatedField

        class Meta(PairingSerializer.Meta):
            extra_kwargs = {}

    class UnscopedViewSet(PairingViewSet):
        serializer_class = UnscopedSerializer

    request = APIRequestFactory().post(
        "/", {"household": county.away.pk, "cadre": county.cadre.pk, "start_date": "2017-01-01"}, format="json"
    )
    force_authenticate(request, county.users.township_cadre)
    response = UnscopedViewSet.as_view({"post": "create"})(request)
    assert response.status_code == 403
    assert not Pairing.objects.filter(household=county.away).exists()


# --- Creating households -----------------------------------------------------------------------------------


def household_payload(village, number="45048129990001"):
    return {
        "number": number, "village": village.pk, "year_identified": 2015,
        "attribute": choices.Attribute.GENERAL, "main_cause": choices.Cause.LACK_OF_SKILLS,
    }


def test_household_in_a_village_outside_the_capture_scope_is_refused(county):
    client = client_for(county.users.township_cadre)
    before = Household.objects.count()
    response = client.post(f"{API}households/", household_payload(county.villages[1]), format="json")
    assert response.status_code == 400 and "village" in response.json()
    assert Household.objects.count() == before
    response = client.post(f"{API}households/", household_payload(county.villages[0]), format="json")
    assert response.status_code == 201, response.content
    assert Household.objects.get(number="45048129990001").village == county.villages[0]


def test_household_validation_uses_the_model_rules(county):
    client = client_for(county.users.county_staff)
    payload = {**household_payload(county.villages[0]), "other_causes": ["01", "77"]}
    response = client.post(f"{API}households/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["other_causes"] == ["未知的致贫原因代码:77"]


def test_status_and_exit_year_change_only_through_the_workflow(county):
    client = client_for(county.users.county_staff)
    before = Household.objects.count()
    exited = {**household_payload(county.villages[0]), "status": choices.Status.EXITED, "exit_year": 2016}
    response = client.post(f"{API}households/", exited, format="json")
    assert response.status_code == 400 and set(response.json()) == {"status", "exit_year"}
    assert Household.objects.count() == before
    candidate = {**household_payload(county.villages[0]), "status": choices.Status.CANDIDATE}
    assert client.post(f"{API}households/", candidate, format="json").status_code == 201
    response = client.patch(f"{API}households/{county.home.pk}/", {"status": choices.Status.EXITED}, format="json")
    assert response.status_code == 400 and "审核公示流程" in response.json()["status"][0]
    county.home.refresh_from_db()
    assert county.home.status == choices.Status.NOT_EXITED


# --- Member validation -------------------------------------------------------------------------------------


def member_payload(household, **fields):
    values = {
        "household": household.pk, "name": "新成员", "relation": choices.Relation.SON,
        "id_number": factories.id_number(datetime.date(2008, 6, 1), male=True),
        "education": "", "school_status": choices.SchoolStatus.GRADE_8,
    }
    values.update(fields)
    return values


def broken_check_digit():
    number = factories.id_number()
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"id_number": "broken"}, "id_number", "证件号码校验位错误。"),
        ({"relation": choices.Relation.DAUGHTER}, "relation", "与证件号码中的性别"),
        ({"education": choices.Education.PRIMARY}, "school_status", "文化程度与在校生状况须且只能填写一项。"),
        ({"school_status": ""}, "school_status", "文化程度与在校生状况须且只能填写一项。"),
        ({"id_number": "duplicate"}, "id_number", "该证件号码已是"),
        ({"relation": choices.Relation.HEAD}, "relation", "户主"),
    ],
    ids=["check-digit", "sex-vs-relation", "education-and-school", "neither", "duplicate-id", "second-head"],
)
def test_invalid_members_are_400_with_the_message_and_nothing_is_saved(county, fields, field, message):
    if fields.get("id_number") == "broken":
        fields = {"id_number": broken_check_digit()}
    elif fields.get("id_number") == "duplicate":
        fields = {"id_number": county.away.members.first().id_number}
    client = client_for(county.users.township_cadre)
    before = Member.objects.count()
    response = client.post(f"{API}members/", member_payload(county.home, **fields), format="json")
    assert response.status_code == 400, response.content
    assert any(message in error for error in response.json()[field]), response.json()
    assert Member.objects.count() == before


def test_valid_member_is_saved_with_sex_and_birth_date_from_the_id(county):
    client = client_for(county.users.first_secretary)
    payload = member_payload(county.home, relation=choices.Relation.DAUGHTER,
                             id_number=factories.id_number(datetime.date(2009, 2, 3), male=False).lower())
    response = client.post(f"{API}members/", payload, format="json")
    assert response.status_code == 201, response.content
    member = Member.objects.get(pk=response.json()["id"])
    assert (member.sex, member.birth_date) == (choices.Sex.FEMALE, datetime.date(2009, 2, 3))
    assert member.id_number == payload["id_number"].upper()


def test_member_cannot_be_moved_to_a_household_outside_the_capture_scope(county):
    client = client_for(county.users.first_secretary)
    member = county.home.members.exclude(relation=choices.Relation.HEAD).first()
    response = client.patch(f"{API}members/{member.pk}/", {"household": county.neighbour.pk}, format="json")
    assert response.status_code == 400
    assert Member.objects.get(pk=member.pk).household == county.home


def test_a_database_conflict_is_a_400_not_a_500(county, monkeypatch):
    """Two concurrent writes can both pass full_clean(); the unique constraint then refuses the second."""
    monkeypatch.setattr(Pairing, "validate_constraints", lambda self, exclude=None: None)
    client = client_for(county.users.county_staff)
    payload = {"household": county.home.pk, "cadre": county.cadre.pk, "start_date": "2018-01-01"}
    response = client.post(f"{API}pairings/", payload, format="json")
    assert response.status_code == 400
    assert Pairing.objects.filter(household=county.home).count() == 1


# --- Personal data -----------------------------------------------------------------------------------------


@pytest.fixture
def home_contacts(county):
    Household.objects.filter(pk=county.home.pk).update(phone="13812345678", bank_account="6228480012345678")
    return county.home


@pytest.mark.parametrize("role", ["auditor", "pairing_cadre", "first_secretary"])
def test_personal_data_is_masked_for_roles_that_may_not_see_it(county, home_contacts, role):
    client = client_for(getattr(county.users, role))
    data = client.get(f"{API}households/{home_contacts.pk}/?reveal=true").json()  # asking changes nothing
    assert data["phone"] == mask_phone("13812345678") == "138****5678"
    assert data["bank_account"] == mask_account("6228480012345678")
    real = {m.pk: m.id_number for m in home_contacts.members.all()}
    assert {m["id"]: m["id_number"] for m in data["members"]} == {pk: mask_id_number(n) for pk, n in real.items()}
    listed = client.get(f"{API}members/?reveal=true").json()["results"]
    assert listed and all("*" in row["id_number"] for row in listed)
    assert not PersonalDataAccess.objects.exists()


def test_county_staff_see_masked_values_unless_they_ask(county, home_contacts):
    client = client_for(county.users.county_staff)
    data = client.get(f"{API}households/{home_contacts.pk}/").json()
    assert data["phone"] == "138****5678" and all("*" in m["id_number"] for m in data["members"])
    assert not PersonalDataAccess.objects.exists()


def test_county_staff_see_full_values_on_request_and_each_request_is_logged_once(county, home_contacts):
    user = county.users.county_staff
    client = client_for(user)
    data = client.get(f"{API}households/{home_contacts.pk}/?reveal=true").json()
    assert data["phone"] == "13812345678" and data["bank_account"] == "6228480012345678"
    assert {m["id_number"] for m in data["members"]} == set(home_contacts.members.values_list("id_number", flat=True))
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.channel, row.object_type, row.object_ids, row.record_count) == (
        user, "api", "household", str(home_contacts.pk), 1
    )

    members = client.get(f"{API}members/?reveal=true").json()["results"]
    assert len(members) == Member.objects.count() == 6
    assert PersonalDataAccess.objects.count() == 2
    row = PersonalDataAccess.objects.filter(object_type="member").get()
    assert row.record_count == 6 and set(row.object_ids.split(",")) == {str(m["id"]) for m in members}


def test_township_cadre_sees_full_values_too(county, home_contacts):
    data = client_for(county.users.township_cadre).get(f"{API}households/{home_contacts.pk}/?reveal=1").json()
    assert data["phone"] == "13812345678"
    assert PersonalDataAccess.objects.filter(user=county.users.township_cadre).count() == 1


def test_responses_without_personal_values_are_not_logged(county):
    client = client_for(county.users.county_staff)
    assert client.get(f"{API}households/").status_code == 200  # the lean list carries no personal fields
    assert client.get(f"{API}villages/").status_code == 200
    assert not PersonalDataAccess.objects.exists()


def test_the_logged_id_list_is_cut_but_the_count_is_exact(county):
    write_reveal_log(county.users.county_staff, _RevealLog(object_type="member", ids=list(range(1, 601))))
    row = PersonalDataAccess.objects.get()
    assert row.record_count == 600
    assert row.object_ids.startswith("1,2,3,") and row.object_ids.endswith(",500,…(+100)")


def test_sending_back_masked_values_keeps_the_stored_ones(county, home_contacts):
    client = client_for(county.users.first_secretary)
    shown = client.get(f"{API}households/{home_contacts.pk}/").json()
    payload = {"phone": shown["phone"], "bank_account": shown["bank_account"], "address": "三组"}
    assert client.patch(f"{API}households/{home_contacts.pk}/", payload, format="json").status_code == 200
    home_contacts.refresh_from_db()
    assert (home_contacts.phone, home_contacts.bank_account, home_contacts.address) == (
        "13812345678", "6228480012345678", "三组"
    )


# --- Filters -----------------------------------------------------------------------------------------------


def test_search_finds_households_once_by_number_name_or_full_id(county):
    client = client_for(county.users.county_staff)
    everyone = ids(client.get(f"{API}households/", {"q": "成员"}))  # matches both members of every household
    assert everyone == {county.home.pk, county.away.pk, county.neighbour.pk}
    assert client.get(f"{API}households/", {"q": "成员"}).json()["count"] == 3
    head = county.away.members.get(relation=choices.Relation.HEAD)
    assert ids(client.get(f"{API}households/", {"q": head.id_number.lower()})) == {county.away.pk}
    assert ids(client.get(f"{API}households/", {"q": head.id_number[:10]})) == set()
    assert ids(client.get(f"{API}households/", {"q": county.home.number[-4:]})) >= {county.home.pk}


def test_household_filters(county):
    Household.objects.filter(pk=county.away.pk).update(status=choices.Status.RETURNED)
    client = client_for(county.users.county_staff)
    assert ids(client.get(f"{API}households/", {"township": county.townships[0].pk})) == {
        county.home.pk, county.neighbour.pk
    }
    assert ids(client.get(f"{API}households/", {"status": [choices.Status.RETURNED]})) == {county.away.pk}
    assert ids(client.get(f"{API}households/", {"village": county.villages[2].pk})) == {county.neighbour.pk}


def test_filter_choices_are_scoped(county):
    client = client_for(county.users.township_cadre)
    assert client.get(f"{API}households/", {"township": county.townships[1].pk}).status_code == 400


def test_member_filter_by_id_number(county):
    head = county.home.members.get(relation=choices.Relation.HEAD)
    client = client_for(county.users.county_staff)
    assert ids(client.get(f"{API}members/", {"id_number": head.id_number})) == {head.pk}
    assert ids(client.get(f"{API}members/", {"household": county.away.pk})) == set(
        county.away.members.values_list("pk", flat=True)
    )


def test_villages_carry_their_latest_registered_population(county):
    village = county.villages[0]
    village.populations.create(as_of=datetime.date(2019, 1, 1), registered_persons=800, registered_households=200)
    data = client_for(county.users.county_staff).get(f"{API}villages/{village.pk}/").json()
    assert data["registered_persons"] == 800
    assert data["poor_person_count"] == 2 and data["incidence"] == "0.25"


# --- Tokens, schema, query counts --------------------------------------------------------------------------


def test_token_authentication(county):
    client = APIClient()
    response = client.post(
        f"{API}auth/token/", {"username": county.users.township_cadre.username, "password": "pass-for-tests-1"}
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=county.users.township_cadre).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert ids(client.get(f"{API}households/")) == {county.home.pk, county.neighbour.pk}
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(f"{API}households/").status_code == 401


def test_schema_and_docs(county):
    client = APIClient()
    assert client.get(f"{API}schema/").status_code in (401, 403)
    client.force_login(county.users.auditor)
    response = client.get(f"{API}schema/")
    assert response.status_code == 200
    assert b"/api/v1/households/{id}/" in response.content
    assert client.get(f"{API}docs/").status_code == 200
    assert client.get(API).status_code == 200


def list_queries(client, url):
    """(queries, rows) for one request of the list."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("endpoint", ["households", "members", "pairings", "cadres"])
def test_list_query_count_does_not_grow_with_rows(county, endpoint, django_assert_num_queries):
    """3 households in the township cadre's area, then 30: the same number of queries."""
    user = county.users.township_cadre
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    factories.pairing(factories.cadre(), factories.household(county.villages[0]))
    assert Household.objects.restrict(user).count() == 3
    queries, rows = list_queries(client, f"{API}{endpoint}/")
    for _ in range(27):
        factories.pairing(factories.cadre(), factories.household(county.villages[0]))
    # Token with user, staff profile, COUNT for the page, the page (+ the reveal log row for members).
    with django_assert_num_queries(queries):
        response = client.get(f"{API}{endpoint}/")
    assert response.json()["count"] >= rows + 27
