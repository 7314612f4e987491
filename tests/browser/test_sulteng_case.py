"""The Sulawesi Tengah case of 2020 (DOMAIN.md, case 6) entered on a phone by the province's operator:
pendampingan penjahitan for 10 IKM registered beforehand, 300 masks each (3,000 in all), every one handed
to the public. At most 40 user actions (every goto, click, fill, select and check counted), the activity
page without sideways scroll at 390 px, and the figures the reports show for province 72 equal a count of
the records.
"""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from programs.models import Handover, Output, Participation
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_allocation, make_firm, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
    pytest.mark.slow,
]

MAX_ACTIONS = 40
PHONE = {"width": 390, "height": 844}


class Counted:
    """The page's user actions, each counted: goto, and click/fill/select/check of a locator."""

    def __init__(self, page):
        self.page, self.n = page, 0

    def goto(self, url):
        self.n += 1
        return self.page.goto(url)

    def download(self, url):
        """A report's JSON, as its export link downloads it (in the browser's session)."""
        self.n += 1
        response = self.page.request.get(url)
        assert response.ok, response.status
        return response.json()

    def click(self, locator):
        self.n += 1
        locator.click()

    def fill(self, locator, value):
        self.n += 1
        locator.fill(value)

    def select(self, locator, **option):
        self.n += 1
        locator.select_option(**option)

    def check(self, locator):
        self.n += 1
        locator.check()


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_sulawesi_tengah_masks_entered_in_at_most_40_actions_and_the_reports_agree(
    page, live_server, shot, console_errors
):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_viewport_size(PHONE)
    operator = make_user("op-72", Role.OPERATOR, "72")
    make_allocation("72", 2020)
    firms = [
        make_firm("72", regency="72.71", name=f"IKM Penjahit Palu {n:02d}", nib=f"72710000000{n:02d}")
        for n in range(1, 11)
    ]
    act = Counted(page)

    # 1. signs in (4 actions: the page, name, password, button)
    act.n += 4
    sign_in(page, live_server, operator.username, PASSWORD)
    shot("home")

    # 2. the activity: pendampingan penjahitan, masks for Covid-19
    act.goto(f"{live_server.url}/kegiatan/baru/")
    act.fill(page.get_by_label("Judul kegiatan"), "Pendampingan penjahitan masker standar kesehatan")
    act.select(page.get_by_label("Jenis kegiatan"), value="pendampingan")
    act.select(page.get_by_label("Tujuan"), value="pengembangan")
    act.select(page.get_by_label("Sektor"), value="sandang")
    act.check(page.get_by_label("Penanganan dampak Covid-19"))
    act.select(page.get_by_label("Metode pelaksanaan"), value="luring")
    act.fill(page.get_by_label("Rencana mulai"), "01/07/2020")
    act.fill(page.get_by_label("Rencana selesai"), "31/07/2020")
    act.fill(page.get_by_label("Anggaran kegiatan (Rp)"), "150.000.000")
    act.fill(page.get_by_label("Target peserta"), "10")
    shot("activity-form")
    act.click(page.get_by_role("button", name="Simpan", exact=True))
    expect(
        page.get_by_role("heading", name="Pendampingan penjahitan masker standar kesehatan")
    ).to_be_visible()
    assert _fits(page) <= PHONE["width"]
    shot("activity-created")

    # 3. the 10 firms at once: their NIBs pasted
    act.click(page.get_by_text("Tempel daftar NIB"))
    act.fill(page.get_by_label("Daftar NIB"), "\n".join(f.nib for f in firms))
    act.click(page.get_by_role("button", name="Tambah semua IKM ini"))
    expect(page.locator("#firm-count")).to_have_text("10")
    expect(page.locator("main")).to_contain_text("10 IKM ditambahkan sebagai peserta.")
    assert page.evaluate("location.hash") == "#firms"
    shot("ten-firms")

    # 4. 300 masks each, in one grid: the first row typed, copied to the others
    act.click(page.get_by_text("Hasil produksi beberapa IKM sekaligus"))
    grid = page.locator("#bulk-output-form")
    act.fill(grid.locator("#bulk-output-product"), "Masker kain 3 lapis standar kesehatan")
    act.select(grid.get_by_label("Jenis produk"), value="masker")
    expect(grid.get_by_label("Satuan")).to_have_value("pcs")  # the usual unit of masks, chosen for them
    act.check(grid.get_by_label("Memenuhi standar"))
    act.fill(grid.locator("input.bulk-quantity").first, "300")
    act.click(grid.get_by_role("button", name="Samakan semua dengan baris pertama"))
    shot("output-grid")
    act.click(grid.get_by_role("button", name="Simpan semua hasil"))
    expect(page.locator("#produced")).to_have_text("3.000")
    expect(page.locator("main")).to_contain_text("Hasil produksi 10 IKM dicatat: 3.000 pcs.")
    assert _fits(page) <= PHONE["width"]
    shot("outputs")

    # 5. all of it to the public, in one grid prefilled with what is left of each
    act.click(page.get_by_text("Penyerahan beberapa hasil sekaligus"))
    grid = page.locator("#bulk-handover-form")
    act.select(grid.get_by_label("Jenis penerima"), value="masyarakat")
    act.fill(grid.get_by_label("Nama penerima"), "Masyarakat umum Kota Palu")
    expect(grid.get_by_label("Tanggal penyerahan")).to_have_value("31/07/2020")  # never before production
    act.fill(grid.get_by_label("Nomor BAST"), "BAST/DISPERINDAG-ST/VIII/2020/017")
    shot("handover-grid")
    act.click(grid.get_by_role("button", name="Simpan semua penyerahan"))
    expect(page.locator("#handed-over")).to_have_text("3.000")
    expect(page.locator("main")).to_contain_text(
        "Penyerahan dicatat untuk 10 hasil produksi: 3.000 pcs, sisa 0."
    )
    assert _fits(page) <= PHONE["width"]
    shot("handed-over")

    # The records, counted on their own (through the foreign keys, not the copies or totals)
    firms_counted = Participation.objects.filter(activity__allocation__province__code="72").count()
    produced = sum(
        Output.objects.filter(
            participation__activity__allocation__province__code="72", product_type="masker"
        ).values_list("quantity", flat=True)
    )
    to_public = sum(
        Handover.objects.filter(
            output__participation__activity__allocation__province__code="72", recipient_type="masyarakat"
        ).values_list("quantity", flat=True)
    )
    assert (firms_counted, produced, to_public) == (10, 3000, 3000)
    assert page.locator("#firm-count").inner_text() == str(firms_counted)

    # 6. the reports say the same for province 72: the Covid-19 report and the national recap
    act.goto(f"{live_server.url}/laporan/covid/?tahun=2020")
    shot("covid-report")
    row = page.locator('#covid-provinces tr[data-province="72"][data-product="masker"]')
    cells = row.locator("td.num").all_inner_texts()  # produced, ordered, handed over, then per recipient type
    assert (cells[0], cells[2]) == (f"{produced:,}".replace(",", "."), f"{to_public:,}".replace(",", "."))
    assert sorted(cells[3:]) == ["0"] * (len(cells) - 4) + ["3.000"]  # all of it to one recipient type
    covid = act.download(f"{live_server.url}/laporan/covid/?tahun=2020&format=json")
    (masks,) = [r for r in covid["rows"] if r["province_code"] == "72" and r["product"] == "Masker"]
    assert (masks["produced"], masks["handed_over"], masks["handed_over_masyarakat"]) == (
        produced,
        to_public,
        to_public,
    )
    act.goto(f"{live_server.url}/laporan/nasional/?tahun=2020")
    shot("national-recap")
    recap = act.download(f"{live_server.url}/laporan/nasional/?tahun=2020&format=json")
    (sulteng,) = [r for r in recap["rows"] if r["province_code"] == "72"]
    assert (sulteng["firms"], sulteng["output_masker"], sulteng["handed_over_masyarakat"]) == (
        firms_counted,
        produced,
        to_public,
    )

    assert act.n <= MAX_ACTIONS, act.n
    assert failed == []
    assert console_errors == []
