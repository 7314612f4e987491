"""The tallies PostgreSQL keeps for the reports (programs/tallies.py): exact after every kind of write, by
whatever path, and what the unfiltered recap and Covid-19 report read instead of the records."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs import reports, tallies
from programs.bulk import bulk_create_with_history
from programs.imports import RowWriter
from programs.models import (
    Activity,
    ActivityStatus,
    Handover,
    NationalTally,
    Output,
    Participant,
    Participation,
    ProductType,
    RecipientType,
    Tally,
)

from .factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
)
from .test_recap_reference import _synthetic

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="the tallies are PostgreSQL triggers"),
]
YEAR = 2033  # a year no other data uses


def assert_exact(step=None):
    with connection.cursor() as cursor:
        assert tallies.differences(cursor) == {}, step


def tally(province_code, measure, year=YEAR):
    row = Tally.objects.filter(year=year, province__code=province_code, measure=measure).first()
    return row.amount if row else 0


def _activity(allocation, year=YEAR, **overrides):
    day = datetime.date(year, 5, 1)
    fields = {
        "planned_start": day,
        "planned_end": day + datetime.timedelta(days=3),
        "status": ActivityStatus.RUNNING,
        "actual_start": day,
    }
    fields.update(overrides)
    return make_activity(allocation, **fields)


def test_every_write_path_keeps_the_tallies_exact():
    bali, bali_next = make_allocation("51", YEAR), make_allocation("51", YEAR + 1)
    firms = [make_firm("51", "51.06") for _ in range(4)]
    activity = _activity(bali)
    assert tally("51", "activities:berjalan") == 1
    participations = [make_participation(activity, firm) for firm in firms[:3]]
    assert (tally("51", "participations"), tally("51", "firms")) == (3, 3)
    output = make_output(
        participations[0], quantity=500, product_type=ProductType.MASK, ordered_quantity=None
    )
    handover = make_handover(output, quantity=200, recipient_type=RecipientType.HEALTH_FACILITY)
    assert tally("51", "output:masker") == 500
    assert tally("51", "handed_over:faskes:masker") == 200
    make_participant(activity)
    assert_exact()

    # Updates through the models: a handover's kind, an output's product type (carried to its handovers).
    handover.recipient_type, handover.quantity = RecipientType.PUBLIC, 150
    handover.save()
    output.product_type = ProductType.HAZMAT
    output.save()
    handover.refresh_from_db()
    assert handover.product_type == ProductType.HAZMAT
    assert (
        tally("51", "handed_over:masyarakat:hazmat") == 150 and tally("51", "handed_over:faskes:masker") == 0
    )
    assert tally("51", "output:hazmat") == 500 and tally("51", "output:masker") == 0
    activity.status, activity.status_reason = ActivityStatus.POSTPONED, "PSBB"
    activity.budget += Decimal(1_000_000)
    activity.save()
    assert tally("51", "activities:ditunda") == 1 and tally("51", "activities:berjalan") == 0
    assert_exact()

    # A participation moved to another firm: the old firm goes from the distinct count, the new one comes.
    moved = participations[2]
    moved.firm = firms[3]
    moved.save()
    assert tally("51", "firms") == 3
    assert_exact()

    # Queryset update, raw SQL, bulk insert with history, the import's COPY writer.
    Output.objects.filter(pk=output.pk).update(quantity=600)
    target = tally("51", "participants_target")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE programs_activity SET target_participants = target_participants + 5 WHERE id = %s",
            [activity.pk],
        )
    assert tally("51", "output:hazmat") == 600 and tally("51", "participants_target") == target + 5
    bulk_create_with_history(
        [
            Participant(activity=activity, province_id=bali.province_id, year=YEAR, name=f"P{i}", sex="P")
            for i in range(3)
        ],
        Participant,
    )
    writer = RowWriter(user=None, reason="uji", now=timezone.now())
    now = timezone.now()
    writer.insert(
        Participant,
        [
            {
                "activity_id": activity.pk,
                "province_id": bali.province_id,
                "year": YEAR,
                "name": f"Q{i}",
                "nik": "",
                "sex": "L",
                "phone": "",
                "founded_firm_id": None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(5)
        ],
    )
    assert tally("51", "participants") == 1 + 3 + 5
    assert_exact()

    # The activity moves to another allocation (here another province's, as only the ORM allows: the form
    # refuses it once it has participants): all its rows follow, and so do their tallies. An activity with
    # outputs cannot change its fiscal year: their dates belong to it (output_produced_in_fiscal_year).
    kalsel = make_allocation("63", YEAR)
    activity.allocation = kalsel
    activity.save()
    assert tally("51", "participations") == 0 and tally("63", "participations") == 3
    assert tally("51", "firms") == 0 and tally("63", "firms") == 3
    assert tally("63", "handed_over:masyarakat:hazmat") > 0
    assert_exact()
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(allocation=bali_next)

    # Deletes: a handover, then the output, then the whole activity (its parts by cascade).
    handover.delete()
    output.delete()
    Participant.objects.filter(activity=activity).delete()
    activity.delete()
    assert not Tally.objects.filter(year__in=[YEAR, YEAR + 1]).exclude(amount=0).exists()
    assert not NationalTally.objects.filter(year__in=[YEAR, YEAR + 1]).exclude(amount=0).exists()
    assert_exact()


def test_a_firm_in_two_provinces_counts_once_nationally():
    firm = make_firm("51", "51.06")
    bali, kalsel = make_allocation("51", YEAR), make_allocation("63", YEAR)
    make_participation(_activity(bali), firm)
    other = make_participation(_activity(kalsel), firm)
    make_participation(_activity(bali), firm)
    assert (tally("51", "firms"), tally("63", "firms")) == (1, 1)
    assert NationalTally.objects.get(year=YEAR, measure="firms").amount == 1
    other.delete()
    assert (tally("51", "firms"), tally("63", "firms")) == (1, 0)
    assert NationalTally.objects.get(year=YEAR, measure="firms").amount == 1
    assert_exact()


def test_a_rolled_back_write_leaves_no_tally_behind():
    activity = _activity(make_allocation("51", YEAR))
    with transaction.atomic():
        make_participation(activity, make_firm("51", "51.06"))
        assert tally("51", "firms") == 1
        transaction.set_rollback(True)
    assert tally("51", "firms") == 0
    assert_exact()


def test_a_random_walk_of_writes_keeps_every_tally_and_report_figure_exact(admin, pusat, operators):
    """Many small writes of every kind in random order; after each, the tallies equal the records, and at
    the end the recap and the Covid-19 report read from tallies equal the same reports added up live."""
    rng = random.Random(33)
    allocations = {code: make_allocation(code, YEAR) for code in ("51", "63")}
    regency = {"51": "51.06", "63": "63.08"}
    firms = {code: [make_firm(code, regency[code]) for _ in range(6)] for code in allocations}
    for step in range(120):
        code = rng.choice(list(allocations))
        activities = list(Activity.objects.filter(year=YEAR, province__code=code))
        roll = rng.random()
        if roll < 0.15 or not activities:
            _activity(allocations[code], budget=Decimal(rng.randint(1, 9) * 1_000_000))
            continue
        activity = rng.choice(activities)
        taken = set(activity.participations.values_list("firm_id", flat=True))
        free = [f for f in firms[code] if f.pk not in taken]
        outputs = list(Output.objects.filter(activity=activity))
        handovers = list(Handover.objects.filter(activity=activity))
        if roll < 0.35 and free:
            make_participation(activity, rng.choice(free))
        elif roll < 0.45:
            make_participant(activity)
        elif roll < 0.6 and taken:
            participation = rng.choice(list(activity.participations.all()))
            make_output(
                participation,
                quantity=rng.randint(10, 500),
                product_type=rng.choice(ProductType.values),
                ordered_quantity=None,
            )
        elif roll < 0.7 and outputs:
            output = rng.choice(outputs)
            if output.remaining > 0:
                make_handover(
                    output,
                    quantity=rng.randint(1, output.remaining),
                    recipient_type=rng.choice(RecipientType.values),
                )
        elif roll < 0.78 and outputs:
            output = rng.choice(outputs)
            output.product_type = rng.choice(ProductType.values)
            output.quantity += rng.randint(0, 50)
            output.save()
        elif roll < 0.84 and handovers:
            rng.choice(handovers).delete()
        elif roll < 0.9 and taken and not outputs:
            rng.choice(list(activity.participations.all())).delete()
        elif roll < 0.95:
            activity.status = rng.choice([ActivityStatus.PLANNED, ActivityStatus.RUNNING])
            activity.target_participants = rng.randint(1, 40)
            activity.save()
        elif not handovers:
            Output.objects.filter(activity=activity).delete()
            activity.delete()
        assert_exact(step)
    assert Tally.objects.filter(year=YEAR).exists()
    filters = reports.Filters(year=YEAR)
    for user in (pusat, operators["51"]):
        assert reports.national_recap(user, filters) == reports.national_recap(user, filters, live=True)
        tallied, live = reports.covid_report(user, filters), reports.covid_report(user, filters, live=True)
        assert (tallied.rows, tallied.totals) == (live.rows, live.totals)
    province = allocations["63"].province
    assert reports.national_recap(pusat, filters, province=province) == reports.national_recap(
        pusat, filters, province=province, live=True
    )


def test_the_copy_generator_fires_the_triggers_too(admin, pusat, operators):
    """seed_demo --copy writes by COPY with session_replication_role = replica (foreign keys checked at the
    end): the tally triggers are ENABLE ALWAYS, so they still fire."""
    _synthetic(admin, pusat, operators, copy=True, year=YEAR)
    assert (
        tally("51", "participations") == Participation.objects.filter(year=YEAR, province__code="51").count()
    )
    assert_exact()


def test_the_unfiltered_recap_reads_the_tallies_not_the_records(admin, pusat, operators):
    _synthetic(admin, pusat, operators, year=YEAR)
    summed = ("programs_participation", "programs_participant", "programs_output", "programs_handover")
    with CaptureQueriesContext(connection) as queries:
        recap = reports.national_recap(pusat, reports.Filters(year=YEAR))
        reports.covid_report(pusat, reports.Filters(year=YEAR))
    sql = " ".join(q["sql"] for q in queries)
    assert not [table for table in summed if f'"{table}"' in sql]
    assert '"programs_tally"' in sql
    assert recap == reports.national_recap(pusat, reports.Filters(year=YEAR), live=True)
    # Narrowed to some activities, the figures can only come from the records.
    with CaptureQueriesContext(connection) as queries:
        reports.national_recap(pusat, reports.Filters(year=YEAR, kind="bimtek"))
    assert '"programs_participation"' in " ".join(q["sql"] for q in queries)


def test_an_operator_reads_only_their_own_provinces_tallies(admin, pusat, operators, operator):
    _synthetic(admin, pusat, operators, year=YEAR)
    recap = reports.national_recap(operator, reports.Filters(year=YEAR))
    assert [r["province_code"] for r in recap.rows] == ["51"]
    assert recap.totals["firms"] == tally("51", "firms") > 0
    assert not Tally.objects.visible_to(operator).exclude(province__code="51").exists()
    assert not NationalTally.objects.visible_to(operator).exists()


def test_the_tallies_command_finds_a_difference_and_rebuilds(admin, pusat, operators, capsys):
    _synthetic(admin, pusat, operators, year=YEAR)
    call_command("tallies")
    Tally.objects.filter(year=YEAR, measure="participants").update(amount=7)
    with pytest.raises(CommandError, match="tidak sama"):
        call_command("tallies")
    err = capsys.readouterr().err
    assert "tally: 4 baris berbeda" in err  # two provinces, each stored 7 and counted otherwise
    assert "tersimpan: (2033, " in err and "'participants', Decimal('7'))" in err
    call_command("tallies", "--rebuild")
    assert_exact()
    assert tally("51", "participants") == Participant.objects.filter(year=YEAR, province__code="51").count()
