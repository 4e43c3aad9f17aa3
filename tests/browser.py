"""What the browser tests share: Debian's Chromium, its arguments, and a context that lets a page
load only itself (file: and inline data:), recording every other request it blocks."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def block_outside(context) -> list[str]:
    """Abort every request of a Playwright browser context that leaves the file; returns the list the
    blocked addresses are added to (a test asserts it stays empty)."""
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return blocked
