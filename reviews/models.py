"""Review cases (两审核一公示一公告) for exits, identifications, returns and removals, with their audited steps."""
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.choices import Relation
from households.models import MEMBER_PATHS, Household, Member
from povertyapp.access import RestrictedQuerySet

from .choices import Kind, ObjectionOutcome, Outcome, State, Step

CASE_PATHS = MEMBER_PATHS
CHILD_PATHS = {name: f"case__{path}" for name, path in CASE_PATHS.items()}


class CaseQuerySet(RestrictedQuerySet):
    def open(self):
        return self.filter(state__in=State.open())

    def with_household(self):
        """Household, village, township and the head's name in the same query (for lists)."""
        head = Member.objects.filter(household=OuterRef("household"), is_active=True, relation=Relation.HEAD)
        return self.select_related("household__village__township").annotate(
            head_name=Subquery(head.values("name")[:1])
        )


class Case(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="review_cases", verbose_name=_("户"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.PROPOSED, db_index=True)
    reason = models.TextField(_("原因"), blank=True, help_text=_("返贫、清退须写明原因。"))
    # The eligibility run a proposal came from; a plain id and label, so reviews does not depend on exits' tables.
    run_id = models.PositiveIntegerField(_("核查批次号"), null=True, blank=True)
    run_label = models.CharField(_("核查批次"), max_length=120, blank=True)
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示截止"), null=True, blank=True, help_text=_("公示期最后一天"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提议人")
    )
    created_at = models.DateTimeField(_("提议时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = CaseQuerySet.as_manager()
    area_paths = CASE_PATHS

    class Meta:
        verbose_name = _("审核案件")
        verbose_name_plural = _("审核案件")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(state__in=State.open()), name="one_open_case_per_household",
                violation_error_message=_("该户已有进行中的审核案件。"),
            ),
        ]

    def __str__(self):
        return f"{self.household.number} {self.get_kind_display()} {self.year}"

    def get_absolute_url(self):
        return reverse("reviews:case", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state in State.open()

    def clean(self):
        if self.kind in (Kind.RETURN, Kind.REMOVAL) and not (self.reason or "").strip():
            raise ValidationError({"reason": _("返贫、清退须写明原因。")})


SCAN_SIGNATURES = {".pdf": (b"%PDF-",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".png": (b"\x89PNG\r\n\x1a\n",)}


def validate_scan(upload) -> None:
    """A scanned page: PDF, JPEG or PNG by name *and* by content, no larger than REVIEW_ATTACHMENT_MAX_MB."""
    limit = settings.REVIEW_ATTACHMENT_MAX_MB
    if upload.size > limit * 1024 * 1024:
        raise ValidationError(_("扫描件不能超过%(mb)sMB。") % {"mb": limit})
    signatures = SCAN_SIGNATURES.get(Path(upload.name).suffix.lower())
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not signatures or not head.startswith(signatures):
        raise ValidationError(_("扫描件须为PDF、JPEG或PNG文件。"))


def attachment_path(step, filename: str) -> str:
    """An unguessable name under the case's folder; the original name is kept on the row."""
    return f"reviews/{step.case_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class CaseStep(models.Model):
    """One action on a case: the audit trail (who, when, what was decided, on which date, with what check result)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps", verbose_name=_("案件"))
    step = models.CharField(_("环节"), max_length=20, choices=Step.choices)
    from_state = models.CharField(_("原状态"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=State.choices)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, blank=True)
    decided_on = models.DateField(_("会议/决定日期"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    attachment = models.FileField(_("扫描件"), upload_to=attachment_path, blank=True, validators=[validate_scan])
    attachment_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    check_passed = models.BooleanField(_("核查通过"), null=True, blank=True)
    check_failures = models.JSONField(_("未达标项"), default=list, blank=True)
    override_reason = models.TextField(_("核查例外理由"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("操作时间"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    area_paths = CHILD_PATHS

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["case_id", "created_at", "pk"]

    def __str__(self):
        return f"{self.case} · {self.get_step_display()}"


class Objection(models.Model):
    """An objection raised during the public notice; approval waits until each is resolved."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections", verbose_name=_("案件"))
    raised_on = models.DateField(_("提出日期"))
    raised_by = models.CharField(_("异议人"), max_length=64, blank=True, help_text=_("可匿名"))
    content = models.TextField(_("异议内容"))
    outcome = models.CharField(_("处理结果"), max_length=10, choices=ObjectionOutcome.choices, blank=True)
    resolution = models.TextField(_("处理说明"), blank=True)
    resolved_on = models.DateField(_("处理日期"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("处理人"),
    )

    objects = RestrictedQuerySet.as_manager()
    area_paths = CHILD_PATHS

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["case_id", "raised_on", "pk"]

    def __str__(self):
        return f"{self.case} · {self.raised_on}"

    @property
    def is_resolved(self) -> bool:
        return bool(self.outcome)
