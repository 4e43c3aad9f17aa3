"""The built-in demo dataset (aftersales.demo): shape, contract, determinism, CSV, and the second
edition's group of branches, pay types, budgets, overheads, stock file and codes (SPEC §6.1)."""

from __future__ import annotations

import csv
import datetime
import filecmp
import json
import re
import shutil

import duckdb
import pytest

from aftersales import cli
from aftersales.source import demo
from aftersales.source.contract import BUDGET_MEASURES, DATE, PAY_TYPES, SQL_TYPES, TABLES, TIMESTAMP
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


def _connect(out):
    c = duckdb.connect()
    for name in TABLES:
        c.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{out / (name + '.parquet')}')")
    return c


@pytest.fixture(scope="module")
def con(demo_dir):
    out, _, _ = demo_dir
    c = _connect(out)
    yield c
    c.close()


GROUP = 5  # branches of the group demo


@pytest.fixture(scope="module")
def group_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("group")
    rows = demo.generate(out, as_of=AS_OF, seed=SEED, scale="small", branches=GROUP)
    return out, rows


@pytest.fixture(scope="module")
def gcon(group_dir):
    c = _connect(group_dir[0])
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
    assert meta == {"seed": SEED, "scale": "small", "branches": 1, "as_of": AS_OF.isoformat(), "format": "parquet",
                    "rows": rows, "version": GENERATOR_VERSION}


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
        assert header == table.all_names, name  # the optional columns of SPEC §6.1 are written too
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
    for branches in (0, demo.MAX_BRANCHES + 1, 2.5, True):
        with pytest.raises(ValueError, match="branches"):
            demo.generate(tmp_path, as_of=AS_OF, branches=branches)
    assert cli.main(["demo-data", str(tmp_path), "--branches", "0"]) == cli.EXIT_INVALID
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- second edition (SPEC §6.1)
PARTS_NET = "(quantity * selling_price - discount)"
PARTS_COST = "(quantity * cost_price)"
LAB_GROSS = "(allowed_time * labour_rate * contribution / 100)"
LAB_COST = ("((CASE WHEN flat_rate THEN allowed_time ELSE time_taken END)"
            " * cost_per_hour * minutes_per_unit / 60 * contribution / 100)")
LINE_HOURS = "(allowed_time * minutes_per_unit / 60 * contribution / 100)"
LINE_TABLES = ("parts_lines", "labour_lines", "clockings")
BRANCH_TABLES = LINE_TABLES + ("parts_movements", "purchase_order_lines", "parts_stock", "budgets", "overheads")
#: what each branch does per month and budget measure (invoiced labour lines only), as SPEC §6.4 counts it
ACTUALS = " UNION ALL ".join(
    f"SELECT branch, strftime(date_edit, '%Y-%m') AS month, '{measure}' AS measure, sum({value}) AS actual "
    f"FROM {table} WHERE {where} GROUP BY 1, 2"
    for measure, value, table, where in (
        ("parts_net", PARTS_NET, "parts_lines", "true"),
        ("parts_profit", f"{PARTS_NET} - {PARTS_COST}", "parts_lines", "true"),
        ("labour_net", f"{LAB_GROSS} - discount", "labour_lines", "document IS NOT NULL"),
        ("labour_profit", f"{LAB_GROSS} - discount - {LAB_COST}", "labour_lines", "document IS NOT NULL"),
        ("hours_sold", LINE_HOURS, "labour_lines", "document IS NOT NULL"),
    ))


def test_the_demo_meets_the_contract_for_one_dealer_and_for_a_group(demo_dir, group_dir, capsys):
    """`aftersales validate` accepts the demo of one dealer and of a group of five branches."""
    for out in (demo_dir[0], group_dir[0]):
        assert cli.main(["validate", "--source", str(out)]) == cli.EXIT_OK
        assert "the source meets the data contract" in capsys.readouterr().out


def test_a_group_demo_is_reproducible_and_says_how_many_branches(group_dir, tmp_path):
    """The same seed and number of branches give byte-identical files; demo.json records the branches."""
    out, _ = group_dir
    demo.generate(tmp_path, as_of=AS_OF, seed=SEED, scale="small", branches=GROUP)
    names = sorted(p.name for p in out.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(out, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []
    assert json.loads((out / "demo.json").read_text(encoding="utf-8"))["branches"] == GROUP


def test_branches_split_the_same_volume(demo_dir, group_dir, gcon):
    """A group of N branches holds about the volume of one dealer, split over branches of different sizes."""
    _, single, _ = demo_dir
    _, rows = group_dir
    for table in ("parts_lines", "labour_lines"):
        assert abs(rows[table] / single[table] - 1) < 0.05, table
    codes = demo.branch_codes(GROUP)
    for table in BRANCH_TABLES:  # every line names its branch, and every branch has rows of every table
        found = [r[0] for r in gcon.execute(f"SELECT DISTINCT branch FROM {table} ORDER BY 1").fetchall()]
        assert found == codes, table
    shares = [r[0] for r in gcon.execute(
        "SELECT count(*) / sum(count(*)) OVER () FROM parts_lines GROUP BY branch").fetchall()]
    assert 0.05 < min(shares) and max(shares) < 0.6 and max(shares) > 1.3 * min(shares)


def test_operators_technicians_and_jobs_belong_to_one_branch_and_accounts_are_shared(gcon):
    """Every operator, technician and job works in one branch, its parts and clockings too; accounts buy anywhere."""
    for table, col in (("parts_lines", "operator"), ("parts_lines", "wip_no"), ("labour_lines", "wip_owner"),
                       ("labour_lines", "wip_no"), ("labour_lines", "technician"), ("clockings", "technician")):
        assert one(gcon, f"""SELECT count(*) FROM (SELECT {col} FROM {table} WHERE {col} IS NOT NULL
                             GROUP BY 1 HAVING count(DISTINCT branch) > 1)""")[0] == 0, (table, col)
    assert one(gcon, """SELECT count(*) FROM parts_lines p JOIN (SELECT DISTINCT wip_no, branch FROM labour_lines) l
                        USING (wip_no) WHERE p.branch <> l.branch""")[0] == 0
    assert one(gcon, """SELECT count(*) FROM clockings c JOIN labour_lines l USING (technician, wip_no, line_no)
                        WHERE c.branch <> l.branch""")[0] == 0
    assert one(gcon, "SELECT count(*) FROM (SELECT account FROM parts_lines GROUP BY 1 "
                     "HAVING count(DISTINCT branch) = 5)")[0] > 10


def test_branch_codes_look_like_numbers_and_keep_their_zeros(con, csv_dir):
    """Branch codes are text with leading zeros ("01" … "30"); one dealer is branch "01", in parquet and CSV."""
    assert demo.branch_codes(30) == [f"{k:02d}" for k in range(1, 31)]
    assert demo.branch_codes(120)[:2] == ["001", "002"]
    for table in BRANCH_TABLES + ("branches",):
        assert con.execute(f"SELECT DISTINCT branch FROM {table}").fetchall() == [("01",)], table
    for table in ("parts_lines", "branches"):
        with open(csv_dir / f"{table}.csv", encoding="utf-8", newline="") as fh:
            assert {row["branch"] for row in csv.DictReader(fh)} == {"01"}, table


def test_a_branch_on_the_lines_is_missing_from_branches_and_a_name_holds_markup(gcon, con):
    """With N ≥ 3 one branch trading on the lines is missing from `branches`; a name needs escaping; a region is empty."""
    for table in LINE_TABLES:
        missing = gcon.execute(f"SELECT DISTINCT branch FROM {table} "
                               "WHERE branch NOT IN (SELECT branch FROM branches)").fetchall()
        assert missing == [("05",)], table  # the last of the five (demo.missing_branch(5) == 4)
    names = dict(gcon.execute("SELECT branch, name FROM branches").fetchall())
    assert sorted(names) == ["01", "02", "03", "04"] and len(set(names.values())) == 4
    assert names["02"] == demo.BRANCH_MARKUP_NAME and all(c in names["02"] for c in '<>&"')
    assert one(gcon, "SELECT count(*) FROM branches WHERE region IS NULL")[0] == 1
    assert demo.missing_branch(1) is None and demo.missing_branch(2) is None
    assert one(con, "SELECT count(*) FROM parts_lines WHERE branch NOT IN (SELECT branch FROM branches)")[0] == 0


def test_pay_types_are_mostly_customer_and_warranty_pays_well_below_the_customer_rate(con):
    """Mostly customer pay, some warranty and internal (on the house accounts), a few empty; warranty ELR ≪ customer ELR."""
    for table, where in (("labour_lines", "document IS NOT NULL"), ("parts_lines", "true")):
        mix = dict(con.execute(f"SELECT coalesce(pay_type, ''), count(*) / sum(count(*)) OVER () FROM {table} "
                               f"WHERE {where} GROUP BY 1").fetchall())
        assert set(mix) == set(PAY_TYPES) | {""}, table
        assert mix["customer"] > 0.7 and 0.03 < mix["warranty"] < 0.2 and 0.01 < mix["internal"] < 0.15, table
        assert 0.005 < mix[""] < 0.05, table
        accounts = dict(con.execute(f"SELECT pay_type, list(DISTINCT account) FROM {table} "
                                    "WHERE pay_type IN ('warranty', 'internal') GROUP BY 1").fetchall())
        assert accounts == {"warranty": ["WAR001"], "internal": ["INT001"]}, table
    # ELR = Σ labour Net / Σ line hours of invoiced lines (SPEC §6.5), an empty pay type counting as customer
    elr = dict(con.execute(f"""SELECT coalesce(pay_type, 'customer'), sum({LAB_GROSS} - discount) / sum({LINE_HOURS})
                               FROM labour_lines WHERE document IS NOT NULL GROUP BY 1""").fetchall())
    assert elr["warranty"] < 0.85 * elr["customer"]


def test_lines_are_priced_in_whole_cents_so_every_sum_ties(con, gcon):
    """Prices, discounts and costs are whole cents, and so is each line's gross, net and cost (fluids by the tenth)."""
    for c in (con, gcon):
        bad, values = one(c, f"""
            SELECT count(*) FILTER (WHERE abs(x * 100 - round(x * 100)) > 1e-6), count(*) FROM (
                SELECT unnest([retail_price, selling_price, discount, cost_price, quantity * retail_price,
                               {PARTS_NET}, {PARTS_COST}, coalesce(menu_normal_value, 0),
                               coalesce(menu_fixed_value, 0), coalesce(vor_loss, 0)]) AS x FROM parts_lines
                UNION ALL
                SELECT unnest([labour_rate, discount, cost_per_hour, {LAB_GROSS}, {LAB_GROSS} - discount,
                               {LAB_COST}]) FROM labour_lines)""")
        assert bad == 0 and values > 400_000
        assert one(c, "SELECT count(*) FROM parts_lines WHERE quantity <> round(quantity)")[0] > 0  # litres


def test_budgets_cover_every_branch_month_and_measure_around_what_the_branch_does(gcon, con):
    """Budgets for every branch × month (history and the rest of the year) × measure, once each, near the actuals."""
    # 25 full months + June 2025 of history, then July to December 2025: 32 months
    rows, keys, months, first, last = one(gcon, """
        SELECT count(*), count(DISTINCT (branch, month, measure)), count(DISTINCT month), min(month), max(month)
        FROM budgets""")
    assert rows == keys == GROUP * 32 * len(BUDGET_MEASURES)
    assert (months, first, last) == (32, FIRST_MONTH, "2025-12")
    assert {r[0] for r in gcon.execute("SELECT DISTINCT measure FROM budgets").fetchall()} == set(BUDGET_MEASURES)
    assert one(gcon, "SELECT count(*) FROM budgets WHERE branch IS NULL OR NOT value > 0")[0] == 0
    ratios = f"""SELECT measure, b.value / a.actual AS r FROM ({ACTUALS}) a
                 JOIN budgets b USING (branch, month, measure) WHERE month < '{THIS_MONTH}'"""
    # a group's small branches trade unevenly, but their budgets are right on the whole
    medians = gcon.execute(f"SELECT measure, median(r), count(*) FROM ({ratios}) GROUP BY 1").fetchall()
    assert len(medians) == 5 and all(0.9 < m < 1.15 and n == GROUP * 25 for _, m, n in medians)
    # one dealer's budgets are a realistic spread around what it did: never far off, never a copy
    low, high, spread = one(con, f"SELECT min(r), max(r), stddev_pop(r) FROM ({ratios})")
    assert 0.75 < low and high < 1.4 and spread > 0.03


def test_the_current_month_is_ahead_of_budget_on_some_measures_and_behind_on_others(con, gcon):
    """On the demo's as-of, pacing tells a story: parts ahead of budget and labour behind; every branch mixed."""
    # June 2025, Monday to Friday: 13 working days from the 2nd to the 18th, of 21 in the month, so
    # pace % = MTD / (budget × 13 / 21) × 100
    sql = f"""SELECT a.branch, a.measure, a.actual / (b.value * 13 / 21) * 100
              FROM ({ACTUALS}) a JOIN budgets b USING (branch, month, measure) WHERE month = '{THIS_MONTH}'"""
    pace = {m: p for _, m, p in con.execute(sql).fetchall()}
    assert pace["parts_net"] > 103 and pace["parts_profit"] > 100
    assert pace["labour_net"] < 100 and pace["labour_profit"] < 97
    by_branch: dict[str, list[float]] = {}
    for branch, _, p in gcon.execute(sql).fetchall():
        by_branch.setdefault(branch, []).append(p)
    assert len(by_branch) == GROUP
    assert all(min(p) < 100 < max(p) and len(p) == 5 for p in by_branch.values())


def test_overheads_are_a_fixed_monthly_expense_that_gross_profit_absorbs_60_to_110_percent(gcon):
    """Overheads per branch and month, nearly flat, and a year's gross profit pays for 55–115 % of them."""
    rows, keys, first, last = one(gcon, "SELECT count(*), count(DISTINCT (branch, month)), min(month), max(month) "
                                        "FROM overheads")
    assert rows == keys == GROUP * 26 and (first, last) == (FIRST_MONTH, THIS_MONTH)
    assert one(gcon, "SELECT max(hi / lo) FROM (SELECT max(amount) hi, min(amount) lo FROM overheads GROUP BY branch)"
               )[0] < 1.15
    absorption = gcon.execute(f"""
        SELECT a.branch, sum(a.actual) / (SELECT sum(amount) FROM overheads o WHERE o.branch = a.branch
                                          AND o.month >= '2024-06' AND o.month < '{THIS_MONTH}') * 100
        FROM ({ACTUALS}) a WHERE a.measure IN ('parts_profit', 'labour_profit')
        AND a.month >= '2024-06' AND a.month < '{THIS_MONTH}' GROUP BY 1""").fetchall()
    assert len(absorption) == GROUP and all(55 < pct < 115 for _, pct in absorption)


STOCK_BUCKETS = f"""
    SELECT branch, CASE WHEN age IS NULL OR age > 365 THEN 'm12_plus' WHEN age <= 90 THEN 'm0_3'
                        WHEN age <= 180 THEN 'm3_6' WHEN age <= 270 THEN 'm6_9' ELSE 'm9_12' END AS bucket,
           on_hand_qty * unit_cost AS value
    FROM (SELECT *, DATE '{AS_OF}' - coalesce(last_sale_date, last_receipt_date) AS age FROM parts_stock)
    WHERE on_hand_qty > 0"""


def test_the_stock_file_is_mostly_fresh_with_a_long_obsolete_tail(con, gcon):
    """Most stock value sold in the last 90 days, a long tail of obsolete rows, some rows at zero or below."""
    for c, fresh in ((con, 0.6), (gcon, 0.4)):
        share = dict(c.execute(f"SELECT bucket, sum(value) / sum(sum(value)) OVER () FROM ({STOCK_BUCKETS}) "
                               "GROUP BY 1").fetchall())
        assert share["m0_3"] > fresh and share["m0_3"] == max(share.values())
        assert 0.05 < share["m12_plus"] < 0.3
        rows = dict(c.execute(f"SELECT bucket, count(*) / sum(count(*)) OVER () FROM ({STOCK_BUCKETS}) "
                              "GROUP BY 1").fetchall())
        assert rows["m12_plus"] > 0.15 and set(rows) == {"m0_3", "m3_6", "m6_9", "m9_12", "m12_plus"}
        zero, negative, never, no_dates = one(c, """
            SELECT count(*) FILTER (WHERE on_hand_qty = 0), count(*) FILTER (WHERE on_hand_qty < 0),
                   count(*) FILTER (WHERE last_sale_date IS NULL),
                   count(*) FILTER (WHERE last_sale_date IS NULL AND last_receipt_date IS NULL) FROM parts_stock""")
        assert zero > 0 and negative > 0 and never > no_dates > 0


def test_the_stock_file_follows_the_movements(gcon):
    """A part's last sale is its last issue (invoiced or requisitioned), its last receipt its last receipt movement."""
    mismatches = one(gcon, """
        WITH m AS (SELECT branch, part_no,
                          max(date) FILTER (WHERE movement_type IN ('invoiced', 'requisitioned')) AS sold,
                          max(date) FILTER (WHERE movement_type = 'received') AS got
                   FROM parts_movements GROUP BY ALL)
        SELECT count(*) FILTER (WHERE s.last_sale_date IS DISTINCT FROM m.sold),
               count(*) FILTER (WHERE m.got IS NOT NULL AND s.last_receipt_date IS DISTINCT FROM m.got),
               count(*) FILTER (WHERE m.got IS NULL AND s.last_receipt_date >= (SELECT min(date) FROM parts_movements))
        FROM parts_stock s LEFT JOIN m USING (branch, part_no)""")
    assert mismatches == (0, 0, 0)
    assert one(gcon, "SELECT count(*) FROM parts_stock WHERE part_no LIKE 'SUB-%'")[0] == 0  # sublets are not stock


def test_codes_describe_every_code_used(con):
    """Every department, sale type, labour type, idle code, reason and pay type used has a description."""
    used = set(con.execute("""
        SELECT DISTINCT 'department', department FROM parts_lines UNION SELECT 'department', department FROM labour_lines
        UNION SELECT 'sale_type', sale_type FROM parts_lines UNION SELECT 'labour_type', labour_type FROM labour_lines
        UNION SELECT 'idle_code', idle_code FROM clockings WHERE idle_code IS NOT NULL
        UNION SELECT 'reason', reason FROM clockings WHERE reason IS NOT NULL
        UNION SELECT 'pay_type', pay_type FROM parts_lines WHERE pay_type IS NOT NULL
        UNION SELECT 'pay_type', pay_type FROM labour_lines WHERE pay_type IS NOT NULL""").fetchall())
    described = {(k, c): d for k, c, d in con.execute("SELECT kind, code, description FROM codes").fetchall()}
    assert used == set(described)
    assert all(d.strip() for d in described.values())
    assert described[("sale_type", "08")] == "Warranty" and described[("pay_type", "warranty")]
