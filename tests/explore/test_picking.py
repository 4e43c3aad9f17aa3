"""Picking in the explorer (issue 22, point 9): filters and drill-down values searched by typing, the
chosen shown as removable tags (no Ctrl-click), owners as "code · Name", and a grid's row drilled
into from the picker placed under that grid. Driven in-process, as the analyst's clicks would."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from test_widgets import ACCOUNTS, AS_OF, CLOCKINGS, LABOUR, PARTS, REPS

from aftersales.explore import pick, widgets
from aftersales.explore.drill import shown_html
from aftersales.run import context as report
from factory import check, make_source

D = dt.date

# 30 more accounts, each one invoice on 12 March: account Bnn buys nn × 10 (cost half of it).
MANY = [dict(account=f"B{n:02d}", name=f"Bravo {n:02d} Motors", owner="R2", territory="South") for n in range(1, 31)]
MANY_PARTS = [dict(document=f"E{n}", doc_type="invoice", date_edit="2024-03-12", department="P", sale_type="S1",
                   operator="OP3", account=f"B{n:02d}", quantity=n, retail_price=10, selling_price=10,
                   discount=0, cost_price=5) for n in range(1, 31)]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("picking")
    return make_source(folder / "src", parts_lines=[*PARTS, *MANY_PARTS], labour_lines=LABOUR, clockings=CLOCKINGS,
                       accounts=[*ACCOUNTS, *MANY], sales_reps=REPS)


@pytest.fixture
def explorer(source, tmp_path):
    made = []

    def _make(name: str, period: str = "mtd", src=None):
        ctx = report.start(name, source=str(src or source), period=period, as_of=AS_OF, interactive=True)
        made.append(ctx)
        return widgets.explore(ctx, export_root=tmp_path / "explore")

    yield _make
    for ctx in made:
        ctx.source.close()


def typed(picker, text: str, enter: bool = False) -> None:
    """What the Lab sends when the analyst types `text` in a picker's search box (and presses Enter)."""
    picker.search.value = text
    if enter:
        picker._submitted(picker.search, {"event": "submit"}, [])


def accounts_shown(ex) -> list[str]:
    return list(ex.view.grids["accounts"].rows["account"])


# ---------------------------------------------------------------- filters


def test_account_filter_is_searched_and_chosen_as_tags(explorer):
    """32 accounts: the search box suggests "code · name" labels; a label typed whole is a choice shown
    as a tag at once (the report redraws with that account only), a second adds to it, a tag's × removes it."""
    ex = explorer("accounts")
    accounts = ex.filters["account"]
    assert isinstance(accounts, pick.Picker) and len(accounts.search.options) == 32
    assert accounts.search.options[:3] == ("A1 · Alpha Garage", "A2 · Beta Fleet", "B01 · Bravo 01 Motors")
    assert accounts.search.placeholder == "Type to search 32 accounts…" and accounts.search.ensure_option
    typed(accounts, "A2 · Beta Fleet")
    assert accounts.value == ("A2",) and list(accounts.tags.value) == ["A2 · Beta Fleet"]
    assert accounts.search.value == ""  # ready for the next one
    assert accounts_shown(ex) == ["A2"]
    # A2: parts D2 40 + D3 80, labour L2 80
    check(ex.view.grids["accounts"].rows.iloc[0], sales=200)
    typed(accounts, "B30 · Bravo 30 Motors")
    assert accounts.value == ("A2", "B30") and accounts_shown(ex) == ["A2", "B30"]
    check(ex.view.grids["accounts"].total.iloc[0], sales=200 + 300)
    accounts.tags.value = ["B30 · Bravo 30 Motors"]  # the × on A2's tag
    assert accounts_shown(ex) == ["B30"]
    accounts.tags.value = []
    assert len(accounts_shown(ex)) == 32
    assert "A2 · Beta Fleet" in accounts.tags.allowed_tags  # the tags box suggests as the search box does


def test_a_partial_or_unknown_text_chooses_nothing(explorer):
    """Text that is no whole label chooses nothing, even with Enter."""
    ex = explorer("accounts")
    accounts = ex.filters["account"]
    typed(accounts, "Bravo")
    typed(accounts, "Bravo", enter=True)
    assert accounts.value == () and len(accounts_shown(ex)) == 32


def test_owners_show_code_and_name(explorer, tmp_path):
    """The owner filter shows each owner as "code · Name" (from sales_reps), as the rep filter does;
    without a sales_reps table the codes show alone."""
    ex = explorer("accounts")
    assert [label for label, _ in ex.filters["owner"].options] == ["R1 · Rita", "R2 · Ravi"]
    typed(ex.filters["owner"], "R1 · Rita")
    assert accounts_shown(ex) == ["A1"]
    assert ex.drill.choices() == [("A1 · Alpha Garage", "A1")]
    bare = make_source(tmp_path / "bare", parts_lines=PARTS, labour_lines=LABOUR, accounts=ACCOUNTS)
    assert [label for label, _ in explorer("accounts", src=bare).filters["owner"].options] == ["R1", "R2"]


def test_every_report_filter_is_a_search_picker(explorer):
    """No list needing Ctrl-click is left: every filter of every report is a search picker."""
    for name in ("parts", "labour", "workshop", "operations", "accounts", "sales"):
        ex = explorer(name)
        assert ex.filters and all(isinstance(f, pick.Picker) for f in ex.filters.values()), name
        assert all(f.search.options for f in ex.filters.values()), name


# ---------------------------------------------------------------- a row of a grid drills into it


def test_a_row_button_under_the_grid_drills_into_the_day(explorer):
    """Under the Activity grid, a button per day; a click opens the Drill-down tab on that day's documents
    (C1 −8.50 and D1 17.00 on 1 March), and clicking it again after another day works again."""
    ex = explorer("parts")
    days = ex.rows.picks["activity"]
    assert [label for label, _ in days.buttons.options] == ["2024-03-01", "2024-03-11", "2024-03-12", "2024-03-15"]
    assert days.buttons.layout.display is None
    html = shown_html(ex.report_out)
    assert html.index('id="grid-activity"') < html.index("Daily parts net sales")  # the picker is right under it
    box = ex.report_out.children
    assert box[box.index(days) - 1].outputs and 'id="grid-activity"' in shown_html(box[box.index(days) - 1])
    started = time.perf_counter()
    days.buttons.value = 0  # the click on "2024-03-01"
    seconds = time.perf_counter() - started
    assert ex.tabs.selected_index == 1
    assert ex.drill_key.value == "Day" and ex.drill_value.value == D(2024, 3, 1)
    assert list(ex.items["document"]) == ["C1", "D1"] and list(ex.items["net"]) == pytest.approx([-8.5, 17])
    assert days.value is None and days.buttons.value is None  # the button clicks again
    ex.tabs.selected_index = 0
    days.buttons.value = 3
    assert list(ex.items["document"]) == ["D3"]
    days.buttons.value = 0
    assert ex.tabs.selected_index == 1 and list(ex.items["document"]) == ["C1", "D1"]
    print(f"row click to documents: {seconds:.3f} s")


def test_a_long_grid_is_searched_not_buttoned(explorer):
    """The 32-account grid has no button per row but the search box: typing an account drills into it."""
    ex = explorer("accounts")
    rows = ex.rows.picks["accounts"]
    assert rows.buttons.layout.display == "none" and len(rows.search.options) == 32
    assert rows.search.placeholder == "Type to search 32 accounts to drill into…"
    typed(rows, "B07 · Bravo 07 Motors")
    assert ex.tabs.selected_index == 1 and ex.drill_value.value == "B07"
    assert list(ex.items["document"]) == ["E7"] and list(ex.items["net"]) == pytest.approx([70])
    assert "Account B07 · Bravo 07 Motors: documents (1) listed in" in ex.status.value


def test_the_document_picker_searches(explorer):
    """A day with 30 documents: the document picker is a search box (no buttons); "E1" is also the start of
    "E10".."E19", so it waits for Enter; "E25" is taken at once and its lines show."""
    ex = explorer("parts")
    ex.rows.pick("activity", D(2024, 3, 12))
    documents = ex.drill_item
    assert len(documents.search.options) == 30 and documents.buttons.layout.display == "none"
    assert documents.search.placeholder == "Type to search 30 documents…"
    typed(documents, "E1")
    assert documents.value is None and ex.detail == []
    typed(documents, "E1", enter=True)
    assert documents.value == "E1"
    check(ex.detail[0].rows.iloc[0], quantity=1, net=10, profit=5)
    typed(documents, "E25")
    assert documents.value == "E25"
    check(ex.detail[0].total.iloc[0], net=250, profit=125)
    assert "Document E25 shown in" in ex.status.value


def test_a_filter_keeps_the_row_pickers_in_step(explorer):
    """After a filter the row pickers offer the rows on screen only."""
    ex = explorer("parts")
    typed(ex.filters["department"], "W")
    assert [label for label, _ in ex.rows.picks["activity"].buttons.options] == ["2024-03-11"]
    assert [label for label, _ in ex.rows.picks["departments"].buttons.options] == ["W"]
