"""The shared browser fixtures: Debian's Chromium against the live server, phone viewport, form login."""
import json

import pytest


@pytest.mark.browser
@pytest.mark.parametrize("browser_viewport", [{"width": 375, "height": 812}])
def test_a_phone_sized_page_reaches_the_live_server(browser_page, live_server):
    browser_page.goto(live_server.url + "/healthz")
    assert browser_page.evaluate("[window.innerWidth, window.innerHeight]") == [375, 812]
    assert json.loads(browser_page.inner_text("body")) == {"database": "ok", "broker": "eager"}


@pytest.mark.browser
def test_login_signs_in_through_the_form(browser_page, live_server, login, county):
    login(browser_page, live_server, county.users.township_cadre)
    assert browser_page.url == live_server.url + "/"
    assert "sessionid" in {cookie["name"] for cookie in browser_page.context.cookies()}


@pytest.mark.browser
def test_login_fails_loudly_on_a_wrong_password(browser_page, live_server, login, county):
    with pytest.raises(AssertionError, match="still on"):
        login(browser_page, live_server, county.users.township_cadre, password="wrong-password")
