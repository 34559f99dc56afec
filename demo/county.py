"""A deterministic synthetic demo county with seed 000's figures, written with bulk inserts.

`seed_demo(seed, scale)` plans the area tree (townships, villages, work teams, household counts) from one
`random.Random(seed)`, then streams village by village: groups, households, members, the income ledger,
pairings with their visits (`visits.demo`) and the registered population, buffered and written in batches.
Everything is valid by construction (no full_clean per row, no history rows); tests/test_seed_demo.py proves it
on samples.

Scale 1 is seed 000's county: 14 townships, 277 villages (53 poor), ~5,825 groups, 11,238 households,
~49,000 persons and 645 work-team members. The whole tree scales linearly with `scale`, so villages and
townships keep seed 000's sizes and incidences at every scale (scale 20.4: 286 townships, 1.0M persons).
"""
import bisect
import csv
import datetime
import io
import itertools
import json
import math
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric

from exits.services import MissingPovertyLine, poverty_line
from households import choices
from households.models import Household, IncomeRecord, Member, Pairing
from povertyapp.models import StaffProfile
from povertyapp.roles import Role
from villages.models import (
    AreaCode, Cadre, County, FirstSecretaryPosting, Township, Village, VillageGroup, VillagePopulation, WorkTeamMembership,
)
from visits.demo import pairing_visits
from visits.models import Visit

# Seed 000 (domain README, "Seed figures"): what scale 1 reproduces.
SEED_000 = {"townships": 14, "villages": 277, "poor_villages": 53, "households": 11238, "team_members": 645}
VILLAGE_EXIT_PLAN = {2016: 15, 2017: 15, 2018: 14, 2019: 9}  # poor villages to exit per year
# The county's codes before it became a city (residents keep the code of first registration for life).
FORMER_AREA_CODES = (("452421", "归云县(撤县设市前)", None, 1995), ("452401", "归云市(地辖市)", 1995, 1997))
AS_OF = datetime.date(2018, 1, 1)  # the register's date: the 2016 and 2017 exits are done
POPULATION_DATE = datetime.date(2015, 12, 31)
TEAM_START = datetime.date(2016, 3, 23)
INCOME_YEARS = (2015, 2016, 2017)  # incomes are drawn around these years' exit-check lines (exits.PovertyLine)
DEMO_PASSWORD = "demo2016pass"
COPY_NULL = r"\N"
COUNTY_CODE = "450481"
# Share of households exiting in 2016 and 2017, by the village's planned exit year (None: other villages).
# With poor villages holding ~55% of households this gives seed 000's ~10,050 and ~11,200 persons.
EXIT_SHARES = {2016: (0.88, 0.06), 2017: (0.10, 0.82), None: (0.075, 0.146)}

MODEL_ORDER = (
    County, AreaCode, Township, Village, VillageGroup, VillagePopulation, Cadre, FirstSecretaryPosting,
    WorkTeamMembership, Household, Member, IncomeRecord, Pairing, Visit,
)

SURNAMES = "李黄陈梁覃莫韦蒙刘张王周何吴罗杨林钟谢邓冯朱潘苏赵蒋廖卢龙邱胡余庞骆"
MALE_GIVEN = "伟强明军华建国志勇文斌海东林峰杰德荣生福贵金成永发光平春富贤昌新宏振家运善"
FEMALE_GIVEN = "芳秀英丽娟敏霞燕玲红梅兰凤桂琴珍云萍慧艳娥翠莲妹姣婷月彩玉群"
PLACE_FIRST = "归安云福丰兴宁和长石清青永南北东西大新龙凤金水平泰德仁义朝桂上下古"
PLACE_SECOND = "义平宁丰和隆塘江岭溪源河川山田陂坪垌冲湾寨头圩洞"
GROUP_SECOND = "屋塘岭冲垌坪湾寨脚口背面"
COUNTY_UNITS = (
    "县发展和改革局", "县财政局", "县农业局", "县教育局", "县卫生和计划生育局", "县人力资源和社会保障局",
    "县住房和城乡建设局", "县交通运输局", "县水利局", "县林业局", "县民政局", "县扶贫开发办公室",
    "县国土资源局", "县供电公司", "县农村信用合作联社", "市直机关工委", "市农业委员会", "市环境保护局",
)
BANKS = ("县农村信用合作联社", "中国农业银行", "中国邮政储蓄银行")

# Mean ≈ 4.42 drawn, ≈ 4.36 (48,997 / 11,238) once ~1% of members have left the household.
HOUSEHOLD_SIZES = {1: 7, 2: 12, 3: 12, 4: 19, 5: 21, 6: 15, 7: 9, 8: 4, 9: 1}
C = choices.Cause
MAIN_CAUSES = {
    C.ILLNESS: 38, C.LACK_OF_SKILLS: 17, C.LACK_OF_CAPITAL: 13, C.LACK_OF_LABOUR: 10,
    C.SCHOOLING: 12,  # redrawn for households without a member aged 6–22: ~6% in the end
    C.DISABILITY: 5, C.LACK_OF_DRIVE: 3, C.DISASTER: 2, C.LACK_OF_LAND: 1.5, C.POOR_TRANSPORT: 1.5,
    C.LACK_OF_WATER: 0.5,
}
# Causes that say nothing about the members, so any household may have them as further causes.
OTHER_CAUSES = (C.LACK_OF_SKILLS, C.LACK_OF_CAPITAL, C.LACK_OF_LABOUR, C.POOR_TRANSPORT, C.DISASTER, C.LACK_OF_LAND)
ETHNICITIES = {"01": 85, "08": 10, "13": 4, "99": 1}
WORK_STATUSES = {"1": 15, "2": 20, "3": 25, "4": 38, "5": 2}
EDUCATION_BY_AGE = (  # (minimum age, weights over Education codes 1–7)
    (60, {"1": 35, "2": 50, "3": 13, "4": 2}),
    (40, {"1": 8, "2": 40, "3": 42, "4": 7, "5": 3}),
    (0, {"2": 12, "3": 58, "4": 15, "5": 10, "6": 4, "7": 1}),
)
S = choices.SchoolStatus
R = choices.Relation
EXITED = choices.Status.EXITED_WITH_POLICY
POOR_STATUSES = set(choices.Status.poor())


class DemoError(Exception):
    """The demo county cannot be seeded here (the database is not empty)."""


@dataclass
class DemoSummary:
    counts: dict[str, int]
    seconds: float
    users: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [f"{label}: {count:,}" for label, count in self.counts.items()]
        if self.users:
            lines.append(f"demo logins (password {DEMO_PASSWORD}): {', '.join(self.users)}")
        lines.append(f"{self.seconds:.1f} s")
        return lines


def seed_demo(seed: int = 2016, scale: float = 1.0, *, users: bool = True, batch_size: int = 5000,
              use_copy: bool | None = None, progress=None) -> DemoSummary:
    """Generate and write the demo county into an empty register; return counts and seconds.

    `use_copy` (default: on PostgreSQL) loads with COPY instead of bulk_create.
    `progress(text)` is called after each township.
    """
    if scale <= 0:
        raise DemoError("scale must be positive")
    if not register_is_empty():
        raise DemoError("the database already has townships or households; seed only an empty one")
    usernames = [name for name, _role in DEMO_USERS] + ["admin"]
    if users and get_user_model().objects.filter(username__in=usernames).exists():
        raise DemoError(f"one of the demo users already exists: {', '.join(usernames)}")
    try:
        lines = {year: float(poverty_line(year)) for year in INCOME_YEARS}
    except MissingPovertyLine as exc:
        raise DemoError(str(exc)) from exc
    started = time.monotonic()
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    with transaction.atomic():
        writer = BulkWriter(batch_size, use_copy)
        generator = CountyGenerator(random.Random(seed), scale, writer, lines)
        generator.run(progress)
        writer.finish()
        created_users = _create_users(generator) if users else []
    counts = {
        str(model._meta.verbose_name_plural): writer.counts[model] for model in MODEL_ORDER if writer.counts[model]
    }
    counts[_("贫困村")] = generator.poor_village_count
    counts[_("在册人口")] = generator.active_persons
    return DemoSummary(counts=counts, seconds=time.monotonic() - started, users=created_users)


def register_is_empty() -> bool:
    """No area tree and no households yet: the only state the demo county is written into."""
    return not (Township.objects.exists() or Household.objects.exists())


# ---------------------------------------------------------------------------------------------------- writing


class BulkWriter:
    """Buffers rows (dicts of attname → value, ids assigned here) and writes them in batches, parents first."""

    def __init__(self, batch_size: int, use_copy: bool):
        self.batch_size, self.use_copy = batch_size, use_copy
        self.buffers = {model: [] for model in MODEL_ORDER}
        self.counts = dict.fromkeys(MODEL_ORDER, 0)
        self.next_ids = {
            model: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for model in MODEL_ORDER
        }
        self.now = timezone.now()

    def add(self, model, **row) -> int:
        """Queue one row; return its id."""
        row["id"] = self.next_ids[model]
        self.next_ids[model] += 1
        buffer = self.buffers[model]
        buffer.append(row)
        if len(buffer) >= self.batch_size:
            self.flush()
        return row["id"]

    def flush(self):
        for model in MODEL_ORDER:
            rows = self.buffers[model]
            if rows:
                (self._copy if self.use_copy else self._bulk_create)(model, rows)
                self.counts[model] += len(rows)
                rows.clear()
        # With DEBUG on, Django keeps every statement's SQL: bulk INSERTs would hold the whole county in memory.
        connection.queries_log.clear()

    def finish(self):
        """Write what is left, move the id sequences past the ids assigned here and refresh the planner's
        statistics (queries right after a large load would otherwise be planned for empty tables)."""
        self.flush()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), MODEL_ORDER):
                cursor.execute(sql)
            tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in MODEL_ORDER)
            cursor.execute(f"ANALYZE {tables}" if connection.vendor == "postgresql" else "ANALYZE")

    def _bulk_create(self, model, rows):
        model.objects.bulk_create([model(**row) for row in rows], batch_size=self.batch_size)

    def _copy(self, model, rows):
        """COPY the rows in CSV (NULL written as \\N, so that an unquoted empty field is an empty string)."""
        fields = model._meta.concrete_fields
        columns = [(f.attname, self._default(f), f.get_internal_type() == "JSONField") for f in fields]
        buffer = io.StringIO()
        out = csv.writer(buffer)
        for row in rows:
            values = []
            for attname, default, is_json in columns:
                value = row.get(attname, default)
                if value is None:
                    value = COPY_NULL
                elif is_json:
                    value = json.dumps(value, ensure_ascii=False)
                values.append(value)
            out.writerow(values)
        buffer.seek(0)
        quote = connection.ops.quote_name
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        with connection.cursor() as cursor:
            cursor.copy_expert(f"{sql} WITH (FORMAT csv, NULL '{COPY_NULL}')", buffer)

    def _default(self, model_field):
        """What Django would write for a field the generator leaves out."""
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            return self.now
        return model_field.get_default()


# ---------------------------------------------------------------------------------------------------- planning


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integer parts proportional to `weights` (largest remainder, ties by position)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    parts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass
class VillagePlan:
    name: str
    code: str
    is_poor: bool
    planned_exit_year: int | None
    households: int
    groups: int
    team_size: int


class Picker:
    """Weighted choice from a {value: weight} table with precomputed cumulative weights."""

    def __init__(self, table: dict):
        self.values = list(table)
        self.cumulative = list(itertools.accumulate(table.values()))

    def __call__(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


SIZE = Picker(HOUSEHOLD_SIZES)
CAUSE = Picker(MAIN_CAUSES)
ETHNICITY = Picker(ETHNICITIES)
WORK = Picker(WORK_STATUSES)
EDUCATION = [(age, Picker(weights)) for age, weights in EDUCATION_BY_AGE]
SURNAME = Picker({name: len(SURNAMES) - i for i, name in enumerate(SURNAMES)})  # earlier surnames commoner


def person_name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    given = MALE_GIVEN if sex == choices.Sex.MALE else FEMALE_GIVEN
    length = 2 if rng.random() < 0.7 else 1
    return (surname or SURNAME(rng)) + "".join(rng.choice(given) for _ in range(length))


def place_names(rng: random.Random, count: int, suffix: str, second: str = PLACE_SECOND) -> list[str]:
    """`count` different invented place names (two characters + suffix)."""
    pool = [a + b for a in PLACE_FIRST for b in second if a != b]
    if count > len(pool):
        pool += [f"{name}{n}" for n in range(2, count // len(pool) + 3) for name in pool]
    return [name + suffix for name in rng.sample(pool, count)]


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


# ---------------------------------------------------------------------------------------------------- generating


class CountyGenerator:
    """Plans the county from the seed, then writes it village by village through a BulkWriter."""

    def __init__(self, rng: random.Random, scale: float, writer: BulkWriter, lines: dict[int, float]):
        self.rng, self.scale, self.writer, self.lines = rng, scale, writer, lines
        self.id_serials: dict[tuple, int] = {}  # (area, birth date, sex) → next serial: IDs unique by construction
        self.poor_village_count = self.active_persons = 0
        self.first_township = self.first_poor_township = self.first_poor_village = self.secretary_cadre = None
        self.pairing_user_cadre, self.pairing_user_load = None, 0
        self.pairing_units = COUNTY_UNITS
        self.open_cadre, self.open_quota, self.open_load = None, 0, 0
        self.today = timezone.localdate()
        # Data gaps (members without ID, households or a village the exit check cannot assess) are drawn from a
        # stream of their own, so that changing them leaves the rest of the county as it was.
        self.gaps = random.Random(rng.getrandbits(32))
        self.village_without_population = None

    def scaled(self, key: str, minimum: int) -> int:
        return max(minimum, round(SEED_000[key] * self.scale))

    def run(self, progress=None):
        writer = self.writer
        county_id = writer.add(County, name="归云县", code=f"{COUNTY_CODE}000000")
        for code, name, used_from, used_until in FORMER_AREA_CODES:
            writer.add(AreaCode, county_id=county_id, code=code, name=name, used_from=used_from, used_until=used_until)
        townships = self.plan()
        for t_index, (township_name, villages) in enumerate(townships):
            township_code = f"{COUNTY_CODE}{100 + t_index:03d}"
            township_id = writer.add(Township, county_id=county_id, name=township_name, code=f"{township_code}000")
            self.first_township = self.first_township or township_id
            self.pairing_units = (*COUNTY_UNITS, f"{township_name}人民政府")
            for plan in villages:
                self.village(township_id, plan, without_population=plan is townships[-1][1][-1])
            self.close_pairing_cadre()
            if progress:
                progress(f"{t_index + 1}/{len(townships)} {township_name}")

    def plan(self) -> list[tuple[str, list[VillagePlan]]]:
        """Township names with their village plans; every draw here precedes the streaming ones."""
        rng = self.rng
        n_townships = self.scaled("townships", 2)
        if n_townships > 899:
            raise DemoError("scale too large: township codes have three digits (at most 899 townships)")
        n_villages = self.scaled("villages", n_townships)
        n_poor = min(n_villages, self.scaled("poor_villages", 1))
        per_township = apportion(n_villages, [rng.uniform(0.6, 1.4) for _ in range(n_townships)])
        per_township = [max(1, n) for n in per_township]
        n_villages = sum(per_township)
        poor = sorted(rng.sample(range(n_villages), n_poor))
        exit_years = [year for year, n in zip(VILLAGE_EXIT_PLAN, apportion(n_poor, list(VILLAGE_EXIT_PLAN.values())))
                      for _ in range(n)]
        rng.shuffle(exit_years)
        planned = dict(zip(poor, exit_years))
        # Poor villages hold ~55% of the households: about 5 times a non-poor village's share.
        weights = [(5.2 if v in planned else 1.0) * rng.uniform(0.5, 1.5) for v in range(n_villages)]
        households = apportion(self.scaled("households", n_villages), weights)
        team = {v: 1 + rng.choice((2, 3)) for v in planned}  # first secretary + 2–3 members
        others = [v for v in range(n_villages) if v not in planned]
        spare = max(0, self.scaled("team_members", 0) - sum(team.values()))
        if others:
            team.update(zip(others, apportion(spare, [rng.uniform(0.8, 1.2) for _ in others])))
        township_names = place_names(rng, n_townships, "镇")
        plans, index = [], 0
        for t_index, count in enumerate(per_township):
            names = place_names(rng, count, "村")
            village_plans = []
            for v_index in range(count):
                village_plans.append(VillagePlan(
                    name=names[v_index], code=f"{COUNTY_CODE}{100 + t_index:03d}{200 + v_index:03d}",
                    is_poor=index in planned, planned_exit_year=planned.get(index), households=households[index],
                    groups=rng.randint(10, 32), team_size=team.get(index, 0),
                ))
                index += 1
            plans.append((township_names[t_index], village_plans))
        return plans

    # --- one village

    def village(self, township_id: int, plan: VillagePlan, without_population: bool = False):
        """The village's groups, team, households and pairings; its registered population unless
        `without_population` (the county's last village: its incidence cannot be assessed until it is entered)."""
        rng, writer = self.rng, self.writer
        exited = plan.planned_exit_year in (2016, 2017)
        village_id = writer.add(
            Village, township_id=township_id, name=plan.name, code=plan.code, is_poor=plan.is_poor,
            planned_exit_year=plan.planned_exit_year, exit_year=plan.planned_exit_year if exited else None,
        )
        if plan.is_poor:
            self.poor_village_count += 1
        groups = [(writer.add(VillageGroup, village_id=village_id, name=name), name)
                  for name in place_names(rng, plan.groups, "组", GROUP_SECOND)]
        team = self.work_team(township_id, village_id, plan)
        persons = still_poor = 0
        households = []
        for serial in range(1, plan.households + 1):
            household_id, size, poor = self.household(village_id, plan, serial, rng.choice(groups))
            households.append(household_id)
            persons += size
            still_poor += size if poor else 0
        self.pair(households, team)
        # Incidence at the population date (everyone registered then was still poor): 5–25% / 1–5%;
        # a village that has exited is below 2% now (1.8% at most, so that it also shows below 2.00%).
        incidence = rng.triangular(0.05, 0.25, 0.14) if plan.is_poor else rng.uniform(0.01, 0.05)
        registered = max(round(persons / incidence), 50)
        if exited:
            registered = max(registered, math.ceil(still_poor / 0.018))
        if without_population:
            return
        writer.add(VillagePopulation, village_id=village_id, as_of=POPULATION_DATE, registered_persons=registered,
                   registered_households=round(registered / rng.uniform(3.6, 4.2)))

    def work_team(self, township_id: int, village_id: int, plan: VillagePlan) -> list[int]:
        """The village's resident work team (one leader; in a poor village the first secretary leads)."""
        cadres = []
        for index in range(plan.team_size):
            cadre_id = self.cadre(COUNTY_UNITS)
            cadres.append(cadre_id)
            leader = index == 0
            if leader and plan.is_poor:
                self.writer.add(FirstSecretaryPosting, cadre_id=cadre_id, village_id=village_id, start_date=TEAM_START)
                if self.first_poor_village is None:
                    self.first_poor_township, self.first_poor_village = township_id, village_id
                    self.secretary_cadre = cadre_id
            duty = WorkTeamMembership.Duty.LEADER if leader else WorkTeamMembership.Duty.MEMBER
            self.writer.add(WorkTeamMembership, cadre_id=cadre_id, village_id=village_id, duty=duty,
                            start_date=TEAM_START)
        return cadres

    def cadre(self, units) -> int:
        rng = self.rng
        sex = choices.Sex.MALE if rng.random() < 0.7 else choices.Sex.FEMALE
        return self.writer.add(Cadre, name=person_name(rng, sex), work_unit=rng.choice(units), phone=phone(rng))

    def pair(self, households: list[int], team: list[int]):
        """Every household gets a pairing cadre with 5–10 households: the village's work team first, then
        county-unit and township cadres, each carrying on into the township's next village until full."""
        rng, start = self.rng, 0
        for cadre_id in team:
            share = households[start:start + rng.randint(5, 10)]
            for household_id in share:
                self.add_pairing(cadre_id, household_id)
            if cadre_id != self.secretary_cadre:
                self.consider_for_login(cadre_id, len(share))
            start += len(share)
        for household_id in households[start:]:
            if not self.open_quota:
                self.close_pairing_cadre()
                self.open_cadre = self.cadre(self.pairing_units)
                self.open_quota = rng.randint(5, 10)
            self.add_pairing(self.open_cadre, household_id)
            self.open_quota -= 1
            self.open_load += 1

    def add_pairing(self, cadre_id: int, household_id: int):
        self.writer.add(Pairing, cadre_id=cadre_id, household_id=household_id,
                        start_date=datetime.date(2016, self.rng.randint(1, 6), 1))
        for row in pairing_visits(self.rng, self.today, cadre_id, household_id):
            self.writer.add(Visit, **row)

    def close_pairing_cadre(self):
        if self.open_cadre:
            self.consider_for_login(self.open_cadre, self.open_load)
        self.open_cadre, self.open_quota, self.open_load = None, 0, 0

    def consider_for_login(self, cadre_id: int, load: int):
        """The `pairing` demo login goes to the first cadre whose load is closest to 8 households."""
        if load and (self.pairing_user_cadre is None or abs(load - 8) < abs(self.pairing_user_load - 8)):
            self.pairing_user_cadre, self.pairing_user_load = cadre_id, load

    # --- one household

    def household(self, village_id: int, plan: VillagePlan, serial: int, group: tuple) -> tuple[int, int, bool]:
        """Write one household with its members and income ledger; return its id, active member count and
        whether it still counts as poor."""
        rng, writer = self.rng, self.writer
        people = self.composition(SIZE(rng))
        draw = rng.random()
        year_identified = 2014 if draw < 0.6 else 2015 if draw < 0.98 else 2016
        status, exit_year, exited_in = self.status(plan, year_identified)
        clean_exit = status == EXITED
        cause = self.main_cause(people)
        flaw = self.flaw(people) if clean_exit and rng.random() < 0.03 else None
        others = [c for c in OTHER_CAUSES if c != cause]
        attribute = self.attribute(people, cause)
        housing = self.housing(clean_exit, flaw)
        # A few households still poor whose register is incomplete: the exit check reports them 无法评估.
        gap = self.gaps.choice(("housing", "income")) if status in POOR_STATUSES and self.gaps.random() < 0.01 else None
        if gap == "housing":
            housing = {"housing_grade": "", "was_dangerous_house": None, "house_renovated": False}
        group_id, group_name = group
        household_id = writer.add(
            Household, number=f"{plan.code[2:]}{serial:04d}", village_id=village_id, group_id=group_id,
            address=f"{plan.name}{group_name}{rng.randint(1, 150)}号",
            phone=phone(rng) if rng.random() < 0.85 else "",
            **self.bank_account(), year_identified=year_identified,
            standard=choices.IdentificationStandard.NATIONAL if rng.random() < 0.95
            else choices.IdentificationStandard.PROVINCIAL,
            attribute=attribute, main_cause=cause, other_causes=rng.sample(others, rng.choice((0, 1, 1, 2))),
            status=status, exit_year=exit_year, **housing,
            housing_area=Decimal(f"{rng.uniform(15, 35) * len(people) + 20:.2f}"),
            safe_drinking_water=flaw != "water" if clean_exit else rng.random() < 0.85,
            food_and_clothing_secure=clean_exit or rng.random() < 0.97,
        )
        surnames = self.surnames(people)
        active, workers = [], 0
        for person, surname in zip(people, surnames):
            row = self.member(person, surname, attribute, clean_exit)
            writer.add(Member, household_id=household_id, **row)
            if row["is_active"]:
                active.append(person)
                workers += bool(row["work_status"])
        self.active_persons += len(active)
        self.ledger(household_id, active, workers, attribute, status, exited_in, flaw, skip_last_year=gap == "income")
        return household_id, len(active), status in POOR_STATUSES

    def composition(self, size: int) -> list["Person"]:
        """Relations, sexes and ages of a household of `size`: head, spouse, parents or children, grandchildren."""
        rng = self.rng
        single = size == 1
        head_age = round(rng.triangular(40, 80, 68) if single else rng.triangular(25, 80, 50))
        head_sex = MALE if rng.random() < (0.6 if single else 0.88) else FEMALE
        people = [Person(R.HEAD, head_sex, head_age)]
        if not single and rng.random() < 0.9:
            people.append(Person(R.SPOUSE, opposite(head_sex), clamp(head_age + rng.randint(-5, 5), 20, 90)))
        if head_age < 50 and len(people) < size and rng.random() < 0.4:
            for relation, sex in ((R.FATHER, MALE), (R.MOTHER, FEMALE))[: size - len(people)]:
                people.append(Person(relation, sex, head_age + rng.randint(22, 34)))
        if head_age >= 56 and size - len(people) >= 3:
            son_age = head_age - rng.randint(22, 32)
            people.append(Person(R.SON, MALE, son_age))
            people.append(Person(R.DAUGHTER_IN_LAW, FEMALE, clamp(son_age + rng.randint(-4, 3), 20, 90)))
            while len(people) < size:
                sex = rng.choice(SEXES)
                people.append(Person(R.GRANDSON if sex == MALE else R.GRANDDAUGHTER, sex, rng.randint(0, son_age - 20)))
        while len(people) < size:
            sex = rng.choice(SEXES)
            if len(people) == size - 1 and rng.random() < 0.08:
                relation = R.SIBLING if rng.random() < 0.7 else R.OTHER
                people.append(Person(relation, sex, clamp(head_age + rng.randint(-12, 12), 16, 90)))
            else:
                age = rng.randint(max(0, head_age - 42), head_age - 20)
                people.append(Person(R.SON if sex == MALE else R.DAUGHTER, sex, age))
        return people

    def surnames(self, people: list["Person"]) -> list[str]:
        """Children, grandchildren, the head's father and siblings share the family surname."""
        rng = self.rng
        head = SURNAME(rng)
        spouse = SURNAME(rng) if any(p.relation == R.SPOUSE for p in people) else None
        family = spouse if people[0].sex == FEMALE and spouse else head
        shared_with_head = {R.HEAD, R.FATHER, R.SIBLING}
        shared_with_family = {R.SON, R.DAUGHTER, R.GRANDSON, R.GRANDDAUGHTER}
        names = []
        for person in people:
            if person.relation in shared_with_head:
                names.append(head)
            elif person.relation == R.SPOUSE:
                names.append(spouse)
            elif person.relation in shared_with_family:
                names.append(family)
            else:
                names.append(SURNAME(rng))
        return names

    def status(self, plan: VillagePlan, year_identified: int) -> tuple[str, int | None, int | None]:
        """Status, exit year and the year the household first exited (kept for a 返贫 household's ledger)."""
        rng = self.rng
        share_2016, share_2017 = EXIT_SHARES.get(plan.planned_exit_year, EXIT_SHARES[None])
        draw = rng.random()
        exited_in = None
        if year_identified < 2016 and draw < share_2016:
            exited_in = 2016
        elif share_2016 <= draw < share_2016 + share_2017:
            exited_in = 2017
        if exited_in == 2016 and rng.random() < 0.02:
            return choices.Status.RETURNED, None, exited_in
        if exited_in:
            return EXITED, exited_in, exited_in
        if rng.random() < 0.006:
            return choices.Status.REMOVED, None, None
        return choices.Status.NOT_EXITED, None, None

    def flaw(self, people: list["Person"]) -> str:
        """One unmet exit criterion for a few exited households (错退 suspects for the data-quality rules):
        income below the line, a child out of school, a dangerous house, unsafe water or an uninsured member."""
        rng = self.rng
        flaw = rng.choice(("income", "school", "housing", "water", "insurance"))
        if flaw == "school":
            pupils = [p for p in people if 6 <= p.age <= 15 and p.in_school is None]
            if not pupils:
                return "water"
            rng.choice(pupils).in_school = False
        elif flaw == "insurance":
            rng.choice(people).insured = False
        return flaw

    def main_cause(self, people: list["Person"]) -> str:
        """A main cause consistent with the members: 因学 needs a pupil, 因病/因残 make a member sick/disabled."""
        rng = self.rng
        school_age = [p for p in people if 6 <= p.age <= 22]
        cause = CAUSE(rng)
        while cause == C.SCHOOLING and not school_age:
            cause = CAUSE(rng)
        if cause == C.SCHOOLING:
            max(school_age, key=lambda p: p.age).in_school = True
        elif cause == C.ILLNESS:
            adults = [p for p in people if p.age >= 16] or people
            rng.choice(adults).health = choices.Health.CHRONIC if rng.random() < 0.6 else choices.Health.SERIOUS
        elif cause == C.DISABILITY:
            rng.choice(people).health = choices.Health.DISABLED
        return cause

    def attribute(self, people: list["Person"], cause: str) -> str:
        rng = self.rng
        if len(people) == 1 and (people[0].age >= 60 or people[0].health) and rng.random() < 0.45:
            return choices.Attribute.DESTITUTE
        subsistence_share = 0.25 if cause in (C.ILLNESS, C.DISABILITY, C.LACK_OF_LABOUR) else 0.1
        return choices.Attribute.SUBSISTENCE if rng.random() < subsistence_share else choices.Attribute.GENERAL

    def housing(self, clean_exit: bool, flaw: str | None) -> dict:
        """Grade now, and whether it was a dangerous (C/D) house since renovated; exited households live safely."""
        rng = self.rng
        if flaw == "housing":
            return {"housing_grade": rng.choice("CD"), "was_dangerous_house": True, "house_renovated": False}
        grade = HOUSING_GRADE(rng)
        dangerous = grade in "CD"
        renovated = dangerous and (clean_exit or rng.random() < 0.3)
        if renovated:
            grade = "A" if rng.random() < 0.3 else "B"
        return {"housing_grade": grade, "was_dangerous_house": dangerous, "house_renovated": renovated}

    def bank_account(self) -> dict:
        rng = self.rng
        if rng.random() < 0.1:
            return {"bank_name": "", "bank_account": ""}
        return {"bank_name": rng.choice(BANKS), "bank_account": f"62{rng.randrange(10**17):017d}"}

    # --- one member

    def member(self, person: "Person", surname: str, attribute: str, clean_exit: bool) -> dict:
        """A member's row; an exited household's members are in school and insured unless its flaw says otherwise."""
        rng, age = self.rng, person.age
        birth_date = datetime.date(AS_OF.year - 1 - age, 1, 1) + datetime.timedelta(days=rng.randrange(1, 365))
        if person.in_school is None and 6 <= age <= 15 and not clean_exit and rng.random() < 0.01:
            person.in_school = False  # a few children out of school in households still poor
        if person.in_school is None and clean_exit and 16 <= age <= 17:
            person.in_school = True  # still of compulsory-school age on 31 August of the exit year
        school = self.school_status(age, person.in_school)
        health = person.health or HEALTH_BY_AGE[0 if age < 16 else 1 if age < 60 else 2](rng)
        labour = self.labour_skill(age, health, school)
        working = labour in (choices.LabourSkill.ORDINARY, choices.LabourSkill.SKILLED) and age <= 60 \
            and rng.random() < 0.7
        insured = person.insured if person.insured is not None else clean_exit or rng.random() < 0.97
        active = person.relation == R.HEAD or rng.random() >= 0.012
        return {
            "name": person_name(rng, person.sex, surname),
            **self.identity(birth_date, person.sex, age),
            "sex": person.sex, "birth_date": birth_date, "relation": person.relation,
            "ethnicity": ETHNICITY(rng),
            "education": "" if school else self.education(age),
            "school_status": school,
            "health": health,
            "disability_grade": rng.randint(1, 4) if health == choices.Health.DISABLED else None,
            "labour_skill": labour,
            "work_status": WORK(rng) if working else "",
            "months_worked": rng.randint(3, 12) if working else None,
            "has_medical_insurance": insured,
            "has_serious_illness_insurance": insured and rng.random() < 0.97,
            "has_pension_insurance": age >= 16 and not school and rng.random() < (0.92 if age >= 60 else 0.65),
            "receives_subsistence": attribute == choices.Attribute.SUBSISTENCE,
            "receives_destitute_support": attribute == choices.Attribute.DESTITUTE,
            "is_active": active,
            "left_reason": "" if active else "死亡" if age >= 60 else "婚出" if person.sex == FEMALE else "迁出",
        }

    def identity(self, birth_date: datetime.date, sex: str, age: int) -> dict:
        """The ID number; for some infants (户口待登记) and a few of the very old (未办理身份证) none, with the reason."""
        number = self.id_number(birth_date, sex)  # drawn either way, so the main stream stays as the seed makes it
        if age == 0 and self.gaps.random() < 0.3:
            return {"id_number": "", "id_missing_reason": choices.IdMissingReason.UNREGISTERED}
        if age >= 75 and self.gaps.random() < 0.1:
            return {"id_number": "", "id_missing_reason": choices.IdMissingReason.NOT_ISSUED}
        return {"id_number": number, "id_missing_reason": ""}

    def id_number(self, birth_date: datetime.date, sex: str) -> str:
        """A valid ID number, unique in the county: a running serial per area, birth date and sex."""
        rng = self.rng
        area = COUNTY_CODE
        if birth_date.year < 1995 and rng.random() < 0.2:
            # first registered under the county's former code, at prefecture level or in a neighbour county
            area = rng.choice((FORMER_AREA_CODES[0][0], "450400", "450421"))
        key = (area, birth_date, sex)
        count = self.id_serials.get(key)
        if count is None:
            count = rng.randrange(0, 150)
        self.id_serials[key] = count + 1
        serial = 2 * count + (1 if sex == MALE else 2)  # odd for men, even for women
        if serial > 999:
            raise DemoError(f"too many synthetic persons born on {birth_date} for unique ID numbers")
        body = f"{area}{birth_date:%Y%m%d}{serial:03d}"
        return body + ric.calc_check_digit(body + "0")

    def school_status(self, age: int, in_school: bool | None) -> str:
        """In-school status at AS_OF, or "" for someone who has left school (education is filled instead)."""
        rng = self.rng
        if age <= 2:
            return S.PRESCHOOL_CHILD
        if age <= 5:
            return S.PRESCHOOL_EDUCATION if rng.random() < 0.75 else S.PRESCHOOL_CHILD
        if age <= 15:
            return S.NOT_IN_SCHOOL if in_school is False else rng.choice(SCHOOL_BY_AGE[age])
        if age <= 22 and (in_school or rng.random() < STILL_IN_SCHOOL[age]):
            return rng.choice(SCHOOL_BY_AGE[age])
        return ""

    def education(self, age: int) -> str:
        level = next(picker for minimum, picker in EDUCATION if age >= minimum)(self.rng)
        if age < 22 and level in ("6", "7"):
            return "4"
        if age < 18 and level in ("4", "5"):
            return "3"
        return level

    def labour_skill(self, age: int, health: str, school: str) -> str:
        rng, skill = self.rng, choices.LabourSkill
        if age < 16 or school:
            return skill.NONE
        if health == choices.Health.SERIOUS:
            return skill.LOST
        if health == choices.Health.DISABLED:
            return skill.LOST if rng.random() < 0.5 else skill.WEAK
        if health == choices.Health.CHRONIC:
            return skill.WEAK
        if age > 65:
            return LABOUR_ELDERLY(rng)
        if age >= 60:
            return skill.ORDINARY if rng.random() < 0.6 else skill.WEAK
        return LABOUR_ADULT(rng)

    # --- the income ledger

    def ledger(self, household_id: int, active: list["Person"], workers: int, attribute: str, status: str,
               exited_in: int | None, flaw: str | None, skip_last_year: bool = False):
        """收入一本账 for INCOME_YEARS: below or around the line while poor, above it from the exit year on
        (without the last year's row when `skip_last_year`: not yet collected)."""
        rng, size, lines = self.rng, len(active), self.lines
        first = lines[INCOME_YEARS[0]]
        if status == choices.Status.REMOVED:
            per_capita = first * rng.uniform(1.4, 3.0)  # wrongly identified: well above the line
        else:
            per_capita = first * rng.uniform(0.45, 1.1)
        for year in INCOME_YEARS:
            if year > INCOME_YEARS[0]:
                per_capita *= rng.uniform(1.0, 1.2)
            if exited_in and year == exited_in:
                per_capita = max(per_capita, lines[year] * rng.uniform(1.08, 1.8))
                if flaw == "income":
                    per_capita = lines[year] * rng.uniform(0.85, 0.97)
            elif exited_in and year > exited_in:
                per_capita = max(per_capita, lines[year] * 1.05)
                if status == choices.Status.RETURNED:
                    per_capita = lines[year] * rng.uniform(0.7, 0.95)
            parts = self.income_parts(round(per_capita * size), active, workers, attribute)
            if not (skip_last_year and year == INCOME_YEARS[-1]):
                self.writer.add(IncomeRecord, household_id=household_id, year=year, **parts)

    def income_parts(self, net: int, active: list["Person"], workers: int, attribute: str) -> dict:
        """Split a net income (yuan) into the ledger's parts: net = wage + business + property + transfers − expenses
        (households/rules.py)."""
        rng = self.rng
        policy = 840 * sum(p.age >= 60 for p in active)  # basic pension
        if attribute == choices.Attribute.SUBSISTENCE:
            policy += rng.randint(1200, 2400) * len(active)
        elif attribute == choices.Attribute.DESTITUTE:
            policy += rng.randint(4000, 6000)
        if rng.random() < 0.25:
            policy += rng.randint(50, 400)  # ecological compensation, family-planning awards
        other = rng.randint(200, 1500) if rng.random() < 0.3 else 0
        property_ = rng.randint(100, 800) if rng.random() < 0.2 else 0
        rest = net - policy - other - property_
        if rest < 0:
            other = property_ = 0
            rest = max(0, net - policy)
        wage = round(rest * rng.uniform(0.5, 0.9)) if workers else 0
        business = rest - wage
        expenses = round(business * rng.uniform(0.25, 1.0))  # 20–50% of gross business income
        return {
            "wage_income": Decimal(wage), "business_income": Decimal(business + expenses),
            "property_income": Decimal(property_), "policy_transfer_income": Decimal(policy),
            "other_transfer_income": Decimal(other), "production_expenses": Decimal(expenses),
        }


@dataclass
class Person:
    """A household member being drawn; the household's main cause or exit flaw may force the optional traits."""

    relation: str
    sex: str
    age: int
    health: str | None = None
    in_school: bool | None = None
    insured: bool | None = None


MALE, FEMALE = choices.Sex.MALE, choices.Sex.FEMALE
SEXES = (MALE, FEMALE)
HOUSING_GRADE = Picker({"A": 12, "B": 48, "C": 25, "D": 15})
H = choices.Health
HEALTH_BY_AGE = (
    Picker({H.HEALTHY: 96, H.CHRONIC: 2, H.SERIOUS: 0.5, H.DISABLED: 1.5}),
    Picker({H.HEALTHY: 82, H.CHRONIC: 10, H.SERIOUS: 3, H.DISABLED: 5}),
    Picker({H.HEALTHY: 50, H.CHRONIC: 35, H.SERIOUS: 7, H.DISABLED: 8}),
)
L = choices.LabourSkill
LABOUR_ADULT = Picker({L.ORDINARY: 80, L.SKILLED: 15, L.WEAK: 5})
LABOUR_ELDERLY = Picker({L.WEAK: 60, L.LOST: 20, L.NONE: 20})
SCHOOL_BY_AGE = {  # grades at AS_OF by age
    **{age: (S.PRIMARY,) for age in range(6, 12)},
    12: (S.GRADE_7,), 13: (S.GRADE_8,), 14: (S.GRADE_9,), 15: (S.GRADE_9, S.SENIOR_1, S.VOCATIONAL_1),
    16: (S.SENIOR_1, S.SENIOR_2, S.VOCATIONAL_2), 17: (S.SENIOR_2, S.SENIOR_3, S.VOCATIONAL_3),
    18: (S.SENIOR_3, S.HIGHER_VOCATIONAL_1, S.UNDERGRADUATE), 19: (S.HIGHER_VOCATIONAL_1, S.HIGHER_VOCATIONAL_2,
    S.UNDERGRADUATE), 20: (S.HIGHER_VOCATIONAL_2, S.HIGHER_VOCATIONAL_3, S.UNDERGRADUATE),
    21: (S.HIGHER_VOCATIONAL_3, S.UNDERGRADUATE), 22: (S.UNDERGRADUATE,),
}
STILL_IN_SCHOOL = {16: 0.65, 17: 0.6, 18: 0.35, 19: 0.3, 20: 0.25, 21: 0.2, 22: 0.1}


def opposite(sex: str) -> str:
    return FEMALE if sex == MALE else MALE


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


# ---------------------------------------------------------------------------------------------------- logins

DEMO_USERS = (
    ("county", Role.COUNTY_STAFF), ("auditor", Role.AUDITOR), ("township", Role.TOWNSHIP_CADRE),
    ("secretary", Role.FIRST_SECRETARY), ("pairing", Role.PAIRING_CADRE),
)


def _create_users(generator: CountyGenerator) -> list[str]:
    """One login per role scoped to the generated county, and a superuser; all with DEMO_PASSWORD."""
    users = get_user_model().objects
    # One hash for all: each PBKDF2 run costs ~0.5 s, and the demo password is public anyway.
    password = make_password(DEMO_PASSWORD)
    areas = {
        "township": {"township_id": generator.first_township},
        "secretary": {"township_id": generator.first_poor_township, "village_id": generator.first_poor_village,
                      "cadre_id": generator.secretary_cadre},
        "pairing": {"cadre_id": generator.pairing_user_cadre},
    }
    created = []
    for username, role in DEMO_USERS:
        area = areas.get(username, {})
        if any(value is None for value in area.values()):
            continue  # a county too small to have such a person
        user = users.create(username=username, password=password)
        StaffProfile.objects.create(user=user, role=role, **area)
        created.append(username)
    users.create(username="admin", password=password, is_staff=True, is_superuser=True)
    return created + ["admin"]
