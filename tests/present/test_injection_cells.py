"""Formula injection (issue 23, point 7): a name from the data that a spreadsheet program would run
as a formula is neutralised in the CSV tables and is text in the spreadsheet; numbers stay numbers."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from aftersales.present import csvtables, workbook
from aftersales.present.csvtables import neutral, restored, write_csv

HOSTILE = ['=HYPERLINK("x")', "+SUM(1,2)", "@cmd", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.fixture(params=["engine", "python"])
def writer(request, monkeypatch):
    """Each test runs with the engine's CSV writer and with the csv module's (its fallback)."""
    def refuse(*_):
        raise csvtables._NotPlain("the test's choice")

    monkeypatch.setattr(csvtables, "_engine_csv" if request.param == "python" else "_python_csv", refuse)
    return request.param


def accounts(names: list[str], sales: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"account": [f"A{i}" for i in range(len(names))], "name": names, "sales": sales})


def test_a_csv_cell_that_would_start_a_formula_starts_with_a_quote(tmp_path, writer):
    """A user who opens a CSV table in a spreadsheet program never runs a formula a name carried."""
    write_csv(accounts(HOSTILE, [1.0] * len(HOSTILE)), tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_bytes().decode("utf-8") == (
        "account,name,sales\n"
        "A0,\"'=HYPERLINK(\"\"x\"\")\",1.000000\n"  # quoted by CSV for its quotes, then its ' inside
        "A1,\"'+SUM(1,2)\",1.000000\n"  # quoted by CSV for its comma
        "A2,'@cmd,1.000000\n"
        "A3,'-2+3,1.000000\n"
        "A4,'\t=1+1,1.000000\n"
        "A5,\"'\r=1+1\",1.000000\n"  # quoted by CSV for its carriage return
    )


def test_numbers_and_harmless_texts_are_written_as_they_are(tmp_path, writer):
    """A negative figure stays a number, and a text a spreadsheet would not run is not changed."""
    rows = pd.DataFrame({
        "code": ["-5", "+1.5e3", "A-1", " =1", "it's", ""],  # plain numbers, no formula start, empty
        "sales": [-8.5, -0.25, 0.0, 3.0, -1e-6, None],
        "lines": pd.array([-2, 0, 1, 2, 3, None], dtype="Int64"),
    })
    write_csv(rows, tmp_path / "n.csv")
    assert (tmp_path / "n.csv").read_text(encoding="utf-8") == (
        "code,sales,lines\n-5,-8.500000,-2\n+1.5e3,-0.250000,0\nA-1,0.000000,1\n =1,3.000000,2\n"
        "it's,-0.000001,3\n,,\n"
    )


def test_a_text_that_starts_with_a_quote_already_reads_back_as_it_was(tmp_path, writer):
    """A name that itself starts with a quote before a formula sign keeps it (one more quote in the
    CSV), so a reader of the CSV can always tell what the data held."""
    write_csv(accounts(["'=x", "'plain"], [1.0, 2.0]), tmp_path / "q.csv")
    assert (tmp_path / "q.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "A0,''=x,1.000000", "A1,'plain,2.000000"]
    for text in [*HOSTILE, "'=x", "''+y", "'plain", "-5", "plain", "", "'"]:
        assert restored(neutral(text)) == text


def test_a_column_name_that_would_start_a_formula_is_neutralised(tmp_path, writer):
    """A header cell from data (a pivoted grid's column) is neutralised like any text cell."""
    write_csv(pd.DataFrame({"=cmd": [1.5]}), tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text(encoding="utf-8") == "'=cmd\n1.500000\n"


def test_the_spreadsheet_holds_the_names_as_text_never_formulas(tmp_path, writer):
    """A user who opens the spreadsheet sees each name as the data has it, as text, and no formula
    runs; a negative money figure is a number there."""
    run = tmp_path / "run"
    write_csv(accounts(HOSTILE, [-8.5, 1.0, 2.0, 3.0, 4.0, 5.0]), run / "tables" / "accounts" / "accounts.csv")
    workbook.write(tmp_path / "book.xlsx", run)
    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["accounts_accounts"]
    names = [ws.cell(row=r, column=2) for r in range(2, 2 + len(HOSTILE))]
    assert [c.value for c in names] == HOSTILE
    assert all(c.data_type == "s" for c in names)
    sales = ws["C2"]
    assert sales.value == -8.5 and sales.data_type == "n" and sales.number_format == "#,##0.00"
    with zipfile.ZipFile(tmp_path / "book.xlsx") as package:
        sheets = [package.read(p).decode("utf-8") for p in package.namelist() if p.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in sheet or "<f " in sheet for sheet in sheets)  # no formula anywhere
