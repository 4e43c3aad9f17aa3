"""Every document of the period in the pack: `parts/documents` and `labour/documents` CSVs and sheets."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from aftersales.present import workbook
from aftersales.present.tables import label
from aftersales.reports import labour, parts
from aftersales.run import context as report_module
from factory import make_source

COLUMNS = ["document", "date", "account", "name", "doc_type", "lines", "net", "profit"]

PARTS = [
    # D1, two lines: net 2×9−1 = 17 and 1×10 = 10 → 27; cost 2×6 + 1×4 = 16; profit 11
    dict(document="D1", date_edit="2024-03-02", account="A1", quantity=2, retail_price=10, selling_price=9,
         discount=1, cost_price=6),
    dict(document="D1", date_edit="2024-03-02", account="A1", quantity=1, retail_price=10, selling_price=10,
         cost_price=4),
    # C1, a credit: net −1×9 − (−0.5) = −8.5; cost −6; profit −2.5
    dict(document="C1", doc_type="credit", date_edit="2024-03-01", account="B2", quantity=-1, retail_price=10,
         selling_price=9, discount=-0.5, cost_price=6),
    # D2: net 3×5 = 15; cost 3×7 = 21; profit −6 (an account missing from accounts: empty name)
    dict(document="D2", date_edit="2024-03-03", account="ZZ", quantity=3, retail_price=5, selling_price=5,
         cost_price=7),
    # outside the period: not listed
    dict(document="D9", date_edit="2024-04-01", quantity=1),
]
LABOUR = [
    # L1: gross 1.5 units × 60/60 × 100 × 100% = 150, discount 10 → net 140; cost 1.5 × 40 = 60; profit 80
    dict(wip_no="W1", line_no=1, document="L1", date_edit="2024-03-05", allowed_time=1.5, time_taken=1.5,
         discount=10),
    # L1's second line: net 0.5 × 100 = 50; cost 0.5 × 40 = 20; profit 30 → L1: 2 lines, net 190, profit 110
    dict(wip_no="W1", line_no=2, document="L1", date_edit="2024-03-05", allowed_time=0.5, time_taken=0.5),
    # not invoiced (no document): work in progress, not a document
    dict(wip_no="W2", line_no=1, document="", doc_type="", date_edit="2024-03-06"),
]
ACCOUNTS = [dict(account="A1", name="Alpha Garage"), dict(account="B2", name="Córdoba Motors")]


def _run(tmp_path, report, limit):
    folder = make_source(tmp_path / "src", parts_lines=PARTS, labour_lines=LABOUR, accounts=ACCOUNTS)
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"report:\n  drilldown_rows: {limit}\n", encoding="utf-8")
    run = tmp_path / "run"
    ctx = report_module.start(report, source=str(folder), date_from="2024-03-01", date_to="2024-03-31",
                              as_of="2024-03-31", params_file=str(settings), out_dir=str(run))
    try:
        rep = {"parts": parts, "labour": labour}[report].build(ctx)
    finally:
        ctx.source.close()
    return run, rep


def _read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_parts_documents_csv_holds_every_document_past_the_page_cap(tmp_path):
    """The parts documents CSV lists every document of the period with its figures, though the page lists 1."""
    run, rep = _run(tmp_path, "parts", 1)
    rows = _read(run / "tables" / "parts" / "documents.csv")
    assert list(rows[0]) == COLUMNS
    got = [(r["document"], r["date"], r["account"], r["name"], r["doc_type"], int(r["lines"]),
            float(r["net"]), float(r["profit"])) for r in rows]
    assert got == [
        ("C1", "2024-03-01", "B2", "Córdoba Motors", "credit", 1, pytest.approx(-8.5), pytest.approx(-2.5)),
        ("D1", "2024-03-02", "A1", "Alpha Garage", "invoice", 2, pytest.approx(27.0), pytest.approx(11.0)),
        ("D2", "2024-03-03", "ZZ", "", "invoice", 1, pytest.approx(15.0), pytest.approx(-6.0)),
    ]
    # the page keeps its cap and says where the rest are
    assert list(rep.documents["document"]) == ["C1"] and rep.documents.attrs["rows"] == 3
    assert any("first 1 of 3 documents" in n and "parts/documents" in n for n in rep.notes)


def test_labour_documents_csv_lists_invoiced_documents_only(tmp_path):
    """The labour documents CSV has one row per invoiced document (uninvoiced lines are not documents)."""
    run, rep = _run(tmp_path, "labour", 1000)
    rows = _read(run / "tables" / "labour" / "documents.csv")
    assert [(r["document"], r["doc_type"], int(r["lines"]), float(r["net"]), float(r["profit"])) for r in rows] \
        == [("L1", "invoice", 2, pytest.approx(190.0), pytest.approx(110.0))]
    assert rows[0]["name"] == "Alpha Garage" and not rep.notes


def test_documents_are_sheets_of_the_spreadsheet(tmp_path):
    """The spreadsheet of a run carries a `parts_documents` sheet with every document."""
    run, _ = _run(tmp_path, "parts", 1)
    info = workbook.write(run / "book.xlsx", run)
    assert info["sheets"]["parts_documents"] == 3
    sheet = openpyxl.load_workbook(run / "book.xlsx")["parts_documents"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == [label(c) for c in COLUMNS]
    assert [r[0] for r in values[1:]] == ["C1", "D1", "D2"]
