"""The ministry's national dashboard and the recap as of a month in a real browser, at a laptop's 1366 px and
a phone's 390 px: under the production Content Security Policy, no console error, nothing wider than the
screen (the province table scrolls inside its own box), and the traffic lights there with their words."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from programs.models import Activity, ReportPackage, ReviewStatus
from provinces.models import Province
from tests.factories import make_activity, make_allocation, make_plan, make_realisation

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

YEAR = 2020
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _signed_in(page, live_server, user):
    """The browser carries the session of a Django client signed in as `user` (past the second factor, as
    tests/conftest.py's force_login is)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _seed():
    """Every province of 2020 with an allocation, realisation spread so that each step of the traffic light
    appears, a plan of one RO and a package waiting for verification in some."""
    for i, province in enumerate(Province.objects.active_in(YEAR).order_by("code")):
        allocation = make_allocation(province, YEAR, pagu=Decimal("1000000000"))
        if i % 5 == 4:
            continue  # nothing realised: no data
        # by June: 45 %, 37 %, 30 %, 10 % of the pagu against a benchmark of 40 %
        make_realisation(allocation, month=5, amount=Decimal((450, 370, 300, 100)[i % 5] * 1_000_000))
        if i % 3 == 0:
            (ro,) = make_plan(allocation)
            activity = make_activity(
                allocation,
                planned_output=ro,
                planned_start=datetime.date(YEAR, 5, 1),
                planned_end=datetime.date(YEAR, 5, 20),
            )
            Activity.objects.filter(pk=activity.pk).update(review_status=ReviewStatus.SUBMITTED)
            ReportPackage.objects.create(
                allocation=allocation, kind="bulanan", period=5, review_status=ReviewStatus.SUBMITTED
            )


def _fits(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"])
def test_the_dashboard_fits_a_laptop_and_a_phone_with_its_traffic_lights(
    page, live_server, shot, console_errors, pusat, viewport
):
    _seed()
    page.set_viewport_size(viewport)
    _signed_in(page, live_server, pusat)
    page.goto(f"{live_server.url}/?tahun={YEAR}&bulan=6")
    table = page.locator("#dashboard-table")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == Province.objects.active_in(YEAR).count()
    for key, word in (
        ("on_track", "Sesuai target"),
        ("slightly_behind", "Sedikit tertinggal"),
        ("behind", "Tertinggal"),
        ("far_behind", "Jauh tertinggal"),
        ("no_data", "Tidak ada data"),
    ):
        light = table.locator(f'tbody tr[data-standing="{key}"] .standing').first
        expect(light).to_be_visible()
        expect(light).to_contain_text(word)
    expect(page.locator("#dashboard-totals")).to_be_visible()
    expect(page.locator("#dashboard-queue")).to_be_visible()
    assert _fits(page), page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if viewport is PHONE:
        # the wide table scrolls inside its own box, not the page
        box = "document.querySelector('.dashboard-box')"
        assert page.evaluate(f"() => {box}.scrollWidth > {box}.clientWidth")
    shot(f"dashboard-{viewport['width']}")
    assert console_errors == []


def test_the_recap_as_of_june_fits_a_phone_with_its_map_and_benchmark(
    page, live_server, shot, console_errors, pusat
):
    _seed()
    page.set_viewport_size(PHONE)
    _signed_in(page, live_server, pusat)
    page.goto(f"{live_server.url}/laporan/nasional/?tahun={YEAR}&bulan=6")
    expect(page.locator("#recap-map[data-ready='1']")).to_be_attached(timeout=15_000)
    expect(page.locator("#recap-map-classes")).to_contain_text("Sedikit tertinggal")
    expect(page.locator("#recap-map-classes")).to_contain_text("Tidak ada data")
    # "no data" is hatched on the map, never a colour of the scale
    assert page.locator("#recap-map path[fill='url(#map-no-data)']").count() > 0
    expect(page.locator("#recap-table-1 thead")).to_contain_text("Target s.d. Juni (%)")
    assert _fits(page), page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    shot("recap-as-of-june-phone")
    assert console_errors == []
