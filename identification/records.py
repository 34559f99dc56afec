"""Rows of a round sheet → household and person records, with what the cells and the rules found.

Persons are slotted records (a 100,000-row file holds 100,000 of them). A household's
columns repeat on its rows; each takes the first non-blank cell among them (township
workbooks often fill them on the head's row only). Rows of one household that disagree
on a household column are an error on every row of that household, naming the rows and
values, so that the error workbook can be fixed in one pass.
"""
from dataclasses import dataclass, field, make_dataclass, replace
from decimal import Decimal
from operator import itemgetter

from django.utils.translation import gettext as _

from households import choices
from households.rules import CENT
from povertyapp.masking import mask_phone

from .columns import (
    ABSENT, BY_FIELD, HOUSEHOLD, HOUSEHOLD_FIELDS, INCOME_FIELDS, MISSING_ID, PERSON, PERSON_FIELDS, Boolean,
    CellProblem, Code, Integer, is_blank, normalise, shown,
)
from .rules import Finding, duplicate_findings, finding, household_findings, person_findings

PROGRESS_EVERY = 5000

# One attribute per column field; a column the file lacks, or a cell that could not be read, is ABSENT.
PersonRecord = make_dataclass(
    "PersonRecord", ["row", "household_number", *PERSON_FIELDS, ("parsed_id", object, None)], slots=True
)
HouseholdRecord = make_dataclass(
    "HouseholdRecord", ["row", *HOUSEHOLD_FIELDS, ("persons", list, field(default_factory=list))], slots=True
)


@dataclass
class ReadResult:
    households: dict  # household number → HouseholdRecord, in file order
    persons: list  # every PersonRecord, rows without a household number included
    findings: list  # Finding, each with its row
    rows: int  # data rows read (blank rows skipped)


def _getter(indexes: list[int]):
    """A function cells → tuple of the cells at `indexes` (itemgetter returns a bare value for one index)."""
    if not indexes:
        return lambda cells: ()
    getter = itemgetter(*indexes)
    return getter if len(indexes) > 1 else lambda cells: (getter(cells),)


# Kinds with few distinct values: a text cell's conversion is remembered per column.
CACHED_KINDS = (Boolean, Code, Integer)
MISSING = object()
NO_VALUE = object()  # a formula cell whose result the file does not store (already an error on its row)
ZERO = Decimal("0.00")
NO_SOURCES = {}  # (never written)


class _HouseholdCells:
    """A household's cells as its rows give them: the first non-blank one per column, and any that differ."""

    __slots__ = ("row", "first", "cells", "sources", "variants", "persons")

    def __init__(self, row: int, cells: tuple):
        self.row, self.first, self.cells = row, cells, list(cells)
        self.sources, self.variants, self.persons = {}, {}, []

    def source(self, position: int) -> int:
        """The row the household's cell at `position` comes from."""
        return self.sources.get(position, self.row)

    def add(self, row: int, cells: tuple) -> None:
        if cells == self.first:
            return
        for position, (have, cell) in enumerate(zip(self.cells, cells)):
            if cell == have or cell is NO_VALUE or is_blank(cell):
                continue
            if have is NO_VALUE or is_blank(have):
                self.cells[position], self.sources[position] = cell, row
            else:
                self.variants.setdefault(position, {have: self.source(position)}).setdefault(cell, row)


class RowReader:
    """Turns rows into records; one instance reads one sheet.

    `formulas`: reader.Sheet.formulas; `local_area_codes`: the county's own ID area codes (rules.person_findings).
    """

    def __init__(self, layout, formulas: dict | None = None, local_area_codes=()):
        def columns(level):
            return [(c, i, {} if isinstance(c.kind, CACHED_KINDS) else None)
                    for c, i in layout.positions.items() if c.level == level]

        self.household_columns, self.person_columns = columns(HOUSEHOLD), columns(PERSON)
        # The same, indexing a household's own cells (_HouseholdCells.cells) instead of a row.
        self.household_positions = [
            (column, position, cache) for position, (column, _index, cache) in enumerate(self.household_columns)
        ]
        self.household_cells = _getter([index for _column, index, _cache in self.household_columns])
        self.number_index = layout.positions[BY_FIELD["number"]]
        self.absent_household = dict.fromkeys(HOUSEHOLD_FIELDS, ABSENT)
        self.absent_person = dict.fromkeys(PERSON_FIELDS, ABSENT)
        self.width = max(layout.positions.values()) + 1
        self.read_columns = {index: column for column, index, _cache in self.household_columns + self.person_columns}
        self.formulas, self.local_area_codes = formulas or {}, local_area_codes
        self.per_capita_only = layout.has("per_capita_income") and not any(map(layout.has, INCOME_FIELDS))

    def parse(self, column, cache, cell, row: int, findings: list):
        """The cell's value, or ABSENT with the problem added to `findings`."""
        if cell is NO_VALUE:
            return ABSENT
        if cache is not None and type(cell) is str:
            value = cache.get(cell, MISSING)
            if value is not MISSING:
                return value
        try:
            value = column.parse(cell)
        except CellProblem as problem:
            findings.append(finding(problem.rule, column.field, row, column=column.header, **problem.params))
            return ABSENT
        if cache is not None and type(cell) is str:
            cache[cell] = value
        return value

    def read(self, rows, progress=None) -> ReadResult:
        households, persons, findings = {}, [], []
        count = 0
        for row, cells in rows:
            if len(cells) < self.width:
                cells = [*cells, *[""] * (self.width - len(cells))]
            if not any(cells) or all(is_blank(cell) for cell in cells):
                continue  # cheap test first: calamine gives "" for an empty cell
            count += 1
            if progress and count % PROGRESS_EVERY == 0:
                progress(count)
            formulas = self.formulas.get(row)
            if formulas:
                cells = self.formula_cells(row, cells, formulas, findings)
            number_cell = cells[self.number_index]
            number = "" if number_cell is NO_VALUE else shown(number_cell)
            if not (number.isascii() and number.isalnum()):
                number = normalise(number)  # full-width digits or spaces: the household is the same
            if number:
                raw = self.household_cells(cells)
                household = households.get(number)
                if household is None:
                    household = households[number] = _HouseholdCells(row, raw)
                else:
                    household.add(row, raw)
            elif number_cell is not NO_VALUE:
                findings.append(finding("required", "number", row, column=BY_FIELD["number"].header))
            person = self.person(row, number, cells, findings)
            persons.append(person)
            if number:
                household.persons.append(person)
        records = {number: self.household(number, cells, findings) for number, cells in households.items()}
        for household in records.values():
            findings += at_row(household_findings(household, household.persons), household.row)
        findings += duplicate_findings(persons)
        return ReadResult(households=records, persons=persons, findings=findings, rows=count)

    def formula_cells(self, row: int, cells, formulas: dict, findings: list):
        """The row's cells with formulas taken at their stored result (a warning) or marked NO_VALUE (an error)."""
        cells = list(cells)
        for index, formula in formulas.items():
            column = self.read_columns.get(index)
            if column is None:
                continue  # a column the round does not read
            if formula.has_value:
                findings.append(
                    finding("formula_value", column.field, row, cell=formula.cell, value=shown(cells[index]))
                )
            else:
                cells[index] = NO_VALUE
                findings.append(finding("formula_without_value", column.field, row, cell=formula.cell))
        return cells

    def person(self, row: int, number: str, cells, findings: list):
        values = self.values(self.person_columns, cells, row, findings)
        person = PersonRecord(row=row, household_number=number, **{**self.absent_person, **values})
        split_missing_id(person)
        if person.education and person.school_status == choices.SchoolStatus.NOT_IN_SCHOOL:
            person.school_status = ""  # the national form marks adults 非在校生 besides their education
        findings += at_row(person_findings(person, self.local_area_codes), row)
        parsed = person.parsed_id
        if parsed is not None:  # the register takes the normalised number, and sex and birth date from it
            person.id_number, person.sex, person.birth_date = parsed.number, parsed.sex, parsed.birth_date
            person.id_missing_reason = ""
        return person

    def values(self, columns, cells, row: int, findings: list, sources: dict = NO_SOURCES) -> dict:
        """Field → value for `columns` ((column, index into `cells`, cache)); a cell's row is `row` unless
        `sources` names another for its index."""
        values = {}
        for column, index, cache in columns:
            cell = cells[index]
            if cache is not None and type(cell) is str:  # most cells: a code or 是/否 seen before (no call)
                value = cache.get(cell, MISSING)
                if value is not MISSING:
                    values[column.field] = value
                    continue
            values[column.field] = self.parse(column, cache, cell, sources.get(index, row), findings)
        return values

    def household(self, number: str, cells: _HouseholdCells, findings: list):
        values = self.values(self.household_positions, cells.cells, cells.row, findings, cells.sources)
        household = HouseholdRecord(row=cells.row, persons=cells.persons, **{**self.absent_household, **values})
        for position, variants in cells.variants.items():
            column = self.household_columns[position][0]
            findings += self.disagreement(household, column, variants, cells.source(position))
        if self.per_capita_only:
            per_capita_only(household)
        return household

    def disagreement(self, household, column, variants: dict, source: int) -> list[Finding]:
        """Rows of one household giving a household column different values: an error on each of its rows."""
        found, values = [], {}
        for cell, row in variants.items():
            try:
                values.setdefault(column.parse(cell), []).append((row, cell))
            except CellProblem as problem:
                if row != source:  # the household's own cell has been reported already
                    found.append(finding(problem.rule, column.field, row, column=column.header, **problem.params))
        if len(values) < 2:
            return found
        show = mask_phone if column.field == "phone" else str  # issue lists are read by roles without phones
        listed = "、".join(
            _("第%(row)d行“%(value)s”") % {"row": row, "value": show(shown(cell))}
            for row, cell in sorted(pair for pairs in values.values() for pair in pairs)
        )
        return found + [
            finding("rows_disagree", column.field, person.row, number=household.number, column=column.header,
                    values=listed)
            for person in household.persons
        ]


def split_missing_id(person) -> None:
    """The ID cell may say why there is no number (未办理身份证, 户口待登记, 无): that goes to 无证件原因."""
    text = person.id_number
    if not text or any(character.isdigit() for character in text):
        return
    reason = MISSING_ID.lookup(text)
    if reason:
        person.id_number = ""
        if not person.id_missing_reason:
            person.id_missing_reason = reason


def per_capita_only(household) -> None:
    """A file with 人均纯收入 and no income parts: net income = per capita × household size, as business income
    (a net figure, so production expenses 0), the other parts 0 — rule per_capita_only says so on the round."""
    if household.per_capita_income in (ABSENT, None):
        return
    size = household.size or len(household.persons)
    for name in INCOME_FIELDS:
        setattr(household, name, ZERO)
    household.business_income = (household.per_capita_income * size).quantize(CENT)


def at_row(findings: list[Finding], row: int) -> list[Finding]:
    """Findings placed on `row` unless they name their own."""
    return [item if item.row is not None else replace(item, row=row) for item in findings]
