"""The explorer's Export: the view on screen written the way a run writes its pack.

`write(folder, report, tables, about)` lays out, under `<outputs>/explore/<report>_<from>_<to>/`,

    tables/<report>/<name>.csv    every grid of the view (data rows only) and the drill-down lists
                                  on screen, with the run's CSV writer (`csvtables.write_csv`)
    <report>_<from>_<to>.xlsx     the same tables as sheets, with the run's spreadsheet writer
                                  (`workbook.write`)
    view.json                     the period, as-of, filters and drill-down the tables are of

A second export of the same report and dates replaces the first (its tables are removed first,
so a grid or list no longer on screen does not linger).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import pandas as pd


def write(folder: Path, report: str, tables: Mapping[str, pd.DataFrame], about: Mapping[str, object]) -> dict:
    """Write the tables, the spreadsheet and view.json into `folder`; returns what was written."""
    from aftersales.present import workbook
    from aftersales.present.csvtables import write_csv

    folder = Path(folder)
    csv_dir = folder / "tables" / report
    shutil.rmtree(folder / "tables", ignore_errors=True)
    for old in folder.glob("*.xlsx"):
        old.unlink()
    for name, rows in tables.items():
        write_csv(rows, csv_dir / f"{name}.csv")
    book_path = folder / f"{folder.name}.xlsx"
    try:
        book = workbook.write(book_path, folder, about={k: _text(v) for k, v in about.items()})
    except Exception as exc:  # the CSV files are written; a spreadsheet failure is said, not fatal
        book_path.unlink(missing_ok=True)
        book = {"file": None, "error": f"{type(exc).__name__}: {exc}"}
    written = {**about, "tables": [f"tables/{report}/{name}.csv" for name in tables], "workbook": book}
    (folder / "view.json").write_text(json.dumps(written, indent=2, default=str), encoding="utf-8")
    return written


def _text(value: object) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if v not in (None, [], ""))
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)
