"""Bulk import of firms and participants from spreadsheets: files built here, through the function, the pages
and the command; every refusal writes nothing."""

import csv
import datetime
import io
import logging
import os
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from programs.imports import (
    ACTIVITY_FIRMS,
    ACTIVITY_PEOPLE,
    FIRMS,
    ImportRefused,
    columns,
    files,
    import_file,
)
from programs.imports import views as import_views
from programs.imports import writer as writer_module
from programs.imports.templates import write_template
from programs.management import samples
from programs.models import Firm, Participant, Participation
from provinces.models import Province
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_participant,
    make_participation,
)

pytestmark = pytest.mark.django_db

HEADERS = [
    "NIB",
    "Nama IKM",
    "Nama pemilik",
    "Sektor",
    "KBLI",
    "Skala usaha",
    "Kabupaten/kota",
    "Alamat",
    "Telepon",
    "Jumlah tenaga kerja",
    "Terdampak Covid-19",
]


def firm_row(n=1, **changes):
    row = {
        "NIB": f"91200000000{n:02d}",
        "Nama IKM": f"Konveksi Sari {n}",
        "Nama pemilik": "Ni Made Sari",
        "Sektor": "Sandang (garmen/tekstil)",
        "KBLI": "14111",
        "Skala usaha": "Mikro",
        "Kabupaten/kota": "51.06",
        "Alamat": "Jl. Merdeka 10, Bangli",
        "Telepon": "0812-3456-7890",
        "Jumlah tenaga kerja": 4,
        "Terdampak Covid-19": "Ya",
    }
    row.update(changes)
    return row


def xlsx(rows, headers=HEADERS, title=None):
    """An XLSX file in memory: an optional title row, the headers, then each row (a dict or a list)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers] if isinstance(row, dict) else row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "ikm.xlsx"
    return buffer


def csv_file(rows, headers=HEADERS, delimiter=",", encoding="utf-8"):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers] if isinstance(row, dict) else row)
    buffer = io.BytesIO(text.getvalue().encode(encoding))
    buffer.name = "ikm.csv"
    return buffer


@pytest.fixture(params=["copy", "orm"])
def writer(request, monkeypatch):
    """Both ways of writing: PostgreSQL COPY and the ORM helpers (the same on SQLite)."""
    monkeypatch.setattr(writer_module, "COPY_ENABLED", request.param == "copy")
    return request.param


def run(source, user=None, **kwargs):
    kwargs.setdefault("province", "51")
    return import_file(source, user=user, **kwargs)


# --- A good file --------------------------------------------------------------------------------------------


def test_a_good_file_writes_exactly_its_rows_with_history_by_the_importing_user(operator, writer):
    report = run(
        xlsx([firm_row(1), firm_row(2, **{"Kabupaten/kota": "Kota Denpasar", "Sektor": "pangan"})]),
        user=operator,
    )

    assert report.ok and report.written
    assert report.counts == {"baru": 2, "ubah": 0, "tetap": 0, "galat": 0}
    assert Firm.objects.count() == 2
    firm = Firm.objects.get(nib="9120000000001")
    assert (firm.name, firm.owner_name, firm.sector, firm.kbli, firm.scale) == (
        "Konveksi Sari 1",
        "Ni Made Sari",
        "sandang",
        "14111",
        "mikro",
    )
    assert (firm.province.code, firm.regency.code, firm.phone, firm.workers, firm.covid_affected) == (
        "51",
        "51.06",
        "0812-3456-7890",
        4,
        True,
    )
    assert firm.version == 1
    assert Firm.objects.get(nib="9120000000002").regency.code == "51.71"
    history = Firm.history.filter(nib="9120000000001").get()
    assert history.history_type == "+"
    assert history.history_user == operator
    assert history.history_change_reason == "Impor dari berkas ikm.xlsx"


def test_importing_the_same_file_twice_updates_instead_of_duplicating(operator, writer):
    run(xlsx([firm_row(1), firm_row(2)]), user=operator)

    again = run(xlsx([firm_row(1), firm_row(2)]), user=operator)
    assert again.counts == {"baru": 0, "ubah": 0, "tetap": 2, "galat": 0}
    assert Firm.objects.count() == 2
    assert Firm.history.count() == 2  # nothing changed, nothing recorded

    changed = run(
        xlsx([firm_row(1, Telepon="0813-0000-1111", **{"Jumlah tenaga kerja": 9}), firm_row(2)]),
        user=operator,
    )
    assert changed.counts == {"baru": 0, "ubah": 1, "tetap": 1, "galat": 0}
    assert "telepon" in changed.rows[0].detail
    firm = Firm.objects.get(nib="9120000000001")
    assert (firm.phone, firm.workers, firm.version, firm.name) == ("0813-0000-1111", 9, 2, "Konveksi Sari 1")
    latest = firm.history.first()
    assert (latest.history_type, latest.history_user, latest.phone) == ("~", operator, "0813-0000-1111")
    assert Firm.objects.count() == 2


def test_an_empty_optional_cell_keeps_the_stored_value():
    run(xlsx([firm_row(1)]))
    run(xlsx([firm_row(1, Telepon="", Alamat="", **{"Nama pemilik": ""})]))
    firm = Firm.objects.get()
    assert (firm.phone, firm.address, firm.owner_name) == (
        "0812-3456-7890",
        "Jl. Merdeka 10, Bangli",
        "Ni Made Sari",
    )


def test_firms_without_nib_are_matched_by_name_and_regency():
    row = firm_row(1, NIB="")
    assert run(xlsx([row])).counts["baru"] == 1
    assert run(xlsx([row])).counts["tetap"] == 1
    assert Firm.objects.count() == 1


# --- Every kind of refused row ------------------------------------------------------------------------------

ROW_ERRORS = [
    ({"NIB": "12345"}, "NIB", "NIB harus 13 digit angka."),
    ({"NIB": 912000000001}, "NIB", "angka 0 di depannya kemungkinan hilang"),
    ({"NIB": "9,12E+12"}, "NIB", "notasi ilmiah"),
    ({"NIB": "91200000000AB"}, "NIB", "NIB harus 13 digit angka."),
    ({"KBLI": "1411"}, "KBLI", "Kode KBLI harus 5 digit angka."),
    ({"KBLI": 1411}, "KBLI", "angka 0 di depannya kemungkinan hilang"),
    ({"Sektor": "Otomotif"}, "Sektor", "'Otomotif' bukan pilihan yang dikenal"),
    ({"Sektor": ""}, "Sektor", "Wajib diisi."),
    (
        {"Skala usaha": "Raksasa"},
        "Skala usaha",
        "bukan pilihan yang dikenal. Isi salah satu: Mikro, Kecil, Menengah",
    ),
    ({"Kabupaten/kota": "Kabupaten Antah Berantah"}, "Kabupaten/kota", "tidak dikenal"),
    ({"Kabupaten/kota": "99.99"}, "Kabupaten/kota", "tidak dikenal"),
    ({"Kabupaten/kota": "63.71"}, "Kabupaten/kota", "Kota Banjarmasin tidak berada di provinsi ini."),
    (
        {"Kabupaten/kota": "Kota Banjarmasin"},
        "Kabupaten/kota",
        "Kota Banjarmasin tidak berada di provinsi ini.",
    ),
    ({"Telepon": "telepon saya"}, "Telepon", "Nomor telepon hanya berisi angka"),
    ({"Jumlah tenaga kerja": "lima"}, "Jumlah tenaga kerja", "Tulis bilangan bulat"),
    ({"Jumlah tenaga kerja": 2.5}, "Jumlah tenaga kerja", "Tulis bilangan bulat"),
    ({"Jumlah tenaga kerja": -3}, "Jumlah tenaga kerja", "0"),
    ({"Terdampak Covid-19": "mungkin"}, "Terdampak Covid-19", "Isi Ya atau Tidak."),
    ({"Nama IKM": "  "}, "Nama IKM", "Wajib diisi."),
    ({"Nama IKM": "x" * 201}, "Nama IKM", "200"),
]


@pytest.mark.parametrize("changes, column, message", ROW_ERRORS, ids=[e[2][:30] for e in ROW_ERRORS])
def test_every_kind_of_bad_cell_is_refused_with_row_column_and_message_and_nothing_is_written(
    changes, column, message
):
    report = run(xlsx([firm_row(1), firm_row(2, **changes)]))

    assert not report.ok and not report.written
    assert [(row, col) for row, col, _m in report.errors()] == [(3, column)]
    assert message in list(report.errors())[0][2]
    assert report.rows[0].status == "baru" and report.rows[1].status == "galat"
    assert Firm.objects.count() == 0 and Firm.history.count() == 0


def test_a_nul_character_deep_in_a_csv_is_refused_in_its_row():
    rows = [firm_row(n) for n in range(1, 99)] + [firm_row(99, Alamat="Jl. Merdeka\x00 10")]
    report = run(csv_file(rows))
    assert [(row, column) for row, column, _m in report.errors()] == [(100, "Alamat")]
    assert "karakter NUL" in list(report.errors())[0][2]
    assert Firm.objects.count() == 0


def test_a_nib_registered_in_another_province_is_refused_without_touching_that_firm():
    other = make_firm("63", regency="63.71", nib="9120000000002", name="IKM Kalsel")

    report = run(xlsx([firm_row(1), firm_row(2, **{"Nama IKM": "Nama baru"})]))

    assert list(report.errors()) == [(3, "NIB", "NIB sudah terdaftar di provinsi lain.")]
    other.refresh_from_db()
    assert (other.name, other.province.code, other.version) == ("IKM Kalsel", "63", 1)
    assert Firm.objects.count() == 1


def test_the_same_firm_twice_in_one_file_is_refused():
    report = run(xlsx([firm_row(1), firm_row(2), firm_row(1, Telepon="0811-2222-3333")]))
    assert list(report.errors()) == [(4, "NIB", "IKM ini sudah ada di baris 2 berkas ini.")]
    assert Firm.objects.count() == 0


def test_a_refused_row_shows_every_bad_cell_of_it():
    report = run(xlsx([firm_row(1, NIB="1", KBLI="x", Sektor="?")]))
    assert [column for _r, column, _m in report.errors()] == ["NIB", "Sektor", "KBLI"]


# --- Real files ---------------------------------------------------------------------------------------------


def test_headers_in_another_case_order_and_with_aliases_spaces_title_and_empty_rows():
    headers = ["  kab/kota ", "NAMA USAHA", "nib", "Sektor*", "No. HP", "Keterangan lain"]
    rows = [
        ["Kab. Bangli", "  Konveksi   Sari  ", " 9120000000001 ", "SANDANG", "0812 3456 7890", "abaikan"],
        ["", "", "", "", "", ""],
        [51.71, "Dapur Bu Ketut", "9120 0000 0000 2", "Pangan", None, None],
        ["Bangli", "Anyaman Bambu", 9120000000003, "kerajinan", None, None],
        ["5106", "Tenun Ikat", "'9120000000004", "Kerajinan", None, None],
    ]
    report = run(xlsx(rows, headers=headers, title="Daftar IKM Provinsi Bali 2020"))

    assert report.ok, list(report.errors())
    assert [r.number for r in report.rows] == [3, 5, 6, 7]
    assert any("Keterangan lain" in str(n) for n in report.notices)
    firms = {f.nib: f for f in Firm.objects.select_related("regency")}
    assert firms["9120000000001"].name == "Konveksi Sari"
    assert firms["9120000000001"].phone == "0812 3456 7890"
    assert firms["9120000000002"].regency.code == "51.71"
    assert firms["9120000000003"].regency.code == "51.06"
    assert firms["9120000000004"].sector == "kerajinan"


def test_a_csv_from_excel_in_the_indonesian_locale():
    rows = [
        firm_row(
            1,
            **{
                "Nama IKM": "Kerajinan Perak Celuk Sukawati",
                "Alamat": "Jl. Raya Celuk, Gianyar",
                "Kabupaten/kota": "Kabupaten Gianyar",
                "Jumlah tenaga kerja": "1.250",
            },
        )
    ]
    report = run(csv_file(rows, delimiter=";", encoding="cp1252"))
    assert report.ok, list(report.errors())
    firm = Firm.objects.get()
    assert (firm.regency.code, firm.workers) == ("51.04", 1250)


def test_a_csv_with_a_title_line_above_semicolon_headers():
    table = csv_file([firm_row(1)], delimiter=";").getvalue()
    report = run(io.BytesIO(b"Daftar IKM Bali\n" + table))
    assert report.ok and [r.number for r in report.rows] == [3]


def test_a_utf8_csv_with_a_bom_and_commas():
    buffer = csv_file([firm_row(1, **{"Nama pemilik": "I Gusti Ayu Ngurah"})], encoding="utf-8-sig")
    assert run(buffer).ok
    assert Firm.objects.get().owner_name == "I Gusti Ayu Ngurah"


def test_a_user_reading_the_site_in_english_imports_the_indonesian_template(operator, tmp_path):
    from django.utils import translation

    path = tmp_path / "templat.xlsx"
    with translation.override("en"):
        write_template(path, FIRMS)
        assert next(openpyxl.load_workbook(path)["Data"].values)[1] == "Nama IKM"
        report = run(
            xlsx([firm_row(1), firm_row(2, Sektor="Kimia dan bahan bangunan", **{"Skala usaha": "Kecil"})]),
            user=operator,
        )
    assert report.ok, list(report.errors())
    assert Firm.objects.get(nib="9120000000002").sector == "kimia"


def test_a_phone_stored_as_a_number_is_kept_with_a_warning():
    report = run(xlsx([firm_row(1, Telepon=81234567890)]))
    assert report.ok
    assert "angka 0 di depannya mungkin hilang" in report.rows[0].warnings[0]


@pytest.mark.parametrize(
    "value, expected",
    [
        (datetime.date(2020, 6, 15), datetime.date(2020, 6, 15)),
        (datetime.datetime(2020, 6, 15, 0, 0), datetime.date(2020, 6, 15)),
        (43997, datetime.date(2020, 6, 15)),  # an Excel serial number
        (43997.0, datetime.date(2020, 6, 15)),
        ("15/06/2020", datetime.date(2020, 6, 15)),
        (" 15-06-2020 ", datetime.date(2020, 6, 15)),
        ("2020-06-15", datetime.date(2020, 6, 15)),
    ],
)
def test_dates_as_excel_dates_serial_numbers_or_dd_mm_yyyy(value, expected):
    assert columns.parse_date(value) == expected


def test_a_bad_date_says_how_to_write_it():
    with pytest.raises(columns.CellError, match="dd/mm/yyyy"):
        columns.parse_date("15 Juni")


@pytest.mark.parametrize(
    "value, expected",
    [("1.250.000", 1250000), ("Rp 1.250.000", 1250000), (1250000, 1250000), (1250000.0, 1250000), ("0", 0)],
)
def test_money_written_the_indonesian_way(value, expected):
    assert columns.parse_rupiah(value) == Decimal(expected)


def test_money_that_is_not_money_is_refused_in_indonesian():
    with pytest.raises(columns.CellError, match="Rupiah"):
        columns.parse_rupiah("satu juta")


def test_the_templates_example_row_is_skipped(tmp_path):
    path = tmp_path / "templat.xlsx"
    write_template(path, FIRMS, province=Province.objects.get(code="51"))
    workbook = openpyxl.load_workbook(path)
    workbook["Data"].append(list(firm_row(1).values()))
    workbook.save(path)

    report = run(path)
    assert report.ok and report.counts["baru"] == 1
    assert any("contoh" in str(n) for n in report.notices)
    assert Firm.objects.get().nib == "9120000000001"


def test_a_sample_file_of_many_rows_imports_whole(tmp_path):
    path = samples.write_sample_file(tmp_path / "contoh.xlsx", 300, "51")
    report = run(path)
    assert report.ok, list(report.errors())[:3]
    assert Firm.objects.filter(province__code="51").count() == 300


def test_the_benchmark_hook_reports_rows_per_second_and_leaves_nothing(tmp_path):
    path = samples.write_sample_file(tmp_path / "bench.xlsx", 100, "51")
    rate = samples.benchmark_rows_per_second(path, "51")
    assert rate > 0
    assert Firm.objects.count() == 0


@pytest.mark.skipif(not os.environ.get("IKM_IMPORT_50K"), reason="measured on demand: IKM_IMPORT_50K=1")
def test_fifty_thousand_rows_measured(tmp_path, capsys):
    path = samples.write_sample_file(tmp_path / "50k.xlsx", 50_000, "51")
    report = run(path, name="50k.xlsx")
    assert report.ok and Firm.objects.count() == 50_000
    again = run(path, name="50k.xlsx")
    with capsys.disabled():
        print(f"\n50.000 baris baru: {report.seconds:.2f} dtk, {report.rows_per_second:,.0f} baris/dtk")
        print(
            f"50.000 baris lagi (tidak berubah): {again.seconds:.2f} dtk, "
            f"{again.rows_per_second:,.0f} baris/dtk"
        )


# --- Malformed files ----------------------------------------------------------------------------------------


def zip_bomb(size=30 * 1024 * 1024):
    """A zip that looks like an XLSX and whose sheet unpacks to `size` bytes of almost nothing."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b" " * (1024 * 1024)
            for _i in range(size // len(chunk)):
                sheet.write(chunk)
    buffer.seek(0)
    buffer.name = "bom.xlsx"
    return buffer


def damaged_zip():
    buffer = io.BytesIO(b"PK\x03\x04" + os.urandom(2000))
    buffer.name = "rusak.xlsx"
    return buffer


def word_document():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    buffer.seek(0)
    buffer.name = "surat.xlsx"
    return buffer


def named(data, name):
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def too_many_rows_csv():
    return csv_file([firm_row(1)] * (files.MAX_ROWS + 1))


def too_long_sheet():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.cell(row=files.MAX_ROWS + files.ROW_SLACK + 5, column=1, value="9120000000001")
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "panjang.xlsx"
    return buffer


MALFORMED = [
    ("png", lambda: named(b"\x89PNG\r\n\x1a\n" + os.urandom(200), "foto.xlsx"), "bukan spreadsheet"),
    ("text", lambda: named(b"Ini surat biasa, bukan daftar IKM.\n", "surat.csv"), "Baris judul"),
    ("xls", lambda: named(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "lama.xls"), ".xls"),
    ("docx", word_document, "bukan spreadsheet"),
    ("damaged", damaged_zip, "rusak"),
    ("zip bomb", zip_bomb, "mengembang"),
    ("wrong headers", lambda: xlsx([["a", "b"]], headers=["Nama", "Alamat"]), "Kolom wajib tidak ditemukan"),
    ("headers twice", lambda: xlsx([], headers=[*HEADERS, "nib"]), "muncul lebih dari sekali"),
    ("header only", lambda: xlsx([]), "tidak berisi baris data"),
    ("empty", lambda: named(b"", "kosong.csv"), "kosong"),
    ("too many rows", too_many_rows_csv, "paling banyak 60.000"),
    ("too long a sheet", too_long_sheet, "paling banyak 60.000"),
]


@pytest.mark.parametrize("make, message", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_is_refused_with_a_clear_message(make, message):
    with pytest.raises(ImportRefused, match=message):
        run(make())
    assert Firm.objects.count() == 0


def test_a_zip_that_unpacks_to_more_than_the_limit_is_refused_even_at_a_plain_ratio(monkeypatch):
    monkeypatch.setattr(files, "MAX_UNCOMPRESSED", 1024 * 1024)
    with pytest.raises(ImportRefused, match="mengembang"):
        run(zip_bomb(size=2 * 1024 * 1024))


def test_a_file_over_the_upload_limit_is_refused(settings):
    settings.MAX_UPLOAD_SIZE = 1000
    with pytest.raises(ImportRefused, match="terlalu besar"):
        run(xlsx([firm_row(1)]))


@pytest.mark.parametrize("make, message", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_upload_gets_a_clear_page_never_a_server_error(operator_client, make, message):
    response = operator_client.post(reverse("programs:firm_import"), {"aksi": "unggah", "file": make()})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Firm.objects.count() == 0
    assert not [p for p in (importing_dir()).iterdir() if p.suffix == ".upload"]


def test_an_upload_over_the_size_limit_gets_a_clear_page(operator_client, settings):
    settings.MAX_UPLOAD_SIZE = 1000
    response = operator_client.post(
        reverse("programs:firm_import"), {"aksi": "unggah", "file": xlsx([firm_row(1)])}
    )
    assert response.status_code == 400
    assert "terlalu besar" in response.content.decode()
    assert Firm.objects.count() == 0


def importing_dir():
    return import_views._directory()


# --- The pages ----------------------------------------------------------------------------------------------


def _upload(client, url, source, **data):
    response = client.post(url, {"aksi": "unggah", "file": source, **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].split("pratinjau=")[1]
    return token, client.get(response["Location"])


def test_the_firm_import_page_previews_every_row_then_saves_all(operator_client, operator):
    url = reverse("programs:firm_import")
    page = operator_client.get(url)
    assert page.status_code == 200
    assert reverse("programs:firm_import_template") in page.content.decode()

    token, preview = _upload(operator_client, url, xlsx([firm_row(1), firm_row(2)]))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Konveksi Sari 1 (9120000000001)" in html and "Simpan semua baris" in html
    assert Firm.objects.count() == 0  # the preview writes nothing

    response = operator_client.post(url, {"aksi": "simpan", "token": token})
    assert response.status_code == 302 and response["Location"] == reverse("programs:firm_list")
    assert Firm.objects.count() == 2
    assert {h.history_user for h in Firm.history.all()} == {operator}
    assert not list(importing_dir().glob(f"{token}.*"))  # the upload is gone


def test_the_preview_lists_refused_rows_with_row_column_and_message_and_offers_no_save(operator_client):
    url = reverse("programs:firm_import")
    token, preview = _upload(operator_client, url, xlsx([firm_row(1), firm_row(2, KBLI="123")]))
    html = preview.content.decode()
    assert "Baris 3, kolom KBLI" in html and "Kode KBLI harus 5 digit angka." in html
    assert "Konveksi Sari 2 (9120000000002)" in html  # a refused row is named too
    assert "Simpan semua baris" not in html
    only_refused = operator_client.get(url, {"pratinjau": token, "tampil": "ditolak"}).content.decode()
    assert "Konveksi Sari 1" not in only_refused

    response = operator_client.post(url, {"aksi": "simpan", "token": token})  # forced anyway
    assert response.status_code == 400
    assert Firm.objects.count() == 0


def test_cancel_deletes_the_upload(operator_client):
    url = reverse("programs:firm_import")
    token, _preview = _upload(operator_client, url, xlsx([firm_row(1)]))
    assert operator_client.post(url, {"aksi": "batal", "token": token}).status_code == 302
    assert not list(importing_dir().glob(f"{token}.*"))
    assert operator_client.post(url, {"aksi": "simpan", "token": token}).status_code == 302
    assert Firm.objects.count() == 0


def test_a_token_not_in_the_users_session_is_refused(operator_client, client, colleague):
    url = reverse("programs:firm_import")
    token, _preview = _upload(operator_client, url, xlsx([firm_row(1)]))
    client.force_login(colleague)
    for forged in (token, "../../etc/passwd", "0" * 32):
        response = client.post(url, {"aksi": "simpan", "token": forged})
        assert response.status_code == 302
        assert client.get(url, {"pratinjau": forged}).status_code == 302
    assert Firm.objects.count() == 0


def test_the_downloaded_template_has_indonesian_headers_an_example_and_the_provinces_regencies(
    operator_client,
):
    response = operator_client.get(reverse("programs:firm_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    data = list(workbook["Data"].values)
    assert list(data[0]) == HEADERS
    assert data[1][1].startswith("CONTOH")
    regencies = list(workbook["Kabupaten-Kota"].values)
    assert ("51.06", "Kabupaten Bangli") in regencies
    assert not any(code.startswith("63") for code, _name in regencies[1:])


def test_the_firm_list_links_to_the_import_only_for_those_who_can_edit(operator_client, client, pusat):
    assert (
        reverse("programs:firm_import") in operator_client.get(reverse("programs:firm_list")).content.decode()
    )
    client.force_login(pusat)
    assert reverse("programs:firm_import") not in client.get(reverse("programs:firm_list")).content.decode()


# --- Scoping ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["pusat", "viewer_a", "operator_nowhere"])
def test_who_cannot_enter_data_cannot_reach_the_import(client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("programs:firm_import")).status_code == 403
    assert client.get(reverse("programs:firm_import_template")).status_code == 403


def test_an_operator_cannot_import_into_another_province_by_a_forged_province(operator_client):
    kalsel = Province.objects.get(code="63")
    url = reverse("programs:firm_import")
    source = xlsx([firm_row(1, **{"Kabupaten/kota": "63.71"})])

    token, preview = _upload(operator_client, url, source, province=kalsel.pk)  # ignored: the operator's own

    assert "Kota Banjarmasin tidak berada di provinsi ini." in preview.content.decode()
    assert (
        operator_client.post(url, {"aksi": "simpan", "token": token, "province": kalsel.pk}).status_code
        == 400
    )
    assert Firm.objects.count() == 0


def test_an_admin_cannot_choose_a_province_outside_the_list(admin_client):
    response = admin_client.post(
        reverse("programs:firm_import"), {"aksi": "unggah", "province": 9999, "file": xlsx([firm_row(1)])}
    )
    assert response.status_code == 400
    assert "Anda tidak berhak mengimpor ke provinsi ini." in response.content.decode()
    assert Firm.objects.count() == 0


def test_the_function_refuses_a_province_outside_the_users_scope(operator):
    with pytest.raises(PermissionDenied):
        run(xlsx([firm_row(1, **{"Kabupaten/kota": "63.71"})]), user=operator, province="63")
    assert Firm.objects.count() == 0


def test_an_admin_chooses_the_province(admin_client):
    kalsel = Province.objects.get(code="63")
    token, preview = _upload(
        admin_client,
        reverse("programs:firm_import"),
        xlsx([firm_row(1, **{"Kabupaten/kota": "Kota Banjarmasin"})]),
        province=kalsel.pk,
    )
    assert preview.status_code == 200
    admin_client.post(reverse("programs:firm_import"), {"aksi": "simpan", "token": token})
    assert Firm.objects.get().province == kalsel


def test_imports_are_logged_with_user_province_and_counts(operator, caplog):
    with caplog.at_level(logging.INFO, logger="ikm_dekon.imports"):
        run(xlsx([firm_row(1)]), user=operator)
    record = [r for r in caplog.records if r.name == "ikm_dekon.imports"][-1]
    assert record.getMessage() == "import"
    assert (record.user, record.province, record.object) == ("op-51", "51", "Firm")
    assert (record.new, record.refused, record.written) == (1, 0, True)

    with caplog.at_level(logging.INFO, logger="ikm_dekon.imports"), pytest.raises(ImportRefused):
        run(zip_bomb(), user=operator)
    record = [r for r in caplog.records if r.name == "ikm_dekon.imports"][-1]
    assert (record.getMessage(), record.user) == ("import refused", "op-51")
    assert "mengembang" in record.reason


# --- An activity's participants -----------------------------------------------------------------------------


@pytest.fixture
def activity():
    return make_activity(make_allocation("51", 2020))


def test_participating_firms_are_created_or_updated_by_nib_and_added_once(
    operator_client, operator, activity, writer
):
    known = make_firm("51", nib="9120000000002", name="Nama lama", phone="")
    make_participation(activity, make_firm("51", nib="9120000000003"))
    url = reverse("programs:participant_import", args=[activity.pk])
    rows = [firm_row(1, Keterangan="Peserta baru"), firm_row(2), firm_row(3)]
    source = xlsx(rows, headers=[*HEADERS, "Keterangan"])

    token, preview = _upload(operator_client, url, source, kind=ACTIVITY_FIRMS)
    assert "ditambahkan sebagai peserta" in preview.content.decode()
    response = operator_client.post(url, {"aksi": "simpan", "token": token})
    assert response.status_code == 302 and response["Location"] == activity.get_absolute_url()

    assert set(activity.participations.values_list("firm__nib", flat=True)) == {
        "9120000000001",
        "9120000000002",
        "9120000000003",
    }
    known.refresh_from_db()
    assert (known.name, known.version) == ("Konveksi Sari 2", 2)
    added = Participation.objects.get(firm__nib="9120000000001")
    assert (added.note, added.province_id, added.year) == ("Peserta baru", activity.province_id, 2020)
    assert added.history.get().history_user == operator

    again = import_file(
        xlsx(rows, headers=[*HEADERS, "Keterangan"]), kind=ACTIVITY_FIRMS, activity=activity, user=operator
    )
    assert again.counts == {"baru": 0, "ubah": 0, "tetap": 3, "galat": 0}
    assert Participation.objects.count() == 3


def test_individual_participants_are_imported_with_their_nik_kept_out_of_history_and_preview(
    operator_client, operator, activity, writer
):
    founded = make_firm("51", nib="9120000000009")
    make_participant(activity, name="Sudah Ada", nik="5106014101900002", phone="")
    headers = ["Nama", "NIK", "Jenis kelamin", "Telepon", "NIB IKM yang didirikan"]
    rows = [
        ["Siti Aminah", "5106014101900001", "Perempuan", "0813-1234-5678", "9120000000009"],
        ["Sudah Ada", "5106014101900002", "L", "0813-1111-2222", ""],
        ["Made Wira", "", "laki-laki", "", ""],
    ]
    url = reverse("programs:participant_import", args=[activity.pk])
    token, preview = _upload(operator_client, url, xlsx(rows, headers=headers), kind=ACTIVITY_PEOPLE)
    html = preview.content.decode()
    assert "5106********0001" in html and "5106014101900001" not in html
    assert "5106014101900001" not in importing_dir().joinpath(f"{token}.json").read_text()
    operator_client.post(url, {"aksi": "simpan", "token": token})

    people = {p.name: p for p in Participant.objects.all()}
    assert set(people) == {"Siti Aminah", "Sudah Ada", "Made Wira"}
    assert (people["Siti Aminah"].nik, people["Siti Aminah"].sex, people["Siti Aminah"].founded_firm) == (
        "5106014101900001",
        "P",
        founded,
    )
    assert (people["Sudah Ada"].sex, people["Sudah Ada"].phone, people["Sudah Ada"].version) == (
        "L",
        "0813-1111-2222",
        2,
    )
    assert people["Made Wira"].sex == "L"
    history = people["Siti Aminah"].history.get()
    assert history.history_user == operator and not hasattr(history, "nik")

    again = import_file(xlsx(rows, headers=headers), kind=ACTIVITY_PEOPLE, activity=activity, user=operator)
    assert again.counts == {"baru": 0, "ubah": 0, "tetap": 3, "galat": 0}


def test_a_participant_refused_for_a_nik_stored_as_a_number_or_a_firm_of_another_province(activity, operator):
    make_firm("63", regency="63.71", nib="9120000000063")
    headers = ["Nama", "NIK", "Jenis kelamin", "NIB IKM yang didirikan"]
    rows = [
        ["Satu", 5106014101900001, "P", ""],
        ["Dua", "", "P", "9120000000063"],
        ["Tiga", "", "X", ""],
        ["Empat", "", "P", "9120000000999"],
    ]
    report = import_file(xlsx(rows, headers=headers), kind=ACTIVITY_PEOPLE, activity=activity, user=operator)
    errors = list(report.errors())
    assert [(r, c) for r, c, _m in errors] == [
        (2, "NIK"),
        (3, "NIB IKM yang didirikan"),
        (4, "Jenis kelamin"),
        (5, "NIB IKM yang didirikan"),
    ]
    assert "15 digit" in errors[0][2]
    assert errors[1][2] == "NIB sudah terdaftar di provinsi lain."
    assert "belum terdaftar di provinsi ini" in errors[3][2]
    assert Participant.objects.count() == 0


def test_another_provinces_activity_import_is_not_found(operator_client):
    other = make_activity(make_allocation("63", 2020))
    assert operator_client.get(reverse("programs:participant_import", args=[other.pk])).status_code == 404
    url = reverse("programs:participant_import_template", args=[other.pk])
    assert operator_client.get(url).status_code == 404
    response = operator_client.post(
        reverse("programs:participant_import", args=[other.pk]),
        {
            "aksi": "unggah",
            "kind": ACTIVITY_FIRMS,
            "file": xlsx([firm_row(1, **{"Kabupaten/kota": "63.71"})]),
        },
    )
    assert response.status_code == 404
    assert Firm.objects.count() == 0


def test_a_locked_activity_import_is_forbidden(operator_client, activity):
    activity.review_status = "diajukan"
    activity.save()
    assert operator_client.get(reverse("programs:participant_import", args=[activity.pk])).status_code == 403


def test_the_activity_page_links_to_the_import_only_when_editable(operator_client, activity):
    url = reverse("programs:participant_import", args=[activity.pk])
    assert url in operator_client.get(activity.get_absolute_url()).content.decode()
    activity.review_status = "diajukan"
    activity.save()
    assert url not in operator_client.get(activity.get_absolute_url()).content.decode()


def test_participant_templates_download(operator_client, activity):
    url = reverse("programs:participant_import_template", args=[activity.pk])
    people = openpyxl.load_workbook(io.BytesIO(operator_client.get(url, {"jenis": ACTIVITY_PEOPLE}).content))
    assert next(people["Data"].values)[:3] == ("Nama", "NIK", "Jenis kelamin")
    firms = openpyxl.load_workbook(io.BytesIO(operator_client.get(url, {"jenis": ACTIVITY_FIRMS}).content))
    assert next(firms["Data"].values)[-1] == "Keterangan"
    assert operator_client.get(url, {"jenis": "lain"}).status_code == 404


# --- The command line ---------------------------------------------------------------------------------------


def test_the_command_imports_with_a_summary_and_the_users_history(tmp_path, operator, capsys):
    path = tmp_path / "ikm.xlsx"
    path.write_bytes(xlsx([firm_row(1), firm_row(2)]).getvalue())
    call_command("import_firms", str(path), "--province", "51", "--user", "op-51")
    out = capsys.readouterr()
    assert "2 baris: 2 baru" in out.out and "Semua baris disimpan." in out.out
    assert "Memeriksa" in out.err  # the progress bar
    assert Firm.objects.count() == 2
    assert {h.history_user for h in Firm.history.all()} == {operator}


def test_the_command_exits_non_zero_on_a_refused_row_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "ikm.csv"
    path.write_bytes(csv_file([firm_row(1), firm_row(2, NIB="123")]).getvalue())
    with pytest.raises(CommandError) as refused:
        call_command("import_firms", str(path), "--province", "51")
    assert refused.value.returncode == 1
    assert "Baris 3, kolom NIB: NIB harus 13 digit angka." in capsys.readouterr().err
    assert Firm.objects.count() == 0


def test_the_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "ikm.xlsx"
    path.write_bytes(xlsx([firm_row(1)]).getvalue())
    call_command("import_firms", str(path), "--province", "51", "--dry-run")
    assert "tidak ada yang disimpan" in capsys.readouterr().out
    assert Firm.objects.count() == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--province", "51"], "Sebutkan berkas"),
        (["x.xlsx"], "--province"),
        (["x.xlsx", "--province", "00"], "tidak dikenal"),
        (["x.xlsx", "--province", "51", "--user", "siapa"], "tidak ditemukan"),
    ],
)
def test_the_command_refuses_a_bad_command_line(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_firms", *args)


def test_the_command_refuses_a_user_outside_the_province(tmp_path, operator):
    path = tmp_path / "ikm.xlsx"
    path.write_bytes(xlsx([firm_row(1, **{"Kabupaten/kota": "63.71"})]).getvalue())
    with pytest.raises(CommandError):
        call_command("import_firms", str(path), "--province", "63", "--user", "op-51")
    assert Firm.objects.count() == 0


def test_the_command_writes_a_template_that_imports_cleanly_once_filled(tmp_path, capsys):
    path = tmp_path / "templat.xlsx"
    call_command("import_firms", "--template", str(path), "--province", "51")
    workbook = openpyxl.load_workbook(path)
    assert [c.value for c in workbook["Data"][1]] == HEADERS
    assert workbook["Petunjuk"]["A1"].value == "Kolom"
    for n in (1, 2, 3):
        workbook["Data"].append(list(firm_row(n).values()))
    workbook.save(path)

    call_command("import_firms", str(path), "--province", "51")
    assert "3 baris: 3 baru" in capsys.readouterr().out
    assert Firm.objects.count() == 3
