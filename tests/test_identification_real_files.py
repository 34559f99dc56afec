"""Identification rounds on workbooks as township offices and the national system write them.

Headers with units and hints, formulas with (and without) their saved results, the national system's export
layout, people without ID numbers, everyday code-list words, numbers typed as text, and row problems that
span a household's rows. Each workbook is written as Excel saves it (tests.identification_workbooks).
"""
import datetime
from decimal import Decimal

from households import choices
from households.models import Household, IncomeRecord, Member
from identification.choices import ChangeKind, RoundStatus
from identification.columns import COLUMNS, HEADER_INDEX, header_key, match_column

from .identification_workbooks import (
    HEADERS, ErrorValue, Formula, OfficeSheet, RoundBuilder, SheetSpec, id_number, to_15_digits,
)
from .test_identification import checked_round, committed, media_in_tmp, register_counts  # noqa: F401

NATIONAL = {header: header for header in HEADERS}


def households(village, count=2, size=3, prefix="9600", seed=31) -> tuple[RoundBuilder, list]:
    builder = RoundBuilder(seed=seed)
    return builder, [builder.add_household(f"{prefix}{n:06d}", village.code, size=size) for n in range(count)]


def issues(round_, severity=None) -> set:
    rows = round_.issues.all() if severity is None else round_.issues.filter(severity=severity)
    return set(rows.values_list("row", "rule"))


def message(round_, rule: str, row: int | None = None) -> str:
    rows = round_.issues.filter(rule=rule)
    return (rows.get(row=row) if row is not None else rows.first()).message


# --- headers ------------------------------------------------------------------------------------------------

OFFICE_HEADERS = {
    "户编号": " 户编号 ", "家庭人口数": "家庭人口数\n（人）", "工资性收入": "工资性收入(元)",
    "生产经营性收入": "生产经营性收入（单位：元）", "财产性收入": "财产性收入\n单位:元", "转移性收入": "转移性收入[元]",
    "生产经营性支出": "*生产经营性支出（元）", "住房面积": "住房面积(㎡)", "证件号码": "证件号码\n（18位，文本格式）",
    "务工时间(月)": "务工时间（月）", "姓名": "姓 名", "是否参加城乡居民基本医疗保险": "是否参加城乡居民基本医疗保险【必填】",
    "村代码": "村代码（12位）", "与户主关系": "与户主\n关系",
}


def test_it_reads_headers_written_with_units_hints_line_breaks_and_spaces(county):
    _builder, rows = households(county.villages[0])
    sheet = OfficeSheet(rows, {header: OFFICE_HEADERS.get(header, header) for header in HEADERS})
    user = county.users.township_cadre
    round_ = checked_round(user, sheet.workbook())
    assert round_.status == RoundStatus.VALIDATED, round_.problem
    assert issues(round_) == set()
    committed(round_, user)
    income = IncomeRecord.objects.get(household__number=rows[0][0]["户编号"], year=2016)
    assert (income.wage_income, income.business_income, income.production_expenses) == (12000, 3000, 600)


def test_every_header_and_alias_of_the_table_names_its_own_column():
    """The template documents COLUMNS; the matcher reads with COLUMNS: each name finds its column, in any dress."""
    for column in COLUMNS:
        for rank, name in enumerate((column.header, *column.aliases)):
            for dressed in (name, f" {name}(元)", f"{name}\n（说明）", f"*{name}【必填】"):
                assert match_column(dressed) == (column, rank), dressed
    assert len(HEADER_INDEX) == sum(1 + len(column.aliases) for column in COLUMNS)  # no alias is another's twin
    assert header_key("工资性收入（单位：元）") == header_key("工 资 性 收 入") == "工资性收入"


def test_money_in_ten_thousands_refuses_the_file_and_says_so(county):
    _builder, rows = households(county.villages[0])
    sheet = OfficeSheet(rows, {**NATIONAL, "工资性收入": "工资性收入(万元)"})
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert round_.status == RoundStatus.REJECTED and "万元" in round_.problem and "工资性收入(万元)" in round_.problem


def test_title_rows_above_and_rows_of_units_and_column_numbers_below_the_header_are_skipped(county):
    _builder, rows = households(county.villages[0])
    units = ["(元)" if "收入" in header or "支出" in header else "" for header in HEADERS]
    numbers = list(range(1, len(HEADERS) + 1))
    sheet = OfficeSheet(rows, NATIONAL, above=[["示范县2016年贫困户动态调整信息表"], ["填报单位:甲镇(盖章)"]],
                        below=[units, numbers])
    instructions = SheetSpec("填表说明", [["一人一行,户的信息每行重复"]], hidden=True)
    round_ = checked_round(county.users.township_cadre, sheet.workbook(instructions, merged=("A1:H1",)))
    assert round_.status == RoundStatus.VALIDATED and round_.rows == 6, round_.problem
    assert issues(round_) == set()


# --- formulas -----------------------------------------------------------------------------------------------


def test_a_formula_is_read_at_its_saved_value_with_a_warning_naming_the_cell(county):
    _builder, rows = households(county.villages[0])
    first = rows[0]
    for row in first:
        row["工资性收入"] = Formula("1000*12", 12000)
        row["家庭人口数"] = Formula('COUNTIF(F:F,F3)', 3)
    sheet = OfficeSheet(rows, {**NATIONAL, "合计": "合计"})
    for row in rows[1]:
        row["合计"] = Formula("SUM(U4:X4)")  # a column the round does not read: its formula does not matter
    user = county.users.township_cadre
    round_ = checked_round(user, sheet.workbook())
    assert round_.status == RoundStatus.VALIDATED
    formula_rows = {(sheet.row_of(first, index), "formula_value") for index in range(3)}
    assert issues(round_) == formula_rows | {(None, "unknown_column")}
    warnings = set(round_.issues.filter(rule="formula_value", row=sheet.row_of(first, 1)).values_list("message", flat=True))
    assert warnings == {
        f"单元格{sheet.cell('工资性收入', first, 1)}是公式,已按其保存的计算结果“12000”读取。",
        f"单元格{sheet.cell('家庭人口数', first, 1)}是公式,已按其保存的计算结果“3”读取。",
    }
    committed(round_, user)
    assert IncomeRecord.objects.get(household__number=first[0]["户编号"]).wage_income == 12000


def test_a_formula_without_a_saved_value_is_an_error_on_its_own_row_only(county):
    builder, rows = households(county.villages[0], count=3)
    broken = rows[1]
    broken[2]["务工时间(月)"] = Formula("12-E5")  # e.g. a generator's file, never opened in Excel
    broken[1]["工资性收入"] = Formula("A1/0", ErrorValue("#DIV/0!"))
    sheet = OfficeSheet(rows, NATIONAL)
    before = register_counts()
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert round_.status == RoundStatus.REJECTED and not round_.problem  # the file is read, not refused
    assert issues(round_, "error") == {
        (sheet.row_of(broken, 2), "formula_without_value"), (sheet.row_of(broken, 1), "formula_without_value"),
    }
    assert sheet.cell("务工时间(月)", broken, 2) in message(round_, "formula_without_value", sheet.row_of(broken, 2))
    assert round_.rows == 9 and register_counts() == before


def test_the_formula_scan_finds_every_cell_whatever_the_read_size(monkeypatch):
    """Cells cut anywhere between two reads: the same formulas, the same verdict on their values."""
    import io
    import zipfile

    from identification import reader

    rows = [["a", "b", "c"]] + [[n, Formula(f"A{n}*2", n * 2), Formula(f"A{n}/0")] for n in range(2, 40)]
    part = zipfile.ZipFile(io.BytesIO(OfficeSheet([], {}).workbook(SheetSpec("s", rows)))).read(
        "xl/worksheets/sheet1.xml"
    )
    whole = reader.formula_cells(io.BytesIO(part), first_row=2)
    monkeypatch.setattr(reader, "FORMULA_CHUNK", 7)
    assert reader.formula_cells(io.BytesIO(part), first_row=2) == whole
    assert len(whole) == 38 and whole[5] == {1: reader.Formula("B5", True), 2: reader.Formula("C5", False)}


# --- the national system's export ------------------------------------------------------------------------------

EXPORT_HEADERS = [
    "序号", "县(市、区)", "乡(镇)", "行政村", "自然村", "户编号", "人员编号", "户主姓名", "姓名", "性别", "证件号码",
    "与户主关系", "人数", "民族", "文化程度", "在校生情况", "健康状况", "劳动技能", "务工状况", "务工时间",
    "是否参加城乡居民基本医疗保险", "是否参加大病保险", "是否参加城乡居民基本养老保险", "是否享受低保", "是否特困供养",
    "识别标准", "贫困户属性", "主要致贫原因", "贫困户状态", "识别年度", "是否危房户", "饮水是否安全", "人均纯收入",
]
EXPORT_OF = {  # the national layout's header → the export's
    "县": "县(市、区)", "乡镇": "乡(镇)", "组": "自然村", "家庭人口数": "人数", "在校生状况": "在校生情况",
    "务工时间(月)": "务工时间", "脱贫状态": "贫困户状态", "是否危房": "是否危房户",
}


def test_it_reads_the_national_system_export_and_says_what_it_lacks(county):
    builder = RoundBuilder(seed=41)
    village = county.villages[0]
    rows = [builder.add_household(f"97000000{n:02d}", village.code, size=4 - n) for n in range(2)]
    for household in rows:
        for serial, row in enumerate(household, start=1):
            row.update({"乡镇": village.township.name, "行政村": village.name, "组": "黄泥塘", "人员编号": f"{serial:02d}",
                        "是否危房": "否", "人均纯收入": "3,650.50"})
    headers = {next((national for national, export in EXPORT_OF.items() if export == header), header): header
               for header in EXPORT_HEADERS}
    sheet = OfficeSheet(rows, headers)
    user = county.users.township_cadre
    round_ = checked_round(user, sheet.workbook())
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("message", flat=True))
    file_level = dict(round_.issues.filter(row=None).values_list("rule", "message"))
    assert {"village_by_name", "per_capita_only", "columns_not_imported"} <= file_level.keys()
    assert "序号" in file_level["columns_not_imported"] and "人员编号" in file_level["columns_not_imported"]
    missing = set(round_.issues.filter(rule="missing_column").values_list("message", flat=True))
    assert any("工资性收入" in text for text in missing) and any("危房等级" in text for text in missing)
    assert issues(round_) == {(None, rule) for rule in file_level} | {(None, "missing_column")}
    committed(round_, user)
    household = Household.objects.get(number="9700000000")
    assert household.village == village and household.group.name == "黄泥塘"
    assert household.was_dangerous_house is False and household.housing_grade == ""
    income = household.incomes.get(year=2016)
    assert income.business_income == Decimal("3650.50") * 4
    assert (income.wage_income, income.property_income, income.policy_transfer_income,
            income.production_expenses) == (0, 0, 0, 0)
    assert income.per_capita_net_income(4) == Decimal("3650.50")


def test_per_capita_income_beside_the_parts_is_checked_against_them(county):
    _builder, rows = households(county.villages[0], count=2, size=3)
    for row in rows[0]:
        row["人均纯收入"] = 5394  # (12000 + 3000 + 0 + 1800 − 600) / 3 = 5400
    for row in rows[1]:
        row["人均纯收入"] = 5400
    sheet = OfficeSheet(rows, {**NATIONAL, "人均纯收入": "人均纯收入(元)"})
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert issues(round_) == {(sheet.row_of(rows[0]), "per_capita_mismatch")}
    assert "5400.00" in message(round_, "per_capita_mismatch") and rows[0][0]["户编号"] in message(round_, "per_capita_mismatch")


def test_a_village_name_the_register_lacks_is_an_error_on_the_household(county):
    builder = RoundBuilder(seed=43)
    household = builder.add_household("9710000000", county.villages[0].code, 2, 乡镇="甲镇", 行政村="不存在村")
    nameless = builder.add_household("9710000001", county.villages[0].code, 2, 乡镇="甲镇", 行政村="")
    sheet = OfficeSheet([household, nameless], {header: header for header in HEADERS if header != "村代码"})
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert issues(round_, "error") == {(sheet.row_of(household), "village_name_unknown"),
                                       (sheet.row_of(nameless), "required")}
    assert "甲镇不存在村" in message(round_, "village_name_unknown")


# --- cells as people type them -----------------------------------------------------------------------------------


def an_id_ending_in_x(builder, born: datetime.date, male: bool) -> str:
    for serial in range(1, 999, 2):
        number = id_number(born, serial if male else serial + 1)
        if number.endswith("X") and number not in builder.used_ids:
            return number
    raise AssertionError("no X in 500 serials")


def test_id_numbers_and_numbers_typed_every_which_way_are_read_as_meant(county):
    builder, rows = households(county.villages[0], count=2, size=3)
    head, spouse, child = rows[0]
    plain = {id(row): row["证件号码"] for row in rows[0]}
    head["证件号码"] = head["证件号码"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    spouse_id = an_id_ending_in_x(builder, datetime.date(1970, 3, 3), male=False)
    spouse.update({"证件号码": f"{spouse_id[:6]} {spouse_id[6:14]} {spouse_id[14:].lower()}", "出生日期": "1970年3月3日"})
    old = rows[1][0]  # born 1950–1985: an old 15-digit card
    old_full = old["证件号码"]
    old["证件号码"] = to_15_digits(old_full)
    for row in rows[0]:
        row.update({"家庭人口数": "３", "工资性收入": "12,000", "生产经营性收入": "３，０００元", "住房面积": "85.5平方米",
                    "识别年度": "2014年"})
    child.update({"是否参加城乡居民基本医疗保险": "√", "是否参加大病保险": "×", "是否享受低保": "无", "务工时间(月)": ""})
    user = county.users.township_cadre
    round_ = checked_round(user, OfficeSheet(rows, NATIONAL).workbook())
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("message", flat=True))
    upgraded = OfficeSheet(rows, NATIONAL).row_of(rows[1])
    assert issues(round_) == {(upgraded, "id_notice")} and "15位" in message(round_, "id_notice")
    committed(round_, user)
    members = {m.id_number: m for m in Member.objects.filter(household__number=head["户编号"])}
    assert set(members) == {plain[id(head)], spouse_id, plain[id(child)]}
    assert members[spouse_id].birth_date == datetime.date(1970, 3, 3)
    assert Member.objects.filter(id_number=old_full, relation=choices.Relation.HEAD).exists()
    kid = members[plain[id(child)]]
    assert (kid.has_medical_insurance, kid.has_serious_illness_insurance, kid.receives_subsistence) == (True, False, False)
    household = Household.objects.get(number=head["户编号"])
    assert household.housing_area == Decimal("85.50") and household.year_identified == 2014
    income = household.incomes.get()
    assert (income.wage_income, income.business_income) == (12000, 3000)


def test_messages_show_numbers_as_they_were_typed(county):
    _builder, rows = households(county.villages[0], count=1)
    for row in rows[0]:
        row["生产经营性收入"] = -300
        row["家庭人口数"] = 3.5
    round_ = checked_round(county.users.township_cadre, OfficeSheet(rows, NATIONAL).workbook())
    negative, size = message(round_, "negative"), message(round_, "not_integer")
    assert "-300)" in negative and "-300.0" not in negative and "“3.5”" in size


def test_school_stages_map_to_a_grade_only_when_the_word_names_one(county):
    builder = RoundBuilder(seed=47)
    household = builder.add_household("9720000000", county.villages[0].code, size=5)
    household[2]["在校生状况"], household[3]["在校生状况"], household[4]["在校生状况"] = "小学", "初一", "初中"
    sheet = OfficeSheet([household], NATIONAL)
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert issues(round_, "error") == {(sheet.row_of(household, 4), "code_ambiguous")}
    assert "七年级、八年级、九年级" in message(round_, "code_ambiguous") and "“初中”" in message(round_, "code_ambiguous")
    household[4]["在校生状况"] = "初三"
    user = county.users.township_cadre
    committed(checked_round(user, sheet.workbook(), round_name="改正后"), user)
    grades = Member.objects.filter(household__number="9720000000").exclude(school_status="")
    assert set(grades.values_list("school_status", flat=True)) == {
        choices.SchoolStatus.PRIMARY, choices.SchoolStatus.GRADE_7, choices.SchoolStatus.GRADE_9,
    }


def test_an_unknown_code_list_word_lists_what_may_be_written(county):
    _builder, rows = households(county.villages[0], count=1)
    rows[0][1]["健康状况"] = "很好"
    round_ = checked_round(county.users.township_cadre, OfficeSheet(rows, NATIONAL).workbook())
    assert "可填:健康、长期慢性病、患有大病、残疾" in message(round_, "code_list")


# --- people without ID numbers ------------------------------------------------------------------------------


def test_members_without_id_numbers_are_imported_and_matched_within_their_household(county):
    builder, rows = households(county.villages[0], count=2, size=2)
    born = datetime.date(2020, 3, 1)
    baby = {**rows[0][1], "姓名": "黄小妹", "证件号码": "未办理身份证", "性别": "女", "与户主关系": "之女",
            "出生日期": born, "文化程度": "", "在校生状况": "学龄前儿童", "健康状况": "健康"}
    # The same name and birth date in another household: another person, never a duplicate.
    twin = {**rows[1][1], **{key: baby[key] for key in ("姓名", "性别", "出生日期", "文化程度", "在校生状况")},
            "证件号码": "", "无证件原因": "户口待登记", "与户主关系": "之女"}
    rows[0].append(baby)
    rows[1].append(twin)
    for household in rows:
        builder.set_all(household, "家庭人口数", 3)
    headers = {**NATIONAL, "无证件原因": "无证件原因"}
    user = county.users.township_cadre
    round_ = checked_round(user, OfficeSheet(rows, headers).workbook())
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("message", flat=True))
    assert round_.persons_added == 6
    committed(round_, user)
    without = Member.objects.filter(id_number="", name="黄小妹").order_by("household__number")
    assert [(m.household.number, m.id_missing_reason, m.sex, m.birth_date) for m in without] == [
        (rows[0][0]["户编号"], choices.IdMissingReason.NOT_ISSUED, choices.Sex.FEMALE, born),
        (rows[1][0]["户编号"], choices.IdMissingReason.UNREGISTERED, choices.Sex.FEMALE, born),
    ]
    # Again, with the baby now ill: the same member changes; nobody is added or removed.
    baby["健康状况"] = "患有大病"
    again = checked_round(user, OfficeSheet(rows, headers).workbook(), round_name="再次导入")
    assert (again.changed_households, again.persons_added, again.persons_removed, again.persons_moved) == (1, 0, 0, 0)
    lines = again.changes.get(kind=ChangeKind.HOUSEHOLD_CHANGED).detail["lines"]
    assert ["黄小妹", "health", "健康状况", "健康", "患有大病"] in lines
    before = Member.objects.count()
    committed(again, user)
    assert Member.objects.count() == before
    assert without.get(household__number=rows[0][0]["户编号"]).health == choices.Health.SERIOUS


def test_members_without_id_numbers_need_a_birth_date_and_are_not_listed_twice(county):
    builder, rows = households(county.villages[0], count=2, size=2)
    nameless = {"证件号码": "无", "性别": "男", "与户主关系": "之子", "出生日期": "2021-06-01", "文化程度": "",
                "在校生状况": "学龄前儿童", "姓名": "韦小明"}
    rows[0] += [{**rows[0][1], **nameless}, {**rows[0][1], **nameless}]
    rows[1].append({**rows[1][1], **nameless, "出生日期": ""})
    builder.set_all(rows[0], "家庭人口数", 4)
    builder.set_all(rows[1], "家庭人口数", 3)
    sheet = OfficeSheet(rows, NATIONAL)
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert issues(round_, "error") == {
        (sheet.row_of(rows[0], 2), "duplicate_without_id"), (sheet.row_of(rows[0], 3), "duplicate_without_id"),
        (sheet.row_of(rows[1], 2), "no_id_details"),
    }
    assert str(sheet.row_of(rows[0], 3)) in message(round_, "duplicate_without_id", sheet.row_of(rows[0], 2))


# --- housing ---------------------------------------------------------------------------------------------------


def test_dangerous_house_yes_no_and_blank(county):
    user = county.users.township_cadre
    home = county.home
    Household.objects.filter(pk=home.pk).update(was_dangerous_house=True)
    builder = RoundBuilder(seed=53)
    safe = builder.add_household("9730000000", county.villages[0].code, 2, 是否危房="否", 危房等级="")
    unknown = builder.add_household("9730000001", county.villages[0].code, 2, 是否危房="", 危房等级="")
    existing = builder.add_household(home.number, home.village.code, 2, 是否危房="", 危房等级="")
    for row, member in zip(existing, home.members.order_by("relation")):
        row.update({"证件号码": member.id_number, "姓名": member.name, "性别": member.get_sex_display(),
                    "出生日期": member.birth_date})
    builder.set_all(existing, "户主姓名", existing[0]["姓名"])
    round_ = checked_round(user, OfficeSheet([safe, unknown, existing], NATIONAL).workbook())
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("message", flat=True))
    committed(round_, user)
    dangerous = dict(Household.objects.filter(number__in=[safe[0]["户编号"], unknown[0]["户编号"], home.number])
                     .values_list("number", "was_dangerous_house"))
    assert dangerous == {safe[0]["户编号"]: False, unknown[0]["户编号"]: None, home.number: True}


# --- problems that span a household's rows -------------------------------------------------------------------


def test_problems_of_several_rows_are_reported_on_each_with_the_household_number(county):
    builder, rows = households(county.villages[0], count=3, size=3)
    two_heads, disagreeing, phone_once = rows
    two_heads[1]["与户主关系"] = "户主"
    disagreeing[2]["识别年度"] = 2015
    disagreeing[1]["贫困户属性"] = "一般户"  # the same value written another way: no disagreement
    for row in phone_once[1:]:
        row["联系电话"] = ""  # household columns filled on the head's row only
    sheet = OfficeSheet(rows, NATIONAL)
    round_ = checked_round(county.users.township_cadre, sheet.workbook())
    assert issues(round_, "error") == {
        (sheet.row_of(two_heads, 0), "several_heads"), (sheet.row_of(two_heads, 1), "several_heads"),
        *((sheet.row_of(disagreeing, index), "rows_disagree") for index in range(3)),
    }
    for index in range(3):
        text = message(round_, "rows_disagree", sheet.row_of(disagreeing, index))
        assert disagreeing[0]["户编号"] in text and "识别年度" in text and "2015" in text and "2014" in text
    heads = message(round_, "several_heads", sheet.row_of(two_heads, 0))
    assert two_heads[0]["户编号"] in heads and f"{sheet.row_of(two_heads, 0)}、{sheet.row_of(two_heads, 1)}" in heads
    numbers = dict(round_.issues.filter(rule="several_heads").values_list("row", "household_number"))
    assert set(numbers.values()) == {two_heads[0]["户编号"]}


def test_a_member_registered_without_an_id_number_keeps_their_row_when_one_is_given(county):
    """Data cleaning: the next round writes the new number on the same member (same household, name, birth date)."""
    builder, rows = households(county.villages[0], count=1, size=3)
    child = rows[0][2]
    number, born = child["证件号码"], datetime.date(int(child["证件号码"][6:10]), int(child["证件号码"][10:12]),
                                                   int(child["证件号码"][12:14]))
    child.update({"证件号码": "未办理身份证", "出生日期": born})
    user = county.users.township_cadre
    committed(checked_round(user, OfficeSheet(rows, NATIONAL).workbook()), user)
    member = Member.objects.get(household__number=rows[0][0]["户编号"], name=child["姓名"])
    assert (member.id_number, member.id_missing_reason) == ("", choices.IdMissingReason.NOT_ISSUED)
    child["证件号码"] = number
    round_ = checked_round(user, OfficeSheet(rows, NATIONAL).workbook(), round_name="补录证件号码")
    assert (round_.changed_households, round_.persons_added, round_.persons_removed) == (1, 0, 0)
    committed(round_, user)
    member.refresh_from_db()
    assert (member.id_number, member.id_missing_reason, member.is_active) == (number, "", True)
    assert Member.objects.filter(household__number=rows[0][0]["户编号"]).count() == 3
