"""The CRM side of the Sales report (SPEC §3 "Sales performance"): the tables it joins,
sales per account, and the territory, segment, channel, funnel and customer-issue grids.

Parts and labour lines are summed per account where they live (one query each, with the
shared line formulas); the CRM tables are then joined with those sums in a DuckDB connection
of their own (`CrmData`: a cursor of the source's connection, reading its views in place, when
the source allows it). Every CRM table is optional: an absent one is an empty
table of the contract's columns, and the grids show its figures empty.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from aftersales.reports.formulas import (
    ACCOUNT_SUMS,
    INVOICED,
    LABOUR_LINE,
    LABOUR_VALUES,
    PARTS_LINE,
    PARTS_VALUES,
    floating,
    ratio,
    tidy,
)
from aftersales.reports.grids import Grid, Lines, query, relation, sql_date
from aftersales.source.contract import SQL_TYPES, STAGES, TABLES

#: The CRM tables, every one optional (SPEC §2).
CRM_TABLES = ("sales_reps", "targets", "leads", "opportunities", "activities", "customer_issues")
DIMENSION_COLUMNS = ("sales", "margin", "gp_pct", "leads", "lead_cost", "cost_per_lead", "won", "win_rate_pct")
DIMENSIONS = {"territories": "territory", "segments": "segment", "channels": "channel"}
FUNNEL_COLUMNS = ("count", "potential_revenue")
ISSUE_COLUMNS = ("open_issues", *(f"open_{s}" for s in ("low", "medium", "high", "critical")),
                 "logged", "resolved", "avg_days_to_resolve")
SALES_SUMS = ("sales", "margin", "gross")


def account_sales(parts: Lines | None, labour: Lines | None, sums: tuple[str, ...] = SALES_SUMS,
                  counted: list[int] | None = None, exact: bool = True) -> pd.DataFrame:
    """Sales (Net), margin (Profit) and gross (or only the `sums` named) of the given lines per
    account; with `counted`, the number of lines summed is appended to it. The line values are
    exact decimals, or with `exact` False floating point (a third less work; the sums are
    rounded to SUM_DECIMALS all the same).

    Parts lines all count; labour lines only once invoiced. The caller filters the dates
    (the period for the grids, everything up to `to` for lifetime value).
    """
    frames = []
    parts_values, labour_values = ((PARTS_LINE, LABOUR_LINE) if exact
                                   else (floating(PARTS_VALUES), floating(LABOUR_VALUES)))
    for lines, values, where in ((parts, parts_values, "TRUE"), (labour, labour_values, INVOICED)):
        if lines is None:
            continue
        selected = ", ".join(f"SUM({values[ACCOUNT_SUMS[c]]}) AS {c}" for c in sums)
        frame = query(lines, f"SELECT account, COUNT(*) AS line_count, {selected} FROM lines WHERE {where} "
                             "GROUP BY account")
        if counted is not None:
            counted.append(int(frame["line_count"].sum()))
        frames.append(frame.drop(columns="line_count"))
    return _per_account(frames, sums)


def _per_account(frames: list[pd.DataFrame], sums: tuple[str, ...] = SALES_SUMS) -> pd.DataFrame:
    """The parts and labour sums of each account added together, sorted by account."""
    if not frames:
        return pd.DataFrame({"account": pd.Series([], dtype="object"),
                             **{c: pd.Series([], dtype="float64") for c in sums}})
    both = pd.concat(frames, ignore_index=True)
    for col in sums:
        both[col] = both[col].astype("float64")
    out = both.groupby("account", as_index=False, dropna=False)[list(sums)].sum()
    return tidy(out.sort_values("account").reset_index(drop=True), sums)


def period_and_lifetime_sales(parts: Lines | None, labour: Lines | None, start: dt.date,
                              last: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """`account_sales` of the lines dated `start`..`last`, the lifetime sales (`account, sales`
    only: what CLV needs) of every line dated up to `last`, and how many sales lines the
    period has. The period's query reads only the period (the engine skips the rest); the
    lifetime one sums one column.

    `parts` and `labour` are whole tables (their dates are filtered here).
    """
    def dated(condition: str) -> list[Lines | None]:
        return [None if lines is None else relation(lines).filter(condition) for lines in (parts, labour)]

    counted: list[int] = []
    period = account_sales(*dated(f"date_edit BETWEEN {sql_date(start)} AND {sql_date(last)}"), counted=counted)
    # two years of lines or more, for one rounded figure per account: floating point will do
    lifetime = account_sales(*dated(f"date_edit <= {sql_date(last)}"), sums=("sales",), exact=False)
    return period, lifetime, sum(counted)


@dataclass
class CrmData:
    """The tables of the Sales report in one DuckDB connection of their own, for joining.

    `tables` maps a contract table name to its relation or frame (None when the source
    lacks it); `period_sales` and `lifetime_sales` are `account_sales` frames. Each is a
    temporary view of the contract's columns and types, named like the table, in `con`:

    - when a table is the whole typed view of a source's DuckDB connection (`Source.table` of
      a folder or a DuckDB file), `con` is a cursor of that connection (the same database,
      its own temporary objects) and the view reads the source's view in place: nothing is
      copied, and DuckDB reads only the columns and rows each query needs;
    - a view over a CSV file (parsed again by every query), a filtered relation (the
      explorer's filters, whose conditions name the source's tables) or a relation of another
      connection (a database source's rows) is copied by DuckDB itself into a Parquet file
      of a private folder (removed on `close`), never through Python objects: a million
      activities cost a few megabytes, not a gigabyte;
    - a frame is registered as it is.

    Without a source view, `con` is a private in-memory connection. `close` drops it all;
    the source's connection never sees these objects.
    """

    tables: dict[str, Lines | None]
    period_sales: pd.DataFrame
    lifetime_sales: pd.DataFrame
    con: duckdb.DuckDBPyConnection = field(init=False, repr=False)
    _folder: tempfile.TemporaryDirectory | None = field(init=False, repr=False, default=None)
    #: The source connection `con` is a cursor of (None: `con` is a private connection).
    _home: duckdb.DuckDBPyConnection | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        names = ("accounts", *CRM_TABLES)
        homes = [_view_connection(name, self.tables.get(name)) for name in names]
        self._home = next((home for home in homes if home is not None), None)
        self.con = self._home.cursor() if self._home is not None else duckdb.connect(":memory:")
        for name in names:
            self._bind(name, self.tables.get(name))
        for name in ("period_sales", "lifetime_sales"):
            frame = getattr(self, name)
            self.con.register(f"{name}__frame", frame)
            cols = ["CAST(account AS VARCHAR) AS account"]
            cols += [f"CAST({c} AS DOUBLE) AS {c}" for c in SALES_SUMS if c in frame]
            self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT {', '.join(cols)} FROM {name}__frame")

    def _bind(self, name: str, lines: Lines | None) -> None:
        """A view `name` of the contract's columns and types (empty when the table is absent)."""
        table = TABLES[name]
        casts = ", ".join(f'CAST("{c.name}" AS {SQL_TYPES[c.type]}) AS "{c.name}"' for c in table.columns)
        if lines is None:
            nulls = ", ".join(f'CAST(NULL AS {SQL_TYPES[c.type]}) AS "{c.name}"' for c in table.columns)
            self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT {nulls} WHERE FALSE")
            return
        if isinstance(lines, pd.DataFrame):
            self.con.register(f"{name}__frame", lines)
            rows = f"{name}__frame"
        else:
            rows = self._in_place(name, lines) or self._copy(name, lines)
        self.con.execute(f"CREATE TEMP VIEW {name} AS SELECT {casts} FROM {rows}")

    def _in_place(self, name: str, lines: Lines) -> str | None:
        """The qualified name of the source's view `lines` reads, when `con` can read it in place:
        `lines` is the whole view `name` of the connection `con` is a cursor of, over no CSV file."""
        if self._home is None or _view_connection(name, lines) is not self._home:
            return None
        found = self.con.execute(
            "SELECT database_name, schema_name, sql FROM duckdb_views() WHERE view_name = ? AND NOT temporary "
            "AND database_name = current_database() AND schema_name = current_schema()", [name]).fetchall()
        if len(found) != 1 or "read_csv" in (found[0][2] or "").lower():
            return None
        database, schema, _ = found[0]
        return ".".join('"' + part.replace('"', '""') + '"' for part in (database, schema, name))

    def _copy(self, name: str, lines: Lines) -> str:
        """`lines` written to a Parquet file of the private folder by DuckDB, read back."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="aftersales-crm-")
        path = Path(self._folder.name) / f"{name}.parquet"
        lines.write_parquet(str(path))
        return "read_parquet('" + str(path).replace("'", "''") + "')"

    def has(self, name: str) -> bool:
        return self.tables.get(name) is not None

    def sql(self, text: str) -> pd.DataFrame:
        return self.con.sql(text).df()

    def first(self, text: str, limit: int) -> tuple[pd.DataFrame, int]:
        """The first `limit` rows of `text` (a SELECT ending with its ORDER BY) and how many it has."""
        frame = self.sql(f"{text} LIMIT {int(limit) + 1}")
        rows = len(frame) if len(frame) <= limit else self.count(text)
        frame = frame.head(int(limit))
        frame.attrs["rows"] = rows
        return frame, rows

    def count(self, text: str) -> int:
        return int(self.con.sql(f"SELECT COUNT(*) FROM ({text})").fetchall()[0][0])

    def close(self) -> None:
        """Close `con` (a cursor: only its own temporary views and frames go) and remove the copies."""
        self.con.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def _view_connection(name: str, lines: Lines | None) -> duckdb.DuckDBPyConnection | None:
    """The connection of `lines` when it is the whole view `name` of a DuckDB connection (a source's
    typed view), else None. DuckDB's relation keeps its connection in `_con` (there is no public
    accessor): a relation without one is copied, as is a filtered one."""
    if not isinstance(lines, duckdb.DuckDBPyRelation) or lines.type != "VIEW_RELATION" or lines.alias != name:
        return None
    con = getattr(lines, "_con", None)
    return con if isinstance(con, duckdb.DuckDBPyConnection) else None


# ---------------------------------------------------------------- shared SQL pieces

def won_lost(start: dt.date, last: dt.date) -> str:
    """`won` and `lost`: opportunities of that stage closed in the period."""
    closed = f"closed_date BETWEEN {sql_date(start)} AND {sql_date(last)}"
    return (f"COUNT(*) FILTER (WHERE stage = 'won' AND {closed}) AS won, "
            f"COUNT(*) FILTER (WHERE stage = 'lost' AND {closed}) AS lost")


def open_at(last: dt.date, alias: str = "") -> str:
    """An opportunity created by `last` and not closed by it."""
    a = f"{alias}." if alias else ""
    return (f"{a}created_date <= {sql_date(last)} AND "
            f"({a}closed_date IS NULL OR {a}closed_date > {sql_date(last)})")


def _counts(frame: pd.DataFrame, columns, present: bool) -> None:
    """Counts are whole numbers when their table exists, empty otherwise."""
    for col in columns:
        frame[col] = frame[col].fillna(0).astype("int64") if present else math.nan


def _money(frame: pd.DataFrame, columns, present: bool) -> None:
    for col in columns:
        frame[col] = frame[col].astype("float64").fillna(0.0) if present else math.nan


# ---------------------------------------------------------------- territories, segments, channels

def dimension(data: CrmData, name: str, start: dt.date, last: dt.date) -> Grid:
    """Sales, margin, GP%, leads, lead cost, won and win rate per territory, segment or channel.

    Sales go by the account's attribute; leads by the lead's own; won and lost by the
    opportunity's account's attribute, or the lead's when the account has none.
    """
    attr = DIMENSIONS[name]
    period = f"BETWEEN {sql_date(start)} AND {sql_date(last)}"
    frame = data.sql(f"""
        WITH s AS (
            SELECT a.{attr} AS key, SUM(p.sales) AS sales, SUM(p.margin) AS margin, SUM(p.gross) AS gross
            FROM period_sales p LEFT JOIN accounts a ON a.account = p.account GROUP BY 1),
        l AS (
            SELECT {attr} AS key, COUNT(*) AS leads, SUM(COALESCE(cost, 0)) AS lead_cost
            FROM leads WHERE created_date {period} GROUP BY 1),
        o AS (
            SELECT COALESCE(a.{attr}, ld.{attr}) AS key, {won_lost(start, last)}
            FROM opportunities o
            LEFT JOIN accounts a ON a.account = o.account
            LEFT JOIN leads ld ON ld.lead_id = o.lead_id
            WHERE o.stage IN ('won', 'lost') AND o.closed_date {period} GROUP BY 1),
        keys AS (SELECT key FROM s UNION SELECT key FROM l UNION SELECT key FROM o)
        SELECT k.key AS {attr}, s.sales, s.margin, s.gross, l.leads, l.lead_cost, o.won, o.lost
        FROM keys k
        LEFT JOIN s ON s.key IS NOT DISTINCT FROM k.key
        LEFT JOIN l ON l.key IS NOT DISTINCT FROM k.key
        LEFT JOIN o ON o.key IS NOT DISTINCT FROM k.key
        ORDER BY k.key NULLS LAST""")
    _money(frame, SALES_SUMS, True)
    _counts(frame, ["leads"], data.has("leads"))
    _money(frame, ["lead_cost"], data.has("leads"))
    _counts(frame, ["won", "lost"], data.has("opportunities"))
    frame = _dimension_figures(tidy(frame, [*SALES_SUMS, "lead_cost"]), name)
    present = {**dict.fromkeys(SALES_SUMS, True), "leads": data.has("leads"), "lead_cost": data.has("leads"),
               "won": data.has("opportunities"), "lost": data.has("opportunities")}
    total = _dimension_figures(pd.DataFrame([{c: frame[c].sum() if ok else math.nan
                                              for c, ok in present.items()}]), name)
    columns = [*DIMENSION_COLUMNS, *(["efficiency"] if name == "channels" else [])]
    grid = Grid(name, frame[[attr, *columns]].reset_index(drop=True), total[columns], (attr,))
    if frame[attr].isna().any():
        grid.notes.append(f"The row with no {attr} holds accounts (or leads) whose {attr} is empty "
                          "or unknown.")
    for table, figures in (("leads", "leads, lead cost and cost per lead"), ("opportunities", "won and win rate")):
        if not data.has(table):
            grid.notes.append(f"The source has no {table} table: {figures} are empty.")
    return grid


def _dimension_figures(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["gp_pct"] = ratio(frame["margin"], frame["gross"])
    frame["cost_per_lead"] = ratio(frame["lead_cost"], frame["leads"], 1)
    frame["win_rate_pct"] = ratio(frame["won"], frame["won"] + frame["lost"])
    if name == "channels":
        frame["efficiency"] = ratio(frame["sales"], frame["lead_cost"], 1)
    return frame


def ranking(grid: Grid, by: str = "margin") -> pd.DataFrame:
    """A grid's rows ranked by a figure, best first (ties by GP%), with their rank."""
    rows = grid.rows.sort_values([by, "gp_pct"], ascending=False, na_position="last")
    rows = rows.reset_index(drop=True)
    rows.insert(0, "rank", range(1, len(rows) + 1))
    return rows


# ---------------------------------------------------------------- funnel and models

def funnel(data: CrmData, last: dt.date) -> Grid:
    """Opportunities open at `to` by stage (in the funnel's order): count and potential revenue."""
    frame = data.sql(
        f"SELECT stage, COUNT(*) AS count, SUM(potential_revenue) AS potential_revenue "
        f"FROM opportunities WHERE {open_at(last)} GROUP BY stage")
    order = {s: i for i, s in enumerate(STAGES)}
    frame = frame.sort_values("stage", key=lambda s: s.map(order).fillna(len(order))).reset_index(drop=True)
    return _count_grid("funnel", "stage", frame)


def models(data: CrmData, last: dt.date) -> Grid:
    """Equipment models in the pipeline (opportunities open at `to`): count and potential revenue."""
    frame = data.sql(
        f"SELECT model, COUNT(*) AS count, SUM(potential_revenue) AS potential_revenue "
        f"FROM opportunities WHERE {open_at(last)} GROUP BY model ORDER BY model NULLS LAST")
    grid = _count_grid("models", "model", frame)
    if frame["model"].isna().any():
        grid.notes.append("The row with no model holds opportunities whose model is empty.")
    return grid


def _count_grid(name: str, key: str, frame: pd.DataFrame) -> Grid:
    frame["count"] = frame["count"].fillna(0).astype("int64")
    frame["potential_revenue"] = frame["potential_revenue"].astype("float64").fillna(0.0)
    frame = tidy(frame, ["potential_revenue"])
    total = pd.DataFrame([{"count": int(frame["count"].sum()),
                           "potential_revenue": float(frame["potential_revenue"].sum())}])
    return Grid(name, frame[[key, *FUNNEL_COLUMNS]].reset_index(drop=True), total, (key,))


# ---------------------------------------------------------------- customer issues

def issues(data: CrmData, start: dt.date, last: dt.date) -> Grid:
    """Customer issues per territory of their account: open at `to` (by severity), logged and
    resolved in the period, and the average days from logged to resolved of those resolved."""
    s, e = sql_date(start), sql_date(last)
    is_open = f"logged_date <= {e} AND (resolved_date IS NULL OR resolved_date > {e})"
    resolved = f"resolved_date BETWEEN {s} AND {e}"
    by_severity = ", ".join(
        f"COUNT(*) FILTER (WHERE {is_open} AND severity = '{sev}') AS open_{sev}"
        for sev in ("low", "medium", "high", "critical"))
    frame = data.sql(f"""
        SELECT a.territory, COUNT(*) FILTER (WHERE {is_open}) AS open_issues, {by_severity},
               COUNT(*) FILTER (WHERE logged_date BETWEEN {s} AND {e}) AS logged,
               COUNT(*) FILTER (WHERE {resolved}) AS resolved,
               SUM(resolved_date - logged_date) FILTER (WHERE {resolved}) AS days
        FROM customer_issues i LEFT JOIN accounts a ON a.account = i.account
        GROUP BY a.territory
        HAVING COUNT(*) FILTER (WHERE {is_open} OR logged_date BETWEEN {s} AND {e} OR {resolved}) > 0
        ORDER BY a.territory NULLS LAST""")
    counts = [c for c in ISSUE_COLUMNS if c != "avg_days_to_resolve"]
    _counts(frame, counts, True)
    frame["days"] = frame["days"].astype("float64").fillna(0.0)
    frame["avg_days_to_resolve"] = ratio(frame["days"], frame["resolved"], 1)
    total = pd.DataFrame([{c: int(frame[c].sum()) for c in counts}])
    total["avg_days_to_resolve"] = ratio(float(frame["days"].sum()), int(frame["resolved"].sum()), 1)
    grid = Grid("issues", frame[["territory", *ISSUE_COLUMNS]].reset_index(drop=True), total, ("territory",))
    if frame["territory"].isna().any():
        grid.notes.append("The row with no territory holds issues whose account has no territory "
                          "or is not in accounts.")
    return grid
