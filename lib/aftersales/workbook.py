"""The run's spreadsheet, for those who live in Excel: every grid CSV of the run as a sheet.

`write(path, run)` reads `<run>/tables/<report>/<grid>.csv` (and `<run>/alerts.csv`) and writes
one sheet per file, named `<report>_<grid>` (at most 31 characters), with a frozen, filtered
header, number formats (money 2 decimals with separators, ratios 1 decimal, hours 2, counts
whole), dates as dates, codes and any other text as text (`00042` stays `00042`, a name
starting with `=` is not a formula) and column widths fitted to the content. Sheets are
streamed (openpyxl write-only mode), so a large grid costs little memory.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pandas as pd

from .config import REPORTS
from .contract import TABLES, TEXT

#: Excel's limits.
SHEET_NAME_MAX = 31
MAX_ROWS = 1_048_575  # data rows under the header

#: Number formats of each kind of column.
FORMATS = {
    "money": "#,##0.00",
    "ratio": "#,##0.0",
    "factor": "#,##0.00",
    "hours": "#,##0.00",
    "count": "#,##0",
    "decimal": "#,##0.00",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "text": "@",
}

#: Columns that always hold text (codes, names) whatever they look like: the contract's text
#: columns and the grids' grouping keys and labels.
TEXT_COLUMNS = {c.name for t in TABLES.values() for c in t.columns if c.type == TEXT} | {
    "department", "sale_type", "operator", "labour_type", "technician", "account", "rep", "territory",
    "segment", "channel", "stage", "state", "order_type", "name", "owner", "owner_name", "owner_email",
    "rule", "message", "document", "wip_no", "doc_type", "model", "category", "severity", "team",
}
TEXT_COLUMNS.discard("month")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_LEADING_ZERO = re.compile(r"^-?0\d")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class Column:
    name: str
    header: str
    kind: str
    width: float


def _display() -> tuple[set[str], set[str], dict[str, str]]:
    """Money and hours columns and header labels, with those each report names for itself."""
    from . import present

    money, hours, labels = set(present.MONEY), set(present.HOURS), dict(present.LABELS)
    for report in REPORTS:
        try:
            extra = getattr(import_module(f"aftersales.{report}"), "DISPLAY", None) or {}
        except ImportError:
            continue
        money |= set(extra.get("money", ()))
        hours |= set(extra.get("hours", ()))
        labels |= dict(extra.get("labels", {}))
    return money, hours, labels


def column_kind(name: str, values: pd.Series, money: set[str] = frozenset(), hours: set[str] = frozenset()) -> str:
    """How a column of CSV text is written: text, date, month, or a kind of number."""
    filled = values[values != ""]
    if name in TEXT_COLUMNS:
        return "text"
    if name == "month" or (len(filled) and filled.str.match(_MONTH).all()):
        return "month" if filled.str.match(_MONTH).all() else "text"
    if len(filled) and filled.str.match(_DATE).all():
        return "date"
    numbers = pd.to_numeric(filled, errors="coerce")
    if numbers.isna().any() or filled.str.match(_LEADING_ZERO).any():
        return "text"
    if name in money:
        return "money"
    if name == "clv_cost_ratio":
        return "factor"
    if "_pct" in name or name.endswith(("_pct", "_pts")):
        return "ratio"
    if name in hours:
        return "hours"
    if (numbers == numbers.round()).all():
        return "count"
    return "decimal"


def _values(series: pd.Series, kind: str) -> list:
    """The cell values of a column of CSV text: numbers, dates, or text (None when empty)."""
    if kind == "text":
        return [_ILLEGAL.sub("", v) if v else None for v in series]
    if kind in ("date", "month"):
        parsed = pd.to_datetime(series + ("-01" if kind == "month" else ""), format="%Y-%m-%d", errors="coerce")
        return [None if pd.isna(v) else v.date() for v in parsed]
    numbers = pd.to_numeric(series.replace("", None), errors="coerce")
    if kind == "count":
        return [None if pd.isna(v) else int(v) for v in numbers]
    return [None if pd.isna(v) else float(v) for v in numbers]


def _shown_width(values: list, kind: str) -> int:
    """Characters of the widest shown value among the first rows."""
    sample = [v for v in values[:2000] if v is not None]
    if not sample:
        return 0
    if kind == "text":
        return max(len(v) for v in sample)
    if kind in ("date", "month"):
        return 10 if kind == "date" else 7
    if kind == "count":
        return max(len(f"{v:,}") for v in sample)
    decimals = 1 if kind == "ratio" else 2
    return max(len(f"{v:,.{decimals}f}") for v in sample)


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
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    started = time.monotonic()
    money, hours, labels = _display()
    book = Workbook(write_only=True)
    taken: set[str] = {"about"}
    sources = [(report, grid, p, sheet_name(report, grid, taken)) for report, grid, p in grid_files(run)]
    alerts = run / "alerts.csv"
    if alerts.exists():
        taken.add("alerts")
        sources.append(("", "alerts", alerts, "alerts"))
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    sheets: dict[str, dict] = {}

    # The first sheet says what the workbook holds; it is written last into place 0.
    about_sheet = book.create_sheet("about")
    for report, grid, csv_path, name in sources:
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_filter=False)
        cut = len(frame) > MAX_ROWS
        frame = frame.head(MAX_ROWS)
        ws = book.create_sheet(name)
        columns, values = [], []
        for c in frame.columns:
            kind = column_kind(c, frame[c], money, hours)
            vals = _values(frame[c], kind)
            header = labels.get(c, c.replace("_", " ").capitalize())
            width = min(60, max(len(header) + 3, _shown_width(vals, kind) + 2, 8))
            columns.append(Column(c, header, kind, width))
            values.append(vals)
        for i, col in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"
        heads = []
        for col in columns:
            cell = WriteOnlyCell(ws, value=col.header)
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(horizontal="left" if col.kind in ("text", "date", "month") else "right")
            cell.data_type = "s"
            heads.append(cell)
        ws.append(heads)
        templates = []
        for col in columns:
            template = WriteOnlyCell(ws)
            template.number_format = FORMATS[col.kind]
            templates.append(template._style)
        texts = [col.kind == "text" for col in columns]
        for r in range(len(frame)):
            row = []
            for j, vals in enumerate(values):
                cell = WriteOnlyCell(ws, value=vals[r])
                cell._style = copy(templates[j])
                if texts[j] and cell.value is not None:
                    cell.data_type = "s"  # text from the data is never a formula
                row.append(cell)
            ws.append(row)
        sheets[name] = {"file": str(csv_path.relative_to(run)), "rows": len(frame), "cut": cut}

    _write_about(about_sheet, about or {}, sheets, header_font, header_fill)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return {"file": path.name, "bytes": path.stat().st_size, "seconds": round(time.monotonic() - started, 3),
            "sheets": {name: s["rows"] for name, s in sheets.items()}}


def _write_about(ws, about: Mapping[str, str], sheets: dict[str, dict], font, fill) -> None:
    from openpyxl.cell import WriteOnlyCell

    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 12

    def text(value, bold=False):
        cell = WriteOnlyCell(ws, value=str(value))
        cell.data_type = "s"
        if bold:
            cell.font = font
            cell.fill = fill
        return cell

    for key, value in about.items():
        ws.append([text(key), text(value)])
    ws.append([])
    ws.append([text("Sheet", True), text("From the run's file", True), text("Rows", True)])
    for name, s in sheets.items():
        rows = WriteOnlyCell(ws, value=s["rows"])
        rows.number_format = FORMATS["count"]
        note = " (cut at Excel's row limit)" if s["cut"] else ""
        ws.append([text(name), text(s["file"] + note), rows])


def file_name(start: dt.date, end: dt.date) -> str:
    """aftersales_<from>_<to>.xlsx"""
    return f"aftersales_{start.isoformat()}_{end.isoformat()}.xlsx"
