"""The government's working days: Monday to Friday, minus national holidays and cuti bersama.

The one place that answers "is this a working day" — the RPD's revision windows (to the 10th working day
of February, April, July and October), and the reporting calendar's deadlines (programs/deadlines.py: the
5th working day after a month or a quarter) ask here. Never compute a working day elsewhere (no
`weekday() < 5` in a view or a report), and never read the Holiday table elsewhere to decide one.

The days off are data: the `Holiday` table (rows with `is_day_off`), which the ministry amends in the
admin. A year is filled from the `holidays` package's Indonesian calendar (categories "public": libur
nasional, and "government": cuti bersama, names in Indonesian), source "paket", the first time it is asked
and has no package row yet, or by `manage.py load_holidays --year`. The ministry's amendments win: a day it
added (source "kementerian") and a package day it marked as a working day (`is_day_off` False; any row saved
in the admin becomes the ministry's) are never overwritten or removed by a reload.

Caching: a year's days off are read once (one query) and kept in this process. A save or delete of a
Holiday in this process clears the cache at once and again on commit, so an admin edit is seen by the very
next request of this process. Other processes (the other web workers, the background worker) keep their
copy for at most `CACHE_SECONDS` (settings.WORKDAYS_CACHE_SECONDS, default 60): a short TTL rather than a
version stamp, because a stamp would cost a query on every question — and the deadlines loop asks
`is_working_day` hundreds of times per page — while holidays change a few times a year and a deadline is
days away, so a minute of staleness in another process changes nothing anybody sees.
"""

import datetime
import threading
import time

import holidays
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models.signals import post_delete, post_save

#: The package's categories and the kind of Holiday row each gives.
CATEGORIES = ("public", "government")
_KIND_OF_CATEGORY = {"public": "libur_nasional", "government": "cuti_bersama"}

_cache = {}  # year -> (monotonic time read, {date: name})
_lock = threading.Lock()
#: How many times the cache was cleared (the tests read the calendar again after a test that amended it).
generation = 0


def _ttl():
    return getattr(settings, "WORKDAYS_CACHE_SECONDS", 60)


def clear_cache(**kwargs):
    """Forget every year read (a Holiday was saved or deleted); also a signal receiver."""
    global generation
    with _lock:
        _cache.clear()
        generation += 1


def _forget(year):
    global generation
    with _lock:
        _cache.pop(year, None)
        generation += 1


def _clear_now_and_on_commit(sender=None, **kwargs):
    clear_cache()
    # Another request of this process may read the table before the change commits: forget again after.
    transaction.on_commit(clear_cache, using=kwargs.get("using"))


post_save.connect(_clear_now_and_on_commit, sender="programs.Holiday", dispatch_uid="workdays_holiday_saved")
post_delete.connect(
    _clear_now_and_on_commit, sender="programs.Holiday", dispatch_uid="workdays_holiday_deleted"
)


def package_days(year):
    """{date: (name, kind)} of the `holidays` package for a year: libur nasional, then cuti bersama."""
    days = {}
    for category in CATEGORIES:
        found = holidays.country_holidays("ID", years=year, categories=(category,), language="id")
        for day, name in found.items():
            days.setdefault(day, (name, _KIND_OF_CATEGORY[category]))
    return days


def load_year(year, *, refresh=False):
    """Fill a year's Holiday rows from the package; returns (created, updated, removed).

    Without `refresh`, only the package's days missing from the table are added. With `refresh` (the
    command's --refresh, after the package was upgraded), the package rows still days off also take the
    package's names, and those the package no longer lists are removed. The ministry's rows (source
    "kementerian") and the package days marked as working days are never touched.
    """
    from .models import Holiday, HolidaySource

    wanted = package_days(year)
    created = updated = removed = 0
    try:
        with transaction.atomic():
            existing = {
                h.date: h
                for h in Holiday.objects.using(DEFAULT_DB_ALIAS).select_for_update().filter(date__year=year)
            }
            new = [
                Holiday(date=day, name=name[:200], kind=kind, source=HolidaySource.PACKAGE)
                for day, (name, kind) in sorted(wanted.items())
                if day not in existing
            ]
            if new:
                _create_with_history(new)
                created = len(new)
            if refresh:
                for day, row in existing.items():
                    if row.source != HolidaySource.PACKAGE or not row.is_day_off:
                        continue  # the ministry's say
                    if day not in wanted:
                        row.delete()
                        removed += 1
                    elif (row.name, row.kind) != (wanted[day][0][:200], wanted[day][1]):
                        row.name, row.kind = wanted[day][0][:200], wanted[day][1]
                        row.save(update_fields=["name", "kind"])
                        updated += 1
    except IntegrityError:
        # Another process loaded the same year at the same moment: its rows are the same package's.
        return 0, 0, 0
    _forget(year)
    return created, updated, removed


def _create_with_history(rows):
    from simple_history.utils import bulk_create_with_history

    from .models import Holiday

    bulk_create_with_history(rows, Holiday, default_change_reason="paket holidays")


def _read(year):
    from .models import Holiday, HolidaySource

    # Always the primary: a report reading from a lagging replica must not cache a year without its days off.
    def stored():
        return list(
            Holiday.objects.using(DEFAULT_DB_ALIAS)
            .filter(date__year=year)
            .values_list("date", "name", "is_day_off", "source")
        )

    rows = stored()
    if not any(source == HolidaySource.PACKAGE for _day, _name, _off, source in rows):
        load_year(year)
        rows = stored()
    return {day: name for day, name, off, _source in rows if off}


def holidays_of(year):
    """{date: name} of the days off (national holidays and cuti bersama, as amended) of a year, cached."""
    now = time.monotonic()
    with _lock:
        cached = _cache.get(year)
    if cached is not None and now - cached[0] < _ttl():
        return cached[1]
    days = _read(year)
    with _lock:
        _cache[year] = (now, days)
    return days


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


def working_days_between(start, end):
    """The number of working days after `start` up to and including `end` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
