"""The explorer's Drill-down tab: choose a key and a value of the grids on screen (a day, a
department, an operator, a technician, an account, a rep), see its documents (or clockings, or
accounts); choose one of those, see its lines. What each step lists is `drill.STEPS`; this module
only holds the controls and shows what the steps return with `present`: the colour legend where
the list is of documents, its totals row where it adds up (a clock history's hours), and the
chosen value named once in the heading rather than on every row.

The value and the item are `pick.Choice`s: typed to search (712 documents are not scrolled
through), or clicked while they are few. A grid row on the Report tab leads here too (`rows.py`).

It also holds the small display helpers the explorer shares: `show` replaces an Output widget's
content in one change, `shown_html` reads it back (tests read it without a browser).
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from typing import Any


@contextmanager
def holding(panel):
    """Set a panel's controls without their observers acting (`panel._hold` while inside)."""
    held, panel._hold = panel._hold, True
    try:
        yield
    finally:
        panel._hold = held

class _Empty:
    """The choice of a grid row whose key is empty (shown as "(none)")."""

    def __repr__(self) -> str:
        return "(none)"


EMPTY = _Empty()


def _html(item: Any) -> str:
    return item._repr_html_() if hasattr(item, "_repr_html_") else str(item)


def show(out, items: list) -> None:
    """Replace an Output widget's content with `items` (present's HTML objects) in one change."""
    out.outputs = tuple(
        {"output_type": "display_data", "data": {"text/html": _html(i), "text/plain": "<HTML>"}, "metadata": {}}
        for i in items
    )


def shown_html(out) -> str:
    """The HTML an Output widget shows (or the Output widgets inside a box, in order)."""
    if hasattr(out, "outputs"):
        return "".join(o.get("data", {}).get("text/html", "") for o in out.outputs)
    return "".join(shown_html(child) for child in getattr(out, "children", ()))


def label(value: Any) -> str:
    """A chosen value as text: days as YYYY-MM-DD, an empty key as "(none)"."""
    if value is EMPTY:
        return "(none)"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def choice(value: Any) -> Any:
    """A grid cell as a control's value: days as dates, empty as EMPTY."""
    import pandas as pd

    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return EMPTY
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def key_choices(view, key) -> list[tuple[str, Any]]:
    """The (label, value) choices of a drill-down key: the values of its grid's rows on screen, with
    the row's name beside a code ("A1 · Alpha Garage") where the grid has one."""
    if view is None or view.empty:
        return []
    grid = view.grids.get(key.grid)
    if grid is None or grid.rows.empty:
        return []
    named = grid.key[:1] == (key.column,) and "name" in grid.rows
    out, seen = [], set()
    for record in grid.rows.to_dict("records"):
        value = choice(record[key.column])
        if value in seen:
            continue
        seen.add(value)
        name = record.get("name") if named else None
        out.append((label(value) + (f" · {name}" if isinstance(name, str) and name else ""), value))
    return out


def plural(noun: str) -> str:
    """"day" → "days", "territory" → "territories" (the pickers' placeholders)."""
    noun = noun.lower()
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


class DrillDown:
    """Key → value → items → item → detail, for one report (`drill.STEPS[report]`)."""

    def __init__(self, steps, limit: int):
        import ipywidgets as w

        from aftersales.explore.pick import Choice

        self.steps = steps
        self.limit = limit
        self._hold = False
        self.view = None  # the explorer's view and context, set by `refresh`
        self.ctx = None
        self.items = None  # what is on screen (read by tests)
        self.detail: list = []
        self.error: Exception | None = None

        self.key = w.Dropdown(options=[k.label for k in steps.keys], description="Drill by",
                              style={"description_width": "80px"})
        self.value = Choice("Choose", "values")
        self.on_done = None  # called with a line for the status after a list or a detail is shown
        self.items_out = w.Output(layout=w.Layout(max_width="100%", overflow="auto"))
        self.item = Choice(steps.item_label, steps.item_label.lower() + "s")
        self.detail_out = w.Output(layout=w.Layout(max_width="100%", overflow="auto"))
        self.widget = w.VBox([self.key, self.value, self.items_out, self.item, self.detail_out],
                             layout=w.Layout(max_width="100%"))
        self.key.observe(lambda _: self._unless_held(self._choices, keep=False), names="value")
        self.value.observe(lambda _: self._unless_held(self._items), names="value")
        self.item.observe(lambda _: self._unless_held(self._detail), names="value")

    def _unless_held(self, action, **options) -> None:
        if not self._hold:
            action(**options)

    def _holding(self):
        return holding(self)

    def refresh(self, view, ctx, message: str = "") -> None:
        """After a redraw: the choices of the new view; a choice still there is listed again."""
        self.view, self.ctx, self.message, self.error = view, ctx, message, None
        self._choices(keep=True)

    def choices(self) -> list[tuple[str, Any]]:
        """The (label, value) choices of the chosen key: the values of its grid's rows on screen."""
        return key_choices(self.view, self.steps.key(self.key.value))

    def _choices(self, keep: bool = True) -> None:
        before = self.value.value
        found = self.choices()
        with self._holding():
            self.value.noun = plural(self.key.value)
            self.value.options = found
            self.value.value = before if keep and any(v == before for _, v in found) else None
        self._items()

    def go(self, key_label: str, value) -> None:
        """Drill into `value` of the key `key_label` (a click on a grid's row on the Report tab)."""
        with self._holding():
            self.key.value = key_label
            self.value.noun = plural(key_label)
            self.value.options = self.choices()
            self.value.value = value
        self._items()

    def _done(self, text: str, started: float) -> None:
        if self.on_done is not None:
            self.on_done(f"{text} in {time.perf_counter() - started:.2f} s")

    def _items(self) -> None:
        from aftersales import present
        from aftersales.reports.grids import Grid

        started = time.perf_counter()
        value = self.value.value
        self.items, self.detail = None, []
        with self._holding():
            self.item.options = []
            self.item.value = None
        show(self.detail_out, [])
        if value is None:
            ready = self.view is not None and not self.view.empty
            text = f"Choose a value to see its {self.steps.items_title.lower()}." if ready else self.message
            show(self.items_out, [present.missing(text)])
            return
        key = self.steps.key(self.key.value)
        try:
            self.items = self.steps.items(self.ctx, key.condition(None if value is EMPTY else value))
            total = self.steps.total(self.items) if self.steps.total else None
        except Exception as exc:  # shown in place, never lost in a callback's log
            self.error = exc
            show(self.items_out, [present.missing(f"Could not list them: {type(exc).__name__}: {exc}")])
            return
        shown = self.items.head(self.limit)
        notes = ([present.note(f"The first {self.limit:,} of {len(self.items):,} are listed "
                               "(Export writes them all; the totals row counts them all).")]
                 if len(self.items) > self.limit else [])
        named = self.value.label or label(value)
        heading = present.section(f"{self.steps.items_title} · {key.label} {named}", "explore-drill-items")
        if shown.empty:
            listed = present.missing(f"No data for {key.label.lower()} {named} in this selection.")
        else:
            kept = shown.drop(columns=[c for c in self.steps.named if c in shown])
            name = "drill_" + self.steps.items_title.lower().replace(" ", "_")
            listed = present.grid(Grid(name, kept, total), legend=self.steps.legend)
        show(self.items_out, [heading, *notes, listed])
        values = [] if shown.empty else [choice(v) for v in shown[self.steps.item_column].drop_duplicates()]
        with self._holding():
            self.item.options = [(label(v), v) for v in values if v is not EMPTY]
            self.item.value = None
        self._done(f"{key.label} {named}: {self.steps.items_title.lower()} ({len(self.items):,}) listed", started)

    def _detail(self) -> None:
        from aftersales import present
        from aftersales.reports.grids import Grid

        started = time.perf_counter()
        item = self.item.value
        self.detail = []
        if item is None:
            show(self.detail_out, [])
            return
        try:
            self.detail = self.steps.detail(self.ctx, item)
        except Exception as exc:
            self.error = exc
            show(self.detail_out, [present.missing(f"Could not show it: {type(exc).__name__}: {exc}")])
            return
        shown = [present.section(f"{self.steps.item_label} {label(item)}", "explore-drill-detail")]
        for part in self.detail:
            if isinstance(part, Grid):
                shown += [present.note(part.name.replace("_", " ").capitalize()), present.grid(part)]
            else:
                shown.append(present.frame(part.head(self.limit), legend=True, table_id="explore-detail"))
        show(self.detail_out, shown)
        self._done(f"{self.steps.item_label} {label(item)} shown", started)

    def tables(self) -> dict:
        """The lists on screen, named for Export (`drill_documents`, `drill_parts_lines` …)."""
        from aftersales.reports.grids import Grid

        out = {}
        if self.items is not None:
            out["drill_" + self.steps.items_title.lower().replace(" ", "_")] = self.items
        for part in self.detail:
            if isinstance(part, Grid):
                out["drill_" + part.name] = part.rows
            else:
                out["drill_documents"] = part
        return out

    def about(self) -> dict:
        """The drill-down on screen, in words (for view.json and the spreadsheet's first sheet)."""
        def chosen(control):
            return None if control.value is None else label(control.value)

        return {"by": self.key.value, "value": chosen(self.value), "item": chosen(self.item)}
