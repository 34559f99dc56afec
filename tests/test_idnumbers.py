"""ID numbers: one normalisation and one validation for the rule, the model, the form and the API; members without IDs."""
import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from stdnum.cn import ric

from households import choices
from households.choices import Sex
from households.forms import MemberForm
from households.idnumbers import IdNumberError, normalise_id_number, parse_id_number
from households.models import Member
from villages.models import AreaCode

from . import factories
from .identification_workbooks import RoundBuilder
from .test_identification import checked_round, committed


def with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


VALID = with_check("45048119980517003")
VALID_X = next(with_check(f"4504811990010100{n}") for n in range(10) if with_check(f"4504811990010100{n}")[-1] == "X")

# The same person, written the ways people type it: every spelling normalises to the stored one.
SPELLINGS = [
    (VALID, VALID),
    (full_width(VALID), VALID),
    (f" {VALID[:6]} {VALID[6:14]} {VALID[14:]} ", VALID),
    (VALID[:6] + "\u3000" + VALID[6:], VALID),  # an ideographic space from a Chinese input method
    (VALID_X.lower(), VALID_X),
    (full_width(VALID_X.lower()), VALID_X),
    ("450481800517003", with_check("45048119800517003")),  # 15 digits → 18
]

# Inputs no person can have, with the words of the message every path must give.
INVALID = [
    ("", "不能为空"),
    ("1234", "18位"),
    ("45048119800517A03X", "数字"),
    (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "校验位"),
    (with_check("45048119800230003"), "出生日期"),  # 30 February
    (with_check("45048130000101003"), "出生日期"),  # born in the future
    (with_check("45048118991231003"), "出生日期"),  # before 1900: nobody living
    ("４５０４８１１９９８０５１７００３", "18位"),  # 17 full-width digits
]


@pytest.mark.parametrize("raw, stored", SPELLINGS)
def test_it_normalises_every_spelling_to_one(raw, stored):
    assert normalise_id_number(raw) == stored
    assert parse_id_number(raw).number == stored


@pytest.mark.parametrize("raw, message", INVALID)
def test_it_refuses_numbers_nobody_can_have(raw, message):
    with pytest.raises(IdNumberError, match=message):
        parse_id_number(raw)


def test_it_reads_birth_date_and_sex():
    parsed = parse_id_number(VALID)
    assert parsed.birth_date == datetime.date(1998, 5, 17) and parsed.sex == Sex.MALE and parsed.warnings == ()
    assert parse_id_number(with_check("45048119800517002")).sex == Sex.FEMALE


def test_it_says_when_a_15_digit_number_was_upgraded():
    assert any("15位" in warning for warning in parse_id_number("450481800517003").warnings)


def test_it_knows_codes_older_or_newer_than_the_birth_year():
    # 450481 (岑溪市) dates from 1997 in the national table, and stdnum.validate() rejects this elder.
    elder = with_check("45048119400101003")
    with pytest.raises(Exception):
        ric.validate(elder)
    assert parse_id_number(elder).warnings == ()
    # 450404 (蝶山区) was abolished in 2013: someone registered there keeps the code for life.
    assert parse_id_number(with_check("45040420100101003")).warnings == ()


def test_it_warns_only_for_codes_neither_national_nor_local():
    unknown = with_check("45999919800101003")
    assert any("459999" in warning for warning in parse_id_number(unknown).warnings)
    assert parse_id_number(unknown, local_area_codes={"459999"}).warnings == ()


@pytest.mark.django_db
def test_it_takes_the_county_own_and_former_codes_from_the_register():
    county = factories.county(code="459998000000")
    AreaCode.objects.create(county=county, code="459997", name="旧县(撤县设市前)")
    assert {"459998", "459997"} <= AreaCode.objects.local_codes()
    household = factories.household()
    member = factories.member(household, id_number=with_check("45999719800101003"))
    assert member.id_warnings == ()
    member.id_number = with_check("45999619800101003")
    assert any("459996" in warning for warning in member.id_warnings)


# --- One rule on every path: the model, the form and the API accept and refuse the same inputs ---------------


def member_fields(**changes):
    values = {
        "name": "王小", "relation": choices.Relation.OTHER, "ethnicity": "01", "health": "1",
        "education": "", "school_status": choices.SchoolStatus.PRIMARY,
    }
    values.update(changes)
    return values


def model_outcome(household, raw):
    member = Member(household=household, id_number=raw, **member_fields())
    try:
        member.full_clean()
    except Exception as exc:  # ValidationError
        return None, " ".join(exc.message_dict.get("id_number", [])) or str(exc)
    member.save()
    stored = member.id_number
    member.delete()
    return stored, ""


def form_outcome(household, raw, user):
    form = MemberForm(data=member_fields(id_number=raw), household=household, user=user)
    if not form.is_valid():
        return None, " ".join(form.errors.get("id_number", [])) or form.errors.as_text()
    member = form.save()
    stored = member.id_number
    member.delete()
    return stored, ""


def api_outcome(household, raw, user):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/members/", {"household": household.pk, "id_number": raw, **member_fields()},
                           format="json")
    if response.status_code != 201:
        return None, " ".join(response.json().get("id_number", [])) or response.content.decode()
    Member.objects.filter(pk=response.json()["id"]).delete()
    return normalise_id_number(raw), ""  # the response masks the number: the stored one is checked below


def import_outcome(county, raw, user, settings, tmp_path):
    """A one-household identification round whose head carries `raw` (the workbook path of the same rule)."""
    settings.MEDIA_ROOT = tmp_path
    builder = RoundBuilder(seed=5)
    rows = builder.add_household("9300000001", county.villages[0].code, size=1)
    try:  # the person the number describes, so that only the number itself can be wrong
        parsed = parse_id_number(raw)
        born, sex = parsed.birth_date, "男" if parsed.sex == Sex.MALE else "女"
    except IdNumberError:
        born, sex = datetime.date(1980, 1, 1), "男"
    rows[0].update({"证件号码": raw, "出生日期": born, "性别": sex, "与户主关系": "户主"})
    round_ = checked_round(user, builder.workbook())
    errors = round_.issues.filter(severity="error", column="证件号码")
    if errors.exists() or round_.status != "validated":
        return None, " ".join(errors.values_list("message", flat=True)) or round_.problem
    committed(round_, user)
    member = Member.objects.get(household__number="9300000001")
    stored = member.id_number
    member.household.delete()
    return stored, ""


@pytest.mark.parametrize("raw, expected", [*SPELLINGS, *INVALID])
def test_it_gives_the_same_answer_in_the_model_the_form_the_api_and_the_import(
    county, raw, expected, settings, tmp_path
):
    user = county.users.township_cadre
    outcomes = [
        model_outcome(county.home, raw), form_outcome(county.home, raw, user), api_outcome(county.home, raw, user),
        import_outcome(county, raw, user, settings, tmp_path),
    ]
    if (raw, expected) in SPELLINGS:
        assert outcomes == [(expected, "")] * 4
    else:
        for stored, message in outcomes:
            assert stored is None and (expected in message or "原因" in message), message


def test_it_stores_what_the_api_received_in_normalised_form(county):
    client = APIClient()
    client.force_authenticate(county.users.township_cadre)
    response = client.post("/api/v1/members/", {"household": county.home.pk, "id_number": full_width(VALID),
                                                 **member_fields()}, format="json")
    assert response.status_code == 201, response.content
    assert Member.objects.get(pk=response.json()["id"]).id_number == VALID


def test_it_refuses_a_second_spelling_of_a_registered_person(county):
    registered = county.away.members.first().id_number
    form = MemberForm(data=member_fields(id_number=full_width(registered).lower()), household=county.home,
                      user=county.users.county_staff)
    assert not form.is_valid()
    assert "同一人不能在两户" in form.errors["id_number"][0]


# --- Members without an ID number ----------------------------------------------------------------------


def test_it_registers_members_without_id_with_a_reason_sex_and_birth_date(county):
    data = member_fields(
        id_number="", id_missing_reason=choices.IdMissingReason.UNREGISTERED, sex=Sex.MALE, birth_date="2024-03-01",
        school_status=choices.SchoolStatus.PRESCHOOL_CHILD,
    )
    for name in ("无证一", "无证二"):  # two people without IDs are never duplicates of each other
        form = MemberForm(data={**data, "name": name}, household=county.home, user=county.users.county_staff)
        assert form.is_valid(), form.errors
        form.save()
    infants = Member.objects.filter(household=county.home, id_number="")
    assert infants.count() == 2 and {m.birth_date for m in infants} == {datetime.date(2024, 3, 1)}


@pytest.mark.parametrize("changes, field, message", [
    ({}, "id_number", "无证件原因"),
    ({"id_missing_reason": "not_issued", "sex": ""}, "sex", "性别"),
    ({"id_missing_reason": "not_issued", "birth_date": ""}, "birth_date", "出生日期"),
    ({"id_missing_reason": "not_issued", "birth_date": "1890-01-01"}, "birth_date", "不合理"),
])
def test_it_says_what_a_member_without_id_still_needs(county, changes, field, message):
    data = member_fields(**{"id_number": "", "sex": Sex.FEMALE, "birth_date": "2020-01-01", **changes})
    form = MemberForm(data=data, household=county.home, user=county.users.county_staff)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    assert not Member.objects.filter(name="王小").exists()


def test_it_takes_sex_and_birth_date_from_the_id_over_what_was_typed(county):
    data = member_fields(id_number=VALID, sex=Sex.FEMALE, birth_date="2001-01-01",
                         id_missing_reason=choices.IdMissingReason.NOT_ISSUED)
    form = MemberForm(data=data, household=county.home, user=county.users.county_staff)
    assert form.is_valid(), form.errors
    member = form.save()
    assert (member.sex, member.birth_date, member.id_missing_reason) == (Sex.MALE, datetime.date(1998, 5, 17), "")


def test_it_shows_the_area_code_warning_after_saving_in_the_form(client, county):
    client.force_login(county.users.county_staff)
    data = member_fields(id_number=with_check("45999919800101003"), education=choices.Education.JUNIOR,
                         school_status="", has_medical_insurance="on")
    response = client.post(reverse("households:member_create", args=[county.home.pk]), data, follow=True)
    assert response.status_code == 200
    assert "459999" in response.content.decode() and "行政区划代码表" in response.content.decode()
    assert Member.objects.filter(household=county.home, name="王小").exists()


def test_it_returns_the_same_warning_in_the_api(county):
    client = APIClient()
    client.force_authenticate(county.users.county_staff)
    payload = {"household": county.home.pk, "id_number": with_check("45999919800101003"),
               **member_fields(education=choices.Education.JUNIOR, school_status="")}
    response = client.post("/api/v1/members/", payload, format="json")
    assert response.status_code == 201, response.content
    assert any("459999" in warning for warning in response.json()["id_warnings"])
