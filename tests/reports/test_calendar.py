"""Working days (SPEC §6.3): weekdays, closed dates and public holidays from the `holidays` package."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales import params
from aftersales.reports import calendar as calendar_module
from aftersales.reports.calendar import Calendar, CalendarError

D = dt.date


def test_default_settings_are_monday_to_friday():
    """A dealer who sets nothing gets Monday to Friday, no closed day and no public holidays."""
    cal = Calendar.from_settings(params.load()["calendar"])
    assert cal == Calendar()
    assert cal.working_day_names == ("mon", "tue", "wed", "thu", "fri")
    # March 2024 starts on a Friday: Fri 1, then four full weeks Mon 4–Fri 29 → 1 + 4 × 5 = 21
    assert cal.working_days(D(2024, 3, 1), D(2024, 3, 31)) == 21
    assert cal.is_working(D(2024, 3, 1)) and not cal.is_working(D(2024, 3, 2))  # Fri yes, Sat no


def test_closed_day_is_not_a_working_day():
    """A date listed in calendar.closed is taken out of the month's working days."""
    cal = Calendar.from_settings({"closed": ["2024-03-15"]})
    assert not cal.is_working(D(2024, 3, 15))
    assert cal.working_days(D(2024, 3, 1), D(2024, 3, 31)) == 20  # 21 weekdays − Friday 15th


def test_closed_weekend_day_changes_nothing():
    """Closing a day that is not worked anyway does not take a second day off the count."""
    cal = Calendar.from_settings({"closed": ["2024-03-16"]})  # a Saturday
    assert cal.working_days(D(2024, 3, 1), D(2024, 3, 31)) == 21


def test_saturday_working_dealer():
    """A dealer open on Saturdays counts them as working days."""
    cal = Calendar.from_settings({"working_days": ["mon", "tue", "wed", "thu", "fri", "sat"]})
    assert cal.is_working(D(2024, 3, 2)) and not cal.is_working(D(2024, 3, 3))  # Sat yes, Sun no
    # 21 weekdays + Saturdays 2, 9, 16, 23, 30 = 26
    assert cal.working_days(D(2024, 3, 1), D(2024, 3, 31)) == 26


def test_both_ends_are_included_and_an_empty_span_is_zero():
    """working_days counts both ends, and is 0 (not negative) when the last day comes first."""
    cal = Calendar()
    assert cal.working_days(D(2024, 3, 4), D(2024, 3, 4)) == 1  # a Monday alone
    assert cal.working_days(D(2024, 3, 3), D(2024, 3, 3)) == 0  # a Sunday alone
    assert cal.working_days(D(2024, 3, 4), D(2024, 3, 8)) == 5  # Monday to Friday
    assert cal.working_days(D(2024, 3, 8), D(2024, 3, 4)) == 0
    assert cal.working_days(D(2024, 3, 1), D(2024, 2, 29)) == 0


def test_count_over_a_long_span_matches_day_by_day():
    """The count over many weeks equals the days is_working accepts one by one."""
    cal = Calendar.from_settings({"working_days": ["tue", "sat", "sun"], "closed": ["2024-02-03", "2024-05-07"],
                                  "country": "DE"})
    first, last = D(2023, 11, 29), D(2025, 1, 3)
    by_day = sum(cal.is_working(first + dt.timedelta(days=i)) for i in range((last - first).days + 1))
    assert cal.working_days(first, last) == by_day
    # Tuesdays, Saturdays and Sundays are 3 of 7 days: about 3/7 of 402 days, less closed days and holidays
    assert 150 < by_day < 3 * 402 // 7 + 3


def test_public_holiday_from_the_holidays_package():
    """With country GB, Christmas and Boxing Day are not working days; without a country they are."""
    gb = Calendar.from_settings({"country": "GB"})
    assert not gb.is_working(D(2024, 12, 25)) and not gb.is_working(D(2024, 12, 26))
    assert gb.is_working(D(2024, 12, 24))
    # December 2024: Mon 2 .. Tue 31 = 4 full weeks (20) + Mon 30, Tue 31 = 22 weekdays;
    # GB takes off Wed 25 and Thu 26 → 20
    assert gb.working_days(D(2024, 12, 1), D(2024, 12, 31)) == 20
    assert Calendar().working_days(D(2024, 12, 1), D(2024, 12, 31)) == 22


def test_observed_holiday_counts():
    """A holiday moved off a weekend (Christmas 2022 fell on a Sunday) closes its substitute day."""
    gb = Calendar.from_settings({"country": "GB"})
    assert not gb.is_working(D(2022, 12, 27))  # Christmas Day (observed), a Tuesday


def test_holiday_on_a_closed_day_is_counted_once():
    """A closed date that is also a public holiday takes one day off, not two."""
    cal = Calendar.from_settings({"country": "GB", "closed": ["2024-12-25", "2024-12-24"]})
    assert cal.working_days(D(2024, 12, 1), D(2024, 12, 31)) == 19  # 22 − 25th, 26th (holidays) − 24th


def test_span_over_new_year_uses_both_years_holidays():
    """A span across 1 January takes each year's holidays."""
    gb = Calendar.from_settings({"country": "GB"})
    # Mon 30 Dec, Tue 31 Dec, (Wed 1 Jan New Year's Day), Thu 2 Jan → 3
    assert gb.working_days(D(2024, 12, 30), D(2025, 1, 2)) == 3


def test_region_code_adds_regional_holidays():
    """A region code (GB-ENG) adds the region's holidays, e.g. Easter Monday in England."""
    assert Calendar.from_settings({"country": "GB"}).is_working(D(2024, 4, 1))
    assert not Calendar.from_settings({"country": "GB-ENG"}).is_working(D(2024, 4, 1))


def test_names_and_codes_are_read_in_any_case():
    """Mon, SAT and gb are read like mon, sat and GB."""
    cal = Calendar.from_settings({"working_days": ["Mon", " SAT "], "country": "gb"})
    assert cal.weekdays == frozenset({0, 5}) and cal.country == "GB"


def test_yaml_settings_file_is_read(tmp_path):
    """A params file's calendar block (unquoted YAML dates included) gives the calendar it says."""
    path = tmp_path / "p.yaml"
    path.write_text('calendar:\n  working_days: [mon, tue, wed, thu, fri, sat]\n'
                    '  closed: [2024-03-15]\n  country: "GB"\n', encoding="utf-8")
    cal = Calendar.from_settings(params.load(path)["calendar"])
    assert cal.closed == frozenset({D(2024, 3, 15)}) and cal.country == "GB" and 5 in cal.weekdays
    # 26 Mondays-to-Saturdays in March 2024, less Friday 15th (closed) and Good Friday 29th (GB) = 24
    assert cal.working_days(D(2024, 3, 1), D(2024, 3, 31)) == 24


@pytest.mark.parametrize(
    "settings, needles",
    [
        ({"working_days": ["mon", "monday"]}, ["calendar.working_days", "monday"]),
        ({"working_days": "mon"}, ["calendar.working_days"]),
        ({"working_days": []}, ["calendar.working_days"]),
        ({"closed": ["2024-13-01"]}, ["calendar.closed", "2024-13-01"]),
        ({"closed": ["15/03/2024"]}, ["calendar.closed", "15/03/2024"]),
        ({"closed": "2024-03-15"}, ["calendar.closed"]),
        ({"country": "XX"}, ["calendar.country", "XX"]),
        ({"country": "GB-XX"}, ["calendar.country", "GB-XX"]),
        ({"country": False}, ["calendar.country"]),
        ({"holidays": "GB"}, ["calendar.holidays"]),
    ],
)
def test_bad_settings_name_the_setting(settings, needles):
    """A bad calendar setting is refused with a message naming the setting and the bad value."""
    with pytest.raises(CalendarError) as err:
        Calendar.from_settings(settings)
    assert isinstance(err.value, ValueError)
    for needle in needles:
        assert needle in str(err.value)


def test_holidays_are_built_once_per_year(monkeypatch):
    """A country's holiday set is made once per year and reused (pacing asks for it every day)."""
    calls = []
    real = calendar_module._build

    def counting(country, subdivision, year):
        calls.append((country, subdivision, year))
        return real(country, subdivision, year)

    calendar_module._public_holidays.cache_clear()
    monkeypatch.setattr(calendar_module, "_build", counting)
    cal = Calendar(country="FR")
    for _ in range(3):
        cal.working_days(D(2024, 1, 1), D(2024, 12, 31))
        cal.is_working(D(2024, 7, 14))
    assert calls == [("FR", None, 2024)]
    calendar_module._public_holidays.cache_clear()
