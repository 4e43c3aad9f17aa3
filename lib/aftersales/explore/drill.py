"""The explorer's Drill-down tab: choose a key and a value of the grids on screen (a day, a
department, an operator, a technician, an account, a rep), see its documents (or clockings, or
accounts); choose one of those, see its lines. What each step lists is `drill.STEPS`; this module
only holds the controls and shows what the steps return with `present` (the colour legend kept).

It also holds the small display helpers the explorer shares: `show` replaces an Output widget's
content in one change, `shown_html` reads it back (tests read it without a browser).
"""

from __future__ import annotations

import datetime as dt
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
    """The HTML an Output widget shows."""
    return "".join(o.get("data", {}).get("text/html", "") for o in out.outputs)


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


class DrillDown:
    """Key → value → items → item → detail, for one report (`drill.STEPS[report]`)."""

    def __init__(self, steps, limit: int):
        import ipywidgets as w

        self.steps = steps
        self.limit = limit
        self._hold = False
        self.view = None  # the explorer's view and context, set by `refresh`
        self.ctx = None
        self.items = None  # what is on screen (read by tests)
        self.detail: list = []
        self.error: Exception | None = None

        self.key = w.Dropdown(options=[k.label for k in steps.keys], description="Drill by")
        self.value = w.Dropdown(options=[], value=None, description="Choose")
        self.items_out = w.Output()
        self.item = w.Dropdown(options=[], value=None, description=steps.item_label)
        self.detail_out = w.Output()
        self.widget = w.VBox([w.HBox([self.key, self.value]), self.items_out, self.item, self.detail_out])
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
        if self.view is None or self.view.empty:
            return []
        key = self.steps.key(self.key.value)
        grid = self.view.grids.get(key.grid)
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

    def _choices(self, keep: bool = True) -> None:
        before = self.value.value
        found = self.choices()
        with self._holding():
            self.value.options = found
            self.value.value = before if keep and any(v == before for _, v in found) else None
        self._items()

    def _items(self) -> None:
        from aftersales import present

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
        except Exception as exc:  # shown in place, never lost in a callback's log
            self.error = exc
            show(self.items_out, [present.missing(f"Could not list them: {type(exc).__name__}: {exc}")])
            return
        shown = self.items.head(self.limit)
        notes = ([present.note(f"The first {self.limit:,} of {len(self.items):,} are listed "
                               "(Export writes them all).")] if len(self.items) > self.limit else [])
        empty = f"No data for {key.label.lower()} {label(value)} in this selection."
        show(self.items_out, [present.section(f"{self.steps.items_title} · {key.label} {label(value)}",
                                              "explore-drill-items"), *notes,
                              present.frame(shown, legend=True, empty=empty, table_id="explore-items")])
        values = [] if shown.empty else [choice(v) for v in shown[self.steps.item_column].drop_duplicates()]
        with self._holding():
            self.item.options = [(label(v), v) for v in values if v is not EMPTY]
            self.item.value = None

    def _detail(self) -> None:
        from aftersales import present
        from aftersales.reports.grids import Grid

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
