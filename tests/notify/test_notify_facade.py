"""`from aftersales import notify`: the package gives the public names of its modules, `notify.send(...)` first."""

from __future__ import annotations

import json
import re
from pathlib import Path

from aftersales import notify
from aftersales.notify import digest, mime, outreach, owners, run_emails, sending

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_send_is_the_function_and_each_name_is_its_modules():
    """`notify.send` is the sending function (not a module), and each name is the one its module defines."""
    assert notify.send is sending.send and callable(notify.send)
    for name in notify.__all__:
        homes = [m for m in (mime, owners, outreach, sending, run_emails, digest) if name in vars(m)
                 and getattr(m, name) is getattr(notify, name)]
        assert homes, name


def test_every_name_the_notebooks_call_is_there():
    """Each `notify.<name>` a report notebook calls resolves (the Accounts notebook writes the run's emails)."""
    called = set()
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            called |= set(re.findall(r"\bnotify\.([A-Za-z_]\w*)", "".join(cell["source"])))
    assert "deliver" in called
    assert sorted(n for n in called if not hasattr(notify, n)) == []
