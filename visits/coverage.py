"""Coverage of pairing, postings and visits in the user's area: who is visited and who is forgotten.

Every queryset a report reads goes through restrict(user), so a township sees only its township.
Reports are set-based and bounded for a whole county (250k households, millions of visits): gaps are
anti-joins (NOT EXISTS / NOT IN), counts per cadre are grouped once and joined once, and the lists are
paged (the views show one page of each), so the per-row lookups that remain — a household's head, a
village's counts — run for the rows of one page only.
"""
import datetime

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property

from households.choices import Status
from households.models import Household, Pairing
from villages.models import Cadre, County, FirstSecretaryPosting, Village, WorkTeamMembership

from .models import Visit, VisitPolicy

# Households that must have a pairing cadre: the poor, and those exited but still in the policy
# buffer (摘帽不摘帮扶).
SUPPORTED_STATUSES = [*Status.poor(), Status.EXITED_WITH_POLICY]


def count_of(queryset, group_by: str, counted: str = "*", distinct: bool = False):
    """A correlated subquery counting `counted` in `queryset` per `group_by` (0 when there is none)."""
    grouped = queryset.order_by().values(group_by).annotate(n=Count(counted, distinct=distinct)).values("n")
    return Coalesce(Subquery(grouped), 0)


def policy_for(user) -> VisitPolicy:
    """The visit policy of the user's county (defaults when none is saved)."""
    county = County.objects.restrict(user).order_by("pk").first()
    return VisitPolicy.for_county(county.pk) if county else VisitPolicy()


class KeyPaginator(Paginator):
    """Pages through the primary keys of `queryset`, then reads the page's rows with their per-row lookups.

    OFFSET would otherwise evaluate a row's annotations (correlated counts) for every row it skips.
    """

    def __init__(self, queryset, per_page: int):
        super().__init__(queryset.values_list("pk", flat=True), per_page)
        self.queryset = queryset

    def page(self, number):
        page = super().page(number)
        keys = list(page.object_list)
        rows = {row.pk: row for row in self.queryset.filter(pk__in=keys)}
        page.object_list = [rows[key] for key in keys if key in rows]
        return page


def done_between(user, date_from: datetime.date, date_to: datetime.date):
    """Done visits in the user's area with their date in the period (read through the partial index on done dates)."""
    return Visit.objects.restrict(user).done().filter(actual_date__gte=date_from, actual_date__lte=date_to)


class CadreVisits(Paginator):
    """Cadres with active pairings or done visits in the area: pairings, visits and households visited in the period.

    Fewest visits first. A cadre is reached through the area's pairings and visits (both restricted), so a
    cadre from elsewhere who visited households of the area is counted here, as the visit list shows them.
    A Paginator whose page is one query: the pairings and the period's visits each grouped by cadre once,
    joined to the cadres, with the number of rows alongside (COUNT(*) OVER ()); no count per cadre.
    """

    SQL = """
        SELECT cadre.id, cadre.name, cadre.work_unit,
               COALESCE(paired.n, 0) AS paired_count, COALESCE(visited.n, 0) AS visit_count,
               COALESCE(visited.households, 0) AS visited_households, COUNT(*) OVER () AS row_total
        FROM {cadre} cadre
        LEFT JOIN ({paired}) paired ON paired.cadre_key = cadre.id
        LEFT JOIN ({visited}) visited ON visited.cadre_key = cadre.id
        WHERE paired.cadre_key IS NOT NULL OR visited.cadre_key IS NOT NULL
        ORDER BY visit_count, cadre.name, cadre.id
    """

    def __init__(self, user, date_from: datetime.date, date_to: datetime.date, today: datetime.date, per_page: int):
        super().__init__([], per_page)
        self.pairings = Pairing.objects.restrict(user).active(today).order_by()
        self.visits = done_between(user, date_from, date_to).order_by()

    def get_page(self, number):
        """The page `number` (the first when not a number, the last when past the end)."""
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        rows = self._rows(offset=(number - 1) * self.per_page)
        if rows:
            self.count = rows[0].row_total  # the page counted the rows: no second query
        elif number > 1:
            return self.get_page(self.num_pages)
        return self._get_page(rows, number, self)

    @cached_property
    def count(self) -> int:
        """The number of rows, for a page past the end (pages bring it along)."""
        first = self._rows(offset=0)
        return first[0].row_total if first else 0

    def _rows(self, offset: int) -> list[Cadre]:
        paired = self.pairings.values(cadre_key=F("cadre")).annotate(n=Count("*"))
        # COUNT(*), not COUNT(id): the visits are then read from the index on done dates alone.
        visited = self.visits.values(cadre_key=F("visitor")).annotate(
            n=Count("*"), households=Count("household", distinct=True)
        )
        try:
            paired_sql, paired_params = paired.query.sql_with_params()
            visited_sql, visited_params = visited.query.sql_with_params()
        except EmptyResultSet:  # restrict() gave the user nothing
            return []
        sql = self.SQL.format(
            cadre=connection.ops.quote_name(Cadre._meta.db_table), paired=paired_sql, visited=visited_sql
        )
        params = [*paired_params, *visited_params, self.per_page, offset]
        return list(Cadre.objects.raw(f"{sql} LIMIT %s OFFSET %s", params))


def visits_per_cadre(user, date_from: datetime.date, date_to: datetime.date, today: datetime.date,
                     per_page: int = 50) -> CadreVisits:
    """Cadres paired or visiting in the area: active pairings, done visits and households visited in the period."""
    return CadreVisits(user, date_from, date_to, today, per_page)


def visits_per_village(user, date_from: datetime.date, date_to: datetime.date):
    """Villages of the area: households to support, done visits and households visited in the period.

    The counts are per-village subqueries: page the result with KeyPaginator (they are then read for
    the page's villages only).
    """
    visits = done_between(user, date_from, date_to).filter(household__village=OuterRef("pk"))
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
    """Active pairings, begun at least `days` ago, whose cadre has not visited the household in the last `days` days.

    An anti-join on the visits since the cutoff; each row's last visit (older, or none) is looked up for
    the rows shown only.
    """
    cutoff = today - datetime.timedelta(days=days)
    by_cadre = Visit.objects.done().filter(household=OuterRef("household"), visitor=OuterRef("cadre"))
    return (
        Pairing.objects.restrict(user).active(today)
        .filter(start_date__lte=cutoff)
        .exclude(Exists(by_cadre.filter(actual_date__gt=cutoff)))
        .annotate(last_visited=Subquery(by_cadre.order_by("-actual_date").values("actual_date")[:1]))
        .select_related("cadre", "household__village__township")
        .order_by("household__village__code", "household__number", "cadre__name")
    )


def poor_villages_without_posting(user, today: datetime.date):
    """Poor villages lacking a first secretary in post today, or a resident work team (annotated with both)."""
    secretaries = FirstSecretaryPosting.objects.active(today)
    team = WorkTeamMembership.objects.active(today)
    return (
        Village.objects.restrict(user)
        .filter(is_poor=True)
        .exclude(Q(pk__in=secretaries.values("village")) & Q(pk__in=team.values("village")))
        .select_related("township")
        .annotate(
            has_secretary=Exists(secretaries.filter(village=OuterRef("pk"))),
            team_size=count_of(team.filter(village=OuterRef("pk")), "village"),
        )
        .order_by("township__code", "code")
    )


def overloaded_cadres(user, threshold: int, today: datetime.date):
    """Cadres with more than `threshold` active pairings in the user's area: one query grouping the pairings by cadre.

    Rows are dicts (cadre, name, work_unit, paired_count); a cadre paired in the area is one the user may see.
    """
    return (
        Pairing.objects.restrict(user).active(today).order_by()
        .values("cadre")
        # One name per cadre: MIN() carries it without grouping by it (a slower sort on the joined columns).
        .annotate(paired_count=Count("pk"), name=Min("cadre__name"), work_unit=Min("cadre__work_unit"))
        .filter(paired_count__gt=threshold)
        .order_by("-paired_count", "name", "cadre")
    )
