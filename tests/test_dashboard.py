"""The ministry's home as a national dashboard: each province's pagu in force, realisation to the month,
absorption against the benchmark as of the month with its traffic light, its output achievement, its
overdue and next reports, the verification queue and the national totals — for those who see every
province only; an operator's and a Kepala Dinas's home stay theirs. Every expected figure is added up here
from the rows the test made, never through the dashboard's code.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import (
    Activity,
    Allocation,
    Participation,
    PlanItem,
    Realisation,
    ReportPackage,
    ReviewStatus,
)
from programs.reports.dashboard import default_dashboard_month
from provinces.models import Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_participation,
    make_plan,
    make_realisation,
)

pytestmark = pytest.mark.django_db

YEAR = 2020
HOME = reverse("home")
VERIFIED = ReviewStatus.VERIFIED
# (pagu, {month: realised}) per province; as of June the benchmark is 40 %.
PLAN = {
    "51": (Decimal("1500000000"), {3: 300_000_000, 6: 400_000_000, 9: 500_000_000}),  # 46.67 %
    "63": (Decimal("2000000000"), {2: 300_000_000, 5: 400_000_000}),  # 35 %: 5 points below
    "72": (Decimal("1000000000"), {6: 240_000_000}),  # 24 %: 16 points below
    "11": (Decimal("900000000"), {}),  # nothing realised: no data
}
STANDING = {"51": "on_track", "63": "slightly_behind", "72": "far_behind", "11": "no_data"}
PERIODS_A_YEAR = 12 + 4  # every month's and quarter's package


def _pct(part, whole):
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _realised_to(code, month):
    rows = Realisation.objects.filter(
        allocation__province__code=code, allocation__year=YEAR, month__lte=month
    )
    return sum((r.amount for r in rows), Decimal(0))


def _province(code, pagu, months, *, firms=0, target=10):
    """An allocation with its realisation, a plan of one RO counting distinct IKM, and one verified activity
    of that RO held in May with `firms` firms taking part."""
    allocation = make_allocation(code, YEAR, pagu=pagu)
    for month, amount in months.items():
        make_realisation(allocation, month=month, amount=Decimal(amount))
    (ro,) = make_plan(allocation, [{"target": target}])
    activity = make_activity(
        allocation,
        planned_output=ro,
        planned_start=datetime.date(YEAR, 5, 1),
        planned_end=datetime.date(YEAR, 5, 20),
    )
    regency = Regency.objects.filter(province__code=code).order_by("code").first()
    for _ in range(firms):
        make_participation(activity, make_firm(code, regency))
    Activity.objects.filter(pk=activity.pk).update(review_status=VERIFIED)
    return allocation


@pytest.fixture
def provinces():
    for i, (code, (pagu, months)) in enumerate(PLAN.items()):
        _province(code, pagu, months, firms=i + 2)
    # Bali handed over January's package on time; the other periods of 2020 are all past due.
    bali = Allocation.objects.get(province__code="51", year=YEAR)
    ReportPackage.objects.create(
        allocation=bali,
        kind="bulanan",
        period=1,
        review_status=ReviewStatus.SUBMITTED,
        submitted_at=timezone.make_aware(datetime.datetime(YEAR, 2, 3, 9)),
    )


def _board(client, **params):
    response = client.get(HOME, {"tahun": YEAR, "bulan": 6, **params})
    assert response.status_code == 200
    return response, response.context["dashboard"]


def _expected_output_pct(code):
    """The mean of the province's ROs' achievement: distinct firms of their verified activities held by
    June, against the RO's target, each capped at 100 %."""
    ros = PlanItem.objects.filter(allocation__province__code=code, allocation__year=YEAR, level="ro")
    shares = []
    for ro in ros:
        firms = {
            p.firm_id
            for p in Participation.objects.filter(activity__planned_output=ro)
            if p.activity.review_status == VERIFIED
            and (p.activity.actual_end or p.activity.planned_end) <= datetime.date(YEAR, 6, 30)
        }
        shares.append(min(_pct(len(firms), ro.target), Decimal(100)))
    return (sum(shares) / len(shares)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_ministry_staff_see_each_province_against_the_benchmark_as_of_the_month(pusat_client, provinces):
    response, board = _board(pusat_client)
    assert board.month == 6 and board.benchmark_pct == Decimal("40.00")
    rows = {r["code"]: r for r in board.rows}
    for code, (_pagu, _months) in PLAN.items():
        allocation = Allocation.objects.get(province__code=code, year=YEAR)
        row = rows[code]
        assert row["current_pagu"] == allocation.current_pagu
        assert row["realised"] == _realised_to(code, 6)
        assert row["standing"].key == STANDING[code], code
        if STANDING[code] != "no_data":
            assert row["absorption_pct"] == _pct(_realised_to(code, 6), allocation.current_pagu)
            assert row["gap_pct"] == row["absorption_pct"] - 40
        assert row["output"]["pct"] == _expected_output_pct(code), code
    html = response.content.decode()
    for code, standing in STANDING.items():
        row = html.split(f'<tr data-province="{code}" data-standing="{standing}">')[1].split("</tr>")[0]
        assert "standing-icon" in row  # an icon and a word, never colour alone
    # A province without an allocation (Papua Barat, 92) stands as no data, not as 0 %.
    assert rows["92"]["standing"].key == "no_data"
    assert 'id="reports-due"' not in html and 'id="awaiting-approval"' not in html


def test_the_national_totals_are_shown_once_and_add_up(pusat_client, provinces):
    response, board = _board(pusat_client)
    pagu = sum(a.current_pagu for a in Allocation.objects.filter(year=YEAR))
    realised = sum(_realised_to(code, 6) for code in PLAN)
    assert board.totals["current_pagu"] == pagu
    assert board.totals["realised"] == realised
    assert board.totals["absorption_pct"] == _pct(realised, pagu)
    expected = [_expected_output_pct(code) for code in PLAN]  # one RO per province: the mean of the means
    assert board.totals["output"]["pct"] == (sum(expected) / len(expected)).quantize(Decimal("0.01"))
    html = response.content.decode()
    assert html.count('id="dashboard-totals"') == 1
    shown = "Rp " + f"{int(realised):,}".replace(",", ".")
    assert html.split('id="total-realised">')[1].startswith(shown)


def test_the_overdue_and_late_reports_per_province_come_from_the_calendar(pusat_client, provinces):
    _response, board = _board(pusat_client)
    rows = {r["code"]: r for r in board.rows}
    packages = {code: ReportPackage.objects.filter(allocation__province__code=code).count() for code in PLAN}
    for code in PLAN:
        # 2020 is long past: every period without a package is missing
        assert len(rows[code]["due"]["missing"]) == PERIODS_A_YEAR - packages[code], code
        assert rows[code]["due"]["next"] is None
    assert board.totals["missing"] == sum(PERIODS_A_YEAR - n for n in packages.values())


def test_the_queue_counts_what_waits_for_verification_with_links(pusat_client, provinces):
    waiting = Activity.objects.filter(review_status__in=[ReviewStatus.SUBMITTED]).count()
    response, board = _board(pusat_client)
    assert board.queue["activities"] == waiting
    assert (
        board.queue["packages"] == ReportPackage.objects.filter(review_status=ReviewStatus.SUBMITTED).count()
    )
    package = ReportPackage.objects.get()
    assert reverse("programs:package_detail", args=[package.pk]) in response.content.decode()


def test_a_national_viewer_sees_the_dashboard_without_the_queue(viewer_client, provinces):
    _response, board = _board(viewer_client)
    assert len(board.rows) == 34 and board.queue is None


def test_an_operator_and_a_kepala_dinas_keep_their_own_home(operator_client, kadis_client, provinces):
    for client in (operator_client, kadis_client):
        response = client.get(HOME, {"tahun": YEAR, "bulan": 6})
        assert response.status_code == 200
        assert "dashboard" not in response.context
        html = response.content.decode()
        assert 'id="dashboard"' not in html
        assert "Kalimantan Selatan" not in html  # nothing of another province


def test_a_regency_operator_gets_no_dashboard(regency_operator_client, provinces):
    response = regency_operator_client.get(HOME)
    assert response.status_code == 200 and "dashboard" not in response.context


@pytest.mark.parametrize("params", [{"bulan": "0"}, {"bulan": "13"}, {"bulan": "abc"}, {"tahun": "abc"}])
def test_a_bad_month_or_year_is_said_and_the_default_shown(pusat_client, provinces, params):
    response = pusat_client.get(HOME, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pilih bulan 1 sampai 12." in html or "Masukkan" in html or "Tulis tahun" in html
    board = response.context["dashboard"]
    if "tahun" not in params:
        # no year asked: the current year, or (none here) the latest with data, 2020, as of December
        assert board.year == YEAR and board.month == 12


def test_the_default_month_is_the_last_closed_one():
    assert default_dashboard_month(2020, datetime.date(2026, 12, 1)) == 12
    assert default_dashboard_month(2026, datetime.date(2026, 12, 1)) == 11
    assert default_dashboard_month(2026, datetime.date(2026, 1, 15)) == 1


def _count(client, django_assert_max_num_queries, bound):
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(HOME, {"tahun": YEAR, "bulan": 6})
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_the_dashboard_runs_as_many_queries_for_2_or_6_provinces(pusat_client, django_assert_max_num_queries):
    # session, user, authenticator, groups; the recap (provinces, allocations, realisation to the month,
    # tallies, national firms — on SQLite the records instead); the ROs and one grouped query per measure;
    # the calendar's allocations and packages; the queue (two counts, two lists); the bell
    bound = 27
    codes = ["51", "63", "72", "11", "16", "35"]

    def add(code):
        allocation = _province(code, Decimal("1000000000"), {2: 10_000_000, 6: 20_000_000}, firms=2)
        ReportPackage.objects.create(
            allocation=allocation, kind="bulanan", period=1, review_status=ReviewStatus.SUBMITTED
        )

    for code in codes[:2]:
        add(code)
    few, response = _count(pusat_client, django_assert_max_num_queries, bound)
    assert len([r for r in response.context["dashboard"].rows if r["output"]]) == 2
    for code in codes[2:]:
        add(code)
    many, response = _count(pusat_client, django_assert_max_num_queries, bound)
    assert len([r for r in response.context["dashboard"].rows if r["output"]]) == 6
    assert many == few
