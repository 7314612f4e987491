"""The reporting calendar's board on a phone (390 px wide): every province × period, the grid scrolling inside
its own box and not the page, under the production Content Security Policy, with no console error."""

import pytest
from playwright.sync_api import expect

from provinces.models import Province
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_allocation

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_the_board_of_every_province_fits_a_phone(page, live_server, shot, console_errors, viewer):
    for province in Province.objects.all():
        make_allocation(province, year=2025)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, viewer.username, PASSWORD)
    page.goto(f"{live_server.url}/kalender/?tahun=2025")
    grid = page.locator("#calendar-grid")
    expect(grid).to_be_visible()
    assert grid.locator("tbody tr").count() == Province.objects.count()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "() => { const b = document.querySelector('.calendar-box'); return b.scrollWidth > b.clientWidth; }"
    )
    shot("phone-board")
    page.select_option("#id_jenis", "triwulanan")
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_load_state()
    assert page.locator("#calendar-grid thead th").count() == 1 + 4
    shot("phone-board-quarters")
    assert console_errors == []
