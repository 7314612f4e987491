"""The reporting calendar (programs/deadlines.py, /kalender/): due dates on the government's working days,
each province's state per period, the board and its JSON, the homes' due dates, the reminders.

Due dates are counted by hand from the 2025 and 2026 decrees (SKB cuti bersama) as the `holidays` package
carries them, then asserted as literal dates."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs import deadlines
from programs.models import (
    Allocation,
    Holiday,
    HolidaySource,
    Notification,
    NotificationKind,
    PackageKind,
    ReportPackage,
    ReviewEvent,
    ReviewStatus,
)
from programs.workflow import ReviewAction
from provinces.models import Province
from tests.factories import PROVINCE_A, PROVINCE_B, make_allocation

D = datetime.date
WIB = ZoneInfo("Asia/Jakarta")
URL = "/kalender/"
MONTHLY, QUARTERLY = PackageKind.MONTHLY, PackageKind.QUARTERLY

pytestmark = pytest.mark.django_db


def wib(*args):
    return datetime.datetime(*args, tzinfo=WIB)


def make_package(allocation, kind, period, *, status, by, prepared=(), approved=None, verified=None):
    """A package as the workflow leaves it: one PREPARE event per handing-over, the last one stamped."""
    package = ReportPackage.objects.create(
        allocation=allocation,
        kind=kind,
        period=period,
        review_status=status,
        submitted_at=prepared[-1] if prepared else None,
        submitted_by=by if prepared else None,
        approved_at=approved,
        approved_by=by if approved else None,
        reviewed_at=verified,
    )
    for at in prepared:
        ReviewEvent.objects.create(
            content_type=ContentType.objects.get_for_model(ReportPackage),
            object_id=package.pk,
            province_id=allocation.province_id,
            year=allocation.year,
            action=ReviewAction.PREPARE,
            from_status=ReviewStatus.DRAFT,
            to_status=ReviewStatus.PREPARED,
            actor=by,
            at=at,
        )
    return package


# --- Due dates -----------------------------------------------------------------------------------------


def test_the_first_quarter_of_2025_is_due_after_idul_fitri_and_its_cuti_bersama():
    # 31 March 2025 Idul Fitri; 1 April its second day; 2, 3, 4 and 7 April cuti bersama; 5–6 the weekend.
    # Working days after the quarter: 8 (1), 9 (2), 10 (3), 11 (4), 14 April (5).
    assert deadlines.due_date(2025, QUARTERLY, 1) == D(2025, 4, 14)
    # March's monthly figures: the 5th working day of April, the same day.
    assert deadlines.due_date(2025, MONTHLY, 3) == D(2025, 4, 14)


def test_monthly_due_dates_are_the_fifth_working_day_of_the_next_month():
    # June 2025: 2, 3, 4, 5 (1–4), 6 June Idul Adha, 9 June cuti bersama, 10 June (5).
    assert deadlines.due_date(2025, MONTHLY, 5) == D(2025, 6, 10)
    # February 2025: 3–7 February, no holiday.
    assert deadlines.due_date(2025, MONTHLY, 1) == D(2025, 2, 7)
    # December's figures are due in January of the next year: 1 January 2026 a holiday, 2 (1), 5–8 (2–5).
    assert deadlines.due_date(2025, MONTHLY, 12) == D(2026, 1, 8)
    assert deadlines.due_date(2025, QUARTERLY, 4) == D(2026, 1, 8)
    # The second quarter: 1–4 and 7 July 2025.
    assert deadlines.due_date(2025, QUARTERLY, 2) == D(2025, 7, 7)


def _q1_due_in_json(client):
    rows = client.get(URL, {"tahun": 2025, "format": "json"}).json()["rows"]
    return next(r["due"] for r in rows if r["kind"] == "quarterly" and r["period"] == 1)


def test_an_amendment_in_the_admin_moves_the_due_date(admin_client, pusat_client):
    make_allocation(PROVINCE_A, year=2025)
    assert _q1_due_in_json(pusat_client) == "2025-04-14"

    # A day off the package does not know (a decree added it): the 5th working day moves to 15 April.
    response = admin_client.post(
        reverse("admin:programs_holiday_add"),
        {
            "date": "14/04/2025",
            "name": "Libur tambahan",
            "kind": "cuti_bersama",
            "is_day_off": "on",
            "note": "SKB",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Holiday.objects.get(date=D(2025, 4, 14))
    assert added.source == HolidaySource.MINISTRY and added.history.first().history_user.username == "admin"
    assert deadlines.due_date(2025, QUARTERLY, 1) == D(2025, 4, 15)
    assert _q1_due_in_json(pusat_client) == "2025-04-15"

    # A package day kept as a working day after all (7 April): 7, 8, 9, 10, 11 April.
    seventh = Holiday.objects.get(date=D(2025, 4, 7))
    assert seventh.source == HolidaySource.PACKAGE
    response = admin_client.post(
        reverse("admin:programs_holiday_change", args=[seventh.pk]),
        {"date": "07/04/2025", "name": seventh.name, "kind": seventh.kind, "note": "dibatalkan"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    seventh.refresh_from_db()
    assert not seventh.is_day_off and seventh.source == HolidaySource.MINISTRY
    assert _q1_due_in_json(pusat_client) == "2025-04-11"


def test_the_admin_lists_holidays_by_year_and_keeps_package_days_undeletable(admin_client):
    url = reverse("admin:programs_holiday_changelist")
    page = admin_client.get(url, {"tahun": "2025", "kind__exact": "cuti_bersama"}).content.decode()
    assert "Cuti Bersama Hari Raya Idul Fitri" in page and "Tahun Baru Masehi" not in page
    assert admin_client.get(url, {"q": "Nyepi", "tahun": "2025"}).status_code == 200
    day = Holiday.objects.get(date=D(2025, 4, 7))
    assert admin_client.get(reverse("admin:programs_holiday_delete", args=[day.pk])).status_code == 403


# --- States ------------------------------------------------------------------------------------------


@pytest.fixture
def year_2025(operator, kadis, pusat):
    """Province A's 2025: January handed over on its due date, late at night (WIB); February an hour
    after midnight WIB following its due date (still the due date in UTC); March nothing; Q1 handed over on
    time, returned by the Kepala Dinas and handed over again after the due date; April verified."""
    allocation = make_allocation(PROVINCE_A, year=2025)
    make_package(
        allocation, MONTHLY, 1, status=ReviewStatus.SUBMITTED, by=operator,
        prepared=[wib(2025, 2, 7, 23, 0)], approved=wib(2025, 2, 10, 9, 0),
    )  # fmt: skip
    make_package(
        allocation, MONTHLY, 2, status=ReviewStatus.PREPARED, by=operator, prepared=[wib(2025, 3, 8, 1, 0)]
    )
    make_package(
        allocation, QUARTERLY, 1, status=ReviewStatus.PREPARED, by=operator,
        prepared=[wib(2025, 4, 11, 10, 0), wib(2025, 4, 22, 10, 0)],
    )  # fmt: skip
    make_package(
        allocation, MONTHLY, 4, status=ReviewStatus.VERIFIED, by=operator,
        prepared=[wib(2025, 5, 2, 8, 0)], approved=wib(2025, 5, 5, 8, 0), verified=wib(2025, 5, 20, 16, 0),
    )  # fmt: skip
    make_package(
        allocation, MONTHLY, 5, status=ReviewStatus.RETURNED, by=operator, prepared=[wib(2025, 6, 11, 9)]
    )
    return allocation


def _by_period(rows):
    return {(r["kind"], r["period"]): r for r in rows}


def test_each_period_has_its_state(year_2025, pusat):
    rows = _by_period(deadlines.rows(2025, user=pusat, today=D(2025, 6, 10)))
    assert len(rows) == 16
    assert rows["monthly", 1]["state"] == "on_time"  # 7 Feb 23:00 WIB, on the due date
    assert rows["monthly", 1]["submitted_on"] == D(2025, 2, 7)
    assert rows["monthly", 1]["approved_on"] == D(2025, 2, 10)
    assert rows["monthly", 2]["state"] == "late"  # 8 March 01:00 WIB is 7 March in UTC: late all the same
    assert rows["monthly", 2]["submitted_on"] == D(2025, 3, 8)
    assert rows["monthly", 3]["state"] == "missing"  # due 14 April, nothing
    assert rows["monthly", 3]["submitted_on"] is None
    assert rows["monthly", 4]["verified_on"] == D(2025, 5, 20)
    assert rows["monthly", 4]["state"] == "on_time"  # due 8 May (1 May Labour Day)
    # May: due 10 June, today: still open although nothing is in.
    assert rows["monthly", 6]["state"] == "open"
    # Handed over late and returned: late, and returned.
    assert (rows["monthly", 5]["state"], rows["monthly", 5]["returned"]) == ("late", True)
    # The first handing-over counts: on 11 April, before the due date of 14 April.
    assert rows["quarterly", 1]["state"] == "on_time" and rows["quarterly", 1]["submitted_on"] == D(
        2025, 4, 11
    )
    assert not rows["quarterly", 1]["returned"]
    assert rows["quarterly", 2]["state"] == "open"


def test_nothing_submitted_is_open_on_the_due_date_and_missing_the_day_after(pusat):
    make_allocation(PROVINCE_A, year=2025)
    assert (
        _by_period(deadlines.rows(2025, user=pusat, today=D(2025, 4, 14)))["quarterly", 1]["state"] == "open"
    )
    assert (
        _by_period(deadlines.rows(2025, user=pusat, today=D(2025, 4, 15)))["quarterly", 1]["state"]
        == "missing"
    )


# --- The JSON and its scope -------------------------------------------------------------------------


def test_the_json_has_the_issues_shape(year_2025, pusat_client):
    response = pusat_client.get(URL, {"tahun": "2025", "format": "json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"year", "rows"} and data["year"] == 2025
    assert len(data["rows"]) == 16
    assert {tuple(sorted(r)) for r in data["rows"]} == {
        tuple(
            sorted(
                [
                    "province_code", "kind", "period", "due", "submitted_on", "approved_on", "verified_on",
                    "state", "returned",
                ]
            )
        )
    }  # fmt: skip
    january = next(r for r in data["rows"] if r["kind"] == "monthly" and r["period"] == 1)
    assert january == {
        "province_code": "51",
        "kind": "monthly",
        "period": 1,
        "due": "2025-02-07",
        "submitted_on": "2025-02-07",
        "approved_on": "2025-02-10",
        "verified_on": None,
        "state": "on_time",
        "returned": False,
    }
    assert {r["kind"] for r in data["rows"]} == {"monthly", "quarterly"}
    assert {r["state"] for r in data["rows"]} <= {"on_time", "late", "missing", "open"}


def test_the_kind_filter_keeps_one_kind(year_2025, pusat_client):
    rows = pusat_client.get(URL, {"tahun": "2025", "jenis": "triwulanan", "format": "json"}).json()["rows"]
    assert [(r["kind"], r["period"]) for r in rows] == [("quarterly", q) for q in (1, 2, 3, 4)]


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("operator", {PROVINCE_A}),
        ("operator_b", {PROVINCE_B}),
        ("kadis", {PROVINCE_A}),
        ("regency_operator", {PROVINCE_B}),
        ("viewer_a", {PROVINCE_A}),
        ("viewer", {PROVINCE_A, PROVINCE_B}),
        ("pusat", {PROVINCE_A, PROVINCE_B}),
    ],
)
def test_each_user_sees_the_provinces_of_their_scope(request, who, codes, client):
    make_allocation(PROVINCE_A, year=2025)
    make_allocation(PROVINCE_B, year=2025)
    client.force_login(request.getfixturevalue(who))
    rows = client.get(URL, {"tahun": "2025", "format": "json"}).json()["rows"]
    assert {r["province_code"] for r in rows} == codes
    assert len(rows) == 16 * len(codes)


def test_a_user_who_reads_nothing_is_refused(client, operator_nowhere, user):
    make_allocation(PROVINCE_A, year=2025)
    for who in (operator_nowhere, user):
        client.force_login(who)
        assert client.get(URL, {"tahun": "2025", "format": "json"}).status_code == 403


@pytest.mark.parametrize("year", ["abc", "20x5", "１２３４", "1999", "-2025", "2025.0"])
def test_a_year_that_is_not_one_answers_400_in_indonesian(pusat_client, year):
    page = pusat_client.get(URL, {"tahun": year})
    assert page.status_code == 400
    assert "Tahun harus berupa angka" in page.content.decode()
    data = pusat_client.get(URL, {"tahun": year, "format": "json"})
    assert data.status_code == 400 and "Tahun harus berupa angka" in data.json()["error"]


def test_an_unknown_kind_answers_400(pusat_client):
    assert pusat_client.get(URL, {"jenis": "mingguan"}).status_code == 400


def _provinces_with_packages(codes, by):
    for code in codes:
        allocation = make_allocation(code, year=2025)
        make_package(
            allocation, MONTHLY, 1, status=ReviewStatus.PREPARED, by=by, prepared=[wib(2025, 2, 3, 9)]
        )
        make_package(
            allocation, QUARTERLY, 1, status=ReviewStatus.RETURNED, by=by, prepared=[wib(2025, 4, 9, 9)]
        )


@pytest.mark.parametrize("fmt", ["json", ""])
def test_the_board_runs_the_same_queries_for_two_or_six_provinces(pusat, pusat_client, operator, fmt):
    _provinces_with_packages(["51", "63"], operator)
    pusat_client.get(URL, {"tahun": "2025", "format": fmt})  # the session, once
    with CaptureQueriesContext(connection) as two:
        assert pusat_client.get(URL, {"tahun": "2025", "format": fmt}).status_code == 200
    _provinces_with_packages(["11", "12", "31", "94"], operator)
    with CaptureQueriesContext(connection) as six:
        response = pusat_client.get(URL, {"tahun": "2025", "format": fmt})
    assert len(six) == len(two)
    if fmt == "json":
        assert len(response.json()["rows"]) == 6 * 16


def test_the_board_stays_within_a_fixed_number_of_queries(
    pusat_client, operator, django_assert_max_num_queries
):
    _provinces_with_packages(["11", "12", "31", "51", "63", "94"], operator)
    pusat_client.get(URL)
    # session, user, OTP device, groups (4); allocations, packages, the years, the RPD windows (4); the
    # bell's unread count (1)
    with django_assert_max_num_queries(9):
        pusat_client.get(URL, {"tahun": "2025"})


# --- The pages ----------------------------------------------------------------------------------------


def test_the_ministry_sees_a_grid_with_a_letter_in_every_cell(year_2025, pusat_client):
    make_allocation(PROVINCE_B, year=2025)
    page = pusat_client.get(URL, {"tahun": "2025"}).content.decode()
    assert 'id="calendar-grid"' in page and 'class="calendar-box' in page
    assert "Bali" in page and "Kalimantan Selatan" in page
    cell = page.split('id="cell-51-monthly-1"')[1].split("</td>")[0]
    assert ">T</span>" in cell and "text-bg-success" in cell and "Tepat waktu" in cell
    cell = page.split('id="cell-51-monthly-5"')[1].split("</td>")[0]
    assert (
        ">K</span>" in cell and "Dikembalikan" in cell and "Terlambat" in cell
    )  # returned, handed over late
    # Every cell has its letter: 16 per province.
    assert page.count('id="cell-63-') == 16
    assert 'id="calendar-legend"' in page and "Jendela revisi RPD" in page


def test_a_province_sees_its_own_due_dates_listed(year_2025, operator_client):
    make_allocation(PROVINCE_B, year=2025)
    page = operator_client.get(URL, {"tahun": "2025"}).content.decode()
    assert 'id="calendar-list"' in page and 'id="calendar-grid"' not in page
    assert "Kalimantan Selatan" not in page
    row = page.split('id="row-quarterly-1-51"')[1].split("</tr>")[0]
    assert "14/04/2025" in row and "11/04/2025" in row and "Tepat waktu" in row


def test_the_navbar_links_the_board_for_ministry_staff_only(pusat_client, operator_client):
    assert f'href="{URL}"' in pusat_client.get("/").content.decode()
    assert f'href="{URL}"' not in operator_client.get("/").content.decode()


def test_the_operators_home_shows_the_next_due_dates_and_the_missing_ones(operator, operator_client):
    allocation = make_allocation(PROVINCE_A, year=timezone.localdate().year)
    today = timezone.localdate()
    page = operator_client.get("/").content.decode()
    assert 'id="reports-due"' in page
    schedule = sorted(
        (due, kind, period) for kind, period, due in deadlines.periods(allocation.year) if due >= today
    )
    upcoming = page.split('id="due-upcoming"')[1].split("</ul>")[0] if schedule else ""
    for due, kind, period in schedule[:3]:
        assert deadlines.period_label(kind, period, allocation.year) in upcoming
        assert due.strftime("%d/%m/%Y") in upcoming
    missed = [(kind, period) for kind, period, due in deadlines.periods(allocation.year) if due < today]
    if missed:
        attention = page.split('id="due-attention"')[1].split("</ul>")[0]
        assert attention.count("<li>") == len(missed)


def test_the_kepala_dinas_home_counts_what_awaits_approval(kadis_client, operator, operator_b):
    year = timezone.localdate().year
    own = make_allocation(PROVINCE_A, year=year)
    other = make_allocation(PROVINCE_B, year=year)
    now = timezone.now()
    make_package(own, MONTHLY, 1, status=ReviewStatus.PREPARED, by=operator, prepared=[now])
    make_package(own, MONTHLY, 2, status=ReviewStatus.PREPARED, by=operator, prepared=[now])
    make_package(own, MONTHLY, 3, status=ReviewStatus.SUBMITTED, by=operator, prepared=[now], approved=now)
    make_package(other, MONTHLY, 1, status=ReviewStatus.PREPARED, by=operator_b, prepared=[now])
    page = kadis_client.get("/").content.decode()
    assert 'id="awaiting-approval"' in page and 'id="reports-due"' in page
    assert page.split('id="awaiting-approval-count">')[1].startswith("2<")


def test_ministry_staff_have_no_province_due_dates_on_their_home(pusat_client):
    make_allocation(PROVINCE_A, year=timezone.localdate().year)
    page = pusat_client.get("/").content.decode()
    assert 'id="reports-due"' not in page and 'id="awaiting-approval"' not in page


# --- Reminders ------------------------------------------------------------------------------------------


@pytest.fixture
def bali_2025(operator, colleague, kadis, operator_b):
    """Bali (two operators, a Kepala Dinas) and Kalimantan Selatan (one operator) in 2025, nothing handed
    over yet."""
    make_allocation(PROVINCE_B, year=2025)
    return make_allocation(PROVINCE_A, year=2025)


def _notices():
    return sorted(Notification.objects.values_list("recipient__username", "kind", "key"))


def test_reminders_go_to_the_operators_three_working_days_before_and_once(bali_2025, operator_b):
    kalsel = Allocation.objects.get(province__code=PROVINCE_B, year=2025)
    make_package(kalsel, MONTHLY, 3, status=ReviewStatus.PREPARED, by=operator_b, prepared=[wib(2025, 4, 8)])
    # 8 April 2025: 3 working days ahead is 11 April, before the due date of 14 April: nothing yet.
    assert deadlines.send_reminders(D(2025, 4, 8)) == []
    # 9 April: 10, 11, 14 April: March's figures and the first quarter are due within 3 working days;
    # Kalimantan Selatan handed March over already.
    deadlines.send_reminders(D(2025, 4, 9))
    expected = sorted(
        [
            ("op-51", "pengingat", "reminder:bulanan:2025:3:51"),
            ("op-51", "pengingat", "reminder:triwulanan:2025:1:51"),
            ("op-51b", "pengingat", "reminder:bulanan:2025:3:51"),
            ("op-51b", "pengingat", "reminder:triwulanan:2025:1:51"),
            ("op-63", "pengingat", "reminder:triwulanan:2025:1:63"),
        ]
    )
    assert _notices() == expected
    notice = Notification.objects.filter(
        recipient__username="op-51", key="reminder:triwulanan:2025:1:51"
    ).get()
    assert "14 April 2025" in notice.subject and "triwulan I 2025" in notice.subject
    assert notice.email_status == "antre"
    # Run again (the next day too): nothing is written twice.
    deadlines.send_reminders(D(2025, 4, 9))
    deadlines.send_reminders(D(2025, 4, 10))
    assert _notices() == expected


def test_a_missed_due_date_tells_the_operators_and_the_kepala_dinas_the_next_working_day(bali_2025):
    assert deadlines.send_reminders(D(2025, 4, 12)) == []  # a Saturday: nobody is told
    deadlines.send_reminders(D(2025, 4, 15))
    missed = [n for n in _notices() if n[1] == NotificationKind.MISSED and n[2].endswith(":51")]
    assert missed == sorted(
        (user, "terlambat", key)
        for user in ("kadis-51", "op-51", "op-51b")
        for key in ("missed:bulanan:2025:3:51", "missed:triwulanan:2025:1:51")
    )
    count = Notification.objects.count()
    deadlines.send_reminders(D(2025, 4, 15))
    assert Notification.objects.count() == count
    # Long after the due date no new "missed" notice is written for it.
    Notification.objects.all().delete()
    deadlines.send_reminders(D(2025, 6, 2))
    assert not Notification.objects.filter(key__startswith="missed:bulanan:2025:3:").exists()


def test_no_reminder_for_a_closed_period_or_year_unless_the_province_is_excepted(bali_2025, pusat, operator):
    from programs import closing, services

    closure = closing.close_period(year=2025, kind="bulanan", period=3, actor=pusat)
    closing.grant_exception(
        closure=closure,
        province=Province.objects.get(code=PROVINCE_B),
        until=D(2025, 4, 30),
        actor=pusat,
        note="",
        today=D(2025, 4, 1),
    )
    deadlines.send_reminders(D(2025, 4, 9))
    keys = {key for _user, _kind, key in _notices()}
    assert "reminder:bulanan:2025:3:51" not in keys  # March closed for Bali
    assert "reminder:bulanan:2025:3:63" in keys  # Kalimantan Selatan may still hand it over
    assert "reminder:triwulanan:2025:1:51" in keys
    services.close_fiscal_year(year=2025, actor=pusat)
    Notification.objects.all().delete()
    deadlines.send_reminders(D(2025, 4, 10))
    assert _notices() == []
