"""/api/v1/visits/ and /api/v1/visit-photos/: same scoping and rules as the pages (a pairing cadre: own households only)."""
import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from visits.choices import Status
from visits.models import Visit, VisitPhoto

from . import factories
from .test_visits import image_bytes, media_in_tmp, plan, upload  # noqa: F401 -- media_in_tmp is an autouse fixture

API = "/api/v1/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def record(household, **changes):
    today = timezone.localdate()
    data = {
        "household": household.pk, "actual_date": today.isoformat(), "kind": "phone",
        "food_clothing": "secure", "education": "secure", "medical": "insecure", "medical_note": "未参加大病保险",
        "housing": "secure", "water": "secure", "measures": ["health"], "needs": "办理大病保险",
        "next_planned_date": (today + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("outside", ["neighbour", "away"])
def test_pairing_cadre_cannot_record_for_someone_elses_household(county, outside):
    household = getattr(county, outside)
    response = client_for(county.users.pairing_cadre).post(API + "visits/", record(household), format="json")
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_pairing_cadre_records_a_visit_completing_the_plan(county):
    open_plan = plan(county.home, county.cadre, timezone.localdate() - datetime.timedelta(days=3))
    response = client_for(county.users.pairing_cadre).post(API + "visits/", record(county.home), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] == open_plan.pk and body["status"] == "done" and body["visitor"] == county.cadre.pk
    open_plan.refresh_from_db()
    assert open_plan.medical_note == "未参加大病保险" and open_plan.recorded_by == county.users.pairing_cadre
    next_plan = Visit.objects.planned().get(household=county.home)
    assert next_plan.planned_date == timezone.localdate() + datetime.timedelta(days=30)


def test_pairing_cadre_may_not_name_another_visitor(county):
    other = factories.cadre("赵干部")
    response = client_for(county.users.pairing_cadre).post(
        API + "visits/", record(county.home, visitor=other.pk), format="json"
    )
    assert response.status_code == 400 and "visitor" in response.json()
    assert not Visit.objects.exists()


@pytest.mark.parametrize("changes, field", [
    ({"medical_note": ""}, "medical_note"),
    ({"measures": ["no-such-measure"]}, "measures"),
    ({"next_planned_date": "2000-01-01"}, "next_planned_date"),
])
def test_api_validation_matches_the_pages(county, changes, field):
    response = client_for(county.users.pairing_cadre).post(
        API + "visits/", record(county.home, **changes), format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert not Visit.objects.exists()


def test_a_second_open_plan_is_refused(county):
    plan(county.home, county.cadre, timezone.localdate())
    later = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = client_for(county.users.township_cadre).post(
        API + "visits/",
        {"household": county.home.pk, "visitor": county.cadre.pk, "status": "planned", "planned_date": later},
        format="json",
    )
    assert response.status_code == 400 and "待走访计划" in str(response.json())


def test_lists_are_scoped_and_filter_overdue(county):
    today = timezone.localdate()
    mine = plan(county.home, county.cadre, today - datetime.timedelta(days=1))
    plan(county.neighbour, county.cadre, today - datetime.timedelta(days=1))
    plan(county.away, county.cadre, today + datetime.timedelta(days=1))

    def listed(user, query=""):
        response = client_for(user).get(API + "visits/" + query)
        assert response.status_code == 200
        return {row["household_number"] for row in response.json()["results"]}

    assert listed(county.users.pairing_cadre) == {county.home.number}
    assert listed(county.users.township_cadre) == {county.home.number, county.neighbour.number}
    assert listed(county.users.county_staff, "?overdue=true") == {county.home.number, county.neighbour.number}
    assert client_for(county.users.pairing_cadre).get(f"{API}visits/{mine.pk}/").status_code == 200
    away_plan = Visit.objects.get(household=county.away)
    assert client_for(county.users.pairing_cadre).get(f"{API}visits/{away_plan.pk}/").status_code == 404


def test_read_only_roles_cannot_post(county):
    response = client_for(county.users.auditor).post(API + "visits/", record(county.home), format="json")
    assert response.status_code == 403


def test_a_plan_is_marked_missed(county):
    open_plan = plan(county.home, county.cadre, timezone.localdate() - datetime.timedelta(days=3))
    response = client_for(county.users.pairing_cadre).patch(
        f"{API}visits/{open_plan.pk}/", {"status": "missed"}, format="json"
    )
    assert response.status_code == 200, response.json()
    open_plan.refresh_from_db()
    assert open_plan.status == Status.MISSED


def test_photos_over_the_api_are_checked_by_content(county):
    visit = Visit.objects.create(
        household=county.home, visitor=county.cadre, status=Status.DONE, actual_date=timezone.localdate()
    )
    client = client_for(county.users.pairing_cadre)
    gif = client.post(API + "visit-photos/", {"visit": visit.pk, "image": upload("a.jpg", image_bytes("GIF"))})
    assert gif.status_code == 400 and "GIF 格式" in str(gif.json()["image"])
    assert not VisitPhoto.objects.exists()

    png = client.post(API + "visit-photos/", {"visit": visit.pk, "image": upload("a.jpg", image_bytes("PNG"))})
    assert png.status_code == 201, png.json()
    photo = VisitPhoto.objects.get()
    assert photo.content_type == "image/png" and photo.image.name.endswith(".png")
    content = client.get(png.json()["url"])
    assert content.status_code == 200 and b"".join(content.streaming_content) == image_bytes("PNG")
    listed = client.get(f"{API}visits/{visit.pk}/").json()["photos"]
    assert [row["id"] for row in listed] == [photo.pk]

    away_visit = Visit.objects.create(
        household=county.away, visitor=county.cadre, status=Status.DONE, actual_date=timezone.localdate()
    )
    refused = client.post(API + "visit-photos/", {"visit": away_visit.pk, "image": upload("b.jpg", image_bytes())})
    assert refused.status_code == 400 and VisitPhoto.objects.count() == 1
    assert client_for(county.users.township_cadre).get(png.json()["url"]).status_code == 200
    stranger = factories.user("township_cadre", township=county.townships[1])
    assert client_for(stranger).get(png.json()["url"]).status_code == 404
