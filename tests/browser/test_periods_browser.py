"""The ministry's periods page in a real browser at 390 px (a phone): closing June, granting Bali an
exception with the date typed as dd/mm/yyyy, under the production Content Security Policy, with no console
error and nothing wider than the screen."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from programs.models import PeriodClosure, PeriodException

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.browser]


def _signed_in(page, live_server, user):
    """The browser carries the session of a Django client signed in as `user` (past the second factor,
    as tests/conftest.py's force_login is)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_pusat_closes_june_and_lets_bali_in_at_390_px(page, live_server, shot, console_errors, pusat):
    page.set_viewport_size({"width": 390, "height": 844})
    _signed_in(page, live_server, pusat)
    page.goto(f"{live_server.url}/periode/?tahun=2020")
    expect(page.get_by_role("heading", name="Periode pengisian 2020")).to_be_visible()
    assert _fits(page)
    shot("open")

    june = page.locator("#period-bulanan-6")
    june.get_by_label("Keterangan").fill("Rekonsiliasi semester I")
    june.get_by_role("button", name="Tutup untuk pengisian").click()
    page.wait_for_load_state()
    june = page.locator("#period-bulanan-6")
    expect(june).to_contain_text("Ditutup sejak")
    assert PeriodClosure.objects.filter(year=2020, kind="bulanan", period=6).exists()

    june.get_by_text("Beri pengecualian untuk satu provinsi").click()
    june.get_by_label("Provinsi").select_option(label="51 Bali")
    # a date in the past first: refused beside the field
    june.get_by_label("Dibuka sampai (hari terakhir)").fill("01/01/2020")
    june.get_by_role("button", name="Beri pengecualian").click()
    page.wait_for_load_state()
    june = page.locator("#period-bulanan-6")
    expect(june).to_contain_text("Tanggal terakhir tidak boleh sebelum hari ini.")
    assert _fits(page)
    shot("refused date")
    # the refusal is answered 400 (as every form with errors is): the browser logs that, nothing else
    assert [e for e in console_errors if "status of 400" not in e] == []
    console_errors.clear()
    until = timezone.localdate() + datetime.timedelta(days=5)
    june.get_by_label("Dibuka sampai (hari terakhir)").fill(until.strftime("%d/%m/%Y"))
    june.get_by_role("button", name="Beri pengecualian").click()
    page.wait_for_load_state()
    expect(page.locator("#period-bulanan-6")).to_contain_text(f"Bali — dibuka sampai {until:%d/%m/%Y}")
    assert PeriodException.objects.get().until == until
    assert _fits(page)
    shot("exception")
    assert console_errors == []
