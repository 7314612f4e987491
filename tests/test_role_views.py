"""The reports as each role sees them (issue 18): who sees one province gets it against the national average
and the benchmark as of the month, never another province's row; the ministry's recap keeps every province;
the map's legend never repeats a range; the empty pages say what to do next, with the year, to whom can do
it. Every expected figure is added up here from the plan of records below, never through the recap's code.
"""

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse

from programs.models import Allocation
from programs.reports.figures import RECAP_FIGURES
from programs.reports.views import map_classes
from tests.factories import make_activity, make_allocation, make_realisation, make_revision

pytestmark = pytest.mark.django_db

YEAR = 2020
URL = reverse("reports:national")
# Realisation per month (Rupiah) of each province; the pagu is its allocation's (72 revised to 1 bn in April).
PLAN = {
    "51": (Decimal("1500000000"), {3: 300_000_000, 6: 400_000_000, 9: 500_000_000}),
    "63": (Decimal("2000000000"), {2: 300_000_000, 5: 400_000_000, 7: 900_000_000}),
    "72": (Decimal("1200000000"), {6: 250_000_000, 8: 100_000_000}),
    "16": (Decimal("1000000000"), {4: 240_000_000}),
}
REVISED = {"72": Decimal("1000000000")}
NAMES = {"51": "Bali", "63": "Kalimantan Selatan", "72": "Sulawesi Tengah", "16": "Sumatera Selatan"}


@pytest.fixture
def provinces():
    for code, (pagu, months) in PLAN.items():
        allocation = make_allocation(code, YEAR, pagu=pagu)
        for month, amount in months.items():
            make_realisation(allocation, month=month, amount=Decimal(amount))
    make_revision(Allocation.objects.get(province__code="72", year=YEAR), REVISED["72"])


def _pct(part, whole):
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _id(number):
    """A percentage as the page writes it: 35,00 %."""
    return f"{number:.2f}".replace(".", ",") + " %"


def _expected(code, month):
    """(the province's absorption, the national one) to the end of `month`, from PLAN alone."""
    realised = {c: sum(a for m, a in months.items() if m <= month) for c, (_p, months) in PLAN.items()}
    pagu = {c: REVISED.get(c, p) if month >= 4 else p for c, (p, _m) in PLAN.items()}
    return _pct(realised[code], pagu[code]), _pct(sum(realised.values()), sum(pagu.values()))


def _chart(response):
    match = re.search(r'<script id="recap-data" type="application/json">(.*?)</script>', response.text, re.S)
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    "who, code",
    [
        ("operator_b_client", "63"),
        ("kadis_client", "51"),
        ("viewer_a_client", "51"),
        ("regency_operator_client", "63"),
    ],
)
def test_one_provinces_recap_sets_it_against_the_national_average_and_the_benchmark(
    request, provinces, who, code
):
    client = request.getfixturevalue(who)
    response = client.get(URL, {"tahun": YEAR, "bulan": 6})
    assert response.status_code == 200
    own, national = _expected(code, 6)
    comparison = response.context["comparison"]
    assert comparison.province["province_code"] == code
    assert comparison.province["absorption_pct"] == own
    assert comparison.national_pct == national  # (700 + 700 + 250 + 240) jt / (1,5 + 2 + 1 + 1) M = 42,00 %
    assert comparison.benchmark_pct == Decimal("40.00")  # the Q2 benchmark at the end of June
    assert comparison.provinces == 4
    html = response.text
    table = html[
        html.index('id="recap-comparison-table"') : html.index("</table>", html.index("recap-comparison"))
    ]
    assert _id(own) in table and _id(national) in table and "40,00 %" in table
    assert _id(own - Decimal(40)) in table  # the gap to the benchmark, in points
    verdict = "di atas" if own >= national else "di bawah"
    assert f"{abs(own - national):.2f}".replace(".", ",") + " poin persentase " + verdict in html
    # Never another province's row, name or figure: the national average is a sum only.
    for other, name in NAMES.items():
        if other != code:
            assert name not in html
            assert f'data-province="{other}"' not in html
    chart = _chart(response)
    assert [r["code"] for r in chart["rows"]] == [code]
    assert [b["pct"] for b in chart["comparison"]["bars"]] == [float(own), float(national), 40.0]
    assert "recap-map" not in html  # no one-province map, no one-bar chart


def test_the_standing_and_gaps_follow_the_month(operator_b_client, provinces):
    # As of April: 63 has 300 jt of 2 M = 15,00 %, the trajectory 23,33 %: 8,33 points below, "tertinggal".
    response = operator_b_client.get(URL, {"tahun": YEAR, "bulan": 4})
    comparison = response.context["comparison"]
    own, national = _expected("63", 4)
    assert own == Decimal("15.00") and comparison.benchmark_pct == Decimal("23.33")
    assert comparison.gap_pct == Decimal("-8.33") and comparison.standing.key == "behind"
    assert comparison.national_pct == national
    assert comparison.gap_to_national == own - national


def test_without_any_realisation_the_province_has_no_data_not_0_percent(operator_client, db):
    for code in ("51", "63", "72"):  # three provinces: the fewest a national average is shown for
        make_allocation(code, YEAR, pagu=Decimal("1000000000"))
    response = operator_client.get(URL, {"tahun": YEAR, "bulan": 6})
    comparison = response.context["comparison"]
    assert comparison.standing.key == "no_data" and comparison.national_standing.key == "no_data"
    assert "belum ada realisasi yang dicatat" in response.text
    assert response.text.count('<td class="num" data-pct>–</td>') == 2  # the province and the nation


def test_the_ministrys_recap_keeps_every_province_and_its_map(pusat_client, provinces):
    response = pusat_client.get(URL, {"tahun": YEAR, "bulan": 6})
    assert response.context["comparison"] is None
    chart = _chart(response)
    assert len(chart["rows"]) == 34 and "comparison" not in chart
    by_code = {r["code"]: r for r in chart["rows"]}
    for code in PLAN:
        assert Decimal(str(by_code[code]["absorption_pct"])) == _expected(code, 6)[0]
    assert 'id="recap-map"' in response.text
    # The ministry's totals row is the national average the provinces are set against.
    export = pusat_client.get(URL, {"tahun": YEAR, "bulan": 6, "format": "json"})
    data = json.loads(b"".join(export.streaming_content))
    assert Decimal(str(data["totals"]["absorption_pct"])) == _expected("51", 6)[1]


def _label(own):
    """A class as the legend writes it (static/js/reports.js): money's label, a count's whole bounds."""
    if "label" in own:
        return own["label"]
    return str(own["low"]) if own["low"] == own["high"] else f"{own['low']} – {own['high']}"


def test_the_maps_legend_never_repeats_a_range(pusat_client, provinces):
    chart = _chart(pusat_client.get(URL, {"tahun": YEAR, "bulan": 6}))
    assert chart["classes"]
    for key, own in chart["classes"].items():
        labels = [_label(c) for c in own["classes"]]
        assert len(labels) == len(set(labels)), (key, labels)
        for label in labels:
            if " – " in label:
                low, high = label.split(" – ")
                assert low != high, (key, label)
        assert set(own["shapes"].values()) <= set(range(len(labels)))
    # Every province alike (no activity anywhere): one class, named by its value.
    assert chart["classes"]["activities"]["classes"] == [{"css": "map-c4", "low": 0, "high": 0}]
    assert len(chart["classes"]["pagu"]["classes"]) == 5  # 0 to 2 M: five distinct ranges


def test_ranges_that_read_alike_once_rounded_are_one_class():
    pagu = next(f for f in RECAP_FIGURES if f.key == "pagu")
    rows = [
        {"province_code": "51", "pagu": Decimal("1000000000")},
        {"province_code": "63", "pagu": Decimal("1001000000")},  # both "Rp 1,00 M"
    ]
    classes = map_classes(rows, pagu)
    assert [c["label"] for c in classes["classes"]] == ["Rp 1,00 M"]
    assert classes["shapes"] == {"51": 0, "63": 0}
    # A shape drawing two provinces (Kalimantan Timur and Utara) sums them.
    rows = [{"province_code": "64", "pagu": Decimal(300)}, {"province_code": "65", "pagu": Decimal(200)}]
    rows.append({"province_code": "51", "pagu": Decimal(100)})
    classes = map_classes(rows, pagu)
    labels = [c["label"] for c in classes["classes"]]
    assert labels[0] == "Rp 100 – Rp 180" and labels[-1] == "Rp 420 – Rp 500"
    assert classes["shapes"] == {"51": 0, "64": len(labels) - 1}


def test_counts_get_whole_ranges_that_never_overlap():
    firms = next(f for f in RECAP_FIGURES if f.key == "firms")
    rows = [{"province_code": c, "firms": n} for c, n in (("51", 0), ("63", 33), ("72", 14), ("16", 3))]
    classes = map_classes(rows, firms)
    assert [_label(c) for c in classes["classes"]] == ["0 – 6", "7 – 13", "14 – 20", "21 – 27", "28 – 33"]
    assert classes["shapes"] == {"51": 0, "63": 4, "72": 2, "16": 0}
    rows = [{"province_code": c, "firms": n} for c, n in (("51", 1), ("63", 3))]
    assert [_label(c) for c in map_classes(rows, firms)["classes"]] == ["1", "2", "3"]


# --- Empty states: what to do next, with the year, for whom can do it ----------------------------------


def test_an_empty_year_tells_the_operator_to_add_an_activity_and_a_reader_who_records_it(
    operator_client, kadis_client, pusat_client, db
):
    make_allocation("51", 2023, pagu=Decimal("1000000000"))
    create = reverse("programs:activity_create")
    page = operator_client.get(reverse("reports:province", args=["51"]), {"tahun": 2023})
    assert "Belum ada kegiatan Bali tahun 2023" in page.text and f'href="{create}' in page.text
    for client in (kadis_client, pusat_client):
        page = client.get(reverse("reports:province", args=["51"]), {"tahun": 2023})
        assert "Belum ada kegiatan Bali tahun 2023" in page.text and f'href="{create}' not in page.text
    home = operator_client.get(reverse("home"))
    assert "Belum ada data tahun 2023 — tambahkan kegiatan" in home.text and f'href="{create}"' in home.text
    home = kadis_client.get(reverse("home"))
    assert "Belum ada kegiatan tahun 2023." in home.text and "tambahkan kegiatan" not in home.text
    recap = operator_client.get(URL, {"tahun": 2023})
    assert "Belum ada data tahun 2023" in recap.text and 'id="recap-empty"' in recap.text
    assert f'href="{create}"' in recap.text
    recap = kadis_client.get(URL, {"tahun": 2023})
    assert "Belum ada data tahun 2023" in recap.text and f'href="{create}"' not in recap.text
    assert "dicatat oleh operator provinsi" in recap.text


def test_a_year_without_an_allocation_says_the_ministry_records_it(operator_client, db):
    make_allocation("51", 2020, pagu=Decimal("1000000000"))
    recap = operator_client.get(URL, {"tahun": 2020, "bulan": 6})
    assert 'id="recap-empty"' in recap.text  # an allocation, nothing recorded yet
    make_allocation("63", 2023, pagu=Decimal("1000000000"))  # another province's year: not Bali's
    recap = operator_client.get(URL, {"tahun": 2023})
    assert "Belum ada data tahun 2023: belum ada alokasi anggaran." in recap.text
    assert "dicatat oleh Kementerian" in recap.text
    covid = operator_client.get(reverse("reports:covid"), {"tahun": 2020})
    assert "Belum ada APD atau masker yang tercatat tahun 2020." in covid.text
    assert f'href="{reverse("programs:activity_list")}?tahun=2020"' in covid.text


def test_an_activity_makes_the_empty_state_go(operator_client, db):
    allocation = make_allocation("51", 2023, pagu=Decimal("1000000000"))
    make_activity(allocation)
    page = operator_client.get(reverse("reports:province", args=["51"]), {"tahun": 2023})
    assert "Belum ada kegiatan Bali tahun 2023" not in page.text and "province-empty" not in page.text


def test_a_national_average_of_fewer_than_three_provinces_is_not_shown(operator_client, db):
    # Bali and one other province: Bali's operator would get the other's figure by subtracting their own.
    bali = make_allocation("51", YEAR, pagu=Decimal("1000000000"))
    other = make_allocation("63", YEAR, pagu=Decimal("2000000000"))
    make_realisation(bali, month=2, amount=Decimal("100000000"))
    make_realisation(other, month=3, amount=Decimal("654321000"))
    response = operator_client.get(URL, {"tahun": YEAR, "bulan": 6})
    comparison = response.context["comparison"]
    assert comparison.too_few_provinces and comparison.national_pct is None
    assert comparison.province["absorption_pct"] == Decimal("10.00")  # their own 100 jt of 1 M
    assert "kurang dari tiga provinsi" in response.text
    for leaked in ("654.321.000", "3.000.000.000", "754.321.000", "25,14"):  # the other's, or both together
        assert leaked not in response.text
    third = make_allocation("72", YEAR, pagu=Decimal("1000000000"))  # a third province, nothing recorded yet:
    comparison = operator_client.get(URL, {"tahun": YEAR, "bulan": 6}).context["comparison"]
    assert comparison.too_few_provinces and comparison.national_pct is None  # still "mine and one other"
    make_realisation(third, month=4, amount=Decimal("45679000"))  # three provinces report: it is shown
    comparison = operator_client.get(URL, {"tahun": YEAR, "bulan": 6}).context["comparison"]
    assert not comparison.too_few_provinces
    assert comparison.national_pct == Decimal("20.00")  # (100 + 654,321 + 45,679) jt / 4 M
    # Narrowed (verified only) it is not shown: narrowed minus whole would give the provinces left out away.
    narrowed = operator_client.get(URL, {"tahun": YEAR, "bulan": 6, "verifikasi": "terverifikasi"})
    assert narrowed.context["comparison"].national_pct is None
    assert "tanpa saringan jenis dana dan status verifikasi" in narrowed.text


def test_a_province_at_the_national_average_reads_level_with_it_not_0_points_above(operator_client, db):
    for code in ("51", "63", "72"):  # each 100 jt of 1 M: the province and the nation both at 10,00 %
        make_realisation(
            make_allocation(code, YEAR, pagu=Decimal("1000000000")), month=3, amount=Decimal("100000000")
        )
    response = operator_client.get(URL, {"tahun": YEAR, "bulan": 6})
    comparison = response.context["comparison"]
    assert comparison.province["absorption_pct"] == comparison.national_pct == Decimal("10.00")
    assert "Penyerapan Bali sama dengan rata-rata nasional." in response.text
    assert "0,00 poin persentase" not in response.text


def test_one_provinces_recap_runs_as_many_queries_for_3_or_8_provinces_reporting(
    operator_client, django_assert_max_num_queries, db
):
    # The comparison adds two aggregates over every province (national realisation, national pagu in force),
    # whatever their number: counted with three provinces reporting, the fewest it is shown for, then eight.
    def count():
        with django_assert_max_num_queries(20) as captured:
            response = operator_client.get(URL, {"tahun": YEAR, "bulan": 6})
            assert response.context["comparison"].national_pct is not None
        return len(captured.captured_queries)

    codes = ["51", "63", "72", "11", "12", "13", "14", "15"]
    for code in codes[:3]:
        make_realisation(make_allocation(code, YEAR), month=2)
    few = count()
    for code in codes[3:]:
        allocation = make_allocation(code, YEAR)
        for month in (2, 5, 6):
            make_realisation(allocation, month=month)
    assert count() == few
