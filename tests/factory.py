"""Small sources made inside a test: rows as dicts, every other column from a default."""

from __future__ import annotations

import csv
from contextlib import contextmanager
from pathlib import Path

from aftersales.source.contract import TABLES

DEFAULTS: dict[str, dict[str, object]] = {
    "parts_lines": {
        "document": "D1", "doc_type": "invoice", "date_edit": "2024-03-10", "account": "A1", "wip_no": "",
        "department": "P", "sale_type": "S1", "operator": "OP1", "part_no": "P1", "quantity": 1,
        "retail_price": 10, "selling_price": 10, "discount": 0, "cost_price": 5,
        "menu_normal_value": "", "menu_fixed_value": "", "first_pick": "", "vor_loss": "",
    },
    "labour_lines": {
        "wip_no": "W1", "line_no": 1, "document": "L1", "doc_type": "invoice", "date_created": "2024-03-01",
        "date_edit": "2024-03-10", "account": "A1", "department": "W", "labour_type": "LT1",
        "wip_owner": "OW1", "technician": "T1", "allowed_time": 1, "time_taken": 1, "minutes_per_unit": 60,
        "labour_rate": 100, "contribution": 100, "cost_per_hour": 40, "flat_rate": "false", "discount": 0,
        "menu_normal_value": "", "menu_fixed_value": "",
    },
    "clockings": {
        "technician": "T1", "technician_name": "Tech One", "clock_in": "2024-03-10T08:00",
        "clock_out": "2024-03-10T12:00", "wip_no": "W1", "line_no": 1, "idle_code": "",
        "idle_productive": "", "reason": "", "description": "",
    },
    "parts_movements": {"date": "2024-03-10", "part_no": "P1", "movement_type": "invoiced", "quantity": 1, "value": 5},
    "purchase_order_lines": {
        "order_no": "O1", "line_no": 1, "part_no": "P1", "state": "open", "order_type": "stock",
        "outstanding_qty": 1, "date_created": "2024-03-01", "date_required": "", "grn_date": "",
    },
    "accounts": {"account": "A1", "name": "Alpha Garage", "owner": "R1", "territory": "North",
                 "segment": "Fleet", "channel": "Web", "email": "alpha@example.com"},
    "sales_reps": {"rep": "R1", "name": "Rita Rep", "team": "T", "territory": "North",
                   "email": "rita@example.com", "annual_cost": 100000, "commission_rate": 5},
    "targets": {"rep": "R1", "month": "2024-03", "sales_target": 1000, "margin_target": 300},
    "leads": {"lead_id": "LD1", "created_date": "2024-03-05", "rep": "R1", "channel": "Web",
              "segment": "Fleet", "territory": "North", "cost": 50, "account": ""},
    "opportunities": {"opp_id": "O1", "lead_id": "", "account": "A1", "rep": "R1", "stage": "qualified",
                      "model": "", "potential_revenue": 1000, "created_date": "2024-03-01",
                      "expected_close": "", "closed_date": ""},
    "activities": {"activity_id": "AC1", "date": "2024-03-05", "rep": "R1", "account": "A1",
                   "activity_type": "call", "duration_minutes": 30},
    "customer_issues": {"issue_id": "I1", "account": "A1", "logged_date": "2024-03-05", "severity": "low",
                        "category": "parts", "resolved_date": ""},
    "branches": {"branch": "B1", "name": "Branch One", "region": ""},
    "budgets": {"branch": "", "month": "2024-03", "measure": "parts_net", "value": 1000},
    "overheads": {"branch": "", "month": "2024-03", "amount": 1000},
    "parts_stock": {"branch": "", "part_no": "P1", "on_hand_qty": 1, "unit_cost": 5, "last_sale_date": "",
                    "last_receipt_date": ""},
    "codes": {"kind": "department", "code": "P", "description": "Parts counter"},
}
#: Optional columns (SPEC §6.1 `branch`, `pay_type`) are written only when a row of the table names them,
#: so that a source made here is one branch without pay types unless the test says otherwise.
OPTIONAL_DEFAULTS = {"branch": "", "pay_type": ""}

REQUIRED = [name for name, table in TABLES.items() if not table.optional]


def write_table(folder: Path, table: str, rows: list[dict]) -> Path:
    """Write one table as CSV, filling unspecified columns from DEFAULTS."""
    folder.mkdir(parents=True, exist_ok=True)
    named = {key for row in rows for key in row}
    columns = [c.name for c in TABLES[table].columns if not c.optional or c.name in named]
    path = folder / f"{table}.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            unknown = set(row) - set(columns)
            assert not unknown, f"{table} has no column {unknown}"
            writer.writerow({c: row.get(c, DEFAULTS[table].get(c, OPTIONAL_DEFAULTS.get(c))) for c in columns})
    return path


def make_source(folder: Path, **tables: list[dict]) -> Path:
    """A folder source: the given tables, and every required table (empty when not given)."""
    for name in REQUIRED:
        tables.setdefault(name, [])
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder


def row(grid, key_value):
    """The one row of a grid whose key is `key_value` (a date as `YYYY-MM-DD`; None: the empty key)."""
    import pandas as pd

    rows, key = grid.rows, grid.key[0]
    if key_value is None:
        found = rows[rows[key].isna()]
    elif pd.api.types.is_datetime64_any_dtype(rows[key]):
        found = rows[rows[key].dt.strftime("%Y-%m-%d") == key_value]
    else:
        found = rows[rows[key] == key_value]
    assert len(found) == 1, f"{key}={key_value} not found once in {rows}"
    return found.iloc[0]


def check(record, **expected):
    """Each named figure of `record` is as worked out by hand (None: the figure must be empty)."""
    import math

    import pytest

    for name, value in expected.items():
        if value is None:
            assert record[name] is None or (isinstance(record[name], float) and math.isnan(record[name])), \
                f"{name} should be empty, is {record[name]}"
        elif isinstance(value, str):
            assert record[name] == value, f"{name}: {record[name]} != {value}"
        else:
            assert record[name] == pytest.approx(value), f"{name}: {record[name]} != {value}"


@contextmanager
def small_lists(report: str, folder: Path, tmp_path: Path, rows: int, *, date_from: str, date_to: str,
                as_of: str):
    """A report's context over the source `folder` whose drill-down lists hold `rows` rows; its
    source is closed on leaving."""
    from aftersales.run import context as report_module

    settings = tmp_path / "small_drilldown.yaml"
    settings.write_text(f"report:\n  drilldown_rows: {rows}\n", encoding="utf-8")
    ctx = report_module.start(report, source=str(folder), date_from=date_from, date_to=date_to, as_of=as_of,
                              params_file=str(settings))
    try:
        yield ctx
    finally:
        ctx.source.close()


def typed_relation(con, types: dict[str, str], defaults: dict[str, object], rows: list[dict], kind: str,
                   drop: tuple[str, ...] = ()):
    """A DuckDB table of `types` (column → SQL type, less `drop`) from rows given as dicts over `defaults`;
    a labour line's time taken defaults to its allowed time, a parts line's retail price to its selling
    price (when the defaults leave them None). For the pure report functions' tests, which take relations."""
    import pandas as pd

    columns = {c: t for c, t in types.items() if c not in drop}
    filled = []
    for r in rows:
        line = {**defaults, **r}
        if kind == "labour" and line.get("time_taken", 0) is None:
            line["time_taken"] = line["allowed_time"]
        if kind == "parts" and line.get("retail_price", 0) is None:
            line["retail_price"] = line["selling_price"]
        filled.append({c: line[c] for c in columns})
    frame = pd.DataFrame(filled, columns=list(columns), dtype="object")
    name = f"{kind}_{len(con.sql('SHOW TABLES').fetchall())}"
    con.register("given_rows", frame)
    select = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns.items())
    con.sql(f"CREATE TABLE {name} AS SELECT {select} FROM given_rows")
    con.unregister("given_rows")
    return con.table(name)
