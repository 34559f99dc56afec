"""Preload the 2014–2020 poverty lines of the domain notes and the usual village exit indicators (editable data)."""
from decimal import Decimal

from django.db import migrations

# (year, kind, amount, verified, note): (u) figures in shared/domain are loaded unverified.
LINES = [
    (2014, "national", "2800", False, "常用参考值,未核实"),
    (2014, "exit_check", "2800", False, "常用参考值,未核实"),
    (2015, "national", "2855", True, ""),
    (2015, "exit_check", "2968", True, ""),
    (2016, "national", "2952", True, ""),
    (2016, "exit_check", "3146", True, ""),
    (2017, "exit_check", "3335", True, ""),
    (2018, "exit_check", "3535", True, ""),
    (2019, "exit_check", "3747", False, "常用参考值,未核实"),
    (2020, "exit_check", "4000", False, "约4000元(近似值),请按省里文件核定"),
]

# (code, name, requires_amount, minimum_amount, counts, order)
INDICATORS = [
    ("road", "通硬化路", False, None, True, 10),
    ("electricity", "通动力电", False, None, True, 20),
    ("broadband", "通宽带", False, None, True, 30),
    ("clinic", "有标准化卫生室和村医", False, None, True, 40),
    ("culture_room", "有综合文化服务中心", False, None, False, 50),
    ("collective_income", "村集体经济收入", True, "50000", True, 60),
]


def load(apps, schema_editor):
    PovertyLine = apps.get_model("exits", "PovertyLine")
    VillageIndicator = apps.get_model("exits", "VillageIndicator")
    for year, kind, amount, verified, note in LINES:
        PovertyLine.objects.get_or_create(
            year=year, kind=kind, defaults={"amount": Decimal(amount), "verified": verified, "note": note}
        )
    for code, name, requires_amount, minimum, counts, order in INDICATORS:
        VillageIndicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "requires_amount": requires_amount, "counts": counts, "order": order,
                "minimum_amount": Decimal(minimum) if minimum else None,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("exits", "PovertyLine").objects.filter(
        year__in=[line[0] for line in LINES], kind__in=[line[1] for line in LINES]
    ).delete()
    apps.get_model("exits", "VillageIndicator").objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("exits", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
