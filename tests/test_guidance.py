"""No guessing (issue 18): the forms start from the context (the current open allocation, the activity's
regency, sector and dates, today for a handover, the recipient partner's type, the product type's unit), the
fields whose meaning is not obvious explain themselves, and an output's unit fits its product type in the
form, the model and the database."""

import datetime
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from programs import services
from programs.models import (
    UNITS_OF_PRODUCT_TYPE,
    Handover,
    Output,
    PartnerKind,
    ProductType,
    RecipientType,
    Unit,
)
from provinces.models import Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participation,
    make_partner,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_YEAR = TODAY.year


def _form(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response


# --- The new activity's allocation and dates ---------------------------------------------------------------


def test_a_new_activity_starts_on_this_years_open_allocation_with_its_dates_today(operator_client):
    last = make_allocation("51", THIS_YEAR - 1)
    current = make_allocation("51", THIS_YEAR)
    form = _form(operator_client, "programs:activity_create").context["form"]
    assert form["allocation"].value() == current.pk != last.pk
    assert form["planned_start"].value() == form["planned_end"].value() == TODAY
    assert str(THIS_YEAR) in str(form.fields["allocation"].help_text)


def test_when_this_year_is_closed_the_latest_open_year_is_chosen_and_its_dates_stay_inside_it(
    operator_client, pusat
):
    older = make_allocation("51", THIS_YEAR - 2)
    latest_open = make_allocation("51", THIS_YEAR - 1)
    make_allocation("51", THIS_YEAR)
    services.close_fiscal_year(year=THIS_YEAR, actor=pusat)
    form = _form(operator_client, "programs:activity_create").context["form"]
    assert form["allocation"].value() == latest_open.pk != older.pk
    assert form["planned_start"].value() == datetime.date(THIS_YEAR - 1, 12, 31)


def test_ministry_staff_of_every_province_pick_the_allocation_themselves(admin_client):
    make_allocation("51", THIS_YEAR)
    make_allocation("63", THIS_YEAR)
    form = _form(admin_client, "programs:activity_create").context["form"]
    assert form["allocation"].value() is None


# --- Firms, outputs and handovers of an activity ---------------------------------------------------------


@pytest.fixture
def activity():
    allocation = make_allocation("51", THIS_YEAR)
    start = datetime.date(THIS_YEAR, 1, 1)
    return make_activity(
        allocation,
        regency=Regency.objects.get(code="51.06"),
        sector="kerajinan",
        planned_start=start,
        planned_end=TODAY,
    )


def test_a_firm_registered_in_place_takes_the_activitys_regency_and_sector(operator_client, activity):
    forms = _form(operator_client, "programs:activity_detail", activity.pk).context["forms"]
    new_firm = forms["new_firm"]
    assert new_firm["regency"].value() == activity.regency_id
    assert new_firm["sector"].value() == "kerajinan"


def test_a_new_output_is_dated_by_the_activity_never_after_today(operator_client, activity):
    forms = _form(operator_client, "programs:activity_detail", activity.pk).context["forms"]
    assert forms["output"]["produced_on"].value() == TODAY  # its planned end
    activity.actual_start = activity.actual_end = datetime.date(THIS_YEAR, 1, 2)
    activity.save()
    forms = _form(operator_client, "programs:activity_detail", activity.pk).context["forms"]
    assert forms["output"]["produced_on"].value() == datetime.date(THIS_YEAR, 1, 2)  # its actual end


def _output_post(participation, **changes):
    data = {
        "participation": participation.pk,
        "product": "Face shield mika",
        "product_type": "face_shield",
        "quantity": "300",
        "unit": "",
        "produced_on": TODAY.strftime("%d/%m/%Y"),
    }
    data.update(changes)
    return data


def test_an_output_left_without_a_unit_takes_its_product_types_usual_one(operator_client, activity):
    participation = make_participation(activity, make_firm("51"))
    url = reverse("programs:output_add", args=[activity.pk])
    response = operator_client.post(url, _output_post(participation))
    assert response.status_code == 302
    assert Output.objects.get().unit == Unit.of_product_type(ProductType.FACE_SHIELD)[0] == "pcs"


def test_a_unit_that_does_not_fit_the_product_type_is_refused_beside_the_field(operator_client, activity):
    participation = make_participation(activity, make_firm("51"))
    url = reverse("programs:output_add", args=[activity.pk])
    response = operator_client.post(url, _output_post(participation, unit="helai"))
    assert response.status_code == 200
    errors = response.context["forms"]["output"].errors
    assert list(errors) == ["unit"]
    assert "helai" in errors["unit"][0] and "face shield" in errors["unit"][0]
    assert not Output.objects.exists()


def test_the_output_form_tells_the_browser_the_units_of_each_product_type(operator_client, activity):
    make_participation(activity, make_firm("51"))  # the output form shows once the activity has a firm
    page = _form(operator_client, "programs:activity_detail", activity.pk).content.decode()
    for product_type, units in UNITS_OF_PRODUCT_TYPE.items():
        expected = " ".join(str(u) for u in units)
        assert f'value="{product_type}" data-units="{expected}"' in page
    helai = re.search(r'<option value="helai" data-product-types="([^"]*)"', page).group(1).split()
    assert sorted(helai) == sorted(
        str(t) for t, units in UNITS_OF_PRODUCT_TYPE.items() if Unit.HELAI in units
    )


def test_the_database_accepts_exactly_the_units_of_each_product_type(activity):
    participation = make_participation(activity, make_firm("51"))
    for product_type in ProductType:
        for unit in Unit:
            fits = unit in UNITS_OF_PRODUCT_TYPE[product_type]
            try:
                with transaction.atomic():
                    # Straight to the database: no form, no clean().
                    make_output(
                        participation, product_type=product_type, unit=unit, produced_on=TODAY, quantity=5
                    )
                    stored = True
                    transaction.set_rollback(True)
            except IntegrityError as e:
                assert "output_unit_fits_product_type" in str(e)
                stored = False
            assert stored == fits, (product_type, unit)


@pytest.fixture
def output(activity):
    return make_output(make_participation(activity, make_firm("51")), quantity=300, produced_on=TODAY)


def test_a_handover_starts_today_with_what_is_left(operator_client, output):
    form = _form(operator_client, "programs:handover_add", output.pk).context["form"]
    assert form["handed_on"].value() == TODAY
    assert form["quantity"].value() == "300"  # shown grouped, as typed: 300


@pytest.mark.parametrize(
    ("kind", "regency", "expected"),
    [
        (PartnerKind.GUGUS_TUGAS, None, RecipientType.TASK_FORCE_PROVINCE),
        (PartnerKind.GUGUS_TUGAS, "51.06", RecipientType.TASK_FORCE_REGENCY),
        (PartnerKind.FASKES, None, RecipientType.HEALTH_FACILITY),
        (PartnerKind.LAINNYA, None, RecipientType.OTHER),
    ],
)
def test_a_handover_to_a_partner_takes_the_partners_recipient_type(
    operator_client, output, kind, regency, expected
):
    partner = make_partner("51", kind=kind, regency=Regency.objects.get(code=regency) if regency else None)
    page = _form(operator_client, "programs:handover_add", output.pk).content.decode()
    assert f'value="{partner.pk}" data-recipient-type="{expected}"' in page
    data = {
        "recipient_type": "",
        "recipient": partner.pk,
        "handed_on": TODAY.strftime("%d/%m/%Y"),
        "quantity": "300",
        "bast_number": "BAST/01",
    }
    response = operator_client.post(reverse("programs:handover_add", args=[output.pk]), data)
    assert response.status_code == 302
    assert Handover.objects.get().recipient_type == expected


def test_a_handover_without_partner_or_type_is_refused_beside_the_type(operator_client, output):
    data = {
        "recipient_type": "",
        "recipient_name": "Masyarakat Bangli",
        "handed_on": TODAY.strftime("%d/%m/%Y"),
        "quantity": "300",
        "bast_number": "BAST/01",
    }
    response = operator_client.post(reverse("programs:handover_add", args=[output.pk]), data)
    assert response.status_code == 200
    assert "recipient_type" in response.context["forms"][("handover", output.pk)].errors
    assert not Handover.objects.exists()


# --- Help texts ----------------------------------------------------------------------------------------


def test_the_fields_whose_meaning_is_not_obvious_explain_themselves(operator_client, output):
    make_allocation("51", THIS_YEAR - 1)
    activity_page = _form(operator_client, "programs:activity_create").content.decode()
    for text in (
        "Penumbuhan: menumbuhkan IKM",  # tujuan
        "Jumlah orang yang direncanakan ikut (bukan jumlah IKM)",  # target peserta
        "Jumlah orang yang benar-benar hadir (bukan jumlah IKM)",  # realisasi peserta
        "Rupiah tanpa sen",  # anggaran
        "RO (rincian output) DIPA",
        "Daring: secara online",
        "Terpilih: alokasi tahun berjalan",
    ):
        assert text in activity_page, text
    detail = _form(operator_client, "programs:activity_detail", output.activity_id).content.decode()
    for text in (
        "menentukan satuan yang boleh dipakai",  # jenis produk
        "Sesuai jenis produk: masker pcs/helai/buah",  # satuan
        "lolos standar",  # memenuhi standar
        "jumlah yang dipesan",  # jumlah pesanan
    ):
        assert text in detail, text
    handover = _form(operator_client, "programs:handover_add", output.pk).content.decode()
    assert "jenisnya mengikuti mitra itu" in handover  # jenis penerima
    assert "Nomor berita acara serah terima" in handover  # BAST
