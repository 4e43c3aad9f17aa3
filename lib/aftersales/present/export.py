"""Executed notebook → one self-contained HTML page with no code, prompts or warnings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor

from aftersales.config import TEMPLATE_DIR


class DropStderr(Preprocessor):
    """Remove warnings and other stderr text; errors (a failed cell) stay visible."""

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        return cell, resources


class PackExporter(HTMLExporter):
    """The HTML exporter without its last pass, which re-parses the whole page to add alt
    text to images and focus to cells (a second per large page): the pack's charts carry
    their own alt text, and its pages have no code cells to focus."""

    def from_notebook_node(self, nb, resources=None, **kw):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@cache
def exporter() -> PackExporter:
    """One exporter per process: its template is loaded and compiled once."""
    pack = PackExporter(
        template_name="pack",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    pack.register_preprocessor(DropStderr(), enabled=True)
    return pack


def html_page(notebook: nbformat.NotebookNode, title: str) -> str:
    """The stakeholder page of an executed notebook."""
    first_code = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), 0)
    # the notebook's opening words are for the analyst in JupyterLab (how to change the period, the
    # widgets), not for the page's reader: the page opens with its own title
    notebook.cells = [c for i, c in enumerate(notebook.cells) if i >= first_code or c.cell_type != "markdown"]
    for index, cell in enumerate(notebook.cells):  # papermill's injected cell has a random id
        cell["id"] = f"cell-{index:02d}"
    body, _ = exporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


def export(notebook_path: Path, html_path: Path, title: str) -> int:
    """Write the page; returns its size in bytes."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    page = html_page(nb, title)
    html_path.write_text(page, encoding="utf-8")
    return html_path.stat().st_size


def warm() -> None:
    """Load and compile the page template once, in the server reports are forked from."""
    html_page(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm")]), "warm")
