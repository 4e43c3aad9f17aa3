"""Staging the demo's rows in a temporary on-disk DuckDB database, and writing the files from it."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from aftersales.source.contract import BOOLEAN, DATE, INTEGER, SQL_TYPES, TABLES, TEXT, TIMESTAMP
from aftersales.source.demo.arrays import _NA_DAY


class _Store:
    """Stages rows into a temporary on-disk DuckDB database, then writes the files."""

    BATCH_ROWS = 250_000  # small chunks are pooled before they go to DuckDB

    def __init__(self, tmp_dir: Path):
        self.pending: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
        self.pending_rows = dict.fromkeys(TABLES, 0)
        self.con = duckdb.connect(str(tmp_dir / "stage.duckdb"))
        self._run("SET threads = 1")  # row order and file bytes never depend on threads
        self._run("SET preserve_insertion_order = true")
        self._run("SET memory_limit = '384MB'")
        self._run(f"SET temp_directory = '{(tmp_dir / 'spill').as_posix()}'")
        for table in TABLES.values():
            cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in table.columns)
            self._run(f'CREATE TABLE "{table.name}" ({cols})')

    def insert(self, table: str, cols: dict, codes: dict | None = None) -> None:
        """Append rows given as {column: array}; see _expr for the encodings."""
        codes = codes or {}
        names = TABLES[table].all_names
        missing = set(names) - set(cols)
        if missing:
            raise AssertionError(f"{table}: no data for {sorted(missing)}")
        df = pd.DataFrame({n: cols[n] for n in names}, copy=False)
        if not len(df):
            return
        df.attrs["codes"] = codes
        self.pending[table].append(df)
        self.pending_rows[table] += len(df)
        if self.pending_rows[table] >= self.BATCH_ROWS:
            self._drain(table)

    def _drain(self, table: str) -> None:
        frames = self.pending[table]
        if not frames:
            return
        codes = frames[0].attrs["codes"]
        df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        self.pending[table] = []
        self.pending_rows[table] = 0
        for name, (_, width) in codes.items():  # lpad would silently cut a longer number
            if len(df) and df[name].max() >= 10**width:
                raise AssertionError(f"{table}.{name}: numbers do not fit {width} digits")
        exprs = ", ".join(_expr(c, codes.get(c.name)) for c in TABLES[table].columns)
        self.con.register("_chunk", df)
        try:
            self._run(f'INSERT INTO "{table}" SELECT {exprs} FROM _chunk')
        finally:
            self.con.unregister("_chunk")

    def count(self, table: str) -> int:
        self._drain(table)
        return int(self._run(f'SELECT count(*) FROM "{table}"')[0][0])

    def write(self, table: str, path: Path, fmt: str) -> None:
        self._drain(table)
        tmp = path.with_name(path.name + ".part")
        target = tmp.as_posix().replace("'", "''")
        if fmt == "parquet":
            opts = "FORMAT parquet"
        else:
            opts = ("FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', "
                    "DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S'")
        self._run(f"COPY \"{table}\" TO '{target}' ({opts})")
        os.replace(tmp, path)

    def _run(self, sql: str) -> list:
        """Execute and fetch to the end (DuckDB wants results finished before the next call)."""
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


def _expr(col, code_fmt) -> str:
    """SQL turning a staged column into its contract type.

    Encodings: text = categorical, str, or an integer code formatted by
    code_fmt=(prefix, width) with -1 for empty; date = int32 days since
    1970-01-01 with _NA_DAY for empty; timestamp = int64 seconds since the
    epoch with -1 for empty; integer = int64 with -1 for empty; boolean = int8
    1/0/-1 (empty); number = float64 with NaN for empty.
    """
    q = f'"{col.name}"'
    if col.type == TEXT:
        if code_fmt is not None:
            prefix, width = code_fmt
            e = f"'{prefix}' || lpad(CAST(NULLIF({q}, -1) AS VARCHAR), {width}, '0')"
        else:
            e = q
    elif col.type == DATE:
        e = f"DATE '1970-01-01' + NULLIF({q}, {_NA_DAY})"
    elif col.type == TIMESTAMP:
        e = f"make_timestamp(NULLIF({q}, -1) * 1000000)"
    elif col.type == BOOLEAN:
        e = f"CASE {q} WHEN 1 THEN TRUE WHEN 0 THEN FALSE ELSE NULL END"
    elif col.type == INTEGER:
        e = f"NULLIF({q}, -1)"
    else:
        e = q
    return f"CAST({e} AS {SQL_TYPES[col.type]}) AS {q}"
