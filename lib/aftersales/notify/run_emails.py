"""The emails of a run, written into its folder and, when the settings say so, sent.

- `<run>/emails/<owner>.eml`: the owner emails (`owners`);
- `<run>/emails/outreach/<account>.eml`: the outreach drafts (`outreach`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from aftersales.notify.outreach import OUTREACH_DIR, outreach_messages
from aftersales.notify.owners import EMAILS_DIR, owner_messages, report_link
from aftersales.notify.sending import send_on_run

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
                     reps: pd.DataFrame, settings: Mapping, *, period_text: str) -> list[Path]:
    """Write the owner emails and the outreach drafts of a run into `<out_dir>/emails/`."""
    folder = Path(out_dir) / EMAILS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    link = report_link(settings, Path(out_dir))
    written = write(folder, owner_messages(alerts, settings=settings, period_text=period_text, link=link))
    if len(declining):
        written += write(folder / OUTREACH_DIR, outreach_messages(declining, info, settings=settings))
    return written


def deliver(ctx, rep):
    """The Accounts report's emails: the owner emails and outreach drafts written into the run
    folder (a run's only), then sent when the settings say so; returns the report with the files
    written in `emails` and what sending did in `notes`."""
    from aftersales.reports import alerts as alert_rules

    if ctx.out_dir is None:
        return rep
    written = write_run_emails(ctx.out_dir, rep.alerts, alert_rules.declining_accounts(rep.alerts), rep.info,
                               rep.reps, ctx.params, period_text=ctx.period_text)
    rep.emails = [str(p.relative_to(ctx.out_dir)) for p in written]
    if ctx.params["notify"]["send_on_run"]:
        rep.notes.append(send_on_run(ctx.out_dir, ctx.params))
    return rep
