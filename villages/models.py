"""The area tree (county → township → administrative village → village group) and cadres posted to villages."""
from django.core.validators import RegexValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from povertyapp.access import RestrictedManager, RestrictedQuerySet

from .rules import incidence_percent

division_code = RegexValidator(r"^\d{12}$", _("村代码应为12位数字。"))


class County(models.Model):
    name = models.CharField(_("名称"), max_length=64)
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    province_threshold_percent = models.DecimalField(
        _("贫困发生率退出标准(%)"), max_digits=4, decimal_places=2, default=3,
        help_text=_("默认3%;省里规定时可设为2%。"),
    )

    objects = RestrictedManager()
    area_paths = {"township": ("townships",), "village": ("townships__villages",)}

    class Meta:
        verbose_name = _("县")
        verbose_name_plural = _("县")

    def __str__(self):
        return self.name


class AreaCodeQuerySet(RestrictedQuerySet):
    def local_codes(self) -> frozenset[str]:
        """Every 6-digit code ID numbers of this register may start with: the counties' own and their former codes."""
        own = County.objects.values_list("code", flat=True)
        return frozenset(code[:6] for code in own) | frozenset(self.values_list("code", flat=True))


class AreaCode(models.Model):
    """A former or neighbouring area code under which the county's residents were first registered (历史区划代码).

    ID numbers keep the code of first registration for life, so the county's predecessors (before a
    county became a city, before a merger) are as valid as its current code.
    """

    county = models.ForeignKey(County, on_delete=models.CASCADE, related_name="area_codes", verbose_name=_("县"))
    code = models.CharField(_("地区码"), max_length=6, unique=True, validators=[RegexValidator(r"^\d{6}$", _("地区码应为6位数字。"))])
    name = models.CharField(_("名称"), max_length=64)
    used_from = models.PositiveSmallIntegerField(_("启用年份"), null=True, blank=True)
    used_until = models.PositiveSmallIntegerField(_("停用年份"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = AreaCodeQuerySet.as_manager()
    area_paths = {}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("历史区划代码")
        verbose_name_plural = _("历史区划代码")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Township(models.Model):
    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="townships", verbose_name=_("县"))
    name = models.CharField(_("乡镇"), max_length=64)
    code = models.CharField(_("区划代码"), max_length=12, unique=True)

    objects = RestrictedManager()
    area_paths = {"township": "pk", "village": ("villages",)}

    class Meta:
        verbose_name = _("乡镇")
        verbose_name_plural = _("乡镇")
        ordering = ["code"]

    def __str__(self):
        return self.name


_figure_suppliers = []


def register_figures(annotate) -> None:
    """`annotate(villages)` adds household_count, person_count and poor_person_count to a village queryset.

    The register (households) supplies them from its AppConfig.ready(): the area tree names the figures its
    pages, ledger and API show, but imports no household model.
    """
    _figure_suppliers.append(annotate)


class VillageQuerySet(RestrictedQuerySet):
    def with_figures(self):
        """The register figures (register_figures) and the latest registered population."""
        latest = VillagePopulation.objects.filter(village=OuterRef("pk")).order_by("-as_of")
        villages = self.select_related("township").annotate(
            registered_persons=Subquery(latest.values("registered_persons")[:1]),
        )
        for annotate in _figure_suppliers:
            villages = annotate(villages)
        return villages


class Village(models.Model):
    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("乡镇"))
    name = models.CharField(_("行政村"), max_length=64)
    code = models.CharField(_("村代码"), max_length=12, unique=True, validators=[division_code])
    is_poor = models.BooleanField(_("贫困村"), default=False)
    planned_exit_year = models.PositiveSmallIntegerField(_("计划出列年度"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("实际出列年度"), null=True, blank=True)

    objects = VillageQuerySet.as_manager()
    area_paths = {"township": "township", "village": "pk"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("行政村")
        verbose_name_plural = _("行政村")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("villages:detail", args=[self.pk])

    @property
    def incidence(self):
        """Incidence in percent, on a village annotated by with_figures()."""
        return incidence_percent(self.poor_person_count, self.registered_persons)


class VillageGroup(models.Model):
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="groups", verbose_name=_("行政村"))
    name = models.CharField(_("村民小组"), max_length=64)

    objects = RestrictedManager()
    area_paths = {"township": "village__township", "village": "village"}

    class Meta:
        verbose_name = _("村民小组")
        verbose_name_plural = _("村民小组")
        constraints = [models.UniqueConstraint(fields=["village", "name"], name="unique_group_per_village")]

    def __str__(self):
        return self.name


class VillagePopulation(models.Model):
    """The registered (户籍) rural population on a date: the incidence denominator, never derived from the register."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="populations", verbose_name=_("行政村"))
    as_of = models.DateField(_("统计日期"))
    registered_persons = models.PositiveIntegerField(_("户籍人口"))
    registered_households = models.PositiveIntegerField(_("户籍户数"))

    objects = RestrictedManager()
    area_paths = {"township": "village__township", "village": "village"}

    class Meta:
        verbose_name = _("户籍人口")
        verbose_name_plural = _("户籍人口")
        constraints = [models.UniqueConstraint(fields=["village", "as_of"], name="unique_population_date")]
        ordering = ["-as_of"]


phone_validator = RegexValidator(r"^[0-9+\-() ]{5,20}$", _("请输入有效的电话号码。"))


class Cadre(models.Model):
    """A cadre who may be posted to a village or paired with households."""

    name = models.CharField(_("姓名"), max_length=32)
    work_unit = models.CharField(_("工作单位"), max_length=128)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])

    objects = RestrictedManager()
    personal_fields = ("phone",)
    # Seen by whoever sees a village the cadre serves or a household the cadre is paired with.
    area_paths = {
        "township": (
            "secretary_postings__village__township",
            "team_memberships__village__township",
            "pairings__household__village__township",
        ),
        "village": (
            "secretary_postings__village",
            "team_memberships__village",
            "pairings__household__village",
        ),
        "household": ("pairings__household",),
    }

    class Meta:
        verbose_name = _("干部")
        verbose_name_plural = _("干部")
        ordering = ["name", "pk"]

    def __str__(self):
        return f"{self.name}({self.work_unit})"


class AssignmentQuerySet(RestrictedQuerySet):
    def active(self, on=None):
        """Postings or pairings in force on `on` (default: those not ended)."""
        if on is None:
            return self.filter(end_date__isnull=True)
        return self.filter(Q(start_date__lte=on), Q(end_date__isnull=True) | Q(end_date__gte=on))


class DatedAssignment(models.Model):
    """A posting or pairing that runs from a start date until it is ended."""

    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self):
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("结束日期不能早于开始日期。")})


class FirstSecretaryPosting(DatedAssignment):
    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="secretary_postings", verbose_name=_("干部"))
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="secretary_postings", verbose_name=_("行政村")
    )

    area_paths = {"township": "village__township", "village": "village"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("第一书记任职")
        verbose_name_plural = _("第一书记任职")
        constraints = [
            models.UniqueConstraint(
                fields=["village"], condition=Q(end_date__isnull=True), name="one_current_secretary_per_village",
                violation_error_message=_("该村已有在任第一书记,请先结束其任职。"),
            )
        ]


class WorkTeamMembership(DatedAssignment):
    class Duty(models.TextChoices):
        LEADER = "leader", _("队长")
        MEMBER = "member", _("队员")

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="team_memberships", verbose_name=_("干部"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="team_memberships", verbose_name=_("行政村"))
    duty = models.CharField(_("职务"), max_length=16, choices=Duty.choices, default=Duty.MEMBER)

    area_paths = {"township": "village__township", "village": "village"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("驻村工作队队员")
        verbose_name_plural = _("驻村工作队队员")
