"""Stock health of the Fixed operations report (SPEC §6.5 "Stock"), hand-worked on stock files made here."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest

from aftersales.reports.stock import (
    BUCKETS,
    non_positive_stock,
    obsolescence_pct,
    obsolete_parts,
    stock_ageing,
    stock_value,
)

AS_OF = dt.date(2024, 3, 31)
STOCK = {"branch": "VARCHAR", "part_no": "VARCHAR", "on_hand_qty": "DOUBLE", "unit_cost": "DOUBLE",
         "last_sale_date": "DATE", "last_receipt_date": "DATE"}
DEFAULT = {"branch": "B1", "part_no": "P", "on_hand_qty": 1, "unit_cost": 1, "last_sale_date": None,
           "last_receipt_date": None}


def ago(days: int) -> str:
    """The day `days` before as-of, as text."""
    return (AS_OF - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def make_stock(con, rows: list[dict], columns: dict[str, str] = STOCK) -> duckdb.DuckDBPyRelation:
    """A parts_stock relation of typed columns from rows given as dicts (other columns from DEFAULT)."""
    frame = pd.DataFrame([{c: r.get(c, DEFAULT[c]) for c in columns} for r in rows], columns=list(columns),
                         dtype="object")
    name = f"stock_{len(con.sql('SHOW TABLES').fetchall())}"
    con.register("stock_rows", frame)
    select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns.items())
    con.sql(f"CREATE TABLE {name} AS SELECT {select} FROM stock_rows")
    con.unregister("stock_rows")
    return con.table(name)


# Every bucket edge, with a distinct value per row (qty × cost) so each sum names its rows.
EDGES = [
    {"part_no": "S090", "on_hand_qty": 1, "unit_cost": 1, "last_sale_date": ago(90)},     # m0_3
    {"part_no": "S091", "on_hand_qty": 1, "unit_cost": 2, "last_sale_date": ago(91)},     # m3_6
    {"part_no": "S180", "on_hand_qty": 1, "unit_cost": 4, "last_sale_date": ago(180)},    # m3_6
    {"part_no": "S181", "on_hand_qty": 1, "unit_cost": 8, "last_sale_date": ago(181)},    # m6_9
    {"part_no": "S270", "on_hand_qty": 1, "unit_cost": 16, "last_sale_date": ago(270)},   # m6_9
    {"part_no": "S271", "on_hand_qty": 1, "unit_cost": 32, "last_sale_date": ago(271)},   # m9_12
    {"part_no": "S365", "on_hand_qty": 1, "unit_cost": 64, "last_sale_date": ago(365)},   # m9_12
    {"part_no": "S366", "on_hand_qty": 2, "unit_cost": 64, "last_sale_date": ago(366)},   # m12_plus: 128
    {"part_no": "NONE", "on_hand_qty": 1, "unit_cost": 256},                              # m12_plus: no dates
    # sold 400 days ago, received 5 days ago: the sale decides -> m12_plus, 512
    {"part_no": "SOLD_OLD", "on_hand_qty": 4, "unit_cost": 128, "last_sale_date": ago(400),
     "last_receipt_date": ago(5)},
    # never sold, received 100 days ago -> m3_6, 1024
    {"part_no": "RECV100", "on_hand_qty": 8, "unit_cost": 128, "last_receipt_date": ago(100)},
    # sold 10 days ago, received 500 days ago -> m0_3, 2048
    {"part_no": "FRESH", "on_hand_qty": 16, "unit_cost": 128, "last_sale_date": ago(10),
     "last_receipt_date": ago(500)},
    # on hand 0 or below: counted nowhere
    {"part_no": "ZERO", "on_hand_qty": 0, "unit_cost": 1000},
    {"part_no": "NEG", "on_hand_qty": -3, "unit_cost": 1000, "last_sale_date": ago(1)},
]


def test_ageing_buckets_on_every_edge(con):
    """A manager reads each part in the age bucket its last sale (else its last receipt) puts it in,
    edges included, and the rows with nothing on hand in none."""
    grid = stock_ageing(make_stock(con, EDGES), AS_OF)
    assert list(grid.rows.columns) == ["bucket", "parts", "value", "value_pct"]
    assert list(grid.rows["bucket"]) == list(BUCKETS)
    rows = grid.rows.set_index("bucket")
    # m0_3: S090 1 + FRESH 2048 = 2049 (2 parts)
    # m3_6: S091 2 + S180 4 + RECV100 1024 = 1030 (3)
    # m6_9: S181 8 + S270 16 = 24 (2)
    # m9_12: S271 32 + S365 64 = 96 (2)
    # m12_plus: S366 128 + NONE 256 + SOLD_OLD 512 = 896 (3)
    assert rows["parts"].to_dict() == {"m0_3": 2, "m3_6": 3, "m6_9": 2, "m9_12": 2, "m12_plus": 3}
    assert rows["value"].to_dict() == {"m0_3": 2049.0, "m3_6": 1030.0, "m6_9": 24.0, "m9_12": 96.0,
                                       "m12_plus": 896.0}
    # stock value 2049 + 1030 + 24 + 96 + 896 = 4095; m12_plus share 896 / 4095 × 100
    assert stock_value(grid) == 4095.0
    assert rows.loc["m12_plus", "value_pct"] == pytest.approx(896 / 4095 * 100)
    assert rows.loc["m0_3", "value_pct"] == pytest.approx(2049 / 4095 * 100)
    assert obsolescence_pct(grid) == pytest.approx(896 / 4095 * 100)
    assert grid.total.iloc[0]["parts"] == 12 and grid.total.iloc[0]["value_pct"] == pytest.approx(100.0)


def test_zero_stock_has_five_empty_buckets_and_empty_shares(con):
    """A branch with nothing on hand shows five buckets of zero, and shares and obsolescence empty, not 0."""
    grid = stock_ageing(make_stock(con, [{"on_hand_qty": 0, "unit_cost": 5, "last_sale_date": ago(400)},
                                         {"part_no": "Q", "on_hand_qty": -1, "unit_cost": 5}]), AS_OF)
    assert list(grid.rows["bucket"]) == list(BUCKETS)
    assert grid.rows["parts"].tolist() == [0] * 5 and grid.rows["value"].tolist() == [0.0] * 5
    assert grid.rows["value_pct"].isna().all()
    assert stock_value(grid) == 0.0 and math.isnan(obsolescence_pct(grid))


def test_obsolete_parts_most_valuable_first_and_counted(con):
    """The obsolete list shows the most valuable parts unsold for over a year first, and says how many there are."""
    listed = obsolete_parts(make_stock(con, EDGES), AS_OF, top=2)
    # obsolete: SOLD_OLD 512, NONE 256, S366 128 (S365 at 365 days is not obsolete; ZERO counts nowhere)
    assert listed["part_no"].tolist() == ["SOLD_OLD", "NONE"]
    assert listed["value"].tolist() == [512.0, 256.0]
    assert listed.attrs["rows"] == 3
    assert listed.loc[0, "age_days"] == 400 and pd.isna(listed.loc[1, "age_days"])
    assert listed.loc[0, "branch"] == "B1"
    every = obsolete_parts(make_stock(con, EDGES), AS_OF)
    assert every["part_no"].tolist() == ["SOLD_OLD", "NONE", "S366"]


def test_non_positive_rows_are_counted_for_data_quality(con):
    """Data quality says how many stock rows have nothing on hand (zero or negative quantity)."""
    assert non_positive_stock(make_stock(con, EDGES)) == 2  # ZERO and NEG


def test_stock_without_branch_column(con):
    """A single-site stock file without a branch column is aged and listed the same way."""
    columns = {c: t for c, t in STOCK.items() if c != "branch"}
    rel = make_stock(con, [{"part_no": "X", "on_hand_qty": 3, "unit_cost": 2.5}], columns)
    assert stock_ageing(rel, AS_OF).rows.set_index("bucket").loc["m12_plus", "value"] == 7.5  # 3 × 2.5
    listed = obsolete_parts(rel, AS_OF)
    assert "branch" not in listed and listed["part_no"].tolist() == ["X"]
