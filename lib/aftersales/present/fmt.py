"""How a figure is written for people: money, ratios, hours, counts, dates."""

from __future__ import annotations

import math

import pandas as pd


def cell(value, kind: str) -> tuple[str, str]:
    """(shown text, sort value) of one cell; a figure that rounds to zero shows no minus sign."""
    text, sort = _cell(value, kind)
    if kind in ("money", "ratio", "factor", "hours", "quantity") and text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]
    return text, sort


def _cell(value, kind: str) -> tuple[str, str]:
    if _empty(value):
        return "", ""
    if kind == "date":
        text = pd.Timestamp(value).strftime("%Y-%m-%d")
        return text, text
    if kind == "money":
        return f"{value:,.2f}", repr(float(value))
    if kind == "ratio":
        return f"{value:,.1f}", repr(float(value))
    if kind == "factor":
        return f"{value:,.2f}", repr(float(value))
    if kind == "hours":
        return f"{value:,.2f}", repr(float(value))
    if kind == "quantity":
        v = float(value)
        return (f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"), repr(v)
    if kind == "count":
        return f"{int(value):,}", str(int(value))
    return str(value), str(value)


def _empty(value) -> bool:
    """None, NaN, NaT and pandas' NA: an empty cell."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def tile_text(tile: dict) -> str:
    """The shown value of a headline tile ({value, kind})."""
    text, _ = cell(tile.get("value"), tile.get("kind", "money"))
    return text or "–"


def change_class(delta) -> str:
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return ""
    return "as-up" if delta > 0 else "as-down" if delta < 0 else ""
