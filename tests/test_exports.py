"""Files ready to send (programs/exports.py): every XLSX has a title block, prints landscape on A4 one page
wide with the header row and the name columns on every page, filters, freezes and numbers its pages; CSV
is written in the Indonesian Excel dialect for Indonesian users and in the standard one for English users
and on request. Figures are checked against numbers computed here from the records."""

import datetime
import io
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from django.urls import reverse

from programs.models import Activity, ActivityKind, Realisation, ReviewStatus, Sector
from tests import csvutil, sheetutil
from tests.factories import make_activity, make_allocation, make_realisation

YEAR = 2020
# Kalimantan Selatan: pagu 3 billion, 1 billion realised in June (33.33 %); Bali: 1.5 billion, 250 million
# in March (16.67 %).
KALSEL_PAGU, KALSEL_REALISED = Decimal("3000000000"), Decimal("1000000000")
BALI_PAGU, BALI_REALISED = Decimal("1500000000"), Decimal("250000000")


def _pct(part, whole):
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def seed(db):
    kalsel = make_allocation("63", YEAR, pagu=KALSEL_PAGU)
    bali = make_allocation("51", YEAR, pagu=BALI_PAGU)
    make_realisation(kalsel, 6, amount=KALSEL_REALISED)
    make_realisation(bali, 3, amount=BALI_REALISED)
    bimtek = make_activity(
        kalsel, title="Bimtek masker sandang", kind=ActivityKind.BIMTEK, sector=Sector.SANDANG
    )
    make_activity(bali, title="Fasilitasi halal", kind=ActivityKind.FASILITASI, sector=Sector.PANGAN)
    return {"kalsel": kalsel, "bali": bali, "bimtek": bimtek}


def _body(response):
    assert response.status_code == 200, response
    return b"".join(response.streaming_content) if response.streaming else response.content


def _book(response):
    return openpyxl.load_workbook(io.BytesIO(_body(response)))


def _recap(client, **params):
    return client.get(reverse("reports:national"), {"tahun": YEAR, **params})


def _verify_everything():
    Activity.objects.update(review_status=ReviewStatus.VERIFIED)
    Realisation.objects.update(review_status=ReviewStatus.VERIFIED)


# --- XLSX: print setup and title block ------------------------------------------------------------------


def test_the_recap_xlsx_prints_landscape_one_page_wide_with_titles_repeated(pusat_client, seed):
    sheet = _book(_recap(pusat_client, format="xlsx")).worksheets[0]
    header = sheetutil.header_row_number(sheet)
    rows = sheetutil.table(sheet)
    assert rows[0][:2] == ("Kode provinsi", "Provinsi")
    assert len(rows) == 1 + 34 + 1  # the header, the 34 provinces of 2020, the totals

    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == 0
    # Print titles: the header row on every page, the province's code and name at the left of every page.
    assert sheet.print_title_rows == f"${header}:${header}"
    assert sheet.print_title_cols == "$A:$B"
    assert sheet.freeze_panes == f"C{header + 1}"
    last_column = openpyxl.utils.get_column_letter(len(rows[0]))
    assert sheet.auto_filter.ref == f"A{header}:{last_column}{header + 34}"  # the totals stay out of it
    assert "Halaman &P dari &N" in sheet.oddFooter.right.text
    # Widths from the kind and the label: the name column is wide, a code narrow, headers wrap.
    widths = {c: sheet.column_dimensions[c].width for c in ("A", "B")}
    assert widths["B"] >= 25 > widths["A"]
    assert all(cell.alignment.wrap_text for cell in sheet[header])
    # A long label ("Diserahkan ke Gugus Tugas Covid-19 kabupaten/kota" in an 11-wide column) takes lines:
    # the header row is made tall enough, as no spreadsheet grows it for a file it did not lay out.
    assert sheet.row_dimensions[header].height >= 3 * 15


def test_the_title_block_says_what_where_when_and_the_filters_in_words(pusat_client, seed):
    before = datetime.datetime.now(datetime.UTC)
    sheet = _book(_recap(pusat_client, format="xlsx", jenis="bimtek", sektor="sandang")).worksheets[0]
    block = sheetutil.title_block(sheet)
    assert block[0] == "Rekapitulasi nasional"
    assert sheet["A1"].font.bold
    assert "Wilayah: Nasional" in block
    assert "Tahun anggaran: 2020" in block  # a year, never 2.020
    assert "Filter: Jenis: Bimbingan teknis (bimtek); Sektor: Sandang (garmen/tekstil)" in block
    as_of = next(line for line in block if line.startswith("Keadaan per "))
    stamped = datetime.datetime.strptime(as_of, "Keadaan per %d/%m/%Y %H:%M WIB")
    wib = before.astimezone(datetime.timezone(datetime.timedelta(hours=7))).replace(tzinfo=None)
    assert abs(stamped - wib.replace(second=0, microsecond=0)) <= datetime.timedelta(minutes=2)


def test_includes_unverified_data_is_said_only_when_it_is_true(pusat_client, seed):
    warning = "Memuat data yang belum diverifikasi"
    # Draft activities and months: said.
    assert warning in sheetutil.title_block(_book(_recap(pusat_client, format="xlsx")).worksheets[0])
    # Limited to verified data: never said, whatever is in the database.
    verified_only = _book(_recap(pusat_client, format="xlsx", verifikasi="terverifikasi")).worksheets[0]
    assert warning not in sheetutil.title_block(verified_only)
    # One unverified month left (Bali's): said; the activity filter does not hide a month of money.
    Activity.objects.update(review_status=ReviewStatus.VERIFIED)
    assert warning in sheetutil.title_block(_book(_recap(pusat_client, format="xlsx")).worksheets[0])
    _verify_everything()
    assert warning not in sheetutil.title_block(_book(_recap(pusat_client, format="xlsx")).worksheets[0])
    # An unverified activity outside the filter does not count; one inside does.
    Activity.objects.filter(pk=seed["bimtek"].pk).update(review_status=ReviewStatus.SUBMITTED)
    pangan = _book(_recap(pusat_client, format="xlsx", sektor="pangan")).worksheets[0]
    assert warning not in sheetutil.title_block(pangan)
    sandang = _book(_recap(pusat_client, format="xlsx", sektor="sandang")).worksheets[0]
    assert warning in sheetutil.title_block(sandang)


def test_an_operators_unverified_warning_looks_at_their_own_province_only(operator_client, seed):
    # Operator of Bali (province A): Kalimantan Selatan's draft records are not in their file.
    Activity.objects.filter(allocation=seed["bali"]).update(review_status=ReviewStatus.VERIFIED)
    Realisation.objects.filter(allocation=seed["bali"]).update(review_status=ReviewStatus.VERIFIED)
    sheet = _book(_recap(operator_client, format="xlsx")).worksheets[0]
    assert "Memuat data yang belum diverifikasi" not in sheetutil.title_block(sheet)
    assert "Wilayah: Bali" in sheetutil.title_block(sheet)  # their recap is not the nation's
    assert [r[0] for r in sheetutil.table(sheet)[1:]] == ["51", "Total"]


def test_a_province_report_has_its_sheets_in_reading_order_each_with_its_title_block(pusat_client, seed):
    response = pusat_client.get(reverse("reports:province", args=["63"]), {"tahun": YEAR, "format": "xlsx"})
    book = _book(response)
    assert [s.title for s in book.worksheets] == ["Kegiatan", "Ringkasan", "Realisasi bulanan"]
    for sheet in book.worksheets:
        block = sheetutil.title_block(sheet)
        assert block[0] == "Laporan provinsi Kalimantan Selatan"
        assert f"Lembar: {sheet.title}" in block and "Wilayah: Kalimantan Selatan" in block
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows
    activities = book["Kegiatan"]
    assert activities.print_title_cols == "$A:$B"  # the id and the title
    assert sheetutil.table(activities)[1][1] == "Bimtek masker sandang"
    monthly = sheetutil.table(book["Realisasi bulanan"])
    june = next(r for r in monthly if r[0] == "Juni")
    assert june[1] == KALSEL_REALISED


def test_a_quarterly_xlsx_names_its_quarter_in_roman_numerals(pusat_client, seed):
    url = reverse("reports:quarterly", kwargs={"code": "63", "quarter": 2})
    book = _book(pusat_client.get(url, {"tahun": YEAR, "format": "xlsx"}))
    assert sheetutil.title_block(book.worksheets[0])[0] == "Laporan Triwulan II Kalimantan Selatan"


def test_an_operators_list_is_titled_with_their_province_and_the_filters(operator_client, seed):
    url = reverse("programs:activity_list")
    response = operator_client.get(url, {"tahun": YEAR, "jenis": "fasilitasi", "format": "xlsx"})
    sheet = _book(response).worksheets[0]
    block = sheetutil.title_block(sheet)
    assert block[0] == "Daftar Kegiatan"
    assert "Wilayah: Bali" in block and "Tahun anggaran: 2020" in block
    assert any(line.startswith("Filter: ") and "Jenis: Fasilitasi" in line for line in block)
    assert "Memuat data yang belum diverifikasi" in block
    assert [r[sheetutil.table(sheet)[0].index("Judul kegiatan")] for r in sheetutil.table(sheet)[1:-1]] == [
        "Fasilitasi halal"
    ]


def test_a_title_that_looks_like_a_formula_stays_text_in_the_title_block(pusat_client, seed):
    make_activity(seed["kalsel"], title="=1+1 bukan rumus")
    sheet = _book(pusat_client.get(reverse("programs:activity_list"), {"tahun": YEAR, "format": "xlsx"}))
    cells = [c for row in sheet.worksheets[0].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)


def test_every_sheet_reads_back_in_calamine_as_libreoffice_and_the_import_do(pusat_client, seed):
    from python_calamine import CalamineWorkbook

    response = pusat_client.get(reverse("reports:province", args=["63"]), {"tahun": YEAR, "format": "xlsx"})
    content = _body(response)
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["Kegiatan", "Ringkasan", "Realisasi bulanan"]
    summary = book.get_sheet_by_name("Ringkasan").to_python()
    header = sheetutil.header_index(summary)
    row = summary[header + 1]
    assert row[0] == "63" and int(row[summary[header].index("Pagu awal")]) == KALSEL_PAGU


SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(
    not SOFFICE, reason="LibreOffice (soffice) not installed: apt-get install libreoffice-calc-nogui"
)
def test_libreoffice_opens_the_recap_and_prints_it_on_landscape_pages(pusat_client, seed, tmp_path):
    from pypdf import PdfReader

    source = tmp_path / "rekap.xlsx"
    source.write_bytes(_body(_recap(pusat_client, format="xlsx")))
    profile = f"-env:UserInstallation=file://{tmp_path}/lo"  # a fresh profile: no first-run dialogs
    subprocess.run(  # noqa: S603 - our own file, the machine's soffice
        [SOFFICE, "--headless", profile, "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        timeout=180,
        capture_output=True,
    )
    pdf = PdfReader(tmp_path / "rekap.pdf")
    first = pdf.pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Rekapitulasi nasional" in text and "Kalimantan Selatan" in text
    assert "Halaman 1 dari" in text
    # Fit to one page wide: every page repeats the province names (the print titles at the left).
    assert all("Provinsi" in page.extract_text() for page in pdf.pages)


# --- CSV dialects ---------------------------------------------------------------------------------------


def _recap_csv_row(content, code):
    rows = csvutil.rows(content)
    header = rows[0]
    return header, next(r for r in rows if r[0] == code), rows[-1]


def test_the_csv_is_indonesian_excel_by_default_with_exact_figures(pusat_client, seed):
    content = csvutil.text(_recap(pusat_client, format="csv"))
    assert content.split("\n", 1)[0].startswith("Kode provinsi;Provinsi;Jenis dana;")
    header, kalsel, total = _recap_csv_row(content, "63")
    assert kalsel[header.index("Pagu awal")] == str(int(KALSEL_PAGU))  # whole Rupiah, no separator
    assert kalsel[header.index("Penyerapan (%)")] == "33,33"
    assert str(_pct(KALSEL_REALISED, KALSEL_PAGU)).replace(".", ",") == "33,33"
    assert total[0] == "Total"
    assert total[header.index("Pagu awal")] == str(int(KALSEL_PAGU + BALI_PAGU))
    expected = _pct(KALSEL_REALISED + BALI_REALISED, KALSEL_PAGU + BALI_PAGU)
    assert csvutil.number(total[header.index("Penyerapan (%)")]) == expected
    assert "," in total[header.index("Penyerapan (%)")]


def test_the_standard_dialect_on_request_and_for_english_users(pusat_client, seed):
    # Columns by position: an English user's headers are in English.
    header = csvutil.rows(_recap(pusat_client, format="csv"))[0]
    pct, realised = header.index("Penyerapan (%)"), header.index("Realisasi")
    standard = _recap(pusat_client, format="csv", dialek="standar")
    english = pusat_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert english.status_code == 302
    for response in (standard, _recap(pusat_client, format="csv")):
        content = csvutil.text(response)
        assert csvutil.delimiter(content) == ","
        rows = csvutil.rows(content)
        kalsel = next(r for r in rows if r[0] == "63")
        assert kalsel[pct] == "33.33"
        assert rows[-1][realised] == str(int(KALSEL_REALISED + BALI_REALISED))
    english_asks_excel = _recap(pusat_client, format="csv", dialek="excel-id")
    assert csvutil.delimiter(csvutil.text(english_asks_excel)) == ";"


def test_an_unknown_dialect_is_the_default_not_an_error(pusat_client, seed):
    response = _recap(pusat_client, format="csv", dialek="tidak-ada")
    assert csvutil.text(response).split("\n", 1)[0].startswith("Kode provinsi;")


def test_dates_are_day_first_in_the_indonesian_dialect_and_iso_in_the_standard(pusat_client, seed):
    url = reverse("programs:activity_list")
    start = seed["bimtek"].planned_start
    indonesian = csvutil.rows(pusat_client.get(url, {"tahun": YEAR, "format": "csv"}))
    standard = csvutil.rows(pusat_client.get(url, {"tahun": YEAR, "format": "csv", "dialek": "standar"}))
    for rows, written in ((indonesian, f"{start:%d/%m/%Y}"), (standard, start.isoformat())):
        header = rows[0]
        row = next(r for r in rows if "Bimtek masker sandang" in r)
        assert row[header.index("Rencana mulai")] == written


def test_the_downloads_say_which_csv_is_which(pusat_client, seed):
    html = _recap(pusat_client).content.decode()
    assert "format=csv&amp;dialek=excel-id" in html and "format=csv&amp;dialek=standar" in html
    assert "CSV Excel Indonesia" in html and "CSV standar" in html


@pytest.mark.parametrize("year", ["²", "1" * 4400, "２０２０"])
def test_a_year_that_is_digits_but_no_year_never_breaks_a_list_download(pusat_client, seed, year):
    """str.isdigit() holds for "²", full-width digits and a 4,400-digit number; int() refuses the first and
    the last. The list's download still answers, its title block without a year."""
    for path in ("/kegiatan/", "/anggaran/"):
        response = pusat_client.get(path, {"format": "xlsx", "tahun": year})
        assert response.status_code == 200, (path, year)
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert not any("Tahun anggaran" in str(line) for line in sheetutil.title_block(book.worksheets[0]))
