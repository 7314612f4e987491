"""The quarterly report: the quarter's figures count every activity of the province-year, by aggregate
queries, exactly as adding up the activities one by one did."""

import datetime
import random
from decimal import Decimal

import pytest
from django.urls import reverse

from programs import report_views, reports
from programs.models import ActivityStatus, ProductType, RecipientType, ReviewStatus
from provinces.models import Province
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_partner,
    make_user,
)

pytestmark = pytest.mark.django_db

YEAR = 2031
PAGE_SIZE = 4
SUMMARY_KEYS = [
    "planned_by_end",
    "done_by_end",
    "participants_target",
    "participants_actual",
    "produced",
    "ordered",
    "handed_over",
    "firms",
    "participants",
]


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(report_views, "ACTIVITY_PAGE_SIZE", PAGE_SIZE)


@pytest.fixture
def pusat(client):
    user = make_user("pusat-triwulan", "pusat")
    client.force_login(user)
    return user


def _url(code="63", quarter=3):
    return reverse("reports:quarterly", kwargs={"code": code, "quarter": quarter})


def _body(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def _date(rng, year=YEAR, months=(1, 12)):
    return datetime.date(year, rng.randint(*months), rng.randint(1, 28))


def _add_activities(rng, allocation, count, firms, partner):
    """`count` activities of every status and review state, with firms, people, outputs and handovers
    dated all through the year (before and after each quarter's end)."""
    year = allocation.year
    for _ in range(count):
        status = rng.choice(ActivityStatus.values)
        start = _date(rng, year, (1, 10))
        end = start + datetime.timedelta(days=rng.randint(0, 60))
        actual_end = _date(rng, year, (start.month, 12)) if status == ActivityStatus.DONE else None
        activity = make_activity(
            allocation,
            status=status,
            status_reason="Kebijakan PSBB" if status in ("ditunda", "batal") else "",
            planned_start=start,
            planned_end=min(end, datetime.date(year, 12, 31)),
            actual_start=datetime.date(year, 1, 1) if actual_end else None,
            actual_end=actual_end,
            review_status=rng.choice(ReviewStatus.values),
            budget=Decimal(rng.randrange(1, 50) * 10_000_000),
            target_participants=rng.randint(1, 30),
            actual_participants=rng.choice([None, rng.randint(0, 30)]),
        )
        for firm in rng.sample(firms, rng.randint(0, len(firms))):
            participation = make_participation(activity, firm)
            for _ in range(rng.randint(0, 2)):
                quantity = rng.randint(1, 500)
                ordered = rng.choice([None, rng.randint(1, 600)])
                output = make_output(
                    participation,
                    quantity=quantity,
                    product_type=rng.choice(ProductType.values),
                    produced_on=_date(rng, year),
                    ordered_quantity=ordered,
                    buyer=partner if ordered else None,
                )
                left = quantity
                for _ in range(rng.randint(0, 2)):
                    if not left:
                        break
                    given_out = rng.randint(1, left)
                    left -= given_out
                    make_handover(
                        output,
                        quantity=given_out,
                        recipient_type=rng.choice(RecipientType.values),
                        handed_on=_date(rng, year),
                    )
        for _ in range(rng.randint(0, 3)):
            make_participant(activity)


def _build(rng, count, code="63", regency="63.71"):
    allocation = make_allocation(code, YEAR)
    firms = [make_firm(code, regency) for _ in range(4)]
    _add_activities(rng, allocation, count, firms, make_partner(code))
    return allocation


def _neighbours(rng):
    """Activities the report must not count: another province's, and the province's of another year."""
    _build(rng, 3, "51", "51.06")
    other_year = make_allocation("63", YEAR - 1)
    _add_activities(rng, other_year, 3, [make_firm("63", "63.71")], make_partner("63"))


def _summary_added_up_one_by_one(user, province, year, quarter, verified_only):
    """The summary as the report computed it before it had pages: every activity's row added up in Python."""
    end = reports.quarter_end(year, quarter)
    filters = reports.Filters(year=year, verified_only=verified_only)
    figures = reports.activity_figures(user, province, year, until=end)
    summary = dict.fromkeys(SUMMARY_KEYS, 0)
    for activity in reports.province_activities(user, province, filters):
        f = figures.get(activity.pk, reports.EMPTY_ACTIVITY_FIGURES)
        done = activity.status == ActivityStatus.DONE and activity.actual_end and activity.actual_end <= end
        due = activity.planned_end <= end and activity.status != ActivityStatus.CANCELLED
        summary["planned_by_end"] += due
        summary["done_by_end"] += bool(done)
        summary["participants_target"] += activity.target_participants
        summary["participants_actual"] += (activity.actual_participants or 0) if done else 0
        for key in ("produced", "ordered", "handed_over", "firms", "participants"):
            summary[key] += f[key]
    summary["done_pct"] = reports.percent(summary["done_by_end"], summary["planned_by_end"])
    summary["participants_pct"] = reports.percent(
        summary["participants_actual"], summary["participants_target"]
    )
    summary["produced_pct"] = reports.percent(summary["produced"], summary["ordered"])
    return summary


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_counts_every_activity_not_the_page(client, pusat, seed):
    rng = random.Random(seed)
    _build(rng, 3 * PAGE_SIZE + 2)
    _neighbours(rng)
    province = Province.objects.get(code="63")
    for quarter in (1, 2, 3, 4):
        for verified_only in (False, True):
            expected = _summary_added_up_one_by_one(pusat, province, YEAR, quarter, verified_only)
            report = reports.quarterly_report(pusat, province, YEAR, quarter, verified_only)
            assert report.summary == expected, (quarter, verified_only)
    expected = _summary_added_up_one_by_one(pusat, province, YEAR, 2, False)
    assert expected["firms"] and expected["produced"] and expected["planned_by_end"]  # the data has figures
    response = client.get(_url(quarter=2), {"tahun": YEAR})
    assert response.context["report"].summary == expected
