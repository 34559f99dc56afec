"""End to end in headless Chromium: a household carried through 两审核一公示一公告 to 已脱贫(享受政策)."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from households.choices import Status
from reviews.models import Case

from .reviews_support import PDF, YEAR, exit_ready, take  # noqa: F401 -- exit_ready is a fixture


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_household_is_carried_through_the_workflow_to_exited(live_server, browser_page, login, exit_ready):
    county, home = exit_ready, exit_ready.home
    page = browser_page
    notice_start = timezone.localdate() - datetime.timedelta(days=7)

    # The township cadre proposes, records the village review and the township review, and starts the notice.
    login(page, live_server, county.users.township_cadre)
    page.goto(live_server.url + home.get_absolute_url())
    page.locator("#review-panel").get_by_role("link", name="提议脱贫").click()
    assert "通过" in page.locator("#check").inner_text()
    page.fill("[name=year]", str(YEAR))
    page.click("main form button[type=submit]")
    assert page.locator(".messages").inner_text().strip() == "已提议脱贫。"
    assert page.locator("#case-state").inner_text() == "已提议"
    case = Case.objects.get(household=home)

    assert take(page, "村评议", note="村民代表大会评议通过") == "村评议通过"
    assert take(page, "乡审核") == "乡审核通过"
    assert take(page, "公示", decided_on=notice_start.isoformat()) == "公示中"
    assert "县审批并公告" not in page.locator("#case-actions").inner_text()  # county staff only

    page.goto(live_server.url + reverse("reviews:notice_list"))
    sheet = page.locator("#notice-list").inner_text()
    assert home.number in sheet and home.members.get(relation="01").name in sheet
    page.screenshot(path="/tmp/e2e-reviews-notice.png", full_page=True)

    # County staff record the signed agreement with its scanned page, then approve and announce.
    page.click("header .logout")
    login(page, live_server, county.users.county_staff)
    page.goto(live_server.url + case.get_absolute_url())
    page.locator("#case-actions").get_by_role("link", name="户签字确认", exact=True).click()
    page.set_input_files("[name=attachment]", {"name": "签字页.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.click("main form button[type=submit]")
    assert page.locator("#case-state").inner_text() == "户已签字确认"
    assert page.locator("#steps").get_by_role("link", name="签字页.pdf").count() == 1

    assert take(page, "县审批并公告") == "县审批已公告"
    page.screenshot(path="/tmp/e2e-reviews-case.png", full_page=True)
    steps = page.locator("#steps").inner_text()
    for label in ("提议", "村评议", "乡审核", "公示", "户签字确认", "县审批并公告"):
        assert label in steps

    page.goto(live_server.url + home.get_absolute_url())
    assert page.locator("h1 .badge").inner_text() == "已脱贫(享受政策)"
    assert f"审核案件#{case.pk}" in page.locator("#history").inner_text()
    home.refresh_from_db()
    assert (home.status, home.exit_year) == (Status.EXITED_WITH_POLICY, YEAR)
