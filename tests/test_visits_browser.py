"""End to end on a 375×812 phone in headless Chromium: a pairing cadre records a visit with a photo to an overdue household."""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from visits.choices import Status
from visits.models import Visit

from .test_visits import image_bytes, media_in_tmp, plan  # noqa: F401 -- media_in_tmp is an autouse fixture

PHONE = {"width": 375, "height": 812}


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("browser_viewport", [PHONE])
def test_pairing_cadre_records_a_visit_with_a_photo_and_the_badge_clears(
    live_server, browser_page, login, county, tmp_path
):
    page = browser_page
    overdue = plan(county.home, county.cadre, timezone.localdate() - datetime.timedelta(days=7))
    photo = tmp_path / "visit.jpg"
    photo.write_bytes(image_bytes("JPEG", (320, 240)))
    login(page, live_server, county.users.pairing_cadre)

    page.click("header nav >> text=入户走访")
    expect(page.locator("h1")).to_have_text("我的帮扶户")
    card = page.locator(".visit-card", has_text=county.home.number)
    assert card.locator(".visit-state").get_attribute("data-state") == "overdue"
    assert page.locator(".visit-card").count() == 1  # only the cadre's own household
    assert fits_the_phone(page)

    card.locator("a.title").click()
    assert page.locator("h1 .visit-state").get_attribute("data-state") == "overdue"
    page.click("a.btn.big:has-text('记录走访')")
    assert fits_the_phone(page)

    for item in ("food_clothing", "education", "medical", "water"):
        page.check(f"input[name={item}][value=secure]")
    page.check("input[name=housing][value=insecure]")
    page.check("input[name=measures][value=housing]")
    page.fill("textarea[name=needs]", "屋顶需要翻修")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("button.submit")

    # The housing note is missing: the form comes back with a message and keeps what was typed.
    assert "选择“无保障”时请说明情况" in page.locator(".errorlist").first.inner_text()
    assert page.input_value("textarea[name=needs]") == "屋顶需要翻修"
    assert page.is_checked("input[name=housing][value=insecure]") and page.is_checked("input[name=measures][value=housing]")
    assert not Visit.objects.filter(status=Status.DONE).exists()

    page.fill("input[name=housing_note]", "东侧墙体开裂")
    page.set_input_files("input[name=photos]", str(photo))  # browsers never keep a chosen file across a reload
    page.screenshot(path="/tmp/e2e-visit-form.png", full_page=True)
    page.click("button.submit")

    assert "已记录" in page.locator(".messages").inner_text()
    assert page.locator("h1 .visit-state").get_attribute("data-state") == "scheduled"
    image = page.locator(".photos img").first
    image.wait_for()
    # The photo loads after the page: wait for it to finish (a broken one never gets a width), then check it.
    page.wait_for_function("img => img.complete", arg=image.element_handle())
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 320
    assert fits_the_phone(page)
    page.screenshot(path="/tmp/e2e-visit-household.png", full_page=True)

    page.click("header nav >> text=入户走访")
    card = page.locator(".visit-card", has_text=county.home.number)
    assert card.locator(".visit-state").get_attribute("data-state") == "scheduled"
    assert page.locator("[data-state=overdue]").count() == 0
    overdue.refresh_from_db()
    assert overdue.status == Status.DONE and overdue.housing_note == "东侧墙体开裂" and overdue.photos.count() == 1
