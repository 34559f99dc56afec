"""Validating, previewing and committing a round: the steps the Celery task (and the benchmark) run.

validate_round reads the whole file, checks every row and, when nothing blocks, keeps the
checked rows (identification.staging) and stores the preview with its digest; nothing in
the register is touched. commit_round loads the checked rows, checks them against the
register as it is now, recomputes the preview and writes only if it is exactly the one
previewed, in one transaction with the audit rows and the round's snapshot.
"""
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households import choices
from villages.models import AreaCode

from . import report, staging
from .baseline import (
    HOUSEHOLD_STATE, INCOME_STATE, MEMBER_STATE, Baseline, HouseholdState, load_baseline, load_registry,
)
from .choices import RoundStatus, Severity
from .columns import BY_FIELD
from .diff import compare, counts, digest
from .models import IdentificationRound, RoundChange, RoundIssue, RoundSnapshot
from .plan import target_states, write_plan
from .reader import WorkbookError, local_path, open_sheet
from .records import RowReader, at_row
from .rules import check_registry, count_by_severity, find_village, finding
from .bulk import as_json, copy_rows
from .writer import RoundWriter

GONE = {choices.Status.REMOVED, choices.Status.NATURAL_DECREASE}


class RoundStateError(Exception):
    """The round is not in a state that allows this step; the message is for the user."""


@dataclass
class Checked:
    households: dict  # number → HouseholdRecord
    findings: list
    rows: int
    numbers_by_row: dict  # sheet row → household number, for the issue list
    baseline: Baseline
    sheet_name: str
    header_row: int  # 0-based, and the sheet's last 0-based column: where the error report adds its column
    last_column: int

    @property
    def errors(self) -> int:
        return count_by_severity(self.findings)[Severity.ERROR]


def check(round_: IdentificationRound) -> Checked:
    """Read the whole file and run every rule; raises WorkbookError for a file that cannot be used."""
    with round_.file.open("rb") as file:
        sheet = open_sheet(file, local_path(round_.file))
        round_.start(total=sheet.row_count)
        reader = RowReader(sheet.layout, sheet.formulas, AreaCode.objects.local_codes())
        read = reader.read(sheet.rows(), progress=round_.advance)
        layout, sheet_name, last_column = sheet.layout, sheet.name, sheet.last_column
        del sheet  # calamine's copy of the sheet is the largest thing held: free it before the register loads
    findings = layout_findings(layout, reader.per_capita_only) + read.findings
    baseline = load_baseline(round_)
    findings += registry_findings(read.households, baseline, by_name=bool(layout.substituted))
    numbers = {person.row: person.household_number for person in read.persons}
    return Checked(read.households, findings, read.rows, numbers, baseline, sheet_name, layout.header_row, last_column)


def layout_findings(layout, per_capita_only: bool) -> list:
    """What the header says about the file as a whole: columns ignored, missing, or standing in for others."""
    found = [finding("unknown_column", header=header) for header in layout.unknown]
    found += [finding("column_shadowed", ignored=ignored, used=used) for ignored, used in layout.shadowed]
    if layout.not_imported:
        found.append(finding("columns_not_imported", headers="、".join(layout.not_imported)))
    found += [finding("missing_column", header=column.header) for column in layout.missing_optional]
    if layout.substituted:
        found.append(finding("village_by_name"))
    if per_capita_only:
        found.append(finding("per_capita_only"))
    return found


def registry_findings(households: dict, baseline: Baseline, by_name: bool = False) -> list:
    """Village codes, household numbers and ID numbers against the register and the uploader's scope.

    `by_name`: the file has no 村代码 column; each household's village is first found by its names.
    """
    id_numbers = {p.parsed_id.number for h in households.values() for p in h.persons if p.parsed_id}
    registry = load_registry(baseline, set(households), id_numbers)
    found = []
    for household in households.values():
        named = find_village(household, registry) if by_name else []
        found += at_row(named + check_registry(household, household.persons, registry), household.row)
    return found


def covered_villages(round_: IdentificationRound, households: dict) -> set:
    """Codes of the villages the round covers: those its workbook lists and those declared on the round."""
    declared = set(round_.covered_villages.values_list("code", flat=True))
    return declared | {household.village_code for household in households.values()}


def preview(round_: IdentificationRound, households: dict, baseline: Baseline):
    """Target states and the changes they make to the register (computed, not written).

    Households the round leaves out are listed as candidates for removal only inside the villages it covers:
    a workbook of one village says nothing about the township's other villages.
    """
    baseline.adopt_id_numbers(households)
    targets = target_states(households, baseline)
    covered = covered_villages(round_, households)
    absent = [
        number for number, state in baseline.states.items()
        if number not in targets and state.field("status") not in GONE and state.field("village_code") in covered
    ]
    return targets, compare(baseline.states, targets, absent, baseline.village_names)


def validate_round(round_: IdentificationRound) -> None:
    """uploaded → validated (with a preview) or rejected (with the issues and an error report)."""
    try:
        checked = check(round_)
    except WorkbookError as exc:
        _store_changes(round_, [])
        round_.issues.all().delete()
        round_.finish(status=RoundStatus.REJECTED, problem=str(exc), errors=0, warnings=0, rows=0, households=0,
                      validated_at=timezone.now(), preview_digest="", error_report="", checked_rows="", **counts([]))
        return
    fields = _store_issues(round_, checked)
    if checked.errors:
        changes, fields["status"], fields["checked_rows"] = [], RoundStatus.REJECTED, ""
    else:
        changes = preview(round_, checked.households, checked.baseline)[1]
        fields.update(status=RoundStatus.VALIDATED, checked_rows=staging.save(round_, checked.households))
    _store_changes(round_, changes)
    report_file = (
        report.error_report(round_, checked.findings, checked.sheet_name, checked.header_row, checked.last_column)
        if checked.findings else ""
    )
    round_.finish(
        validated_at=timezone.now(), problem="", error_report=report_file,
        preview_digest=digest(changes) if fields["status"] == RoundStatus.VALIDATED else "",
        **counts(changes), **fields,
    )


def commit_round(round_: IdentificationRound, user) -> bool:
    """Write the previewed round; False when the register has moved since the preview (which is then renewed)."""
    if round_.status != RoundStatus.VALIDATED or not round_.checked_rows:
        raise RoundStateError(_("只有已校验且没有错误的批次才能提交。"))
    round_.start(total=round_.rows)
    households = staging.load(round_)
    baseline = load_baseline(round_)
    if count_by_severity(registry_findings(households, baseline))[Severity.ERROR]:
        validate_round(round_)  # e.g. a person now registered in another household: check everything again
        round_.finish(error=_("预览之后登记册已有变化,本批次已重新校验,请查看错误。"))
        return False
    targets, changes = preview(round_, households, baseline)
    if digest(changes) != round_.preview_digest:
        _store_changes(round_, changes)
        round_.finish(preview_digest=digest(changes), error=_("预览之后登记册已有变化,已重新生成预览,请核对后再提交。"),
                      **counts(changes))
        return False
    round_.advance(round_.rows // 2)
    plan = write_plan(targets, baseline, round_)
    with transaction.atomic():
        locked = IdentificationRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.VALIDATED:
            raise RoundStateError(_("该批次已被提交或退回。"))
        with connection.cursor() as cursor:
            RoundWriter(cursor, reason=round_.audit_reason, user_id=user.pk).apply(
                plan, baseline.villages, baseline.groups
            )
            _store_snapshot(cursor, round_, targets, baseline)
        round_.finish(status=RoundStatus.COMMITTED, committed_at=timezone.now(), committed_by=user, error="")
    return True


def _store_changes(round_: IdentificationRound, changes) -> None:
    round_.changes.all().delete()
    _insert(RoundChange, ["round_id", "kind", "household_number", "name", "id_number", "detail"], (
        (round_.pk, c.kind, c.household_number, c.name[:32], c.id_number, as_json(c.detail)) for c in changes
    ))


def _store_issues(round_: IdentificationRound, checked: Checked) -> dict:
    """The findings as RoundIssue rows; returns the round's counting fields."""
    round_.issues.all().delete()
    findings = sorted(checked.findings, key=lambda item: (item.row or 0, item.rule.severity))
    _insert(RoundIssue, ["round_id", "row", "column", "rule", "severity", "message", "household_number"], (
        (round_.pk, item.row, BY_FIELD[item.field].header if item.field else "", item.rule.id,
         item.rule.severity, item.message, checked.numbers_by_row.get(item.row, "")[:32])
        for item in findings
    ))
    tally = count_by_severity(findings)
    return {
        "rows": checked.rows, "households": len(checked.households), "errors": tally[Severity.ERROR],
        "warnings": tally[Severity.WARNING], "sheet_name": checked.sheet_name,
    }


def _insert(model, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        copy_rows(cursor, model._meta.db_table, columns, rows)


def snapshot_data(state) -> dict:
    """A household's state as stored in RoundSnapshot.data."""
    return {
        "household": dict(zip(HOUSEHOLD_STATE, state.fields)),
        "income": dict(zip(INCOME_STATE, state.income)) if state.income is not None else None,
        "members": {key: dict(zip(MEMBER_STATE, values)) for key, values in state.members.items()},
    }


def snapshot_states(round_: IdentificationRound) -> dict:
    """Household number → HouseholdState as the committed round left it (JSON values: amounts and dates as text)."""
    states = {}
    for number, data in round_.snapshots.values_list("household_number", "data").iterator(chunk_size=2000):
        income = data["income"]
        states[number] = HouseholdState(
            tuple(data["household"][name] for name in HOUSEHOLD_STATE),
            tuple(income[name] for name in INCOME_STATE) if income is not None else None,
            # Snapshots taken before members could lack an ID number have no id_missing_reason: "".
            {key: tuple(values.get(name, "") for name in MEMBER_STATE) for key, values in data["members"].items()},
        )
    return states


def _store_snapshot(cursor, round_, targets: dict, baseline: Baseline) -> None:
    villages = baseline.villages
    copy_rows(cursor, RoundSnapshot._meta.db_table, ["round_id", "household_number", "village_id", "data"], (
        (round_.pk, number, villages[state.field("village_code")].id, as_json(snapshot_data(state)))
        for number, state in targets.items()
    ))
