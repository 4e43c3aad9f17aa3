"""Bad input (SPEC §2): every contract problem is found and named by table, column and rows."""

from __future__ import annotations

import duckdb
import pytest

from aftersales.source.contract import TABLES, DataError
from aftersales.source.reader import Source
from aftersales.source.validate import check, validate
from factory import DEFAULTS, make_source


def problems_of(folder) -> list[DataError]:
    with Source.open(folder) as src:
        return validate(src)


def only(problems: list[DataError]) -> DataError:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def assert_problem(err: DataError, table: str, column: str | None, rows: list[int], count: int):
    assert (err.table, err.column, err.rows, err.count) == (table, column, rows, count), str(err)
    where = f"{table}.{column}" if column else table
    assert where in str(err)
    if rows:
        assert "first offending rows " + ", ".join(map(str, rows)) in str(err)


def parts(folder, n: int, **bad: dict[int, str]):
    """A source whose parts_lines has `n` clean rows, with bad[column][row] values put in."""
    rows = [dict() for _ in range(n)]
    for column, values in bad.items():
        for row, value in values.items():
            rows[row - 1][column] = value
    return make_source(folder, parts_lines=rows, accounts=[dict()])


def write_lines(path, header: str, lines: list[str], encoding="utf-8"):
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))


def csv_line(table: str, **values) -> str:
    row = {**DEFAULTS[table], **values}
    return ",".join(str(row[c]) for c in TABLES[table].names)


def test_a_clean_source_has_no_problems(tmp_path):
    """A source that meets the contract, every optional table included, validates without a problem."""
    folder = make_source(
        tmp_path,
        **{name: [dict()] for name in TABLES if name not in ("labour_lines", "accounts")},
        labour_lines=[dict(), dict(line_no=2), dict(technician=""), dict(technician="T2")],
        accounts=[dict(), dict(account="A2")],
    )
    with Source.open(folder) as src:
        assert validate(src) == []
        check(src)  # does not raise


def test_a_missing_required_table(tmp_path):
    """A missing required table is named; a missing optional table is not a problem."""
    folder = make_source(tmp_path)
    (folder / "accounts.csv").unlink()
    err = only(problems_of(folder))
    assert_problem(err, "accounts", None, [], 0)
    assert "required table is missing" in str(err) and "accounts.csv" in str(err)


def test_a_missing_column(tmp_path):
    """A contract column absent from a present table is named, even a nullable one."""
    make_source(tmp_path)
    header = [c for c in TABLES["parts_lines"].names if c not in ("cost_price", "vor_loss")]
    (tmp_path / "parts_lines.csv").write_text(",".join(header) + "\n", encoding="utf-8")
    cost, vor = problems_of(tmp_path)
    assert_problem(cost, "parts_lines", "cost_price", [], 0)
    assert_problem(vor, "parts_lines", "vor_loss", [], 0)
    assert "required column is missing" in str(cost)


def test_a_column_name_in_another_case_is_pointed_out(tmp_path):
    """A column spelt in another case is missing, and the message shows the near miss."""
    make_source(tmp_path)
    header = ["Document" if c == "document" else c for c in TABLES["parts_lines"].names]
    (tmp_path / "parts_lines.csv").write_text(",".join(header) + "\n", encoding="utf-8")
    err = only(problems_of(tmp_path))
    assert_problem(err, "parts_lines", "document", [], 0)
    assert "'Document'" in str(err)


def test_an_empty_value_in_a_non_nullable_column(tmp_path):
    """Empty values where the contract requires one are counted, with their rows; nullable columns may be empty."""
    folder = parts(tmp_path, 5, document={2: "", 4: ""}, quantity={3: "  "}, wip_no={1: ""}, vor_loss={5: ""})
    doc, qty = problems_of(folder)
    assert_problem(doc, "parts_lines", "document", [2, 4], 2)
    assert "2 values are empty" in str(doc)
    assert_problem(qty, "parts_lines", "quantity", [3], 1)


def test_values_that_are_not_numbers(tmp_path):
    """Text in a number column is reported with its rows, count and values."""
    folder = parts(tmp_path, 10, quantity={2: "abc", 5: "x", 9: "1,5"}, discount={1: " 2.5 ", 3: "-1e3", 4: ".5"})
    err = only(problems_of(folder))
    assert_problem(err, "parts_lines", "quantity", [2, 5, 9], 3)
    assert str(err) == (
        "parts_lines.quantity: 3 values are not numbers; first offending rows 2, 5, 9 "
        "with values 'abc', 'x', '1,5'"
    )


def test_numbers_duckdb_would_take_but_the_contract_does_not(tmp_path):
    """Digit separators, inf and nan are not numbers."""
    folder = parts(tmp_path, 4, retail_price={1: "1_000", 2: "inf", 4: "NaN"})
    err = only(problems_of(folder))
    assert_problem(err, "parts_lines", "retail_price", [1, 2, 4], 3)
    assert err.examples == ["1_000", "inf", "NaN"]


def test_values_that_are_not_integers(tmp_path):
    """A fraction or text in an integer column is an error; 3.0 is the integer 3."""
    folder = make_source(tmp_path, labour_lines=[
        dict(line_no="1.5"), dict(line_no="3.0"), dict(line_no="two"), dict(line_no="99999999999999999999"),
    ], accounts=[dict()])
    err = only(problems_of(folder))
    assert_problem(err, "labour_lines", "line_no", [1, 3, 4], 3)
    assert "not integers" in str(err)


def test_values_that_are_not_booleans(tmp_path):
    """Only true/false, 1/0 and yes/no (any case) are booleans: t, y and 2 are errors."""
    folder = make_source(tmp_path, labour_lines=[
        dict(line_no=i, flat_rate=v) for i, v in enumerate(["maybe", "YES", "t", "no", "2", "y"], start=1)
    ], accounts=[dict()])
    err = only(problems_of(folder))
    assert_problem(err, "labour_lines", "flat_rate", [1, 3, 5, 6], 4)
    assert err.examples == ["maybe", "t", "2", "y"]


def test_unparsable_dates(tmp_path):
    """Dates must exist and be ISO: 2024-02-30, 24/01/2024 and 2024-1-5 are errors."""
    folder = parts(tmp_path, 6, date_edit={2: "2024-02-30", 3: "24/01/2024", 5: "2024-1-5", 6: "2024-03-01 10:00"})
    err = only(problems_of(folder))
    assert_problem(err, "parts_lines", "date_edit", [2, 3, 5, 6], 4)
    assert "not dates (ISO YYYY-MM-DD)" in str(err)


def test_unparsable_timestamps(tmp_path):
    """Timestamps must be ISO date and time: 8h, a date alone and 25:00 are errors."""
    folder = make_source(tmp_path, clockings=[
        dict(clock_in="2024-03-10 8h"), dict(), dict(clock_in="2024-03-10"), dict(clock_out="2024-03-10T25:00"),
    ], accounts=[dict()])
    clock_in, clock_out = problems_of(folder)
    assert_problem(clock_in, "clockings", "clock_in", [1, 3], 2)
    assert_problem(clock_out, "clockings", "clock_out", [4], 1)


@pytest.mark.parametrize(
    "table, column, bad",
    [("parts_lines", "doc_type", "quote"), ("labour_lines", "doc_type", "Invoice"),
     ("parts_movements", "movement_type", "stolen"), ("opportunities", "stage", "maybe"),
     ("customer_issues", "severity", "urgent")],
)
def test_a_value_outside_its_closed_list(tmp_path, table, column, bad):
    """doc_type, movement_type, stage and severity take only their listed values (case counts)."""
    key = TABLES[table].key[-1:] or ("part_no",)  # distinct keys: only the listed value is wrong
    rows = [{key[0]: 1}, {key[0]: 2, column: bad}, {key[0]: 3, column: bad}]
    folder = make_source(tmp_path, **{table: rows}, accounts=[dict()])
    err = only(problems_of(folder))
    assert_problem(err, table, column, [2, 3], 2)
    assert err.examples == [bad, bad]
    assert "not one of" in str(err)


def test_clock_out_before_clock_in(tmp_path):
    """A clocking that ends before it starts is an error; an open clocking is not."""
    folder = make_source(tmp_path, clockings=[
        dict(), dict(clock_in="2024-03-10T12:00", clock_out="2024-03-10T08:00"), dict(clock_out=""),
        dict(clock_in="2024-03-10 09:00", clock_out="2024-03-10T09:00"),
    ], accounts=[dict()])
    err = only(problems_of(folder))
    assert_problem(err, "clockings", "clock_out", [2], 1)
    assert "before" in str(err)


def test_a_duplicated_labour_key(tmp_path):
    """labour_lines is keyed by wip_no+line_no+technician; an empty technician counts as a value."""
    folder = make_source(tmp_path, labour_lines=[
        dict(), dict(technician="T2"), dict(document="L2"), dict(line_no=2, technician=""),
        dict(line_no=2, technician=""), dict(line_no="02", technician=""),
    ], accounts=[dict()])
    err = only(problems_of(folder))
    assert_problem(err, "labour_lines", "wip_no+line_no+technician", [1, 3, 4, 5, 6], 5)
    assert "2 key values appear more than once" in str(err)


def test_a_duplicated_account(tmp_path):
    """accounts is keyed by account: a second row for one code is an error, codes compare as text."""
    folder = make_source(tmp_path, accounts=[dict(account="042"), dict(account="42"), dict(account="042")])
    err = only(problems_of(folder))
    assert_problem(err, "accounts", "account", [1, 3], 2)
    assert err.examples == ["042", "042"]


def test_parts_lines_have_no_key(tmp_path):
    """Identical parts lines are allowed: parts_lines has no key."""
    assert problems_of(parts(tmp_path, 3)) == []


@pytest.mark.parametrize("bad", ["2024-3", "03/2024", "2024-13", "2024-03-01"])
def test_a_target_month_not_yyyy_mm(tmp_path, bad):
    """targets.month must be YYYY-MM."""
    folder = make_source(tmp_path, targets=[dict(), dict(month=bad)], accounts=[dict()])
    err = only(problems_of(folder))
    assert_problem(err, "targets", "month", [2], 1)
    assert err.examples == [bad]


def test_only_the_first_five_rows_are_listed_but_all_are_counted(tmp_path):
    """A column wrong on many rows names the first five and counts them all."""
    folder = parts(tmp_path, 12, quantity={i: f"q{i}" for i in range(3, 13)})
    err = only(problems_of(folder))
    assert_problem(err, "parts_lines", "quantity", [3, 4, 5, 6, 7], 10)
    assert "(10 rows in all)" in str(err)


def test_every_problem_is_listed_in_table_order(tmp_path):
    """validate() reports all problems, table by table in contract order, columns in contract order."""
    folder = make_source(
        tmp_path,
        parts_lines=[dict(quantity="x", doc_type="quote")],
        clockings=[dict(clock_in="soon")],
        accounts=[dict(), dict()],
    )
    found = [(p.table, p.column) for p in problems_of(folder)]
    assert found == [("parts_lines", "doc_type"), ("parts_lines", "quantity"),
                     ("clockings", "clock_in"), ("accounts", "account")]


def test_validate_can_be_limited_to_some_tables(tmp_path):
    """validate(source, tables) checks only those tables."""
    folder = make_source(tmp_path, parts_lines=[dict(quantity="x")], accounts=[dict(), dict()])
    with Source.open(folder) as src:
        assert [p.table for p in validate(src, ["accounts"])] == ["accounts"]
        with pytest.raises(ValueError):
            validate(src, ["nope"])


def test_check_raises_the_first_problem_and_says_how_many_more(tmp_path):
    """check() raises the first DataError, noting how many more problems there are."""
    folder = make_source(tmp_path, parts_lines=[dict(quantity="x", doc_type="quote")], accounts=[dict()])
    with Source.open(folder) as src, pytest.raises(DataError) as info:
        check(src)
    assert (info.value.table, info.value.column) == ("parts_lines", "doc_type")
    assert "1 more problem" in " ".join(info.value.__notes__)
    assert len(info.value.others) == 1


def test_text_columns_of_a_parquet_file_are_checked_like_csv(tmp_path):
    """A Parquet file storing numbers and dates as text gets the same checks and row numbers as a CSV."""
    folder = make_source(tmp_path, accounts=[dict()])
    (folder / "parts_lines.csv").unlink()
    cols = ", ".join(f"'{DEFAULTS['parts_lines'][c]}' AS {c}" for c in TABLES["parts_lines"].names
                     if c not in ("quantity", "date_edit"))
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT {cols}, CASE WHEN i IN (2, 4) THEN 'abc' ELSE '1' END AS quantity, "
        f"CASE WHEN i = 3 THEN '2024-02-30' ELSE '2024-03-01' END AS date_edit FROM range(1, 6) t(i)) "
        f"TO '{folder / 'parts_lines.parquet'}' (FORMAT parquet)"
    )
    con.close()
    date_edit, quantity = problems_of(folder)
    assert_problem(date_edit, "parts_lines", "date_edit", [3], 1)
    assert_problem(quantity, "parts_lines", "quantity", [2, 4], 2)


def test_a_duckdb_file_is_checked(tmp_path):
    """A DuckDB file source gets the same checks: a missing table, a wrong native type, a duplicated key."""
    db = tmp_path / "d.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('A1', 'x'), ('A2', 'y'), ('A1', 'z')) t(account, name)")
    con.execute("CREATE TABLE targets AS SELECT 'R1' AS rep, '2024-03' AS month, DATE '2024-01-01' AS sales_target, "
                "1.5 AS margin_target")
    con.close()
    found = problems_of(db)
    assert [(p.table, p.column) for p in found] == [
        ("parts_lines", None), ("labour_lines", None), ("clockings", None),
        ("accounts", "owner"), ("accounts", "territory"), ("accounts", "segment"), ("accounts", "channel"),
        ("accounts", "email"), ("accounts", "account"), ("targets", "sales_target"),
    ]
    assert "no table parts_lines in" in str(found[0])
    assert_problem(found[8], "accounts", "account", [1, 3], 2)
    assert_problem(found[9], "targets", "sales_target", [1], 1)
    assert found[9].examples == ["2024-01-01"]


# -- problems reading a file -------------------------------------------------------


def test_a_file_in_another_encoding(tmp_path):
    """A CSV saved as Latin-1 is refused, naming the file and the line, and asking for UTF-8."""
    make_source(tmp_path, accounts=[dict()])
    header = ",".join(TABLES["accounts"].names)
    write_lines(tmp_path / "accounts.csv", header,
                [csv_line("accounts", account="A1"), csv_line("accounts", account="A2", name="Café Garage")],
                encoding="latin-1")
    err = only(problems_of(tmp_path))
    assert_problem(err, "accounts", None, [2], 1)
    assert "accounts.csv line 3" in str(err) and "UTF-8" in str(err)


def test_a_header_in_another_encoding(tmp_path):
    """A header line that is not UTF-8 is refused too."""
    make_source(tmp_path, accounts=[dict()])
    (tmp_path / "accounts.csv").write_bytes("account,name,owner,territory,segment,channel,émail\n".encode("latin-1"))
    err = only(problems_of(tmp_path))
    assert_problem(err, "accounts", None, [], 0)
    assert "line 1 (the header) is not UTF-8" in str(err)


def test_a_semicolon_delimited_file(tmp_path):
    """A file separated by semicolons is refused with a message saying the delimiter looks wrong."""
    make_source(tmp_path, accounts=[dict()])
    names = TABLES["parts_lines"].names
    write_lines(tmp_path / "parts_lines.csv", ";".join(names),
                [";".join(str(DEFAULTS["parts_lines"][c]) for c in names)])
    err = only(problems_of(tmp_path))
    assert_problem(err, "parts_lines", None, [], 0)
    assert "delimiter looks wrong" in str(err) and "';'" in str(err)
    assert "document, doc_type" in str(err)


def test_a_truncated_last_line(tmp_path):
    """A file cut short (a last line with fewer fields) is refused, naming the file and the line."""
    make_source(tmp_path, accounts=[dict()])
    header = ",".join(TABLES["parts_lines"].names)
    good = csv_line("parts_lines")
    write_lines(tmp_path / "parts_lines.csv", header, [good, good, good, "D9,invoice,2024-03"])
    err = only(problems_of(tmp_path))
    assert_problem(err, "parts_lines", None, [4], 1)
    assert "parts_lines.csv line 5" in str(err) and "3 fields where the header has 18" in str(err)


def test_an_unterminated_quote(tmp_path):
    """A quote opened and never closed (a truncated file) is refused, naming the line."""
    make_source(tmp_path, accounts=[dict()])
    header = ",".join(TABLES["accounts"].names)
    write_lines(tmp_path / "accounts.csv", header,
                [csv_line("accounts"), csv_line("accounts", account="A2", name='"Alpha, and')])
    err = only(problems_of(tmp_path))
    assert_problem(err, "accounts", None, [2], 1)
    assert "quote that is never closed" in str(err)


def test_an_empty_file(tmp_path):
    """A file without even a header line is refused; a header without rows is an empty table."""
    make_source(tmp_path, accounts=[dict()])
    (tmp_path / "accounts.csv").write_bytes(b"")
    err = only(problems_of(tmp_path))
    assert_problem(err, "accounts", None, [], 0)
    assert "empty" in str(err)


def test_quoted_fields_with_commas_and_newlines_are_values(tmp_path):
    """Standard CSV quoting (commas, doubled quotes, line breaks inside quotes) is read as values."""
    make_source(tmp_path, accounts=[dict()])
    header = ",".join(TABLES["accounts"].names)
    write_lines(tmp_path / "accounts.csv", header,
                ['A1,"Smith, ""Bob"" &\nSons",,,,,', 'A2,Plain,,,,,'])
    assert problems_of(tmp_path) == []
    with Source.open(tmp_path) as src:
        assert src.table("accounts").project("name").fetchall() == [('Smith, "Bob" &\nSons',), ("Plain",)]


def test_an_empty_string_in_a_required_parquet_text_column_is_empty(tmp_path):
    """An empty string where text is required is an empty value, in a Parquet file as in a CSV."""
    folder = tmp_path / "pq"
    folder.mkdir()
    con = duckdb.connect()
    con.execute("COPY (SELECT * FROM (VALUES ('A1', 'Alpha'), ('', 'Beta'), ('A3', '')) t(account, name)) "
                f"TO '{folder / 'accounts.parquet'}' (FORMAT parquet)")
    con.close()
    found = [p for p in problems_of(folder) if p.table == "accounts" and p.rows]
    assert [(p.column, p.rows, p.count) for p in found] == [("account", [2], 1), ("name", [3], 1)]
