"""The checked rows of a validated round, kept for its commit (gzip JSON lines in the file storage).

A commit works from what validation read and checked, not from the workbook again:
reading and checking 100,000 rows costs far more than loading them back. Only the
cells the file has are kept (a missing column stays missing), so the commit still
takes the register's current values for the rest. A person's ID number is kept
normalised, with the sex and birth date it encodes.
"""
import datetime
import gzip
import json
import tempfile
from decimal import Decimal

from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder

from households.idnumbers import ParsedId

from .columns import BY_FIELD, HOUSEHOLD_FIELDS, PERSON_FIELDS, Amount, Codes, Date
from .records import HouseholdRecord, PersonRecord
from .rules import ABSENT

DECODERS = {Amount: Decimal, Date: datetime.date.fromisoformat, Codes: tuple}


def _present(record, fields) -> dict:
    values = {}
    for name in fields:
        value = getattr(record, name)
        if value is not ABSENT:
            values[name] = value
    return values


def _decoded(values: dict) -> dict:
    for name, value in values.items():
        decode = DECODERS.get(type(BY_FIELD[name].kind))
        if decode is not None and value is not None:
            values[name] = decode(value)
    return values


def save(round_, households: dict) -> str:
    """Store `households` (number → HouseholdRecord, checked) for `round_`; returns the stored file's name."""
    with tempfile.TemporaryFile() as temporary:
        with gzip.GzipFile(fileobj=temporary, mode="wb", compresslevel=1) as stream:
            for number, household in households.items():
                persons = [[person.row, _present(person, PERSON_FIELDS)] for person in household.persons]
                line = [number, household.row, _present(household, HOUSEHOLD_FIELDS), persons]
                stream.write(json.dumps(line, cls=DjangoJSONEncoder, ensure_ascii=False).encode() + b"\n")
        temporary.seek(0)
        field = round_.checked_rows.field
        return field.storage.save(field.generate_filename(round_, f"round-{round_.pk}-rows.jsonl.gz"), File(temporary))


def load(round_) -> dict:
    """Household number → HouseholdRecord with its persons, as validation left them."""
    absent_household = dict.fromkeys(HOUSEHOLD_FIELDS, ABSENT)
    absent_person = dict.fromkeys(PERSON_FIELDS, ABSENT)
    households = {}
    with round_.checked_rows.open("rb") as stored, gzip.GzipFile(fileobj=stored) as stream:
        for line in stream:
            number, row, values, persons = json.loads(line)
            household = HouseholdRecord(row=row, **{**absent_household, **_decoded(values)})
            for person_row, person_values in persons:
                person = PersonRecord(row=person_row, household_number=number,
                                      **{**absent_person, **_decoded(person_values)})
                if person.id_number:  # checked and normalised, with sex and birth date from it (records.RowReader)
                    person.parsed_id = ParsedId(number=person.id_number, birth_date=person.birth_date, sex=person.sex)
                household.persons.append(person)
            households[number] = household
    return households
