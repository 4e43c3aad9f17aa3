"""The explorer's controls driven without a browser: set a control's value, check what is shown
against figures worked out by hand from the SPEC's formulas."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from aftersales.explore import views, widgets
from aftersales.explore.drill import shown_html
from aftersales.run import context as report
from factory import check, make_source

AS_OF = "2024-03-15"
D = dt.date

PARTS = [
    # invoice: gross 20, net 17, cost 12, profit 5
    dict(document="D1", doc_type="invoice", date_edit="2024-03-01", department="P", sale_type="S1", operator="OP1",
         account="A1", quantity=2, retail_price=10, selling_price=9, discount=1, cost_price=6),
    # credit: gross -10, net -8.5, cost -6, profit -2.5
    dict(document="C1", doc_type="credit", date_edit="2024-03-01", department="P", sale_type="S1", operator="OP2",
         account="A1", quantity=-1, retail_price=10, selling_price=9, discount=-0.5, cost_price=6),
    # gross 50, net 40, cost 30, profit 10
    dict(document="D2", doc_type="invoice", date_edit="2024-03-11", department="W", sale_type="S2", operator="OP1",
         account="A2", quantity=1, retail_price=50, selling_price=40, discount=0, cost_price=30),
    # gross 100, net 80, cost 40, profit 40
    dict(document="D3", doc_type="invoice", date_edit="2024-03-15", department="B", sale_type="S1", operator="OP2",
         account="A2", quantity=4, retail_price=25, selling_price=20, discount=0, cost_price=10),
    # last month: gross 10, net 10, cost 5, profit 5
    dict(document="D4", doc_type="invoice", date_edit="2024-02-20", department="P", sale_type="S1", operator="OP1",
         account="A1", quantity=1, retail_price=10, selling_price=10, discount=0, cost_price=5),
    # after as-of: never counts
    dict(document="D5", doc_type="invoice", date_edit="2024-03-16", department="P", operator="OP1", account="A1",
         quantity=100, retail_price=10, selling_price=10),
    # a year earlier (the accounts' prior period): A1 sales 80, margin 40
    dict(document="P1", doc_type="invoice", date_edit="2023-03-05", department="P", operator="OP1", account="A1",
         quantity=1, retail_price=80, selling_price=80, discount=0, cost_price=40),
]

LABOUR = [
    # gross 2 × 100 = 200, net 190, cost 1.5 × 40 = 60, profit 130; 2 hours sold
    dict(wip_no="W1", line_no=1, document="L1", doc_type="invoice", date_created="2024-03-04", date_edit="2024-03-05",
         account="A1", department="W", labour_type="LT1", wip_owner="OW1", technician="T1", allowed_time=2,
         time_taken=1.5, labour_rate=100, cost_per_hour=40, discount=10),
    # gross 80, net 80, cost 40, profit 40; 1 hour sold
    dict(wip_no="W2", line_no=1, document="L2", doc_type="invoice", date_created="2024-03-06", date_edit="2024-03-06",
         account="A2", department="B", labour_type="LT2", wip_owner="OW2", technician="T2", allowed_time=1,
         time_taken=1, labour_rate=80, cost_per_hour=40),
    # not invoiced: never in the labour grids
    dict(wip_no="W3", line_no=1, document="", doc_type="", date_created="2024-03-07", date_edit="2024-03-07",
         account="A1", department="W", labour_type="LT1", wip_owner="OW1", technician="T1", allowed_time=5,
         time_taken=0),
]

CLOCKINGS = [
    dict(technician="T1", technician_name="Tom", clock_in="2024-03-05T08:00", clock_out="2024-03-05T12:00",
         wip_no="W1", line_no=1),
    dict(technician="T1", technician_name="Tom", clock_in="2024-03-05T13:00", clock_out="2024-03-05T14:00",
         wip_no="", line_no="", idle_code="TRAIN", idle_productive="false", description="Training"),
    dict(technician="T2", technician_name="Tia", clock_in="2024-03-06T08:00", clock_out="2024-03-06T09:00",
         wip_no="W2", line_no=1),
]

ACCOUNTS = [
    dict(account="A1", name="Alpha Garage", owner="R1", territory="North"),
    dict(account="A2", name="Beta Fleet", owner="R2", territory="South"),
]
REPS = [dict(rep="R1", name="Rita", territory="North"), dict(rep="R2", name="Ravi", territory="South")]


@pytest.fixture
def source(tmp_path):
    return make_source(tmp_path / "src", parts_lines=PARTS, labour_lines=LABOUR, clockings=CLOCKINGS,
                       accounts=ACCOUNTS, sales_reps=REPS)


def rows(ex, grid: str, key: str | None = None) -> dict:
    """The grid on screen as {key value: row}."""
    g = ex.view.grids[grid]
    key = key or g.key[0]
    out = {}
    for record in g.rows.to_dict("records"):
        value = record[key]
        out[value.date() if hasattr(value, "date") else value] = record
    return out



def choose(dropdown, value):
    """Pick the option whose value (or label) is `value`."""
    for label, v in dropdown.options:
        if v == value or label == value:
            dropdown.value = v
            return
    raise AssertionError(f"{value!r} is not among {dropdown.options}")


# ---------------------------------------------------------------- papermill's face


def test_explore_builds_nothing_under_papermill(source):
    """A scheduled run (interactive False, the default) gets no widget and no output from the explore cell."""
    ctx = report.start("parts", source=str(source), as_of=AS_OF)
    try:
        assert widgets.explore(ctx) is None
        assert ctx.filters == {} and ctx.view().filters == {}
    finally:
        ctx.source.close()


def test_context_view_filters_tables_and_writes_nothing(source, tmp_path):
    """A view copy of the context reads filtered tables and never writes the run's outputs."""
    ctx = report.start("parts", source=str(source), as_of=AS_OF, out_dir=str(tmp_path / "run"))
    try:
        view = ctx.view(filters={"parts_lines": "department = 'W'"})
        assert view.out_dir is None and ctx.out_dir is not None
        assert [r[0] for r in view.lines("parts_lines").project("document").fetchall()] == ["D2"]
        assert len(ctx.lines("parts_lines").fetchall()) == 4
        assert view.table("accounts") is not None and view.table("parts_movements") is None
    finally:
        ctx.source.close()


# ---------------------------------------------------------------- parts: period, filters, drill, export


def test_parts_opens_on_the_notebooks_period(explorer):
    """The explorer starts on the notebook's period (MTD) with the report's figures."""
    ex = explorer("parts")
    assert ex.preset.value == "mtd" and (ex.date_from.value, ex.date_to.value) == (D(2024, 3, 1), D(2024, 3, 15))
    assert list(rows(ex, "activity")) == [D(2024, 3, 1), D(2024, 3, 11), D(2024, 3, 15)]
    check(ex.view.grids["activity"].total.iloc[0], documents=4, invoices=3, credits=1, gross=160, net=128.5,
          cost=76, profit=52.5, gp_pct=52.5 / 160 * 100)
    assert ex.error is None and ex.message == ""
    assert "Daily parts net sales and GP%" in shown_html(ex.report_out)
    assert [f.description for f in ex.filters.values()] == ["Department", "Operator", "Sale type"]
    assert [v for _, v in ex.filters["department"].options] == ["B", "P", "W"]


def test_parts_presets_and_custom_dates(explorer):
    """Last month shows February; custom dates after as-of still stop at as-of."""
    ex = explorer("parts")
    ex.preset.value = "last-month"
    assert (ex.date_from.value, ex.date_to.value) == (D(2024, 2, 1), D(2024, 2, 29))
    assert list(rows(ex, "activity")) == [D(2024, 2, 20)]
    check(ex.view.grids["activity"].total.iloc[0], net=10, profit=5, gp_pct=50.0)
    ex.date_from.value = D(2024, 3, 11)
    ex.date_to.value = D(2024, 3, 31)
    assert ex.preset.value == "custom"
    check(ex.view.grids["activity"].total.iloc[0], documents=2, gross=150, net=120, profit=50)
    ex.preset.value = "today"
    assert list(rows(ex, "activity")) == [D(2024, 3, 15)]


def test_parts_filters_redraw_and_compose(explorer):
    """A filter keeps its rows in every grid; two filters keep the rows meeting both."""
    ex = explorer("parts")
    ex.filters["department"].value = ("P",)
    assert list(rows(ex, "activity")) == [D(2024, 3, 1)]
    check(rows(ex, "activity")[D(2024, 3, 1)], documents=2, invoices=1, credits=1, gross=10, net=8.5, profit=2.5,
          gp_pct=25.0)
    assert list(rows(ex, "operators")) == ["OP1", "OP2"]
    ex.filters["operator"].value = ("OP1",)
    assert list(rows(ex, "operators")) == ["OP1"]
    check(ex.view.grids["departments"].total.iloc[0], documents=1, gross=20, net=17, profit=5)
    ex.filters["department"].value = ()
    check(ex.view.grids["departments"].total.iloc[0], documents=2, gross=70, net=57, profit=15)
    assert list(rows(ex, "departments")) == ["P", "W"]
    ex.filters["sale_type"].value = ("S1", "S2")  # two values of one filter: either
    check(ex.view.grids["departments"].total.iloc[0], net=57)
    ex.clear_filters()
    check(ex.view.grids["departments"].total.iloc[0], net=128.5)


def test_parts_empty_selection_says_no_data(explorer):
    """Filters that keep no row show a clear message, not an exception, and nothing to drill."""
    ex = explorer("parts")
    ex.filters["department"].value = ("W",)
    ex.filters["operator"].value = ("OP2",)
    assert ex.error is None
    assert ex.message.startswith("No data for this selection")
    assert "Department W" in ex.message and "Operator OP2" in ex.message
    assert "No data for this selection" in shown_html(ex.report_out)
    assert ex.drill_value.options == ()
    assert ex.export() is not None  # an empty view exports empty tables


def test_refresh_reads_the_source_again(explorer, source):
    """Refresh shows lines added to the source since the explorer opened."""
    from factory import write_table

    ex = explorer("parts")
    write_table(source, "parts_lines", [*PARTS, dict(document="D6", date_edit="2024-03-12", quantity=1,
                                                     retail_price=30, selling_price=30, cost_price=10)])
    check(ex.view.grids["activity"].total.iloc[0], net=128.5)
    ex.refresh_button.click()
    check(ex.view.grids["activity"].total.iloc[0], documents=5, net=158.5, profit=72.5)


def test_lab_kernel_shows_the_explorer_without_editing_parameters(source, monkeypatch, tmp_path):
    """In the kernel `make lab` installs the explorer shows with the notebook's default parameters."""
    ctx = report.start("parts", source=str(source), as_of=AS_OF)
    try:
        assert widgets.explore(ctx) is None
        monkeypatch.setenv(widgets.LAB_ENV, "1")
        assert widgets.explore(ctx, export_root=tmp_path) is not None
    finally:
        ctx.source.close()


def test_parts_dates_the_wrong_way_round(explorer):
    """A first day after the last day is said in place, and the report waits for valid dates."""
    ex = explorer("parts")
    ex.date_from.value = D(2024, 3, 20)
    assert ex.view is None and ex.error is None
    assert "after it ends" in ex.message and "after it ends" in shown_html(ex.report_out)
    assert ex.export() is None
    ex.date_from.value = D(2024, 3, 1)
    assert ex.view is not None and not ex.message


def test_parts_drill_day_documents_lines(explorer):
    """A day lists its documents (credits marked), and a document lists its lines with their values."""
    ex = explorer("parts")
    ex.tabs.selected_index = 1
    assert ex.drill_key.value == "Day"
    assert [v for _, v in ex.drill_value.options] == [D(2024, 3, 1), D(2024, 3, 11), D(2024, 3, 15)]
    choose(ex.drill_value, D(2024, 3, 1))
    assert list(ex.items["document"]) == ["C1", "D1"]
    assert list(ex.items["net"]) == pytest.approx([-8.5, 17])
    assert list(ex.items["name"]) == ["Alpha Garage", "Alpha Garage"]
    html = shown_html(ex.drill.items_out)
    assert 'class="as-credit"' in html and 'class="as-invoice"' in html and "as-legend" in html
    assert [v for _, v in ex.drill_item.options] == ["C1", "D1"]
    choose(ex.drill_item, "D1")
    (lines,) = ex.detail
    check(lines.rows.iloc[0], quantity=2, gross=20, discount=1, net=17, cost=12, profit=5, gp_pct=25.0)
    check(lines.total.iloc[0], gross=20, net=17, profit=5, gp_pct=25.0)
    assert "Parts lines" in shown_html(ex.drill.detail_out)


def test_parts_drill_by_operator_follows_the_filters(explorer):
    """Drilling by operator lists that operator's documents within the filters on screen."""
    ex = explorer("parts")
    ex.drill_key.value = "Operator"
    choose(ex.drill_value, "OP2")
    assert list(ex.items["document"]) == ["C1", "D3"]
    ex.filters["department"].value = ("B",)  # the redraw keeps the choice and lists again
    assert ex.drill_value.value == "OP2"
    assert list(ex.items["document"]) == ["D3"]
    ex.filters["department"].value = ("W",)  # OP2 sold nothing in W: the choice is gone
    assert ex.drill_value.value is None and ex.items is None


def test_parts_export_writes_the_view(explorer, tmp_path):
    """Export writes the grids on screen and the drill-down lists as the run's CSV files, and the spreadsheet."""
    from openpyxl import load_workbook

    ex = explorer("parts")
    ex.filters["department"].value = ("P",)
    choose(ex.drill_value, D(2024, 3, 1))
    folder = ex.export()
    assert folder.parent == tmp_path / "explore" and folder.name.startswith("parts_2024-03-01_2024-03-15_")
    tables = folder / "tables" / "parts"
    assert sorted(p.name for p in tables.iterdir()) == [
        "activity.csv", "departments.csv", "drill_documents.csv", "movement.csv", "operators.csv", "sales_types.csv"]
    with open(tables / "activity.csv", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [(r["date"], r["net"], r["gp_pct"]) for r in table] == [("2024-03-01", "8.500000", "25.000000")]
    about = json.loads((folder / "view.json").read_text(encoding="utf-8"))
    assert about["filters"] == {"department": ["P"]} and about["as_of"] == AS_OF
    assert about["drill"]["value"] == "2024-03-01"
    book = load_workbook(folder / f"{folder.name}.xlsx", read_only=True)
    assert "parts_activity" in book.sheetnames and "parts_drill_documents" in book.sheetnames
    sheet = list(book["parts_activity"].iter_rows(values_only=True))
    assert sheet[1][sheet[0].index("Net")] == pytest.approx(8.5)
    book.close()
    ex.drill_value.value = None
    second = ex.export()  # a second export of the same dates goes to a new folder; the first stays whole
    assert second != folder and second.parent == folder.parent
    assert "drill_documents.csv" not in {p.name for p in (second / "tables" / "parts").iterdir()}
    assert "drill_documents.csv" in {p.name for p in tables.iterdir()}


# ---------------------------------------------------------------- labour


def test_labour_filters_and_drill(explorer):
    """Labour type and operator filters keep their invoiced lines; a document lists its lines and hours."""
    ex = explorer("labour")
    check(ex.view.grids["departments"].total.iloc[0], documents=2, gross=280, net=270, cost=100, profit=170)
    ex.filters["labour_type"].value = ("LT1",)
    check(ex.view.grids["departments"].total.iloc[0], documents=1, gross=200, discount=10, net=190, cost=60,
          profit=130, gp_pct=65.0)
    ex.filters["operator"].value = ("OW2",)
    assert ex.message.startswith("No data for this selection")
    ex.filters["labour_type"].value = ()
    assert list(rows(ex, "operators")) == ["OW2"]
    ex.filters["operator"].value = ()
    ex.drill_key.value = "Department"
    choose(ex.drill_value, "W")
    assert list(ex.items["document"]) == ["L1"]
    choose(ex.drill_item, "L1")
    check(ex.detail[0].rows.iloc[0], allowed_hours=2, gross=200, net=190, cost=60, profit=130)


# ---------------------------------------------------------------- workshop


def test_workshop_technician_filter_and_clock_history(explorer):
    """A technician's row, its clock history and a job's lines follow the technician chosen."""
    ex = explorer("workshop")
    assert [v for _, v in ex.filters["technician"].options] == ["T1", "T2"]
    assert [label for label, _ in ex.filters["technician"].options] == ["T1 · Tom", "T2 · Tia"]
    ex.filters["technician"].value = ("T1",)
    assert list(rows(ex, "technicians")) == ["T1"]
    check(rows(ex, "technicians")["T1"], direct=4, idle=1, attended=5, allowed=2, taken=1.5, charged=190,
          util_pct=30.0, effi_pct=200 / 1.5, pro_pct=40.0)
    assert [label for label, _ in ex.drill_value.options] == ["T1 · Tom"]
    choose(ex.drill_value, "T1")
    assert list(ex.items["in"]) == ["2024-03-05 08:00", "2024-03-05 13:00"]
    assert list(ex.items["hours"]) == pytest.approx([4, 1])
    assert [v for _, v in ex.drill_item.options] == ["W1"]
    choose(ex.drill_item, "W1")
    check(ex.detail[0].rows.iloc[0], allowed_hours=2, net=190)


# ---------------------------------------------------------------- accounts and sales


def test_accounts_owner_and_territory_filters_compose(explorer):
    """Owner and territory keep their accounts' sales against a year earlier; both at once can keep none."""
    ex = explorer("accounts")
    assert [label for label, _ in ex.filters["account"].options] == ["A1 · Alpha Garage", "A2 · Beta Fleet"]
    ex.filters["owner"].value = ("R1",)
    assert list(rows(ex, "accounts")) == ["A1"]
    # A1: parts 17 − 8.5 + labour 190 = 198.5 against 80 a year earlier
    check(rows(ex, "accounts")["A1"], sales=198.5, sales_prior=80, growth_pct=(198.5 - 80) / 80 * 100)
    ex.filters["territory"].value = ("South",)
    assert ex.message.startswith("No data for this selection") and ex.error is None
    ex.filters["owner"].value = ()
    check(rows(ex, "accounts")["A2"], sales=200, sales_prior=0, growth_pct=None)
    ex.drill_key.value = "Owner"
    choose(ex.drill_value, "R2")
    assert list(zip(ex.items["kind"], ex.items["document"])) == [("labour", "L2"), ("parts", "D2"),
                                                                ("parts", "D3")]
    choose(ex.drill_item, "D3")
    check(ex.detail[0].rows.iloc[0], net=80, profit=40)


def test_sales_rep_filter_and_drill_to_accounts(explorer):
    """A rep filter keeps the rep's row and accounts; a rep leads to its accounts and their documents."""
    ex = explorer("sales")
    ex.filters["rep"].value = ("R1",)
    assert list(rows(ex, "reps")) == ["R1"]
    check(rows(ex, "reps")["R1"], sales=198.5)
    ex.filters["rep"].value = ()
    ex.filters["territory"].value = ("South",)
    assert list(rows(ex, "reps")) == ["R2"]
    check(rows(ex, "reps")["R2"], sales=200)
    assert list(rows(ex, "territories")) == ["South"]
    choose(ex.drill_value, "R2")
    assert list(ex.items["account"]) == ["A2"]
    choose(ex.drill_item, "A2")
    assert list(ex.detail[0]["document"]) == ["L2", "D2", "D3"]


def test_filter_conditions_compose_per_table():
    """Chosen filters become one condition per table: AND across filters, OR within one, text quoted."""
    found = views.conditions(views.ACCOUNTS.filters, {"owner": ["R1", "O'Brien"], "territory": ["North"], "account": []})
    assert found["accounts"] == "(owner IN ('R1', 'O''Brien')) AND (territory IN ('North'))"
    assert found["parts_lines"].count("SELECT account FROM accounts") == 2
    assert views.conditions(views.ACCOUNTS.filters, {}) == {}


def test_every_report_opens_on_a_source_without_optional_tables(tmp_path):
    """Each report's explorer opens (and says what is missing) on a source with required tables only."""
    folder = make_source(tmp_path / "bare", parts_lines=PARTS[:1], labour_lines=LABOUR[:1], clockings=CLOCKINGS[:1],
                         accounts=ACCOUNTS[:1])
    for name in ("parts", "labour", "workshop", "accounts", "sales"):
        ctx = report.start(name, source=str(folder), as_of=AS_OF, interactive=True)
        try:
            ex = widgets.explore(ctx, export_root=tmp_path / "explore")
            assert ex.error is None, f"{name}: {ex.message}"
            ex.preset.value = "ytd"
            assert ex.error is None, f"{name}: {ex.message}"
        finally:
            ctx.source.close()
