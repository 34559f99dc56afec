"""Ledger (台账) exports: xlsx written in openpyxl's write-only mode, then streamed to the browser.

An export view is a list view — the same restrict() and filter set as the page whose
button links to it — that writes its rows into a workbook instead of rendering them.
Rows come from `.values()` with `.iterator()`, openpyxl spills each row to a temporary
file as it is appended, and the finished file is streamed by FileResponse: memory
stays flat and there is no query per row.

ID numbers, phones and bank accounts are masked unless the user's role may see them
in full (povertyapp.access.sees_personal_data); an export that shows them in full
writes one PersonalDataAccess row.
"""
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter

from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .access import sees_personal_data
from .models import PersonalDataAccess
from .views import ObjectListView

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 2000
YES_NO = {True: _("是"), False: _("否")}


@dataclass(frozen=True)
class Column:
    """One ledger column: its Chinese header and how a row dict gives the cell.

    `key` names a value of the row; `compute(row)` derives one instead. `labels`
    (a code list's TextChoices, or a mapping such as YES_NO) turns codes into their
    Chinese labels; `mask` (a povertyapp.masking function) hides personal data.
    """

    header: str
    key: str | None = None
    compute: Callable[[dict], object] | None = None
    labels: type | Mapping | None = None
    mask: Callable[[str], str] | None = None
    width: int = 12

    def reader(self, reveal: bool) -> Callable[[dict], object]:
        """A function row → cell value, with labels resolved once for the active language."""
        read = self.compute or itemgetter(self.key)
        if self.labels is not None:
            labels = {code: str(label) for code, label in _pairs(self.labels)}
            coded = read

            def read(row):
                value = coded(row)
                return labels.get(value, value)

        if self.mask is not None and not reveal:
            plain, mask = read, self.mask

            def read(row):
                return mask(plain(row))

        return read


def _pairs(labels):
    return labels.choices if hasattr(labels, "choices") else labels.items()


def write_workbook(title: str, columns: list[Column], rows: Iterable[dict], reveal: bool):
    """Write `rows` as one sheet into a temporary file; returns (file at position 0, number of rows)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_cell(sheet, str(column.header), font=bold) for column in columns])
    readers = [column.reader(reveal) for column in columns]
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, read(row)) for read in readers])
        count += 1
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return output, count


def _cell(sheet, value, font=None):
    """A cell value as openpyxl should store it: text is always text, never a formula."""
    if isinstance(value, Promise):
        value = str(value)
    elif not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if font is None and not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # "=..." typed into a name or address must not run as a formula
    if font is not None:
        cell.font = font
    return cell


class XlsxExportView(ObjectListView):
    """The rows of a filtered list as an xlsx ledger: declare `columns`, `title`, `object_type` and `get_rows()`."""

    columns: list[Column] = []
    title = ""
    object_type = ""  # PersonalDataAccess.object_type when the export shows personal data in full

    def get_rows(self, queryset) -> Iterable[dict]:
        """Row dicts for the restricted, filtered `queryset` (use .values() and .iterator())."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        reveal = any(column.mask for column in self.columns) and sees_personal_data(request.user)
        output, count = write_workbook(str(self.title), self.columns, self.get_rows(queryset), reveal)
        if reveal and count:
            query = request.GET.urlencode()
            PersonalDataAccess.objects.create(
                user=request.user, channel=PersonalDataAccess.Channel.EXPORT, object_type=self.object_type,
                object_ids=f"filter: {query or '(none)'}", record_count=count,
            )
        filename = f"{self.title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
        return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
