"""Sources (SPEC §2): a folder of CSV/Parquet files or a DuckDB file, read as typed views."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from aftersales.source.contract import SQL_TYPES, TABLES, DataError
from aftersales.source.reader import Source
from factory import make_source, write_table

HEADER = ",".join(TABLES["parts_lines"].names)


def parts_csv(folder, rows: list[str], header: str = HEADER, encoding: str = "utf-8"):
    """Write parts_lines.csv from literal lines (plus the other required tables)."""
    make_source(folder, accounts=[dict()])
    path = folder / "parts_lines.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def line(**values) -> str:
    """A parts_lines CSV line: the factory defaults overridden by `values`."""
    from factory import DEFAULTS

    row = {**DEFAULTS["parts_lines"], **values}
    return ",".join(str(row[c]) for c in TABLES["parts_lines"].names)


def rich_source(folder):
    """A CSV source exercising codes, booleans, timestamps, empties and every table."""
    return make_source(
        folder,
        parts_lines=[
            dict(account="00042", part_no="007", first_pick="true", quantity="-2", vor_loss="1.5"),
            dict(account="A 1", wip_no="W001", first_pick="", menu_normal_value="12.5", menu_fixed_value="10"),
        ],
        labour_lines=[
            dict(line_no=1, flat_rate="yes", technician=""),
            dict(line_no=2, flat_rate="0", document="", doc_type="", date_edit=""),
        ],
        clockings=[
            dict(clock_in="2024-03-10T08:00", clock_out="2024-03-10 12:00:30"),
            dict(clock_in="2024-03-10 13:00:00", clock_out="", wip_no="", line_no="", idle_code="LUNCH",
                 idle_productive="No"),
        ],
        accounts=[dict(account="00042"), dict(account="A 1", owner="", email="")],
        sales_reps=[dict(annual_cost="", commission_rate="2.5")],
    )


def all_values(src: Source) -> dict[str, list[tuple]]:
    return {t: src.table(t).fetchall() for t in src.tables}


def test_csv_parquet_and_duckdb_sources_give_the_same_typed_values(tmp_path, open_source):
    """The same data gives the same typed values whether it comes as CSV, Parquet or a DuckDB file."""
    csv_src = open_source(rich_source(tmp_path / "csv"))
    expected = all_values(csv_src)
    assert set(expected) == {"parts_lines", "labour_lines", "clockings", "accounts", "sales_reps"}

    native = tmp_path / "parquet"  # Parquet with native column types
    texts = tmp_path / "parquet_text"  # Parquet whose columns are all text
    native.mkdir()
    texts.mkdir()
    db = tmp_path / "dealer.duckdb"
    out = duckdb.connect(str(db))
    for name in csv_src.tables:
        rows = csv_src.table(name)
        rows.write_parquet(str(native / f"{name}.parquet"))
        csv_src.raw(name).project(", ".join(f'"{c}"' for c in TABLES[name].names)).write_parquet(
            str(texts / f"{name}.parquet")
        )
        out.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{native / (name + '.parquet')}')")
    out.close()

    for other in (native, texts, db):
        src = open_source(other)
        assert all_values(src) == expected, other
    assert open_source(db).kind == "duckdb"
    assert csv_src.kind == "folder"


def test_typed_views_have_exactly_the_contract_columns_and_types(tmp_path, open_source):
    """Every view has the contract's columns in order, with the contract's SQL types, extra columns dropped."""
    folder = rich_source(tmp_path / "src")
    path = folder / "accounts.csv"
    path.write_text("notes,account,name,owner,territory,segment,channel,email,zz\n"
                    "hello,A1,Alpha,R1,N,F,W,a@x,1\n", encoding="utf-8")
    src = open_source(folder)
    for name in src.tables:
        described = src.con.execute(f"DESCRIBE {name}").fetchall()
        assert [r[0] for r in described] == TABLES[name].all_names
        assert [r[1] for r in described] == [SQL_TYPES[c.type] for c in TABLES[name].columns]
    assert src.table("accounts").fetchall() == [("A1", "Alpha", "R1", "N", "F", "W", "a@x")]


def test_codes_keep_leading_zeros_and_text_is_not_trimmed(tmp_path, open_source):
    """Codes stay text exactly as written: 00042 stays 00042, and blanks around text are kept."""
    parts_csv(tmp_path, [line(account="00042", part_no="0007", operator=" OP1 ", document="000")])
    row = open_source(tmp_path).table("parts_lines").project("account, part_no, operator, document").fetchall()
    assert row == [("00042", "0007", " OP1 ", "000")]


def test_an_empty_field_is_null(tmp_path, open_source):
    """An empty CSV field is NULL in the typed and in the raw view, for text and numbers alike."""
    parts_csv(tmp_path, [line(wip_no="", vor_loss="", first_pick="")])
    src = open_source(tmp_path)
    assert src.table("parts_lines").project("wip_no, vor_loss, first_pick").fetchall() == [(None, None, None)]
    assert src.raw("parts_lines").project("wip_no, vor_loss").fetchall() == [(None, None)]


@pytest.mark.parametrize(
    "spelling, value",
    [("true", True), ("TRUE", True), ("True", True), ("1", True), ("yes", True), ("YES", True), ("Yes", True),
     ("false", False), ("FALSE", False), ("0", False), ("no", False), ("No", False), ("", None)],
)
def test_booleans_in_every_accepted_spelling(tmp_path, open_source, spelling, value):
    """true/false, 1/0 and yes/no in any case are booleans; an empty field is unknown."""
    parts_csv(tmp_path, [line(first_pick=spelling)])
    assert open_source(tmp_path).table("parts_lines").project("first_pick").fetchall() == [(value,)]


def test_timestamps_with_t_or_space_mix_in_one_column(tmp_path, open_source):
    """ISO timestamps with a T or a space, with or without seconds, may mix in one column."""
    make_source(tmp_path, clockings=[
        dict(clock_in="2024-03-10T08:00", clock_out="2024-03-10 12:00"),
        dict(clock_in="2024-03-10 13:00:15", clock_out="2024-03-10T17:30:45"),
    ])
    rows = open_source(tmp_path).table("clockings").project("clock_in, clock_out").fetchall()
    assert rows == [
        (dt.datetime(2024, 3, 10, 8, 0), dt.datetime(2024, 3, 10, 12, 0)),
        (dt.datetime(2024, 3, 10, 13, 0, 15), dt.datetime(2024, 3, 10, 17, 30, 45)),
    ]


def test_numbers_integers_and_dates_are_typed(tmp_path, open_source):
    """Numbers are DOUBLE, integers BIGINT and ISO dates DATE."""
    make_source(tmp_path, labour_lines=[dict(line_no="007", allowed_time="-1.25", date_created="2024-02-29")])
    row = open_source(tmp_path).table("labour_lines").project("line_no, allowed_time, date_created").fetchall()
    assert row == [(7, -1.25, dt.date(2024, 2, 29))]


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path, open_source):
    """A CSV saved as UTF-8 with a byte-order mark (as Excel does) reads like one without."""
    parts_csv(tmp_path, [line(document="D9")], encoding="utf-8-sig")
    assert (tmp_path / "parts_lines.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    src = open_source(tmp_path)
    assert src.table("parts_lines").project("document").fetchall() == [("D9",)]
    assert src.table_sql("parts_lines").missing == []


def test_optional_tables_may_be_absent(tmp_path, open_source):
    """A source without an optional table opens; has() says it is absent and table() says so clearly."""
    src = open_source(make_source(tmp_path))
    assert src.has("parts_lines") and not src.has("leads") and not src.has("parts_movements")
    assert src.tables == ["parts_lines", "labour_lines", "clockings", "accounts"]
    with pytest.raises(DataError, match="leads"):
        src.table("leads")


def test_raw_view_numbers_data_rows_from_one_in_file_order(tmp_path, open_source):
    """The raw view holds the text as written and `_row`, the data row number (first line under the header = 1)."""
    parts_csv(tmp_path, [line(document=f"D{i}", quantity=f"{i}.50") for i in range(1, 6)])
    rows = open_source(tmp_path).raw("parts_lines").project("_row, document, quantity").fetchall()
    assert rows == [(i, f"D{i}", f"{i}.50") for i in range(1, 6)]


def test_parquet_and_duckdb_raw_rows_follow_file_and_table_order(tmp_path, open_source):
    """Row numbers of Parquet files and DuckDB tables are 1-based in stored order."""
    folder = tmp_path / "pq"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'A' || i AS account, 'N' AS name FROM range(1, 4) t(i)) "
                f"TO '{folder / 'accounts.parquet'}' (FORMAT parquet)")
    db = tmp_path / "d.duckdb"
    con.execute(f"ATTACH '{db}' AS d")
    con.execute("CREATE TABLE d.accounts AS SELECT 'A' || i AS account, 'N' AS name FROM range(1, 4) t(i)")
    con.close()
    for spec in (folder, db):
        rows = open_source(spec).raw("accounts").project("_row, account").order("_row").fetchall()
        assert rows == [(1, "A1"), (2, "A2"), (3, "A3")]


def test_a_filter_on_a_parquet_view_is_pushed_into_the_scan(tmp_path, open_source):
    """Filters on the typed views reach the Parquet reader, so a period of a large table is read cheaply."""
    folder = tmp_path / "pq"
    folder.mkdir()
    parts_parquet(folder, days=100)
    src = open_source(folder)
    query = "SELECT sum(quantity) FROM parts_lines WHERE date_edit >= DATE '2024-03-01'"
    plan = src.con.execute("EXPLAIN " + query).fetchall()[0][1]
    scan = plan[plan.index("READ_PARQUET"):]
    assert "Filters:" in scan and "date_edit" in scan.split("Filters:", 1)[1]
    assert src.con.execute(query).fetchall() == [(40.0,)]


def parts_parquet(folder, days: int, quantity: float = 1.0) -> None:
    """parts_lines.parquet: one line a day from 1 January 2024 for `days` days, each of `quantity`."""
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'D' || i AS document, 'invoice' AS doc_type, DATE '2024-01-01' + i::INT AS date_edit, "
        "'A1' AS account, NULL::VARCHAR AS wip_no, 'P' AS department, 'S' AS sale_type, 'OP' AS operator, "
        f"'P' || i AS part_no, {quantity} AS quantity, 2.0 AS retail_price, 2.0 AS selling_price, 0.0 AS discount, "
        "1.0 AS cost_price, NULL::DOUBLE AS menu_normal_value, NULL::DOUBLE AS menu_fixed_value, "
        f"NULL::BOOLEAN AS first_pick, NULL::DOUBLE AS vor_loss FROM range({days}) t(i)) "
        f"TO '{folder / 'parts_lines.parquet'}' (FORMAT parquet)"
    )
    con.close()


def test_a_source_kept_open_reads_a_parquet_file_replaced_since(tmp_path, open_source):
    """A source keeps each Parquet file's footer between statements (parquet_metadata_cache), yet an
    explorer that stays open while the dealer system rewrites its export reads the new file: its rows,
    not the footer read before."""
    folder = tmp_path / "pq"
    folder.mkdir()
    parts_parquet(folder, days=100)
    src = open_source(folder)
    assert src.con.execute("SELECT current_setting('parquet_metadata_cache')").fetchall() == [(True,)]
    query = "SELECT count(*), sum(quantity) FROM parts_lines WHERE date_edit >= DATE '2024-03-01'"
    assert src.con.execute(query).fetchall() == [(40, 40.0)]
    parts_parquet(folder, days=70, quantity=2.5)  # the export rewritten: 70 days, other figures
    assert src.con.execute(query).fetchall() == [(10, 25.0)]
    assert src.table("parts_lines").filter("date_edit >= DATE '2024-03-01'").aggregate("count(*)").fetchall() == [(10,)]


def test_queries_work_on_csv_views(tmp_path, open_source):
    """Filtering and aggregating a CSV-backed view gives typed results."""
    parts_csv(tmp_path, [line(date_edit="2024-03-01", quantity="2"), line(date_edit="2024-03-20", quantity="3")])
    src = open_source(tmp_path)
    rel = src.table("parts_lines").filter("date_edit >= DATE '2024-03-10'").aggregate("sum(quantity) AS q")
    assert rel.fetchall() == [(3.0,)]


def test_fingerprint_is_stable_and_changes_with_a_file(tmp_path):
    """The fingerprint is the same on every run and wherever the folder lives, and changes when a table file does."""
    folder = rich_source(tmp_path / "a")
    with Source.open(folder) as src:
        first = src.fingerprint()
        assert len(first) == 64 and first == src.fingerprint()
    (folder / "README.txt").write_text("not a table", encoding="utf-8")
    with Source.open(folder) as src:
        assert src.fingerprint() == first
    moved = shutil.copytree(folder, tmp_path / "b")
    with Source.open(moved) as src:
        assert src.fingerprint() == first
    write_table(folder, "accounts", [dict(name="Changed")])
    with Source.open(folder) as src:
        assert src.fingerprint() != first


def test_duckdb_fingerprint_is_stable(tmp_path):
    """A DuckDB file source has a fingerprint that does not change when it is only read."""
    db = tmp_path / "d.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE accounts AS SELECT 'A1' AS account, 'N' AS name")
    con.close()
    with Source.open(db) as src:
        first = src.fingerprint()
        src.table("accounts").fetchall()
    with Source.open(db) as src:
        assert src.fingerprint() == first


def test_row_counts_and_describe(tmp_path, open_source):
    """row_counts() counts each present table; describe() names the source and its files."""
    src = open_source(rich_source(tmp_path))
    assert src.row_counts() == {"parts_lines": 2, "labour_lines": 2, "clockings": 2, "accounts": 2, "sales_reps": 1}
    text = src.describe()
    assert str(tmp_path) in text and "parts_lines.csv" in text


def test_a_missing_source_is_a_clear_error(tmp_path):
    """Opening a folder or file that does not exist names it in a DataError."""
    with pytest.raises(DataError, match="does not exist"):
        Source.open(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(DataError, match="neither a folder"):
        Source.open(tmp_path / "notes.txt")


def test_a_database_url_with_a_password_is_used_and_masked():
    """A URL holding a password is used to connect (issue 23: never refused, never shown): the message never shows it."""
    with pytest.raises(DataError) as info:
        Source.open("postgresql://dealer:s3cret@127.0.0.1:1/dms")
    assert "cannot reach" in str(info.value) and "s3cret" not in str(info.value)


def test_one_file_per_table(tmp_path):
    """A folder holding both a CSV and a Parquet file for one table is refused."""
    folder = make_source(tmp_path)
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'A1' AS account) TO '{folder / 'accounts.parquet'}' (FORMAT parquet)")
    con.close()
    with pytest.raises(DataError, match="both accounts.csv and accounts.parquet"):
        Source.open(folder)


def test_a_folder_may_mix_csv_and_parquet(tmp_path, open_source):
    """Some tables as CSV and others as Parquet in one folder work together."""
    folder = make_source(tmp_path, accounts=[dict(account="00042")])
    con = duckdb.connect()
    con.execute(f"COPY (SELECT '00042' AS account, 'Acme' AS name, NULL AS owner, NULL AS territory, "
                f"NULL AS segment, NULL AS channel, NULL AS email) TO '{folder / 'accounts.parquet'}' (FORMAT parquet)")
    con.close()
    (folder / "accounts.csv").unlink()
    src = open_source(folder)
    assert src.table("accounts").fetchall() == [("00042", "Acme", None, None, None, None, None)]
    assert "accounts.parquet" in src.describe() and "parts_lines.csv" in src.describe()


def test_the_source_is_a_context_manager(tmp_path):
    """`with Source.open(...)` closes the connection at the end of the block."""
    with Source.open(make_source(tmp_path)) as src:
        assert src.table("parts_lines").fetchall() == []
    with pytest.raises(Exception):
        src.con.execute("SELECT 1").fetchall()


def test_an_empty_string_in_a_parquet_or_duckdb_text_column_is_empty(tmp_path, open_source):
    """An empty string in a nullable text column of a Parquet file is empty (NULL), as in a CSV."""
    folder = tmp_path / "pq"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("COPY (SELECT * FROM (VALUES ('A1', 'Alpha', ''), ('A2', 'Beta', 'R1')) t(account, name, owner)) "
                f"TO '{folder / 'accounts.parquet'}' (FORMAT parquet)")
    con.close()
    rows = open_source(folder).table("accounts").project("account, owner").fetchall()
    assert rows == [("A1", None), ("A2", "R1")]


def test_a_parquet_column_named_file_row_number_does_not_break_row_numbers(tmp_path, open_source):
    """A Parquet file that happens to hold a `file_row_number` column still reads, rows numbered from 1."""
    folder = tmp_path / "pq"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("COPY (SELECT 'A' || i AS account, 'N' AS name, 99 AS file_row_number FROM range(1, 4) t(i)) "
                f"TO '{folder / 'accounts.parquet'}' (FORMAT parquet)")
    con.close()
    src = open_source(folder)
    assert src.raw("accounts").project("_row, account").fetchall() == [(1, "A1"), (2, "A2"), (3, "A3")]
    assert src.table("accounts").project("account").fetchall() == [("A1",), ("A2",), ("A3",)]
