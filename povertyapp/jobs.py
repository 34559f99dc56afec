"""Background jobs with progress: the database row is the source of truth, Celery gets only its id.

An app's job model (an identification round, an eligibility run) extends `Job`; its task (a `job_task`)
calls `claim()`, then `start()`, `advance()` per chunk and `finish()` or `fail()`. The page polls
`progress_response()` (JSON) through static/js/progress.js, so a progress bar survives a page reload.

A worker that dies mid-job loses nothing for good. Job tasks are acknowledged late, so the broker hands the
message of a task whose worker process died back to a worker, marked redelivered, and that delivery takes the
job over (`claim`) and starts it again from a clean slate. Each claim is an attempt: the row records the task
and attempt holding the job, and every write of an attempt is an UPDATE conditional on them, so an attempt that
lost its job stops (JobLost) instead of writing over its successor's. Every write also touches `heartbeat_at`:
the beat task fail_stale_jobs fails running jobs silent for JOB_STALE_MINUTES (a whole worker gone) and pending
jobs not picked up within JOB_PENDING_STALE_MINUTES; the page then offers 重试, which calls `requeue()`.
"""
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Acknowledged when done, and handed back to the broker when the worker process running it dies (not only when
# it raises): the task is delivered again instead of being lost with its worker. Tasks get `self` (bind) to
# read their delivery (`delivery()`).
job_task = shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)


def delivery(request) -> dict:
    """`claim()`'s arguments for a Celery task request: its id, and whether the broker delivered it before."""
    return {"task_id": request.id or "", "redelivered": bool((request.delivery_info or {}).get("redelivered"))}


# What the page says about a job failed for want of a worker, and what to do.
SILENT_WORKER = _("任务中断:后台工作进程已超过%(minutes)s分钟没有响应,本次处理的结果不会生效。请点击“重试”重新运行。")
NO_WORKER = _("任务排队超过%(minutes)s分钟仍未开始,后台工作进程可能没有运行。请联系系统管理员检查后,点击“重试”。")
CRASHING_WORKER = _(
    "任务已中断%(count)s次(后台工作进程在处理时意外退出,可能是内存不足),已停止自动重试。"
    "请联系系统管理员检查后,点击“重试”。"
)
_RELEASED = {"task_id": "", "attempt": 0}  # held by no attempt: whatever attempt still runs is stopped


class JobLost(Exception):
    """This attempt no longer holds its job (the stale sweep failed it, or another delivery took it over)."""


class JobState(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    state = models.CharField(_("状态"), max_length=16, choices=JobState.choices, default=JobState.PENDING)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已处理"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    # The last sign of life: queued, claimed, or any progress written. The stale sweep measures from it.
    heartbeat_at = models.DateTimeField(_("最近活动时间"), default=timezone.now)
    task_id = models.CharField(_("任务标识"), max_length=64, blank=True)  # the Celery task holding the job
    attempt = models.PositiveSmallIntegerField(_("执行次数"), default=0)  # claims since the job was queued

    # A job whose worker died this often in a row (a workbook too big for the memory?) is failed rather than
    # taken over again: with reject_on_worker_lost, Celery would otherwise pass it from crash to crash forever.
    max_attempts = 3

    class Meta:
        abstract = True

    @classmethod
    def fail_stale(cls, now=None) -> int:
        """Mark this model's abandoned jobs failed; returns how many.

        Running jobs without a heartbeat for JOB_STALE_MINUTES lost their worker; pending ones not picked up
        within JOB_PENDING_STALE_MINUTES have none. A failed job is released (no task holds it), so an attempt
        that was only slow stops at its next write.
        """
        now = now or timezone.now()
        jobs, released = cls._base_manager.all(), {"state": JobState.FAILED, "finished_at": now, **_RELEASED}
        silent, waiting = settings.JOB_STALE_MINUTES, settings.JOB_PENDING_STALE_MINUTES
        return jobs.filter(state=JobState.RUNNING, heartbeat_at__lt=now - timedelta(minutes=silent)).update(
            error=SILENT_WORKER % {"minutes": silent}, **released
        ) + jobs.filter(state=JobState.PENDING, heartbeat_at__lt=now - timedelta(minutes=waiting)).update(
            error=NO_WORKER % {"minutes": waiting}, **released
        )

    @property
    def percent(self) -> int:
        return 100 if self.state == JobState.DONE else int(self.done * 100 / self.total) if self.total else 0

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def _update(self, **fields) -> None:
        """Write `fields` and the heartbeat with one UPDATE, visible at once to pollers (outside any open
        transaction), provided this attempt still holds the job; JobLost otherwise."""
        fields["heartbeat_at"] = timezone.now()
        held = type(self)._base_manager.filter(pk=self.pk, task_id=self.task_id, attempt=self.attempt)
        if not held.update(**fields):
            raise JobLost(f"{self._meta.label} {self.pk}: attempt {self.attempt} of {self.task_id!r} lost the job")
        for name, value in fields.items():
            setattr(self, name, value)

    def start(self, total: int) -> None:
        self._update(state=JobState.RUNNING, total=total, done=0, started_at=timezone.now(), error="")

    def advance(self, done: int) -> None:
        self._update(done=done)

    def finish(self, **fields) -> None:
        self._update(state=JobState.DONE, done=self.total, finished_at=timezone.now(), **fields)

    def fail(self, message: str) -> bool:
        """Record the failure; False (nothing written) when this attempt had already lost the job."""
        try:
            self._update(state=JobState.FAILED, finished_at=timezone.now(), error=message[:4000])
        except JobLost:
            return False
        return True

    def claim(self, task_id: str = "", redelivered: bool = False) -> bool:
        """Take the job for a new attempt with one conditional UPDATE; False when it is not this task's to run.

        A PENDING job goes to whoever comes first. A RUNNING job is taken over only by a redelivery of the very
        task that claimed it: the broker hands a message back only once the worker holding it is gone (the
        worker saw its process die, or the visibility timeout passed), so that attempt is dead. A later task
        never takes over a running job: after a retry an old message may come back while a live worker runs it.
        """
        jobs, now = type(self)._base_manager.filter(pk=self.pk), timezone.now()
        claimable = Q(state=JobState.PENDING)
        if redelivered and task_id:
            left = jobs.filter(state=JobState.RUNNING, task_id=task_id)
            if left.filter(attempt__gte=self.max_attempts).update(
                state=JobState.FAILED, finished_at=now, heartbeat_at=now,
                error=CRASHING_WORKER % {"count": self.max_attempts}, **_RELEASED,
            ):
                return False
            claimable |= Q(state=JobState.RUNNING, task_id=task_id)
        claimed = jobs.filter(claimable).update(
            state=JobState.RUNNING, started_at=now, heartbeat_at=now, task_id=task_id, attempt=F("attempt") + 1
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

    def requeue(self, from_states=(JobState.FAILED,)) -> bool:
        """Put the job back to PENDING for a new task, clearing its progress and error, with one conditional
        UPDATE: False when it was in none of `from_states` (a repeated click, say), so it is queued once."""
        fields = {
            "state": JobState.PENDING, "done": 0, "error": "", "started_at": None, "finished_at": None,
            "heartbeat_at": timezone.now(), **_RELEASED,
        }
        if not type(self)._base_manager.filter(pk=self.pk, state__in=from_states).update(**fields):
            return False
        for name, value in fields.items():
            setattr(self, name, value)
        return True

    def progress(self) -> dict:
        return {
            "state": self.state,
            "state_label": str(self.get_state_display()),
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "error": self.error,
        }



def progress_response(job: Job) -> JsonResponse:
    return JsonResponse(job.progress())
