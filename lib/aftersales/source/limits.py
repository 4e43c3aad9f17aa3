"""What a value of a valid type must also be for the reports to use it (issue 23, points 11 and 12).

Every figure is summed as an exact decimal of 38 digits, 10 of them after the point (so below
1e28, `reports.formulas.exact`). A number must be below `NUMBER_LIMIT` in size and a line's
value (a product of the line's numbers, `LINE_VALUES`) below `LINE_LIMIT`: then even ten
thousand million lines sum exactly. A date falls in the `YEARS`; anything else is a typing error.

`validate` checks them on every source; `database.Database.clean` asks a database the same.
"""

from __future__ import annotations

__all__ = ["NUMBER_LIMIT", "LINE_LIMIT", "LINE_VALUES", "YEARS", "EXACT"]

NUMBER_LIMIT = 1e15
LINE_LIMIT = 1e18
#: Why, in the words of a problem.
EXACT = "the workbook's exact sums (38 digits, 10 of them decimals) hold"
#: The products the reports compute per line: columns multiplied, then divided by the number.
LINE_VALUES: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "parts_lines": ((("quantity", "retail_price"), 1), (("quantity", "selling_price"), 1),
                    (("quantity", "cost_price"), 1)),
    "labour_lines": ((("allowed_time", "labour_rate", "contribution"), 100),
                     (("allowed_time", "minutes_per_unit", "contribution"), 6000),
                     (("time_taken", "minutes_per_unit", "contribution"), 6000),
                     (("allowed_time", "cost_per_hour", "minutes_per_unit", "contribution"), 6000),
                     (("time_taken", "cost_per_hour", "minutes_per_unit", "contribution"), 6000)),
    "parts_stock": ((("on_hand_qty", "unit_cost"), 1),),
}
#: The years a date, timestamp or month may fall in (year 99999, or 0024 for 2024, is not one).
YEARS = (1900, 2200)
