"""The built-in demo dataset: made on first use, remade when a later as-of needs newer data."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import shutil
from pathlib import Path
from typing import Callable

from aftersales.config import DEMO_DIR
from aftersales.source.demo.build import GENERATOR_VERSION, generate


def _made_for(folder: Path) -> dt.date | None:
    """The as-of the cached demo was made for; None when absent or made by another generator."""
    meta = folder / "demo.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        if data.get("version") != GENERATOR_VERSION:
            return None
        return dt.date.fromisoformat(data["as_of"])
    except (OSError, ValueError, KeyError):
        return None


def ensure(as_of: dt.date, folder: Path = DEMO_DIR, progress: Callable[[str], None] | None = None) -> Path:
    """The demo folder, holding data up to at least `as_of` (one process makes it at a time)."""
    folder = Path(folder)
    made = _made_for(folder)
    if made is not None and made >= as_of:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / ".demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = _made_for(folder)
        if made is None or made < as_of:
            fresh = folder.with_name(folder.name + ".new")
            shutil.rmtree(fresh, ignore_errors=True)
            generate(fresh, as_of=as_of, seed=0, scale="small", progress=progress)
            shutil.rmtree(folder, ignore_errors=True)
            fresh.rename(folder)
    return folder
