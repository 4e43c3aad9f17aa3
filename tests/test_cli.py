"""The command line end to end on a small source made in the test."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from test_parts import LINES, MOVEMENTS

from aftersales.cli import main
from factory import make_source

RUN = ["--from", "2024-03-01", "--to", "2024-03-15", "--as-of", "2024-03-15"]
SPEC_COLUMNS = {
    "activity": "date,documents,invoices,credits,gross,discount,net,cost,profit,variance,gp_pct",
    "departments": "department,documents,invoices,credits,gross,discount,net,cost,profit,variance,gp_pct",
    "sales_types": "sale_type,documents,invoices,credits,gross,discount,net,cost,profit,variance,gp_pct",
    "operators": "operator,documents,invoices,credits,gross,discount,net,cost,profit,variance,gp_pct",
    "movement": "date,invoiced,returned,requisitioned,reversed,received,movement,vor_loss,first_pick_pct",
    "purchasing": "state,order_type,current,d30,d60,d90,d120,d120_plus,total",
}


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def parts_run(tmp_path_factory):
    """One run of the Parts report on a small source; returns (exit status, output folder)."""
    base = tmp_path_factory.mktemp("cli")
    source = make_source(
        base / "src", parts_lines=LINES, parts_movements=MOVEMENTS,
        accounts=[dict(account="A1", name='<script>alert("x")</script> & co')],
        purchase_order_lines=[dict(date_created="2024-03-01", outstanding_qty=3)],
    )
    out = base / "out"
    status = main(["run", "--source", str(source), *RUN, "--reports", "parts", "--out", str(out)])
    return status, out


def test_run_writes_every_file_of_the_pack(parts_run):
    """A run leaves the landing page, the page, the executed notebook, CSV tables, alerts and manifest."""
    status, out = parts_run
    assert status == 0
    for name in ["index.html", "parts.html", "notebooks/parts.ipynb", "alerts.csv", "manifest.json"]:
        assert (out / name).is_file(), name
    for grid, header in SPEC_COLUMNS.items():
        path = out / "tables" / "parts" / f"{grid}.csv"
        assert path.read_text(encoding="utf-8").splitlines()[0] == header
    assert not list(out.parent.glob(".out.tmp-*")), "no temporary folder is left behind"


def test_run_csv_figures_match_hand_worked_values(parts_run):
    """The CSV holds the SPEC's figures, data rows only, plain numbers and empty ratios."""
    _, out = parts_run
    activity = read_csv(out / "tables" / "parts" / "activity.csv")
    assert [r["date"] for r in activity] == ["2024-03-01", "2024-03-11", "2024-03-15"]
    assert float(activity[0]["net"]) == pytest.approx(8.5)
    assert float(activity[0]["gp_pct"]) == pytest.approx(25.0)
    assert activity[1]["gp_pct"] == ""
    assert int(activity[0]["credits"]) == 1
    text = (out / "tables" / "parts" / "activity.csv").read_text(encoding="utf-8")
    assert "Total" not in text and "," not in text.splitlines()[1].split(",")[4]
    purchasing = read_csv(out / "tables" / "parts" / "purchasing.csv")
    assert float(purchasing[0]["d30"]) == pytest.approx(3)


def test_run_manifest_records_the_run(parts_run):
    """The manifest names parameters, as-of, the source and its fingerprint, row counts, versions, status."""
    _, out = parts_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2024-03-15"
    assert manifest["period"] == {"from": "2024-03-01", "to": "2024-03-15"}
    assert len(manifest["fingerprint"]) == 64
    assert manifest["row_counts"]["parts_lines"] == len(LINES)
    assert manifest["reports"]["parts"]["status"] == "ok"
    assert manifest["reports"]["parts"]["seconds"] > 0
    assert manifest["rows"]["parts"] == {"read": 5, "used": 5, "set_aside": 0}
    assert {"pandas", "duckdb", "papermill", "nbconvert"} <= set(manifest["versions"])


def test_html_has_no_code_and_loads_nothing_from_the_network(parts_run):
    """The page shows no code, prompts or tracebacks and refers to no outside script, style or font."""
    _, out = parts_run
    page = (out / "parts.html").read_text(encoding="utf-8")
    shown = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    assert not re.search(r'class="[^"]*jp-InputArea', shown) and "In&nbsp;[" not in shown
    assert "Traceback" not in shown and "Warning" not in shown and "jp-OutputArea-stderr" not in shown
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    assert "@import" not in page
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "Activity" in page and "Purchasing" in page and "Data quality" in page


def test_index_links_the_report(parts_run):
    """The landing page links each report with its status."""
    _, out = parts_run
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="parts.html"' in index and "ok" in index


def test_rerun_replaces_the_pack(parts_run, tmp_path):
    """Running the same period again replaces the previous pack as a whole."""
    status, out = parts_run
    marker = out / "tables" / "parts" / "stale.csv"
    marker.write_text("old\n", encoding="utf-8")
    source = out.parent / "src"
    assert main(["run", "--source", str(source), *RUN, "--reports", "parts", "--out", str(out)]) == 0
    assert not marker.exists()
    assert (out / "parts.html").is_file()


def test_unknown_report_is_an_error(tmp_path, capsys):
    """Asking for a report that does not exist stops with a message, not a traceback."""
    source = make_source(tmp_path / "src")
    assert main(["run", "--source", str(source), *RUN, "--reports", "partz", "--out", str(tmp_path / "o")]) == 2
    assert "partz" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_malformed_date_is_an_error(tmp_path, capsys):
    """A malformed date names the option and writes nothing."""
    source = make_source(tmp_path / "src")
    assert main(["run", "--source", str(source), "--from", "2024-3-1", "--to", "2024-03-15",
                 "--out", str(tmp_path / "o")]) == 2
    assert "from" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_unknown_params_key_is_an_error(tmp_path, capsys):
    """A settings file with a key the workbook does not know stops the run."""
    source = make_source(tmp_path / "src")
    params = tmp_path / "p.yaml"
    params.write_text("alerts:\n  gp_dorp: 3\n", encoding="utf-8")
    assert main(["run", "--source", str(source), *RUN, "--params", str(params), "--out", str(tmp_path / "o")]) == 2
    assert "alerts.gp_dorp" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
