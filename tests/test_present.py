"""What a page shows of a grid."""

import pandas as pd

from aftersales import present
from aftersales.grids import Grid


def test_a_long_grid_shows_its_first_rows_and_says_so(monkeypatch):
    """A grid longer than a page can carry shows its first rows, a note with the full count, and every total."""
    monkeypatch.setattr(present, "PAGE_ROWS", 3)
    rows = pd.DataFrame({"account": [f"A{i}" for i in range(5)], "sales": [1.0, 2.0, 3.0, 4.0, 5.0]})
    total = pd.DataFrame([{"sales": 15.0}])
    page = present.grid(Grid("accounts", rows, total, ("account",)), legend=False).data
    assert "The first 3 of 5 rows" in page
    assert "A2" in page and "A3" not in page
    assert "15.00" in page


def test_a_short_grid_shows_every_row():
    """A grid that fits shows every row and no note."""
    rows = pd.DataFrame({"account": ["A1", "A2"], "sales": [1.0, 2.0]})
    page = present.grid(Grid("accounts", rows, None, ("account",)), legend=False).data
    assert "A1" in page and "A2" in page and "first" not in page
