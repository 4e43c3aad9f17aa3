"""The explorer as an analyst sees it in the Lab: one report on screen that follows the controls,
a status that says what is wrong, exports in new folders the Lab can download, and links that work."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from test_widgets import ACCOUNTS, AS_OF, CLOCKINGS, LABOUR, PARTS, REPS

from aftersales.explore import export as explore_export
from aftersales.explore import lab, widgets
from aftersales.explore.drill import shown_html
from aftersales.run import context as report
from factory import make_source

D = dt.date
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def source(tmp_path):
    return make_source(tmp_path / "src", parts_lines=PARTS, labour_lines=LABOUR, clockings=CLOCKINGS,
                       accounts=ACCOUNTS, sales_reps=REPS)


@pytest.fixture
def parts(source):
    ctx = report.start("parts", source=str(source), period="mtd", as_of=AS_OF, interactive=True)
    yield ctx
    ctx.source.close()


def test_bad_date_range_status_says_what_is_wrong(parts, tmp_path):
    """Dates the wrong way round put the problem in the status, not a stale "redrawn" of the last period."""
    ex = widgets.explore(parts, export_root=tmp_path / "exports")
    assert "redrawn in" in ex.status.value and "01 Mar 2024 to 15 Mar 2024" in ex.status.value
    ex.date_from.value = D(2024, 3, 20)
    assert "after it ends" in ex.status.value
    assert "redrawn" not in ex.status.value and "01 Mar 2024" not in ex.status.value
    ex.export_button.click()
    assert "nothing to export" in ex.status.value and "after it ends" in ex.status.value
    ex.date_from.value = D(2024, 3, 11)
    assert "redrawn in" in ex.status.value and "11 Mar 2024 to 15 Mar 2024" in ex.status.value


def test_each_export_is_a_new_folder_beside_the_notebook_with_a_download_link(parts, tmp_path, monkeypatch):
    """Two exports of the same dates with other filters land in two folders under exports/ (the Lab's
    root, git-ignored), the first left whole, and the status links (relatively) to the spreadsheet."""
    monkeypatch.chdir(tmp_path)  # the Lab starts a notebook's kernel in the notebook's folder
    ex = widgets.explore(parts)
    first = ex.export()
    assert f"exported 5 tables to exports/{first.name}/" in ex.status.value  # the 5 grids, no drill-down chosen
    href = re.search(r'<a href="([^"]+)" download', shown_html(ex.export_out)).group(1)
    assert href == f"exports/{first.name}/{first.name}.xlsx" and (tmp_path / href).is_file()
    assert first.parent == tmp_path / "exports" and first.name.startswith("parts_2024-03-01_2024-03-15_")
    assert "*" in (tmp_path / "exports" / ".gitignore").read_text(encoding="utf-8").split()
    before = sorted(p.name for p in (first / "tables" / "parts").iterdir())
    ex.filters["department"].value = ("W",)
    second = ex.export()
    assert second != first and second.parent == first.parent
    assert sorted(p.name for p in (first / "tables" / "parts").iterdir()) == before
    assert json.loads((first / "view.json").read_text(encoding="utf-8"))["filters"] == {}
    assert json.loads((second / "view.json").read_text(encoding="utf-8"))["filters"] == {"department": ["W"]}
    assert f'href="exports/{second.name}/{second.name}.xlsx"' in shown_html(ex.export_out)
    ex.preset.value = "ytd"  # a redraw: the link of an export of another view goes
    assert shown_html(ex.export_out) == ""


def test_new_folder_never_reuses_one(tmp_path):
    """Two exports in the same second get two folders (a counter), never the same one."""
    now = dt.datetime(2024, 3, 15, 9, 30, 5)
    a = explore_export.new_folder(tmp_path, "parts_x", now)
    b = explore_export.new_folder(tmp_path, "parts_x", now)
    assert (a.name, b.name) == ("parts_x_20240315-093005", "parts_x_20240315-093005-2")


def test_title_follows_the_controls_and_links_to_the_other_notebooks(parts, tmp_path):
    """The explorer's title shows the period on screen and links to the other report notebooks the
    Lab opens, not the run's index.html (a 404 in the Lab)."""
    ex = widgets.explore(parts, export_root=tmp_path)
    html = shown_html(ex.report_out)
    assert "<h1>Parts</h1>" in html and "01 Mar 2024 to 15 Mar 2024" in html
    assert 'href="labour.ipynb"' in html and 'href="sales.ipynb"' in html and "index.html" not in html
    ex.preset.value = "ytd"
    html = shown_html(ex.report_out)
    assert "01 Jan 2024 to 15 Mar 2024" in html and "01 Mar 2024 to 15 Mar 2024" not in html
    ex.filters["department"].value = ("P",)
    assert "Department P" in shown_html(ex.report_out)


def _display(html: str, msg_type: str = "display_data") -> dict:
    return {"msg_type": msg_type, "content": {"data": {"text/html": html, "text/plain": "<HTML>"},
                                              "metadata": {}, "transient": {}}}


def test_screen_tags_titles_then_drops_the_static_report(monkeypatch):
    """Before an explorer opens, the report's title gets a display id and shows; once it opens, that
    title is blanked and the report's own displays from later cells are dropped, anything else shown."""
    updates = []
    monkeypatch.setattr("IPython.display.update_display", lambda obj, display_id: updates.append((obj.data, display_id)))
    screen = lab.screen(type("Shell", (), {"display_pub": type("Pub", (), {"register_hook": lambda self, h: None})()})())
    title = _display('<div class="as-report"><div class="as-title"><h1>Parts</h1></div></div>')
    assert screen.hook(title) is title
    display_id = title["content"]["transient"]["display_id"]
    tiles = _display('<div class="as-tiles">…</div>')
    assert screen.hook(tiles) is tiles  # no explorer yet: papermill-like sessions keep their report
    screen.take(object())
    assert updates == [("", display_id)]
    assert screen.hook(_display('<div class="as-tiles">…</div>')) is None
    frame = _display("<table class='dataframe'><tr><td>1</td></tr></table>")
    assert screen.hook(frame) is frame
    update = _display('<div class="as-tiles">…</div>', "update_display_data")
    assert screen.hook(update) is update
    assert screen.dropped == 1


def test_kernelspec_loads_the_extension_once(tmp_path):
    """`make lab`'s kernelspec loads the extension, however many times `make lab` runs."""
    spec = tmp_path / "kernel.json"
    spec.write_text(json.dumps({"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]}))
    lab.add_to_kernelspec(spec)
    argv = lab.add_to_kernelspec(spec)
    assert argv == ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}", "--ext=aftersales.explore.lab"]
    assert json.loads(spec.read_text())["argv"] == argv


def test_lab_kernel_shows_one_report_that_follows_the_explorer(source, tmp_path, monkeypatch):
    """Run in the Lab's kernel (extension loaded, AFTERSALES_INTERACTIVE=1), a report notebook shows one
    report: the title cell's copy is blanked and no cell below the explorer draws the report again."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv(widgets.LAB_ENV, "1")
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    nb = nbformat.read(ROOT / "notebooks" / "parts.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(f"source = {str(source)!r}\nas_of = {AS_OF!r}"))
    client = NotebookClient(nb, kernel_name="aftersales", timeout=240, extra_arguments=[f"--ext={lab.EXTENSION}"],
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    cells = [c for c in nb.cells if c.cell_type == "code"]
    explorer_at = next(i for i, c in enumerate(cells) if "widgets.explore(ctx)" in c.source)

    def html(cell) -> str:
        return "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell.get("outputs", []))

    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert "<style>" in html(cells[explorer_at - 1])  # the stylesheet stays
    assert 'class="as-title"' not in html(cells[explorer_at - 1])  # the notebook's title, blanked
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cells[explorer_at].outputs)
    assert not [i for i, c in enumerate(cells[explorer_at + 1:]) if 'class="as-' in html(c)]
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "01 Mar 2024 to 15 Mar 2024" in state and "as-tiles" in state  # the report, inside the explorer
