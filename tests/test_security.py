"""Logins that resist guessing: lockout per user name and per address on the form and the token endpoint,
unlock by county staff, API throttling."""
import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from povertyapp.models import LoginFailure
from povertyapp.security import client_ip

PASSWORD = "correct-horse-battery"
LIMIT = 5


@pytest.fixture
def staff(county):
    for user in (county.users.township_cadre, county.users.county_staff):
        user.set_password(PASSWORD)
        user.save()
    return county.users


def login(client, username, password, address="10.1.2.3"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def token(username, password, address="10.1.2.3"):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password},
                            REMOTE_ADDR=address)


def test_it_locks_a_user_name_after_the_limit_even_with_the_right_password(client, staff):
    name = staff.township_cadre.username
    for attempt in range(LIMIT - 1):
        assert login(client, name, "wrong", address=f"10.0.0.{attempt}").status_code == 200  # the form again
    assert login(client, name, "wrong", address="10.0.0.99").status_code == 429  # the limit-th failure locks
    response = login(client, name, PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username=name).count() >= LIMIT


def test_it_locks_an_address_that_tries_many_names(client, staff):
    for attempt in range(LIMIT):
        login(client, f"nobody{attempt}", "wrong", address="10.7.7.7")
    assert login(client, staff.county_staff.username, PASSWORD, address="10.7.7.7").status_code == 429
    assert login(client, staff.county_staff.username, PASSWORD, address="10.7.7.8").status_code == 302


def test_it_locks_the_token_endpoint_the_same_way(staff):
    name = staff.township_cadre.username
    for _attempt in range(LIMIT - 1):
        assert token(name, "wrong").status_code == 400
    assert token(name, "wrong").status_code == 429
    response = token(name, PASSWORD)
    assert response.status_code == 429 and "登录失败次数过多" in response.json()["detail"]


def test_it_lets_county_staff_unlock_and_the_user_log_in_again(client, staff):
    name = staff.township_cadre.username
    for _attempt in range(LIMIT):
        login(client, name, "wrong")
    client.force_login(staff.county_staff)
    page = client.get(reverse("lockouts")).content.decode()
    assert name in page and "解锁" in page
    client.post(reverse("unlock"), {"field": "username", "value": name})
    client.post(reverse("unlock"), {"field": "ip_address", "value": "10.1.2.3"})
    client.logout()
    assert login(client, name, PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["township_cadre", "first_secretary", "pairing_cadre"])
def test_it_keeps_the_lockout_page_from_other_roles(client, county, role):
    client.force_login(getattr(county.users, role))
    assert client.get(reverse("lockouts")).status_code == 403
    assert client.post(reverse("unlock"), {"field": "username", "value": "x"}).status_code == 403


def test_it_shows_auditors_the_log_without_the_unlock_button(client, staff, county):
    for _attempt in range(LIMIT):
        login(client, staff.township_cadre.username, "wrong")
    client.force_login(county.users.auditor)
    response = client.get(reverse("lockouts"))
    assert response.status_code == 200 and not response.context["may_unlock"]
    assert client.post(reverse("unlock"), {"field": "username", "value": "x"}).status_code == 403


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_it_reads_the_address_the_proxy_saw(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.2", REMOTE_ADDR="172.18.0.1")
    assert client_ip(request) == "10.0.0.2"


def test_it_ignores_forwarded_headers_without_a_trusted_proxy(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR="10.0.0.9")
    assert client_ip(request) == "10.0.0.9"


def test_it_throttles_the_api_per_user(county, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    client = APIClient()
    client.force_authenticate(county.users.county_staff)
    codes = [client.get("/api/v1/households/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
