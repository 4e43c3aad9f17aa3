"""Charts in the pack's style: bars, lines, points, rankings, each an embedded PNG.

Every function returns an image that Jupyter displays (or, without data, the note saying so);
none computes a figure. matplotlib is imported when a chart is drawn, never through pyplot
(no global state, no backend), and a figure's bytes are the same from run to run.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence

import pandas as pd
from IPython.display import HTML

from aftersales.config import STYLE_FILE
from aftersales.present.fmt import fixed
from aftersales.present.page import missing, notes_html
from aftersales.present.tables import label
from aftersales.reports.grids import WEEKS_AFTER_DAYS, day_span, top_rows, weekly


def figure(width: float = 9.0, height: float = 3.6):
    """A matplotlib Figure in the pack's style (no pyplot: no global state, no backend)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def image(fig, alt: str) -> HTML:
    """A figure as an embedded PNG (self-contained, deterministic bytes). On a phone's narrow screen
    the chart's labels would be too small to read: the page shows a note in its place instead
    (pack.css `.as-chart-narrow`), since the section's table holds the same figures."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return HTML(f'<div class="as-chart"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'
                f'<div class="as-chart-narrow">The chart “{html.escape(alt)}” needs a wider screen (turn the '
                "phone sideways); the table of this section holds its figures.</div></div>")


#: The GP% axis of a sales chart: a point outside is drawn at its edge, marked and named in a note
#: (one day's GP% of 1,360 % on a small gross would flatten every other day's).
GP_AXIS = (-100.0, 100.0)


def sales_chart(rows: pd.DataFrame, x: str, title: str, *, bars: str = "net", line: str = "gp_pct") -> HTML:
    """Bars of a money column with a GP% line on a second axis.

    Days over more than `grids.WEEKS_AFTER_DAYS` (two months) are drawn one point per ISO week:
    the week's sums and GP% from them (`grids.weekly`), a leading "Daily" in the title becoming
    "Weekly"; the x axis says what a point is. GP% outside `GP_AXIS` is drawn at the axis' edge
    (▲ above, ▼ below, with its value) and a note under the chart names those points."""
    import matplotlib

    if rows.empty:
        return missing(f"No data for the chart “{title}”.")
    point, notes = label(x), []
    if x == "date":
        span = day_span(rows[x])
        if span > WEEKS_AFTER_DAYS and {bars, "gross"} <= set(rows):
            rows = weekly(rows, x)
            labels = [f"W{int(n):02d} · {pd.Timestamp(w).strftime('%d %b')}"
                      for n, w in zip(rows["iso_week"], rows["week"])]
            point = "ISO week (Monday to Sunday): its number and Monday"
            title = "Weekly " + title[len("Daily "):] if title.lower().startswith("daily ") else title
            notes.append(f"One point per ISO week: the period's {span} days are over {WEEKS_AFTER_DAYS}, so each "
                         "point sums its week's days (the first and last weeks only the period's) and its GP% is "
                         "the week's profit ÷ gross, not an average of days.")
        else:
            labels = [pd.Timestamp(v).strftime("%d %b") for v in rows[x]]
            point = "Day"
    else:
        labels = [str(v) for v in rows[x]]
    gp = rows[line].astype("float64").to_numpy()
    low, high = GP_AXIS
    outside = [(i, v) for i, v in enumerate(gp) if v == v and not low <= v <= high]
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig, ax = figure()
        pos = list(range(len(labels)))  # positions, not categories: two equal labels stay two points
        ax.bar(pos, rows[bars].astype("float64").fillna(0).to_numpy(), color="#1f4e79", label=label(bars))
        ax.set_ylabel(label(bars))
        ax.set_xlabel(point)
        ax.set_title(title)
        ax2 = ax.twinx()
        ax2.plot(pos, gp.clip(low, high), color="#e07b00", marker="o", label=label(line))
        for i, v in outside:
            edge = high if v > high else low
            ax2.plot([i], [edge], linestyle="none", marker="^" if v > high else "v", markersize=9,
                     color="#c62828")
            ax2.annotate(f"{fixed(v, 1)}%", (i, edge), xytext=(4, -12 if v > high else 6),
                         textcoords="offset points", fontsize=8, color="#c62828")
        ax2.set_ylabel(label(line) + (f" (axis {low:g} to {high:g})" if outside else ""))
        ax2.grid(False)
        step = max(1, len(labels) // 12) if len(labels) > 12 else 1
        ax.set_xticks(pos[::step])
        ax.set_xticklabels(labels[::step])
        ax.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0)
        fig.legend(loc="outside lower center", ncol=2, fontsize="small")
        chart = image(fig, title)
    if outside:
        named = ", ".join(f"{labels[i]} {fixed(v, 1)}%" for i, v in outside)
        points = "point" if len(outside) == 1 else "points"
        notes.append(f"{len(outside)} {points} of {label(line)} outside {low:g}% to {high:g}% drawn at the edge of "
                     f"the axis (▲ ▼): {named}.")
    return HTML(chart.data + notes_html(notes))


def bar_chart(rows: pd.DataFrame, x: str, ys: Sequence[str], title: str, *, stacked: bool = False,
              targets: Mapping[str, float] | None = None, horizontal: bool = False) -> HTML:
    """Grouped or stacked bars of one or more columns per key, with optional target lines."""
    import matplotlib
    import numpy as np

    if rows.empty:
        return missing(f"No data for the chart “{title}”.")
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig, ax = figure()
        labels = [str(v) for v in rows[x]]
        pos = np.arange(len(labels))
        width = 0.8 if stacked else 0.8 / len(ys)
        bottom = np.zeros(len(labels))
        for i, y in enumerate(ys):
            values = rows[y].astype("float64").fillna(0).to_numpy()
            offset = 0 if stacked else (i - (len(ys) - 1) / 2) * width
            if stacked:
                ax.bar(pos, values, width, bottom=bottom, label=label(y))
                bottom = bottom + values
            else:
                ax.bar(pos + offset, values, width, label=label(y))
        for i, (name, value) in enumerate((targets or {}).items()):
            ax.axhline(value, linestyle="--", linewidth=1, color=f"C{i}", label=f"{name} target {value:g}")
        ax.set_xticks(pos)
        ax.set_xticklabels(labels, rotation=45 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center")
        ax.set_title(title)
        fig.legend(loc="outside lower center", ncol=min(len(ys) + len(targets or {}), 4), fontsize="small")
        return image(fig, title)


def line_chart(rows: pd.DataFrame, x: str, series: Sequence[str], title: str, *, ylabel: str = "",
               names: Mapping[str, str] | None = None) -> HTML:
    """One line per column of `series` against `x` (e.g. months); legend entries are the column
    names as given (codes from the data are shown as they are), or `names[column]` when given."""
    import matplotlib

    if rows.empty or not len(series):
        return missing(f"No data for the chart “{title}”.")
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig, ax = figure()
        labels = [str(v) for v in rows[x]]
        for col in series:
            legend = (names or {}).get(col, str(col))
            ax.plot(labels, rows[col].astype("float64").to_numpy(), marker="o", label=legend)
        ax.set_title(title)
        if ylabel:
            ax.set_ylabel(ylabel)
        ax.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0)
        fig.legend(loc="outside lower center", ncol=min(len(series), 5), fontsize="small")
        return image(fig, title)


#: The most points a scatter chart names; the others are drawn without a name.
SCATTER_NAMES = 20


def scatter_chart(rows: pd.DataFrame, x: str, y: str, labels: str, title: str, *,
                  names: int = SCATTER_NAMES) -> HTML:
    """One point per row (e.g. a rep's customer hours against its margin), named by `labels`:
    at most `names` points are named, those of the highest `y`, and the title then says so
    (sixty names on one chart cover each other)."""
    import matplotlib

    shown = rows.dropna(subset=[x, y]) if not rows.empty else rows
    if shown.empty:
        return missing(f"No data for the chart “{title}”.")
    named, scope = top_rows(shown, y, labels, names, "")
    if scope:
        title = f"{title} (named: the {names} of the highest {label(y).lower()}, of {len(shown):,})"
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig, ax = figure()
        ax.scatter(shown[x].astype("float64"), shown[y].astype("float64"), color="#1f4e79", zorder=3)
        for _, record in named.iterrows():
            ax.annotate(str(record[labels]), (float(record[x]), float(record[y])), fontsize=8,
                        xytext=(4, 4), textcoords="offset points")
        ax.axhline(0, color="#8a96a8", linewidth=0.8)
        ax.set_xlabel(label(x))
        ax.set_ylabel(label(y))
        ax.set_title(title)
        return image(fig, title)


def hbar_chart(rows: pd.DataFrame, key: str, value: str, title: str, *, annotate: str | None = None) -> HTML:
    """Horizontal bars of one column, first row on top (rankings, funnels); `annotate` is
    written beside each bar (e.g. a count)."""
    import matplotlib

    if rows.empty:
        return missing(f"No data for the chart “{title}”.")
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig, ax = figure(height=max(2.0, 0.45 * len(rows) + 1.0))
        labels = [str(v) for v in rows[key]]
        values = rows[value].astype("float64").fillna(0).to_numpy()
        pos = list(range(len(labels)))[::-1]
        ax.barh(pos, values, color="#1f4e79")
        ax.set_yticks(pos)
        ax.set_yticklabels(labels)
        if annotate is not None:
            for p, v, note_value in zip(pos, values, rows[annotate]):
                ax.annotate(f"{label(annotate)}: {note_value}", (v, p), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=8)
        ax.set_xlabel(label(value))
        ax.set_title(title)
        return image(fig, title)
