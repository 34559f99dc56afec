"""Visits: due/overdue on a table of dates, recording on the pages, scoping (404), photo checks, plans, panels."""
import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from households.models import Pairing
from povertyapp.roles import Role
from visits.choices import Observation, Status, VisitState
from visits.models import Visit, VisitHousehold, VisitPhoto, VisitPolicy
from visits.rules import schedule_unplanned

from . import factories

TODAY = datetime.date(2024, 6, 15)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def image_bytes(fmt: str = "JPEG", size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def plan(household, cadre, when, **fields) -> Visit:
    return Visit.objects.create(household=household, visitor=cadre, planned_date=when, status=Status.PLANNED, **fields)


def form_data(plan=None, **changes) -> dict:
    """A valid 记录走访 form for today, as a pairing cadre submits it (no visitor field), for the open `plan`."""
    today = timezone.localdate()
    data = {
        "plan": plan.pk if plan else "",
        "actual_date": today.isoformat(), "kind": "home", "food_clothing": "secure", "food_clothing_note": "",
        "education": "secure", "education_note": "", "medical": "secure", "medical_note": "",
        "housing": "insecure", "housing_note": "厨房漏雨", "water": "unchecked", "water_note": "",
        "measures": ["industry", "health"], "needs": "需要种羊两只", "next_planned_date": (today + days(30)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def overdue_home(county):
    """The pairing cadre's household with a visit planned a week ago."""
    return plan(county.home, county.cadre, timezone.localdate() - days(7))


# --- Due and overdue -------------------------------------------------------------------------------------

# (status, planned date relative to TODAY, overdue?, due?, household state)
DATE_TABLE = [
    ("planned", -40, True, False, VisitState.OVERDUE),
    ("planned", -1, True, False, VisitState.OVERDUE),
    ("planned", 0, False, True, VisitState.DUE),
    ("planned", 7, False, True, VisitState.DUE),  # VISIT_DUE_SOON_DAYS = 7: the last due day
    ("planned", 8, False, False, VisitState.SCHEDULED),
    ("done", -10, False, False, VisitState.UNSCHEDULED),
    ("missed", -5, False, False, VisitState.UNSCHEDULED),
]


def test_overdue_and_due_on_a_table_of_dates(county, settings):
    settings.VISIT_DUE_SOON_DAYS = 7
    village = county.villages[0]
    rows = []
    for status, offset, overdue, due, state in DATE_TABLE:
        household = factories.household(village, members=1)
        actual = TODAY + days(offset) if status == "done" else None
        visit = Visit.objects.create(
            household=household, visitor=county.cadre, status=status, planned_date=TODAY + days(offset),
            actual_date=actual,
        )
        rows.append((visit, overdue, due, state))
    never_visited = factories.household(village, members=1)

    assert set(Visit.objects.overdue(TODAY)) == {visit for visit, overdue, _, _ in rows if overdue}
    assert set(Visit.objects.due(TODAY)) == {visit for visit, _, due, _ in rows if due}
    states = dict(VisitHousehold.objects.with_visit_state(TODAY).values_list("pk", "visit_state"))
    assert {visit.household_id: states[visit.household_id] for visit, *_ in rows} == {
        visit.household_id: state for visit, _, _, state in rows
    }
    assert states[never_visited.pk] == VisitState.UNSCHEDULED
    # Overdue sorts first.
    ranked = VisitHousehold.objects.with_visit_state(TODAY).filter(
        pk__in=[visit.household_id for visit, *_ in rows]
    ).order_by("state_rank", "next_planned")
    assert [h.visit_state for h in ranked][:2] == [VisitState.OVERDUE, VisitState.OVERDUE]


def test_overdue_list_is_an_indexed_query(county):
    plan(county.home, county.cadre, TODAY - days(3))
    sql, params = Visit.objects.overdue(TODAY).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index can serve
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        explained = " ".join(str(row) for row in cursor.fetchall())
    assert "visit_open_plan_date" in explained


def test_a_household_has_at_most_one_open_plan(county):
    from django.core.exceptions import ValidationError

    plan(county.home, county.cadre, TODAY)
    second = Visit(household=county.home, visitor=county.cadre, planned_date=TODAY + days(3), status=Status.PLANNED)
    with pytest.raises(ValidationError, match="待走访计划"):
        second.full_clean()


# --- Recording on the pages -------------------------------------------------------------------------------


def test_pairing_cadre_records_a_visit_completing_the_plan_and_planning_the_next(client, county, overdue_home):
    client.force_login(county.users.pairing_cadre)
    photo = upload("camera.png", image_bytes("JPEG"))  # a JPEG, whatever its name says
    response = client.post(reverse("visits:record", args=[county.home.pk]), {**form_data(overdue_home), "photos": [photo]})
    assert response.status_code == 302, response.context["form"].errors if response.context else response

    today = timezone.localdate()
    overdue_home.refresh_from_db()
    assert overdue_home.status == Status.DONE and overdue_home.actual_date == today
    assert overdue_home.visitor == county.cadre and overdue_home.recorded_by == county.users.pairing_cadre
    assert (overdue_home.housing, overdue_home.housing_note) == (Observation.INSECURE, "厨房漏雨")
    assert overdue_home.measures == ["industry", "health"] and overdue_home.needs == "需要种羊两只"
    next_plan = Visit.objects.planned().get(household=county.home)
    assert next_plan.planned_date == today + days(30) and next_plan.visitor == county.cadre

    stored = overdue_home.photos.get()
    assert stored.content_type == "image/jpeg" and stored.image.name.endswith(".jpg")
    assert default_storage.exists(stored.image.name)
    state = VisitHousehold.objects.with_visit_state(today).get(pk=county.home.pk).visit_state
    assert state == VisitState.SCHEDULED


def test_a_second_tap_on_save_does_not_complete_the_next_plan(client, county, overdue_home):
    client.force_login(county.users.pairing_cadre)
    url = reverse("visits:record", args=[county.home.pk])
    assert client.post(url, form_data(overdue_home)).status_code == 302
    next_plan = Visit.objects.planned().get(household=county.home)
    again = client.post(url, form_data(overdue_home))
    assert again.status_code == 200 and "走访计划已有变化" in again.content.decode()
    assert f'name="plan" value="{next_plan.pk}"' in again.content.decode()  # sent again, it would be accepted
    assert Visit.objects.planned().get(household=county.home) == next_plan
    assert Visit.objects.done().count() == 1


def test_an_unplanned_visit_is_recorded_with_its_date_as_planned_date(client, county):
    client.force_login(county.users.pairing_cadre)
    response = client.post(reverse("visits:record", args=[county.home.pk]), form_data(next_planned_date=""))
    assert response.status_code == 302
    visit = Visit.objects.get(household=county.home)
    assert visit.status == Status.DONE and visit.planned_date == visit.actual_date == timezone.localdate()
    assert not Visit.objects.planned().exists()


@pytest.mark.parametrize("outside", ["neighbour", "away"])
def test_pairing_cadre_cannot_record_for_someone_elses_household(client, county, outside):
    household = getattr(county, outside)
    plan(household, county.cadre, TODAY)
    client.force_login(county.users.pairing_cadre)
    url = reverse("visits:record", args=[household.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, form_data()).status_code == 404
    assert client.get(reverse("visits:household", args=[household.pk])).status_code == 404
    assert not Visit.objects.done().exists()
    assert household.number not in client.get(reverse("visits:mine")).content.decode()


def test_township_cadre_records_inside_the_township_only(client, county):
    client.force_login(county.users.township_cadre)
    assert client.get(reverse("visits:record", args=[county.away.pk])).status_code == 404
    data = form_data(visitor=county.cadre.pk)
    assert client.post(reverse("visits:record", args=[county.neighbour.pk]), data).status_code == 302
    assert Visit.objects.done().get().household == county.neighbour


def test_read_only_roles_cannot_record(client, county):
    client.force_login(county.users.auditor)
    assert client.get(reverse("visits:record", args=[county.home.pk])).status_code == 403
    assert client.get(reverse("visits:household", args=[county.home.pk])).status_code == 200


def test_pairing_cadre_is_always_the_visitor(client, county):
    other = factories.cadre("赵干部")
    client.force_login(county.users.pairing_cadre)
    response = client.post(reverse("visits:record", args=[county.home.pk]), form_data(visitor=other.pk))
    assert response.status_code == 302
    assert Visit.objects.done().get().visitor == county.cadre


BAD_PHOTOS = {
    "text renamed .jpg": ("photo.jpg", "这不是图片,只是一段文字。".encode() * 20, "不是有效的图片文件"),
    "GIF": ("photo.gif", image_bytes("GIF"), "GIF 格式"),
    "too large": ("big.jpg", image_bytes("JPEG", (600, 600)), "太大"),
}


@pytest.mark.parametrize("name, content, message", BAD_PHOTOS.values(), ids=BAD_PHOTOS.keys())
def test_bad_photos_are_rejected_with_a_message_and_nothing_saved(
    client, county, overdue_home, settings, name, content, message
):
    settings.VISIT_PHOTO_MAX_BYTES = 4_000
    assert len(image_bytes("JPEG")) < settings.VISIT_PHOTO_MAX_BYTES < len(image_bytes("JPEG", (600, 600)))
    client.force_login(county.users.pairing_cadre)
    good = upload("good.jpg", image_bytes("JPEG"))
    response = client.post(
        reverse("visits:record", args=[county.home.pk]), {**form_data(overdue_home), "photos": [good, upload(name, content)]}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "照片未保存" in page
    assert "需要种羊两只" in page and "厨房漏雨" in page  # what was typed is kept
    overdue_home.refresh_from_db()
    assert overdue_home.status == Status.PLANNED
    assert Visit.objects.count() == 1 and not VisitPhoto.objects.exists()


def test_insecure_without_a_note_is_refused_and_the_form_keeps_its_values(client, county, overdue_home):
    client.force_login(county.users.pairing_cadre)
    response = client.post(reverse("visits:record", args=[county.home.pk]), form_data(overdue_home, housing_note=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert "housing_note" in form.errors
    assert form["needs"].value() == "需要种羊两只" and form["measures"].value() == ["industry", "health"]
    assert not Visit.objects.done().exists()


@pytest.mark.parametrize("changes, field", [
    ({"next_planned_date": "2000-01-01"}, "next_planned_date"),
    ({"actual_date": "2999-01-01", "next_planned_date": ""}, "actual_date"),
    ({"actual_date": ""}, "actual_date"),
])
def test_impossible_dates_are_refused(client, county, changes, field):
    client.force_login(county.users.pairing_cadre)
    response = client.post(reverse("visits:record", args=[county.home.pk]), form_data(**changes))
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not Visit.objects.exists()


def test_the_form_suggests_today_and_the_next_visit_by_the_county_policy(client, county, overdue_home):
    VisitPolicy.objects.create(county=county.townships[0].county, interval_days=14)
    client.force_login(county.users.pairing_cadre)
    form = client.get(reverse("visits:record", args=[county.home.pk])).context["form"]
    assert form.instance == overdue_home
    assert form["actual_date"].value() == timezone.localdate()
    assert form["next_planned_date"].value() == timezone.localdate() + days(14)
    assert "visitor" not in form.fields


def test_an_overdue_plan_is_kept_as_missed_and_planned_again(client, county, overdue_home):
    client.force_login(county.users.pairing_cadre)
    new_date = timezone.localdate() + days(3)
    response = client.post(reverse("visits:reschedule", args=[overdue_home.pk]), {"new_date": new_date.isoformat()})
    assert response.status_code == 302
    overdue_home.refresh_from_db()
    assert overdue_home.status == Status.MISSED and overdue_home.actual_date is None
    assert Visit.objects.planned().get(household=county.home).planned_date == new_date


def test_a_future_plan_is_moved(client, county):
    future = plan(county.home, county.cadre, timezone.localdate() + days(2))
    client.force_login(county.users.pairing_cadre)
    new_date = timezone.localdate() + days(9)
    client.post(reverse("visits:reschedule", args=[future.pk]), {"new_date": new_date.isoformat()})
    assert list(Visit.objects.values_list("pk", "status", "planned_date")) == [(future.pk, "planned", new_date)]
    past = client.post(reverse("visits:reschedule", args=[future.pk]), {"new_date": "2000-01-01"}, follow=True)
    assert "不能早于今天" in past.content.decode()


def test_open_needs_are_listed_until_marked_met(client, county):
    visit = Visit.objects.create(
        household=county.home, visitor=county.cadre, status=Status.DONE, actual_date=TODAY, needs="修缮屋顶",
    )
    client.force_login(county.users.pairing_cadre)
    page = reverse("visits:household", args=[county.home.pk])
    assert list(client.get(page).context["open_needs"]) == [visit]
    assert client.post(reverse("visits:resolve_need", args=[visit.pk])).status_code == 302
    assert list(client.get(page).context["open_needs"]) == []


# --- My households, the household panel, photos ------------------------------------------------------------


def test_my_households_lists_own_households_overdue_first(client, county):
    second = factories.household(county.villages[0], members=1)
    factories.pairing(county.cadre, second)
    plan(second, county.cadre, timezone.localdate() + days(20))
    plan(county.home, county.cadre, timezone.localdate() - days(2))
    client.force_login(county.users.pairing_cadre)
    response = client.get(reverse("visits:mine"))
    listed = list(response.context["object_list"])
    assert [h.pk for h in listed] == [county.home.pk, second.pk]
    assert [h.visit_state for h in listed] == [VisitState.OVERDUE, VisitState.SCHEDULED]
    page = response.content.decode()
    assert "我的帮扶户" in page and 'data-state="overdue"' in page
    overdue_only = client.get(reverse("visits:mine"), {"visit_state": "overdue"}).context["object_list"]
    assert [h.pk for h in overdue_only] == [county.home.pk]


def test_my_households_query_count_does_not_grow_with_rows(client, county):
    client.force_login(county.users.township_cadre)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("visits:mine")).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(3):
        household = factories.household(county.villages[0], members=1)
        plan(household, county.cadre, TODAY)
    assert queries() == before


@pytest.mark.parametrize("role, can_record", [("pairing_cadre", True), ("auditor", False)])
def test_household_page_shows_the_visits_panel(client, county, overdue_home, role, can_record):
    Visit.objects.create(household=county.home, visitor=county.cadre, status=Status.DONE, actual_date=TODAY)
    client.force_login(getattr(county.users, role))
    page = client.get(reverse("households:detail", args=[county.home.pk])).content.decode()
    assert 'id="visits-panel"' in page and 'data-state="overdue"' in page and "吃穿:未核查" in page
    assert overdue_home.planned_date.strftime("%Y-%m-%d") in page and "2024-06-15" in page
    assert (reverse("visits:record", args=[county.home.pk]) in page) is can_record


def test_photos_are_served_only_inside_the_area(client, county):
    visit = Visit.objects.create(household=county.away, visitor=county.cadre, status=Status.DONE, actual_date=TODAY)
    photo = VisitPhoto.objects.create(
        visit=visit, image=upload("p.jpg", image_bytes()), content_type="image/jpeg", size=10
    )
    client.force_login(county.users.county_staff)
    response = client.get(reverse("visits:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == image_bytes()
    for role in ("township_cadre", "pairing_cadre"):
        client.force_login(getattr(county.users, role))
        assert client.get(reverse("visits:photo", args=[photo.pk])).status_code == 404


# --- Scheduling -----------------------------------------------------------------------------------------


def test_schedule_unplanned_gives_each_paired_household_one_plan(county):
    VisitPolicy.objects.create(county=county.townships[0].county, interval_days=20)
    Visit.objects.create(
        household=county.home, visitor=county.cadre, status=Status.DONE, actual_date=TODAY - days(5)
    )
    long_ago = factories.household(county.villages[0], members=1)
    factories.pairing(county.cadre, long_ago)
    Visit.objects.create(household=long_ago, visitor=county.cadre, status=Status.DONE, actual_date=TODAY - days(90))
    already = factories.household(county.villages[0], members=1)
    factories.pairing(county.cadre, already)
    existing = plan(already, county.cadre, TODAY + days(2))
    ended = factories.household(county.villages[0], members=1)
    Pairing.objects.create(cadre=county.cadre, household=ended, start_date=TODAY - days(400), end_date=TODAY - days(1))

    assert schedule_unplanned(TODAY) == 2
    plans = dict(Visit.objects.planned().values_list("household", "planned_date"))
    assert plans == {county.home.pk: TODAY + days(15), long_ago.pk: TODAY, already.pk: existing.planned_date}
    assert schedule_unplanned(TODAY) == 0


def test_pairing_cadre_role_may_record_but_not_edit_the_register():
    from povertyapp.roles import CHANGE, Level, level_for

    assert level_for(Role.PAIRING_CADRE, CHANGE, Visit.role_overrides) == Level.PAIRED
    assert level_for(Role.PAIRING_CADRE, CHANGE, VisitHousehold.role_overrides) == Level.PAIRED
    assert level_for(Role.PAIRING_CADRE, CHANGE) == Level.NONE


def test_visit_list_and_detail_are_scoped(client, county):
    near = Visit.objects.create(
        household=county.home, visitor=county.cadre, status=Status.DONE, actual_date=TODAY,
        water=Observation.INSECURE, water_note="水窖干涸", measures=["industry"],
    )
    far = Visit.objects.create(household=county.away, visitor=county.cadre, status=Status.DONE, actual_date=TODAY)
    client.force_login(county.users.township_cadre)
    assert list(client.get(reverse("visits:list")).context["object_list"]) == [near]
    assert client.get(reverse("visits:detail", args=[far.pk])).status_code == 404
    page = client.get(reverse("visits:detail", args=[near.pk])).content.decode()
    assert "水窖干涸" in page and "产业发展" in page and "无保障" in page


def test_admin_pages_open(admin_client, county):
    visit = Visit.objects.create(household=county.home, visitor=county.cadre, status=Status.DONE, actual_date=TODAY)
    policy = VisitPolicy.objects.create(county=county.townships[0].county)
    for obj in (visit, policy):
        name = f"admin:visits_{obj._meta.model_name}"
        assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
        assert admin_client.get(reverse(f"{name}_history", args=[obj.pk])).status_code == 200


def test_the_nightly_beat_task_plans_visits(county):
    from django.conf import settings

    from visits.tasks import schedule_visits

    assert settings.CELERY_BEAT_SCHEDULE["nightly-visit-plans"]["task"] == schedule_visits.name
    assert not Visit.objects.filter(household=county.home).exists()
    assert schedule_visits.delay().get() == 1  # the county fixture pairs one household
    assert Visit.objects.get(household=county.home).status == "planned"


def test_it_refuses_a_small_file_that_decodes_to_a_huge_image(client, county, overdue_home):
    """A decompression bomb: 64 megapixels of one colour compress to a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 100_000
    client.force_login(county.users.pairing_cadre)
    response = client.post(
        reverse("visits:record", args=[county.home.pk]),
        {**form_data(overdue_home), "photos": [upload("bomb.png", buffer.getvalue())]},
    )
    assert response.status_code == 200 and "像素过多" in response.content.decode()
    assert not VisitPhoto.objects.exists()
