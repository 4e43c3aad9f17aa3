"""A real SMTP server on loopback for the email tests (aiosmtpd): the mailbox it delivers to, and
how its messages are read back."""

from __future__ import annotations

import socket
from email import policy
from email.parser import BytesParser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def bodies(msg) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    return msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()


class Mailbox:
    """An aiosmtpd handler keeping every message (envelope sender, recipients, bytes); refuses the
    addresses in `refuse`."""

    def __init__(self, refuse=()):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return sorted(r for _, rcpts, _ in self.messages for r in rcpts)

    def by_recipient(self) -> dict[str, object]:
        """Recipient → the last message it got, parsed."""
        return {rcpt: parse(content) for _, rcpts, content in self.messages for rcpt in rcpts}

    def all_by_recipient(self) -> dict[str, list]:
        """Recipient → every message it got, parsed, in order."""
        got: dict[str, list] = {}
        for _, rcpts, content in self.messages:
            for rcpt in rcpts:
                got.setdefault(rcpt, []).append(parse(content))
        return got
