"""Coverage of pairing, postings and visits in the user's area: who is visited and who is forgotten.

Each report is one set-based query (counts in correlated subqueries, no query per row), and every
queryset it reads goes through restrict(user), so a township sees only its township.
"""
import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from households.choices import Status
from households.models import Household, Pairing
from villages.models import Cadre, County, FirstSecretaryPosting, Village, WorkTeamMembership

from .models import Visit, VisitPolicy

# Households that must have a pairing cadre: the poor, and those exited but still in the policy
# buffer (摘帽不摘帮扶).
SUPPORTED_STATUSES = [*Status.poor(), Status.EXITED_WITH_POLICY]


def count_of(queryset, group_by: str, counted: str = "pk", distinct: bool = False):
    """A correlated subquery counting `counted` in `queryset` per `group_by` (0 when there is none)."""
    grouped = queryset.order_by().values(group_by).annotate(n=Count(counted, distinct=distinct)).values("n")
    return Coalesce(Subquery(grouped), 0)


def policy_for(user) -> VisitPolicy:
    """The visit policy of the user's county (defaults when none is saved)."""
    county = County.objects.restrict(user).order_by("pk").first()
    return VisitPolicy.for_county(county.pk) if county else VisitPolicy()


def visits_per_cadre(user, date_from: datetime.date, date_to: datetime.date, today: datetime.date):
    """Cadres paired or visiting in the area: active pairings, done visits and households visited in the period."""
    visits = Visit.objects.restrict(user).done().filter(
        visitor=OuterRef("pk"), actual_date__gte=date_from, actual_date__lte=date_to
    )
    pairings = Pairing.objects.restrict(user).active(today).filter(cadre=OuterRef("pk"))
    return (
        Cadre.objects.restrict(user)
        .annotate(
            paired_count=count_of(pairings, "cadre"),
            visit_count=count_of(visits, "visitor"),
            visited_households=count_of(visits, "visitor", "household", distinct=True),
        )
        .filter(Q(paired_count__gt=0) | Q(visit_count__gt=0))
        .order_by("visit_count", "name", "pk")
    )


def visits_per_village(user, date_from: datetime.date, date_to: datetime.date):
    """Villages of the area: households to support, done visits and households visited in the period."""
    visits = Visit.objects.restrict(user).done().filter(
        household__village=OuterRef("pk"), actual_date__gte=date_from, actual_date__lte=date_to
    )
    supported = Household.objects.filter(village=OuterRef("pk"), status__in=SUPPORTED_STATUSES)
    return (
        Village.objects.restrict(user)
        .select_related("township")
        .annotate(
            supported_count=count_of(supported, "village"),
            visit_count=count_of(visits, "household__village"),
            visited_households=count_of(visits, "household__village", "household", distinct=True),
        )
        .order_by("township__code", "code")
    )


def households_without_pairing(user, today: datetime.date):
    """Households that must have a pairing cadre and have none in force today."""
    paired = Pairing.objects.active(today).filter(household=OuterRef("pk"))
    return (
        Household.objects.restrict(user).with_summary()
        .filter(status__in=SUPPORTED_STATUSES).exclude(Exists(paired))
        .order_by("village__township__code", "village__code", "number")
    )


def pairings_without_visit(user, days: int, today: datetime.date):
    """Active pairings, begun at least `days` ago, whose cadre has not visited the household in the last `days` days."""
    cutoff = today - datetime.timedelta(days=days)
    last = Visit.objects.done().filter(household=OuterRef("household"), visitor=OuterRef("cadre"))
    return (
        Pairing.objects.restrict(user).active(today)
        .filter(start_date__lte=cutoff)
        .annotate(last_visited=Subquery(last.order_by("-actual_date").values("actual_date")[:1]))
        .filter(Q(last_visited__isnull=True) | Q(last_visited__lte=cutoff))
        .select_related("cadre", "household__village__township")
        .order_by("household__village__code", "household__number", "cadre__name")
    )


def poor_villages_without_posting(user, today: datetime.date):
    """Poor villages lacking a first secretary in post today, or a resident work team (annotated with both)."""
    secretary = FirstSecretaryPosting.objects.active(today).filter(village=OuterRef("pk"))
    team = WorkTeamMembership.objects.active(today).filter(village=OuterRef("pk"))
    return (
        Village.objects.restrict(user)
        .filter(is_poor=True)
        .select_related("township")
        .annotate(has_secretary=Exists(secretary), team_size=count_of(team, "village"))
        .filter(Q(has_secretary=False) | Q(team_size=0))
        .order_by("township__code", "code")
    )


def overloaded_cadres(user, threshold: int, today: datetime.date):
    """Cadres with more than `threshold` active pairings in the user's area."""
    pairings = Pairing.objects.restrict(user).active(today).filter(cadre=OuterRef("pk"))
    return (
        Cadre.objects.restrict(user)
        .annotate(paired_count=count_of(pairings, "cadre"))
        .filter(paired_count__gt=threshold)
        .order_by("-paired_count", "name")
    )
