"""End to end in headless Chromium on data written the way a township office writes it: a 2017 workbook with
the office's own headers, formulas with their saved values, full-width digits in an ID number, a newborn without
one, ordinary houses with no appraisal grade and a household whose housing nobody recorded. The first upload has
two heads in one household (reported on both rows); the corrected file is committed; the exit check for the data's
year passes the households that meet the standard and counts the one it cannot assess on its own."""
from decimal import Decimal

import pytest
from django.urls import reverse

from exits.models import EligibilityRun, PovertyLine
from households import choices
from households.models import Household, Member
from identification.models import IdentificationRound

from .identification_workbooks import Formula, OfficeSheet, RoundBuilder
from .test_identification import checked_round, committed, media_in_tmp  # noqa: F401 -- media_in_tmp is autouse

YEAR = 2017
OFFICE_HEADERS = {  # national header → as the township's sheet heads it
    "户编号": " 户编号 ", "家庭人口数": "家庭人口数\n（人）", "工资性收入": "工资性收入(元)",
    "生产经营性收入": "生产经营性收入（单位：元）", "财产性收入": "财产性收入\n单位:元", "转移性收入": "转移性收入（元）",
    "生产经营性支出": "*生产经营性支出（元）", "证件号码": "证件号码\n（18位，文本格式）", "姓名": "姓 名",
    "是否危房": "是否危房户", "危房等级": "住房安全等级", "与户主关系": "与户主\n关系",
}


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def registered_households(county) -> list:
    """Three households put on the register by an earlier round (and approved), with their 2016 incomes."""
    builder = RoundBuilder(seed=17)
    village = county.villages[0]
    households = [builder.add_household(f"95170000{n:02d}", village.code, size=3) for n in range(3)]
    unrecorded = households[2]
    builder.set_all(unrecorded, "是否危房", "")
    builder.set_all(unrecorded, "危房等级", "")
    user = county.users.township_cadre
    committed(checked_round(user, builder.workbook()), user)
    Household.objects.filter(number__startswith="95170000").update(status=choices.Status.NOT_EXITED)
    assert Household.objects.get(number=unrecorded[0]["户编号"]).was_dangerous_house is None
    return households


def office_workbook(households, *, two_heads: bool) -> bytes:
    """The township's 2017 workbook for the same households, as its clerk fills it in."""
    rows = [[dict(row) for row in household] for household in households]
    first, second, unrecorded = rows
    for household in rows:
        for row in household:
            row.update({"工资性收入": 12500, "生产经营性收入": 2800, "财产性收入": 0, "生产经营性支出": 700,
                        "转移性收入": Formula("=1200+650", cached=1850)})
    for row in first + second:
        row.update({"是否危房": "否", "危房等级": ""})  # ordinary houses: no appraisal grade
    first[1]["证件号码"] = full_width(first[1]["证件号码"])  # typed with a Chinese input method
    newborn = {**second[2], "姓名": second[0]["姓名"][0] + "小宝", "证件号码": "户口待登记", "性别": "女",
               "与户主关系": "之女", "出生日期": "2017-03-08", "文化程度": "", "在校生状况": "学龄前儿童",
               "健康状况": "健康", "劳动技能": "无劳动力", "务工状况": "", "务工时间(月)": 0,
               "是否参加城乡居民基本养老保险": "否"}
    second.append(newborn)
    for row in second:
        row["家庭人口数"] = len(second)
    if two_heads:
        first[1]["与户主关系"] = "户主"
    sheet = OfficeSheet(rows, {header: OFFICE_HEADERS.get(header, header) for header in rows[0][0]},
                        above=[["2017年甲镇建档立卡贫困户动态调整信息表"]])
    return sheet.workbook(merged=("A1:H1",))


def upload(page, live_server, path, name: str) -> None:
    page.goto(live_server.url + reverse("identification:upload"))
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", label="动态调整")
    page.fill("input[name=year]", str(YEAR))
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('上传并校验')")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_township_workbook_goes_in_and_the_exit_check_answers_right(live_server, browser_page, login, county,
                                                                      tmp_path):
    PovertyLine.objects.update_or_create(year=YEAR, kind=PovertyLine.Kind.EXIT_CHECK,
                                         defaults={"amount": Decimal("3335")})
    households = registered_households(county)
    numbers = [household[0]["户编号"] for household in households]
    page = browser_page
    login(page, live_server, county.users.township_cadre)

    broken = tmp_path / "甲镇2017动态调整.xlsx"
    broken.write_bytes(office_workbook(households, two_heads=True))
    upload(page, live_server, broken, "2017年甲镇动态调整")
    assert page.locator("h1 [data-status]").get_attribute("data-status") == "rejected"  # row errors: not committable
    issues = page.locator("#rows tbody").inner_text()
    head_rows = [line for line in issues.splitlines() if "户主" in line and numbers[0] in line]
    assert len(head_rows) >= 2, issues  # reported on both heads' rows, with the household number
    assert "公式" in issues  # the formula cells are read at their saved value, with a warning naming the cell
    assert page.locator("#commit-form").count() == 0  # errors block the commit
    page.screenshot(path="/tmp/e2e-real-data-errors.png", full_page=True)

    fixed = tmp_path / "甲镇2017动态调整(改).xlsx"
    fixed.write_bytes(office_workbook(households, two_heads=False))
    upload(page, live_server, fixed, "2017年甲镇动态调整(改)")
    round_ = IdentificationRound.objects.latest("pk")
    assert round_.errors == 0, list(round_.issues.values_list("row", "message"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#commit-form button")
    page.wait_for_selector("h1 [data-status=committed]")

    newborn = Member.objects.get(household__number=numbers[1], birth_date="2017-03-08")
    assert (newborn.id_number, newborn.id_missing_reason) == ("", choices.IdMissingReason.UNREGISTERED)
    typed = households[0][1]["证件号码"]
    assert Member.objects.filter(id_number=typed, is_active=True).count() == 1  # one person, however typed

    page.click("header .logout")
    login(page, live_server, county.users.county_staff)
    page.click("header nav >> text=退出检测")
    assert page.locator("select[name=year]").input_value() == str(YEAR)  # the data's year, not the calendar's
    page.select_option("select[name=township]", label="全县")
    page.click("#start-run button[type=submit]")
    page.wait_for_selector("#households-checked")
    run = EligibilityRun.objects.get()
    verdicts = {result.household.number: result.outcome for result in run.household_results.select_related("household")}
    assert verdicts[numbers[0]] == verdicts[numbers[1]] == "passed"
    # Housing nobody recorded, and the fixture's households with no 2017 income: 无法评估, not failed.
    unassessable = {number for number, outcome in verdicts.items() if outcome == "not_assessable"}
    assert unassessable == {numbers[2], county.home.number, county.away.number, county.neighbour.number}
    assert int(page.locator("#households-not-assessable").inner_text()) == len(unassessable)
    assert int(page.locator("#households-passed").inner_text()) == 2
    assert int(page.locator("#households-failed").inner_text()) == 0
    gaps = page.locator("#gap-counts").inner_text()
    assert "住房" in gaps
    page.screenshot(path="/tmp/e2e-real-data-run.png", full_page=True)
