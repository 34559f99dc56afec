"""Opening an uploaded round workbook: refuse what cannot be read at all, then hand out the rows.

What the file may hold is checked first, streaming (identification.limits): the zip's directory and the
shared-string table before calamine opens the file, each sheet before calamine loads it. Cells are read with
python-calamine (about 6x faster than openpyxl's read-only mode).
Calamine returns a formula cell's cached value (the result Excel stored when it last
saved the file) and "" when there is none, without saying which cells were formulas.
So the sheet's XML part is streamed once more and searched for <f> elements — in the
pass that checks the sheet against the limits, a second or two for 100,000 rows, every
row covered — and each formula cell is noted
with whether the file stores its value: the row reader then takes the value with a
warning naming the cell, or makes the cell an error on its own row. Merged cells
come from calamine.
"""
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from posixpath import join, normpath
from xml.etree import ElementTree

import python_calamine
from django.utils.translation import gettext as _

from .columns import HEADER_SEARCH_ROWS, SHEET_NAME, UNIT_ROWS, Layout, find_header
from .limits import (
    Deadline,
    Limits,
    SheetExtent,
    WorkbookError,
    check_archive,
    check_directory,
    check_shared_strings,
    check_whole_part,
    column_index,
    damaged,
)

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls and encrypted workbooks
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
CELL_END = re.compile(rb"</(?:\w+:)?c>")
CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
ERROR_TYPE = re.compile(rb'\bt="e"')
STRING_TYPE = re.compile(rb'\bt="str"')
CACHED_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")
VALUE_ELEMENT = re.compile(rb"<(?:\w+:)?v[\s>/]")
FORMULA_CHUNK = 1 << 20  # bytes of sheet XML per read
FORMULA_TAIL = 512  # bytes kept between reads: a cell's start tag and a cut "<f"
SHOWN_CELLS = 5
DEADLINE_ROWS = 1000  # rows read between two looks at the clock
SHARED_STRINGS = "/sharedStrings"  # the end of the type of the workbook's relationship to its shared strings
CALAMINE_SHARED_STRINGS = "xl/sharedStrings.xml"  # where calamine may look for them, whatever the relationship says
# What zipfile and zlib raise for a damaged archive or part (read whole or streamed).
DAMAGED_ZIP = (zipfile.BadZipFile, KeyError, ElementTree.ParseError, zlib.error, EOFError, NotImplementedError)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """0-based coordinates → A1 notation."""
    return f"{column_letter(column)}{row + 1}"


def check_signature(head: bytes) -> None:
    """Reject empty files and files that are not xlsx by their first bytes."""
    if not head:
        raise WorkbookError(_("文件为空(0字节),请重新导出后上传。"))
    if head.startswith(OLE2_MAGIC):
        raise WorkbookError(_("这是旧版Excel(.xls)文件或加密的工作簿,请在Excel中另存为“Excel工作簿(*.xlsx)”后上传。"))
    if not head.startswith(ZIP_MAGIC):
        raise WorkbookError(_("文件不是xlsx格式的Excel工作簿(可能是CSV、WPS或改了扩展名的其他文件)。"))


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell: its A1 name and whether the file stores its result (not an error value)."""

    cell: str
    has_value: bool


@dataclass
class Sheet:
    """The chosen sheet: its name, header layout, the rows below the header and its formula cells."""

    name: str
    layout: Layout
    _calamine_sheet: object = field(repr=False)
    deadline: Deadline = field(repr=False)
    formulas: dict = field(default_factory=dict)  # Excel row number → {0-based column: Formula}

    def rows(self):
        """(Excel row number, cells) for each data row (below the header and any row of units under it), within
        the validation's time budget."""
        for index, cells in enumerate(self._calamine_sheet.iter_rows()):
            if index % DEADLINE_ROWS == 0:
                self.deadline.check(row=index + 1)
            if index >= self.layout.data_row:
                yield index + 1, cells

    @property
    def row_count(self) -> int:
        end = self._calamine_sheet.end
        return max(0, end[0] + 1 - self.layout.data_row) if end else 0

    @property
    def last_column(self) -> int:
        """The 0-based index of the sheet's last used column (absolute, like A1 notation)."""
        end = self._calamine_sheet.end
        return end[1] if end else 0


def local_path(field_file) -> str | None:
    """A stored file's path when the storage keeps it on this machine's disk (None for remote storages)."""
    try:
        return field_file.path
    except NotImplementedError:
        return None


def open_sheet(file, path: str | None = None) -> Sheet:
    """Open `file` (seekable binary) and return its round sheet, or raise WorkbookError.

    With the file's `path` calamine reads it from disk instead of holding a second copy of its bytes.
    """
    limits = Limits.from_settings()
    deadline = Deadline(limits.seconds)
    file.seek(0)
    check_signature(file.read(8))
    check_directory(file)
    file.seek(0)
    try:
        archive = zipfile.ZipFile(file)
        check_archive(archive, limits)
        sheets, relationships = _workbook(archive)
        for part in _shared_strings_parts(archive, relationships):
            check_shared_strings(archive, part, limits, deadline)
    except DAMAGED_ZIP:
        raise damaged() from None
    file.seek(0)
    try:
        book = (python_calamine.CalamineWorkbook.from_path(path) if path
                else python_calamine.CalamineWorkbook.from_filelike(file))
    except python_calamine.CalamineError as exc:
        raise WorkbookError(_("无法读取该工作簿:%(error)s") % {"error": exc}) from None

    def scan(name: str) -> dict:
        return _scan_sheet(archive, [part for listed, part in sheets if listed == name], name, limits, deadline)

    name, calamine_sheet, layout, formulas = _choose_sheet(book, scan)
    _check_layout(layout, name)
    _check_merged(calamine_sheet, layout)
    data = {row: cells for row, cells in formulas.items() if row > layout.data_row}
    return Sheet(name=name, layout=layout, _calamine_sheet=calamine_sheet, deadline=deadline, formulas=data)


def _scan_sheet(archive: zipfile.ZipFile, parts: list, name: str, limits: Limits, deadline: Deadline) -> dict:
    """The formula cells of sheet `name`, checked against the limits in the same pass, before calamine loads it.
    Every part listed under the name is scanned; none at all (a name calamine reads otherwise) is refused."""
    if not parts:
        raise damaged()
    try:
        found = [formula_cells(archive.open(part), first_row=1, extent=SheetExtent(name, limits, deadline))
                 for part in parts]
    except DAMAGED_ZIP:
        raise damaged() from None
    return found[0]


def _workbook(archive: zipfile.ZipFile) -> tuple[list, dict]:
    """[(sheet name, path of its XML part)] in the workbook's order, and relationship id → (type, path)."""
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        check_whole_part(archive, name)
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    relationships = {
        rel.get("Id"): (rel.get("Type", ""), _part_path(rel.get("Target", "")))
        for rel in rels.iter(f"{PKG_REL_NS}Relationship")
    }
    sheets = [
        (sheet.get("name"), relationships.get(sheet.get(f"{REL_NS}id"), ("", ""))[1])
        for sheet in workbook.iter(f"{MAIN_NS}sheet")
    ]
    return sheets, relationships


def _part_path(target: str) -> str:
    """A workbook relationship's target → the part's path in the archive (as calamine resolves it)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return target if target.startswith("xl/") else normpath(join("xl", target))


def _shared_strings_parts(archive: zipfile.ZipFile, relationships: dict) -> set:
    parts = {path for kind, path in relationships.values() if kind.endswith(SHARED_STRINGS)}
    if CALAMINE_SHARED_STRINGS in archive.namelist():
        parts.add(CALAMINE_SHARED_STRINGS)
    return parts


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part inside the archive."""
    return dict(_workbook(archive)[0])


def _choose_sheet(book, scan):
    """The sheet named 识别数据, else the first sheet with a recognisable header; with its formula cells from
    `scan`(name), which checks each sheet before calamine loads it."""
    names = book.sheet_names
    candidates = [SHEET_NAME] if SHEET_NAME in names else names
    for name in candidates:
        formulas = scan(name)
        sheet = book.get_sheet_by_name(name)
        top = [cells for _index, cells in zip(range(HEADER_SEARCH_ROWS + UNIT_ROWS), sheet.iter_rows())]
        layout = find_header(top)
        if layout is not None:
            return name, sheet, layout, formulas
    if SHEET_NAME in names:
        raise WorkbookError(
            _("工作表“%(sheet)s”的前%(rows)d行中没有找到表头(须有村代码、户编号、证件号码等列)。")
            % {"sheet": SHEET_NAME, "rows": HEADER_SEARCH_ROWS}
        )
    raise WorkbookError(
        _("没有找到识别数据工作表:工作簿中没有名为“%(sheet)s”的工作表,其他工作表(%(names)s)中也没有识别数据的表头。"
          "请使用下载的模板。") % {"sheet": SHEET_NAME, "names": "、".join(names)}
    )


def _check_layout(layout: Layout, sheet_name: str) -> None:
    if layout.in_ten_thousands:
        raise WorkbookError(_("这些列以万元为单位:%(columns)s。金额须以元为单位,请换算后上传。") % {
            "columns": "、".join(layout.in_ten_thousands)
        })
    if layout.duplicated:
        raise WorkbookError(_("表头中这些列出现了不止一次:%(columns)s。") % {"columns": "、".join(layout.duplicated)})
    missing = layout.missing_required
    if missing:
        message = _("工作表“%(sheet)s”第%(row)d行的表头缺少必需的列:%(columns)s。") % {
            "sheet": sheet_name, "row": layout.header_row + 1, "columns": "、".join(c.header for c in missing),
        }
        if layout.unknown:
            message += _("表头中有无法识别的列:%(unknown)s——是否改了列名?请使用模板中的列名。") % {
                "unknown": "、".join(layout.unknown[:10])
            }
        raise WorkbookError(message)


def _check_merged(sheet, layout: Layout) -> None:
    """Merged cells at or below the header hide values from every row but the first; a title above may be merged."""
    # Ranges are absolute 0-based (row, column); header_row counts from the top of the sheet, as iter_rows does.
    ranges = [(start, end) for start, end in sheet.merged_cell_ranges or [] if end[0] >= layout.header_row]
    if not ranges:
        return
    shown = "、".join(f"{cell_name(*start)}:{cell_name(*end)}" for start, end in ranges[:SHOWN_CELLS])
    if any(start[0] <= layout.header_row for start, _end in ranges):
        raise WorkbookError(_("表头有合并单元格(%(cells)s)。请取消合并,使每一列都有自己的列名。") % {"cells": shown})
    raise WorkbookError(_("数据区有合并单元格(%(cells)s)。请取消合并并在每一行填上数据。") % {"cells": shown})


def formula_cells(stream, first_row: int, extent: SheetExtent | None = None) -> dict:
    """Excel row → {0-based column: Formula} for the formula cells from `first_row` on, streaming a sheet's XML.

    A formula is the first child of its cell (<c r="U3" t="str"><f>…</f><v>…</v></c>); its result is cached
    when a non-empty <v> follows before the cell ends (for a text result, an empty one counts: the formula gave
    "") and the cell is not of the error type (#DIV/0!, #REF! …). An `extent` (limits.SheetExtent) sees every
    read of the same pass and refuses the sheet at the first limit passed, formula cells counted.
    """
    found, tail, offset, count = {}, b"", 0, 0
    with stream:
        while True:
            chunk = stream.read(FORMULA_CHUNK)
            buffer = tail + chunk
            keep, added = _formulas_in(buffer, first_row, found)
            count += added
            if extent is not None:
                keep = extent.feed(buffer, offset, keep)
                extent.check_formulas(count)
            if not chunk:
                return found
            tail, offset = buffer[keep:], offset + keep


def _formulas_in(buffer: bytes, first_row: int, found: dict) -> tuple[int, int]:
    """Adds the formula cells of `buffer` to `found`; returns from where the next read must see it again (a cell
    cut by the read) and how many cells were new."""
    position, keep, added = 0, max(0, len(buffer) - FORMULA_TAIL), 0
    if b"<f" not in buffer and b":f" not in buffer:  # substring tests run at C speed; most reads stop here
        return keep, added
    while match := FORMULA.search(buffer, position):
        start = buffer.rfind(b"<", 0, match.start())  # the cell's start tag: the tag just before its <f>
        end = CELL_END.search(buffer, match.end())
        if end is None:  # the cell goes on in the next read
            return start, added
        reference = CELL_REF.search(buffer, start, match.start())
        position = end.end()
        keep = max(position, len(buffer) - FORMULA_TAIL)
        if reference is None or int(reference.group(2)) < first_row:
            continue
        row = int(reference.group(2))
        value = (VALUE_ELEMENT if STRING_TYPE.search(buffer, start, match.start()) else CACHED_VALUE)
        has_value = (not ERROR_TYPE.search(buffer, start, match.start())
                     and value.search(buffer, match.end(), end.start()) is not None)
        cells, column = found.setdefault(row, {}), column_index(reference.group(1))
        added += column not in cells  # a cell read again (the reads overlap) counts once
        cells[column] = Formula((reference.group(1) + reference.group(2)).decode(), has_value)
    return keep, added
