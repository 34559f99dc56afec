"""Shared fixtures: a two-township county with one user per role; a real Celery worker; a headless browser."""
import os
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.urls import reverse
from django.utils import translation

from povertyapp.celery import app as celery_app
from povertyapp.roles import Role

from . import factories

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
QUEUE_KEY_PREFIX = f"pytest-{uuid.uuid4().hex[:8]}:"


def skip_unless_ci(reason: str):
    """Skip locally; under CI=true a missing service or browser is an error, never a silent skip."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)  # before pytest-django's, which orders the tests by their django_db marker
def pytest_collection_modifyitems(items):
    for item in items:
        if "browser_page" in item.fixturenames:
            item.add_marker(pytest.mark.browser)  # so that -m "not browser" is reliable
        own = item.get_closest_marker("django_db")
        arguments = dict(own.kwargs) if own else {}
        # A celery_worker test is transactional: the worker thread's own connection sees only committed rows.
        if (
            item.get_closest_marker("celery_worker") or arguments.get("transaction")
            or {"transactional_db", "live_server"} & set(item.fixturenames)
        ):
            # A transactional test ends by emptying every table, rows that data migrations loaded included
            # (poverty lines...); serialized_rollback puts those back at the start of each such test.
            arguments.update(transaction=True, serialized_rollback=arguments.get("serialized_rollback", True))
            item.add_marker(pytest.mark.django_db(**arguments), append=False)


@pytest.fixture(autouse=True)
def _empty_cache():
    """API throttle counts live in the cache: each test starts with none."""
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a request in English must not leak into the next test's thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def county(db):
    """Two townships, a village in each, households in both; one user per role scoped to the first."""
    township_a, township_b = factories.township("甲镇"), factories.township("乙镇")
    village_a, village_b = factories.village(township_a, "甲村"), factories.village(township_b, "乙村")
    village_a2 = factories.village(township_a, "甲二村")
    home, away = factories.household(village_a), factories.household(village_b)
    neighbour = factories.household(village_a2)
    helper = factories.cadre()
    factories.pairing(helper, home)
    users = SimpleNamespace(
        county_staff=factories.user(Role.COUNTY_STAFF),
        auditor=factories.user(Role.AUDITOR),
        township_cadre=factories.user(Role.TOWNSHIP_CADRE, township=township_a),
        first_secretary=factories.user(Role.FIRST_SECRETARY, township=township_a, village=village_a),
        pairing_cadre=factories.user(Role.PAIRING_CADRE, cadre=helper),
    )
    return SimpleNamespace(
        townships=(township_a, township_b), villages=(village_a, village_b, village_a2),
        home=home, away=away, neighbour=neighbour, cadre=helper, users=users,
    )


# --- Celery -------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _celery_eager_by_default():
    """Tasks run in-process in every test, broker or not; only the celery_worker fixture turns that off.

    Queue keys get a per-session prefix, so that concurrent test runs on one Redis never take each other's tasks.
    """
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.broker_transport_options
    conf.task_always_eager = True
    conf.broker_transport_options = {**previous[1], "global_keyprefix": QUEUE_KEY_PREFIX}
    yield
    conf.task_always_eager, conf.broker_transport_options = previous


@pytest.fixture(autouse=True)
def _celery_worker_for_marked_tests(request):
    if request.node.get_closest_marker("celery_worker"):
        request.getfixturevalue("celery_worker")


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker in a thread on the configured broker, consuming the default and imports queues.

    Used by tests marked @pytest.mark.celery_worker; skipped when no broker is configured (local SQLite runs).
    """
    if not settings.CELERY_BROKER_URL:
        skip_unless_ci("needs a Celery broker: set CELERY_BROKER_URL to a Redis URL (bash .ci/run does)")
    from celery.contrib.testing import tasks  # noqa: F401 -- registers celery.ping for the start-up check
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, queues=[celery_app.conf.task_default_queue, "imports"]) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for key in broker.scan_iter(match=QUEUE_KEY_PREFIX + "*"):
            broker.delete(key)


# --- Browser ------------------------------------------------------------------------------------------


@pytest.fixture
def browser_viewport():
    """Desktop size; override it (a fixture of the same name, or parametrize) with {"width": 375, "height": 812}."""
    return {"width": 1280, "height": 800}


@pytest.fixture
def browser_page(browser_viewport, monkeypatch):
    """A page of Debian's headless Chromium via Playwright: Chinese locale, Shanghai time; marks the test `browser`.

    Playwright starts and stops with each test (about 0.7 s): its sync API keeps an event loop running in this
    thread, under which Django refuses ORM calls (hence DJANGO_ALLOW_ASYNC_UNSAFE) and asgiref hands the thread
    other database connections than pytest-django's. Kept to the test's own span, that does no harm elsewhere.
    """
    if not CHROMIUM.exists():
        skip_unless_ci(f"browser tests need {CHROMIUM}: apt-get install chromium fonts-wqy-microhei (.ci/run does)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport=browser_viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        yield context.new_page()
        connections.close_all()  # the connections opened while the loop ran; the database is dropped at the end
        browser.close()


def log_in(page, live_server, user, password=factories.PASSWORD):
    """Sign in through the login form as a person would; fails the test if the form does not let the user in."""
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").click()
    assert reverse("login") not in page.url, f"logging in as {user.username} failed: still on {page.url}"


@pytest.fixture
def login():
    """The `log_in(page, live_server, user)` helper, as a fixture."""
    return log_in
