"""The plan (DIPA) import, kind "rencana": the template, the preview with each refused row's row and
column, all or nothing, Indonesian numbers, the amount lines under their komponen, and who may import."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from programs.imports import import_file
from programs.imports.dipa import PLAN
from programs.models import PlanItem
from tests.factories import make_allocation

pytestmark = pytest.mark.django_db

HEADERS = ["kode", "uraian", "volume", "satuan", "akun", "pagu"]


def dipa_rows():
    """A plan as ministry staff type it: Indonesian money, akun rows with the account only."""
    return [
        ["019.08.WA", "Program Pengembangan Industri", "", "", "", ""],
        ["5807", "Penumbuhan dan Pengembangan IKM", "", "", "", ""],
        ["5807.QEA", "Fasilitasi dan Pembinaan Industri", "", "", "", ""],
        ["5807.QEA.001", "IKM yang difasilitasi", "1.000", "IKM", "", "1.000.000.000"],
        ["5807.QEA.001.051", "Bimbingan teknis", "", "", "", "1.000.000.000"],
        ["", "Belanja bahan", "", "", "521211", "250.000.000"],
        ["", "Belanja jasa profesi", "", "", "522151", "750.000.000"],
        ["5807.QEA.002", "Wirausaha baru", 50, "wirausaha", "", 500_000_000],
    ]


def xlsx(rows, headers=HEADERS):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "rencana.xlsx"
    return buffer


@pytest.fixture
def allocation():
    return make_allocation("51", 2020, pagu=Decimal("1500000000"))


def run(allocation, source, user, dry_run=False):
    return import_file(source, kind=PLAN, allocation=allocation, user=user, dry_run=dry_run)


def test_a_good_file_writes_the_whole_plan_with_the_importing_user(allocation, pusat):
    report = run(allocation, xlsx(dipa_rows()), pusat)
    assert report.ok and report.written, list(report.errors())
    items = {i.code: i for i in PlanItem.objects.filter(allocation=allocation)}
    assert set(items) == {
        "019.08.WA",
        "5807",
        "5807.QEA",
        "5807.QEA.001",
        "5807.QEA.001.051",
        "5807.QEA.001.051.521211",
        "5807.QEA.001.051.522151",
        "5807.QEA.002",
    }
    ro = items["5807.QEA.001"]
    assert (ro.target, ro.unit, ro.measure, ro.pagu) == (1000, "ikm", "ikm", Decimal("1000000000"))
    akun = items["5807.QEA.001.051.522151"]
    assert (akun.level, akun.account, akun.spending_type, akun.pagu) == (
        "akun",
        "522151",
        "52",
        Decimal("750000000"),
    )
    assert akun.parent == items["5807.QEA.001.051"]
    assert items["5807.QEA.002"].measure == "wirausaha_nib"
    assert {i.history.latest().history_user for i in items.values()} == {pusat}
    # the RO pagus add up to the current pagu: an independent sum over the stored rows
    assert sum(i.pagu for i in items.values() if i.level == "ro") == allocation.current_pagu


def test_the_dry_run_reports_each_row_and_writes_nothing(allocation, pusat):
    report = run(allocation, xlsx(dipa_rows()), pusat, dry_run=True)
    assert report.ok and not report.written
    assert [r.status for r in report.rows] == ["baru"] * 8
    assert report.rows[3].label == "5807.QEA.001 IKM yang difasilitasi"
    assert not PlanItem.objects.exists()


def test_importing_the_same_file_again_changes_nothing(allocation, pusat):
    run(allocation, xlsx(dipa_rows()), pusat)
    report = run(allocation, xlsx(dipa_rows()), pusat, dry_run=True)
    assert [r.status for r in report.rows] == ["tetap"] * 8


@pytest.mark.parametrize(
    ("row", "change", "column", "message"),
    [
        (3, {2: "2,5"}, "volume", "bilangan bulat"),
        (3, {3: "kilogram"}, "satuan", "bukan pilihan yang dikenal"),
        (3, {5: "sejuta"}, "pagu", "Tulis jumlah dalam Rupiah"),
        (3, {5: ""}, "pagu", "RO harus punya pagu."),
        (3, {0: "5807.QEA.1"}, "kode", "tidak dikenali"),
        (5, {4: "52121"}, "akun", "6"),
        (2, {5: "1.000"}, "pagu", "jumlah RO di bawahnya"),
    ],
)
def test_a_bad_cell_is_refused_with_its_row_and_column_and_nothing_is_written(
    allocation, pusat, row, change, column, message
):
    rows = dipa_rows()
    for index, value in change.items():
        rows[row][index] = value
    report = run(allocation, xlsx(rows), pusat)
    assert not report.ok and not report.written
    errors = [(r, c, m) for r, c, m in report.errors() if r == row + 2]
    assert errors and errors[0][1] == column, list(report.errors())
    assert message in errors[0][2]
    assert not PlanItem.objects.exists()


def test_ro_pagus_off_the_current_pagu_are_refused_on_the_files_last_row(allocation, pusat):
    rows = dipa_rows()
    rows[-1][5] = "400.000.000"
    report = run(allocation, xlsx(rows), pusat)
    assert not report.written
    (number, column, message), *_ = list(report.errors())
    assert (number, column) == (len(rows) + 1, "pagu")
    assert (
        "Jumlah pagu RO Rp 1.400.000.000 tidak sama dengan pagu terkini alokasi Rp 1.500.000.000" in message
    )
    assert not PlanItem.objects.exists()


def test_akun_lines_that_do_not_add_up_to_their_komponen_are_refused(allocation, pusat):
    rows = dipa_rows()
    rows[6][5] = "700.000.000"
    report = run(allocation, xlsx(rows), pusat)
    errors = list(report.errors())
    assert (6, "pagu") in [(r, c) for r, c, _m in errors], errors
    assert not PlanItem.objects.exists()


def test_an_akun_row_needs_a_komponen_or_ro_above_it(allocation, pusat):
    rows = dipa_rows()
    rows.insert(3, ["", "Belanja bahan", "", "", "521211", "1"])
    report = run(allocation, xlsx(rows), pusat)
    assert ("akun", "Baris akun harus di bawah baris komponen atau RO.") in [
        (c, m) for r, c, m in report.errors() if r == 5
    ]


def test_operators_and_closed_years_are_refused(allocation, operator, pusat):
    with pytest.raises(PermissionDenied):
        run(allocation, xlsx(dipa_rows()), operator)
    from programs import services

    services.close_fiscal_year(year=2020, actor=pusat)
    with pytest.raises(PermissionDenied):
        run(allocation, xlsx(dipa_rows()), pusat)
    assert not PlanItem.objects.exists()


# --- The pages ----------------------------------------------------------------------------------------


def test_the_template_has_the_columns_and_an_example_that_is_skipped(pusat_client, allocation, pusat):
    response = pusat_client.get(reverse("programs:plan_import_template", args=[allocation.pk]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Data"]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == HEADERS and "cara_hitung" in headers and "jenis_produk" in headers
    # the template itself imports as no plan: every row is an example
    buffer = io.BytesIO(response.content)
    buffer.name = "templat.xlsx"
    from programs.imports import ImportRefused

    with pytest.raises(ImportRefused):
        run(allocation, buffer, pusat)


def _upload(client, url, source):
    response = client.post(url, {"aksi": "unggah", "kind": PLAN, "file": source})
    assert response.status_code == 302, response.content.decode()[:3000]
    token = response["Location"].split("pratinjau=")[1]
    return token, client.get(response["Location"])


def test_the_import_page_previews_then_saves_all(pusat_client, allocation):
    url = reverse("programs:plan_import", args=[allocation.pk])
    assert pusat_client.get(url).status_code == 200
    token, preview = _upload(pusat_client, url, xlsx(dipa_rows()))
    html = preview.content.decode()
    assert "5807.QEA.001 IKM yang difasilitasi" in html and "Simpan semua baris" in html
    assert not PlanItem.objects.exists()
    response = pusat_client.post(url, {"aksi": "simpan", "token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("programs:plan", args=[allocation.pk])
    assert PlanItem.objects.filter(allocation=allocation).count() == 8


def test_the_preview_shows_row_and_column_of_each_refusal_and_saves_nothing(pusat_client, allocation):
    rows = dipa_rows()
    rows[3][2] = "2,5"
    url = reverse("programs:plan_import", args=[allocation.pk])
    token, preview = _upload(pusat_client, url, xlsx(rows))
    html = preview.content.decode()
    assert "Baris 5, kolom volume" in html
    assert "Simpan semua baris" not in html
    response = pusat_client.post(url, {"aksi": "simpan", "token": token})
    assert response.status_code == 400
    assert not PlanItem.objects.exists()


def test_only_plan_enterers_reach_the_import(operator_client, operator_b_client, viewer_client, allocation):
    for name in ("programs:plan_import", "programs:plan_import_template"):
        url = reverse(name, args=[allocation.pk])
        assert operator_client.get(url).status_code == 403
        assert viewer_client.get(url).status_code == 403
        assert operator_b_client.get(url).status_code == 404


# --- The command line ---------------------------------------------------------------------------------------


def test_the_command_imports_all_or_nothing(allocation, pusat, tmp_path):
    good = tmp_path / "rencana.xlsx"
    good.write_bytes(xlsx(dipa_rows()).getvalue())
    bad_rows = dipa_rows()
    bad_rows[3][2] = "2,5"
    bad = tmp_path / "salah.xlsx"
    bad.write_bytes(xlsx(bad_rows).getvalue())
    with pytest.raises(CommandError, match="1 baris ditolak"):
        call_command("import_plan", str(bad), "--province", "51", "--year", "2020", "--user", pusat.username)
    assert not PlanItem.objects.exists()
    call_command("import_plan", str(good), "--province", "51", "--year", "2020", "--user", pusat.username)
    assert PlanItem.objects.count() == 8
    template = tmp_path / "templat.xlsx"
    call_command("import_plan", "--template", str(template))
    assert template.exists()
