"""ID numbers: check digit, birth date, sex, 15-digit upgrade, area codes as warnings only."""
import datetime

import pytest
from stdnum.cn import ric

from households.choices import Sex
from households.idnumbers import IdNumberError, parse_id_number


def with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def test_valid_number_gives_birth_date_and_sex():
    parsed = parse_id_number(with_check("45048119980517003"))
    assert parsed.birth_date == datetime.date(1998, 5, 17)
    assert parsed.sex == Sex.MALE
    assert parsed.warnings == ()


def test_even_sequence_is_female_and_lowercase_x_is_accepted():
    number = next(
        with_check(f"4504811990010100{n}") for n in range(10) if with_check(f"4504811990010100{n}").endswith("X")
    )
    parsed = parse_id_number(number.lower())
    assert parsed.number == number and parsed.sex == (Sex.FEMALE if int(number[16]) % 2 == 0 else Sex.MALE)


def test_bad_check_digit_is_an_error():
    good = with_check("45048119800517003")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(IdNumberError, match="校验位"):
        parse_id_number(bad)


@pytest.mark.parametrize("body", ["45048119800230003", "45048130000101003"])
def test_impossible_or_future_birth_date_is_an_error(body):
    with pytest.raises(IdNumberError, match="出生日期"):
        parse_id_number(with_check(body))


@pytest.mark.parametrize("raw, message", [("", "不能为空"), ("1234", "18位"), ("45048119800517A03X", "数字")])
def test_malformed_numbers(raw, message):
    with pytest.raises(IdNumberError, match=message):
        parse_id_number(raw)


def test_fifteen_digit_number_is_upgraded():
    parsed = parse_id_number("450481800517003")
    assert parsed.number == with_check("45048119800517003")
    assert any("15位" in warning for warning in parsed.warnings)


def test_area_code_newer_than_birth_year_is_only_a_warning():
    # 450481 (岑溪市) dates from 1997 in stdnum's table: stdnum.validate() rejects this elder, we only warn.
    number = with_check("45048119400101003")
    with pytest.raises(Exception):
        ric.validate(number)
    parsed = parse_id_number(number)
    assert parsed.birth_date == datetime.date(1940, 1, 1)
    assert any("地区码" in warning for warning in parsed.warnings)
