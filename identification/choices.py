"""Code lists of identification rounds."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoundKind(models.TextChoices):
    PRECISE = "precise", _("精准识别")
    LOOK_BACK = "look_back", _("回头看")
    ADJUSTMENT = "adjustment", _("动态调整")
    ANNUAL_REVIEW = "annual_review", _("年度复核")


class RoundStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    VALIDATED = "validated", _("已校验")
    COMMITTED = "committed", _("已提交")
    REJECTED = "rejected", _("未通过")


class Severity(models.TextChoices):
    ERROR = "error", _("错误")
    WARNING = "warning", _("警告")


class ChangeKind(models.TextChoices):
    HOUSEHOLD_NEW = "household_new", _("新增户")
    HOUSEHOLD_CHANGED = "household_changed", _("信息变更户")
    HOUSEHOLD_ABSENT = "household_absent", _("本批次未列出的户")
    PERSON_ADDED = "person_added", _("新增成员")
    PERSON_REMOVED = "person_removed", _("减少成员")
    PERSON_MOVED = "person_moved", _("户间迁移")
