"""Reading the explorer's grids and charts (issue 22, point 8): a long period's sales chart by ISO
week with GP% from the week's sums, GP% outside the axis named rather than flattening the chart,
labour lines whose units and hours say which is which, and a clock history that reads as one."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from test_widgets import CLOCKINGS, LABOUR, choose

from aftersales.explore.drill import shown_html
from aftersales.present import charts
from aftersales.reports import grids
from factory import check, make_source

AS_OF = "2024-03-15"

# Parts lines across 74 days (2 January to 15 March 2024), in two ISO weeks:
PARTS = [
    # Tue 2 Jan (ISO week 1): gross 100, net 100, cost 60, profit 40
    dict(document="J1", date_edit="2024-01-02", quantity=1, retail_price=100, selling_price=100, cost_price=60),
    # Thu 4 Jan (week 1): gross 50, net 40, cost 30, profit 10
    dict(document="J2", date_edit="2024-01-04", quantity=1, retail_price=50, selling_price=40, cost_price=30),
    # Mon 11 Mar (week 11): gross 10, net 146, cost 10, profit 136 -> the day's GP% 1,360 %
    dict(document="M1", date_edit="2024-03-11", quantity=1, retail_price=10, selling_price=146, cost_price=10),
    # Fri 15 Mar (week 11): gross 50, net 40, cost 20, profit 20 -> the day's GP% 40 %
    dict(document="M2", date_edit="2024-03-15", quantity=2, retail_price=25, selling_price=20, cost_price=10),
]
# Week 1: gross 150, net 140, profit 50 -> GP% 50/150 = 33.33 %.
# Week 11: gross 60, net 186, profit 156 -> GP% 156/60 = 260 % (the days' GP% averaged would be 700 %).


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reading")
    labour = [*LABOUR, dict(wip_no="W9", line_no=1, document="L9", date_created="2024-03-08", date_edit="2024-03-08",
                            account="A1", department="W", technician="T1", allowed_time=2, time_taken=1,
                            minutes_per_unit=51, contribution=100, labour_rate=90, cost_per_hour=40)]
    return make_source(folder / "src", parts_lines=PARTS, labour_lines=labour, clockings=CLOCKINGS)


def daily_rows() -> pd.DataFrame:
    """The activity grid's rows of PARTS (the days' sums and GP%), as the report computes them."""
    from aftersales.reports import parts

    return parts.activity(pd.DataFrame([{**r, "doc_type": "invoice", "discount": 0.0,
                                          "date_edit": pd.Timestamp(r["date_edit"]), "menu_normal_value": None,
                                          "menu_fixed_value": None} for r in PARTS])).rows


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the charts draw (instead of only their PNG bytes)."""
    figures = []
    real = charts.image

    def keep(fig, alt):
        figures.append(fig)
        return real(fig, alt)

    monkeypatch.setattr(charts, "image", keep)
    return figures


# ---------------------------------------------------------------- 8b: weeks and the GP% axis


def test_weekly_sums_and_gp_from_the_weeks_sums():
    """Days are summed per ISO week (Monday to Sunday) and GP% is the week's profit ÷ gross."""
    week = grids.weekly(daily_rows())
    assert [d.date() for d in week["week"]] == [dt.date(2024, 1, 1), dt.date(2024, 3, 11)]
    assert list(week["iso_week"]) == [1, 11] and list(week["days"]) == [2, 2]
    check(week.iloc[0], gross=150, net=140, cost=90, profit=50, gp_pct=50 / 150 * 100)
    check(week.iloc[1], gross=60, net=186, cost=30, profit=156, gp_pct=260.0)
    assert grids.day_span(daily_rows()["date"]) == 74 > grids.WEEKS_AFTER_DAYS


def test_long_period_chart_is_weekly_and_says_so(drawn):
    """Over 62 days the chart draws one bar per ISO week (the week's net) and its GP% from the week's sums;
    the title and the x axis say a point is a week, and a note says how it was summed."""
    html = charts.sales_chart(daily_rows(), "date", "Daily parts net sales and GP%").data
    (fig,) = drawn
    ax, ax2 = fig.axes
    assert [p.get_height() for p in ax.patches] == pytest.approx([140, 186])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["W01 · 01 Jan", "W11 · 11 Mar"]
    assert ax.get_title() == "Weekly parts net sales and GP%" and ax.get_xlabel().startswith("ISO week")
    # week 11's GP% (260 %) is drawn at the axis' top edge, 100 %, and named in the note
    assert list(ax2.lines[0].get_ydata()) == pytest.approx([50 / 150 * 100, 100.0])
    assert ax2.get_ylim()[1] < 110
    assert 'alt="Weekly parts net sales and GP%"' in html
    assert "One point per ISO week" in html and "74 days are over 62" in html
    assert "1 point of GP% outside -100% to 100% drawn at the edge of the axis (▲ ▼): W11 · 11 Mar 260.0%." in html


def test_short_period_chart_is_daily_with_the_outlier_clipped(drawn):
    """A month stays one bar per day; the day's GP% of 1,360 % no longer sets the axis: it is drawn at
    the edge and named, and the other days keep their place (40 % at 15 March)."""
    march = daily_rows().iloc[2:]
    html = charts.sales_chart(march, "date", "Daily parts net sales and GP%").data
    (fig,) = drawn
    ax, ax2 = fig.axes
    assert [p.get_height() for p in ax.patches] == pytest.approx([146, 40])
    assert ax.get_xlabel() == "Day" and ax.get_title() == "Daily parts net sales and GP%"
    assert list(ax2.lines[0].get_ydata()) == pytest.approx([100.0, 40.0])
    low, high = ax2.get_ylim()
    assert high < 110 and low > -110
    assert "11 Mar 1,360.0%" in html and "One point per ISO week" not in html


def test_chart_without_outliers_has_no_note(drawn):
    """GP% inside the axis' range draws as it is, with no note."""
    html = charts.sales_chart(daily_rows().iloc[:2], "date", "Daily parts net sales and GP%").data
    assert "as-note" not in html
    assert list(drawn[0].axes[1].lines[0].get_ydata()) == pytest.approx([40.0, 20.0])


def test_explorer_ytd_chart_is_weekly(explorer):
    """In the explorer, YTD (74 days of sales) shows the weekly chart; MTD the daily one."""
    ex = explorer("parts")
    assert "Daily parts net sales and GP%" in shown_html(ex.report_out)
    assert "11 Mar 1,360.0%" in shown_html(ex.report_out)
    ex.preset.value = "ytd"
    html = shown_html(ex.report_out)
    assert "Weekly parts net sales and GP%" in html and "W11 · 11 Mar 260.0%" in html


# ---------------------------------------------------------------- 8c: units and hours


def test_labour_lines_name_units_and_hours(explorer):
    """A line of 2 time units of 51 minutes shows "Allowed time (units)" 2.00 beside "Allowed (hours)"
    1.70 (2 × 51 ÷ 60), with the minutes per unit between: every time column says its unit and shows
    two decimals; the totals row sums the hours."""
    ex = explorer("labour")
    ex.drill.go("Day", dt.date(2024, 3, 8))
    choose(ex.drill_item, "L9")
    (lines,) = ex.detail
    check(lines.rows.iloc[0], allowed_units=2, taken_units=1, minutes_per_unit=51, allowed_hours=1.7,
          taken_hours=0.85, gross=180, net=180, cost=34, profit=146)
    check(lines.total.iloc[0], allowed_hours=1.7, taken_hours=0.85, net=180)
    html = shown_html(ex.drill.detail_out)
    head = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert {"Allowed time (units)", "Time taken (units)", "Minutes per unit", "Allowed (hours)",
            "Taken (hours)", "Rate per unit"} <= set(head)
    assert "Allowed time" not in head and "Allowed" not in head
    cells = dict(zip(head, re.findall(r"<td>([^<]*)</td>", html.split("<tbody>")[1])))
    assert (cells["Allowed time (units)"], cells["Time taken (units)"], cells["Allowed (hours)"],
            cells["Taken (hours)"], cells["Minutes per unit"], cells["Rate per unit"]) == (
        "2.00", "1.00", "1.70", "0.85", "51", "90.00")


# ---------------------------------------------------------------- 8d: the clock history


def test_clock_history_has_totals_no_legend_and_names_the_technician_once(explorer):
    """T1's clock history: 4 hours on W1 and 1 hour of training total 5 hours; no invoice/credit legend;
    the technician is named in the heading, not on each row."""
    ex = explorer("workshop")
    ex.rows.pick("technicians", "T1")
    assert ex.tabs.selected_index == 1
    html = shown_html(ex.drill.items_out)
    assert "Clock history · Technician T1 · Tom" in html
    assert "as-legend" not in html
    head = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert "Technician" not in head and "Name" not in head and "Hours" in head
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html).group(1)
    texts = re.findall(r"<td>([^<]*)</td>", foot)
    assert texts[0] == "Total" and texts[head.index("Hours")] == "5.00"
    assert texts[head.index("Allowed")] == ""  # a job line's hours repeat per clocking: never summed
    assert list(ex.items["technician"]) == ["T1", "T1"]  # Export keeps every column
    assert "Technician T1 · Tom: clock history (2) listed in" in ex.status.value
