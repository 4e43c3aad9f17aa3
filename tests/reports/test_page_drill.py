"""The drill-down a Parts or Labour page carries (reports/page_drill.py, present/drill.py): each grid row's
documents with the row's share of each, worked out by hand; the cap on the lines a page holds and what
it then says; keys written as the grid's first cell shows them; text from the data kept as text."""

from __future__ import annotations

import html
import json
import re
from contextlib import contextmanager

import pytest

from aftersales import present
from aftersales.present import drill as present_drill
from aftersales.present import tables
from aftersales.reports import labour, page_drill, parts
from aftersales.run import context as report_module
from factory import make_source

NAME = 'York <b>Clifton</b> & "Moor"'
PARTS = [
    # D1, an invoice with lines in two departments (P and W) and two sale types:
    # net 2×10−1 = 19, cost 10, profit 9 | net 30, cost 12, profit 18 | net 3×7 = 21, cost 12, profit 9
    dict(document="D1", date_edit="2024-03-10", account="A1", department="P", sale_type="S1", operator="OP1",
         quantity=2, retail_price=10, selling_price=10, discount=1, cost_price=5),
    dict(document="D1", date_edit="2024-03-10", account="A1", department="P", sale_type="S2", operator="OP1",
         quantity=1, retail_price=30, selling_price=30, cost_price=12),
    dict(document="D1", date_edit="2024-03-10", account="A1", department="W", sale_type="S1", operator="OP1",
         part_no="P2", quantity=3, retail_price=7, selling_price=7, cost_price=4),
    # C1, a credit note: net −10, cost −5, profit −5
    dict(document="C1", doc_type="credit", date_edit="2024-03-11", account="A1", department="P", sale_type="S1",
         operator="OP2", quantity=-1, retail_price=10, selling_price=10, cost_price=5),
    # D2, no department, an account code that reads like a number: net 8, cost 3, profit 5
    dict(document="D2", date_edit="2024-03-12", account="007", department="", sale_type="S2", operator="OP2",
         quantity=1, retail_price=8, selling_price=8, cost_price=3),
    # outside the period
    dict(document="D0", date_edit="2024-02-28", quantity=50),
]
ACCOUNTS = [dict(account="A1", name=NAME), dict(account="007", name="Bond Motors")]
CODES = [dict(kind="department", code="P", description="Parts counter")]


@contextmanager
def started(tmp_path, report: str, drill_lines: int = 5000, **tables_):
    folder = make_source(tmp_path / "src", **tables_)
    settings = tmp_path / "drill.yaml"
    settings.write_text(f"report:\n  drill_lines: {drill_lines}\n", encoding="utf-8")
    ctx = report_module.start(report, source=str(folder), date_from="2024-03-01", date_to="2024-03-31",
                              as_of="2024-03-31", params_file=str(settings))
    try:
        yield ctx
    finally:
        ctx.source.close()
        tables.use_codes({})


@pytest.fixture
def parts_drill(tmp_path):
    """(report, drill) of the parts lines above, every document held."""
    with started(tmp_path, "parts", parts_lines=PARTS, accounts=ACCOUNTS, codes=CODES) as ctx:
        rep = parts.build(ctx)
        yield rep, page_drill.for_page(ctx, rep)


def shares(drill, grid: str) -> set[tuple]:
    """(key, document, lines, net, profit, whole) of each of a grid's rows' held documents."""
    g = drill.grids[grid]
    docs = drill.documents["document"]
    return {(None if k != k or k is None else k, docs[d], n, net, profit, whole)
            for k, d, n, net, profit, whole in g.entries[[g.key, "doc", "lines", "net", "profit", "whole"]]
            .itertuples(index=False)}


def test_the_documents_held_are_the_most_recent_with_their_figures(parts_drill):
    """Documents newest first, each with its account (007 stays text), name, lines, net and profit."""
    _, drill = parts_drill
    docs = drill.documents
    assert list(docs["document"]) == ["D2", "C1", "D1"]
    assert list(docs["account"]) == ["007", "A1", "A1"]
    assert list(docs["name"]) == ["Bond Motors", NAME, NAME]
    assert list(docs["lines"]) == [1, 1, 3]
    assert list(docs["net"]) == [8, -10, 70] and list(docs["profit"]) == [5, -5, 36]
    assert (drill.documents_all, drill.lines_all, drill.capped) == (3, 5, False)


def test_each_row_has_its_share_of_each_document(parts_drill):
    """A document in two departments shows in each with that department's lines only; a credit note and a
    line without a department show in their rows; a row holding all a document's lines is `whole`."""
    _, drill = parts_drill
    assert shares(drill, "departments") == {
        ("P", "D1", 2, 49, 27, False), ("P", "C1", 1, -10, -5, True),
        ("W", "D1", 1, 21, 9, False), (None, "D2", 1, 8, 5, True)}
    assert shares(drill, "sales_types") == {
        ("S1", "D1", 2, 40, 18, False), ("S1", "C1", 1, -10, -5, True),
        ("S2", "D1", 1, 30, 18, False), ("S2", "D2", 1, 8, 5, True)}
    assert shares(drill, "operators") == {
        ("OP1", "D1", 3, 70, 36, True), ("OP2", "C1", 1, -10, -5, True), ("OP2", "D2", 1, 8, 5, True)}
    days = {(str(k.date()), d, n, net) for k, d, n, net, _, _ in shares(drill, "activity")}
    assert days == {("2024-03-10", "D1", 3, 70), ("2024-03-11", "C1", 1, -10), ("2024-03-12", "D2", 1, 8)}


def test_a_rows_documents_add_up_to_its_grid_row(parts_drill):
    """Every row of every grid: its documents' net and profit add up to the grid row's, and all are held."""
    rep, drill = parts_drill
    for name, g in drill.grids.items():
        rows = rep.grids[name].rows
        assert len(g.rows) == len(rows), name
        for i, grid_row in rows.iterrows():
            key = grid_row[g.key]
            mine = g.entries[g.entries[g.key].isna()] if key != key or key is None else \
                g.entries[g.entries[g.key] == key]
            assert mine["net"].sum() == pytest.approx(grid_row["net"], abs=1e-9), (name, key)
            assert mine["profit"].sum() == pytest.approx(grid_row["profit"], abs=1e-9), (name, key)
            assert g.rows.loc[i, "held"] == g.rows.loc[i, "documents"] == grid_row["documents"], (name, key)


def first_cells(markup: str, ident: str) -> list[str]:
    """The text of the first cell of each body row of table `ident`, and of the rows sent as JSON."""
    table = re.search(rf'<table[^>]*id="{ident}".*?</table>', markup, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<tr[^>]*><td>(.*?)</td>", body, re.S)]
    more = re.search(rf'<script type="application/json" class="as-rows" data-for="{ident}">(.*?)</script>', markup)
    return cells + ([r[1] for r in json.loads(more.group(1))["rows"]] if more else [])


def test_keys_are_the_grids_first_cell_text(tmp_path):
    """The page finds a clicked row's documents by its first cell: each key is written as the grid shows it
    (a code with its description, a day as YYYY-MM-DD, an empty department as nothing)."""
    with started(tmp_path, "parts", parts_lines=PARTS, accounts=ACCOUNTS, codes=CODES) as ctx:
        rep = parts.build(ctx)
        data = present_drill.drill_data(page_drill.for_page(ctx, rep))
        for name in parts.GRIDS:
            markup = present.grid(rep.grids[name]).data
            assert data["grids"][name]["keys"] == first_cells(markup, f"grid-{name}"), name
    assert data["grids"]["departments"]["keys"] == ["P · Parts counter", "W", ""]
    assert data["grids"]["activity"]["keys"] == ["2024-03-10", "2024-03-11", "2024-03-12"]


def test_the_page_data_is_shown_text_with_markup_kept_as_text(parts_drill):
    """The JSON holds shown text (figures as the grids write them; 007 as text); a name with markup is
    escaped in the page and read back unchanged; a row's whole documents are their own rows' numbers."""
    _, drill = parts_drill
    drill.report = "parts"
    markup = present.drill_down(drill).data
    script = re.search(r'<script type="application/json" class="as-drill" data-report="parts">(.*?)</script>',
                       markup, re.S).group(1)
    assert "<" not in script and ">" not in script and "&" not in script
    data = json.loads(script)
    assert data["documents"]["rows"] == [
        [1, "D2", "2024-03-12", "007", "Bond Motors", "invoice", "1", "8.00", "5.00"],
        [2, "C1", "2024-03-11", "A1", NAME, "credit", "1", "-10.00", "-5.00"],
        [1, "D1", "2024-03-10", "A1", NAME, "invoice", "3", "70.00", "36.00"]]
    departments = data["grids"]["departments"]
    assert departments["keys"] == ["P · Parts counter", "W", ""]
    # P: C1 whole (its number), D1's two lines of P; W: D1's line of W; empty: D2 whole
    assert departments["docs"] == [[1, [2, 1, "2", "49.00", "27.00"]], [[2, 1, "1", "21.00", "9.00"]], [0]]
    assert departments["notes"] == ["", "", ""]
    # D1's lines, each with its keys (day, department, sale type, operator) as places in the keys
    keys = data["lines"]["keys"]
    assert keys == ["activity", "departments", "sales_types", "operators"]
    lines = [[data["grids"][g]["keys"][k] for g, k in zip(keys, line[1:5])] + line[5:] for line in data["lines"]["rows"][2]]
    parts_counter = "P · Parts counter"
    assert sorted(lines) == sorted([["2024-03-10", parts_counter, "S1", "OP1", "P1", "2", "19.00", "9.00"],
                                    ["2024-03-10", parts_counter, "S2", "OP1", "P1", "1", "30.00", "18.00"],
                                    ["2024-03-10", "W", "S1", "OP1", "P2", "3", "21.00", "9.00"]])
    assert [c[0] for c in data["lines"]["columns"]] == ["Date", "Department", "Sale type", "Operator", "Part no",
                                                        "Quantity", "Net", "Profit"]


def test_past_the_cap_the_page_holds_the_latest_documents_and_says_so(tmp_path):
    """With room for 2 lines the page holds D2 and C1 (D1's 3 lines would pass it); it says how many
    documents and lines of how many it holds, and a row with documents left out says so."""
    with started(tmp_path, "parts", drill_lines=2, parts_lines=PARTS, accounts=ACCOUNTS) as ctx:
        rep = parts.build(ctx)
        drill = page_drill.for_page(ctx, rep)
    assert list(drill.documents["document"]) == ["D2", "C1"]
    assert (drill.documents_all, drill.lines_all, drill.capped) == (3, 5, True)
    assert drill.lines["doc"].tolist() == [0, 1]
    rows = drill.grids["departments"].rows.set_index("department", drop=False)
    assert (rows.loc["P", "documents"], rows.loc["P", "held"]) == (2, 1)
    assert (rows.loc["W", "documents"], rows.loc["W", "held"]) == (1, 0)
    assert present_drill.notes(drill)[1] == (
        "This page holds the 2 most recent documents (2 lines) of the period's 3 documents (5 lines), at most 2 "
        "lines (report.drill_lines); every document counts in the grids, and the CSV table parts/documents and "
        "the spreadsheet hold them all.")
    data = present_drill.drill_data(drill)
    assert data["grids"]["departments"]["notes"] == [
        "This page holds 1 of this row's 2 documents (the most recent); the CSV table parts/documents and the "
        "spreadsheet hold them all.",
        "This page holds none of this row's 1 document: it holds the period's 2 most recent documents; the CSV "
        "table parts/documents and the spreadsheet hold them all.", ""]
    assert data["grids"]["departments"]["docs"] == [[1], [], [0]]


def test_labour_counts_invoiced_lines_by_job_owner(tmp_path):
    """Labour: a document's two labour types each show their own line; the operator is the job's owner
    (wip_owner); a line not yet invoiced is in no row; a line shows its hours sold."""
    lines = [
        # 1 h × 100 = net 100, cost 1 × 40 = 40, profit 60 | 2 h × 100 = net 200, cost 80, profit 120
        dict(document="L1", line_no=1, labour_type="LT1", wip_owner="OW1", technician="T1"),
        dict(document="L1", line_no=2, labour_type="LT2", wip_owner="OW1", technician="T2", allowed_time=2,
             time_taken=2),
        dict(document="", line_no=3, labour_type="LT1", wip_owner="OW9", allowed_time=5, time_taken=5),
    ]
    with started(tmp_path, "labour", labour_lines=lines, accounts=ACCOUNTS) as ctx:
        rep = labour.build(ctx)
        drill = page_drill.for_page(ctx, rep)
        data = present_drill.drill_data(drill)
    assert (list(drill.documents["document"]), drill.documents_all, drill.lines_all) == (["L1"], 1, 2)
    assert shares(drill, "labour_types") == {("LT1", "L1", 1, 100, 60, False), ("LT2", "L1", 1, 200, 120, False)}
    assert shares(drill, "operators") == {("OW1", "L1", 2, 300, 180, True)}
    assert data["grids"]["operators"]["keys"] == ["OW1"]
    assert data["grids"]["labour_types"]["docs"] == [[[0, 1, "1", "100.00", "60.00"]], [[0, 1, "1", "200.00", "120.00"]]]
    assert [c[0] for c in data["lines"]["columns"]][4:] == ["WIP", "Line no", "Technician", "Hours sold", "Net",
                                                            "Profit"]
    assert [line[5:] for line in data["lines"]["rows"][0]] == [["W1", "1", "T1", "1.00", "100.00", "60.00"],
                                                               ["W1", "2", "T2", "2.00", "200.00", "120.00"]]


def test_a_database_source_gives_the_same_drill_down(tmp_path, monkeypatch):
    """Read from a database (the lines fetched by the columns the queries name), the page's data is the same."""
    from aftersales import cli

    lines = [{**line, "department": line.get("department") or "B"} for line in PARTS]  # (a load needs them all)
    folder = make_source(tmp_path / "src", parts_lines=lines, accounts=ACCOUNTS, codes=CODES)
    url = f"sqlite:///{tmp_path / 'dealer.db'}"
    assert cli.main(["load", str(folder), "--into", url]) == 0
    monkeypatch.delenv("PGPASSWORD", raising=False)
    made = {}
    for source in (str(folder), url):
        ctx = report_module.start("parts", source=source, date_from="2024-03-01", date_to="2024-03-31",
                                  as_of="2024-03-31")
        try:
            made[source] = present_drill.drill_data(page_drill.for_page(ctx, parts.build(ctx)))
        finally:
            ctx.source.close()
            tables.use_codes({})
    assert made[url] == made[str(folder)]
    assert made[url]["grids"]["departments"]["docs"] == [[0], [1, [2, 1, "2", "49.00", "27.00"]],
                                                         [[2, 1, "1", "21.00", "9.00"]]]
