"""The drill-down a stakeholder page carries: from a row of a sales grid (a day, a department, a
sale or labour type, an operator) to its documents, and from a document to its lines — in the page,
without a kernel.

A month is tens of thousands of lines, so a page holds the period's most recent documents (by date,
newest first, then document) up to `report.drill_lines` lines in all, and says how many of how many
it holds; the CSV table `<report>/documents` and the spreadsheet hold every document.

Every figure is summed in SQL with the grids' own line formulas and key columns
(`formulas.PARTS_LINE` / `LABOUR_LINE`, `parts.GRIDS` / `labour.GRIDS`; labour counts invoiced lines
only): a document's own figures are those of the report's documents list (`grids.document_grid`), a
row's share of a document the sums of that row's lines in it, so for a row whose documents are all
held, its documents' figures add up to the grid row's; a row's count of documents is the grid's. The
page only shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from aftersales.reports.drill import listed, literal
from aftersales.reports.formulas import ALLOWED_HOURS, LABOUR_LINE, PARTS_LINE, select_list, tidy
from aftersales.reports.grids import Lines, query

#: What a document, a row's share of it and a line show: their count of lines and these sums.
MEASURES = ("net", "profit")


@dataclass(frozen=True)
class Report:
    """What a report's page drills into: its lines, grids, line formulas and line columns."""

    table: str
    grids: Mapping[str, tuple[str, str]]  # grid name → (source column, key column), as the report's GRIDS
    labels: Mapping[str, str]  # grid name → what one of its rows is ("Day", "Department"…)
    values: Mapping[str, str]  # the line formulas
    columns: Mapping[str, str]  # a line's shown columns: name → SQL
    order: str  # the order of a document's lines


@dataclass
class GridDrill:
    """One grid's rows and, per row, its share of each held document."""

    key: str  # the grid's key column (the first column of its rows)
    label: str  # what one of its rows is: "Day", "Department"…
    #: One row per grid row: the key, `documents` (the row's documents in the period), `held` (of
    #: them, those the page holds), in the grid's order.
    rows: pd.DataFrame
    #: One row per (grid row, held document): the key, `doc` (the document's place in
    #: `PageDrill.documents`), `lines`, `net`, `profit` of the row's lines in it, and `whole` (all the
    #: document's lines are the row's: its figures are then the document's own).
    entries: pd.DataFrame


@dataclass
class PageDrill:
    report: str
    #: The held documents, most recent first: document, doc_type, date, account, name, lines, net, profit.
    documents: pd.DataFrame
    #: Their lines: `doc` (the document's place), each grid's key column, the shown columns, net, profit.
    lines: pd.DataFrame
    columns: tuple[str, ...]  # the shown columns of a line (besides the keys and figures)
    grids: dict[str, GridDrill]
    documents_all: int  # the period's documents…
    lines_all: int  # …and lines (those that count in the grids)
    cap: int  # report.drill_lines

    @property
    def capped(self) -> bool:
        return len(self.documents) < self.documents_all


def _reports() -> dict[str, Report]:
    from aftersales.reports import labour, parts

    return {
        "parts": Report("parts_lines", parts.GRIDS, {"activity": "Day", "departments": "Department",
                                                     "sales_types": "Sale type", "operators": "Operator"},
                        PARTS_LINE, {"part_no": "part_no", "quantity": "quantity"},
                        "date_edit, department NULLS LAST, sale_type NULLS LAST, operator NULLS LAST, part_no"),
        "labour": Report("labour_lines", labour.GRIDS, {"activity": "Day", "departments": "Department",
                                                        "labour_types": "Labour type", "operators": "Operator"},
                         LABOUR_LINE, {"wip_no": "wip_no", "line_no": "line_no", "technician": "technician",
                                       "hours_sold": ALLOWED_HOURS},
                         "wip_no NULLS LAST, line_no NULLS LAST, date_edit, technician NULLS LAST"),
    }


def for_page(ctx, rep) -> PageDrill:
    """The drill-down of the context's report (parts or labour) for its period, from its report
    `rep` (`parts.build` / `labour.build`): its grids' rows and every document of the period."""
    spec = _reports()[ctx.report]
    lines = ctx.lines(spec.table)
    if ctx.report == "labour":
        from aftersales.reports.labour import invoiced

        lines = invoiced(lines)
    counts = {name: rep.grids[name].rows for name in spec.grids}
    drill = page_drill(lines, spec, rep.every_document, counts, int(ctx.params["report"]["drill_lines"]))
    drill.report = ctx.report
    return drill


def held_documents(every: pd.DataFrame, cap: int) -> pd.DataFrame:
    """The documents a page holds: the most recent (by date, newest first, then document) while their
    lines come to at most `cap` in all."""
    if cap <= 0 or every.empty:
        return every.head(0)[["document", "doc_type", "date", "account", "name", "lines", *MEASURES]]
    if len(every) > cap:  # each has a line at least: the held ones are among the `cap` latest (and their days')
        every = every[every["date"] >= every["date"].nlargest(cap).min()]
    recent = every.sort_values(["date", "document", "doc_type"], ascending=[False, True, True],
                               na_position="last", kind="stable")
    held = recent[recent["lines"].cumsum() <= cap]
    return held[["document", "doc_type", "date", "account", "name", "lines", *MEASURES]].reset_index(drop=True)


def page_drill(lines: Lines, spec: Report, every: pd.DataFrame, counts: Mapping[str, pd.DataFrame],
               cap: int) -> PageDrill:
    """The held documents (at most `cap` lines in all), each grid row's share of them, their lines.

    `lines` are the lines the grids count; `every` is every document of the period, as
    `grids.document_grid` makes it (its lines, net and profit summed with the same formulas);
    `counts` each grid's rows (its key column and `documents`, the row's documents in the period).
    """
    cap = int(cap)
    docs = held_documents(every, cap)
    docs["lines"] = docs["lines"].astype("int64")
    sources = list(dict.fromkeys(key for key, _ in spec.grids.values()))
    # the line values: the grids' formulas, the keys as the grids group them; only the held documents'
    # (whose lines are all of their day or later: a document's day is its first line's)
    since = f"date_edit >= {literal(docs['date'].min())} AND" if len(docs) else ""
    values = (f"SELECT document, doc_type, date_edit, {', '.join(sources)}, "
              f"{select_list({m: spec.values[m] for m in MEASURES})}"
              + "".join(f", ({sql}) AS {name}" for name, sql in spec.columns.items())
              + f" FROM lines WHERE {since} document IN ({listed(docs['document'].unique()) or 'NULL'})")
    place = docs[["document", "doc_type"]].assign(doc=range(len(docs)))
    flags = ", ".join(f"GROUPING({k}) AS by_{i}" for i, k in enumerate(sources))
    sets = ", ".join(f"({k}, document, doc_type)" for k in sources)
    shares = query(lines, f"SELECT {flags}, {', '.join(sources)}, document, doc_type, COUNT(*) AS lines, SUM(net) "
                          f"AS net, SUM(profit) AS profit FROM ({values}) AS held GROUP BY GROUPING SETS ({sets})")
    shares = _money(shares.merge(place, on=["document", "doc_type"]).sort_values("doc", kind="stable"))
    doc_lines, numbers = docs["lines"].to_numpy(), docs["document"].to_numpy()
    grids = {}
    for name, (source, column) in spec.grids.items():
        mine = shares[shares[f"by_{sources.index(source)}"] == 0]
        entries = pd.DataFrame({column: mine[source], "doc": mine["doc"].astype("int64"),
                                "lines": mine["lines"].astype("int64"), **{m: mine[m] for m in MEASURES}})
        entries = entries.reset_index(drop=True)
        entries["whole"] = entries["lines"].to_numpy() == doc_lines[entries["doc"].to_numpy()]
        # held: the row's documents the page holds, counted as the grid counts them (by number)
        held = (pd.DataFrame({column: entries[column], "number": numbers[entries["doc"].to_numpy()]})
                .drop_duplicates().groupby(column, dropna=False).size().rename("held").reset_index())
        rows = counts[name][[column, "documents"]].merge(held, on=column, how="left")
        rows["held"] = rows["held"].fillna(0).astype("int64")
        grids[name] = GridDrill(column, spec.labels[name], rows, entries)

    keyed = ", ".join(f"{source} AS {column}" for source, column in spec.grids.values())
    held_lines = query(lines, f"SELECT document, doc_type, {keyed}, {', '.join(spec.columns)}, net, profit "
                              f"FROM ({values}) AS held ORDER BY {spec.order}")
    held_lines = held_lines.merge(place, on=["document", "doc_type"]).sort_values("doc", kind="stable")
    held_lines = _money(held_lines.drop(columns=["document", "doc_type"]))
    if "hours_sold" in held_lines:
        held_lines["hours_sold"] = held_lines["hours_sold"].astype("float64")
        held_lines = tidy(held_lines, ["hours_sold"])
    held_lines = held_lines[["doc", *(c for c in held_lines.columns if c != "doc")]].reset_index(drop=True)
    return PageDrill("", docs, held_lines, tuple(spec.columns), grids, len(every), int(every["lines"].sum()), cap)


def _money(frame: pd.DataFrame) -> pd.DataFrame:
    for m in MEASURES:
        frame[m] = frame[m].astype("float64").fillna(0.0)
    return tidy(frame, MEASURES)
