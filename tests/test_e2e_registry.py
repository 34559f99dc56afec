"""End to end in headless Chromium: county staff find a household by ID number, change a member's health, see it in the history."""
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from households import choices


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_county_staff_edit_a_members_health_and_see_it_in_history(live_server, browser_page, login, county):
    page = browser_page
    spouse = county.away.members.get(relation=choices.Relation.SPOUSE)
    login(page, live_server, county.users.county_staff)

    page.click("text=贫困户")
    page.fill("input[name=q]", spouse.id_number)
    page.click("form[role=search] button[type=submit]")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)  # retries until the search result page has replaced the full list
    rows.first.locator("a").click()
    assert page.url.endswith(reverse("households:detail", args=[county.away.pk]))
    assert spouse.id_number not in page.content(), "the ID number must be masked"

    member_row = page.locator("tr", has_text=spouse.name)
    member_row.get_by_role("link", name="编辑").click()
    page.select_option("select[name=health]", label="患有大病")
    page.screenshot(path="/tmp/e2e-member-form.png", full_page=True)
    page.click("main button[type=submit]")

    assert page.locator(".messages").inner_text().strip() == "已保存。"
    assert page.locator("tr", has_text=spouse.name).locator(".health").inner_text() == "患有大病"
    history = page.locator("#history").inner_text()
    assert re.search(r"修改 · 家庭成员 " + re.escape(spouse.name), history)
    assert "健康状况:健康 → 患有大病" in history
    assert county.users.county_staff.username in history
    page.screenshot(path="/tmp/e2e-registry.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role, visible, hidden", [
    ("township_cadre", ["home", "neighbour"], ["away"]),
    ("first_secretary", ["home"], ["away", "neighbour"]),
    ("pairing_cadre", ["home"], ["away", "neighbour"]),
])
def test_each_role_sees_only_its_area_in_the_browser(live_server, browser_page, login, county, role, visible, hidden):
    page = browser_page
    login(page, live_server, getattr(county.users, role))
    page.goto(live_server.url + reverse("households:list"))
    listed = page.locator("table tbody").inner_text()
    for name in visible:
        assert getattr(county, name).number in listed
    for name in hidden:
        assert getattr(county, name).number not in listed
    response = page.goto(live_server.url + reverse("households:detail", args=[getattr(county, hidden[0]).pk]))
    assert response.status == 404
