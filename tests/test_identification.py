"""Identification rounds: bad files, every rule, preview, commit, re-import, scope (services level)."""
import datetime
import io

import pytest
from django.core.files.base import ContentFile
from openpyxl import Workbook, load_workbook

from households import choices
from households.models import Household, IncomeRecord, Member
from identification.choices import ChangeKind, RoundStatus
from identification.models import IdentificationRound
from identification.rules import person_findings
from identification.services import commit_round, snapshot_states, validate_round
from villages.models import VillageGroup

from . import factories
from .identification_workbooks import (
    CONTEXT_KINDS, HEADERS, PERSON_HEADERS, SIMPLE_KINDS, RoundBuilder, to_15_digits, write_workbook,
)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded workbooks and error reports go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path


def register_counts() -> dict:
    """Rows and history rows of everything a round may write."""
    counts = {
        model.__name__: (model.objects.count(), model.history.count()) for model in (Household, Member, IncomeRecord)
    }
    counts["VillageGroup"] = VillageGroup.objects.count()
    return counts


def checked_round(user, content: bytes, name="round.xlsx", **fields) -> IdentificationRound:
    profile = user.staff_profile
    round_ = IdentificationRound.objects.create(
        name=fields.pop("round_name", "2016年动态调整"), year=2016, kind="adjustment", created_by=user,
        township=fields.pop("township", profile.township), file=ContentFile(content, name=name), original_name=name,
        **fields,
    )
    validate_round(round_)
    round_.refresh_from_db()
    return round_


def committed(round_, user) -> IdentificationRound:
    assert round_.status == RoundStatus.VALIDATED, (round_.problem, list(round_.issues.values_list("row", "message")))
    assert commit_round(round_, user), round_.error
    round_.refresh_from_db()
    return round_


def errors_of(round_) -> set:
    return set(round_.issues.filter(severity="error").values_list("row", "rule"))


def builder_with(village, households=2, size=3, prefix="9100") -> RoundBuilder:
    builder = RoundBuilder(seed=3)
    for serial in range(households):
        builder.add_household(f"{prefix}{serial:06d}", village.code, size=size)
    return builder


# --- files that cannot be used ------------------------------------------------------------------------


def rejected(county, content: bytes, name="round.xlsx") -> IdentificationRound:
    before = register_counts()
    round_ = checked_round(county.users.county_staff, content, name)
    assert round_.status == RoundStatus.REJECTED
    assert register_counts() == before
    assert not round_.changes.exists()
    return round_


def test_it_rejects_a_file_that_is_not_a_workbook(county):
    round_ = rejected(county, "户编号,姓名\n1,张三\n".encode(), name="round.xlsx")
    assert "不是xlsx格式" in round_.problem


def test_it_rejects_an_old_xls_file(county):
    round_ = rejected(county, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert "旧版Excel(.xls)" in round_.problem


def test_it_rejects_an_empty_file(county):
    assert "0字节" in rejected(county, b"").problem


def test_it_rejects_a_damaged_zip(county):
    assert "已损坏" in rejected(county, b"PK\x03\x04" + b"garbage" * 50).problem


def test_it_rejects_a_workbook_without_the_round_sheet(county):
    book = Workbook()
    book.active.title = "汇总"
    book.active.append(["乡镇", "户数"])
    buffer = io.BytesIO()
    book.save(buffer)
    round_ = rejected(county, buffer.getvalue())
    assert "没有找到识别数据工作表" in round_.problem and "汇总" in round_.problem


def test_it_rejects_a_missing_column(county):
    rows = builder_with(county.villages[0]).rows()
    keep = [index for index, header in enumerate(HEADERS) if header != "与户主关系"]
    content = write_workbook([[row[i] for i in keep] for row in rows], headers=[HEADERS[i] for i in keep])
    round_ = rejected(county, content)
    assert "缺少必需的列:与户主关系" in round_.problem


def test_it_rejects_a_renamed_header_and_names_it(county):
    headers = ["证件号x" if header == "证件号码" else header for header in HEADERS]
    round_ = rejected(county, write_workbook(builder_with(county.villages[0]).rows(), headers=headers))
    assert "证件号码" in round_.problem and "证件号x" in round_.problem and "改了列名" in round_.problem


def test_it_accepts_known_aliases_and_other_column_orders(county):
    builder = builder_with(county.villages[0])
    aliases = {"证件号码": "身份证号码", "户编号": "户码", "务工时间(月)": "务工时间"}
    order = list(reversed(range(len(HEADERS))))
    content = write_workbook(
        [[row[i] for i in order] for row in builder.rows()],
        headers=[aliases.get(HEADERS[i], HEADERS[i]) for i in order],
    )
    round_ = checked_round(county.users.county_staff, content)
    assert round_.status == RoundStatus.VALIDATED and round_.rows == 6 and round_.new_households == 2


def workbook_bytes(fill) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "识别数据"
    fill(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_it_rejects_a_merged_header(county):
    rows = builder_with(county.villages[0]).rows()

    def fill(sheet):
        sheet.append(HEADERS)
        for row in rows:
            sheet.append(row)
        sheet.merge_cells("A1:C1")

    round_ = rejected(county, workbook_bytes(fill))
    assert "表头有合并单元格(A1:C1)" in round_.problem


def test_it_accepts_a_merged_title_above_the_header(county):
    rows = builder_with(county.villages[0]).rows()

    def fill(sheet):
        sheet.append(["示范县2016年动态调整识别数据"])
        sheet.merge_cells("A1:H1")
        sheet.append(HEADERS)
        for row in rows:
            sheet.append(row)

    round_ = checked_round(county.users.county_staff, workbook_bytes(fill))
    assert round_.status == RoundStatus.VALIDATED and round_.rows == 6


def test_unreadable_text_dates_are_errors_and_common_forms_are_not(county):
    builder = builder_with(county.villages[0], households=1, size=3)
    head, spouse, child = builder.households[0]
    born = [datetime.date(int(row["证件号码"][6:10]), int(row["证件号码"][10:12]), int(row["证件号码"][12:14]))
            for row in (head, spouse, child)]
    head["出生日期"] = f"{born[0].year}年{born[0].month}月{born[0].day}日"
    spouse["出生日期"] = f"{born[1].year}/{born[1].month}/{born[1].day}"
    child["出生日期"] = "2008-13-45"
    before = register_counts()
    round_ = checked_round(county.users.county_staff, builder.workbook())
    assert round_.status == RoundStatus.REJECTED
    assert errors_of(round_) == {(4, "not_date")}
    assert "2008-13-45" in round_.issues.get(rule="not_date").message
    assert register_counts() == before


def test_rows_outside_the_uploaders_scope_are_errors(county):
    """A township cadre's file naming another township's village, or a household registered there."""
    builder = builder_with(county.villages[0], households=3)
    builder.set_all(builder.households[1], "村代码", county.villages[1].code)
    builder.set_all(builder.households[2], "户编号", county.away.number)
    before = register_counts()
    round_ = checked_round(county.users.township_cadre, builder.workbook())
    assert round_.status == RoundStatus.REJECTED
    assert errors_of(round_) == {(5, "village_out_of_scope"), (8, "household_out_of_scope")}
    assert "不在您的录入范围内" in round_.issues.get(rule="village_out_of_scope").message
    assert register_counts() == before


# --- every rule, and no false one ---------------------------------------------------------------------


def test_each_seeded_error_is_reported_on_its_row_and_nothing_else(county):
    builder = RoundBuilder(seed=5)
    village = county.villages[0]
    clean = builder.add_household("9200000000", village.code, size=3)
    spouse = county.neighbour.members.get(relation=choices.Relation.SPOUSE)
    context = {
        "duplicate_in_file": {"source": clean[2], "source_household": clean},
        "village_out_of_scope": {"village_code": county.villages[1].code},
        "household_out_of_scope": {"number": county.away.number},
        "active_elsewhere": {"person": (spouse.id_number, spouse.get_sex_display())},
    }
    for serial, kind in enumerate((*SIMPLE_KINDS, *CONTEXT_KINDS), start=1):
        builder.seed(kind, builder.add_household(f"92{serial:08d}", village.code, size=3), **context.get(kind, {}))
    before = register_counts()
    round_ = checked_round(county.users.township_cadre, builder.workbook())
    assert round_.status == RoundStatus.REJECTED
    assert {rule for _row, rule in builder.expected} == {*SIMPLE_KINDS, *CONTEXT_KINDS}
    assert errors_of(round_) == builder.expected
    # The only warning: the household given another township's village code still says 甲村 in 行政村.
    out_of_scope = next(row for row, rule in builder.expected if rule == "village_out_of_scope")
    assert set(round_.issues.filter(severity="warning").values_list("row", "rule")) == {
        (out_of_scope, "village_name_mismatch")
    }
    assert register_counts() == before
    report = load_workbook(round_.error_report.path, read_only=True)["识别数据"]
    result = len(HEADERS)  # the column after the last one
    values = [[*row, *[None] * (result + 1 - len(row))] for row in report.iter_rows(values_only=True)]
    assert values[0][result] == "校验结果" and len(values) == 1 + builder_rows(builder)
    flagged = {index + 1 for index, row in enumerate(values[1:], start=1) if row[result]}
    assert flagged == set(round_.issues.exclude(row=None).values_list("row", flat=True))
    assert {row for row, _rule in builder.expected} <= flagged


def builder_rows(builder) -> int:
    return sum(map(len, builder.households))


def test_a_fifteen_digit_id_is_upgraded_with_a_warning(county):
    builder = builder_with(county.villages[0], households=1)
    head = builder.households[0][0]  # born in the 1900s, as every holder of an old number was
    full = head["证件号码"]
    head["证件号码"] = to_15_digits(full)
    round_ = checked_round(county.users.county_staff, builder.workbook())
    assert round_.status == RoundStatus.VALIDATED
    assert list(round_.issues.values_list("row", "rule")) == [(2, "id_notice")]
    committed(round_, county.users.county_staff)
    assert Member.objects.get(id_number=full).relation == choices.Relation.HEAD


def test_the_person_rules_run_on_register_records_too(county):
    """The same check a round runs on a row, applied to a member of the register (the 回头看 suspect check)."""
    member = county.home.members.get(relation=choices.Relation.SPOUSE)
    assert [item.rule.id for item in person_findings(member) if item.rule.severity == "error"] == []
    member.relation = choices.Relation.SON
    assert [item.rule.id for item in person_findings(member)].count("relation_vs_sex") == 1


# --- preview, commit, re-import -----------------------------------------------------------------------


def test_a_commit_writes_households_members_income_history_and_a_snapshot(county):
    user = county.users.county_staff
    builder = builder_with(county.villages[0], households=2, size=3)
    builder.households[0][0]["组"] = "新三组"
    builder.set_all(builder.households[0], "组", "新三组")
    round_ = committed(checked_round(user, builder.workbook()), user)
    household = Household.objects.get(number="9100000000")
    assert household.village == county.villages[0] and household.group.name == "新三组"
    assert household.members.filter(is_active=True).count() == 3
    assert household.attribute == choices.Attribute.GENERAL and household.other_causes == ["08", "09"]
    income = household.incomes.get(year=2016)
    assert (income.wage_income, income.policy_transfer_income, income.production_expenses) == (12000, 1800, 600)
    reasons = set(Household.history.filter(number="9100000000").values_list("history_change_reason", flat=True))
    assert reasons == {round_.audit_reason} and "2016年动态调整" in round_.audit_reason
    assert Member.history.filter(household_id=household.pk, history_user=user).count() == 3
    assert IncomeRecord.history.filter(household_id=household.pk, history_type="+").count() == 1
    snapshot = snapshot_states(round_)
    assert set(snapshot) == {"9100000000", "9100000001"} and len(snapshot["9100000000"].members) == 3
    assert round_.snapshots.get(household_number="9100000000").village == county.villages[0]


def test_reimporting_a_committed_file_changes_nothing(county):
    user = county.users.county_staff
    content = builder_with(county.villages[0], households=3).workbook()
    committed(checked_round(user, content), user)
    before = register_counts()
    again = checked_round(user, content, round_name="再次导入")
    assert (again.new_households, again.changed_households, again.persons_added, again.persons_removed,
            again.persons_moved) == (0, 0, 0, 0, 0)
    committed(again, user)
    assert register_counts() == before
    assert again.snapshots.count() == 3


def test_the_preview_lists_new_changed_absent_and_moved_and_writes_nothing(county):
    user = county.users.township_cadre
    first = builder_with(county.villages[0], households=3, size=4)
    committed(checked_round(user, first.workbook()), user)
    second = RoundBuilder(seed=11)
    second.used_ids = first.used_ids
    kept, changed, shrunk = first.households
    second.households = [list(map(dict, rows)) for rows in (changed, shrunk)]
    changed_rows, shrunk_rows = second.households
    second.set_all(changed_rows, "主要致贫原因", "因灾")
    second.set_all(changed_rows, "工资性收入", 15000)
    changed_rows[1]["健康状况"] = "患有大病"
    moved = shrunk_rows.pop()  # the last child moves to the changed household
    leaving = shrunk_rows.pop()  # the other child leaves the register
    second.set_all(shrunk_rows, "家庭人口数", 2)
    changed_rows.append({**changed_rows[0], **{key: moved[key] for key in PERSON_HEADERS}})
    second.set_all(changed_rows, "家庭人口数", 5)
    new = second.add_household("9300000000", county.villages[2].code, size=2)
    before = register_counts()
    round_ = checked_round(user, second.workbook(), round_name="回头看")
    assert register_counts() == before
    assert round_.status == RoundStatus.VALIDATED, list(round_.issues.values_list("row", "message"))
    kinds = {kind: set(round_.changes.filter(kind=kind).values_list("household_number", "name"))
             for kind in ChangeKind.values}
    absent_numbers = {number for number, _name in kinds[ChangeKind.HOUSEHOLD_ABSENT]}
    assert absent_numbers == {kept[0]["户编号"], county.home.number, county.neighbour.number}
    assert kinds[ChangeKind.HOUSEHOLD_NEW] == {("9300000000", new[0]["姓名"])}
    assert kinds[ChangeKind.PERSON_MOVED] == {(changed[0]["户编号"], moved["姓名"])}
    assert kinds[ChangeKind.PERSON_REMOVED] == {(shrunk[0]["户编号"], leaving["姓名"])}
    assert {number for number, _name in kinds[ChangeKind.HOUSEHOLD_CHANGED]} == {changed[0]["户编号"], shrunk[0]["户编号"]}
    lines = round_.changes.get(kind=ChangeKind.HOUSEHOLD_CHANGED, household_number=changed[0]["户编号"]).detail["lines"]
    assert ["", "main_cause", "主要致贫原因", changed[0]["主要致贫原因"], "因灾"] in lines
    assert ["收入", "wage_income", "工资性收入", "12000.00", "15000.00"] in lines
    assert [changed_rows[1]["姓名"], "health", "健康状况", changed[1]["健康状况"], "患有大病"] in lines
    assert (round_.new_households, round_.changed_households, round_.absent_households, round_.persons_moved,
            round_.persons_removed) == (1, 2, 3, 1, 1)

    committed(round_, user)
    target = Household.objects.get(number=changed[0]["户编号"])
    assert target.main_cause == choices.Cause.DISASTER and target.members.filter(is_active=True).count() == 5
    old_row = Member.objects.get(id_number=moved["证件号码"], is_active=False)
    assert old_row.household.number == shrunk[0]["户编号"] and f"迁至户{target.number}" in old_row.left_reason
    gone = Member.objects.get(id_number=leaving["证件号码"])
    assert not gone.is_active and f"识别批次#{round_.pk}未列入" in gone.left_reason
    assert Household.objects.filter(number=kept[0]["户编号"]).exists()  # absent: listed, never deleted
    assert target.incomes.get(year=2016).wage_income == 15000


def test_a_new_head_and_the_old_head_swap_places(county):
    user = county.users.county_staff
    first = builder_with(county.villages[0], households=1, size=3)
    committed(checked_round(user, first.workbook()), user)
    rows = [dict(row) for row in first.households[0]]
    rows[0]["与户主关系"], rows[1]["与户主关系"] = "配偶", "户主"
    second = RoundBuilder()
    second.households = [rows]
    second.set_all(rows, "户主姓名", rows[1]["姓名"])
    committed(checked_round(user, second.workbook()), user)
    head = Member.objects.get(household__number=rows[0]["户编号"], relation=choices.Relation.HEAD, is_active=True)
    assert head.id_number == rows[1]["证件号码"]


def test_a_commit_is_refused_when_the_register_moved_since_the_preview(county):
    user = county.users.county_staff
    builder = builder_with(county.villages[0], households=1)
    round_ = checked_round(user, builder.workbook())
    factories.household(county.villages[0], number=builder.households[0][0]["户编号"])  # someone registers it meanwhile
    before = register_counts()
    assert commit_round(round_, user) is False
    round_.refresh_from_db()
    assert round_.status == RoundStatus.VALIDATED and "已重新生成预览" in round_.error
    assert round_.changed_households == 1 and round_.new_households == 0
    assert register_counts() == before


def test_text_with_quotes_commas_backslashes_and_line_breaks_is_written_as_it_was(county):
    """The bulk load (COPY as CSV on PostgreSQL) must not mangle text a cadre typed; empty stays empty, not NULL."""
    user = county.users.county_staff
    builder = builder_with(county.villages[0], households=1)
    rows = builder.households[0]
    builder.set_all(rows, "组", '东,"新"\\片')
    rows[2]["姓名"] = "王\n小二"
    rows[2]["务工状况"] = ""
    committed(checked_round(user, builder.workbook()), user)
    household = Household.objects.get(number=rows[0]["户编号"])
    assert household.group.name == '东,"新"\\片'
    child = household.members.get(id_number=rows[2]["证件号码"])
    assert child.name == "王\n小二" and child.work_status == "" and child.disability_grade is None


def test_the_error_report_cell_is_added_to_every_form_of_row(monkeypatch):
    """Prefixed elements, self-closing rows, rows without r= and spans=, cut anywhere between two reads."""
    from identification import report

    monkeypatch.setattr(report, "READ_CHUNK", 7)
    sheet = (
        '<x:worksheet xmlns:x="s"><x:dimension ref="A1:B3"/><x:sheetData>'
        '<x:row r="1" spans="1:2"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row><x:row r="2"/>'
        '<x:row><x:c><x:v>3</x:v></x:c></x:row><x:row r="4"><x:c r="A4"><x:v>4</x:v></x:c></x:row>'
        '</x:sheetData></x:worksheet>'
    ).encode()
    out = io.BytesIO()
    report._add_column(io.BytesIO(sheet), out, {1: "校验结果", 2: "a<b&c\x01", 3: "三"}, "C")
    cell = '<x:c r="C{row}" t="inlineStr"><x:is><x:t>{text}</x:t></x:is></x:c>'
    assert out.getvalue().decode() == (
        '<x:worksheet xmlns:x="s"><x:dimension ref="A1:C3"/><x:sheetData>'
        f'<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c>{cell.format(row=1, text="校验结果")}</x:row>'
        f'<x:row r="2">{cell.format(row=2, text="a&lt;b&amp;c")}</x:row>'
        f'<x:row><x:c><x:v>3</x:v></x:c>{cell.format(row=3, text="三")}</x:row>'
        '<x:row r="4"><x:c r="A4"><x:v>4</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )


def test_a_commit_checks_again_when_a_person_was_registered_elsewhere_meanwhile(county):
    user = county.users.county_staff
    builder = builder_with(county.villages[0], households=1)
    round_ = checked_round(user, builder.workbook())
    child = builder.households[0][2]
    factories.member(county.neighbour, id_number=child["证件号码"], name=child["姓名"],
                     male=child["性别"] == "男", relation=choices.Relation.OTHER)
    before = register_counts()
    assert commit_round(round_, user) is False
    round_.refresh_from_db()
    assert round_.status == RoundStatus.REJECTED and "已重新校验" in round_.error
    assert errors_of(round_) == {(4, "active_elsewhere")}
    assert register_counts() == before


def test_an_id_whose_area_code_stdnum_half_knows_is_a_warning_not_a_crash():
    """stdnum 2.2 raises KeyError (not its ValidationError) for some codes such as 450112: a file must still read."""
    from households.idnumbers import parse_id_number

    from .identification_workbooks import id_number

    parsed = parse_id_number(id_number(datetime.date(1980, 1, 1), 11, area="450112"))
    assert parsed.sex == choices.Sex.MALE and any("450112" in notice for notice in parsed.warnings)
