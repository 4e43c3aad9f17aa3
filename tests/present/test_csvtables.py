"""The CSV tables a run writes (SPEC §5): plain cells a spreadsheet or a script reads as they are."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aftersales.present import csvtables
from aftersales.present.csvtables import write_csv


@pytest.fixture(params=["engine", "python"])
def writer(request, monkeypatch):
    """Each test runs with the engine's writer and with the csv module's (its fallback)."""
    def refuse(*_):
        raise csvtables._NotPlain("the test's choice")

    monkeypatch.setattr(csvtables, "_engine_csv" if request.param == "python" else "_python_csv", refuse)
    return request.param


def test_csv_cells_are_plain_text_with_six_decimals_and_empty_for_missing(tmp_path, writer):
    rows = pd.DataFrame({
        "account": ["A1", None, 'Smith, "Jr"', "two\nlines"],
        "date": pd.to_datetime(["2026-10-01", None, "2026-02-28", "2024-02-29"]),
        "net": [1234567.5, -0.125, 0.0, 1e-7],
        "gp_pct": [12.3456789, np.nan, -50.0, np.nan],
        "lines": pd.array([3, None, 0, -2], dtype="Int64"),
        "documents": np.array([1, 2, 3, 4], dtype="int64"),
        "invoiced": [True, False, True, False],
        "day": [dt.date(2026, 1, 5), dt.date(2026, 1, 6), None, dt.date(2026, 1, 8)],
    })
    write_csv(rows, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == (
        "account,date,net,gp_pct,lines,documents,invoiced,day\n"
        "A1,2026-10-01,1234567.500000,12.345679,3,1,True,2026-01-05\n"
        ",,-0.125000,,,2,False,2026-01-06\n"
        '"Smith, ""Jr""",2026-02-28,0.000000,-50.000000,0,3,True,\n'
        '"two\nlines",2024-02-29,0.000000,,-2,4,False,2026-01-08\n'
    )


def test_an_empty_table_keeps_its_header(tmp_path, writer):
    write_csv(pd.DataFrame({"account": pd.Series([], dtype=object), "sales": pd.Series([], dtype="float64")}),
              tmp_path / "e.csv")
    assert (tmp_path / "e.csv").read_text(encoding="utf-8") == "account,sales\n"


def test_what_the_engine_cannot_write_is_written_all_the_same(tmp_path):
    """A float beyond the six-place decimal, an infinity and a column of mixed objects."""
    rows = pd.DataFrame({"big": [1e40, 2.5], "inf": [float("inf"), -1.0], "mixed": [dt.date(2026, 1, 5), 7]})
    write_csv(rows, tmp_path / "m.csv")
    assert (tmp_path / "m.csv").read_text(encoding="utf-8") == (
        "big,inf,mixed\n"
        "10000000000000000303786028427003666890752.000000,inf,2026-01-05\n"
        "2.500000,-1.000000,7\n"
    )


def test_a_carriage_return_inside_a_cell_is_quoted(tmp_path, writer):
    """A reader splitting lines at a bare carriage return still finds the cell whole: it is quoted."""
    write_csv(pd.DataFrame({"name": ["one\rtwo", "plain"], "net": [1.0, 2.0]}), tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes() == b'name,net\n"one\rtwo",1.000000\nplain,2.000000\n'
    assert pd.read_csv(tmp_path / "r.csv")["name"].tolist() == ["one\rtwo", "plain"]
