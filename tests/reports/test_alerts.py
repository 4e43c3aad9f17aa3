"""Alert rules against the hand-worked accounts of test_accounts: edges of every threshold."""

from __future__ import annotations

import datetime as dt

import pytest
from test_accounts import ACCOUNTS, LABOUR, PARTS, PERIOD, REPS, labour, part

from aftersales import params
from aftersales.reports import accounts, alerts
from aftersales.reports.periods import Period
from factory import make_source

DEFAULTS = {"gp_drop": 5, "sales_decline": 20, "large_document": 5000}


@pytest.fixture
def data(tmp_path, open_source):
    src = open_source(make_source(tmp_path, parts_lines=PARTS, labour_lines=LABOUR, accounts=ACCOUNTS,
                                  sales_reps=REPS))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    info = accounts.account_info(src.table("accounts"))
    rows = accounts.accounts_grid(lines, info, PERIOD).rows
    return rows, lines, info, accounts.rep_info(src.table("sales_reps"))


def found(frame, rule):
    return frame[frame["rule"] == rule]


def test_at_the_threshold_alerts_just_under_does_not(data):
    """A fall of exactly 5 points or 20 % alerts; 4.99 points and 19.99 % do not."""
    rows, lines, info, reps = data
    result = alerts.evaluate(rows, lines, PERIOD, DEFAULTS, info, reps)
    gp = found(result, "gp_drop")
    assert list(gp["account"]) == ["A1", "A4"]
    assert list(gp["value"]) == pytest.approx([360 / 1100 * 100 - 40, -5.0])
    assert list(gp["threshold"]) == [5.0, 5.0]
    sales = found(result, "sales_decline")
    assert list(sales["account"]) == ["A4", "ZZ"]
    assert list(sales["value"]) == pytest.approx([-20.0, -50.0])
    assert "A3" not in set(result["account"])


def test_no_alert_where_the_figure_is_empty(data):
    """An account without prior sales (growth and GP% change empty) raises no sales or GP alert."""
    rows, lines, info, reps = data
    result = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "gp_drop": 0, "sales_decline": 0}, info, reps)
    account_rules = result[result["rule"] != "large_document"]
    assert "A2" not in set(account_rules["account"]) and "A5" not in set(account_rules["account"])
    assert "A3" in set(account_rules["account"]), "a threshold of 0 alerts any fall"


def test_large_documents_sum_parts_and_labour_and_never_credits(data):
    """An invoice at exactly the threshold alerts, parts and labour lines add up, credits never alert."""
    rows, lines, info, reps = data
    nets = alerts.invoice_nets(lines, PERIOD).set_index("document")["net"]
    assert nets["D6"] == pytest.approx(5500) and nets["D1"] == pytest.approx(1000)
    assert "C5" not in nets and "C6" not in nets
    big = found(alerts.evaluate(rows, lines, PERIOD, DEFAULTS, info, reps), "large_document")
    assert list(big["document"]) == ["D5", "D6"]
    assert list(big["value"]) == pytest.approx([5000, 5500])
    assert list(big["account"]) == ["A5", "A5"] and list(big["name"]) == ["Epsilon", "Epsilon"]
    assert "D5" in big.iloc[0]["message"] and "5,000.00" in big.iloc[0]["message"]


def test_large_document_counts_only_lines_dated_in_the_period(tmp_path, open_source):
    """An invoice whose lines straddle the period's end only counts the lines dated in the period."""
    src = open_source(make_source(tmp_path, parts_lines=[
        part("D1", "A1", "2024-03-31", 3000), part("D1", "A1", "2024-04-01", 3000),
        part("D2", "A1", "2024-03-01", 2000)],
        labour_lines=[labour("D2", "A1", "2024-02-29", 4000), labour("D2", "A1", "2024-03-02", 3000)]))
    lines = accounts.sales_lines(src.table("parts_lines"), src.table("labour_lines"))
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31), dt.date(2024, 4, 30))
    big = alerts.large_document(lines, period, 5000, accounts.account_info(None))
    assert list(big["document"]) == ["D2"] and list(big["value"]) == pytest.approx([5000])
    assert big["name"].isna().all(), "an account not in accounts has an empty name"


def test_owner_email_comes_from_sales_reps(data):
    """Each alert carries its owner's email from sales_reps; empty when the rep has none or no table exists."""
    rows, lines, info, reps = data
    result = alerts.evaluate(rows, lines, PERIOD, DEFAULTS, info, reps)
    emails = dict(zip(result["owner"].fillna(""), result["owner_email"].fillna("")))
    assert emails == {"R1": "rita@example.com", "R2": "", "": ""}
    assert alerts.owners_without_email(result) == ["R2"]
    bare = alerts.evaluate(rows, lines, PERIOD, DEFAULTS, info, accounts.rep_info(None))
    assert bare["owner_email"].isna().all() and len(bare) == len(result)


def test_thresholds_come_from_params(data, tmp_path):
    """A --params file moves each rule's threshold (19.99 % now catches the account that fell 19.99 %)."""
    rows, lines, info, reps = data
    custom = tmp_path / "alerts.yaml"
    custom.write_text("alerts:\n  sales_decline: 19.99\n  gp_drop: 7.3\n  large_document: 4001\n"
                      "  min_prior_sales: 0\n  min_sales: 0\n  exclude_accounts: []\n", encoding="utf-8")
    thresholds = params.load(custom)["alerts"]
    result = alerts.evaluate(rows, lines, PERIOD, thresholds, info, reps)
    assert list(found(result, "sales_decline")["account"]) == ["A3", "A4", "ZZ"]
    assert list(found(result, "gp_drop")["account"]) == [], "A1 fell 7.27 points: under 7.3"
    assert list(found(result, "large_document")["document"]) == ["D3b", "D5", "D6", "D7"]


def test_alerts_csv_columns_and_order(data):
    """alerts.csv holds the SPEC's columns, sorted by rule, account and document whatever the input order."""
    rows, lines, info, reps = data
    result = alerts.evaluate(rows.iloc[::-1], lines, PERIOD, DEFAULTS, info, reps)
    csv_rows = alerts.for_csv(result)
    assert list(csv_rows.columns) == list(alerts.ALERT_COLUMNS)
    assert list(zip(csv_rows["rule"], csv_rows["account"])) == [
        ("gp_drop", "A1"), ("gp_drop", "A4"), ("sales_decline", "A4"), ("sales_decline", "ZZ"),
        ("large_document", "A5"), ("large_document", "A5")]
    assert list(alerts.declining_accounts(result)["account"]) == ["A4", "ZZ"]


def test_minimums_and_exclusions_at_zero_give_the_spec_rules(data):
    """min_prior_sales 0, min_sales 0 and no exclusions raise exactly SPEC §3's alerts."""
    rows, lines, info, reps = data
    plain = alerts.evaluate(rows, lines, PERIOD, DEFAULTS, info, reps)
    zero = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "min_prior_sales": 0, "min_sales": 0,
                                                 "exclude_accounts": []}, info, reps)
    assert alerts.for_csv(zero).equals(alerts.for_csv(plain))


def test_minimum_prior_sales_and_minimum_sales_gate_their_rule(data):
    """sales_decline needs prior sales of at least min_prior_sales; gp_drop needs sales of at least min_sales."""
    rows, lines, info, reps = data
    prior = dict(zip(rows["account"], rows["sales_prior"]))
    sales = dict(zip(rows["account"], rows["sales"]))
    # A4 and ZZ fall: keep the one whose prior sales reach the minimum (exactly at it counts)
    floor = min(prior["A4"], prior["ZZ"])
    result = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "min_prior_sales": floor + 0.01}, info, reps)
    kept = [a for a in ("A4", "ZZ") if prior[a] >= floor + 0.01]
    assert list(found(result, "sales_decline")["account"]) == kept
    at = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "min_prior_sales": floor}, info, reps)
    assert list(found(at, "sales_decline")["account"]) == ["A4", "ZZ"]
    # gp_drop: A1 and A4 fell; a minimum just above A4's sales keeps A1 only when A1 sells more
    gate = sales["A4"] + 0.01
    gp = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "min_sales": gate}, info, reps)
    assert list(found(gp, "gp_drop")["account"]) == [a for a in ("A1", "A4") if sales[a] >= gate]


def test_excluded_accounts_get_no_alert_of_any_rule(data):
    """An account code or glob pattern in exclude_accounts silences every rule for it, large invoices too."""
    rows, lines, info, reps = data
    result = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "exclude_accounts": ["A?", "Z*"]}, info, reps)
    assert result.empty
    some = alerts.evaluate(rows, lines, PERIOD, {**DEFAULTS, "exclude_accounts": ["A5"]}, info, reps)
    assert "A5" not in set(some["account"]) and "A4" in set(some["account"])
    assert not alerts.excluded("a5", ["A5"]), "codes match case-sensitively"


def test_each_alert_says_the_money_at_stake_and_the_list_reads_largest_first(data):
    """at_stake is the change in margin (GP% drop), in sales (decline) or the invoice Net; by_money sorts by it
    and keeps one entry per account with all its reasons."""
    rows, lines, info, reps = data
    result = alerts.evaluate(rows, lines, PERIOD, DEFAULTS, info, reps)
    by = rows.set_index("account")
    a4 = result[result["account"] == "A4"].set_index("rule")
    assert a4.at["sales_decline", "at_stake"] == pytest.approx(by.at["A4", "sales"] - by.at["A4", "sales_prior"])
    assert a4.at["gp_drop", "at_stake"] == pytest.approx(by.at["A4", "margin"] - by.at["A4", "margin_prior"])
    assert set(result["unit"]) == {"points", "%", "amount"}
    listed = alerts.by_money(result)
    stakes = listed["at_stake"].abs().tolist()
    assert stakes == sorted(stakes, reverse=True)
    assert list(listed["account"]).count("A4") == 1
    entry = listed[listed["account"] == "A4"].iloc[0]
    assert "GP% drop" in entry["rules"] and "Sales decline" in entry["rules"]
