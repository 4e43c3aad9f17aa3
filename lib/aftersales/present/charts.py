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
from aftersales.present.page import missing
from aftersales.present.tables import label
from aftersales.reports.grids import top_rows


def figure(width: float = 9.0, height: float = 3.6):
    """A matplotlib Figure in the pack's style (no pyplot: no global state, no backend)."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def image(fig, alt: str) -> HTML:
    """A figure as an embedded PNG (self-contained, deterministic bytes)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return HTML(f'<div class="as-chart"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/></div>')


def sales_chart(rows: pd.DataFrame, x: str, title: str, *, bars: str = "net", line: str = "gp_pct") -> HTML:
    """Bars of a money column with a GP% line on a second axis."""
    import matplotlib

    if rows.empty:
        return missing(f"No data for the chart “{title}”.")
    with matplotlib.rc_context(fname=str(STYLE_FILE)):
        fig, ax = figure()
        labels = [pd.Timestamp(v).strftime("%d %b") if x == "date" else str(v) for v in rows[x]]
        ax.bar(labels, rows[bars], color="#1f4e79", label=label(bars))
        ax.set_ylabel(label(bars))
        ax.set_title(title)
        ax2 = ax.twinx()
        ax2.plot(labels, rows[line], color="#e07b00", marker="o", label=label(line))
        ax2.set_ylabel(label(line))
        ax2.grid(False)
        if len(labels) > 12:
            step = max(1, len(labels) // 12)
            ax.set_xticks(range(0, len(labels), step))
            ax.set_xticklabels(labels[::step])
        ax.tick_params(axis="x", labelrotation=45 if len(labels) > 6 else 0)
        fig.legend(loc="outside lower center", ncol=2, fontsize="small")
        return image(fig, title)


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
