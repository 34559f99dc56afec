"""Synthetic identification-round workbooks for the tests and bench/import_round.py.

`RoundBuilder` makes valid households (one row per person, the template's columns plus
出生日期) and can seed one error of any kind, remembering which rule must fire on
which row. `excel_workbook` writes sheets the way Excel saves a township's file
(formulas with their saved results, merged titles, hidden sheets). Names and ID numbers
are invented; IDs carry a correct check character.
"""
import datetime
import io
import random
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl import Workbook
from stdnum.cn import ric

from identification.columns import SHEET_NAME, TEMPLATE_COLUMNS
from identification.reader import column_letter

AREA = "450400"  # a division code stdnum knows for every birth year: no 地区码 warnings on synthetic IDs
HEADERS = [column.header for column in TEMPLATE_COLUMNS] + ["出生日期"]
SURNAMES = "李黄陈梁覃莫韦蒙刘张王周何吴罗杨林钟谢邓"
GIVEN = "伟强明军华建国志勇文芳秀英丽娟敏霞燕玲红梅兰"
# 出生日期 as real Excel dates and as text in the common forms the reader accepts.
DATE_FORMS = (
    lambda d: d, lambda d: f"{d:%Y-%m-%d}", lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日", lambda d: f"{d:%Y.%m.%d}", lambda d: f"{d:%Y%m%d}",
)


def id_number(birth_date: datetime.date, serial: int, area: str = AREA) -> str:
    body = f"{area}{birth_date:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def to_15_digits(number: str) -> str:
    return number[:6] + number[8:17]


def write_workbook(rows: list[list], headers=None, sheet_name=SHEET_NAME, above=()) -> bytes:
    """An xlsx of `headers` and `rows` in write-only mode (rows above the header, e.g. a title, go first)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    for row in above:
        sheet.append(row)
    sheet.append(headers or HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class RoundBuilder:
    """Households as rows (dicts by header); `expected` collects (row, rule id) the seeded errors must produce."""

    def __init__(self, seed: int = 1, year: int = 2016):
        self.rng = random.Random(seed)
        self.year = year
        self.households: list[list[dict]] = []
        self.expected: set[tuple[int, str]] = set()
        self.used_ids: set[str] = set()
        self.serial = 0

    # --- valid data -----------------------------------------------------------------------------------

    def new_id(self, birth_date: datetime.date, male: bool) -> str:
        while True:
            self.serial += 1
            serial = (self.serial % 499) * 2 + (1 if male else 0)
            number = id_number(birth_date, serial)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def birth(self, low: int, high: int) -> datetime.date:
        return datetime.date(self.rng.randint(low, high), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def person(self, relation: str, male: bool, born: datetime.date, surname: str) -> dict:
        child = born.year >= 2001
        return {
            "姓名": surname + self.rng.choice(GIVEN) + self.rng.choice(GIVEN),
            "性别": "男" if male else "女",
            "证件号码": self.new_id(born, male),
            "与户主关系": relation,
            "民族": self.rng.choice(["汉族", "汉族", "壮族", "瑶族"]),
            "文化程度": "" if child else self.rng.choice(["小学", "初中", "高中", "文盲或半文盲"]),
            "在校生状况": ("小学" if born.year >= 2006 else "七年级") if child else "非在校生",
            "健康状况": self.rng.choice(["健康", "健康", "健康", "长期慢性病", "残疾"]),
            "劳动技能": "无劳动力" if child else "普通劳动力",
            "务工状况": "" if child else self.rng.choice(["省外务工", "乡(镇)内务工", ""]),
            "务工时间(月)": 0 if child else self.rng.randint(0, 12),
            "是否参加城乡居民基本医疗保险": "是",
            "是否参加大病保险": "是",
            "是否参加城乡居民基本养老保险": "否" if child else "是",
            "是否享受低保": "否",
            "是否特困供养": "否",
            "出生日期": self.rng.choice(DATE_FORMS)(born),
        }

    def add_household(self, number: str, village_code: str, size: int | None = None, **household) -> list[dict]:
        size = size or self.rng.randint(1, 6)
        surname = self.rng.choice(SURNAMES)
        members = [self.person("户主", True, self.birth(1950, 1985), surname)]
        if size > 1:
            members.append(self.person("配偶", False, self.birth(1955, 1988), self.rng.choice(SURNAMES)))
        for _ in range(size - len(members)):
            son = self.rng.random() < 0.5
            members.append(self.person("之子" if son else "之女", son, self.birth(2001, 2012), surname))
        values = {
            "县": "示范县", "乡镇": "甲镇", "行政村": "甲村", "村代码": village_code, "组": "一组",
            "户编号": number, "户主姓名": members[0]["姓名"], "家庭人口数": len(members),
            "联系电话": f"138{self.rng.randint(0, 99999999):08d}", "识别标准": "国家标准", "贫困户属性": "一般贫困户",
            "主要致贫原因": self.rng.choice(["因病", "缺技术", "缺资金", "因学"]), "其他致贫原因": "缺劳力、缺资金",
            "脱贫状态": "未脱贫", "识别年度": 2014, "脱贫年度": "", "是否危房": "否", "危房等级": "B",
            "饮水是否安全": "是", "住房面积": 85.5, "工资性收入": 12000, "生产经营性收入": 3000, "财产性收入": 0,
            "转移性收入": 1800, "生产经营性支出": 600,
        }
        values.update(household)
        rows = [{**values, **member} for member in members]
        self.households.append(rows)
        return rows

    def rows(self) -> list[list]:
        """All rows as lists in HEADERS order; the first data row is sheet row 2."""
        return [[row.get(header, "") for header in HEADERS] for rows in self.households for row in rows]

    def workbook(self, **options) -> bytes:
        return write_workbook(self.rows(), **options)

    def row_of(self, household: list[dict], index: int = 0) -> int:
        """The sheet row of a household's `index`-th person (header on row 1)."""
        position = 2
        for rows in self.households:
            if rows is household:
                return position + index
            position += len(rows)
        raise ValueError("not a household of this builder")

    # --- seeded errors --------------------------------------------------------------------------------

    def renew_ids(self, household: list[dict]) -> None:
        """New ID numbers (same birth date and sex) for everyone in `household`."""
        for row in household:
            born = datetime.datetime.strptime(row["证件号码"][6:14], "%Y%m%d").date()
            row["证件号码"] = self.new_id(born, row["性别"] == "男")

    def set_all(self, household: list[dict], header: str, value) -> None:
        for row in household:
            row[header] = value

    def seed(self, kind: str, household: list[dict], **context) -> None:
        """Break `household` (3+ persons, built here) in the way `kind` names; record the finding it must give."""
        head, spouse, child = household[0], household[1], household[2]
        first, child_row = self.row_of(household), self.row_of(household, 2)
        person_kinds = {
            "required": lambda: child.update({"民族": ""}),
            "code_list": lambda: child.update({"健康状况": "很好"}),
            "too_long": lambda: child.update({"姓名": "长" * 40}),
            "id_invalid": lambda: child.update({"证件号码": child["证件号码"][:17] + "01"[child["证件号码"][17] == "0"]}),
            # Typed as a number, Excel keeps 15 significant digits of the 18
            "id_as_number": lambda: child.update({"证件号码": int(child["证件号码"][:15] + "000")}),
            "sex_vs_id": lambda: child.update({"性别": "女" if child["性别"] == "男" else "男"}),
            "birth_date_vs_id": lambda: child.update({"出生日期": "2000-01-01"}),
            "not_date": lambda: child.update({"出生日期": "2008-13-45"}),
            "relation_vs_sex": lambda: child.update({"与户主关系": "之女" if child["性别"] == "男" else "之子"}),
            "education_or_school": lambda: child.update({"在校生状况": ""}),
            "months_worked": lambda: child.update({"务工时间(月)": 15}),
            "not_integer": lambda: child.update({"务工时间(月)": "半年"}),
        }
        household_kinds = {
            "household_number_format": ("户编号", head["户编号"] + "#"),
            "village_code_format": ("村代码", "4504"),
            "phone_format": ("联系电话", "电话"),
            "out_of_range": ("识别年度", 1999),
            "not_number": ("工资性收入", "一万"),
            "negative": ("生产经营性收入", -100),
            "household_size": ("家庭人口数", len(household) + 1),
            "head_name": ("户主姓名", "某某某"),
            "village_unknown": ("村代码", "450481999999"),
        }
        if kind in ("household_number_format", "household_out_of_scope"):
            self.renew_ids(household)  # else its registered members would show up as living in two households
        if kind in person_kinds:
            person_kinds[kind]()
            self.expected.add((child_row, kind))
        elif kind in household_kinds:
            header, value = household_kinds[kind]
            self.set_all(household, header, value)
            self.expected.add((first, kind))
        elif kind == "several_heads":  # reported on each head's row
            spouse["与户主关系"] = "户主"
            self.expected |= {(first, kind), (self.row_of(household, 1), kind)}
        elif kind == "no_head":
            head["与户主关系"] = "其他"
            self.expected.add((first, kind))
        elif kind == "rows_disagree":  # reported on every row of the household
            spouse["识别年度"] = 2015
            self.expected |= {(self.row_of(household, index), kind) for index in range(len(household))}
        elif kind == "exit_year_missing":
            self.set_all(household, "脱贫状态", "已脱贫(享受政策)")
            self.expected.add((first, kind))
        elif kind == "dangerous_house_grade":
            self.set_all(household, "是否危房", "是")
            self.expected.add((first, kind))
        elif kind == "duplicate_in_file":  # reported on both rows
            source, source_household = context["source"], context["source_household"]
            household.append({**household[0], **{k: source[k] for k in source if k in PERSON_HEADERS}})
            self.set_all(household, "家庭人口数", len(household))
            self.expected |= {(self.row_of(household, len(household) - 1), kind),
                              (self.row_of(source_household, source_household.index(source)), kind)}
        elif kind in ("village_out_of_scope",):
            self.set_all(household, "村代码", context["village_code"])
            self.expected.add((first, kind))
        elif kind == "household_out_of_scope":
            self.set_all(household, "户编号", context["number"])
            self.expected.add((first, kind))
        elif kind == "active_elsewhere":
            id_number, sex = context["person"]  # an active member of a registered household the file leaves out
            child.update({"证件号码": id_number, "性别": sex, "与户主关系": "其他",
                          "出生日期": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"})
            self.expected.add((child_row, kind))
        else:
            raise ValueError(f"unknown error kind {kind}")


PERSON_HEADERS = {
    "姓名", "性别", "证件号码", "与户主关系", "民族", "文化程度", "在校生状况", "健康状况", "劳动技能", "务工状况",
    "务工时间(月)", "是否参加城乡居民基本医疗保险", "是否参加大病保险", "是否参加城乡居民基本养老保险", "是否享受低保",
    "是否特困供养", "出生日期",
}
SIMPLE_KINDS = (
    "required", "code_list", "too_long", "id_invalid", "id_as_number", "sex_vs_id", "birth_date_vs_id", "not_date",
    "relation_vs_sex", "education_or_school", "months_worked", "not_integer", "household_number_format",
    "village_code_format", "phone_format", "out_of_range", "not_number", "negative", "household_size", "head_name",
    "village_unknown", "several_heads", "no_head", "rows_disagree", "exit_year_missing", "dangerous_house_grade",
)
CONTEXT_KINDS = ("duplicate_in_file", "village_out_of_scope", "household_out_of_scope", "active_elsewhere")


# --- workbooks as Excel writes them -------------------------------------------------------------------------
# openpyxl cannot store a formula's cached result, and township files are full of them; so these are written
# as SpreadsheetML by hand: shared strings, styled dates, formulas with (or without) the value Excel saved,
# merged title rows, hidden instruction sheets.


@dataclass(frozen=True)
class Formula:
    """A formula cell; `cached`: the result Excel saved with the file (None: none saved, e.g. a generator's file)."""

    expression: str
    cached: object = None


@dataclass(frozen=True)
class ErrorValue:
    """A cell whose saved result is an Excel error (#DIV/0!, #REF! …)."""

    code: str


@dataclass
class SheetSpec:
    name: str
    rows: list  # lists of cell values, from row 1
    merged: tuple = ()  # "A1:H1", …
    hidden: bool = False


XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def excel_workbook(*sheets: SheetSpec) -> bytes:
    """An .xlsx of `sheets` as Excel saves one (shared strings, a date style, cached formula results)."""
    strings: dict[str, int] = {}
    parts = {f"xl/worksheets/sheet{n}.xml": _sheet_xml(sheet, strings) for n, sheet in enumerate(sheets, start=1)}
    shared = "".join(f"<si><t xml:space=\"preserve\">{escape(text)}</t></si>" for text in strings)
    parts["xl/sharedStrings.xml"] = (
        f'{XML_HEAD}<sst xmlns="{MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>'
    )
    parts["xl/styles.xml"] = (
        f'{XML_HEAD}<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '</fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
    )
    entries = "".join(
        f'<sheet name="{escape(sheet.name)}" sheetId="{n}" state="{"hidden" if sheet.hidden else "visible"}" '
        f'r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, start=1)
    )
    parts["xl/workbook.xml"] = (
        f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{entries}</sheets></workbook>'
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    relations += f'<Relationship Id="rIdS" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    relations += f'<Relationship Id="rIdT" Type="{RELS}/styles" Target="styles.xml"/>'
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts["xl/_rels/workbook.xml.rels"] = f'{XML_HEAD}<Relationships xmlns="{package}">{relations}</Relationships>'
    parts["_rels/.rels"] = (
        f'{XML_HEAD}<Relationships xmlns="{package}"><Relationship Id="rId1" Type="{RELS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    types = "http://schemas.openxmlformats.org/package/2006/content-types"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{office}.worksheet+xml"/>' for name in parts if "worksheets" in name
    )
    parts["[Content_Types].xml"] = (
        f'{XML_HEAD}<Types xmlns="{types}"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>{overrides}</Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _sheet_xml(sheet: SheetSpec, strings: dict) -> str:
    rows = []
    for number, values in enumerate(sheet.rows, start=1):
        cells = "".join(
            _cell_xml(f"{column_letter(index)}{number}", value, strings)
            for index, value in enumerate(values) if value is not None and value != ""
        )
        rows.append(f'<row r="{number}">{cells}</row>')
    merged = "".join(f'<mergeCell ref="{ref}"/>' for ref in sheet.merged)
    merged = f'<mergeCells count="{len(sheet.merged)}">{merged}</mergeCells>' if sheet.merged else ""
    return f'{XML_HEAD}<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData>{merged}</worksheet>'


def _cell_xml(reference: str, value, strings: dict) -> str:
    if isinstance(value, Formula):
        cached = value.cached
        if cached is None:
            return f'<c r="{reference}"><f>{escape(value.expression)}</f></c>'
        if isinstance(cached, ErrorValue):
            return f'<c r="{reference}" t="e"><f>{escape(value.expression)}</f><v>{cached.code}</v></c>'
        if isinstance(cached, str):
            return f'<c r="{reference}" t="str"><f>{escape(value.expression)}</f><v>{escape(cached)}</v></c>'
        return f'<c r="{reference}"><f>{escape(value.expression)}</f><v>{cached}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c r="{reference}" s="1"><v>{(value - EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{reference}"><v>{value}</v></c>'
    index = strings.setdefault(str(value), len(strings))
    return f'<c r="{reference}" t="s"><v>{index}</v></c>'


class OfficeSheet:
    """Households (lists of rows keyed by national header) as a township office lays them out.

    `headers`: national header → the header as the office writes it, in the office's column order (a header
    the national layout lacks maps from itself); `above`: title and hint rows; `below`: rows of units or
    column numbers under the header.
    """

    def __init__(self, households: list, headers: dict, above=(), below=()):
        self.households, self.headers, self.above, self.below = households, headers, list(above), list(below)

    @property
    def first_data_row(self) -> int:
        return len(self.above) + 1 + len(self.below) + 1

    def rows(self) -> list[list]:
        names = list(self.headers)
        body = [[row.get(name, "") for name in names] for rows in self.households for row in rows]
        return [*self.above, list(self.headers.values()), *self.below, *body]

    def row_of(self, household: list, index: int = 0) -> int:
        """The sheet row of a household's `index`-th person."""
        position = self.first_data_row
        for rows in self.households:
            if rows is household:
                return position + index
            position += len(rows)
        raise ValueError("not a household of this sheet")

    def cell(self, header: str, household: list, index: int = 0) -> str:
        """The A1 name of a household's person's cell under national `header`."""
        return f"{column_letter(list(self.headers).index(header))}{self.row_of(household, index)}"

    def workbook(self, *extra: SheetSpec, merged=()) -> bytes:
        return excel_workbook(*extra, SheetSpec(SHEET_NAME, self.rows(), merged=merged))
