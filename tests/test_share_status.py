"""A province's status to share in a chat: one portrait page as PDF or a PNG about 1080 pixels wide, with the
pagu in force, the realisation to the month, absorption against the trajectory in words, the ROs'
achievement and what is missing or due; its scope and bad input.

Expected figures are worked out here from what the test records.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from programs.models import Activity, Realisation
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


def _url(code="63", **params):
    query = "&".join(f"{k}={v}" for k, v in {"tahun": YEAR, **params}.items())
    return reverse("reports:province_status", kwargs={"code": code}) + "?" + query


def flat(text):
    return " ".join(text.split())


@pytest.fixture
def province_b_2020():
    """Kalimantan Selatan 2020, pagu 1.000.000.000: realisation 100.000.000 in March (verified) and
    150.000.000 in April (a draft), one RO of 10 IKM with 2 firms in a verified activity in March."""
    allocation = make_allocation("63", YEAR, pagu=Decimal("1000000000"))
    (ro,) = make_plan(allocation, [{"target": 10, "name": "IKM yang didampingi"}])
    activity = make_activity(
        allocation,
        planned_output=ro,
        status="selesai",
        planned_start=datetime.date(YEAR, 3, 1),
        planned_end=datetime.date(YEAR, 3, 5),
        actual_start=datetime.date(YEAR, 3, 1),
        actual_end=datetime.date(YEAR, 3, 5),
    )
    regency = Regency.objects.get(code="63.71")
    for _ in range(2):
        make_participation(activity, make_firm("63", regency=regency))
    Activity.objects.filter(pk=activity.pk).update(review_status="terverifikasi")
    march = make_realisation(allocation, 3, Decimal("100000000"))
    Realisation.objects.filter(pk=march.pk).update(review_status="terverifikasi")
    make_realisation(allocation, 4, Decimal("150000000"))
    return allocation, ro


def _pdf_text(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1  # one page to share
    page = reader.pages[0]
    assert float(page.mediabox.width) < float(page.mediabox.height)  # portrait
    return flat(page.extract_text())


def test_the_status_pdf_says_on_track_in_words_with_the_month_s_figures(pusat_client, province_b_2020):
    text = _pdf_text(pusat_client.get(_url(bulan=4, format="pdf")))
    # April: 250.000.000 of 1.000.000.000 = 25,00 %; the trajectory at April's end: 15 + 25/3 = 23,33 %.
    assert "Kalimantan Selatan" in text and "April 2020" in text
    assert "Rp 1.000.000.000" in text and "Rp 250.000.000" in text
    assert "25,00 %" in text and "23,33 %" in text
    assert "SESUAI TARGET" in text and "TERTINGGAL" not in text
    assert "Termasuk data belum diverifikasi: Rp 150.000.000" in text
    assert "IKM yang didampingi" in text and "2 / 10 IKM (20,00 %)" in text


def test_behind_the_trajectory_is_said_with_the_gap(pusat_client, province_b_2020):
    # June: still 250.000.000 = 25,00 % against 40,00 %: 15,00 % of the pagu behind.
    text = _pdf_text(pusat_client.get(_url(bulan=6, format="pdf")))
    assert "▼ TERTINGGAL (target 40,00 %; selisih -15,00 poin)" in text
    assert "Juni 2020" in text


def test_the_png_is_1080_pixels_wide_and_portrait(pusat_client, province_b_2020):
    response = pusat_client.get(_url(bulan=6, format="png"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG" and image.width == 1080 and image.height > image.width


def test_missing_reports_of_the_months_up_to_then_are_listed(pusat_client, province_b_2020):
    # Nothing was ever handed over: the months up to April and the first quarter are missing; May onwards
    # are not part of a status as of April.
    text = _pdf_text(pusat_client.get(_url(bulan=4, format="pdf")))
    assert "Belum masuk (lewat tenggat)" in text
    assert "Bulan Januari 2020" in text and "Triwulan I 2020" in text
    assert "Bulan Mei 2020" not in text


def test_the_browser_page_shows_the_card_and_both_downloads(operator_b_client, province_b_2020):
    html = operator_b_client.get(_url(bulan=4)).content.decode()
    assert 'id="status-pdf"' in html and 'id="status-png"' in html and "format=png" in html
    assert "SESUAI TARGET" in html


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"bulan": 13, "format": "pdf"}, 200),  # the default month instead
        ({"bulan": "x"}, 200),
        ({"tahun": "abc", "format": "png"}, 200),
        ({"format": "gif"}, 404),
        ({"format": "xlsx"}, 404),
    ],
)
def test_bad_input_never_fails(pusat_client, province_b_2020, params, status):
    assert pusat_client.get(_url(**params)).status_code == status


def test_another_province_s_staff_and_a_regency_operator_get_404(
    operator_client, regency_operator_client, province_b_2020
):
    assert operator_client.get(_url(format="pdf")).status_code == 404
    assert operator_client.get(_url()).status_code == 404
    # The status is the province's totals; a regency operator reads their own records only.
    for fmt in (None, "pdf", "png"):
        assert regency_operator_client.get(_url(**({"format": fmt} if fmt else {}))).status_code == 404


def test_a_province_without_an_allocation_gets_a_clear_page(pusat_client):
    text = _pdf_text(pusat_client.get(_url(code="51", format="pdf")))
    assert "Belum ada alokasi anggaran provinsi ini" in text


def test_the_province_report_offers_to_share_the_status(operator_b_client, province_b_2020):
    html = operator_b_client.get(reverse("reports:province", args=["63"]) + "?tahun=2020").content.decode()
    assert "Bagikan status" in html
    assert 'id="share-status-pdf"' in html and 'id="share-status-png"' in html


def test_the_status_page_runs_the_same_queries_on_more_data(
    pusat_client, province_b_2020, django_assert_num_queries
):
    allocation, ro = province_b_2020
    pusat_client.get(_url(bulan=6))
    with django_assert_num_queries(100, exact=False) as small:
        pusat_client.get(_url(bulan=6))
    for month in (5, 6):
        make_realisation(allocation, month, Decimal("10000000"))
    make_activity(allocation, planned_output=ro)
    with django_assert_num_queries(len(small)):
        pusat_client.get(_url(bulan=6))
