"""Visit rules in one place: who may be named as visitor, recording a visit, scheduling and skipping plans.

Pages, the API and the scheduling command call these; none of them saves visits another way.
"""
import datetime
import mimetypes

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from households.models import Pairing
from povertyapp.roles import VIEW, Role
from villages.models import Cadre

from .choices import Kind, Status
from .models import Visit, VisitHousehold, VisitPhoto, VisitPolicy


def visitor_choices(user):
    """Cadres the user may name as the visitor: a pairing cadre only themself, others any cadre they can see."""
    profile = getattr(user, "staff_profile", None)
    if profile is not None and profile.role == Role.PAIRING_CADRE:
        return Cadre.objects.filter(pk=profile.cadre_id)
    return Cadre.objects.restrict(user, VIEW)


def own_cadre(user) -> Cadre | None:
    """The cadre record of the signed-in user, if any (the default visitor)."""
    profile = getattr(user, "staff_profile", None)
    return profile.cadre if profile is not None else None


def is_pairing_cadre(user) -> bool:
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.role == Role.PAIRING_CADRE


def open_plan_or_new(household) -> Visit:
    """The household's open plan, which the next recorded visit completes, or a new visit."""
    return Visit.objects.filter(household=household, status=Status.PLANNED).first() or Visit(household=household)


def next_visit_date(household, after: datetime.date) -> datetime.date:
    """`after` plus the visit interval of the household's county: the suggested next visit."""
    policy = VisitPolicy.for_county(household.village.township.county_id)
    return after + datetime.timedelta(days=policy.interval_days)


def check_next_date(actual_date, next_date) -> None:
    if actual_date and next_date and next_date <= actual_date:
        raise ValidationError({"next_planned_date": _("下次走访日期须晚于本次走访日期。")})


def record_visit(visit: Visit, *, next_planned_date=None, photos=(), recorded_by=None) -> Visit:
    """Save `visit` as done (completing the plan it may be), schedule the next one, store its photos.

    `photos` are (upload, content type) pairs already checked by visits.photos.check_photo.
    """
    visit.status = Status.DONE
    visit.recorded_by = visit.recorded_by or recorded_by
    with transaction.atomic():
        visit.save()
        if next_planned_date:
            schedule_visit(visit.household, visit.visitor, next_planned_date, visit.kind)
        for upload, content_type in photos:
            add_photo(visit, upload, content_type)
    return visit


def schedule_visit(household, visitor, planned_date, kind=Kind.HOME) -> Visit:
    """Make `planned_date` the household's open plan, moving an existing plan rather than adding a second."""
    plan = Visit.objects.select_for_update().filter(household=household, status=Status.PLANNED).first()
    if plan is None:
        return Visit.objects.create(
            household=household, visitor=visitor, planned_date=planned_date, kind=kind, status=Status.PLANNED
        )
    plan.visitor, plan.planned_date, plan.kind = visitor, planned_date, kind
    plan.save(update_fields=["visitor", "planned_date", "kind", "updated_at"])
    return plan


def reschedule(plan: Visit, new_date: datetime.date, today: datetime.date) -> None:
    """Move a plan to `new_date`; a plan whose date has passed is kept as missed and a new one made."""
    with transaction.atomic():
        if plan.planned_date < today:
            plan.status = Status.MISSED
            plan.save(update_fields=["status", "updated_at"])
        schedule_visit(plan.household, plan.visitor, new_date, plan.kind)


def add_photo(visit: Visit, upload, content_type: str) -> VisitPhoto:
    """Store one checked photo through the default storage, named by its real format."""
    upload.name = "photo" + (mimetypes.guess_extension(content_type) or "")
    return VisitPhoto.objects.create(visit=visit, image=upload, content_type=content_type, size=upload.size)


def schedule_unplanned(today: datetime.date) -> int:
    """Give each household with an active pairing but no open plan a planned visit; returns how many.

    The date is the last visit plus the county's interval, or today when that has passed or there was
    no visit; the visitor is the household's earliest active pairing cadre. One read, one bulk insert.
    """
    cadre = Pairing.objects.active(today).filter(household=OuterRef("pk")).order_by("start_date", "pk")
    rows = (
        VisitHousehold.objects.with_visit_state(today)
        .filter(next_planned__isnull=True, pk__in=Pairing.objects.active(today).values("household"))
        .annotate(cadre_id=Subquery(cadre.values("cadre")[:1]))
        .values_list("pk", "cadre_id", "last_visited", "village__township__county")
    )
    intervals = dict(VisitPolicy.objects.values_list("county", "interval_days"))
    default = VisitPolicy._meta.get_field("interval_days").default
    plans = [
        Visit(
            household_id=household_id, visitor_id=cadre_id, status=Status.PLANNED,
            planned_date=max(today, last + datetime.timedelta(days=intervals.get(county, default))) if last else today,
        )
        for household_id, cadre_id, last, county in rows
    ]
    Visit.objects.bulk_create(plans, batch_size=1000)
    return len(plans)
