"""The reports in a real browser: the national recap draws its chart and its map of Indonesia, the province
report its realisation curve, the Covid-19 report its charts — under the production Content Security
Policy, with no console error and no failed request."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from programs.models import ProductType, RecipientType, Unit
from tests.browser.conftest import sign_in
from tests.factories import (
    PASSWORD,
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participation,
    make_partner,
    make_realisation,
)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

# Three provinces of 2020 with money, firms and masks; the other 31 rows stay empty.
CASES = {
    "63": ("63.71", 100_000, RecipientType.TASK_FORCE_PROVINCE),
    "72": ("72.71", 3_000, RecipientType.PUBLIC),
}


def _seed():
    for code, (regency, masks, recipient) in CASES.items():
        allocation = make_allocation(code, 2020, pagu=Decimal("4000000000"))
        for month in (3, 6):
            make_realisation(allocation, month, amount=Decimal("600000000"))
        activity = make_activity(allocation)
        task_force = make_partner(code)
        for share in (0.6, 0.4):
            participation = make_participation(activity, make_firm(code, regency))
            made = int(masks * share)
            output = make_output(participation, quantity=made, ordered_quantity=made, buyer=task_force)
            make_handover(output, quantity=made, recipient_type=recipient, recipient=task_force)
    bali = make_allocation("51", 2020, pagu=Decimal("2500000000"))
    activity = make_activity(bali)
    output = make_output(
        make_participation(activity, make_firm("51", "51.06")),
        quantity=250,
        product_type=ProductType.FACE_SHIELD,
        unit=Unit.BUAH,
        produced_on=datetime.date(2020, 7, 2),
    )
    make_handover(output, quantity=200, recipient_type=RecipientType.HEALTH_FACILITY)


def test_the_recap_draws_its_chart_and_map_with_no_console_error(
    page, live_server, shot, console_errors, viewer
):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    _seed()
    sign_in(page, live_server, viewer.username, PASSWORD)

    page.get_by_role("link", name="Laporan", exact=True).click()
    page.get_by_role("link", name="Rekap nasional").click()
    expect(page.get_by_role("heading", name=re.compile("Rekapitulasi nasional .* 2020"))).to_be_visible()
    # The map: 33 shapes from the shipped boundaries, coloured, with a legend of its classes.
    expect(page.locator("#recap-map[data-ready='1']")).to_be_attached()
    expect(page.locator("#recap-map path.leaflet-interactive")).to_have_count(33)
    # Absorption is coloured by the fixed steps against the benchmark (programs/benchmarks.py): the title,
    # four steps, "tidak ada data".
    expect(page.locator("#recap-map-classes li")).to_have_count(1 + 4 + 1)
    expect(page.locator("#recap-map-legend")).to_contain_text("Kalimantan Utara di dalam Kalimantan Timur")
    # The chart: one bar per province of 2020, the figure chosen below it.
    assert page.evaluate("() => Chart.getChart('recap-chart').data.labels.length") == 34
    assert page.evaluate("() => Chart.getChart('recap-chart').data.datasets[0].label") == "Penyerapan (%)"
    expect(page.locator("#recap-table-2 tr[data-province='63']")).to_contain_text("100.000")
    shot("recap-absorption")

    page.select_option("#recap-figure", "ordered_masker")
    assert page.evaluate("() => Math.max(...Chart.getChart('recap-chart').data.datasets[0].data)") == 100_000
    fills = page.eval_on_selector_all(
        "#recap-map path.leaflet-interactive", "paths => new Set(paths.map(p => p.getAttribute('fill'))).size"
    )
    assert fills >= 2  # provinces with and without orders are told apart
    page.locator("#recap-map path.leaflet-interactive").first.hover()
    shot("recap-orders-map")

    page.locator("#recap-table-1").get_by_role("link", name="Kalimantan Selatan").click()
    expect(
        page.get_by_role("heading", name=re.compile("Laporan Provinsi Kalimantan Selatan"))
    ).to_be_visible()
    assert page.evaluate("() => Chart.getChart('monthly-chart').data.datasets.length") == 3
    expect(page.locator("#monthly-table")).to_contain_text("Rp 1.200.000.000")
    shot("province-curve")

    page.get_by_role("link", name="Triwulan 2").first.click()
    expect(page.locator("#quarter-realised")).to_have_text("Rp 1.200.000.000")
    page.emulate_media(media="print")
    expect(page.locator(".report-signature")).to_be_visible()
    expect(page.locator("form.filters")).to_be_hidden()
    shot("quarterly-print")
    page.emulate_media(media="screen")

    page.goto(f"{live_server.url}/laporan/covid/?tahun=2020")
    assert page.evaluate("() => Chart.getChart('covid-products-chart').data.datasets.length") == 3
    expect(page.locator("#covid-recipients")).to_contain_text("200")
    shot("covid")

    assert console_errors == []
    assert failed == []
