"""Reporting periods: presets, custom ranges and the prior-year window (SPEC §3, §4)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PRESETS = ("today", "mtd", "ytd", "last-month", "last-year")
#: The years a date may fall in (a typo such as 99999 is refused, not run).
FIRST_YEAR, LAST_YEAR = 1900, 2200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: How a notebook names its date parameters (the command line passes its own option names).
NOTEBOOK_NAMES = {"as_of": "as_of", "from": "date_from", "to": "date_to"}


class PeriodError(ValueError):
    """A period that cannot be built (bad name, malformed date, from after to)."""


def parse_date(value: str | dt.date, name: str = "date") -> dt.date:
    """An ISO `YYYY-MM-DD` date, or a PeriodError naming the parameter."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not _ISO_DATE.fullmatch(text):
        raise PeriodError(f"{name}: {_short(value)} is not a date of the form YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{name}: {text} is not a real date") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError(f"{name}: {text} is outside the years {FIRST_YEAR}–{LAST_YEAR} the workbook accepts")
    return day


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


@dataclass(frozen=True)
class Period:
    """Both days included. `as_of` is "today" for every figure; nothing after it counts."""

    start: dt.date
    end: dt.date
    as_of: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(f"the period starts ({self.start}) after it ends ({self.end})")

    @property
    def last(self) -> dt.date:
        """The last day whose data counts: the end, or as_of when the end is later."""
        return min(self.end, self.as_of)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def prior(self) -> "Period":
        """The same dates one year earlier (29 February → 28 February)."""
        return Period(one_year_earlier(self.start), one_year_earlier(self.end), one_year_earlier(self.as_of))

    def year_to_date(self) -> "Period":
        """1 January of the end's year to the end."""
        return Period(self.end.replace(month=1, day=1), self.end, self.as_of)

    def twelve_months(self) -> "Period":
        """The twelve calendar months ending with the end's month."""
        first = add_months(self.end.replace(day=1), -11)
        return Period(first, self.end, self.as_of)


def one_year_earlier(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first-of-month `months` away from a first of month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(first: dt.date) -> dt.date:
    return add_months(first, 1) - dt.timedelta(days=1)


def resolve(
    name: str | None = None,
    *,
    as_of: str | dt.date | None = None,
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    names: dict[str, str] | None = None,
) -> Period:
    """The period a run asks for: a preset name, or custom from/to dates (SPEC §4). Errors name the
    dates as `names` says (the command line's `--from`, a notebook's `date_from`)."""
    names = names or NOTEBOOK_NAMES
    today = parse_date(as_of, names["as_of"]) if as_of else dt.date.today()
    if date_from or date_to:
        if name:
            raise PeriodError("give either a period name or --from/--to, not both")
        if not (date_from and date_to):
            raise PeriodError("a custom period needs both --from and --to")
        return Period(parse_date(date_from, names["from"]), parse_date(date_to, names["to"]), today)
    name = (name or "mtd").lower()
    if name == "today":
        return Period(today, today, today)
    if name == "mtd":
        return Period(today.replace(day=1), today, today)
    if name == "ytd":
        return Period(today.replace(month=1, day=1), today, today)
    if name == "last-month":
        first = add_months(today.replace(day=1), -1)
        return Period(first, month_end(first), today)
    if name == "last-year":
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), today)
    raise PeriodError(f"unknown period {name!r}; choose one of {', '.join(PRESETS)} or --from/--to")
