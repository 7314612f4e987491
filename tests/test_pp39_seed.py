"""The acceptance of issue 17's forms on the demo data: Form C of Kalimantan Selatan, second quarter of 2020.

The demo is seeded once for the module inside a transaction rolled back at the end (as tests/test_seed_demo.py
does). Each RO's target, achievement and realisation is worked out here from the records — plain loops over
the verified rows — and compared with the JSON, and the JSON's figures with the PDF's text, page by page.
"""

import datetime
import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from pypdf import PdfReader

from programs.models import Achievement, Output, PlanItem, RealisationLine

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seed_demo")]

URL = "/laporan/provinsi/63/triwulan/2/?tahun=2020"
END = datetime.date(2020, 6, 30)
VERIFIED = "terverifikasi"
GROUPED_YEAR = re.compile(r"(?<![\d.,])2[.,]0\d\d(?![\d]|[.,]\d)")


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", force=True, stdout=StringIO(), stderr=StringIO(), verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def ministry():
    client = Client()
    client.force_login(get_user_model().objects.get(username="pusat"))
    return client


def expected_rows():
    """{RO code: (target, achieved, pagu, realised)} of Kalimantan Selatan's 2020 plan as of June, from the
    records: verified activities' outputs of the RO's product type made by 30 June, verified manual
    achievements of January–June, realisation lines of the verified months January–June."""
    ros = list(PlanItem.objects.filter(allocation__province__code="63", allocation__year=2020, level="ro"))
    assert ros
    result = {}
    for ro in ros:
        if ro.measure == "produk":
            achieved = sum(
                o.quantity
                for o in Output.objects.filter(participation__activity__planned_output=ro).select_related(
                    "participation__activity"
                )
                if o.participation.activity.review_status == VERIFIED
                and o.product_type == ro.product_type
                and o.produced_on <= END
            )
        elif ro.measure == "manual":
            achieved = sum(
                a.quantity
                for a in Achievement.objects.filter(planned_output=ro)
                if a.review_status == VERIFIED and a.month <= 6
            )
        else:
            pytest.fail(f"the demo's Kalimantan Selatan RO {ro.code} counts {ro.measure}: add it here")
        realised = sum(
            line.amount
            for line in RealisationLine.objects.filter(planned_output=ro).select_related("realisation")
            if line.realisation.review_status == VERIFIED and line.realisation.month <= 6
        )
        result[ro.code] = (ro.target, achieved, ro.pagu, realised)
    return result


def number(n):
    return f"{int(n):,}".replace(",", ".")


def percent(part, whole):
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + " %"


def test_form_c_of_kalimantan_selatan_q2_2020_holds_the_records_figures_in_json_and_pdf(ministry):
    expected = expected_rows()
    data = json.loads(b"".join(ministry.get(URL + "&format=json").streaming_content))
    rows = {r["code"]: r for r in data["form_c"]["rows"]}
    assert sorted(rows) == sorted(expected)
    for code, (target, achieved, pagu, realised) in expected.items():
        assert (rows[code]["target"], rows[code]["achieved"]) == (target, achieved), code
        assert (rows[code]["pagu"], rows[code]["realised"]) == (pagu, realised), code
        assert rows[code]["absorption_pct"] == float(percent(realised, pagu)[:-2].replace(",", "."))

    response = ministry.get(URL + "&format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    form_c = [" ".join(t.split()) for t in text if t.startswith("Formulir C")]
    assert form_c
    whole = " ".join(form_c)
    assert "Kalimantan Selatan" in whole and "Triwulan II" in whole and "Tahun Anggaran 2020" in whole
    codes = [r["code"] for r in data["form_c"]["rows"]]
    for code, following in zip(codes, [*codes[1:], "Jumlah"], strict=True):
        row = whole[whole.index(code) : whole.index(following, whole.index(code) + len(code))]
        r = rows[code]
        for figure in (
            f" {number(r['target'])} ",
            f" {number(r['achieved'])} ",
            f"Rp {number(r['pagu'])}",
            f"Rp {number(r['realised'])}",
            percent(r["realised"], r["pagu"]),
        ):
            assert figure in row, (code, figure, row)
    totals = data["form_c"]["totals"]
    assert f"Rp {number(totals['realised'])} {percent(totals['realised'], totals['pagu'])}" in whole
    # The signature block (its NIP line) is on the page of the last table row and of the totals.
    signed = [t for t in form_c if "NIP " in t]
    assert len(signed) == 1 and codes[-1] in signed[0] and "Jumlah" in signed[0]
    assert "Banjarbaru," in signed[0]
    assert not any(GROUPED_YEAR.search(t) for t in text)


def test_the_national_bundle_of_the_demo_holds_34_provinces_each_from_a_new_page(ministry):
    response = ministry.get("/laporan/nasional/triwulan/2/?tahun=2020&format=pdf")
    text = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages]
    codes = [m.group(1) for t in text for m in [re.search(r"\(kode (\d\d)\)", t)] if m]
    assert len(codes) == 34 and codes == sorted(codes)
    assert all(t.startswith("Formulir C") for t in text if "(kode " in t)
