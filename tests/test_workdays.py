"""The government's working days (programs/workdays.py): Monday–Friday minus national holidays and cuti
bersama, with the reporting calendar's example from DOMAIN.md."""

import datetime

import pytest

from programs import workdays

D = datetime.date


def test_the_days_after_idul_fitri_2025_are_not_working_days():
    # DOMAIN.md: after 31 March 2025 (Idul Fitri), 1 April (holiday), 2, 3, 4 and 7 April (cuti bersama).
    for day in (D(2025, 3, 31), D(2025, 4, 1), D(2025, 4, 2), D(2025, 4, 3), D(2025, 4, 4), D(2025, 4, 7)):
        assert not workdays.is_working_day(day), day
    assert workdays.is_working_day(D(2025, 4, 8))
    assert workdays.add_working_days(D(2025, 3, 31), 1) == D(2025, 4, 8)


def test_weekends_are_never_working_days_and_ordinary_weekdays_are():
    assert not workdays.is_working_day(D(2025, 4, 12))  # Saturday
    assert not workdays.is_working_day(D(2025, 4, 13))  # Sunday
    assert workdays.is_working_day(D(2025, 4, 14))  # Monday
    assert not workdays.is_working_day(D(2025, 8, 18))  # cuti bersama after Independence Day
    assert workdays.holiday_name(D(2025, 8, 17))


def test_nth_working_day_counts_from_the_first_of_the_month():
    # April 2025: 8, 9, 10, 11, 14, 15, 16, 17 (18 is Good Friday), 21, 22.
    assert workdays.nth_working_day(2025, 4, 1) == D(2025, 4, 8)
    assert workdays.nth_working_day(2025, 4, 10) == D(2025, 4, 22)
    # February 2025 starts on a Saturday and has no holiday in its first two weeks.
    assert workdays.nth_working_day(2025, 2, 10) == D(2025, 2, 14)
    with pytest.raises(ValueError):
        workdays.nth_working_day(2025, 2, 25)


def test_nth_working_day_equals_a_plain_count_of_the_calendar():
    holidays = workdays.holidays_of(2020)
    for month in (2, 4, 7, 10):
        day, count = D(2020, month, 1), 0
        while True:
            if day.weekday() < 5 and day not in holidays:
                count += 1
                if count == 10:
                    break
            day += datetime.timedelta(days=1)
        assert workdays.nth_working_day(2020, month, 10) == day


def test_adding_working_days_forwards_and_backwards():
    assert workdays.add_working_days(D(2025, 4, 8), 0) == D(2025, 4, 8)
    assert workdays.add_working_days(D(2025, 4, 8), -1) == D(2025, 3, 27)  # 28 and 31 March are holidays
    # The 5th working day after the first quarter of 2025 (the quarterly report's deadline).
    assert workdays.add_working_days(D(2025, 3, 31), 5) == D(2025, 4, 14)


def test_the_holidays_of_a_year_are_read_once():
    workdays.holidays_of.cache_clear()
    workdays.is_working_day(D(2024, 5, 1))
    workdays.is_working_day(D(2024, 12, 25))
    assert workdays.holidays_of.cache_info().misses == 1
