"""What the household page shows: income rows with per-capita figures, masked personal data, merged history."""
from povertyapp.history import Related, record_log
from povertyapp.masking import MASKS

from .models import IncomeRecord, Member, Pairing


def personal_data_masker(reveal: bool):
    """A function (field name, value) → what to show: the value itself when revealed, else its mask."""
    if reveal:
        return lambda name, value: value
    return lambda name, value: MASKS[name](value)


def income_rows(household, household_size: int):
    """Each ledger year with its transfers total and per-capita net income (households.rules)."""
    return [
        (record, record.per_capita_net_income(household_size)) for record in household.incomes.order_by("-year")
    ]


def household_history(household, mask):
    """The household from its creation (建档), with its members, income rows and pairings, newest first."""
    return record_log(household, [
        Related(Member, "household", lambda row: f"{Member._meta.verbose_name} {row.name}"),
        Related(IncomeRecord, "household", lambda row: f"{IncomeRecord._meta.verbose_name} {row.year}"),
        Related(Pairing, "household", lambda row: f"{Pairing._meta.verbose_name} {getattr(row.cadre, 'name', '')}"),
    ], mask)
