"""Resident ID numbers (GB 11643-1999): check digit, birth date, sex, 15-digit upgrade.

python-stdnum computes the ISO 7064 MOD 11-2 check character. Its own
`validate()` also rejects an ID whose area code did not exist in the birth
year, which would reject most rural elderly (first registered later under a
newer code), so an unknown or anachronistic area code is only a warning here.
"""
import datetime
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .choices import Sex


class IdNumberError(ValueError):
    """An ID number that cannot belong to anyone; the message is for the user."""


@dataclass(frozen=True)
class ParsedId:
    number: str
    birth_date: datetime.date
    sex: str
    warnings: tuple[str, ...] = field(default=())


def upgrade_15_digit(number: str) -> str:
    """Old 15-digit numbers: insert "19" before the two-digit year, append the check character."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def parse_id_number(raw: str, today: datetime.date | None = None) -> ParsedId:
    """Validate an ID number and return it normalised with the birth date and sex it encodes."""
    number = (raw or "").strip().upper().replace(" ", "")
    if not number:
        raise IdNumberError(_("证件号码不能为空。"))
    warnings = []
    if len(number) == 15 and number.isdigit():
        number = upgrade_15_digit(number)
        warnings.append(_("15位旧号码已升级为18位。"))
    if len(number) != 18:
        raise IdNumberError(_("证件号码应为18位(当前%(length)d位)。") % {"length": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(_("证件号码只能由数字和末位X组成。"))
    if number[17] != ric.calc_check_digit(number):
        raise IdNumberError(_("证件号码校验位错误。"))
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumError:
        raise IdNumberError(_("证件号码中的出生日期%(date)s不存在。") % {"date": number[6:14]}) from None
    today = today or datetime.date.today()
    if birth_date > today or birth_date.year < 1880:
        raise IdNumberError(_("证件号码中的出生日期%(date)s不合理。") % {"date": birth_date.isoformat()})
    if not area_code_known(number[:6], birth_date.year):
        warnings.append(_("证件号码地区码%(code)s未能核实(可能为后设区划)。") % {"code": number[:6]})
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return ParsedId(number=number, birth_date=birth_date, sex=sex, warnings=tuple(warnings))


@lru_cache(maxsize=8192)
def area_code_known(area_code: str, birth_year: int) -> bool:
    """Whether the area code existed in the birth year, per stdnum's division table."""
    probe = f"{area_code}{birth_year:04d}0101000"
    try:
        ric.get_birth_place(probe + ric.calc_check_digit(probe + "0"))
    except (StdnumError, KeyError):  # stdnum 2.2 raises KeyError for some codes, e.g. 450112
        return False
    return True
