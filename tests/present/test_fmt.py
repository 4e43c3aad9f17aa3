"""Figures as people read them: one rounding rule, half away from zero from the exact decimals."""

from decimal import Decimal

import pytest

from aftersales.present.fmt import cell, fixed


@pytest.mark.parametrize("value, places, shown", [
    (3325.075, 2, "3,325.08"),      # binary float formatting gives 3,325.07
    (30227.345, 2, "30,227.35"),
    (-3325.075, 2, "-3,325.08"),    # half away from zero, on both sides
    (0.125, 2, "0.13"),
    (2.5, 0, "3"),
    (-0.004, 2, "0.00"),            # a figure that rounds to zero shows no minus sign
    (-0.04, 1, "0.0"),
    (Decimal("15347.775"), 2, "15,347.78"),
    (1234567.891, 2, "1,234,567.89"),
])
def test_fixed_rounds_half_away_from_zero(value, places, shown):
    """Every shown figure is rounded from its decimal digits, half away from zero."""
    assert fixed(value, places) == shown


def test_cells_of_each_kind_use_the_one_rule():
    """Money, ratios, hours and quantities all round the same way; the sort key stays the exact value."""
    assert cell(3325.075, "money") == ("3,325.08", repr(3325.075))
    assert cell(12.25, "ratio")[0] == "12.3"
    assert cell(-0.04, "ratio")[0] == "0.0"
    assert cell(1.005, "hours")[0] == "1.01"
    assert cell(2.0, "quantity")[0] == "2" and cell(2.125, "quantity")[0] == "2.13"


def test_half_cent_totals_tie_out():
    """Lines priced in whole cents sum to whole cents: the shown parts and labour add up to the shown total."""
    parts = sum([1234.56, 99.99, 0.01] * 7)
    labour = sum([450.10, 12.34] * 5)
    total = parts + labour
    as_number = lambda text: Decimal(text.replace(",", ""))  # noqa: E731
    assert as_number(fixed(round(parts, 6), 2)) + as_number(fixed(round(labour, 6), 2)) == as_number(
        fixed(round(total, 6), 2))
