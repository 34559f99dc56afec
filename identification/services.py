"""Validating, previewing and committing a round: the steps the Celery task (and the benchmark) run.

validate_round reads the whole file, checks every row and, when nothing blocks, stores
the preview and its digest; nothing in the register is touched. commit_round reads and
checks again, recomputes the preview and writes only if it is exactly the previewed one,
in one transaction with the audit rows and the round's snapshot.
"""
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households import choices

from . import report
from .baseline import HOUSEHOLD_STATE, INCOME_STATE, MEMBER_STATE, Baseline, load_baseline, load_registry
from .choices import RoundStatus, Severity
from .columns import BY_FIELD
from .diff import compare, counts, digest
from .models import IdentificationRound, RoundChange, RoundIssue, RoundSnapshot
from .plan import target_states, write_plan
from .reader import WorkbookError, open_sheet
from .records import ReadResult, RowReader, at_row
from .rules import check_registry, count_by_severity, finding
from .writer import RoundWriter, as_json, copy_rows

GONE = {choices.Status.REMOVED, choices.Status.NATURAL_DECREASE}


class RoundStateError(Exception):
    """The round is not in a state that allows this step; the message is for the user."""


@dataclass
class Checked:
    read: ReadResult
    findings: list
    baseline: Baseline
    sheet_name: str

    @property
    def errors(self) -> int:
        return count_by_severity(self.findings)[Severity.ERROR]


def check(round_: IdentificationRound) -> Checked:
    """Read the whole file and run every rule; raises WorkbookError for a file that cannot be used."""
    with round_.file.open("rb") as file:
        sheet = open_sheet(file)
        round_.start(total=sheet.row_count)
        read = RowReader(sheet.layout).read(sheet.rows(), progress=round_.advance)
    findings = [finding("unknown_column", header=header) for header in sheet.layout.unknown]
    findings += [finding("missing_column", header=column.header) for column in sheet.layout.missing_optional]
    findings += read.findings
    baseline = load_baseline(round_)
    id_numbers = {person.parsed_id.number for person in read.persons if person.parsed_id}
    registry = load_registry(baseline, set(read.households), id_numbers)
    for household in read.households.values():
        findings += at_row(check_registry(household, household.persons, registry), household.row)
    return Checked(read=read, findings=findings, baseline=baseline, sheet_name=sheet.name)


def preview(round_: IdentificationRound, checked: Checked):
    """Target states and the changes they make to the register (computed, not written)."""
    targets = target_states(checked.read.households, checked.baseline)
    absent = [
        number for number, state in checked.baseline.states.items()
        if number not in targets and state.field("status") not in GONE
    ]
    names = {code: name for code, (_pk, name, _scope) in checked.baseline.villages.items()}
    return targets, compare(checked.baseline.states, targets, absent, names)


def validate_round(round_: IdentificationRound) -> None:
    """uploaded → validated (with a preview) or rejected (with the issues and an error report)."""
    try:
        checked = check(round_)
    except WorkbookError as exc:
        _reject_file(round_, str(exc))
        return
    if checked.errors:
        _finish(round_, checked, status=RoundStatus.REJECTED, changes=[])
        return
    _targets, changes = preview(round_, checked)
    _finish(round_, checked, status=RoundStatus.VALIDATED, changes=changes)


def commit_round(round_: IdentificationRound, user) -> bool:
    """Write the previewed round; False (with a fresh preview) when the register has moved since the preview."""
    if round_.status != RoundStatus.VALIDATED:
        raise RoundStateError(_("只有已校验且没有错误的批次才能提交。"))
    try:
        checked = check(round_)
    except WorkbookError as exc:
        _reject_file(round_, str(exc))
        return False
    if checked.errors:
        _finish(round_, checked, status=RoundStatus.REJECTED, changes=[])
        return False
    targets, changes = preview(round_, checked)
    if digest(changes) != round_.preview_digest:
        _finish(round_, checked, status=RoundStatus.VALIDATED, changes=changes,
                error=_("预览之后登记册已有变化,已重新生成预览,请核对后再提交。"))
        return False
    plan = write_plan(targets, checked.baseline, round_)
    with transaction.atomic():
        locked = IdentificationRound.objects.select_for_update().get(pk=round_.pk)
        if locked.status != RoundStatus.VALIDATED:
            raise RoundStateError(_("该批次已被提交或退回。"))
        with connection.cursor() as cursor:
            RoundWriter(cursor, reason=round_.audit_reason, user_id=user.pk).apply(
                plan, checked.baseline.villages, checked.baseline.groups
            )
            _store_snapshot(cursor, round_, targets, checked.baseline)
        round_.finish(status=RoundStatus.COMMITTED, committed_at=timezone.now(), committed_by=user)
    return True


def _reject_file(round_: IdentificationRound, message: str) -> None:
    """The file as a whole cannot be used: no rows read, nothing to preview."""
    round_.issues.all().delete()
    round_.changes.all().delete()
    round_.finish(status=RoundStatus.REJECTED, problem=message, errors=0, warnings=0, rows=0, households=0,
                  validated_at=timezone.now(), preview_digest="", error_report="", **counts([]))


def _finish(round_: IdentificationRound, checked: Checked, *, status, changes, **fields) -> None:
    """Store the issues, the error report and the preview, then mark the job done with the round's counts."""
    round_.changes.all().delete()
    _insert(RoundChange, ["round_id", "kind", "household_number", "name", "id_number", "detail"], (
        (round_.pk, c.kind, c.household_number, c.name[:32], c.id_number, as_json(c.detail)) for c in changes
    ))
    round_.issues.all().delete()
    numbers = {person.row: person.household_number for person in checked.read.persons}
    findings = sorted(checked.findings, key=lambda item: (item.row or 0, item.rule.severity))
    _insert(RoundIssue, ["round_id", "row", "column", "rule", "severity", "message", "household_number"], (
        (round_.pk, item.row, BY_FIELD[item.field].header if item.field else "", item.rule.id,
         item.rule.severity, item.message, numbers.get(item.row, "")[:32])
        for item in findings
    ))
    tally = count_by_severity(findings)
    round_.finish(
        status=status, validated_at=timezone.now(), problem="", rows=checked.read.rows,
        households=len(checked.read.households), errors=tally[Severity.ERROR], warnings=tally[Severity.WARNING],
        sheet_name=checked.sheet_name, error_report=report.error_report(round_, findings) if findings else "",
        preview_digest=digest(changes) if status == RoundStatus.VALIDATED else "", **counts(changes), **fields,
    )


def _insert(model, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        copy_rows(cursor, model._meta.db_table, columns, rows)


def snapshot_data(state) -> dict:
    """A household's state as stored in RoundSnapshot.data (and read back by identification.diff)."""
    return {
        "household": dict(zip(HOUSEHOLD_STATE, state.fields)),
        "income": dict(zip(INCOME_STATE, state.income)) if state.income is not None else None,
        "members": {id_number: dict(zip(MEMBER_STATE, values)) for id_number, values in state.members.items()},
    }


def _store_snapshot(cursor, round_, targets: dict, baseline: Baseline) -> None:
    villages = baseline.villages
    copy_rows(cursor, RoundSnapshot._meta.db_table, ["round_id", "household_number", "village_id", "data"], (
        (round_.pk, number, villages[state.field("village_code")][0], as_json(snapshot_data(state)))
        for number, state in targets.items()
    ))
