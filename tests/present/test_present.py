"""What a page shows of a grid."""

import pandas as pd

from aftersales.present import tables as present
from aftersales.reports.grids import Grid


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


def test_only_the_first_page_of_a_long_grid_is_html_the_rest_is_compact_data():
    """Rows past the first page travel as JSON for the page's script: a long grid stays small."""
    rows = pd.DataFrame({"account": [f"A{i:03d}" for i in range(100)], "sales": [float(i) for i in range(100)]})
    page = present.grid(Grid("accounts", rows, None, ("account",)), legend=False).data
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr") == present.FIRST_PAGE_ROWS
    assert "A024" in body and "A025" not in body
    data = page.split('class="as-rows" data-for="grid-accounts">')[1].split("</script>")[0]
    assert '"A025"' in data and '"A099"' in data
    assert "75 more rows" in page


def test_a_long_grid_with_top_shows_its_biggest_rows(monkeypatch):
    """The accounts page shows the accounts of the highest sales, not the first codes."""
    monkeypatch.setattr(present, "PAGE_ROWS", 2)
    rows = pd.DataFrame({"account": ["A1", "A2", "A3", "A4"], "sales": [5.0, None, 9.0, 7.0]})
    page = present.grid(Grid("accounts", rows, pd.DataFrame([{"sales": 21.0}]), ("account",)),
                        legend=False, top="sales").data
    assert "A3" in page and "A4" in page and "A1" not in page and "A2" not in page
    assert "The 2 rows with the highest Sales (of 4)" in page
    assert "21.00" in page


def test_the_page_rows_setting_reaches_the_page(tmp_path, monkeypatch):
    """`report.page_rows` in the settings decides how many rows a page carries."""
    from factory import make_source

    monkeypatch.setattr(present, "PAGE_ROWS", present.PAGE_ROWS)  # put back after the test

    from aftersales.run import context as report

    params = tmp_path / "p.yaml"
    params.write_text("report:\n  page_rows: 7\n", encoding="utf-8")
    source = make_source(tmp_path / "src", parts_lines=[{}])
    report.start("parts", source=str(source), date_from="2024-03-01", date_to="2024-03-31", as_of="2024-03-31",
                 params_file=str(params))
    assert present.PAGE_ROWS == 7


def test_a_scatter_chart_names_at_most_twenty_points_those_of_the_highest_y(monkeypatch):
    """Every point is drawn; beyond 20, only the 20 of the highest y are named, and the title says so."""
    from aftersales.present import charts as present  # the module that draws and embeds a chart

    drawn = {}

    def keep(fig, alt):
        drawn["names"] = sorted(t.get_text() for t in fig.axes[0].texts)
        drawn["points"] = len(fig.axes[0].collections[0].get_offsets())
        return present.HTML(alt)

    monkeypatch.setattr(present, "image", keep)
    few = pd.DataFrame({"rep": ["R1", "R2"], "hours": [1.0, 2.0], "margin": [5.0, 3.0]})
    assert present.scatter_chart(few, "hours", "margin", "rep", "T").data == "T"
    assert drawn == {"names": ["R1", "R2"], "points": 2}
    many = pd.DataFrame({"rep": [f"R{i:02d}" for i in range(25)], "hours": [float(i) for i in range(25)],
                         "margin": [float(i % 10) for i in range(25)]})
    title = present.scatter_chart(many, "hours", "margin", "rep", "T").data
    assert title == "T (named: the 20 of the highest margin, of 25)"
    assert drawn["points"] == 25
    # margin 0 for R00, R10, R20 and 1 for R01, R11, R21: of those, R01 is named (ties by code)
    assert drawn["names"] == sorted({f"R{i:02d}" for i in range(25)} - {"R00", "R10", "R20", "R11", "R21"})
