"""The plan's cross-row rules (programs/plan_rules.py), written past every form and service: the database
refuses them, naming the rule, and keeps nothing of the refused write."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction

from programs.models import (
    Achievement,
    Activity,
    PlanItem,
    RealisationLine,
    RevisionLine,
)
from tests.factories import make_activity, make_allocation, make_plan, make_realisation, make_revision

MILLION = Decimal(1_000_000)


@pytest.fixture
def plan(db):
    """Bali 2020 (Rp 1.000 juta) with two ROs of Rp 600 and 400 juta; Kalimantan Selatan 2020 with one RO."""
    bali = make_allocation("51", 2020, pagu=1000 * MILLION)
    kalsel = make_allocation("63", 2020, pagu=500 * MILLION)
    ros = make_plan(bali, ros=[{"pagu": 600 * MILLION}, {"pagu": 400 * MILLION, "measure": "manual"}])
    (kalsel_ro,) = make_plan(kalsel)
    return bali, kalsel, ros, kalsel_ro


def _refused(rule, write):
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        write()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the deferred sums are checked here rather than at commit
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _consistent():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_an_activity_names_an_ro_of_its_own_allocation(plan):
    bali, kalsel, ros, kalsel_ro = plan
    _refused(
        "activity_planned_output_of_its_allocation", lambda: make_activity(bali, planned_output=kalsel_ro)
    )
    heading = PlanItem.objects.get(allocation=bali, level="kro")
    _refused("activity_planned_output_of_its_allocation", lambda: make_activity(bali, planned_output=heading))
    assert not Activity.objects.exists()
    assert make_activity(bali, planned_output=ros[0]).planned_output == ros[0]


def test_an_activity_of_a_year_with_a_plan_names_its_ro_and_keeps_it(plan):
    bali, _kalsel, ros, _ = plan
    _refused("activity_planned_output_required", lambda: make_activity(bali))
    activity = make_activity(bali, planned_output=ros[0])
    _refused(
        "activity_planned_output_required",
        lambda: Activity.objects.filter(pk=activity.pk).update(planned_output=None),
    )
    activity.refresh_from_db()
    assert activity.planned_output == ros[0]


def test_an_activity_made_before_the_plan_stays_changeable_until_tagged(db):
    alloc = make_allocation("51", 2020, pagu=1000 * MILLION)
    activity = make_activity(alloc)
    make_plan(alloc)
    Activity.objects.filter(pk=activity.pk).update(title="Bimtek masker (jadwal baru)")
    activity.refresh_from_db()
    assert (activity.title, activity.planned_output) == ("Bimtek masker (jadwal baru)", None)


def test_a_plan_line_hangs_under_a_line_of_its_own_allocation(plan):
    bali, kalsel, _ros, _ = plan
    foreign = PlanItem.objects.get(allocation=kalsel, level="kro")
    _refused(
        "plan_parent_of_its_allocation",
        lambda: PlanItem.objects.create(
            allocation=bali, parent=foreign, level="komponen", code="5807.QEA.001.051", name="Komponen"
        ),
    )
    assert not PlanItem.objects.filter(level="komponen").exists()


def test_realisation_and_revision_lines_name_an_ro_of_their_allocation(plan):
    bali, _kalsel, ros, kalsel_ro = plan
    realisation = make_realisation(bali, 6, MILLION)
    _refused(
        "realisation_line_ro_of_its_allocation",
        lambda: RealisationLine.objects.create(
            realisation=realisation, planned_output=kalsel_ro, spending_type="52", amount=MILLION
        ),
    )
    revision = make_revision(bali, 1000 * MILLION)
    _refused(
        "revision_line_ro_of_its_allocation",
        lambda: RevisionLine.objects.create(
            revision=revision, planned_output=kalsel_ro, previous_pagu=kalsel_ro.pagu, new_pagu=0
        ),
    )
    assert not RealisationLine.objects.exists() and not RevisionLine.objects.exists()


def test_a_monthly_achievement_is_for_an_ro_counted_by_hand(plan):
    _bali, _kalsel, ros, _ = plan
    evidence = ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf")
    _refused(
        "achievement_of_a_manual_ro",
        lambda: Achievement.objects.create(planned_output=ros[0], month=6, quantity=3, evidence=evidence),
    )
    Achievement.objects.create(planned_output=ros[1], month=6, quantity=3, evidence=evidence)
    assert list(Achievement.objects.values_list("planned_output", flat=True)) == [ros[1].pk]


pg_only = pytest.mark.postgres(reason="the sums are deferred constraint triggers of PostgreSQL")


@pg_only
def test_the_ro_pagus_add_up_to_the_current_pagu(plan):
    bali, _kalsel, ros, _ = plan
    _refused("plan_ro_pagu_sum", lambda: PlanItem.objects.filter(pk=ros[0].pk).update(pagu=650 * MILLION))
    _refused("plan_ro_pagu_sum", lambda: PlanItem.objects.filter(pk=ros[1].pk).delete())
    # A revision of the pagu that moves no RO money breaks the sum; one that moves it keeps it.
    _refused("plan_ro_pagu_sum", lambda: make_revision(bali, 900 * MILLION))

    def refocus():
        revision = make_revision(bali, 900 * MILLION)
        RevisionLine.objects.create(
            revision=revision, planned_output=ros[1], previous_pagu=400 * MILLION, new_pagu=300 * MILLION
        )
        PlanItem.objects.filter(pk=ros[1].pk).update(pagu=300 * MILLION)

    with transaction.atomic():
        refocus()
        _consistent()
    bali.refresh_from_db()
    assert bali.current_pagu == sum(
        PlanItem.objects.filter(allocation=bali, level="ro").values_list("pagu", flat=True)
    )
    assert bali.current_pagu == 900 * MILLION


@pg_only
def test_money_moves_between_ros_in_one_transaction(plan):
    _bali, _kalsel, ros, _ = plan
    with transaction.atomic():
        PlanItem.objects.filter(pk=ros[0].pk).update(pagu=500 * MILLION)
        PlanItem.objects.filter(pk=ros[1].pk).update(pagu=500 * MILLION)
        _consistent()
    assert sorted(
        PlanItem.objects.filter(level="ro", allocation=ros[0].allocation).values_list("pagu", flat=True)
    ) == [
        500 * MILLION,
        500 * MILLION,
    ]


@pg_only
def test_a_realisation_with_lines_is_their_sum(plan):
    bali, _kalsel, ros, _ = plan
    realisation = make_realisation(bali, 6, 10 * MILLION)
    _refused(
        "realisation_lines_sum",
        lambda: RealisationLine.objects.create(
            realisation=realisation, planned_output=ros[0], spending_type="52", amount=9 * MILLION
        ),
    )
    with transaction.atomic():
        RealisationLine.objects.create(
            realisation=realisation, planned_output=ros[0], spending_type="52", amount=6 * MILLION
        )
        RealisationLine.objects.create(
            realisation=realisation, planned_output=ros[1], spending_type="52", amount=4 * MILLION
        )
        _consistent()
    _refused(
        "realisation_lines_sum",
        lambda: type(realisation).objects.filter(pk=realisation.pk).update(amount=11 * MILLION),
    )
    # A realisation without lines keeps the amount it was given.
    alone = make_realisation(bali, 7, 3 * MILLION, note="tanpa rincian")
    _consistent()
    assert alone.lines.count() == 0


def test_rules_hold_on_the_quick_starts_database_too(plan):
    """The row rules exist on both databases (installed after migrate): named in the database's schema."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'rule_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rule_%'")
        names = {row[0] for row in cursor.fetchall()}
    for rule in (
        "activity_planned_output_of_its_allocation",
        "activity_planned_output_required",
        "plan_parent_of_its_allocation",
        "realisation_line_ro_of_its_allocation",
        "revision_line_ro_of_its_allocation",
        "achievement_of_a_manual_ro",
    ):
        assert any(rule in name for name in names), rule
