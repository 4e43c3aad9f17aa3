"""Executed notebook → one self-contained HTML page with no code, prompts or warnings."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from .config import TEMPLATE_DIR


class DropStderr(Preprocessor):
    """Remove warnings and other stderr text; errors (a failed cell) stay visible."""

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        return cell, resources


def html_page(notebook: nbformat.NotebookNode, title: str) -> str:
    """The stakeholder page of an executed notebook."""
    for index, cell in enumerate(notebook.cells):  # papermill's injected cell has a random id
        cell["id"] = f"cell-{index:02d}"
    exporter = HTMLExporter(
        template_name="pack",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.register_preprocessor(DropStderr(), enabled=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


def export(notebook_path: Path, html_path: Path, title: str) -> int:
    """Write the page; returns its size in bytes."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    page = html_page(nb, title)
    html_path.write_text(page, encoding="utf-8")
    return html_path.stat().st_size
