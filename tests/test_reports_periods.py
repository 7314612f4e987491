"""What each report counts, as the README defines it: the Covid-19 report by product type × recipient type,
and the quarterly report as it stood at the quarter's end (status from the history, orders by the day they
were placed, each firm once)."""

import datetime
import io
import json
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from programs import reports
from programs.models import (
    PPE_TYPES,
    Activity,
    ActivityStatus,
    Handover,
    Participation,
    ProductType,
    RecipientType,
)
from tests import csvutil, sheetutil
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

YEAR = 2020


def _body(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


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


def test_the_covid_report_tells_how_many_masks_went_to_the_task_forces(pusat_client, covid_data):
    masks_to_task_forces = _independent(ProductType.MASK, RecipientType.TASK_FORCE_PROVINCE)
    assert masks_to_task_forces == 5200
    all_to_task_forces = sum(
        _independent(p, RecipientType.TASK_FORCE_PROVINCE) for p in PPE_TYPES
    )  # what the recipient table shows: every kind of protective equipment
    assert all_to_task_forces == 5200 + 2 * (800 + 250)

    html = pusat_client.get(reverse("reports:covid"), {"tahun": YEAR}).content.decode()
    matrix = re.search(r'id="covid-product-recipient">(.*?)</table>', html, re.S).group(1)
    mask_row = re.search(r'data-product="masker">(.*?)</tr>', matrix, re.S).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', mask_row)
    labels = [label for _value, label in RecipientType.choices]
    assert cells[labels.index(RecipientType.TASK_FORCE_PROVINCE.label)] == "5.200"
    assert cells[-1] == "5.800"  # every mask handed over (5.200 + 2 × 300)

    data = json.loads(_body(pusat_client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "json"})))
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

    rows = csvutil.rows(pusat_client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "csv"}))
    header = next(r for r in rows if r and r[0] == "Penerima")
    task_force_row = next(r for r in rows if r and r[0] == RecipientType.TASK_FORCE_PROVINCE.label)
    assert task_force_row[header.index(ProductType.MASK.label)] == str(masks_to_task_forces)

    book = openpyxl.load_workbook(
        io.BytesIO(_body(pusat_client.get(reverse("reports:covid"), {"tahun": YEAR, "format": "xlsx"})))
    )
    sheet = next(s for s in book.worksheets if s.title.startswith("Per jenis penerima"))
    values = sheetutil.table(sheet)
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


# --- The quarterly report as of the quarter's end ---------------------------------------------------------


def _quarterly(client, quarter, **params):
    return client.get(
        reverse("reports:quarterly", kwargs={"code": "63", "quarter": quarter}), {"tahun": YEAR, **params}
    )


def _recorded_on(activity, day):
    """Date the activity's latest version as saved on that day (WIB), as if entered then."""
    version = activity.history.order_by("-history_date", "-history_id").first()
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    type(version).objects.filter(pk=version.pk).update(history_date=moment)


def _status_cell(html, activity):
    row = re.search(rf'id="quarter-activity-{activity.pk}">(.*?)</tr>', html, re.S).group(1)
    return re.search(r'class="quarter-status">([^<]*)', row).group(1).strip()


def test_the_quarterly_report_shows_the_status_recorded_at_the_quarters_end(pusat_client):
    activity = make_activity(
        make_allocation("63", YEAR),
        status=ActivityStatus.RUNNING,
        planned_end=datetime.date(YEAR, 6, 25),
        actual_start=datetime.date(YEAR, 6, 8),
    )
    _recorded_on(activity, datetime.date(YEAR, 6, 10))
    activity.status, activity.actual_end, activity.actual_participants = ActivityStatus.DONE, None, 10
    activity.actual_end = datetime.date(YEAR, 7, 31)
    activity.save()
    _recorded_on(activity, datetime.date(YEAR, 8, 3))
    # What the history holds, read independently of the report: the version saved by 30 June.
    by_june = (
        activity.history.filter(history_date__lt=timezone.make_aware(datetime.datetime(YEAR, 7, 1)))
        .order_by("-history_date")
        .first()
    )
    assert (by_june.status, Activity.objects.get(pk=activity.pk).status) == ("berjalan", "selesai")

    q2 = _quarterly(pusat_client, 2)
    assert _status_cell(q2.content.decode(), activity) == ActivityStatus.RUNNING.label
    assert q2.context["report"].summary["planned_by_end"] == 1  # due by 30 June, and not done
    assert q2.context["report"].summary["done_by_end"] == 0
    data = json.loads(_body(_quarterly(pusat_client, 2, format="json")))
    assert [(r["status"], r["actual_end"], r["actual_participants"]) for r in data["rows"]] == [
        (ActivityStatus.RUNNING.label, None, None)
    ]
    q3 = _quarterly(pusat_client, 3)
    assert _status_cell(q3.content.decode(), activity) == f"{ActivityStatus.DONE.label} ✓"
    assert q3.context["report"].summary["done_by_end"] == 1
    assert q3.context["report"].summary["participants_actual"] == 10


def test_an_activity_entered_after_the_quarter_shows_its_status_as_first_recorded(pusat_client):
    activity = make_activity(
        make_allocation("63", YEAR), status=ActivityStatus.POSTPONED, status_reason="PSBB"
    )
    _recorded_on(activity, datetime.date(YEAR, 7, 20))
    activity.status, activity.status_reason = ActivityStatus.RUNNING, ""
    activity.save()
    _recorded_on(activity, datetime.date(YEAR, 8, 1))
    assert (
        _status_cell(_quarterly(pusat_client, 2).content.decode(), activity) == ActivityStatus.POSTPONED.label
    )
    assert (
        _status_cell(_quarterly(pusat_client, 3).content.decode(), activity) == ActivityStatus.RUNNING.label
    )


def test_an_order_counts_in_the_quarter_it_was_placed_even_when_produced_later(pusat_client):
    """Kalimantan Selatan: the task force's order of 100,000 masks, placed in June, produced in July."""
    activity = make_activity(make_allocation("63", YEAR))
    task_force = make_partner("63")
    firms = [make_participation(activity, make_firm("63", "63.71")) for _ in range(2)]
    for participation, ordered in zip(firms, (60_000, 40_000), strict=True):
        make_output(
            participation,
            quantity=ordered,
            produced_on=datetime.date(YEAR, 7, 10),
            ordered_quantity=ordered,
            ordered_on=datetime.date(YEAR, 6, 5),
            buyer=task_force,
        )
    # An order without its date counts on its output's production date (here: the third quarter).
    make_output(
        firms[0], quantity=500, produced_on=datetime.date(YEAR, 8, 1), ordered_quantity=500, buyer=task_force
    )
    placed_by_june = sum(
        o.ordered_quantity
        for o in activity.outputs.all()
        if (o.ordered_on or o.produced_on) <= datetime.date(YEAR, 6, 30)
    )
    assert placed_by_june == 100_000

    q2 = _quarterly(pusat_client, 2)
    html = q2.content.decode()
    assert re.search(r'id="quarter-ordered">([^<]*)<', html).group(1) == "100.000"
    assert re.search(r'id="quarter-produced">([^<]*)<', html).group(1) == "0"
    data = json.loads(_body(_quarterly(pusat_client, 2, format="json")))
    assert data["rows"][0]["ordered"] == data["totals"]["ordered"] == placed_by_june
    q3 = _quarterly(pusat_client, 3)
    assert q3.context["report"].summary["ordered"] == 100_500
    assert q3.context["report"].summary["produced"] == 100_500


def test_the_quarterly_report_counts_a_firm_in_two_activities_once_as_the_recap_does(pusat_client):
    allocation = make_allocation("63", YEAR)
    shared, other = make_firm("63", "63.71"), make_firm("63", "63.71")
    first, second = make_activity(allocation), make_activity(allocation)
    make_participation(first, shared)
    make_participation(second, shared)
    make_participation(second, other)
    distinct = len(set(Participation.objects.filter(year=YEAR).values_list("firm_id", flat=True)))
    assert distinct == 2

    html = _quarterly(pusat_client, 4).content.decode()
    assert re.search(r'id="quarter-firms">([^<]*)<', html).group(1) == str(distinct)
    data = json.loads(_body(_quarterly(pusat_client, 4, format="json")))
    assert data["totals"]["firms"] == distinct
    assert sorted(r["firms"] for r in data["rows"]) == [1, 2]  # each activity its own firms
    recap = json.loads(
        _body(pusat_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "json"}))
    )
    assert next(r for r in recap["rows"] if r["province_code"] == "63")["firms"] == distinct
    province = json.loads(
        _body(pusat_client.get(reverse("reports:province", args=["63"]), {"tahun": YEAR, "format": "json"}))
    )
    assert province["totals"]["firms"] == distinct
