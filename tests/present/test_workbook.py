"""The run's spreadsheet: every grid CSV as a sheet that opens in Excel with the right types."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest

from aftersales.present import workbook, xlsx_cells, xlsx_parts


def grid_csv(run: Path, report: str, grid: str, text: str) -> None:
    path = run / "tables" / report / f"{grid}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def book(tmp_path):
    """A run folder with a few grid CSVs as the reports write them, and its workbook opened."""
    run = tmp_path / "run"
    grid_csv(run, "parts", "activity",
             "date,documents,net,gp_pct\n2024-03-01,2,1234.567800,25.000000\n2024-03-02,1,-8.500000,\n")
    grid_csv(run, "accounts", "accounts",
             "account,name,sales,growth_pct\n00042,=1+2 Garage,10.000000,5.123400\nA1,"
             '"<script>alert(""x"")</script> & co",20.000000,\n')
    grid_csv(run, "accounts", "monthly", "account,month,sales,margin\n00042,2024-03,10.000000,4.000000\n")
    grid_csv(run, "workshop", "technicians", "technician,name,attended,util_pct\n007,Tech Seven,7.500000,80.000000\n")
    (run / "alerts.csv").write_text("rule,account,name,owner,owner_email,value,threshold,message\n", encoding="utf-8")
    info = workbook.write(run / "book.xlsx", run, about={"Dealer": "Demo Motors", "Period": "2024-03-01 to 2024-03-31"})
    return info, openpyxl.load_workbook(run / "book.xlsx")


def test_every_grid_csv_is_a_sheet_named_report_grid(book):
    """Each grid CSV of the run is a sheet `<report>_<grid>`, after a first sheet saying what the workbook holds."""
    info, wb = book
    assert wb.sheetnames == ["about", "parts_activity", "workshop_technicians", "accounts_accounts",
                             "accounts_monthly", "alerts"]
    assert info["sheets"]["parts_activity"] == 2 and info["sheets"]["alerts"] == 0
    about = [[c.value for c in row] for row in wb["about"].iter_rows()]
    assert about[0][:2] == ["Dealer", "Demo Motors"]
    assert any(r[0] == "parts_activity" and r[1] == "tables/parts/activity.csv" and r[2] == 2 for r in about)


def test_header_is_frozen_and_labelled_and_columns_are_sized(book):
    """Every sheet keeps its header row in view, with readable labels and widths fitted to the content."""
    _, wb = book
    ws = wb["parts_activity"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["Date", "Documents", "Net", "GP%"]
    assert ws[1][0].font.bold
    assert ws.column_dimensions["A"].width >= 10 and ws.auto_filter.ref == "A1:D3"


def test_numbers_are_numbers_with_formats(book):
    """Money shows 2 decimals with separators, ratios 1 decimal, counts whole; empty ratios stay empty cells."""
    _, wb = book
    ws = wb["parts_activity"]
    date, documents, net, gp = ws[2]
    assert net.value == pytest.approx(1234.5678) and net.number_format == "#,##0.00"
    assert gp.value == 25 and gp.number_format == "#,##0.0"
    assert documents.value == 2 and documents.number_format == "#,##0"
    assert ws["D3"].value is None
    hours = wb["workshop_technicians"]["C2"]
    assert hours.value == 7.5 and hours.number_format == "#,##0.00"


def test_dates_are_dates(book):
    """Days are Excel dates shown YYYY-MM-DD; months are dates shown YYYY-MM."""
    _, wb = book
    day = wb["parts_activity"]["A2"]
    assert day.value == dt.datetime(2024, 3, 1) and day.number_format == "yyyy-mm-dd"
    month = wb["accounts_monthly"]["B2"]
    assert month.value == dt.datetime(2024, 3, 1) and month.number_format == "yyyy-mm"


def test_codes_and_names_stay_text(book):
    """Codes keep their leading zeros, and a name that looks like a formula or markup is text, as written."""
    _, wb = book
    ws = wb["accounts_accounts"]
    assert ws["A2"].value == "00042" and ws["A2"].data_type == "s" and ws["A2"].number_format == "@"
    assert ws["B2"].value == "=1+2 Garage" and ws["B2"].data_type == "s"
    assert ws["B3"].value == '<script>alert("x")</script> & co'
    assert wb["workshop_technicians"]["A2"].value == "007"


def test_sheet_names_fit_excel():
    """Sheet names are cut to Excel's 31 characters and stay unique."""
    taken: set[str] = set()
    first = workbook.sheet_name("accounts", "a_very_long_grid_name_indeed_yes", taken)
    second = workbook.sheet_name("accounts", "a_very_long_grid_name_indeed_yes_too", taken)
    assert first == "accounts_a_very_long_grid_name_" and len(first) == 31
    assert second != first and len(second) <= 31


def test_column_kinds():
    """A column of digits with a leading zero is text unless its name says it is a figure."""
    values = pd.Series(["0042", "17"])
    assert workbook.column_kind("code", values) == "text"
    assert workbook.column_kind("sales", pd.Series(["1.5", ""]), money={"sales"}) == "money"
    assert workbook.column_kind("line", pd.Series(["1", "2"])) == "count"
    assert workbook.column_kind("share", pd.Series(["0.25", "1"])) == "decimal"
    assert workbook.column_kind("in", pd.Series(["2024-03-01 08:00"])) == "text"
    figures = [str(i) for i in range(5_000)]
    assert workbook.column_kind("line", pd.Series(figures)) == "count"
    assert workbook.column_kind("line", pd.Series([*figures, "-07"])) == "text"  # one code among figures
    assert workbook.column_kind("month", pd.Series(["2024-03", "", "2024-13x"])) == "text"


def test_figure_columns_are_as_wide_as_their_widest_figure_as_shown(tmp_path):
    """A column's width fits its widest figure as shown: rounded, with separators and its sign."""
    run = tmp_path / "run"
    grid_csv(run, "parts", "activity", "date,net,profit\n2024-03-01,999999.999000,-999999.999000\n"
             "2024-03-02,-5.500000,5.000000\n2024-03-03,,-0.001000\n")
    workbook.write(tmp_path / "book.xlsx", run)
    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["parts_activity"]
    assert ws.column_dimensions["B"].width == len("1,000,000.00") + 2
    assert ws.column_dimensions["C"].width == len("-1,000,000.00") + 2


@pytest.mark.parametrize("columns", [5, 70])
def test_rows_with_blanks_in_different_columns_keep_every_value_in_its_column(tmp_path, monkeypatch, columns):
    """Rows whose blank cells differ (each pattern of blanks written at once) keep each value in its cell."""
    monkeypatch.setattr(xlsx_parts, "BLOCK_ROWS", 9)
    run = tmp_path / "run"
    names = [f"c{j}" for j in range(columns)]
    rows = [["" if (i * 7 + j * 3) % (j % 4 + 2) == 0 else f"{i}.{j}5" for j in range(columns)] for i in range(25)]
    grid_csv(run, "parts", "wide", ",".join(names) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    workbook.write(tmp_path / "book.xlsx", run)
    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["parts_wide"]
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=columns)]
    assert got == [[float(v) if v else None for v in r] for r in rows]


def test_a_large_grid_is_written(tmp_path):
    """A grid of tens of thousands of rows is written whole (streamed, not held as cells)."""
    run = tmp_path / "run"
    rows = "\n".join(f"{i:05d},2024-03,{i}.500000,{i / 3:.6f}" for i in range(30_000))
    grid_csv(run, "accounts", "monthly", "account,month,sales,margin\n" + rows + "\n")
    info = workbook.write(run / "big.xlsx", run)
    assert info["sheets"]["accounts_monthly"] == 30_000
    ws = openpyxl.load_workbook(run / "big.xlsx", read_only=True)["accounts_monthly"]
    last = list(ws.iter_rows(min_row=30_001, max_row=30_001, values_only=True))[0]
    assert last[0] == "29999" and last[2] == pytest.approx(29999.5)


def test_rows_written_in_blocks_keep_every_value_in_place(tmp_path, monkeypatch):
    """Rows rendered a block at a time come out whole and in order, blanks stay empty, text is escaped."""
    monkeypatch.setattr(xlsx_parts, "BLOCK_ROWS", 7)
    run = tmp_path / "run"
    names = ["A & B <Motors>", " padded ", "Ünïcödé", "bell\x07ring", "", '"quoted"', "=SUM(A1)"]
    rows = [(f"{i:05d}", names[i % len(names)], "" if i % 5 == 0 else f"{i}.250000", str(i))
            for i in range(23)]
    grid_csv(run, "parts", "a&b's", "account,name,sales,lines\n" + "\n".join(
        ",".join(f'"{v}"' if '"' in v else v for v in (a, n.replace('"', '""'), s, c)) for a, n, s, c in rows) + "\n")
    info = workbook.write(tmp_path / "book.xlsx", run)
    name = "parts_a&b's"
    assert info["sheets"] == {name: 23}
    with zipfile.ZipFile(tmp_path / "book.xlsx") as package:
        for part in package.namelist():
            ElementTree.fromstring(package.read(part))  # every part is well-formed XML
    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")[name]
    assert ws.auto_filter.ref == "A1:D24" and ws.freeze_panes == "A2"
    got = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=2)]
    want = [(a, n.replace("\x07", "") or None, float(s) if s else None, int(c)) for a, n, s, c in rows]
    assert got == want
    assert all(type(v) is int for v in (row[3] for row in got))  # counts are whole numbers


def test_values_excel_cannot_take_as_typed_stay_as_written(tmp_path):
    """A date that is no date, or a figure that is infinite, is kept as the text the CSV holds."""
    run = tmp_path / "run"
    grid_csv(run, "parts", "activity", "date,net\n2024-02-29,1.5\n2024-02-30,inf\n")
    workbook.write(tmp_path / "book.xlsx", run)
    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["parts_activity"]
    assert ws["A2"].value == dt.datetime(2024, 2, 29) and ws["B2"].value == 1.5
    assert ws["A3"].value == "2024-02-30" and ws["A3"].data_type == "s"
    assert ws["B3"].value == "inf" and ws["B3"].data_type == "s"


def test_a_workbook_written_report_by_report_in_the_background_matches_one_written_at_once(tmp_path):
    """During a run each report's sheets are written as it finishes, in whatever order they finish;
    the workbook lists them in pack order, with their filters, exactly as one written at the end."""
    run = tmp_path / "run"
    grid_csv(run, "parts", "activity", "date,net\n2024-03-01,1.500000\n2024-03-02,2.000000\n")
    grid_csv(run, "accounts", "accounts", "account,name,sales\nA1,Alpha,10.000000\n")
    grid_csv(run, "sales", "reps", "rep,name,sales\nR1,Rita,3.000000\n")
    (run / "alerts.csv").write_text("rule,account,name,owner,owner_email,value,threshold,message\n"
                                    "gp_drop,A1,Alpha,R1,,-9.000000,5.000000,down\n", encoding="utf-8")
    background = workbook.InBackground(tmp_path / "background.xlsx", run)
    for report in ("sales", "parts", "accounts"):  # the order they finished in
        background.add_report(report)
    info = background.close({"Dealer": "Demo"})
    workbook.write(tmp_path / "at_once.xlsx", run, about={"Dealer": "Demo"})
    late, once = openpyxl.load_workbook(tmp_path / "background.xlsx"), openpyxl.load_workbook(tmp_path / "at_once.xlsx")
    assert late.sheetnames == once.sheetnames == ["about", "parts_activity", "accounts_accounts", "sales_reps", "alerts"]
    for name in once.sheetnames:
        assert [[c.value for c in row] for row in late[name].iter_rows()] == \
               [[c.value for c in row] for row in once[name].iter_rows()]
        assert late[name].auto_filter.ref == once[name].auto_filter.ref
    assert late["parts_activity"].auto_filter.ref == "A1:B3"
    assert info["sheets"] == {"parts_activity": 2, "accounts_accounts": 1, "sales_reps": 1, "alerts": 1}


def test_a_background_workbook_that_fails_says_why(tmp_path):
    """A grid the writer cannot read fails the spreadsheet with its reason (the run reports it), not silently."""
    run = tmp_path / "run"
    grid_csv(run, "parts", "activity", "date,net\n2024-03-01,1.500000\n")
    (run / "tables" / "parts" / "broken.csv").mkdir()  # a folder where a CSV should be
    background = workbook.InBackground(tmp_path / "book.xlsx", run)
    background.add_report("parts")
    with pytest.raises(IsADirectoryError):
        background.close({})
    assert not (tmp_path / "book.xlsx").exists()


def test_every_text_column_of_the_contract_is_written_as_text():
    """A code or name column of the input tables (SPEC §2) is text in the spreadsheet whatever it holds,
    though the spreadsheet writer does not read the source: its list covers the contract's."""
    from aftersales.source.contract import TABLES, TEXT

    contract = {c.name for t in TABLES.values() for c in t.columns if c.type == TEXT} - {"month"}
    assert contract <= xlsx_cells.TEXT_COLUMNS, sorted(contract - xlsx_cells.TEXT_COLUMNS)
    assert "month" not in xlsx_cells.TEXT_COLUMNS  # months are dates
    assert workbook.column_kind("part_no", pd.Series(["123", "456"])) == "text"  # digits, yet a code


def test_the_spreadsheet_writer_does_not_import_the_source():
    """The spreadsheet's modules (present/) name no module of the source layer."""
    import ast
    import inspect

    from aftersales.present import csvtables

    for module in (workbook, xlsx_cells, xlsx_parts, csvtables):
        tree = ast.parse(inspect.getsource(module))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith("aftersales.source")], module.__name__
