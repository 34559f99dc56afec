"""The celery_worker fixture: tasks cross the Redis broker to a real worker that uses the test database."""
import datetime

import pytest
from celery.result import EagerResult
from django.db import connection
from django.utils import timezone

from povertyapp.tasks import healthcheck

pytestmark = pytest.mark.celery_worker


def test_a_task_runs_in_the_worker_not_in_process():
    result = healthcheck.delay()
    assert not isinstance(result, EagerResult)  # sent to the broker; only a worker can answer
    answer = result.get(timeout=10)
    assert answer["database"] == connection.vendor
    assert abs(datetime.datetime.fromisoformat(answer["time"]) - timezone.now()) < datetime.timedelta(seconds=10)


def test_healthz_reaches_the_worker(client):
    response = client.get("/healthz?worker=1")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}
