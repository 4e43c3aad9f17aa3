"""The files a run leaves around the report pages (SPEC §5): landing page, alerts, manifest."""

from __future__ import annotations

import datetime as dt
import html
import json
import platform
import shutil
from importlib import metadata
from pathlib import Path

import jinja2

from .config import ALERT_COLUMNS, PACKAGE_DIR, TEMPLATE_DIR
from .fmt import change_class, tile_text
from .periods import Period

PACKAGES = ("aftersales", "duckdb", "pandas", "numpy", "matplotlib", "papermill", "nbconvert",
            "nbclient", "ipykernel", "ipywidgets", "pyyaml", "openpyxl")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
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

    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def finish(run: Path, out: Path, *, period: Period, reports, statuses: dict, settings: dict,
           parameters: dict, source_info: dict, seconds: float) -> None:
    """Write index.html, alerts.csv and manifest.json into the run folder `run`."""
    summaries = _summaries(run)
    alerts = _alerts(run)
    report_rows = []
    for report in reports:
        status = statuses.get(report, {"status": "failed", "error": "not run"})
        report_rows.append({
            "name": report, "title": report.capitalize(), "status": status["status"],
            "error": status.get("error"), "seconds": status.get("seconds"),
            "html_bytes": status.get("html_bytes"),
            "href": f"{report}.html" if (run / f"{report}.html").exists() else None,
        })
    manifest = {
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "as_of": period.as_of.isoformat(),
        "parameters": {**parameters, "out_dir": str(out)},
        "settings": settings,
        **source_info,
        "reports": {r["name"]: {k: r[k] for k in ("status", "error", "seconds", "html_bytes")} for r in report_rows},
        "rows": {name: s.get("rows") for name, s in summaries.items()},
        "data_quality": {name: s.get("quality", []) for name, s in summaries.items()},
        "alerts": len(alerts),
        "seconds": round(seconds, 3),
        "versions": versions(),
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True)
    css = (PACKAGE_DIR / "static" / "pack.css").read_text(encoding="utf-8")
    js = (PACKAGE_DIR / "static" / "grid.js").read_text(encoding="utf-8")
    page = env.get_template("index.html.j2").render(
        dealer=settings["dealer_name"], period=period, reports=report_rows, alerts=alerts,
        summaries=summaries, css=css, js=js, tiles=landing_tiles(summaries),
    )
    (run / "index.html").write_text(page, encoding="utf-8")
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    shutil.rmtree(run / "status", ignore_errors=True)
    shutil.rmtree(run / "summaries", ignore_errors=True)


def landing_tiles(summaries: dict[str, dict]) -> list[dict]:
    """Headline tiles of the landing page from what each report recorded."""
    tiles = []
    for report, summary in summaries.items():
        for tile in summary.get("tiles", []):
            tiles.append({**tile, "report": report, "text": tile_text(tile),
                          "change_class": change_class(tile.get("change"))})
    return tiles
