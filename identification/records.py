"""Rows of a round sheet → household and person records, with what the cells and the rules found.

Persons are slotted records (a 100,000-row file holds 100,000 of them); a household
keeps its own columns once, from its first row, and later rows are compared with it.
"""
from dataclasses import dataclass, field, make_dataclass, replace
from operator import itemgetter

from households import choices
from povertyapp.masking import mask_phone

from .columns import (
    BY_FIELD, HOUSEHOLD, HOUSEHOLD_FIELDS, PERSON, PERSON_FIELDS, Boolean, CellProblem, Code, Integer, integral,
    is_blank,
)
from .rules import ABSENT, Finding, check_duplicates, check_household, check_person, finding

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
    persons: list  # every PersonRecord, rows without a usable household number included
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


class RowReader:
    """Turns rows into records; one instance reads one sheet."""

    def __init__(self, layout):
        def columns(level):
            return [(c, i, {} if isinstance(c.kind, CACHED_KINDS) else None)
                    for c, i in layout.positions.items() if c.level == level]

        self.household_columns, self.person_columns = columns(HOUSEHOLD), columns(PERSON)
        self.household_cells = _getter([index for _column, index, _cache in self.household_columns])
        self.number_index = layout.positions[BY_FIELD["number"]]
        self.absent_household = {name: ABSENT for name in HOUSEHOLD_FIELDS}
        self.absent_person = {name: ABSENT for name in PERSON_FIELDS}
        self.width = max(layout.positions.values()) + 1

    def parse(self, columns, cells, row: int, findings: list) -> dict:
        values = {}
        for column, index, cache in columns:
            cell = cells[index]
            if cache is not None and type(cell) is str:
                value = cache.get(cell, MISSING)
                if value is not MISSING:
                    values[column.field] = value
                    continue
            try:
                value = values[column.field] = column.parse(cell)
            except CellProblem as problem:
                values[column.field] = ABSENT
                findings.append(finding(problem.rule, column.field, row, column=column.header, **problem.params))
                continue
            if cache is not None and type(cell) is str:
                cache[cell] = value
        return values

    def read(self, rows, progress=None) -> ReadResult:
        households, first_cells, persons, findings = {}, {}, [], []
        count = 0
        for row, cells in rows:
            if len(cells) < self.width:
                cells = [*cells, *[""] * (self.width - len(cells))]
            if not any(cells) or all(is_blank(cell) for cell in cells):
                continue  # cheap test first: calamine gives "" for an empty cell
            count += 1
            if progress and count % PROGRESS_EVERY == 0:
                progress(count)
            number = _shown(cells[self.number_index])
            household = households.get(number) if number else None
            raw = self.household_cells(cells)
            if number and household is None:
                values = {**self.absent_household, **self.parse(self.household_columns, cells, row, findings)}
                household = households[number] = HouseholdRecord(row=row, **values)
                first_cells[number] = raw
            elif household is not None and raw != first_cells[number]:
                self.compare(household, first_cells[number], raw, row, findings)
            person = PersonRecord(
                row=row, household_number=number,
                **{**self.absent_person, **self.parse(self.person_columns, cells, row, findings)},
            )
            if person.education and person.school_status == choices.SchoolStatus.NOT_IN_SCHOOL:
                person.school_status = ""  # the national form marks adults 非在校生 besides their education
            findings += at_row(check_person(person), row)
            persons.append(person)
            if household is not None:
                household.persons.append(person)
        for household in households.values():
            findings += at_row(check_household(household, household.persons), household.row)
        findings += check_duplicates(persons)
        return ReadResult(households=households, persons=persons, findings=findings, rows=count)

    def compare(self, household, first_raw: tuple, raw: tuple, row: int, findings: list) -> None:
        """A later row of a household: every household column must say what its first row said."""
        for (column, _index, _cache), first_cell, cell in zip(self.household_columns, first_raw, raw):
            if cell == first_cell:
                continue
            try:
                value = column.parse(cell)
            except CellProblem as problem:
                findings.append(finding(problem.rule, column.field, row, column=column.header, **problem.params))
                continue
            first = getattr(household, column.field)
            if first is not ABSENT and value != first:
                shown = mask_phone if column.field == "phone" else str  # issue lists are read by roles without phones
                findings.append(
                    finding("rows_disagree", column.field, row, column=column.header, first_row=household.row,
                            value=shown(_shown(cell)), first=shown(_shown(first_cell)))
                )


def _shown(cell) -> str:
    return str(integral(cell)).strip()


def at_row(findings: list[Finding], row: int) -> list[Finding]:
    """Findings placed on `row` unless they name their own."""
    return [item if item.row is not None else replace(item, row=row) for item in findings]
