"""Hostile input (issue 23 "Reliability", points 4, 5, 11, 12, 13, 16): paths and codes that look like SQL
or wildcards, passwords in database URLs, extreme numbers and dates, numbers where codes belong, and carriage
returns inside CSV values — each made in the test, each read exactly or refused with table, column and rows."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from aftersales.source.contract import TABLES
from aftersales.source.reader import Source
from aftersales.source.validate import validate
from factory import make_source

AFTERSALES = str(Path(sys.executable).with_name("aftersales"))
INJECTION = "x'; DROP TABLE parts_lines; --"


def problems(folder) -> list[tuple[str, str | None, list[int]]]:
    """(table, column, first rows) of every problem validation finds in the source at `folder`."""
    with Source.open(folder) as src:
        return [(p.table, p.column, p.rows) for p in validate(src)]


def messages(folder) -> list[str]:
    with Source.open(folder) as src:
        return [p.message for p in validate(src)]


def export(folder: Path, target: Path, fmt: str) -> None:
    """Write the CSV source at `folder` as Parquet files or a DuckDB file in `target` (which may be a path the
    engine cannot write to: the files are made in a plain folder, then moved)."""
    plain = Path(tempfile.mkdtemp(prefix="plain-export-"))
    with Source.open(folder) as src:
        con = src.con
        if fmt == "duckdb":
            con.execute(f"ATTACH '{plain / 'dealer.duckdb'}' AS out")
        for table in src.tables:
            cols = ", ".join(f'"{c.name}"' for c in TABLES[table].columns if src.has_column(table, c.name))
            if fmt == "duckdb":
                con.execute(f'CREATE TABLE out."{table}" AS SELECT {cols} FROM "{table}"')
            else:
                con.execute(f"COPY (SELECT {cols} FROM \"{table}\") TO '{plain / (table + '.parquet')}' (FORMAT parquet)")
        if fmt == "duckdb":
            con.execute("DETACH out")
    target.mkdir(parents=True, exist_ok=True)
    for path in plain.iterdir():
        shutil.move(str(path), str(target / path.name))
    plain.rmdir()


# ---------------------------------------------------------------- point 4: paths and codes


def hostile_folders(tmp_path: Path) -> dict[str, Path]:
    injected = Path(f"{tmp_path}/x' AS s1; COPY (SELECT 42) TO '{tmp_path}/PWNED.csv'; ATTACH '{tmp_path}/y")
    names = {"quote": "o'brien", "backslash": "back\\slash", "semicolon": "semi;colon", "star": "dealer*",
             "question": "deal?r", "brackets": "dealer[X]", "braces": "dealer{X}"}
    return {"injection": injected, **{k: tmp_path / v for k, v in names.items()}}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "duckdb"])
@pytest.mark.parametrize("case", ["injection", "quote", "backslash", "semicolon", "star", "question", "brackets",
                                  "braces"])
def test_a_source_path_with_quotes_wildcards_or_backslashes_reads_exactly_its_own_files(tmp_path, case, fmt):
    """A source folder (CSV, Parquet or a DuckDB file) whose path holds quotes, a semicolon, `*`, `?`, `[`, `{`
    or a backslash is read as it is: its own rows only (never a sibling folder the path would match as a
    wildcard), and nothing in the path runs as SQL."""
    for sibling in ("dealerX", "dealer"):  # what `dealer*`, `deal?r` and `dealer[X]` match as wildcards
        source = make_source(tmp_path / "made" / sibling, parts_lines=[{"document": "OTHER"}, {"document": "MORE"}],
                             labour_lines=[{}], accounts=[{}])
        if fmt == "csv":
            shutil.copytree(source, tmp_path / sibling)
        else:
            export(source, tmp_path / sibling, fmt)
    folder = hostile_folders(tmp_path)[case]
    source = make_source(tmp_path / "made" / "mine", parts_lines=[{"document": "MINE", "account": INJECTION}],
                         labour_lines=[{}], accounts=[{"account": INJECTION}])
    if fmt == "csv":
        shutil.copytree(source, folder)
    else:
        export(source, folder, fmt)
    opened = folder / "dealer.duckdb" if fmt == "duckdb" else folder
    with Source.open(opened) as src:
        assert validate(src) == []
        assert src.table("parts_lines").query("l", "SELECT document, account FROM l").fetchall() == [
            ("MINE", INJECTION)]
        assert src.row_counts() == {"parts_lines": 1, "labour_lines": 1, "clockings": 0, "accounts": 1}
        assert str(folder) in src.describe()
        scratch = src.scratch()  # where the engine's links live: private to the source, gone once it is closed
    assert not scratch.exists()
    assert not (tmp_path / "PWNED.csv").exists()


def test_codes_with_quotes_and_semicolons_are_figures_like_any_code(tmp_path):
    """An account code `x'; DROP TABLE parts_lines; --` and a branch code with a quote are codes: the Accounts
    grid, a drill-down to the account's documents and a branch's Parts grid give their figures, and the
    source's tables are all still there."""
    from aftersales.reports import accounts, drill, parts
    from aftersales.run import context as report

    line = dict(document="D'1;", date_edit="2024-03-04", account=INJECTION, quantity=2, retail_price=10,
                selling_price=8, discount=1, cost_price=5, branch="B'1; --")
    folder = make_source(tmp_path / "src", parts_lines=[line, dict(line, branch="B2", document="D2", quantity=1)],
                         labour_lines=[dict(account=INJECTION, branch="B'1; --")], accounts=[{"account": INJECTION}])
    settings = tmp_path / "alerts.yaml"
    settings.write_text("alerts:\n  large_document: 100\n", encoding="utf-8")
    period = dict(date_from="2024-03-01", date_to="2024-03-31", as_of="2024-03-31", params_file=str(settings))
    ctx = report.start("accounts", source=str(folder), **period)
    try:
        built = accounts.build(ctx)
        # one document of Net 100 or more: the labour invoice L1 (Net 100), of the hostile account
        assert list(built.alerts["account"]) == [INJECTION] and list(built.alerts["document"]) == ["L1"]
        rows = built.grids["accounts"].rows.set_index("account")
        # parts: Net = 2 x 8 - 1 = 15 and 1 x 8 - 1 = 7; labour (factory line): Net = 1 x 100 x 100/100 - 0 = 100
        # sales = 15 + 7 + 100 = 122; margin = (15 - 10) + (7 - 5) + (100 - 1 x 40 x 60/60 x 100/100) = 67
        assert rows.loc[INJECTION, "sales"] == pytest.approx(122)
        assert rows.loc[INJECTION, "margin"] == pytest.approx(67)
        docs = drill.sales_documents(ctx, f"account = {drill.literal(INJECTION)}")
        assert sorted(docs["document"]) == ["D'1;", "D2", "L1"]
        assert ctx.source.row_counts()["parts_lines"] == 2
    finally:
        ctx.source.close()
    ctx = report.start("parts", source=str(folder), branch="B'1; --", **period)
    try:
        grid = parts.departments(ctx.lines("parts_lines"))
        assert list(grid.rows["net"]) == [pytest.approx(15)]  # the branch's one line: 2 x 8 - 1
    finally:
        ctx.source.close()


# ---------------------------------------------------------------- point 16: carriage returns in CSV values

HEADER = b"account,name,owner,territory,segment,channel,email"


def _expected(data: bytes) -> list[tuple]:
    """The rows a reader of RFC 4180 reads (Python's csv module), an empty value as None."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    return [tuple(v if v != "" else None for v in r[:7]) for r in rows[1:] if r]


@pytest.mark.parametrize("case", ["LF, CR in values", "LF, CR in values and in the header",
                                  "CRLF (RFC 4180), CR in values", "CRLF, CR in values and in the header",
                                  "CRLF, last line without a line end", "CR line ends (old Mac), CR in values"])
def test_a_carriage_return_inside_a_quoted_value_is_read(tmp_path, case):
    """A CSV file with a bare carriage return inside quoted values (RFC 4180), with LF, CRLF or CR line ends,
    even in a header's extra column, is read row for row with the CR kept inside the value; no row is lost."""
    end = {"CRLF": b"\r\n", "CR l": b"\r"}.get(case[:4], b"\n")
    header = HEADER + (b',"ex\rtra"' if "header" in case else b"")
    extra = b",1" if "header" in case else b""
    lines = [header,
             b'A1,"Alpha\rGarage",R1,N,F,W,a@x.example' + extra,
             b'A2,"\r",R1,N,F,W,"b@x.example\r"' + extra,
             b'A3,"three\r\rCRs\r",R1,N,F,W,c@x.example' + extra]
    data = end.join(lines) + (b"" if "without" in case else end)
    folder = make_source(tmp_path / "src", parts_lines=[{}], labour_lines=[{}], accounts=[{}])
    (folder / "accounts.csv").write_bytes(data)
    with Source.open(folder) as src:
        assert validate(src) == []
        got = src.table("accounts").query("l", "SELECT * FROM l ORDER BY account").fetchall()
    assert got == _expected(data)
    assert got[0][1] == "Alpha\rGarage" and len(got) == 3


def test_mixed_line_ends_are_refused_with_a_clear_message(tmp_path):
    """A file mixing CRLF and LF line ends (not valid CSV) is refused naming the file and why, not with the
    engine's state-machine message."""
    folder = make_source(tmp_path / "src", parts_lines=[{}], labour_lines=[{}], accounts=[{}])
    (folder / "accounts.csv").write_bytes(HEADER + b"\r\nA1,N,R1,N,F,W,a@x.example\nA2,N,R1,N,F,W,b@x.example\r\n")
    [message] = messages(folder)
    assert message.startswith("accounts: accounts.csv is not valid CSV") and "CRLF and LF mixed" in message


# ---------------------------------------------------------------- points 11 and 12: extreme numbers and dates


def test_numbers_too_large_for_the_exact_sums_are_refused(tmp_path):
    """Quantities and prices of 1e15 or more (1e308, 1e30) and line values of 1e18 or more are refused by
    validation with table, column and rows, where the reports would fail on them; 999999999999999 is accepted."""
    folder = make_source(
        tmp_path / "src",
        parts_lines=[{"quantity": "1e308"}, {"retail_price": "1e30"}, {"quantity": "1e14", "retail_price": "1e5"},
                     {"quantity": "-999999999999999", "retail_price": 1}, {"quantity": "1e15"}],
        labour_lines=[{"allowed_time": "1e7", "labour_rate": "1e12", "contribution": 100}], accounts=[{}])
    # row 3: 1e14 x 1e5 = 1e19 >= 1e18; row 4: 999999999999999 x 1 < 1e18 and each value < 1e15
    # labour: allowed_time x labour_rate x contribution / 100 = 1e7 x 1e12 x 100 / 100 = 1e19
    assert problems(folder) == [("parts_lines", "quantity", [1, 5]), ("parts_lines", "retail_price", [2]),
                                ("parts_lines", "quantity", [3]), ("labour_lines", "allowed_time", [1])]
    first = messages(folder)[0]
    assert "2 values are 1e15 or more in size" in first and "exact sums" in first and "'1e308'" in first


def test_nan_and_huge_numbers_in_a_parquet_file_are_refused(tmp_path):
    """A Parquet file's DOUBLE column holding NaN, infinity or 1e30 is refused like the same text in a CSV."""
    folder = make_source(tmp_path / "src", parts_lines=[{}, {}, {}, {}], labour_lines=[{}], accounts=[{}])
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE (CASE row_number() OVER () WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE "
        f"WHEN 3 THEN 1e30 ELSE 1 END AS quantity) FROM read_csv('{folder}/parts_lines.csv')) "
        f"TO '{folder}/parts_lines.parquet' (FORMAT parquet)")
    (folder / "parts_lines.csv").unlink()
    assert problems(folder) == [("parts_lines", "quantity", [1, 2]), ("parts_lines", "quantity", [3])]


def test_dates_outside_1900_to_2200_are_refused(tmp_path):
    """Dates, timestamps and months outside 1900–2200 (year 99999, 1899, 2201, month 0024-03) are bad input
    with table, column and rows; 1900-01-01 and 2200-12-31 are accepted."""
    folder = make_source(
        tmp_path / "src",
        parts_lines=[{"date_edit": "99999-01-01"}, {"date_edit": "1899-12-31"}, {"date_edit": "1900-01-01"},
                     {"date_edit": "2200-12-31"}],
        labour_lines=[{}], accounts=[{}],
        clockings=[{"clock_in": "2201-01-01T08:00", "clock_out": "2201-01-01T09:00"}, {}],
        targets=[{"month": "0024-03"}, {"month": "2024-03"}])
    assert problems(folder) == [("parts_lines", "date_edit", [1, 2]), ("clockings", "clock_in", [1]),
                                ("clockings", "clock_out", [1]), ("targets", "month", [1])]
    assert "outside the years 1900 to 2200" in messages(folder)[0]


# ---------------------------------------------------------------- point 13: Parquet types


def _parquet(folder: Path, table: str, select: str) -> None:
    """Replace `table`.csv of `folder` by a Parquet file of `select` over it (FROM t)."""
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_csv('{folder / (table + '.csv')}', all_varchar = true)")
    con.execute(f"COPY ({select}) TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
    (folder / f"{table}.csv").unlink()


def test_a_code_stored_as_an_integer_in_parquet_is_refused(tmp_path):
    """An account code column stored as integers in a Parquet file (00010 would read as 10 and match nothing)
    is refused naming the table, the column and the type found, and saying to store codes as text; a text
    column stored as integers but empty on every row loses nothing and is accepted."""
    folder = make_source(tmp_path / "src", parts_lines=[{"account": "00010"}], labour_lines=[{}],
                         accounts=[{"account": "00010", "email": ""}])
    _parquet(folder, "accounts", "SELECT CAST(account AS BIGINT) AS account, name, owner, territory, segment, "
                                 "channel, CAST(NULL AS INTEGER) AS email FROM t")
    assert problems(folder) == [("accounts", "account", [1])]
    [message] = messages(folder)
    assert "BIGINT column in accounts.parquet" in message and "leading zeros" in message
    assert "store the column as text" in message and "'10'" in message


def test_a_date_stored_as_a_midnight_timestamp_is_accepted(tmp_path):
    """A Parquet date column stored as timestamps at midnight (as pandas writes dates) reads as those days; a
    timestamp with a time of day is refused saying what is expected."""
    folder = make_source(tmp_path / "src", parts_lines=[{"date_edit": "2024-03-10"}, {"date_edit": "2024-03-11"}],
                         labour_lines=[{}], accounts=[{}])
    _parquet(folder, "parts_lines", "SELECT * REPLACE (CAST(date_edit AS TIMESTAMP) AS date_edit) FROM t")
    with Source.open(folder) as src:
        assert validate(src) == []
        days = src.table("parts_lines").query("l", "SELECT CAST(date_edit AS VARCHAR) FROM l ORDER BY 1").fetchall()
    assert days == [("2024-03-10",), ("2024-03-11",)]
    timed = make_source(tmp_path / "timed", parts_lines=[{}, {"document": "D2"}], labour_lines=[{}], accounts=[{}])
    _parquet(timed, "parts_lines", "SELECT * REPLACE (CAST(date_edit AS TIMESTAMP) + CASE WHEN document = 'D2' "
                                   "THEN INTERVAL 510 MINUTE ELSE INTERVAL 0 MINUTE END AS date_edit) FROM t")
    [message] = messages(timed)
    assert message.startswith("parts_lines.date_edit: 1 value is a timestamp with a time of day (TIMESTAMP column)")
    assert "store the column as a date, or as a timestamp at midnight" in message and "rows 2" in message


# ---------------------------------------------------------------- point 5: passwords in database URLs


def test_credentials_are_taken_out_of_a_database_url_and_kept_for_the_connection(monkeypatch):
    """A password in a URL (`user:pw@`, `?password=`, `?sslpassword=`) is taken out of the URL shown, kept in the
    URL connected with, and masked in any message text."""
    from aftersales.source.sql import SECRETS_ENV, hide_credentials, mask_password, split_credentials
    from aftersales.source.url import parse_url, shown_url

    monkeypatch.delenv(SECRETS_ENV, raising=False)
    url = "postgresql://reader:n%40tes@db.example:5432/dms?password=pw1&schema=aftersales&sslpassword=k3y"
    clean, secrets = split_credentials(url)
    assert clean == "postgresql://reader@db.example:5432/dms?schema=aftersales"
    assert secrets == {"password": "pw1", "sslpassword": "k3y"}  # the query's password wins, as in SQLAlchemy
    shown, connect, schema, password = parse_url(url)
    assert shown_url(shown) == "postgresql://reader@db.example:5432/dms" and schema == "aftersales"
    assert (connect.password, connect.query["sslpassword"], password) == ("pw1", "k3y", "pw1")
    assert hide_credentials(url) == clean and SECRETS_ENV in os.environ
    shown, connect, _, _ = parse_url(clean)  # what a report process is given: the secrets are remembered
    assert (connect.password, connect.query["sslpassword"]) == ("pw1", "k3y")
    assert mask_password(f"failed: {url} and postgresql://u:pw2@h/d") == (
        "failed: postgresql://reader:***@db.example:5432/dms?password=***&schema=aftersales&sslpassword=*** and "
        "postgresql://u:***@h/d")
    assert split_credentials("/data/o'brien?x=1") == ("/data/o'brien?x=1", {})


@pytest.fixture(scope="module")
def server():
    import pg

    reason = pg.missing_reason()
    if reason:
        pytest.skip(reason)
    with pg.Server() as running:
        running.create_user("reader", "Rd-secret-9zQ")
        yield running


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "AFTERSALES_DB_PASSWORD")}
    return subprocess.run([AFTERSALES, *args], capture_output=True, text=True, env={**clean, **env}, timeout=900)


def test_a_password_in_the_url_is_used_but_appears_in_no_file_and_no_output(server, tmp_path):
    """A run from PostgreSQL with the password (and an sslpassword) in the URL's query string connects with it,
    and neither secret appears in any file of the pack, the validation cache or what the run prints; the same
    for `user:password@` with `validate`."""
    import pg

    secret, ssl_secret = "Rd-secret-9zQ", "Ssl-k3y-77"
    folder = make_source(tmp_path / "src", parts_lines=[{"date_edit": "2024-03-04"}], labour_lines=[{}],
                         accounts=[{}], clockings=[{}])
    server.create_database("hostile")
    loaded = _cli("load", str(folder), "--into", server.url(database="hostile"), PGPASSWORD=pg.ADMIN_PASSWORD)
    assert loaded.returncode == 0, loaded.stderr
    server.psql("GRANT USAGE ON SCHEMA public TO reader; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader",
                "hostile")
    base = server.url("reader", "hostile")
    cache, out = tmp_path / "cache", tmp_path / "pack"
    done = _cli("run", "--source", f"{base}?password={secret}&sslpassword={ssl_secret}", "--from", "2024-03-01",
                "--to", "2024-03-15", "--as-of", "2024-03-15", "--reports", "parts", "--out", str(out),
                AFTERSALES_CACHE=str(cache))
    assert done.returncode == 0, done.stderr
    assert (out / "tables" / "parts" / "departments.csv").exists()
    assert any(cache.rglob("*")), "the validation was remembered"
    for folder_ in (out, cache):
        for path in folder_.rglob("*"):
            if path.is_file():
                text = path.read_bytes()
                assert secret.encode() not in text and ssl_secret.encode() not in text, path
    assert secret not in done.stdout + done.stderr and ssl_secret not in done.stdout + done.stderr
    assert base in (out / "manifest.json").read_text(encoding="utf-8")
    checked = _cli("validate", "--source", base.replace("reader@", f"reader:{secret}@"))
    assert checked.returncode == 0, checked.stderr
    assert secret not in checked.stdout + checked.stderr
    # the server's own check of a typed table (issue 23, points 11 and 12) finds extreme numbers and dates too
    server.psql("UPDATE parts_lines SET quantity = 1e30, date_edit = '99999-01-01'", "hostile")
    refused = _cli("validate", "--source", base, PGPASSWORD=secret)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "parts_lines.quantity: 1 value is 1e15 or more in size" in refused.stderr
    assert "parts_lines.date_edit: 1 value is outside the years 1900 to 2200" in refused.stderr
