"""Database URLs: what a run shows and connects with, and one clear sentence per failure.

`parse_url` splits a source URL (``postgresql://user@host:5432/db?schema=dms`` or any
SQLAlchemy URL) into the URL shown (never with a secret), the URL connected with (its
driver, and the secrets), the schema and the password. Secrets may be given in the URL
(``user:password@``, ``?password=``, ``?sslpassword=`` and any password-like parameter,
`sql.split_credentials`): they are used to connect and never shown or stored (a run keeps the
URL without them, `sql.hide_credentials`). Without a password in the URL, libpq reads
``PGPASSWORD``; for any database the variable named by the ``source.password_env`` setting
(default `DEFAULT_PASSWORD_ENV`) is used.

`explain` words a failure to reach or use the database; `scrub` removes the secrets from
any message.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from aftersales.source.contract import DataError
from aftersales.source.sql import SOURCE, first_line, is_secret, mask_password, remembered, split_credentials

__all__ = ["parse_url", "shown_url", "secrets_of", "explain", "scrub", "DEFAULT_PASSWORD_ENV"]

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
    database's default). The secrets are those of the URL itself, else those a run took out of
    it (`sql.remembered`); the password, when the URL gives none, comes from the environment.
    """
    clean, secrets = split_credentials(text)
    secrets = {**remembered(clean), **secrets}
    try:
        url = sa.engine.make_url(clean)
    except Exception:
        raise DataError(SOURCE, None, f"{mask_password(text)} is not a database URL "
                                      "(e.g. postgresql://user@host:5432/database)") from None
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
    password = secrets.pop("password", None) or os.environ.get(env) or None
    if password is not None:
        connect = connect.set(password=password)
    if secrets:  # sslpassword and the like: parameters of the connection, never of the URL shown
        connect = connect.update_query_dict(secrets)
    return shown, connect, schema, password


def secrets_of(url: sa.URL) -> tuple[str, ...]:
    """Every secret a URL connects with (its password, its password-like parameters): what no message shows."""
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if is_secret(key):
            found += [value] if isinstance(value, str) else list(value)
    return tuple(str(v) for v in found if v)


def explain(exc: BaseException, url: sa.URL, password: str | Iterable[str] | None = None) -> str:
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


def scrub(text: str, password: str | Iterable[str] | None) -> str:
    """`text` without secrets: those of any URL in it, and `password` (one secret, or several) wherever
    it appears."""
    text = mask_password(text)
    for secret in ([password] if isinstance(password, str) else list(password or ())):
        if secret:
            text = text.replace(secret, "***")
    return text
