"""Every figure of the national recap equals the reference SQL (bench/reference.py), which adds the records
up the straightforward way: through handover -> output -> participation -> activity -> allocation ->
province, never through the province and year the rows carry, nor the running totals.

The recap reads the carried columns through covering indexes; these tests prove that shortcut gives the
same numbers on generated data, and still does after writes of every kind (live, nothing to go stale).
They run on SQLite and on PostgreSQL (CI), where the bulk generator's COPY path is checked too.
"""

import datetime
import random

import pytest
from django.db import transaction

from bench.reference import reference_recap
from programs import reports
from programs.management.synthetic import Synthetic
from programs.models import (
    Activity,
    ActivityStatus,
    Handover,
    Output,
    Participant,
    Participation,
    ProductType,
    RecipientType,
)
from provinces.models import Province

from .factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
)

pytestmark = pytest.mark.django_db
YEAR = 2032  # a year no other data uses


def _synthetic(admin, pusat, operators, *, copy=False, year=YEAR):
    run = Synthetic(scale=1, actor=admin, ministry=pusat, operators=operators, copy=copy)
    for code in operators:
        run.build(year, Province.objects.get(code=code))
    return run


def _assert_recap_equals_reference(user, year=YEAR):
    recap = reports.national_recap(user, reports.Filters(year=year))
    rows, totals = reference_recap(year)
    assert [r["province_code"] for r in recap.rows] == [r["province_code"] for r in rows]
    keys = [f.key for f in reports.RECAP_FIGURES]
    assert set(keys) <= set(rows[0])
    for mine, reference in zip(recap.rows, rows, strict=True):
        assert {k: mine[k] for k in keys} == {k: reference[k] for k in keys}, mine["province_code"]
    assert {k: recap.totals[k] for k in keys} == {k: totals[k] for k in keys}
    return recap


def test_every_recap_figure_equals_the_reference_sql_on_a_synthetic_year(admin, pusat, operators):
    _synthetic(admin, pusat, operators)
    recap = _assert_recap_equals_reference(pusat)
    bali = next(r for r in recap.rows if r["province_code"] == "51")
    assert bali["activities"] == 40 and bali["firms"] > 0 and bali["handed_over_gugus_tugas_provinsi"] >= 0
    assert recap.totals["output_masker"] + recap.totals["output_lainnya"] > 0


def test_the_recap_follows_every_kind_of_write_at_once(admin, pusat, operators):
    """Insert, update, move and delete rows through the models: the recap equals the reference after each
    step, with nothing to refresh (the figures are read live)."""
    _synthetic(admin, pusat, operators)
    rng = random.Random(8)
    allocation = make_allocation("72", YEAR)  # a third province, built by hand
    firm = make_firm("72", "72.71")
    activity = make_activity(
        allocation, status=ActivityStatus.RUNNING, actual_start=datetime.date(YEAR, 6, 1)
    )
    participation = make_participation(activity, firm)
    output = make_output(participation, quantity=500, product_type=ProductType.MASK)
    make_handover(output, quantity=200, recipient_type=RecipientType.HEALTH_FACILITY)
    make_participant(activity)
    _assert_recap_equals_reference(pusat)

    # Updates: a handover's quantity and kind, an output's product type, an activity's status and budget.
    handover = Handover.objects.filter(year=YEAR, province__code="51").order_by("pk").first()
    handover.quantity = 1
    handover.recipient_type = RecipientType.OTHER
    handover.save()
    moved = Output.objects.filter(year=YEAR, province__code="63").order_by("pk").first()
    moved.product_type = ProductType.HAZMAT
    moved.save()
    done = Activity.objects.filter(year=YEAR, province__code="51", status=ActivityStatus.DONE).first()
    done.status, done.status_reason = ActivityStatus.CANCELLED, "Efisiensi anggaran"
    done.budget += 1_000_000
    done.save()
    _assert_recap_equals_reference(pusat)

    # Deletes: handovers (one by one and in bulk), an output, a participant, a whole activity's firms.
    handovers = list(Handover.objects.filter(year=YEAR).values_list("pk", flat=True))
    Handover.objects.filter(pk__in=rng.sample(handovers, 5)).delete()
    output = Output.objects.filter(year=YEAR, handovers__isnull=True).first()
    output.delete()
    Participant.objects.filter(year=YEAR).first().delete()
    victim = Activity.objects.filter(year=YEAR, province__code="63", outputs__isnull=True).first()
    if victim is not None:
        Participation.objects.filter(activity=victim).delete()
    _assert_recap_equals_reference(pusat)


def test_a_firm_in_two_provinces_counts_once_nationally_as_in_the_reference(admin, pusat, operators):
    _synthetic(admin, pusat, operators)
    firm = Participation.objects.filter(year=YEAR, province__code="51").first().firm
    elsewhere = Activity.objects.filter(year=YEAR, province__code="63").first()
    Participation.objects.create(activity=elsewhere, firm=firm)  # e.g. a firm that moved
    recap = _assert_recap_equals_reference(pusat)
    assert recap.totals["firms"] < sum(r["firms"] for r in recap.rows)


@pytest.mark.postgres(reason="the generator's PostgreSQL COPY path")
def test_the_copy_generator_builds_the_same_rows_as_the_insert_generator(admin, pusat, operators):
    """seed_demo --copy (COPY, foreign keys checked set-based when superuser) builds the very rows that the
    ORM path builds, each with its history row, and the recap equals the reference on them."""

    def build(copy):
        _synthetic(admin, pusat, operators, copy=copy)
        _assert_recap_equals_reference(pusat)
        for model in (Participation, Participant, Output, Handover):
            rows = model.objects.filter(year=YEAR)
            assert model.history.filter(year=YEAR, history_type="+").count() == rows.count() > 0
        outputs = Output.objects.filter(year=YEAR).order_by(
            "participation__firm__nib", "activity__title", "pk"
        )
        handovers = Handover.objects.filter(year=YEAR).order_by("bast_number")
        return (
            list(outputs.values_list("participation__firm__nib", "product", "quantity", "handed_over_total")),
            list(handovers.values_list("bast_number", "quantity", "recipient_type", "recipient_name")),
            Participant.objects.filter(year=YEAR).count(),
        )

    with transaction.atomic():
        copied = build(copy=True)
        transaction.set_rollback(True)
    assert not Participation.objects.filter(year=YEAR).exists()
    assert build(copy=False) == copied
