"""The checks of an identification round, each a named rule: id, severity and a Chinese message.

Cell rules fire while a workbook is read (identification.columns raises CellProblem
with their id). The person, household and registry checks take plain records whose
attributes carry the register's field names (a column missing from the file is
ABSENT), so a 回头看 suspect run can apply the same rules to the register itself.
Errors block a commit; warnings are shown and do not.
"""
from collections import Counter
import dataclasses
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from households import choices
from households.idnumbers import IdNumberError, parse_id_number

from .choices import Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING


class _Absent:
    """A column the file lacks or a cell that could not be read: nothing to check, nothing to change."""

    def __bool__(self):
        return False

    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    message: str

    def render(self, params: dict) -> str:
        return str(self.message) % params if params else str(self.message)


_RULES = [
    # Cells (identification.columns)
    Rule("required", ERROR, _("“%(column)s”不能为空。")),
    Rule("too_long", ERROR, _("“%(column)s”超过%(max_length)d个字符。")),
    Rule("code_list", ERROR, _("“%(value)s”不是“%(column)s”的有效值。")),
    Rule("not_integer", ERROR, _("“%(column)s”应为整数(当前为“%(value)s”)。")),
    Rule("out_of_range", ERROR, _("“%(column)s”应在%(minimum)s到%(maximum)s之间(当前为%(value)s)。")),
    Rule("not_number", ERROR, _("“%(column)s”应为数字(当前为“%(value)s”)。")),
    Rule("negative", ERROR, _("“%(column)s”不能为负数(当前为%(value)s)。")),
    Rule("not_date", ERROR, _("“%(value)s”不是有效日期,请填写如1980-05-17的日期。")),
    Rule("village_code_format", ERROR, _("村代码应为12位数字(当前为“%(value)s”)。")),
    Rule("household_number_format", ERROR, _("户编号只能由字母、数字和“-”组成,最长20位(当前为“%(value)s”)。")),
    Rule("phone_format", ERROR, _("联系电话格式不正确(当前为“%(value)s”)。")),
    Rule("id_as_number", ERROR, _("证件号码被存成了数字,末几位已经丢失;请把该列设为文本格式后重新填写。")),
    # A person
    Rule("id_invalid", ERROR, "%(reason)s"),
    Rule("id_notice", WARNING, "%(reason)s"),
    Rule("sex_vs_id", ERROR, _("性别“%(sex)s”与证件号码中的性别(%(id_sex)s)不符。")),
    Rule("birth_date_vs_id", ERROR, _("出生日期%(date)s与证件号码中的出生日期%(id_date)s不符。")),
    Rule("relation_vs_sex", ERROR, _("与户主关系“%(relation)s”与证件号码中的性别(%(id_sex)s)不符。")),
    Rule("education_or_school", ERROR, _("文化程度与在校生状况须且只能填写一项。")),
    Rule("months_worked", ERROR, _("务工时间应在0到12个月之间(当前为%(value)s)。")),
    # A household
    Rule("no_head", ERROR, _("户%(number)s没有户主(与户主关系为“户主”的成员)。")),
    Rule("several_heads", ERROR, _("户%(number)s有%(count)d名户主,每户只能有一名。")),
    Rule("head_name", ERROR, _("户主姓名“%(head_name)s”与户主行的姓名“%(name)s”不一致。")),
    Rule("household_size", ERROR, _("家庭人口数%(size)s与本户在表中的%(rows)d行不符。")),
    Rule("rows_disagree", ERROR, _("同一户的“%(column)s”与第%(first_row)d行不一致(本行“%(value)s”,第%(first_row)d行“%(first)s”)。")),
    Rule("exit_year_missing", ERROR, _("已脱贫户须填写脱贫年度。")),
    Rule("dangerous_house_grade", ERROR, _("是否危房与危房等级不一致:危房为C级或D级,非危房不应为C级或D级。")),
    # Against the rest of the file and the register
    Rule("duplicate_in_file", ERROR, _("证件号码与第%(other_row)d行重复,同一人只能出现一次。")),
    Rule("active_elsewhere", ERROR, _("该证件号码已是户%(number)s的在册成员(该户不在本批次中),同一人不能在两户。")),
    Rule("village_unknown", ERROR, _("村代码%(code)s不存在。")),
    Rule("village_out_of_scope", ERROR, _("村代码%(code)s(%(village)s)不在您的录入范围内。")),
    Rule("household_out_of_scope", ERROR, _("户编号%(number)s已登记在%(village)s,不在您的录入范围内。")),
    # The file's columns
    Rule("unknown_column", WARNING, _("未识别的列“%(header)s”,已忽略。")),
    Rule("missing_column", WARNING, _("缺少列“%(header)s”,该项不导入也不更新。")),
]
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}

EXITED = {choices.Status.EXITED, choices.Status.EXITED_WITH_POLICY}
DANGEROUS_GRADES = {choices.HousingGrade.C, choices.HousingGrade.D}


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


def check_person(person) -> list[Finding]:
    """ID number, sex, birth date and relation against the ID; education or school status; months worked.

    Sets person.parsed_id (households.idnumbers.ParsedId) when the ID number is valid.
    """
    found = []
    person.parsed_id = None
    if not person.id_number:
        return found
    try:
        parsed = parse_id_number(person.id_number)
    except IdNumberError as exc:
        return [finding("id_invalid", "id_number", reason=str(exc))]
    person.parsed_id = parsed
    found += [finding("id_notice", "id_number", reason=str(notice)) for notice in parsed.warnings]
    if person.sex and person.sex != parsed.sex:
        found.append(finding(
            "sex_vs_id", "sex", sex=_labels(choices.Sex, person.sex), id_sex=_labels(choices.Sex, parsed.sex)
        ))
    if person.birth_date and person.birth_date != parsed.birth_date:
        found.append(
            finding("birth_date_vs_id", "birth_date", date=person.birth_date, id_date=parsed.birth_date)
        )
    implied = choices.sex_implied_by(person.relation)
    if implied and implied != parsed.sex:
        found.append(finding(
            "relation_vs_sex", "relation", relation=_labels(choices.Relation, person.relation),
            id_sex=_labels(choices.Sex, parsed.sex),
        ))
    if ABSENT not in (person.education, person.school_status) and bool(person.education) == bool(person.school_status):
        found.append(finding("education_or_school", "school_status"))
    if person.months_worked and person.months_worked > 12:
        found.append(finding("months_worked", "months_worked", value=person.months_worked))
    return found


def check_household(household, persons: list) -> list[Finding]:
    """One head; head's name and household size as stated; exit year; dangerous-house grade."""
    found = []
    heads = [person for person in persons if person.relation == choices.Relation.HEAD]
    relations_known = all(person.relation is not ABSENT for person in persons)
    if not heads and relations_known:
        found.append(finding("no_head", "relation", number=household.number))
    for extra in heads[1:]:
        found.append(finding("several_heads", "relation", extra.row, number=household.number, count=len(heads)))
    if len(heads) == 1 and household.head_name and heads[0].name and household.head_name != heads[0].name:
        found.append(finding("head_name", "head_name", head_name=household.head_name, name=heads[0].name))
    if household.size and household.size != len(persons):
        found.append(finding("household_size", "size", size=household.size, rows=len(persons)))
    if household.status in EXITED and household.exit_year is None:
        found.append(finding("exit_year_missing", "exit_year"))
    if ABSENT not in (household.is_dangerous, household.housing_grade):
        if household.is_dangerous != (household.housing_grade in DANGEROUS_GRADES):
            found.append(finding("dangerous_house_grade", "housing_grade"))
    return found


def check_duplicates(persons: list) -> list[Finding]:
    """The same ID number twice in the file: every later row points at the first."""
    first_row, found = {}, []
    for person in persons:
        if not person.id_number:
            continue
        key = person.parsed_id.number if person.parsed_id else person.id_number
        if key in first_row:
            found.append(finding("duplicate_in_file", "id_number", person.row, other_row=first_row[key]))
        else:
            first_row[key] = person.row
    return found


@dataclass
class Registry:
    """What the register says about the codes, numbers and IDs a file mentions, seen from the uploader's scope."""

    villages: dict  # code → (village id, name, inside the capture scope)
    households_elsewhere: dict  # household number → village name, for households outside the scope
    active_ids: dict  # ID number → household number, for active members in households the file does not list


def check_registry(household, persons: list, registry: Registry) -> list[Finding]:
    """Village code known and inside the scope; household not registered outside the scope; nobody in two households."""
    found = []
    village = registry.villages.get(household.village_code)
    if household.village_code and village is None:
        found.append(finding("village_unknown", "village_code", code=household.village_code))
    elif village is not None and not village[2]:
        found.append(finding("village_out_of_scope", "village_code", code=household.village_code, village=village[1]))
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
