"""What each report counts, as the README defines it: the Covid-19 report by product type × recipient type,
and the quarterly report as it stood at the quarter's end (status from the history, orders by the day they
were placed, each firm once)."""

import csv
import io
import json
import re

import openpyxl
import pytest
from django.urls import reverse

from programs import reports
from programs.models import (
    PPE_TYPES,
    Handover,
    ProductType,
    RecipientType,
)
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participation,
    make_user,
)

pytestmark = pytest.mark.django_db

YEAR = 2020


def _body(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def pusat(client):
    user = make_user("pusat-periode", "pusat")
    client.force_login(user)
    return user


# --- Covid-19: product type × recipient type --------------------------------------------------------------


def _handed(output, quantity, recipient_type):
    return make_handover(output, quantity=quantity, recipient_type=recipient_type)


@pytest.fixture
def covid_data():
    """Masks, face shields and hazmat suits to the provincial task forces and others, in two provinces;
    plus a non-protective product (counted nowhere in this report)."""
    for code, regency in (("16", "16.71"), ("63", "63.71")):
        activity = make_activity(make_allocation(code, YEAR))
        firm = make_participation(activity, make_firm(code, regency))
        mask = make_output(firm, quantity=5000)
        shield = make_output(firm, quantity=900, product="Face shield", product_type=ProductType.FACE_SHIELD)
        hazmat = make_output(firm, quantity=300, product="Baju hazmat", product_type=ProductType.HAZMAT)
        other = make_output(firm, quantity=70, product="Keripik", product_type=ProductType.OTHER)
        _handed(mask, 4000 if code == "63" else 1200, RecipientType.TASK_FORCE_PROVINCE)
        _handed(mask, 300, RecipientType.PUBLIC)
        _handed(shield, 800, RecipientType.TASK_FORCE_PROVINCE)
        _handed(hazmat, 250, RecipientType.TASK_FORCE_PROVINCE)
        _handed(hazmat, 50, RecipientType.HEALTH_FACILITY)
        _handed(other, 70, RecipientType.TASK_FORCE_PROVINCE)


def _independent(product_type, recipient_type):
    return sum(
        h.quantity
        for h in Handover.objects.filter(year=YEAR)
        if h.output.product_type == product_type and h.recipient_type == recipient_type
    )


def test_the_covid_report_tells_how_many_masks_went_to_the_task_forces(client, pusat, covid_data):
    masks_to_task_forces = _independent(ProductType.MASK, RecipientType.TASK_FORCE_PROVINCE)
    assert masks_to_task_forces == 5200
    all_to_task_forces = sum(
        _independent(p, RecipientType.TASK_FORCE_PROVINCE) for p in PPE_TYPES
    )  # what the recipient table shows: every kind of protective equipment
    assert all_to_task_forces == 5200 + 2 * (800 + 250)

    html = client.get(reverse("reports:covid"), {"tahun": YEAR}).content.decode()
    matrix = re.search(r'id="covid-product-recipient">(.*?)</table>', html, re.S).group(1)
    mask_row = re.search(r'data-product="masker">(.*?)</tr>', matrix, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', mask_row)
    labels = [label for _value, label in RecipientType.choices]
    assert cells[labels.index(RecipientType.TASK_FORCE_PROVINCE.label)] == "5.200"
    assert cells[-1] == "5.800"  # every mask handed over (5.200 + 2 × 300)

    data = json.loads(_body(client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "json"})))
    masks = next(p for p in data["by_product"]["rows"] if p["product"] == ProductType.MASK.label)
    assert masks["handed_over_gugus_tugas_provinsi"] == masks_to_task_forces
    task_forces = next(
        r for r in data["by_recipient"]["rows"] if r["recipient"] == RecipientType.TASK_FORCE_PROVINCE.label
    )
    assert task_forces["product_masker"] == masks_to_task_forces
    assert task_forces["handed_over"] == all_to_task_forces
    for product_type in PPE_TYPES:
        for recipient_type in RecipientType.values:
            product = next(p for p in data["by_product"]["rows"] if p["product"] == product_type.label)
            assert product[f"handed_over_{recipient_type}"] == _independent(product_type, recipient_type)

    rows = list(
        csv.reader(
            io.StringIO(
                _body(client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "csv"})).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    header = next(r for r in rows if r and r[0] == "Penerima")
    task_force_row = next(r for r in rows if r and r[0] == RecipientType.TASK_FORCE_PROVINCE.label)
    assert task_force_row[header.index(ProductType.MASK.label)] == str(masks_to_task_forces)

    book = openpyxl.load_workbook(
        io.BytesIO(_body(client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "xlsx"})))
    )
    sheet = next(s for s in book.worksheets if s.title.startswith("Per jenis penerima"))
    values = list(sheet.iter_rows(values_only=True))
    row = next(r for r in values if r[0] == RecipientType.TASK_FORCE_PROVINCE.label)
    assert row[list(values[0]).index(ProductType.MASK.label)] == masks_to_task_forces


def test_the_covid_report_from_the_tallies_equals_the_records_product_by_recipient(pusat, covid_data):
    filters = reports.Filters(year=YEAR)
    tallied, live = reports.covid_report(pusat, filters), reports.covid_report(pusat, filters, live=True)
    assert tallied.by_product == live.by_product
    assert tallied.by_recipient == live.by_recipient
    assert (tallied.rows, tallied.totals) == (live.rows, live.totals)
    masks = next(p for p in live.by_product if p["product_type"] == ProductType.MASK)
    assert masks["handed_over_gugus_tugas_provinsi"] == 5200
