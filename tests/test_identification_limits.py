"""Workbooks that would exhaust a worker are refused while they stream, before calamine loads anything.

Each hostile file is small and written on the fly (zipfile, XML by hand). Validation runs in this process:
a refusal must name the limit and the file's figure, leave the round rejected with nothing in the register,
take well under a few seconds, keep Python's peak allocation small (tracemalloc) and never have calamine load
a sheet: its Rust heap is out of tracemalloc's sight (the test makes loading one an error; bench/hostile_uploads.py
measures the whole process).
"""
import base64
import io
import os
import struct
import time
import tracemalloc
import zipfile
from types import SimpleNamespace
from xml.sax.saxutils import escape

import pytest
import python_calamine
from django.core.files.uploadedfile import SimpleUploadedFile

from identification import limits, reader
from identification.choices import RoundStatus
from identification.columns import SHEET_NAME
from identification.forms import RoundUploadForm
from identification.reader import column_letter

from .identification_workbooks import HEADERS, MAIN, XML_HEAD, Formula, RoundBuilder, SheetSpec, excel_workbook
from .test_identification import checked_round, register_counts

SHEET, STRINGS = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
SECONDS = 3  # a refusal takes well under this, on a busy two-core machine
PEAK_BYTES = 32 * 1024 * 1024  # what Python allocates while refusing (reads of 1 MB, the round's rows)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def normal_rows(county, households=3) -> list[list]:
    builder = RoundBuilder(seed=5)
    for serial in range(households):
        builder.add_household(f"9300{serial:06d}", county.villages[0].code, size=3)
    return [HEADERS, *builder.rows()]


def header_cells() -> bytes:
    """Row 1: the template's headers, as inline strings."""
    cells = "".join(
        f'<c r="{column_letter(index)}1" t="inlineStr"><is><t>{escape(header)}</t></is></c>'
        for index, header in enumerate(HEADERS)
    )
    return f'<row r="1">{cells}</row>'.encode()


def sheet(*rows, head: bytes = b"", header: bytes | None = None):
    """A worksheet's XML in pieces: `head` before <sheetData>, the header row, then `rows` (bytes or iterables)."""
    yield f'{XML_HEAD}<worksheet xmlns="{MAIN}">'.encode() + head + b"<sheetData>"
    yield header_cells() if header is None else header
    for row in rows:
        if isinstance(row, bytes):
            yield row
        else:
            yield from row
    yield b"</sheetData></worksheet>"


def workbook(parts: dict, base: bytes | None = None) -> bytes:
    """The workbook `base` (a header-only round sheet) with `parts` replaced or added; a part is bytes or an
    iterable of bytes, streamed into the archive at the fastest compression."""
    source = zipfile.ZipFile(io.BytesIO(base or excel_workbook(SheetSpec(SHEET_NAME, [HEADERS]))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        names = [info.filename for info in source.infolist()]
        for name in names + [name for name in parts if name not in names]:
            content = parts[name] if name in parts else source.read(name)
            with archive.open(name, "w") as part:
                for piece in [content] if isinstance(content, bytes) else content:
                    part.write(piece)
    return buffer.getvalue()


def batched(lines, size=20_000):
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch)


class SheetsNotLoaded:
    """A calamine workbook whose sheets must not be loaded."""

    def __init__(self, book):
        self.sheet_names = book.sheet_names

    def get_sheet_by_name(self, name):
        raise AssertionError(f"calamine loaded sheet {name}")


def refused(county, content: bytes, monkeypatch) -> str:
    """Validate `content` as a round: rejected, quickly, in little memory, no sheet loaded by calamine (which may
    open the workbook, checked by then); the problem."""
    workbook_class = python_calamine.CalamineWorkbook
    monkeypatch.setattr(reader, "python_calamine", SimpleNamespace(
        CalamineWorkbook=SimpleNamespace(from_path=lambda path: SheetsNotLoaded(workbook_class.from_path(path))),
        CalamineError=python_calamine.CalamineError,
    ))
    before = register_counts()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        round_ = checked_round(county.users.county_staff, content)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert round_.status == RoundStatus.REJECTED and round_.problem
    assert register_counts() == before and not round_.changes.exists() and not round_.issues.exists()
    assert elapsed < SECONDS, (elapsed, round_.problem)
    assert peak < PEAK_BYTES, (peak, round_.problem)
    return round_.problem


# --- the zip ------------------------------------------------------------------------------------------------


def test_it_refuses_a_zip_bomb_by_its_directory(county, monkeypatch):
    """150 MB of blanks in the sheet's XML, deflated to about 650 KB: the ratio gives it away before inflating."""
    blanks = (b" " * (1 << 20) for _ in range(150))
    content = workbook({SHEET: sheet(blanks)})
    assert len(content) < 1024 * 1024
    problem = refused(county, content, monkeypatch)
    assert "“xl/worksheets/sheet1.xml”压缩比为" in problem and "超过了100:1的上限" in problem


def test_it_refuses_a_workbook_larger_than_the_uncompressed_limit(county, settings, monkeypatch):
    settings.IDENTIFICATION_MAX_UNCOMPRESSED_MB = 1
    content = workbook({"xl/media/image1.png": os.urandom(2 * 1024 * 1024)})
    assert "文件解压后共2.0 MB,超过了1 MB的上限" in refused(county, content, monkeypatch)


def test_it_refuses_an_archive_listing_thousands_of_entries(county, monkeypatch):
    monkeypatch.setattr(limits, "MAX_DIRECTORY_BYTES", 4096)
    content = workbook({f"xl/media/image{n}.png": b"" for n in range(100)})
    problem = refused(county, content, monkeypatch)
    assert "文件的压缩目录有" in problem and "超过了4 KB的上限" in problem


def test_it_reads_the_directory_size_from_a_zip64_end_record_as_zipfile_does(county, monkeypatch):
    """A zip64 end record (with its locator) before the end record: zipfile takes the directory's size from it."""
    content = workbook({})
    end = content.rfind(b"PK\x05\x06")
    zip64_end = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, 9, 9, 2 * 1024 * 1024, 0)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, end, 1)
    problem = refused(county, content[:end] + zip64_end + locator + content[end:], monkeypatch)
    assert "文件的压缩目录有2,048 KB,超过了1,024 KB的上限" in problem


# --- rows, columns, cells -----------------------------------------------------------------------------------


def test_it_refuses_a_million_tiny_rows(county, monkeypatch):
    """A million rows of one character, under 5 MB: once minutes and gigabytes, now stopped past row 300,000."""
    rows = batched(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c></row>' % (n, n) for n in range(2, 1_000_002))
    content = workbook({SHEET: sheet(rows)})
    assert len(content) < 5 * 1024 * 1024
    problem = refused(county, content, monkeypatch)
    assert "工作表“识别数据”的数据超过了300,000行的上限" in problem and "时停止" in problem


def test_it_refuses_a_declared_dimension_beyond_the_limits(county, monkeypatch):
    content = workbook({SHEET: sheet(head=b'<dimension ref="A1:AP1048576"/>')})
    assert "声明的数据范围A1:AP1048576到了第1,048,576行,超过了300,000行的上限" in refused(county, content, monkeypatch)


def test_it_counts_the_rows_a_small_declared_dimension_hides(county, monkeypatch):
    rows = batched(b'<row r="%d"><c r="B%d"><v>1</v></c></row>' % (n, n) for n in range(2, 400_002))
    content = workbook({SHEET: sheet(rows, head=b'<dimension ref="A1:AP3"/>')})
    assert "的数据超过了300,000行的上限" in refused(county, content, monkeypatch)


def test_it_refuses_a_cell_beyond_the_column_limit(county, monkeypatch):
    content = workbook({SHEET: sheet(b'<row r="2"><c r="A2"><v>1</v></c><c r="GS2"><v>1</v></c></row>')})
    assert "用到了第201列(单元格GS2),超过了200列的上限" in refused(county, content, monkeypatch)


def test_it_refuses_two_far_cells_spanning_too_many_cells_out_of_order(county, monkeypatch):
    """Row 299,999 column 200, then rows 2…10: within the row and column limits, but calamine would hold
    60 million cells (1.9 GB). The row is found though the cells after it are lower."""
    far = b'<row r="299999"><c r="GR299999"><v>1</v></c></row>'
    low = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(2, 11))
    problem = refused(county, workbook({SHEET: sheet(far, low)}), monkeypatch)
    assert "共59,999,800个单元格" in problem and "超过了15,000,000个单元格的上限" in problem


def test_it_places_cells_without_references_by_counting_as_calamine_does(county, monkeypatch):
    header = b"<row>" + b"".join(
        f"<c t=\"inlineStr\"><is><t>{escape(header)}</t></is></c>".encode() for header in HEADERS) + b"</row>"
    wide = b"<row>" + b"<c><v>1</v></c>" * 201 + b"</row>"
    assert "用到了第201列(单元格GS2),超过了200列的上限" in refused(
        county, workbook({SHEET: sheet(wide, header=header)}), monkeypatch)


def test_it_refuses_cells_without_references_among_placed_ones(county, monkeypatch):
    content = workbook({SHEET: sheet(b'<row r="2"><c r="A2"><v>1</v></c>' + b"<c><v>1</v></c>" * 5 + b"</row>")})
    assert "单元格写法不一致" in refused(county, content, monkeypatch)


def test_it_refuses_a_sheet_of_formulas_past_the_limit(county, settings, monkeypatch):
    settings.IDENTIFICATION_MAX_FORMULA_CELLS = 5
    rows = [b'<row r="%d"><c r="A%d"><f>1+1</f><v>2</v></c></row>' % (n, n) for n in range(2, 8)]
    assert "有超过5个公式单元格" in refused(county, workbook({SHEET: sheet(*rows)}), monkeypatch)


def test_it_refuses_a_sheet_of_merged_ranges_past_the_limit(county, monkeypatch):
    monkeypatch.setattr(limits, "MAX_MERGED_RANGES", 10)
    merged = b"<mergeCells>" + b"".join(b'<mergeCell ref="A%d:B%d"/>' % (n, n) for n in range(2, 13)) + b"</mergeCells>"
    content = workbook({SHEET: [next(sheet()), header_cells(), b"</sheetData>", merged, b"</worksheet>"]})
    assert "有超过10处合并单元格" in refused(county, content, monkeypatch)


# --- text -----------------------------------------------------------------------------------------------------

LONG = base64.b64encode(os.urandom(75_000)).decode()  # 100,000 characters that do not compress


def shared_strings(*strings: str, declared: int | None = None) -> bytes:
    count = len(strings) if declared is None else declared
    items = "".join(f"<si>{text}</si>" for text in strings)
    return f'{XML_HEAD}<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">{items}</sst>'.encode()


@pytest.mark.parametrize("where", ["shared", "shared in runs", "inline", "inline in runs"])
def test_it_refuses_one_enormous_string(county, monkeypatch, where):
    """100,000 characters in one cell, written whole or in runs of 999 (each run under the limit)."""
    runs = "".join(f"<r><t>{LONG[start:start + 999]}</t></r>" for start in range(0, len(LONG), 999))
    text = runs if where.endswith("runs") else f"<t>{LONG}</t>"
    if where.startswith("shared"):
        parts = {STRINGS: shared_strings(text), SHEET: sheet(b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>')}
    else:
        parts = {SHEET: sheet(f'<row r="2"><c r="A2" t="inlineStr"><is>{text}</is></c></row>'.encode())}
    problem = refused(county, workbook(parts), monkeypatch)
    assert "超过了" in problem and "1,000个字的上限" in problem and f"内容以“{LONG[:20]}”开头" in problem


def test_it_refuses_a_shared_string_table_declaring_billions_of_strings(county, monkeypatch):
    """calamine reserves room for the declared count before reading one: 48 GB here, which aborts the worker."""
    content = workbook({STRINGS: shared_strings("<t>户编号</t>", declared=2_000_000_000)})
    assert "共享文字表声明或含有2,000,000,000个文字,超过了15,000,000个的上限" in refused(county, content, monkeypatch)


def test_it_refuses_a_shared_string_table_past_its_size_limit(county, settings, monkeypatch):
    settings.IDENTIFICATION_MAX_SHARED_STRINGS_MB = 1
    strings = [f"<t>{base64.b64encode(os.urandom(600)).decode()}</t>" for _ in range(1500)]
    assert "共享文字表(xl/sharedStrings.xml)解压后有1.2 MB,超过了1 MB的上限" in refused(
        county, workbook({STRINGS: shared_strings(*strings)}), monkeypatch)


# --- time -----------------------------------------------------------------------------------------------------


def test_it_stops_a_validation_past_its_time_budget(county, settings, monkeypatch):
    """A clock that moves a second each look: the scan takes a few, then the rows run out of time."""
    settings.IDENTIFICATION_MAX_SECONDS = 10
    seconds = iter(range(10**6))
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=lambda: next(seconds)))
    monkeypatch.setattr(reader, "DEADLINE_ROWS", 1)
    round_ = checked_round(county.users.county_staff, excel_workbook(SheetSpec(SHEET_NAME, normal_rows(county, 5))))
    assert round_.status == RoundStatus.REJECTED
    assert "校验超过了10秒的时限,在读到第" in round_.problem and "行时停止" in round_.problem


# --- what still reads -----------------------------------------------------------------------------------------


def test_it_still_reads_a_workbook_exactly_at_its_limits(county, settings):
    rows = normal_rows(county)
    content = excel_workbook(SheetSpec(SHEET_NAME, rows))
    settings.IDENTIFICATION_MAX_ROWS, settings.IDENTIFICATION_MAX_COLUMNS = len(rows), len(HEADERS)
    settings.IDENTIFICATION_MAX_CELLS = len(rows) * len(HEADERS)
    settings.IDENTIFICATION_MAX_CELL_CHARS = max(len(str(cell)) for row in rows for cell in row)
    assert checked_round(county.users.county_staff, content).status == RoundStatus.VALIDATED
    settings.IDENTIFICATION_MAX_ROWS = len(rows) - 1
    round_ = checked_round(county.users.county_staff, content)
    assert round_.status == RoundStatus.REJECTED and f"超过了{len(rows) - 1}行的上限" in round_.problem


def test_it_still_reads_formulas_and_cells_placed_by_counting(county):
    """A round with a formula; the same rows with no cell naming its place (<c/> for an empty one)."""
    rows = normal_rows(county)
    unplaced = b"".join(
        b"<row>" + b"".join(
            b"<c/>" if cell == "" else f'<c t="inlineStr"><is><t>{escape(str(cell))}</t></is></c>'.encode()
            for cell in row
        ) + b"</row>"
        for row in rows
    )
    rows[1][HEADERS.index("工资性收入")] = Formula("1000*12", 12000)
    for content in (excel_workbook(SheetSpec(SHEET_NAME, rows)), workbook({SHEET: sheet(header=unplaced)})):
        round_ = checked_round(county.users.county_staff, content)
        assert round_.status == RoundStatus.VALIDATED and round_.rows == len(rows) - 1, round_.problem
        assert round_.households == 3


def test_it_checks_only_the_sheets_calamine_loads(county):
    """A wide sheet beside the round's is never loaded (识别数据 is chosen by name, or the first with a header)."""
    wide = SheetSpec("去年汇总", [["x"] * 250])
    round_sheet = SheetSpec(SHEET_NAME, normal_rows(county))
    for sheets in ((wide, round_sheet), (SheetSpec("本年", round_sheet.rows), wide)):
        round_ = checked_round(county.users.county_staff, excel_workbook(*sheets))
        assert round_.status == RoundStatus.VALIDATED, round_.problem
    round_ = checked_round(county.users.county_staff, excel_workbook(wide, SheetSpec("本年", round_sheet.rows)))
    assert round_.status == RoundStatus.REJECTED and "工作表“去年汇总”用到了第201列(单元格GS1)" in round_.problem


def test_it_refuses_a_zip_bomb_at_the_upload_form_which_states_the_limits(county):
    blanks = (b" " * (1 << 20) for _ in range(150))
    upload = SimpleUploadedFile("round.xlsx", workbook({SHEET: sheet(blanks)}))
    fields = {"name": "2016年动态调整", "kind": "adjustment", "year": 2016}
    form = RoundUploadForm(fields, {"file": upload}, user=county.users.county_staff)
    assert not form.is_valid() and "压缩比" in str(form.errors["file"])
    assert "工作表不超过300,000行、200列,每个单元格不超过1,000个字" in str(form.fields["file"].help_text)
