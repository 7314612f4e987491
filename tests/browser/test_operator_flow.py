"""An operator enters an activity end to end in a real browser; the ministry returns it, the operator
corrects and resubmits, the ministry verifies. Every step asserts what the page shows and is screenshot.
"""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from programs.models import Activity, Attachment, Handover, Output, Participation
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_allocation, make_firm

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
    pytest.mark.slow,
]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _as(context, live_server, user):
    """A second signed-in browser session (ministry staff pass their second factor via force_login)."""
    client = Client()
    client.force_login(user)
    context.clear_cookies()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_operator_enters_submits_corrects_and_ministry_verifies(
    page, live_server, shot, console_errors, tmp_path, operator, pusat
):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    make_allocation("51", 2020)
    make_firm("51", regency="51.06", name="IKM Konveksi Bangli Jaya", nib="5106000000011")

    # 1. the operator signs in and sees their province's home
    sign_in(page, live_server, operator.username, PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Selamat datang"))).to_be_visible()
    shot("operator-home")

    # 2. creates an activity, money and dates written the Indonesian way
    page.get_by_role("link", name="Kegiatan", exact=True).click()
    page.get_by_role("link", name="Kegiatan baru").first.click()
    page.get_by_label("Judul kegiatan").fill("Bimtek pembuatan masker kain 2 lapis")
    page.get_by_label("Jenis kegiatan").select_option("bimtek")
    page.get_by_label("Tujuan").select_option("pengembangan")
    page.get_by_label("Sektor").select_option("sandang")
    page.get_by_label("Penanganan dampak Covid-19").check()
    page.get_by_label("Kabupaten/kota").select_option(label="Kabupaten Bangli")
    page.get_by_label("Metode pelaksanaan").select_option("kombinasi")
    page.get_by_label("Rencana mulai").fill("15/06/2020")
    page.get_by_label("Rencana selesai").fill("17/07/2020")
    page.get_by_label("Anggaran kegiatan (Rp)").fill("125.000.000")
    page.get_by_label("Target peserta").fill("20")
    shot("activity-form")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", name="Bimtek pembuatan masker kain 2 lapis")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rp 125.000.000")
    expect(page.locator("main")).to_contain_text("15/06/2020")
    activity = Activity.objects.get()
    shot("activity-created")

    # 3. adds two firms: one found by NIB, one registered in place
    page.get_by_placeholder("Cari IKM provinsi ini: nama atau NIB").fill("5106000000011")
    page.get_by_role("button", name="Cari", exact=True).click()
    page.locator("#firm-results").get_by_role("button", name="Tambahkan").click()
    expect(page.locator("#firms")).to_contain_text("IKM Konveksi Bangli Jaya")
    page.get_by_text("Daftarkan IKM baru dan tambahkan").click()
    form = page.locator("#new-firm-form")
    form.get_by_label("Kabupaten/kota").select_option(label="Kabupaten Bangli")
    form.get_by_label("Nama IKM").fill("IKM Jahit Sari Bangli")
    form.get_by_label("NIB").fill("5106000000022")
    form.get_by_label("Sektor").select_option("sandang")
    form.get_by_role("button", name="Simpan IKM dan tambahkan").click()
    expect(page.locator("#firm-count")).to_have_text("2")
    assert Participation.objects.filter(activity=activity).count() == 2
    shot("two-firms")

    # 4. an output and a handover of it
    page.get_by_text("Catat hasil produksi").click()
    form = page.locator("#output-form")
    form.get_by_label("IKM").select_option(label="IKM Jahit Sari Bangli (5106000000022)")
    form.locator("#id_product").fill("Masker kain 2 lapis")
    form.get_by_label("Jenis produk").select_option("masker")
    form.get_by_label("Jumlah diproduksi").fill("1500")
    form.get_by_label("Satuan").select_option("pcs")
    form.get_by_label("Tanggal produksi").fill("10/07/2020")
    form.get_by_label("Memenuhi standar").check()
    form.get_by_role("button", name="Simpan hasil").click()
    expect(page.locator("#produced")).to_have_text("1.500")
    page.get_by_text("Catat penyerahan").click()
    form = page.locator("form.handover-form")
    form.get_by_label("Jenis penerima").select_option("masyarakat")
    form.get_by_label("Nama penerima").fill("Masyarakat Kabupaten Bangli")
    form.get_by_label("Tanggal penyerahan").fill("20/07/2020")
    form.get_by_label("Jumlah diserahkan").fill("1000")
    form.get_by_label("Nomor BAST").fill("BAST/IKM/07/2020/001")
    form.get_by_role("button", name="Simpan penyerahan").click()
    expect(page.locator("#handed-over")).to_have_text("1.000")
    assert Output.objects.get().handed_over_total == 1000 and Handover.objects.count() == 1
    shot("output-and-handover")

    # 5. attaches the BAST as a PDF
    pdf = tmp_path / "bast.pdf"
    pdf.write_bytes(PDF)
    page.get_by_text("Unggah lampiran").click()
    form = page.locator("#attachment-form")
    form.get_by_label("Penyerahan").select_option(index=1)
    form.locator("input[type=file]").set_input_files(str(pdf))
    form.get_by_role("button", name="Unggah").click()
    expect(page.locator("#attachments")).to_contain_text("bast.pdf")
    assert Attachment.objects.get().content_type == "application/pdf"
    shot("attachment")

    # 6. submits for verification
    # the button opens the checklist of what is missing (programs/checklist.py), then submits
    page.get_by_role("link", name="Ajukan untuk verifikasi…").click()
    expect(page.locator("#check-participants")).to_contain_text("2 IKM peserta")
    page.get_by_role("button", name="Ajukan untuk verifikasi").click()
    expect(page.locator("#review-status")).to_have_text("Diajukan")
    expect(page.locator("#edit-activity")).to_have_count(0)
    shot("submitted")

    # 7. ministry staff find it in their queue and return it with a note
    _as(page.context, live_server, pusat)
    page.goto(f"{live_server.url}/verifikasi/")
    expect(page.locator("main")).to_contain_text("Bimtek pembuatan masker kain 2 lapis")
    shot("ministry-queue")
    page.get_by_role("link", name="Bimtek pembuatan masker kain 2 lapis").click()
    page.get_by_role("button", name="Kembalikan dengan catatan").click()
    expect(page.locator("main")).to_contain_text("Catatan wajib diisi.")
    page.get_by_label("Catatan").fill("Lengkapi realisasi peserta sebelum diajukan lagi.")
    page.get_by_role("button", name="Kembalikan dengan catatan").click()
    expect(page.locator("#review-status")).to_have_text("Dikembalikan")
    shot("returned")

    # 8. the operator sees the note, corrects and resubmits
    page.context.clear_cookies()
    sign_in(page, live_server, operator.username, PASSWORD)
    expect(page.locator("#returned")).to_contain_text("Lengkapi realisasi peserta sebelum diajukan lagi.")
    shot("operator-sees-note")
    page.locator("#returned").get_by_role("link").first.click()
    expect(page.locator("#return-note")).to_contain_text("Lengkapi realisasi peserta")
    page.get_by_role("link", name="Ubah kegiatan").click()
    page.get_by_label("Realisasi peserta").fill("18")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("main")).to_contain_text("18 / target 20")
    page.get_by_role("link", name="Ajukan untuk verifikasi…").click()
    page.get_by_role("button", name="Ajukan untuk verifikasi").click()
    expect(page.locator("#review-status")).to_have_text("Diajukan")
    shot("resubmitted")

    # 9. ministry staff verify it; it is locked for the province
    _as(page.context, live_server, pusat)
    page.goto(f"{live_server.url}{activity.get_absolute_url()}")
    page.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(page.locator("#review-status")).to_have_text("Terverifikasi")
    shot("verified")
    activity.refresh_from_db()
    assert activity.review_status == "terverifikasi" and activity.actual_participants == 18
    assert failed == []
    assert console_errors == []
