"""The built-in demo dataset (aftersales.demo): shape, contract, determinism, CSV."""

from __future__ import annotations

import csv
import datetime
import filecmp
import json
import re
import shutil

import duckdb
import pytest

from aftersales.source import demo
from aftersales.source.contract import DATE, SQL_TYPES, TABLES, TIMESTAMP
from aftersales.source.demo import GENERATOR_VERSION

AS_OF = datetime.date(2025, 6, 18)
SEED = 3
THIS_MONTH = AS_OF.strftime("%Y-%m")
_FIRST = AS_OF.year * 12 + AS_OF.month - 1 - demo.HISTORY_MONTHS
FIRST_MONTH = f"{_FIRST // 12}-{_FIRST % 12 + 1:02d}"  # 25 months before as_of's month
#: forward-looking planning dates, allowed after as_of (see demo's module docstring)
FORWARD = {("purchase_order_lines", "date_required"), ("opportunities", "expected_close")}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    messages: list[str] = []
    rows = demo.generate(out, as_of=AS_OF, seed=SEED, scale="small", progress=messages.append)
    return out, rows, messages


@pytest.fixture(scope="module")
def con(demo_dir):
    out, _, _ = demo_dir
    c = duckdb.connect()
    for name in TABLES:
        c.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{out / (name + '.parquet')}')")
    yield c
    c.close()


def one(con, sql):
    return con.execute(sql).fetchall()[0]


def test_every_table_has_exactly_the_contract_columns_and_types(demo_dir, con):
    """Every table of SPEC §2 is there with the contract's column names, order and types."""
    out, rows, _ = demo_dir
    assert set(rows) == set(TABLES)
    for name, table in TABLES.items():
        described = con.execute(f"DESCRIBE {name}").fetchall()
        assert [(d[0], d[1]) for d in described] == [(c.name, SQL_TYPES[c.type]) for c in table.columns], name
        assert rows[name] == one(con, f"SELECT count(*) FROM {name}")[0] > 0, name
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([f"{n}.parquet" for n in TABLES] + ["demo.json"])  # no temp files left


def test_demo_json_describes_the_dataset(demo_dir):
    """demo.json records seed, scale, as_of, format and the row counts, so a cached demo can be checked."""
    out, rows, _ = demo_dir
    meta = json.loads((out / "demo.json").read_text(encoding="utf-8"))
    assert meta == {"seed": SEED, "scale": "small", "as_of": AS_OF.isoformat(), "format": "parquet", "rows": rows,
                    "version": GENERATOR_VERSION}


def test_progress_reports_each_month_and_each_file(demo_dir):
    """The CLI can show progress: one message per month of history and per file written."""
    _, _, messages = demo_dir
    months = [m for m in messages if "months" in m]
    assert len(months) == demo.HISTORY_MONTHS + 1
    assert months[2].startswith("parts_lines") and f"3/{demo.HISTORY_MONTHS + 1} months" in months[2]
    assert any(m == "writing parts_lines.parquet" for m in messages)


def test_same_seed_gives_byte_identical_files(demo_dir, tmp_path):
    """Same seed, scale and as_of give byte-identical files (reproducible runs and fingerprints)."""
    out, _, _ = demo_dir
    demo.generate(tmp_path, as_of=AS_OF, seed=SEED, scale="small")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(out, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []


def test_small_scale_has_the_promised_shape(con, demo_dir):
    """Small holds 25–40k parts lines, ~300 accounts, a dozen operators, sale types and technicians."""
    _, rows, _ = demo_dir
    assert 25_000 <= rows["parts_lines"] <= 40_000
    assert 250 <= rows["accounts"] <= 350
    assert one(con, "SELECT count(DISTINCT operator) FROM parts_lines")[0] == 12
    assert one(con, "SELECT count(DISTINCT sale_type) FROM parts_lines")[0] == 12
    assert 10 <= one(con, "SELECT count(DISTINCT technician) FROM clockings")[0] <= 15
    assert {r[0] for r in con.execute("SELECT DISTINCT department FROM parts_lines").fetchall()} == {"P", "W", "B"}
    assert {r[0] for r in con.execute("SELECT DISTINCT department FROM labour_lines").fetchall()} == {"W", "B"}
    assert one(con, "SELECT count(*) FROM sales_reps")[0] == 8


def test_nothing_is_dated_after_as_of_and_25_months_are_covered(con):
    """History ends at as_of and every month of the last 25 (and the current one) holds sales and clockings."""
    limit = AS_OF + datetime.timedelta(days=1)
    for name, table in TABLES.items():
        for col in table.columns:
            if col.type in (DATE, TIMESTAMP) and (name, col.name) not in FORWARD:
                latest = one(con, f"SELECT max({col.name}) FROM {name}")[0]
                if col.type == TIMESTAMP:
                    assert latest < datetime.datetime.combine(limit, datetime.time()), (name, col.name)
                else:
                    assert latest <= AS_OF, (name, col.name)
    assert one(con, "SELECT max(month) FROM targets")[0] == THIS_MONTH
    for sql in ("SELECT DISTINCT strftime(date_edit, '%Y-%m') FROM parts_lines",
                "SELECT DISTINCT strftime(date_edit, '%Y-%m') FROM labour_lines WHERE document IS NOT NULL",
                "SELECT DISTINCT strftime(clock_in, '%Y-%m') FROM clockings"):
        months = {r[0] for r in con.execute(sql).fetchall()}
        assert len(months) == demo.HISTORY_MONTHS + 1
        assert min(months) == FIRST_MONTH and max(months) == THIS_MONTH
    # as_of itself, month to date and the same days a year earlier all hold lines
    year_ago = AS_OF.replace(year=AS_OF.year - 1, day=min(AS_OF.day, 28))
    assert one(con, f"SELECT count(*) FROM parts_lines WHERE date_edit = DATE '{AS_OF}'")[0] > 0
    assert one(con, f"SELECT count(*) FROM parts_lines WHERE date_edit BETWEEN DATE '{year_ago}' - 27 "
                    f"AND DATE '{year_ago}'")[0] > 500


def test_keys_are_unique(con):
    """The contract's keys (labour wip_no+line_no+technician, accounts.account, CRM ids …) never repeat."""
    for name, table in TABLES.items():
        if table.key:
            cols = ", ".join(table.key)
            dupes = one(con, f"SELECT count(*) FROM (SELECT {cols} FROM {name} GROUP BY ALL HAVING count(*) > 1)")[0]
            assert dupes == 0, name


def test_codes_keep_leading_zeros_and_names_any_script(con):
    """Codes stay text (account 00042, zero-padded documents) and names mix scripts and markup."""
    assert one(con, "SELECT count(*) FROM accounts WHERE account = '00042'")[0] == 1
    assert one(con, "SELECT count(*) FROM accounts WHERE account LIKE '0%'")[0] > 100
    assert one(con, "SELECT count(*) FROM parts_lines WHERE document NOT SIMILAR TO '0[0-9]{7}'")[0] == 0
    assert one(con, "SELECT count(*) FROM labour_lines WHERE wip_no NOT SIMILAR TO '0[0-9]{6}'")[0] == 0
    assert one(con, "SELECT count(*) FROM parts_lines WHERE sale_type LIKE '0%'")[0] > 0
    names = [r[0] for r in con.execute("SELECT name FROM accounts").fetchall()]
    assert demo.MARKUP_NAME in names
    scripts = {
        "latin accents": "[À-ɏ]", "greek": "[\u0370-\u03ff]", "cyrillic": "[\u0400-\u04ff]",
        "arabic": "[\u0600-\u06ff]", "cjk": "[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]",
    }
    for script, pattern in scripts.items():
        assert any(re.search(pattern, n) for n in names), script
    # every sale is on a known account, every rep code is a rep
    assert one(con, "SELECT count(*) FROM parts_lines WHERE account NOT IN (SELECT account FROM accounts)")[0] == 0
    assert one(con, "SELECT count(*) FROM labour_lines WHERE account NOT IN (SELECT account FROM accounts)")[0] == 0
    assert one(con, "SELECT count(*) FROM accounts WHERE owner NOT IN (SELECT rep FROM sales_reps)")[0] == 0


def test_credit_notes_are_about_5_percent_and_signed_negative(con):
    """About 5 % of documents are credit notes; their quantities, times and discounts are negative."""
    total, credits = one(con, """
        SELECT count(*), count(*) FILTER (WHERE t = 'credit') FROM (
            SELECT document, any_value(doc_type) t FROM (
                SELECT document, doc_type FROM parts_lines
                UNION ALL SELECT document, doc_type FROM labour_lines WHERE document IS NOT NULL)
            GROUP BY document)""")
    assert 0.035 <= credits / total <= 0.065
    assert one(con, """SELECT count(*) FROM parts_lines
                       WHERE (doc_type = 'credit' AND (quantity >= 0 OR discount > 0))
                          OR (doc_type = 'invoice' AND (quantity <= 0 OR discount < 0))""")[0] == 0
    assert one(con, """SELECT count(*) FROM labour_lines WHERE doc_type = 'credit'
                       AND (allowed_time >= 0 OR time_taken > 0 OR discount > 0)""")[0] == 0
    assert one(con, "SELECT count(*) FROM labour_lines WHERE doc_type = 'credit'")[0] > 0
    # a document is either an invoice or a credit, never both
    assert one(con, """SELECT count(*) FROM (SELECT document FROM (
                         SELECT document, doc_type FROM parts_lines UNION ALL
                         SELECT document, doc_type FROM labour_lines WHERE document IS NOT NULL)
                       GROUP BY document HAVING count(DISTINCT doc_type) > 1)""")[0] == 0


def test_parts_lines_exercise_every_figure(con):
    """Menu lines, first pick true/false/empty (false ~8 %), VOR loss, multi-line documents and a few losses exist."""
    lines, fp_false, fp_null, vor, menu, loss = one(con, """
        SELECT count(*), count(*) FILTER (WHERE first_pick = false), count(*) FILTER (WHERE first_pick IS NULL),
               count(vor_loss), count(menu_fixed_value),
               count(*) FILTER (WHERE quantity * selling_price - discount < quantity * cost_price)
        FROM parts_lines WHERE doc_type = 'invoice'""")
    assert 0.06 <= fp_false / lines <= 0.10 and fp_null > 0
    assert vor > 0 and menu > 0
    assert 1 <= loss <= 60  # a handful of lines sold below cost
    assert one(con, "SELECT count(*) FROM parts_lines WHERE (menu_normal_value IS NULL) <> (menu_fixed_value IS NULL)")[0] == 0
    assert one(con, "SELECT max(n) FROM (SELECT count(*) n FROM parts_lines GROUP BY document)")[0] >= 4
    # parts sold through jobs share the job's wip_no and account with its labour
    assert one(con, """SELECT count(*) FROM parts_lines p WHERE wip_no IS NOT NULL AND NOT EXISTS (
                         SELECT 1 FROM labour_lines l WHERE l.wip_no = p.wip_no AND l.account = p.account)""")[0] == 0
    assert one(con, "SELECT count(*) FROM parts_lines WHERE department = 'P' AND wip_no IS NOT NULL")[0] == 0


def test_labour_lines_exercise_every_figure(con):
    """Split lines, tenths and hours, flat rate, menus, sublets without technician and open WIP exist."""
    (split_ok,) = one(con, """SELECT bool_and(n = 2 AND c = 100) FROM (
                                SELECT wip_no, line_no, count(*) n, sum(contribution) c FROM labour_lines
                                WHERE contribution < 100 GROUP BY ALL)""")
    assert split_ok
    mpu = {r[0] for r in con.execute("SELECT DISTINCT minutes_per_unit FROM labour_lines").fetchall()}
    assert mpu == {6.0, 60.0}
    assert one(con, "SELECT count(*) FILTER (WHERE minutes_per_unit = 60) > 3 * count(*) FILTER (WHERE minutes_per_unit = 6) FROM labour_lines")[0]
    assert {r[0] for r in con.execute("SELECT DISTINCT flat_rate FROM labour_lines").fetchall()} == {True, False}
    assert one(con, "SELECT count(menu_fixed_value) FROM labour_lines")[0] > 0
    assert 0 < one(con, "SELECT count(*) FROM labour_lines WHERE technician IS NULL")[0] < 1000
    assert one(con, "SELECT max(n) FROM (SELECT count(*) n FROM labour_lines GROUP BY wip_no)")[0] >= 4
    wip, before_month, bad = one(con, f"""
        SELECT count(*), count(*) FILTER (WHERE date_created < DATE '{AS_OF.replace(day=1)}'),
               count(*) FILTER (WHERE doc_type IS NOT NULL OR date_edit IS NOT NULL)
        FROM labour_lines WHERE document IS NULL""")
    assert wip > 0 and before_month > 0 and bad == 0
    assert one(con, "SELECT count(*) FROM labour_lines WHERE date_edit < date_created")[0] == 0


def test_clockings_are_consistent_with_labour_lines(con):
    """clock_out ≥ clock_in; job clockings add up to each line's time taken, on or before its invoice date."""
    assert one(con, "SELECT count(*) FROM clockings WHERE clock_out < clock_in")[0] == 0
    open_, midnight = one(con, """SELECT count(*) FILTER (WHERE clock_out IS NULL),
                                         count(*) FILTER (WHERE clock_out::DATE > clock_in::DATE) FROM clockings""")
    assert 1 <= open_ <= 2 and 1 <= midnight <= 4
    assert one(con, f"SELECT count(*) FROM clockings WHERE clock_out IS NULL AND clock_in::DATE <> DATE '{AS_OF}'")[0] == 0
    # idle rows carry an idle code and its productive flag; job rows a wip and line
    assert one(con, """SELECT count(*) FROM clockings WHERE
                       (wip_no IS NULL) = (idle_code IS NULL) OR (wip_no IS NULL) <> (line_no IS NULL)
                       OR (idle_code IS NULL) <> (idle_productive IS NULL)""")[0] == 0
    assert {r[0] for r in con.execute("SELECT DISTINCT idle_productive FROM clockings").fetchall()} == {True, False, None}
    mismatched, late = one(con, """
        WITH c AS (SELECT technician, wip_no, line_no, sum(epoch(clock_out - clock_in)) / 3600 h,
                          max(clock_in)::DATE d
                   FROM clockings WHERE wip_no IS NOT NULL AND clock_out IS NOT NULL GROUP BY ALL)
        SELECT count(*) FILTER (WHERE abs(c.h - l.time_taken * l.minutes_per_unit / 60 * l.contribution / 100) > 0.001),
               count(*) FILTER (WHERE c.d > l.date_edit)
        FROM c JOIN labour_lines l USING (technician, wip_no, line_no)""")
    assert mismatched == 0 and late == 0
    assert one(con, """SELECT count(*) FROM clockings c WHERE wip_no IS NOT NULL AND NOT EXISTS (
                         SELECT 1 FROM labour_lines l WHERE l.wip_no = c.wip_no AND l.line_no = c.line_no
                         AND l.technician = c.technician)""")[0] == 0


def test_purchase_orders_cover_every_age_bucket(con):
    """Outstanding orders fall in every purchasing age bucket, with several states and order types."""
    buckets = {r[0] for r in con.execute(f"""
        SELECT CASE WHEN age <= 0 THEN 'current' WHEN age <= 30 THEN 'd30' WHEN age <= 60 THEN 'd60'
                    WHEN age <= 90 THEN 'd90' WHEN age <= 120 THEN 'd120' ELSE 'd120_plus' END
        FROM (SELECT DATE '{AS_OF}' - greatest(date_created, coalesce(grn_date, date_created),
                                                  coalesce(date_required, date_created)) age
              FROM purchase_order_lines WHERE outstanding_qty > 0)""").fetchall()}
    assert buckets == {"current", "d30", "d60", "d90", "d120", "d120_plus"}
    assert one(con, "SELECT count(DISTINCT state) FROM purchase_order_lines")[0] >= 3
    types = {r[0] for r in con.execute("SELECT DISTINCT order_type FROM purchase_order_lines").fetchall()}
    assert types == {"stock", "VOR", "sublet"}
    assert one(con, """SELECT count(*) FILTER (WHERE date_required IS NULL) > 0 AND count(*) FILTER (WHERE grn_date IS NULL) > 0
                       AND count(*) FILTER (WHERE outstanding_qty = 0) > 0 FROM purchase_order_lines""")[0]
    movement_types = {r[0] for r in con.execute("SELECT DISTINCT movement_type FROM parts_movements").fetchall()}
    assert movement_types == set(demo._MOVES)


def test_sales_team_and_crm_cover_the_edge_cases(con):
    """A rep without accounts, a rep without cost, leads without cost or converted, every stage, open issues."""
    assert one(con, "SELECT count(*) FROM sales_reps WHERE rep NOT IN (SELECT owner FROM accounts WHERE owner IS NOT NULL)")[0] == 1
    assert one(con, "SELECT count(*) FROM sales_reps WHERE annual_cost IS NULL")[0] == 1
    assert one(con, "SELECT count(*) FROM accounts WHERE owner IS NULL")[0] > 0
    assert one(con, "SELECT count(*) FROM targets WHERE month NOT SIMILAR TO '[0-9]{4}-[0-9]{2}'")[0] == 0
    assert one(con, "SELECT count(*) FILTER (WHERE cost IS NULL) > 0 AND count(account) > 0 FROM leads")[0]
    stages = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT stage, count(*), count(closed_date) FROM opportunities GROUP BY 1").fetchall()}
    assert set(stages) == {"qualified", "proposal", "negotiation", "won", "lost"}
    assert all((closed == n) if stage in ("won", "lost") else closed == 0 for stage, (n, closed) in stages.items())
    assert one(con, "SELECT count(*) FROM activities WHERE account IS NULL")[0] > 0
    assert one(con, "SELECT count(*) FROM customer_issues WHERE resolved_date IS NULL")[0] > 0
    assert one(con, "SELECT count(*) FROM customer_issues WHERE resolved_date < logged_date")[0] == 0


@pytest.fixture(scope="module")
def csv_dir(demo_dir, tmp_path_factory):
    """The same demo as CSV, generated over a copy of the parquet demo (which it must replace)."""
    out, _, _ = demo_dir
    target = tmp_path_factory.mktemp("demo_csv")
    shutil.copytree(out, target, dirs_exist_ok=True)
    demo.generate(target, as_of=AS_OF, seed=SEED, scale="small", fmt="csv")
    return target


def test_csv_format_round_trips(csv_dir, con):
    """CSV files follow the contract's text format and read back to exactly the parquet data."""
    assert sorted(p.name for p in csv_dir.iterdir()) == sorted([f"{n}.csv" for n in TABLES] + ["demo.json"])
    for name, table in TABLES.items():
        path = csv_dir / f"{name}.csv"
        with open(path, encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert header == table.names, name
        casts = ", ".join(f"CAST({col.name} AS {SQL_TYPES[col.type]}) AS {col.name}" for col in table.columns)
        con.execute(f"CREATE TEMP TABLE {name}_csv AS SELECT {casts} "
                    f"FROM read_csv('{path}', header=true, all_varchar=true)")
        n_csv, n_parquet = one(con, f"SELECT (SELECT count(*) FROM {name}_csv), (SELECT count(*) FROM {name})")
        assert n_csv == n_parquet, name
        differ = one(con, f"SELECT count(*) FROM (FROM {name}_csv EXCEPT ALL FROM {name})")[0]
        assert differ == 0, name
    # the raw text: ISO dates and timestamps, lower-case booleans, empty nulls, quoted markup
    clock = (csv_dir / "clockings.csv").read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"[^,]+,[^,]+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)?,.*", clock[1])
    assert any(",true," in line for line in clock) and any(",false," in line for line in clock)
    with open(csv_dir / "accounts.csv", encoding="utf-8", newline="") as fh:
        accounts = {row["account"]: row for row in csv.DictReader(fh)}
    assert "00042" in accounts
    assert demo.MARKUP_NAME in {row["name"] for row in accounts.values()}
    assert any(row["owner"] == "" for row in accounts.values())
    parts = (csv_dir / "parts_lines.csv").read_text(encoding="utf-8").splitlines()[1]
    assert re.match(r"0\d{7},(invoice|credit),\d{4}-\d\d-\d\d,", parts)
    meta = json.loads((csv_dir / "demo.json").read_text(encoding="utf-8"))
    assert meta["format"] == "csv"


def test_bad_arguments_are_refused(tmp_path):
    """An unknown scale or format is a clear error, not a silent default."""
    with pytest.raises(ValueError, match="scale"):
        demo.generate(tmp_path, as_of=AS_OF, scale="huge")
    with pytest.raises(ValueError, match="fmt"):
        demo.generate(tmp_path, as_of=AS_OF, fmt="xlsx")
    assert list(tmp_path.iterdir()) == []
