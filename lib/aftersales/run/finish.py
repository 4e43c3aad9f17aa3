"""The end of a run: the spreadsheet, the landing page, alerts.csv and the manifest, written into
the run folder around the report pages (SPEC §5) before the folder is moved into place."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import platform
import shutil
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from aftersales.config import ALERT_COLUMNS
from aftersales.present.landing import landing_page, report_list
from aftersales.reports.periods import Period

PACKAGES = ("aftersales", "duckdb", "pandas", "numpy", "matplotlib", "papermill", "nbconvert",
            "nbclient", "ipykernel", "ipywidgets", "pyyaml")


log = logging.getLogger(__name__)


def versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Python's version and those of `names` (the packages the manifest lists), "not installed" when absent."""
    return dict(_versions(tuple(names)))


@functools.cache  # a run of 31 packs looks them up once (each lookup scans the installed packages)
def _versions(names: tuple[str, ...]) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _summaries(run: Path) -> dict[str, dict]:
    folder = run / "summaries"
    out = {}
    if folder.exists():
        for path in sorted(folder.glob("*.json")):
            out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def _alerts(run: Path) -> list[dict]:
    path = run / "alerts.csv"
    if not path.exists():
        path.write_text(",".join(ALERT_COLUMNS) + "\n", encoding="utf-8")
        return []
    import csv

    from aftersales.present.csvtables import restored

    with open(path, encoding="utf-8", newline="") as handle:  # names as the data has them, not as neutralised
        return [{k: restored(v) if isinstance(v, str) else v for k, v in row.items()} for row in csv.DictReader(handle)]


def _owner_names(run: Path) -> dict[str, str]:
    """Owner code → the rep's name, from the run's accounts owners table (empty without one)."""
    path = run / "tables" / "accounts" / "owners.csv"
    if not path.exists():
        return {}
    import csv

    from aftersales.present.csvtables import restored

    with open(path, encoding="utf-8", newline="") as handle:
        return {restored(row["owner"]): restored(row["name"]) for row in csv.DictReader(handle)
                if row.get("owner") and row.get("name")}


def missing_check(missing: dict | None) -> dict:
    """The data-quality check of branch codes on lines missing from `branches` (SPEC §6.1): rows and codes."""
    missing = missing or {}
    return {"check": "branch codes on lines missing from the branches table",
            "rows": sum(n for tables in missing.values() for n in tables.values()),
            "treatment": "counted in their branch, with an empty name and region", "codes": missing}


def finish(run: Path, out: Path, *, period: Period, reports, statuses: dict, settings: dict,
           parameters: dict, source_info: dict, seconds: float, book=None, pacing=None, scope: dict | None = None,
           league=None, missing_branches: dict | None = None, branch_packs: list[dict] | None = None) -> dict:
    """Write index.html, the spreadsheet, alerts.csv and manifest.json into the run folder `run`
    (which becomes `out` once complete); returns the manifest. `pacing` is the scope's pacing grid the
    landing page opens with; `scope` says which scope the pack is (run/group_step.scope_info). A group's
    pack also gets its Branches grid (`league`, shown second), the branch codes missing from `branches`
    (code → rows per table) and its branches' packs (`branch_packs`: code, name, href, alerts)."""
    from aftersales.present import workbook

    summaries = _summaries(run)
    alerts = _alerts(run)
    report_rows = report_list(run, reports, statuses)
    book_name = workbook.file_name(period.start, period.end)
    about = {"Dealer": settings["dealer_name"], "Period": f"{period.start} to {period.end}",
             "As of": period.as_of.isoformat()}
    if scope and scope.get("scope") == "branch":
        about["Branch"] = " ".join(filter(None, (scope["branch"], scope.get("name") and f"({scope['name']})")))
    try:
        book = book.close(about) if book is not None else workbook.write(run / book_name, run, about=about)
    except Exception as exc:  # the pages are the product; a spreadsheet failure is reported, not fatal
        log.exception("the spreadsheet could not be written")
        (run / book_name).unlink(missing_ok=True)
        book = {"file": None, "error": f"{type(exc).__name__}: {exc}"}
    from aftersales import present

    present.use_settings(settings)
    page = landing_page(period=period, dealer=settings["dealer_name"], reports=report_rows, alerts=alerts,
                        summaries=summaries, thresholds=settings.get("alerts", {}), workbook=book, pacing=pacing,
                        scope=scope, league=league, missing_branches=missing_branches, branch_packs=branch_packs,
                        owner_names=_owner_names(run))
    (run / "index.html").write_text(page, encoding="utf-8")
    manifest = {
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "as_of": period.as_of.isoformat(),
        "parameters": {**parameters, "out_dir": str(out)},
        "settings": settings,
        **source_info,
        "reports": {r["name"]: {k: r[k] for k in ("status", "error", "seconds", "cpu_seconds", "html_bytes",
                                                  "kernel_peak_mb")} for r in report_rows},
        "index_bytes": (run / "index.html").stat().st_size,
        "workbook": book,
        "rows": {name: s.get("rows") for name, s in summaries.items()},
        "data_quality": {**{name: s.get("quality", []) for name, s in summaries.items()},
                         **({"group": [missing_check(missing_branches)]} if league is not None else {})},
        "alerts": len(alerts),
        **({"scope": scope} if scope else {}),
        **({"branches": {"packs": [{k: b.get(k) for k in ("branch", "name", "folder", "folder_named", "alerts")}
                                   for b in branch_packs or []],
                         "missing_from_branches": missing_branches or {}}} if league is not None else {}),
        "seconds": round(seconds, 3),
        "versions": versions(),
    }
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    shutil.rmtree(run / "status", ignore_errors=True)
    shutil.rmtree(run / "summaries", ignore_errors=True)
    return manifest
