"""Paths and constants shared by the whole workbook, in one place."""

from __future__ import annotations

import os
from pathlib import Path

#: The reports of a pack, in the order they appear on the landing page.
REPORTS = ("parts", "labour", "workshop", "operations", "accounts", "sales")

PACKAGE_DIR = Path(__file__).resolve().parent
#: The project checkout (lib/aftersales → project root).
PROJECT_DIR = Path(os.environ.get("AFTERSALES_HOME", PACKAGE_DIR.parent.parent))
#: The report notebooks (a test or a dealer may point this at their own copies).
NOTEBOOK_DIR = Path(os.environ.get("AFTERSALES_NOTEBOOKS", PROJECT_DIR / "notebooks"))
PARAMS_DIR = PROJECT_DIR / "params"
DEFAULT_PARAMS = PARAMS_DIR / "default.yaml"
OUTPUT_DIR = PROJECT_DIR / "outputs"
#: Where the built-in demo dataset is made on first use.
DEMO_DIR = PROJECT_DIR / "data" / "demo"
#: Remembered results that are costly to remake (validations of unchanged sources).
CACHE_DIR = Path(os.environ.get("AFTERSALES_CACHE", PROJECT_DIR / "data" / "cache"))
#: What the pages are made of: templates, style sheet, scripts, chart style (present/).
PRESENT_DIR = PACKAGE_DIR / "present"
TEMPLATE_DIR = PRESENT_DIR / "templates"
STATIC_DIR = PRESENT_DIR / "static"
STYLE_FILE = PRESENT_DIR / "aftersales.mplstyle"

#: The columns of alerts.csv (SPEC §5).
ALERT_COLUMNS = ("rule", "account", "name", "owner", "owner_email", "value", "threshold", "message")

#: The kernel provisioner a run's report kernels start with (kernel.py; an entry point).
KERNEL_PROVISIONER = "aftersales-preloaded"
