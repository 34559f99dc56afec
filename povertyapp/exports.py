"""Ledger (台账) exports: xlsx written row by row into a temporary file, then streamed to the browser.

An export view is a list view — the same restrict() and filter set as the page whose
button links to it — that writes its rows into a workbook instead of rendering them.
Rows come from `.values()` with `.iterator()` and go one at a time through
povertyapp.xlsx into the zip, and the finished file is streamed by FileResponse:
memory stays flat and there is no query per row. Text is always text ("=1+2" is
not a formula).

ID numbers, phones and bank accounts are masked unless the user asks for them
(`?reveal=1`) and the role may see them (povertyapp.masking.wants_reveal); an export
that shows them in full writes one PersonalDataAccess row.
"""
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter

from django.db import connection, transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exchange import exchange_format
from .masking import REVEAL_PARAMETER, wants_reveal
from .models import PersonalDataAccess
from .views import ObjectListView
from .xlsx import write_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 2000
YES_NO = {True: _("是"), False: _("否")}


@dataclass(frozen=True)
class Column:
    """One ledger column: its Chinese header and how a row dict gives the cell.

    `key` names a value of the row; `compute(row)` derives one instead. `labels`
    (a code list's TextChoices, or a mapping such as YES_NO) turns codes into their
    Chinese labels — with `many`, the value is a list of codes and the cell their
    labels joined by 、; `mask` (a povertyapp.masking function) hides personal data.
    """

    header: str
    key: str | None = None
    compute: Callable[[dict], object] | None = None
    labels: type | Mapping | None = None
    many: bool = False
    mask: Callable[[str], str] | None = None
    width: int = 12

    def reader(self, reveal: bool) -> Callable[[dict], object]:
        """A function row → cell value, with labels resolved once for the active language."""
        read = self.compute or itemgetter(self.key)
        if self.labels is not None:
            labels = {code: str(label) for code, label in _pairs(self.labels)}
            coded = read
            if self.many:

                def read(row):
                    return "、".join(labels.get(code, code) for code in coded(row) or ())

            else:

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
    """Write `rows` as a ledger into a temporary file; returns (file at position 0, number of rows)."""
    readers = [column.reader(reveal) for column in columns]
    output = tempfile.TemporaryFile()
    count = write_xlsx(
        output, title, [str(column.header) for column in columns], [column.width for column in columns],
        ([read(row) for read in readers] for row in rows),
    )
    output.seek(0)
    return output, count


@contextmanager
def export_transaction():
    """The export's queries in one transaction; on PostgreSQL without JIT compilation.

    The ledger queries carry a dozen correlated subqueries per row, so the planner's cost
    estimate passes jit_above_cost and PostgreSQL spends seconds compiling (2.4 s of the
    household ledger's 3.2 s, 4.4 s of the member ledger's 7 s at 49,000 rows).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


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
        reveal = any(column.mask for column in self.columns) and wants_reveal(request)
        with export_transaction(), exchange_format():
            output, count = write_workbook(str(self.title), self.columns, self.get_rows(queryset), reveal)
            filename = f"{self.title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
        if reveal and count:
            query = request.GET.copy()
            query.pop(REVEAL_PARAMETER)
            PersonalDataAccess.record(
                request.user, PersonalDataAccess.Channel.EXPORT, self.object_type,
                f"filter: {query.urlencode() or '(none)'}", count,
            )
        return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
