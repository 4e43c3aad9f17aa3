"""What a chart's image holds: every word on it inside the picture, whatever the labels' length."""

import base64
import io
import re

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

from aftersales.present import charts

LONG = "a name long enough to reach the edge of the chart"


def _png_size(page) -> tuple[int, int]:
    """The (width, height) in pixels of the PNG a chart's HTML embeds."""
    png = base64.b64decode(re.search(r'base64,([^"]+)"', page.data).group(1))
    return Image.open(io.BytesIO(png)).size


def _drawn(monkeypatch, draw):
    """The chart's PNG size and, as laid out in it, the box around everything drawn, and the box of each
    text on the axes (titles, axis labels, notes beside points) and in the legend, in pixels."""
    kept, original = {}, charts.image

    def keep(fig, alt):
        page = original(fig, alt)
        canvas = FigureCanvasAgg(fig)  # laid out again at the PNG's size and resolution, as it was written
        canvas.draw()
        renderer = canvas.get_renderer()
        kept["size"] = _png_size(page)
        ticks = {id(t) for ax in fig.axes for t in ax.get_xticklabels() + ax.get_yticklabels()}
        kept["boxes"] = [("everything drawn", fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans))] + [
            (t.get_text(), t.get_window_extent(renderer)) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in ticks]
        return page

    monkeypatch.setattr(charts, "image", keep)
    draw()
    return kept["size"], kept["boxes"]


def _days(gp):
    return pd.DataFrame({"date": pd.date_range("2026-10-01", periods=len(gp)), "net": [100.0 * (i + 1) for i in
                         range(len(gp))], "gross": 1000.0, "gp_pct": gp})


CHARTS = {
    # a GP% outside the axis on the first and the last day: its value is written at the edge
    "sales": lambda: charts.sales_chart(_days([1360.0] + [20.0] * 29 + [-250.0]), "date", "Daily parts sales"),
    "bars": lambda: charts.bar_chart(
        pd.DataFrame({"technician": [f"T{i:02d} {LONG}" for i in range(30)], "util_pct": 90.0, "effi_pct": 110.0,
                      "pro_pct": 99.0}),
        "technician", ["util_pct", "effi_pct", "pro_pct"], "Util%, Effi% and Pro% per technician against targets",
        targets={"Util%": 85.0, "Effi%": 100.0}),
    # the longest bar's note is written beyond its end, at the right edge of the axes
    "ranking": lambda: charts.hbar_chart(
        pd.DataFrame({"name": [f"<b>{LONG}</b> {i}" for i in range(12)], "sales": [1e6 - i for i in range(12)],
                      "lines": [123456 + i for i in range(12)]}),
        "name", "sales", "Top accounts", annotate="lines"),
    "points": lambda: charts.scatter_chart(
        pd.DataFrame({"rep": [f"{LONG} {i}" for i in range(5)], "hours": [0.0, 1.0, 2.0, 3.0, 4.0],
                      "margin": [4.0, 3.0, 2.0, 1.0, 5.0]}),
        "hours", "margin", "rep", "Hours against margin"),
    "lines": lambda: charts.line_chart(
        pd.DataFrame({"month": [f"2026-{m:02d}" for m in range(1, 13)], "A": 1e5, "B": 2e5}),
        "month", ["A", "B"], "Sales by month", ylabel="Sales", names={"A": LONG, "B": LONG + " too"}),
}


@pytest.mark.parametrize("kind", sorted(CHARTS))
def test_every_word_of_a_chart_is_inside_its_picture(monkeypatch, kind):
    """Titles, tick labels, legends and the notes written beside points are drawn within the PNG (a word
    cut at the edge of a chart cannot be read), with long labels and notes at the axes' edges."""
    (width, height), boxes = _drawn(monkeypatch, CHARTS[kind])
    assert boxes
    outside = [(text, box.bounds) for text, box in boxes
               if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height]
    assert outside == []


def test_a_chart_is_as_wide_as_every_other():
    """Every chart is the same width in the page (9 × 80 pixels), so charts line up one under another."""
    sizes = {_png_size(draw())[0] for draw in CHARTS.values()}
    assert sizes == {720}
