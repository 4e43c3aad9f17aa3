"""The outreach drafts of a run: one to each declining customer, for its owner to review and send.

`<run>/emails/outreach/<account>.eml`: polite, names the account, no internal figures; from the
owner (or the dealer), marked as a draft. Never sent by the workbook. The file name is made from
the account code (`mime.safe_name`: valid and unique on every system, whatever the code holds);
the code itself is in the draft's `ACCOUNT_HEADER`. A contact or owner email cell that does not
hold exactly one address (`mime.single_address`) is not used: the draft then has no To, or is
from the dealer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.utils import format_datetime
from typing import TYPE_CHECKING

from aftersales.notify.mime import OWNER_HEADER, email_bytes, one_line, safe_name, single_address, unique_name

if TYPE_CHECKING:  # pandas is imported by the report, not by `aftersales notify`
    import pandas as pd

#: The drafts' folder, inside the run's emails folder.
OUTREACH_DIR = "outreach"
#: Header holding the account code of a draft, exactly as the data has it (its file name may not).
ACCOUNT_HEADER = "X-Aftersales-Account"

#: The body of an outreach draft; only the customer's name, the signature and the dealer vary.
OUTREACH_TEXT = (
    "Dear {name},\n"
    "\n"
    "Thank you for choosing {dealer} for your parts and servicing. It has been a little while since "
    "we last worked together as often as we used to, and we would like to make sure we are still "
    "giving you the service you expect.\n"
    "\n"
    "If there is anything we could do better — availability of parts, workshop booking times, "
    "collection and delivery, or simply a review of your vehicles' upcoming maintenance — "
    "we would be glad to hear from you. Just reply to this email and we will get back to you.\n"
    "\n"
    "Kind regards,\n"
    "{sign}\n"
    "{dealer}\n"
)


def outreach_message(account: Mapping, *, contact: str, settings: Mapping, date: str | None = None) -> bytes:
    """A polite draft to a declining customer, from its owner: names the account, no figures.

    The draft as RFC 5322 bytes (see `email_bytes`): thousands are written in a run, and
    an `EmailMessage` costs milliseconds each. `date` is the Date header (default: now).
    """
    conf = settings["notify"]
    dealer = one_line(settings["dealer_name"])
    name = one_line(account.get("name")) or one_line(account["account"])
    rep_name = one_line(account.get("owner_name"))
    rep_email = single_address(account.get("owner_email")) or ""
    sign = rep_name or f"The {dealer} aftersales team"
    return email_bytes({
        "Subject": one_line(f"{dealer}: keeping in touch with {name}"),
        "From": (rep_email, rep_name) if rep_email else (one_line(conf["sender"]), dealer),
        "To": (contact, name) if contact else None,
        "Date": date or format_datetime(dt.datetime.now(dt.timezone.utc)),
        "X-Unsent": "1",  # opens as a draft to edit and send
        OWNER_HEADER: one_line(account.get("owner")),
        ACCOUNT_HEADER: one_line(account["account"]),
    }, OUTREACH_TEXT.format(name=name, dealer=dealer, sign=sign))


def outreach_messages(declining: pd.DataFrame, info: pd.DataFrame, *, settings: Mapping) -> dict[str, bytes]:
    """One draft per declining account (its bytes), keyed by its file name (`<account>.eml`); one Date for all."""
    contacts = dict(zip(info["account"], info["email"])) if len(info) else {}
    date = format_datetime(dt.datetime.now(dt.timezone.utc))
    out: dict[str, bytes] = {}
    taken: set[str] = set()
    for account in declining.drop_duplicates("account").to_dict("records"):
        name = unique_name(safe_name(account["account"]) + ".eml", taken)
        out[name] = outreach_message(account, contact=single_address(contacts.get(account["account"])) or "",
                                     settings=settings, date=date)
    return out
