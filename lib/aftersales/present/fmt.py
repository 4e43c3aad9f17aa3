"""How a figure is written for people: money, ratios, hours, counts, dates, yes/no, changes.

A change that rounds to zero is written `0.0` (never `-0.0` or `+0.0`) and takes no colour; a
rise is coloured as good, a fall as bad (`change_class`)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
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
    if isinstance(value, (bool, np.bool_)) and kind in ("text", "count"):
        return ("Yes", "Yes") if value else ("No", "No")
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


def change_class(delta, places: int = 1) -> str:
    """The colour of a change: `as-up` (good) for a rise, `as-down` for a fall, none for an empty
    change or one that shows as zero at `places` decimals (a change is shown with one decimal)."""
    if _empty(delta):
        return ""
    try:
        shown = Decimal(repr(float(delta))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, OverflowError):
        return ""
    return "as-up" if shown > 0 else "as-down" if shown < 0 else ""


#: A signed zero in a change's text: "-0.0", "+0.00", "−0.0" (not "-0.05" nor "+0.0 1").
_SIGNED_ZERO = re.compile(r"(?<![\w.,])[+\-\u2212](0(?:\.0+)?)(?![\d.,]*[1-9])(?![\d])")


def change_text(text: str) -> str:
    """A change's text with every zero unsigned: "-0.0 pts vs prior year" → "0.0 pts vs prior year"."""
    return _SIGNED_ZERO.sub(r"\1", text)
