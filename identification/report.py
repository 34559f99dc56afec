"""Workbooks the round pages hand out: the blank template and the error report.

The error report is the uploaded sheet, every row as it was, with a 校验结果 column
added that lists the row's errors and warnings; it is written with openpyxl's
write-only mode (constant memory) once, when the round is checked.
"""
import io
import tempfile
from collections import defaultdict

from django.core.files import File
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from .choices import Severity
from .columns import SHEET_NAME, TEMPLATE_COLUMNS, Code, Codes, IdNumberCell, Pattern
from .reader import column_letter, local_path, open_sheet

HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
ERROR_FONT = Font(color="B42318")
TEMPLATE_ROWS = 20000  # rows given text format and drop-down lists


def template_workbook() -> bytes:
    """The blank round workbook: the header in the national layout, code lists as drop-downs, a sheet of notes."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_NAME
    codes = book.create_sheet("代码表")
    notes = book.create_sheet("填写说明")
    notes.append([_("列名"), _("必填"), _("填写说明")])
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
        required = _("是") if column.header_required or column.cell_required else ""
        notes.append([column.header, required, str(column.kind.hint)])
    sheet.freeze_panes = "A2"
    codes.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def error_report(round_, findings) -> str:
    """Write the uploaded sheet plus a 校验结果 column to storage; returns the stored file's name."""
    by_row = defaultdict(list)
    for item in findings:
        prefix = _("【错误】") if item.rule.severity == Severity.ERROR else _("【警告】")
        by_row[item.row].append(prefix + item.message)
    book = Workbook(write_only=True)
    sheet_out = book.create_sheet(SHEET_NAME)
    with round_.file.open("rb") as file:
        sheet = open_sheet(file, local_path(round_.file))
        header_row, pad = sheet.layout.header_row, [None] * sheet.first_column
        for index, cells in enumerate(sheet.all_rows()):
            if index < header_row:
                sheet_out.append([*pad, *cells])
                continue
            if index == header_row:
                extra = _result_cell(sheet_out, _("校验结果"), bold=True)
            else:
                messages = by_row.get(index + 1)
                extra = _result_cell(sheet_out, ";".join(messages)) if messages else None
            sheet_out.append([*pad, *cells, extra])
    if None in by_row:
        sheet_file = book.create_sheet(_("文件问题"))
        for message in by_row[None]:
            sheet_file.append([message])
    with tempfile.TemporaryFile() as temporary:
        book.save(temporary)
        temporary.seek(0)
        name = round_.error_report.field.generate_filename(round_, f"round-{round_.pk}-errors.xlsx")
        return round_.error_report.storage.save(name, File(temporary))


def _result_cell(sheet, text: str, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True, color="B42318") if bold else ERROR_FONT
    return cell
