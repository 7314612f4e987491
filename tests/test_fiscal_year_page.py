"""The fiscal years' page (issue 16): ministry staff close a year from it, with a confirmation step; only
admins reopen; both are logged."""

import pytest
from django.urls import reverse

from programs.models import FiscalYear
from tests.factories import make_allocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def years(db):
    make_allocation("51", 2020)
    make_allocation("63", 2020)
    make_allocation("51", 2021)


def test_the_page_lists_every_year_with_allocations_and_its_state(pusat_client, years):
    html = pusat_client.get(reverse("programs:fiscal_years")).content.decode()
    assert 'id="fiscal-year-2020"' in html and 'id="fiscal-year-2021"' in html
    assert 'id="fiscal-year-2019"' not in html
    assert reverse("programs:fiscal_year_close", args=[2020]) in html
    # the reopen link is for admins
    assert "/buka/" not in html


def test_pusat_closes_2020_from_the_page_with_a_confirmation(pusat_client, pusat, years, caplog):
    url = reverse("programs:fiscal_year_close", args=[2020])
    confirm = pusat_client.get(url)
    assert confirm.status_code == 200
    assert "2 alokasi" in confirm.content.decode()
    # without ticking "saya yakin": the message beside the box, nothing closed
    response = pusat_client.post(url, {})
    assert response.status_code == 400
    assert "Centang “Saya yakin” untuk melanjutkan." in response.content.decode()
    assert not FiscalYear.objects.filter(year=2020, closed_at__isnull=False).exists()

    with caplog.at_level("INFO", logger="ikm_dekon.workflow"):
        response = pusat_client.post(url, {"sure": "on"})
    assert response.status_code == 302
    assert response.url == reverse("programs:fiscal_years")
    assert "fiscal year closed" in caplog.text
    year = FiscalYear.objects.get(year=2020)
    assert year.closed_by == pusat and year.closed_at is not None
    record = year.history.latest()
    assert record.history_user == pusat and record.closed_at == year.closed_at
    html = pusat_client.get(response.url).content.decode()
    assert "Tahun anggaran 2020 ditutup." in html
    row = html.split('id="fiscal-year-2020"')[1].split("</tr>")[0]
    assert "Ditutup" in row and str(pusat) in row
    # closing it again: said, not a 500
    response = pusat_client.post(url, {"sure": "on"}, follow=True)
    assert "sudah ditutup" in response.content.decode()


def test_operators_and_other_roles_are_refused(client, operator, kadis, regency_operator, viewer, years):
    for user in (operator, kadis, regency_operator, viewer):
        client.force_login(user)
        assert client.get(reverse("programs:fiscal_years")).status_code == 403
        assert client.get(reverse("programs:fiscal_year_close", args=[2020])).status_code == 403
        assert (
            client.post(reverse("programs:fiscal_year_close", args=[2020]), {"sure": "on"}).status_code == 403
        )
    assert not FiscalYear.objects.exists()


def test_pusat_reopens_a_year_from_its_page_an_operator_cannot(client, pusat, operator, years):
    from programs import services

    services.close_fiscal_year(year=2020, actor=pusat)
    url = reverse("programs:fiscal_year_reopen", args=[2020])
    client.force_login(operator)
    assert client.get(url).status_code == 403
    assert client.post(url, {"sure": "on"}).status_code == 403
    assert FiscalYear.objects.get(year=2020).is_closed

    client.force_login(pusat)
    html = client.get(reverse("programs:fiscal_years")).content.decode()
    assert url in html
    response = client.post(url, {"sure": "on"})
    assert response.status_code == 302
    year = FiscalYear.objects.get(year=2020)
    assert not year.is_closed
    assert year.history.latest().history_user == pusat
    # a year that is open: said, not a 500
    response = client.post(url, {"sure": "on"}, follow=True)
    assert "tidak sedang ditutup" in response.content.decode()
    response = client.post(reverse("programs:fiscal_year_reopen", args=[2030]), {"sure": "on"}, follow=True)
    assert "tidak sedang ditutup" in response.content.decode()


def test_a_year_out_of_range_is_not_found(pusat_client):
    assert pusat_client.get(reverse("programs:fiscal_year_close", args=[1999])).status_code == 404
    assert pusat_client.get(reverse("programs:fiscal_year_close", args=[2101])).status_code == 404
