"""What a round workbook may hold, checked while it streams, before anything large is read or loaded.

python-calamine cannot be interrupted and holds a whole sheet: every cell of the range its cells
span (about 32 bytes each, empty or not) and every shared string; it even reserves room up front
for as many strings as the shared-string table declares. So, before it opens the file:

- the zip's central directory: its size, then each entry's uncompressed size and compression ratio
  (zipfile and calamine's zip reader both stop at an entry's declared size, so these bound what inflates);
- the shared-string table, streamed: its size, how many strings it declares or holds, its longest string;

and before it loads a sheet, that sheet, streamed in the pass that finds its formulas (reader.formula_cells):
its declared dimension, the rows and columns its cells reach, its longest text, its formula cells and merged
ranges — stopping at the first limit passed.

The rows are then read under a time budget (reader.Sheet.rows). Each refusal names the limit and the
file's figure. WorkbookError lives here, not in the reader, so that the reader can import the checks.
"""
import re
import struct
import time
from dataclasses import dataclass
from functools import lru_cache
from html import unescape

from django.conf import settings
from django.utils.translation import gettext as _

MB = 1024 * 1024
MAX_DIRECTORY_BYTES = MB  # thousands of entries; an xlsx has tens, and zipfile builds an object for each
RATIO_GRACE_BYTES = MB  # parts smaller than this may compress as well as they like
WHOLE_PART_BYTES = 10 * MB  # the parts the reader parses whole: workbook.xml and its relationships
MAX_MERGED_RANGES = 100_000  # calamine hands them all to Python; any below the header refuses the file anyway
STRINGS_CHUNK = 1 << 20  # bytes of the shared-string table per read
TAIL = 512  # bytes of a sheet kept between reads at least: a tag cut by the read
MAX_CARRY = 4 * MB  # more than this kept between reads: one tag or cell is that long
SHOWN_CHARS = 20  # of a too long text, to find it with Excel's search

END_OF_DIRECTORY = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END = b"PK\x06\x06"
ENCRYPTED = 0x1  # general purpose flag bit of an encrypted zip entry

CELL_TAG = re.compile(rb"<((?:\w+:)?)c([\s/][^>]*)?>")
# In a sheet whose first cell starts with r="…", every cell must: what follows <c in a whole start tag that does not.
UNPLACED = rb'>|/>|[\t\r\n][^>]*>|\x20(?!r=")[^>]*>'
PREFIXED = re.compile(rb":(?:c[\s>/]|r>)")  # after a prefix: a cell, or a run of an inline string
PREFIXED_CELL = re.compile(rb"<\w+:c[\s>/]")
CELL_REFERENCE = re.compile(rb' r="([A-Z]+)([0-9]+)"')
ROW_NUMBERS = re.compile(rb' r="[A-Z]+([0-9]+)"')
PLACING_TOKEN = re.compile(rb"<(/?)(?:\w+:)?(row|c)([\s/][^>]*)?>")
ROW_ATTRIBUTE = re.compile(rb'\sr="([0-9]+)"')
POSITION_ATTRIBUTE = re.compile(rb'\sr="([A-Z]+)([0-9]+)"')
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\sref="([^"]*)"')
SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b")
CELL_NAME = re.compile(rb"([A-Z]+)([0-9]+)")
FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
INLINE_START = re.compile(rb"<(?:\w+:)?is>")
INLINE_END = re.compile(rb"</(?:\w+:)?is>")
RUN_TAG = re.compile(rb"<(?:\w+:)?r>")
TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)")
MERGED_RANGE = re.compile(rb"<(?:\w+:)?mergeCell[\s/>]")
STRINGS_ROOT = re.compile(rb"<(?:\w+:)?sst\b([^>]*)>")
UNIQUE_COUNT = re.compile(rb'\suniqueCount="([0-9]+)"')
STRING_START = re.compile(rb"<(?:\w+:)?si[\s/>]")
STRING_END = re.compile(rb"</(?:\w+:)?si>")


class WorkbookError(Exception):
    """The file cannot be used as a round workbook; the message says why, in Chinese."""


def damaged() -> WorkbookError:
    return WorkbookError(_("文件已损坏或不是有效的xlsx工作簿,请在Excel中重新保存后上传。"))


@dataclass(frozen=True)
class Limits:
    """The IDENTIFICATION_MAX_* settings."""

    rows: int
    columns: int
    cells: int
    cell_chars: int
    formula_cells: int
    uncompressed_bytes: int
    compression_ratio: int
    shared_strings_bytes: int
    seconds: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            rows=settings.IDENTIFICATION_MAX_ROWS, columns=settings.IDENTIFICATION_MAX_COLUMNS,
            cells=settings.IDENTIFICATION_MAX_CELLS, cell_chars=settings.IDENTIFICATION_MAX_CELL_CHARS,
            formula_cells=settings.IDENTIFICATION_MAX_FORMULA_CELLS,
            uncompressed_bytes=settings.IDENTIFICATION_MAX_UNCOMPRESSED_MB * MB,
            compression_ratio=settings.IDENTIFICATION_MAX_COMPRESSION_RATIO,
            shared_strings_bytes=settings.IDENTIFICATION_MAX_SHARED_STRINGS_MB * MB,
            seconds=settings.IDENTIFICATION_MAX_SECONDS,
        )


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f}"


class Deadline:
    """The time budget of one validation, from the moment the file is opened."""

    def __init__(self, seconds: int):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def check(self, row: int | None = None) -> None:
        if time.monotonic() <= self.end:
            return
        if row is None:
            raise WorkbookError(_("校验超过了%(limit)s秒的时限,在读取文件时停止。请按乡镇拆分后分批上传。") % {
                "limit": f"{self.seconds:,}"})
        raise WorkbookError(_("校验超过了%(limit)s秒的时限,在读到第%(row)s行时停止。请按乡镇拆分后分批上传。") % {
            "limit": f"{self.seconds:,}", "row": f"{row:,}"})


# --- the zip ------------------------------------------------------------------------------------------------


def check_directory(file) -> None:
    """Refuse an archive whose central directory is far larger than a workbook's, before zipfile parses it.

    The directory's size is read where zipfile reads it: the end record (the last one in the file), or the
    zip64 end record just before it when a zip64 locator says there is one.
    """
    file.seek(0, 2)
    file.seek(max(0, file.tell() - 0xFFFF - 22 - 76))  # the longest comment, the end and zip64 end records
    tail = file.read()
    at = tail.rfind(END_OF_DIRECTORY)
    if at < 0 or len(tail) < at + 22:
        return  # not an archive: zipfile says so
    size = struct.unpack_from("<I", tail, at + 12)[0]
    if at >= 76 and tail[at - 20:at - 16] == ZIP64_LOCATOR and tail[at - 76:at - 72] == ZIP64_END:
        size = struct.unpack_from("<Q", tail, at - 76 + 40)[0]
    if size > MAX_DIRECTORY_BYTES:
        raise WorkbookError(_("文件的压缩目录有%(size)s KB,超过了%(limit)s KB的上限:其中的条目多得不像Excel工作簿。"
                              "请在Excel中重新保存后上传。") % {
            "size": f"{size // 1024:,}", "limit": f"{MAX_DIRECTORY_BYTES // 1024:,}"})


def check_archive(archive, limits: Limits) -> None:
    """The central directory's figures: no entry encrypted or inflating more than the ratio, their total size."""
    entries = archive.infolist()
    for info in entries:
        if info.flag_bits & ENCRYPTED:
            raise damaged()
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > limits.compression_ratio * info.compress_size:
            raise WorkbookError(_("文件中的“%(part)s”压缩比为%(ratio)s:1(解压后%(size)s MB),超过了%(limit)s:1的上限,"
                                  "可能是恶意构造的压缩文件。请在Excel中重新保存后上传。") % {
                "part": info.filename, "ratio": f"{info.file_size // max(info.compress_size, 1):,}",
                "size": _megabytes(info.file_size), "limit": f"{limits.compression_ratio:,}"})
    total = sum(info.file_size for info in entries)
    if total > limits.uncompressed_bytes:
        raise WorkbookError(_("文件解压后共%(size)s MB,超过了%(limit)s MB的上限。请按乡镇拆分后分批上传。") % {
            "size": _megabytes(total), "limit": f"{limits.uncompressed_bytes // MB:,}"})


def check_whole_part(archive, name: str) -> None:
    """A part the reader parses whole must be of a workbook's size."""
    if archive.getinfo(name).file_size > WHOLE_PART_BYTES:
        raise damaged()


# --- text -----------------------------------------------------------------------------------------------------


def _text(xml: bytes) -> str:
    """The text of the <t> elements in `xml` (a string, rich or not, possibly cut at its end)."""
    return "".join(unescape(text.decode("utf-8", "replace")) for text in TEXT.findall(xml))


def _too_long(text: str, limits: Limits, sheet: str | None = None) -> WorkbookError:
    values = {"limit": f"{limits.cell_chars:,}", "chars": f"{len(text):,}", "start": text[:SHOWN_CHARS]}
    if sheet is None:
        return WorkbookError(_("工作簿中有一段文字超过了每个单元格%(limit)s个字的上限(读到%(chars)s个字时停止),"
                               "内容以“%(start)s”开头。单元格中只应填写识别数据,请删去大段文字后重新上传。") % values)
    return WorkbookError(_("工作表“%(sheet)s”中有一个单元格的文字超过了%(limit)s个字的上限(读到%(chars)s个字时停止),"
                           "内容以“%(start)s”开头。单元格中只应填写识别数据,请删去大段文字后重新上传。")
                         % {**values, "sheet": sheet})


@lru_cache(maxsize=8)
def _text_run(chars: int):
    """Text of more than `chars` bytes between two tags: a candidate for more than `chars` characters."""
    return re.compile(rb">([^<]{%d,})" % (chars + 1))


def check_shared_strings(archive, name: str, limits: Limits, deadline: Deadline) -> None:
    """The shared-string table, streamed: its size, how many strings it declares or holds, the longest one.

    Split at each </si>: a string's text is never longer than its XML, so only longer pieces are decoded.
    """
    size = archive.getinfo(name).file_size
    if size > limits.shared_strings_bytes:
        raise WorkbookError(_("工作簿的共享文字表(%(part)s)解压后有%(size)s MB,超过了%(limit)s MB的上限。"
                              "请按乡镇拆分后分批上传。") % {
            "part": name, "size": _megabytes(size), "limit": f"{limits.shared_strings_bytes // MB:,}"})
    carry, count, root_seen = b"", 0, False
    with archive.open(name) as stream:
        while chunk := stream.read(STRINGS_CHUNK):
            deadline.check()
            buffer = carry + chunk
            if not root_seen and (root := STRINGS_ROOT.search(buffer)):
                root_seen = True
                declared = UNIQUE_COUNT.search(root.group(1))
                _check_string_count(int(declared.group(1)) if declared else 0, limits)
            pieces = STRING_END.split(buffer)
            carry = pieces.pop()
            count += len(STRING_START.findall(buffer, 0, len(buffer) - len(carry)))
            _check_string_count(count, limits)
            if pieces and max(map(len, pieces)) > limits.cell_chars:
                for piece in pieces:
                    if len(piece) > limits.cell_chars and len(text := _text(piece)) > limits.cell_chars:
                        raise _too_long(text, limits)
            if len(carry) > limits.cell_chars and len(text := _text(carry)) > limits.cell_chars:
                raise _too_long(text, limits)
            if len(carry) > MAX_CARRY:
                raise damaged()


def _check_string_count(count: int, limits: Limits) -> None:
    if count > limits.cells:  # calamine reserves room for the declared count; a cell uses one string at most
        raise WorkbookError(_("工作簿的共享文字表声明或含有%(count)s个文字,超过了%(limit)s个的上限。") % {
            "count": f"{count:,}", "limit": f"{limits.cells:,}"})


# --- the sheets -----------------------------------------------------------------------------------------------


def column_index(letters: bytes) -> int:
    """A1 column letters → 0-based index."""
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


@lru_cache(maxsize=256)
def _beyond(value: bytes, low: str, high: str, lead: str) -> str:
    """A regular expression for the runs of characters low…high greater than `value`, compared as column letters
    or row numbers: longer (starting with `lead` or above), or as long and greater at the first difference."""
    span = f"[{low}-{high}]"
    options = [f"[{lead}-{high}]{span}{{{len(value)},}}"]
    for position, character in enumerate(value.decode()):
        if character < high:
            options.append(f"{value[:position].decode()}[{chr(ord(character) + 1)}-{high}]"
                           f"{span}{{{len(value) - position - 1}}}")
    return "|".join(options)


def _cells_beyond(columns: int, rows: int):
    """A cell start tag without r="…" right after <c, or one whose reference is right of column `columns` or below
    row `rows` (1-based): one pass over the cells finds all three (a new pattern for most reads, as rows grow)."""
    right = _beyond(_letters(columns), "A", "Z", "A").encode()
    below = _beyond(str(rows).encode(), "0", "9", "1").encode()
    return re.compile(rb'<c(?: r="(?:(?P<column>' + right + rb')[0-9]|[A-Z]++(?P<row>' + below + rb')")|'
                      + UNPLACED + rb")")


def _letters(column: int) -> bytes:
    """1-based column → its A1 letters."""
    letters = b""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = bytes([65 + rest]) + letters
    return letters


class SheetExtent:
    """One sheet's cells as calamine will place them, checked from its XML as it streams past.

    feed() sees the part in buffers that overlap (each starts again where the previous one was cut), so
    what it records is a maximum, except what it counts (merged ranges, and cells placed by counting,
    which it takes once each by their position in the part).
    """

    def __init__(self, sheet: str, limits: Limits, deadline: Deadline):
        self.sheet, self.limits, self.deadline = sheet, limits, deadline
        self.rows = self.columns = 0  # the furthest row and column (1-based) a cell reaches so far
        self.declared = False  # the <dimension> checked, or the cells reached without one
        self.counting = None  # None before the first cell; then whether cells are placed by counting
        self.row_index = self.column_index = 0  # calamine's counters (0-based) when it places by counting
        self.placed_to = self.merged_to = 0  # offsets in the part: cells placed, merged ranges counted
        self.merged = 0
        self.prefixed = False  # the read has prefixed cells or runs (<x:c>, <x:r>)
        self.text_run = _text_run(limits.cell_chars)

    def feed(self, buffer: bytes, offset: int, keep: int) -> int:
        """Check `buffer`, the part's bytes from `offset` on; returns from where it must be seen again (at most
        `keep`, what the formula scan needs): a tag or a text cut by the read."""
        self.deadline.check()
        self.prefixed = bool(PREFIXED.search(buffer))  # rare: a colon is
        if not self.declared:
            self._check_dimension(buffer)
        if self.counting is None and (first := CELL_TAG.search(buffer)):
            self.counting = bool(first.group(1)) or not (first.group(2) or b"").startswith(b' r="')
        if self.counting:
            self._place_by_counting(buffer, offset)
        elif self.counting is False:
            self._place_by_reference(buffer)
        self._check_texts(buffer)
        self._count_merged(buffer, offset)
        last_tag = buffer.rfind(b"<")
        keep = max(0, min(keep, len(buffer) - TAIL, max(last_tag, 0), self._check_inline(buffer)))
        if len(buffer) - keep > MAX_CARRY + 16 * self.limits.cell_chars:
            raise damaged()
        return keep

    def check_formulas(self, count: int) -> None:
        if count > self.limits.formula_cells:
            raise WorkbookError(_("工作表“%(sheet)s”有超过%(limit)s个公式单元格。请把公式转换为数值"
                                  "(复制后“选择性粘贴→数值”)再上传。") % {
                "sheet": self.sheet, "limit": f"{self.limits.formula_cells:,}"})

    def _check_dimension(self, buffer: bytes) -> None:
        data = SHEET_DATA.search(buffer)
        found = DIMENSION.search(buffer, 0, data.start() if data else len(buffer))
        self.declared = bool(found or data)
        end = found and CELL_NAME.fullmatch(found.group(1).rsplit(b":", 1)[-1])
        if not end:
            return
        rows, columns, declared = int(end.group(2)), column_index(end.group(1)) + 1, found.group(1).decode()
        values = {"sheet": self.sheet, "range": declared, "rows": f"{rows:,}", "columns": f"{columns:,}",
                  "cells": f"{rows * columns:,}"}
        if rows > self.limits.rows:
            raise WorkbookError(_("工作表“%(sheet)s”声明的数据范围%(range)s到了第%(rows)s行,超过了%(limit)s行的上限。"
                                  "如果表格下方有大量带格式的空行,请删除这些行后重新保存;数据确实这么多的,"
                                  "请按乡镇拆分后分批上传。") % {**values, "limit": f"{self.limits.rows:,}"})
        if columns > self.limits.columns:
            raise WorkbookError(_("工作表“%(sheet)s”声明的数据范围%(range)s有%(columns)s列,超过了%(limit)s列的上限。"
                                  "请删除多余的列后重新保存。") % {**values, "limit": f"{self.limits.columns:,}"})
        if rows * columns > self.limits.cells:
            raise WorkbookError(_("工作表“%(sheet)s”声明的数据范围%(range)s有%(rows)s行×%(columns)s列,"
                                  "共%(cells)s个单元格,超过了%(limit)s个单元格的上限。请删除多余的行和列,"
                                  "或按乡镇拆分后分批上传。") % {**values, "limit": f"{self.limits.cells:,}"})

    def _reach(self, rows: int, columns: int, cell: bytes = b"") -> None:
        """Cells reach row `rows` and column `columns` (1-based); `cell` names the one furthest right."""
        values = {"sheet": self.sheet, "rows": f"{rows:,}", "columns": f"{columns:,}", "cell": cell.decode()}
        if rows > self.limits.rows:
            raise WorkbookError(_("工作表“%(sheet)s”的数据超过了%(limit)s行的上限(读到第%(rows)s行时停止)。"
                                  "如果表格下方有大量带格式的空行,请删除这些行后重新保存;数据确实这么多的,"
                                  "请按乡镇拆分后分批上传。") % {**values, "limit": f"{self.limits.rows:,}"})
        if columns > self.limits.columns:
            raise WorkbookError(_("工作表“%(sheet)s”用到了第%(columns)s列(单元格%(cell)s),超过了%(limit)s列的上限。"
                                  "请删除多余的列后重新保存。") % {**values, "limit": f"{self.limits.columns:,}"})
        if rows * columns > self.limits.cells:
            raise WorkbookError(_("工作表“%(sheet)s”的数据范围超过了%(limit)s个单元格的上限"
                                  "(读到%(rows)s行×%(columns)s列、共%(cells)s个单元格时停止)。"
                                  "请删除多余的行和列,或按乡镇拆分后分批上传。") % {
                **values, "cells": f"{rows * columns:,}", "limit": f"{self.limits.cells:,}"})
        self.rows, self.columns = rows, columns

    def _place_by_reference(self, buffer: bytes) -> None:
        """Every cell names its place (r="AB12" right after <c): the furthest, with a regular expression or two
        per read — searches for a reference beyond what has been seen, not a loop over the cells."""
        if self.prefixed and PREFIXED_CELL.search(buffer):
            raise self._unplaced()
        rows, columns, position = max(self.rows, self._last_row(buffer)), self.columns, 0
        while found := _cells_beyond(columns, rows).search(buffer, position):
            if found.group("column"):
                columns, position = column_index(found.group("column")) + 1, found.start()
                reference = CELL_REFERENCE.match(buffer, position + 2)  # None when the read cut it
                self._reach(self.rows, columns, b"".join(reference.groups()) if reference else found.group("column"))
            elif found.group("row"):  # rows out of order: take them all
                rows = max(map(int, ROW_NUMBERS.findall(buffer)))
            else:
                raise self._unplaced()
        self._reach(rows, columns)

    def _unplaced(self) -> WorkbookError:
        return WorkbookError(_("工作表“%(sheet)s”中的单元格写法不一致(有的没有注明位置),无法确定数据所在的行列。"
                               "请在Excel中打开并重新保存后上传。") % {"sheet": self.sheet})

    @staticmethod
    def _last_row(buffer: bytes) -> int:
        end = len(buffer)
        while (at := buffer.rfind(b' r="', 0, end)) >= 0:
            if found := CELL_REFERENCE.match(buffer, at):
                return int(found.group(2))
            end = at
        return 0

    def _place_by_counting(self, buffer: bytes, offset: int) -> None:
        """Cells without r="…" (or prefixed): place them as calamine does, by counting rows and cells."""
        rows, columns, cell = self.rows, self.columns, b""
        for token in PLACING_TOKEN.finditer(buffer, max(0, self.placed_to - offset)):
            closing, name, attributes = token.group(1), token.group(2), token.group(3) or b""
            if name == b"row":
                if not closing and (number := ROW_ATTRIBUTE.search(attributes)):
                    self.row_index = int(number.group(1)) - 1
                if closing or attributes.endswith(b"/"):
                    self.row_index, self.column_index = self.row_index + 1, 0
            elif not closing:
                if position := POSITION_ATTRIBUTE.search(attributes):
                    row, column = int(position.group(2)) - 1, column_index(position.group(1))
                else:
                    row, column = self.row_index, self.column_index
                self.column_index = column + 1
                rows = max(rows, row + 1)
                if column >= columns:
                    columns, cell = column + 1, _letters(column + 1) + str(row + 1).encode()
            self.placed_to = offset + token.end()
        self._reach(rows, columns, cell)

    def _check_texts(self, buffer: bytes) -> None:
        """Text longer than the limit in bytes is decoded; formula text does not count (calamine skips it)."""
        for run in self.text_run.finditer(buffer):
            if FORMULA_TAG.match(buffer, buffer.rfind(b"<", 0, run.start())):
                continue
            text = unescape(run.group(1).decode("utf-8", "replace"))
            if len(text) > self.limits.cell_chars:
                raise _too_long(text, self.limits, self.sheet)

    def _check_inline(self, buffer: bytes) -> int:
        """Inline strings in several runs (<is><r><t>…</t></r>…): their runs together; returns where an unfinished
        one starts (the buffer's length when none is)."""
        if b"<r>" not in buffer and not self.prefixed:  # no string in runs: single texts were checked
            return len(buffer)
        for start in INLINE_START.finditer(buffer):
            end = INLINE_END.search(buffer, start.end())
            content = buffer[start.end():end.start() if end else len(buffer)]
            long = len(content) > self.limits.cell_chars and RUN_TAG.search(content)
            if long and len(text := _text(content)) > self.limits.cell_chars:
                raise _too_long(text, self.limits, self.sheet)
            if end is None:
                return start.start()
        return len(buffer)

    def _count_merged(self, buffer: bytes, offset: int) -> None:
        if b"mergeCell" not in buffer:
            return
        for found in MERGED_RANGE.finditer(buffer, max(0, self.merged_to - offset)):
            self.merged += 1
            self.merged_to = offset + found.end()
        if self.merged > MAX_MERGED_RANGES:
            raise WorkbookError(_("工作表“%(sheet)s”有超过%(limit)s处合并单元格。"
                                  "请取消合并并在每一行填上数据后上传。") % {
                "sheet": self.sheet, "limit": f"{MAX_MERGED_RANGES:,}"})
