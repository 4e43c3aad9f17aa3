import pytest

from aftersales.source.reader import Source


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
