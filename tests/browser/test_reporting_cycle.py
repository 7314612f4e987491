"""The reporting cycle's two-tier sign-off in a real browser (issue 16's acceptance): op-63 prepares June 2020
and the second quarter's report; kadis-63 returns June once with a note, then approves both; ministry staff
verify them together with other provinces' packages in one bulk action. Each actor sees the state and the
note; the Kepala Dinas of Sulawesi Tengah (72) gets 404 for Kalimantan Selatan's package.
"""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from programs import packages, services
from programs.models import QuarterlyNote, Realisation, ReportPackage, ReviewEvent, ReviewStatus
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_allocation, make_realisation, make_user, preparer

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.browser,
    pytest.mark.slow,
]

NOTE = "Lampirkan SP2D realisasi bulan Juni"
PHONE = {"width": 390, "height": 844}


def _fits_a_phone(page):
    """The page at 390 px wide: nothing scrolls sideways but inside a table's own scroller."""
    page.set_viewport_size(PHONE)
    fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    return fits


def _as(context, live_server, user):
    """Switch the browser to another signed-in user (ministry staff pass their second factor via
    force_login)."""
    client = Client()
    client.force_login(user)
    context.clear_cookies()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _approved_elsewhere(code, actor):
    """June 2020 of another province, prepared and approved (by an admin), awaiting the ministry."""
    allocation = make_allocation(code, 2020)
    make_realisation(allocation, month=6, amount=Decimal("50000000"))
    package, _ = packages.get_or_start(allocation, "bulanan", 6, actor=actor)
    services.prepare(package=package, actor=preparer(code))
    services.approve(package=package, actor=actor)
    return package


def test_prepare_return_approve_and_verify_in_bulk(
    page, context, live_server, shot, console_errors, operator_b, kadis_b, pusat, admin
):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    allocation = make_allocation("63", 2020)
    make_realisation(allocation, month=6, amount=Decimal("125000000"))
    QuarterlyNote.objects.create(
        allocation=allocation,
        quarter=2,
        problems="Pengiriman bahan baku masker terlambat",
        follow_up="Jadwal produksi digeser ke Juli",
    )
    others = [_approved_elsewhere("51", admin), _approved_elsewhere("72", admin)]
    kadis_72 = make_user("kadis-72", Role.HEAD, "72", first_name="Kepala Dinas Sulawesi Tengah")

    # 1. op-63 opens June from the budget page and hands it to the Kepala Dinas, then the second quarter
    sign_in(page, live_server, operator_b.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('programs:budget', args=[allocation.pk])}")
    page.locator("#month-package-6").get_by_role("button", name="Buka paket").click()
    expect(page.get_by_role("heading", name=re.compile("Paket bulan Juni 2020"))).to_be_visible()
    expect(page.locator("#package-realisation")).to_contain_text("Rp 125.000.000")
    shot("op-june-draft")
    page.get_by_role("button", name="Ajukan ke Kepala Dinas").click()
    expect(page.locator("#package-status")).to_have_text("Menunggu persetujuan Kepala Dinas")
    june = ReportPackage.objects.get(allocation=allocation, kind="bulanan", period=6)
    june_url = f"{live_server.url}{reverse('programs:package_detail', args=[june.pk])}"
    page.goto(f"{live_server.url}{reverse('programs:budget', args=[allocation.pk])}")
    page.locator("#quarter-package-2").get_by_role("button", name="Buka paket").click()
    expect(page.locator("#package-note")).to_contain_text("Pengiriman bahan baku masker terlambat")
    page.get_by_role("button", name="Ajukan ke Kepala Dinas").click()
    expect(page.locator("#package-status")).to_have_text("Menunggu persetujuan Kepala Dinas")
    quarter = ReportPackage.objects.get(allocation=allocation, kind="triwulanan", period=2)
    shot("op-quarter-prepared")

    # 2. kadis-63 finds both awaiting approval and returns June with a note
    context.clear_cookies()
    sign_in(page, live_server, kadis_b.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('programs:package_list')}")
    table = page.locator("#package-table")
    expect(table).to_contain_text("bulan Juni 2020")
    expect(table).to_contain_text("triwulan II 2020")
    shot("kadis-awaiting")
    table.get_by_role("link", name="bulan Juni 2020").click()
    actions = page.locator("#package-actions")
    actions.get_by_role("button", name="Kembalikan ke operator dengan catatan").click()
    expect(page.locator("main")).to_contain_text("Catatan wajib diisi.")  # nothing sent without a note
    assert ReportPackage.objects.get(pk=june.pk).review_status == ReviewStatus.PREPARED
    page.locator("#package-actions textarea[name=note]").fill(NOTE)
    page.locator("#package-actions").get_by_role(
        "button", name="Kembalikan ke operator dengan catatan"
    ).click()
    expect(page.locator("#package-status")).to_have_text("Dikembalikan")
    shot("kadis-returned")

    # 3. op-63 reads the note and hands June over again
    context.clear_cookies()
    sign_in(page, live_server, operator_b.username, PASSWORD)
    page.goto(june_url)
    expect(page.locator("#return-note")).to_contain_text(NOTE)
    shot("op-reads-note")
    page.get_by_role("button", name="Ajukan ke Kepala Dinas").click()
    expect(page.locator("#package-status")).to_have_text("Menunggu persetujuan Kepala Dinas")

    # 4. kadis-63 approves June and the quarter: locked, on their way to the ministry
    context.clear_cookies()
    sign_in(page, live_server, kadis_b.username, PASSWORD)
    for package in (june, quarter):
        page.goto(f"{live_server.url}{reverse('programs:package_detail', args=[package.pk])}")
        page.get_by_role("button", name="Setujui dan kirim ke kementerian").click()
        expect(page.locator("#package-status")).to_have_text("Diajukan")
        expect(page.locator("#approved-by")).to_contain_text("kadis-63")
    shot("kadis-approved")

    # 5. ministry staff verify the four packages of three provinces in one action
    _as(context, live_server, pusat)
    page.goto(f"{live_server.url}{reverse('programs:review_queue')}")
    queue = page.locator("#queue-packages")
    expect(queue.locator("input[name=paket]")).to_have_count(4)
    expect(queue).to_contain_text("op-63")
    expect(queue).to_contain_text("kadis-63")
    assert _fits_a_phone(page), "the queue scrolls sideways at 390 px"
    for package in (june, quarter, *others):
        page.locator(f"#paket-{package.pk}").check()
    shot("ministry-selected")
    page.get_by_role("button", name="Verifikasi yang dipilih").click()
    expect(page.locator("body")).to_contain_text("4 paket diverifikasi.")
    expect(page.locator("#queue-packages")).to_contain_text("Tidak ada paket yang menunggu verifikasi.")
    shot("ministry-verified")
    assert set(ReportPackage.objects.values_list("review_status", flat=True)) == {ReviewStatus.VERIFIED}
    assert Realisation.objects.get(allocation=allocation, month=6).review_status == ReviewStatus.VERIFIED
    assert ReviewEvent.objects.filter(object_id=june.pk, action="verifikasi").count() == 1

    # 6. each actor sees the verified package and its trail
    context.clear_cookies()
    sign_in(page, live_server, operator_b.username, PASSWORD)
    page.goto(june_url)
    expect(page.locator("#package-status")).to_have_text("Terverifikasi")
    expect(page.locator("#package-events")).to_contain_text(NOTE)
    expect(page.locator("#package-actions")).to_have_count(0)
    shot("op-sees-verified")
    assert _fits_a_phone(page), "the package's page scrolls sideways at 390 px"
    page.goto(f"{live_server.url}{reverse('programs:package_list')}")
    assert _fits_a_phone(page), "the package list scrolls sideways at 390 px"

    # 7. the Kepala Dinas of another province: as if it did not exist
    context.clear_cookies()
    sign_in(page, live_server, kadis_72.username, PASSWORD)
    failed.clear()
    response = page.goto(june_url)
    assert response.status == 404
    shot("kadis-72-404")
    assert failed == [f"404 {june_url}"]
    # The browser logs the two refusals answered on purpose (the note-less return, the 404); nothing else.
    assert [re.sub(r".*status of ", "", e) for e in console_errors] == [
        "400 (Bad Request)",
        "404 (Not Found)",
    ]
