"""Celery tasks: a run gets only its id; the monthly schedule (一月一调度) checks every county."""
from celery import shared_task

from povertyapp.jobs import delivery, job_task

from . import batch
from .services import scheduled_runs


@job_task
def run_exit_check(self, run_id: int) -> bool:
    return batch.execute(run_id, **delivery(self.request))


@shared_task
def monthly_exit_check() -> list[int]:
    """Start a county-wide run per county for the latest year with incomes and a line (services.default_year)."""
    return [run.pk for run in scheduled_runs()]
