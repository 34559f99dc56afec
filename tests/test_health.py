"""/healthz: public, quick, and honest about what is down."""
import time

from django.db import OperationalError

from povertyapp import tasks
from povertyapp.celery import app


def test_it_answers_anonymous_users_with_states_only(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}  # tests run tasks eagerly
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert client.post("/healthz").status_code == 405


def test_it_reports_an_unreachable_broker_quickly(client, db, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # Celery prefers this to its settings
    started = time.monotonic()
    response = client.get("/healthz?worker=1")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error", "worker": "error"}


def test_it_reports_a_database_failure(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(tasks, "connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "error", "broker": "eager"}
