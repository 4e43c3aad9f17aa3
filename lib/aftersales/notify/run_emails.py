"""The emails of a run, written into its folder and, when the settings say so, sent.

- `<run>/emails/<owner>.eml`: the owner emails (`owners`);
- `<run>/emails/outreach/<account>.eml`: the outreach drafts (`outreach`).

The folder appears whole or not at all (written beside, then renamed): a report that fails while
writing leaves no email behind. Email cells that do not hold exactly one address are listed in
the report's data quality (`unusable_emails`); `aftersales notify` never sends the emails of a run
whose Accounts report failed (`sending.failed_accounts`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aftersales.notify.mime import one_line, single_address
from aftersales.notify.outreach import OUTREACH_DIR, outreach_messages
from aftersales.notify.owners import EMAILS_DIR, owner_messages, read_pacing, report_link

if TYPE_CHECKING:  # pandas is imported by the report, not by `aftersales notify`
    import pandas as pd


def write(folder: Path, messages: Mapping[str, bytes]) -> list[Path]:
    """Write each message's bytes as `<folder>/<name>`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    where = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # thousands of drafts: open each by name in it
    try:
        for name, data in messages.items():
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=where)
            with open(handle, "wb") as out:
                out.write(data)
            paths.append(folder / name)
    finally:
        os.close(where)
    return paths


def write_run_emails(out_dir: Path, alerts: pd.DataFrame, declining: pd.DataFrame, info: pd.DataFrame,
                     reps: pd.DataFrame, settings: Mapping, *, period_text: str, dates_text: str,
                     month: str = "", scope_text: str = "") -> list[Path]:
    """Write the owner emails (opening with the run's pacing of `month`) and the outreach drafts of a
    run into `<out_dir>/emails/`: into a hidden folder beside it first, renamed once every file is
    written (emails an earlier call wrote there are replaced)."""
    out_dir = Path(out_dir)
    folder = out_dir / EMAILS_DIR
    staging = out_dir / f".{EMAILS_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        link = report_link(settings, out_dir)
        written = write(staging, owner_messages(alerts, settings=settings, period_text=period_text,
                                                dates_text=dates_text, scope_text=scope_text, link=link,
                                                pacing=read_pacing(out_dir, month)))
        if len(declining):
            written += write(staging / OUTREACH_DIR, outreach_messages(declining, info, settings=settings))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / p.relative_to(staging) for p in written]


def unusable_emails(info: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """The email cells of `sales_reps` and `accounts` that hold something but not exactly one address
    (``a@dealer, evil@x.example``): columns table, code, email."""
    import pandas as pd

    rows = [("sales_reps", code, one_line(email)) for code, email in zip(reps["rep"], reps["email"])
            if one_line(email) and single_address(email) is None]
    rows += [("accounts", code, one_line(email)) for code, email in zip(info["account"], info["email"])
             if one_line(email) and single_address(email) is None]
    return pd.DataFrame(rows, columns=["table", "code", "email"], dtype="object")


def deliver(ctx, rep):
    """The Accounts report's emails: the owner emails and outreach drafts written into the run
    folder (a run's only); returns the report with the files written in `emails` and the email cells
    that could not be used in its data quality. Sending is the run's, once the pack is in place
    (`notify.send_on_run`, run/runner.py) or `aftersales notify`'s — never a notebook's."""
    from aftersales.reports import alerts as alert_rules

    if ctx.out_dir is None:
        return rep
    bad = unusable_emails(rep.info, rep.reps)
    listed = bad.head(int(ctx.params["report"]["drilldown_rows"]))  # the check counts them all
    listed.attrs["rows"] = len(bad)
    rep.quality.add("email cells that do not hold exactly one address", len(bad),
                    "not used: a rep's alerts go to the catch-all address, a customer's outreach draft has "
                    "no recipient", listed)
    ctx.record(quality=rep.quality.checks)
    written = write_run_emails(ctx.out_dir, rep.alerts, alert_rules.declining_accounts(rep.alerts), rep.info,
                               rep.reps, ctx.params, period_text=ctx.period_text, dates_text=ctx.dates_text,
                               month=f"{ctx.period.end:%B %Y}", scope_text=ctx.scope_text)
    rep.emails = [str(p.relative_to(ctx.out_dir)) for p in written]
    return rep
