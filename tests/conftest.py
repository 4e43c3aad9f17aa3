import sys
from pathlib import Path

import pytest

from aftersales.source.reader import Source

# The tests mirror lib/ folder by folder; helpers shared across folders (factory, pg, the hand-worked
# lines of one report's tests reused by another's) are imported by module name from any folder.
_HERE = Path(__file__).resolve().parent
for _folder in sorted(p for p in _HERE.iterdir() if p.is_dir() and p.name[0] not in "._"):
    if str(_folder) not in sys.path:
        sys.path.append(str(_folder))



@pytest.fixture
def open_source():
    """Open a folder made by factory.make_source; closed after the test."""
    opened = []

    def _open(path):
        src = Source.open(path)
        opened.append(src)
        return src

    yield _open
    for src in opened:
        src.close()


@pytest.fixture
def con():
    """An in-memory DuckDB connection for tests of the pure report functions; closed after the test."""
    import duckdb

    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def whole_pack(tmp_path_factory):
    """One run of the whole pack on `test_pack.pack_source` (March 2024, every table, names with markup),
    shared by the tests that read its pages; returns the output folder. Tests only read it."""
    import json

    from test_pack import pack_source

    from aftersales.cli import main

    base = tmp_path_factory.mktemp("pack")
    source = pack_source(base / "src")
    out = base / "out"
    status = main(["run", "--source", str(source), "--from", "2024-03-01", "--to", "2024-03-31",
                   "--as-of", "2024-03-31", "--out", str(out), "--jobs", "2"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    failed = {r: s["error"] for r, s in manifest["reports"].items() if s["status"] != "ok"}
    assert status == 0 and not failed, failed
    return out

