"""The identification-round workbook: columns, header matching and cell conversion.

One row per person; the household's columns repeat on every row of that household.

COLUMNS is the one table of what a round reads: each column's header in the national
layout, its aliases (other names real exports and township offices use) and how its
cells convert. A header cell is compared by header_key(), in this order:

1. NFKC: full-width letters, digits, brackets and colons become half-width (（元） → (元));
2. additions in brackets — units and filling hints in (), [] or 【】, e.g. (元), (单位:元), 【必填】 — are dropped;
3. spaces, line breaks, "*" and ":" are dropped;
4. a header that still matches nothing is tried with its first line alone (工资性收入⏎单位:元).

The template's 填写说明 sheet prints these rules (HEADER_RULES) and the alias table from the
same definitions. Rows of units, hints or column numbers right under the header are skipped.
Code-list cells take the Chinese label (因病), the code (01) or an everyday word from the
column's aliases (初一 → 七年级); a word that could mean several codes (初中: 七, 八 or
九年级) is an error listing them, never a guess.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.utils.translation import gettext_lazy as _

from households import choices
from povertyapp.exchange import exchange_format

# Levels: a column of the household (repeated on its rows), of the person, or recognised and not imported.
HOUSEHOLD, PERSON, INFO = "household", "person", "info"
SHEET_NAME = "识别数据"
HEADER_SEARCH_ROWS = 10  # a title row or two may sit above the header
UNIT_ROWS = 3  # rows of units, filling hints or column numbers that may sit under it

# The header comparison as the template's 填写说明 sheet states it (header_key and header_keys do it).
HEADER_RULES = (
    _("列名按以下规则比较,列的顺序不限,多出的列忽略:"),
    _("1. 全角字母、数字、括号和冒号按半角处理,如“（元）”即“(元)”;"),
    _("2. 括号 ()、[]、【】 中的单位或说明不参与比较,如“工资性收入(元)”“住房面积(单位:平方米)”“户编号【必填】”;"),
    _("3. 空格、换行、“*”和冒号不参与比较;"),
    _("4. 仍对不上时,只用单元格的第一行比较,如“工资性收入”换行“单位:元”;"),
    _("5. 比较后的列名须是下表“列名”或“也可用的列名”之一;同一项有两列时,按下表靠前的名称导入。"),
)
BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|\([^()]*$")  # the last: an addition left unclosed
HEADER_NOISE = re.compile(r"[\s*:]")


class _Absent:
    """A column the file lacks or a cell that could not be read: nothing to check, nothing to change."""

    def __bool__(self):
        return False

    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


class CellProblem(Exception):
    """A cell that cannot be read; `rule` is a rule id of identification.rules."""

    def __init__(self, rule: str, **params):
        super().__init__(rule)
        self.rule, self.params = rule, params


def normalise(text) -> str:
    """A code label as compared: NFKC (full-width letters and digits), no spaces, line breaks or "*"."""
    return re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", str(text)))


def header_key(text) -> str:
    """A header as compared (steps 1–3 of the module's rules)."""
    text = unicodedata.normalize("NFKC", str(text))
    stripped = BRACKETED.sub("", text)
    while stripped != text:  # nested brackets
        text, stripped = stripped, BRACKETED.sub("", stripped)
    return HEADER_NOISE.sub("", text)


def header_keys(text) -> list[str]:
    """The keys a header cell is looked up by: the whole text, then its first line alone (step 4)."""
    keys = [header_key(text)]
    lines = str(text).strip().splitlines()
    if len(lines) > 1:
        keys.append(header_key(lines[0]))
    return keys


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def integral(value):
    """Excel stores typed numbers as floats: 4.0 → 4."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def shown(value) -> str:
    """A cell as the person typed it, for messages: -300, not -300.0."""
    return str(integral(value)).strip()


UNIT_SUFFIX = re.compile(r"(元|人|个月|月|年|亩|平方米|平米|m2)$")


def number(value) -> Decimal | None:
    """A number as typed: Excel's own, or text such as "１２,０００元", "¥1,200", "85.5平方米" (None: not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        amount = Decimal(repr(value))
    else:
        text = UNIT_SUFFIX.sub("", re.sub(r"[\s,]", "", unicodedata.normalize("NFKC", str(value))).lstrip("¥"))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None
    return amount if amount.is_finite() else None


class Text:
    hint = _("文本")
    blank = ""

    def __init__(self, max_length: int):
        self.max_length = max_length

    def parse(self, value):
        text = shown(value)
        if len(text) > self.max_length:
            raise CellProblem("too_long", max_length=self.max_length)
        return text


class Pattern(Text):
    """Identifiers typed as text or as whole numbers (below 2**53 a number loses no digit); NFKC, no spaces."""

    def __init__(self, regex: str, rule: str, hint):
        super().__init__(max_length=64)
        self.regex, self.rule, self.hint = re.compile(regex), rule, hint

    def parse(self, value):
        text = re.sub(r"\s", "", unicodedata.normalize("NFKC", super().parse(value)))
        if not self.regex.fullmatch(text):
            raise CellProblem(self.rule, value=text)
        return text


class Code:
    """A code-list cell: label, code or alias → code. `ambiguous`: words that could mean several codes."""

    blank = ""

    def __init__(self, code_list, aliases: dict | None = None, ambiguous: dict | None = None):
        self.code_list, self.aliases, self.ambiguous = code_list, aliases or {}, ambiguous or {}

    @cached_property
    def table(self) -> dict:
        table = {}
        pairs = [(label, value) for value, label in self.labels.items()]  # the workbook speaks in these labels
        for key, value in [*pairs, *((value, value) for _label, value in pairs), *self.aliases.items()]:
            table[key] = value
            table[normalise(key)] = value
        return table

    @cached_property
    def ambiguous_table(self) -> dict:
        return {normalise(word): codes for word, codes in self.ambiguous.items()}

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

    def lookup(self, value):
        """The code `value` names, or None."""
        value = integral(value)
        code = self.table.get(value) if isinstance(value, str) else None
        if code is None:
            key = normalise(value)
            if key not in self.table and key.isdigit():
                key = key.zfill(2)  # 1 for 01
            code = self.table.get(key)
        return code

    def parse(self, value):
        code = self.lookup(value)
        if code is None:
            codes = self.ambiguous_table.get(normalise(value))
            if codes:
                raise CellProblem("code_ambiguous", value=shown(value),
                                  candidates="、".join(self.label_of(code) for code in codes))
            raise CellProblem("code_list", value=shown(value), allowed=self.hint)
        return code


class Codes(Code):
    """Several codes in one cell, separated by 、 , ; / or spaces; kept sorted so that order never shows as a change."""

    SEPARATORS = re.compile(r"[、,，;；/\s]+")
    blank = ()

    @property
    def hint(self):
        return _("可填多项,用顿号分隔:") + super().hint

    def parse(self, value):
        parts = [part for part in self.SEPARATORS.split(shown(value)) if part]
        return tuple(sorted({code for part in parts if (code := Code.parse(self, part))}))


class Boolean:
    """是 / 否 and the ways people write them (√ ×, 有 无, 参加 未参加, Y N, 1 0 …)."""

    TABLE = {
        **dict.fromkeys(("是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "有", "是的", "参加", "已参加", "参保", "已参保",
                         "享受", "安全"), True),
        **dict.fromkeys(("否", "N", "NO", "FALSE", "0", "×", "✗", "✘", "X", "无", "不是", "没有", "未参加",
                         "未参保", "不享受", "未享受", "不安全"), False),
    }
    hint = _("是 / 否")

    def __init__(self, blank=False):
        self.blank = blank

    def parse(self, value):
        if isinstance(value, bool):
            return value
        key = normalise(integral(value)).upper()
        if key not in self.TABLE:
            raise CellProblem("code_list", value=shown(value), allowed=_("是、否"))
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
        amount = value if type(value) is int else number(value)  # Excel's own whole numbers: no Decimal
        if amount is None or amount != int(amount):
            raise CellProblem("not_integer", value=shown(value))
        if not self.minimum <= amount <= self.maximum:
            raise CellProblem("out_of_range", value=shown(value), minimum=self.minimum, maximum=self.maximum)
        return int(amount)


class Amount:
    """A non-negative amount to the fen (money in yuan, areas in m²); `money`: a yuan amount."""

    CENT = Decimal("0.01")
    blank = None

    def __init__(self, maximum: Decimal, hint, money: bool = False):
        self.maximum, self.hint, self.money = maximum, hint, money

    def parse(self, value):
        amount = number(value)
        if amount is None:
            raise CellProblem("not_number", value=shown(value))
        if amount < 0:
            raise CellProblem("negative", value=shown(value))
        if amount > self.maximum:
            raise CellProblem("out_of_range", value=shown(value), minimum=0, maximum=self.maximum)
        return amount.quantize(self.CENT)


class Date:
    """A real date: an Excel date cell, an Excel serial number that lost its format, or text in a common form
    (1980-05-17, 1980/5/17, 1980.5.17, 19800517, 1980年5月17日, with or without a time after it)."""

    TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
    COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
    EXCEL_EPOCH = datetime.date(1899, 12, 30)
    hint = _("日期,如 1980-05-17")
    blank = None

    def parse(self, value):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        value = integral(value)
        # Not 1800–2100: a year typed alone is no serial number (those would be dates in 1904–1905).
        if isinstance(value, int) and not isinstance(value, bool) and 2100 < value < 100000:
            return self.EXCEL_EPOCH + datetime.timedelta(days=value)
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = self.TEXT.fullmatch(text) or self.COMPACT.fullmatch(text)
        if match:
            try:
                return datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        raise CellProblem("not_date", value=text)


class IdNumberCell(Text):
    """The ID number as typed; rules.person_findings has households.idnumbers normalise it (full-width digits, spaces,
    lower-case x, 15 digits) and say when it upgraded an old number.

    A number cell keeps 15 significant digits: a 15-digit (old) ID survives, an 18-digit one has lost its end.
    The cell may also say why there is none (未办理身份证, 户口待登记, 无): records.split_missing_id moves that out.
    """

    hint = _("18位身份证号码,须为文本格式;无证件的成员填写未办理身份证或户口待登记")

    def __init__(self):
        super().__init__(max_length=32)

    def parse(self, value):
        value = integral(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not (isinstance(value, int) and len(str(value)) == 15):
                raise CellProblem("id_as_number")
        return super().parse(value)


@dataclass(frozen=True, eq=False)
class Column:
    header: str
    field: str
    level: str
    kind: object = None
    header_required: bool = False  # the file is refused without this column (or its `substitute`)
    cell_required: bool = False  # when the column is there, every row (every household, for its columns) fills it
    aliases: tuple[str, ...] = ()
    in_template: bool = True
    substitute: str = ""  # the field of a column that can stand in when this one is missing

    def parse(self, value):
        """The cell's value, the column's blank value, or CellProblem."""
        if is_blank(value):
            if self.cell_required:
                raise CellProblem("required")
            return self.kind.blank
        return self.kind.parse(value)


STATUS_ALIASES = {
    "已脱贫": choices.Status.EXITED_WITH_POLICY, "脱贫": choices.Status.EXITED_WITH_POLICY,
    "脱贫享受政策": choices.Status.EXITED_WITH_POLICY, "脱贫不享受政策": choices.Status.EXITED,
    "已脱贫不享受政策": choices.Status.EXITED, "返贫户": choices.Status.RETURNED, "未脱贫户": choices.Status.NOT_EXITED,
}
ATTRIBUTE_ALIASES = {
    "一般户": choices.Attribute.GENERAL, "一般脱贫户": choices.Attribute.GENERAL, "扶贫户": choices.Attribute.GENERAL,
    "低保户": choices.Attribute.SUBSISTENCE, "低保脱贫户": choices.Attribute.SUBSISTENCE,
    "扶贫低保户": choices.Attribute.SUBSISTENCE,
    "特困户": choices.Attribute.DESTITUTE, "特困供养脱贫户": choices.Attribute.DESTITUTE,
    "五保贫困户": choices.Attribute.DESTITUTE, "五保户": choices.Attribute.DESTITUTE,
}
STANDARD_ALIASES = {
    "国家": choices.IdentificationStandard.NATIONAL, "省定": choices.IdentificationStandard.PROVINCIAL,
    "市定": choices.IdentificationStandard.MUNICIPAL,
}
C = choices.Cause
CAUSE_ALIASES = {
    "因病致贫": C.ILLNESS, "因残致贫": C.DISABILITY, "因学致贫": C.SCHOOLING, "因灾致贫": C.DISASTER,
    "因婚致贫": C.MARRIAGE, "因丧致贫": C.FUNERAL,
    "缺劳动力": C.LACK_OF_LABOUR, "缺发展资金": C.LACK_OF_CAPITAL, "交通落后": C.POOR_TRANSPORT,
    "缺乏技术": C.LACK_OF_SKILLS,
    "无": "",
}
GRADE_ALIASES = {"C级": choices.HousingGrade.C, "D级": choices.HousingGrade.D, "无": ""}
ETHNICITY_ALIASES = {
    "汉": choices.Ethnicity.HAN, "壮": choices.Ethnicity.ZHUANG, "瑶": choices.Ethnicity.YAO,
    "苗": choices.Ethnicity.MIAO, "侗": choices.Ethnicity.DONG, "其他": choices.Ethnicity.OTHER,
}
SEX_ALIASES = {"男性": choices.Sex.MALE, "女性": choices.Sex.FEMALE, "1": choices.Sex.MALE, "2": choices.Sex.FEMALE}
R = choices.Relation
RELATION_ALIASES = {
    # The national labels without their 之
    "子": R.SON, "女": R.DAUGHTER, "儿媳": R.DAUGHTER_IN_LAW, "女婿": R.SON_IN_LAW, "孙子": R.GRANDSON,
    "孙女": R.GRANDDAUGHTER, "外孙子": R.DAUGHTERS_SON, "外孙女": R.DAUGHTERS_DAUGHTER, "父": R.FATHER, "母": R.MOTHER,
    "岳父": R.WIFES_FATHER, "岳母": R.WIFES_MOTHER, "公公": R.HUSBANDS_FATHER, "婆婆": R.HUSBANDS_MOTHER,
    "祖父": R.GRANDFATHER, "祖母": R.GRANDMOTHER, "外祖父": R.MOTHERS_FATHER, "外祖母": R.MOTHERS_MOTHER,
    "兄弟姐妹": R.SIBLING, "曾孙子": R.GREAT_GRANDSON, "曾孙女": R.GREAT_GRANDDAUGHTER, "侄儿": R.NEPHEW,
    "侄女": R.NIECE, "兄弟媳妇": R.SIBLINGS_WIFE, "叔伯": R.UNCLE,
    "本人": R.HEAD, "妻": R.SPOUSE, "妻子": R.SPOUSE, "丈夫": R.SPOUSE, "夫": R.SPOUSE,
    "儿子": R.SON, "长子": R.SON, "次子": R.SON, "三子": R.SON,
    "女儿": R.DAUGHTER, "长女": R.DAUGHTER, "次女": R.DAUGHTER, "三女": R.DAUGHTER,
    "儿媳妇": R.DAUGHTER_IN_LAW, "父亲": R.FATHER, "母亲": R.MOTHER, "侄子": R.NEPHEW,
    "兄": R.SIBLING, "弟": R.SIBLING, "姐": R.SIBLING, "妹": R.SIBLING, "哥哥": R.SIBLING, "弟弟": R.SIBLING,
    "姐姐": R.SIBLING, "妹妹": R.SIBLING, "叔叔": R.UNCLE, "伯伯": R.UNCLE,
}
E = choices.Education
EDUCATION_ALIASES = {
    "文盲": E.ILLITERATE, "半文盲": E.ILLITERATE, "中技": E.SECONDARY_VOCATIONAL, "技校": E.SECONDARY_VOCATIONAL,
    "职高": E.SECONDARY_VOCATIONAL, "中职": E.SECONDARY_VOCATIONAL, "大学": E.BACHELOR, "本科": E.BACHELOR,
    "研究生": E.BACHELOR, "硕士": E.BACHELOR, "博士": E.BACHELOR,
}
S = choices.SchoolStatus
SCHOOL_ALIASES = {
    "学龄前": S.PRESCHOOL_CHILD, "幼儿园": S.PRESCHOOL_EDUCATION, "学前": S.PRESCHOOL_EDUCATION,
    "学前班": S.PRESCHOOL_EDUCATION,
    **{f"{grade}年级": S.PRIMARY for grade in "一二三四五六123456"},
    **{f"小学{grade}年级": S.PRIMARY for grade in "一二三四五六123456"},
    **{word: code for code, words in (
        (S.GRADE_7, ("初一", "7年级", "初中一年级")), (S.GRADE_8, ("初二", "8年级", "初中二年级")),
        (S.GRADE_9, ("初三", "9年级", "初中三年级")),
        (S.SENIOR_1, ("高一", "高中一年级")), (S.SENIOR_2, ("高二", "高中二年级")), (S.SENIOR_3, ("高三", "高中三年级")),
        (S.HIGHER_VOCATIONAL_1, ("高职一年级", "大专一年级")), (S.HIGHER_VOCATIONAL_2, ("高职二年级", "大专二年级")),
        (S.HIGHER_VOCATIONAL_3, ("高职三年级", "大专三年级")),
        (S.TECHNICIAN_COLLEGE, ("技校",)), (S.UNDERGRADUATE, ("大学", "大学本科", "本科在读")),
        (S.POSTGRADUATE, ("研究生", "硕士", "博士")),
        (S.NOT_IN_SCHOOL, ("不在校", "非在校", "否", "无", "辍学")),
    ) for word in words},
}
# Words that name a school stage but not the grade the code list asks for: an error that lists the grades.
SCHOOL_AMBIGUOUS = {
    "初中": (S.GRADE_7, S.GRADE_8, S.GRADE_9),
    **dict.fromkeys(("高中", "普高", "普通高中"), (S.SENIOR_1, S.SENIOR_2, S.SENIOR_3)),
    **dict.fromkeys(("中职", "中专"), (S.VOCATIONAL_1, S.VOCATIONAL_2, S.VOCATIONAL_3)),
    **dict.fromkeys(("高职", "高专", "高职高专", "大专"), (S.HIGHER_VOCATIONAL_1, S.HIGHER_VOCATIONAL_2,
                                                     S.HIGHER_VOCATIONAL_3)),
}
HEALTH_ALIASES = {
    "良好": choices.Health.HEALTHY, "慢性病": choices.Health.CHRONIC, "大病": choices.Health.SERIOUS,
    "重病": choices.Health.SERIOUS, "残疾人": choices.Health.DISABLED,
}
SKILL_ALIASES = {
    "弱劳动力": choices.LabourSkill.WEAK, "半劳动力": choices.LabourSkill.WEAK,
    "丧失劳动能力": choices.LabourSkill.LOST, "无劳动能力": choices.LabourSkill.NONE,
}
WORK_ALIASES = {
    "乡镇内务工": choices.WorkStatus.IN_TOWNSHIP, "乡镇外县内务工": choices.WorkStatus.IN_COUNTY,
    "县内务工": choices.WorkStatus.IN_COUNTY, "省内务工": choices.WorkStatus.IN_PROVINCE,
    "无": "", "未务工": "", "不务工": "",
}
MISSING_ID_ALIASES = {
    **dict.fromkeys(("无", "暂无", "无证", "无身份证", "没有身份证", "未办证", "未办理", "未办"),
                    choices.IdMissingReason.NOT_ISSUED),
    **dict.fromkeys(("无户口", "待登记", "户口未登记", "未登记户口"), choices.IdMissingReason.UNREGISTERED),
}
MISSING_ID = Code(choices.IdMissingReason, MISSING_ID_ALIASES)
MONEY = Amount(Decimal("9999999999.99"), _("金额(元),不小于0"), money=True)
BOOLEAN = Boolean()
YEAR = Integer(2013, 2030)


COLUMNS: tuple[Column, ...] = (
    Column("县", "county_name", INFO, aliases=("县区", "县市区", "县(市、区)名称")),
    Column("乡镇", "township_name", HOUSEHOLD, Text(64),
           aliases=("乡(镇)", "镇(乡)", "乡(镇)名称", "镇名称", "乡镇名称", "乡镇街道")),
    Column("行政村", "village_name", HOUSEHOLD, Text(64), aliases=("村", "行政村名称", "村名称", "所在村")),
    Column("村代码", "village_code", HOUSEHOLD, Pattern(r"\d{12}", "village_code_format", _("12位行政区划代码")),
           header_required=True, cell_required=True, substitute="village_name",
           aliases=("行政村代码", "村级代码", "行政区划代码", "村编码", "行政村编码")),
    # 组 before its aliases: a file with both 组 and 自然村 uses 组.
    Column("组", "group_name", HOUSEHOLD, Text(64), aliases=("村民小组", "小组", "自然村/组", "自然村")),
    Column("户编号", "number", HOUSEHOLD, Pattern(r"[0-9A-Za-z-]{1,20}", "household_number_format", _("户编号,最长20位")),
           header_required=True, cell_required=True, aliases=("户码", "户号", "家庭编号", "户编码")),
    Column("户主姓名", "head_name", HOUSEHOLD, Text(32), cell_required=True, aliases=("户主",)),
    Column("家庭人口数", "size", HOUSEHOLD, Integer(1, 50), cell_required=True,
           aliases=("家庭人口", "人口数", "户人口数", "人数", "家庭人数", "家庭总人口")),
    Column("联系电话", "phone", HOUSEHOLD,
           Pattern(r"[0-9+\-()]{5,20}", "phone_format", _("电话号码")), aliases=("电话", "联系方式", "手机号码", "手机号")),
    Column("识别标准", "standard", HOUSEHOLD, Code(choices.IdentificationStandard, STANDARD_ALIASES),
           cell_required=True),
    Column("贫困户属性", "attribute", HOUSEHOLD, Code(choices.Attribute, ATTRIBUTE_ALIASES),
           header_required=True, cell_required=True, aliases=("贫困户类型", "户属性", "脱贫户属性")),
    Column("主要致贫原因", "main_cause", HOUSEHOLD, Code(choices.Cause, CAUSE_ALIASES), header_required=True,
           cell_required=True, aliases=("致贫原因",)),
    Column("其他致贫原因", "other_causes", HOUSEHOLD, Codes(choices.Cause, CAUSE_ALIASES),
           aliases=("次要致贫原因", "其他原因")),
    Column("脱贫状态", "status", HOUSEHOLD, Code(choices.Status, STATUS_ALIASES), header_required=True,
           cell_required=True, aliases=("贫困户状态", "脱贫标志", "脱贫标识", "户状态")),
    Column("识别年度", "year_identified", HOUSEHOLD, YEAR, header_required=True, cell_required=True,
           aliases=("识别年份", "纳入年度")),
    Column("脱贫年度", "exit_year", HOUSEHOLD, YEAR, aliases=("脱贫年份",)),
    # Blank: not recorded, the register keeps what it has.
    Column("是否危房", "is_dangerous", HOUSEHOLD, Boolean(blank=ABSENT), aliases=("是否危房户", "危房户", "是否为危房")),
    Column("危房等级", "housing_grade", HOUSEHOLD, Code(choices.HousingGrade, GRADE_ALIASES),
           aliases=("住房安全等级", "危房级别")),
    Column("饮水是否安全", "safe_drinking_water", HOUSEHOLD, BOOLEAN, cell_required=True,
           aliases=("饮水安全", "是否饮水安全")),
    Column("住房面积", "housing_area", HOUSEHOLD, Amount(Decimal("99999.99"), _("平方米,不小于0"))),
    Column("工资性收入", "wage_income", HOUSEHOLD, MONEY, aliases=("工资收入", "务工收入")),
    Column("生产经营性收入", "business_income", HOUSEHOLD, MONEY,
           aliases=("家庭经营性收入", "经营性收入", "生产经营收入")),
    Column("财产性收入", "property_income", HOUSEHOLD, MONEY, aliases=("财产收入",)),
    Column("转移性收入", "transfer_income", HOUSEHOLD, MONEY, aliases=("转移收入",)),
    Column("生产经营性支出", "production_expenses", HOUSEHOLD, MONEY,
           aliases=("生产经营费用总支出", "生产经营费用支出", "生产经营支出", "经营性支出")),
    # The national system's exports sometimes carry only this: see records.per_capita_only.
    Column("人均纯收入", "per_capita_income", HOUSEHOLD, MONEY, in_template=False,
           aliases=("家庭年人均纯收入", "年人均纯收入", "人均收入")),
    Column("姓名", "name", PERSON, Text(32), header_required=True, cell_required=True,
           aliases=("成员姓名", "家庭成员姓名")),
    Column("性别", "sex", PERSON, Code(choices.Sex, SEX_ALIASES), cell_required=True),
    # Not cell_required: a person without an ID number gives the reason instead (rules.person_findings).
    Column("证件号码", "id_number", PERSON, IdNumberCell(), header_required=True,
           aliases=("身份证号码", "身份证号", "证件号", "公民身份号码", "身份证件号码", "成员证件号码")),
    Column("与户主关系", "relation", PERSON, Code(choices.Relation, RELATION_ALIASES), header_required=True,
           cell_required=True, aliases=("与户主的关系",)),
    Column("民族", "ethnicity", PERSON, Code(choices.Ethnicity, ETHNICITY_ALIASES), cell_required=True),
    Column("文化程度", "education", PERSON, Code(choices.Education, EDUCATION_ALIASES)),
    Column("在校生状况", "school_status", PERSON, Code(choices.SchoolStatus, SCHOOL_ALIASES, SCHOOL_AMBIGUOUS),
           aliases=("在校生情况", "在校学生", "在校生")),
    Column("健康状况", "health", PERSON, Code(choices.Health, HEALTH_ALIASES), cell_required=True,
           aliases=("健康情况",)),
    Column("劳动技能", "labour_skill", PERSON, Code(choices.LabourSkill, SKILL_ALIASES), aliases=("劳动能力",)),
    Column("务工状况", "work_status", PERSON, Code(choices.WorkStatus, WORK_ALIASES), aliases=("务工情况",)),
    Column("务工时间(月)", "months_worked", PERSON, Integer(0, 99), aliases=("务工月数", "务工时长")),
    Column("是否参加城乡居民基本医疗保险", "has_medical_insurance", PERSON, BOOLEAN,
           aliases=("是否参加新型农村合作医疗", "参加新型农村合作医疗", "是否参加新农合", "是否参加基本医疗保险", "医疗保险")),
    Column("是否参加大病保险", "has_serious_illness_insurance", PERSON, BOOLEAN, aliases=("大病保险",)),
    Column("是否参加城乡居民基本养老保险", "has_pension_insurance", PERSON, BOOLEAN,
           aliases=("是否参加新型农村社会养老保险", "是否参加城乡居民养老保险", "养老保险")),
    Column("是否享受低保", "receives_subsistence", PERSON, BOOLEAN,
           aliases=("是否低保", "享受低保", "低保人口", "是否低保对象")),
    Column("是否特困供养", "receives_destitute_support", PERSON, BOOLEAN,
           aliases=("是否五保", "是否特困", "是否特困供养人员")),
    # Not in the national layout. 出生日期 is checked against the ID number and stands in for it, with 性别 and
    # 无证件原因, for a person without one.
    Column("出生日期", "birth_date", PERSON, Date(), in_template=False, aliases=("出生年月日",)),
    Column("无证件原因", "id_missing_reason", PERSON, MISSING_ID, in_template=False,
           aliases=("无身份证原因", "无证原因", "未办证原因", "证件缺失原因")),
    # Columns of the national system's exports that a round does not import (named in one warning).
    Column("序号", "serial", INFO, in_template=False),
    Column("省", "province_name", INFO, in_template=False, aliases=("省份", "省名称")),
    Column("市", "city_name", INFO, in_template=False, aliases=("地市", "市名称", "地区")),
    Column("人员编号", "person_number", INFO, in_template=False, aliases=("成员序号", "成员编号", "个人编号")),
    Column("证件类型", "id_type", INFO, in_template=False),
    Column("户主证件号码", "head_id_number", INFO, in_template=False, aliases=("户主身份证号码", "户主身份证号")),
    Column("政治面貌", "political_status", INFO, in_template=False),
    Column("备注", "remarks", INFO, in_template=False),
)
TEMPLATE_COLUMNS = tuple(column for column in COLUMNS if column.in_template)
BY_FIELD = {column.field: column for column in COLUMNS}
HOUSEHOLD_FIELDS = tuple(column.field for column in COLUMNS if column.level == HOUSEHOLD)
PERSON_FIELDS = tuple(column.field for column in COLUMNS if column.level == PERSON)
INCOME_FIELDS = ("wage_income", "business_income", "property_income", "transfer_income", "production_expenses")


def _header_index() -> dict[str, tuple[Column, int]]:
    """header_key → (column, rank): 0 for the national header, then the aliases in their order."""
    index = {}
    for column in COLUMNS:
        for rank, name in enumerate((column.header, *column.aliases)):
            key = header_key(name)
            if key in index:
                raise ValueError(f"header {name!r} of {column.field} is already {index[key][0].field}'s")
            index[key] = (column, rank)
    return index


HEADER_INDEX = _header_index()


def match_column(cell) -> tuple[Column, int] | None:
    """The column a header cell names, with the rank of the name it used; None for an unknown header."""
    for key in header_keys(cell):
        if key in HEADER_INDEX:
            return HEADER_INDEX[key]
    return None


@dataclass
class Layout:
    """Where each known column sits in the sheet, and what did not match."""

    header_row: int  # 0-based row index of the header
    positions: dict  # Column → 0-based column index
    names: dict  # Column → the header as the sheet writes it
    unknown: list[str]  # headers that match no column
    duplicated: list[str]  # columns named twice the same way
    shadowed: list[tuple[str, str]] = field(default_factory=list)  # (header ignored, header used) for one column
    data_row: int = 0  # 0-based row index of the first data row (after rows of units or column numbers)

    @property
    def missing_required(self) -> list[Column]:
        return [
            column for column in COLUMNS if column.header_required and column not in self.positions
            and BY_FIELD.get(column.substitute) not in self.positions
        ]

    @property
    def missing_optional(self) -> list[Column]:
        return [
            column for column in TEMPLATE_COLUMNS if column.level != INFO and column not in self.positions
            and not column.header_required
        ]

    @property
    def substituted(self) -> list[Column]:
        """Required columns the file lacks whose substitute it has (村代码 → the village by its name)."""
        return [
            column for column in COLUMNS if column.header_required and column not in self.positions
            and BY_FIELD.get(column.substitute) in self.positions
        ]

    @property
    def not_imported(self) -> list[str]:
        """Recognised headers of columns a round does not import (the template's own 县 aside)."""
        return [self.names[c] for c in self.positions if c.level == INFO and not c.in_template]

    @property
    def in_ten_thousands(self) -> list[str]:
        """Money headers that state 万元: amounts a round would take for yuan."""
        return [
            self.names[c] for c in self.positions
            if getattr(c.kind, "money", False) and "万元" in unicodedata.normalize("NFKC", self.names[c])
        ]

    def has(self, name: str) -> bool:
        return BY_FIELD[name] in self.positions


def match_header(cells: list) -> Layout:
    positions, names, ranks, unknown, duplicated, shadowed = {}, {}, {}, [], [], []
    for index, cell in enumerate(cells):
        if is_blank(cell):
            continue
        text = str(cell).strip()
        matched = match_column(cell)
        if matched is None:
            unknown.append(text)
            continue
        column, rank = matched
        if column not in positions:
            positions[column], names[column], ranks[column] = index, text, rank
        elif rank == ranks[column]:
            duplicated.append(column.header)
        elif rank < ranks[column]:
            shadowed.append((names[column], text))
            positions[column], names[column], ranks[column] = index, text, rank
        else:
            shadowed.append((text, names[column]))
    return Layout(header_row=0, positions=positions, names=names, unknown=unknown, duplicated=duplicated,
                  shadowed=shadowed)


def find_header(rows: list[list]) -> Layout | None:
    """The row among the first few that names the most required columns (None when none names any)."""
    best = None
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        layout = match_header(cells)
        score = sum(column.header_required for column in layout.positions)
        if score and (best is None or score > best[0]):
            layout.header_row = layout.data_row = index
            best = (score, layout)
    if best is None:
        return None
    layout = best[1]
    layout.data_row = layout.header_row + 1
    last = min(len(rows), layout.header_row + 1 + UNIT_ROWS)
    while layout.data_row < last and is_units_row(rows[layout.data_row]):
        layout.data_row += 1
    return layout


UNIT_WORDS = {"元", "人", "月", "个月", "年", "亩", "平方米", "平米", "m2", "元/年", "元/人", "户", "公里", "km"}


def is_units_row(cells: list) -> bool:
    """A row under the header that holds units, filling hints or column numbers (1, 2, 3 …) instead of data."""
    filled = [cell for cell in cells if not is_blank(cell)]
    if not filled:
        return False
    numbers = [integral(cell) for cell in filled]
    if len(numbers) >= 3 and all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return all(b == a + 1 for a, b in zip(numbers, numbers[1:]))
    texts = [unicodedata.normalize("NFKC", str(cell)).strip() for cell in filled]
    return all(
        not header_key(text) or header_key(text) in UNIT_WORDS or header_key(text).startswith("单位")
        for text in texts
    )
