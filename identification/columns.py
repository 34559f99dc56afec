"""The identification-round workbook: columns of the national flat layout, header matching, cell conversion.

One row per person; the household's columns repeat on every row of that household.
Headers are matched by name (spaces, line breaks, "*" and full-width brackets ignored,
known aliases accepted), so real exports with other column orders or extra columns read.
Code-list cells take the Chinese label (因病), the code (01) or a known alias.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from households import choices
from povertyapp.exchange import exchange_format

HOUSEHOLD, PERSON, INFO = "household", "person", "info"
SHEET_NAME = "识别数据"
HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the header


class CellProblem(Exception):
    """A cell that cannot be read; `rule` is a rule id of identification.rules."""

    def __init__(self, rule: str, **params):
        super().__init__(rule)
        self.rule, self.params = rule, params


def normalise(text) -> str:
    """Header or label as compared: NFKC (full-width brackets and digits), no spaces, line breaks or "*"."""
    return re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", str(text)))


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def integral(value):
    """Excel stores typed numbers as floats: 4.0 → 4."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Text:
    hint = _("文本")
    blank = ""

    def __init__(self, max_length: int):
        self.max_length = max_length

    def parse(self, value):
        text = str(integral(value)).strip()
        if len(text) > self.max_length:
            raise CellProblem("too_long", max_length=self.max_length)
        return text


class Pattern(Text):
    """Identifiers typed as text or as whole numbers (below 2**53 a number loses no digit)."""

    def __init__(self, regex: str, rule: str, hint):
        super().__init__(max_length=64)
        self.regex, self.rule, self.hint = re.compile(regex), rule, hint

    def parse(self, value):
        text = super().parse(value)
        if not self.regex.fullmatch(text):
            raise CellProblem(self.rule, value=text)
        return text


class Code:
    """A code-list cell: label, code or alias → code."""

    blank = ""

    def __init__(self, code_list, aliases: dict | None = None):
        self.code_list, self.aliases = code_list, aliases or {}

    @cached_property
    def table(self) -> dict:
        table = {}
        pairs = [(label, value) for value, label in self.labels.items()]  # the workbook speaks in these labels
        for key, value in [*pairs, *((value, value) for _label, value in pairs), *self.aliases.items()]:
            table[key] = value
            table[normalise(key)] = value
        return table

    @cached_property
    def labels(self) -> dict:
        """Code → the national system's label."""
        with exchange_format():
            return {value: str(label) for value, label in self.code_list.choices}

    def label_of(self, code) -> str:
        return self.labels.get(code, str(code))

    @property
    def hint(self):
        return "、".join(self.labels.values())

    def parse(self, value):
        value = integral(value)
        code = self.table.get(value) if isinstance(value, str) else None
        if code is None:
            key = normalise(value)
            code = self.table.get(key) or (self.table.get(key.zfill(2)) if key.isdigit() else None)
        if code is None:
            raise CellProblem("code_list", value=str(value).strip())
        return code


class Codes(Code):
    """Several codes in one cell, separated by 、 , ; / or spaces; kept sorted so that order never shows as a change."""

    SEPARATORS = re.compile(r"[、,，;；/\s]+")
    blank = ()

    @property
    def hint(self):
        return _("可填多项,用顿号分隔:") + super().hint

    def parse(self, value):
        parts = [part for part in self.SEPARATORS.split(str(integral(value))) if part]
        return tuple(sorted({Code.parse(self, part) for part in parts}))


class Boolean:
    TABLE = {
        **dict.fromkeys(("是", "Y", "YES", "TRUE", "1", "√", "有"), True),
        **dict.fromkeys(("否", "N", "NO", "FALSE", "0", "×", "无"), False),
    }
    hint = _("是 / 否")
    blank = False

    def parse(self, value):
        if isinstance(value, bool):
            return value
        key = str(integral(value)).strip().upper()
        if key not in self.TABLE:
            raise CellProblem("code_list", value=str(value).strip())
        return self.TABLE[key]


class Integer:
    blank = None

    def __init__(self, minimum: int, maximum: int):
        self.minimum, self.maximum = minimum, maximum

    @property
    def hint(self):
        return _("整数 %(min)d–%(max)d") % {"min": self.minimum, "max": self.maximum}

    def parse(self, value):
        value = integral(value)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise CellProblem("not_integer", value=str(value).strip())
        if not self.minimum <= value <= self.maximum:
            raise CellProblem("out_of_range", value=value, minimum=self.minimum, maximum=self.maximum)
        return value


class Amount:
    """A non-negative amount to the fen (money in yuan, areas in m²)."""

    CENT = Decimal("0.01")
    blank = None

    def __init__(self, maximum: Decimal, hint):
        self.maximum, self.hint = maximum, hint

    def parse(self, value):
        if isinstance(value, bool):
            raise CellProblem("not_number", value=str(value))
        try:
            if isinstance(value, (int, float)):
                amount = Decimal(repr(value))
            else:
                amount = Decimal(str(value).strip().replace(",", "").replace("，", "").removesuffix("元"))
        except InvalidOperation:
            raise CellProblem("not_number", value=str(value).strip()) from None
        if not amount.is_finite():
            raise CellProblem("not_number", value=str(value).strip())
        if amount < 0:
            raise CellProblem("negative", value=str(value).strip())
        if amount > self.maximum:
            raise CellProblem("out_of_range", value=str(value).strip(), minimum=0, maximum=self.maximum)
        return amount.quantize(self.CENT)


class Date:
    """A real date: an Excel date cell or text in a common form (1980-05-17, 1980/5/17, 19800517, 1980年5月17日)."""

    TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
    COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
    hint = _("日期,如 1980-05-17")
    blank = None

    def parse(self, value):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(integral(value)).strip()
        match = self.TEXT.fullmatch(text) or self.COMPACT.fullmatch(text)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        raise CellProblem("not_date", value=text)


class IdNumberCell(Text):
    """The ID number as text; a number cell has already lost its last digits (Excel keeps 15 significant)."""

    hint = _("18位身份证号码,须为文本格式")

    def __init__(self):
        super().__init__(max_length=32)

    def parse(self, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise CellProblem("id_as_number")
        return super().parse(value).upper().replace(" ", "")


@dataclass(frozen=True, eq=False)
class Column:
    header: str
    field: str
    level: str
    kind: object
    header_required: bool = False  # the file is rejected without this column
    cell_required: bool = False  # when the column is there, every row must fill it
    aliases: tuple[str, ...] = ()
    in_template: bool = True

    def parse(self, value):
        """The cell's value, the column's blank value, or CellProblem."""
        if is_blank(value):
            if self.cell_required:
                raise CellProblem("required")
            return self.kind.blank
        return self.kind.parse(value)


STATUS_ALIASES = {"已脱贫": choices.Status.EXITED_WITH_POLICY, "脱贫": choices.Status.EXITED_WITH_POLICY}
ATTRIBUTE_ALIASES = {
    "一般户": choices.Attribute.GENERAL, "一般脱贫户": choices.Attribute.GENERAL,
    "低保户": choices.Attribute.SUBSISTENCE, "低保脱贫户": choices.Attribute.SUBSISTENCE,
    "特困户": choices.Attribute.DESTITUTE, "特困供养脱贫户": choices.Attribute.DESTITUTE,
    "五保贫困户": choices.Attribute.DESTITUTE, "五保户": choices.Attribute.DESTITUTE,
}
STANDARD_ALIASES = {
    "国家": choices.IdentificationStandard.NATIONAL, "省定": choices.IdentificationStandard.PROVINCIAL,
    "市定": choices.IdentificationStandard.MUNICIPAL,
}
GRADE_ALIASES = {"C级": choices.HousingGrade.C, "D级": choices.HousingGrade.D}
ETHNICITY_ALIASES = {"汉": choices.Ethnicity.HAN, "壮": choices.Ethnicity.ZHUANG, "瑶": choices.Ethnicity.YAO}
MONEY = Amount(Decimal("9999999999.99"), _("金额(元),不小于0"))


COLUMNS: tuple[Column, ...] = (
    Column("县", "county_name", INFO, Text(64), aliases=("县(市、区)", "县区", "县名称")),
    Column("乡镇", "township_name", INFO, Text(64), aliases=("乡(镇)", "乡镇名称", "镇")),
    Column("行政村", "village_name", INFO, Text(64), aliases=("村", "行政村名称", "村名称")),
    Column("村代码", "village_code", HOUSEHOLD, Pattern(r"\d{12}", "village_code_format", _("12位行政区划代码")),
           header_required=True, cell_required=True, aliases=("行政村代码", "村级代码", "行政区划代码")),
    Column("组", "group_name", HOUSEHOLD, Text(64), aliases=("村民小组", "自然村/组", "自然村")),
    Column("户编号", "number", HOUSEHOLD, Pattern(r"[0-9A-Za-z-]{1,20}", "household_number_format", _("户编号,最长20位")),
           header_required=True, cell_required=True, aliases=("户码", "户号")),
    Column("户主姓名", "head_name", HOUSEHOLD, Text(32), cell_required=True, aliases=("户主",)),
    Column("家庭人口数", "size", HOUSEHOLD, Integer(1, 50), cell_required=True, aliases=("家庭人口", "人口数", "户人口数")),
    Column("联系电话", "phone", HOUSEHOLD,
           Pattern(r"[0-9+\-() ]{5,20}", "phone_format", _("电话号码")), aliases=("电话", "联系方式", "手机号码")),
    Column("识别标准", "standard", HOUSEHOLD, Code(choices.IdentificationStandard, STANDARD_ALIASES),
           cell_required=True),
    Column("贫困户属性", "attribute", HOUSEHOLD, Code(choices.Attribute, ATTRIBUTE_ALIASES),
           header_required=True, cell_required=True, aliases=("贫困户类型", "户属性")),
    Column("主要致贫原因", "main_cause", HOUSEHOLD, Code(choices.Cause), header_required=True, cell_required=True,
           aliases=("致贫原因",)),
    Column("其他致贫原因", "other_causes", HOUSEHOLD, Codes(choices.Cause)),
    Column("脱贫状态", "status", HOUSEHOLD, Code(choices.Status, STATUS_ALIASES), header_required=True,
           cell_required=True, aliases=("贫困户状态", "脱贫标志")),
    Column("识别年度", "year_identified", HOUSEHOLD, Integer(2013, 2030), header_required=True, cell_required=True,
           aliases=("识别年份", "纳入年度")),
    Column("脱贫年度", "exit_year", HOUSEHOLD, Integer(2013, 2030), aliases=("脱贫年份",)),
    Column("是否危房", "is_dangerous", HOUSEHOLD, Boolean(), aliases=("危房户", "是否危房户")),
    Column("危房等级", "housing_grade", HOUSEHOLD, Code(choices.HousingGrade, GRADE_ALIASES), aliases=("住房安全等级",)),
    Column("饮水是否安全", "safe_drinking_water", HOUSEHOLD, Boolean(), cell_required=True,
           aliases=("饮水安全", "是否饮水安全")),
    Column("住房面积", "housing_area", HOUSEHOLD, Amount(Decimal("99999.99"), _("平方米,不小于0")),
           aliases=("住房面积(平方米)", "住房面积(㎡)")),
    Column("工资性收入", "wage_income", HOUSEHOLD, MONEY, aliases=("工资性收入(元)",)),
    Column("生产经营性收入", "business_income", HOUSEHOLD, MONEY, aliases=("生产经营性收入(元)",)),
    Column("财产性收入", "property_income", HOUSEHOLD, MONEY, aliases=("财产性收入(元)",)),
    Column("转移性收入", "transfer_income", HOUSEHOLD, MONEY, aliases=("转移性收入(元)",)),
    Column("生产经营性支出", "production_expenses", HOUSEHOLD, MONEY, aliases=("生产经营性支出(元)",)),
    Column("姓名", "name", PERSON, Text(32), header_required=True, cell_required=True, aliases=("成员姓名",)),
    Column("性别", "sex", PERSON, Code(choices.Sex), cell_required=True),
    Column("证件号码", "id_number", PERSON, IdNumberCell(), header_required=True, cell_required=True,
           aliases=("身份证号码", "身份证号", "证件号", "公民身份号码")),
    Column("与户主关系", "relation", PERSON, Code(choices.Relation), header_required=True, cell_required=True,
           aliases=("与户主的关系",)),
    Column("民族", "ethnicity", PERSON, Code(choices.Ethnicity, ETHNICITY_ALIASES), cell_required=True),
    Column("文化程度", "education", PERSON, Code(choices.Education)),
    Column("在校生状况", "school_status", PERSON, Code(choices.SchoolStatus), aliases=("在校生情况",)),
    Column("健康状况", "health", PERSON, Code(choices.Health), cell_required=True),
    Column("劳动技能", "labour_skill", PERSON, Code(choices.LabourSkill)),
    Column("务工状况", "work_status", PERSON, Code(choices.WorkStatus), aliases=("务工情况",)),
    Column("务工时间(月)", "months_worked", PERSON, Integer(0, 99), aliases=("务工时间", "务工月数")),
    Column("是否参加城乡居民基本医疗保险", "has_medical_insurance", PERSON, Boolean(),
           aliases=("是否参加新型农村合作医疗", "医疗保险")),
    Column("是否参加大病保险", "has_serious_illness_insurance", PERSON, Boolean(), aliases=("大病保险",)),
    Column("是否参加城乡居民基本养老保险", "has_pension_insurance", PERSON, Boolean(),
           aliases=("是否参加新型农村社会养老保险", "养老保险")),
    Column("是否享受低保", "receives_subsistence", PERSON, Boolean(), aliases=("是否低保", "享受低保")),
    Column("是否特困供养", "receives_destitute_support", PERSON, Boolean(), aliases=("是否五保", "是否特困")),
    # Not in the national layout; read when a county's export carries it, and checked against the ID number.
    Column("出生日期", "birth_date", PERSON, Date(), in_template=False, aliases=("出生年月日",)),
)
TEMPLATE_COLUMNS = tuple(column for column in COLUMNS if column.in_template)
BY_FIELD = {column.field: column for column in COLUMNS}
HOUSEHOLD_FIELDS = tuple(column.field for column in COLUMNS if column.level == HOUSEHOLD)
PERSON_FIELDS = tuple(column.field for column in COLUMNS if column.level == PERSON)
INCOME_FIELDS = ("wage_income", "business_income", "property_income", "transfer_income", "production_expenses")


def _header_index() -> dict[str, Column]:
    index = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            index[normalise(name)] = column
    return index


HEADER_INDEX = _header_index()


@dataclass
class Layout:
    """Where each known column sits in the sheet, and what did not match."""

    header_row: int  # 0-based row index of the header
    positions: dict  # Column → 0-based column index
    unknown: list[str]  # headers that match no column
    duplicated: list[str]  # columns that appear twice

    @property
    def missing_required(self) -> list[Column]:
        return [column for column in COLUMNS if column.header_required and column not in self.positions]

    @property
    def missing_optional(self) -> list[Column]:
        return [
            column for column in TEMPLATE_COLUMNS if not column.header_required and column not in self.positions
        ]


def match_header(cells: list) -> Layout:
    positions, unknown, duplicated = {}, [], []
    for index, cell in enumerate(cells):
        if is_blank(cell):
            continue
        column = HEADER_INDEX.get(normalise(cell))
        if column is None:
            unknown.append(str(cell).strip())
        elif column in positions:
            duplicated.append(column.header)
        else:
            positions[column] = index
    return Layout(header_row=0, positions=positions, unknown=unknown, duplicated=duplicated)


def find_header(rows: list[list]) -> Layout | None:
    """The row among the first few that names the most required columns (None when none names any)."""
    best = None
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        layout = match_header(cells)
        score = sum(column.header_required for column in layout.positions)
        if score and (best is None or score > best[0]):
            layout.header_row = index
            best = (score, layout)
    return best[1] if best else None
