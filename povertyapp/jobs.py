"""Background jobs with progress: the database row is the source of truth, Celery gets only its id.

An app's job model (an identification round, an eligibility run) extends `Job`;
its task calls `start()`, `advance()` per chunk and `finish()` or `fail()`. The
page polls `progress_response()` (JSON) through static/js/progress.js, so a
progress bar survives a page reload.
"""
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    # Far longer than any real job takes (1.5M households check in under a minute): a job still pending
    # or running after this lost its worker, and fail_stale() says so instead of leaving it "running" forever.
    stale_after = timedelta(hours=2)

    class Meta:
        abstract = True

    @classmethod
    def fail_stale(cls, now=None) -> int:
        """Mark this model's abandoned jobs failed; returns how many."""
        now = now or timezone.now()
        return cls._base_manager.filter(
            state__in=[JobState.PENDING, JobState.RUNNING], created_at__lt=now - cls.stale_after
        ).update(state=JobState.FAILED, finished_at=now, error=str(_("任务中断:工作进程未在规定时间内完成,请重新发起。")))

    @property
    def percent(self) -> int:
        return 100 if self.state == JobState.DONE else int(self.done * 100 / self.total) if self.total else 0

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def _update(self, **fields):
        """Write `fields` with a single UPDATE, visible at once to pollers (outside any open transaction)."""
        for name, value in fields.items():
            setattr(self, name, value)
        type(self)._base_manager.filter(pk=self.pk).update(**fields)

    def start(self, total: int) -> None:
        self._update(state=JobState.RUNNING, total=total, done=0, started_at=timezone.now(), error="")

    def advance(self, done: int) -> None:
        self._update(done=done)

    def finish(self, **fields) -> None:
        self._update(state=JobState.DONE, done=self.total, finished_at=timezone.now(), **fields)

    def fail(self, message: str) -> None:
        self._update(state=JobState.FAILED, finished_at=timezone.now(), error=message[:4000])

    def claim(self) -> bool:
        """Move PENDING → RUNNING atomically; False when another worker got there first."""
        claimed = type(self)._base_manager.filter(pk=self.pk, state=JobState.PENDING).update(
            state=JobState.RUNNING, started_at=timezone.now()
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

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
