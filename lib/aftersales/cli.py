"""The command line (SPEC §4): `aftersales run | demo-data | validate | notify | load`.

Each subcommand's options mirror one library call; errors a user can fix are printed as
one clear message (no traceback) with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from aftersales.config import REPORTS

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aftersales", description="The aftersales reporting workbook.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the report pack for a period")
    run.add_argument("--source", help="folder of CSV/Parquet files, a .duckdb file or a database URL "
                                      "(default: the built-in demo data)")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--period", help="today, mtd (default), ytd, last-month or last-year")
    run.add_argument("--from", dest="date_from", metavar="DATE", help="first day of a custom period (YYYY-MM-DD)")
    run.add_argument("--to", dest="date_to", metavar="DATE", help="last day of a custom period (YYYY-MM-DD)")
    run.add_argument("--as-of", metavar="DATE", help="the day the figures are as of (default: today)")
    run.add_argument("--reports", default=",".join(REPORTS), help=f"comma-separated, from {','.join(REPORTS)}")
    run.add_argument("--params", metavar="FILE.yaml", help="settings laid over params/default.yaml")
    run.add_argument("--out", metavar="DIR", help="write the pack to exactly this folder")
    run.add_argument("--jobs", type=int, metavar="N", help="reports run at once (default: cores + 1)")
    run.add_argument("--no-wait", action="store_true",
                     help="refuse to start when another run writes the same folder (default: wait for it)")
    run.add_argument("--executor", choices=("local", "dask"), default="local",
                     help="where the reports run: processes on this machine (default), or tasks on a Dask cluster")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="the Dask scheduler of --executor dask, e.g. tcp://HOST:8786 (the source must be "
                          "reachable from every worker: a database URL, or a path on a shared disk)")
    scope = run.add_mutually_exclusive_group()
    scope.add_argument("--branch", metavar="CODE", help="make one branch's pack (a code as on the lines)")
    scope.add_argument("--by-branch", action="store_true",
                       help="make the group's pack and one pack per branch in OUT/branches/BRANCH/")

    demo = sub.add_parser("demo-data", help="write the demo dataset")
    demo.add_argument("dir", help="folder to write the tables to")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--scale", choices=("small", "medium", "large"), default="small")
    demo.add_argument("--as-of", metavar="DATE", help="the last day of the data (default: today)")
    demo.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    demo.add_argument("--branches", type=int, default=1, metavar="N",
                      help="a group of N branches sharing the same total volume (default: 1, one dealer)")

    val = sub.add_parser("validate", help="check a source against the data contract")
    val.add_argument("--source", required=True)

    note = sub.add_parser("notify", help="send a run's alert emails (or, with --digest, its digests)")
    note.add_argument("run_dir", metavar="RUN_DIR", help="the run folder whose emails/ are sent")
    note.add_argument("--smtp", required=True, metavar="HOST:PORT", help="the mail server")
    note.add_argument("--sender", metavar="ADDRESS", help="From address (default: the settings' notify.sender)")
    note.add_argument("--params", metavar="FILE.yaml",
                      help="settings laid over params/default.yaml (default: those the run was made with)")
    note.add_argument("--dry-run", action="store_true", help="list what would be sent; send nothing")
    note.add_argument("--digest", action="store_true",
                      help="send the run's digests instead of the alert emails: one email per owner, branch "
                           "manager and the principal (pacing, alerts by money at stake, accounts up and down, league)")

    load = sub.add_parser("load", help="copy a source's tables into a database (typed, keyed, indexed)")
    load.add_argument("src", metavar="SRC", help="folder of CSV/Parquet files, a .duckdb file or a database URL")
    load.add_argument("--into", required=True, metavar="URL",
                      help="the database, e.g. postgresql://user@host:5432/db (the password in PGPASSWORD)")
    load.add_argument("--replace", action="store_true", help="drop and load again the tables that exist already")
    load.add_argument("--schema", metavar="S", help="the schema to create the tables in (default: the database's)")
    return parser


def _run(args) -> int:
    from aftersales.reports.periods import resolve
    from aftersales.run.runner import RunRequest, run

    period = resolve(args.period, as_of=args.as_of, date_from=args.date_from, date_to=args.date_to,
                     names={"as_of": "--as-of", "from": "--from", "to": "--to"})
    request = RunRequest(
        period=period, source=args.source, reports=[r.strip() for r in args.reports.split(",") if r.strip()],
        params_file=args.params, out=args.out, jobs=args.jobs, wait_for_lock=not args.no_wait,
        executor=args.executor, scheduler=args.scheduler, branch=args.branch, by_branch=args.by_branch,
    )
    result = run(request, progress=_say)
    failed = [name for name, s in result.statuses.items() if s["status"] != "ok"]
    if failed:
        _say(f"failed: {', '.join(failed)} (see the index for why)")
    print(result.out / "index.html")
    return EXIT_OK if result.ok else EXIT_FAILED


def _demo(args) -> int:
    from aftersales.reports.periods import parse_date
    from aftersales.source.demo import MAX_BRANCHES, generate

    as_of = parse_date(args.as_of, "--as-of") if args.as_of else dt.date.today()
    if not 1 <= args.branches <= MAX_BRANCHES:
        _say(f"error: --branches must be from 1 to {MAX_BRANCHES}, not {args.branches}")
        return EXIT_INVALID
    rows = generate(Path(args.dir), as_of=as_of, seed=args.seed, scale=args.scale, fmt=args.format, progress=_say,
                    branches=args.branches)
    for table, count in rows.items():
        _say(f"{table}: {count:,} rows")
    print(Path(args.dir).resolve())
    return EXIT_OK


def _validate(args) -> int:
    from aftersales.source.reader import Source
    from aftersales.source.validate import validate

    with Source.open(args.source) as source:
        problems = validate(source)
        if problems:
            for problem in problems:
                _say(f"error: {problem.message}")
            return EXIT_INVALID
        for table, count in source.row_counts().items():
            print(f"{table}: {count:,} rows")
    print("the source meets the data contract")
    return EXIT_OK


def _notify(args) -> int:
    from aftersales import params
    from aftersales.notify import send, send_digests

    settings = params.load(args.params) if args.params else None
    outcome = (send_digests if args.digest else send)(args.run_dir, args.smtp, sender=args.sender,
                                                      dry_run=args.dry_run, settings=settings, progress=_say)
    for text in outcome.notes:
        _say(f"note: {text}")
    for name, why in outcome.failed:
        _say(f"error: {name} not sent: {why}")
    if args.dry_run:
        print(f"dry run: nothing sent; {len(outcome.failed)} email(s) could not be sent")
    else:
        print(f"sent {len(outcome.sent)} email(s); {len(outcome.failed)} not sent")
    return EXIT_FAILED if outcome.failed else EXIT_OK


def _load(args) -> int:
    from aftersales.source.load import load

    rows = load(args.src, args.into, replace=args.replace, schema=args.schema or "", progress=_say)
    print(f"loaded {len(rows)} tables, {sum(rows.values()):,} rows")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from aftersales.notify import NotifyError
    from aftersales.params import ParamsError
    from aftersales.reports.calendar import CalendarError
    from aftersales.reports.periods import PeriodError
    from aftersales.run.runner import RunError
    from aftersales.source.contract import DataError

    args = _parser().parse_args(argv)
    handlers = {"run": _run, "demo-data": _demo, "validate": _validate, "notify": _notify, "load": _load}
    try:
        return handlers[args.command](args)
    except (CalendarError, DataError, NotifyError, ParamsError, PeriodError, RunError) as exc:
        _say(f"error: {exc}")
        return EXIT_INVALID
    except KeyboardInterrupt:
        _say("interrupted: the previous pack, if any, is left as it was")
        return 130


if __name__ == "__main__":
    sys.exit(main())
