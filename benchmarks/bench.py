"""Speed and memory of the workbook, measured: prints a table of medians.

    python benchmarks/bench.py [--data DIR] [--repeat N] [--skip-large]

Makes the demo data it needs with `aftersales demo-data` (small, medium, large) under
--data, then measures:
  1. the whole pack for a month on the small data (wall time);
  2. the whole pack for a month on the large data (wall time, largest kernel's peak memory),
     its runs alternating with the small data's;
  3. the parts and labour grids for the year to date on the large data, by the workbook's
     lib, against one hand-written DuckDB query per table straight on the files (the floor);
  4. the notebook machinery's share: pack wall time against the lib calls alone (every code
     cell of the report notebooks run in one process, no kernel; and the reports' build() alone);
  5. the Dask executor (`--executor dask`) on a LocalCluster of two single-threaded worker
     processes against the local executor, on the same data (--skip-dask leaves it out);
  6. a dealer group (--group): the large data split over 30 branches (`demo-data --branches 30`,
     the same total volume), the group's month pack with `--by-branch` (31 packs) against the
     single pack (no --by-branch) on the same data, alternating, as a ratio, and the largest
     process's peak memory (`--only-group` measures this alone); and the floor of that run: the
     same --by-branch run with notebooks that only take their parameters (what 31 packs cost
     whatever their reports compute), against the group's pack; what a branch's charts and queries cost
     against what that leaves a branch; and what its pages cost when every query is answered from memory
     (the most one pass grouped by branch could save).
"""

from __future__ import annotations

import argparse
import contextlib
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


def aftersales(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "aftersales", *args], capture_output=True, text=True, env=env)
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


def dask_packs(sources: list[Path], repeat: int, folder: Path) -> list[tuple[float, list[float]]]:
    """For each source: the median wall seconds of a month's pack run with `--executor dask` on a
    LocalCluster of two single-threaded worker processes (loopback), and every run's seconds. The
    cluster stays up between runs, as a group's does, and one untimed run of the first source
    starts its workers' report servers first."""
    import logging

    from distributed import LocalCluster

    times: list[list[float]] = [[] for _ in sources]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster:
        on_dask = ["--executor", "dask", "--scheduler", cluster.scheduler_address]
        aftersales("run", "--source", str(sources[0]), *MONTH, "--out", str(folder / "dask-warm-up"), *on_dask)
        for n in range(repeat):
            for i, source in enumerate(sources):
                started = time.monotonic()
                aftersales("run", "--source", str(source), *MONTH, "--out", str(folder / f"{source.name}-dask-{n + 1}"),
                           *on_dask)
                times[i].append(time.monotonic() - started)
    return [(statistics.median(t), t) for t in times]


#: The branches of the group benchmark's data.
GROUP_BRANCHES = 30


def group_dataset(data: Path) -> Path:
    folder = data / f"large-{GROUP_BRANCHES}"
    if not (folder / "demo.json").exists():
        print(f"making the large demo data over {GROUP_BRANCHES} branches in {folder} …", file=sys.stderr, flush=True)
        aftersales("demo-data", str(folder), "--scale", "large", "--branches", str(GROUP_BRANCHES), "--as-of", AS_OF)
    return folder


#: Runs one command and prints the largest peak resident memory (kB) among the processes it waited for.
_PEAK = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")


def group_packs(source: Path, repeat: int, folder: Path) -> dict[str, tuple[float, list[float], float]]:
    """The group's month pack alone and with `--by-branch`, alternating: per kind the median wall
    seconds, every run's seconds and the largest process's peak memory (MB): the run's own process
    (and what it waited for) or a report's kernel, from every pack's manifest."""
    out: dict[str, tuple[list[float], float]] = {"single": ([], 0.0), "by-branch": ([], 0.0)}
    for n in range(repeat):
        for kind, extra in (("single", []), ("by-branch", ["--by-branch"])):
            pack = folder / f"{source.name}-{kind}-{n + 1}"
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m", "aftersales", "run", "--source",
                                   str(source), *MONTH, "--out", str(pack), *extra], capture_output=True, text=True)
            wall = time.monotonic() - started
            if done.returncode != 0:
                raise SystemExit(f"the {kind} group run failed:\n{done.stderr[-2000:]}")
            peak = float(done.stdout.strip().splitlines()[-1]) / 1024
            for manifest in pack.rglob("manifest.json"):
                reports = json.loads(manifest.read_text(encoding="utf-8"))["reports"].values()
                peak = max(peak, *(r.get("kernel_peak_mb") or 0 for r in reports))
            times, top = out[kind]
            times.append(wall)
            out[kind] = (times, max(top, peak))
            print(f"  {kind} {wall:.1f} s, peak {peak:.0f} MB", file=sys.stderr, flush=True)
    return {kind: (statistics.median(times), times, peak) for kind, (times, peak) in out.items()}


def empty_notebooks(folder: Path) -> Path:
    """Copies of the report notebooks that keep only their parameters cell: a run with them pays
    every report's process, kernel, papermill and page export, and every pack's pacing, landing
    page, spreadsheet and manifest, but computes no report."""
    from aftersales.config import NOTEBOOK_DIR

    folder.mkdir(parents=True, exist_ok=True)
    for notebook in NOTEBOOK_DIR.glob("*.ipynb"):
        book = json.loads(notebook.read_text(encoding="utf-8"))
        book["cells"] = [c for c in book["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        (folder / notebook.name).write_text(json.dumps(book), encoding="utf-8")
    return folder


def machinery_floor(source: Path, folder: Path) -> float:
    """Wall seconds of a --by-branch run whose notebooks compute nothing (`empty_notebooks`)."""
    env = dict(os.environ, AFTERSALES_NOTEBOOKS=str(empty_notebooks(folder / "empty-notebooks")))
    started = time.monotonic()
    aftersales("run", "--source", str(source), *MONTH, "--out", str(folder / f"{source.name}-floor"), "--by-branch",
               env=env)
    return time.monotonic() - started


def report_cpu(pack: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Processor seconds per report (its process and kernel, from the manifests) of a --by-branch
    pack: the group's, and the mean over its branches' packs."""
    group = {name: r["cpu_seconds"] for name, r in
             json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["reports"].items()}
    branches: dict[str, list[float]] = {}
    for manifest in (pack / "branches").glob("*/manifest.json"):
        for name, r in json.loads(manifest.read_text(encoding="utf-8"))["reports"].items():
            branches.setdefault(name, []).append(r["cpu_seconds"])
    return group, {name: statistics.mean(values) for name, values in branches.items()}


def group_rows(data: Path, repeat: int, folder: Path) -> list[tuple[str, str, str]]:
    source = group_dataset(data)
    timed = group_packs(source, repeat, folder)
    single, by_branch = timed["single"], timed["by-branch"]
    group, branch = report_cpu(folder / f"{source.name}-by-branch-{repeat}")
    shares = ", ".join(f"{name} {branch[name]:.1f} s / {group[name]:.1f} s" for name in branch if name in group)
    floor = machinery_floor(source, folder)
    left = 5 * single[0] - floor - single[0]
    rows = [
        (f"6a. month pack, large data over {GROUP_BRANCHES} branches, the group's pack alone", f"{single[0]:.1f} s",
         f"largest process {single[2]:.0f} MB; {_runs(single[1])}"),
        (f"6b. the same with --by-branch ({GROUP_BRANCHES + 1} packs)", f"{by_branch[0]:.1f} s",
         f"{by_branch[0] / single[0]:.2f}× the group's pack alone (target ≤ 5×); largest process "
         f"{by_branch[2]:.0f} MB; {_runs(by_branch[1])}"),
        ("6c. processor time of a report, a branch's (mean of the branches) against the group's, in the last "
         "--by-branch run", f"{sum(branch.values()):.1f} s / {sum(group.values()):.1f} s",
         f"a branch pack against the group's (its {len(branch)} reports against {len(group)}: a branch has no Sales "
         f"report); {shares}. A branch holds 1/{GROUP_BRANCHES} of the data: what a report pays whatever its size "
         "(kernel, charts, tables, emails, the branch's queries over the group's files) dominates"),
        ("6d. the floor of 6b: the same --by-branch run with notebooks that only take their parameters",
         f"{floor:.1f} s", f"{floor / single[0]:.2f}× the group's pack alone, for every report's process, kernel and "
         f"page and every pack's pacing, landing page and spreadsheet. 5× the group's pack, less this floor and less "
         f"the group's pack itself, leaves {left:.0f} s of wall time, about {2 * left / GROUP_BRANCHES:.1f} "
         "processor-seconds a branch on 2 cores, for its reports' "
         "queries, grids, charts and tables (6c: what they take today)"),
    ]
    import aftersales.run.warm  # noqa: F401 - imported before timing, as a pack's kernels have it imported
    measured = branch_charts(source)
    per_branch = 2 * left / GROUP_BRANCHES
    rows.append(("6e. a branch's charts and queries: processor time of the charts its reports draw and of their "
                 "DuckDB queries, against all its reports' cells (one process, no kernel), for the smallest, the "
                 "median and the largest branch",
                 " · ".join(f"{charts:.1f} s + {queries:.1f} s / {cells:.1f} s"
                            for _, _, cells, charts, _, queries, _ in measured),
                 "; ".join(f"branch {code} ({lines:,} parts lines in the month): {n} charts, "
                           f"{100 * charts / cells:.0f} % of its cells, {charts / per_branch:.2f}× the "
                           f"{per_branch:.1f} processor-seconds 6d leaves a branch; {fetches} fetches of rows, "
                           f"{100 * queries / cells:.0f} % of its cells"
                           for code, lines, cells, charts, n, queries, fetches in measured)))
    free = answered_from_memory(source, [code for code, *_ in measured])
    rows.append(("6f. the same branches' cells with every query answered from memory (as if one pass grouped by "
                 "branch had computed every branch's rows): what their pages cost whatever the engine",
                 " · ".join(f"{seconds:.1f} s" for seconds in free),
                 "; ".join(f"branch {code}: {seconds / per_branch:.2f}× the {per_branch:.1f} processor-seconds 6d "
                           f"leaves a branch ({seconds / cells:.0%} of its cells in 6e)"
                           for (code, _, cells, *_), seconds in zip(measured, free))))
    return rows


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
    from aftersales.reports import accounts, labour, operations_report, parts, sales, workshop
    from aftersales.run import context as report

    started = time.monotonic()
    for name, module in (("parts", parts), ("labour", labour), ("workshop", workshop),
                         ("operations", operations_report), ("accounts", accounts), ("sales", sales)):
        ctx = report.start(name, source=str(source), date_from=MONTH[1], date_to=MONTH[3], as_of=AS_OF)
        module.build(ctx)
    return time.monotonic() - started


def _cells(reports) -> dict[str, list]:
    """The code cells of each report notebook but its parameters cell, compiled."""
    from aftersales.config import NOTEBOOK_DIR

    cells = {}
    for name in reports:
        book = json.loads((NOTEBOOK_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
        cells[name] = [compile("".join(c["source"]), f"{name}.ipynb", "exec") for c in book["cells"]
                       if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])]
    return cells


def _run_cells(cells: dict[str, list], source: Path, branch: str = "") -> None:
    """Every cell of `cells` in this process for the month, as a pack's kernels run them (the report's
    build, its tables and charts as HTML, its CSV tables), each report in a fresh namespace, without
    papermill, kernels or the page export."""
    import tempfile

    shown: list[str] = []

    def display(*objs, **_):
        shown.extend(o._repr_html_() if hasattr(o, "_repr_html_") else repr(o) for o in objs)

    with tempfile.TemporaryDirectory() as out:
        for code in cells.values():
            space = {"display": display, "source": str(source), "period": "", "date_from": MONTH[1],
                     "date_to": MONTH[3], "as_of": AS_OF, "params_file": "", "out_dir": out,
                     "interactive": False, "branch": branch}
            for cell in code:
                exec(cell, space)


def notebook_calls(source: Path) -> float:
    """Every code cell of every report notebook, run in this process for the small month (`_run_cells`):
    the lib calls a pack makes."""
    from aftersales.config import REPORTS

    cells = _cells(REPORTS)
    started = time.monotonic()
    _run_cells(cells, source)
    return time.monotonic() - started


#: The chart functions of `present.charts` the notebooks call.
CHARTS = ("sales_chart", "bar_chart", "line_chart", "scatter_chart", "hbar_chart")
#: How the reports fetch a DuckDB relation's rows (where its query runs).
FETCHES = ("df", "fetchall")


@contextlib.contextmanager
def _replaced(owner, names, wrap):
    """Each of `names` on `owner` (a module or a class) replaced by `wrap(name, original)` inside the
    block, and put back after it whatever happens."""
    originals = {name: getattr(owner, name) for name in names}
    try:
        for name, original in originals.items():
            setattr(owner, name, wrap(name, original))
        yield
    finally:
        for name, original in originals.items():
            setattr(owner, name, original)


def _branch_cells() -> dict[str, list]:
    """The cells of a branch pack's reports: every report but Sales, which is the group's alone."""
    from aftersales.config import REPORTS

    return _cells([r for r in REPORTS if r != "sales"])


def branch_charts(source: Path) -> list[tuple[str, int, float, float, int, float, int]]:
    """For the smallest, the median and the largest branch (by parts lines in the month): its parts lines,
    the processor seconds of every cell of its reports run in this process (`_run_cells`), the share of
    them its charts take (each chart function timed as the notebooks call it), how many charts, and the
    share its DuckDB queries take (each fetch of a relation's rows into Python timed, its engine's
    threads included) with how many fetches."""
    import duckdb

    from aftersales.present import charts

    con = duckdb.connect()
    lines = source / "parts_lines.parquet"
    sizes = con.execute(f"SELECT branch, COUNT(*) FROM read_parquet('{lines}') WHERE date_edit BETWEEN "
                        f"DATE '{MONTH[1]}' AND DATE '{MONTH[3]}' GROUP BY 1 ORDER BY 2, 1").fetchall()
    con.close()
    picked = [sizes[0], sizes[len(sizes) // 2], sizes[-1]]
    cells = _branch_cells()
    spent: list[float] = []
    fetched: list[float] = []

    def timed(into):
        def wrap(_, original):
            def call(*args, **kwargs):
                started = time.process_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    into.append(time.process_time() - started)
            return call
        return wrap

    _run_cells(cells, source, picked[0][0])  # once before timing: imports, fonts, the first chart
    out = []
    with _replaced(charts, CHARTS, timed(spent)), _replaced(duckdb.DuckDBPyRelation, FETCHES, timed(fetched)):
        for branch, lines in picked:
            spent.clear()
            fetched.clear()
            started = time.process_time()
            _run_cells(cells, source, branch)
            out.append((branch, lines, time.process_time() - started, sum(spent), len(spent), sum(fetched),
                        len(fetched)))
    return out


def answered_from_memory(source: Path, branches: list[str]) -> list[float]:
    """Processor seconds of every cell of each branch's reports (as `branch_charts` runs them) when every
    fetch of rows is answered from memory: filled by a first run of the same cells, then timed in a second,
    as if one pass grouped by branch had already computed every branch's rows. What stays is the pages' own
    cost: grids from their rows, charts, tables, CSV files, emails."""
    import copy

    import duckdb

    cells = _branch_cells()
    answers: dict[tuple, object] = {}

    def remembered(name, fetch):
        def call(relation, *args, **kwargs):
            key = (name, relation.sql_query(), repr(args), repr(sorted(kwargs.items())))
            if key not in answers:
                answers[key] = fetch(relation, *args, **kwargs)
            return copy.copy(answers[key])  # a frame or a list of rows the caller may change
        return call

    out = []
    with _replaced(duckdb.DuckDBPyRelation, FETCHES, remembered):
        for branch in branches:
            _run_cells(cells, source, branch)  # fills `answers`
            started = time.process_time()
            _run_cells(cells, source, branch)
            out.append(time.process_time() - started)
    return out


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
    parser.add_argument("--skip-dask", action="store_true", help="leave out the Dask executor's measure")
    parser.add_argument("--group", action="store_true", help="also measure a 30-branch group (6.)")
    parser.add_argument("--only-group", action="store_true", help="measure the 30-branch group (6.) alone")
    args = parser.parse_args()
    data = Path(args.data)
    rows = []
    if args.only_group:
        folder = data / "packs" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        rows = group_rows(data, args.repeat, folder)
        print(f"Machine: {machine()}; medians of {args.repeat} runs\n")
        print("| measure | time | notes |\n|---|---|---|")
        for measure, value, note in rows:
            print(f"| {measure} | {value} | {note} |")
        print(f"\nThe packs are in {folder}; remove {data / 'packs'} when done.")
        return
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
    import aftersales.run.warm  # noqa: F401 - imported before timing, as a pack's kernels have it imported
    builds = median_of(lib_builds, small, args.repeat)
    calls = median_of(notebook_calls, small, args.repeat)
    rows.append(("4. lib calls alone, small month: the notebooks' cells in one process", f"{calls:.1f} s",
                 f"notebook machinery (papermill, kernels, page export) {100 * (1 - calls / small_wall):.0f} % of "
                 f"the pack's wall time; the reports' build() alone {builds:.1f} s "
                 f"({100 * (1 - builds / small_wall):.0f} % against it)"))
    if not args.skip_dask:
        sources = [small] if large is None else [small, large]
        for (wall, times), source, (local_wall, _, _) in zip(dask_packs(sources, args.repeat, folder), sources, timed):
            rows.append((f"5. month pack, {source.name} data, Dask executor (2-worker LocalCluster)", f"{wall:.1f} s",
                         f"{wall / local_wall:.2f}× the local executor ({local_wall:.1f} s); {_runs(times)}"))
    if args.group:
        rows.extend(group_rows(data, args.repeat, folder))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {machine()}; medians of {args.repeat} runs; this script's own peak {peak:.0f} MB\n")
    print("| measure | time | notes |\n|---|---|---|")
    for measure, value, note in rows:
        print(f"| {measure} | {value} | {note} |")
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20
    print(f"\nThe packs are in {folder} ({size:,.0f} MB); remove {data / 'packs'} when done.")


if __name__ == "__main__":
    main()
