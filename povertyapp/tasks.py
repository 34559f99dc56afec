"""Project-wide Celery tasks."""
from celery import shared_task
from django.db import connection
from django.utils import timezone


@shared_task
def healthcheck() -> dict:
    """Touch the database; report its vendor and the clock of whoever ran this.

    /healthz calls it in-process to probe the database, and through the broker
    (?worker=1) to prove that a worker is consuming the default queue.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"database": connection.vendor, "time": timezone.now().isoformat()}
