"""The explorer in a real JupyterLab: `jupyter lab` from .venv-lab on loopback with a token, a report
notebook opened in headless Chromium (Playwright, Debian's chromium), run, then YTD, a filter, an export.

Marked `lab` (it starts a Lab server: ~40 s). It builds .venv-lab when missing, as `make lab` does
(~30 s: JupyterLab's wheels, no Node build), so it runs in CI; it is skipped only without Debian's
/usr/bin/chromium, as the page tests are. It prints the timings of its interactions.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_widgets import ACCOUNTS, AS_OF, CLOCKINGS, LABOUR, PARTS, REPS

from aftersales.explore import lab
from factory import make_source

ROOT = Path(__file__).resolve().parents[2]
LAB_VENV = ROOT / ".venv-lab"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab_server(tmp_path):
    """A Lab on a copy of the parts notebook pointed at small data, with the kernel `make lab` installs."""
    source = make_source(tmp_path / "src", parts_lines=PARTS, labour_lines=LABOUR, clockings=CLOCKINGS,
                         accounts=ACCOUNTS, sales_reps=REPS)
    root = tmp_path / "notebooks"
    root.mkdir()
    nb = json.loads((ROOT / "notebooks" / "parts.ipynb").read_text(encoding="utf-8"))
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    params["source"] = [line.replace('source = ""', f"source = {str(source)!r}").replace(
        'as_of = ""', f"as_of = {AS_OF!r}") for line in params["source"]]
    (root / "parts.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    kernels = tmp_path / "jupyter" / "kernels" / "aftersales"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", f"--ext={lab.EXTENSION}"],
        "display_name": "Aftersales", "language": "python", "env": {"AFTERSALES_INTERACTIVE": "1"}}))
    if not (LAB_VENV / "bin" / "jupyter").exists():  # as `make lab` builds it (~30 s)
        subprocess.run(["make", "-C", str(ROOT), ".venv-lab/.installed-stamp"], check=True, timeout=900)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "AFTERSALES_INTERACTIVE")}
    env.update(JUPYTER_PATH=f"{tmp_path / 'jupyter'}{os.pathsep}{LAB_VENV / 'share' / 'jupyter'}",
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path))
    args = [str(LAB_VENV / "bin" / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            pytest.fail("JupyterLab did not start: " + (tmp_path / "lab.log").read_text())
        assert server.poll() is None, (tmp_path / "lab.log").read_text()
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(root / "exports", ignore_errors=True)


def _status(page) -> str:
    """The explorer's status line (an ipywidgets HTML widget), or "" before it is drawn."""
    found = page.locator(".widget-html", has_text="Parts ·")
    return found.first.inner_text(timeout=2000) if found.count() else ""


def _wait_status(page, pattern: str, timeout: float = 60) -> float:
    """Wait until the explorer's status matches; returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if re.search(pattern, _status(page)):
                return time.perf_counter() - started
        except Exception:  # noqa: BLE001 - the status is not drawn yet
            pass
        page.wait_for_timeout(50)
    raise AssertionError(f"status never matched {pattern!r}; page text: {page.inner_text('body')[-3000:]}")


def test_parts_in_a_real_jupyterlab(lab_server):
    """Opened and run in JupyterLab, the parts notebook shows one report that follows YTD and a filter,
    with no error and no widget shown as text, and Export's link downloads the spreadsheet."""
    from playwright.sync_api import sync_playwright

    base, token, root = lab_server
    timings = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            started = time.perf_counter()
            page.goto(f"{base}/lab/tree/parts.ipynb?token={token}")
            page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function("window.jupyterapp.shell.currentWidget?.sessionContext?.kernelDisplayStatus"
                                   " === 'idle'", timeout=60_000)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            _wait_status(page, r"redrawn in", timeout=120)
            timings["open and run all"] = time.perf_counter() - started
            # MTD, 1 to 15 March 2024: parts net 17 - 8.5 + 40 + 80 = 128.50 (test_widgets' PARTS)
            page.wait_for_timeout(1500)  # the cells below the explorer have run (they draw nothing)
            assert page.locator(".as-title").count() == 1
            assert page.locator(".as-tiles").count() == 1
            assert "128.50" in page.locator(".as-tiles").first.inner_text()
            assert "01 Mar 2024 to 15 Mar 2024" in page.locator(".as-title").first.inner_text()

            page.get_by_role("button", name="YTD", exact=True).click()
            timings["YTD"] = _wait_status(page, r"01 Jan 2024 to 15 Mar 2024 .* redrawn in")
            # YTD adds February's D4 (net 10): 128.50 + 10 = 138.50
            assert page.locator(".as-tiles").count() == 1 and page.locator(".as-title").count() == 1
            assert "138.50" in page.locator(".as-tiles").first.inner_text()
            assert "01 Jan 2024 to 15 Mar 2024" in page.locator(".as-title").first.inner_text()

            page.locator(".widget-select-multiple select").first.select_option("P")
            timings["filter Department P"] = _wait_status(page, r"Department P .* redrawn in")
            # department P, YTD: D1 17 + C1 -8.5 + D4 10 = 18.50
            assert "18.50" in page.locator(".as-tiles").first.inner_text()

            page.get_by_role("button", name="Export").click()
            timings["export"] = _wait_status(page, r"exported \d+ tables")
            # the Lab resolves the relative link against the notebook's folder: /files/exports/…
            link = page.locator("a[download]", has_text="Download parts_").first
            link.wait_for(timeout=30_000)
            href = link.get_attribute("href")
            assert "/files/exports/parts_2024-01-01_2024-03-15_" in href
            assert ".xlsx?" in href
            started = time.perf_counter()
            with page.expect_download(timeout=30_000) as download:
                link.click()
            got = Path(download.value.path()).read_bytes()
            timings["download"] = time.perf_counter() - started
            assert got[:2] == b"PK" and download.value.suggested_filename.endswith(".xlsx")  # a zip: the spreadsheet
            assert len(list((root / "exports").glob("parts_2024-01-01_2024-03-15_*"))) == 1

            body = page.inner_text(".jp-Notebook")
            assert page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
            assert "Traceback" not in body and "Error" not in body
            assert "VBox(children" not in body and "Loading widget" not in body
        finally:
            browser.close()
    print("Lab interactions (s):", {k: round(v, 2) for k, v in timings.items()})
