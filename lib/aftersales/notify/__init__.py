"""Owner emails, outreach drafts and sending them.

The Accounts report's alerts become the emails of a run (`deliver`, called by the notebook
after the report is built), in `<run>/emails/`:

- `<owner>.eml`: one per owner with alerts, to the rep's email (`owners`);
- `outreach/<account>.eml`: a draft to each declining customer, for its owner to send (`outreach`);

`aftersales notify` sends the owner emails through an SMTP server (`sending`); with `--digest`, the
digests of a finished run instead: one email per owner, branch manager and the principal (`digest`). The bytes of a
message, its headers and addresses, are written and read in `mime`.

`from aftersales import notify` gives every name below: `notify.send(...)`, `notify.read(...)`.
"""

from aftersales.notify.digest import digest_on_run, digests, send_digests
from aftersales.notify.mime import NOTE_HEADER, OWNER_HEADER, read, safe_name
from aftersales.notify.outreach import OUTREACH_DIR, OUTREACH_TEXT, outreach_message, outreach_messages
from aftersales.notify.owners import (
    EMAILS_DIR,
    NO_OWNER_FILE,
    final_run_dir,
    owner_message,
    owner_messages,
    report_link,
)
from aftersales.notify.run_emails import deliver, write, write_run_emails
from aftersales.notify.sending import NotifyError, Outcome, owner_files, parse_smtp, run_settings, send, send_on_run

__all__ = [
    "EMAILS_DIR", "NO_OWNER_FILE", "NOTE_HEADER", "OUTREACH_DIR", "OUTREACH_TEXT", "OWNER_HEADER", "NotifyError",
    "Outcome", "deliver", "digest_on_run", "digests", "final_run_dir", "outreach_message", "outreach_messages",
    "owner_files", "owner_message", "owner_messages", "parse_smtp", "read", "report_link", "run_settings", "safe_name",
    "send", "send_digests", "send_on_run", "write", "write_run_emails",
]
