"""Properties of the sales grids on generated lines (hypothesis): they reconcile, credits
net to zero, ratios are empty exactly when their denominator is, and no line is lost."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.reports import labour, parts

DAYS = [dt.date(2024, 3, d) for d in range(1, 6)]
money = st.decimals(min_value=0, max_value=500, places=2).map(float)
qty = st.integers(min_value=-4, max_value=6).map(float)
optional_money = st.one_of(st.none(), money)

parts_line = st.fixed_dictionaries({
    "document": st.sampled_from(["D1", "D2", "D3", "D4"]),
    "doc_type": st.sampled_from(["invoice", "credit"]),
    "date_edit": st.sampled_from(DAYS),
    "account": st.sampled_from(["A1", "A2"]),
    "wip_no": st.none(),
    "department": st.sampled_from(["P", "W", "B"]),
    "sale_type": st.sampled_from(["S1", "S2", "S3"]),
    "operator": st.sampled_from(["OP1", "OP2"]),
    "quantity": qty, "retail_price": money, "selling_price": money,
    "discount": st.decimals(min_value=-20, max_value=20, places=2).map(float),
    "cost_price": money, "menu_normal_value": optional_money, "menu_fixed_value": optional_money,
})

labour_line = st.fixed_dictionaries({
    "document": st.sampled_from(["L1", "L2", "L3"]),
    "doc_type": st.sampled_from(["invoice", "credit"]),
    "date_edit": st.sampled_from(DAYS),
    "account": st.just("A1"),
    "department": st.sampled_from(["W", "B"]),
    "labour_type": st.sampled_from(["LT1", "LT2"]),
    "wip_owner": st.sampled_from(["OW1", "OW2", "OW3"]),
    "wip_no": st.just("W1"),
    "allowed_time": st.decimals(min_value=-3, max_value=10, places=1).map(float),
    "time_taken": st.decimals(min_value=0, max_value=10, places=1).map(float),
    "minutes_per_unit": st.sampled_from([60.0, 6.0]),
    "labour_rate": money, "contribution": st.sampled_from([100.0, 50.0, 25.0]),
    "cost_per_hour": money, "flat_rate": st.booleans(),
    "discount": st.decimals(min_value=-20, max_value=20, places=2).map(float),
    "menu_normal_value": optional_money, "menu_fixed_value": optional_money,
})

MONEY = ["gross", "discount", "net", "cost", "profit", "variance"]
PARTS_GRIDS = [(parts.activity, "date"), (parts.departments, "department"),
               (parts.sales_types, "sale_type"), (parts.operators, "operator")]
LABOUR_GRIDS = [(labour.activity, "date"), (labour.departments, "department"),
                (labour.labour_types, "labour_type"), (labour.operators, "operator")]
SOURCE_KEY = {"date": "date_edit", "operator": None}
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out["date_edit"] = pd.to_datetime(out["date_edit"])
    for col in ("menu_normal_value", "menu_fixed_value"):
        out[col] = out[col].astype("float64")
    return out


def source_key(key: str, report: str) -> str:
    if key == "date":
        return "date_edit"
    if key == "operator" and report == "labour":
        return "wip_owner"
    return key


def check_reconcile(grids):
    totals = [g.total.iloc[0] for g in grids]
    for g, total in zip(grids, totals):
        for col in MONEY:
            assert np.isclose(g.rows[col].sum(), total[col], atol=1e-6)
            assert np.isclose(total[col], totals[0][col], atol=1e-6)
        assert total["documents"] == totals[0]["documents"]


def check_ratios(grids):
    for g in grids:
        for table in (g.rows, g.total):
            assert (table["gp_pct"].isna() == (table["gross"] == 0)).all()


def check_no_line_lost(grids, lines: pd.DataFrame, report: str):
    for g in grids:
        key = g.key[0]
        values = lines[source_key(key, report)]
        shown = set(g.rows[key])
        assert len(g.rows) == values.nunique()
        assert set(pd.Series(values.unique())).issubset(shown)


@FAST
@given(st.lists(parts_line, min_size=1, max_size=25))
def test_parts_grids_reconcile_and_lose_nothing(rows):
    """The four parts grids total the same, ratios are empty exactly at zero Gross, every line has its row."""
    lines = frame(rows)
    grids = [f(lines) for f, _ in PARTS_GRIDS]
    check_reconcile(grids)
    check_ratios(grids)
    check_no_line_lost(grids, lines, "parts")


@FAST
@given(st.lists(labour_line, min_size=1, max_size=25))
def test_labour_grids_reconcile_and_lose_nothing(rows):
    """The four labour grids total the same, ratios are empty exactly at zero Gross, every line has its row."""
    lines = frame(rows)
    grids = [f(lines) for f, _ in LABOUR_GRIDS]
    check_reconcile(grids)
    check_ratios(grids)
    check_no_line_lost(grids, lines, "labour")


def mirrored(rows: list[dict], signed: list[str], prefix: str) -> list[dict]:
    credits = []
    for i, row in enumerate(rows):
        credit = dict(row, document=f"{prefix}{i}", doc_type="credit")
        for col in signed:
            if credit[col] is not None:
                credit[col] = -credit[col]
        credits.append(credit)
    return [dict(r, doc_type="invoice") for r in rows] + credits


@FAST
@given(st.lists(parts_line, min_size=1, max_size=15))
def test_parts_credit_mirroring_invoices_nets_each_day_to_zero(rows):
    """A credit note that mirrors an invoice nets every figure of its day to zero, GP% empty."""
    lines = frame(mirrored(rows, ["quantity", "discount", "menu_normal_value", "menu_fixed_value"], "C"))
    day = parts.activity(lines).rows
    assert (day[MONEY] == 0).all().all()
    assert day["gp_pct"].isna().all()
    assert (day["invoices"] >= 1).all() and (day["credits"] >= 1).all()
    assert (day["documents"] == day["invoices"] + day["credits"]).all()


@FAST
@given(st.lists(labour_line, min_size=1, max_size=15))
def test_labour_credit_mirroring_invoices_nets_each_day_to_zero(rows):
    """A labour credit that mirrors an invoice (time and discount signed) nets its day to zero."""
    lines = frame(mirrored(rows, ["allowed_time", "time_taken", "discount", "menu_normal_value",
                                  "menu_fixed_value"], "LC"))
    day = labour.activity(lines).rows
    assert (day[MONEY] == 0).all().all()
    assert day["gp_pct"].isna().all()
