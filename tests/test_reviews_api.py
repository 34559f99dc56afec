"""Review cases through the API: scoped lists, steps taken by the same workflow (403, 404, 400 on a guard)."""
import datetime

from django.utils import timezone

from reviews.choices import State, Step
from reviews.models import Case

from .reviews_support import case_at, exit_ready  # noqa: F401 -- exit_ready is a fixture

API = "/api/v1/review-cases/"


def test_cases_are_listed_in_the_view_scope_only(client, exit_ready):
    staff = exit_ready.users.county_staff
    mine, other = case_at(exit_ready.home, State.PROPOSED, staff), case_at(exit_ready.away, State.PROPOSED, staff)
    client.force_login(exit_ready.users.township_cadre)
    listed = {row["id"] for row in client.get(API).json()["results"]}
    assert listed == {mine.pk}
    assert client.get(f"{API}{other.pk}/").status_code == 404
    detail = client.get(f"{API}{mine.pk}/").json()
    assert detail["household_number"] == exit_ready.home.number and detail["steps"] == []


def test_a_step_through_the_api_obeys_roles_scope_and_guards(client, exit_ready):
    users, today = exit_ready.users, timezone.localdate().isoformat()
    case = case_at(exit_ready.home, State.PROPOSED, users.county_staff)
    review = {"step": Step.VILLAGE_REVIEW, "decided_on": today, "outcome": "passed"}

    client.force_login(users.auditor)
    assert client.post(f"{API}{case.pk}/steps/", review, content_type="application/json").status_code == 403
    client.force_login(users.county_staff)  # county staff do not record village reviews
    assert client.post(f"{API}{case.pk}/steps/", review, content_type="application/json").status_code == 403
    away = case_at(exit_ready.away, State.PROPOSED, users.county_staff)
    client.force_login(users.first_secretary)
    assert client.post(f"{API}{away.pk}/steps/", review, content_type="application/json").status_code == 404

    response = client.post(f"{API}{case.pk}/steps/", review, content_type="application/json")
    assert response.status_code == 201 and response.json()["to_state"] == State.VILLAGE_REVIEWED
    assert Case.objects.get(pk=case.pk).state == State.VILLAGE_REVIEWED

    signed = case_at(exit_ready.neighbour, State.SIGNED, users.county_staff)
    Case.objects.filter(pk=signed.pk).update(notice_end=timezone.localdate() + datetime.timedelta(days=2))
    client.force_login(users.county_staff)
    response = client.post(f"{API}{signed.pk}/steps/", {"step": Step.APPROVAL, "decided_on": today},
                           content_type="application/json")
    assert response.status_code == 400 and "尚未期满" in response.json()["non_field_errors"][0]
