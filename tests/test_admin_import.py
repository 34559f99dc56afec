"""Admin import (django-import-export) of villages, cadres, postings and pairings: scoped, validated, all or nothing."""
import datetime

import pytest
import tablib
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import CSV

from households.models import Pairing
from households.resources import PairingResource
from villages.models import Cadre, FirstSecretaryPosting, Village
from villages.resources import CadreResource, FirstSecretaryPostingResource, VillageResource

from . import factories

VILLAGE_HEADERS = ["村代码", "行政村", "乡镇代码", "贫困村", "计划出列年度", "实际出列年度"]
PAIRING_HEADERS = ["干部编号", "户编号", "开始日期", "结束日期"]
POSTING_HEADERS = ["干部编号", "村代码", "开始日期", "结束日期"]


def staff(user, *models):
    """Let `user` into the admin with view/add/change rights on `models` (their role still scopes them)."""
    user.is_staff = True
    user.save()
    codenames = [f"{action}_{model._meta.model_name}" for model in models for action in ("view", "add", "change")]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def upload(client, model, headers, rows):
    """POST a CSV to the model's admin import page (the dry run); returns the response."""
    model_admin = admin.site._registry[model]
    csv_format = next(i for i, f in enumerate(model_admin.get_import_formats()) if f is CSV)
    dataset = tablib.Dataset(*rows, headers=headers)
    meta = model._meta
    return client.post(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_import"),
        {"format": str(csv_format), "resource": "0",
         "import_file": SimpleUploadedFile("data.csv", dataset.csv.encode(), content_type="text/csv")},
    )


def import_through_admin(client, model, headers, rows):
    """Dry run, then confirm, as a person clicking through the admin would."""
    dry_run = upload(client, model, headers, rows)
    assert dry_run.status_code == 200
    result = dry_run.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), errors_of(result)
    meta = model._meta
    confirm = dry_run.context["confirm_form"]
    response = client.post(reverse(f"admin:{meta.app_label}_{meta.model_name}_process_import"), confirm.initial)
    assert response.status_code == 302
    return result


def errors_of(result) -> str:
    """Every message of a rejected import, as one text."""
    messages = [str(error.error) for _row, errors in result.row_errors() for error in errors]
    messages += [str(error.error) for error in result.base_errors]
    for invalid in result.invalid_rows:
        messages += [str(m) for field_messages in invalid.error_dict.values() for m in field_messages]
    return " | ".join(messages)


def rejected(response) -> str:
    """The dry run's messages; asserts the admin offers no confirm button."""
    assert response.status_code == 200
    assert "confirm_form" not in response.context
    result = response.context["result"]
    assert result.has_errors() or result.has_validation_errors()
    return errors_of(result)


def snapshot():
    return (
        sorted(Village.objects.values_list("code", "name", "township_id", "is_poor")),
        sorted(Pairing.objects.values_list("cadre_id", "household_id", "start_date", "end_date")),
        sorted(FirstSecretaryPosting.objects.values_list("cadre_id", "village_id", "start_date", "end_date")),
        Cadre.objects.count(),
        Village.history.count(), Pairing.history.count(), FirstSecretaryPosting.history.count(),
    )


def test_county_staff_import_villages_and_the_audit_trail_records_it(client, county):
    user = staff(county.users.county_staff, Village)
    client.force_login(user)
    township_b, existing = county.townships[1], county.villages[0]
    import_through_admin(client, Village, VILLAGE_HEADERS, [
        ("450481209901", "新建村", township_b.code, "是", 2019, ""),
        (existing.code, "甲村(更名)", existing.township.code, "否", "", ""),
    ])
    created = Village.objects.get(code="450481209901")
    assert (created.name, created.township, created.is_poor) == ("新建村", township_b, True)
    assert created.planned_exit_year == 2019
    existing.refresh_from_db()
    assert (existing.name, existing.is_poor) == ("甲村(更名)", False)
    assert existing.history.first().history_user == user  # row-by-row saves keep django-simple-history's audit trail


def test_reimporting_the_same_file_changes_nothing(client, county):
    client.force_login(staff(county.users.county_staff, Village))
    village = county.villages[0]
    rows = [(village.code, village.name, village.township.code, "是", "", "")]
    before = snapshot()
    result = import_through_admin(client, Village, VILLAGE_HEADERS, rows)
    assert result.totals["skip"] == 1
    assert snapshot() == before


def test_a_bad_village_code_rejects_the_whole_file(client, county):
    client.force_login(staff(county.users.county_staff, Village))
    before = snapshot()
    township = county.townships[0].code
    response = upload(client, Village, VILLAGE_HEADERS, [
        ("450481209902", "好村", township, "是", "", ""),
        ("4504812", "坏村", township, "是", "", ""),
        ("450481209903", "错乡镇村", "999999999999", "是", "", ""),
        ("450481209904", "错标志村", township, "也许", "二〇一八", ""),
    ])
    messages = rejected(response)
    assert "村代码应为12位数字" in messages
    assert "乡镇“999999999999”不存在或不在您的管辖范围内" in messages
    assert "应填写“是”或“否”" in messages and "“二〇一八”不是整数" in messages
    assert snapshot() == before


def test_a_township_cadre_cannot_import_villages_of_another_township(client, county):
    client.force_login(staff(county.users.township_cadre, Village))
    own, other = county.townships
    before = snapshot()
    response = upload(client, Village, VILLAGE_HEADERS, [
        ("450481209905", "本镇新村", own.code, "是", "", ""),
        ("450481209906", "外镇新村", other.code, "是", "", ""),
        (county.villages[1].code, "改外镇的村", own.code, "是", "", ""),
    ])
    messages = rejected(response)
    assert f"乡镇“{other.code}”不存在或不在您的管辖范围内" in messages
    assert "村代码" in messages  # the other township's village code exists: it cannot be taken over
    assert snapshot() == before

    import_through_admin(client, Village, VILLAGE_HEADERS, [("450481209905", "本镇新村", own.code, "是", "", "")])
    assert Village.objects.get(code="450481209905").township == own


def test_pairings_import_by_cadre_and_household_number(client, county):
    client.force_login(staff(county.users.county_staff, Pairing))
    helper = factories.cadre("王帮扶")
    rows = [(helper.pk, county.away.number, "2017/3/1", ""), (helper.pk, county.neighbour.number, "2017年3月1日", "")]
    import_through_admin(client, Pairing, PAIRING_HEADERS, rows)
    assert set(helper.pairings.values_list("household__number", "start_date")) == {
        (county.away.number, datetime.date(2017, 3, 1)), (county.neighbour.number, datetime.date(2017, 3, 1)),
    }
    before = snapshot()
    result = import_through_admin(client, Pairing, PAIRING_HEADERS, rows)
    assert result.totals["skip"] == 2 and snapshot() == before


def test_a_pairing_outside_the_importers_scope_rejects_the_file(client, county):
    client.force_login(staff(county.users.township_cadre, Pairing))
    before = snapshot()
    response = upload(client, Pairing, PAIRING_HEADERS, [
        (county.cadre.pk, county.neighbour.number, "2017-03-01", ""),  # in 甲镇: fine on its own
        (county.cadre.pk, county.away.number, "2017-03-01", ""),  # in 乙镇
        (county.cadre.pk, "NO-SUCH-HOUSEHOLD", "2017-03-01", ""),
        (county.cadre.pk, county.home.number, "2017-03-01", "2016-01-01"),  # ends before it starts
    ])
    messages = rejected(response)
    assert f"贫困户“{county.away.number}”不存在或不在您的管辖范围内" in messages
    assert "贫困户“NO-SUCH-HOUSEHOLD”不存在" in messages
    assert "结束日期不能早于开始日期" in messages
    assert snapshot() == before


def test_one_current_first_secretary_per_village(client, county):
    client.force_login(staff(county.users.county_staff, FirstSecretaryPosting))
    first, second = factories.cadre("赵书记"), factories.cadre("钱书记")
    village = county.villages[0]
    before = snapshot()
    rejected(upload(client, FirstSecretaryPosting, POSTING_HEADERS, [
        (first.pk, village.code, "2016-01-01", ""), (second.pk, village.code, "2017-01-01", ""),
    ]))
    assert snapshot() == before

    import_through_admin(client, FirstSecretaryPosting, POSTING_HEADERS, [
        (first.pk, village.code, "2016-01-01", "2017-12-31"), (second.pk, village.code, "2018-01-01", ""),
    ])
    assert list(village.secretary_postings.active().values_list("cadre", flat=True)) == [second.pk]


def test_a_rejected_row_rolls_back_the_rows_before_it_outside_the_admin_too(county):
    """The admin's confirm step (and any code) imports with dry_run=False: a row that fails then still undoes all."""
    before = snapshot()
    dataset = tablib.Dataset(
        (county.cadre.pk, county.villages[0].code, "2016-01-01", ""),
        (county.cadre.pk, "not-a-code", "2016-01-01", ""),
        headers=POSTING_HEADERS,
    )
    result = FirstSecretaryPostingResource(user=county.users.county_staff).import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert snapshot() == before


def test_resources_without_a_user_find_nothing(county):
    dataset = tablib.Dataset((county.cadre.pk, county.home.number, "2016-01-01", ""), headers=PAIRING_HEADERS)
    result = PairingResource().import_data(dataset, dry_run=True)
    assert result.has_validation_errors()


def test_cadre_ids_outside_the_scope_are_refused(county):
    outsider = factories.cadre("外县干部")  # serves nowhere in 甲镇
    dataset = tablib.Dataset(
        ("", "新干部", "甲镇政府", "13900000000"), (outsider.pk, "改名", "某单位", ""),
        headers=["干部编号", "姓名", "工作单位", "联系电话"],
    )
    before = snapshot()
    result = CadreResource(user=county.users.township_cadre).import_data(dataset, dry_run=False)
    assert f"编号为{outsider.pk}的记录不存在或不在您的管辖范围内" in errors_of(result)
    assert snapshot() == before
    outsider.refresh_from_db()
    assert outsider.name == "外县干部"


@pytest.mark.parametrize("role", ["auditor", "pairing_cadre"])
def test_roles_without_capture_rights_cannot_import(client, county, role):
    client.force_login(staff(getattr(county.users, role), Village, Pairing))
    assert client.get(reverse("admin:villages_village_import")).status_code == 403
    assert client.get(reverse("admin:households_pairing_import")).status_code == 403
    changelist = client.get(reverse("admin:villages_village_changelist"))
    assert changelist.status_code == 200 and reverse("admin:villages_village_import") not in changelist.content.decode()


def test_admin_export_holds_only_the_users_area(client, county):
    client.force_login(staff(county.users.township_cadre, Village))
    model_admin = admin.site._registry[Village]
    csv_format = next(i for i, f in enumerate(model_admin.get_export_formats()) if f is CSV)
    response = client.post(
        reverse("admin:villages_village_export"),
        {"format": str(csv_format), "resource": "0",
         **{f"villageresource_{name}": "on" for name in VillageResource.fields}},
    )
    assert response.status_code == 200
    exported = tablib.Dataset().load(response.content.decode("utf-8-sig"), format="csv")
    assert sorted(exported["村代码"]) == sorted(v.code for v in (county.villages[0], county.villages[2]))
