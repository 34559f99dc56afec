"""Who a user is in the county (role and area), and the log of personal-data reveals."""
from axes.models import AccessFailureLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .access import RestrictedManager
from .roles import Level, Role


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("用户")
    )
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    township = models.ForeignKey(
        "villages.Township", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("乡镇")
    )
    village = models.ForeignKey(
        "villages.Village", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("行政村")
    )
    cadre = models.OneToOneField(
        "villages.Cadre", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("干部档案")
    )

    class Meta:
        verbose_name = _("用户角色")
        verbose_name_plural = _("用户角色")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"

    def clean(self):
        needs = {
            Role.TOWNSHIP_CADRE: ("township", _("乡镇干部须指定乡镇。")),
            Role.FIRST_SECRETARY: ("village", _("第一书记须指定行政村。")),
            Role.PAIRING_CADRE: ("cadre", _("帮扶责任人须关联干部档案。")),
        }
        if self.role in needs:
            field, message = needs[self.role]
            if not getattr(self, f"{field}_id"):
                raise ValidationError({field: message})
        if self.village_id and not self.township_id:
            self.township_id = self.village.township_id


class PersonalDataAccess(models.Model):
    """One row each time a user was shown ID numbers, phones or accounts in full."""

    class Channel(models.TextChoices):
        PAGE = "page", _("页面")
        EXPORT = "export", _("导出")
        API = "api", _("接口")
        FORM = "form", _("编辑表单")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("用户"))
    accessed_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    channel = models.CharField(_("途径"), max_length=16, choices=Channel.choices)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_ids = models.TextField(_("对象编号"))
    record_count = models.PositiveIntegerField(_("记录数"), default=1)

    class Meta:
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = _("敏感信息查看记录")
        ordering = ["-accessed_at"]

    @classmethod
    def record(cls, user, channel: str, object_type: str, object_ids, record_count: int = 1):
        """The log row of one reveal; `object_ids` a list of primary keys or a description (an export's filter)."""
        if not isinstance(object_ids, str):
            object_ids = ",".join(str(pk) for pk in object_ids)
        return cls.objects.create(
            user=user, channel=channel, object_type=object_type, object_ids=object_ids, record_count=record_count,
        )


class LoginFailure(AccessFailureLog):
    """django-axes' failure log as the county sees it: county staff read it and unlock; auditors read it."""

    objects = RestrictedManager()
    area_paths = {}
    role_overrides = {
        role: {"view": Level.NONE, "change": Level.NONE}
        for role in (Role.TOWNSHIP_CADRE, Role.FIRST_SECRETARY, Role.PAIRING_CADRE)
    }

    class Meta:
        proxy = True
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
