"""The Fixed operations report (SPEC §6.5): repair orders, pay types, work in progress and absorption,
hand-worked on lines made here (stock ageing itself: test_stock.py)."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest

from aftersales.reports import operations as op
from aftersales.reports.grids import Grid
from aftersales.reports.periods import Period
from factory import typed_relation

LABOUR = {
    "wip_no": "VARCHAR", "line_no": "INTEGER", "document": "VARCHAR", "doc_type": "VARCHAR",
    "date_created": "DATE", "date_edit": "DATE", "account": "VARCHAR", "department": "VARCHAR",
    "labour_type": "VARCHAR", "wip_owner": "VARCHAR", "technician": "VARCHAR", "allowed_time": "DOUBLE",
    "time_taken": "DOUBLE", "minutes_per_unit": "DOUBLE", "labour_rate": "DOUBLE", "contribution": "DOUBLE",
    "cost_per_hour": "DOUBLE", "flat_rate": "BOOLEAN", "discount": "DOUBLE", "menu_normal_value": "DOUBLE",
    "menu_fixed_value": "DOUBLE", "branch": "VARCHAR", "pay_type": "VARCHAR",
}
PARTS = {
    "document": "VARCHAR", "doc_type": "VARCHAR", "date_edit": "DATE", "account": "VARCHAR", "wip_no": "VARCHAR",
    "department": "VARCHAR", "sale_type": "VARCHAR", "operator": "VARCHAR", "part_no": "VARCHAR",
    "quantity": "DOUBLE", "retail_price": "DOUBLE", "selling_price": "DOUBLE", "discount": "DOUBLE",
    "cost_price": "DOUBLE", "menu_normal_value": "DOUBLE", "menu_fixed_value": "DOUBLE", "first_pick": "BOOLEAN",
    "vor_loss": "DOUBLE", "branch": "VARCHAR", "pay_type": "VARCHAR",
}
OVERHEADS = {"branch": "VARCHAR", "month": "VARCHAR", "amount": "DOUBLE"}
STOCK = {"branch": "VARCHAR", "part_no": "VARCHAR", "on_hand_qty": "DOUBLE", "unit_cost": "DOUBLE",
         "last_sale_date": "DATE", "last_receipt_date": "DATE"}
DEFAULTS = {
    # one hour sold at 100, costing 40 an hour (time taken = allowed, not flat rate)
    "labour": {"wip_no": "W1", "line_no": 1, "document": "I1", "doc_type": "invoice", "date_created": "2024-03-01",
               "date_edit": "2024-03-05", "account": "A1", "department": "W", "labour_type": "LT",
               "wip_owner": "OW1", "technician": "T1", "allowed_time": 1, "time_taken": None,
               "minutes_per_unit": 60, "labour_rate": 100, "contribution": 100, "cost_per_hour": 40,
               "flat_rate": False, "discount": 0, "menu_normal_value": None, "menu_fixed_value": None,
               "branch": "B1", "pay_type": None},
    "parts": {"document": "D1", "doc_type": "invoice", "date_edit": "2024-03-05", "account": "A1", "wip_no": "",
              "department": "P", "sale_type": "S", "operator": "OP", "part_no": "P1", "quantity": 1,
              "retail_price": None, "selling_price": 10, "discount": 0, "cost_price": 5, "menu_normal_value": None,
              "menu_fixed_value": None, "first_pick": None, "vor_loss": None, "branch": "B1", "pay_type": None},
    "overheads": {"branch": "B1", "month": "2024-03", "amount": 0},
    "stock": {"branch": "B1", "part_no": "P1", "on_hand_qty": 1, "unit_cost": 1, "last_sale_date": None,
              "last_receipt_date": None},
}
TYPES = {"labour": LABOUR, "parts": PARTS, "overheads": OVERHEADS, "stock": STOCK}

MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 25))


def make(con, kind: str, rows: list[dict], drop: tuple[str, ...] = ()) -> duckdb.DuckDBPyRelation:
    """A typed relation of the contract's columns (less `drop`) from rows given as dicts; a labour
    line's time taken defaults to its allowed time, a parts line's retail price to its selling price."""
    return typed_relation(con, TYPES[kind], DEFAULTS[kind], rows, kind, drop)


def day(text: str, days: int = 0) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


# ---------------------------------------------------------------- repair orders, stock, absorption

LABOUR_MARCH = [
    # W1: 2 h at 100 -> gross 200, net 200, cost 80, profit 120
    {"wip_no": "W1", "line_no": 1, "document": "I1", "allowed_time": 2},
    # W1: 10 six-minute units at 10, half credited: hours 10 × 6/60 × 0.5 = 0.5; gross 10 × 10 × 0.5 = 50,
    #     net 50 − 5 = 45, cost 10 × 40 × 0.1 × 0.5 = 20, profit 25
    {"wip_no": "W1", "line_no": 2, "document": "I1", "allowed_time": 10, "minutes_per_unit": 6, "labour_rate": 10,
     "contribution": 50, "discount": 5},
    # W2: 3 h -> net 300, cost 120, profit 180
    {"wip_no": "W2", "document": "I2", "date_edit": "2024-03-20", "allowed_time": 3},
    # W3: a credit only, −1 h -> net −100, cost −40, profit −60; no repair order
    {"wip_no": "W3", "document": "C1", "doc_type": "credit", "date_edit": "2024-03-15", "allowed_time": -1},
    # not counted: un-invoiced, invoiced before the period, invoiced after as-of (25 March)
    {"wip_no": "W4", "document": None, "doc_type": None, "date_edit": "2024-03-10", "allowed_time": 5},
    {"wip_no": "W5", "document": "I5", "date_edit": "2024-02-28", "allowed_time": 7},
    {"wip_no": "W6", "document": "I6", "date_edit": "2024-03-27", "allowed_time": 9},
]
PARTS_MARCH = [
    # workshop: net 2 × 30 = 60, cost 40, profit 20; a workshop credit: net −30, cost −20, profit −10
    {"document": "D1", "wip_no": "W1", "quantity": 2, "selling_price": 30, "cost_price": 20},
    {"document": "D2", "doc_type": "credit", "date_edit": "2024-03-15", "wip_no": "W3", "quantity": -1,
     "selling_price": 30, "cost_price": 20},
    # counter (empty or no wip_no): net 100, cost 60, profit 40; net 50, cost 50, profit 0
    {"document": "D3", "date_edit": "2024-03-10", "wip_no": "", "quantity": 1, "selling_price": 100, "cost_price": 60},
    {"document": "D4", "date_edit": "2024-03-11", "wip_no": None, "quantity": 1, "selling_price": 50, "cost_price": 50},
    # outside the period: cost 500 (in the 12 months), after as-of (never counts)
    {"document": "D5", "date_edit": "2024-02-10", "wip_no": "W5", "selling_price": 1000, "cost_price": 500},
    {"document": "D6", "date_edit": "2024-03-27", "wip_no": "W6", "selling_price": 999, "cost_price": 900},
    # as-of 2024-03-25 − 364 days = 2023-03-27 (2024 is a leap year): cost 7 in; the day before: cost 3 out
    {"document": "D7", "date_edit": day("2024-03-25", -364), "selling_price": 10, "cost_price": 7},
    {"document": "D8", "date_edit": day("2024-03-25", -365), "selling_price": 10, "cost_price": 3},
]
STOCK_ROWS = [
    # 10 × 50 = 500 sold ten days ago (fresh); 1 × 100 never sold nor received (over 12 months); 0 on hand: nowhere
    {"part_no": "P1", "on_hand_qty": 10, "unit_cost": 50, "last_sale_date": "2024-03-15"},
    {"part_no": "P2", "on_hand_qty": 1, "unit_cost": 100},
    {"part_no": "P3", "on_hand_qty": 0, "unit_cost": 1000},
]
OVERHEAD_ROWS = [
    {"month": "2024-02", "amount": 2000}, {"month": "2024-03", "amount": 3150}, {"month": "2024-04", "amount": 4000},
]


def test_repair_orders_effective_rate_and_gross_profit(con):
    """The service manager reads ROs (invoices only), hours and money per RO, parts-to-labour, ELR and
    gross profit worked from the period's lines, credits with their signs."""
    grid = op.summary(make(con, "parts", PARTS_MARCH), make(con, "labour", LABOUR_MARCH),
                      make(con, "overheads", OVERHEAD_ROWS), make(con, "stock", STOCK_ROWS), MARCH)
    assert list(grid.rows.columns) == list(op.SUMMARY_COLUMNS) and len(grid.rows) == 1
    row = grid.rows.iloc[0]
    assert row["ros"] == 2  # W1, W2 (W3 has only a credit)
    assert row["hours_sold"] == pytest.approx(4.5)  # 2 + 0.5 + 3 − 1
    assert row["labour_net"] == pytest.approx(445)  # 200 + 45 + 300 − 100
    assert row["workshop_parts_net"] == pytest.approx(30)  # 60 − 30
    assert row["hours_per_ro"] == pytest.approx(2.25)  # 4.5 / 2
    assert row["labour_per_ro"] == pytest.approx(222.5)  # 445 / 2
    assert row["parts_per_ro"] == pytest.approx(15)  # 30 / 2
    assert row["parts_to_labour"] == pytest.approx(30 / 445)
    assert row["elr"] == pytest.approx(445 / 4.5)
    # parts profit 20 − 10 + 40 + 0 = 50; labour profit 120 + 25 + 180 − 60 = 265
    assert row["gross_profit"] == pytest.approx(315)


def test_stock_and_absorption_columns(con):
    """The manager reads stock value, turns, days supply, obsolescence and how much of March's overhead
    gross profit pays, the overhead counted for the whole of from–to even when as-of is earlier."""
    row = op.summary(make(con, "parts", PARTS_MARCH), make(con, "labour", LABOUR_MARCH),
                     make(con, "overheads", OVERHEAD_ROWS), make(con, "stock", STOCK_ROWS), MARCH).rows.iloc[0]
    assert row["stock_value"] == pytest.approx(600)  # 500 + 100
    # period costs 40 − 20 + 60 + 50 = 130; D5 500; D7 7 -> 637
    assert row["cost_of_sales_12m"] == pytest.approx(637)
    assert row["turns"] == pytest.approx(637 / 600)
    assert row["days_supply"] == pytest.approx(600 / (637 / 365))
    assert row["obsolescence_pct"] == pytest.approx(100 / 600 * 100)
    assert row["overheads"] == pytest.approx(3150)  # March whole: 3150 × 31/31
    assert row["absorption_pct"] == pytest.approx(315 / 3150 * 100)  # 10 %


def test_overhead_months_prorated_by_their_days_inside_the_period(con):
    """A month half inside the period brings half its overhead; months outside bring nothing."""
    rows = make(con, "overheads", [{"month": "2024-03", "amount": 3100}, {"month": "2024-04", "amount": 3000},
                                   {"month": "2024-05", "amount": 9999}])
    # 1–15 April: 15 of April's 30 days -> 3000 × 15/30 = 1500
    assert op.period_overheads(rows, dt.date(2024, 4, 1), dt.date(2024, 4, 15)) == pytest.approx(1500)
    # 17 March – 15 April: 3100 × 15/31 + 3000 × 15/30 = 1500 + 1500
    assert op.period_overheads(rows, dt.date(2024, 3, 17), dt.date(2024, 4, 15)) == pytest.approx(3000)
    half = Period(dt.date(2024, 4, 1), dt.date(2024, 4, 15), dt.date(2024, 4, 30))
    # gross profit in the half month: one labour hour, profit 60 -> 60 / 1500 × 100 = 4 %
    row = op.summary(make(con, "parts", []), make(con, "labour", [{"date_edit": "2024-04-10"}]), rows, None,
                     half).rows.iloc[0]
    assert row["overheads"] == pytest.approx(1500) and row["absorption_pct"] == pytest.approx(4)


def test_absorption_empty_without_overheads(con):
    """Without an overheads table, or without a row for the period's months, overheads and absorption are
    empty, not 0; an overhead of 0 is 0 with absorption empty."""
    parts, labour = make(con, "parts", PARTS_MARCH), make(con, "labour", LABOUR_MARCH)
    missing = op.summary(parts, labour, None, None, MARCH)
    assert math.isnan(missing.rows.iloc[0]["overheads"]) and math.isnan(missing.rows.iloc[0]["absorption_pct"])
    assert any("overheads table" in note for note in missing.notes)
    other = make(con, "overheads", [{"month": "2024-02", "amount": 2000}, {"month": "2024-04", "amount": 4000}])
    row = op.summary(parts, labour, other, None, MARCH).rows.iloc[0]
    assert math.isnan(row["overheads"]) and math.isnan(row["absorption_pct"])
    nothing = make(con, "overheads", [{"month": "2024-03", "amount": 0}])
    row = op.summary(parts, labour, nothing, None, MARCH).rows.iloc[0]
    assert row["overheads"] == 0 and math.isnan(row["absorption_pct"])


def test_stock_columns_empty_without_stock_and_zero_stock(con):
    """Without parts_stock every stock column is empty; with nothing on hand the value is 0 and turns and
    obsolescence are empty."""
    parts, labour = make(con, "parts", PARTS_MARCH), make(con, "labour", LABOUR_MARCH)
    row = op.summary(parts, labour, None, None, MARCH).rows.iloc[0]
    for col in ("stock_value", "cost_of_sales_12m", "turns", "days_supply", "obsolescence_pct"):
        assert math.isnan(row[col]), col
    zero = make(con, "stock", [{"on_hand_qty": 0, "unit_cost": 10}, {"part_no": "P2", "on_hand_qty": -2}])
    row = op.summary(parts, labour, None, zero, MARCH).rows.iloc[0]
    assert row["stock_value"] == 0 and row["cost_of_sales_12m"] == pytest.approx(637)
    assert math.isnan(row["turns"]) and math.isnan(row["obsolescence_pct"])
    assert row["days_supply"] == 0  # 0 / (637 / 365)


def test_per_ro_ratios_empty_without_repair_orders(con):
    """A period with only a credit has no RO: the per-RO figures are empty, not 0 or infinite."""
    labour = make(con, "labour", [{"document": "C1", "doc_type": "credit", "allowed_time": -1}])
    row = op.summary(make(con, "parts", [{"wip_no": "W1"}]), labour, None, None, MARCH).rows.iloc[0]
    assert row["ros"] == 0 and row["hours_sold"] == -1 and row["labour_net"] == -100
    assert math.isnan(row["hours_per_ro"]) and math.isnan(row["labour_per_ro"]) and math.isnan(row["parts_per_ro"])
    assert row["elr"] == pytest.approx(100)  # −100 / −1
    none = op.summary(make(con, "parts", []), make(con, "labour", []), None, None, MARCH).rows.iloc[0]
    assert none["ros"] == 0 and math.isnan(none["elr"]) and math.isnan(none["parts_to_labour"])


def test_repair_orders_change_against_prior_year(con):
    """The page compares each Repair-orders figure with the same dates a year earlier."""
    labour = make(con, "labour", [
        {"wip_no": "W1", "document": "I1", "allowed_time": 2},                       # now: 2 h, net 200
        {"wip_no": "W2", "document": "I2", "allowed_time": 2},                       # now: 2 h, net 200
        {"wip_no": "V1", "document": "I0", "date_created": "2023-03-01", "date_edit": "2023-03-05",
         "allowed_time": 1},                                                         # prior: 1 h, net 100
    ])
    parts = make(con, "parts", [])
    now, prior = op.summary(parts, labour, None, None, MARCH), op.summary(parts, labour, None, None, MARCH.prior())
    change = op.repair_orders_change(now, prior).set_index("figure")
    assert list(change.index) == list(op.REPAIR_ORDER_FIGURES)
    assert change.loc["ros"].tolist()[:3] == [2.0, 1.0, 1.0]
    assert change.loc["ros", "change_pct"] == pytest.approx(100)  # (2 − 1) / 1 × 100
    assert change.loc["labour_net"].tolist()[:3] == [400.0, 100.0, 300.0]
    assert change.loc["elr", "change"] == 0  # 100 per hour both years
    # no workshop parts: 0 / 400 = 0 against 0 / 100 = 0; a change of 0, its percentage empty (÷ 0)
    assert change.loc["parts_to_labour", "change"] == 0
    assert math.isnan(change.loc["parts_to_labour", "change_pct"])
    # against a year with no RO, the per-RO figures have no prior and no change
    empty = op.summary(parts, labour, None, None, MARCH.prior().prior())
    against_nothing = op.repair_orders_change(now, empty).set_index("figure")
    assert against_nothing.loc["hours_per_ro", "value"] == 2
    assert math.isnan(against_nothing.loc["hours_per_ro", "prior"])
    assert math.isnan(against_nothing.loc["hours_per_ro", "change"])
    assert against_nothing.loc["ros", "change"] == 2


# ---------------------------------------------------------------- pay types

LABOUR_PAY = [
    # warranty: 2 h at 60 -> gross 120, net 120, cost 80, profit 40
    {"wip_no": "W1", "line_no": 1, "allowed_time": 2, "labour_rate": 60, "pay_type": "warranty"},
    # empty pay type = customer: 1 h -> gross 100, net 100, cost 40, profit 60
    {"wip_no": "W1", "line_no": 2, "pay_type": ""},
    # no pay type = customer: 3 h, discount 30 -> gross 300, net 270, cost 120, profit 150
    {"wip_no": "W2", "document": "I2", "allowed_time": 3, "discount": 30, "pay_type": None},
    # customer credit: −1 h -> gross −100, net −100, cost −40, profit −60; no RO
    {"wip_no": "W3", "document": "C3", "doc_type": "credit", "allowed_time": -1, "pay_type": "customer"},
    # internal, not invoiced: does not make the pay type present
    {"wip_no": "W4", "document": None, "doc_type": None, "allowed_time": 4, "pay_type": "internal"},
]
PARTS_PAY = [
    {"document": "D1", "wip_no": "", "selling_price": 50, "cost_price": 30, "pay_type": "internal"},  # net 50, pr 20
    {"document": "D2", "wip_no": "W2", "selling_price": 20, "cost_price": 10, "pay_type": None},  # customer 20, 10
    {"document": "D3", "doc_type": "credit", "wip_no": "W1", "quantity": -1, "selling_price": 40,
     "cost_price": 25, "pay_type": "warranty"},  # warranty −40, profit −15
]


def test_pay_types_side_by_side(con):
    """The manager compares ELR, GP% and hours mix of customer, internal and warranty work, each line under
    its own pay type and an empty one under customer."""
    grid = op.pay_types(make(con, "parts", PARTS_PAY), make(con, "labour", LABOUR_PAY), MARCH)
    assert list(grid.rows.columns) == ["pay_type", *op.PAY_TYPE_COLUMNS]
    assert grid.rows["pay_type"].tolist() == ["customer", "internal", "warranty"]
    rows = grid.rows.set_index("pay_type")
    customer = rows.loc["customer"]
    assert customer["ros"] == 2  # W1 (its customer line), W2
    assert customer["hours_sold"] == pytest.approx(3)  # 1 + 3 − 1
    assert customer["labour_net"] == pytest.approx(270)  # 100 + 270 − 100
    assert customer["labour_profit"] == pytest.approx(150)  # 60 + 150 − 60
    assert customer["labour_gp_pct"] == pytest.approx(50)  # 150 / (100 + 300 − 100)
    assert customer["elr"] == pytest.approx(90)  # 270 / 3
    assert customer["hours_mix_pct"] == pytest.approx(60)  # 3 / 5
    assert (customer["parts_net"], customer["parts_profit"]) == (20, 10)
    internal = rows.loc["internal"]  # present through a counter parts line only
    assert internal["ros"] == 0 and internal["hours_sold"] == 0 and internal["hours_mix_pct"] == 0
    assert math.isnan(internal["elr"]) and math.isnan(internal["labour_gp_pct"])
    assert (internal["parts_net"], internal["parts_profit"]) == (50, 20)
    warranty = rows.loc["warranty"]
    assert warranty["ros"] == 1 and warranty["hours_sold"] == 2
    assert warranty["elr"] == pytest.approx(60) and warranty["labour_gp_pct"] == pytest.approx(40 / 120 * 100)
    assert warranty["hours_mix_pct"] == pytest.approx(40)  # 2 / 5
    assert (warranty["parts_net"], warranty["parts_profit"]) == (-40, -15)
    total = grid.total.iloc[0]
    assert total["ros"] == 2  # W1 and W2 once each, whatever their pay types
    assert total["hours_sold"] == 5 and total["labour_net"] == 390 and total["elr"] == pytest.approx(78)
    assert total["labour_gp_pct"] == pytest.approx(190 / 420 * 100) and total["hours_mix_pct"] == 100
    assert (total["parts_net"], total["parts_profit"]) == (30, 15)


def test_pay_types_without_the_column_are_all_customer(con):
    """A source whose lines have no pay_type column shows one row, customer, holding everything."""
    drop = ("pay_type",)
    grid = op.pay_types(make(con, "parts", PARTS_PAY, drop), make(con, "labour", LABOUR_PAY, drop), MARCH)
    assert grid.rows["pay_type"].tolist() == ["customer"]
    row = grid.rows.iloc[0]
    assert row["ros"] == 2 and row["hours_sold"] == 5 and row["labour_net"] == 390
    assert row["hours_mix_pct"] == 100 and row["parts_net"] == 30  # 50 + 20 − 40


# ---------------------------------------------------------------- work in progress

T = dt.date(2024, 3, 31)


def _aged_job(age: int, rate: float) -> dict:
    """A job with one open line raised `age` days before t: 1 hour at `rate` (value = rate)."""
    return {"wip_no": f"J{age:03d}", "document": None, "doc_type": None, "date_edit": None,
            "date_created": day("2024-03-31", -age), "labour_rate": rate}


WIP_LINES = [
    *(_aged_job(age, rate) for age, rate in
      ((0, 1), (7, 2), (8, 4), (30, 8), (31, 16), (60, 32), (61, 64), (90, 128), (91, 256))),
    # invoiced on t: closed
    {"wip_no": "K1", "document": "I1", "date_created": "2024-03-01", "date_edit": "2024-03-31", "labour_rate": 5000},
    # invoiced after t: open, age 10 -> 0.5 h, value 0.5 × 1000 = 500
    {"wip_no": "K2", "document": "I2", "date_created": "2024-03-21", "date_edit": "2024-04-02", "allowed_time": 0.5,
     "labour_rate": 1000},
    # credited after t: open, age 0 -> −1 h, value −100
    {"wip_no": "K3", "document": "C3", "doc_type": "credit", "date_created": "2024-03-31", "date_edit": "2024-04-05",
     "allowed_time": -1},
    # raised after t: not open
    {"wip_no": "K4", "document": None, "doc_type": None, "date_created": "2024-04-01", "labour_rate": 7000},
    # a closed line raised long ago and an open one raised 20 days before t: age 20;
    # open line 2 six-minute units at 10, half credited: 2 × 6/60 × 0.5 = 0.1 h, value 2 × 10 × 0.5 = 10
    {"wip_no": "K5", "line_no": 1, "document": "I5", "date_created": "2024-01-10", "date_edit": "2024-03-15",
     "labour_rate": 3000},
    {"wip_no": "K5", "line_no": 2, "document": None, "doc_type": None, "date_created": "2024-03-11",
     "allowed_time": 2, "minutes_per_unit": 6, "labour_rate": 10, "contribution": 50},
]


def test_wip_buckets_on_every_edge(con):
    """Work in progress shows jobs, hours and value in five age buckets, ages 7/8, 30/31, 60/61, 90/91 on
    their edges, a job open while its invoice or credit is dated after t."""
    grid = op.wip(make(con, "labour", WIP_LINES), T)
    assert list(grid.rows.columns) == ["bucket", "jobs", "hours", "value"]
    assert grid.rows["bucket"].tolist() == list(op.WIP_BUCKETS)
    rows = grid.rows.set_index("bucket")
    # d0_7: J000 1, J007 2, K3 −1 h / −100 -> 3 jobs, 1 h, −97
    # d8_30: J008 4, J030 8, K2 0.5 h / 500, K5 0.1 h / 10 -> 4 jobs, 2.6 h, 522
    # d31_60: J031 16 + J060 32 = 48; d61_90: J061 64 + J090 128 = 192; d90_plus: J091 256
    assert rows["jobs"].to_dict() == {"d0_7": 3, "d8_30": 4, "d31_60": 2, "d61_90": 2, "d90_plus": 1}
    assert rows["hours"].tolist() == pytest.approx([1, 2.6, 2, 2, 1])
    assert rows["value"].tolist() == pytest.approx([-97, 522, 48, 192, 256])
    total = grid.total.iloc[0]
    assert total["jobs"] == 12 and total["hours"] == pytest.approx(8.6) and total["value"] == pytest.approx(921)


def test_wip_empty_has_five_rows_of_zero(con):
    """With no job open the WIP table still lists its five buckets, at zero."""
    grid = op.wip(make(con, "labour", [{"date_edit": "2024-03-10"}]), T)
    assert grid.rows["bucket"].tolist() == list(op.WIP_BUCKETS)
    assert grid.rows["jobs"].tolist() == [0] * 5 and grid.rows["value"].tolist() == [0.0] * 5


def test_open_jobs_oldest_first_with_owner_and_value(con):
    """The open-jobs list puts the oldest first and names each job's owner: the one on most of its open lines."""
    lines = make(con, "labour", [
        # A: open lines raised 40 and 35 days before t by owners X, Y, Y; closed lines by Z count nowhere
        {"wip_no": "A", "line_no": 1, "document": None, "doc_type": None, "date_created": day("2024-03-31", -40),
         "wip_owner": "X", "account": "AC1"},
        {"wip_no": "A", "line_no": 2, "document": None, "doc_type": None, "date_created": day("2024-03-31", -35),
         "wip_owner": "Y", "account": "AC2"},
        {"wip_no": "A", "line_no": 3, "document": None, "doc_type": None, "date_created": day("2024-03-31", -35),
         "wip_owner": "Y", "account": "AC2", "allowed_time": 2},
        {"wip_no": "A", "line_no": 4, "date_created": "2024-01-01", "date_edit": "2024-03-01", "wip_owner": "Z"},
        {"wip_no": "A", "line_no": 5, "date_created": "2024-01-01", "date_edit": "2024-03-01", "wip_owner": "Z"},
        {"wip_no": "B", "document": None, "doc_type": None, "date_created": day("2024-03-31", -5), "wip_owner": "Q"},
        {"wip_no": "C", "document": None, "doc_type": None, "date_created": day("2024-03-31", -40), "wip_owner": "R"},
    ])
    jobs = op.open_jobs(lines, T)
    assert list(jobs.columns) == list(op.OPEN_JOB_COLUMNS)
    assert jobs["wip_no"].tolist() == ["A", "C", "B"]  # 40, 40 (by job number), 5 days
    a = jobs.iloc[0]
    assert (a["owner"], a["account"], a["age_days"]) == ("Y", "AC2", 40)
    assert pd.Timestamp(a["date_created"]).date() == dt.date(2024, 2, 20)  # 31 March − 40 days
    assert a["hours"] == 4 and a["value"] == 400  # 1 + 1 + 2 h at 100
    limited = op.open_jobs(lines, T, limit=1)
    assert limited["wip_no"].tolist() == ["A"] and limited.attrs["rows"] == 3


# ---------------------------------------------------------------- the KPI dictionary


def test_every_column_has_its_formula():
    """Every column of the report's CSVs points to a KPI whose formula the page shows."""
    csvs = {"summary": op.SUMMARY_COLUMNS, "pay_types": ("pay_type", *op.PAY_TYPE_COLUMNS),
            "wip": ("bucket", *op.WIP_COLUMNS), "stock_ageing": ("bucket", "parts", "value", "value_pct")}
    for name, columns in csvs.items():
        assert set(op.KPI_OF[name]) == set(columns), name
        for column in columns:
            assert op.KPI_OF[name][column] in op.KPIS, (name, column)


def test_summary_is_a_grid_without_totals(con):
    """The summary CSV is one data row (no totals row to drop)."""
    grid = op.summary(make(con, "parts", []), make(con, "labour", []), None, None, MARCH)
    assert isinstance(grid, Grid) and grid.total is None and len(grid.rows) == 1
