"""The house by layers: the import contract in pyproject.toml holds, and it bites when broken."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LINT_IMPORTS = BIN / "lint-imports"


def _lint(lib: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=lib.parent,
                          env={"PYTHONPATH": str(lib), "PATH": str(BIN)}, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def linter() -> Path:
    if not LINT_IMPORTS.exists():
        pytest.fail("import-linter is not installed: `make test` installs the test extras")
    return LINT_IMPORTS


def test_layers_contract_is_kept(linter):
    """Lower layers never import higher ones and no layer has an import cycle (README "Layout")."""
    result = _lint(ROOT / "lib", ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize("module, line, contract", [
    ("reports/parts.py", "from aftersales.run import context", "Layers"),
    ("reports/labour.py", "from aftersales.source import reader", "A report reads relations"),
    ("present/fmt.py", "from aftersales.source import contract", "Pages never read the source"),
    ("source/contract.py", "from aftersales.reports import grids", "Layers"),
])
def test_a_forbidden_import_breaks_the_contract(linter, tmp_path, module, line, contract):
    """Adding an import that climbs a layer (a report importing run/, …) makes the check fail."""
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "lib" / "aftersales", lib / "aftersales",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    target = lib / "aftersales" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = _lint(lib, tmp_path / "pyproject.toml")
    assert result.returncode != 0, result.stdout
    assert contract in result.stdout and "BROKEN" in result.stdout


def test_ruff_finds_nothing():
    """The code passes the project's lint settings (pyproject.toml [tool.ruff])."""
    ruff = BIN / "ruff"
    if not ruff.exists():
        pytest.fail("ruff is not installed: `make test` installs the test extras")
    result = subprocess.run([str(ruff), "check", "--no-cache", "lib", "tests", "benchmarks", "tools"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_is_a_house_of_its_own():
    """Every module stays readable: none is over 450 lines (split by what the code holds)."""
    big = {str(p.relative_to(ROOT)): n for p in (ROOT / "lib" / "aftersales").rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert not big, big
