"""Writing a round: staging tables and set-based SQL, the same statements on PostgreSQL and SQLite.

Rows go into temporary staging tables (PostgreSQL: COPY through psycopg2's copy_expert;
other databases: executemany), then each register table is written by a few
INSERT … SELECT … ON CONFLICT DO UPDATE / UPDATE … FROM statements and its
django-simple-history table by one INSERT … SELECT, every audit row naming the round.
Nothing is written row by row. The caller holds the transaction.
"""
from django.db import connection, models
from django.utils import timezone

from households.models import Household, IncomeRecord, Member
from villages.models import VillageGroup

from .baseline import HOUSEHOLD_COLUMNS, MEMBER_STATE
from .bulk import Staging, as_json, qn
from .plan import WritePlan

INCOME_COLUMNS = (
    "wage_income", "business_income", "property_income", "policy_transfer_income", "other_transfer_income",
    "production_expenses",
)


def _field(model, name):
    return model._meta.get_field(name)


def _defaults(model, exclude: set) -> dict:
    """Column → default for the concrete fields a round does not set (raw SQL gets no model defaults)."""
    return {
        f.column: f.get_default() for f in model._meta.concrete_fields
        if f.name not in exclude and not f.primary_key and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    }


def _history_columns(model) -> list[str]:
    return [f.column for f in model.history.model._meta.concrete_fields if not f.name.startswith("history_")]


class RoundWriter:
    """Applies a WritePlan; `reason` and `user` go on every history row."""

    def __init__(self, cursor, *, reason: str, user_id: int | None):
        self.cursor, self.reason, self.user_id = cursor, reason, user_id
        self.now = timezone.now()
        self.stamp = connection.ops.adapt_datetimefield_value(self.now)

    def execute(self, sql: str, params=()) -> None:
        self.cursor.execute(sql, params)

    def history(self, model, source: str, history_type: str, params=()) -> None:
        """One history row per register row selected by `source` (FROM … WHERE …, the row aliased t)."""
        columns = _history_columns(model)
        self.execute(
            f"INSERT INTO {qn(model.history.model._meta.db_table)} ({', '.join(map(qn, columns))}, "
            f"history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {', '.join('t.' + qn(c) for c in columns)}, %s, %s, {history_type}, %s {source}",
            [self.stamp, self.reason, self.user_id, *params],
        )

    def apply(self, plan: WritePlan, villages: dict, groups: dict) -> None:
        group_ids = self.create_groups(plan, villages, groups)
        self.write_households(plan, villages, group_ids)
        self.write_members(plan)
        self.write_incomes(plan)

    def create_groups(self, plan: WritePlan, villages: dict, groups: dict) -> dict:
        """Village groups named by the file and not yet registered are created; (village id, name) → id."""
        wanted = {(villages[fields[0]].id, fields[1]) for _new, _number, fields in plan.households if fields[1]}
        missing = wanted - groups.keys()
        if not missing:
            return groups
        VillageGroup.objects.bulk_create(
            [VillageGroup(village_id=village_id, name=name) for village_id, name in missing], ignore_conflicts=True
        )
        created = VillageGroup.objects.filter(
            village_id__in={village for village, _name in missing}, name__in={name for _village, name in missing}
        )
        return {**groups, **{(g.village_id, g.name): g.pk for g in created}}

    def write_households(self, plan: WritePlan, villages: dict, group_ids: dict) -> None:
        if not plan.households:
            return
        set_columns = ["village_id", "group_id", *[_field(Household, n).column for n in HOUSEHOLD_COLUMNS]]
        stage_fields = [("is_new", models.BooleanField()), ("number", _field(Household, "number")),
                        ("village_id", models.BigIntegerField()), ("group_id", models.BigIntegerField(null=True)),
                        *[(_field(Household, n).column, _field(Household, n)) for n in HOUSEHOLD_COLUMNS]]
        causes = HOUSEHOLD_COLUMNS.index("other_causes")

        def rows():
            for is_new, number, fields in plan.households:
                village_id = villages[fields[0]].id
                values = list(fields[2:])
                values[causes] = as_json(list(values[causes]))
                yield (is_new, number, village_id, group_ids.get((village_id, fields[1])), *values)

        defaults = _defaults(Household, {"number", "village", "group", *HOUSEHOLD_COLUMNS})
        table = qn(Household._meta.db_table)
        with Staging(self.cursor, "stage_household", stage_fields) as stage:
            stage.load(rows())
            insert_columns = ["number", *set_columns, *defaults, "created_at", "updated_at"]
            placeholders = ", ".join(["%s"] * (len(defaults) + 2))
            self.execute(
                f"INSERT INTO {table} ({', '.join(map(qn, insert_columns))}) "
                f"SELECT s.number, {', '.join('s.' + qn(c) for c in set_columns)}, {placeholders} "
                f"FROM {qn(stage.name)} s WHERE 1 = 1 ON CONFLICT (number) DO UPDATE SET "
                + ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in [*set_columns, "updated_at"]),
                [*defaults.values(), self.stamp, self.stamp],
            )
            self.history(
                Household, f"FROM {table} t JOIN {qn(stage.name)} s ON s.number = t.number",
                "CASE WHEN s.is_new THEN '+' ELSE '~' END",
            )

    def write_members(self, plan: WritePlan) -> None:
        operations = [
            *(("deactivate", pk, "", "", reason, *[None] * len(MEMBER_STATE))
              for pk, reason in plan.member_deactivations),
            *(("demote", pk, "", id_number, "", *values) for pk, id_number, values in plan.member_demotions),
            *(("update", pk, "", id_number, "", *values) for pk, id_number, values in plan.member_updates),
            *(("insert", None, number, id_number, "", *values) for number, id_number, values in plan.member_inserts),
        ]
        if not operations:
            return
        stage_fields = [("op", models.CharField(max_length=10)), ("id", models.BigIntegerField(null=True)),
                        ("household_number", _field(Household, "number")), ("id_number", _field(Member, "id_number")),
                        ("left_reason", _field(Member, "left_reason")),
                        *[(_field(Member, n).column, _field(Member, n)) for n in MEMBER_STATE]]
        table = qn(Member._meta.db_table)
        state_columns = [_field(Member, n).column for n in MEMBER_STATE]
        with Staging(self.cursor, "stage_member", stage_fields) as stage:
            stage.load(operations)
            s = qn(stage.name)
            self.execute(
                f"UPDATE {table} SET is_active = %s, left_reason = s.left_reason FROM {s} s "
                f"WHERE s.op = 'deactivate' AND {table}.id = s.id", [False],
            )
            assignments = ", ".join(f"{qn(c)} = s.{qn(c)}" for c in state_columns)
            for op in ("demote", "update"):
                self.execute(
                    f"UPDATE {table} SET {assignments}, id_number = s.id_number, is_active = %s, left_reason = '' "
                    f"FROM {s} s "
                    f"WHERE s.op = %s AND {table}.id = s.id", [True, op],
                )
            defaults = _defaults(Member, {"household", "id_number", "is_active", "left_reason", *MEMBER_STATE})
            insert_columns = ["household_id", "id_number", *state_columns, *defaults, "is_active", "left_reason"]
            selected = ["h.id", "s.id_number", *("s." + qn(c) for c in state_columns), *["%s"] * len(defaults)]
            self.execute(
                f"INSERT INTO {table} ({', '.join(map(qn, insert_columns))}) SELECT {', '.join(selected)}, %s, '' "
                f"FROM {s} s JOIN {qn(Household._meta.db_table)} h ON h.number = s.household_number "
                f"WHERE s.op = 'insert'",
                [*defaults.values(), True],
            )
            self.history(Member, f"FROM {table} t JOIN {s} s ON s.id = t.id WHERE s.op <> 'insert'", "'~'")
            # An inserted row is its household's active member with its ID number, name and birth date (several
            # members may have no ID number, never two with the same name and birth date: rules.member_key).
            self.history(
                Member,
                f"FROM {table} t JOIN {qn(Household._meta.db_table)} h ON h.id = t.household_id "
                f"JOIN {s} s ON s.op = 'insert' AND s.household_number = h.number AND s.id_number = t.id_number "
                f"AND s.name = t.name AND s.birth_date = t.birth_date WHERE t.is_active = %s", "'+'", [True],
            )

    def write_incomes(self, plan: WritePlan) -> None:
        if not plan.incomes:
            return
        stage_fields = [("is_new", models.BooleanField()), ("household_number", _field(Household, "number")),
                        ("year", _field(IncomeRecord, "year")),
                        *[(name, _field(IncomeRecord, name)) for name in INCOME_COLUMNS]]
        table = qn(IncomeRecord._meta.db_table)
        with Staging(self.cursor, "stage_income", stage_fields) as stage:
            stage.load(plan.incomes)
            s = qn(stage.name)
            self.execute(
                f"INSERT INTO {table} (household_id, year, {', '.join(INCOME_COLUMNS)}) "
                f"SELECT h.id, s.year, {', '.join('s.' + c for c in INCOME_COLUMNS)} "
                f"FROM {s} s JOIN {qn(Household._meta.db_table)} h ON h.number = s.household_number WHERE 1 = 1 "
                f"ON CONFLICT (household_id, year) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in INCOME_COLUMNS),
            )
            self.history(
                IncomeRecord,
                f"FROM {table} t JOIN {qn(Household._meta.db_table)} h ON h.id = t.household_id "
                f"JOIN {s} s ON s.household_number = h.number AND s.year = t.year",
                "CASE WHEN s.is_new THEN '+' ELSE '~' END",
            )
