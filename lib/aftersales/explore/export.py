"""The explorer's Export: the view on screen written the way a run writes its pack.

`new_folder(root, stem)` makes `<root>/<stem>_<YYYYmmdd-HHMMSS>[-n]/`, a folder no export wrote
before (the explorer's root is `exports/` beside the notebook, which the Lab serves; a `.gitignore`
there keeps the exports — customer names, figures — out of the repository).
`write(folder, report, tables, about)` lays out in it

    tables/<report>/<name>.csv    every grid of the view (data rows only) and the drill-down lists
                                  on screen, with the run's CSV writer (`csvtables.write_csv`)
    <report>_<from>_<to>.xlsx     the same tables as sheets, with the run's spreadsheet writer
                                  (`workbook.write`)
    view.json                     the period, as-of, filters and drill-down the tables are of

`link(path, text)` is the status's link to a file: relative to the kernel's working directory
(the notebook's folder), which the Lab resolves and, with `download`, downloads.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import pandas as pd


def new_folder(root: Path, stem: str, now: dt.datetime | None = None) -> Path:
    """A new, empty folder `<root>/<stem>_<time stamp>` (a counter added if one exists already)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# the explorer's exports: never committed\n*\n", encoding="utf-8")
    base = f"{stem}_{(now or dt.datetime.now()):%Y%m%d-%H%M%S}"
    for n in range(1, 10_000):
        folder = root / (base if n == 1 else f"{base}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no free export folder for {base} under {root}")


def relative(path: Path) -> str:
    """The path relative to the working directory (the notebook's folder in the Lab), else absolute."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive
        return Path(path).resolve().as_posix()


def link(path: Path, text: str) -> str:
    """An HTML link that downloads `path` from the Lab (a relative URL the Lab serves)."""
    from urllib.parse import quote

    href = quote(relative(path))
    return f'<a href="{html.escape(href)}" download target="_blank">{html.escape(text)}</a>'


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
