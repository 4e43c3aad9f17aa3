"""Database URLs: what a run shows and connects with, and one clear sentence per failure.

`parse_url` splits a source URL (``postgresql://user@host:5432/db?schema=dms`` or any
SQLAlchemy URL) into the URL shown (never with a password), the URL connected with (its
driver, and the password from the environment), the schema and the password. A URL holding
a password is refused: a run writes the URL into its manifest and notebooks. libpq reads
``PGPASSWORD``; for any database the variable named by the ``source.password_env`` setting
(default `DEFAULT_PASSWORD_ENV`) is used.

`explain` words a failure to reach or use the database; `scrub` removes the password from
any message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from aftersales.source.contract import DataError
from aftersales.source.sql import SOURCE, first_line, mask_password

__all__ = ["parse_url", "shown_url", "explain", "scrub", "DEFAULT_PASSWORD_ENV"]

#: The environment variable holding the password when the settings name none.
DEFAULT_PASSWORD_ENV = "AFTERSALES_DB_PASSWORD"
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def shown_url(url: sa.URL) -> str:
    """The URL as shown: never with its password."""
    return url.render_as_string(hide_password=True)


def parse_url(text: str, settings: Mapping[str, Any] | None = None,
              schema: str | None = None) -> tuple[sa.URL, sa.URL, str, str | None]:
    """(the URL to show, the URL to connect with, the schema, the password) of a source URL.

    The schema is the URL's ``?schema=`` or the settings' ``source.schema`` ("" for the
    database's default); the password comes from the environment, never from the URL.
    """
    try:
        url = sa.engine.make_url(text)
    except Exception:
        raise DataError(SOURCE, None, f"{mask_password(text)} is not a database URL "
                                      "(e.g. postgresql://user@host:5432/database)") from None
    if url.password is not None:
        raise DataError(
            SOURCE, None,
            f"the database URL {shown_url(url)} holds a password: give the URL without it "
            f"({shown_url(_without_password(url))}) and the password in PGPASSWORD or in the "
            "environment variable named by the source.password_env setting (a run writes the "
            "URL into its manifest and notebooks)",
        )
    section = dict((settings or {}).get("source") or {})
    query = dict(url.query)
    given = query.pop("schema", None)
    if isinstance(given, tuple):
        given = given[-1]
    if schema is None:
        schema = given if given is not None else str(section.get("schema") or "")
    shown = url.set(query=query)
    driver = _DRIVERS.get(url.drivername, url.drivername)
    connect = shown.set(drivername=driver)
    env = str(section.get("password_env") or DEFAULT_PASSWORD_ENV)
    password = os.environ.get(env) or None
    if password is not None:
        connect = connect.set(password=password)
    return shown, connect, schema, password


def _without_password(url: sa.URL) -> sa.URL:
    return sa.engine.URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)



def explain(exc: BaseException, url: sa.URL, password: str | None = None) -> str:
    """One clear sentence for a failure to reach or use the database (never the password)."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or ""
    text = str(orig).strip()
    low = text.lower()
    postgres = url.get_backend_name() == "postgresql"
    where = f"{url.host or 'localhost'}:{url.port or 5432}" if postgres else shown_url(url)
    user = url.username or "(the current user)"
    detail = text.splitlines()[0] if text else type(orig).__name__
    for line in text.splitlines():  # libpq: 'connection failed: …' then the reason
        if "failed:" in line or "refused" in line.lower() or "timeout" in line.lower():
            detail = line.strip()
    if state == "28P01" or "password authentication failed" in low:
        out = (f"the database server at {where} refused the credentials of user {user} "
               "(password authentication failed): check the user name and the password in PGPASSWORD "
               "or the environment variable named by source.password_env")
    elif state == "28000" or "no pg_hba.conf entry" in low or ("role" in low and "does not exist" in low):
        out = f"the database server at {where} refused the connection of user {user}: {detail}"
    elif "no password supplied" in low:
        out = (f"the database server at {where} asks user {user} for a password and none was given: "
               "set PGPASSWORD or the environment variable named by source.password_env")
    elif state == "3D000" or ("database" in low and "does not exist" in low):
        out = f"the database {url.database!r} does not exist on the server at {where}"
    elif state == "42501" or "permission denied" in low:
        out = f"user {user} may not read this on the server at {where}: {detail}"
    elif any(w in low for w in ("connection refused", "could not translate host", "timeout expired", "timed out",
                                "no route to host", "network is unreachable", "could not connect",
                                "connection failed", "name or service not known", "server closed the connection")):
        out = (f"cannot reach the database server at {where} ({detail}): check the host and the port, "
               "and that the server runs and accepts connections")
    elif isinstance(exc, (ModuleNotFoundError, sa.exc.NoSuchModuleError)):
        out = f"no driver is installed for {url.drivername} URLs ({first_line(exc)})"
    else:
        out = f"the database at {where} failed: {detail}"
    return scrub(out, password)


def scrub(text: str, password: str | None) -> str:
    """`text` without the password (of a URL, or `password` wherever it appears)."""
    text = mask_password(text)
    return text.replace(password, "***") if password else text
