"""Exit rules as data (poverty lines, village indicators) and eligibility runs with their stored results."""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from households.models import MEMBER_PATHS, Household
from povertyapp.access import RestrictedManager, RestrictedQuerySet
from povertyapp.jobs import Job, JobState
from povertyapp.roles import Level, Role
from villages.models import County, Township, Village

from . import rules

# County-wide rules: every role may read them, only county staff may change them.
RULE_OVERRIDES = {
    role: {"view": Level.COUNTY, "change": Level.NONE}
    for role in (Role.TOWNSHIP_CADRE, Role.FIRST_SECRETARY, Role.PAIRING_CADRE)
}


class PovertyLine(models.Model):
    class Kind(models.TextChoices):
        NATIONAL = "national", _("国家扶贫标准")
        EXIT_CHECK = "exit_check", _("脱贫验收标准")
        PROVINCIAL = "provincial", _("省定标准")
        MONITORING = "monitoring", _("监测标准")

    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.EXIT_CHECK)
    amount = models.DecimalField(_("标准(元/人·年)"), max_digits=10, decimal_places=2)
    verified = models.BooleanField(_("已核实"), default=False, help_text=_("未核实的为常用参考值,请按文件核对。"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = RestrictedManager()
    area_paths = {}
    role_overrides = RULE_OVERRIDES
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("扶贫标准线")
        verbose_name_plural = _("扶贫标准线")
        ordering = ["-year", "kind"]
        constraints = [models.UniqueConstraint(fields=["year", "kind"], name="one_poverty_line_per_year_kind")]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()} {self.amount}"


class VillageIndicator(models.Model):
    """A village condition the province weighs for 贫困村出列 (hardened road, broadband, collective income ≥ …)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("指标"), max_length=64)
    requires_amount = models.BooleanField(_("按金额考核"), default=False)
    minimum_amount = models.DecimalField(
        _("最低金额(元)"), max_digits=12, decimal_places=2, null=True, blank=True,
    )
    counts = models.BooleanField(_("纳入出列考核"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=50)

    objects = RestrictedManager()
    area_paths = {}
    role_overrides = RULE_OVERRIDES
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("贫困村出列指标")
        verbose_name_plural = _("贫困村出列指标")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.requires_amount and self.minimum_amount is None:
            raise ValidationError({"minimum_amount": _("按金额考核的指标须填写最低金额。")})


class ExitThreshold(County):
    """The county's incidence threshold as an exit rule: read by all, changed by county staff only."""

    role_overrides = RULE_OVERRIDES

    class Meta:
        proxy = True
        verbose_name = _("贫困发生率退出标准")
        verbose_name_plural = _("贫困发生率退出标准")


class VillageIndicatorValue(models.Model):
    """A village's standing on an indicator in a year; the latest year up to the checked year applies."""

    village = models.ForeignKey(
        Village, on_delete=models.CASCADE, related_name="indicator_values", verbose_name=_("行政村")
    )
    indicator = models.ForeignKey(
        VillageIndicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("指标")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    met = models.BooleanField(_("已达到"), null=True, blank=True)
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = RestrictedManager()
    area_paths = {"township": "village__township", "village": "village"}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("村出列指标值")
        verbose_name_plural = _("村出列指标值")
        ordering = ["village", "indicator", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "indicator", "year"], name="one_indicator_value_per_year")
        ]

    @property
    def is_met(self) -> bool:
        return rules.indicator_met(
            self.indicator.requires_amount, self.indicator.minimum_amount, self.met, self.amount
        )


class RunQuerySet(RestrictedQuerySet):
    def done(self):
        return self.filter(state=JobState.DONE)

    def covering(self, township_id):
        """Runs whose scope includes `township_id`: county-wide ones and that township's."""
        return self.filter(Q(township__isnull=True) | Q(township_id=township_id))


class EligibilityRun(Job):
    """One exit check over the county or a township: its parameters, counts and (in rows) its results."""

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("手动")
        SCHEDULED = "scheduled", _("每月自动")

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("乡镇"),
        help_text=_("留空为全县。"),
    )
    year = models.PositiveSmallIntegerField(_("检测年度"))
    trigger = models.CharField(_("发起方式"), max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    line_kind = models.CharField(_("标准类别"), max_length=16, choices=PovertyLine.Kind.choices)
    line = models.DecimalField(_("收入标准(元)"), max_digits=10, decimal_places=2)
    threshold = models.DecimalField(_("贫困发生率标准(%)"), max_digits=4, decimal_places=2)
    indicators = models.JSONField(_("考核指标"), default=list, help_text=_("运行时纳入考核的村指标(快照)"))
    households_checked = models.PositiveIntegerField(_("检测户数"), default=0)
    households_passed = models.PositiveIntegerField(_("达标户数"), default=0)
    households_not_assessable = models.PositiveIntegerField(_("无法评估户数"), default=0)
    failure_counts = models.JSONField(_("各项未达标户数"), default=dict)
    gap_counts = models.JSONField(_("各项无法评估户数"), default=dict)
    villages_checked = models.PositiveIntegerField(_("检测村数"), default=0)
    villages_passed = models.PositiveIntegerField(_("达标村数"), default=0)
    villages_without_population = models.PositiveIntegerField(_("无户籍人口数的村"), default=0)
    poor_persons = models.PositiveIntegerField(_("剩余贫困人口"), default=0)
    registered_persons = models.PositiveIntegerField(_("户籍人口"), default=0)

    objects = RunQuerySet.as_manager()
    area_paths = {"township": "township"}
    role_overrides = {Role.FIRST_SECRETARY: {"view": Level.NONE, "change": Level.NONE}}

    class Meta:
        verbose_name = _("退出检测")
        verbose_name_plural = _("退出检测")
        ordering = ["-pk"]

    def __str__(self):
        return _("%(year)s年%(scope)s退出检测 #%(pk)s") % {"year": self.year, "scope": self.scope_label, "pk": self.pk}

    def get_absolute_url(self):
        return reverse("exits:run", args=[self.pk])

    @property
    def scope_label(self) -> str:
        return self.township.name if self.township_id else self.county.name

    @property
    def households_failed(self) -> int:
        return self.households_checked - self.households_passed - self.households_not_assessable

    @property
    def villages_failed(self) -> int:
        return self.villages_checked - self.villages_passed - self.villages_without_population

    @property
    def area(self) -> rules.AreaVerdict:
        """The scope's incidence verdict (the county's when the run is county-wide)."""
        return rules.judge_area(
            self.poor_persons, self.registered_persons, self.threshold,
            villages_without_population=self.villages_without_population,
        )

    def failure_rows(self) -> list[tuple[rules.Criterion, int]]:
        return [(criterion, self.failure_counts.get(criterion.code, 0)) for criterion in rules.FAILING_CRITERIA]

    def gap_rows(self) -> list[tuple[rules.Criterion, int]]:
        return [(criterion, self.gap_counts.get(criterion.code, 0)) for criterion in rules.GAP_CRITERIA]


OUTCOME_FILTERS = {  # rules.outcome_of on the stored masks
    rules.Outcome.PASSED: Q(passed=True),
    rules.Outcome.FAILED: Q(passed=False, gap_mask=0),
    rules.Outcome.NOT_ASSESSABLE: Q(gap_mask__gt=0),
}


class HouseholdResultQuerySet(RestrictedQuerySet):
    def with_outcome(self, outcome: str):
        return self.filter(OUTCOME_FILTERS[outcome])

    def failing(self, criterion: rules.Criterion):
        """Results that failed `criterion` (whatever their outcome)."""
        return self.annotate(failed_bit=models.F("failed_mask").bitand(criterion.bit)).filter(failed_bit__gt=0)

    def lacking(self, criterion: rules.Criterion):
        """Results where `criterion` could not be judged."""
        return self.annotate(gap_bit=models.F("gap_mask").bitand(criterion.bit)).filter(gap_bit__gt=0)


class HouseholdResult(models.Model):
    """A household's facts and verdict in one run; the detail text is rendered from the facts by rules.py.

    Written only by the run's INSERT … SELECT (exits.batch), a county's worth at a time, so the table
    is kept lean: the (run, household) primary key is its only unique index, and the foreign keys are
    not checked by the database (a per-row check would lock every household row); Django still
    cascades deletions of runs and households.
    """

    pk = models.CompositePrimaryKey("run", "household")
    run = models.ForeignKey(
        EligibilityRun, on_delete=models.CASCADE, related_name="household_results", db_constraint=False,
        db_index=False,
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="exit_results", db_constraint=False,
    )
    # As the run saw them: the village and status the village incidence was computed from.
    village = models.ForeignKey(
        Village, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False,
        verbose_name=_("行政村"),
    )
    status = models.CharField(_("脱贫状态"), max_length=1)  # households.choices.Status code
    passed = models.BooleanField(_("达标"))  # True only when nothing failed and nothing was lacking
    failed_mask = models.PositiveSmallIntegerField(_("未达标项"), default=0)
    gap_mask = models.PositiveSmallIntegerField(_("无法评估项"), default=0)
    member_count = models.PositiveSmallIntegerField(_("在册人数"))
    net_income_cents = models.BigIntegerField(_("纯收入(分)"), null=True)  # null: no ledger for the year
    food_and_clothing_secure = models.BooleanField(_("不愁吃穿"))
    children_out_of_school = models.PositiveSmallIntegerField(_("适龄失学人数"))
    uninsured_members = models.PositiveSmallIntegerField(_("未参保人数"))
    housing_grade = models.CharField(_("住房安全等级"), max_length=1, blank=True)
    was_dangerous_house = models.BooleanField(_("危房户"), null=True)
    house_renovated = models.BooleanField(_("危房已改造"))
    safe_drinking_water = models.BooleanField(_("饮水安全"))
    visit_date = models.DateField(_("最近走访日期"), null=True)
    visit_insecure_mask = models.PositiveSmallIntegerField(_("走访不达标项"), default=0)

    objects = HouseholdResultQuerySet.as_manager()
    area_paths = MEMBER_PATHS

    class Meta:
        verbose_name = _("户检测结果")
        verbose_name_plural = _("户检测结果")

    @property
    def net_income(self) -> Decimal | None:
        return None if self.net_income_cents is None else Decimal(self.net_income_cents) / 100

    @property
    def per_capita_income(self) -> Decimal | None:
        return self.facts().per_capita_income

    @property
    def outcome(self) -> rules.Outcome:
        return rules.outcome_of(bool(self.failed_mask), bool(self.gap_mask))

    @property
    def failure_codes(self) -> tuple[str, ...]:
        return rules.codes_from_mask(self.failed_mask)

    @property
    def gap_codes(self) -> tuple[str, ...]:
        return rules.codes_from_mask(self.gap_mask)

    def facts(self) -> rules.HouseholdFacts:
        visit = None
        if self.visit_date is not None:
            visit = rules.VisitFindings(self.visit_date, frozenset(rules.codes_from_mask(self.visit_insecure_mask)))
        return rules.HouseholdFacts(
            year=self.run.year,
            member_count=self.member_count,
            net_income=self.net_income,
            food_and_clothing_secure=self.food_and_clothing_secure,
            children_out_of_school=self.children_out_of_school,
            uninsured_members=self.uninsured_members,
            housing_grade=self.housing_grade,
            was_dangerous_house=self.was_dangerous_house,
            house_renovated=self.house_renovated,
            safe_drinking_water=self.safe_drinking_water,
            visit=visit,
        )

    def verdict(self) -> rules.Verdict:
        return rules.judge_household(self.facts(), self.run.line)


class VillageResult(models.Model):
    run = models.ForeignKey(EligibilityRun, on_delete=models.CASCADE, related_name="village_results", db_index=False)
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="exit_results")
    poor_persons = models.PositiveIntegerField(_("剩余贫困人口"))
    registered_persons = models.PositiveIntegerField(_("户籍人口"), null=True)
    incidence = models.DecimalField(_("贫困发生率(%)"), max_digits=6, decimal_places=2, null=True)
    below_threshold = models.BooleanField(_("发生率达标"), null=True)  # null: no population figure, 无法评估
    unmet_indicators = models.JSONField(_("未达到的指标"), default=list)
    passed = models.BooleanField(_("达到出列标准"))
    planned_exit_year = models.PositiveSmallIntegerField(_("计划出列年度"), null=True)
    progress = models.CharField(_("进度"), max_length=16)

    objects = RestrictedManager()
    area_paths = {"township": "village__township", "village": "village"}

    class Meta:
        verbose_name = _("村检测结果")
        verbose_name_plural = _("村检测结果")
        ordering = ["village__code"]
        constraints = [models.UniqueConstraint(fields=["run", "village"], name="one_result_per_run_village")]

    @property
    def outcome(self) -> rules.Outcome:
        return rules.area_outcome(self.below_threshold, self.unmet_indicators)

    @property
    def gap(self) -> str:
        """Why the incidence cannot be assessed ('' when it can)."""
        return rules.population_gap(self.registered_persons)

    @property
    def progress_label(self):
        return rules.Progress.LABELS.get(self.progress, self.progress)

    @property
    def on_track(self) -> bool:
        return self.progress in rules.Progress.ON_TRACK
