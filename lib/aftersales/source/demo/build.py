"""The demo generator put together: ``_Demo`` composes the table families, ``generate`` writes the files."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from aftersales.source.contract import TABLES
from aftersales.source.demo.accounts import _Accounts
from aftersales.source.demo.base import FORMATS, SCALES
from aftersales.source.demo.clockings import _Clockings
from aftersales.source.demo.crm import _Crm
from aftersales.source.demo.groups import MAX_BRANCHES, _Groups
from aftersales.source.demo.history import _History
from aftersales.source.demo.labour import _Labour
from aftersales.source.demo.parts import _Parts
from aftersales.source.demo.plans import _Plans
from aftersales.source.demo.stock import _Stock
from aftersales.source.demo.store import _Store

#: Bumped whenever the generator (this package) changes what it writes: a cached demo of
#: another version is remade.
GENERATOR_VERSION = 2


class _Demo(_History, _Clockings, _Labour, _Parts, _Stock, _Plans, _Crm, _Accounts, _Groups):
    """The whole generator: every table family over the shared state of ``base._Base``."""

    def make_reference(self) -> None:
        self._make_branches()
        self._make_reps()
        self._make_accounts()
        self._make_parts()


def generate(out_dir: str | Path, *, as_of: datetime.date, seed: int = 0, scale: str = "small",
             fmt: str = "parquet", progress: Callable[[str], None] | None = None,
             branches: int = 1) -> dict[str, int]:
    """Write every table of contract.TABLES as <out_dir>/<table>.<fmt> (fmt 'parquet' or 'csv'),
    plus <out_dir>/demo.json ({"seed", "scale", "branches", "as_of", "format", "rows": {...}, "version"});
    return rows per table.

    ``branches`` (1 to MAX_BRANCHES) splits the same total volume over that many branches "01", "02", ….
    Deterministic: the same seed, scale, branches and as_of give byte-identical files.
    demo.json is written last, so its presence means the dataset is complete.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if isinstance(as_of, datetime.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, datetime.date):
        raise TypeError(f"as_of must be a datetime.date, not {type(as_of).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if isinstance(branches, bool) or not isinstance(branches, (int, np.integer)) \
            or not 1 <= branches <= MAX_BRANCHES:
        raise ValueError(f"branches must be a whole number from 1 to {MAX_BRANCHES}, not {branches!r}")
    say = progress or (lambda message: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta_path = out / "demo.json"
    if meta_path.exists():  # an earlier demo in the other format must not shadow this one
        meta_path.unlink()
        for name in TABLES:
            for ext in FORMATS:
                stale = out / f"{name}.{ext}"
                if ext != fmt and stale.exists():
                    stale.unlink()

    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out))
    store = _Store(tmp)
    try:
        demo = _Demo(store, as_of, int(seed), scale, say, int(branches))
        say("reference data")
        demo.make_reference()
        demo.history()
        say("purchase orders and CRM")
        demo.purchase_orders()
        demo.crm()
        demo.targets()
        say("budgets, overheads, stock file and codes")
        demo.budgets()
        demo.overheads()
        demo.parts_stock()
        demo.branches_table()
        demo.codes_table()
        rows = {}
        for name in TABLES:
            say(f"writing {name}.{fmt}")
            store.write(name, out / f"{name}.{fmt}", fmt)
            rows[name] = store.count(name)
    finally:
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"seed": int(seed), "scale": scale, "branches": int(branches), "as_of": as_of.isoformat(),
            "format": fmt, "rows": rows, "version": GENERATOR_VERSION}
    tmp_meta = meta_path.with_name("demo.json.part")
    tmp_meta.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp_meta, meta_path)
    return rows
