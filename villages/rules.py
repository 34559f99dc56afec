"""Poverty incidence (贫困发生率): the one definition, in exact Decimal arithmetic.

Without a registered (户籍) population figure there is no incidence: both functions answer None
("cannot be assessed"), never 0 % and never "above the threshold".
"""
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)


def incidence_percent(poor_persons: int, registered_persons: int | None) -> Decimal | None:
    """Remaining poor persons / registered rural population × 100, to two places; None without a denominator."""
    if not registered_persons:
        return None
    return (Decimal(poor_persons) * HUNDRED / Decimal(registered_persons)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def below_threshold(poor_persons: int, registered_persons: int | None, threshold_percent: Decimal) -> bool | None:
    """Whether incidence is strictly below `threshold_percent`, compared exactly (no rounding); None without a
    denominator."""
    if not registered_persons:
        return None
    return Decimal(poor_persons) * HUNDRED < Decimal(threshold_percent) * Decimal(registered_persons)
