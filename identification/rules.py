"""The checks of an identification round, each a named rule: id, severity and a Chinese message.

Cell rules fire while a workbook is read (identification.columns raises CellProblem
with their id). The person, household and registry checks take plain records whose
attributes carry the register's field names (a column missing from the file is
ABSENT), so a 回头看 suspect run can apply the same rules to the register itself.
Errors block a commit; warnings are shown and do not.
"""
import dataclasses
import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from households import choices
from households.idnumbers import IdNumberError, parse_id_number
from households.rules import per_capita_net_income

from .choices import Severity
from .columns import ABSENT, INCOME_FIELDS

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    message: str

    def render(self, params: dict) -> str:
        return str(self.message) % params if params else str(self.message)


_RULES = [
    # Cells (identification.columns; formulas: identification.reader)
    Rule("required", ERROR, _("“%(column)s”不能为空。")),
    Rule("too_long", ERROR, _("“%(column)s”超过%(max_length)d个字符。")),
    Rule("code_list", ERROR, _("“%(value)s”不是“%(column)s”的有效值,可填:%(allowed)s。")),
    Rule("code_ambiguous", ERROR, _("“%(value)s”不能确定是“%(column)s”的哪一项(可能是%(candidates)s),请填写其中一项。")),
    Rule("not_integer", ERROR, _("“%(column)s”应为整数(当前为“%(value)s”)。")),
    Rule("out_of_range", ERROR, _("“%(column)s”应在%(minimum)s到%(maximum)s之间(当前为%(value)s)。")),
    Rule("not_number", ERROR, _("“%(column)s”应为数字(当前为“%(value)s”)。")),
    Rule("negative", ERROR, _("“%(column)s”不能为负数(当前为%(value)s)。")),
    Rule("not_date", ERROR, _("“%(value)s”不是有效日期,请填写如1980-05-17的日期。")),
    Rule("village_code_format", ERROR, _("村代码应为12位数字(当前为“%(value)s”)。")),
    Rule("household_number_format", ERROR, _("户编号只能由字母、数字和“-”组成,最长20位(当前为“%(value)s”)。")),
    Rule("phone_format", ERROR, _("联系电话格式不正确(当前为“%(value)s”)。")),
    Rule("id_as_number", ERROR, _("证件号码被存成了数字,末几位已经丢失;请把该列设为文本格式后重新填写。")),
    Rule("formula_value", WARNING, _("单元格%(cell)s是公式,已按其保存的计算结果“%(value)s”读取。")),
    Rule("formula_without_value", ERROR, _(
        "单元格%(cell)s是公式,但文件中没有保存它的计算结果(或结果是错误值)。请在Excel中打开、重新计算并保存,或改填数值。"
    )),
    # A person
    Rule("id_invalid", ERROR, "%(reason)s"),
    Rule("id_notice", WARNING, "%(reason)s"),
    Rule("id_required", ERROR, _(
        "证件号码不能为空。没有证件的成员请在证件号码或“无证件原因”中填写“未办理身份证”或“户口待登记”,并填写出生日期和性别。"
    )),
    Rule("id_and_reason", WARNING, _("已有证件号码,“无证件原因”已忽略。")),
    Rule("no_id_details", ERROR, _("无证件号码的成员须填写出生日期和性别(表中须有“出生日期”列)。")),
    Rule("birth_date_implausible", ERROR, _("出生日期%(date)s不合理,应在1900年1月1日至今天之间。")),
    Rule("sex_vs_id", ERROR, _("性别“%(sex)s”与证件号码中的性别(%(id_sex)s)不符。")),
    Rule("birth_date_vs_id", ERROR, _("出生日期%(date)s与证件号码中的出生日期%(id_date)s不符。")),
    Rule("relation_vs_sex", ERROR, _("与户主关系“%(relation)s”与性别(%(sex)s)不符。")),
    Rule("education_or_school", ERROR, _("文化程度与在校生状况须且只能填写一项。")),
    Rule("months_worked", ERROR, _("务工时间应在0到12个月之间(当前为%(value)s)。")),
    # A household (several rows: reported on each of them)
    Rule("no_head", ERROR, _("户%(number)s没有户主(与户主关系为“户主”的成员)。")),
    Rule("several_heads", ERROR, _("户%(number)s有%(count)d名户主(第%(rows)s行),每户只能有一名。")),
    Rule("head_name", ERROR, _("户%(number)s的户主姓名“%(head_name)s”与户主行的姓名“%(name)s”不一致。")),
    Rule("household_size", ERROR, _("户%(number)s的家庭人口数%(size)s与本户在表中的%(rows)d行不符。")),
    Rule("rows_disagree", ERROR, _("户%(number)s各行的“%(column)s”不一致(%(values)s),同一户各行须相同。")),
    Rule("exit_year_missing", ERROR, _("户%(number)s已脱贫,须填写脱贫年度。")),
    Rule("dangerous_house_grade", ERROR, _(
        "户%(number)s的是否危房与危房等级不一致:危房为C级或D级,非危房不应为C级或D级。"
    )),
    Rule("per_capita_mismatch", WARNING, _(
        "户%(number)s的人均纯收入%(given)s与各项收入算出的%(computed)s不一致;已按各项收入导入。"
    )),
    # Against the rest of the file and the register
    Rule("duplicate_in_file", ERROR, _("证件号码与第%(other_rows)s行重复,同一人只能出现一次。")),
    Rule("duplicate_without_id", ERROR, _(
        "户%(number)s中第%(other_rows)s行也是同名、同出生日期的无证件成员,同一人只能出现一次。"
    )),
    Rule("active_elsewhere", ERROR, _("该证件号码已是户%(number)s的在册成员(该户不在本批次中),同一人不能在两户。")),
    Rule("village_unknown", ERROR, _("村代码%(code)s不存在。")),
    Rule("village_out_of_scope", ERROR, _("村代码%(code)s(%(village)s)不在您的录入范围内。")),
    Rule("village_name_unknown", ERROR, _("登记册中没有“%(township)s%(village)s”这个行政村,请核对名称或填写村代码。")),
    Rule("village_name_ambiguous", ERROR, _("有多个名为“%(village)s”的行政村,请填写乡镇名称或村代码。")),
    Rule("village_name_mismatch", WARNING, _("村代码%(code)s在登记册中是“%(registered)s”,表中写的是“%(village)s”。")),
    Rule("household_out_of_scope", ERROR, _("户编号%(number)s已登记在%(village)s,不在您的录入范围内。")),
    # The file's columns
    Rule("unknown_column", WARNING, _("未识别的列“%(header)s”,已忽略。")),
    Rule("missing_column", WARNING, _("缺少列“%(header)s”,该项不导入也不更新。")),
    Rule("column_shadowed", WARNING, _("列“%(ignored)s”与列“%(used)s”是同一项,已按“%(used)s”导入。")),
    Rule("columns_not_imported", WARNING, _("以下列本系统不导入:%(headers)s。")),
    Rule("village_by_name", WARNING, _("表中没有村代码,已按乡镇和行政村名称在登记册中查找行政村。")),
    Rule("per_capita_only", WARNING, _(
        "表中只有人均纯收入,没有分项收入:每户的纯收入按人均纯收入×家庭人口数计入生产经营性收入,"
        "其他分项和生产经营性支出记为0。"
    )),
]
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}

EXITED = {choices.Status.EXITED, choices.Status.EXITED_WITH_POLICY}
DANGEROUS_GRADES = {choices.HousingGrade.C, choices.HousingGrade.D}
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


@dataclass(frozen=True)
class Finding:
    rule: Rule
    field: str = ""  # the column's field; "" for the row or household as a whole
    params: dict = dataclasses.field(default_factory=dict)
    row: int | None = None  # where it shows; None: the record's own row

    @property
    def message(self) -> str:
        return self.rule.render(self.params)


def finding(rule_id: str, field_name: str = "", row: int | None = None, **params) -> Finding:
    return Finding(RULES[rule_id], field_name, params, row)


def _labels(code_list, value) -> str:
    return str(dict(code_list.choices).get(value, value))


def member_key(id_number: str, name: str, birth_date) -> str:
    """Who a member is within a household: the ID number, or for a person without one name and birth date.

    The second form never looks like an ID number, so a person without one is never matched with
    anyone in another household, nor with another person without one.
    """
    if id_number:
        return id_number
    born = birth_date.isoformat() if hasattr(birth_date, "isoformat") else birth_date
    return f"{name}#{born}"


def has_id(key: str) -> bool:
    """Whether a member_key() is an ID number."""
    return "#" not in key


def person_findings(person, local_area_codes=(), today: datetime.date | None = None) -> list[Finding]:
    """ID number (or why there is none, with birth date and sex), sex and birth date against the ID, relation
    against sex, education or school status, months worked.

    Sets person.parsed_id (households.idnumbers.ParsedId) when the ID number is valid. `local_area_codes`: the
    county's own area codes (villages.models.AreaCode), never worth a warning.
    """
    found = []
    person.parsed_id = None
    sex = person.sex
    if person.id_number:
        try:
            parsed = parse_id_number(person.id_number, today, local_area_codes)
        except IdNumberError as exc:
            return [finding("id_invalid", "id_number", reason=str(exc))]
        person.parsed_id, sex = parsed, parsed.sex
        found += [finding("id_notice", "id_number", reason=str(notice)) for notice in parsed.warnings]
        if person.sex and person.sex != parsed.sex:
            found.append(finding(
                "sex_vs_id", "sex", sex=_labels(choices.Sex, person.sex), id_sex=_labels(choices.Sex, parsed.sex)
            ))
        if person.birth_date and person.birth_date != parsed.birth_date:
            found.append(
                finding("birth_date_vs_id", "birth_date", date=person.birth_date, id_date=parsed.birth_date)
            )
        if person.id_missing_reason:
            found.append(finding("id_and_reason", "id_missing_reason"))
    elif person.id_number is ABSENT:
        pass  # a cell that could not be read: its own error says why
    elif not person.id_missing_reason:
        found.append(finding("id_required", "id_number"))
    elif not (person.birth_date and person.sex):
        found.append(finding("no_id_details", "birth_date"))
    elif not EARLIEST_BIRTH <= person.birth_date <= (today or datetime.date.today()):
        found.append(finding("birth_date_implausible", "birth_date", date=person.birth_date))
    implied = choices.sex_implied_by(person.relation)
    if implied and sex and implied != sex:
        found.append(finding(
            "relation_vs_sex", "relation", relation=_labels(choices.Relation, person.relation),
            sex=_labels(choices.Sex, sex),
        ))
    if ABSENT not in (person.education, person.school_status) and bool(person.education) == bool(person.school_status):
        found.append(finding("education_or_school", "school_status"))
    if person.months_worked and person.months_worked > 12:
        found.append(finding("months_worked", "months_worked", value=person.months_worked))
    return found


def _rows(rows) -> str:
    return "、".join(str(row) for row in rows)


def household_findings(household, persons: list) -> list[Finding]:
    """One head; head's name and household size as stated; exit year; dangerous house against its grade.

    Two heads are reported on each head's row; the rest on the household's first row.
    """
    found = []
    number = household.number
    heads = [person for person in persons if person.relation == choices.Relation.HEAD]
    relations_known = all(person.relation is not ABSENT for person in persons)
    if not heads and relations_known:
        found.append(finding("no_head", "relation", number=number))
    if len(heads) > 1:
        rows = _rows(head.row for head in heads)
        found += [
            finding("several_heads", "relation", head.row, number=number, count=len(heads), rows=rows)
            for head in heads
        ]
    if len(heads) == 1 and household.head_name and heads[0].name and household.head_name != heads[0].name:
        found.append(finding("head_name", "head_name", number=number, head_name=household.head_name,
                             name=heads[0].name))
    if household.size and household.size != len(persons):
        found.append(finding("household_size", "size", number=number, size=household.size, rows=len(persons)))
    if household.status in EXITED and household.exit_year is None:
        found.append(finding("exit_year_missing", "exit_year", number=number))
    # A grade left blank says nothing either way; a grade that contradicts 是否危房 is an error.
    if ABSENT not in (household.is_dangerous, household.housing_grade) and household.housing_grade:
        if household.is_dangerous != (household.housing_grade in DANGEROUS_GRADES):
            found.append(finding("dangerous_house_grade", "housing_grade", number=number))
    found += check_per_capita(household, len(persons))
    return found


def check_per_capita(household, rows: int) -> list[Finding]:
    """人均纯收入 given beside the income parts must be what they give (to the yuan)."""
    parts = [getattr(household, name) for name in INCOME_FIELDS]
    if household.per_capita_income in (ABSENT, None) or ABSENT in parts:
        return []
    wage, business, property_, transfers, expenses = (part or 0 for part in parts)
    computed = per_capita_net_income(wage=wage, business=business, property_=property_, transfers=transfers,
                                     expenses=expenses, household_size=household.size or rows)
    if computed is None or abs(computed - household.per_capita_income) <= 1:
        return []
    return [finding("per_capita_mismatch", "per_capita_income", number=household.number,
                    given=household.per_capita_income, computed=computed)]


def duplicate_findings(persons: list) -> list[Finding]:
    """The same person twice, reported on every row involved: an ID number anywhere in the file, or a
    member without one twice in the same household (same name and birth date)."""
    rows = defaultdict(list)
    for person in persons:
        if person.parsed_id:
            rows[person.parsed_id.number].append(person)
        elif person.id_missing_reason and not person.id_number and person.name and person.birth_date:
            rows[(person.household_number, person.name, person.birth_date)].append(person)
    found = []
    for key, group in rows.items():
        for person in group if len(group) > 1 else ():
            others = _rows(other.row for other in group if other is not person)
            if isinstance(key, tuple):
                found.append(finding("duplicate_without_id", "name", person.row, number=key[0], other_rows=others))
            else:
                found.append(finding("duplicate_in_file", "id_number", person.row, other_rows=others))
    return found


@dataclass
class Registry:
    """What the register says about the codes, numbers and IDs a file mentions, seen from the uploader's scope."""

    villages: dict  # code → identification.baseline.VillageInfo (id, name, in_scope, township)
    households_elsewhere: dict  # household number → village name, for households outside the scope
    active_ids: dict  # ID number → household number, for active members in households the file does not list

    @cached_property
    def codes_by_name(self) -> dict:
        """Village name → codes, and (township name, village name) → codes."""
        found = defaultdict(list)
        for code, village in self.villages.items():
            found[village.name].append(code)
            found[(village.township, village.name)].append(code)
        return found


def find_village(household, registry: Registry) -> list[Finding]:
    """For a file without 村代码: set household.village_code from its township and village names."""
    if household.village_name is ABSENT:
        return []  # unreadable: its cell's error says why
    if not household.village_name:
        return [finding("required", "village_name", column=_("行政村"))]
    township = household.township_name or ""
    codes = registry.codes_by_name.get((township, household.village_name) if township else household.village_name, [])
    if len(codes) == 1:
        household.village_code = codes[0]
        return []
    if codes:
        return [finding("village_name_ambiguous", "village_name", village=household.village_name)]
    return [finding("village_name_unknown", "village_name", township=township, village=household.village_name)]


def _same_name(written: str, registered: str) -> bool:
    """甲村, 甲村村委会 and 甲 name the same village; 乙村 does not."""
    return written in registered or registered in written


def check_registry(household, persons: list, registry: Registry) -> list[Finding]:
    """Village code known and inside the scope (and named as the file names it); household not registered outside
    the scope; nobody in two households."""
    found = []
    village = registry.villages.get(household.village_code)
    if household.village_code and village is None:
        found.append(finding("village_unknown", "village_code", code=household.village_code))
    elif village is not None and not village.in_scope:
        found.append(finding("village_out_of_scope", "village_code", code=household.village_code, village=village.name))
    if village is not None and household.village_name and not _same_name(household.village_name, village.name):
        found.append(finding("village_name_mismatch", "village_name", code=household.village_code,
                             registered=village.name, village=household.village_name))
    if household.number in registry.households_elsewhere:
        found.append(
            finding("household_out_of_scope", "number", number=household.number,
                    village=registry.households_elsewhere[household.number])
        )
    for person in persons:
        number = person.parsed_id and registry.active_ids.get(person.parsed_id.number)
        if number:
            found.append(finding("active_elsewhere", "id_number", person.row, number=number))
    return found


def count_by_severity(findings) -> Counter:
    return Counter(item.rule.severity for item in findings)
