"""The Branches grid of a dealer group (SPEC §6.2), hand-worked on lines of four branches made here
(codes that look like numbers, a branch missing from `branches`, one that sold only last year)."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import pytest

from aftersales.reports import group
from aftersales.reports import operations as op
from aftersales.reports.grids import Grid
from aftersales.reports.periods import Period
from aftersales.reports.workshop_hours import technicians
from factory import typed_relation

LABOUR = {
    "wip_no": "VARCHAR", "line_no": "INTEGER", "document": "VARCHAR", "doc_type": "VARCHAR",
    "date_created": "DATE", "date_edit": "DATE", "account": "VARCHAR", "department": "VARCHAR",
    "labour_type": "VARCHAR", "wip_owner": "VARCHAR", "technician": "VARCHAR", "allowed_time": "DOUBLE",
    "time_taken": "DOUBLE", "minutes_per_unit": "DOUBLE", "labour_rate": "DOUBLE", "contribution": "DOUBLE",
    "cost_per_hour": "DOUBLE", "flat_rate": "BOOLEAN", "discount": "DOUBLE", "menu_normal_value": "DOUBLE",
    "menu_fixed_value": "DOUBLE", "branch": "VARCHAR",
}
PARTS = {
    "document": "VARCHAR", "doc_type": "VARCHAR", "date_edit": "DATE", "account": "VARCHAR", "wip_no": "VARCHAR",
    "department": "VARCHAR", "sale_type": "VARCHAR", "operator": "VARCHAR", "part_no": "VARCHAR",
    "quantity": "DOUBLE", "retail_price": "DOUBLE", "selling_price": "DOUBLE", "discount": "DOUBLE",
    "cost_price": "DOUBLE", "menu_normal_value": "DOUBLE", "menu_fixed_value": "DOUBLE", "first_pick": "BOOLEAN",
    "vor_loss": "DOUBLE", "branch": "VARCHAR",
}
CLOCKINGS = {
    "technician": "VARCHAR", "technician_name": "VARCHAR", "clock_in": "TIMESTAMP", "clock_out": "TIMESTAMP",
    "wip_no": "VARCHAR", "line_no": "INTEGER", "idle_code": "VARCHAR", "idle_productive": "BOOLEAN",
    "reason": "VARCHAR", "description": "VARCHAR", "branch": "VARCHAR",
}
BRANCHES = {"branch": "VARCHAR", "name": "VARCHAR", "region": "VARCHAR"}
OVERHEADS = {"branch": "VARCHAR", "month": "VARCHAR", "amount": "DOUBLE"}
DEFAULTS = {
    # one hour sold at 100, costing 40 an hour (time taken = allowed, not flat rate): gross 100, profit 60
    "labour": {"wip_no": "W1", "line_no": 1, "document": "I1", "doc_type": "invoice", "date_created": "2024-03-01",
               "date_edit": "2024-03-05", "account": "A1", "department": "W", "labour_type": "LT",
               "wip_owner": "OW1", "technician": "T1", "allowed_time": 1, "time_taken": None,
               "minutes_per_unit": 60, "labour_rate": 100, "contribution": 100, "cost_per_hour": 40,
               "flat_rate": False, "discount": 0, "menu_normal_value": None, "menu_fixed_value": None,
               "branch": "01"},
    # one part at 10 (retail = selling), costing 5
    "parts": {"document": "D1", "doc_type": "invoice", "date_edit": "2024-03-05", "account": "A1", "wip_no": "",
              "department": "P", "sale_type": "S", "operator": "OP", "part_no": "P1", "quantity": 1,
              "retail_price": None, "selling_price": 10, "discount": 0, "cost_price": 5, "menu_normal_value": None,
              "menu_fixed_value": None, "first_pick": None, "vor_loss": None, "branch": "01"},
    "clockings": {"technician": "T1", "technician_name": "Tess", "clock_in": "2024-03-05 08:00",
                  "clock_out": "2024-03-05 12:00", "wip_no": "W1", "line_no": 1, "idle_code": None,
                  "idle_productive": None, "reason": None, "description": None, "branch": "01"},
    "branches": {"branch": "01", "name": "", "region": None},
    "overheads": {"branch": "01", "month": "2024-03", "amount": 0},
}
TYPES = {"labour": LABOUR, "parts": PARTS, "clockings": CLOCKINGS, "branches": BRANCHES, "overheads": OVERHEADS}

#: March 2024 seen on the 25th: lines dated after it never count; the prior period is March 2023 to the 25th.
MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 25))


def make(con, kind: str, rows: list[dict], drop: tuple[str, ...] = ()) -> duckdb.DuckDBPyRelation:
    """A typed relation of the contract's columns plus `branch` (less `drop`) from rows given as dicts; a labour
    line's time taken defaults to its allowed time, a parts line's retail price to its selling price."""
    return typed_relation(con, TYPES[kind], DEFAULTS[kind], rows, kind, drop)


PARTS_ROWS = [
    # 01: 2 × retail 15, selling 10, cost 4, discount 2 -> gross 30, net 18, cost 8, profit 10
    {"document": "D1", "quantity": 2, "retail_price": 15, "selling_price": 10, "cost_price": 4, "discount": 2},
    # 01: its credit of one -> gross −15, net −10 + 1 = −9, cost −4, profit −5
    {"document": "C1", "doc_type": "credit", "date_edit": "2024-03-12", "quantity": -1, "retail_price": 15,
     "selling_price": 10, "cost_price": 4, "discount": -1},
    # 01: after as-of (the 25th): never counts
    {"document": "D9", "date_edit": "2024-03-28", "selling_price": 1000},
    # 01: prior period (March 2023 to the 25th): net 12; after the prior as-of: not counted
    {"document": "P1", "date_edit": "2023-03-15", "selling_price": 12},
    {"document": "P9", "date_edit": "2023-03-28", "selling_price": 500},
    # 1: gross 100, net 80, cost 50, profit 30
    {"document": "D2", "branch": "1", "retail_price": 100, "selling_price": 80, "cost_price": 50},
    # 10 (missing from branches): gross 40, net 40, profit 30; prior net 50
    {"document": "D3", "branch": "10", "selling_price": 40, "cost_price": 10},
    {"document": "P3", "branch": "10", "date_edit": "2023-03-10", "selling_price": 50},
    # 2: sold only last year: parts net 20
    {"document": "P2", "branch": "2", "date_edit": "2023-03-10", "selling_price": 20},
]
LABOUR_ROWS = [
    # 01, T1: 2 h at 50, taken 3 h at 20, discount 10 -> gross 100, net 90, cost 60, profit 30; 2 h sold
    {"wip_no": "W1", "line_no": 1, "allowed_time": 2, "labour_rate": 50, "time_taken": 3, "cost_per_hour": 20,
     "discount": 10},
    # 01, no technician: 1.5 h at 100 -> gross 150, net 150, cost 60, profit 90; in labour_net, not in hours_sold
    {"wip_no": "W1", "line_no": 2, "technician": None, "allowed_time": 1.5},
    # 01: un-invoiced (no document) -> counts nowhere
    {"wip_no": "W2", "line_no": 1, "document": None, "doc_type": None, "allowed_time": 5},
    # 1, T2: 4 six-minute units at 10, half credited -> gross 20, net 20, cost 4 × 40 × 0.1 × 0.5 = 8, profit 12;
    #    hours 4 × 6/60 × 0.5 = 0.2
    {"wip_no": "W3", "line_no": 1, "branch": "1", "technician": "T2", "allowed_time": 4, "minutes_per_unit": 6,
     "labour_rate": 10, "contribution": 50},
    # 1, T2: a credit of −1 h at 60 -> gross −60, net −60, cost −40, profit −20; hours −1
    {"wip_no": "W3", "line_no": 2, "branch": "1", "technician": "T2", "document": "C3", "doc_type": "credit",
     "date_edit": "2024-03-15", "allowed_time": -1, "labour_rate": 60},
    # 2: sold only last year: labour net 100
    {"wip_no": "W4", "branch": "2", "document": "P4", "date_created": "2023-03-01", "date_edit": "2023-03-20"},
]
CLOCKING_ROWS = [
    # 01: T1 4 h on a job + 1 h productive idle = 5 h attended
    {},
    {"clock_in": "2024-03-05 13:00", "clock_out": "2024-03-05 14:00", "wip_no": None, "idle_code": "TR",
     "idle_productive": True},
    # 01: an open clocking and one before the period count nowhere
    {"clock_in": "2024-03-06 08:00", "clock_out": None},
    {"clock_in": "2024-02-28 08:00", "clock_out": "2024-02-28 16:00"},
    # 1: T1 (of branch 01) clocked at branch 1: 2.5 h, in branch 1; T2 1.5 h -> 4 h attended
    {"branch": "1", "clock_in": "2024-03-06 08:00", "clock_out": "2024-03-06 10:30"},
    {"branch": "1", "technician": "T2", "technician_name": "Tom", "clock_in": "2024-03-07 08:00",
     "clock_out": "2024-03-07 09:30", "wip_no": "W3"},
]
BRANCH_ROWS = [
    {"branch": "01", "name": "Central <b>", "region": "North"},
    {"branch": "1", "name": "One", "region": None},
    {"branch": "2", "name": "Two", "region": "South"},
    {"branch": "99", "name": "Never sold", "region": "South"},
]
OVERHEAD_ROWS = [
    {"branch": "01", "month": "2024-03", "amount": 100}, {"branch": "01", "month": "2024-02", "amount": 999},
    {"branch": "1", "month": "2024-03", "amount": 62}, {"branch": "2", "month": "2024-03", "amount": 50},
]


def grid_of(con, period: Period = MARCH, **changes):
    tables = {"parts": PARTS_ROWS, "labour": LABOUR_ROWS, "clockings": CLOCKING_ROWS, "branches": BRANCH_ROWS,
              "overheads": OVERHEAD_ROWS, **changes}
    rel = {k: (make(con, k, v) if v is not None else None) for k, v in tables.items()}
    return group.branches(rel["parts"], rel["labour"], rel["clockings"], rel["branches"], rel["overheads"], period)


def by_code(grid, code: str) -> dict:
    found = grid.rows[grid.rows["branch"] == code]
    assert len(found) == 1, grid.rows
    return found.iloc[0].to_dict()


def check(record: dict, **expected) -> None:
    for name, value in expected.items():
        if value is None:
            assert isinstance(record[name], float) and math.isnan(record[name]), f"{name} = {record[name]}"
        elif isinstance(value, str):
            assert record[name] == value, f"{name}: {record[name]!r} != {value!r}"
        else:
            assert record[name] == pytest.approx(value), f"{name}: {record[name]} != {value}"


def test_one_row_per_branch_sorted_by_code_with_the_spec_columns(con):
    """The CSV has the SPEC's columns and one row per branch that sold now or last year: '01', '1' and '10'
    are three branches, sorted as text; a branch only in `branches` has no row."""
    grid = grid_of(con)
    assert list(grid.rows.columns) == list(group.COLUMNS)
    assert list(grid.rows["branch"]) == ["01", "1", "10", "2"]
    assert grid.key == ("branch",) and grid.name == "branches"
    assert list(grid.total.columns) == list(group.TOTAL_COLUMNS)


def test_branch_figures_with_credits(con):
    """A branch's parts and labour figures are the sums of its lines, credits with their signs, and each GP%
    is its Profit over its Gross."""
    grid = grid_of(con)
    # 01: parts gross 30 − 15 = 15, net 18 − 9 = 9, profit 10 − 5 = 5; labour gross 100 + 150 = 250,
    #     net 90 + 150 = 240, profit 30 + 90 = 120; sales 249, prior 12 -> growth 237 / 12 = 1975 %
    check(by_code(grid, "01"), name="Central <b>", region="North", parts_net=9, parts_profit=5,
          parts_gp_pct=5 / 15 * 100, labour_net=240, labour_profit=120, labour_gp_pct=48, sales=249,
          sales_prior=12, growth_pct=1975)
    # 1: parts gross 100, net 80, profit 30; labour gross 20 − 60 = −40, net −40, profit 12 − 20 = −8;
    #    sales 40, nothing last year -> growth empty
    check(by_code(grid, "1"), name="One", region="", parts_net=80, parts_profit=30, parts_gp_pct=30,
          labour_net=-40, labour_profit=-8, labour_gp_pct=20, sales=40, sales_prior=0, growth_pct=None)


def test_branch_missing_from_branches_and_branch_only_last_year(con):
    """A branch code missing from `branches` has an empty name and region; a branch that sold only last year
    has a row with sales 0 and growth −100 %, its ratios over nothing empty."""
    grid = grid_of(con)
    # 10: parts gross 40, net 40, profit 30 -> GP 75 %; no labour; prior 50 -> (40 − 50) / 50 = −20 %
    check(by_code(grid, "10"), name="", region="", parts_net=40, parts_gp_pct=75, labour_net=0, labour_gp_pct=None,
          sales=40, sales_prior=50, growth_pct=-20, hours_sold=0, attended=0, pro_pct=None)
    # 2: prior parts 20 + labour 100 = 120; (0 − 120) / 120 = −100 %
    check(by_code(grid, "2"), name="Two", region="South", parts_net=0, parts_gp_pct=None, labour_net=0, sales=0,
          sales_prior=120, growth_pct=-100)


def test_hours_sold_and_attended_per_branch(con):
    """Hours sold leave out a labour line without a technician and count credits; a clocking counts in the
    branch written on it, whoever the technician; open clockings count nowhere."""
    grid = grid_of(con)
    # 01: 2 h sold (the 1.5 h line has no technician); attended 4 + 1 = 5 -> Pro 40 %
    check(by_code(grid, "01"), hours_sold=2, attended=5, pro_pct=40)
    # 1: 0.2 − 1 = −0.8 h sold; attended 2.5 (T1 of branch 01) + 1.5 = 4 -> Pro −20 %
    check(by_code(grid, "1"), hours_sold=-0.8, attended=4, pro_pct=-20)


def test_hours_are_the_workshop_reports_per_branch(con):
    """Each branch's hours sold and attended are the sums of the Workshop report's Allowed and Attended over
    the technicians of that branch's rows, so the two pages agree."""
    grid = grid_of(con)
    labour, clockings = make(con, "labour", LABOUR_ROWS), make(con, "clockings", CLOCKING_ROWS)
    for code in ("01", "1", "10"):
        cond = f"branch = '{code}'"
        techs = technicians(labour.filter(cond), clockings.filter(cond), MARCH.start, MARCH.last, MARCH.as_of)
        row = by_code(grid, code)
        assert row["hours_sold"] == pytest.approx(float(techs.rows["allowed"].sum()))
        assert row["attended"] == pytest.approx(float(techs.rows["attended"].sum()))


def test_overheads_and_absorption(con):
    """Overheads are the branch's rows of the period's months; absorption is its parts and labour profit over
    them; a branch without an overhead row has both empty, not 0."""
    grid = grid_of(con)
    # 01: March 100 (February's 999 is outside); (5 + 120) / 100 = 125 %
    check(by_code(grid, "01"), overheads=100, absorption_pct=125)
    # 1: (30 − 8) / 62 × 100
    check(by_code(grid, "1"), overheads=62, absorption_pct=22 / 62 * 100)
    check(by_code(grid, "10"), overheads=None, absorption_pct=None)
    # 2: no profit this year: 0 / 50 = 0 %
    check(by_code(grid, "2"), overheads=50, absorption_pct=0)


def test_overheads_prorated_as_the_operations_report_does(con):
    """Over 16 March – 10 April a branch's overheads are its months prorated by their days inside the period,
    the same figure the Fixed operations report gives for that branch."""
    rows = [{"branch": "01", "month": "2024-03", "amount": 310}, {"branch": "01", "month": "2024-04", "amount": 300},
            {"branch": "1", "month": "2024-04", "amount": 600}, {"branch": "1", "month": "2024-05", "amount": 999}]
    period = Period(dt.date(2024, 3, 16), dt.date(2024, 4, 10), dt.date(2024, 4, 30))
    grid = grid_of(con, period, overheads=rows,
                   parts=[{"date_edit": "2024-03-20"}, {"branch": "1", "date_edit": "2024-04-02"}])
    # 01: 310 × 16/31 + 300 × 10/30 = 160 + 100 = 260; 1: 600 × 10/30 = 200; the group 460
    check(by_code(grid, "01"), overheads=260)
    check(by_code(grid, "1"), overheads=200)
    assert grid.total.iloc[0]["overheads"] == pytest.approx(460)
    relation = make(con, "overheads", rows)
    for code in ("01", "1"):
        alone = op.period_overheads(relation.filter(f"branch = '{code}'"), period.start, period.end)
        assert by_code(grid, code)["overheads"] == pytest.approx(alone)


def test_rank_highest_sales_first_ties_by_code(con):
    """Rank 1 is the highest sales; '1' and '10' both sold 40 and rank by code, so '1' comes first; the
    league lists the rows by rank."""
    grid = grid_of(con)
    # sales: 01 249, 1 40, 10 40, 2 0
    assert dict(zip(grid.rows["branch"], grid.rows["rank"])) == {"01": 1, "1": 2, "10": 3, "2": 4}
    assert grid.rows["rank"].dtype == "int64"
    table = group.league(grid)
    assert list(table.rows["branch"]) == ["01", "1", "10", "2"] and list(table.rows["rank"]) == [1, 2, 3, 4]
    assert table.total is grid.total


def test_totals_row_is_the_groups_own_figures_equal_to_the_sums_of_branches(con):
    """The totals row equals the exact sums of the branches and its ratios are recomputed from those sums,
    not averaged from the rows."""
    grid = grid_of(con)
    total = grid.total.iloc[0].to_dict()
    for col in ("parts_net", "parts_profit", "labour_net", "labour_profit", "sales", "sales_prior", "hours_sold",
                "attended", "overheads"):
        assert total[col] == pytest.approx(grid.rows[col].sum(), abs=1e-9), col
    # parts: net 9 + 80 + 40 = 129, profit 5 + 30 + 30 = 65, gross 15 + 100 + 40 = 155
    # labour: net 240 − 40 = 200, profit 120 − 8 = 112, gross 250 − 40 = 210
    # sales 329, prior 12 + 50 + 120 = 182; hours 2 − 0.8 = 1.2 of 5 + 4 = 9 attended; overheads 212
    check(total, parts_net=129, parts_profit=65, parts_gp_pct=65 / 155 * 100, labour_net=200, labour_profit=112,
          labour_gp_pct=112 / 210 * 100, sales=329, sales_prior=182, growth_pct=(329 - 182) / 182 * 100,
          hours_sold=1.2, attended=9, pro_pct=1.2 / 9 * 100, overheads=212, absorption_pct=(65 + 112) / 212 * 100)


def test_group_overheads_not_written_to_a_branch_count_in_the_total_only(con):
    """An overhead row with an empty branch is the group's: in the totals row, in no branch's row."""
    rows = [*OVERHEAD_ROWS, {"branch": None, "month": "2024-03", "amount": 1000}]
    grid = grid_of(con, overheads=rows)
    check(by_code(grid, "01"), overheads=100)
    assert grid.total.iloc[0]["overheads"] == pytest.approx(1212)  # 100 + 62 + 50 + 1000


def test_source_without_branch_column_is_one_branch(con):
    """A source whose tables have no branch column is one branch: one row with an empty code holding the
    whole source's figures, rank 1, equal to the totals row."""
    rel = {k: make(con, k, v, drop=("branch",)) for k, v in
           (("parts", PARTS_ROWS), ("labour", LABOUR_ROWS), ("clockings", CLOCKING_ROWS),
            ("overheads", [{"month": "2024-03", "amount": 354}]))}
    grid = group.branches(rel["parts"], rel["labour"], rel["clockings"], None, rel["overheads"], MARCH)
    assert list(grid.rows["branch"]) == [""] and list(grid.rows["rank"]) == [1]
    # as the group's totals above; absorption (65 + 112) / 354 = 50 %
    check(grid.rows.iloc[0].to_dict(), name="", region="", sales=329, sales_prior=182, hours_sold=1.2, attended=9,
          overheads=354, absorption_pct=50)
    for col in group.TOTAL_COLUMNS:
        assert grid.total.iloc[0][col] == pytest.approx(grid.rows.iloc[0][col], nan_ok=True), col
    assert any("one branch" in note for note in grid.notes)


def test_without_clockings_overheads_or_branches_tables(con):
    """Without the optional tables the grid still has its rows: attended 0 with Pro% empty, overheads and
    absorption empty, names empty, each said in a note."""
    grid = grid_of(con, clockings=None, overheads=None, branches=None)
    check(by_code(grid, "01"), name="", hours_sold=2, attended=0, pro_pct=None, overheads=None, absorption_pct=None)
    check(grid.total.iloc[0].to_dict(), attended=0, pro_pct=None, overheads=None, absorption_pct=None, sales=329)
    assert any("clockings" in n for n in grid.notes) and any("overheads table" in n for n in grid.notes)


def test_no_line_in_either_period_gives_an_empty_grid(con):
    """A period with no sale now or a year earlier has no row, and a totals row of zeros with empty ratios."""
    grid = grid_of(con, Period(dt.date(2022, 1, 1), dt.date(2022, 1, 31), dt.date(2022, 1, 31)))
    assert grid.empty and list(grid.rows.columns) == list(group.COLUMNS)
    check(grid.total.iloc[0].to_dict(), sales=0, sales_prior=0, growth_pct=None, parts_gp_pct=None, overheads=None)


def test_quartiles_mark_the_top_and_bottom_quarter_by_rank(con):
    """With four branches or more the first and last quarter (rounded down) of the league are marked top and
    bottom; with fewer none is marked."""
    grid = grid_of(con)
    band = group.quartiles(grid)
    # 4 branches: a quarter is 1 -> 01 (rank 1) top, 2 (rank 4) bottom
    assert dict(zip(grid.rows["branch"], band)) == {"01": "top", "1": "", "10": "", "2": "bottom"}
    nine = Grid("branches", pd.DataFrame({"branch": list("abcdefghi"), "rank": [9, 1, 2, 3, 4, 5, 6, 7, 8]}))
    # 9 branches: a quarter is 2 -> ranks 1–2 top, ranks 8–9 bottom
    assert list(group.quartiles(nine)) == ["bottom", "top", "top", "", "", "", "", "", "bottom"]
    three = Grid("branches", pd.DataFrame({"branch": ["a", "b", "c"], "rank": [1, 2, 3]}))
    assert list(group.quartiles(three)) == ["", "", ""]


def test_every_column_has_its_formula():
    """The page's KPI dictionary explains every figure of the grid."""
    assert {"Sales", "Growth %", "Hours sold", "Attended", "Pro%", "Overheads", "Absorption %", "Rank"} <= set(
        group.KPIS)


def test_codes_that_look_like_numbers_stay_text_in_a_folder_source(tmp_path, open_source):
    """Read from CSV files, branch codes '01' and '1' stay two branches with their own figures, and a folder
    without a branch column is one branch."""
    from factory import make_source

    parts = [{"document": "D1", "date_edit": "2024-03-05", "branch": "01", "selling_price": 30},
             {"document": "D2", "date_edit": "2024-03-06", "branch": "1", "selling_price": 70}]
    src = open_source(make_source(tmp_path / "group", parts_lines=parts,
                                  branches=[{"branch": "1", "name": "One", "region": "East"}]))
    grid = group.branches(src.table("parts_lines"), src.table("labour_lines"), src.table("clockings"),
                          src.table("branches"), None, MARCH)
    # 01: net 30 (retail 10, cost 5 from the factory's defaults); 1: net 70, rank 1
    assert list(grid.rows["branch"]) == ["01", "1"]
    check(by_code(grid, "01"), name="", parts_net=30, sales=30, rank=2)
    check(by_code(grid, "1"), name="One", region="East", parts_net=70, sales=70, rank=1)
    plain = open_source(make_source(tmp_path / "plain", parts_lines=[{"document": "D1", "date_edit": "2024-03-05"}]))
    one = group.branches(plain.table("parts_lines"), plain.table("labour_lines"), plain.table("clockings"), None,
                         None, MARCH)
    assert list(one.rows["branch"]) == [""] and one.rows.iloc[0]["sales"] == pytest.approx(10)
