"""Per-capita net income: the one function, on a table of cases."""
from decimal import Decimal

import pytest

from households.rules import per_capita_net_income


@pytest.mark.parametrize(
    "wage, business, property_, transfers, expenses, size, expected",
    [
        ("10000", "5000", "385", "3000", "2000", 4, Decimal("4096.25")),  # the domain README's example: 16,385 / 4
        ("0", "0", "0", "0", "0", 3, Decimal("0.00")),
        ("1000", "0", "0", "0", "2000", 2, Decimal("-500.00")),  # expenses above income: negative, not hidden
        ("10000", "0", "0", "0", "0", 3, Decimal("3333.33")),  # rounded half-up to the fen
        ("20000.02", "0", "0", "0", "0", 3, Decimal("6666.67")),
        ("3335", "0", "0", "0", "0", 1, Decimal("3335.00")),
        ("5000", "0", "0", "0", "0", 0, None),  # no members: no figure, never a division error
    ],
)
def test_per_capita_net_income(wage, business, property_, transfers, expenses, size, expected):
    result = per_capita_net_income(
        wage=Decimal(wage), business=Decimal(business), property_=Decimal(property_),
        transfers=Decimal(transfers), expenses=Decimal(expenses), household_size=size,
    )
    assert result == expected
    assert result is None or isinstance(result, Decimal)
