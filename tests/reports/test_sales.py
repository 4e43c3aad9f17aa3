"""Sales performance figures against a small made-up team worked out by hand from SPEC §3.

Period 20 Feb – 15 Mar 2024, as of 31 Mar 2024. Reps: R1 (cost 100,000, commission 5 %) owns
A1, A2 and A5 (A5 never sold); R2 (cost 50,000, no rate) owns nothing; R3 (cost 0, 10 %) owns A3;
A4 belongs to RX, who is not a rep.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from aftersales.reports import crm, sales
from aftersales.reports.crm import CrmData, account_sales
from aftersales.reports.grids import sql_date
from factory import check, make_source, row, small_lists

START, END, AS_OF = dt.date(2024, 2, 20), dt.date(2024, 3, 15), dt.date(2024, 3, 31)

ACCOUNTS = [
    dict(account="A1", name="Alpha", owner="R1", territory="North", segment="Fleet", channel="Web"),
    dict(account="A2", name="Beta", owner="R1", territory="South", segment="Retail", channel="Referral"),
    dict(account="A3", name="Gamma", owner="R3", territory="North", segment="Retail", channel="Web"),
    dict(account="A4", name="Delta", owner="RX", territory="South", segment="Fleet", channel="Web"),
    dict(account="A5", name="Epsilon", owner="R1", territory="North", segment="Fleet", channel="Web"),
]
REPS = [
    dict(rep="R1", name="Rita", annual_cost=100000, commission_rate=5),
    dict(rep="R2", name="Sam", annual_cost=50000, commission_rate=""),
    dict(rep="R3", name="Tom", annual_cost=0, commission_rate=10),
]
PARTS = [
    # A1 in the period: net 1000, profit 400, gross 1000; a credit: net -100, profit -40, gross -100
    dict(document="P1", account="A1", date_edit="2024-03-01", quantity=1, retail_price=1000, selling_price=1000,
         cost_price=600),
    dict(document="C1", doc_type="credit", account="A1", date_edit="2024-03-02", quantity=-1, retail_price=100,
         selling_price=100, cost_price=60),
    # A1 before the period: lifetime only (net 500)
    dict(document="P0", account="A1", date_edit="2024-01-10", quantity=1, retail_price=500, selling_price=500,
         cost_price=0),
    # A2 on the last day: net 600, profit 400, gross 800; after `to`: in nothing
    dict(document="P2", account="A2", date_edit="2024-03-15", quantity=2, retail_price=400, selling_price=300,
         cost_price=100),
    dict(document="P3", account="A2", date_edit="2024-03-20", quantity=1, retail_price=7000, selling_price=7000,
         cost_price=0),
    # A3 on the first day: net 200, profit 50, gross 250
    dict(document="P4", account="A3", date_edit="2024-02-20", quantity=1, retail_price=250, selling_price=200,
         cost_price=150),
    # A4 (owner not a rep): net 100, profit 60, gross 100
    dict(document="P5", account="A4", date_edit="2024-03-05", quantity=1, retail_price=100, selling_price=100,
         cost_price=40),
]
LABOUR = [
    # A1 invoiced: gross 200, net 200, cost 1.5 h × 40 = 60, profit 140
    dict(wip_no="W1", line_no=1, document="L1", account="A1", date_edit="2024-03-10", allowed_time=2,
         time_taken=1.5, labour_rate=100, cost_per_hour=40),
    # A1 not invoiced: no sale
    dict(wip_no="W1", line_no=2, document="", doc_type="", account="A1", date_edit="2024-03-10",
         allowed_time=10),
    # A2 invoiced long before: lifetime 100
    dict(wip_no="W2", line_no=1, document="L2", account="A2", date_created="2023-11-01", date_edit="2023-12-01",
         allowed_time=1, labour_rate=100),
]
TARGETS = [
    dict(rep="R1", month="2024-01", sales_target=5000, margin_target=5000),  # outside
    dict(rep="R1", month="2024-02", sales_target=2900, margin_target=580),   # 10 of 29 days → 1000, 200
    dict(rep="R1", month="2024-03", sales_target=3100, margin_target=620),   # 15 of 31 days → 1500, 300
    dict(rep="R1", month="2024-04", sales_target=9999, margin_target=9999),  # outside
    dict(rep="R2", month="2024-03", sales_target=310, margin_target=0),      # 150, 0
    dict(rep="RX", month="2024-03", sales_target=100, margin_target=10),     # unknown rep
]
ACTIVITIES = [
    dict(activity_id="AC1", date="2024-03-01", rep="R1", account="A1", duration_minutes=30),
    dict(activity_id="AC2", date="2024-03-05", rep="R1", account="", duration_minutes=90),
    dict(activity_id="AC3", date="2024-03-20", rep="R1", account="A1", duration_minutes=60),  # after `to`
    dict(activity_id="AC4", date="2024-02-19", rep="R1", account="A1", duration_minutes=60),  # before
    dict(activity_id="AC5", date="2024-03-10", rep="R2", account="", duration_minutes=45),
    dict(activity_id="AC6", date="2024-03-10", rep="RX", account="A4", duration_minutes=15),
]
LEADS = [
    dict(lead_id="L1", created_date="2024-03-01", rep="R1", cost=100, channel="Web", territory="North",
         segment="Fleet"),
    dict(lead_id="L2", created_date="2024-03-02", rep="R1", cost="", channel="Referral", territory="South",
         segment="Retail"),
    dict(lead_id="L3", created_date="2024-02-10", rep="R1", cost=500),  # before the period
    dict(lead_id="L4", created_date="2024-03-15", rep="R3", cost=40, channel="Web", territory="North",
         segment="Retail"),
]
OPPORTUNITIES = [
    dict(opp_id="O1", rep="R1", account="A1", stage="won", created_date="2024-02-01", closed_date="2024-03-15",
         potential_revenue=1000),  # closed on `to`: won, not in the pipeline
    dict(opp_id="O2", rep="R1", account="A2", stage="won", created_date="2024-03-01", closed_date="2024-03-20",
         potential_revenue=2000),  # closed after `to`: not won in the period, open at `to`
    dict(opp_id="O3", rep="R1", account="", lead_id="L2", stage="lost", created_date="2024-02-25",
         closed_date="2024-03-05", potential_revenue=500),  # no account: the lead's attributes
    dict(opp_id="O4", rep="R1", account="A1", stage="proposal", created_date="2024-03-10", model="X100",
         potential_revenue=3000),
    dict(opp_id="O5", rep="R1", account="A1", stage="qualified", created_date="2024-03-16",
         potential_revenue=4000),  # created after `to`
    dict(opp_id="O6", rep="R3", account="A3", stage="negotiation", created_date="2024-01-05", model="X100",
         potential_revenue=700),
    dict(opp_id="O7", rep="R3", account="A3", stage="lost", created_date="2024-01-05", closed_date="2024-02-19",
         potential_revenue=900),  # closed before the period
    dict(opp_id="O8", rep="RX", account="A4", stage="qualified", created_date="2024-03-01", model="Z9",
         potential_revenue=100),
]
ISSUES = [
    dict(issue_id="I1", account="A1", severity="high", logged_date="2024-03-01", resolved_date=""),
    dict(issue_id="I2", account="A2", severity="low", logged_date="2024-02-01", resolved_date="2024-03-03"),
    dict(issue_id="I3", account="A3", severity="critical", logged_date="2024-03-10", resolved_date="2024-03-20"),
    dict(issue_id="I4", account="A1", severity="medium", logged_date="2024-03-02", resolved_date="2024-03-06"),
    dict(issue_id="I5", account="A1", severity="low", logged_date="2024-01-02", resolved_date="2024-01-06"),
]
CRM = dict(sales_reps=REPS, targets=TARGETS, activities=ACTIVITIES, leads=LEADS, opportunities=OPPORTUNITIES,
           customer_issues=ISSUES)


def crm_data(src) -> CrmData:
    """The report's inputs as `build` makes them, from an opened source."""
    tables = {name: src.table(name) if src.has(name) else None for name in ("accounts", *crm.CRM_TABLES)}
    period = f"date_edit BETWEEN {sql_date(START)} AND {sql_date(END)}"
    upto = f"date_edit <= {sql_date(END)}"
    parts, labour = src.table("parts_lines"), src.table("labour_lines")
    return CrmData(tables, account_sales(parts.filter(period), labour.filter(period)),
                   account_sales(parts.filter(upto), labour.filter(upto)))


@pytest.fixture
def data(tmp_path, open_source):
    src = open_source(make_source(tmp_path, accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR, **CRM))
    return crm_data(src)


@pytest.fixture
def bare(tmp_path, open_source):
    src = open_source(make_source(tmp_path, accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR))
    return crm_data(src)




def test_account_sales_counts_parts_and_invoiced_labour(data):
    """An account's sales are its parts Net plus invoiced labour Net; un-invoiced labour is no sale."""
    sums = data.period_sales.set_index("account")
    assert list(sums.index) == ["A1", "A2", "A3", "A4"]
    check(sums.loc["A1"], sales=1100, margin=500, gross=1100)
    check(sums.loc["A2"], sales=600, margin=400, gross=800)
    check(data.lifetime_sales.set_index("account").loc["A2"], sales=700)


def test_targets_prorated_by_days_of_each_month_inside_the_period(data):
    """A month partly inside the period contributes its target times the share of its days inside."""
    targets = sales.prorated_targets(data, START, END).set_index("rep")
    check(targets.loc["R1"], sales_target=2900 * 10 / 29 + 3100 * 15 / 31, margin_target=200 + 300)
    check(targets.loc["R2"], sales_target=150, margin_target=0)


def test_reps_money_targets_and_commission(data):
    """A rep's sales and margin are its accounts'; attainment and commission follow, empty without a base."""
    grid = sales.reps(data, START, END, END)
    assert list(grid.rows["rep"]) == ["R1", "R2", "R3"]
    check(row(grid, "R1"), sales=1700, margin=900, sales_target=2500, sales_attainment_pct=68,
          margin_target=500, margin_attainment_pct=180, commission=45)
    check(row(grid, "R2"), sales=0, margin=0, sales_target=150, sales_attainment_pct=0, margin_target=0,
          margin_attainment_pct=None, commission=None)
    check(row(grid, "R3"), sales=200, margin=50, sales_target=0, sales_attainment_pct=None, commission=5)
    check(grid.total.iloc[0], sales=1900, margin=950, sales_target=2650, sales_attainment_pct=1900 / 2650 * 100,
          margin_attainment_pct=950 / 500 * 100, commission=50)


def test_reps_clv_against_cost(data):
    """CLV averages every owned account (one without sales counts 0); no accounts or no cost leaves it empty."""
    grid = sales.reps(data, START, END, END)
    # R1: lifetime A1 500 + 1100, A2 100 + 600, A5 0 → (1600 + 700 + 0) / 3
    check(row(grid, "R1"), clv=2300 / 3, annual_cost=100000, clv_cost_ratio=2300 / 3 / 100000)
    check(row(grid, "R2"), clv=None, annual_cost=50000, clv_cost_ratio=None)
    check(row(grid, "R3"), clv=200, annual_cost=0, clv_cost_ratio=None)
    check(grid.total.iloc[0], clv=2500 / 4, clv_cost_ratio=None)
    ranking = sales.clv_ranking(grid)
    assert list(ranking["rep"]) == ["R1", "R2", "R3"] and list(ranking["rank"]) == [1, 2, 3]


def test_reps_activity_leads_and_opportunities(data):
    """Activities without an account still count; a lead without cost costs 0; a close on `to` is won,
    a close after `to` is still in the pipeline."""
    grid = sales.reps(data, START, END, END)
    check(row(grid, "R1"), activities=2, customer_hours=2.0, leads=2, lead_cost=100, cost_per_lead=50,
          won=1, lost=1, win_rate_pct=50, pipeline=2000 + 3000)
    check(row(grid, "R2"), activities=1, customer_hours=0.75, leads=0, lead_cost=0, cost_per_lead=None,
          won=0, lost=0, win_rate_pct=None, pipeline=0)
    check(row(grid, "R3"), activities=0, customer_hours=0, leads=1, lead_cost=40, cost_per_lead=40,
          won=0, lost=0, win_rate_pct=None, pipeline=700)
    check(grid.total.iloc[0], activities=3, customer_hours=2.75, leads=3, lead_cost=140, cost_per_lead=140 / 3,
          won=1, lost=1, win_rate_pct=50, pipeline=5700)


def test_reps_without_crm_tables_leave_figures_empty(bare):
    """Without sales_reps there are no rows; the columns are still all there."""
    grid = sales.reps(bare, START, END, END)
    assert grid.rows.empty
    assert list(grid.rows.columns) == ["rep", *sales.REP_COLUMNS]


def test_reps_with_only_the_team_table(tmp_path, open_source):
    """With sales_reps alone, money figures show and every CRM figure is empty, never zero."""
    src = open_source(make_source(tmp_path, accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR,
                                  sales_reps=REPS))
    grid = sales.reps(crm_data(src), START, END, END)
    check(row(grid, "R1"), sales=1700, margin=900, sales_target=None, sales_attainment_pct=None, activities=None,
          customer_hours=None, leads=None, lead_cost=None, won=None, win_rate_pct=None, pipeline=None,
          clv=2300 / 3, commission=45)
    check(grid.total.iloc[0], sales=1900, sales_target=None, activities=None, won=None, pipeline=None)
    assert len(grid.notes) == 4


def test_territories_by_account_lead_and_opportunity(data):
    """Sales go by the account's territory, leads by the lead's, and an opportunity without account by its lead's."""
    grid = crm.dimension(data, "territories", START, END)
    assert list(grid.rows["territory"]) == ["North", "South"]
    check(row(grid, "North"), sales=1300, margin=550, gp_pct=550 / 1350 * 100, leads=2, lead_cost=140,
          cost_per_lead=70, won=1, win_rate_pct=100)
    check(row(grid, "South"), sales=700, margin=460, gp_pct=460 / 900 * 100, leads=1, lead_cost=0,
          cost_per_lead=0, won=0, win_rate_pct=0)
    check(grid.total.iloc[0], sales=2000, margin=1010, gp_pct=1010 / 2250 * 100, leads=3, won=1, win_rate_pct=50)


def test_channels_efficiency_and_segments_ranking(data):
    """Channel efficiency is sales per unit of lead cost; segments are ranked by margin."""
    channels = crm.dimension(data, "channels", START, END)
    assert list(channels.rows["channel"]) == ["Referral", "Web"]
    check(row(channels, "Web"), sales=1400, margin=610, leads=2, lead_cost=140, efficiency=10, won=1)
    check(row(channels, "Referral"), sales=600, leads=1, lead_cost=0, efficiency=None, won=0, win_rate_pct=0)
    segments = crm.dimension(data, "segments", START, END)
    check(row(segments, "Fleet"), sales=1200, margin=560, leads=1, lead_cost=100, won=1)
    check(row(segments, "Retail"), sales=800, margin=450, gp_pct=450 / 1050 * 100, leads=2, lead_cost=40,
          won=0, win_rate_pct=0)
    assert list(crm.ranking(segments)["segment"]) == ["Fleet", "Retail"]
    assert "efficiency" not in segments.rows


def test_funnel_and_models_open_at_to(data):
    """The funnel holds opportunities created by `to` and not closed by `to`, in stage order."""
    funnel = crm.funnel(data, END)
    assert list(funnel.rows["stage"]) == ["qualified", "proposal", "negotiation", "won"]
    assert list(funnel.rows["count"]) == [1, 1, 1, 1]
    assert list(funnel.rows["potential_revenue"]) == [100, 3000, 700, 2000]
    models = crm.models(data, END)
    check(row(models, "X100"), count=2, potential_revenue=3700)
    check(row(models, None), count=1, potential_revenue=2000)
    assert models.total.iloc[0]["count"] == 4


def test_customer_issues_per_territory(data):
    """Issues open at `to` by severity, logged and resolved in the period, and days to resolve, per territory."""
    grid = crm.issues(data, START, END)
    assert list(grid.rows["territory"]) == ["North", "South"]
    check(row(grid, "North"), open_issues=2, open_high=1, open_critical=1, open_low=0, logged=3, resolved=1,
          avg_days_to_resolve=4)
    check(row(grid, "South"), open_issues=0, logged=0, resolved=1, avg_days_to_resolve=31)
    check(grid.total.iloc[0], open_issues=2, logged=3, resolved=2, avg_days_to_resolve=17.5)


def test_quality_lists_rows_no_rep_can_take(data):
    """Activities without account, unknown reps and accounts owned by no rep are counted in data quality."""
    dq = {c["check"]: c["rows"] for c in sales.quality(data, START, END, AS_OF).checks}
    assert dq["activities in the period without an account"] == 2
    assert dq["accounts whose owner is not a rep"] == 1
    assert dq["opportunities of unknown reps"] == 1
    assert dq["activities in the period of unknown reps"] == 1
    assert dq["targets of unknown reps"] == 1
    assert dq["accounts with sales in the period that are not in accounts"] == 0


# ---------------------------------------------------------------- runs of the notebook


def run(source, out):
    cmd = [sys.executable, "-m", "aftersales", "run", "--source", str(source), "--from", START.isoformat(),
           "--to", END.isoformat(), "--as-of", AS_OF.isoformat(), "--reports", "sales", "--out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def problems(out) -> list[str]:
    """Error and stderr outputs of the executed notebook (a warning or a traceback in the page)."""
    import nbformat

    nb = nbformat.read(out / "notebooks" / "sales.ipynb", as_version=4)
    return [str(o.get("text") or o.get("evalue")) for c in nb.cells for o in c.get("outputs", [])
            if o["output_type"] == "error" or (o["output_type"] == "stream" and o.get("name") == "stderr")]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_without_crm_tables_writes_the_page_with_notes(tmp_path):
    """A dealer with no CRM tables still gets sales.html, saying what data would fill each section."""
    source = make_source(tmp_path / "src", accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR)
    done = run(source, tmp_path / "out")
    assert done.returncode == 0, done.stderr + done.stdout
    page = (tmp_path / "out" / "sales.html").read_text(encoding="utf-8")
    for table in crm.CRM_TABLES:
        assert f"{table} table" in page
    assert "Traceback" not in page and not problems(tmp_path / "out")
    reps = tmp_path / "out" / "tables" / "sales" / "reps.csv"
    assert reps.read_text(encoding="utf-8").splitlines() == ["rep," + ",".join(sales.REP_COLUMNS)]
    territories = read_csv(tmp_path / "out" / "tables" / "sales" / "territories.csv")
    assert [r["territory"] for r in territories] == ["North", "South"]
    assert territories[0]["leads"] == "" and territories[0]["won"] == ""


def test_run_with_crm_tables_writes_the_csv_files(tmp_path):
    """A run on a source with every CRM table writes the reps, dimension and funnel CSVs with their figures."""
    source = make_source(tmp_path / "src", accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR, **CRM)
    done = run(source, tmp_path / "out")
    assert done.returncode == 0, done.stderr + done.stdout
    tables = tmp_path / "out" / "tables" / "sales"
    reps = read_csv(tables / "reps.csv")
    assert list(reps[0]) == ["rep", *sales.REP_COLUMNS]
    r1, r2, r3 = reps
    assert float(r1["sales"]) == 1700 and float(r1["sales_target"]) == 2500 and float(r1["commission"]) == 45
    assert r1["won"] == "1" and float(r1["pipeline"]) == 5000
    assert r2["clv"] == "" and r2["clv_cost_ratio"] == "" and r2["commission"] == ""
    assert r3["clv_cost_ratio"] == "" and float(r3["clv"]) == 200
    channels = read_csv(tables / "channels.csv")
    assert list(channels[0]) == ["channel", *crm.DIMENSION_COLUMNS, "efficiency"]
    assert float(channels[1]["efficiency"]) == 10
    funnel = read_csv(tables / "funnel.csv")
    assert [(r["stage"], r["count"]) for r in funnel] == [
        ("qualified", "1"), ("proposal", "1"), ("negotiation", "1"), ("won", "1")]
    page = (tmp_path / "out" / "sales.html").read_text(encoding="utf-8")
    assert "Traceback" not in page and "Rita" in page and not problems(tmp_path / "out")
    landing = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "Team sales attainment %" in landing and "71.7" in landing  # 1900 of 2650 planned


# ---------------------------------------------------------------- a large dealer's month


def test_period_and_lifetime_sales(tmp_path, open_source):
    """The period's sales, margin and gross and the lifetime sales per account are those `account_sales`
    gives of the lines dated in the period and up to its end; and the number of sales lines (parts
    and invoiced labour) in the period."""
    import pandas as pd

    src = open_source(make_source(tmp_path, accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR))
    parts, labour = src.table("parts_lines"), src.table("labour_lines")
    now, ever, read = crm.period_and_lifetime_sales(parts, labour, START, END)
    period = f"date_edit BETWEEN {sql_date(START)} AND {sql_date(END)}"
    upto = f"date_edit <= {sql_date(END)}"
    pd.testing.assert_frame_equal(now, account_sales(parts.filter(period), labour.filter(period)))
    pd.testing.assert_frame_equal(ever, account_sales(parts.filter(upto), labour.filter(upto))[["account", "sales"]])
    lines = parts.filter(period).query("lines", "SELECT COUNT(*) FROM lines").fetchall()[0][0]
    invoiced = labour.filter(period).query("lines", f"SELECT COUNT(*) FROM lines WHERE {crm.INVOICED}").fetchall()
    assert read == lines + invoiced[0][0]


def _native(tmp_path, csv_src, kind: str) -> Path:
    """The tables of a CSV source written with their contract types: a folder of Parquet files or a
    DuckDB file."""
    import duckdb

    folder = tmp_path / "parquet"
    folder.mkdir(parents=True)
    for name in csv_src.tables:
        csv_src.table(name).write_parquet(str(folder / f"{name}.parquet"))
    if kind == "parquet":
        return folder
    path = tmp_path / "dealer.duckdb"
    with duckdb.connect(str(path)) as out:
        for name in csv_src.tables:
            out.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{folder / (name + '.parquet')}')")
    return path


def _figures(data: CrmData) -> dict:
    """Every grid and data-quality list the report computes from `data`."""
    grids = {"reps": sales.reps(data, START, END, END), "funnel": crm.funnel(data, END),
             "models": crm.models(data, END), "issues": crm.issues(data, START, END),
             **{name: crm.dimension(data, name, START, END) for name in crm.DIMENSIONS}}
    dq = sales.quality(data, START, END, AS_OF)
    return {**{name: (g.rows, g.total, g.notes) for name, g in grids.items()},
            "quality": (dq.checks, dq.details), "targets": sales.prorated_targets(data, START, END)}


def _same_figures(one: dict, other: dict) -> None:
    import pandas as pd

    assert one.keys() == other.keys()
    for name in one:
        if name == "quality":
            assert one[name][0] == other[name][0] and one[name][1].keys() == other[name][1].keys()
            for check_name, detail in one[name][1].items():
                pd.testing.assert_frame_equal(detail, other[name][1][check_name], check_exact=True)
        elif name == "targets":
            pd.testing.assert_frame_equal(one[name], other[name], check_exact=True)
        else:
            rows, total, notes = one[name]
            pd.testing.assert_frame_equal(rows, other[name][0], check_exact=True)
            pd.testing.assert_frame_equal(total, other[name][1], check_exact=True)
            assert notes == other[name][2]


def _source_views(src) -> list:
    return src.execute("SELECT database_name, schema_name, view_name, temporary FROM duckdb_views() "
                       "WHERE NOT internal ORDER BY ALL").fetchall()


@pytest.mark.parametrize("kind", ["parquet", "duckdb"])
def test_crm_tables_of_a_parquet_or_duckdb_source_are_read_in_place(tmp_path, open_source, kind):
    """A folder of Parquet files or a DuckDB file: the CRM tables are joined in a cursor of the source's own
    connection, reading its views in place (nothing copied), with the contract's columns; the figures are
    those of the same rows copied from CSV; the private views live in that cursor only (the source's
    connection never sees them) and go when the data is closed, the source staying open."""
    import duckdb

    csv_src = open_source(make_source(tmp_path / "csv", accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR,
                                      **CRM))
    src = open_source(_native(tmp_path, csv_src, kind))
    before = _source_views(src)
    copied, in_place = crm_data(csv_src), crm_data(src)
    assert copied._folder is not None and in_place._folder is None
    assert in_place.count("SELECT * FROM activities") == len(ACTIVITIES)
    assert list(in_place.sql("SELECT * FROM leads LIMIT 0").columns) == crm.TABLES["leads"].names
    private = {v for (v,) in in_place.con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall()}
    assert private == {"accounts", *crm.CRM_TABLES, "period_sales", "lifetime_sales", "period_sales__frame",
                       "lifetime_sales__frame"}
    _same_figures(_figures(in_place), _figures(copied))
    assert _source_views(src) == before
    in_place.close()
    copied.close()
    with pytest.raises(duckdb.Error):
        in_place.sql("SELECT * FROM accounts")
    assert _source_views(src) == before
    assert src.table("activities").count("*").fetchall() == [(len(ACTIVITIES),)]


def test_crm_tables_are_copied_when_they_cannot_be_read_in_place(tmp_path, open_source):
    """A view over a CSV file (parsed again by every query) and a filtered relation (the explorer's filters)
    are copied by DuckDB itself into Parquet files (no rows through Python), with the contract's columns; a
    frame is read as it is; the copies are removed when the data is closed."""
    import pandas as pd

    src = open_source(make_source(tmp_path, accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR, **CRM))
    data = crm_data(src)
    folder = data._folder.name
    assert sorted(p.name for p in Path(folder).iterdir()) == sorted(
        f"{name}.parquet" for name in ("accounts", *crm.CRM_TABLES))
    assert data.count("SELECT * FROM activities") == len(ACTIVITIES)
    assert list(data.sql("SELECT * FROM leads LIMIT 0").columns) == crm.TABLES["leads"].names
    data.close()
    assert not Path(folder).exists()

    native = open_source(_native(tmp_path / "native", src, "parquet"))
    tables = {name: native.table(name) for name in ("accounts", *crm.CRM_TABLES)}
    tables["leads"] = tables["leads"].filter("rep = 'R1'")
    tables["activities"] = src.table("activities").df()
    data = CrmData(tables, pd.DataFrame({"account": ["A1"], "sales": [1.0], "margin": [1.0], "gross": [1.0]}),
                   pd.DataFrame({"account": ["A1"], "sales": [1.0]}))
    folder = data._folder.name
    assert sorted(p.name for p in Path(folder).iterdir()) == ["leads.parquet"]
    assert data.count("SELECT * FROM leads") == 3
    assert data.count("SELECT * FROM activities WHERE account IS NULL") == 2
    data.close()
    assert not Path(folder).exists()


def test_build_lists_the_first_rows_and_counts_every_row(tmp_path):
    """With drill-down lists of 1 row, each data-quality list holds its first row; the checks count them all."""
    folder = make_source(tmp_path / "src", accounts=ACCOUNTS, parts_lines=PARTS, labour_lines=LABOUR, **CRM)
    with small_lists("sales", folder, tmp_path, 1, date_from=START.isoformat(), date_to=END.isoformat(),
                     as_of=AS_OF.isoformat()) as ctx:
        rep = sales.build(ctx)
        full = {c["check"]: c["rows"] for c in sales.quality(crm_data(ctx.source), START, END, AS_OF).checks}
    assert {c["check"]: c["rows"] for c in rep.quality.checks} == full
    no_account = rep.quality.details["activities in the period without an account"]
    assert full["activities in the period without an account"] == 2
    assert len(no_account) == 1 and no_account.attrs["rows"] == 2


def test_team_attainment_tile_compares_with_the_prior_year(tmp_path):
    """The landing tile's team attainment shows its change in points against the same dates a year earlier."""
    from aftersales.run import context as report

    folder = make_source(
        tmp_path / "src",
        parts_lines=[dict(document="N1", date_edit="2024-03-05", quantity=1, selling_price=500, retail_price=500),
                     dict(document="P1", date_edit="2023-03-06", quantity=1, selling_price=250, retail_price=250)],
        accounts=[dict(account="A1", owner="R1")], sales_reps=[dict(rep="R1")],
        targets=[dict(rep="R1", month="2024-03", sales_target=1000), dict(rep="R1", month="2023-03", sales_target=1000)],
    )
    ctx = report.start("sales", source=str(folder), date_from="2024-03-01", date_to="2024-03-15", as_of="2024-03-15")
    try:
        tile = sales.tiles(sales.build(ctx).headline)[0]
    finally:
        ctx.source.close()
    planned = 1000 * 15 / 31
    assert tile["value"] == pytest.approx(500 / planned * 100)
    assert tile["change"] == pytest.approx(250 / planned * 100)
    assert "pts vs prior year" in tile["change_text"]


def test_charts_draw_the_reps_of_the_highest_sales_and_the_best_clv():
    """Up to 20 reps are all drawn; beyond, the plan-against-fact charts draw those of the highest
    sales in the grid's order and the CLV chart the best of the ranking, and their titles say so."""
    import pandas as pd

    from aftersales.reports import sales
    from aftersales.reports.grids import Grid

    few = pd.DataFrame({"rep": ["R2", "R1"], "sales": [1.0, 2.0]})
    rows, scope = sales.charted_reps(few)
    assert list(rows["rep"]) == ["R2", "R1"] and scope == ""
    many = pd.DataFrame({"rep": [f"R{i:02d}" for i in range(25)], "name": "", "sales": [float(i % 6) for i in range(25)],
                         "clv": 1.0, "annual_cost": 1.0, "clv_cost_ratio": [float(i % 4) for i in range(25)]})
    rows, scope = sales.charted_reps(many, top=3)
    assert list(rows["rep"]) == ["R05", "R11", "R17"] and scope == " (the 3 of the highest sales, of 25)"
    ranking = sales.clv_ranking(Grid("reps", many))
    best, words = sales.top_rows(ranking, "clv_cost_ratio", "rep", 3, "best")
    assert list(best["rep"]) == ["R03", "R07", "R11"] and list(best["rank"]) == [1, 2, 3]
    assert words == " (the 3 best, of 25)"
