"""Registry pages: the access matrix, validation that saves nothing, audit diffs, masking, query counts."""
import pytest
from django.urls import reverse

from households import choices
from households.models import Household, Member
from povertyapp.masking import mask_id_number
from povertyapp.models import PersonalDataAccess

from . import factories

OUTSIDE = {  # for each scoped role, a household outside its view scope
    "township_cadre": "away",
    "first_secretary": "neighbour",
    "pairing_cadre": "away",
}


def member_form_data(member, **changes):
    data = {
        "name": member.name, "id_number": member.id_number, "relation": member.relation,
        "ethnicity": member.ethnicity, "education": member.education, "school_status": member.school_status,
        "health": member.health, "labour_skill": member.labour_skill, "work_status": member.work_status,
        "has_medical_insurance": "on", "has_serious_illness_insurance": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role, outside", OUTSIDE.items())
def test_objects_outside_the_scope_are_404_on_every_page(client, county, role, outside):
    client.force_login(getattr(county.users, role))
    household = getattr(county, outside)
    member = household.members.first()
    listing = client.get(reverse("households:list"))
    assert household.number not in listing.content.decode()
    assert client.get(reverse("households:detail", args=[household.pk])).status_code == 404
    assert client.get(reverse("villages:detail", args=[household.village_id])).status_code == 404
    edit = client.post(reverse("households:member_edit", args=[member.pk]), member_form_data(member, name="改名"))
    assert edit.status_code in (403, 404)
    member.refresh_from_db()
    assert member.name != "改名"


@pytest.mark.parametrize("role", ["county_staff", "township_cadre", "first_secretary", "pairing_cadre", "auditor"])
def test_own_household_is_visible(client, county, role):
    client.force_login(getattr(county.users, role))
    response = client.get(reverse("households:detail", args=[county.home.pk]))
    assert response.status_code == 200
    assert county.home.number in response.content.decode()


@pytest.mark.parametrize("role", ["auditor", "pairing_cadre"])
def test_read_only_roles_cannot_edit_even_inside_their_scope(client, county, role):
    client.force_login(getattr(county.users, role))
    member = county.home.members.first()
    response = client.post(reverse("households:member_edit", args=[member.pk]), member_form_data(member, name="改名"))
    assert response.status_code == 403
    assert client.get(reverse("households:create")).status_code == 403


def test_anonymous_users_are_sent_to_login(client, county):
    response = client.get(reverse("households:detail", args=[county.home.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_bad_check_digit_is_rejected_with_a_message_and_nothing_saved(client, county):
    client.force_login(county.users.county_staff)
    member = county.home.members.get(relation=choices.Relation.SPOUSE)
    bad = member.id_number[:17] + ("1" if member.id_number[17] != "1" else "2")
    response = client.post(reverse("households:member_edit", args=[member.pk]), member_form_data(member, id_number=bad))
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    member.refresh_from_db()
    assert member.id_number != bad


def test_relation_that_disagrees_with_the_sex_in_the_id_is_rejected(client, county):
    client.force_login(county.users.county_staff)
    member = county.home.members.get(relation=choices.Relation.SPOUSE)  # a woman
    response = client.post(
        reverse("households:member_edit", args=[member.pk]), member_form_data(member, relation=choices.Relation.SON)
    )
    assert "性别" in response.content.decode()
    member.refresh_from_db()
    assert member.relation == choices.Relation.SPOUSE


def test_second_head_is_rejected(client, county):
    client.force_login(county.users.county_staff)
    count = Member.objects.count()
    data = member_form_data(
        Member(name="新户主", id_number=factories.id_number(), relation=choices.Relation.HEAD, education="3")
    )
    response = client.post(reverse("households:member_create", args=[county.home.pk]), data)
    assert "每户只能有一名户主" in response.content.decode()
    assert Member.objects.count() == count


def test_same_person_in_two_households_is_rejected(client, county):
    client.force_login(county.users.county_staff)
    taken = county.away.members.get(relation=choices.Relation.SPOUSE)
    count = Member.objects.count()
    data = member_form_data(taken, name="重复者")
    response = client.post(reverse("households:member_create", args=[county.home.pk]), data)
    assert "不能在两户" in response.content.decode()
    assert county.away.number in response.content.decode()
    assert Member.objects.count() == count


def test_database_refuses_a_duplicate_active_person_too(county):
    from django.db import IntegrityError, transaction

    taken = county.away.members.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            household=county.home, name="x", id_number=taken.id_number, relation="99", sex="M",
            birth_date=taken.birth_date, education="3",
        )


def test_new_household_needs_a_valid_head_and_saves_both_or_neither(client, county):
    client.force_login(county.users.township_cadre)
    village = county.villages[0]
    data = {
        "household-number": "45048199990001", "household-village": village.pk, "household-year_identified": 2016,
        "household-standard": "national", "household-attribute": "general", "household-main_cause": "01",
        "household-status": "0", "household-safe_drinking_water": "on", "household-food_and_clothing_secure": "on",
        "head-name": "新户主", "head-id_number": "450481198001010000", "head-ethnicity": "01", "head-education": "3",
        "head-health": "1",
    }
    households = Household.objects.count()
    response = client.post(reverse("households:create"), data)
    assert response.status_code == 200 and "校验位错误" in response.content.decode()
    assert Household.objects.count() == households
    data["head-id_number"] = factories.id_number()
    response = client.post(reverse("households:create"), data)
    assert response.status_code == 302
    created = Household.objects.get(number="45048199990001")
    assert created.head.name == "新户主"


def test_township_cadre_cannot_create_in_another_township(client, county):
    client.force_login(county.users.township_cadre)
    response = client.get(reverse("households:create"))
    village_choices = response.context["form"].fields["village"].queryset
    assert set(village_choices) == {county.villages[0], county.villages[2]}


def test_edits_are_audited_with_a_field_diff_shown_on_the_page(client, county):
    client.force_login(county.users.county_staff)
    member = county.home.members.get(relation=choices.Relation.SPOUSE)
    response = client.post(
        reverse("households:member_edit", args=[member.pk]),
        member_form_data(member, health=choices.Health.SERIOUS),
    )
    assert response.status_code == 302
    latest = member.history.latest()
    assert latest.history_user == county.users.county_staff
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("health", "1", "3")]
    page = client.get(reverse("households:detail", args=[county.home.pk])).content.decode()
    assert "健康状况:健康 → 患有大病" in page


def test_id_numbers_are_masked_unless_revealed_and_reveals_are_logged(client, county):
    member = county.home.members.first()
    client.force_login(county.users.auditor)
    page = client.get(reverse("households:detail", args=[county.home.pk]) + "?reveal=1").content.decode()
    assert member.id_number not in page and mask_id_number(member.id_number) in page
    assert not PersonalDataAccess.objects.exists()

    client.force_login(county.users.county_staff)
    page = client.get(reverse("households:detail", args=[county.home.pk])).content.decode()
    assert member.id_number not in page
    page = client.get(reverse("households:detail", args=[county.home.pk]) + "?reveal=1").content.decode()
    assert member.id_number in page
    log = PersonalDataAccess.objects.get()
    assert log.user == county.users.county_staff and log.object_ids == str(county.home.pk)


def test_search_by_id_number_finds_the_household(client, county):
    client.force_login(county.users.county_staff)
    member = county.away.members.first()
    response = client.get(reverse("households:list"), {"q": member.id_number})
    assert [h.pk for h in response.context["object_list"]] == [county.away.pk]


def test_household_list_query_count_does_not_grow_with_rows(client, county, django_assert_max_num_queries):
    client.force_login(county.users.county_staff)
    village = county.villages[0]

    def queries_for_list():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("households:list")).status_code == 200
        return len(captured)

    few = queries_for_list()
    for _ in range(20):
        factories.household(village, members=3)
    assert queries_for_list() == few


def test_village_page_shows_incidence(client, county):
    client.force_login(county.users.county_staff)
    village = county.villages[0]  # 1,000 registered persons; 2 poor persons on the register
    response = client.get(reverse("villages:detail", args=[village.pk]))
    assert response.context["object"].poor_person_count == 2
    assert "0.20%" in response.content.decode()


def test_status_cannot_be_edited_around_the_workflow(client, county):
    client.force_login(county.users.county_staff)
    household = county.home
    response = client.get(reverse("households:edit", args=[household.pk]))
    assert "status" not in response.context["form"].fields
    response = client.get(reverse("households:create"))
    offered = {value for value, _ in response.context["form"].fields["status"].choices}
    assert offered == {choices.Status.CANDIDATE, choices.Status.NOT_EXITED}
