"""The drill-down a Parts or Labour page carries: a row of a sales grid → its documents → a
document's lines, shown by the page's script (`static/drill.js`) with no kernel and no network.

`drill_down` writes what `reports.page_drill` made as compact JSON of shown text, in a
`<script type="application/json" class="as-drill">`, and a note saying how to use it and, past
`report.drill_lines`, how many documents of how many the page holds. Every figure is written here
as the grids write theirs (`fmt.cell`), and a row's key as the grid's first cell shows it (a code
with its description, a day as YYYY-MM-DD), so that the script finds a clicked row's documents by
its first cell's text. The script only shows and filters: it never sums. Text from the data is
text: the JSON escapes `<`, `>` and `&`, and the script writes it with `textContent` only.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

import pandas as pd
from IPython.display import HTML

from aftersales.present.fmt import cell
from aftersales.present.page import notes_html
from aftersales.present.tables import _kind, _row_class, _shown, label
from aftersales.reports.page_drill import MEASURES, PageDrill

#: A row's class (the legend's marks) by its number in the JSON.
CLASSES = ("", "as-invoice", "as-credit", "as-loss")
#: The document columns a row's documents show (their Lines, Net and Profit: the row's lines in them).
DOCUMENT_COLUMNS = ("document", "date", "account", "name", "doc_type", "lines", *MEASURES)
#: The grids' titles, as their sections name them.
TITLES = {"activity": "Activity", "departments": "Departments", "sales_types": "Sales types",
          "labour_types": "Labour types", "operators": "Operators"}


def drill_down(drill: PageDrill) -> HTML:
    """The page's drill-down data and the note that says how to use it (and what it holds)."""
    data = drill_data(drill)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    note, report = notes_html(notes(drill)), html.escape(drill.report)
    return HTML(f'<div class="as-drill-note">{note}</div>'
                f'<script type="application/json" class="as-drill" data-report="{report}">{text}</script>')


def notes(drill: PageDrill) -> list[str]:
    """How to drill down, and how many documents of how many the page holds when not all."""
    grids = [TITLES.get(name, name) for name in drill.grids]
    named = ", ".join(grids[:-1]) + f" or {grids[-1]}" if len(grids) > 1 else "".join(grids)
    out = [f"Drill-down: click a row of {named} (or press Enter on it) to list its documents under the grid, "
           "then a document to see its lines."]
    if drill.capped:
        held, lines = len(drill.documents), int(drill.documents["lines"].sum())
        every = f"the period's {_count(drill.documents_all, 'document')} ({_count(drill.lines_all, 'line')})"
        which = f"none of {every}" if not held else \
            f"the {_count(held, 'most recent document')} ({_count(lines, 'line')}) of {every}"
        out.append(f"This page holds {which}, at most {drill.cap:,} lines (report.drill_lines); every document "
                   f"counts in the grids, and the CSV table {_csv(drill)} and the spreadsheet hold them all.")
    return out


def _count(n: int, word: str) -> str:
    """"1 line", "2 lines", "1 most recent document"."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _csv(drill: PageDrill) -> str:
    return f"{drill.report}/documents"


def row_note(drill: PageDrill, documents: int, held: int) -> str:
    """What a row's panel says when the page does not hold all the row's documents."""
    if held >= documents:
        return ""
    rest = f"the CSV table {_csv(drill)} and the spreadsheet hold them all."
    if held == 0:
        return (f"This page holds none of this row's {_count(documents, 'document')}: it holds the period's "
                f"{_count(len(drill.documents), 'most recent document')}; {rest}")
    return f"This page holds {held:,} of this row's {_count(documents, 'document')} (the most recent); {rest}"


def _texts(values: pd.Series, column: str, kind: str) -> list[str]:
    """The shown text of each value, as a grid's cells show it (worked out once per distinct value;
    an empty value shows nothing)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    shown = [*_shown(pd.Series(uniques, dtype=values.dtype), column, kind), ""]
    return [shown[c] for c in codes]


#: How the document columns show (a column of names all empty would read as numbers).
DOCUMENT_KINDS = {"document": "text", "date": "date", "account": "text", "name": "text", "doc_type": "text",
                  "lines": "count", **dict.fromkeys(MEASURES, "money")}


def _columns(frame: pd.DataFrame, columns: Sequence[str],
             kinds: dict[str, str] | None = None) -> tuple[list[list], list[list[str]]]:
    """The header ([label, 1 when a number]) and each column's shown texts."""
    head, texts = [], []
    for c in columns:
        kind = (kinds or {}).get(c) or _kind(c, frame[c])
        head.append([label(c), 0 if kind in ("text", "date") else 1])
        texts.append(_texts(frame[c], c, kind))
    return head, texts


def drill_data(drill: PageDrill) -> dict:
    """The JSON the page's script reads (see the module's docstring)."""
    classes = {name: i for i, name in enumerate(CLASSES)}
    docs = drill.documents
    doc_types = docs["doc_type"].tolist()
    doc_head, doc_texts = _columns(docs, DOCUMENT_COLUMNS, DOCUMENT_KINDS)
    doc_class = [classes[_row_class({"doc_type": t, "profit": p})] for t, p in zip(doc_types, docs["profit"])]
    doc_rows = [[doc_class[i], *(col[i] for col in doc_texts)] for i in range(len(docs))]

    grids, keys_of = {}, {}
    for name, g in drill.grids.items():
        kind = _kind(g.key, g.rows[g.key])
        keys = _texts(g.rows[g.key], g.key, kind)
        index = {}
        for i, text in enumerate(keys):
            index.setdefault(text, i)
        keys_of[name] = (g.key, kind, index)
        entries: list[list] = [[] for _ in keys]
        e = g.entries
        if len(e):
            where = [index.get(t) for t in _texts(e[g.key], g.key, kind)]
            counts = [cell(v, "count")[0] for v in e["lines"]]
            money = {m: [cell(v, "money")[0] for v in e[m]] for m in MEASURES}
            for i, (k, doc, whole) in enumerate(zip(where, e["doc"].tolist(), e["whole"].tolist())):
                if k is None:  # (a key the grid has no row for: none, as both group the same lines)
                    continue
                if whole:  # all the document's lines are the row's: its own figures
                    entries[k].append(doc)
                else:
                    cls = classes[_row_class({"doc_type": doc_types[doc], "profit": e["profit"].iloc[i]})]
                    entries[k].append([doc, cls, counts[i], *(money[m][i] for m in MEASURES)])
        grids[name] = {"label": g.label, "keys": keys,
                       "notes": [row_note(drill, int(n), int(h)) for n, h in zip(g.rows["documents"], g.rows["held"])],
                       "docs": entries}

    lines = drill.lines
    line_head, line_texts = _columns(lines, [*drill.columns, *MEASURES])
    key_head, key_places = [], []
    for name, (column, kind, index) in keys_of.items():
        key_head.append([label(column), 0 if kind in ("text", "date") else 1])
        key_places.append([index.get(t, -1) for t in _texts(lines[column], column, kind)])
    line_class = [classes[_row_class({"doc_type": doc_types[d], "profit": p})]
                  for d, p in zip(lines["doc"].tolist(), lines["profit"])]
    per_doc: list[list] = [[] for _ in range(len(docs))]
    for i, doc in enumerate(lines["doc"].tolist()):
        per_doc[doc].append([line_class[i], *(k[i] for k in key_places), *(col[i] for col in line_texts)])
    return {
        "report": drill.report,
        "classes": list(CLASSES),
        "partial": "Lines, Net and Profit count this row's lines in each document; a document may have "
                   "others, in other rows.",
        "documents": {"columns": doc_head, "rows": doc_rows},
        "lines": {"columns": key_head + line_head, "keys": list(keys_of), "rows": per_doc},
        "grids": grids,
    }
