"""The page around the figures: the pack's stylesheet and script, the title block, sections,
notes, headline tiles, and what stands in for a section the data cannot fill.

Every function returns an object that Jupyter displays; none computes a figure. Text that
comes from the data is escaped: it is shown, never interpreted.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

from IPython.display import HTML

from aftersales.config import STATIC_DIR
from aftersales.present.fmt import change_class, change_text, tile_text


def assets() -> HTML:
    """The pack's stylesheet and table script; shown once at the top of each report (the
    exported page's template adds only a few layout rules: this is the page's look)."""
    return HTML(f"<style>{static_text('.css')}</style><script>{static_text('.js')}</script>")


def static_text(suffix: str) -> str:
    """The pack's static files of one kind (".css" or ".js") as one text: `pack.css` / `grid.js`
    first, then the others by name."""
    first = {".css": "pack.css", ".js": "grid.js"}[suffix]
    files = sorted(STATIC_DIR.glob(f"*{suffix}"), key=lambda f: (f.name != first, f.name))
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def notes_html(notes: Iterable[str]) -> str:
    return "".join(f'<div class="as-note">{html.escape(n)}</div>' for n in notes)


def note(text: str) -> HTML:
    return HTML(notes_html([text]))


def missing(text: str) -> HTML:
    """In place of a section whose data the source lacks."""
    return HTML(f'<div class="as-missing">{html.escape(text)}</div>')


def section(title: str, anchor: str | None = None) -> HTML:
    anchor = anchor or title.lower().replace(" ", "-")
    return HTML(f'<h2 class="as-section" id="{html.escape(anchor)}">{html.escape(title)}</h2>')


def title(report: str, dealer: str, period_text: str, sections: Sequence[str]) -> HTML:
    """The title block: report, dealer, period and as-of, a link back to the pack, the contents."""
    toc = " ".join(
        f'<a href="#{html.escape(s.lower().replace(" ", "-"))}">{html.escape(s)}</a>' for s in sections
    )
    return HTML(
        '<div class="as-report"><div class="as-title"><a class="as-home" href="index.html">All reports</a>'
        f"<h1>{html.escape(report)}</h1>"
        f'<div class="as-sub">{html.escape(dealer)} · {html.escape(period_text)}</div></div>'
        f'<nav class="as-toc" aria-label="Contents">{toc}</nav></div>'
    )


def tiles(items: Sequence[Mapping]) -> HTML:
    """Headline tiles: each {label, value, kind, change?, change_text?, target_text?}; the change
    (never the figure) is coloured, and a change that shows as zero is unsigned and neutral; the
    comparison with a target, when there is one, is a second plain line."""
    out = []
    for item in items:
        change = ""
        if item.get("change_text"):
            cls = change_class(item.get("change"))
            change = f'<div class="as-change {cls}">{html.escape(change_text(item["change_text"]))}</div>'
        if item.get("target_text"):
            change += f'<div class="as-change as-vs-target">{html.escape(change_text(item["target_text"]))}</div>'
        out.append(
            f'<div class="as-tile"><div class="as-label">{html.escape(item["label"])}</div>'
            f'<div class="as-value">{html.escape(tile_text(item))}</div>{change}</div>'
        )
    return HTML('<div class="as-tiles">' + "".join(out) + "</div>")


def unless(missing_text: str, *shown: HTML) -> HTML:
    """The shown items, or in their place the note saying what data would fill the section."""
    if missing_text:
        return missing(missing_text)
    return HTML("".join(item.data for item in shown))
