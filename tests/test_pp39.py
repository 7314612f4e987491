"""The PP 39/2006 quarterly forms (A, B, C) of a province as a server-made PDF, as XLSX sheets and in the
JSON; the national bundle of Form C; bad input; the signature block that never leaves its table.

Expected figures are computed here from the records the test writes (plain sums over what was created),
never by the forms' own code; the PDF is read back with pypdf, page by page.
"""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from programs import packages, pdf, services
from programs.models import Activity, QuarterlyNote, Realisation, RealisationLine
from programs.reports import pp39
from provinces.models import Province, Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_participation,
    make_plan,
    make_realisation,
)
from tests.sheetutil import table

pytestmark = pytest.mark.django_db

YEAR = 2020
VERIFIED = "terverifikasi"


def _url(code="63", quarter=2, **params):
    query = "&".join(f"{k}={v}" for k, v in {"tahun": YEAR, **params}.items())
    return reverse("reports:quarterly", kwargs={"code": code, "quarter": quarter}) + "?" + query


def pages(response):
    """The text of each page of a PDF response."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def flat(text):
    """A page's text on one line (the PDF wraps long cells and sentences)."""
    return " ".join(text.split())


def _json(response):
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content))


def rupiah(n):
    """ "Rp 1.234.000", written out here rather than through the application's filter."""
    return "Rp " + f"{int(n):,}".replace(",", ".")


def pct(part, whole):
    """ "12,35 %": part × 100 / whole, two decimals half up, decimal comma."""
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return f"{value}".replace(".", ",") + " %"


def realise(allocation, month, lines, status):
    """A month's realisation split over ROs ({RO: amount}), in the given review state."""
    realisation = make_realisation(allocation, month, sum(lines.values()))
    for ro, amount in lines.items():
        RealisationLine.objects.create(
            realisation=realisation, planned_output=ro, spending_type="52", amount=amount
        )
    Realisation.objects.filter(pk=realisation.pk).update(review_status=status)
    return realisation


def held(allocation, ro, day, *, verified=True, firms=()):
    activity = make_activity(
        allocation,
        planned_output=ro,
        status="selesai",
        planned_start=day - datetime.timedelta(days=3),
        planned_end=day,
        actual_start=day - datetime.timedelta(days=3),
        actual_end=day,
    )
    for firm in firms:
        make_participation(activity, firm)
    if verified:
        Activity.objects.filter(pk=activity.pk).update(review_status=VERIFIED)
    return activity


@pytest.fixture
def province_b():
    return Province.objects.get(code="63")


@pytest.fixture
def plan_b():
    """Kalimantan Selatan 2020: two ROs counting distinct IKM; verified and unverified activities and months
    before and after June. Returns (allocation, ros, expected) with Form C's figures as of June by hand."""
    allocation = make_allocation("63", YEAR, pagu=Decimal("1000000000"))
    ros = make_plan(
        allocation,
        [
            {"name": "IKM sandang yang didampingi", "target": 10, "pagu": Decimal("600000000")},
            {"name": "IKM pangan yang difasilitasi", "target": 4, "pagu": Decimal("400000000")},
        ],
    )
    firms = [make_firm("63", regency="63.71") for _ in range(5)]
    held(allocation, ros[0], datetime.date(YEAR, 5, 10), firms=firms[:3])
    held(allocation, ros[0], datetime.date(YEAR, 6, 20), firms=firms[2:4])  # firm 2 again: counted once
    held(allocation, ros[0], datetime.date(YEAR, 6, 25), verified=False, firms=[firms[4]])  # not verified
    held(allocation, ros[0], datetime.date(YEAR, 7, 5), firms=[firms[4]])  # after June
    held(allocation, ros[1], datetime.date(YEAR, 4, 2), firms=[firms[0]])
    realise(allocation, 3, {ros[0]: Decimal("50000000"), ros[1]: Decimal("20000000")}, VERIFIED)
    realise(allocation, 5, {ros[0]: Decimal("90000000")}, "draf")  # not verified: not on the forms
    realise(allocation, 6, {ros[0]: Decimal("70000000"), ros[1]: Decimal("33333000")}, VERIFIED)
    realise(allocation, 8, {ros[1]: Decimal("10000000")}, VERIFIED)  # after the quarter
    expected = {
        ros[0].code: {"target": 10, "achieved": 4, "pagu": 600000000, "realised": 120000000},
        ros[1].code: {"target": 4, "achieved": 1, "pagu": 400000000, "realised": 53333000},
    }
    return allocation, ros, expected


# --- Form C: the figures, the JSON, the PDF -----------------------------------------------------------------


def test_form_c_equals_the_records_counted_by_hand_in_the_json_and_in_the_pdf(pusat_client, plan_b):
    _allocation, _ros, expected = plan_b
    data = _json(pusat_client.get(_url(format="json")))
    rows = {r["code"]: r for r in data["form_c"]["rows"]}
    assert list(rows) == sorted(expected)
    for code, figures in expected.items():
        for key, value in figures.items():
            assert rows[code][key] == value, (code, key)
        assert rows[code]["absorption_pct"] == float(
            pct(figures["realised"], figures["pagu"])[:-2].replace(",", ".")
        )
    realised = sum(f["realised"] for f in expected.values())
    assert data["form_c"]["totals"] == {
        "pagu": 1000000000,
        "realised": realised,
        "absorption_pct": float(pct(realised, 1000000000)[:-2].replace(",", ".")),
    }

    text = pages(pusat_client.get(_url(format="pdf")))
    form_c = [t for t in text if "Formulir C" in t]
    whole = "\n".join(form_c)
    assert "Kalimantan Selatan" in whole and "Triwulan II" in whole and "2020" in whole
    for code, figures in expected.items():
        line = next(line for line in whole.splitlines() if line.startswith(code))
        row = whole[whole.index(line) :].split("\n5807.QEA")[0]
        assert f" {figures['target']} " in row or f" {figures['target']:,} ".replace(",", ".") in row
        assert f" {figures['achieved']} " in row
        assert rupiah(figures["realised"]) in row and rupiah(figures["pagu"]) in row
        assert pct(figures["realised"], figures["pagu"]) in row
    assert rupiah(realised) in whole and pct(realised, 1000000000) in whole


def test_the_forms_are_a4_with_page_numbers_printed_on_date_and_form_a_b_c_in_order(pusat_client, plan_b):
    response = pusat_client.get(_url(format="pdf"))
    reader = PdfReader(io.BytesIO(response.content))
    text = pages(response)
    total = len(text)
    for number, page in enumerate(text, start=1):
        assert f"Halaman {number} dari {total}" in page
        assert "Dicetak dari IKM Dekon pada" in page and "WIB" in page
    assert [t.splitlines()[0][:10] for t in text] == ["Formulir A", "Formulir B", "Formulir C"]
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages]
    assert sizes == [(595, 842), (842, 595), (842, 595)]  # A4; Forms B and C landscape


def test_form_a_lists_the_plan_by_code_with_each_heading_holding_its_ros_pagu(pusat_client, plan_b):
    _allocation, ros, _expected = plan_b
    text = pages(pusat_client.get(_url(format="pdf")))[0]
    codes = [line.split()[0] for line in text.splitlines() if line[:1].isdigit()]
    assert codes[:5] == ["019.08.WA", "5807", "5807.QEA", ros[0].code, ros[1].code]
    assert text.count(rupiah(1000000000)) >= 3  # program, kegiatan and KRO: the ROs' sum
    assert "10 IKM" in text and "4 IKM" in text


def test_form_b_runs_from_january_with_the_rpd_the_trajectory_and_verified_realisation(pusat_client, plan_b):
    data = _json(pusat_client.get(_url(format="json")))
    months = data["form_b"]["rows"]
    assert [m["label"] for m in months] == ["Januari", "Februari", "Maret", "April", "Mei", "Juni"]
    # Verified months only: March 70.000.000, June 103.333.000 (May's draft is not counted).
    assert [m["realised"] for m in months] == [0, 0, 70000000, 70000000, 70000000, 173333000]
    assert [m["benchmark_pct"] for m in months] == [5.0, 10.0, 15.0, 23.33, 31.67, 40.0]
    assert months[-1]["realised_pct"] == 17.33
    assert all(m["planned"] is None for m in months)  # no RPD recorded: no target, said on the form
    text = flat(pages(pusat_client.get(_url(format="pdf")))[1])
    assert "RPD belum dicatat" in text


# --- The signature and the approval trail ------------------------------------------------------------------


def _approve_quarter(allocation, operator, head, quarter=2):
    QuarterlyNote.objects.create(
        allocation=allocation,
        quarter=quarter,
        problems="PSBB menunda pendampingan luring.",
        follow_up="Pendampingan dilanjutkan secara daring.",
    )
    package, _created = packages.get_or_start(allocation, "triwulanan", quarter, actor=operator)
    services.prepare(package=package, actor=operator)
    services.approve(package=package, actor=head)
    package.refresh_from_db()
    return package


def test_the_kepala_dinas_who_approved_signs_with_place_date_title_name_and_nip(
    pusat_client, plan_b, operator_b, kadis_b
):
    allocation, _ros, _expected = plan_b
    package = _approve_quarter(allocation, operator_b, kadis_b)
    text = flat(pages(pusat_client.get(_url(format="pdf")))[-1])
    from django.utils import formats, timezone

    day = formats.date_format(timezone.localtime(package.approved_at).date(), "j F Y")
    assert f"Banjarbaru, {day}" in text
    assert "Kepala Dinas Perindustrian dan Perdagangan Provinsi Kalimantan" in text
    assert "kadis-63" in text and "NIP 197003151996031004" in text
    assert "belum disetujui" not in text
    assert "PSBB menunda pendampingan luring." in text and "Pendampingan dilanjutkan secara daring." in text
    # The trail: prepared by the operator, approved by the Kepala Dinas, not verified yet (said so).
    assert "Disetujui: kadis-63" in text
    assert "belum diverifikasi" in text
    assert "Catatan permasalahan dan tindak lanjut belum diverifikasi" in text


def test_before_approval_the_province_s_kepala_dinas_is_named_and_the_form_says_not_approved(
    pusat_client, plan_b, kadis_b
):
    text = flat(pages(pusat_client.get(_url(format="pdf")))[-1])
    assert "(belum disetujui)" in text
    assert "kadis-63" in text and "NIP 197003151996031004" in text and "Banjarbaru," in text
    assert "belum dimulai" in text


def _form_c(province, n, note_lines):
    rows = [
        {
            "code": f"5807.QEA.{i:03d}",
            "name": f"Rincian output uji nomor {i} dengan uraian yang cukup panjang untuk dua baris tabel",
            "unit_label": "IKM",
            "target": 10 + i,
            "achieved": i,
            "achieved_pct": Decimal(i),
            "pagu": Decimal(1000000 * i),
            "realised": Decimal(500000 * i),
            "absorption_pct": Decimal(50),
        }
        for i in range(1, n + 1)
    ]
    note = QuarterlyNote(
        problems="\n".join(["Permasalahan uji."] * note_lines), follow_up="Tindak lanjut uji."
    )
    return pp39.FormC(
        province=province,
        allocation=None,
        rows=rows,
        totals={"pagu": sum(r["pagu"] for r in rows), "realised": 0, "absorption_pct": None},
        note=note,
        signatory=pp39.Signatory(None, False, None),
    )


def test_the_signature_block_is_on_the_page_of_the_last_table_row_whatever_the_length(province_b):
    """Form C rendered with 1 to 40 ROs and short or long notes: wherever the table breaks, the page holding
    the signature (its NIP line) holds the last RO and the totals too."""
    from django.template.loader import render_to_string
    from django.utils import timezone

    broke = 0
    for n in range(1, 41, 3):
        for note_lines in (1, 12):
            html = render_to_string(
                "reports/pdf/national.html",
                {
                    "forms": [_form_c(province_b, n, note_lines)],
                    "year": YEAR,
                    "numeral": "II",
                    "end": datetime.date(YEAR, 6, 30),
                    "printed_at": timezone.localtime(),
                },
            )
            text = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.html_to_pdf(html))).pages]
            signed = [i for i, t in enumerate(text) if "NIP ……" in t]
            assert len(signed) == 1, (n, note_lines)
            page = text[signed[0]]
            assert f"5807.QEA.{n:03d}" in page and "Jumlah" in page, (n, note_lines, len(text))
            broke += len(text) > 1
    assert broke >= 5  # the table really ran over pages in many of the cases


# --- XLSX and bad input ---------------------------------------------------------------------------------


def test_the_xlsx_carries_forms_a_b_c_after_the_report_s_sheets_with_the_json_s_figures(pusat_client, plan_b):
    response = pusat_client.get(_url(format="xlsx"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames[-3:] == ["Formulir A", "Formulir B", "Formulir C"]
    assert len(book.sheetnames) == 6  # the quarterly report's three, then the forms
    data = _json(pusat_client.get(_url(format="json")))
    sheet = book["Formulir C"]
    header, *body = table(sheet)  # from the header row, below the title block
    got = [dict(zip(header, row, strict=True)) for row in body]
    for row, expected in zip(got, data["form_c"]["rows"], strict=False):
        assert row["Kode"] == expected["code"]
        assert row["Target"] == expected["target"] and row["Capaian"] == expected["achieved"]
        assert row["Realisasi (Rp)"] == expected["realised"]
    assert got[-1]["Kode"] == "Total" and got[-1]["Realisasi (Rp)"] == data["form_c"]["totals"]["realised"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/laporan/provinsi/63/triwulan/5/?tahun=2020&format=pdf", 404),
        ("/laporan/provinsi/63/triwulan/0/?tahun=2020&format=pdf", 404),
        ("/laporan/provinsi/63/triwulan/2/?tahun=2020&format=docx", 404),
        ("/laporan/nasional/triwulan/5/?tahun=2020&format=pdf", 404),
        ("/laporan/nasional/triwulan/2/?tahun=2020&format=xlsx", 404),
    ],
)
def test_unknown_quarters_and_formats_answer_404(pusat_client, plan_b, path, status):
    assert pusat_client.get(path).status_code == status


def test_a_year_that_is_not_a_number_gives_the_default_year_s_forms(pusat_client, plan_b):
    text = pages(pusat_client.get(_url(tahun="abc", format="pdf")))
    assert "Tahun Anggaran 2020" in text[0]  # the newest year with data


def test_a_province_without_an_allocation_or_without_a_plan_gets_clear_empty_forms(pusat_client):
    make_allocation("51", YEAR)  # Bali has an allocation but no plan; Kalimantan Selatan has none
    for code, says in (
        ("63", "Belum ada alokasi anggaran provinsi ini"),
        ("51", "belum memuat RO"),
    ):
        text = " ".join(pages(pusat_client.get(_url(code=code, format="pdf")))).replace("\n", " ")
        assert says in text and "Triwulan II" in text, code


# --- The national bundle ------------------------------------------------------------------------------------

BUNDLE = ["11", "51", "63", "72", "91"]


def _province_with_plan(code):
    allocation = make_allocation(code, YEAR, pagu=Decimal("500000000"))
    ros = make_plan(allocation, [{"target": 5}, {"target": 3, "measure": "kegiatan", "unit": "kegiatan"}])
    firm = make_firm(code, regency=Regency.objects.filter(province__code=code).order_by("code").first())
    held(allocation, ros[0], datetime.date(YEAR, 4, 10), firms=[firm])
    held(allocation, ros[1], datetime.date(YEAR, 5, 10))
    realise(allocation, 4, {ros[0]: Decimal("25000000"), ros[1]: Decimal("5000000")}, VERIFIED)
    return allocation


def _national_url(**params):
    query = "&".join(f"{k}={v}" for k, v in {"tahun": YEAR, **params}.items())
    return reverse("reports:national_forms", kwargs={"quarter": 2}) + "?" + query


@pytest.mark.parametrize("fmt", ["", "pdf"])
def test_the_bundle_runs_the_same_number_of_queries_for_2_and_5_provinces(
    pusat_client, fmt, django_assert_max_num_queries, django_assert_num_queries
):
    for code in BUNDLE[:2]:
        _province_with_plan(code)
    params = {"format": fmt} if fmt else {}
    pusat_client.get(_national_url(**params))  # fills the content-type and session caches
    # The session, the user, the second factor, the roles; the allocations, province joined; capaian's ROs,
    # one query per measure used (ikm, kegiatan), the RO realisation lines, the months in all; the quarter's
    # notes, packages and the Kepala Dinas (the packages' events only when there is a package); the page
    # only: the unread notices.
    with django_assert_max_num_queries(17) as small:
        pusat_client.get(_national_url(**params))
    for code in BUNDLE[2:]:
        _province_with_plan(code)
    with django_assert_num_queries(len(small)):
        response = pusat_client.get(_national_url(**params))
    if fmt:
        assert sum("Formulir C" in t for t in pages(response)) >= 5


def test_the_bundle_starts_each_province_on_a_new_page_in_code_order(pusat_client):
    for code in reversed(BUNDLE):
        _province_with_plan(code)
    text = pages(pusat_client.get(_national_url(format="pdf")))
    names = dict(Province.objects.filter(code__in=BUNDLE).values_list("code", "name"))
    starts = []
    for page in text:
        found = [code for code in BUNDLE if f"Provinsi {names[code]} (kode {code})" in page]
        assert len(found) <= 1  # never two provinces on one page
        if found:
            assert page.startswith("Formulir C")
            starts.append(found[0])
    assert starts == BUNDLE


def test_the_bundle_holds_the_provinces_the_user_sees(operator_b_client, pusat_client):
    for code in BUNDLE:
        _province_with_plan(code)
    page = pusat_client.get(_national_url()).content.decode()
    assert all(f'id="national-forms-{code}"' in page for code in BUNDLE)
    own = operator_b_client.get(_national_url())
    assert own.status_code == 200
    html = own.content.decode()
    assert 'id="national-forms-63"' in html and 'id="national-forms-51"' not in html
    text = " ".join(pages(operator_b_client.get(_national_url(format="pdf"))))
    assert "Kalimantan Selatan" in text and "Bali" not in text


# --- The document loads nothing from the network ------------------------------------------------------------


def test_only_static_files_are_fetched():
    assert pdf.static_path(pdf.BASE_URL + "static/css/pdf.css").endswith("static/css/pdf.css")
    for url in (
        "https://example.com/static/css/pdf.css",
        pdf.BASE_URL + "media/evidence/bast.pdf",
        pdf.BASE_URL + "static/../ikm_dekon/settings.py",
        "file:///etc/passwd",
        # an absolute name after the prefix: refused, not an exception out of the static finders
        pdf.BASE_URL + "static//etc/passwd",
        pdf.BASE_URL + "static/css\\..\\..\\settings.py",
    ):
        assert pdf.static_path(url) is None, url


def test_a_remote_image_is_refused_and_the_document_still_made(caplog):
    document = pdf.html_to_pdf('<p>Uji</p><img src="https://example.com/x.png">')
    assert document.startswith(b"%PDF-")
    assert any("pdf_refused_url" in r.getMessage() for r in caplog.records)


def test_a_regency_operator_gets_no_province_form(client, regency_operator, plan_b):
    """The forms are the province's totals signed by its Kepala Dinas: never built from a regency operator's
    share of the records — no PDF, no form sheets, no bundle."""
    client.force_login(regency_operator)
    assert client.get(_url(format="pdf")).status_code == 404
    data = _json(client.get(_url(format="json")))
    assert "form_c" not in data and "form_a" not in data
    assert client.get(_national_url()).status_code == 404
    assert client.get(_national_url(format="pdf")).status_code == 404
