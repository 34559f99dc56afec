"""Household income rules: the one definition of net income, per-capita net income and "meets the line".

Each rule that the set-based exit check (exits.batch) also evaluates in SQL has its SQL twin right below it;
tests/test_income_rules.py checks that the two agree.
"""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def net_income(*, wage, business, property_, transfers, expenses) -> Decimal:
    """net = wage + business + property + transfers − production expenses."""
    return Decimal(wage) + Decimal(business) + Decimal(property_) + Decimal(transfers) - Decimal(expenses)


def net_income_cents_sql() -> str:
    """net_income in integer fen, over an households.IncomeRecord row (amounts have two decimal places)."""
    return (
        "CAST(ROUND((wage_income + business_income + property_income + policy_transfer_income"
        " + other_transfer_income - production_expenses) * 100) AS BIGINT)"
    )


def per_capita(net: Decimal, household_size: int) -> Decimal | None:
    """Net income per person rounded half-up to the fen, for display; None for a household with no members."""
    if not household_size:
        return None
    return (Decimal(net) / Decimal(household_size)).quantize(CENT, rounding=ROUND_HALF_UP)


def per_capita_net_income(*, wage, business, property_, transfers, expenses, household_size) -> Decimal | None:
    """Per-capita net income in yuan, rounded to the fen; None for a household with no members."""
    total = net_income(wage=wage, business=business, property_=property_, transfers=transfers, expenses=expenses)
    return per_capita(total, household_size)


def meets_line(net: Decimal, household_size: int, line: Decimal) -> bool:
    """Per-capita net income at or above `line`, exactly: net ÷ persons ≥ line, i.e. net ≥ line × persons.

    Never compared after rounding (a household a few fen below the line does not reach it).
    """
    return Decimal(net) >= Decimal(line) * household_size


def meets_line_sql(net_cents: str, household_size: str, line_cents: str) -> str:
    """meets_line in SQL, on integer fen: no division, no rounding."""
    return f"{net_cents} >= {line_cents} * {household_size}"
