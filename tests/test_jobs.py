"""Jobs: claimed once, heartbeats on every write, taken over only by their own redelivered task, failed when
their worker is gone, put back in the queue once."""
import datetime
from types import SimpleNamespace

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from exits.models import EligibilityRun
from exits.tasks import monthly_exit_check, run_exit_check
from identification.tasks import commit_round_task, validate_round_task
from povertyapp.celery import app as celery_app
from povertyapp.jobs import JobLost, JobState, delivery
from povertyapp.tasks import fail_stale_jobs


def new_job(county, **fields) -> EligibilityRun:
    return EligibilityRun.objects.create(county=county.townships[0].county, year=2016, line=1, threshold=3, **fields)


def minutes_ago(minutes: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


def backdate(job, **fields):
    EligibilityRun.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()


def test_it_fails_running_jobs_without_a_heartbeat_and_pending_jobs_nobody_picked_up(county):
    silent, waiting = settings.JOB_STALE_MINUTES, settings.JOB_PENDING_STALE_MINUTES
    assert silent < waiting

    def job(state, heartbeat_minutes_ago):
        created = new_job(county, state=state)
        backdate(created, heartbeat_at=minutes_ago(heartbeat_minutes_ago), created_at=minutes_ago(24 * 60))
        return created

    silent_worker, working, never_picked_up, queued = (
        job(JobState.RUNNING, silent + 1), job(JobState.RUNNING, silent - 1),  # both created a day ago
        job(JobState.PENDING, waiting + 1), job(JobState.PENDING, silent + 1),
    )
    finished, failed = job(JobState.DONE, 10_000), job(JobState.FAILED, 10_000)
    assert fail_stale_jobs.delay().get() == 2
    states = dict(EligibilityRun.objects.values_list("pk", "state"))
    assert states == {
        silent_worker.pk: JobState.FAILED, working.pk: JobState.RUNNING, never_picked_up.pk: JobState.FAILED,
        queued.pk: JobState.PENDING, finished.pk: JobState.DONE, failed.pk: JobState.FAILED,
    }
    silent_worker.refresh_from_db(), never_picked_up.refresh_from_db()
    assert f"超过{silent}分钟没有响应" in silent_worker.error and "重试" in silent_worker.error
    assert f"排队超过{waiting}分钟仍未开始" in never_picked_up.error and "重试" in never_picked_up.error
    assert silent_worker.finished_at is not None and silent_worker.task_id == "" and silent_worker.attempt == 0


def test_it_touches_the_heartbeat_on_claim_start_and_every_advance(county):
    job = new_job(county)
    assert abs(job.heartbeat_at - timezone.now()) < datetime.timedelta(seconds=5)  # queued: a sign of life
    for step in (lambda: job.claim("task-1"), lambda: job.start(total=10), lambda: job.advance(5),
                 lambda: job.finish()):
        backdate(job, heartbeat_at=minutes_ago(30))
        step()
        stored = EligibilityRun.objects.get(pk=job.pk).heartbeat_at
        assert abs(stored - timezone.now()) < datetime.timedelta(seconds=5)
    assert EligibilityRun.objects.get(pk=job.pk).state == JobState.DONE


def test_it_claims_a_pending_job_for_one_task_only(county):
    job = new_job(county)
    assert job.claim("task-1")
    assert (job.state, job.task_id, job.attempt) == (JobState.RUNNING, "task-1", 1)
    other = EligibilityRun.objects.get(pk=job.pk)
    assert not other.claim("task-2")  # a second task for the same job
    assert not other.claim("task-2", redelivered=True)  # another task's redelivery never takes a running job
    assert not other.claim("task-1")  # the same message delivered twice without being handed back
    job.finish()
    assert not EligibilityRun.objects.get(pk=job.pk).claim("task-1", redelivered=True)  # done is done


def test_a_redelivered_task_takes_over_the_job_it_held_and_the_dead_attempt_is_stopped(county):
    dead = new_job(county)
    assert dead.claim("task-1")
    dead.start(total=10)
    dead.advance(4)
    successor = EligibilityRun.objects.get(pk=dead.pk)
    assert successor.claim("task-1", redelivered=True)
    assert (successor.state, successor.task_id, successor.attempt) == (JobState.RUNNING, "task-1", 2)
    with pytest.raises(JobLost):
        dead.advance(5)  # had it only been slow, it stops at its next write
    assert not dead.fail("late") and EligibilityRun.objects.get(pk=dead.pk).error == ""
    successor.start(total=10)
    successor.finish()
    assert EligibilityRun.objects.get(pk=dead.pk).state == JobState.DONE


def test_a_job_whose_worker_keeps_dying_is_failed_instead_of_taken_over_again(county):
    job = new_job(county)
    assert job.claim("task-1")
    for _ in range(2, job.max_attempts + 1):
        assert EligibilityRun.objects.get(pk=job.pk).claim("task-1", redelivered=True)
    assert not EligibilityRun.objects.get(pk=job.pk).claim("task-1", redelivered=True)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and f"已中断{job.max_attempts}次" in job.error and "重试" in job.error


def test_the_stale_sweep_releases_the_job_so_a_slow_attempt_stops(county):
    job = new_job(county)
    job.claim("task-1")
    future = timezone.now() + datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    assert EligibilityRun.fail_stale(now=future) == 1
    with pytest.raises(JobLost):
        job.advance(1)
    with pytest.raises(JobLost):
        job.finish()
    assert not job.fail("too late")
    stored = EligibilityRun.objects.get(pk=job.pk)
    assert stored.state == JobState.FAILED and "没有响应" in stored.error


def test_requeue_puts_a_failed_job_back_once_without_its_progress_or_error(county):
    job = new_job(county)
    job.claim("task-1")
    job.start(total=10)
    job.advance(7)
    assert not job.requeue()  # running: not failed
    job.fail("磁盘已满")
    backdate(job, heartbeat_at=minutes_ago(settings.JOB_PENDING_STALE_MINUTES + 5))
    assert job.requeue()
    stored = EligibilityRun.objects.get(pk=job.pk)
    assert (stored.state, stored.done, stored.error, stored.task_id, stored.attempt) == (JobState.PENDING, 0, "", "", 0)
    assert stored.started_at is None and stored.finished_at is None
    assert fail_stale_jobs.delay().get() == 0  # the pending limit counts from the retry, not the first queueing
    assert not stored.requeue()  # a second click
    assert stored.claim("task-2") and stored.attempt == 1


def test_delivery_tells_a_redelivered_message_from_a_first_or_eager_one():
    assert delivery(SimpleNamespace(id="t", delivery_info={"redelivered": True})) == {
        "task_id": "t", "redelivered": True
    }
    assert delivery(SimpleNamespace(id="t", delivery_info={"is_eager": True})) == {"task_id": "t", "redelivered": False}
    assert delivery(SimpleNamespace(id=None, delivery_info=None)) == {"task_id": "", "redelivered": False}


def test_job_tasks_are_acknowledged_late_and_handed_back_when_their_worker_dies():
    for task in (run_exit_check, validate_round_task, commit_round_task):
        assert task.acks_late and task.reject_on_worker_lost, task.name
    assert not monthly_exit_check.acks_late  # it creates runs: delivered twice, it would create them twice
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.broker_transport_options["visibility_timeout"] >= 3600  # longer than any job


def test_the_stale_sweep_runs_every_two_minutes():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == fail_stale_jobs.name)
    assert entry["schedule"] == crontab(minute="*/2")
    assert fail_stale_jobs.name in celery_app.tasks
