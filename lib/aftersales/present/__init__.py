"""How figures are shown: tables, tiles, charts, number formats, pages, the landing page, CSV tables, the spreadsheet.

A notebook says `from aftersales import present` and shows `present.grid(...)`,
`present.tiles(...)`, `present.bar_chart(...)`: the names below, each defined in its module.

- `page`: the page around the figures (assets, title, section, note, missing, tiles, unless);
- `tables`: grids and frames as HTML tables (grid, frame, table_html, legend_html, on_page,
  use_settings, quality, dictionary, and the columns' labels and kinds: label, display);
- `charts`: figure, image and every chart (sales_chart, bar_chart, line_chart, scatter_chart,
  hbar_chart);
- `drill`: the drill-down a Parts or Labour page carries (drill_down).

A name is looked up in its module when first used (PEP 562), not when the package is imported:
a run that imports only the page export or the CSV writer does not pay for pandas and IPython.
A test that replaces a name (`monkeypatch`) does it on the module that defines it.
"""

from __future__ import annotations

from importlib import import_module

#: Each name of the notebooks' vocabulary, and the module of this package that defines it.
HOMES = {
    **dict.fromkeys(("assets", "title", "section", "note", "notes_html", "missing", "tiles", "unless"), "page"),
    **dict.fromkeys(("grid", "frame", "table_html", "legend_html", "on_page", "use_settings", "quality",
                     "dictionary", "display", "label"), "tables"),
    **dict.fromkeys(("figure", "image", "sales_chart", "bar_chart", "line_chart", "scatter_chart", "hbar_chart"),
                    "charts"),
    "drill_down": "drill",
}


def __getattr__(name: str) -> object:
    home = HOMES.get(name)
    if home is None:  # a submodule not imported yet is then imported by the import system
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *HOMES})
