"""A dealer database as the source: PostgreSQL, on a real server started for the test session.

`pg.Server` runs the machine's PostgreSQL (installed by .ci/run) on loopback at a free port,
in a throwaway folder, logging every statement; the tests are skipped only when its programs
are absent (the last test needs no server: SQLite stands for "any SQLAlchemy database"). The demo data is loaded with `aftersales load`, read by a read-only user whose
password is in the environment, and the pack made from it is compared with the pack made
from the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pg
from aftersales import cli
from aftersales.run import context as report
from aftersales.source.contract import TABLES
from aftersales.source.reader import Source
from aftersales.source.validate import validate

READER, READER_PASSWORD = "reader", "rd-Pw-4kq9"
AS_OF = "2026-11-25"
MONTH = ("2026-10-01", "2026-10-31")
AFTERSALES = str(Path(sys.executable).with_name("aftersales"))


@pytest.fixture(scope="session")
def server():
    reason = pg.missing_reason()
    if reason:
        pytest.skip(reason)
    with pg.Server() as running:
        running.create_user(READER, READER_PASSWORD)
        yield running


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    from aftersales.source.demo import generate

    folder = tmp_path_factory.mktemp("demo") / "small"
    generate(folder, as_of=dt.date.fromisoformat(AS_OF), scale="small")
    return folder


def _env(password: str | None = None, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "AFTERSALES_DB_PASSWORD")}
    if password:
        env["PGPASSWORD"] = password
    return {**env, **more}


def _aftersales(*args: str, password: str | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([AFTERSALES, *args], capture_output=True, text=True, env=_env(password, **env),
                          timeout=900)


def _grant_reader(server: pg.Server, database: str, schema: str = "public") -> None:
    server.psql(f'GRANT USAGE ON SCHEMA "{schema}" TO {READER}; '
                f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {READER}', database)


@pytest.fixture(scope="session")
def loaded(server, demo):
    """The small demo data loaded into the database `dealer`; (URL for the reader, load output)."""
    server.create_database("dealer")
    done = _aftersales("load", str(demo), "--into", server.url(database="dealer"), password=pg.ADMIN_PASSWORD)
    assert done.returncode == 0, done.stderr
    _grant_reader(server, "dealer")
    return server.url(READER, "dealer"), done


@pytest.fixture
def reader_env(monkeypatch):
    monkeypatch.delenv("AFTERSALES_DB_PASSWORD", raising=False)
    monkeypatch.setenv("PGPASSWORD", READER_PASSWORD)


# ---------------------------------------------------------------- load


def test_load_makes_typed_keyed_indexed_tables(server, loaded, demo):
    """`aftersales load` gives every table the contract's types, its key and a date index, with progress."""
    url, done = loaded
    assert "parts_lines: copying 32," in done.stderr and "indexing" in done.stderr
    assert re.search(rf"loaded {len(TABLES)} tables, [\d,]+ rows", done.stdout)
    types = dict(tuple(line.split("|")) for line in server.psql(
        "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public'", "dealer").splitlines())
    assert types["parts_lines.date_edit"] == "date"
    assert types["parts_lines.quantity"] == "double precision"
    assert types["labour_lines.line_no"] == "bigint"
    assert types["labour_lines.flat_rate"] == "boolean"
    assert types["clockings.clock_in"] == "timestamp without time zone"
    assert types["accounts.name"] == "text"
    required = server.psql("SELECT is_nullable FROM information_schema.columns "
                           "WHERE table_name = 'parts_lines' AND column_name = 'document'", "dealer")
    assert required == "NO"
    indexes = server.psql("SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'", "dealer")
    for name in ("parts_lines_date_edit_idx", "labour_lines_date_edit_idx", "clockings_clock_in_idx",
                 "accounts_pkey", "sales_reps_pkey", "leads_pkey", "opportunities_pkey", "activities_pkey",
                 "customer_issues_pkey"):
        assert name in indexes
    key = next(line for line in indexes.splitlines() if line.startswith("labour_lines_key "))
    assert "UNIQUE" in key and "(wip_no, line_no, technician) NULLS NOT DISTINCT" in key
    with Source.open(demo) as files:
        expected = files.row_counts()
    counts = {t: int(server.psql(f"SELECT count(*) FROM {t}", "dealer")) for t in expected}
    assert counts == expected


def test_load_refuses_existing_tables_unless_replace(server, tmp_path):
    """Loading over existing tables is an error that names --replace; with it the tables are loaded again."""
    from factory import make_source

    source = make_source(tmp_path / "src", parts_lines=[{}], labour_lines=[{}], accounts=[{}])
    server.create_database("again")
    url = server.url(database="again")
    first = _aftersales("load", str(source), "--into", url, password=pg.ADMIN_PASSWORD)
    assert first.returncode == 0, first.stderr
    second = _aftersales("load", str(source), "--into", url, password=pg.ADMIN_PASSWORD)
    assert second.returncode == 2 and "exists already" in second.stderr and "--replace" in second.stderr
    assert "Traceback" not in second.stderr
    third = _aftersales("load", str(source), "--into", url, "--replace", password=pg.ADMIN_PASSWORD)
    assert third.returncode == 0, third.stderr
    assert server.psql("SELECT count(*) FROM parts_lines", "again") == "1"


def test_a_duplicated_key_stops_the_load_before_any_row_is_stored(server, tmp_path):
    """A source that breaks the contract is refused with the validation message; nothing is created."""
    from factory import make_source

    source = make_source(tmp_path / "src", accounts=[{"account": "A1"}, {"account": "A1"}])
    server.create_database("refused")
    done = _aftersales("load", str(source), "--into", server.url(database="refused"), password=pg.ADMIN_PASSWORD)
    assert done.returncode == 2 and "accounts.account: 2 rows share a duplicated key" in done.stderr
    assert server.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                       "refused") == "0"


# ---------------------------------------------------------------- the same figures


def _tables(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted((out / "tables").rglob("*.csv"))}


def test_the_pack_from_postgres_equals_the_pack_from_files(loaded, demo, tmp_path):
    """A month's pack read from the database has every CSV table equal to the pack read from the files,
    and the password appears nowhere in what the run prints or writes."""
    url, _ = loaded
    common = ("--from", MONTH[0], "--to", MONTH[1], "--as-of", AS_OF)
    from_db = _aftersales("run", "--source", url, *common, "--out", str(tmp_path / "db"), password=READER_PASSWORD)
    assert from_db.returncode == 0, from_db.stderr
    from_files = _aftersales("run", "--source", str(demo), *common, "--out", str(tmp_path / "files"))
    assert from_files.returncode == 0, from_files.stderr
    db_tables, file_tables = _tables(tmp_path / "db"), _tables(tmp_path / "files")
    assert len(db_tables) >= 18 and db_tables.keys() == file_tables.keys()
    for name in file_tables:
        assert db_tables[name] == file_tables[name], name
    manifest = (tmp_path / "db" / "manifest.json").read_text(encoding="utf-8")
    assert url in manifest and '"fingerprint": "' in manifest
    for path in (tmp_path / "db").rglob("*"):
        if path.is_file():
            assert READER_PASSWORD not in path.read_text(encoding="utf-8", errors="replace"), path
    assert READER_PASSWORD not in from_db.stdout + from_db.stderr
    for page in ("parts", "labour", "workshop", "accounts", "sales"):
        assert "Traceback" not in (tmp_path / "db" / f"{page}.html").read_text(encoding="utf-8")


def test_a_groups_packs_from_postgres_equal_those_from_files(server, tmp_path):
    """A group in the database (three branches "01" … "03"): `--by-branch` writes the same CSV tables in
    every pack — the group's, its league and pacing, and each branch's — as from the files, and a branch
    reads its rows through a filter the server runs (its log shows the branch condition), not a copy."""
    from aftersales.source.demo import generate

    demo = tmp_path / "group"
    generate(demo, as_of=dt.date.fromisoformat(AS_OF), scale="small", branches=3)
    server.create_database("grp")
    done = _aftersales("load", str(demo), "--into", server.url(database="grp"), password=pg.ADMIN_PASSWORD)
    assert done.returncode == 0, done.stderr
    _grant_reader(server, "grp")
    url = server.url(READER, "grp")
    common = ("--from", MONTH[0], "--to", MONTH[1], "--as-of", AS_OF, "--reports", "parts,operations",
              "--by-branch")
    start = len(server.log_text())
    from_db = _aftersales("run", "--source", url, *common, "--out", str(tmp_path / "db"), password=READER_PASSWORD)
    assert from_db.returncode == 0, from_db.stderr
    from_files = _aftersales("run", "--source", str(demo), *common, "--out", str(tmp_path / "files"))
    assert from_files.returncode == 0, from_files.stderr
    packs = [Path(), *(Path("branches") / code for code in ("01", "02", "03"))]
    for pack in packs:
        db_tables, file_tables = _tables(tmp_path / "db" / pack), _tables(tmp_path / "files" / pack)
        assert {"tables/pacing/pacing.csv", "tables/operations/summary.csv"} <= db_tables.keys(), pack
        assert db_tables.keys() == file_tables.keys(), pack
        for name in file_tables:
            assert db_tables[name] == file_tables[name], (pack, name)
    assert "tables/group/branches.csv" in _tables(tmp_path / "db")
    log = server.log_text()[start:]
    assert "parts_lines.branch = '02'" in log and "labour_lines.branch = '03'" in log


def test_the_period_filter_and_the_sums_run_on_the_server(server, loaded, reader_env):
    """The server's own log shows the report asking for the period's rows (WHERE on date_edit, served by
    its index), for the named columns only, and computing the sales grids' sums itself."""
    from aftersales.reports import labour, parts

    url, _ = loaded
    start = len(server.log_text())
    ctx = report.start("parts", source=url, date_from=MONTH[0], date_to=MONTH[1], as_of=AS_OF)
    try:
        lines = ctx.lines("parts_lines")
        grid = parts.departments(lines)
        assert grid.total["documents"].iloc[0] > 0
        parts.movement(lines, ctx.table("parts_movements"), ctx.period.start, ctx.period.last)
        labour.departments(ctx.lines("labour_lines"))
        sent = ctx.source.database.statements
    finally:
        ctx.source.close()
    period = "parts_lines.date_edit BETWEEN '2026-10-01'"
    deadline = time.monotonic() + 10  # the server writes its log on its own time
    while period not in server.log_text()[start:] and time.monotonic() < deadline:
        time.sleep(0.2)
    log = server.log_text()[start:]
    assert period in log and "GROUP BY department" in log and "SUM(net)" in log
    # the sums came back, not the lines: the departments query is one statement with the period and the GROUP BY
    pushed = [s for s in sent if "GROUP BY department" in s and "FROM parts_lines" in s]
    assert pushed and period in pushed[0]
    # the movement grid reads only the four columns it names
    picked = next(s for s in sent if "first_pick" in s and "GROUP BY" not in s)
    selected = re.search(r"COPY \(SELECT (.*?)\s+FROM parts_lines", picked, re.S).group(1)
    assert sorted(re.findall(r"AS (\w+)", selected)) == ["date_edit", "doc_type", "first_pick", "vor_loss"]
    # invoiced labour lines: the document condition goes to the server too
    assert any("labour_lines.date_edit BETWEEN" in s and "labour_lines.document" in s and "GROUP BY" in s
               for s in sent)
    # the server serves the period filter from the date index
    query = re.search(r"COPY \((.*)\) TO STDOUT", picked, re.S).group(1)
    plan = server.psql("EXPLAIN " + query, "dealer")
    assert "parts_lines_date_edit_idx" in plan and "date_edit >= '2026-10-01'::date" in plan


def test_filters_the_server_cannot_run_like_duckdb_stay_in_duckdb(loaded, demo, reader_env):
    """A filter the server might evaluate differently (text order, functions) is applied by DuckDB to
    the fetched rows: the rows are those the files give."""
    url, _ = loaded
    conditions = ["lower(department) = 'p'", "operator < 'M'", "date_edit BETWEEN DATE '2026-10-01' AND DATE "
                  "'2026-10-31' AND quantity * selling_price > 100", "COALESCE(wip_no, '') <> '' OR first_pick"]
    sql = "SELECT COUNT(*) AS n, SUM(quantity) AS q FROM lines"
    with Source.open(url) as database, Source.open(demo) as files:
        for condition in conditions:
            db_rows = database.table("parts_lines").filter(condition).query("lines", sql).fetchall()
            file_rows = files.table("parts_lines").filter(condition).query("lines", sql).fetchall()
            assert db_rows == file_rows, condition
        sent = "\n".join(database.database.statements)
    assert "lower" not in sent and "operator <" not in sent
    assert "parts_lines.date_edit BETWEEN '2026-10-01'" not in sent  # ANDed with an expression: all of it local


def test_which_conditions_go_to_the_server():
    """Comparisons of dates, numbers and flags, text equality and lists, NULL tests and COALESCE go to
    the server as bound parameters; text order, functions, arithmetic and anything unparsable do not."""
    import sqlalchemy as sa

    from aftersales.source.plans import EQUAL, FLAG, ORDERED, ColumnPlan
    from aftersales.source.pushdown import server_condition

    t = sa.table("t", *(sa.column(c) for c in ("d", "b", "x", "s", "n")))
    cols = {"d": ColumnPlan("d", "date", t.c.d, "DATE", True, ORDERED),
            "b": ColumnPlan("b", "boolean", t.c.b, "BOOLEAN", True, FLAG),
            "x": ColumnPlan("x", "number", t.c.x, "DOUBLE", True, ORDERED),
            "s": ColumnPlan("s", "text", sa.func.nullif(t.c.s, ""), "VARCHAR", True, EQUAL),
            "n": ColumnPlan("n", "integer", t.c.n, "BIGINT", True, ORDERED)}

    def sent(condition):
        expr = server_condition(condition, cols)
        return None if expr is None else str(expr.compile(compile_kwargs={"literal_binds": True}))

    assert sent("d BETWEEN DATE '2024-01-01' AND DATE '2024-01-31'") == "t.d BETWEEN '2024-01-01' AND '2024-01-31'"
    assert sent("'2024-01-01' <= d") == "t.d >= '2024-01-01'"
    assert sent("COALESCE(s, '') <> ''") == "coalesce(nullif(t.s, ''), '') != ''"
    assert sent("s IN ('a', 'b') OR s IS NULL") == "nullif(t.s, '') IN ('a', 'b') OR nullif(t.s, '') IS NULL"
    assert sent("x > -2.5 AND n = 3 AND b") == "t.x > -2.5 AND t.n = 3 AND t.b = true"
    for kept in ("s < 'a'", "lower(s) = 'a'", "x + 1 > 2", "n = 3.5", "d = '2024-1-1'", "s LIKE 'a%'",
                 "s = 'a'; DROP TABLE t", "(SELECT 1) = 1", "lines.d > DATE '2024-01-01'", "b < true"):
        assert sent(kept) is None, kept


# ---------------------------------------------------------------- validation


def _text_table(server: pg.Server, database: str, csv_path: Path) -> None:
    """A table of text columns holding a CSV file's rows, in the file's order (as a dealer's export)."""
    with open(csv_path, encoding="utf-8") as f:
        header = next(csv.reader(f))
    name = csv_path.stem
    cols = ", ".join(f'"{c}" text' for c in header)
    server.psql(f'CREATE TABLE "{name}" ({cols})', database)
    copy = f"\\copy \"{name}\" FROM STDIN WITH (FORMAT csv, HEADER true)"
    server.psql(copy, database, input=csv_path.read_text(encoding="utf-8"))


def test_validation_of_database_tables_gives_the_files_messages(server, tmp_path, reader_env):
    """The same broken rows give the same problems (table, column, rows, values) from the database as from files."""
    from factory import make_source

    folder = make_source(
        tmp_path / "bad",
        parts_lines=[{}, {"doc_type": "invoise"}, {"date_edit": "2024-02-30"}, {"quantity": "3,5"}, {"account": ""}],
        labour_lines=[{"wip_no": "W1"}, {"wip_no": "W1"}, {"wip_no": "W2", "flat_rate": "maybe"}],
        accounts=[{"account": "A1"}, {"account": "A1", "name": ""}],
    )
    server.create_database("broken")
    for path in sorted(folder.glob("*.csv")):
        _text_table(server, "broken", path)
    _grant_reader(server, "broken")

    def shown(problems):
        return [(p.table, p.column, p.problem, p.rows, p.count, p.examples) for p in problems]

    with Source.open(folder) as files, Source.open(server.url(READER, "broken")) as database:
        from_files, from_db = validate(files), validate(database)
    assert len(from_files) >= 6
    assert shown(from_db) == shown(from_files)


def test_typed_database_tables_are_checked_on_the_server_and_copied_only_when_broken(server, reader_env):
    """A typed table with no problem is passed by the server's count; a broken one gets the usual message."""
    server.create_database("typed")
    server.psql("CREATE TABLE accounts (account text NOT NULL, name text, owner text, territory text, "
                "segment text, channel text, email text); "
                "INSERT INTO accounts (account, name) VALUES ('A1', 'Alpha'), ('A2', 'Beta'), ('A1', ''), ('A3', NULL)",
                "typed")
    _grant_reader(server, "typed")
    with Source.open(server.url(READER, "typed")) as database:
        problems = validate(database, ["accounts"])
    assert [p.message for p in problems] == [
        "accounts.name: 2 values are empty; first offending rows 3, 4",
        "accounts.account: 2 rows share a duplicated key (account): 1 key value appears more than once; "
        "first offending rows 1, 3 with values 'A1', 'A1'",
    ]
    server.psql("DELETE FROM accounts WHERE name IS NULL OR name = ''", "typed")
    with Source.open(server.url(READER, "typed")) as database:
        assert validate(database, ["accounts"]) == []
        assert database.clean_on_server("accounts")
        assert not any(s.startswith("COPY") for s in database.database.statements)


# ---------------------------------------------------------------- errors and secrets


def _fails(*args: str, password: str | None = READER_PASSWORD, **env: str) -> str:
    done = _aftersales(*args, password=password, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    if password:
        assert password not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert lines, done.stderr
    return lines[0]


def test_an_unreachable_server_is_one_clear_error():
    """A server that does not answer gives 'cannot reach' with the host and port, exit 2, no traceback."""
    port = pg.free_port()
    line = _fails("validate", "--source", f"postgresql://{READER}@127.0.0.1:{port}/dealer")
    assert f"cannot reach the database server at 127.0.0.1:{port}" in line


def test_refused_credentials_are_one_clear_error(server, loaded):
    """A wrong password names the user and the server, never the password itself."""
    url, _ = loaded
    line = _fails("run", "--source", url, "--from", MONTH[0], "--to", MONTH[1], "--as-of", AS_OF,
                  password="wrong-Pw-x1")
    assert f"refused the credentials of user {READER}" in line and "password authentication failed" in line


def test_a_password_in_the_url_is_used_and_hidden(server, loaded):
    """A URL holding a password connects with it (issue 23: used, never stored or shown) and nothing printed shows it."""
    url, _ = loaded
    done = _aftersales("validate", "--source", url.replace(f"{READER}@", f"{READER}:{READER_PASSWORD}@"))
    assert done.returncode == 0, done.stderr
    assert READER_PASSWORD not in done.stdout + done.stderr


def test_a_missing_table_and_a_missing_column_are_named(server, reader_env):
    """An empty database names each missing required table; a table without a column names the column."""
    server.create_database("partial")
    _grant_reader(server, "partial")
    line = _fails("validate", "--source", server.url(READER, "partial"))
    assert "parts_lines: required table is missing: no table or view parts_lines" in line
    server.psql("CREATE TABLE accounts (account text, owner text, territory text, segment text, channel text, "
                "email text)", "partial")
    _grant_reader(server, "partial")
    with Source.open(server.url(READER, "partial")) as database:
        problems = [p.message for p in validate(database, ["accounts"])]
    assert problems == ["accounts.name: required column is missing from table accounts"]


def test_the_password_can_come_from_the_variable_the_settings_name(server, loaded, monkeypatch):
    """Without PGPASSWORD the password is read from the variable named by source.password_env."""
    url, _ = loaded
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("DEALER_DB_SECRET", READER_PASSWORD)
    settings = {"source": {"schema": "", "password_env": "DEALER_DB_SECRET"}}
    with Source.open(url, settings) as database:
        assert database.has("parts_lines")
        assert READER_PASSWORD not in database.describe() + database.fingerprint()
    monkeypatch.setenv("AFTERSALES_DB_PASSWORD", READER_PASSWORD)  # the default variable's name
    with Source.open(url) as database:
        assert database.row_counts()["accounts"] > 0


def test_a_schema_comes_from_the_url_or_the_settings(server, tmp_path, reader_env):
    """Tables loaded into a schema are read with ?schema= in the URL or source.schema in the settings."""
    from factory import make_source

    source = make_source(tmp_path / "src", parts_lines=[{}, {"document": "D2"}], labour_lines=[{}], accounts=[{}])
    server.create_database("schemas")
    done = _aftersales("load", str(source), "--into", server.url(database="schemas"), "--schema", "dms",
                       password=pg.ADMIN_PASSWORD)
    assert done.returncode == 0, done.stderr
    _grant_reader(server, "schemas", "dms")
    url = server.url(READER, "schemas")
    with Source.open(url + "?schema=dms") as database:
        assert database.row_counts()["parts_lines"] == 2 and "(schema dms)" in database.describe()
    with Source.open(url, {"source": {"schema": "dms", "password_env": "AFTERSALES_DB_PASSWORD"}}) as database:
        assert validate(database) == []
    with Source.open(url) as database:  # the public schema is empty
        assert "required table is missing" in validate(database)[0].message
    assert cli.main(["validate", "--source", url + "?schema=nope"]) == 2


def test_views_over_a_dms_schema_are_a_source(server, reader_env):
    """Views that rename a DMS table's columns to the contract's are read like tables, by a user who may
    read the views and nothing else."""
    server.create_database("dms")
    server.psql(
        "CREATE SCHEMA dms; CREATE TABLE dms.customers (cust_no integer PRIMARY KEY, cust_name varchar(40), "
        "rep_code char(3), area text); INSERT INTO dms.customers VALUES (7, 'Alpha', 'R1 ', 'North'), "
        "(8, 'Beta', NULL, NULL); CREATE SCHEMA aftersales; CREATE VIEW aftersales.accounts AS SELECT "
        "cust_no::text AS account, cust_name AS name, trim(rep_code) AS owner, area AS territory, "
        "NULL::text AS segment, NULL::text AS channel, NULL::text AS email FROM dms.customers",
        "dms")
    _grant_reader(server, "dms", "aftersales")  # the views only: they read dms.customers with their owner's rights
    with Source.open(server.url(READER, "dms") + "?schema=aftersales") as database:
        assert validate(database, ["accounts"]) == []
        rows = database.table("accounts").filter("owner = 'R1'").query("lines", "SELECT account, name FROM lines")
        assert rows.fetchall() == [("7", "Alpha")]


# ---------------------------------------------------------------- any SQLAlchemy database


def test_any_sqlalchemy_database_gives_the_files_figures(tmp_path, monkeypatch):
    """A SQLite file filled by `aftersales load` gives the Parts and Labour grids of the files, read
    through the driver's rows (no COPY) with the same filters sent to it."""
    import pandas as pd

    from aftersales.reports import labour, parts
    from factory import make_source

    parts_rows = [dict(document=f"D{i}", date_edit=f"2024-03-{1 + i % 20:02d}", department="PW"[i % 2],
                       quantity=1 + i % 3, selling_price=9.99 + i, discount=i % 4 * 0.5, wip_no="" if i % 3 else "W1",
                       first_pick=["true", "false", ""][i % 3]) for i in range(30)]
    parts_rows.append(dict(document="OLD", date_edit="2023-03-05", quantity=4))
    labour_rows = [dict(wip_no=f"W{i}", document="" if i % 5 == 0 else f"L{i}", date_edit=f"2024-03-{2 + i:02d}",
                        technician="" if i % 4 == 0 else "T1", allowed_time=1.5 + i, contribution=50 + 25 * (i % 3),
                        flat_rate=["true", "false"][i % 2]) for i in range(12)]
    folder = make_source(tmp_path / "src", parts_lines=parts_rows, labour_lines=labour_rows, accounts=[{}])
    url = f"sqlite:///{tmp_path / 'dealer.db'}"
    assert cli.main(["load", str(folder), "--into", url]) == 0
    monkeypatch.delenv("PGPASSWORD", raising=False)
    period = dict(date_from="2024-03-01", date_to="2024-03-31", as_of="2024-03-31")
    for name, module in (("parts", parts), ("labour", labour)):
        built = {}
        for source in (str(folder), url):
            ctx = report.start(name, source=source, **period)
            try:
                built[source] = module.build(ctx).grids
                if source == url:
                    assert validate(ctx.source) == []
                    assert any("date_edit BETWEEN" in s for s in ctx.source.database.statements)
            finally:
                ctx.source.close()
        for grid in built[url]:
            pd.testing.assert_frame_equal(built[url][grid].rows, built[str(folder)][grid].rows, obj=grid)
            if built[url][grid].total is not None:
                pd.testing.assert_frame_equal(built[url][grid].total, built[str(folder)][grid].total, obj=grid)
