"""Speed and memory of the workbook, measured: prints a table of medians.

    python benchmarks/bench.py [--data DIR] [--repeat N] [--skip-large]

Makes the demo data it needs with `aftersales demo-data` (small, medium, large) under
--data, then measures:
  1. the whole pack for a month on the small data (wall time);
  2. the whole pack for a month on the large data (wall time, largest kernel's peak memory),
     its runs alternating with the small data's;
  3. the parts and labour grids for the year to date on the large data, by the workbook's
     lib, against one hand-written DuckDB query per table straight on the files (the floor);
  4. the notebook machinery's share: pack wall time against the lib calls alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

AS_OF = "2026-11-25"
MONTH = ["--from", "2026-10-01", "--to", "2026-10-31", "--as-of", AS_OF]
YTD = (dt.date(2026, 1, 1), dt.date(2026, 11, 25))


def aftersales(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "aftersales", *args], capture_output=True, text=True)
    if done.returncode not in (0,):
        raise SystemExit(f"aftersales {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done


def dataset(data: Path, scale: str) -> Path:
    folder = data / scale
    if not (folder / "demo.json").exists():
        print(f"making the {scale} demo data in {folder} …", file=sys.stderr, flush=True)
        started = time.monotonic()
        aftersales("demo-data", str(folder), "--scale", scale, "--as-of", AS_OF)
        print(f"  {time.monotonic() - started:.0f} s", file=sys.stderr)
    return folder


def packs(sources: list[Path], repeat: int, folder: Path) -> list[tuple[float, list[float], float]]:
    """For each source: the median wall seconds of a month's pack, every run's seconds, and the
    largest kernel peak (MB). The sources' runs alternate (small, large, small, large…), so that
    a change in the machine's load falls on both alike. The packs are written under `folder`
    and kept: see `main`."""
    times: list[list[float]] = [[] for _ in sources]
    peaks: list[float] = [0.0 for _ in sources]
    for n in range(repeat):
        for i, source in enumerate(sources):
            out = folder / f"{source.name}-{n + 1}"
            started = time.monotonic()
            aftersales("run", "--source", str(source), *MONTH, "--out", str(out))
            times[i].append(time.monotonic() - started)
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            peaks[i] = max(peaks[i], *(r.get("kernel_peak_mb") or 0 for r in manifest["reports"].values()))
    return [(statistics.median(t), t, peak) for t, peak in zip(times, peaks)]


def _runs(times: list[float]) -> str:
    return "runs " + ", ".join(f"{t:.1f}" for t in times) + " s"


def lib_ytd(source: Path) -> float:
    """The eight parts and labour sales grids for the year to date through the lib, as the reports do."""
    from aftersales.reports import labour, parts
    from aftersales.reports.grids import in_period
    from aftersales.source.reader import Source

    with Source.open(source) as src:
        started = time.monotonic()
        p = src.table("parts_lines").filter(in_period("date_edit", *YTD))
        lab = src.table("labour_lines").filter(in_period("date_edit", *YTD))
        parts.sales_grids(p)  # the four grids and their totals, as the Parts report computes them
        labour.sales_grids(lab)  # the four grids with hours sold, as the Labour report computes them
        return time.monotonic() - started


FLOOR_PARTS = """
SELECT date_edit, department, sale_type, operator,
       COUNT(DISTINCT document) AS documents,
       COUNT(DISTINCT CASE WHEN doc_type = 'invoice' THEN document END) AS invoices,
       COUNT(DISTINCT CASE WHEN doc_type = 'credit' THEN document END) AS credits,
       SUM(quantity * retail_price) AS gross, SUM(discount) AS discount,
       SUM(quantity * selling_price - discount) AS net, SUM(quantity * cost_price) AS cost,
       SUM(quantity * selling_price - discount - quantity * cost_price) AS profit,
       SUM(COALESCE(menu_normal_value, 0) - COALESCE(menu_fixed_value, 0)) AS variance
FROM read_parquet('{path}')
WHERE date_edit BETWEEN DATE '{start}' AND DATE '{end}'
GROUP BY GROUPING SETS ((date_edit), (department), (sale_type), (operator), ())
"""

FLOOR_LABOUR = """
SELECT date_edit, department, labour_type, wip_owner,
       COUNT(DISTINCT document) AS documents,
       COUNT(DISTINCT CASE WHEN doc_type = 'invoice' THEN document END) AS invoices,
       COUNT(DISTINCT CASE WHEN doc_type = 'credit' THEN document END) AS credits,
       SUM(allowed_time * labour_rate * contribution / 100) AS gross, SUM(discount) AS discount,
       SUM(allowed_time * labour_rate * contribution / 100 - discount) AS net,
       SUM(CASE WHEN flat_rate THEN allowed_time ELSE time_taken END * cost_per_hour
           * minutes_per_unit / 60 * contribution / 100) AS cost,
       SUM(COALESCE(menu_fixed_value, 0) - COALESCE(menu_normal_value, 0)) AS variance
FROM read_parquet('{path}')
WHERE date_edit BETWEEN DATE '{start}' AND DATE '{end}' AND COALESCE(document, '') <> ''
GROUP BY GROUPING SETS ((date_edit), (department), (labour_type), (wip_owner), ())
"""


def floor_ytd(source: Path) -> float:
    import duckdb

    con = duckdb.connect()
    started = time.monotonic()
    for sql, table in ((FLOOR_PARTS, "parts_lines"), (FLOOR_LABOUR, "labour_lines")):
        con.execute(sql.format(path=source / f"{table}.parquet", start=YTD[0], end=YTD[1])).fetchall()
    return time.monotonic() - started


def lib_builds(source: Path) -> float:
    """Every report's build() in this process, without notebooks, kernels or HTML."""
    from aftersales.reports import accounts, labour, parts, sales, workshop
    from aftersales.run import context as report

    started = time.monotonic()
    for name, module in (("parts", parts), ("labour", labour), ("workshop", workshop),
                         ("accounts", accounts), ("sales", sales)):
        ctx = report.start(name, source=str(source), date_from=MONTH[1], date_to=MONTH[3], as_of=AS_OF)
        module.build(ctx)
    return time.monotonic() - started


def median_of(fn, source: Path, repeat: int) -> float:
    return statistics.median(fn(source) for _ in range(repeat))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="benchmarks/data", help="where the demo datasets are made")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true", help="measure the small data only")
    args = parser.parse_args()
    data = Path(args.data)
    rows = []
    small = dataset(data, "small")
    large = None if args.skip_large else dataset(data, "large")
    # The packs are kept (and listed at the end), never deleted by the benchmark: on this
    # machine's disk, files created in the minutes after thousands were deleted take up to ten
    # times longer to create, and the 8,300 drafts of a large month would time that instead.
    folder = data / "packs" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    timed = packs([small] if large is None else [small, large], args.repeat, folder)
    small_wall, small_times, small_peak = timed[0]
    rows.append(("1. month pack, small data", f"{small_wall:.1f} s",
                 f"largest kernel {small_peak:.0f} MB; {_runs(small_times)}"))
    if large is not None:
        large_wall, large_times, large_peak = timed[1]
        lines = json.loads((large / "demo.json").read_text())["rows"]["parts_lines"]
        rows.append((f"2. month pack, large data ({lines:,} parts lines)", f"{large_wall:.1f} s",
                     f"largest kernel {large_peak:.0f} MB; {large_wall / small_wall:.2f}× the small pack; "
                     f"{_runs(large_times)}"))
        lib = median_of(lib_ytd, large, args.repeat)
        floor = median_of(floor_ytd, large, args.repeat)
        rows.append(("3. YTD parts + labour grids, large, lib", f"{lib:.2f} s",
                     f"{lib / floor:.2f}× the DuckDB floor ({floor:.2f} s)"))
    builds = median_of(lib_builds, small, args.repeat)
    rows.append(("4. lib calls alone, small month", f"{builds:.1f} s",
                 f"notebook machinery {100 * (1 - builds / small_wall):.0f} % of the pack's wall time"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {machine()}; medians of {args.repeat} runs; this script's own peak {peak:.0f} MB\n")
    print("| measure | time | notes |\n|---|---|---|")
    for measure, value, note in rows:
        print(f"| {measure} | {value} | {note} |")
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    print(f"\nThe packs are in {folder} ({size:,.0f} MB); remove {data / 'packs'} when done.")


if __name__ == "__main__":
    main()
