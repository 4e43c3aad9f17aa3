"""Grids and frames as HTML tables: the columns' kinds and labels, the colour legend, the rows a
page carries, the data-quality section and the KPI dictionary.

Pages speak plain words where the CSVs keep codes: a code column (department, sale type, labour
type, idle code, reason, pay type) shows "W · Workshop" when the source's optional `codes` table
describes the code (`use_codes`), an account's owner shows "S01 · Sam Reed" from `sales_reps`
(`use_names`), an alert's rule shows its title ("GP% drop"), a yes/no value shows Yes or No. A
row is marked a loss by one rule (`LOSS_RULE`), said the same way in the legend and the KPI
dictionary.

Every function returns an object that Jupyter displays (HTML) or its markup; none computes a
figure. Text that comes from the data is escaped: it is shown, never interpreted.

A page shows a table's key and its main figures first (`page_order`, the `PRIORITY` rule), so that
a phone shows them before the table scrolls sideways under its first column (the style sheet keeps
that column in place; the script shows a scroll cue while a table is wider than its box).
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from IPython.display import HTML

from aftersales.present.fmt import cell
from aftersales.present.page import notes_html
from aftersales.reports.grids import Grid

MONEY = {
    "gross", "discount", "net", "cost", "profit", "variance", "invoiced", "returned",
    "requisitioned", "reversed", "received", "movement", "vor_loss", "sales", "sales_prior",
    "margin", "margin_prior", "charged", "sales_target", "margin_target", "lead_cost",
    "cost_per_lead", "pipeline", "clv", "annual_cost", "commission", "potential_revenue",
    "value", "threshold", "efficiency", "sales_ytd", "sales_ytd_prior", "margin_ytd", "margin_ytd_prior",
}
PERCENT_SUFFIX = ("_pct", "_pts")
HOURS = {"open", "close", "direct", "indirect", "idle", "attended", "allowed", "taken", "customer_hours"}
QUANTITY = {"current", "d30", "d60", "d90", "d120", "d120_plus", "total", "quantity"}

LABELS = {
    "gp_pct": "GP%", "gp_pct_prior": "Prior GP%", "gp_change_pts": "GP% change (pts)",
    "growth_pct": "Growth %", "first_pick_pct": "First pick %", "vor_loss": "VOR loss",
    "d30": "30", "d60": "60", "d90": "90", "d120": "120", "d120_plus": "120+",
    "idle_pct": "Idle%", "util_pct": "Util%", "effi_pct": "Effi%", "pro_pct": "Pro%",
    "wip_no": "WIP", "doc_type": "Type", "sales_prior": "Prior sales", "margin_prior": "Prior margin",
    "clv": "CLV", "clv_cost_ratio": "CLV / cost", "win_rate_pct": "Win rate %",
    "sales_attainment_pct": "Sales attainment %", "margin_attainment_pct": "Margin attainment %",
    "sales_ytd": "Sales YTD", "sales_ytd_prior": "Prior sales YTD", "margin_ytd": "Margin YTD",
    "margin_ytd_prior": "Prior margin YTD",
}

#: Columns holding codes the `codes` table describes (SPEC §6.1): the column is the code's kind; an
#: account's owner (a rep's code) is described by the rep's name (`use_names`).
CODE_COLUMNS = ("department", "sale_type", "labour_type", "idle_code", "reason", "pay_type", "owner")
#: kind → code → description, from the run's source (`use_codes`, `use_names`); empty when it has none.
CODES: dict[str, dict[str, str]] = {}

#: The order of a table's columns in a page (`page_order`; the CSV tables and the spreadsheet keep
#: the grid's own): the key first (a grid's key, else the first column) with the name beside it,
#: then these figures where the table has them, in this order — the money that matters, its GP%,
#: the comparison with the prior year, a workshop's ratios — then every other column in its order.
PRIORITY = ("net", "sales", "sales_ytd", "gp_pct", "growth_pct", "gp_change_pts", "sales_prior", "sales_ytd_prior",
            "gp_pct_prior", "pro_pct", "util_pct", "effi_pct")
#: A column naming the key (an account's, a technician's name) that stays beside it.
KEY_NAMES = ("name",)
#: A table of figures of different units, one per row (figure, value, prior, change), names each
#: row's unit (count, hours, money, factor) in this column: those columns show in the row's unit,
#: and the column itself is not shown.
ROW_UNIT = "shown_as"
ROW_UNIT_COLUMNS = ("value", "prior", "change")
UNITS = ("count", "hours", "money", "factor", "quantity", "ratio")
#: A first column with a text longer than this (characters) wraps on a phone (`as-long-key`).
LONG_KEY = 20
#: When a row is marked a loss (`_row_class`), in the words of the legend and the KPI dictionary.
LOSS_RULE = "profit below zero on an invoice or a grid row (a credit note is marked as a credit, not a loss)"

_TABLES_SHOWN = 0  # tables without a name shown in this kernel
#: Rows of a table written as HTML: its first page (the rest follow as data for the script).
FIRST_PAGE_ROWS = 25


@functools.cache
def display() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    """Money and hours columns and header labels: the pack's own, and those each report module
    names for its own columns (its `DISPLAY`)."""
    from importlib import import_module

    from aftersales.config import REPORTS

    money, hours, labels = set(MONEY), set(HOURS), dict(LABELS)
    for report in REPORTS:
        extra = getattr(import_module(f"aftersales.reports.{report}"), "DISPLAY", None) or {}
        money |= set(extra.get("money", ()))
        hours |= set(extra.get("hours", ()))
        labels |= dict(extra.get("labels", {}))
    return frozenset(money), frozenset(hours), labels


def label(column: str) -> str:
    return display()[2].get(column, column.replace("_", " ").capitalize())


def _kind(column: str, series: pd.Series) -> str:
    money, hours, _ = display()
    if _yes_no(series):  # whatever its name: a flag named "open" is not hours
        return "text"
    if column in money:
        return "money"
    if column == "clv_cost_ratio":
        return "factor"
    if "_pct" in column or column.endswith(PERCENT_SUFFIX):
        return "ratio"
    if column in hours:
        return "hours"
    if column in QUANTITY:
        return "quantity"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_integer_dtype(series):
        return "count"
    if pd.api.types.is_float_dtype(series):
        return "quantity"
    return "text"


def _yes_no(series: pd.Series) -> bool:
    """A column of yes/no values (empty ones aside)."""
    if pd.api.types.is_bool_dtype(series):
        return True
    if series.dtype != object:
        return False
    values = series.dropna()
    return not values.empty and all(isinstance(v, (bool, np.bool_)) for v in values)


def _row_class(row: Mapping) -> str:
    """The legend's mark of a row: a credit, else a loss (`LOSS_RULE`: profit below zero), else an invoice."""
    doc_type = row.get("doc_type")
    profit = row.get("profit")
    loss = profit is not None and not (isinstance(profit, float) and math.isnan(profit)) and profit < 0
    if doc_type == "credit":
        return "as-credit"
    if loss:
        return "as-loss"
    if doc_type == "invoice":
        return "as-invoice"
    return ""


def _table_id(table_id: str) -> str:
    """The page id of a table: `grid-<name>` for grids, `table-<name>` for the others (so a
    table never takes a section's anchor); tables without a name are numbered in show order."""
    global _TABLES_SHOWN
    if not table_id:
        _TABLES_SHOWN += 1
        return f"table-{_TABLES_SHOWN}"
    ident = re.sub(r"[^A-Za-z0-9_-]", "-", table_id)
    return ident if ident.startswith(("grid-", "table-")) else f"table-{ident}"


def page_order(columns: Sequence[str], key: Sequence[str] = ()) -> list[str]:
    """The columns in a page's order (`PRIORITY`): the key (or the first column) and the name right
    after it, then the PRIORITY figures present, then the rest as they come."""
    columns = list(columns)
    head = [c for c in key if c in columns] or columns[:1]
    after = columns.index(head[-1]) + 1 if head else 0
    if after < len(columns) and columns[after] in KEY_NAMES:
        head.append(columns[after])
    first = head + [c for c in PRIORITY if c in columns and c not in head]
    return first + [c for c in columns if c not in first]


def table_html(
    rows: pd.DataFrame,
    total: pd.DataFrame | None = None,
    *,
    columns: Sequence[str] | None = None,
    table_id: str = "",
    interactive: bool = True,
    key: Sequence[str] = (),
) -> str:
    """An HTML table: header, one row per data row (classed by the legend), totals in tfoot.

    A month of documents is thousands of rows, so the page stays small: the first page of
    rows is HTML (what a reader without scripts sees, with a note on the rest), the other
    rows follow as compact JSON of their shown text, which the page's script turns into rows
    (as text, never markup) before it sorts, searches and pages them. Cells carry no
    attributes: text columns are left-aligned by one style rule of the table, and the script
    sorts by the shown text (numbers read back from it). Every value is escaped: text from
    the data is shown, never interpreted. The columns come in the page's order (`page_order`,
    `key` the grid's key); the totals row follows the same order.
    """
    columns = page_order([c for c in (columns or rows.columns) if c != ROW_UNIT], key)
    kinds = {c: _kind(c, rows[c]) if c in rows else "text" for c in columns}
    ident = _table_id(table_id)
    left = [i + 1 for i, c in enumerate(columns) if kinds[c] in ("text", "date")]
    style = ""
    if left:
        cells = ",".join(f"#{ident} td:nth-child({i})" for i in left)
        style = f"<style>{cells}{{text-align:left}}@media print{{{cells}{{white-space:normal}}}}</style>"
    head = "".join(
        f'<th class="{"as-text" if kinds[c] in ("text", "date") else "as-num"}">{html.escape(label(c))}</th>'
        for c in columns
    )
    units = list(rows[ROW_UNIT]) if ROW_UNIT in rows else None
    named = len(columns) > 1 and columns[1] in KEY_NAMES  # a code key with its name beside: the code alone
    shown = [_shown(rows[c], c, kinds[c], units if c in ROW_UNIT_COLUMNS else None, not (i == 0 and named))
             if c in rows else [""] * len(rows) for i, c in enumerate(columns)]
    classes = [_row_class(r) for r in rows[[c for c in ("doc_type", "profit") if c in rows]].to_dict("records")]
    in_html = len(rows) if not interactive or len(rows) <= FIRST_PAGE_ROWS else FIRST_PAGE_ROWS
    escape = html.escape
    body = []
    for i in range(in_html):
        cls = classes[i]
        body.append((f'<tr class="{cls}">' if cls else "<tr>")
                    + "".join(f"<td>{escape(col[i], quote=False)}</td>" for col in shown) + "</tr>")
    foot = ""
    if total is not None and len(total):
        record = total.iloc[0].to_dict()
        tds = []
        for i, c in enumerate(columns):
            if c in record:
                text, _ = cell(record[c], kinds[c])
            else:
                text = "Total" if i == 0 else ""
            tds.append(f"<td>{escape(text, quote=False)}</td>")
        foot = '<tfoot><tr class="as-total">' + "".join(tds) + "</tr></tfoot>"
    rest = ""
    if in_html < len(rows):
        names = sorted(set(classes[in_html:]))
        index = {name: k for k, name in enumerate(names)}
        data = {"classes": names,
                "rows": [[index[classes[i]], *(col[i] for col in shown)] for i in range(in_html, len(rows))]}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        more = len(rows) - in_html
        rest = (f'<script type="application/json" class="as-rows" data-for="{ident}">{text}</script>'
                f'<div class="as-more">{more:,} more rows appear when the page\'s script runs '
                "(open the file in a web browser).</div>")
    cls = "as-grid" if interactive else "as-grid as-static"
    if shown and any(len(text) > LONG_KEY for text in shown[0]):
        cls += " as-long-key"  # its first column wraps on a phone rather than fill the screen
    if named:
        cls += " as-named"  # the name beside the key wraps on a phone, so that the figures show
    if len(columns) > 16:  # printed smaller, so that A4 landscape holds every column
        cls += " as-wide2"
    elif len(columns) > 11:
        cls += " as-wide1"
    return (
        f'<div class="as-wide">{style}<table class="{cls}" id="{ident}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody>{foot}</table>{rest}</div>"
    )


def _shown(values: pd.Series, column: str, kind: str, units: Sequence[str] | None = None,
           describe: bool = True) -> list[str]:
    """The shown text of a column's cells: each in its row's unit where a table names them
    (`ROW_UNIT`), codes with their descriptions (unless `describe` is off: the name is beside
    the code), rules by their titles."""
    if units is not None:
        return [cell(v, unit if unit in UNITS else kind)[0] for v, unit in zip(values, units)]
    texts = [cell(v, kind)[0] for v in values]
    if kind != "text":
        return texts
    if column in CODE_COLUMNS and not describe:
        return texts
    words = CODES.get(column) if column in CODE_COLUMNS else _rule_titles() if column == "rule" else None
    if not words:
        return texts
    if column == "rule":
        return [words.get(t, t) for t in texts]
    return [f"{t} · {words[t]}" if words.get(t) else t for t in texts]


@functools.cache
def _rule_titles() -> dict[str, str]:
    from aftersales.reports.alerts import RULE_TITLES

    return dict(RULE_TITLES)


def _refresh_script() -> str:
    return "<script>window.asGridSetup && window.asGridSetup();</script>"


def grid(g: Grid, *, columns: Sequence[str] | None = None, legend: bool = True, top: str | None = None) -> HTML:
    """A grid with its totals row, colour legend and notes; sorts, searches and pages in the page.
    A grid longer than a page carries shows its first rows, or with `top` its rows of the
    highest `top` (the biggest accounts, not the first codes)."""
    parts = [notes_html(g.notes)]
    if g.rows.empty:
        parts.append('<div class="as-missing">No data in this period.</div>')
        return HTML("".join(parts))
    if legend:
        parts.append(legend_html())
    rows, cut = on_page(g.rows, top)
    parts.append(cut)
    parts.append(table_html(rows, g.total, columns=columns, table_id=f"grid-{g.name}", key=g.key))
    parts.append(_refresh_script())
    return HTML("".join(parts))


#: Rows a table carries in a page (`report.page_rows`, set by report.start); longer grids show
#: their first or top rows (the totals row, the CSV files and the spreadsheet hold everything),
#: so that a page stays small enough to mail.
PAGE_ROWS = 1000


def use_settings(settings: Mapping) -> None:
    """Take the page settings of a run or notebook (`report.page_rows`)."""
    global PAGE_ROWS
    PAGE_ROWS = int(settings.get("report", {}).get("page_rows", PAGE_ROWS))


def use_codes(codes: Mapping[str, Mapping[str, str]]) -> None:
    """Take the descriptions of the source's `codes` table (kind → code → description) that the
    pages show beside each code; an empty mapping shows the codes alone."""
    CODES.clear()
    for kind, described in codes.items():
        CODES[str(kind)] = {str(code): str(text) for code, text in described.items() if text}


def use_names(column: str, names: Mapping[str, str]) -> None:
    """Show the codes of a column with these names beside them (an account's owner, a rep's code,
    with the rep's name from `sales_reps`): "S01 · Sam Reed"; the CSV tables keep the codes."""
    CODES[str(column)] = {str(code): name for code, name in names.items() if isinstance(name, str) and name}


def on_page(rows: pd.DataFrame, top: str | None = None) -> tuple[pd.DataFrame, str]:
    """The rows of a table a page carries, and the note saying so when they are not all."""
    if len(rows) <= PAGE_ROWS:
        return rows, ""
    if top:
        shown = rows.sort_values(top, ascending=False, na_position="last", kind="stable").head(PAGE_ROWS)
        which = f"The {PAGE_ROWS:,} rows with the highest {label(top)} (of {len(rows):,}) are shown here"
    else:
        shown = rows.head(PAGE_ROWS)
        which = f"The first {PAGE_ROWS:,} of {len(rows):,} rows are shown here"
    text = f"{which}; the totals row counts every row, and the CSV table and the spreadsheet hold them all."
    return shown, notes_html([text])


def frame(rows: pd.DataFrame, *, columns: Sequence[str] | None = None, legend: bool = False,
          empty: str = "No data in this period.", table_id: str = "", top: str | None = None) -> HTML:
    """A plain frame as a sortable, searchable, paged table (drill-downs, lists)."""
    if rows.empty:
        return HTML(f'<div class="as-missing">{html.escape(empty)}</div>')
    shown, cut = on_page(rows, top)
    out = (legend_html() if legend else "") + cut + table_html(shown, columns=columns, table_id=table_id)
    return HTML(out + _refresh_script())


def legend_html() -> str:
    return (
        '<div class="as-legend">Legend: <span class="as-k-invoice">invoice</span>'
        '<span class="as-k-credit">credit</span>'
        f'<span class="as-k-loss" title="{html.escape(LOSS_RULE)}">loss (profit below zero)</span>'
        '<span class="as-k-total">totals</span></div>'
    )


def quality(dq, detail_rows: int = 50) -> HTML:
    """The data-quality section: each check with its row count and treatment, then the rows."""
    parts = [table_html(dq.frame(), table_id="data-quality", interactive=False)]
    for check, detail in dq.details.items():
        shown = detail.head(detail_rows)
        total = detail.attrs.get("rows", len(detail))
        more = f" (first {min(detail_rows, len(detail))} of {total:,})" if total > len(shown) else ""
        parts.append(f"<h4>{html.escape(check)}{more}</h4>")
        parts.append(table_html(shown, interactive=False))
    return HTML("".join(parts))


def dictionary(kpis: Mapping[str, str]) -> HTML:
    """The KPI dictionary: each figure's formula in words, and the loss mark's rule (`LOSS_RULE`)."""
    kpis = {**kpis, "Loss (marked row)": f"a row is marked a loss when it has {LOSS_RULE}"}
    rows = "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in kpis.items()
    )
    return HTML(f'<table class="as-grid as-static as-dict"><thead><tr><th class="as-text">Figure</th>'
                f'<th class="as-text">How it is computed</th></tr></thead><tbody>{rows}</tbody></table>')

