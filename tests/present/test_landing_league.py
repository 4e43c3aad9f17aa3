"""The group's landing page links every branch pack, ranked or not (SPEC §6.2 ranks only the branches with a
line in the period or the prior period; §6.6 links every branch's pack from the group's page)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from aftersales.present.landing import landing_page
from aftersales.reports.grids import Grid
from aftersales.reports.group import COLUMNS
from aftersales.reports.periods import Period

MARCH = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 3, 31))
PACKS = [{"branch": "7", "name": "", "href": "branches/7/index.html", "alerts": 0},
         {"branch": "007", "name": "Seven <b>", "href": "branches/007/index.html", "alerts": 0}]


def _page(rows: pd.DataFrame, packs: list[dict], total: pd.DataFrame | None = None) -> str:
    return landing_page(period=MARCH, dealer="Group", reports=[], alerts=[], summaries={},
                        league=Grid("branches", rows, total), branch_packs=packs)


def _row(branch: str, **figures) -> dict:
    return {c: None for c in COLUMNS} | {"branch": branch, "name": "", "region": "", "rank": 1} | figures


def _total(**figures) -> pd.DataFrame:
    """The group's own totals row: these figures, every other column empty."""
    return pd.DataFrame([{c: None for c in COLUMNS} | figures])


def _section(page: str) -> str:
    start = page.index('id="branches"')
    return page[start:page.index("</section>", start)]


def test_a_group_with_no_line_in_the_period_still_links_every_branch_pack():
    """No branch sold in the period nor a year before: the league says none is ranked, and both packs are
    linked, in code order, names escaped, "007" and "7" two branches."""
    league = _section(_page(pd.DataFrame(columns=list(COLUMNS)), PACKS))
    assert "none is ranked" in league and 'id="league"' not in league
    unranked = league[league.index("Not ranked"):]
    assert unranked.index('href="branches/007/index.html"') < unranked.index('href="branches/7/index.html"')
    assert "Seven &lt;b&gt;</a> <span" in unranked and "Seven <b>" not in unranked


def test_a_ranked_branch_is_not_listed_again_as_unranked():
    """Branch "7" has a row in the league: it is linked from its row; "007", without one, is listed apart."""
    league = _section(_page(pd.DataFrame([_row("7", sales=10.0)], columns=list(COLUMNS)), PACKS))
    assert 'data-branch="7"' in league and 'data-branch="007"' not in league
    unranked = league[league.index("Not ranked"):]
    assert 'href="branches/007/index.html"' in unranked and 'href="branches/7/index.html"' not in unranked


def test_a_run_without_branch_packs_and_no_ranked_branch_has_no_branches_section():
    """A group run without --by-branch whose period has no line: no Branches section at all."""
    assert 'id="branches"' not in _page(pd.DataFrame(columns=list(COLUMNS)), [])


def _note(league: str) -> str:
    start = league.index("Every percentage is a ratio of sums")
    return league[start:league.index("</p>", start)]


def test_the_totals_note_names_the_columns_that_count_more_than_the_ranked_rows():
    """Branch "7" is ranked with 10 h attended and 100 of overheads; the group's own figures are 14 h (branch
    "8" only clocked) and 130 (30 written to no branch): the note says Attended and Overheads count more."""
    rows = pd.DataFrame([_row("7", sales=10.0, attended=10.0, overheads=100.0)], columns=list(COLUMNS))
    note = _note(_section(_page(rows, PACKS, _total(sales=10.0, attended=14.0, overheads=130.0))))
    assert "Attended also counts the clockings of branches without a ranked row" in note
    assert "Overheads also count those written to no branch" in note


def test_the_totals_note_says_equal_to_the_sums_when_every_column_is():
    """Two ranked branches whose attended hours and overheads add up to the group's (an empty overhead is
    nothing): the note says the group row equals the sums, with no exception."""
    rows = pd.DataFrame([_row("7", sales=10.0, attended=10.0, overheads=100.0),
                         _row("8", sales=5.0, attended=2.5, overheads=None, rank=2)], columns=list(COLUMNS))
    note = _note(_section(_page(rows, PACKS, _total(sales=15.0, attended=12.5, overheads=100.0))))
    assert "(equal to the sums of the branches)." in note and "except" not in note


def test_rows_rounded_one_by_one_still_equal_the_total():
    """Thirty branches each with a third of an overhead (written 33.333333, rounded to 6 decimals as every
    figure is) sum to 999.99999, the group's own 1,000: the note still says the group row equals the sums."""
    rows = pd.DataFrame([_row(f"{i:02d}", sales=10.0, attended=1.0, overheads=33.333333, rank=i + 1)
                         for i in range(30)], columns=list(COLUMNS))
    total = _total(sales=300.0, attended=30.0, overheads=1000.0)
    assert "(equal to the sums of the branches)." in _note(_section(_page(rows, [], total)))
