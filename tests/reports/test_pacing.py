"""Month-end pacing (SPEC §6.4): MTD, working days, projection, budget, target and last year."""

from __future__ import annotations

import datetime as dt
import math
from itertools import count

import duckdb
import pandas as pd
import pytest

from aftersales.reports.calendar import Calendar
from aftersales.reports.pacing import MEASURES, PACING_COLUMNS, pacing, pacing_status, window
from aftersales.source.contract import SQL_TYPES, TABLES
from factory import DEFAULTS

D = dt.date
_names = count()


def lines(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> duckdb.DuckDBPyRelation:
    """A relation of `table` typed as the contract says, with `branch` and `pay_type` beside it."""
    columns = TABLES[table].names  # the columns every source has; branch and pay_type are added below
    data = [{c: str(r.get(c, DEFAULTS[table][c])) for c in columns} for r in rows]
    for r, d in zip(rows, data):
        d["branch"], d["pay_type"] = r.get("branch", "B1"), r.get("pay_type", "")
        for c in columns:
            if r.get(c, "") is None:
                d[c] = ""
    frame = pd.DataFrame(data, columns=[*columns, "branch", "pay_type"], dtype=object)
    name = f"frame_{next(_names)}"
    con.register(name, frame)
    typed = ", ".join(f"CAST(NULLIF(CAST({c.name} AS VARCHAR), '') AS {SQL_TYPES[c.type]}) AS {c.name}"
                      for c in TABLES[table].columns if not c.optional)
    return con.sql(f"SELECT {typed}, CAST(branch AS VARCHAR) AS branch, CAST(pay_type AS VARCHAR) AS pay_type "
                   f"FROM {name}")


def budgets(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> duckdb.DuckDBPyRelation:
    """A budgets relation (branch, month, measure, value)."""
    values = ", ".join("(" + ", ".join("NULL" if v is None else repr(v) for v in r) + ")" for r in rows)
    return con.sql(f"SELECT CAST(branch AS VARCHAR) AS branch, CAST(month AS VARCHAR) AS month, "
                   f"CAST(measure AS VARCHAR) AS measure, CAST(value AS DOUBLE) AS value "
                   f"FROM (VALUES {values}) AS b(branch, month, measure, value)")


def part(date: str, qty: float = 1, price: float = 0, cost: float = 0, discount: float = 0, **more) -> dict:
    """A parts line: Net = qty × price − discount, Profit = Net − qty × cost."""
    doc = "credit" if qty < 0 else "invoice"
    return {"date_edit": date, "doc_type": doc, "document": f"D{next(_names)}", "quantity": qty,
            "selling_price": price, "retail_price": price, "cost_price": cost, "discount": discount, **more}


def job(date: str, allowed: float = 1, rate: float = 100, **more) -> dict:
    """An invoiced labour line of one hour unit at `rate` (cost 40 an hour on the time taken)."""
    doc = "credit" if allowed < 0 else "invoice"
    return {"date_edit": date, "date_created": date, "document": f"L{next(_names)}", "doc_type": doc,
            "wip_no": f"W{next(_names)}", "allowed_time": allowed, "time_taken": allowed, "labour_rate": rate,
            **more}


def by_measure(grid) -> dict[str, pd.Series]:
    return {r["measure"]: r for _, r in grid.rows.iterrows()}


def empty(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


# ---------------------------------------------------------------- a mid-month run, hand-worked


@pytest.fixture
def mid_month(con):
    """March 2024, to = 31 March, as-of Thursday 14 March; Monday to Friday, nothing closed."""
    parts = lines(con, "parts_lines", [
        part("2024-03-05", 2, 50, 30, 10),     # Net 2×50−10 = 90, Cost 60, Profit 30
        part("2024-03-12", -1, 50, 30, -5),    # credit: Net −50+5 = −45, Cost −30, Profit −15
        part("2024-03-20", 1, 1000),           # after as-of: not counted
        part("2024-02-29", 1, 1000),           # before the month: not counted
        part("2023-03-01", 1, 200, 150),       # last year: Net 200, Profit 50
        part("2023-03-31", 1, 100, 100),       # last year: Net 100, Profit 0
        part("2023-04-01", 1, 5000),           # outside last year's month
        part("2023-02-28", 1, 5000),           # outside last year's month
    ])
    labour = lines(con, "labour_lines", [
        # Gross 2×100 = 200, Net 180, Cost 3 taken × 40 = 120, Profit 60, hours 2
        job("2024-03-04", 2, discount=20, time_taken=3),
        # not invoiced: does not count
        {**job("2024-03-06", 5), "document": None, "doc_type": None},
        # tenths, no technician, flat rate: Gross 10×10 = 100, Cost 10×30×6/60 = 30, Profit 70, hours 10×6/60 = 1
        job("2024-03-07", 10, 10, minutes_per_unit=6, technician=None, cost_per_hour=30, flat_rate="true"),
        # credit: Gross −100, Cost −40, Profit −60, hours −1
        job("2024-03-13", -1),
        # one line split 60/40 between two technicians: Gross 60 + 40, Cost 24 + 16, hours 0.6 + 0.4
        job("2024-03-08", 1, wip_no="WS", line_no=1, technician="T1", contribution=60, document="LS"),
        job("2024-03-08", 1, wip_no="WS", line_no=1, technician="T2", contribution=40, document="LS"),
        # last year: Gross 400, Cost 4×40 = 160, Profit 240, hours 4
        job("2023-03-15", 4),
    ])
    plan = budgets(con, [
        ("B1", "2024-03", "parts_net", 600.0), (None, "2024-03", "parts_net", 400.0),  # Σ = 1000
        ("B1", "2024-03", "parts_profit", 0.0),
        ("B1", "2024-03", "labour_net", 1000.0),
        ("B1", "2024-02", "labour_profit", 999.0), ("B1", "2024-04", "labour_profit", 999.0),  # not March
        ("B1", "2024-03", "hours_sold", 20.0),
    ])
    return pacing(parts, labour, plan, to=D(2024, 3, 31), as_of=D(2024, 3, 14), calendar=Calendar())


def test_grid_shape(mid_month):
    """The pacing CSV has the §6.4 columns in order, five rows in the measures' order, no totals row."""
    assert list(mid_month.rows.columns) == list(PACING_COLUMNS)
    assert list(mid_month.rows["measure"]) == list(MEASURES)
    assert MEASURES == ("parts_net", "parts_profit", "labour_net", "labour_profit", "hours_sold")
    assert mid_month.total is None
    assert mid_month.rows["elapsed_days"].dtype == "int64"


def test_working_days_mid_month(mid_month):
    """Elapsed counts working days from the 1st to as-of; total counts the month's."""
    # Fri 1, Mon 4–Fri 8, Mon 11–Thu 14 → 1 + 5 + 4 = 10; March 2024 has 21 weekdays
    assert set(mid_month.rows["elapsed_days"]) == {10}
    assert set(mid_month.rows["total_days"]) == {21}


def test_parts_measures_with_credits(mid_month):
    """Parts MTD nets a credit note against invoices and projects over the month's working days."""
    r = by_measure(mid_month)
    net, profit = r["parts_net"], r["parts_profit"]
    assert net["mtd"] == pytest.approx(45)                # 90 − 45
    assert net["projected"] == pytest.approx(94.5)        # 45 / 10 × 21
    assert net["budget"] == pytest.approx(1000)           # 600 (branch B1) + 400 (empty branch)
    assert net["target_to_date"] == pytest.approx(1000 * 10 / 21)
    assert net["pace_pct"] == pytest.approx(9.45)         # 45 / (10000/21) × 100
    assert net["projected_vs_budget_pct"] == pytest.approx(9.45)  # 94.5 / 1000 × 100
    assert net["last_year"] == pytest.approx(300)         # 200 + 100, the whole of March 2023
    assert net["projected_vs_last_year_pct"] == pytest.approx(-68.5)  # (94.5 − 300) / 300 × 100
    assert profit["mtd"] == pytest.approx(15)             # 30 − 15
    assert profit["projected"] == pytest.approx(31.5)     # 15 / 10 × 21
    assert profit["last_year"] == pytest.approx(50)
    assert profit["projected_vs_last_year_pct"] == pytest.approx(-37)  # (31.5 − 50) / 50 × 100


def test_budget_of_zero(mid_month):
    """A budget of 0 gives a target of 0 and an empty pace (zero denominator), not infinity."""
    profit = by_measure(mid_month)["parts_profit"]
    assert profit["budget"] == 0 and profit["target_to_date"] == 0
    assert empty(profit["pace_pct"]) and empty(profit["projected_vs_budget_pct"])


def test_labour_measures(mid_month):
    """Labour MTD counts invoiced lines only, split lines once in full, and hours with or without technician."""
    r = by_measure(mid_month)
    net, hours = r["labour_net"], r["hours_sold"]
    assert net["mtd"] == pytest.approx(280)               # 180 + 100 − 100 + (60 + 40)
    assert net["projected"] == pytest.approx(588)         # 280 / 10 × 21
    assert net["pace_pct"] == pytest.approx(58.8)         # 280 / (1000 × 10 / 21) × 100
    assert net["projected_vs_budget_pct"] == pytest.approx(58.8)  # 588 / 1000 × 100
    assert net["last_year"] == pytest.approx(400)
    assert net["projected_vs_last_year_pct"] == pytest.approx(47)  # (588 − 400) / 400 × 100
    assert hours["mtd"] == pytest.approx(3)               # 2 + 1 − 1 + (0.6 + 0.4)
    assert hours["projected"] == pytest.approx(6.3)       # 3 / 10 × 21
    assert hours["target_to_date"] == pytest.approx(200 / 21)  # 20 × 10 / 21
    assert hours["pace_pct"] == pytest.approx(31.5)       # 3 / (200/21) × 100
    assert hours["last_year"] == pytest.approx(4)
    assert hours["projected_vs_last_year_pct"] == pytest.approx(57.5)  # (6.3 − 4) / 4 × 100


def test_measure_without_budget_row(mid_month):
    """A measure with no budget row for the month has an empty budget, target and pace (not 0)."""
    profit = by_measure(mid_month)["labour_profit"]
    assert profit["mtd"] == pytest.approx(130)            # 60 + 70 − 60 + (36 + 24)
    assert profit["projected"] == pytest.approx(273)      # 130 / 10 × 21
    for col in ("budget", "target_to_date", "pace_pct", "projected_vs_budget_pct"):
        assert empty(profit[col]), col
    assert profit["last_year"] == pytest.approx(240)
    assert profit["projected_vs_last_year_pct"] == pytest.approx(13.75)  # (273 − 240) / 240 × 100
    assert any("labour_profit" in note for note in mid_month.notes)


def test_missing_budgets_table(con):
    """Without a budgets table pacing still shows MTD, projection and last year, and says budgets are missing."""
    parts = lines(con, "parts_lines", [part("2024-03-05", 1, 100), part("2023-03-05", 1, 50)])
    labour = lines(con, "labour_lines", [])
    grid = pacing(parts, labour, None, to=D(2024, 3, 14), as_of=D(2024, 3, 14), calendar=Calendar())
    assert list(grid.rows["measure"]) == list(MEASURES)
    net = by_measure(grid)["parts_net"]
    assert net["mtd"] == 100 and net["projected"] == pytest.approx(210)  # 100 / 10 × 21
    assert net["projected_vs_last_year_pct"] == pytest.approx(320)       # (210 − 50) / 50 × 100
    for col in ("budget", "target_to_date", "pace_pct", "projected_vs_budget_pct"):
        assert grid.rows[col].isna().all(), col
    assert any("no budgets table" in note for note in grid.notes)
    hours = by_measure(grid)["hours_sold"]  # no labour lines at all: sums are 0, not empty
    assert hours["mtd"] == 0 and hours["projected"] == 0 and hours["last_year"] == 0


# ---------------------------------------------------------------- calendars and edges of the month


def test_saturday_dealer_with_closed_day_and_as_of_on_sunday(con):
    """Saturdays count, a closed day does not, and as-of on a Sunday counts up to that Sunday."""
    cal = Calendar.from_settings({"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"],
                                  "closed": ["2024-03-15"]})
    parts = lines(con, "parts_lines", [
        part("2024-03-16", 1, 130),  # a Saturday
        part("2024-03-17", 1, 26),   # Sunday, as-of: a sale on a non-working day still counts
        part("2024-03-18", 1, 999),  # after as-of
    ])
    labour = lines(con, "labour_lines", [])
    plan = budgets(con, [(None, "2024-03", "parts_net", 500.0)])
    grid = pacing(parts, labour, plan, to=D(2024, 3, 31), as_of=D(2024, 3, 17), calendar=cal)
    net = by_measure(grid)["parts_net"]
    # elapsed: Fri 1, Sat 2, Mon 4–Sat 9 (6), Mon 11–Sat 16 (6) less Fri 15 closed → 1 + 1 + 6 + 5 = 13
    assert net["elapsed_days"] == 13
    # total: 21 weekdays + 5 Saturdays − 1 closed = 25
    assert net["total_days"] == 25
    assert net["mtd"] == pytest.approx(156)               # 130 + 26
    assert net["projected"] == pytest.approx(300)         # 156 / 13 × 25
    assert net["target_to_date"] == pytest.approx(260)    # 500 × 13 / 25
    assert net["pace_pct"] == pytest.approx(60)           # 156 / 260 × 100
    assert net["projected_vs_budget_pct"] == pytest.approx(60)  # 300 / 500 × 100
    assert empty(net["projected_vs_last_year_pct"])       # no March 2023 data: last year is 0


def test_first_working_day_of_the_month(con):
    """On the month's first working day one day has elapsed; sales of the weekend before count in MTD."""
    parts = lines(con, "parts_lines", [part("2024-06-01", 1, 50), part("2024-06-03", 1, 30)])  # Sat 1, Mon 3
    labour = lines(con, "labour_lines", [])
    grid = pacing(parts, labour, None, to=D(2024, 6, 3), as_of=D(2024, 6, 3), calendar=Calendar())
    net = by_measure(grid)["parts_net"]
    # June 2024: Mon 3–Fri 7, 10–14, 17–21, 24–28 = 20 working days
    assert (net["elapsed_days"], net["total_days"]) == (1, 20)
    assert net["mtd"] == 80 and net["projected"] == pytest.approx(1600)  # 80 / 1 × 20


def test_before_the_first_working_day_the_projection_is_empty(con):
    """As-of before any working day of the month: MTD shows, the projection and pace are empty."""
    parts = lines(con, "parts_lines", [part("2024-06-01", 1, 50)])
    labour = lines(con, "labour_lines", [])
    plan = budgets(con, [("B1", "2024-06", "parts_net", 2000.0)])
    grid = pacing(parts, labour, plan, to=D(2024, 6, 30), as_of=D(2024, 6, 2), calendar=Calendar())
    net = by_measure(grid)["parts_net"]
    assert (net["elapsed_days"], net["total_days"], net["mtd"]) == (0, 20, 50)
    assert empty(net["projected"]) and empty(net["projected_vs_budget_pct"])
    assert net["target_to_date"] == 0 and empty(net["pace_pct"])  # 2000 × 0 / 20 = 0: zero denominator


def test_public_holiday_on_the_first_of_the_month(con):
    """With country GB-ENG, Easter Monday 1 April 2024 is no working day: nothing has elapsed yet."""
    cal = Calendar.from_settings({"country": "GB-ENG"})
    parts = lines(con, "parts_lines", [part("2024-04-01", 1, 100)])
    labour = lines(con, "labour_lines", [])
    grid = pacing(parts, labour, None, to=D(2024, 4, 1), as_of=D(2024, 4, 1), calendar=cal)
    net = by_measure(grid)["parts_net"]
    # April 2024: 22 weekdays (Mon 1–Fri 26 = 20, Mon 29, Tue 30) less Easter Monday = 21
    assert (net["elapsed_days"], net["total_days"], net["mtd"]) == (0, 21, 100)
    assert empty(net["projected"])
    plain = by_measure(pacing(parts, labour, None, to=D(2024, 4, 1), as_of=D(2024, 4, 1),
                              calendar=Calendar()))["parts_net"]
    assert (plain["elapsed_days"], plain["total_days"]) == (1, 22)
    assert plain["projected"] == pytest.approx(2200)     # 100 / 1 × 22


def test_month_already_complete(con):
    """When as-of is past the month's end, every working day has elapsed and the projection is the MTD."""
    parts = lines(con, "parts_lines", [part("2024-03-29", 1, 700), part("2024-04-02", 1, 999)])
    labour = lines(con, "labour_lines", [])
    plan = budgets(con, [("B1", "2024-03", "parts_net", 1000.0)])
    grid = pacing(parts, labour, plan, to=D(2024, 3, 31), as_of=D(2024, 4, 10), calendar=Calendar())
    net = by_measure(grid)["parts_net"]
    assert (net["elapsed_days"], net["total_days"]) == (21, 21)
    assert net["mtd"] == 700 and net["projected"] == pytest.approx(700)  # April's line is not March's
    assert net["target_to_date"] == pytest.approx(1000)
    assert net["pace_pct"] == pytest.approx(70) and net["projected_vs_budget_pct"] == pytest.approx(70)


def test_to_before_as_of_ends_the_month_to_date_at_to(con):
    """t is the earlier of `to` and as-of: a run to the 8th ignores sales after the 8th even when as-of is later."""
    parts = lines(con, "parts_lines", [part("2024-03-08", 1, 100), part("2024-03-11", 1, 999)])
    grid = pacing(parts, lines(con, "labour_lines", []), None, to=D(2024, 3, 8), as_of=D(2024, 3, 20),
                  calendar=Calendar())
    net = by_measure(grid)["parts_net"]
    assert (net["elapsed_days"], net["mtd"]) == (6, 100)  # Fri 1, Mon 4–Fri 8
    assert net["projected"] == pytest.approx(350)         # 100 / 6 × 21


def test_leap_day_month_compares_with_whole_february_before(con):
    """Pacing on 29 February 2024 compares with the whole of February 2023 (1st to 28th)."""
    parts = lines(con, "parts_lines", [
        part("2024-02-29", 1, 210),
        part("2023-02-01", 1, 30), part("2023-02-28", 1, 70),  # last year: 100
        part("2023-03-01", 1, 1000), part("2023-01-31", 1, 1000),
    ])
    grid = pacing(parts, lines(con, "labour_lines", []), None, to=D(2024, 2, 29), as_of=D(2024, 2, 29),
                  calendar=Calendar())
    net = by_measure(grid)["parts_net"]
    # February 2024: Thu 1, Fri 2, Mon 5 .. Fri 23 (15), Mon 26 .. Thu 29 (4) = 21; all elapsed
    assert (net["elapsed_days"], net["total_days"]) == (21, 21)
    assert net["last_year"] == pytest.approx(100)
    assert net["projected_vs_last_year_pct"] == pytest.approx(110)  # (210 − 100) / 100 × 100


def test_february_after_a_leap_year_includes_the_29th(con):
    """February 2025's last year is the whole of February 2024, 29th included."""
    parts = lines(con, "parts_lines", [part("2024-02-29", 1, 40), part("2024-02-01", 1, 60),
                                       part("2024-03-01", 1, 1000)])
    grid = pacing(parts, lines(con, "labour_lines", []), None, to=D(2025, 2, 14), as_of=D(2025, 2, 14),
                  calendar=Calendar())
    assert by_measure(grid)["parts_net"]["last_year"] == pytest.approx(100)  # 40 + 60
    win = window(D(2025, 2, 14), D(2025, 2, 14))
    assert (win.last_year_first, win.last_year_last, win.month) == (D(2024, 2, 1), D(2024, 2, 29), "2025-02")


def test_nothing_after_as_of_counts_in_last_year(con):
    """A run whose month lies after as-of counts no month to date, and last year stops at as-of."""
    parts = lines(con, "parts_lines", [part("2024-03-10", 1, 100), part("2024-03-25", 1, 999)])
    grid = pacing(parts, lines(con, "labour_lines", []), None, to=D(2025, 3, 31), as_of=D(2024, 3, 20),
                  calendar=Calendar())
    net = by_measure(grid)["parts_net"]
    assert (net["elapsed_days"], net["mtd"], net["last_year"]) == (0, 0, 100)


def test_empty_source_still_has_five_rows(con):
    """A scope with no line and no budget still shows the five measures, at 0 with empty ratios."""
    grid = pacing(lines(con, "parts_lines", []), lines(con, "labour_lines", []), budgets(con, [
        ("B9", "2024-03", "labour_net", 10.0)]), to=D(2024, 3, 14), as_of=D(2024, 3, 14), calendar=Calendar())
    assert list(grid.rows["measure"]) == list(MEASURES)
    assert (grid.rows["mtd"] == 0).all() and (grid.rows["projected"] == 0).all()
    assert grid.rows["projected_vs_last_year_pct"].isna().all()  # last year is 0
    net = by_measure(grid)["labour_net"]
    assert net["target_to_date"] == pytest.approx(100 / 21)     # 10 × 10 / 21
    assert net["pace_pct"] == 0 and net["projected_vs_budget_pct"] == 0  # 0 / (100/21), 0 / 10
    assert grid.rows.drop(index=2)["pace_pct"].isna().all()     # the other four have no budget


# ---------------------------------------------------------------- the word beside the colour


@pytest.mark.parametrize("pace, word", [(100.0, "ahead"), (131.5, "ahead"), (99.99, "behind"), (0.0, "behind"),
                                        (-20.0, "behind"), (float("nan"), ""), (None, "")])
def test_pacing_status(pace, word):
    """Pace at or above 100 % reads "ahead", below reads "behind", an empty pace reads nothing."""
    assert pacing_status({"pace_pct": pace}) == word


def test_pacing_status_with_a_band():
    """With a band of 2 points, a pace from 98 to under 102 reads "on track"."""
    assert [pacing_status({"pace_pct": p}, band=2) for p in (97.9, 98.0, 101.9, 102.0)] == [
        "behind", "on track", "on track", "ahead"]


def test_pacing_status_of_grid_rows(mid_month):
    """Each row of the pacing grid gets its word: behind on parts net, none where there is no pace."""
    words = {r["measure"]: pacing_status(r) for _, r in mid_month.rows.iterrows()}
    assert words == {"parts_net": "behind", "parts_profit": "", "labour_net": "behind", "labour_profit": "",
                     "hours_sold": "behind"}
