"""The IKPA early warning (programs/reports/ikpa.py, its pages and exports): the band boundaries at their
edges, each part on a small world whose expected figures are worked out by hand from its records, "no data"
never made a score, the pages' scoping, a fixed number of queries, and bad input never a 500.

The world (fiscal year 2023, as of June unless said): Bali (51) has a DIPA of Rp 1.200.000.000 revised to
Rp 1.000.000.000, four revisions (one excluded by its code, one in the second semester), an RPD whose second
version comes in July, realisation of five of the first six months (two verified), and two ROs: one counting
firms (4 recorded, 2 of them in a verified activity, target 10), one entered by hand (2 recorded, 1
verified, target 4).
Kalimantan Selatan (63) has an allocation and one month's realisation only; Nusa Tenggara Barat (52) has none.
"""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from programs.models import (
    Achievement,
    CashPlan,
    CashPlanLine,
    Realisation,
    ReviewStatus,
    SpendingType,
)
from programs.reports import ikpa
from provinces.models import Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_participation,
    make_plan,
    make_realisation,
    make_revision,
)
from tests.sheetutil import table, table_cells

pytestmark = pytest.mark.django_db

YEAR = 2023
D = datetime.date
M = Decimal


# --- The rules at their edges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        ("0", "Kurang"),
        ("69.99", "Kurang"),
        ("70", "Cukup"),
        ("70.00", "Cukup"),
        ("88.99", "Cukup"),
        ("89", "Baik"),
        ("89.00", "Baik"),
        ("94.99", "Baik"),
        ("95", "Sangat Baik"),
        ("95.00", "Sangat Baik"),
        ("100", "Sangat Baik"),
    ],
)
def test_the_band_follows_the_official_boundaries_at_their_edges(score, band):
    assert ikpa.band_of(Decimal(score)).name == band


def test_no_score_has_no_band():
    assert ikpa.band_of(None) is None


def test_the_weights_are_the_regulations_and_the_parts_held_are_70_percent():
    assert ikpa.WEIGHTS == {"revisi": 10, "deviasi": 15, "penyerapan": 20, "capaian_output": 25}
    assert sum(ikpa.OFFICIAL_WEIGHTS.values()) == 100
    assert ikpa.COMPUTED_WEIGHT == 70


@pytest.mark.parametrize(("deviation", "score"), [("0", 100), ("5", 100), ("5.01", "94.99"), ("150", 0)])
def test_a_month_within_5_percent_scores_in_full(deviation, score):
    assert ikpa.month_deviation_score(Decimal(deviation)) == Decimal(score)


@pytest.mark.parametrize(("counted", "score"), [(0, 100), (1, 100), (2, 50), (3, 0), (7, 0)])
def test_a_semester_scores_by_its_counted_revisions(counted, score):
    assert ikpa.semester_score(counted) == score


def test_the_score_is_the_parts_held_rescaled_and_none_without_any():
    parts = {"revisi": M(100), "deviasi": None, "penyerapan": M(50), "capaian_output": None}
    assert ikpa.weighted_score(parts) == (M("66.67"), 30)  # (1000 + 1000) / 30
    assert ikpa.weighted_score(dict.fromkeys(ikpa.PARTS)) == (None, 0)


def test_a_revision_code_counts_unless_excluded_in_any_case():
    assert ikpa.revision_counts("R-01") and ikpa.revision_counts("")
    assert not ikpa.revision_counts(" adm ") and not ikpa.revision_counts("KEB")


# --- The world ------------------------------------------------------------------------------------------


def cash_plan(allocation, number, amounts, entered_at, user):
    """An RPD version: {month: amount} as belanja barang (52), the other types planned at zero."""
    plan = CashPlan.objects.create(
        allocation=allocation, number=number, entered_at=entered_at, entered_by=user
    )
    CashPlanLine.objects.bulk_create(
        CashPlanLine(
            cash_plan=plan,
            month=month,
            spending_type=t,
            amount=amounts.get(month, 0) if t == SpendingType.GOODS else 0,
        )
        for month in range(1, 13)
        for t in SpendingType.values
    )
    return plan


def at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def verify(*records):
    for record in records:
        type(record).objects.filter(pk=record.pk).update(review_status=ReviewStatus.VERIFIED)


MILLION = 1_000_000
RPD_V1 = {1: 50, 2: 50, 3: 100, 4: 100, 5: 100, 6: 100, 7: 100, 8: 100, 9: 100, 10: 100, 11: 100}
REALISED = {1: 50, 2: 52, 3: 90, 4: 100, 6: 130}  # May not recorded yet


@pytest.fixture
def world(operator):
    bali = make_allocation("51", YEAR, pagu=1_200 * MILLION)
    make_revision(bali, 1_000 * MILLION, D(YEAR, 2, 10), revision_code="R-01")
    make_revision(bali, 1_000 * MILLION, D(YEAR, 3, 20), revision_code="adm")  # excluded
    make_revision(bali, 1_000 * MILLION, D(YEAR, 5, 15), revision_code="")  # counts
    make_revision(bali, 1_000 * MILLION, D(YEAR, 8, 1), revision_code="R-02")  # after June
    firms_ro, manual_ro = make_plan(
        bali,
        ros=[
            {"target": 10, "pagu": 600 * MILLION},
            {"measure": "manual", "unit": "dokumen", "target": 4, "pagu": 400 * MILLION, "name": "Dokumen"},
        ],
    )
    cash_plan(bali, 1, {m: a * MILLION for m, a in RPD_V1.items()}, at(D(YEAR, 1, 10)), operator)
    cash_plan(bali, 2, dict.fromkeys(range(1, 13), 50 * MILLION), at(D(YEAR, 7, 3)), operator)  # July
    months = {m: make_realisation(bali, m, a * MILLION) for m, a in REALISED.items()}
    verify(months[1], months[2])
    firms = [make_firm("51", name=f"IKM Draf {n}") for n in range(3)]
    held = make_activity(
        bali,
        planned_output=firms_ro,
        planned_start=D(YEAR, 6, 12),
        planned_end=D(YEAR, 6, 15),
        title="Bimtek tertib",
    )
    for firm in firms:
        make_participation(held, firm)
    verified = make_activity(
        bali, planned_output=firms_ro, planned_start=D(YEAR, 5, 18), planned_end=D(YEAR, 5, 20)
    )
    make_participation(verified, make_firm("51", name="IKM Terverifikasi"))
    make_participation(verified, firms[0])  # in two activities: counted once
    verify(verified)
    late = make_activity(
        bali,
        planned_output=firms_ro,
        planned_start=D(YEAR, 7, 17),
        planned_end=D(YEAR, 7, 20),
        title="Bimtek Juli",
    )
    make_participation(late, make_firm("51", name="IKM Juli"))
    documents = [
        Achievement.objects.create(
            planned_output=manual_ro,
            month=month,
            quantity=1,
            evidence=ContentFile(b"%PDF-1.4\n", name="b.pdf"),
        )
        for month in (3, 5, 9)
    ]
    verify(documents[0])
    kalsel = make_allocation("63", YEAR, pagu=800 * MILLION)
    make_realisation(kalsel, 3, 100 * MILLION)
    return {"bali": bali, "kalsel": kalsel, "firms_ro": firms_ro, "manual_ro": manual_ro, "late": late}


def rows_of(client, month=6, **params):
    response = client.get(
        reverse("reports:ikpa"), {"tahun": YEAR, "bulan": month, "format": "json", **params}
    )
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def by_code(data):
    return {r["province_code"]: r for r in data["rows"]}


# Bali as of June, worked out by hand from the world's records:
# revisi: semester 1 counts R-01 and the one without a code (adm is excluded): 2 → 50.
# deviasi (RPD v1; v2 came in July): Jan 0 % → 100, Feb 4 % → 100, Mar 10 % → 90, Apr 0 % → 100,
#   May not recorded: 100 % → 0, Jun 30 % → 70; mean 460 / 6 = 76.67.
# penyerapan: 422.000.000 of the pagu in force (1.000.000.000) = 42.20 % against the trajectory 40.00 → 100.
# capaian output: firms 4 (3 + 1, the firm in two activities once; July's not yet) of 10 = 40 % against
#   50 % expected (6 / 12) → 80; documents 2 of 4 = 50 % → 100; mean 90.
# score: (10 × 50 + 15 × 76.67 + 20 × 100 + 25 × 90) / 70 = 5900.05 / 70 = 84.29 → Cukup.
BALI_JUNE = {
    "revisi": 50.0,
    "deviasi": 76.67,
    "penyerapan": 100.0,
    "capaian_output": 90.0,
    "score": 84.29,
    "band": "Cukup",
}


def test_each_part_of_a_province_equals_the_worked_out_figures(pusat_client, world):
    bali = by_code(rows_of(pusat_client))["51"]
    assert {key: bali[key] for key in BALI_JUNE} == BALI_JUNE
    assert bali["weight_counted"] == 70


def test_as_of_august_the_second_semester_and_the_july_rpd_count(pusat_client, world):
    bali = by_code(rows_of(pusat_client, month=8))["51"]
    # revisi: semester 1 → 50, semester 2 → 100: 75.
    assert bali["revisi"] == 75.0
    # deviasi against RPD v2 (50.000.000 a month): Jan 0 → 100, Feb 4 % → 100, Mar 80 % → 20, Apr 100 % → 0,
    # May, Jul and Aug not recorded 100 % → 0, Jun 160 % → 0: 220 / 8 = 27.5.
    assert bali["deviasi"] == 27.5
    # penyerapan 42.20 % against the trajectory of August, 40 + 20 × 2 / 3 = 53.33: 79.13.
    assert bali["penyerapan"] == 79.13
    # capaian: firms 5 (July's activity held by August's end) of 10 = 50 % against 66.67 % → 75.00;
    # documents 2 of 4 = 50 % → 75.00 (September's not yet): 75.
    assert bali["capaian_output"] == 75.0


def test_a_part_without_its_data_is_none_never_a_made_up_score(pusat_client, world):
    rows = by_code(rows_of(pusat_client))
    kalsel = rows["63"]
    # No RPD, no RO: deviasi and capaian output have no data; the revisi part (no revision) and penyerapan
    # (100.000.000 of 800.000.000 = 12.50 % against 40 %: 31.25) have.
    assert (kalsel["deviasi"], kalsel["capaian_output"]) == (None, None)
    assert (kalsel["revisi"], kalsel["penyerapan"]) == (100.0, 31.25)
    assert kalsel["score"] == round((10 * 100 + 20 * 31.25) / 30, 2) == 54.17
    assert (kalsel["band"], kalsel["weight_counted"]) == ("Kurang", 30)
    ntb = rows["52"]  # no allocation in 2023
    assert [ntb[k] for k in (*ikpa.PARTS, "score", "band", "rank")] == [None] * 7


def test_the_json_holds_the_issues_keys_for_every_province_ranked_best_first(pusat_client, world):
    data = rows_of(pusat_client)
    assert (data["year"], data["month"], data["computed_weight_pct"]) == (YEAR, 6, 70)
    assert len(data["rows"]) == 38  # the provinces of 2023
    issue_keys = {"province_code", "revisi", "deviasi", "penyerapan", "capaian_output", "score", "band"}
    assert all(issue_keys <= set(row) for row in data["rows"])
    assert [r["province_code"] for r in data["rows"][:2]] == ["51", "63"]  # 84.29, then 54.17
    assert [r["rank"] for r in data["rows"][:3]] == [1, 2, None]


def test_what_is_not_verified_yet_is_counted_and_said(pusat_client, world):
    bali = by_code(rows_of(pusat_client))["51"]
    # Of the 422.000.000 realised to June only January and February (102.000.000) are verified.
    assert (bali["realised"], bali["unverified_realised"]) == (422 * MILLION, 320 * MILLION)
    page = pusat_client.get(reverse("reports:ikpa_province", args=["51"]), {"tahun": YEAR, "bulan": 6})
    html = page.content.decode()
    assert "Rp 320.000.000 belum diverifikasi" in html
    assert "termasuk yang belum diverifikasi" in html


def test_the_drill_down_marks_what_costs_points(pusat_client, world):
    url = reverse("reports:ikpa_province", args=["51"])
    data = json.loads(
        b"".join(pusat_client.get(url, {"tahun": YEAR, "bulan": 6, "format": "json"}).streaming_content)
    )
    assert [m["deviation_pct"] for m in data["months"]["rows"]] == [0.0, 4.0, 10.0, 0.0, 100.0, 30.0]
    assert [r["counts"] for r in data["revisions"]["rows"]] == [True, False, True]
    assert [(o["achieved"], o["verified"], o["score"]) for o in data["outputs"]["rows"]] == [
        (4, 2, 80.0),
        (2, 1, 100.0),
    ]
    html = pusat_client.get(url, {"tahun": YEAR, "bulan": 6}).content.decode()
    # March, May and June cost points; the RO behind its expected level lists its activities.
    assert html.count('class="table-warning"') == 3 + 2 + 1  # 3 months, the 2 counted revisions, 1 RO
    assert "Bimtek tertib" in html and "Bimtek Juli" in html


def test_the_pages_say_which_70_percent_is_computed(pusat_client, world):
    for url in (reverse("reports:ikpa"), reverse("reports:ikpa_province", args=["51"])):
        html = pusat_client.get(url, {"tahun": YEAR, "bulan": 6}).content.decode()
        assert "70 % bobot yang dihitung aplikasi" in html
        assert "Belanja kontraktual" in html
        assert "Cukup" in html  # the band in words


def test_the_ranking_page_shows_the_scores_with_their_band(pusat_client, world):
    html = pusat_client.get(reverse("reports:ikpa"), {"tahun": YEAR, "bulan": 6}).content.decode()
    assert 'data-province="51"' in html and "84,29" in html and "tidak ada data" in html


def test_the_xlsx_carries_the_same_scores(pusat_client, world):
    response = pusat_client.get(reverse("reports:ikpa"), {"tahun": YEAR, "bulan": 6, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = table(sheet)  # from the header row, below the title block
    header, first = rows[0], rows[1]
    assert first[header.index("Kode provinsi")] == "51"
    assert first[header.index("Nilai IKPA (dari bobot yang dihitung)")] == 84.29
    assert first[header.index("Kategori")] == "Cukup"


def test_the_drill_downs_xlsx_writes_months_and_semesters_as_codes_not_quantities(pusat_client, world):
    url = reverse("reports:ikpa_province", args=["51"])
    response = pusat_client.get(url, {"tahun": YEAR, "bulan": 6, "format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    naming = []
    for sheet in book.worksheets:
        rows = table_cells(sheet)  # from the header row, below the title block
        for index, header in enumerate(rows[0]):
            if header.value in ("Bulan", "Semester"):
                naming += [row[index] for row in rows[1:] if isinstance(row[index].value, int)]
    assert len(naming) == 3 + 6  # three revisions' semesters, six months
    assert all(cell.number_format == "0" for cell in naming)


# --- Scope --------------------------------------------------------------------------------------------------


def test_an_operator_ranks_only_their_own_province(operator_client, world):
    data = rows_of(operator_client)
    assert [r["province_code"] for r in data["rows"]] == ["51"]
    html = operator_client.get(reverse("reports:ikpa"), {"tahun": YEAR, "bulan": 6}).content.decode()
    assert "Kalimantan Selatan" not in html


def test_another_provinces_drill_down_answers_404(operator_client, operator_b_client, kadis_b_client, world):
    url = reverse("reports:ikpa_province", args=["51"])
    for client in (operator_b_client, kadis_b_client):
        assert client.get(url, {"tahun": YEAR}).status_code == 404
        assert client.get(url, {"tahun": YEAR, "format": "json"}).status_code == 404
    assert operator_client.get(url, {"tahun": YEAR}).status_code == 200


def test_the_head_of_office_sees_their_province(kadis_client, world):
    response = kadis_client.get(reverse("reports:ikpa"), {"tahun": YEAR, "format": "json"})
    assert [r["province_code"] for r in json.loads(b"".join(response.streaming_content))["rows"]] == ["51"]


def test_a_regency_operator_reads_no_provinces_score(regency_operator_client, world):
    assert rows_of(regency_operator_client)["rows"] == []
    html = regency_operator_client.get(reverse("reports:ikpa"), {"tahun": YEAR}).content.decode()
    assert 'id="ikpa-withheld"' in html
    own = reverse("reports:ikpa_province", args=["63"])  # their own province
    assert regency_operator_client.get(own, {"tahun": YEAR}).status_code == 404


# --- Bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tahun": YEAR, "bulan": "13"}, "Pilih bulan 1 sampai 12."),
        ({"tahun": YEAR, "bulan": "x"}, "Pilih bulan 1 sampai 12."),
        ({"tahun": "abc", "bulan": "6"}, "Tulis tahun empat angka"),
        ({"tahun": "99999"}, "2100"),
    ],
)
def test_bad_input_says_so_and_shows_the_default(pusat_client, world, params, message):
    for url in (reverse("reports:ikpa"), reverse("reports:ikpa_province", args=["51"])):
        response = pusat_client.get(url, params)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert pusat_client.get(url, {**params, "format": "json"}).status_code == 200


def test_an_unknown_month_falls_back_to_the_default_month(pusat_client, world):
    assert rows_of(pusat_client, month="13")["month"] == 12  # a past year: December


def test_an_unknown_format_or_province_answers_404(pusat_client, world):
    assert pusat_client.get(reverse("reports:ikpa"), {"format": "pdf"}).status_code == 404
    assert pusat_client.get(reverse("reports:ikpa_province", args=["99"])).status_code == 404
    # Papua Selatan did not exist in 2020: no drill-down of a year it did not exist in
    assert pusat_client.get(reverse("reports:ikpa_province", args=["93"]), {"tahun": 2020}).status_code == 404


# --- Queries -----------------------------------------------------------------------------------------------


def province_year(code, operator):
    """An allocation of 2023 with a plan of two ROs, an RPD, three months' realisation and an activity."""
    allocation = make_allocation(code, YEAR, pagu=1_000 * MILLION)
    make_revision(allocation, 900 * MILLION, D(YEAR, 2, 1), revision_code="R-01")
    firms_ro, manual_ro = make_plan(
        allocation, ros=[{}, {"measure": "manual", "unit": "dokumen", "target": 2, "pagu": 100 * MILLION}]
    )
    cash_plan(allocation, 1, dict.fromkeys(range(1, 13), 75 * MILLION), at(D(YEAR, 1, 5)), operator)
    for month in (1, 2, 3):
        make_realisation(allocation, month, 70 * MILLION)
    activity = make_activity(
        allocation, planned_output=firms_ro, planned_start=D(YEAR, 2, 27), planned_end=D(YEAR, 3, 1)
    )
    make_participation(activity, make_firm(code, regency=Regency.objects.filter(province__code=code).first()))
    Achievement.objects.create(
        planned_output=manual_ro, month=2, quantity=1, evidence=ContentFile(b"%PDF-1.4\n", name="b.pdf")
    )


# The ranking (15): the session, the user and their roles; the provinces, the allocations, the revisions, the
# realisations, the RPD versions, their lines, the realisation line sums, the ROs; the achievements by one
# grouped query per measure kind the ROs use (here firms and manual), once over every record and once
# verified only; the navbar's bell. The margin: the session's save (3) and a second look at the roles.
RANKING_QUERIES = 24


@pytest.mark.parametrize("codes", [("51", "63"), ("51", "63", "52", "53", "61", "62")])
def test_the_ranking_runs_a_fixed_number_of_queries(
    client, pusat, operator, codes, django_assert_max_num_queries
):
    for code in codes:
        province_year(code, operator)
    client.force_login(pusat)
    with django_assert_max_num_queries(RANKING_QUERIES):
        page = client.get(reverse("reports:ikpa"), {"tahun": YEAR, "bulan": 6})
    assert page.content.decode().count('data-part="band"><span class="badge') == len(codes)
    with django_assert_max_num_queries(RANKING_QUERIES):
        data = rows_of(client)
    assert sum(r["score"] is not None for r in data["rows"]) == len(codes)


@pytest.mark.parametrize("activities", [1, 6])
def test_the_drill_down_runs_a_fixed_number_of_queries(
    client, pusat, operator, activities, django_assert_max_num_queries
):
    province_year("51", operator)
    allocation = Realisation.objects.filter(allocation__province__code="51").first().allocation
    ro = allocation.plan_items.filter(level="ro").order_by("code").first()
    for _n in range(activities):
        make_activity(allocation, planned_output=ro, planned_start=D(YEAR, 8, 30), planned_end=D(YEAR, 9, 1))
    client.force_login(pusat)
    with django_assert_max_num_queries(RANKING_QUERIES + 2):  # + the province, the activities behind
        page = client.get(reverse("reports:ikpa_province", args=["51"]), {"tahun": YEAR, "bulan": 6})
    assert page.status_code == 200
