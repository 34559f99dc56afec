"""Jobs that recover: a redelivered task takes its job over and gives a clean run's result; 重试 on the pages.

The last two tests start a real `celery -A povertyapp worker` (prefork, one child) on the test database and
Redis, and kill it mid-run: its pool child alone (the task is redelivered at once), then the whole worker (the
stale sweep fails the job, 重试 runs it again).
"""
import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from exits import batch
from exits.models import EligibilityRun
from exits.tasks import run_exit_check
from households import choices
from households.models import Household
from identification.choices import RoundStatus
from identification.models import IdentificationRound, RoundIssue
from identification.tasks import commit_round_task, validate_round_task
from povertyapp.celery import app as celery_app
from povertyapp.jobs import JobState
from povertyapp.roles import Role

from . import factories
from .conftest import QUEUE_KEY_PREFIX, skip_unless_ci
from .test_exit_batch import new_run, results_of, small_county
from .test_identification import builder_with, checked_round, media_in_tmp, register_counts  # noqa: F401


def redelivered(task, task_id: str, *args):
    """Run `task`'s body as the broker's second delivery of the message `task_id` (Celery's testing recipe)."""
    task.push_request(id=task_id, delivery_info={"redelivered": True})
    try:
        return task.run(*args)
    finally:
        task.pop_request()


class Killed(BaseException):
    """Like a worker killed mid-job: nothing runs after it, no clean-up."""


def killed_midway(run, done):
    if done:
        raise Killed


def stale_now():
    """A moment at which the stale sweep finds a job silent since now."""
    return timezone.now() + datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)


# --- A redelivered task takes its job over ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_redelivered_exit_run_discards_the_dead_attempts_chunks_and_gives_a_clean_runs_results():
    townships, _ = small_county()
    clean, run = new_run(townships[0].county), new_run(townships[0].county)
    batch.execute(clean.pk)
    with pytest.raises(Killed):
        batch.execute(run.pk, chunk_size=8, after_chunk=killed_midway, task_id="task-1")
    assert run.household_results.exists()  # the chunks it committed before it died
    assert redelivered(run_exit_check, "task-1", run.pk) is True
    run.refresh_from_db(), clean.refresh_from_db()
    assert (run.state, run.attempt, run.task_id) == (JobState.DONE, 2, "task-1")
    assert results_of(run) == results_of(clean)
    assert run.village_results.count() == clean.village_results.count()
    assert (run.households_checked, run.failure_counts, run.poor_persons) == (
        clean.households_checked, clean.failure_counts, clean.poor_persons
    )
    assert redelivered(run_exit_check, "task-1", run.pk) is False  # once done, a further delivery does nothing


def test_a_redelivered_validation_clears_what_the_dead_attempt_wrote(county):
    user = county.users.county_staff
    content = builder_with(county.villages[0], households=2).workbook()
    clean = checked_round(user, content, round_name="一次校验完")
    round_ = IdentificationRound.objects.create(
        name="校验中断", year=2016, kind="adjustment", created_by=user, township=user.staff_profile.township,
        file=ContentFile(content, name="round.xlsx"), original_name="round.xlsx",
    )
    assert round_.claim("task-1")
    round_.start(total=6)
    RoundIssue.objects.create(round=round_, row=99, rule="partial", severity="error", message="半途写入")
    redelivered(validate_round_task, "task-1", round_.pk)
    round_.refresh_from_db()
    assert (round_.status, round_.state, round_.attempt) == (RoundStatus.VALIDATED, JobState.DONE, 2)

    def written(round_):
        return (
            sorted(round_.issues.values_list("row", "rule", "message")),
            sorted(round_.changes.values_list("kind", "household_number")),
        )

    assert written(round_) == written(clean) and round_.preview_digest == clean.preview_digest


def test_a_redelivered_commit_writes_the_register_once(county):
    user = county.users.county_staff
    round_ = checked_round(user, builder_with(county.villages[0], households=2).workbook())
    before = register_counts()
    assert round_.requeue(from_states=(JobState.DONE,)) and round_.claim("task-1")
    # The dead attempt's one transaction was rolled back with its connection: nothing of it is in the register.
    redelivered(commit_round_task, "task-1", round_.pk, user.pk)
    round_.refresh_from_db()
    assert (round_.status, round_.state, round_.committed_by) == (RoundStatus.COMMITTED, JobState.DONE, user)
    after = register_counts()
    assert after != before and Household.objects.filter(number="9100000001").exists()
    redelivered(commit_round_task, "task-1", round_.pk, user.pk)  # delivered once more after it was done
    assert register_counts() == after


# --- 重试 ----------------------------------------------------------------------------------------------


def abandoned_run(county) -> EligibilityRun:
    """A run whose worker died midway (partial rows left) and that the stale sweep then failed."""
    small_county()
    run = new_run(county.townships[0].county)
    with pytest.raises(Killed):
        batch.execute(run.pk, chunk_size=8, after_chunk=killed_midway, task_id="task-1")
    assert EligibilityRun.fail_stale(now=stale_now()) == 1
    run.refresh_from_db()
    return run


def test_a_failed_run_is_retried_from_its_page_and_queued_once(
    client, county, monkeypatch, django_capture_on_commit_callbacks
):
    run = abandoned_run(county)
    assert run.state == JobState.FAILED and run.household_results.exists()
    client.force_login(county.users.county_staff)
    page = client.get(run.get_absolute_url()).content.decode()
    assert run.error in page and 'id="retry-form"' in page and "重试" in page
    queued = []
    monkeypatch.setattr(run_exit_check, "delay", lambda *args: queued.append(args))
    url = reverse("exits:retry", args=[run.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).url == run.get_absolute_url()
        assert client.post(url).status_code == 302  # a second click, before a worker took it
    assert queued == [(run.pk,)]
    run.refresh_from_db()
    assert (run.state, run.error, run.done) == (JobState.PENDING, "", 0) and not run.household_results.exists()
    assert "只有失败的退出检测才能重试" in client.get(run.get_absolute_url()).content.decode()
    monkeypatch.undo()
    run_exit_check.delay(*queued[0])
    run.refresh_from_db()
    assert run.state == JobState.DONE and run.household_results.count() == run.households_checked > 0


@pytest.mark.parametrize("user", ["auditor", "first_secretary", "township_cadre"])
def test_only_those_who_may_start_a_run_may_retry_it(client, county, user):
    run = abandoned_run(county)  # county-wide: a township cadre may start only their township's runs
    client.force_login(getattr(county.users, user))
    assert 'id="retry-form"' not in client.get(run.get_absolute_url()).content.decode()
    assert client.post(reverse("exits:retry", args=[run.pk])).status_code == 404
    assert EligibilityRun.objects.get(pk=run.pk).state == JobState.FAILED


def test_a_failed_validation_is_retried_from_the_round_page(client, county, django_capture_on_commit_callbacks):
    user = county.users.county_staff
    round_ = IdentificationRound.objects.create(
        name="校验失败", year=2016, kind="adjustment", created_by=user, township=county.townships[0],
        file=ContentFile(builder_with(county.villages[0], households=2).workbook(), name="round.xlsx"),
        original_name="round.xlsx",
    )
    assert round_.claim("task-1")
    RoundIssue.objects.create(round=round_, row=99, rule="partial", severity="error", message="半途写入")
    assert IdentificationRound.fail_stale(now=stale_now()) == 1
    client.force_login(county.users.township_cadre)
    page = client.get(round_.get_absolute_url()).content.decode()
    assert 'id="retry-form"' in page and "没有响应" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("identification:retry", args=[round_.pk]))  # eager here: validated at once
    round_.refresh_from_db()
    assert (round_.status, round_.state, round_.error) == (RoundStatus.VALIDATED, JobState.DONE, "")
    assert not round_.issues.filter(rule="partial").exists()
    assert 'id="retry-form"' not in client.get(round_.get_absolute_url()).content.decode()


def test_a_failed_commit_is_retried_in_the_name_of_who_retries_it(client, county, django_capture_on_commit_callbacks):
    round_ = checked_round(county.users.township_cadre, builder_with(county.villages[0], households=2).workbook())
    assert round_.requeue(from_states=(JobState.DONE,)) and round_.claim("task-1")
    round_.fail("处理时出错:连接中断")
    client.force_login(county.users.county_staff)
    page = client.get(round_.get_absolute_url()).content.decode()
    assert 'id="retry-form"' in page and 'id="commit-form"' not in page  # 重试 is the commit, asked once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("identification:retry", args=[round_.pk]))
    round_.refresh_from_db()
    assert (round_.status, round_.state, round_.committed_by) == (
        RoundStatus.COMMITTED, JobState.DONE, county.users.county_staff
    )
    response = client.post(reverse("identification:retry", args=[round_.pk]), follow=True)
    assert "只有处理失败的批次才能重试" in response.content.decode()


def test_a_commit_clicked_twice_is_queued_once(client, county, monkeypatch):
    round_ = checked_round(county.users.county_staff, builder_with(county.villages[0], households=1).workbook())
    queued = []
    monkeypatch.setattr(commit_round_task, "delay", lambda *args: queued.append(args))
    client.force_login(county.users.county_staff)
    for _ in range(2):
        client.post(reverse("identification:commit", args=[round_.pk]))
    assert queued == [(round_.pk, county.users.county_staff.pk)]
    assert IdentificationRound.objects.get(pk=round_.pk).state == JobState.PENDING


def test_a_round_outside_the_users_area_cannot_be_retried(client, county):
    round_ = IdentificationRound.objects.create(
        name="乙镇批次", year=2016, kind="adjustment", township=county.townships[1], state=JobState.FAILED,
        file=ContentFile(b"x", name="round.xlsx"), original_name="round.xlsx",
    )
    for user in (county.users.township_cadre, county.users.auditor):
        client.force_login(user)
        assert client.post(reverse("identification:retry", args=[round_.pk])).status_code == 404
    assert IdentificationRound.objects.get(pk=round_.pk).state == JobState.FAILED


# --- A real worker, killed --------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the worker's pool children), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found


class WorkerProcess:
    """`celery -A povertyapp worker` in a subprocess of its own session, on the test database and this session's
    Redis keys; the run's chunks are one household each, so that the run advances chunk by chunk for seconds."""

    def __init__(self, log: Path):
        db = settings.DATABASES["default"]
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        env = {
            **os.environ, "CELERY_KEY_PREFIX": QUEUE_KEY_PREFIX, "EXIT_CHECK_CHUNK_SIZE": "1",
            "DATABASE_URL": f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        }
        self.log, self.log_file = log, log.open("ab")
        celery = Path(sys.executable).with_name("celery")
        self.process = subprocess.Popen(
            [str(celery), "-A", "povertyapp", "worker", "--pool", "prefork", "--concurrency", "1", "-Q", "default",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO", "-n", f"recovery-{uuid.uuid4().hex[:6]}@%h"],
            cwd=settings.BASE_DIR, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill_pool_child(self) -> None:
        (child,) = _children(self.process.pid)
        os.kill(child, signal.SIGKILL)

    def kill(self) -> None:
        """The whole worker at once, as when its machine or container dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log_file.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def worker_process(transactional_db, tmp_path):
    """Starts real workers (call it); skipped without PostgreSQL and Redis, except under CI=true."""
    if not settings.CELERY_BROKER_URL:
        skip_unless_ci("needs a Celery broker: set CELERY_BROKER_URL to a Redis URL (bash .ci/run does)")
    if connection.vendor != "postgresql":
        skip_unless_ci("a worker process needs the test database on a server: set DATABASE_URL to PostgreSQL")
    workers = []

    def start() -> WorkerProcess:
        workers.append(WorkerProcess(tmp_path / f"worker-{len(workers)}.log"))
        return workers[-1]

    celery_app.conf.task_always_eager = False
    try:
        yield start
    finally:
        celery_app.conf.task_always_eager = True
        for worker in workers:
            worker.kill()
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for key in broker.scan_iter(match=QUEUE_KEY_PREFIX + "*"):
            broker.delete(key)


def a_county_that_takes_seconds_to_check():
    """small_county's varied households and 600 plain ones: several hundred chunks of one household."""
    townships, _ = small_county(seed=11)
    village = factories.village(townships[0])
    Household.objects.bulk_create(
        Household(number=f"45048199{n:06d}", village=village, year_identified=2014, attribute=choices.Attribute.GENERAL,
                  main_cause=choices.Cause.ILLNESS, housing_grade=choices.HousingGrade.B)
        for n in range(600)
    )
    return townships[0].county


def wait_for(condition, seconds: float, worker, every=0.01):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s; worker log:\n{worker.output()}"
        time.sleep(every)


def partway(run) -> bool:
    progress = EligibilityRun.objects.filter(pk=run.pk).values_list("done", "total").get()
    return 0 < progress[0] < progress[1]


def state_of(run) -> str:
    return EligibilityRun.objects.filter(pk=run.pk).values_list("state", flat=True).get()


def test_a_run_whose_pool_child_is_killed_is_redelivered_and_ends_as_a_clean_run(worker_process):
    county = a_county_that_takes_seconds_to_check()
    run, clean = new_run(county), new_run(county)
    worker = worker_process()
    started = time.monotonic()
    result = run_exit_check.delay(run.pk)
    wait_for(lambda: partway(run), 30, worker)
    worker.kill_pool_child()
    assert state_of(run) == JobState.RUNNING
    assert result.get(timeout=60) is True  # the redelivered task's answer: it took the run over and finished it
    run.refresh_from_db()
    assert (run.state, run.task_id, run.attempt) == (JobState.DONE, result.id, 2), run.error
    assert time.monotonic() - started < 60
    batch.execute(clean.pk)  # in this process, in the default chunks
    assert results_of(run) == results_of(clean) and len(results_of(run)) == run.households_checked
    clean.refresh_from_db()
    assert (run.households_passed, run.failure_counts, run.gap_counts, run.poor_persons) == (
        clean.households_passed, clean.failure_counts, clean.gap_counts, clean.poor_persons
    )


def test_a_run_whose_whole_worker_is_killed_is_failed_by_the_sweep_and_retried_cleanly(worker_process, client):
    county = a_county_that_takes_seconds_to_check()
    run, clean = new_run(county), new_run(county)
    worker = worker_process()
    run_exit_check.delay(run.pk)
    wait_for(lambda: partway(run), 30, worker)
    worker.kill()
    assert state_of(run) == JobState.RUNNING and run.household_results.exists()  # stuck, half-written
    assert EligibilityRun.fail_stale() == 0  # its heartbeat is fresh
    assert EligibilityRun.fail_stale(now=stale_now()) == 1
    run.refresh_from_db()
    assert run.state == JobState.FAILED and "重试" in run.error
    client.force_login(factories.user(Role.COUNTY_STAFF))
    client.post(reverse("exits:retry", args=[run.pk]))
    assert state_of(run) == JobState.PENDING and not run.household_results.exists()
    worker = worker_process()
    wait_for(lambda: state_of(run) not in (JobState.PENDING, JobState.RUNNING), 40, worker, every=0.1)
    run.refresh_from_db()
    assert run.state == JobState.DONE and run.attempt == 1, run.error
    batch.execute(clean.pk)
    assert results_of(run) == results_of(clean) and results_of(run)
