"""Text every reader of a source writes: SQL quoting and the words of its errors.

- `ident` and `literal` quote a name and a text for DuckDB (and for a database's SQL);
- `SOURCE` is the `DataError.table` of a problem with the source as a whole, `first_line`
  the first line of an engine's error and `mask_password` a URL with its password hidden.

Nothing here imports DuckDB or SQLAlchemy: the file reader stays light.
"""

from __future__ import annotations

import re

__all__ = ["SOURCE", "ident", "literal", "first_line", "mask_password"]

#: DataError.table used for problems with the source as a whole.
SOURCE = "source"


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


def mask_password(url: str) -> str:
    """`url` with the password of its ``user:password@`` part replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
