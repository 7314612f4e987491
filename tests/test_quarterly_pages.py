"""The quarterly report in pages: the quarter's figures still count every activity of the province-year
(by aggregate queries), the page lists one page of activities with its own figures, and the exports hold
every activity."""

import datetime
import io
import json
import random
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import periods, reports
from programs.models import (
    Activity,
    ActivityStatus,
    Participation,
    ProductType,
    RecipientType,
    ReviewStatus,
)
from programs.reports import quarterly
from programs.reports import views as report_views
from provinces.models import Province
from tests import csvutil, sheetutil
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_partner,
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


def _url(code="63", quarter=3):
    return reverse("reports:quarterly", kwargs={"code": code, "quarter": quarter})


def _body(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def _date(rng, year=YEAR, months=(1, 12)):
    return datetime.date(year, rng.randint(*months), rng.randint(1, 28))


def _after(rng, day):
    """A day from `day` to at most 90 days later, in the same year (a handover after its production)."""
    return min(day + datetime.timedelta(days=rng.randint(0, 90)), datetime.date(day.year, 12, 31))


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
                        handed_on=_after(rng, output.produced_on),
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
    end = periods.quarter_end(year, quarter)
    filters = reports.Filters(year=year, verified_only=verified_only)
    figures = reports.activity_figures(user, province, year, until=end)
    summary = dict.fromkeys(SUMMARY_KEYS, 0)
    activities = list(reports.province_activities(user, province, filters))
    for activity in activities:
        f = figures.get(activity.pk, reports.EMPTY_ACTIVITY_FIGURES)
        done = activity.status == ActivityStatus.DONE and activity.actual_end and activity.actual_end <= end
        due = activity.planned_end <= end and activity.status != ActivityStatus.CANCELLED
        summary["planned_by_end"] += due
        summary["done_by_end"] += bool(done)
        summary["participants_target"] += activity.target_participants
        summary["participants_actual"] += (activity.actual_participants or 0) if done else 0
        for key in ("produced", "ordered", "handed_over", "participants"):
            summary[key] += f[key]
    # A firm in several of the activities counts once.
    summary["firms"] = len({p.firm_id for p in Participation.objects.filter(activity__in=activities)})
    summary["done_pct"] = reports.percent(summary["done_by_end"], summary["planned_by_end"])
    summary["participants_pct"] = reports.percent(
        summary["participants_actual"], summary["participants_target"]
    )
    summary["produced_pct"] = reports.percent(summary["produced"], summary["ordered"])
    return summary


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_counts_every_activity_not_the_page(pusat_client, pusat, seed):
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
    response = pusat_client.get(_url(quarter=2), {"tahun": YEAR})
    assert response.context["report"].summary == expected
    page = response.context["page"]
    assert len(page) == PAGE_SIZE and page.paginator.count == 3 * PAGE_SIZE + 2


def test_page_two_lists_the_next_activities_with_their_own_figures(pusat_client, pusat, monkeypatch):
    _build(random.Random(4), 2 * PAGE_SIZE + 1)
    province = Province.objects.get(code="63")
    everything = list(reports.province_activities(pusat, province, reports.Filters(year=YEAR)))
    end = periods.quarter_end(YEAR, 3)
    all_figures = reports.activity_figures(pusat, province, YEAR, until=end)
    asked = []
    original = reports.activity_figures

    def spy(*args, **kwargs):
        asked.append(kwargs.get("activity_ids"))
        return original(*args, **kwargs)

    monkeypatch.setattr(quarterly, "activity_figures", spy)  # where the quarterly report asks for them
    pages = {}
    for number in (1, 2, 3):
        asked.clear()
        response = pusat_client.get(_url(), {"tahun": YEAR, "verifikasi": "semua", "halaman": number})
        rows = list(response.context["page"])
        pages[number] = [r["activity"] for r in rows]
        assert asked == [[a.pk for a in pages[number]]]  # the figures of the page's activities only
        for row in rows:
            figures = all_figures.get(row["activity"].pk, reports.EMPTY_ACTIVITY_FIGURES)
            assert {k: row[k] for k in figures} == figures
        html = response.content.decode()
        for activity in pages[number]:
            assert activity.title in html
        assert 'class="pagination' in html
        if number > 1:  # the pager keeps the year and the other filters
            assert f'href="?tahun={YEAR}&amp;verifikasi=semua&amp;halaman={number - 1}"' in html
    assert pages[1] + pages[2] + pages[3] == everything
    assert [len(pages[n]) for n in (1, 2, 3)] == [PAGE_SIZE, PAGE_SIZE, 1]
    assert not set(pages[1]) & set(pages[2])
    assert pages[2][0].title not in pusat_client.get(_url(), {"tahun": YEAR}).content.decode()
    # A page that does not exist shows the last one; one that is not a number, the first.
    assert pusat_client.get(_url(), {"tahun": YEAR, "halaman": 99}).context["page"].number == 3
    assert pusat_client.get(_url(), {"tahun": YEAR, "halaman": "x"}).context["page"].number == 1


def test_the_empty_states_are_unchanged(pusat_client):
    make_allocation("63", YEAR)
    html = pusat_client.get(_url(), {"tahun": YEAR}).content.decode()
    # issue 18: the empty list names the province and the year, and what comes next (readers: who records)
    assert f"Belum ada kegiatan Kalimantan Selatan tahun {YEAR}." in html and 'id="quarterly-empty"' in html
    assert 'class="pagination' not in html and "0 data" not in html
    response = pusat_client.get(_url("51"), {"tahun": YEAR})  # no allocation at all
    assert "Belum ada alokasi anggaran provinsi ini untuk tahun tersebut." in response.content.decode()


def _count(client, params):
    with CaptureQueriesContext(connection) as ctx:
        _body(client.get(_url(), params))  # a streamed export runs its queries while it is sent
    return len(ctx.captured_queries)


def test_the_page_and_its_exports_use_the_same_number_of_queries_for_3_or_30_activities(pusat_client):
    rng = random.Random(5)
    allocation = _build(rng, 3)
    # Some activity is verified: a page with none would skip the page's figure queries altogether.
    Activity.objects.filter(pk=allocation.activities.first().pk).update(review_status=ReviewStatus.VERIFIED)
    cases = [{"tahun": YEAR, **extra} for extra in ({}, {"halaman": 2}, {"verifikasi": "terverifikasi"})]
    cases += [{"tahun": YEAR, "format": fmt} for fmt in ("json", "csv", "xlsx")]
    small = {}
    for params in cases:
        _count(pusat_client, params)  # warm caches (content types, sites)
        small[tuple(params.items())] = _count(pusat_client, params)
    _add_activities(rng, allocation, 27, [make_firm("63", "63.71") for _ in range(3)], make_partner("63"))
    for params in cases:
        assert _count(pusat_client, params) == small[tuple(params.items())], params


@pytest.mark.parametrize("fmt", ["", "json", "csv", "xlsx"])
def test_the_page_runs_24_queries_for_ministry_staff_an_export_29(
    client, pusat, fmt, django_assert_num_queries
):
    client.force_login(pusat)
    _build(random.Random(5), 3)
    # 1. the session
    # 2. the user
    # 3. the user's authenticator (the second factor the session was verified with)
    # 4. the user's groups (roles)
    # 5. the province, among those the user may see
    # 6. its allocation of the year, province joined
    # 7. the pagu in force at the quarter's end (the latest revision by then)
    # 8. realisation per month up to the quarter's end
    # The summary over every activity of the province-year, each as recorded at the quarter's end:
    # 9. the activities' versions at the quarter's end (their history): due, done, participants
    # 10. the same of the activities without any version (as they are now)
    # 11. outputs produced and ordered by the quarter's end
    # 12. handovers made by then
    # 13. distinct firms
    # 14. individual participants
    # 15. the quarter's note
    # The page: 16. the activities counted (the pager), 17. the page of activities, regency joined, and
    # 18-21. the page's figures (distinct firms, individual participants, outputs and handovers by the
    # quarter's end: one grouped query each). An export instead: the four figures of every activity, then
    # every activity streamed (no count). The page only: 22. the user's unread notices (the bell).
    # (The session is not written again: it was, less than a minute ago.) An XLSX also asks whether
    # unverified records are in it, for its title block (one EXISTS).
    # Who signs (issue 17, the printed signature block): the quarter's package (its events only when there is
    # one) and the province's Kepala Dinas — on the page only. The exports carry the PP 39/2006 forms
    # (programs/reports/pp39.py): the allocation, the pagu at the quarter's end, the RPD in force (its lines
    # only when there is one), the verified months, Form A's plan items, capaian's ROs (its grouped
    # queries only when the plan has ROs), the quarter's notes, package and Kepala Dinas: 9 more.
    n = (29 + (fmt == "xlsx")) if fmt else 24
    with django_assert_num_queries(n):
        response = client.get(_url(), {"tahun": YEAR, **({"format": fmt} if fmt else {})})
        _body(response)  # a streamed export runs its queries while it is sent
    assert fmt or len(response.context["page"].object_list) == 3


def test_the_exports_hold_every_activity_and_add_up_to_the_summary(pusat_client, pusat):
    _build(random.Random(6), 2 * PAGE_SIZE + 3)
    _neighbours(random.Random(7))
    province = Province.objects.get(code="63")
    everything = list(reports.province_activities(pusat, province, reports.Filters(year=YEAR)))
    report = reports.quarterly_report(pusat, province, YEAR, 3)
    data = json.loads(_body(pusat_client.get(_url(), {"tahun": YEAR, "format": "json"})))
    assert [r["title"] for r in data["rows"]] == [a.title for a in everything]
    for key in ("firms", "participants", "produced", "ordered", "handed_over"):
        assert data["totals"][key] == report.summary[key], key
    assert data["totals"]["target_participants"] == report.summary["participants_target"]
    assert sum(r["done_by_end"] for r in data["rows"]) == report.summary["done_by_end"]
    rows = csvutil.rows(pusat_client.get(_url(), {"tahun": YEAR, "format": "csv"}))
    assert [r[0] for r in rows[1 : len(everything) + 1]] == [a.title for a in everything]
    assert rows[len(everything) + 1][0] == "Total"
    book = openpyxl.load_workbook(
        io.BytesIO(_body(pusat_client.get(_url(), {"tahun": YEAR, "format": "xlsx"})))
    )
    titles = [r[0] for r in sheetutil.table(book.worksheets[0])[1:]]
    assert titles == [a.title for a in everything] + ["Total"]
