"""End to end in headless Chromium with a real Celery worker: start a run, watch it, open a household's verdict,
and carry a household that passed through 两审核一公示一公告 to 已脱贫(享受政策)."""
import datetime
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from exits import batch
from exits.models import EligibilityRun, PovertyLine
from households.choices import Status
from tests import factories
from tests.reviews_support import take

YEAR = 2017


@pytest.mark.browser
@pytest.mark.celery_worker
def test_a_run_its_verdicts_and_the_workflow_to_exited(live_server, browser_page, login, county, monkeypatch):
    PovertyLine.objects.get_or_create(year=YEAR, kind="exit_check", defaults={"amount": Decimal("3335")})
    factories.income(county.home, year=YEAR)
    factories.income(county.away, year=YEAR, wage_income=Decimal("3000"), business_income=Decimal("0"))
    for _ in range(6):
        factories.income(factories.household(county.villages[1]), year=YEAR)
    slow_chunk = batch._insert_chunk

    def one_household_at_a_time(sql, params):
        time.sleep(0.4)  # slow enough to watch the bar move
        return slow_chunk(sql, params)

    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)
    monkeypatch.setattr(batch, "_insert_chunk", one_household_at_a_time)

    page = browser_page
    login(page, live_server, county.users.county_staff)
    page.click("header nav >> text=退出检测")
    page.select_option("select[name=year]", str(YEAR))
    page.select_option("select[name=township]", label="全县")
    page.click("#start-run button[type=submit]")
    run = EligibilityRun.objects.get()
    assert page.url.endswith(run.get_absolute_url())

    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and page.locator("#households-checked").count() == 0:
        bar = page.locator(".progress-bar")
        if bar.count():
            seen.add(int(bar.get_attribute("aria-valuenow")))
        page.wait_for_timeout(150)
    assert any(0 < percent < 100 for percent in seen), f"no progress seen between 0 and 100: {sorted(seen)}"
    page.wait_for_load_state()
    assert page.locator("#households-checked").inner_text() == "9"  # the page reloaded itself when done
    assert page.locator(".progress-label").inner_text().startswith("已完成")
    page.screenshot(path="/tmp/e2e-exit-run.png", full_page=True)

    page.locator("#failing a", has_text=county.away.number).click()
    assert page.url.endswith(reverse("households:detail", args=[county.away.pk]))
    verdict = page.locator("#exit-verdict").inner_text()
    assert "未达到脱贫标准" in verdict
    assert "收入达标:人均纯收入 1,500.00 元 < 3,335.00 元" in verdict
    page.screenshot(path="/tmp/e2e-exit-verdict.png", full_page=True)

    # The household that passed: its verdict, then the reviewed procedure to exit.
    page.click("header .logout")
    login(page, live_server, county.users.township_cadre)
    page.goto(live_server.url + county.home.get_absolute_url())
    assert "达到脱贫标准" in page.locator("#exit-verdict").inner_text()
    page.locator("#review-panel").get_by_role("link", name="提议脱贫").click()
    page.fill("[name=year]", str(YEAR))
    page.click("main form button[type=submit]")
    assert page.locator("#case-state").inner_text() == "已提议"
    assert take(page, "村评议", note="村民代表大会评议通过") == "村评议通过"
    assert take(page, "乡审核") == "乡审核通过"
    notice_start = timezone.localdate() - datetime.timedelta(days=7)
    assert take(page, "公示", decided_on=notice_start.isoformat()) == "公示中"
    case_url = page.url

    page.click("header .logout")
    login(page, live_server, county.users.county_staff)
    page.goto(case_url)
    assert take(page, "户签字确认") == "户已签字确认"
    assert take(page, "县审批并公告") == "县审批已公告"
    page.goto(live_server.url + county.home.get_absolute_url())
    assert page.locator("h1 .badge").inner_text() == "已脱贫(享受政策)"
    county.home.refresh_from_db()
    assert (county.home.status, county.home.exit_year) == (Status.EXITED_WITH_POLICY, YEAR)
