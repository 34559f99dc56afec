"""Visit records (入户走访) as dated events, their photos, and the visit policy of each county.

A visit is an event, as DHIS2 Tracker models them: it is planned for a date, then done (with an
actual date and what was observed) or missed. Overdue is derived in the query (planned, date
passed), so due and overdue lists are indexed queries. A household has at most one open plan:
recording a visit completes it, and the next planned visit becomes the new plan.
"""
import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from households.models import MEMBER_PATHS, Household, HouseholdQuerySet
from povertyapp.access import RestrictedQuerySet
from povertyapp.roles import CHANGE, Level, Role
from villages.models import Cadre, County

from .choices import OBSERVATIONS, Kind, Measure, Observation, Status, VisitState

# A pairing cadre may not edit the register, but records visits for the households paired with them.
VISIT_ROLE_OVERRIDES = {Role.PAIRING_CADRE: {CHANGE: Level.PAIRED}}


class VisitPolicy(models.Model):
    """How often the county wants each paired household visited, and how many households one cadre may carry."""

    county = models.OneToOneField(County, on_delete=models.CASCADE, related_name="visit_policy", verbose_name=_("县"))
    interval_days = models.PositiveSmallIntegerField(
        _("走访周期(天)"), default=30, validators=[MinValueValidator(1)],
        help_text=_("走访后默认在多少天后安排下次走访,例如每月一次填30。"),
    )
    max_households_per_cadre = models.PositiveSmallIntegerField(
        _("每名帮扶责任人户数上限"), default=10, validators=[MinValueValidator(1)],
        help_text=_("结对户数超过此数的干部列入“帮扶户数过多”。"),
    )

    objects = RestrictedQuerySet.as_manager()
    area_paths = {"township": ("county__townships",), "village": ("county__townships__villages",)}
    # Township and village staff read the county's policy; only county staff set it.
    role_overrides = {Role.TOWNSHIP_CADRE: {CHANGE: Level.NONE}, Role.FIRST_SECRETARY: {CHANGE: Level.NONE}}
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("走访要求")
        verbose_name_plural = _("走访要求")

    def __str__(self):
        return f"{self.county}:{self.interval_days}天"

    @classmethod
    def for_county(cls, county_id) -> "VisitPolicy":
        """The county's saved policy, or an unsaved one with the defaults."""
        return cls.objects.filter(county_id=county_id).first() or cls(county_id=county_id)


class VisitHouseholdQuerySet(HouseholdQuerySet):
    def with_visit_state(self, today: datetime.date):
        """Each household's open plan date, last visit date and visit state on `today`, in one query."""
        plan = Visit.objects.filter(household=OuterRef("pk"), status=Status.PLANNED)
        last = Visit.objects.filter(household=OuterRef("pk"), status=Status.DONE).order_by("-actual_date", "-pk")
        due_by = today + datetime.timedelta(days=settings.VISIT_DUE_SOON_DAYS)
        states = [
            (Q(next_planned__isnull=True), VisitState.UNSCHEDULED),
            (Q(next_planned__lt=today), VisitState.OVERDUE),
            (Q(next_planned__lte=due_by), VisitState.DUE),
        ]
        return self.annotate(
            next_planned=Subquery(plan.values("planned_date")[:1]),  # at most one open plan per household
            last_visited=Subquery(last.values("actual_date")[:1]),
        ).annotate(
            visit_state=Case(*(When(q, then=Value(s)) for q, s in states), default=Value(VisitState.SCHEDULED)),
            # Overdue first, then due soon, unscheduled, and the rest.
            state_rank=Case(
                *(When(q, then=Value(rank)) for rank, q in enumerate(q for q, _state in states[1:] + states[:1])),
                default=Value(len(states)), output_field=IntegerField(),
            ),
        )


class VisitHousehold(Household):
    """Households as the visits app scopes them: the household's area, with Visit's capture levels.

    `VisitHousehold.objects.restrict(user, "change")` are the households the user may record visits
    for (a pairing cadre: those paired with them), though the register itself may be read-only to them.
    """

    objects = VisitHouseholdQuerySet.as_manager()
    role_overrides = VISIT_ROLE_OVERRIDES

    class Meta:
        proxy = True
        verbose_name = _("走访户")
        verbose_name_plural = _("走访户")

    def get_visits_url(self):
        return reverse("visits:household", args=[self.pk])


class VisitQuerySet(RestrictedQuerySet):
    def planned(self):
        return self.filter(status=Status.PLANNED)

    def done(self):
        return self.filter(status=Status.DONE)

    def overdue(self, today: datetime.date):
        """Planned visits whose date has passed (uses the partial index on open plans)."""
        return self.filter(status=Status.PLANNED, planned_date__lt=today)

    def due(self, today: datetime.date, within_days: int | None = None):
        """Planned visits falling between today and `within_days` ahead (default VISIT_DUE_SOON_DAYS)."""
        days = settings.VISIT_DUE_SOON_DAYS if within_days is None else within_days
        return self.filter(
            status=Status.PLANNED, planned_date__gte=today, planned_date__lte=today + datetime.timedelta(days=days)
        )


def observation_field(label):
    return models.CharField(label, max_length=16, choices=Observation.choices, default=Observation.UNCHECKED)


def note_field(label):
    return models.CharField(format_lazy(_("{item}说明"), item=label), max_length=200, blank=True)


class Visit(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("户"))
    visitor = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="visits", verbose_name=_("走访人"))
    kind = models.CharField(_("走访方式"), max_length=8, choices=Kind.choices, default=Kind.HOME)
    planned_date = models.DateField(
        _("计划日期"), blank=True, help_text=_("已走访而未事先安排的,计划日期即走访日期。")
    )
    actual_date = models.DateField(_("走访日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PLANNED)

    food_clothing = observation_field(_("吃穿"))
    food_clothing_note = note_field(_("吃穿"))
    education = observation_field(_("义务教育"))
    education_note = note_field(_("义务教育"))
    medical = observation_field(_("基本医疗"))
    medical_note = note_field(_("基本医疗"))
    housing = observation_field(_("住房安全"))
    housing_note = note_field(_("住房安全"))
    water = observation_field(_("饮水安全"))
    water_note = note_field(_("饮水安全"))

    measures = models.JSONField(_("帮扶措施"), default=list, blank=True, help_text=_("本次商议或落实的帮扶措施"))
    needs = models.TextField(_("群众需求"), blank=True)
    needs_met = models.BooleanField(_("需求已解决"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = VisitQuerySet.as_manager()
    area_paths = MEMBER_PATHS
    role_overrides = VISIT_ROLE_OVERRIDES
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-planned_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(status="planned"), name="one_open_visit_plan_per_household",
                violation_error_message=_("该户已有待走访计划,请先完成或改期。"),
            ),
            models.CheckConstraint(
                condition=Q(status="done", actual_date__isnull=False) | (~Q(status="done") & Q(actual_date__isnull=True)),
                name="visit_actual_date_iff_done",
                violation_error_message=_("已走访的记录须有走访日期,未走访的不能有。"),
            ),
        ]
        indexes = [
            # Due and overdue lists: open plans by date.
            models.Index(fields=["planned_date"], condition=Q(status="planned"), name="visit_open_plan_date"),
            # Last visits of a household; visits of a cadre over a period.
            models.Index(fields=["household", "status", "actual_date"], name="visit_household_done"),
            models.Index(fields=["visitor", "status", "actual_date"], name="visit_visitor_done"),
            # Done visits of a period across the county (coverage reports): read from the index alone.
            models.Index(
                fields=["actual_date"], include=["household", "visitor"], condition=Q(status="done"),
                name="visit_done_date",
            ),
        ]

    def __str__(self):
        return f"{self.household} · {self.get_status_display()} · {self.actual_date or self.planned_date}"

    def get_absolute_url(self):
        return reverse("visits:detail", args=[self.pk])

    def save(self, *args, **kwargs):
        if self.planned_date is None:
            self.planned_date = self.actual_date  # an unplanned visit counts as planned for the day it happened
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.status == Status.DONE:
            if self.actual_date is None:
                errors["actual_date"] = _("请填写走访日期。")
            elif self.actual_date > timezone.localdate():
                errors["actual_date"] = _("走访日期不能晚于今天。")
        elif self.actual_date is not None:
            errors["actual_date"] = _("尚未走访的记录不能填写走访日期。")
        if self.planned_date is None and self.actual_date is None and "actual_date" not in errors:
            errors["planned_date"] = _("请填写计划日期。")
        unknown = set(self.measures or []) - set(Measure.values)
        if unknown:
            errors["measures"] = _("未知的帮扶措施代码:%s") % ", ".join(sorted(unknown))
        for name, _label in OBSERVATIONS:
            if getattr(self, name) == Observation.INSECURE and not getattr(self, f"{name}_note").strip():
                errors[f"{name}_note"] = _("选择“无保障”时请说明情况。")
        if errors:
            raise ValidationError(errors)

    def observations(self):
        """(label, value, display, note) for each observed item, in form order."""
        return [
            (label, getattr(self, name), getattr(self, f"get_{name}_display")(), getattr(self, f"{name}_note"))
            for name, label in OBSERVATIONS
        ]

    def measure_labels(self):
        labels = dict(Measure.choices)
        return [labels.get(code, code) for code in self.measures or []]


def photo_path(photo, filename):
    """Storage name: by household, a random name, the extension of the format found in the content."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"visits/{photo.visit.household_id}/{uuid.uuid4().hex}.{extension}"


class VisitPhoto(models.Model):
    """A photo taken on a visit: JPEG or PNG, checked by content (visits.photos), stored via Django's storage API."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("走访记录"))
    image = models.FileField(_("照片"), upload_to=photo_path)
    content_type = models.CharField(_("类型"), max_length=16)
    size = models.PositiveIntegerField(_("大小(字节)"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    area_paths = {
        "township": "visit__household__village__township", "village": "visit__household__village",
        "household": "visit__household",
    }
    role_overrides = VISIT_ROLE_OVERRIDES

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")
        ordering = ["visit_id", "pk"]

    def get_absolute_url(self):
        return reverse("visits:photo", args=[self.pk])
