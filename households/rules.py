"""Household income rules: the one definition of per-capita net income."""
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def net_income(*, wage, business, property_, transfers, expenses) -> Decimal:
    """net = wage + business + property + transfers − production expenses."""
    return Decimal(wage) + Decimal(business) + Decimal(property_) + Decimal(transfers) - Decimal(expenses)


def per_capita_net_income(*, wage, business, property_, transfers, expenses, household_size) -> Decimal | None:
    """Per-capita net income in yuan, rounded to the fen; None for a household with no members."""
    if not household_size:
        return None
    total = net_income(wage=wage, business=business, property_=property_, transfers=transfers, expenses=expenses)
    return (total / Decimal(household_size)).quantize(CENT, rounding=ROUND_HALF_UP)
