"""The dealer's working-day calendar (SPEC §6.3): which dates are working days, and how many.

A working day is a date whose weekday is one of `calendar.working_days`, that is not listed in
`calendar.closed`, and that is not a public holiday of `calendar.country` when one is set.
Public holidays come from the maintained `holidays` package (never a hand-written list); its
holiday set is built once per country and year and cached.

`calendar.country` is an ISO 3166-1 code the `holidays` package knows (`GB`, `DE`, `USA`…, any
case), optionally with an ISO 3166-2 subdivision after a hyphen (`GB-ENG`, `US-CA`, `DE-BY`), for
dealers whose region has holidays of its own. Observed (substitute) holidays count as holidays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: The weekday names of `calendar.working_days`, Monday first (Python's `date.weekday()` order).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The default working week: Monday to Friday.
DEFAULT_WORKING_DAYS = WEEKDAYS[:5]
#: The keys of the `calendar:` settings block.
SETTINGS = ("working_days", "closed", "country")


class CalendarError(ValueError):
    """Calendar settings that cannot be used; the message names the setting and the bad value."""


@dataclass(frozen=True)
class Calendar:
    """Working weekdays (0 = Monday … 6 = Sunday), closed dates, and the public holidays' country.

    `country` is "" for no public holidays, else a code checked by `from_settings`
    (`GB`, or `GB-ENG` with a subdivision), kept upper case.
    """

    weekdays: frozenset[int] = frozenset(range(5))
    closed: frozenset[dt.date] = field(default_factory=frozenset)
    country: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "Calendar":
        """The calendar of a run's `calendar:` settings (params/default.yaml), checked.

        Missing keys take their defaults (Monday to Friday, nothing closed, no country).
        Raises CalendarError naming `calendar.<key>` and the bad value.
        """
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(SETTINGS))
        if unknown:
            raise CalendarError(f"unknown setting calendar.{unknown[0]} (known: {', '.join(SETTINGS)})")
        weekdays = _weekdays(settings.get("working_days", list(DEFAULT_WORKING_DAYS)))
        closed = _closed(settings.get("closed", []))
        country = _country(settings.get("country", ""))
        return cls(weekdays, closed, country)

    def is_working(self, day: dt.date) -> bool:
        """True when `day` is a working day: a working weekday, not closed, not a public holiday."""
        day = _as_date(day)
        return day.weekday() in self.weekdays and day not in self.closed and day not in self.holidays(day.year)

    def working_days(self, first: dt.date, last: dt.date) -> int:
        """The number of working days from `first` to `last`, both included (0 when last < first)."""
        first, last = _as_date(first), _as_date(last)
        if last < first:
            return 0
        span = (last - first).days + 1
        weeks, rest = divmod(span, 7)
        count = weeks * len(self.weekdays)
        count += sum(1 for i in range(rest) if (first.weekday() + i) % 7 in self.weekdays)
        off = {d for d in self.closed if first <= d <= last}
        for year in range(first.year, last.year + 1):
            off.update(d for d in self.holidays(year) if first <= d <= last)
        return count - sum(1 for d in off if d.weekday() in self.weekdays)

    def holidays(self, year: int) -> frozenset[dt.date]:
        """The public holidays of `country` in `year` (empty without a country); cached per year."""
        if not self.country:
            return frozenset()
        return _public_holidays(self.country, int(year))

    @property
    def working_day_names(self) -> tuple[str, ...]:
        """The working weekdays as their setting names, Monday first."""
        return tuple(WEEKDAYS[i] for i in sorted(self.weekdays))


# ---------------------------------------------------------------- the settings, checked


def _weekdays(value: Any) -> frozenset[int]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CalendarError(f"calendar.working_days must be a list of weekday names ({', '.join(WEEKDAYS)}), "
                            f"got {value!r}")
    days = set()
    for name in value:
        text = name.strip().lower() if isinstance(name, str) else None
        if text not in WEEKDAYS:
            raise CalendarError(f"calendar.working_days: {name!r} is not a weekday name "
                                f"(one of {', '.join(WEEKDAYS)})")
        days.add(WEEKDAYS.index(text))
    if not days:
        raise CalendarError("calendar.working_days is empty: name at least one working weekday")
    return frozenset(days)


def _closed(value: Any) -> frozenset[dt.date]:
    if value is None:
        return frozenset()
    if isinstance(value, (str, dt.date)) or not isinstance(value, Iterable):
        raise CalendarError(f"calendar.closed must be a list of dates (YYYY-MM-DD), got {value!r}")
    days = set()
    for item in value:
        if isinstance(item, dt.datetime):
            raise CalendarError(f"calendar.closed: {item!r} is a time, not a date (YYYY-MM-DD)")
        if isinstance(item, dt.date):  # YAML reads an unquoted 2024-12-24 as a date
            days.add(item)
            continue
        text = item.strip() if isinstance(item, str) else ""
        try:
            if len(text) != 10:
                raise ValueError
            days.add(dt.date.fromisoformat(text))
        except ValueError:
            raise CalendarError(f"calendar.closed: {item!r} is not a date of the form YYYY-MM-DD") from None
    return frozenset(days)


def _country(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):  # YAML reads an unquoted NO (Norway) as false
        raise CalendarError(f"calendar.country must be a country code in quotes (e.g. \"GB\"), got {value!r}")
    code = value.strip().upper()
    if not code:
        return ""
    country, _, subdivision = code.partition("-")
    try:
        _build(country, subdivision or None, 2000)
    except (NotImplementedError, ValueError, KeyError, AttributeError):
        where = f"country {country!r}" if not subdivision else f"country {country!r} with subdivision {subdivision!r}"
        raise CalendarError(f"calendar.country: {value!r} is not a code the holidays package knows ({where}); "
                            "use an ISO 3166 code such as \"GB\", \"DE\" or \"US-CA\", or \"\" for none") from None
    return code


def _as_date(day: dt.date) -> dt.date:
    if isinstance(day, dt.datetime):
        return day.date()
    if not isinstance(day, dt.date):  # e.g. a pandas Timestamp is a datetime; anything else is a mistake
        raise TypeError(f"a date is needed, got {day!r}")
    return day


def _build(country: str, subdivision: str | None, year: int):
    import holidays  # imported on first use: most runs never need it

    return holidays.country_holidays(country, subdiv=subdivision, years=year)


@lru_cache(maxsize=None)
def _public_holidays(code: str, year: int) -> frozenset[dt.date]:
    country, _, subdivision = code.partition("-")
    return frozenset(_build(country, subdivision or None, year).keys())
