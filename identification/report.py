"""Workbooks the round pages hand out: the blank template (with its notes) and the error report.

The error report is the uploaded workbook itself with one column added to the round
sheet: 校验结果, listing each row's errors and warnings. The sheet's XML is copied as a
stream and a cell appended to the rows concerned, so every cell keeps its value and
format, the memory used stays flat and a 100,000-row sheet takes seconds (rewriting
it cell by cell with openpyxl's write-only mode took ~35 s and another calamine read).
"""
import io
import re
import tempfile
import zipfile
from collections import defaultdict
from xml.sax.saxutils import escape

from django.core.files import File
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .choices import Severity
from .columns import (
    BY_FIELD, COLUMNS, HEADER_RULES, INFO, SHEET_NAME, TEMPLATE_COLUMNS, Boolean, Code, Codes, IdNumberCell, Pattern,
)
from .reader import column_letter, sheet_parts

HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
TEMPLATE_ROWS = 20000  # rows given text format and drop-down lists
READ_CHUNK = 1 << 20
ROW_START = re.compile(rb"<((?:\w+:)?)row\b([^>]*?)(/?)>")
ROW_NUMBER = re.compile(rb'\br="(\d+)"')
SPANS = re.compile(rb'\sspans="[^"]*"')  # a hint of the columns a row uses; dropped where a cell is added
DIMENSION = re.compile(rb'(<(?:\w+:)?dimension\b[^>]*\bref="[A-Z]+[0-9]+:)([A-Z]+)([0-9]+")')
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0


def template_workbook() -> bytes:
    """The blank round workbook: the header in the national layout and code lists as drop-downs, then (the
    second sheet) how to fill it: the header comparison and every column with its aliases."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    notes = book.create_sheet("填写说明")
    codes = book.create_sheet("代码表")
    code_column = 0
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = column_letter(index - 1)
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 2)
        if isinstance(column.kind, (Pattern, IdNumberCell)):
            sheet.column_dimensions[letter].number_format = "@"  # typed digits stay text: no lost ID digits
        if isinstance(column.kind, Code) and not isinstance(column.kind, Codes):
            code_column += 1
            code_letter = column_letter(code_column - 1)
            labels = list(column.kind.labels.values())
            codes.cell(row=1, column=code_column, value=column.header)
            for row, text in enumerate(labels, start=2):
                codes.cell(row=row, column=code_column, value=text)
            choice = DataValidation(
                type="list", formula1=f"'代码表'!${code_letter}$2:${code_letter}${len(labels) + 1}", allow_blank=True
            )
            choice.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
            sheet.add_data_validation(choice)
    sheet.freeze_panes = "A2"
    codes.sheet_state = "hidden"
    _write_notes(notes)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_notes(notes) -> None:
    """The 填写说明 sheet, from identification.columns: HEADER_RULES, then COLUMNS in three groups."""
    for text in HEADER_RULES:
        notes.append([str(text)])
    groups = (
        (_("模板中的列"), [c for c in COLUMNS if c.in_template]),
        (_("模板以外可加的列"), [c for c in COLUMNS if not c.in_template and c.level != INFO]),
        (_("可识别但不导入的列"), [c for c in COLUMNS if not c.in_template and c.level == INFO]),
    )
    for title, columns in groups:
        notes.append([])
        notes.append([str(title)])
        notes.append([_("列名"), _("必填"), _("也可用的列名"), _("填写说明"), _("也可填写")])
        for cell in notes[notes.max_row]:
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        for column in columns:
            notes.append([column.header, _required(column), " / ".join(column.aliases),
                          str(column.kind.hint) if column.kind else "", _written_forms(column.kind)])
    for letter, width in zip("ABCDE", (22, 16, 40, 50, 60)):
        notes.column_dimensions[letter].width = width


def _required(column) -> str:
    if column.header_required and column.substitute:
        return _("是(或填写%(other)s)") % {"other": BY_FIELD[column.substitute].header}
    return _("是") if column.header_required or column.cell_required else ""


def _written_forms(kind) -> str:
    """Everyday words a cell may hold besides the labels: 初一=七年级 …; words that need more: 初中(须写明 …)."""
    if isinstance(kind, Boolean):
        return _("是:%(yes)s;否:%(no)s") % {
            "yes": " ".join(word for word, value in kind.TABLE.items() if value),
            "no": " ".join(word for word, value in kind.TABLE.items() if not value),
        }
    if not isinstance(kind, Code):
        return ""
    blank = _("不填")  # outside the f-string, where xgettext finds it
    forms = [f"{word}={kind.label_of(code) if code else blank}" for word, code in kind.aliases.items()]
    forms += [
        _("%(word)s(须写明:%(labels)s)") % {"word": word, "labels": "/".join(kind.label_of(code) for code in codes)}
        for word, codes in kind.ambiguous.items()
    ]
    return "、".join(forms)


def error_report(round_, findings, sheet_name: str, header_row: int, last_column: int) -> str:
    """Store the uploaded workbook with a 校验结果 cell after the last column of each row that has findings.

    `header_row` is the header's 0-based row, `last_column` the sheet's last 0-based column. Returns the file's name.
    """
    texts = defaultdict(list)
    for item in findings:
        if item.row is not None:  # file-level warnings are on the round page
            prefix = _("【错误】") if item.rule.severity == Severity.ERROR else _("【警告】")
            texts[item.row].append(prefix + item.message)
    cells = {row: ";".join(messages) for row, messages in texts.items()}
    cells[header_row + 1] = _("校验结果")
    column = column_letter(last_column + 1)
    with round_.file.open("rb") as file, tempfile.TemporaryFile() as temporary:
        source = zipfile.ZipFile(file)
        part = sheet_parts(source)[sheet_name]
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                if info.filename == part:
                    with source.open(info) as stream, target.open(info.filename, "w") as out:
                        _add_column(stream, out, cells, column)
                else:
                    target.writestr(info, source.read(info))
        temporary.seek(0)
        name = round_.error_report.field.generate_filename(round_, f"round-{round_.pk}-errors.xlsx")
        return round_.error_report.storage.save(name, File(temporary))


def _add_column(stream, out, cells: dict, column: str) -> None:
    """Copy a sheet's XML, appending an inline-string cell in `column` to the rows named in `cells` (row → text)."""
    buffer, next_row, dimension_done = b"", 1, False
    while True:
        chunk = stream.read(READ_CHUNK)
        buffer += chunk
        if not dimension_done and (b"sheetData" in buffer or not chunk):  # the dimension comes before the data
            buffer, dimension_done = DIMENSION.sub(rb"\g<1>" + column.encode() + rb"\g<3>", buffer, count=1), True
        pieces, position = [], 0
        while match := ROW_START.search(buffer, position):
            prefix, attributes, empty = match.groups()
            close_tag = b"</" + prefix + b"row>"
            close = match.end() if empty else buffer.find(close_tag, match.end())
            if close < 0:
                break  # the rest of this row is in the next chunk
            number = ROW_NUMBER.search(attributes)
            row = int(number.group(1)) if number else next_row
            next_row, end = row + 1, close + (0 if empty else len(close_tag))
            pieces.append(buffer[position:match.start()])
            text = cells.get(row)
            if text is None:
                pieces.append(buffer[match.start():end])
            else:
                cell = (f'<{{p}}c r="{column}{row}" t="inlineStr"><{{p}}is><{{p}}t>{_xml_text(text)}</{{p}}t>'
                        f"</{{p}}is></{{p}}c>").replace("{p}", prefix.decode()).encode()
                inner = b"" if empty else buffer[match.end():close]
                pieces.append(b"<" + prefix + b"row" + SPANS.sub(b"", attributes) + b">" + inner + cell + close_tag)
            position = end
        out.write(b"".join(pieces))
        buffer = buffer[position:]
        if not chunk:
            out.write(buffer)
            return


def _xml_text(text: str) -> str:
    return escape(CONTROL_CHARACTERS.sub("", text))
