"""Resident ID numbers (GB 11643-1999): normalisation, check digit, birth date, sex, area code.

`normalise_id_number` is the one spelling of a number that forms, the model, the API and the import
store and compare: full-width characters as ASCII, no spaces, upper-case X, 15 digits upgraded to 18.

python-stdnum computes the ISO 7064 MOD 11-2 check character. Its own `validate()` also rejects an ID
whose area code did not exist in the birth year, which would reject most rural elderly (first registered
later under a newer code), so the area code is checked here against every code the national division
table has ever had plus the county's own codes (villages.models.AreaCode), and an unknown one is only a
warning.
"""
import datetime
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from .choices import Sex

EARLIEST_BIRTH_YEAR = 1900  # nobody on a register today was born before
SPACES = re.compile(r"\s+")


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


def normalise_id_number(raw) -> str:
    """The stored spelling: NFKC (４５０… → 450…), no white space, x → X, 15 digits → 18. Never raises."""
    number = SPACES.sub("", unicodedata.normalize("NFKC", str(raw or ""))).upper()
    if len(number) == 15 and number.isascii() and number.isdigit():
        return upgrade_15_digit(number)
    return number


def parse_id_number(
    raw, today: datetime.date | None = None, local_area_codes: Collection[str] = ()
) -> ParsedId:
    """Validate an ID number; return its normalised form, the birth date and sex it encodes, and warnings.

    `local_area_codes`: the county's own 6-digit codes (current and former), known whatever the national table says.
    """
    typed = SPACES.sub("", unicodedata.normalize("NFKC", str(raw or ""))).upper()
    number = normalise_id_number(raw)
    if not number:
        raise IdNumberError(_("证件号码不能为空。"))
    warnings = []
    if len(typed) == 15 and len(number) == 18:
        warnings.append(_("15位旧号码已升级为18位。"))
    if len(number) != 18:
        raise IdNumberError(_("证件号码应为18位(当前%(length)d位)。") % {"length": len(number)})
    if not (number.isascii() and number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise IdNumberError(_("证件号码只能由数字和末位X组成。"))
    if number[17] != ric.calc_check_digit(number):
        raise IdNumberError(_("证件号码校验位错误。"))
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumError:
        raise IdNumberError(_("证件号码中的出生日期%(date)s不存在。") % {"date": number[6:14]}) from None
    today = today or datetime.date.today()
    if birth_date > today or birth_date.year < EARLIEST_BIRTH_YEAR:
        raise IdNumberError(_("证件号码中的出生日期%(date)s不合理。") % {"date": birth_date.isoformat()})
    warning = area_code_warning(number[:6], local_area_codes)
    if warning:
        warnings.append(warning)
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return ParsedId(number=number, birth_date=birth_date, sex=sex, warnings=tuple(warnings))


def area_code_warning(area_code: str, local_area_codes: Collection[str] = ()) -> str | None:
    """The one message for an area code that is neither the county's nor in the national division table."""
    if national_area_code(area_code) or area_code in local_area_codes:
        return None
    return _("证件号码地区码%(code)s不在行政区划代码表中,请核实。") % {"code": area_code}


@lru_cache(maxsize=8192)
def national_area_code(area_code: str) -> bool:
    """Whether the national division table (as python-stdnum ships it) has ever had this county-level code."""
    info = {key: value for _part, props in numdb.get("cn/loc").info(area_code) for key, value in props.items()}
    return bool(info.get("county"))
