"""The plan's pages on an operator's phone (390 px wide): the plan, the budget page with its RPD section and
realisation grid, the RPD page and the capaian report open without sideways scrolling of the page (wide
tables scroll inside their own box), under the production Content Security Policy, with no console error."""

from decimal import Decimal

import pytest
from django.db import transaction
from playwright.sync_api import expect

from programs import cashplan
from programs.models import Realisation, RealisationLine
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, make_activity, make_allocation, make_plan

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]

MILLION = Decimal(1_000_000)
PHONE = {"width": 390, "height": 844}


def _seed(operator):
    allocation = make_allocation("51", 2021, pagu=1200 * MILLION)
    ros = make_plan(
        allocation,
        ros=[
            {"pagu": 700 * MILLION, "name": "IKM yang difasilitasi dan didampingi dalam penerapan protokol"},
            {"pagu": 500 * MILLION, "measure": "peserta", "unit": "orang", "target": 120},
        ],
    )
    make_activity(allocation, planned_output=ros[0])
    cashplan.save_cash_plan(
        allocation=allocation,
        lines={(month, "52"): 100 * MILLION for month in range(1, 13)},
        actor=operator,
    )
    with transaction.atomic():  # the lines' sum is checked at commit
        realisation = Realisation.objects.create(allocation=allocation, month=1, amount=90 * MILLION)
        RealisationLine.objects.create(
            realisation=realisation, planned_output=ros[0], spending_type="52", amount=90 * MILLION
        )
    return allocation


def _fits(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _too_wide(page):
    """The elements reaching past the window's right edge, for the failure's message."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => !e.closest('.table-responsive') || e.classList.contains('table-responsive'))
            .slice(0, 8)
            .map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )


def test_the_plan_pages_fit_a_phone(page, live_server, shot, console_errors, operator):
    allocation = _seed(operator)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, operator.username, PASSWORD)
    pages = {
        "plan": (f"/anggaran/{allocation.pk}/rencana/", "5807.QEA.001"),
        "budget": (f"/anggaran/{allocation.pk}/", "RPD"),
        "rpd": (f"/anggaran/{allocation.pk}/rpd/", "Rp 1.200.000.000"),
        "capaian": ("/laporan/provinsi/51/capaian/?tahun=2021&bulan=6", "5807.QEA.002"),
    }
    for name, (path, text) in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).to_contain_text(text)
        assert _fits(page), f"{name} scrolls sideways at 390 px: {_too_wide(page)}"
        shot(f"phone-{name}")
    assert console_errors == []
