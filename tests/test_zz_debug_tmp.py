import pytest
from django.db import connection, connections


def show(label):
    import asyncio
    try:
        asyncio.get_running_loop(); running = True
    except RuntimeError:
        running = False
    c = connections["default"]
    print(label, id(c), hasattr(c, "_test_serialized_contents"), "loop running:", running, list(vars(connections._connections._storage)))


@pytest.mark.django_db
def test_a_group0():
    show("G0")


def test_b_browser(browser_page, live_server):
    show("BROWSER-before")
    browser_page.goto(live_server.url + "/healthz")
    show("BROWSER-after")


@pytest.mark.celery_worker
def test_debug():
    show("WORKER")
