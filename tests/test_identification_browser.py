"""End to end in headless Chromium: a township cadre uploads a round, reads the preview, commits, sees the households."""
import pytest

from households.models import Household
from identification.models import IdentificationRound

from .identification_workbooks import RoundBuilder
from .test_identification import media_in_tmp  # noqa: F401 -- autouse fixture


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_preview_commit_and_the_households_are_listed(live_server, browser_page, login, county, tmp_path):
    page = browser_page
    user = county.users.township_cadre
    existing = county.home
    builder = RoundBuilder(seed=21)
    builder.add_household("9500000001", county.villages[0].code, size=3)
    builder.add_household("9500000002", county.villages[2].code, size=2)
    # The registered household comes back with another main cause: a changed household in the preview.
    rows = builder.add_household(existing.number, existing.village.code, size=2)
    builder.set_all(rows, "主要致贫原因", "因灾")
    workbook = tmp_path / "round.xlsx"
    workbook.write_bytes(builder.workbook())
    login(page, live_server, user)

    page.click("header nav >> text=识别批次")
    page.click("text=上传识别数据")
    assert "30 MB" in page.locator("main").inner_text()
    page.fill("input[name=name]", "2016年动态调整")
    page.select_option("select[name=kind]", label="动态调整")
    page.fill("input[name=year]", "2016")
    page.set_input_files("input[name=file]", str(workbook))
    page.click("button:has-text('上传并校验')")

    assert page.locator("h1 [data-status]").get_attribute("data-status") == "validated"
    assert "预览(尚未写入)" in page.locator("main").inner_text()
    new_rows = page.locator("#rows tbody tr")
    assert new_rows.count() == 2 and "9500000001" in new_rows.first.inner_text()
    page.click("[data-tab=household_changed]")
    changed = page.locator("#rows tbody").inner_text()
    assert existing.number in changed and "主要致贫原因" in changed and "因灾" in changed
    assert not Household.objects.filter(number="9500000001").exists()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#commit-form button")
    page.wait_for_selector("h1 [data-status=committed]")
    round_ = IdentificationRound.objects.get()
    assert round_.status == "committed" and round_.new_households == 2 and round_.changed_households == 1
    page.screenshot(path="/tmp/e2e-identification-round.png", full_page=True)

    page.click("header nav >> text=贫困户")
    listing = page.locator("table").inner_text()
    assert "9500000001" in listing and "9500000002" in listing
