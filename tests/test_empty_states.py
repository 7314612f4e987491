"""Empty list pages say what to do next, with the year, and offer the action only to whom may take it."""

import pytest
from django.urls import reverse

from tests.factories import make_activity, make_allocation

pytestmark = pytest.mark.django_db


def _empty_state(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="empty-state"' in html, "no empty state"
    return html[html.index('id="empty-state"') :]


def test_an_operator_without_activities_in_the_year_is_told_to_add_one(operator_client):
    make_allocation("51", 2023)
    box = _empty_state(operator_client.get(reverse("programs:activity_list"), {"tahun": "2023"}))
    assert "Belum ada kegiatan tahun 2023." in box
    assert reverse("programs:activity_create") in box and "Tambahkan kegiatan" in box


def test_a_viewer_is_told_who_adds_activities_and_offered_no_button(viewer_client):
    box = _empty_state(viewer_client.get(reverse("programs:activity_list"), {"tahun": "2023"}))
    assert "Belum ada kegiatan tahun 2023." in box
    assert reverse("programs:activity_create") not in box
    assert "operator provinsi" in box


def test_a_filter_that_matches_nothing_offers_to_reset_it(operator_client):
    make_activity(make_allocation("51", 2023))
    box = _empty_state(
        operator_client.get(reverse("programs:activity_list"), {"tahun": "2023", "jenis": "fasilitasi"})
    )
    assert "Tidak ada kegiatan tahun 2023 yang cocok dengan filter ini." in box
    assert 'href="?"' in box


def test_no_empty_state_when_there_are_rows(operator_client):
    activity = make_activity(make_allocation("51", 2023))
    html = operator_client.get(reverse("programs:activity_list"), {"tahun": "2023"}).content.decode()
    assert activity.title in html and 'id="empty-state"' not in html


def test_the_firm_and_partner_lists_say_what_to_register(operator_client, viewer_client):
    box = _empty_state(operator_client.get(reverse("programs:firm_list")))
    assert "Belum ada IKM terdaftar." in box
    assert reverse("programs:firm_create") in box and reverse("programs:firm_import") in box
    box = _empty_state(viewer_client.get(reverse("programs:firm_list")))
    assert reverse("programs:firm_create") not in box
    box = _empty_state(operator_client.get(reverse("programs:partner_list")))
    assert reverse("programs:partner_create") in box and "Tambahkan mitra" in box


def test_the_allocation_list_names_the_year_and_who_records_allocations(operator_client, admin_client):
    box = _empty_state(operator_client.get(reverse("programs:allocation_list"), {"tahun": "2023"}))
    assert "Belum ada alokasi anggaran tahun 2023 yang dapat Anda lihat." in box
    assert "admin" in box and reverse("admin:programs_allocation_add") not in box
    box = _empty_state(admin_client.get(reverse("programs:allocation_list"), {"tahun": "2023"}))
    assert reverse("admin:programs_allocation_add") in box


def test_the_package_list_sends_an_operator_to_the_budget_page(operator_client):
    make_allocation("51", 2023)
    box = _empty_state(operator_client.get(reverse("programs:package_list")))
    assert "Belum ada paket laporan" in box and reverse("programs:allocation_list") in box


def test_the_inbox_and_the_review_queue_say_what_will_appear(operator_client, pusat_client):
    box = _empty_state(operator_client.get(reverse("programs:inbox")))
    assert "Belum ada pemberitahuan." in box and reverse("home") in box
    html = pusat_client.get(reverse("programs:review_queue")).content.decode()
    assert 'id="empty-activities"' in html and 'id="empty-packages"' in html
    assert reverse("programs:package_list") in html


def test_achievements_without_a_manual_ro_point_to_the_plan(operator_client, pusat_client):
    allocation = make_allocation("51", 2023)
    url = reverse("programs:achievements", args=[allocation.pk])
    box = _empty_state(operator_client.get(url))
    assert "Rencana tahun 2023" in box and reverse("programs:plan", args=[allocation.pk]) in box
    box = _empty_state(pusat_client.get(url))
    assert reverse("programs:plan_edit", args=[allocation.pk]) in box
