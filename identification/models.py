"""Identification rounds (精准识别, 回头看, 动态调整, 年度复核): the uploaded workbook, what checking found,
what the round changes, and the frozen snapshot a committed round leaves behind."""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from households.choices import Status
from households.models import Household
from povertyapp.access import RestrictedQuerySet
from povertyapp.jobs import Job
from villages.models import Township, Village

from .choices import ChangeKind, RoundKind, RoundStatus, Severity


class IdentificationRound(Job):
    """One uploaded workbook: uploaded → validated → committed, or rejected. `created_by` is the uploader."""

    name = models.CharField(_("批次名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"), help_text=_("收入一本账按此年度登记。"))
    kind = models.CharField(_("批次类型"), max_length=16, choices=RoundKind.choices)
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("乡镇"),
        help_text=_("不选则为全县批次。"),
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("行政村")
    )
    covered_villages = models.ManyToManyField(
        Village, blank=True, related_name="+", verbose_name=_("本批次覆盖的行政村"),
        help_text=_("表中没有列出、但登记在这些村(及表中出现的村)的户,列为“本批次未列出的户”。不选则只看表中出现的村。"),
    )
    file = models.FileField(_("上传文件"), upload_to="identification/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    status = models.CharField(
        _("批次状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.UPLOADED, db_index=True
    )
    problem = models.TextField(_("文件问题"), blank=True, help_text=_("整个文件无法使用的原因。"))
    sheet_name = models.CharField(_("工作表"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("数据行"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    errors = models.PositiveIntegerField(_("错误"), default=0)
    warnings = models.PositiveIntegerField(_("警告"), default=0)
    new_households = models.PositiveIntegerField(_("新增户"), default=0)
    changed_households = models.PositiveIntegerField(_("变更户"), default=0)
    absent_households = models.PositiveIntegerField(_("未列出的户"), default=0)
    persons_added = models.PositiveIntegerField(_("新增成员"), default=0)
    persons_removed = models.PositiveIntegerField(_("减少成员"), default=0)
    persons_moved = models.PositiveIntegerField(_("户间迁移"), default=0)
    preview_digest = models.CharField(_("预览摘要"), max_length=64, blank=True)
    validated_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    committed_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("提交人"),
    )
    error_report = models.FileField(_("错误报告"), upload_to="identification/reports/%Y/%m/", blank=True)
    checked_rows = models.FileField(
        _("已校验数据"), upload_to="identification/checked/%Y/%m/", blank=True,
        help_text=_("校验通过的各行,提交时据此写入(identification.staging)。"),
    )

    objects = RestrictedQuerySet.as_manager()
    area_paths = {"township": "township", "village": "village"}

    class Meta:
        verbose_name = _("识别批次")
        verbose_name_plural = _("识别批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("identification:detail", args=[self.pk])

    @property
    def area_label(self) -> str:
        return str(self.village or self.township or _("全县"))

    def waiting_households(self, user):
        """Households this committed round added that are still 待识别 (no approved 识别纳入 case yet), in the
        user's capture scope: the reviews app proposes their cases."""
        if self.status != RoundStatus.COMMITTED:
            return Household.objects.none()
        added = self.changes.filter(kind=ChangeKind.HOUSEHOLD_NEW).values("household_number")
        return Household.objects.restrict(user, "change").filter(status=Status.CANDIDATE, number__in=added)

    @property
    def audit_reason(self) -> str:
        """The change reason on every history row the commit writes."""
        return str(_("识别批次“%(name)s”(#%(pk)s)")) % {"name": self.name, "pk": self.pk}


class RoundIssue(models.Model):
    """An error or warning: its row and column in the uploaded sheet (none for the file as a whole)."""

    round = models.ForeignKey(IdentificationRound, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("行"), null=True, blank=True)
    column = models.CharField(_("列"), max_length=64, blank=True)
    rule = models.CharField(_("规则"), max_length=32)
    severity = models.CharField(_("级别"), max_length=8, choices=Severity.choices)
    message = models.TextField(_("说明"))
    household_number = models.CharField(_("户编号"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("校验问题")
        verbose_name_plural = _("校验问题")
        ordering = ["round", "row", "pk"]
        indexes = [models.Index(fields=["round", "severity", "row"])]


class RoundChange(models.Model):
    """One line of the preview: a household new, changed, absent; a person added, removed or moved."""

    round = models.ForeignKey(IdentificationRound, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("变化"), max_length=24, choices=ChangeKind.choices)
    household_number = models.CharField(_("户编号"), max_length=20)
    name = models.CharField(_("姓名"), max_length=32, blank=True)
    id_number = models.CharField(_("证件号码"), max_length=18, blank=True)
    detail = models.JSONField(_("明细"), default=dict, blank=True)

    class Meta:
        verbose_name = _("批次变化")
        verbose_name_plural = _("批次变化")
        ordering = ["round", "pk"]
        indexes = [models.Index(fields=["round", "kind"])]


class RoundSnapshot(models.Model):
    """A household with its members and income as a committed round left it (frozen, never updated)."""

    round = models.ForeignKey(IdentificationRound, on_delete=models.CASCADE, related_name="snapshots")
    household_number = models.CharField(_("户编号"), max_length=20)
    village = models.ForeignKey(Village, on_delete=models.SET_NULL, null=True, related_name="+")
    data = models.JSONField(_("快照"))

    class Meta:
        verbose_name = _("批次快照")
        verbose_name_plural = _("批次快照")
        ordering = ["round", "household_number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "household_number"], name="one_snapshot_per_household")
        ]
