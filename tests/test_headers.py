"""Headers: no caching of anything a signed-in user sees, a Content-Security-Policy that the pages keep to."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from povertyapp.masking import mask_id_number, mask_phone


def test_it_forbids_caching_pages_exports_and_api_answers_for_signed_in_users(client, county):
    client.force_login(county.users.county_staff)
    for url in (reverse("households:detail", args=[county.home.pk]), reverse("households:export_members")):
        response = client.get(url)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], url
    api = APIClient()
    api.force_authenticate(county.users.county_staff)
    assert "no-store" in api.get(f"/api/v1/households/{county.home.pk}/")["Cache-Control"]


def test_it_sends_the_policy_with_no_inline_script(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_first_secretary_a_masked_edit_form_without_policy_violations(
    live_server, browser_page, login, county
):
    page = browser_page
    violations = []
    page.on("console", lambda message: violations.append((page.url, message.text))
            if "Content Security Policy" in message.text else None)
    home = county.home
    home.phone = "13912345678"
    home.save()
    member = home.members.first()
    login(page, live_server, county.users.first_secretary)

    page.goto(live_server.url + reverse("households:member_edit", args=[member.pk]))
    shown = page.input_value("input[name=id_number]")
    assert shown == mask_id_number(member.id_number) and member.id_number not in page.content()
    assert page.get_by_text("显示完整敏感信息").count() == 0  # a first secretary may not reveal
    page.goto(live_server.url + reverse("households:member_edit", args=[member.pk]) + "?reveal=1")
    assert page.input_value("input[name=id_number]") == mask_id_number(member.id_number)
    page.fill("input[name=name]", "改名后")
    page.click("main button[type=submit]")
    assert page.locator(".messages").inner_text().strip() == "已保存。"
    member.refresh_from_db()
    assert member.name == "改名后" and member.id_number == county.home.members.get(pk=member.pk).id_number
    assert "*" not in member.id_number

    page.goto(live_server.url + reverse("households:edit", args=[home.pk]))
    assert page.input_value("input[name=phone]") == mask_phone("13912345678")
    with page.expect_navigation():  # the language switcher runs from app.js, not inline
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui", state="attached")
    assert violations == []
