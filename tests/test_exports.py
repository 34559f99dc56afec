"""Ledger exports (台账): each role's area only, masked personal data logged once, the list's filter, flat query count."""
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from households import choices
from households.models import Member
from households.rules import per_capita_net_income
from povertyapp import xlsx
from povertyapp.exports import XLSX_CONTENT_TYPE, export_transaction
from povertyapp.masking import mask_account, mask_id_number, mask_phone
from povertyapp.models import PersonalDataAccess

from . import factories

ROLES = ["county_staff", "auditor", "township_cadre", "first_secretary", "pairing_cadre"]
HOUSEHOLDS_IN_VIEW = {  # the county fixture's households each role may see
    "county_staff": {"home", "away", "neighbour"},
    "auditor": {"home", "away", "neighbour"},
    "township_cadre": {"home", "neighbour"},
    "first_secretary": {"home"},
    "pairing_cadre": {"home"},
}
VILLAGES_IN_VIEW = {  # indexes into county.villages: (甲村, 乙村, 甲二村)
    "county_staff": {0, 1, 2},
    "auditor": {0, 1, 2},
    "township_cadre": {0, 2},
    "first_secretary": {0},
    "pairing_cadre": {0},
}
FLAT_LAYOUT = (  # /work/shared/domain/README.md, "Identification-round workbook"
    "县, 乡镇, 行政村, 村代码, 组, 户编号, 户主姓名, 家庭人口数, 联系电话, 识别标准, 贫困户属性, 主要致贫原因, 其他致贫原因, "
    "脱贫状态, 识别年度, 脱贫年度, 是否危房, 危房等级, 饮水是否安全, 住房面积, 工资性收入, 生产经营性收入, 财产性收入, "
    "转移性收入, 生产经营性支出, 姓名, 性别, 证件号码, 与户主关系, 民族, 文化程度, 在校生状况, 健康状况, 劳动技能, 务工状况, "
    "务工时间(月), 是否参加城乡居民基本医疗保险, 是否参加大病保险, 是否参加城乡居民基本养老保险, 是否享受低保, 是否特困供养"
).split(", ")


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows(response):
    header, *body = workbook(response).active.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in body]


def export(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(name), params)


@pytest.mark.parametrize("role", ROLES)
def test_each_ledger_holds_only_the_roles_area(client, county, role):
    user = getattr(county.users, role)
    households = [getattr(county, name) for name in HOUSEHOLDS_IN_VIEW[role]]

    ledger = rows(export(client, user, "households:export_households"))
    assert sorted(row["户编号"] for row in ledger) == sorted(h.number for h in households)

    members = rows(export(client, user, "households:export_members"))
    expected = Member.objects.filter(household__in=households, is_active=True)
    assert sorted((row["户编号"], row["姓名"]) for row in members) == sorted(
        (m.household.number, m.name) for m in expected
    )

    villages = rows(export(client, user, "villages:export_villages"))
    assert sorted(row["村代码"] for row in villages) == sorted(county.villages[i].code for i in VILLAGES_IN_VIEW[role])


def test_a_filter_outside_the_scope_does_not_widen_the_export(client, county):
    away_village = county.villages[1]
    ledger = rows(export(client, county.users.township_cadre, "households:export_households", village=away_village.pk))
    assert county.away.number not in {row["户编号"] for row in ledger}
    villages = rows(
        export(client, county.users.township_cadre, "villages:export_villages", township=away_village.township_id)
    )
    assert away_village.code not in {row["村代码"] for row in villages}


def test_exports_need_a_login(client, county):
    response = client.get(reverse("households:export_members"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def with_personal_data(household):
    household.phone, household.bank_account = "13812345678", "6228480012345678901"
    household.save()
    return household


@pytest.mark.parametrize("role", ["auditor", "pairing_cadre", "first_secretary"])
def test_personal_data_is_masked_for_roles_without_the_right(client, county, role):
    home = with_personal_data(county.home)
    head = home.members.get(relation=choices.Relation.HEAD)
    user = getattr(county.users, role)

    (row,) = rows(export(client, user, "households:export_households", q=home.number, reveal=1))
    assert row["户主证件号码"] == mask_id_number(head.id_number) != head.id_number
    assert row["联系电话"] == mask_phone(home.phone)
    assert row["银行账号"] == mask_account(home.bank_account)

    members = rows(export(client, user, "households:export_members", q=home.number))
    assert {row["证件号码"] for row in members} == {mask_id_number(m.id_number) for m in home.members.all()}
    assert not PersonalDataAccess.objects.exists()


def test_county_staff_get_masked_values_unless_they_ask(client, county):
    home = with_personal_data(county.home)
    (row,) = rows(export(client, county.users.county_staff, "households:export_households", q=home.number))
    assert row["联系电话"] == mask_phone(home.phone)
    assert not PersonalDataAccess.objects.exists()


def test_county_staff_get_full_values_on_request_and_each_export_is_logged_once(client, county):
    home = with_personal_data(county.home)
    user = county.users.county_staff

    (row,) = rows(export(client, user, "households:export_households", q=home.number, reveal=1))
    assert row["户主证件号码"] == home.members.get(relation=choices.Relation.HEAD).id_number
    assert (row["联系电话"], row["银行账号"]) == (home.phone, home.bank_account)
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.channel, log.object_type, log.record_count) == (user, "export", "household", 1)
    assert log.object_ids == f"filter: q={home.number}"

    members = rows(export(client, user, "households:export_members", reveal=1))
    assert {row["证件号码"] for row in members} == set(Member.objects.values_list("id_number", flat=True))
    log = PersonalDataAccess.objects.exclude(pk=log.pk).get()
    assert (log.object_type, log.record_count, log.object_ids) == ("member", len(members), "filter: (none)")

    rows(export(client, user, "villages:export_villages", reveal=1))  # no personal columns: nothing to log
    assert PersonalDataAccess.objects.count() == 2


def test_the_filter_of_the_list_narrows_the_export(client, county):
    user = county.users.county_staff
    township_b = county.townships[1]
    ledger = rows(export(client, user, "households:export_households", township=township_b.pk))
    assert [row["户编号"] for row in ledger] == [county.away.number]

    someone = county.neighbour.members.first()
    members = rows(export(client, user, "households:export_members", q=someone.id_number))
    assert {row["户编号"] for row in members} == {county.neighbour.number}
    assert len(members) == county.neighbour.members.count()

    villages = rows(export(client, user, "villages:export_villages", township=township_b.pk))
    assert [row["村代码"] for row in villages] == [county.villages[1].code]


def test_the_list_buttons_carry_the_list_filter(client, county):
    client.force_login(county.users.county_staff)
    township = county.townships[0].pk
    page = client.get(reverse("households:list"), {"township": township, "page": 1}).content.decode()
    for name in ("households:export_households", "households:export_members"):
        assert f'href="{reverse(name)}?township={township}"' in page
    page = client.get(reverse("villages:list"), {"township": township}).content.decode()
    assert f'href="{reverse("villages:export_villages")}?township={township}"' in page


def test_columns_follow_the_flat_layout_with_chinese_labels(client, county):
    home = county.home
    home.other_causes = [choices.Cause.LACK_OF_LABOUR, choices.Cause.LACK_OF_CAPITAL]
    home.housing_grade = choices.HousingGrade.C
    home.save()
    factories.income(home, year=2016)
    record = factories.income(
        home, year=2017, wage_income=Decimal("10000"), policy_transfer_income=Decimal("1200.50"),
        other_transfer_income=Decimal("300"), production_expenses=Decimal("800"),
    )
    user = county.users.county_staff

    book = workbook(export(client, user, "households:export_members", q=home.number))
    header = [cell.value for cell in next(book.active.iter_rows(max_row=1))]
    assert header[: len(FLAT_LAYOUT)] == FLAT_LAYOUT
    head = next(row for row in rows(export(client, user, "households:export_members", q=home.number))
                if row["与户主关系"] == "户主")
    assert (head["脱贫状态"], head["主要致贫原因"], head["其他致贫原因"]) == ("未脱贫", "因病", "缺劳力、缺资金")
    assert (head["贫困户属性"], head["是否危房"], head["危房等级"], head["性别"]) == ("一般贫困户", "是", "C级(危房)", "男")
    assert (head["收入年度"], head["工资性收入"], head["转移性收入"]) == (2017, 10000, 1500.5)

    (row,) = rows(export(client, user, "households:export_households", q=home.number))
    size = home.members.filter(is_active=True).count()
    assert row["家庭人口数"] == size
    assert Decimal(str(row["人均纯收入"])) == record.per_capita_net_income(size) == per_capita_net_income(
        wage=10000, business=3000, property_=0, transfers=Decimal("1500.50"), expenses=800, household_size=size
    )


def test_village_ledger_figures(client, county):
    village = county.villages[0]
    factories.household(village, members=3, status=choices.Status.EXITED_WITH_POLICY, exit_year=2017)
    (row,) = rows(export(client, county.users.county_staff, "villages:export_villages", code=village.code))
    # 甲村: the fixture's home (2 persons, poor) and the exited household (3 persons); 1,000 registered persons.
    assert (row["建档立卡户数"], row["在册人口"], row["未脱贫人口"], row["户籍人口"]) == (2, 5, 2, 1000)
    assert (row["贫困发生率(%)"], row["贫困村"], row["乡镇"]) == (0.2, "是", "甲镇")


def test_text_that_looks_like_a_formula_stays_text(client, county):
    member = county.home.members.first()
    Member.objects.filter(pk=member.pk).update(name="=1+2")
    book = workbook(export(client, county.users.county_staff, "households:export_members", q=county.home.number))
    header = [cell.value for cell in book.active[1]]
    names = [row[header.index("姓名")] for row in book.active.iter_rows(min_row=2)]
    formula = next(cell for cell in names if cell.value == "=1+2")
    assert formula.data_type == "s"


def test_cells_keep_their_types_and_awkward_text_its_characters(client, county):
    head = county.home.members.get(relation=choices.Relation.HEAD)
    Member.objects.filter(pk=head.pk).update(name=" 李<&>\x01四 ")  # edge spaces, XML specials, a control character
    book = workbook(export(client, county.users.county_staff, "households:export_members", q=county.home.number))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    relation = header.index("与户主关系")
    cells = next(dict(zip(header, row)) for row in sheet.iter_rows(min_row=2) if row[relation].value == "户主")
    assert cells["姓名"].value == " 李<&>四 "  # the control character is dropped: XML cannot hold it
    assert (cells["出生日期"].value, cells["出生日期"].number_format) == (
        datetime.datetime.combine(head.birth_date, datetime.time()), "yyyy-mm-dd"
    )
    assert (cells["家庭人口数"].data_type, cells["家庭人口数"].value) == ("n", county.home.members.filter(is_active=True).count())
    assert (cells["户编号"].data_type, cells["户编号"].value) == ("s", county.home.number)  # leading zeros kept
    assert cells["证件号码"].data_type == "s"


LEDGERS = ["households:export_households", "households:export_members", "villages:export_villages"]


@pytest.mark.parametrize("name", LEDGERS)
def test_query_count_does_not_grow_with_rows(client, county, name):
    client.force_login(county.users.county_staff)

    def count_queries():
        with CaptureQueriesContext(connection) as context:
            response = client.get(reverse(name))
        assert len(rows(response)) > 0
        return len(context)

    before = count_queries()
    for village in county.villages:
        for _ in range(4):
            household = factories.household(village, members=4)
            factories.income(household)
            factories.pairing(county.cadre, household)
    assert count_queries() == before


def test_postgresql_plans_the_export_queries_without_jit(db):
    if connection.vendor != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    with export_transaction(), connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def write(rows, headers=("甲", "乙"), widths=(10, 14)):
    output = io.BytesIO()
    count = xlsx.write_xlsx(output, "成员台账", list(headers), list(widths), rows)
    output.seek(0)
    return count, output


def test_the_writer_keeps_values_and_text_exactly():
    row = [
        "=SUM(A1:A2)", "+1", " 两端空格 ", "a<b>&c\x01d", "_x0041_", "x" * 40000, datetime.date(2017, 3, 1),
        datetime.datetime(2018, 5, 6, 7, 8, 9), Decimal("1500.50"), 7, 2.5, True, None, "",
    ]
    count, output = write([row], headers=[f"列{n}" for n in range(len(row))], widths=[12] * len(row))
    assert count == 1
    sheet = load_workbook(output).active
    assert [sheet.column_dimensions[letter].width for letter in "AB"] == [12, 12]
    cells = list(sheet.iter_rows(min_row=2))[0]
    assert [cell.data_type for cell in cells[:6]] == ["s"] * 6  # text, never a formula or a number
    assert cells[6].number_format == "yyyy-mm-dd" and cells[7].number_format == "yyyy-mm-dd hh:mm:ss"
    # python-calamine (an independent reader) honours Excel's _xHHHH_ escapes as Excel does; openpyxl does not.
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(output.getvalue())).get_sheet_by_index(0)
    values = sheet.to_python(skip_empty_area=False)[1]
    assert values == [
        "=SUM(A1:A2)", "+1", " 两端空格 ", "a<b>&cd", "_x0041_", "x" * xlsx.MAX_TEXT, datetime.date(2017, 3, 1),
        datetime.datetime(2018, 5, 6, 7, 8, 9), 1500.5, 7, 2.5, True, "", "",
    ]


def test_a_ledger_longer_than_a_sheet_goes_on_in_the_next_one(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # the header and two rows per sheet
    count, output = write([n, f"第{n}行"] for n in range(5))
    book = load_workbook(output)
    assert count == 5
    assert book.sheetnames == ["成员台账", "成员台账 (2)", "成员台账 (3)"]
    assert [list(sheet.values) for sheet in book] == [
        [("甲", "乙"), (0, "第0行"), (1, "第1行")], [("甲", "乙"), (2, "第2行"), (3, "第3行")], [("甲", "乙"), (4, "第4行")],
    ]
    count, output = write([n, ""] for n in range(4))  # two full sheets: no empty third one
    assert (count, load_workbook(output).sheetnames) == (4, ["成员台账", "成员台账 (2)"])
    count, output = write([])
    assert (count, [list(sheet.values) for sheet in load_workbook(output)]) == (0, [[("甲", "乙")]])
