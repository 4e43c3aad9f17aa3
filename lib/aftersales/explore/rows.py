"""The explorer's Report tab: the report's panels, and under each grid a drill-down starts from, a
row picker — a click on a row's button (or, for a longer grid, its key typed in the search box)
drills into that row: the Drill-down tab opens on its documents (or clockings, or accounts).

A grid on the page is HTML, which cannot call the kernel when a row is clicked; so the row picker
is an ipywidgets `pick.Choice` of the grid's keys placed right under the grid: a button per row
while the grid has at most `pick.BUTTONS` rows (a day, a department, an operator — one click), and
a search box that suggests as one types for any grid (300 accounts). The panels between two
pickers are one Output widget each; the widgets are made once and reused by every redraw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aftersales.explore.drill import key_choices, plural, show


def _html(item: Any) -> str:
    return item._repr_html_() if hasattr(item, "_repr_html_") else str(item)


class RowPicks:
    """The Report tab's box: panels, and a row picker under each grid a drill-down key starts from."""

    def __init__(self, steps, on_pick: Callable[[str, Any], None]):
        import ipywidgets as w

        from aftersales.explore.pick import Choice

        self.keys = {}  # grid name → the key a row of it drills by (the grid's own key column first)
        for key in steps.keys:
            self.keys.setdefault(key.grid, key)
        self.picks = {}
        for grid, key in self.keys.items():
            pick = Choice("Drill into", plural(key.label), width="420px", hint=" to drill into")
            pick.search.tooltip = f"Drill into a {key.label.lower()}: its {steps.items_title.lower()}"
            pick.observe(lambda change, g=grid: self._picked(g, change["new"]), names="value")
            self.picks[grid] = pick
        self.on_pick = on_pick
        self._hold = False
        self._outs: list = []
        self._w = w
        self.widget = w.VBox(layout=w.Layout(max_width="100%"))

    def _out(self, i: int):
        while len(self._outs) <= i:
            self._outs.append(self._w.Output(layout=self._w.Layout(max_width="100%", overflow="auto")))
        return self._outs[i]

    def show(self, items: list, view) -> None:
        """Show the panels; under each grid of a drill key (found by its table id), its row picker."""
        children, segment = [], []
        placed = set()
        for item in items:
            segment.append(item)
            text = _html(item)
            for grid in self.keys:
                if grid not in placed and f'id="grid-{grid}"' in text:
                    placed.add(grid)
                    out = self._out(len(children) // 2)
                    show(out, segment)
                    children += [out, self.picks[grid]]
                    segment = []
        out = self._out(len(children) // 2)
        show(out, segment)
        children.append(out)
        self._hold = True
        try:
            for grid, pick in self.picks.items():
                pick.options = key_choices(view, self.keys[grid]) if grid in placed else []
                pick.value = None
        finally:
            self._hold = False
        for unused in self._outs[len(children) // 2 + 1:]:
            show(unused, [])
        self.widget.children = children

    def _picked(self, grid: str, value) -> None:
        if self._hold or value is None:
            return
        self.on_pick(self.keys[grid].label, value)
        self._hold = True
        try:
            self.picks[grid].value = None  # the row's button clicks again
        finally:
            self._hold = False

    def pick(self, grid: str, value) -> None:
        """Click the row of `grid` whose key is `value` (or whose label is)."""
        self.picks[grid].choose(value)
