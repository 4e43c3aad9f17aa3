"""Periods: presets, custom ranges and the prior-year window."""

import datetime as dt

import pytest

from aftersales.reports.periods import Period, PeriodError, resolve

D = dt.date


@pytest.mark.parametrize("name,start,end", [
    ("today", D(2024, 3, 15), D(2024, 3, 15)),
    ("mtd", D(2024, 3, 1), D(2024, 3, 15)),
    ("ytd", D(2024, 1, 1), D(2024, 3, 15)),
    ("last-month", D(2024, 2, 1), D(2024, 2, 29)),
    ("last-year", D(2023, 1, 1), D(2023, 12, 31)),
])
def test_presets(name, start, end):
    """Each preset period is counted from as-of."""
    p = resolve(name, as_of=D(2024, 3, 15))
    assert (p.start, p.end, p.as_of) == (start, end, D(2024, 3, 15))


def test_default_is_month_to_date():
    """Without a period name the run covers the 1st of the month to as-of."""
    assert resolve(None, as_of=D(2024, 1, 1)) == Period(D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 1))


def test_prior_maps_29_february_to_28():
    """The prior-year window of a period ending on 29 February ends on 28 February."""
    prior = Period(D(2024, 2, 1), D(2024, 2, 29), D(2024, 2, 29)).prior()
    assert (prior.start, prior.end) == (D(2023, 2, 1), D(2023, 2, 28))


def test_custom_to_after_as_of_counts_up_to_as_of():
    """Data after as-of never counts, even inside a custom period."""
    p = resolve(None, as_of="2024-03-10", date_from="2024-03-01", date_to="2024-03-31")
    assert p.last == D(2024, 3, 10)


@pytest.mark.parametrize("kwargs", [
    dict(date_from="2024-03-05", date_to="2024-03-01"),
    dict(date_from="2024-03-01"),
    dict(date_from="03/01/2024", date_to="2024-03-02"),
    dict(name="quarter"),
])
def test_bad_periods(kwargs):
    """A malformed, half-given or reversed period is refused with a message."""
    name = kwargs.pop("name", None)
    with pytest.raises(PeriodError):
        resolve(name, as_of="2024-03-15", **kwargs)
