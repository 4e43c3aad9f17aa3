"""The analyst's controls in JupyterLab: period presets and dates, filters, drill-down, export.

`explore(ctx)` is the one line a report notebook calls after `report.start`. In a live kernel with
`interactive = True` (or the kernel `make lab` installs, which sets AFTERSALES_INTERACTIVE=1, so the
parameters cell needs no edit) it shows the report's control bar — Today, MTD, YTD, Last month,
Custom with date pickers, Refresh, a group's branch (`branch_choice`), the report's filters, Export —
above two tabs: the report's grids and charts, redrawn in place whenever a control changes, and the
drill-down (`drill.py`), both over the branch chosen (the scope of a run's branch pack).
A filter is searched by typing and its choices show as removable tags (`pick.Picker`: 300
accounts are never scrolled through, nothing needs Ctrl-click); under each grid a drill-down
starts from, a row picker drills into a row with one click (`rows.py`). Under papermill
(`interactive = False`, the default, in a kernel without that variable) it returns None at once
and builds nothing, so a scheduled run's page is as before.

In a live session exactly one report is on screen: the explorer draws the report's title (with
links to the other report notebooks) above its figures, and once shown it takes the screen
(`lab.Screen`): the title the notebook drew above it is blanked and the report cells below it
show nothing of their own. Export writes a new folder each time under `exports/` beside the
notebook (the Lab's root), and the status links to its spreadsheet.

The figures come from `views.py` (the report modules' own grid functions on the filtered context)
and `drill.py`; this module wires the controls to them. The explorer keeps what it shows (`view`,
`items`, `detail`, `message`) so tests drive it by setting a control's `.value`, with no browser.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aftersales.explore.drill import choice, holding, label, plural, show

if TYPE_CHECKING:
    from aftersales.explore.pick import Choice

#: The period buttons: the source screen's Today and month-to-date, and more.
PRESETS = (("Today", "today"), ("MTD", "mtd"), ("YTD", "ytd"), ("Last month", "last-month"), ("Custom", "custom"))

#: Set to "1" in the `aftersales` kernel `make lab` installs; a scheduled run's kernel never has it.
LAB_ENV = "AFTERSALES_INTERACTIVE"


def wanted(ctx) -> bool:
    """True when the notebook runs for an analyst: `interactive = True`, or the lab's kernel."""
    return bool(ctx.interactive) or os.environ.get(LAB_ENV) == "1"


def explore(ctx, **options: Any) -> "Explorer | None":
    """The report's explorer for an analyst (see `wanted`); None, and nothing shown, otherwise."""
    if not wanted(ctx):
        return None
    return Explorer(ctx, **options)


def preset_of(period) -> str:
    """The preset button matching a period (`custom` when none does)."""
    from aftersales.reports.periods import resolve

    for _, name in PRESETS[:-1]:
        if resolve(name, as_of=period.as_of) == period:
            return name
    return "custom"


class Explorer:
    """The control bar, the redrawn report, the drill-down and Export of one report notebook."""

    def __init__(self, ctx, export_root: str | Path | None = None):
        import ipywidgets as w

        from aftersales.explore import views
        from aftersales.explore.drill import DrillDown
        from aftersales.explore.pick import Picker
        from aftersales.explore.rows import RowPicks
        from aftersales.reports import drill

        self.ctx = ctx
        self.spec = views.SPECS[ctx.report]
        self.as_of = ctx.period.as_of
        # beside the notebook (a Lab kernel's working directory), so that the Lab serves the exports
        self.export_root = Path(export_root) if export_root else Path.cwd() / EXPORTS
        self._hold = False
        # What is on screen (read by tests).
        self.view_ctx = ctx
        self.view = None
        self.message = ""
        self._error: Exception | None = None
        self.seconds: float | None = None
        self.exported: Path | None = None

        self.preset = w.ToggleButtons(options=PRESETS, value=preset_of(ctx.period), style={"button_width": "auto"})
        self.date_from = w.DatePicker(description="From", value=ctx.period.start, layout=w.Layout(width="auto"))
        self.date_to = w.DatePicker(description="To", value=ctx.period.end, layout=w.Layout(width="auto"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh",
                                       tooltip="Read the source again and redraw")
        self.export_button = w.Button(description="Export", icon="download",
                                      tooltip="Write this view's grids and a spreadsheet to a new folder in exports/")
        self.filters = {}
        for f in self.spec.filters:  # searched by typing, the chosen shown as tags (pick.Picker)
            self.filters[f.name] = Picker(views.options(ctx, f), f.label, plural(f.label))
        self.clear_button = w.Button(description="Clear filters", tooltip="Show every row again")
        self.branch = branch_choice(ctx)
        self.status = w.HTML()
        # the last export's download link: an Output, which the Lab renders resolving relative links
        # against the notebook's folder (an HTML widget's links would resolve against the Lab's page)
        self.export_out = w.Output()
        self.drill = DrillDown(drill.STEPS[ctx.report], int(ctx.params["report"]["drilldown_rows"]))
        self.drill_key, self.drill_value, self.drill_item = self.drill.key, self.drill.value, self.drill.item
        self.drill.on_done = self._status
        # the report's panels, a row picker under each grid a drill-down starts from (rows.py)
        self.rows = RowPicks(drill.STEPS[ctx.report], self.drill_to)
        self.report_out = self.rows.widget

        self.tabs = w.Tab(children=[self.report_out, self.drill.widget], titles=("Report", "Drill-down"))
        bar = w.HBox([self.preset, self.date_from, self.date_to, self.refresh_button, self.export_button],
                     layout=w.Layout(flex_flow="row wrap", align_items="center"))
        filter_bar = w.HBox([*([self.branch] if self.branch else []), *self.filters.values(), self.clear_button],
                            layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.widget = w.VBox([bar, filter_bar, self.status, self.export_out, self.tabs])

        self.preset.observe(self._on_preset, names="value")
        for control in (self.date_from, self.date_to):
            control.observe(self._on_date, names="value")
        for control in self.filters.values():
            control.observe(lambda _: None if self._hold else self.redraw(), names="value")
        if self.branch is not None:
            self.branch.observe(self._on_branch, names="value")
        self.refresh_button.on_click(lambda _: self.redraw())
        self.export_button.on_click(lambda _: self.export())
        self.clear_button.on_click(lambda _: self.clear_filters())
        self.redraw()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        from aftersales.explore import lab

        display(self.widget)
        found = lab.screen()
        if found is not None:
            found.take(self)

    @property
    def error(self) -> Exception | None:
        """The last exception shown in place of a view or a drill-down list (None when all went well)."""
        return self._error or self.drill.error

    @property
    def items(self):
        """The drill-down's list on screen (documents, clockings or accounts), or None."""
        return self.drill.items

    @property
    def detail(self) -> list:
        """The drill-down's detail on screen (grids of lines, or a list of documents)."""
        return self.drill.detail

    def _holding(self):
        """Set controls without their observers redrawing."""
        return holding(self)

    # ------------------------------------------------------------ controls

    def _on_preset(self, change) -> None:
        if self._hold or change["new"] == "custom":
            return
        from aftersales.reports.periods import resolve

        period = resolve(change["new"], as_of=self.as_of)
        with self._holding():
            self.date_from.value, self.date_to.value = period.start, period.end
        self.redraw()

    def _on_date(self, change) -> None:
        if self._hold:
            return
        with self._holding():
            self.preset.value = "custom"
        self.redraw()

    def _on_branch(self, change) -> None:
        """Another branch: the filters offer that branch's values (a choice it lacks is dropped), then redraw."""
        if self._hold:
            return
        from aftersales.explore import views

        scope = self.ctx.view(branch=self.scope())
        with self._holding():
            for f in self.spec.filters:
                self.filters[f.name].options = views.options(scope, f)
        self.redraw()

    def clear_filters(self) -> None:
        with self._holding():
            for control in self.filters.values():
                control.value = ()
        self.redraw()

    def chosen(self) -> dict[str, list]:
        """The filters' chosen values (a filter with none keeps every row)."""
        return {name: list(control.value) for name, control in self.filters.items() if control.value}

    def scope(self) -> str | None:
        """The branch chosen ("" the whole group), or None when the source has no branches to choose."""
        if self.branch is None:
            return None
        return self.branch.value or ""

    def period(self):
        """The period of the date pickers, as of the notebook's as-of day."""
        from aftersales.reports.periods import Period, PeriodError

        start, end = self.date_from.value, self.date_to.value
        if start is None or end is None:
            raise PeriodError("Choose a first and a last day.")
        return Period(start, end, self.as_of)

    def describe(self) -> str:
        """The period and the filters on screen, in words."""
        labels = {f.name: f.label for f in self.spec.filters}
        chosen = " · ".join(f"{labels[n]} {', '.join(map(str, v))}" for n, v in self.chosen().items())
        return self.view_ctx.period_text + (f" · {chosen}" if chosen else "")

    # ------------------------------------------------------------ the report

    def redraw(self) -> None:
        """Compute the view for the controls' period and filters and show it in place."""
        from aftersales import present
        from aftersales.explore import views
        from aftersales.reports.periods import PeriodError

        started = time.perf_counter()
        self.status.value = "Redrawing…"
        self._error, self.message = None, ""
        try:
            period = self.period()
            self.view_ctx = self.ctx.view(period, views.conditions(self.spec.filters, self.chosen()),
                                          branch=self.scope())
            self.view = self.spec.compute(self.view_ctx)
        except PeriodError as exc:
            self.view, self.message = None, str(exc)
        except Exception as exc:  # shown in place: a callback's exception would be lost in the log
            self.view, self._error = None, exc
            self.message = f"Could not draw this view: {type(exc).__name__}: {exc}"
        if self.view is None:
            items = [present.missing(self.message)]
        elif self.view.empty:
            self.message = f"No data for this selection ({self.describe()}). Choose other dates or clear a filter."
            items = [present.missing(self.message)]
        else:
            notes = [present.note(self.spec.filter_note)] if self.chosen() and self.spec.filter_note else []
            items = [*notes, *self.view.panels]
        if self.view is not None:
            items = [title_html(self.ctx.report, self.ctx.params.get("dealer_name", ""), self.describe()), *items]
        self.rows.show(items, self.view)
        show(self.export_out, [])
        self.drill.refresh(self.view, self.view_ctx, self.message)
        self.seconds = time.perf_counter() - started
        if self.view is None:  # say what is wrong, never the last good period's "redrawn"
            self._status(self.message, period=False)
        else:
            self._status(f"redrawn in {self.seconds:.2f} s")

    def _status(self, text: str, *, period: bool = True) -> None:
        import html

        shown = f"{html.escape(self.describe())} · " if period else ""
        self.status.value = f"<b>{html.escape(self.ctx.report.capitalize())}</b> · {shown}{html.escape(text)}"

    def drill_to(self, key_label: str, value) -> None:
        """Drill into a grid's row (its picker under the grid on the Report tab): the Drill-down tab
        opens on the row's documents (or clockings, or accounts)."""
        self.drill.go(key_label, value)
        self.tabs.selected_index = 1

    # ------------------------------------------------------------ export

    def export(self) -> Path | None:
        """Write the view's grids (data rows) and the drill-down lists on screen as a run writes its
        tables, and the spreadsheet, in a new folder <exports>/<report>_<from>_<to>_<time stamp>/
        (never one written before); the status links to the spreadsheet. Returns the folder."""
        from aftersales.explore import export as explore_export

        if self.view is None:
            self._status("nothing to export: " + self.message, period=False)
            return None
        p = self.view_ctx.period
        stem = f"{self.ctx.report}_{p.start.isoformat()}_{p.end.isoformat()}"
        folder = explore_export.new_folder(self.export_root, stem)
        tables = {**{name: grid.rows for name, grid in self.view.grids.items()}, **self.drill.tables()}
        about = {"report": self.ctx.report, "from": p.start.isoformat(), "to": p.end.isoformat(),
                 "as_of": p.as_of.isoformat(), "branch": self.view_ctx.scope.branch,
                 "filters": {k: [label(choice(v)) for v in vs] for k, vs in self.chosen().items()},
                 "drill": self.drill.about()}
        written = explore_export.write(folder, self.ctx.report, tables, about)
        self.exported = folder
        book = written["workbook"].get("file")
        where = explore_export.relative(folder)
        if book:
            self._status(f"exported {len(tables)} tables to {where}/")
            from IPython.display import HTML

            show(self.export_out, [HTML(explore_export.link(folder / Path(book).name,
                                                            f"Download {Path(book).name}"))])
        else:
            self._status(f"exported {len(tables)} tables to {where}/ · no spreadsheet "
                         f"({written['workbook'].get('error')})")
        return folder


#: The branch choice's value for the whole group.
WHOLE_GROUP = ("Whole group", "")


def branch_choice(ctx) -> "Choice | None":
    """A group's branch control (SPEC §6.2): the whole group or one branch ("01 · North"), searched
    by typing, a button each while they are few; it starts on the notebook's scope. None for one
    dealer (no two branches) and for the Sales performance report, made for the group only."""
    from aftersales.explore.pick import Choice

    if ctx.report == "sales":
        return None
    found = ctx.branches()
    if len(found) < 2 and ctx.scope.is_group:
        return None
    codes = [code for code, _ in found]
    if not ctx.scope.is_group and ctx.scope.branch not in codes:  # a parameter naming no branch: kept, empty
        found.append((ctx.scope.branch, "no rows"))
    choice = Choice("Branch", "branches", width="300px")
    choice.options = [WHOLE_GROUP, *((f"{code} · {name}" if name else code, code) for code, name in found)]
    choice.value = ctx.scope.branch
    return choice


#: The explorer's exports, beside the notebook (the Lab's root when `make lab` runs it).
EXPORTS = "exports"

#: The report notebooks' titles, for the explorer's title and its links to the other reports.
TITLES = {"parts": "Parts", "labour": "Labour", "workshop": "Workshop", "operations": "Fixed operations",
          "accounts": "Accounts", "sales": "Sales performance"}


def title_html(report: str, dealer: str, shown: str):
    """The explorer's title: the report, the dealer, the period and filters on screen, and links to
    the other report notebooks (relative: the Lab opens them; a run's `index.html` is not in the Lab)."""
    import html

    from IPython.display import HTML

    links = " ".join(f'<a href="{name}.ipynb">{html.escape(text)}</a>' for name, text in TITLES.items()
                     if name != report)
    return HTML(
        '<div class="as-report"><div class="as-title">'
        f'<span class="as-home">All reports: {links}</span>'
        f"<h1>{html.escape(TITLES.get(report, report.capitalize()))}</h1>"
        f'<div class="as-sub">{html.escape(dealer)} · {html.escape(shown)}</div></div></div>'
    )
