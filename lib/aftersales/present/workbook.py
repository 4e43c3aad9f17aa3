"""The run's spreadsheet, for those who live in Excel: every grid CSV of the run as a sheet.

`write(path, run)` reads `<run>/tables/<report>/<grid>.csv` (and `<run>/alerts.csv`) and writes
one sheet per file, named `<report>_<grid>` (at most 31 characters), after a first sheet saying
what the workbook holds ("about") and before the alerts, with a frozen, filtered header, number
formats (money 2 decimals with separators, ratios 1 decimal, hours 2, counts whole), dates as
dates, codes and any other text as text (`00042` stays `00042`; a name starting with `=` is a
text cell, never a formula) and column widths fitted to the content. A grid longer than Excel's
rows is cut there, and the first sheet says so. During a run the sheets are written in a thread,
each report's as soon as it ends (`InBackground`), and listed in pack order on close.

What a column is (kind, format, width, text) is decided in `xlsx_cells`; the file's parts are
written by hand in `xlsx_parts`. XlsxWriter (constant-memory mode) was measured against it in
paired runs of the large month's pack: its cell-by-cell writing took 17–19 s of CPU for the pack's
1.5 million cells against 2.3–2.6 s here, and the whole pack 1.7–2.0 times as long (median 50.2 s
against 29.0 s on a loaded machine), beyond the 10 % the library was allowed.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aftersales.config import REPORTS
from aftersales.present.csvtables import restored
from aftersales.present.xlsx_cells import column_kind, kind_of, shown_width
from aftersales.present.xlsx_parts import (
    Cells,
    Strings,
    Styles,
    cells,
    cols,
    column_letter,
    content_types,
    package_rels,
    row_blocks,
    text_row,
    workbook_rels,
    workbook_xml,
    write_about,
    write_sheet,
)

__all__ = ["Book", "InBackground", "column_kind", "column_letter", "file_name", "grid_files", "sheet_name", "write"]

#: Sheets that open the workbook right after "about", by (report, grid) of their CSV: their names.
LEADING = {("pacing", "pacing"): "Pacing", ("group", "branches"): "Branches"}
#: Excel's limits.
SHEET_NAME_MAX = 31
MAX_ROWS = 1_048_575  # data rows under the header


@dataclass
class Column:
    """A sheet's column: its CSV name, header label, kind (`xlsx_cells.FORMATS`) and width (characters)."""

    name: str
    header: str
    kind: str
    width: float


def _display() -> tuple[set[str], set[str], dict[str, str]]:
    """Money and hours columns and header labels, as the pages show them."""
    from aftersales.present import tables as present

    money, hours, labels = present.display()
    return set(money), set(hours), dict(labels)


def sheet_name(report: str, grid: str, taken: set[str]) -> str:
    """`<report>_<grid>`, cut to Excel's 31 characters and made unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", "_", f"{report}_{grid}")[:SHEET_NAME_MAX]
    base, n = name, 1
    while name.lower() in taken:
        n += 1
        suffix = f"~{n}"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def grid_files(run: Path) -> list[tuple[str, str, Path]]:
    """(report, grid, path) of every grid CSV of the run, reports in pack order."""
    folder = run / "tables"
    order = {r: i for i, r in enumerate(REPORTS)}
    found = []
    if folder.exists():
        for path in folder.glob("*/*.csv"):
            found.append((path.parent.name, path.stem, path))
    return sorted(found, key=lambda f: (order.get(f[0], len(order)), f[0], f[1]))


def write(path: Path, run: Path, *, about: Mapping[str, str] | None = None) -> dict:
    """Write the workbook of the run folder `run` to `path`; returns what the manifest records."""
    book = Book(path, run)
    for report in dict.fromkeys(report for report, _, _ in grid_files(run)):
        book.add_report(report)
    return book.close(about or {})


class Book:
    """A run's workbook, written a report at a time in any order (`add_report`), then closed
    with its first sheet, alerts and index parts; its sheets are listed in pack order."""

    def __init__(self, path: Path, run: Path):
        self.path, self.run = path, run
        self.money, self.hours, self.labels = _display()
        self.styles, self.strings = Styles(), Strings()
        #: per sheet written: (order key, file number, the run's file, rows, cut, columns)
        self.sheets: list[tuple[tuple, int, str, int, bool, int]] = []
        self.seconds = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        # Level 2: a large month's 60 MB of XML deflated in ~0.3 s of CPU instead of ~0.45 s at level 4,
        # for a file ~13 % bigger (level 1 saves little more and is ~21 % bigger).
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=2)

    def add_report(self, report: str) -> None:
        """Write the sheets of every grid CSV the report left in the run folder."""
        order = {r: i for i, r in enumerate(REPORTS)}
        for name, grid, csv_path in grid_files(self.run):
            if name == report:
                self._add((-1 if (report, grid) in LEADING else order.get(report, len(order)), report, grid), csv_path)

    def _add(self, key: tuple, csv_path: Path) -> None:
        started = time.monotonic()
        number = len(self.sheets) + 2  # sheet1 is the first sheet, written on close
        columns, column_cells, count, cut = _grid(csv_path, self.money, self.hours, self.labels, self.styles,
                                                  self.strings)
        last = f"{column_letter(len(columns) - 1)}{count + 1}" if columns else ""
        heads = [(col.header, self.styles.HEADER_LEFT if col.kind in ("text", "date", "month")
                  else self.styles.HEADER_RIGHT) for col in columns]
        header_row = text_row(1, heads, self.strings) if columns else ""
        start = (f'<dimension ref="A1{":" + last if last else ""}"/><sheetViews><sheetView workbookViewId="0">'
                 '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                 '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                 f'<sheetFormatPr defaultRowHeight="15"/>{cols([c.width for c in columns])}'
                 f"<sheetData>{header_row}")
        end = "</sheetData>" + (f'<autoFilter ref="A1:{last}"/>' if columns else "")
        large = count * len(columns) > 5_000_000
        write_sheet(self.zip, number, start, row_blocks(column_cells, count), end, large=large)
        self.sheets.append((key, number, str(csv_path.relative_to(self.run)), count, cut, len(columns)))
        self.seconds += time.monotonic() - started

    def close(self, about: Mapping[str, str]) -> dict:
        """Add the alerts sheet and the first sheet (what the workbook holds), name the sheets in
        pack order and finish the file; returns what the manifest records."""
        started = time.monotonic()
        alerts = self.run / "alerts.csv"
        if alerts.exists():
            self._add((len(REPORTS) + 1, "", "alerts"), alerts)
        taken: set[str] = {"about"}
        listed = []  # (name, file number, run's file, rows, cut, columns) in pack order
        for key, number, file, rows, cut, width in sorted(self.sheets):
            name = LEADING.get(key[1:]) or ("alerts" if key[2] == "alerts" and not key[1] else
                                            sheet_name(key[1], key[2], taken))
            taken.add(name.lower())
            listed.append((name, number, file, rows, cut, width))
        summary = {name: {"file": file, "rows": rows, "cut": cut} for name, _, file, rows, cut, _ in listed}
        write_about(self.zip, about, summary, self.styles, self.strings)
        self.zip.writestr("[Content_Types].xml", content_types(len(self.sheets) + 1))
        self.zip.writestr("_rels/.rels", package_rels())
        order = [("about", 1), *((name, number) for name, number, *_ in listed)]
        filters = [(i, name, f"$A$1:${column_letter(width - 1)}${rows + 1}")
                   for i, (name, _, _, rows, _, width) in enumerate(listed, start=1) if width]
        self.zip.writestr("xl/workbook.xml", workbook_xml(order, filters))
        self.zip.writestr("xl/_rels/workbook.xml.rels", workbook_rels(len(self.sheets) + 1))
        self.zip.writestr("xl/styles.xml", self.styles.xml())
        self.zip.writestr("xl/sharedStrings.xml", self.strings.xml())
        self.zip.close()
        self.seconds += time.monotonic() - started
        return {"file": self.path.name, "bytes": self.path.stat().st_size, "seconds": round(self.seconds, 3),
                "sheets": {name: s["rows"] for name, s in summary.items()}}

    def discard(self) -> None:
        """Give up the book: no file left."""
        self.zip.close()
        self.path.unlink(missing_ok=True)


class InBackground:
    """A run's workbook written in a thread while the run goes on: each report's sheets as soon
    as the report finishes (`add_report`), so that little is left to do when the last one ends."""

    def __init__(self, path: Path, run: Path):
        import queue
        import threading

        self.path, self.run = path, run
        self.book: Book | None = None
        self.error: BaseException | None = None
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="aftersales-workbook", daemon=True)
        self.thread.start()

    def add_report(self, report: str) -> None:
        self.queue.put(report)

    def _work(self) -> None:
        try:
            self.book = Book(self.path, self.run)
            while (report := self.queue.get()) is not None:
                self.book.add_report(report)
        except BaseException as exc:  # reported by close()
            self.error = exc

    def close(self, about: Mapping[str, str]) -> dict:
        """Wait for the sheets of the reports added, then finish the file (raises what went wrong)."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            if self.book is not None:
                self.book.discard()
            raise self.error
        return self.book.close(about)


def _grid(csv_path: Path, money: set[str], hours: set[str], labels: dict[str, str], styles: Styles,
          strings: Strings) -> tuple[list[Column], list[Cells], int, bool]:
    """A grid CSV's columns and their cells, its rows (at most Excel's limit) and whether it was cut."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_filter=False)
    cut = len(frame) > MAX_ROWS
    frame = frame.head(MAX_ROWS)
    columns, column_cells = [], []
    for j, c in enumerate(frame.columns):
        raw = frame[c].to_numpy(dtype=object)
        name = restored(str(c))  # a column named from the data (a pivot's) as the data has it
        kind, figures = kind_of(name, raw, money, hours)
        column, head = cells(raw, kind, column_letter(j), styles, strings, figures)
        header = labels.get(name, name.replace("_", " ").capitalize())
        width = min(60, max(len(header) + 3, shown_width(head, kind) + 2, 8))
        columns.append(Column(name, header, kind, width))
        column_cells.append(column)
    return columns, column_cells, len(frame), cut


def file_name(start: dt.date, end: dt.date) -> str:
    """aftersales_<from>_<to>.xlsx"""
    return f"aftersales_{start.isoformat()}_{end.isoformat()}.xlsx"
