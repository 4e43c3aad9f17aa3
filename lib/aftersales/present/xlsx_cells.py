"""What a grid CSV's column is in the spreadsheet: its kind, its number format, its width, its text.

A column of CSV text is one kind, decided once from its name and values: text (codes, names:
`00042` stays `00042`), a date, a month, or a kind of figure (money, ratio, factor, hours,
count, decimal), each with its number format (`FORMATS`). Which columns are always text is
known here from the column names the pack writes (`TEXT_COLUMNS`): nothing is read from the
source. A text cell holds the text the data has: the quote the CSV writer put before a text
that would start a formula (`csvtables.neutral`) is taken off again (`cell_texts`), and so
are characters XML cannot carry.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aftersales.present.csvtables import restored

#: Excel's limit of characters in a cell.
TEXT_MAX = 32_767

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

#: Columns that always hold text (codes, names) whatever they look like: the input tables' text
#: columns (SPEC §2; a test checks this list against the contract) and the grids' grouping keys
#: and labels. `month` is not among them: a column of months is dates.
TEXT_COLUMNS = frozenset({
    "account", "activity_id", "activity_type", "branch", "category", "channel", "code", "department",
    "description", "doc_type", "document", "email", "idle_code", "issue_id", "kind", "labour_type", "lead_id",
    "measure", "message", "model", "movement_type", "name", "operator", "opp_id", "order_no", "order_type",
    "owner", "owner_email", "owner_name", "part_no", "pay_type", "reason", "region", "rep", "rule", "sale_type",
    "segment", "severity", "stage", "state", "team", "technician", "technician_name", "territory", "wip_no",
    "wip_owner",
})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
#: A leading zero (`0042`, `-07`: a code, not a figure; its digits ASCII ones) at the start of any
#: of the values joined by "|".
_LEADING_ZERO_JOINED = re.compile(r"\|-?0[0-9]")
#: Characters XML 1.0 cannot hold, dropped from text.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _all_match(values: np.ndarray, pattern: re.Pattern) -> bool:
    """Every value matches (none to match is all): the first is tried alone, then each distinct value once."""
    return not len(values) or (bool(pattern.match(values[0])) and all(map(pattern.match, pd.unique(values))))


def column_kind(name: str, values: pd.Series, money: set[str] = frozenset(), hours: set[str] = frozenset()) -> str:
    """How a column of CSV text is written: text, date, month, or a kind of number."""
    return kind_of(name, values.to_numpy(dtype=object), money, hours)[0]


def kind_of(name: str, raw: np.ndarray, money: set[str], hours: set[str]) -> tuple[str, np.ndarray | None]:
    """`column_kind` of a column's CSV text (an object array), with its figures (floats, NaN where
    blank or no number) when it is a kind of number, so the column is parsed once."""
    if name in TEXT_COLUMNS:
        return "text", None
    filled_at = raw != ""
    filled = raw[filled_at]
    if name == "month" or (len(filled) and _all_match(filled, _MONTH)):
        # Scanned once: a second time only when the name alone said "month".
        return ("month" if name != "month" or _all_match(filled, _MONTH) else "text"), None
    if len(filled) and _all_match(filled, _DATE):
        return "date", None
    figures = np.asarray(pd.to_numeric(raw, errors="coerce"), dtype=float)
    numbers = figures[filled_at]
    if np.isnan(numbers).any() or _leading_zero(filled):
        return "text", None
    if name in money:
        return "money", figures
    if name == "clv_cost_ratio":
        return "factor", figures
    if "_pct" in name or name.endswith(("_pct", "_pts")):
        return "ratio", figures
    if name in hours:
        return "hours", figures
    if (numbers == np.round(numbers)).all():
        return "count", figures
    return "decimal", figures


def _leading_zero(values: np.ndarray) -> bool:
    """Any value is written with a leading zero (`0042`, `-07`), so is a code, not a figure.

    One regex search through the values joined by "|" rather than a match per value (a figure holds
    no "|"; values that do are tried one by one)."""
    if not len(values):
        return False
    texts = values.tolist() if isinstance(values, np.ndarray) else list(values)
    joined = "|" + "|".join(texts)
    if joined.count("|") != len(texts):
        return any(_LEADING_ZERO_JOINED.match("|" + text) for text in texts)
    return _LEADING_ZERO_JOINED.search(joined) is not None


def is_clean(texts: list[str]) -> bool:
    """No text needs `clean` (read off the texts at once)."""
    return not texts or (max(map(len, texts)) <= TEXT_MAX and not _ILLEGAL.search("".join(texts)))


def clean(text: str) -> str:
    """Text as a cell can hold it: no characters XML cannot carry, at most Excel's cell length."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text[:TEXT_MAX]


def cell_texts(texts: list[str]) -> list[str]:
    """Distinct texts of a CSV's text cells as the spreadsheet holds them: without the quote the CSV
    writer put before a text that would start a formula (the cell is text: no formula runs)."""
    return list(map(restored, texts))


def shown_width(values: list, kind: str) -> int:
    """Characters of the widest shown value among the first rows."""
    if not values:
        return 0
    if kind == "text":
        return max(map(len, values))
    if kind in ("date", "month"):
        return 10 if kind == "date" else 7
    spec = ",.0f" if kind == "count" else f",.{1 if kind == 'ratio' else 2}f"
    return max(len(format(v, spec)) for v in _longest(values))


def _longest(values: list[float]) -> list[float]:
    """The figures whose rounded text can be the longest: the largest positive one, the most negative
    one (written as "-" and its size) and any that are not finite, the text of a rounded figure
    growing with its size."""
    figures = np.asarray(values, dtype=float)
    finite = np.isfinite(figures)
    out = figures[~finite].tolist()
    figures = figures[finite]
    negative = np.signbit(figures)
    if not negative.all():
        out.append(figures[~negative].max().item())
    if negative.any():
        out.append(figures[negative].min().item())
    return out
