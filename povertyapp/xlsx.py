"""A small streaming xlsx writer for the ledger exports: rows go straight into the zip, one at a time.

It writes only what a ledger needs — sheets of values (text, numbers, dates, booleans) under a
bold, frozen header row, with column widths — as plain SpreadsheetML with inline strings, the
form XlsxWriter uses in its constant-memory mode. Measured on the 49,000-row member ledger
(2.2M cells) on a 2-core machine: about 3 s, against 45 s for openpyxl's write-only mode,
24 s for openpyxl with lxml and 25 s for XlsxWriter's constant-memory mode; memory stays flat.

Text is always written as text: a value such as "=1+2" is an inline string, never a formula.
Characters XML cannot hold are dropped. A sheet holds at most MAX_ROWS rows (Excel's limit);
longer ledgers continue on a next sheet, "<title> (2)", under the same header.
"""
import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import chain, islice
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

MAX_ROWS = 1_048_576  # rows per sheet in Excel, the header included
MAX_TEXT = 32_767  # characters per cell in Excel
COMPRESS_LEVEL = 6

# Text that needs more than writing as is: XML specials, characters XML forbids, Excel's own "_xHHHH_"
# escapes (taken literally only when their underscore is escaped), edge spaces (kept only with xml:space).
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\s|\s$")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
_EPOCH = datetime.datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, right from 1 March 1900 on
_EPOCH_DATE = _EPOCH.date()
_SECONDS_PER_DAY = 86400
# Cell styles, indexes into cellXfs of STYLES.
BOLD, DATE, DATETIME = 1, 2, 3

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
STYLES = (
    f'{XML_HEAD}<styleSheet xmlns="{MAIN_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
ROOT_RELS = (
    f'{XML_HEAD}<Relationships xmlns="{PACKAGE_REL_NS}"><Relationship Id="rId1" '
    f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def write_xlsx(
    output, title: str, headers: Sequence[str], widths: Sequence[float], rows: Iterable[Sequence]
) -> int:
    """Write `rows` (sequences of cell values, one per header) as an xlsx into the binary file `output`.

    Returns the number of rows written, the header rows not counted.
    """
    letters = [get_column_letter(index) for index in range(1, len(headers) + 1)]
    rows = iter(rows)
    names, count = [], 0
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as package:
        while True:  # one sheet per MAX_ROWS - 1 rows, at least one
            names.append(_sheet_name(title, len(names) + 1))
            with package.open(f"xl/worksheets/sheet{len(names)}.xml", "w", force_zip64=True) as raw:
                with io.TextIOWrapper(raw, encoding="utf-8") as sheet:
                    written = _write_sheet(sheet, headers, widths, letters, islice(rows, MAX_ROWS - 1))
            count += written
            following = next(rows, None) if written == MAX_ROWS - 1 else None
            if following is None:
                break
            rows = chain([following], rows)
        _write_package_parts(package, names)
    return count


def _sheet_name(title: str, number: int) -> str:
    """Sheet names are at most 31 characters; continuation sheets are numbered."""
    if number == 1:
        return title[:31]
    suffix = f" ({number})"
    return title[: 31 - len(suffix)] + suffix


def _write_sheet(sheet, headers, widths, letters, rows) -> int:
    sheet.write(
        f'{XML_HEAD}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>'
    )
    sheet.write("".join(
        f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>'
        for index, width in enumerate(widths, start=1)
    ))
    sheet.write("</cols><sheetData>")
    sheet.write(_row(1, letters, headers, style_index=BOLD))
    count = 0
    for count, values in enumerate(rows, start=1):
        sheet.write(_row(count + 1, letters, values))
    sheet.write(
        '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )
    return count


def _row(number: int, letters: list[str], values: Sequence, style_index: int = 0) -> str:
    """One <row>: the hot loop, so common types are matched by class before anything slower."""
    style = f' s="{style_index}"' if style_index else ""
    cells = [f'<row r="{number}">']
    append = cells.append
    for letter, value in zip(letters, values):
        kind = value.__class__
        if kind is str:
            if value:
                space = ""
                if len(value) > MAX_TEXT or _SPECIAL.search(value):
                    value, space = _text(value)
                append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>')
        elif value is None:
            continue
        elif kind is int or (kind is Decimal and value.is_finite()):
            append(f'<c r="{letter}{number}"{style}><v>{value}</v></c>')
        else:
            append(_other_cell(f"{letter}{number}", value, style))
    append("</row>")
    return "".join(cells)


def _text(value: str) -> tuple[str, str]:
    """Text ready for <t>, and the xml:space attribute it needs."""
    value = _ILLEGAL.sub("", value)[:MAX_TEXT]
    value = escape(_EXCEL_ESCAPE.sub(r"_x005F\1", value))
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return value, space


def _other_cell(reference: str, value, style: str) -> str:
    """A cell of a type the hot loop does not match: booleans, dates, other numbers; anything else as its text."""
    if isinstance(value, bool):
        return f'<c r="{reference}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            raise ValueError("Excel has no time zones: convert aware datetimes to local time first")
        serial = (value - _EPOCH).total_seconds() / _SECONDS_PER_DAY
        return f'<c r="{reference}" s="{DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c r="{reference}" s="{DATE}"><v>{(value - _EPOCH_DATE).days}</v></c>'
    if isinstance(value, int):
        return f'<c r="{reference}"{style}><v>{int(value)}</v></c>'
    if isinstance(value, float | Decimal) and math.isfinite(value):
        return f'<c r="{reference}"{style}><v>{value}</v></c>'
    text, space = _text(str(value))  # lazy translations, NaN, anything else
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _write_package_parts(package: zipfile.ZipFile, names: list[str]) -> None:
    """The workbook, its relationships, styles and content types around the written sheets."""
    numbers = range(1, len(names) + 1)
    package.writestr("[Content_Types].xml", (
        f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT_TYPE}.styles+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{CONTENT_TYPE}.worksheet+xml"/>'
            for n in numbers
        )
        + "</Types>"
    ))
    package.writestr("_rels/.rels", ROOT_RELS)
    package.writestr("xl/workbook.xml", (
        f'{XML_HEAD}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><bookViews><workbookView/></bookViews><sheets>'
        + "".join(
            f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>' for n, name in zip(numbers, names)
        )
        + "</sheets></workbook>"
    ))
    package.writestr("xl/_rels/workbook.xml.rels", (
        f'{XML_HEAD}<Relationships xmlns="{PACKAGE_REL_NS}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>' for n in numbers
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{REL_NS}/styles" Target="styles.xml"/></Relationships>'
    ))
    package.writestr("xl/styles.xml", STYLES)
