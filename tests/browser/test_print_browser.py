"""A report printed by Chromium (print media, A4 as the stylesheet says): the paper carries the report and
its page numbers ("Halaman x dari y", the @page margin boxes of static/css/app.css) and none of the
screen's instructions and controls (downloads, print button, filters, links to other pages)."""

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_activity, make_allocation, make_realisation

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

ACTIVITIES = 30  # more than a page of the table, so the printout runs to several pages


def _seed():
    allocation = make_allocation("63", 2020, pagu=Decimal("4000000000"))
    for month in (3, 6):
        make_realisation(allocation, month, amount=Decimal("600000000"))
    for n in range(ACTIVITIES):
        make_activity(allocation, title=f"Pendampingan penjahitan masker standar kesehatan nomor {n + 1}")


def test_a_printed_province_report_has_page_numbers_and_no_instructions(page, live_server, shot, viewer):
    _seed()
    sign_in(page, live_server, viewer.username, PASSWORD)
    page.goto(f"{live_server.url}/laporan/provinsi/63/?tahun=2020")
    expect(
        page.get_by_role("heading", name=re.compile("Laporan Provinsi Kalimantan Selatan"))
    ).to_be_visible()
    on_screen = page.inner_text("main")
    assert "CSV Excel Indonesia" in on_screen and "Cetak" in on_screen  # what must not be printed is there

    # The monthly table made long enough to run over pages (rows copied in the page, not the server's):
    # its totals row must still print once.
    page.evaluate(
        """() => { const body = document.querySelector('#monthly-table tbody');
                   const rows = [...body.rows];
                   for (let i = 0; i < 8; i++) rows.forEach(r => body.appendChild(r.cloneNode(true))); }"""
    )
    totals_on_screen = page.inner_text("main").count("Total")

    page.emulate_media(media="print")
    shot("print-media")
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    pages = [p.extract_text() for p in pdf.pages]
    text = "\n".join(pages)
    assert len(pages) >= 2
    width, height = float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points
    for number, page_text in enumerate(pages, start=1):
        assert f"Halaman {number} dari {len(pages)}" in page_text, number
    assert "Laporan Provinsi Kalimantan Selatan tahun 2020" in text
    assert "Kurva realisasi bulanan" in text
    for instruction in (
        "Unduh",
        "CSV Excel Indonesia",
        "CSV standar",
        "Cetak",
        "Terapkan",
        "Laporan triwulan:",
    ):
        assert instruction not in text, instruction
    pages_of_monthly_table = [p for p in pages if "Desember" in p or "Januari" in p]
    assert len(pages_of_monthly_table) >= 2  # the table does run over a page break
    assert text.count("Total") == totals_on_screen  # a tfoot repeated on every page would add some
