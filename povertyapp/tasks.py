"""Project-wide Celery tasks."""
from celery import shared_task
from django.apps import apps
from django.db import connection
from django.utils import timezone

from .jobs import Job


@shared_task
def healthcheck() -> dict:
    """Touch the database; report its vendor and the clock of whoever ran this.

    /healthz calls it in-process to probe the database, and through the broker
    (?worker=1) to prove that a worker is consuming the default queue.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"database": connection.vendor, "time": timezone.now().isoformat()}


@shared_task
def fail_stale_jobs() -> int:
    """Every job model (import rounds, exit runs): mark jobs abandoned by a dead worker as failed."""
    return sum(model.fail_stale() for model in apps.get_models() if issubclass(model, Job))
