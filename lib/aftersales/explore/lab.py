"""One report on screen in a live kernel: the notebook's own report cells give way to the explorer.

A report notebook draws its title, tiles, grids and charts with `display(present....)`, for the
notebook's period. Once an explorer (`widgets.Explorer`) is on screen it draws the report itself,
for its controls' period and filters, so the notebook's copy would disagree with it. `Screen`, a
hook on the kernel's display messages, settles this:

- while an explorer is live, a display of the report's HTML (present's `class="as-…"` blocks)
  from a later cell is dropped: the cells below the explorer show nothing of their own (anything
  else — a DataFrame, a print, a chart of the analyst's — is shown as usual);
- each report title shown is given a display id, so that the explorer blanks the title the
  notebook drew above it when it opens (its own title, inside it, follows the controls). The
  kernel `make lab` installs loads this module as an IPython extension (`--ext`), so the hook is
  there before the title cell runs; elsewhere (`interactive = True` in another kernel) it is
  installed when the explorer opens, and a title drawn before stays.

`python -m aftersales.explore.lab KERNEL_JSON` adds `--ext aftersales.explore.lab` to a kernelspec.
Outside IPython (tests, papermill without an explorer) nothing here acts.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

#: present's report blocks all carry a class starting `as-`; the title block is `as-title`.
REPORT_MARK = 'class="as-'
TITLE_MARK = 'class="as-title"'
EXTENSION = "aftersales.explore.lab"


def _html(content: dict) -> str:
    html = (content.get("data") or {}).get("text/html", "")
    return "".join(html) if isinstance(html, list) else str(html)


class Screen:
    """The display hook of one kernel: titles tagged, the report's static displays dropped while live."""

    def __init__(self) -> None:
        self.titles: list[str] = []
        self.live: Any = None
        self.dropped = 0

    def hook(self, msg: dict) -> dict | None:
        """Called with every display message before it is sent; None drops it."""
        if msg.get("msg_type") != "display_data":
            return msg
        content = msg.get("content") or {}
        html = _html(content)
        if REPORT_MARK not in html:
            return msg
        if self.live is not None:
            self.dropped += 1
            return None
        if TITLE_MARK in html:
            display_id = f"aftersales-title-{uuid.uuid4().hex}"
            transient = content.get("transient") or {}
            transient["display_id"] = display_id
            content["transient"] = transient
            self.titles.append(display_id)
        return msg

    def take(self, explorer: Any) -> None:
        """The explorer now draws the report: blank the titles drawn before, drop later report displays."""
        from IPython.display import HTML, update_display

        for display_id in self.titles:
            update_display(HTML(""), display_id=display_id)
        self.titles.clear()
        self.live = explorer


_SCREENS: dict[int, Screen] = {}


def screen(ip: Any = None) -> Screen | None:
    """The kernel's Screen, its hook registered on first use; None outside an IPython kernel."""
    if ip is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython comes with ipykernel
            return None
        ip = get_ipython()
    pub = getattr(ip, "display_pub", None)
    if pub is None or not hasattr(pub, "register_hook"):
        return None
    found = _SCREENS.get(id(ip))
    if found is None:
        found = _SCREENS[id(ip)] = Screen()
        pub.register_hook(found.hook)
    return found


def load_ipython_extension(ip: Any) -> None:
    """IPython extension entry point: the hook from the kernel's start (`--ext aftersales.explore.lab`)."""
    screen(ip)


def add_to_kernelspec(kernel_json: str | Path) -> list[str]:
    """Make a kernelspec load this extension at start (once); returns the new argv."""
    path = Path(kernel_json)
    spec = json.loads(path.read_text(encoding="utf-8"))
    argv = [a for a in spec["argv"] if a != f"--ext={EXTENSION}"]
    spec["argv"] = [*argv, f"--ext={EXTENSION}"]
    path.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return spec["argv"]


if __name__ == "__main__":
    print(" ".join(add_to_kernelspec(sys.argv[1])))
