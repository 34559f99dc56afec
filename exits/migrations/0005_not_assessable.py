"""Three outcomes (passed / failed / not assessable), income compared exactly, the 危房户 flag may be unrecorded.

Results stored before keep their rows and are restated under the new rules from the facts they kept, so
that their pages and counts agree with what exits.rules renders from them:
- a household without active members had "members" failed: now members and income are gaps;
- a household without a ledger for the year had "income" failed: now income is a gap;
- a blank housing grade with the dangerous-house flag unset failed housing ("未鉴定"): that flag now means
  "recorded as not a dangerous house", which is safe (unless the visit found the housing insecure);
- net income was not kept, only the per-capita figure rounded to the fen: per capita × persons stands in
  for it, which gives the same income verdict as before (the exact comparison applies to new runs);
- a village without a population figure has an unknown incidence test (was "not below the threshold").
"""
from django.db import migrations, models

# exits.rules criterion bits as of this migration.
MEMBERS, INCOME, HOUSING = 1, 2, 32
ALL = 127
FAILING = {"income": 2, "food_clothing": 4, "education": 8, "medical": 16, "housing": 32, "water": 64}
GAPS = {"members": 1, "income": 2, "housing": 32}


def restate(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    results = quote(apps.get_model("exits", "HouseholdResult")._meta.db_table)
    villages = quote(apps.get_model("exits", "VillageResult")._meta.db_table)
    Run = apps.get_model("exits", "EligibilityRun")
    for statement in (
        f"UPDATE {results} SET net_income_cents = per_capita_cents * member_count WHERE per_capita_cents IS NOT NULL",
        f"UPDATE {results} SET gap_mask = {MEMBERS | INCOME}, failed_mask = failed_mask & {ALL & ~(MEMBERS | INCOME)}"
        " WHERE member_count = 0",
        f"UPDATE {results} SET gap_mask = gap_mask | {INCOME}, failed_mask = failed_mask & {ALL & ~INCOME}"
        " WHERE member_count > 0 AND NOT has_income_record",
        f"UPDATE {results} SET failed_mask = failed_mask & {ALL & ~HOUSING} WHERE housing_grade = ''"
        f" AND NOT was_dangerous_house AND NOT house_renovated AND (visit_insecure_mask & {HOUSING}) = 0",
        f"UPDATE {results} SET passed = (failed_mask = 0 AND gap_mask = 0)",
        f"UPDATE {villages} SET below_threshold = NULL WHERE registered_persons IS NULL OR registered_persons = 0",
        f"UPDATE {villages} SET progress = 'unknown' WHERE below_threshold IS NULL AND progress = 'behind'",
    ):
        schema_editor.execute(statement)
    sums = ", ".join(
        [f"SUM(CASE WHEN (failed_mask & {bit}) <> 0 THEN 1 ELSE 0 END)" for bit in FAILING.values()]
        + [f"SUM(CASE WHEN (gap_mask & {bit}) <> 0 THEN 1 ELSE 0 END)" for bit in GAPS.values()]
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT run_id, SUM(CASE WHEN passed THEN 1 ELSE 0 END), SUM(CASE WHEN gap_mask <> 0 THEN 1 ELSE 0 END),"
            f" {sums} FROM {results} GROUP BY run_id"
        )
        households = cursor.fetchall()
        cursor.execute(f"SELECT run_id, COUNT(*) FROM {villages} WHERE below_threshold IS NULL GROUP BY run_id")
        without_population = dict(cursor.fetchall())
    for run_id, passed, not_assessable, *by_criterion in households:
        failed, lacking = by_criterion[:len(FAILING)], by_criterion[len(FAILING):]
        Run.objects.filter(pk=run_id).update(
            households_passed=passed, households_not_assessable=not_assessable,
            failure_counts=dict(zip(FAILING, failed)), gap_counts=dict(zip(GAPS, lacking)),
        )
    for run_id, count in without_population.items():
        Run.objects.filter(pk=run_id).update(villages_without_population=count)


class Migration(migrations.Migration):
    dependencies = [("exits", "0004_lean_household_results")]

    operations = [
        migrations.AddField(
            model_name="eligibilityrun", name="households_not_assessable",
            field=models.PositiveIntegerField(default=0, verbose_name="无法评估户数"),
        ),
        migrations.AddField(
            model_name="eligibilityrun", name="gap_counts",
            field=models.JSONField(default=dict, verbose_name="各项无法评估户数"),
        ),
        migrations.AddField(
            model_name="eligibilityrun", name="villages_without_population",
            field=models.PositiveIntegerField(default=0, verbose_name="无户籍人口数的村"),
        ),
        migrations.AddField(
            model_name="householdresult", name="gap_mask",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="无法评估项"),
        ),
        migrations.AddField(
            model_name="householdresult", name="net_income_cents",
            field=models.BigIntegerField(null=True, verbose_name="纯收入(分)"),
        ),
        migrations.AlterField(
            model_name="householdresult", name="was_dangerous_house",
            field=models.BooleanField(null=True, verbose_name="危房户"),
        ),
        migrations.AlterField(
            model_name="villageresult", name="below_threshold",
            field=models.BooleanField(null=True, verbose_name="发生率达标"),
        ),
        migrations.RunPython(restate, migrations.RunPython.noop),
        migrations.RemoveField(model_name="householdresult", name="has_income_record"),
        migrations.RemoveField(model_name="householdresult", name="per_capita_cents"),
    ]
