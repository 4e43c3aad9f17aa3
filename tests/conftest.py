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
