"""The bytes of an email: header words, addresses, a message's file name, and reading one back.

A run writes thousands of drafts, and an `EmailMessage` costs milliseconds each: a message is
written here as RFC 5322 bytes directly (`email_bytes`), and `read` gives back the same values
through the standard library's parser.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import quopri
import re
from collections.abc import Mapping
from email import policy
from email.charset import BASE64, Charset
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, parseaddr
from pathlib import Path

#: Header naming the owner an email is for, and one explaining a re-addressed email.
OWNER_HEADER = "X-Aftersales-Owner"
NOTE_HEADER = "X-Aftersales-Note"


def one_line(value) -> str:
    """A value from the data as one line of text (empty for empty values)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _BREAKS.sub(" ", str(value)).strip()


#: Every character str.splitlines() breaks at (and tabs): a header cannot hold one.
_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")


#: Names Windows keeps for devices, whatever follows a dot (`CON.eml` cannot be opened there).
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
                      | {f"{d}{i}" for d in ("COM", "LPT") for i in "0123456789¹²³"})
#: The longest stem `safe_name` gives: with `.eml` and a `-NN` of `unique_name`, a name stays under 100.
NAME_STEM = 80


def safe_name(code: str) -> str:
    """A file name stem for a code that is valid, short and unambiguous on Linux, macOS and Windows.

    Letters, digits, `.`, `_` and `-` are kept; any other character becomes `_`. Where the code
    had to change (a character replaced, a leading dot, a name Windows keeps such as ``CON`` or
    ``com1``, more than `NAME_STEM` characters), a short hash of the exact code is added, so that
    two codes never share a name (``a/b`` → ``a_b-1c5e…``, not the name of ``a_b``). The file keeps
    the code itself in a header. Names that differ only by case are told apart by `unique_name`.
    """
    code = str(code)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", code) or "_"
    if name.startswith("."):
        name = "_" + name
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    if name != code or len(name) > NAME_STEM or name.endswith("."):
        digest = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        name = name[:NAME_STEM - len(digest) - 1].rstrip(".") + "-" + digest
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """`name` (`<stem>.eml`), or `<stem>-2.eml`, `<stem>-3.eml` … where `taken` has it already, in any
    case (macOS and Windows do not tell `A1.eml` from `a1.eml`). `taken` holds the case-folded names
    given so far; the name returned joins it (one set for a folder's names, not rebuilt per name)."""
    stem, n = name[:-4], 2
    while name.casefold() in taken:
        name, n = f"{stem}-{n}.eml", n + 1
    taken.add(name.casefold())
    return name


#: One address, alone in its cell: ``local@domain`` (no space, comma, semicolon or bracket),
#: or ``Name <local@domain>`` with a name holding none of ``<>@,;``.
_ADDRESS = r"[^\s@,;:<>()\[\]\\\"]+@[^\s@,;:<>()\[\]\\\"]+"
_ONE_ADDRESS = re.compile(rf"(?:[^<>@,;\"]*<)?({_ADDRESS})>?")


def single_address(value) -> str | None:
    """The address of a data cell (``sales_reps.email``, ``accounts.email``) that holds exactly one,
    else None: ``a@dealer, evil@x.example`` holds two and addresses neither."""
    text = one_line(value)
    match = _ONE_ADDRESS.fullmatch(text)
    if match is None or (("<" in text) != text.endswith(">")):
        return None
    address = match.group(1)
    local, _, host = address.partition("@")
    if not local or not host or ".." in host or host.startswith(".") or host.endswith("."):
        return None
    return address


def domain(address: str) -> str | None:
    """The domain of an address (a Message-ID's right side), None where it has none."""
    addr = parseaddr(one_line(address))[1]
    return addr.split("@", 1)[1] if "@" in addr else None


#: A line of a header, at most (RFC 5322's recommended length).
_LINE = 78
#: UTF-8 header words in base64: the stock charset measures the Q length of every character to pick the shorter.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64
#: An RFC 2047 encoded word of UTF-8 in base64 (`_WORD.format(data)`; its length without the data).
_WORD = "=?utf-8?b?{}?="
#: An address the header registry takes without parsing it (`local@domain`, each of dot-atoms).
_DOT_ATOM_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                               r"@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
#: A word of header text with the spaces before it.
_TOKEN = re.compile(r" *[^ ]+| +$")
#: The boundary of an email's parts: base64 lines never hold a "-", so never a boundary line.
_BOUNDARY = "aftersales-part-boundary"
_PLAIN_TEXT = ('Content-Type: text/plain; charset="utf-8"\r\n'
               "Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\n")


def email_bytes(headers: Mapping[str, str | tuple[str, str] | None], text: str, page: str | None = None) -> bytes:
    """A UTF-8 email as RFC 5322 bytes with CRLF line ends, without building an `EmailMessage`
    (which costs milliseconds each: a run writes thousands).

    A header's value is one line of text, or an (email, name) pair for an address header;
    empty ones are left out. Headers are RFC 2047 words where not plain ASCII (`_words`,
    `_mailbox`). The body is `text` as text/plain in quoted-printable; with an HTML `page`, a
    multipart/alternative of the two, each in base64. `read` gives back the same values.
    """
    head = "".join(f"{field}: {_mailbox(field, *value) if isinstance(value, tuple) else _words(field, value)}\r\n"
                   for field, value in headers.items() if value)
    if page is None:
        return (head + _PLAIN_TEXT).encode("ascii") + quopri.encodestring(text.encode("utf-8")).replace(b"\n", b"\r\n")
    parts = "".join(f"--{_BOUNDARY}\r\nContent-Type: text/{kind}; charset=\"utf-8\"\r\n"
                    f"Content-Transfer-Encoding: base64\r\n\r\n"
                    + base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
                    for kind, body in (("plain", text), ("html", page)))
    return (f"{head}MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{_BOUNDARY}\"\r\n\r\n"
            f"{parts}--{_BOUNDARY}--\r\n").encode("ascii")


def _words(field: str, text: str) -> str:
    """`text` as the value of the unstructured header `field`: ASCII as it is (folded at its spaces where
    long), other text in RFC 2047 UTF-8 words (folded; a reader joins them again)."""
    if _plain(text):
        return _fold(field, text)
    data, words, start = text.encode("utf-8"), [], 0
    room = _LINE - len(field) - 2  # the first line holds `field: ` too; the others a leading space
    while start < len(data):
        end = min(start + max(6, (room - len(_WORD.format(''))) // 4 * 3), len(data))  # 3 bytes: 4 base64 characters
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a word holds whole characters only
            end -= 1
        words.append(_WORD.format(base64.b64encode(data[start:end]).decode("ascii")))
        start, room = end, _LINE - 1
    return "\r\n ".join(words)


@functools.lru_cache(maxsize=1024)  # a rep's From is the same in each of their drafts
def _mailbox(field: str, email: str, name: str) -> str:
    """`name <email>` as the value of the header `field`: the name quoted where it has specials, else
    one RFC 2047 word where it is not plain ASCII (one: `read` puts a space between the words of a
    name split in several); the text of `email` alone where it is not one address."""
    try:
        if not (_DOT_ATOM_ADDRESS.fullmatch(email) and "\r" not in name and "\n" not in name):
            Address(display_name=name, addr_spec=email)  # refuses what the header registry would not take
        value = formataddr((name, email), _UTF8)  # UnicodeError (a ValueError): non-ASCII address
    except (ValueError, IndexError, TypeError, HeaderParseError):
        return _words(field, email)
    if name.isascii() and not _plain(name):  # formataddr encodes only a non-ASCII name
        value = f"{_UTF8.header_encode(name)} <{email}>"
    return _fold(field, value)


def _plain(text: str) -> bool:
    """Whether `text` can stand in a header as it is: ASCII, with nothing a reader would decode as RFC 2047,
    and no word so long that its line would pass RFC 5322's 998 characters (a 2,000-character code)."""
    return text.isascii() and "=?" not in text and all(len(word) < 900 for word in text.split(" "))


def _fold(field: str, text: str) -> str:
    """ASCII `text` folded at its spaces where the line `field: text` would be longer than 78 characters."""
    width = len(field) + 2
    if width + len(text) <= _LINE:
        return text
    out = []
    for token in _TOKEN.findall(text):  # a word with the spaces before it: a fold goes before them
        # before the first word only when it is an encoded word: a reader keeps the space before plain text
        if width + len(token) > _LINE and (out or token.startswith("=?")):
            out.append("\r\n" if token.startswith(" ") else "\r\n ")
            width = 0
        out.append(token)
        width += len(token)
    return "".join(out)


def read(path: Path) -> EmailMessage:
    """A message file as the standard library reads it (headers decoded, parts walkable)."""
    with open(path, "rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)
