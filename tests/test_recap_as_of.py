"""The national recap as of a month: realisation and absorption to the end of that month, the benchmark as of
it (its own column, "Target s.d. <bulan> (%)", and its gap), each province's standing against it, and "no
data" never shown as 0 %. Every expected figure is added up here from the Realisation and Allocation rows
the test made, never through the recap's code.
"""

import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from programs.models import Allocation, Realisation, ReviewStatus
from provinces.models import Province
from tests.factories import make_allocation, make_realisation, make_revision

pytestmark = pytest.mark.django_db

YEAR = 2020
URL = reverse("reports:national")

# Realisation per month (Rupiah) of each province made below; the pagu is its allocation's.
PLAN = {
    "51": (Decimal("1500000000"), {3: 300_000_000, 6: 400_000_000, 9: 500_000_000}),  # 46.67 % by June
    "63": (Decimal("2000000000"), {2: 300_000_000, 5: 400_000_000, 7: 900_000_000}),  # 35.00 %: gap −5
    "72": (Decimal("1000000000"), {6: 250_000_000, 8: 100_000_000}),  # revised to 1 bn → 25 %: gap −15
    "16": (Decimal("1000000000"), {4: 240_000_000}),  # 24 %: gap −16
    "11": (Decimal("900000000"), {}),  # an allocation, nothing realised: no data
}
# As of June the benchmark is the Q2 benchmark, 40 %.
EXPECTED_STANDING = {
    "51": "on_track",
    "63": "slightly_behind",
    "72": "behind",
    "16": "far_behind",
    "11": "no_data",
    "12": "no_data",  # no allocation at all
}


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def provinces():
    for code, (pagu, months) in PLAN.items():
        allocation = make_allocation(code, YEAR, pagu=pagu)
        for month, amount in months.items():
            make_realisation(allocation, month=month, amount=Decimal(amount))
    make_revision(Allocation.objects.get(province__code="72", year=YEAR), 1_000_000_000)


def _pct(part, whole):
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _realised_to(code, month, verified_only=False):
    rows = Realisation.objects.filter(
        allocation__province__code=code, allocation__year=YEAR, month__lte=month
    )
    if verified_only:
        rows = rows.filter(review_status=ReviewStatus.VERIFIED)
    return sum((r.amount for r in rows), Decimal(0))


def _json(client, **params):
    response = client.get(URL, {"tahun": YEAR, "format": "json", **params})
    assert response.status_code == 200
    return json.loads(_body(response))


def test_the_json_as_of_june_holds_realisation_to_june_and_the_benchmark_column(pusat_client, provinces):
    data = _json(pusat_client, bulan=6)
    assert data["as_of"] == "2020-06" and data["month"] == 6 and data["benchmark_pct"] == 40.0
    rows = {r["province_code"]: r for r in data["rows"]}
    assert len(rows) == Province.objects.active_in(YEAR).count()
    for code in PLAN:
        allocation = Allocation.objects.get(province__code=code, year=YEAR)
        realised = _realised_to(code, 6)
        assert rows[code]["realised"] == int(realised), code
        assert rows[code]["current_pagu"] == int(allocation.current_pagu)
        assert rows[code]["benchmark_pct"] == 40.0
        if PLAN[code][1]:
            absorption = _pct(realised, allocation.current_pagu)
            assert rows[code]["absorption_pct"] == float(absorption), code
            assert rows[code]["gap_pct"] == float(absorption - 40), code
    for code, standing in EXPECTED_STANDING.items():
        assert rows[code]["standing"] == standing, code
    # "no data" is not a gap of −40 points
    assert rows["11"]["gap_pct"] is None and rows["12"]["gap_pct"] is None
    total_realised = sum(_realised_to(code, 6) for code in PLAN)
    total_pagu = sum(a.current_pagu for a in Allocation.objects.filter(year=YEAR))
    assert data["totals"]["realised"] == int(total_realised)
    assert data["totals"]["absorption_pct"] == float(_pct(total_realised, total_pagu))
    assert data["totals"]["benchmark_pct"] == 40.0


def test_the_benchmark_follows_the_month_between_the_quarters(pusat_client, provinces):
    # April: 15 + (40 − 15) / 3 = 23.33; November: 60 + (90 − 60) × 2 / 3 = 80
    for month, benchmark in ((4, 23.33), (11, 80.0), (3, 15.0), (12, 90.0)):
        data = _json(pusat_client, bulan=month)
        assert data["benchmark_pct"] == benchmark
        bali = next(r for r in data["rows"] if r["province_code"] == "51")
        assert bali["realised"] == int(_realised_to("51", month))


def test_a_past_year_defaults_to_december_the_whole_year(pusat_client, provinces):
    data = _json(pusat_client)
    assert data["as_of"] == "2020-12" and data["benchmark_pct"] == 90.0
    rows = {r["province_code"]: r for r in data["rows"]}
    for code in PLAN:
        assert rows[code]["realised"] == int(sum(PLAN[code][1].values()))


def test_the_current_year_defaults_to_the_current_month(pusat_client):
    today = timezone.localdate()
    allocation = make_allocation("51", today.year)
    make_realisation(allocation, month=today.month, amount=Decimal("1000000"))
    data = json.loads(_body(pusat_client.get(URL, {"tahun": today.year, "format": "json"})))
    assert data["as_of"] == f"{today.year}-{today.month:02d}"
    assert next(r for r in data["rows"] if r["province_code"] == "51")["realised"] == 1_000_000


def test_verified_only_counts_the_verified_months_to_the_month(pusat_client, provinces):
    Realisation.objects.filter(allocation__province__code="51", month=3).update(
        review_status=ReviewStatus.VERIFIED
    )
    data = _json(pusat_client, bulan=6, verifikasi="terverifikasi")
    bali = next(r for r in data["rows"] if r["province_code"] == "51")
    assert bali["realised"] == int(_realised_to("51", 6, verified_only=True)) == 300_000_000
    # Kalimantan Selatan has no verified month: no data, not 0 %
    assert next(r for r in data["rows"] if r["province_code"] == "63")["standing"] == "no_data"


def test_the_xlsx_carries_the_benchmark_column_named_by_the_month(pusat_client, provinces):
    response = pusat_client.get(URL, {"tahun": YEAR, "bulan": 6, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header_row = next(i for i, row in enumerate(rows) if "Target s.d. Juni (%)" in row)
    header = rows[header_row]
    target, gap, realised = (
        header.index("Target s.d. Juni (%)"),
        header.index("Selisih terhadap target (poin)"),
        header.index("Realisasi"),
    )
    standing = header.index("Status terhadap target")
    by_code = {row[0]: row for row in rows[header_row + 1 :] if row and row[0] in PLAN}
    assert set(by_code) == set(PLAN)
    for code in PLAN:
        assert by_code[code][target] == 40.0
        assert by_code[code][realised] == int(_realised_to(code, 6))
    assert by_code["63"][gap] == -5.0
    assert by_code["63"][standing] == "Sedikit tertinggal"
    assert by_code["11"][standing] == "Tidak ada data"


def test_the_page_shows_the_benchmark_column_the_standing_and_the_legend(pusat_client, provinces):
    response = pusat_client.get(URL, {"tahun": YEAR, "bulan": 6})
    html = response.content.decode()
    assert "Target s.d. Juni (%)" in html
    assert 'id="recap-map-steps"' in html and "bukan 0 %" in html
    for code, standing in EXPECTED_STANDING.items():
        row = html.split(f'<tr data-province="{code}">')[1].split("</tr>")[0]
        assert f'data-standing="{standing}"' in row, code
    chart = json.loads(html.split('id="recap-data" type="application/json">')[1].split("</script>")[0])
    assert chart["benchmark"]["pct"] == 40.0
    assert [s["key"] for s in chart["steps"]] == [
        "on_track",
        "slightly_behind",
        "behind",
        "far_behind",
        "no_data",
    ]
    # Sorting instructions are for the screen, never printed
    assert 'd-print-none">Klik judul kolom untuk mengurutkan.' in html


@pytest.mark.parametrize("bulan", ["0", "13", "abc", "-1", "6.5"])
def test_a_bad_month_is_said_and_the_default_month_shown(pusat_client, provinces, bulan):
    response = pusat_client.get(URL, {"tahun": YEAR, "bulan": bulan})
    assert response.status_code == 200
    assert "Pilih bulan 1 sampai 12." in response.content.decode()
    assert response.context["month"] == 12
    data = _json(pusat_client, bulan=bulan)
    assert data["as_of"] == "2020-12"


def test_an_operator_gets_their_own_province_as_of_the_month(operator_client, provinces):
    data = _json(operator_client, bulan=6)
    assert [r["province_code"] for r in data["rows"]] == ["51"]
    assert data["rows"][0]["realised"] == int(_realised_to("51", 6))
    assert data["totals"]["realised"] == int(_realised_to("51", 6))


def _count(client, django_assert_max_num_queries, bound, params):
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(URL, params)
        _body(response)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("fmt", ["", "json"])
def test_the_recap_as_of_a_month_runs_as_many_queries_for_2_or_6_provinces(
    pusat_client, django_assert_max_num_queries, fmt
):
    params = {"tahun": YEAR, "bulan": 6, **({"format": fmt} if fmt else {})}
    codes = list(PLAN)
    for code in codes[:2]:
        allocation = make_allocation(code, YEAR)
        make_realisation(allocation, month=2)
    bound = 17  # the unfiltered recap's 12 (tests/seeded/test_reports.py), headroom for SQLite's live sums
    few = _count(pusat_client, django_assert_max_num_queries, bound, params)
    for code in [*codes[2:], "12"]:
        allocation = make_allocation(code, YEAR)
        for month in (2, 5, 6, 9):
            make_realisation(allocation, month=month)
    assert _count(pusat_client, django_assert_max_num_queries, bound, params) == few
