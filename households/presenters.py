"""What the household page shows: income rows with per-capita figures, masked personal data, merged history."""
from itertools import chain

from povertyapp.history import change_log
from povertyapp.masking import mask_account, mask_id_number, mask_phone

from .models import Household, IncomeRecord, Member, Pairing

MASKS = {"id_number": mask_id_number, "phone": mask_phone, "bank_account": mask_account}


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


def household_history(household, mask, limit: int = 100):
    """Changes to the household, its members, income rows and pairings, newest first."""
    entries = chain(
        change_log(Household.history.filter(id=household.pk), lambda row: str(Household._meta.verbose_name), mask),
        change_log(
            Member.history.filter(household_id=household.pk),
            lambda row: f"{Member._meta.verbose_name} {row.name}",
            mask,
        ),
        change_log(
            IncomeRecord.history.filter(household_id=household.pk),
            lambda row: f"{IncomeRecord._meta.verbose_name} {row.year}",
            mask,
        ),
        change_log(Pairing.history.filter(household_id=household.pk), lambda row: str(Pairing._meta.verbose_name), mask),
    )
    return sorted(entries, key=lambda entry: entry.when, reverse=True)[:limit]
