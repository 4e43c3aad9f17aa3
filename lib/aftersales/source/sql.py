"""Text every reader of a source writes: SQL quoting, the words of its errors, and URLs without secrets.

- `ident` and `literal` quote a name and a text for DuckDB (and for a database's SQL);
- `SOURCE` is the `DataError.table` of a problem with the source as a whole, `first_line`
  the first line of an engine's error;
- `split_credentials` takes the secrets out of a database URL (the password of its
  ``user:password@`` part and every password-like query parameter, such as ``?password=`` or
  ``?sslpassword=``); `hide_credentials` does so and remembers them for this process and the
  processes it starts (`SECRETS_ENV`), so that the URL can be stored and shown while the
  connection still uses them (`remembered`); `mask_password` hides them in any text.

Nothing here imports DuckDB or SQLAlchemy: the file reader stays light. The URL grammar is
SQLAlchemy's own (`sqlalchemy.engine.url.make_url`), so that what is taken out is exactly what
SQLAlchemy would have read as the password or a query parameter.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import unquote, unquote_plus

__all__ = [
    "SOURCE", "SECRETS_ENV", "ident", "literal", "first_line", "mask_password", "is_secret",
    "split_credentials", "hide_credentials", "remembered",
]

#: DataError.table used for problems with the source as a whole.
SOURCE = "source"

#: The environment variable holding, for the report processes of a run, the secrets taken out of
#: its source URL (JSON: {URL without secrets: {name: value}}); never written to any file.
SECRETS_ENV = "AFTERSALES_SOURCE_SECRETS"


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: Words that make a URL query parameter a secret (compared in lower case, anywhere in the name):
#: libpq's ``password`` and ``sslpassword``, and what other drivers call theirs.
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "apikey", "api_key")

#: SQLAlchemy's URL grammar (sqlalchemy.engine.url._parse_url), with the spans kept.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X | re.S,
)

#: In free text: the password of a ``scheme://user:password@`` and the value of a password-like parameter.
_TEXT_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_TEXT_PARAMETER = re.compile(r"([?&;](?:[\w.\-]*(?:" + "|".join(_SECRET_WORDS) + r")[\w.\-]*)=)[^&#\s'\"]*",
                             re.I)


def is_secret(name: str) -> bool:
    """True when a URL query parameter called `name` holds a secret (``password``, ``sslpassword``…)."""
    low = name.lower()
    return any(word in low for word in _SECRET_WORDS)


def split_credentials(text: str) -> tuple[str, dict[str, str]]:
    """(`text` without its secrets, the secrets) of a database URL: the password of its
    ``user:password@`` part (as ``"password"``) and every password-like query parameter (by its
    name). Text that is not a URL, or holds no secret, comes back as it is, with no secrets."""
    match = _URL.match(text)
    if match is None:
        return text, {}
    secrets: dict[str, str] = {}
    out = text
    query = match.group("query")
    if query is not None:
        kept = []
        for piece in query.split("&"):
            key, sep, value = piece.partition("=")
            if sep and is_secret(unquote_plus(key)):
                if value:
                    secrets[unquote_plus(key)] = unquote_plus(value)
                continue
            kept.append(piece)
        rest = "&".join(kept)
        out = out[:match.start("query") - 1] + ("?" + rest if rest else "")
    if match.group("password") is not None:
        password = unquote(match.group("password"))
        if password:
            secrets.setdefault("password", password)
        out = out[:match.start("password") - 1] + out[match.end("password"):]
    return (out, secrets) if secrets or out != text else (text, {})


def hide_credentials(text: str) -> str:
    """`text` without its secrets (`split_credentials`), which are remembered for this process and
    the processes it starts (`SECRETS_ENV`): a run stores and shows the URL this returns, and
    connecting with it still uses the secrets."""
    clean, secrets = split_credentials(text)
    if secrets:
        known = _remembered_all()
        known[clean] = {**known.get(clean, {}), **secrets}
        os.environ[SECRETS_ENV] = json.dumps(known)
    return clean


def remembered(clean: str) -> dict[str, str]:
    """The secrets `hide_credentials` took out of the URL that became `clean` (in this process or
    the one that started it); empty when none."""
    return dict(_remembered_all().get(clean, {}))


def _remembered_all() -> dict[str, dict[str, str]]:
    try:
        known = json.loads(os.environ.get(SECRETS_ENV) or "{}")
    except ValueError:
        return {}
    return known if isinstance(known, dict) else {}


def mask_password(url: str) -> str:
    """`url` (or any text holding URLs) with the password of a ``user:password@`` part and the value
    of every password-like query parameter replaced by ``***``."""
    return _TEXT_PARAMETER.sub(r"\1***", _TEXT_PASSWORD.sub(r"\1***@", url))
