"""`from aftersales import present`: one import gives a notebook every name, each from the module that defines it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aftersales import present
from aftersales.present import charts, drill, page, tables

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_each_name_is_the_function_of_its_module():
    """`present.grid` is `tables.grid`, `present.bar_chart` is `charts.bar_chart`: nothing is copied or wrapped."""
    modules = {"page": page, "tables": tables, "charts": charts, "drill": drill}
    for name, home in present.HOMES.items():
        assert getattr(present, name) is getattr(modules[home], name), name
    assert set(present.HOMES) <= set(dir(present))


def test_every_name_the_notebooks_call_is_there():
    """Each `present.<name>` a report notebook calls resolves: a name lost in a move fails here, not in a run."""
    called = set()
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            called |= set(re.findall(r"\bpresent\.([A-Za-z_]\w*)", "".join(cell["source"])))
    assert {"grid", "section", "tiles", "title", "assets", "bar_chart"} <= called
    assert sorted(n for n in called if not callable(getattr(present, n, None))) == []


def test_an_unknown_name_is_an_attribute_error():
    """A misspelt name fails as any module's missing attribute does."""
    with pytest.raises(AttributeError, match="no_such_chart"):
        present.no_such_chart  # noqa: B018


def test_importing_one_module_of_the_package_leaves_pandas_and_ipython_out():
    """A scheduled run that imports the page export only does not pay for pandas and IPython (names load when used)."""
    code = "import sys, aftersales.present.export; print('pandas' in sys.modules, 'IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False", "False"]
