"""Round pages: upload (with the form's own file checks), round page, commit, downloads, snapshot, scope."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from households.models import Household
from identification.choices import RoundStatus
from identification.columns import TEMPLATE_COLUMNS
from identification.models import IdentificationRound
from povertyapp.masking import mask_id_number
from povertyapp.models import PersonalDataAccess

from .identification_workbooks import HEADERS, RoundBuilder
from .test_identification import builder_with, checked_round, committed, media_in_tmp, register_counts  # noqa: F401


def upload(client, user, content: bytes, name="round.xlsx", **fields):
    client.force_login(user)
    data = {"name": "2016年动态调整", "kind": "adjustment", "year": 2016, **fields,
            "file": SimpleUploadedFile(name, content)}
    return client.post(reverse("identification:upload"), data)


def test_the_upload_page_states_the_size_limit_and_accepted_type(client, county, settings):
    settings.IDENTIFICATION_MAX_UPLOAD_MB = 30
    client.force_login(county.users.township_cadre)
    page = client.get(reverse("identification:upload")).content.decode()
    assert "30 MB" in page and ".xlsx" in page and 'accept=".xlsx"' in page
    assert 'name="township"' not in page  # a township cadre uploads for their own township


def test_an_upload_is_checked_and_previewed_then_committed(client, county):
    user = county.users.township_cadre
    response = upload(client, user, builder_with(county.villages[0], households=2).workbook())
    round_ = IdentificationRound.objects.get()
    assert response.status_code == 302 and response["Location"] == round_.get_absolute_url()
    assert round_.status == RoundStatus.VALIDATED and round_.township == county.townships[0]
    assert round_.created_by == user and round_.original_name == "round.xlsx"
    page = client.get(round_.get_absolute_url()).content.decode()
    assert "9100000000" in page and "确认提交" in page and "预览(尚未写入)" in page
    assert not Household.objects.filter(number="9100000000").exists()
    response = client.post(reverse("identification:commit", args=[round_.pk]))
    round_.refresh_from_db()
    assert response.status_code == 302 and round_.status == RoundStatus.COMMITTED and round_.committed_by == user
    listing = client.get(reverse("households:list")).content.decode()
    assert "9100000000" in listing and "9100000001" in listing
    assert client.get(reverse("identification:progress", args=[round_.pk])).json()["state"] == "done"


@pytest.mark.parametrize("name, content, message", [
    ("round.xlsx", b"", "文件为空(0字节)"),
    ("round.xlsx", "户编号,姓名\n1,张三\n".encode(), "不是xlsx格式"),
    ("round.csv", b"PK\x03\x04rest", "只接受.xlsx"),
    ("round.xlsx", b"PK\x03\x04" + b"\0" * (1024 * 1024 + 10), "超过了1 MB的上限"),
])
def test_the_form_refuses_files_it_can_judge_at_once(client, county, settings, name, content, message):
    settings.IDENTIFICATION_MAX_UPLOAD_MB = 1
    before = register_counts()
    response = upload(client, county.users.county_staff, content, name=name)
    assert response.status_code == 200 and message in response.content.decode()
    assert not IdentificationRound.objects.exists() and register_counts() == before


def test_a_rejected_file_says_why_on_its_page(client, county):
    headers = ["证件号x" if header == "证件号码" else header for header in HEADERS]
    builder = builder_with(county.villages[0])
    from .identification_workbooks import write_workbook

    upload(client, county.users.county_staff, write_workbook(builder.rows(), headers=headers))
    round_ = IdentificationRound.objects.get()
    page = client.get(round_.get_absolute_url()).content.decode()
    assert round_.status == RoundStatus.REJECTED and "文件无法使用" in page and "证件号x" in page
    assert "确认提交" not in page


def test_the_error_report_is_the_sheet_with_a_result_column(client, county):
    builder = builder_with(county.villages[0], households=2)
    builder.households[1][1]["健康状况"] = "很好"
    upload(client, county.users.county_staff, builder.workbook())
    round_ = IdentificationRound.objects.get()
    page = client.get(round_.get_absolute_url()).content.decode()
    assert "“很好”不是“健康状况”的有效值" in page and "确认提交" not in page
    response = client.get(reverse("identification:error_report", args=[round_.pk]))
    assert PersonalDataAccess.objects.filter(user=county.users.county_staff, object_ids=str(round_.pk)).count() == 1
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = [[*row, *[None] * (len(HEADERS) + 1 - len(row))] for row in sheet.iter_rows(values_only=True)]
    result = len(HEADERS)
    assert rows[0] == [*HEADERS, "校验结果"] and len(rows) == 7
    assert "很好" in rows[5][result] and rows[4][result] is None
    assert rows[5][HEADERS.index("健康状况")] == "很好"
    client.force_login(county.users.auditor)  # sees the county, but no full ID numbers
    assert client.get(reverse("identification:error_report", args=[round_.pk])).status_code == 403
    assert "下载校验结果" not in client.get(round_.get_absolute_url()).content.decode()


def test_the_template_is_the_national_layout_and_imports_once_filled(client, county):
    client.force_login(county.users.county_staff)
    response = client.get(reverse("identification:template"))
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["识别数据"]
    assert [cell.value for cell in sheet[1]] == [column.header for column in TEMPLATE_COLUMNS]
    assert len(TEMPLATE_COLUMNS) == 41 and sheet.data_validations.dataValidation
    assert "填写说明" in book.sheetnames
    for row in builder_with(county.villages[0]).rows():
        sheet.append(row[:41])
    buffer = io.BytesIO()
    book.save(buffer)
    round_ = checked_round(county.users.county_staff, buffer.getvalue())
    assert round_.status == RoundStatus.VALIDATED and round_.new_households == 2


def test_roles_without_capture_scope_cannot_upload_or_commit(client, county):
    round_ = checked_round(county.users.county_staff, builder_with(county.villages[0]).workbook(), township=None)
    for user in (county.users.auditor, county.users.pairing_cadre):
        client.force_login(user)
        assert client.get(reverse("identification:upload")).status_code == 403
        assert client.post(reverse("identification:commit", args=[round_.pk])).status_code == 404
    round_.refresh_from_db()
    assert round_.status == RoundStatus.VALIDATED
    client.force_login(county.users.auditor)
    assert client.get(round_.get_absolute_url()).status_code == 200


def test_rounds_are_seen_only_inside_their_area(client, county):
    county_round = checked_round(county.users.county_staff, builder_with(county.villages[0]).workbook(), township=None)
    own = checked_round(county.users.township_cadre, builder_with(county.villages[0], prefix="9400").workbook())
    client.force_login(county.users.township_cadre)
    assert client.get(county_round.get_absolute_url()).status_code == 404
    assert client.get(reverse("identification:progress", args=[county_round.pk])).status_code == 404
    assert client.get(reverse("identification:error_report", args=[county_round.pk])).status_code == 404
    listing = client.get(reverse("identification:list")).content.decode()
    assert own.name in listing and county_round.get_absolute_url() not in listing


def test_the_snapshot_and_the_comparison_show_what_rounds_left_with_ids_masked(client, county):
    user = county.users.county_staff
    first = builder_with(county.villages[0], households=2)
    one = committed(checked_round(user, first.workbook(), township=None, round_name="第一批"), user)
    second = RoundBuilder()
    second.households = [[dict(row) for row in rows] for rows in first.households]
    second.set_all(second.households[0], "主要致贫原因", "因灾")
    two = committed(checked_round(user, second.workbook(), township=None, round_name="第二批"), user)
    client.force_login(county.users.auditor)
    page = client.get(reverse("identification:snapshot", args=[one.pk]) + "?q=9100000000").content.decode()
    full_id = first.households[0][0]["证件号码"]
    assert "9100000000" in page and mask_id_number(full_id) in page and full_id not in page
    compare = client.get(reverse("identification:compare", args=[two.pk]) + f"?with={one.pk}").content.decode()
    assert "主要致贫原因" in compare and "因灾" in compare and "9100000001" not in compare


def test_round_tasks_go_to_the_imports_queue():
    from povertyapp.celery import app

    for task in ("identification.tasks.validate_round_task", "identification.tasks.commit_round_task"):
        assert app.amqp.router.route({}, task)["queue"].name == "imports"


@pytest.mark.celery_worker
def test_a_worker_on_the_imports_queue_checks_and_commits_a_round(county):
    """Through the broker: the page's progress JSON follows the job until the worker is done."""

    from identification.tasks import commit_round_task, validate_round_task

    user = county.users.county_staff
    round_ = IdentificationRound.objects.create(
        name="队列批次", year=2016, kind="adjustment", created_by=user, original_name="round.xlsx",
        file=SimpleUploadedFile("round.xlsx", builder_with(county.villages[0], households=2).workbook()),
    )
    validate_round_task.delay(round_.pk).get(timeout=60)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.VALIDATED and round_.state == "done" and round_.done == round_.total == 6
    IdentificationRound.objects.filter(pk=round_.pk).update(state="pending")
    commit_round_task.delay(round_.pk, user.pk).get(timeout=60)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.COMMITTED and Household.objects.filter(number="9100000001").exists()


def test_the_templates_second_sheet_states_the_header_rules_and_every_alias(client, county):
    from identification.columns import COLUMNS, HEADER_RULES

    client.force_login(county.users.county_staff)
    book = load_workbook(io.BytesIO(client.get(reverse("identification:template")).content))
    notes = book.worksheets[1]
    assert notes.title == "填写说明" and book["代码表"].sheet_state == "hidden"
    rows = [row for row in notes.iter_rows(values_only=True)]
    assert [row[0] for row in rows[:len(HEADER_RULES)]] == [str(rule) for rule in HEADER_RULES]
    documented = {row[0]: (row[2] or "").split(" / ") for row in rows[len(HEADER_RULES):] if row[0]}
    for column in COLUMNS:
        assert documented[column.header] == (list(column.aliases) or [""]), column.header
    school = next(row for row in rows if row[0] == "在校生状况")
    assert "初一=七年级" in school[4] and "初中(须写明:七年级/八年级/九年级)" in school[4]
