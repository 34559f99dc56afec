"""HouseholdResult keyed by (run, household), foreign keys unchecked; recreated (results are derived data)."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exits", "0003_exit_threshold_proxy"),
        ("households", "0001_initial"),
        ("villages", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="HouseholdResult"),
        migrations.CreateModel(
            name="HouseholdResult",
            fields=[
                ("pk", models.CompositePrimaryKey("run", "household", blank=True, editable=False, primary_key=True,
                                                  serialize=False)),
                ("run", models.ForeignKey(
                    db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="household_results", to="exits.eligibilityrun",
                )),
                ("household", models.ForeignKey(
                    db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name="exit_results",
                    to="households.household",
                )),
                ("village", models.ForeignKey(
                    db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="+", to="villages.village", verbose_name="行政村",
                )),
                ("status", models.CharField(max_length=1, verbose_name="脱贫状态")),
                ("passed", models.BooleanField(verbose_name="达标")),
                ("failed_mask", models.PositiveSmallIntegerField(default=0, verbose_name="未达标项")),
                ("member_count", models.PositiveSmallIntegerField(verbose_name="在册人数")),
                ("has_income_record", models.BooleanField(verbose_name="有收入记录")),
                ("per_capita_cents", models.BigIntegerField(null=True, verbose_name="人均纯收入(分)")),
                ("food_and_clothing_secure", models.BooleanField(verbose_name="不愁吃穿")),
                ("children_out_of_school", models.PositiveSmallIntegerField(verbose_name="适龄失学人数")),
                ("uninsured_members", models.PositiveSmallIntegerField(verbose_name="未参保人数")),
                ("housing_grade", models.CharField(blank=True, max_length=1, verbose_name="住房安全等级")),
                ("was_dangerous_house", models.BooleanField(verbose_name="曾为危房")),
                ("house_renovated", models.BooleanField(verbose_name="危房已改造")),
                ("safe_drinking_water", models.BooleanField(verbose_name="饮水安全")),
                ("visit_date", models.DateField(null=True, verbose_name="最近走访日期")),
                ("visit_insecure_mask", models.PositiveSmallIntegerField(default=0, verbose_name="走访不达标项")),
            ],
            options={"verbose_name": "户检测结果", "verbose_name_plural": "户检测结果"},
        ),
        migrations.AlterField(
            model_name="villageresult",
            name="run",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="village_results",
                to="exits.eligibilityrun",
            ),
        ),
    ]
