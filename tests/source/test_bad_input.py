"""Bad input (SPEC §2): every rule stops a run before any report is written, naming
the table, the column and the rows, with a non-zero exit and no traceback."""

from __future__ import annotations

import pytest

from aftersales.cli import main
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-15", "--as-of", "2024-03-15"]

CASES = {
    "missing table": (dict(), "accounts", None),
    "missing column": (dict(parts_lines="drop:cost_price"), "parts_lines", "cost_price"),
    "wrong type": (dict(parts_lines=[dict(), dict(quantity="abc")]), "parts_lines", "quantity"),
    "wrong boolean": (dict(labour_lines=[dict(flat_rate="maybe")]), "labour_lines", "flat_rate"),
    "empty required value": (dict(parts_lines=[dict(document="")]), "parts_lines", "document"),
    "unparsable date": (dict(parts_lines=[dict(date_edit="2024-02-30")]), "parts_lines", "date_edit"),
    "date not ISO": (dict(parts_lines=[dict(date_edit="15/03/2024")]), "parts_lines", "date_edit"),
    "unparsable timestamp": (dict(clockings=[dict(clock_in="2024-03-10 8h")]), "clockings", "clock_in"),
    "doc_type outside its list": (dict(parts_lines=[dict(doc_type="quote")]), "parts_lines", "doc_type"),
    "movement_type outside its list": (dict(parts_movements=[dict(movement_type="stolen")]),
                                       "parts_movements", "movement_type"),
    "clock_out before clock_in": (dict(clockings=[dict(clock_in="2024-03-10T12:00", clock_out="2024-03-10T08:00")]),
                                  "clockings", "clock_out"),
    "duplicated labour key": (dict(labour_lines=[dict(), dict(document="L2")]), "labour_lines", "wip_no"),
    "duplicated account": (dict(accounts_dup=True), "accounts", "account"),
}


def build(tmp_path, spec):
    tables = {"accounts": [dict()]}
    drop = None
    for table, rows in spec.items():
        if table == "accounts_dup":
            tables["accounts"] = [dict(), dict(name="Again")]
        elif isinstance(rows, str):
            drop = (table, rows.split(":", 1)[1])
            tables[table] = [dict()]
        else:
            tables[table] = rows
    if spec == {}:
        tables.pop("accounts")
    folder = make_source(tmp_path / "src", **tables) if spec else _without_accounts(tmp_path)
    if drop:
        path = folder / f"{drop[0]}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        index = header.index(drop[1])
        kept = [",".join(v for i, v in enumerate(line.split(",")) if i != index) for line in lines]
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return folder


def _without_accounts(tmp_path):
    folder = make_source(tmp_path / "src")
    (folder / "accounts.csv").unlink()
    return folder


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_stops_the_run(case, tmp_path, capsys):
    """The run exits non-zero, names table and column, and writes no report."""
    spec, table, column = CASES[case]
    source = build(tmp_path, spec)
    out = tmp_path / "out"
    status = main(["run", "--source", str(source), *RUN, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    assert table in err
    if column:
        assert column in err
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize("case", ["wrong type", "unparsable date", "doc_type outside its list"])
def test_validate_names_the_rows(case, tmp_path, capsys):
    """`aftersales validate` names the first offending rows and exits non-zero."""
    spec, table, column = CASES[case]
    source = build(tmp_path, spec)
    assert main(["validate", "--source", str(source)]) == 2
    err = capsys.readouterr().err
    assert f"{table}.{column}" in err
    assert "row" in err


def test_validate_accepts_a_clean_source(tmp_path, capsys):
    """A source that meets the contract validates with exit status 0."""
    source = make_source(tmp_path / "src", parts_lines=[dict()], accounts=[dict()])
    assert main(["validate", "--source", str(source)]) == 0
    assert "parts_lines" in capsys.readouterr().out


def test_a_source_broken_after_a_good_run_is_caught(tmp_path, capsys):
    """A passed check is remembered only for unchanged contents: an edited file is checked again."""
    source = make_source(tmp_path / "src", parts_lines=[dict()], accounts=[dict()])
    args = ["run", "--source", str(source), *RUN, "--reports", "parts"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    assert main([*args, "--out", str(tmp_path / "two")]) == 0
    assert "has not changed since" in capsys.readouterr().err
    path = source / "parts_lines.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("invoice", "quote"), encoding="utf-8")
    assert main([*args, "--out", str(tmp_path / "three")]) == 2
    assert "parts_lines.doc_type" in capsys.readouterr().err
    assert not (tmp_path / "three").exists()
