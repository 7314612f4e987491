"""The government's working days: Monday to Friday, minus national holidays and cuti bersama.

The one place that answers "is this a working day" — the RPD's revision windows (to the 10th working day
of February, April, July and October), and the reporting calendar's deadlines (the 5th working day after a
month or a quarter) ask here. The holidays and joint leave days (cuti bersama, set each year by a joint
ministerial decree) come from the `holidays` package's Indonesian calendar, categories "public" and
"government". When the ministry amends them (issue 16: holiday data in the admin), the change goes into
`holidays_of` here and nowhere else; every caller keeps asking `is_working_day`.

Never compute a working day elsewhere (no `weekday() < 5` in a view or a report).
"""

import datetime
import functools

import holidays

CATEGORIES = ("public", "government")


@functools.cache
def holidays_of(year):
    """{date: name} of the national holidays and cuti bersama of a year (names in Indonesian), cached."""
    return dict(holidays.country_holidays("ID", years=year, categories=CATEGORIES, language="id"))


def holiday_name(day):
    """The name of the holiday or joint leave day, or None."""
    return holidays_of(day.year).get(day)


def is_working_day(day):
    """Monday–Friday and neither a national holiday nor cuti bersama."""
    return day.weekday() < 5 and day not in holidays_of(day.year)


def nth_working_day(year, month, n):
    """The n-th working day (n ≥ 1) of a month, e.g. the 10th working day of April 2025: 22 April 2025."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day = datetime.date(year, month, 1)
    count = 0
    while True:
        if is_working_day(day):
            count += 1
            if count == n:
                return day
        day += datetime.timedelta(days=1)
        if day.month != month:
            raise ValueError(f"{year}-{month:02d} has fewer than {n} working days")


def add_working_days(day, n):
    """The date n working days after `day` (n > 0), or before it (n < 0); `day` itself for n = 0.

    `day` need not be a working day: add_working_days(31 March 2025, 1) is 8 April 2025.
    """
    step = datetime.timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day
