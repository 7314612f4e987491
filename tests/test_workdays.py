"""The government's working days (programs/workdays.py): Monday–Friday minus national holidays and cuti
bersama, with the reporting calendar's example from DOMAIN.md; the days off are data (the Holiday table),
loaded from the `holidays` package and amended by the ministry."""

import datetime

import pytest
from django.core.management import call_command

from programs import workdays
from programs.models import Holiday, HolidayKind, HolidaySource

D = datetime.date

pytestmark = pytest.mark.django_db


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


def test_the_holidays_of_a_year_are_read_once(django_assert_num_queries):
    workdays.clear_cache()
    with django_assert_num_queries(1):  # the year's rows, loaded already
        workdays.is_working_day(D(2024, 5, 1))
        workdays.is_working_day(D(2024, 12, 25))
        workdays.add_working_days(D(2024, 12, 20), 3)


def _forget_year(year):
    Holiday.objects.filter(date__year=year).delete()
    workdays.clear_cache()


def test_a_year_without_rows_is_loaded_from_the_package_the_first_time_it_is_asked():
    _forget_year(2025)
    assert not workdays.is_working_day(D(2025, 4, 3))
    rows = {h.date: h for h in Holiday.objects.filter(date__year=2025)}
    # The package's Indonesian calendar: 17 libur nasional and 11 cuti bersama in 2025.
    assert len(rows) == 28
    assert {h.source for h in rows.values()} == {HolidaySource.PACKAGE}
    assert rows[D(2025, 3, 31)].kind == HolidayKind.NATIONAL
    assert rows[D(2025, 4, 3)].kind == HolidayKind.JOINT_LEAVE
    assert rows[D(2025, 4, 3)].name == "Cuti Bersama Hari Raya Idul Fitri"
    assert rows[D(2025, 4, 3)].history.count() == 1


def test_a_year_with_only_ministry_rows_still_gets_the_package_days():
    _forget_year(2025)
    Holiday.objects.create(
        date=D(2025, 4, 14),
        name="Libur tambahan",
        kind=HolidayKind.JOINT_LEAVE,
        source=HolidaySource.MINISTRY,
    )
    assert not workdays.is_working_day(D(2025, 4, 14))
    assert not workdays.is_working_day(D(2025, 4, 1))
    assert Holiday.objects.filter(date__year=2025).count() == 29


def test_an_amendment_saved_in_this_process_is_seen_at_once():
    assert workdays.is_working_day(D(2025, 4, 14))
    Holiday.objects.create(
        date=D(2025, 4, 14),
        name="Libur tambahan",
        kind=HolidayKind.JOINT_LEAVE,
        source=HolidaySource.MINISTRY,
    )
    assert not workdays.is_working_day(D(2025, 4, 14))
    row = Holiday.objects.get(date=D(2025, 4, 7))
    row.is_day_off = False
    row.save()
    assert workdays.is_working_day(D(2025, 4, 7))
    Holiday.objects.get(date=D(2025, 4, 14)).delete()
    assert workdays.is_working_day(D(2025, 4, 14))


def test_another_processs_change_is_seen_once_the_cache_expires(settings):
    # A change made by another process sends no signal here: an UPDATE stands in for it.
    assert not workdays.is_working_day(D(2025, 4, 7))
    Holiday.objects.filter(date=D(2025, 4, 7)).update(is_day_off=False)
    assert not workdays.is_working_day(D(2025, 4, 7))  # still the copy read before, within its TTL
    settings.WORKDAYS_CACHE_SECONDS = 0
    assert workdays.is_working_day(D(2025, 4, 7))


def test_a_reload_keeps_the_ministrys_amendments_and_takes_the_packages_corrections():
    Holiday.objects.filter(date=D(2025, 4, 7)).update(is_day_off=False)  # a package day kept as working
    Holiday.objects.filter(date=D(2025, 4, 2)).update(is_day_off=False, source=HolidaySource.MINISTRY)
    Holiday.objects.create(
        date=D(2025, 4, 14),
        name="Libur tambahan",
        kind=HolidayKind.JOINT_LEAVE,
        source=HolidaySource.MINISTRY,
    )
    Holiday.objects.filter(date=D(2025, 8, 17)).update(name="salah ketik")  # a package row, still a day off
    Holiday.objects.filter(date=D(2025, 12, 25)).delete()
    Holiday.objects.create(
        date=D(2025, 12, 24), name="tidak ada lagi", kind=HolidayKind.NATIONAL, source="paket"
    )

    assert workdays.load_year(2025) == (1, 0, 0)  # only the missing package day comes back
    assert Holiday.objects.get(date=D(2025, 8, 17)).name == "salah ketik"
    assert workdays.load_year(2025, refresh=True) == (0, 1, 1)

    rows = {h.date: h for h in Holiday.objects.filter(date__year=2025)}
    assert rows[D(2025, 8, 17)].name == "Hari Kemerdekaan Republik Indonesia"
    assert D(2025, 12, 24) not in rows and rows[D(2025, 12, 25)].is_day_off
    assert not rows[D(2025, 4, 7)].is_day_off and not rows[D(2025, 4, 2)].is_day_off
    assert rows[D(2025, 4, 14)].source == HolidaySource.MINISTRY and rows[D(2025, 4, 14)].is_day_off
    assert workdays.is_working_day(D(2025, 4, 7)) and not workdays.is_working_day(D(2025, 4, 14))


def test_the_command_loads_the_years_asked(capsys):
    _forget_year(2026)
    call_command("load_holidays", "--year", "2026")
    assert "2026:" in capsys.readouterr().out
    assert Holiday.objects.filter(date__year=2026, source=HolidaySource.PACKAGE).count() == len(
        workdays.package_days(2026)
    )
    call_command("load_holidays", "--year", "2026")
    assert "2026: 0 ditambahkan" in capsys.readouterr().out


def test_the_admins_reload_action_takes_the_package_and_keeps_the_ministrys_days(admin_client):
    from django.urls import reverse

    Holiday.objects.filter(date=D(2025, 8, 17)).update(name="salah ketik")
    Holiday.objects.filter(date=D(2025, 4, 7)).update(is_day_off=False, source=HolidaySource.MINISTRY)
    selected = Holiday.objects.get(date=D(2025, 8, 17))
    response = admin_client.post(
        reverse("admin:programs_holiday_changelist"),
        {"action": "reload_from_package", "_selected_action": [selected.pk]},
        follow=True,
    )
    assert "Tahun 2025: 0 ditambahkan, 1 diperbarui, 0 dihapus" in response.content.decode()
    assert Holiday.objects.get(date=D(2025, 8, 17)).name == "Hari Kemerdekaan Republik Indonesia"
    assert not Holiday.objects.get(date=D(2025, 4, 7)).is_day_off
