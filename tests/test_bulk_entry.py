"""Bulk entry on the activity page: many firms at once (ticked or pasted NIBs), outputs of several firms in
one grid, handovers of several outputs to one recipient in one grid. All or nothing, the error on its row,
scoped like the single-record pages (another province's activity or firm: not found; a locked activity:
403), never more handed over than produced, one history row per record with the acting user; and the page
opens where the user was after every action.
"""

import datetime
import re
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from programs import services
from programs.models import Activity, Handover, Output, Participation, PartnerKind, ReviewStatus
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participation,
    make_partner,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity():
    return make_activity(make_allocation("51", 2020))


def _url(name, activity):
    return reverse(f"programs:{name}", args=[activity.pk])


def _page(client, activity, query=""):
    return client.get(activity.get_absolute_url() + query).content.decode()


def _row(html, row_id):
    """The HTML of the table row with this id."""
    match = re.search(rf'<tr id="{row_id}".*?</tr>', html, re.S)
    assert match, row_id
    return match.group(0)


# --- Firms -------------------------------------------------------------------------------------------------


def test_pasted_nibs_add_every_firm_at_once_with_a_history_row_each(operator_client, operator, activity):
    firms = [make_firm("51") for _ in range(3)]
    pasted = f"{firms[0].nib}\n{firms[1].nib}, {firms[2].nib}\n"
    response = operator_client.post(
        _url("participation_bulk", activity), {"nibs": pasted, "note": "Angkatan I"}
    )
    assert response.status_code == 302
    assert response["Location"] == activity.get_absolute_url() + "#firms"
    added = Participation.objects.filter(activity=activity)
    assert {p.firm_id for p in added} == {f.pk for f in firms}
    assert {p.note for p in added} == {"Angkatan I"}
    history = Participation.history.filter(activity_id=activity.pk)
    assert history.count() == 3 and {h.history_user for h in history} == {operator}
    html = _page(operator_client, activity)
    assert "3 IKM ditambahkan sebagai peserta." in html
    for p in added:  # the added rows are marked on the page the redirect opens, once
        assert 'class="just-changed"' in _row(html, f"participation-{p.pk}")
    assert "just-changed" not in _page(operator_client, activity)


def test_ticked_search_results_are_added_in_one_submit(operator_client, activity):
    firms = [make_firm("51", name=f"IKM Jahit Bangli {n}") for n in range(4)]
    html = _page(operator_client, activity, "?cari_ikm=Jahit+Bangli")
    assert html.count('name="firms"') == 4
    response = operator_client.post(
        _url("participation_bulk", activity), {"firms": [firms[0].pk, firms[2].pk], "nibs": ""}
    )
    assert response.status_code == 302
    assert set(activity.participations.values_list("firm_id", flat=True)) == {firms[0].pk, firms[2].pk}


def test_unknown_foreign_malformed_repeated_and_taken_nibs_are_reported_per_line_and_nothing_is_added(
    operator_client, activity
):
    known = make_firm("51")
    taken = make_firm("51", name="IKM Sudah Ikut")
    make_participation(activity, taken)
    foreign = make_firm("63", regency="63.71", name="IKM Rahasia Banjarmasin")
    pasted = "\n".join([known.nib, "9999999999999", foreign.nib, "12345", known.nib, taken.nib])
    response = operator_client.post(_url("participation_bulk", activity), {"nibs": pasted})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Baris 2 (9999999999999): tidak ditemukan di antara IKM terdaftar provinsi ini." in html
    # another province's firm is "not found", never named
    assert f"Baris 3 ({foreign.nib}): tidak ditemukan di antara IKM terdaftar provinsi ini." in html
    assert foreign.name not in html
    assert "Baris 4 (12345): NIB harus 13 digit angka." in html
    assert f"Baris 5 ({known.nib}): NIB ini sudah ditulis di baris sebelumnya." in html
    assert f"IKM Sudah Ikut (NIB {taken.nib}) sudah menjadi peserta kegiatan ini." in html
    assert list(activity.participations.values_list("firm_id", flat=True)) == [taken.pk]  # all or nothing


def test_a_paste_of_more_than_200_nibs_is_refused_beside_the_field_and_nothing_is_added(
    operator_client, activity
):
    known = make_firm("51")
    pasted = "\n".join([known.nib] + [f"51{n:011d}" for n in range(200)])  # 201 NIBs
    response = operator_client.post(_url("participation_bulk", activity), {"nibs": pasted})
    assert response.status_code == 200
    assert "Paling banyak 200 NIB sekali tempel; daftar ini berisi 201." in response.content.decode()
    assert not activity.participations.exists()


def test_a_ticked_firm_of_another_province_is_refused(operator_client, activity):
    foreign = make_firm("63", regency="63.71")
    response = operator_client.post(_url("participation_bulk", activity), {"firms": [foreign.pk]})
    assert response.status_code == 200
    assert "IKM yang dicentang tidak ditemukan di antara IKM provinsi ini." in response.content.decode()
    assert not activity.participations.exists()


def test_the_service_refuses_a_firm_already_taking_part_whatever_the_form_said(operator, activity):
    firm = make_firm("51")
    make_participation(activity, firm)
    with pytest.raises(services.RowsRefused) as refused:
        services.add_participations(activity=activity, firms=[make_firm("51"), firm], actor=operator)
    assert list(refused.value.rows) == [firm.pk]
    assert activity.participations.count() == 1


# --- Outputs -----------------------------------------------------------------------------------------------


def _with_firms(activity, n):
    return [make_participation(activity, make_firm("51", name=f"IKM Konveksi {i:02d}")) for i in range(n)]


def _outputs_post(participations, quantities, **changes):
    data = {
        "product": "Masker kain 3 lapis",
        "product_type": "masker",
        "unit": "pcs",
        "produced_on": "10/07/2020",
        "meets_standard": "on",
        **{f"jumlah_{p.pk}": q for p, q in zip(participations, quantities, strict=True)},
    }
    data.update(changes)
    return data


def test_outputs_of_several_firms_in_one_grid(operator_client, operator, activity):
    rows = _with_firms(activity, 3)
    # The activity page loads the grid when it is opened (its GET), as the handover grid.
    page = _page(operator_client, activity)
    assert 'id="bulk-output-form"' not in page and f'hx-get="{_url("output_bulk", activity)}"' in page
    html = operator_client.get(_url("output_bulk", activity)).content.decode()
    assert 'id="bulk-output-form"' in html
    # the unit list per product type (the usual unit first) for static/js/forms.js, as the single form's
    grid = html[html.index('id="bulk-output-form"') :]
    grid = grid[: grid.index("</form>")]
    assert 'value="masker" data-units="pcs helai buah"' in grid
    assert 'value="helai" data-product-types="masker lainnya"' in grid
    response = operator_client.post(_url("output_bulk", activity), _outputs_post(rows, ["3.000", "300", ""]))
    assert response.status_code == 302 and response["Location"].endswith("#outputs")
    outputs = {o.participation_id: o for o in Output.objects.filter(activity=activity)}
    assert {k: o.quantity for k, o in outputs.items()} == {rows[0].pk: 3000, rows[1].pk: 300}
    first = outputs[rows[0].pk]
    assert (first.product, first.unit, first.produced_on, first.meets_standard) == (
        "Masker kain 3 lapis",
        "pcs",
        datetime.date(2020, 7, 1) + datetime.timedelta(days=9),
        True,
    )
    assert first.province_id == activity.province_id and first.year == 2020
    history = Output.history.filter(activity_id=activity.pk)
    assert history.count() == 2 and {h.history_user for h in history} == {operator}
    html = _page(operator_client, activity)
    assert "Hasil produksi 2 IKM dicatat: 3.300 pcs." in html
    assert f'class="card mb-2 just-changed" id="output-{first.pk}"' in html


def test_an_output_grid_with_a_bad_row_saves_nothing_and_says_so_on_that_row(operator_client, activity):
    rows = _with_firms(activity, 3)
    response = operator_client.post(_url("output_bulk", activity), _outputs_post(rows, ["300", "2,5", "0"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tulis bilangan bulat tanpa koma" in _row(html, f"bulk-output-row-{rows[1].pk}")
    assert "1" in _row(html, f"bulk-output-row-{rows[2].pk}") and "table-danger" in _row(
        html, f"bulk-output-row-{rows[2].pk}"
    )
    assert "table-danger" not in _row(html, f"bulk-output-row-{rows[0].pk}")
    assert not Output.objects.exists()


def test_an_output_grid_dated_outside_the_fiscal_year_saves_nothing(operator_client, activity):
    rows = _with_firms(activity, 2)
    response = operator_client.post(
        _url("output_bulk", activity), _outputs_post(rows, ["300", "300"], produced_on="02/01/2021")
    )
    assert response.status_code == 200
    assert "Tanggal produksi harus di dalam tahun anggaran 2020." in response.content.decode()
    assert not Output.objects.exists()


def test_an_empty_grid_is_refused(operator_client, activity):
    rows = _with_firms(activity, 2)
    response = operator_client.post(_url("output_bulk", activity), _outputs_post(rows, ["", ""]))
    assert "Isi jumlah pada minimal satu baris." in response.content.decode()
    assert not Output.objects.exists()


# --- Handovers ---------------------------------------------------------------------------------------------


def _with_outputs(activity, quantities):
    firms = _with_firms(activity, len(quantities))
    return [make_output(p, quantity=q) for p, q in zip(firms, quantities, strict=True)]


def _handovers_post(outputs, quantities, **changes):
    data = {
        "recipient": "",
        "recipient_name": "Masyarakat umum",
        "recipient_type": "masyarakat",
        "handed_on": "20/07/2020",
        "bast_number": "BAST/72/2020/001",
        **{f"jumlah_{o.pk}": q for o, q in zip(outputs, quantities, strict=True)},
    }
    data.update(changes)
    return data


def test_handovers_of_several_outputs_to_one_recipient_prefilled_with_what_is_left(
    operator_client, operator, activity
):
    outputs = _with_outputs(activity, [3000, 300])
    make_handover(outputs[0], quantity=300)
    # the grid loads when opened on the activity page (as the single handover forms do)
    assert f'hx-get="{_url("handover_bulk", activity)}"' in _page(operator_client, activity)
    html = operator_client.get(_url("handover_bulk", activity)).content.decode()
    assert 'value="2.700"' in _row(html, f"bulk-handover-row-{outputs[0].pk}")
    assert 'value="300"' in _row(html, f"bulk-handover-row-{outputs[1].pk}")
    assert 'name="bast_number"' not in _page(operator_client, activity)  # not on the page until opened
    response = operator_client.post(
        _url("handover_bulk", activity), _handovers_post(outputs, ["2.000", "300"])
    )
    assert response.status_code == 302 and response["Location"].endswith("#outputs")
    for output in outputs:
        output.refresh_from_db()
    assert [o.handed_over_total for o in outputs] == [2300, 300]
    new = Handover.objects.filter(bast_number="BAST/72/2020/001")
    assert new.count() == 2 and {h.recipient_type for h in new} == {"masyarakat"}
    assert {h.history_user for h in Handover.history.filter(bast_number="BAST/72/2020/001")} == {operator}
    assert "Penyerahan dicatat untuk 2 hasil produksi: 2.300 pcs, sisa 700." in _page(
        operator_client, activity
    )


def test_a_handover_beyond_what_is_left_is_refused_on_its_row_and_nothing_is_saved(operator_client, activity):
    outputs = _with_outputs(activity, [3000, 300])
    response = operator_client.post(
        _url("handover_bulk", activity), _handovers_post(outputs, ["3.000", "301"])
    )
    assert response.status_code == 200
    row = _row(response.content.decode(), f"bulk-handover-row-{outputs[1].pk}")
    assert "Melebihi sisa hasil ini: tersisa 300." in row
    assert not Handover.objects.exists()


def test_a_handover_date_before_one_rows_production_is_refused_on_that_row_only(operator_client, activity):
    early, late = _with_outputs(activity, [100, 100])
    Output.objects.filter(pk=early.pk).update(produced_on=datetime.date(2020, 7, 1))
    Output.objects.filter(pk=late.pk).update(produced_on=datetime.date(2020, 7, 10))
    response = operator_client.post(
        _url("handover_bulk", activity), _handovers_post([early, late], ["50", "50"], handed_on="05/07/2020")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "10/07/2020" in _row(html, f"bulk-handover-row-{late.pk}")  # beside the output made on the 10th
    assert "10/07/2020" not in _row(html, f"bulk-handover-row-{early.pk}")
    assert not Handover.objects.exists()


def test_the_service_refuses_beyond_what_is_left_under_the_outputs_lock(operator, activity):
    outputs = _with_outputs(activity, [100, 100])
    make_handover(outputs[1], quantity=60)
    with pytest.raises(services.RowsRefused) as refused:
        services.record_handovers(
            activity=activity,
            quantities={outputs[0].pk: 100, outputs[1].pk: 50},
            actor=operator,
            recipient=None,
            recipient_name="Masyarakat umum",
            recipient_type="masyarakat",
            handed_on=datetime.date(2020, 7, 20),
            bast_number="BAST/X",
        )
    assert refused.value.rows == {outputs[1].pk: ["Melebihi sisa hasil ini: tersisa 40 pcs."]}
    assert Handover.objects.count() == 1


def test_a_partner_chosen_as_recipient_gives_the_recipient_type(operator_client, activity):
    outputs = _with_outputs(activity, [100, 100])
    task_force = make_partner("51", kind=PartnerKind.GUGUS_TUGAS)
    html = operator_client.get(_url("handover_bulk", activity)).content.decode()
    assert f'value="{task_force.pk}" data-recipient-type="gugus_tugas_provinsi"' in html
    data = _handovers_post(
        outputs, ["100", "100"], recipient=task_force.pk, recipient_name="", recipient_type=""
    )
    assert operator_client.post(_url("handover_bulk", activity), data).status_code == 302
    assert {h.recipient_type for h in Handover.objects.all()} == {"gugus_tugas_provinsi"}


def test_the_single_handover_says_what_is_left_and_opens_at_its_row(operator_client, activity):
    (output,) = _with_outputs(activity, [3000])
    response = operator_client.post(
        reverse("programs:handover_add", args=[output.pk]),
        {
            "recipient_type": "masyarakat",
            "recipient_name": "Masyarakat umum",
            "handed_on": "20/07/2020",
            "quantity": "300",
            "bast_number": "BAST/1",
        },
    )
    handover = Handover.objects.get()
    assert response["Location"] == f"{activity.get_absolute_url()}#handover-{handover.pk}"
    assert "Penyerahan dicatat: 300 pcs, sisa 2.700." in _page(operator_client, activity)


# --- Scope and locks ---------------------------------------------------------------------------------------

BULK = ["participation_bulk", "output_bulk", "handover_bulk"]


@pytest.mark.parametrize("name", BULK)
def test_another_provinces_activity_is_not_found(client, operator_b, activity, name):
    _with_outputs(activity, [100, 100])
    client.force_login(operator_b)
    assert client.post(_url(name, activity), {"nibs": "", "jumlah_1": "1"}).status_code == 404


@pytest.mark.parametrize("name", BULK)
def test_a_locked_activity_is_refused(operator_client, activity, name):
    outputs = _with_outputs(activity, [100, 100])
    Activity.objects.filter(pk=activity.pk).update(review_status=ReviewStatus.SUBMITTED)
    data = {
        "participation_bulk": {"nibs": make_firm("51").nib},
        "output_bulk": _outputs_post(list(activity.participations.all()), ["1", "1"]),
        "handover_bulk": _handovers_post(outputs, ["1", "1"]),
    }[name]
    before = (Participation.objects.count(), Output.objects.count(), Handover.objects.count())
    assert operator_client.post(_url(name, activity), data).status_code == 403
    assert (Participation.objects.count(), Output.objects.count(), Handover.objects.count()) == before


def test_outputs_of_another_activitys_firms_are_not_taken(operator_client, activity):
    rows = _with_firms(activity, 2)
    other = make_participation(make_activity(activity.allocation), make_firm("51"))
    data = _outputs_post(rows, ["5", "5"], **{f"jumlah_{other.pk}": "5"})
    assert operator_client.post(_url("output_bulk", activity), data).status_code == 302
    assert not Output.objects.filter(participation=other).exists()


# --- The page ----------------------------------------------------------------------------------------------


def test_the_activity_page_has_unique_ids_and_every_delete_asks_first(operator_client, activity):
    outputs = _with_outputs(activity, [100, 100])
    make_handover(outputs[0], quantity=10)
    make_firm("51", name="IKM Konveksi Cari 1")
    make_firm("51", name="IKM Konveksi Cari 2")
    html = _page(operator_client, activity, "?cari_ikm=Konveksi")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert "{#" not in html and "#}" not in html  # no template comment shown as text
    # the handover form loaded into the page (htmx) has ids of its own too
    slot = operator_client.get(reverse("programs:handover_add", args=[outputs[1].pk])).content.decode()
    assert f'id="handover-{outputs[1].pk}-quantity"' in slot
    deletes = re.findall(r'<form[^>]*action="[^"]*/hapus/"[^>]*>', html)
    assert len(deletes) >= 5 and all("data-confirm=" in form for form in deletes), deletes


# --- Two bulk handovers at once (PostgreSQL row locks) -----------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres(reason="row locks of PostgreSQL")
def test_two_bulk_handovers_racing_never_hand_over_more_than_was_produced(operator):
    activity = make_activity(make_allocation("51", 2020))
    outputs = _with_outputs(activity, [300, 300])
    client = Client()
    client.force_login(operator)
    written, box = threading.Event(), {}

    def other_tab():
        # The other tab's grid: written under the outputs' lock, not yet committed while this tab's form
        # checks the quantities (it still sees 300 left of each), committed a moment later.
        try:
            with transaction.atomic():
                services.record_handovers(
                    activity=activity,
                    quantities={o.pk: 300 for o in outputs},
                    actor=operator,
                    recipient=None,
                    recipient_name="Masyarakat umum",
                    recipient_type="masyarakat",
                    handed_on=datetime.date(2020, 7, 20),
                    bast_number="BAST/TAB-1",
                )
                written.set()
                time.sleep(1.5)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e
        finally:
            connection.close()

    thread = threading.Thread(target=other_tab)
    thread.start()
    assert written.wait(10), box
    response = client.post(
        reverse("programs:handover_bulk", args=[activity.pk]),
        _handovers_post(outputs, ["300", "300"], bast_number="BAST/TAB-2"),
    )
    thread.join()
    assert "error" not in box
    assert response.status_code == 200
    assert "Melebihi sisa hasil ini: tersisa 0 pcs." in response.content.decode()
    for output in outputs:
        output.refresh_from_db()
    assert [o.handed_over_total for o in outputs] == [300, 300]
    assert set(Handover.objects.values_list("bast_number", flat=True)) == {"BAST/TAB-1"}


def test_every_action_on_the_page_returns_to_where_the_user_was(operator_client, activity):
    base = activity.get_absolute_url()
    firm = make_firm("51")
    response = operator_client.post(_url("participation_add", activity), {"firm": firm.pk})
    participation = Participation.objects.get(activity=activity, firm=firm)
    assert response["Location"] == f"{base}#participation-{participation.pk}"
    response = operator_client.post(
        _url("output_add", activity),
        {
            "participation": participation.pk,
            "product": "Masker kain",
            "product_type": "masker",
            "quantity": "3.000",
            "unit": "pcs",
            "produced_on": "01/07/2020",
        },
    )
    output = Output.objects.get(participation=participation)
    assert response["Location"] == f"{base}#output-{output.pk}" and output.quantity == 3000
    response = operator_client.post(_url("participant_add", activity), {"name": "Siti", "sex": "P"})
    participant = activity.participants.get()
    assert response["Location"] == f"{base}#participant-{participant.pk}"
    delete = reverse("programs:output_delete", args=[output.pk])
    assert operator_client.post(delete, {"version": output.version})["Location"] == f"{base}#outputs"
    delete = reverse("programs:participation_delete", args=[participation.pk])
    assert operator_client.post(delete, {"version": 1})["Location"] == f"{base}#firms"
    # a form refused comes back where it was sent from: its action carries the section
    html = _page(operator_client, activity)
    assert f'action="{_url("participant_add", activity)}#participants"' in html
