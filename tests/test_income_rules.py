"""Per-capita net income and "meets the line": the one definition, on tables of cases, and its SQL twin."""
from decimal import Decimal

import pytest
from django.db import connection

from households.rules import meets_line, meets_line_sql, per_capita, per_capita_net_income


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


# net, persons, line, meets: at the line, a fen under and a fen over, with sizes that do not divide evenly.
LINE_CASES = [
    ("10000.01", 3, "3333.34", False),  # 3,333.3366…: rounded to the fen it would read 3,333.34
    ("10000.02", 3, "3333.34", True),
    ("10000.03", 3, "3333.34", True),
    ("9999.98", 3, "3333.33", False),  # 3,333.3266…: rounded 3,333.33
    ("9999.99", 3, "3333.33", True),
    ("10004.99", 3, "3335", False),
    ("10005", 3, "3335", True),
    ("23344.99", 7, "3335", False),  # 3,334.9985…
    ("23345", 7, "3335", True),
    ("3335", 1, "3335", True),
    ("0", 1, "0", True),
    ("-0.01", 1, "0", False),
]


@pytest.mark.parametrize("net, persons, line, meets", LINE_CASES)
def test_meets_line_compares_exactly(net, persons, line, meets):
    assert meets_line(Decimal(net), persons, Decimal(line)) is meets
    assert (Decimal(net) / persons >= Decimal(line)) is meets  # what "per capita at or above the line" means


@pytest.mark.django_db
def test_meets_line_in_sql_agrees_on_every_case():
    """The SQL twin on integer fen, evaluated by the database, for every case above."""
    expression = meets_line_sql("%(net)s", "%(persons)s", "%(line)s")
    with connection.cursor() as cursor:
        for net, persons, line, meets in LINE_CASES:
            cursor.execute(
                f"SELECT CASE WHEN {expression} THEN 1 ELSE 0 END",
                {"net": int(Decimal(net) * 100), "persons": persons, "line": int(Decimal(line) * 100)},
            )
            assert cursor.fetchone()[0] == meets, (net, persons, line)


def test_per_capita_is_for_display_and_rounds_half_up():
    assert per_capita(Decimal("10000.01"), 3) == Decimal("3333.34")  # yet it does not meet a line of 3,333.34
    assert not meets_line(Decimal("10000.01"), 3, Decimal("3333.34"))
    assert per_capita(Decimal("5"), 0) is None
