"""Workshop technicians' hours and ratios against figures worked out by hand (SPEC §3 "Workshop"),
and both labour-side notebooks run end to end through `aftersales run`."""

from __future__ import annotations

import csv
import datetime as dt
import math

import nbformat
import pytest

from aftersales.cli import main
from aftersales.reports import workshop
from factory import check, make_source, row, small_lists

START, END, AS_OF = dt.date(2024, 3, 1), dt.date(2024, 3, 15), dt.date(2024, 3, 20)


def line(wip, created, allowed, *, taken=None, document="", date_edit="", technician="T1", **extra):
    return dict(wip_no=wip, line_no=1, technician=technician, date_created=created, allowed_time=allowed,
                time_taken=allowed if taken is None else taken, document=document,
                doc_type=extra.pop("doc_type", "invoice" if document else ""), date_edit=date_edit, **extra)


LINES = [
    # T1, hours (60-minute units, full contribution). Open / Close boundaries:
    line("W10", "2024-02-20", 1, taken=2, document="I10", date_edit="2024-03-01"),  # on from: Open, Allowed
    line("W11", "2024-02-20", 2, taken=1, document="I11", date_edit="2024-03-15"),  # on to: Open, Allowed
    line("W12", "2024-02-20", 4, document="I12", date_edit="2024-03-18"),  # after to: Open, Close
    line("W13", "2024-02-20", 8),  # never invoiced: Open, Close
    line("W14", "2024-02-10", 16, document="I14", date_edit="2024-02-28"),  # invoiced before from: nowhere
    line("W15", "2024-03-05", 32),  # raised in the period, open at the end: Close
    line("W16", "2024-03-16", 64),  # raised after to: nowhere
    line("W17", "2024-02-20", 128, document="I17", date_edit="2024-03-25"),  # invoiced after as_of: still WIP
    line("W18", "2024-03-01", 0.5),  # raised on from: not "before from", so Close only
    # T1: Open 1+2+4+8+128 = 143, Close 4+8+32+128+0.5 = 172.5, Allowed 3, Taken 3, Charged 100+200 = 300.
    # A job line in 6-minute units (15 allowed = 1.5 h, 20 taken = 2 h) split 50/50 between T2 and T3:
    # each is credited 0.75 h allowed, 1 h taken, 15 × 9 × 50% = 67.5 charged.
    line("W20", "2024-03-02", 15, taken=20, document="I20", date_edit="2024-03-10", technician="T2",
         minutes_per_unit=6, contribution=50, labour_rate=9),
    line("W20", "2024-03-02", 15, taken=20, document="I20", date_edit="2024-03-10", technician="T3",
         minutes_per_unit=6, contribution=50, labour_rate=9),
    # A labour credit on T2: −0.5 h allowed and taken, −50 charged. T2: Allowed 0.25, Taken 0.5, Charged 17.5.
    line("W21", "2024-03-12", -0.5, document="C21", doc_type="credit", date_edit="2024-03-12", technician="T2"),
    # T3: a line edited before from but never invoiced (an edit is not an invoice): Open and Close 256.
    line("W19", "2024-02-20", 256, date_edit="2024-02-25", technician="T3"),
    # No technician: set aside and listed.
    line("W30", "2024-03-02", 1, document="I30", date_edit="2024-03-10", technician=""),
]


def clock(tech, name, clock_in, clock_out, wip="", line_no="", idle_code="", productive=""):
    return dict(technician=tech, technician_name=name, clock_in=clock_in, clock_out=clock_out, wip_no=wip,
                line_no=line_no, idle_code=idle_code, idle_productive=productive, reason="",
                description="")


CLOCKINGS = [
    clock("T1", "Old Name", "2024-02-29T22:00", "2024-03-01T02:00", "W10", 1),  # clock-in before from: nowhere
    clock("T1", "Tech One", "2024-03-01T08:00", "2024-03-01T12:00", "W10", 1),  # direct 4
    clock("T1", "Tech One", "2024-03-15T22:00", "2024-03-16T02:00", "W11", 1),  # across midnight on to: direct 4
    clock("T1", "Tech One", "2024-03-05T13:00", "2024-03-05T14:30", idle_code="TRN", productive="true"),  # 1.5
    clock("T1", "Tech One", "2024-03-06T08:00", "2024-03-06T09:00", idle_code="WAIT", productive="false"),  # 1
    clock("T1", "Tech One", "2024-03-07T08:00", "2024-03-07T08:30", idle_code="X"),  # no flag: idle 0.5
    clock("T1", "Tech One", "2024-03-08T08:00", "", "W12", 1),  # open: nowhere
    clock("T1", "Tech One", "2024-03-09T08:00", "2024-03-09T10:00", "W99", 1),  # no labour line: direct 2
    clock("T1", "Tech One", "2024-03-16T08:00", "2024-03-16T10:00", "W12", 1),  # after to: nowhere
    clock("T2", "Tech Two", "2024-03-10T08:00", "2024-03-10T10:00", "W20", 1),  # direct 2
    clock("T2", "Tech Two", "2024-03-14T08:00", "2024-03-21T08:00", "W21", 1),  # off after as_of: open
    clock("T4", "Tech Four", "2024-03-12T08:00", "2024-03-12T16:00", idle_code="WAIT", productive="no"),  # idle 8
    clock("T5", "Tech Five", "2024-03-13T08:00", "", idle_code="WAIT", productive="no"),  # only open: no row
]
# T1: Direct 4+4+2 = 10, Indirect 1.5, Idle 1 + 0.5 = 1.5, Attended 13.


@pytest.fixture
def source(tmp_path, open_source):
    folder = make_source(tmp_path / "src", labour_lines=LINES, clockings=CLOCKINGS)
    return folder, open_source(folder)


@pytest.fixture
def grid(source):
    _, src = source
    return workshop.technicians(src.table("labour_lines"), src.table("clockings"), START, END, AS_OF)




def test_columns_and_rows(grid):
    """The grid has the SPEC's columns and a row per technician with a figure, sorted; open-only has none."""
    assert list(grid.rows.columns) == ["technician", "name", "open", "close", "direct", "indirect", "idle",
                                       "attended", "allowed", "taken", "charged", "idle_pct", "util_pct",
                                       "effi_pct", "pro_pct"]
    assert list(grid.rows["technician"]) == ["T1", "T2", "T3", "T4"]


def test_open_and_close_boundaries(grid):
    """A line invoiced on from or on to is sold in the period; after to or never it is still open at the end."""
    check(row(grid, "T1"), open=143, close=172.5, allowed=3, taken=3, charged=300)


def test_clockings_midnight_idle_and_open(grid):
    """A clocking counts whole on its clock-in day; productive idle is Indirect; open clockings count nowhere."""
    check(row(grid, "T1"), direct=10, indirect=1.5, idle=1.5, attended=13, idle_pct=1.5 / 13 * 100,
          util_pct=3 / 13 * 100, effi_pct=100, pro_pct=3 / 13 * 100)
    assert row(grid, "T1")["name"] == "Tech One"


def test_split_line_and_credit(grid):
    """A 6-minute-unit line split 50/50 credits each technician half; a credit subtracts its hours and value."""
    check(row(grid, "T2"), open=0, close=0, direct=2, attended=2, allowed=0.25, taken=0.5, charged=17.5,
          util_pct=25, effi_pct=50, pro_pct=12.5, idle_pct=0)
    check(row(grid, "T3"), open=256, close=256, allowed=0.75, taken=1.0, charged=67.5, attended=0, effi_pct=75, util_pct=None,
          pro_pct=None, idle_pct=None)


def test_technician_without_clockings_has_empty_name(grid):
    """A technician with labour lines but no clockings has an empty name (its code is in the key column)."""
    assert not isinstance(row(grid, "T3")["name"], str)


def test_names_read_from_recent_clockings_then_older_ones(source):
    """A technician's name is that of its latest clocking up to as_of, found among the recent clockings
    when it has one, else among all (T4 last clocked on 12 March, before `since`; T3 never did)."""
    _, src = source
    clockings = src.table("clockings")
    every = workshop.technician_names(clockings, AS_OF)
    wanted = {"T1", "T2", "T3", "T4"}
    named = workshop.technician_names(clockings, AS_OF, wanted, since=dt.date(2024, 3, 13))
    assert named == {"T1": "Tech One", "T2": "Tech Two", "T4": "Tech Four"}
    assert named == {t: n for t, n in every.items() if t in wanted}


def test_idle_only_technician(grid):
    """A technician who only clocked idle time has Util% and Pro% of 0 and an empty Effi%."""
    check(row(grid, "T4"), idle=8, attended=8, idle_pct=100, util_pct=0, pro_pct=0, effi_pct=None)
    assert row(grid, "T4")["name"] == "Tech Four"


def test_totals_are_ratios_of_summed_hours(grid):
    """The totals row sums hours and money; its percentages are ratios of those sums."""
    check(grid.total.iloc[0], open=143 + 256, close=172.5 + 256, direct=12, indirect=1.5, idle=9.5, attended=23,
          allowed=4, taken=4.5, charged=385, idle_pct=9.5 / 23 * 100, util_pct=4.5 / 23 * 100,
          effi_pct=4 / 4.5 * 100, pro_pct=4 / 23 * 100)


def test_productivity_identity(grid):
    """Pro% = Util% × Effi% / 100 for every technician (and the totals) where both exist."""
    frames = [grid.rows, grid.total]
    checked = 0
    for frame in frames:
        for rec in frame.to_dict("records"):
            if not (math.isnan(rec["util_pct"]) or math.isnan(rec["effi_pct"])):
                assert rec["pro_pct"] == pytest.approx(rec["util_pct"] * rec["effi_pct"] / 100)
                checked += 1
    assert checked == 3  # T1, T2 and the totals (T3 has no Util%, T4 no Effi%)


def test_data_quality_lists(source):
    """Open clockings, clockings to unknown jobs, idle without a flag and lines without a technician are listed."""
    _, src = source
    labour, clockings = src.table("labour_lines"), src.table("clockings")
    opened = workshop.open_clockings(clockings, START, END, AS_OF)
    assert list(opened["technician"]) == ["T1", "T2", "T5"]
    assert list(opened["wip_no"].fillna("")) == ["W12", "W21", ""]
    no_line = workshop.clockings_without_line(labour, clockings, START, END, AS_OF)
    assert list(no_line["wip_no"]) == ["W99"] and no_line["hours"].iloc[0] == pytest.approx(2)
    no_flag = workshop.idle_without_flag(clockings, START, END, AS_OF)
    assert list(no_flag["idle_code"]) == ["X"] and no_flag["hours"].iloc[0] == pytest.approx(0.5)
    no_tech = workshop.lines_without_technician(labour, START, END, AS_OF)
    assert list(no_tech["wip_no"]) == ["W30"] and no_tech["allowed"].iloc[0] == pytest.approx(1)


def test_clock_history(source):
    """The clock history lists the period's clockings with the job line's hours for that technician."""
    _, src = source
    hist = workshop.history(src.table("labour_lines"), src.table("clockings"), START, END, AS_OF)
    assert list(hist.columns) == list(workshop.HISTORY_COLUMNS)
    assert len(hist) == 11  # 13 clockings less one before from and one after to
    late = hist[hist["in"] == "2024-03-15 22:00"].iloc[0]
    assert late["out"] == "2024-03-16 02:00" and late["wip_no"] == "W11" and late["line"] == "1"
    check(late, hours=4, allowed=2, taken=1)
    t2 = hist[(hist["technician"] == "T2") & (hist["wip_no"] == "W20")].iloc[0]
    check(t2, allowed=0.75, taken=1.0)
    still_on = hist[hist["in"] == "2024-03-14 08:00"].iloc[0]
    assert still_on["out"] == "" and math.isnan(still_on["hours"])
    idle = hist[hist["in"] == "2024-03-05 13:00"].iloc[0]
    assert idle["description"] == "TRN" and idle["line"] == "" and math.isnan(idle["allowed"])


def test_productivity_of_all_technicians_reads_only_the_period_and_matches_the_grid(source):
    """The prior year's Pro% tile reads only the lines invoiced in its window, and is the grid's
    total Pro% (hand-worked: 4 allowed over 23 attended hours), also with as_of inside the period."""
    _, src = source
    labour, clockings = src.table("labour_lines"), src.table("clockings")
    assert workshop.productivity(labour, clockings, START, END, AS_OF) == pytest.approx(4 / 23 * 100)
    for last in (END, dt.date(2024, 3, 9)):
        grid = workshop.technicians(labour, clockings, START, last, last)
        assert workshop.productivity(labour, clockings, START, last, last) == grid.total["pro_pct"].iloc[0]
    assert math.isnan(workshop.productivity(labour, None, START, END, AS_OF))  # no clockings: no attended hours


def test_as_of_before_end_of_period(source):
    """With as_of inside the period, later invoices, lines and clockings do not count."""
    _, src = source
    grid = workshop.technicians(src.table("labour_lines"), src.table("clockings"), START, dt.date(2024, 3, 9),
                                dt.date(2024, 3, 9))
    # T1: W10 sold on 1 March; W11 (sold on 15 March) and W15 (raised 5 March) are open at 9 March.
    check(row(grid, "T1"), open=143, close=2 + 4 + 8 + 32 + 128 + 0.5, allowed=1, taken=2,
          direct=4 + 2, indirect=1.5, idle=1.5)
    # T2 and T3 only by the W20 line raised on 2 March and open at 9 March (T2's clocking is on 10 March).
    assert list(grid.rows["technician"]) == ["T1", "T2", "T3"]
    check(row(grid, "T2"), close=0.75, allowed=0, attended=0, util_pct=None, effi_pct=None, pro_pct=None)
    check(row(grid, "T3"), open=256, close=0.75 + 256)


# ---------------------------------------------------------------- end to end

TECH_COLUMNS = ["technician", "name", "open", "close", "direct", "indirect", "idle", "attended", "allowed",
                "taken", "charged", "idle_pct", "util_pct", "effi_pct", "pro_pct"]
SALES_COLUMNS = ["documents", "invoices", "credits", "gross", "discount", "net", "cost", "profit", "variance",
                 "gp_pct"]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_writes_labour_and_workshop(source, tmp_path):
    """`aftersales run --reports labour,workshop` executes both notebooks and writes their CSV files and pages."""
    folder, _ = source
    out = tmp_path / "pack"
    status = main(["run", "--source", str(folder), "--from", "2024-03-01", "--to", "2024-03-15",
                   "--as-of", "2024-03-20", "--reports", "labour,workshop", "--out", str(out), "--jobs", "2"])
    assert status == 0
    keys = {"activity": "date", "departments": "department", "labour_types": "labour_type",
            "operators": "operator"}
    for name, key in keys.items():
        with open(out / "tables" / "labour" / f"{name}.csv", encoding="utf-8") as handle:
            assert handle.readline().strip().split(",") == [key, *SALES_COLUMNS]
    activity = read_csv(out / "tables" / "labour" / "activity.csv")
    assert [r["date"] for r in activity] == ["2024-03-01", "2024-03-10", "2024-03-12", "2024-03-15"]
    techs = read_csv(out / "tables" / "workshop" / "technicians.csv")
    assert list(techs[0]) == TECH_COLUMNS
    assert [r["technician"] for r in techs] == ["T1", "T2", "T3", "T4"]
    t3 = techs[2]
    assert t3["name"] == "" and t3["util_pct"] == "" and float(t3["effi_pct"]) == pytest.approx(75)
    assert float(techs[0]["pro_pct"]) == pytest.approx(3 / 13 * 100, abs=1e-4)
    for report in ("labour", "workshop"):
        page = (out / f"{report}.html").read_text(encoding="utf-8")
        for sign in ("Traceback", 'data-mime-type="application/vnd.jupyter.stderr"', "Error:"):
            assert sign not in page, f"{report}.html shows {sign}"
        executed = nbformat.read(str(out / "notebooks" / f"{report}.ipynb"), as_version=4)
        outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"
                    or (o.output_type == "stream" and o.name == "stderr")], f"{report} notebook wrote errors"
        assert page.count('<img alt="') == 2, f"{report}.html should hold its two charts"
    workshop_page = (out / "workshop.html").read_text(encoding="utf-8")
    assert "Taken ÷ Attended × 100" in workshop_page and "Tech One" in workshop_page  # the KPI dictionary's Util%
    assert "source screen" not in workshop_page  # the page speaks to managers
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Workshop productivity" in index and "Labour net sales" in index


# ---------------------------------------------------------------- a large dealer's month


def test_build_lists_the_first_rows_and_counts_every_row(source, tmp_path):
    """With drill-down lists of 1 row, every data-quality list and the clock history hold their first row
    (by technician and time) while the checks, the notes and the grid count every row."""
    folder, src = source
    with small_lists("workshop", folder, tmp_path, 1, date_from="2024-03-01", date_to="2024-03-15",
                     as_of="2024-03-20") as ctx:
        rep = workshop.build(ctx)
    checks = {c["check"]: c["rows"] for c in rep.quality.checks}
    assert checks["open clockings (no clock-out by the end of as-of)"] == 3
    assert checks["clockings to jobs that have no labour line"] == 1
    assert checks["idle clockings without a productive flag"] == 1
    assert checks["labour lines without a technician"] == 1
    assert checks["clockings with clock-in in the period"] == 11
    opened = rep.quality.details["open clockings (no clock-out by the end of as-of)"]
    assert list(opened["technician"]) == ["T1"] and opened.attrs["rows"] == 3
    assert len(rep.history) == 1 and rep.history.attrs["rows"] == 11
    full = workshop.history(src.table("labour_lines"), src.table("clockings"), START, END, AS_OF)
    assert rep.history.iloc[0].to_dict() == full.iloc[0].to_dict()
    assert any("first 1 of 11 clockings" in note for note in rep.notes)
    check(rep.grids["technicians"].total.iloc[0], attended=23, allowed=4)


def test_charts_draw_the_technicians_with_the_most_attended_hours():
    """Charts draw every technician up to 40; beyond, the 40 with the most attended hours, in code order,
    and their title says so (the grid lists every technician)."""
    import pandas as pd

    few = pd.DataFrame({"technician": ["T2", "T1"], "attended": [1.0, 2.0]})
    rows, scope = workshop.charted(few)
    assert list(rows["technician"]) == ["T2", "T1"] and scope == ""
    many = pd.DataFrame({"technician": [f"T{i:03d}" for i in range(50)], "attended": [float(i % 7) for i in range(50)]})
    rows, scope = workshop.charted(many, top=5)
    # attended 6 for T006, T013, T020, T027, T034, T041, T048: the first five codes, in code order
    assert list(rows["technician"]) == ["T006", "T013", "T020", "T027", "T034"]
    assert scope == " (the 5 with the most attended hours, of 50)"


def test_ratio_tiles_compare_with_the_prior_year_and_the_target(tmp_path):
    """Pro%, Util% and Effi% each show the change in points against the same dates a year earlier (coloured) and
    against the target (plain); the prior year's ratios are ratios of its summed hours."""
    from aftersales.present.page import tiles as shown_tiles
    from aftersales.run import context as report

    def job(day: str, wip: str, allowed: float, taken: float, until: str) -> tuple[dict, dict]:
        line = dict(wip_no=wip, document=f"D{wip}", date_created=day, date_edit=day, allowed_time=allowed,
                    time_taken=taken)
        clock = dict(wip_no=wip, clock_in=f"{day}T08:00", clock_out=f"{day}T{until}")
        return line, clock

    # now: 3 h sold, 2 h taken, 4 h attended -> Util 2/4 = 50, Effi 3/2 = 150, Pro 3/4 = 75
    now_line, now_clock = job("2024-03-05", "W1", 3, 2, "12:00")
    # a year earlier: 2 h sold, 5 h taken, 5 h attended -> Util 100, Effi 40, Pro 40
    old_line, old_clock = job("2023-03-06", "W0", 2, 5, "13:00")
    folder = make_source(tmp_path / "src", labour_lines=[now_line, old_line], clockings=[now_clock, old_clock])
    ctx = report.start("workshop", source=str(folder), date_from="2024-03-01", date_to="2024-03-15",
                       as_of="2024-03-15")  # default targets: Util 85, Effi 110, Pro 95
    try:
        head = workshop.build(ctx).headline
    finally:
        ctx.source.close()
    assert (head["util_pct_prior"], head["effi_pct_prior"], head["pro_pct_prior"]) == pytest.approx((100, 40, 40))
    pro, util, effi = workshop.tiles(head)[:3]
    assert (pro["value"], util["value"], effi["value"]) == pytest.approx((75, 50, 150))
    assert (pro["change"], util["change"], effi["change"]) == pytest.approx((35, -50, 110))
    assert [(t["change_text"], t["target_text"]) for t in (pro, util, effi)] == [
        ("+35.0 pts vs prior year", "-20.0 pts vs target 95 %"),    # 75 − 40; 75 − 95
        ("-50.0 pts vs prior year", "-35.0 pts vs target 85 %"),    # 50 − 100; 50 − 85
        ("+110.0 pts vs prior year", "+40.0 pts vs target 110 %"),  # 150 − 40; 150 − 110
    ]
    page = shown_tiles(workshop.tiles(head)).data
    assert '<div class="as-change as-up">+35.0 pts vs prior year</div>' in page
    assert '<div class="as-change as-down">-50.0 pts vs prior year</div>' in page
    assert '<div class="as-change as-vs-target">-35.0 pts vs target 85 %</div>' in page  # not coloured
    assert workshop.landing_tile(head)["change_text"] == "+35.0 pts vs prior year · target 95 %"
    # the analyst's filtered view has no prior-year figures: the target alone; a prior year without hours says so
    alone = workshop.tiles({k: v for k, v in head.items() if not k.endswith("_prior")})[1]
    assert "change_text" not in alone and alone["target_text"] == "-35.0 pts vs target 85 %"
    empty = workshop.tiles({**head, "util_pct_prior": float("nan")})[1]
    assert empty["change_text"] == "no prior-year figure" and "change" not in empty
