"""建档立卡 households, their members, the yearly income ledger and pairings with cadres."""
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from povertyapp.access import RestrictedQuerySet
from villages.models import AreaCode, AssignmentQuerySet, Cadre, DatedAssignment, Village, VillageGroup, phone_validator

from . import choices
from .idnumbers import EARLIEST_BIRTH_YEAR, IdNumberError, normalise_id_number, parse_id_number
from .rules import per_capita_net_income

HOUSEHOLD_PATHS = {"township": "village__township", "village": "village", "household": "pk"}
MEMBER_PATHS = {"township": "household__village__township", "village": "household__village", "household": "household"}


class HouseholdQuerySet(RestrictedQuerySet):
    def on_register(self):
        return self.filter(status__in=choices.Status.on_register())

    def housing_unrecorded(self):
        """Neither an appraisal grade nor a dangerous-house answer nor a renovation: the register says nothing."""
        return self.filter(housing_grade="", was_dangerous_house__isnull=True, house_renovated=False)

    def without_members(self):
        return self.exclude(pk__in=Member.objects.filter(is_active=True).values("household_id"))

    def with_summary(self):
        """Village, township, head's name and active member count, in the same query (for lists)."""
        active = Member.objects.filter(household=models.OuterRef("pk"), is_active=True)
        head = active.filter(relation=choices.Relation.HEAD).values("name")[:1]
        size = active.order_by().values("household").annotate(n=models.Count("pk")).values("n")
        return self.select_related("village__township").annotate(
            head_name=models.Subquery(head),
            member_count=models.functions.Coalesce(models.Subquery(size), 0),
        )


class Household(models.Model):
    number = models.CharField(
        _("户编号"), max_length=20, unique=True, validators=[RegexValidator(r"^[0-9A-Za-z-]{1,20}$")]
    )
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="households", verbose_name=_("行政村"))
    group = models.ForeignKey(
        VillageGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="households",
        verbose_name=_("村民小组"),
    )
    address = models.CharField(_("住址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])
    bank_name = models.CharField(_("开户银行"), max_length=64, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=32, blank=True)
    year_identified = models.PositiveSmallIntegerField(_("识别年度"))
    standard = models.CharField(
        _("识别标准"), max_length=16, choices=choices.IdentificationStandard.choices,
        default=choices.IdentificationStandard.NATIONAL,
    )
    attribute = models.CharField(_("贫困户属性"), max_length=16, choices=choices.Attribute.choices)
    main_cause = models.CharField(_("主要致贫原因"), max_length=2, choices=choices.Cause.choices)
    other_causes = models.JSONField(_("其他致贫原因"), default=list, blank=True)
    status = models.CharField(
        _("脱贫状态"), max_length=1, choices=choices.Status.choices, default=choices.Status.NOT_EXITED, db_index=True
    )
    exit_year = models.PositiveSmallIntegerField(_("脱贫年度"), null=True, blank=True)
    housing_grade = models.CharField(_("住房安全等级"), max_length=1, choices=choices.HousingGrade.choices, blank=True)
    was_dangerous_house = models.BooleanField(
        _("危房户"), null=True, blank=True,
        help_text=_("是否登记为危房户(含曾为危房);未登记时留空,退出检测视为住房信息缺失。"),
    )
    house_renovated = models.BooleanField(_("危房已改造"), default=False)
    housing_area = models.DecimalField(_("住房面积(㎡)"), max_digits=7, decimal_places=2, null=True, blank=True)
    safe_drinking_water = models.BooleanField(_("饮水安全"), default=True)
    food_and_clothing_secure = models.BooleanField(_("不愁吃不愁穿"), default=True)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()
    area_paths = HOUSEHOLD_PATHS
    personal_fields = ("phone", "bank_account")
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("贫困户")
        verbose_name_plural = _("贫困户")
        ordering = ["number"]
        indexes = [models.Index(fields=["village", "status"]), models.Index(fields=["attribute"])]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("households:detail", args=[self.pk])

    def clean(self):
        unknown = set(self.other_causes or []) - set(choices.Cause.values)
        if unknown:
            raise ValidationError({"other_causes": _("未知的致贫原因代码:%s") % ", ".join(sorted(unknown))})
        if self.group_id and self.village_id and self.group.village_id != self.village_id:
            raise ValidationError({"group": _("村民小组不属于所选行政村。")})
        exited = {choices.Status.EXITED, choices.Status.EXITED_WITH_POLICY}
        if self.status in exited and not self.exit_year:
            raise ValidationError({"exit_year": _("已脱贫户须填写脱贫年度。")})

    @property
    def head(self):
        return next((m for m in self.members.all() if m.relation == choices.Relation.HEAD and m.is_active), None)


class MemberQuerySet(RestrictedQuerySet):
    def active(self):
        return self.filter(is_active=True)


class Member(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("户"))
    name = models.CharField(_("姓名"), max_length=32)
    id_number = models.CharField(_("证件号码"), max_length=18, blank=True)
    id_missing_reason = models.CharField(
        _("无证件原因"), max_length=16, choices=choices.IdMissingReason.choices, blank=True,
        help_text=_("无证件号码时必填;有证件号码时留空。"),
    )
    sex = models.CharField(
        _("性别"), max_length=1, choices=choices.Sex.choices, blank=True, help_text=_("有证件号码时由号码确定。")
    )
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, help_text=_("有证件号码时由号码确定。"))
    relation = models.CharField(_("与户主关系"), max_length=2, choices=choices.Relation.choices)
    ethnicity = models.CharField(_("民族"), max_length=2, choices=choices.Ethnicity.choices, default="01")
    education = models.CharField(_("文化程度"), max_length=1, choices=choices.Education.choices, blank=True)
    school_status = models.CharField(_("在校生状况"), max_length=2, choices=choices.SchoolStatus.choices, blank=True)
    health = models.CharField(_("健康状况"), max_length=1, choices=choices.Health.choices, default="1")
    disability_grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    labour_skill = models.CharField(_("劳动技能"), max_length=1, choices=choices.LabourSkill.choices, blank=True)
    work_status = models.CharField(_("务工状况"), max_length=1, choices=choices.WorkStatus.choices, blank=True)
    months_worked = models.PositiveSmallIntegerField(
        _("务工时间(月)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    has_medical_insurance = models.BooleanField(_("参加城乡居民基本医疗保险"), default=True)
    has_serious_illness_insurance = models.BooleanField(_("参加大病保险"), default=True)
    has_pension_insurance = models.BooleanField(_("参加城乡居民基本养老保险"), default=False)
    receives_subsistence = models.BooleanField(_("享受低保"), default=False)
    receives_destitute_support = models.BooleanField(_("特困供养"), default=False)
    is_active = models.BooleanField(_("在册"), default=True)
    left_reason = models.CharField(_("减员原因"), max_length=64, blank=True)

    objects = MemberQuerySet.as_manager()
    area_paths = MEMBER_PATHS
    personal_fields = ("id_number",)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "relation", "birth_date"]
        # Active members per household, from the index alone (home page figures, member counts).
        indexes = [models.Index(fields=["household"], condition=Q(is_active=True), name="member_active_household")]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=Q(is_active=True) & ~Q(id_number=""),
                name="one_active_household_per_person",
                violation_error_message=_("该证件号码已是县内另一户的在册成员。"),
            ),
            # Stored only in normalised form (idnumbers.normalise_id_number), so uniqueness holds on it.
            models.CheckConstraint(
                condition=Q(id_number="", id_missing_reason__gt="")
                | (Q(id_number__regex=r"^[0-9]{17}[0-9X]$") & Q(id_missing_reason="")),
                name="id_number_or_reason",
                violation_error_message=_("须填写18位证件号码,或在无证件号码时注明原因。"),
            ),
            models.CheckConstraint(
                condition=Q(sex__in=choices.Sex.values, birth_date__isnull=False), name="member_sex_and_birth_date",
                violation_error_message=_("须有性别和出生日期。"),
            ),
            models.UniqueConstraint(
                fields=["household"], condition=Q(is_active=True, relation="01"), name="one_head_per_household",
                violation_error_message=_("每户只能有一名户主。"),
            ),
            models.CheckConstraint(
                condition=~(Q(education="") & Q(school_status="")) & ~(~Q(education="") & ~Q(school_status="")),
                name="education_or_school_status",
                violation_error_message=_("文化程度与在校生状况须且只能填写一项。"),
            ),
        ]

    def __str__(self):
        return self.name

    def clean_fields(self, exclude=None):
        self.id_number = normalise_id_number(self.id_number)  # before max_length sees "４５０… " or spaces
        super().clean_fields(exclude)

    def save(self, *args, **kwargs):
        self.id_number = normalise_id_number(self.id_number)
        super().save(*args, **kwargs)

    @property
    def id_warnings(self) -> tuple[str, ...]:
        """What the import says of this number (15-digit upgrade, unknown area code), for forms and the API."""
        if not self.id_number:
            return ()
        try:
            local_codes = SimpleLazyObject(AreaCode.objects.local_codes)  # read only for a code the nation lacks
            return parse_id_number(self.id_number, local_area_codes=local_codes).warnings
        except IdNumberError:
            return ()

    def clean(self):
        errors = self._identity_errors()
        if not errors:
            implied = choices.sex_implied_by(self.relation)
            if implied and implied != self.sex:
                template = (
                    _("与户主关系“%(relation)s”与证件号码中的性别(%(sex)s)不符。") if self.id_number
                    else _("与户主关系“%(relation)s”与性别(%(sex)s)不符。")
                )
                errors["relation"] = template % {"relation": self.get_relation_display(), "sex": self.get_sex_display()}
        if "id_number" not in errors and self.is_active:
            errors.update(self._registry_conflicts())
        if bool(self.education) == bool(self.school_status):
            errors["school_status"] = _("文化程度与在校生状况须且只能填写一项。")
        if self.months_worked is not None and self.months_worked > 12:
            errors["months_worked"] = _("务工时间应在0到12个月之间。")
        if errors:
            raise ValidationError(errors)

    def _identity_errors(self) -> dict:
        """Sex and birth date from the ID number; without one, a stated reason and both entered by hand."""
        self.id_number = normalise_id_number(self.id_number)
        if self.id_number:
            try:
                parsed = parse_id_number(self.id_number)
            except IdNumberError as exc:
                return {"id_number": str(exc)}
            self.id_number, self.sex, self.birth_date = parsed.number, parsed.sex, parsed.birth_date
            self.id_missing_reason = ""
            return {}
        errors = {}
        if not self.id_missing_reason:
            errors["id_number"] = _("请填写证件号码;确无证件号码的,请选择无证件原因。")
        if not self.sex:
            errors["sex"] = _("无证件号码的成员须填写性别。")
        if self.birth_date is None:
            errors["birth_date"] = _("无证件号码的成员须填写出生日期。")
        elif not EARLIEST_BIRTH_YEAR <= self.birth_date.year or self.birth_date > datetime.date.today():
            errors["birth_date"] = _("出生日期%(date)s不合理。") % {"date": self.birth_date.isoformat()}
        return errors

    def _registry_conflicts(self) -> dict:
        """Clear messages for what the database constraints would refuse: a person in two households, two heads."""
        errors = {}
        others = Member.objects.active().exclude(pk=self.pk)
        elsewhere = None
        if self.id_number:
            elsewhere = others.filter(id_number=self.id_number).select_related("household").first()
        if elsewhere is not None:
            errors["id_number"] = _("该证件号码已是户%(number)s的在册成员,同一人不能在两户。") % {
                "number": elsewhere.household.number
            }
        if self.relation == choices.Relation.HEAD and self.household_id:
            if others.filter(household_id=self.household_id, relation=choices.Relation.HEAD).exists():
                errors["relation"] = _("该户已有户主,每户只能有一名户主。")
        return errors


class IncomeRecordQuerySet(RestrictedQuerySet):
    def latest_year(self) -> int | None:
        """The latest year with any income row: the year forms default to (the data's year, not the calendar's)."""
        return self.order_by().aggregate(year=models.Max("year"))["year"]


class IncomeRecord(models.Model):
    """收入一本账: one row per household per year (元/年)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    wage_income = models.DecimalField(_("工资性收入"), max_digits=12, decimal_places=2, default=Decimal("0"))
    business_income = models.DecimalField(_("生产经营性收入"), max_digits=12, decimal_places=2, default=Decimal("0"))
    property_income = models.DecimalField(_("财产性收入"), max_digits=12, decimal_places=2, default=Decimal("0"))
    policy_transfer_income = models.DecimalField(
        _("政策性转移收入"), max_digits=12, decimal_places=2, default=Decimal("0"),
        help_text=_("低保、特困供养、养老金、生态补偿、计划生育等"),
    )
    other_transfer_income = models.DecimalField(
        _("其他转移性收入"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    production_expenses = models.DecimalField(_("生产经营性支出"), max_digits=12, decimal_places=2, default=Decimal("0"))

    objects = IncomeRecordQuerySet.as_manager()
    area_paths = MEMBER_PATHS
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收入一本账")
        verbose_name_plural = _("收入一本账")
        ordering = ["household_id", "-year"]
        indexes = [models.Index(fields=["year"], name="income_year")]  # latest_year(), a year's ledger county-wide
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="one_income_record_per_year"),
            *[
                models.CheckConstraint(condition=Q(**{f"{name}__gte": 0}), name=f"income_{name}_not_negative")
                for name in (
                    "wage_income", "business_income", "property_income", "policy_transfer_income",
                    "other_transfer_income", "production_expenses",
                )
            ],
        ]

    def clean(self):
        if self.household_id and self.year:
            clash = IncomeRecord.objects.filter(household_id=self.household_id, year=self.year).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"year": _("该户%(year)s年度的收入已登记。") % {"year": self.year}})

    @property
    def transfer_income(self) -> Decimal:
        return self.policy_transfer_income + self.other_transfer_income

    def per_capita_net_income(self, household_size: int) -> Decimal | None:
        """Per-capita net income for a household of `household_size` (its active member count)."""
        return per_capita_net_income(
            wage=self.wage_income, business=self.business_income, property_=self.property_income,
            transfers=self.transfer_income, expenses=self.production_expenses, household_size=household_size,
        )


class Pairing(DatedAssignment):
    """结对帮扶: a cadre responsible for a household (one cadre has many)."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("帮扶责任人"))
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="pairings", verbose_name=_("户"))

    objects = AssignmentQuerySet.as_manager()
    area_paths = MEMBER_PATHS
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "cadre"], condition=Q(end_date__isnull=True), name="one_open_pairing_per_pair",
                violation_error_message=_("该干部与该户已有未结束的结对。"),
            )
        ]
