"""Data-quality records: the rows a report read, used and set aside, and why (SPEC §2 "Bad input":
nothing is dropped silently)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class DataQuality:
    """Rows the report read, used and set aside, with the reason and the rows themselves."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)

    def add(self, check: str, rows: int, treatment: str, detail: pd.DataFrame | None = None) -> None:
        self.checks.append({"check": check, "rows": int(rows), "treatment": treatment})
        if detail is not None and len(detail):
            self.details[check] = detail

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.checks, columns=["check", "rows", "treatment"])
