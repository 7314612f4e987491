"""The inbox on an operator's phone (390 px wide): the bell in the menu bar shows the unread count without
opening the menu, the inbox fits the screen without sideways scrolling, and marking a notice read takes it
off the count — under the production Content Security Policy, with no console error."""

import pytest
from playwright.sync_api import expect

from programs import notices
from programs.models import NotificationKind
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_the_bell_and_the_inbox_fit_a_phone(page, live_server, shot, console_errors, operator):
    for n in (1, 2):
        notices.notify(
            [operator],
            kind=NotificationKind.RETURNED,
            subject=f"Kegiatan “Bimbingan teknis pengemasan dan pelabelan produk IKM pangan {n}” "
            "dikembalikan",
            body="Dikembalikan oleh kementerian dengan catatan:\n\n"
            "Lampirkan BAST_penyerahan_bantuan_peralatan_dan_mesin_pengemas.pdf",
            link="/kegiatan/",
        )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, operator.username, PASSWORD)
    bell = page.locator("#notice-bell")
    expect(bell).to_be_visible()  # outside the collapsed menu
    expect(page.locator("#notice-unread")).to_contain_text("2")
    shot("phone-bell")
    bell.click()
    expect(page.locator("h1")).to_have_text("Pemberitahuan")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    shot("phone-inbox")
    page.locator("#inbox li").first.get_by_role("button", name="Tandai dibaca").click()
    expect(page.locator("#notice-unread")).to_contain_text("1")
    page.get_by_role("button", name="Tandai semua dibaca").click()
    expect(page.locator("#notice-unread")).to_have_count(0)
    shot("phone-inbox-read")
    assert console_errors == []
