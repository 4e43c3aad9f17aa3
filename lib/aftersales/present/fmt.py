"""How a figure is written for people: money, ratios, hours, counts, dates."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd


def fixed(value, places: int) -> str:
    """`value` with `places` decimals and thousands separators, rounded half away from zero from
    its exact decimal digits: 3325.075 shows 3,325.08 (binary-float formatting shows 3,325.07)."""
    try:
        exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        shown = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, OverflowError):
        return f"{float(value):,.{places}f}"
    text = f"{shown:,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


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
        return fixed(value, 2), repr(float(value))
    if kind == "ratio":
        return fixed(value, 1), repr(float(value))
    if kind in ("factor", "hours"):
        return fixed(value, 2), repr(float(value))
    if kind == "quantity":
        v = float(value)
        return (fixed(v, 0) if v.is_integer() else fixed(v, 2)), repr(v)
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
