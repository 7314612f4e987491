"""seed_demo: the demo users, the real cases of 2020 (DOMAIN.md) and the synthetic --scale years.

The demo plus one synthetic province-year (Bali 2021) is seeded once for the package
(tests/seeded/conftest.py) inside a transaction rolled back at the end; each test runs in a savepoint.
"""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from accounts.roles import GROUP_NAMES, Role
from programs.management.demo import DEMO_PASSWORD_DEFAULT, REFOCUSING_REASON
from programs.management.synthetic import SYNTHETIC_REASON, Synthetic
from programs.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Allocation,
    DeliveryMode,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    PartnerKind,
    ProductType,
    Realisation,
    RecipientType,
    ReviewEvent,
)
from provinces.models import Province, Regency
from tests.seeded.conftest import GROUP, SYNTHETIC_BALI_2021, seed

pytestmark = [
    pytest.mark.django_db,
    # The demo data is seeded once for the package (tests/seeded/conftest.py): its modules in one worker.
    pytest.mark.xdist_group(GROUP),
]


def counts():
    """Rows of every model of the programme (history included) and of users."""
    models = [*apps.get_app_config("programs").get_models(), get_user_model()]
    return {model._meta.label: model._default_manager.count() for model in models}


# --- The real cases of 2020 ---------------------------------------------------------------------------------


def test_34_provinces_have_an_allocation_for_2020_refocused_in_april():
    allocations = Allocation.objects.filter(year=2020)
    assert allocations.count() == 34
    assert set(allocations.values_list("province", flat=True)) == set(
        Province.objects.active_in(2020).values_list("pk", flat=True)
    )
    for allocation in allocations.prefetch_related("revisions", "realisations"):
        (revision,) = allocation.revisions.all()
        assert revision.revised_on.year == 2020 and revision.revised_on.month == 4
        assert revision.reason == REFOCUSING_REASON
        assert revision.previous_pagu == allocation.pagu
        assert allocation.current_pagu == revision.new_pagu < allocation.pagu
        assert Decimal(1_000_000_000) <= allocation.pagu <= Decimal(10_000_000_000)
        assert allocation.dipa_date.year == 2019
        amounts = [r.amount for r in allocation.realisations.all()]
        assert amounts and allocation.realised_total == sum(amounts) <= allocation.current_pagu


def test_kalimantan_selatan_masks_ordered_by_the_task_force_total_100000():
    activity = Activity.objects.get(province__code="63", year=2020, title__icontains="pesanan Gugus Tugas")
    assert activity.kind == ActivityKind.PENDAMPINGAN
    assert activity.mode == DeliveryMode.COMBINED
    assert "Protokol Kesehatan" in activity.title
    task_force = activity.partners.get(kind=PartnerKind.GUGUS_TUGAS)
    assert task_force.name == "Gugus Tugas Percepatan Penanganan Covid-19 Provinsi Kalimantan Selatan"
    orders = Output.objects.filter(activity=activity, buyer=task_force, product_type=ProductType.MASK)
    assert orders.aggregate(total=Sum("ordered_quantity"))["total"] == 100_000
    assert not Output.objects.filter(activity=activity, buyer__isnull=True).exists()
    assert set(Firm.objects.filter(participations__activity=activity).values_list("sector", flat=True)) == {
        "sandang"
    }


def test_sulawesi_tengah_sewing_mentoring_gave_3000_standard_masks_of_10_firms_to_the_public():
    activity = Activity.objects.get(province__code="72", year=2020, title__icontains="penjahitan")
    assert activity.kind == ActivityKind.PENDAMPINGAN
    assert activity.participations.count() == 10
    outputs = Output.objects.filter(activity=activity)
    assert outputs.values("participation__firm").distinct().count() == 10
    assert outputs.aggregate(total=Sum("quantity"))["total"] == 3_000
    assert not outputs.filter(Q(meets_standard=False) | ~Q(product_type=ProductType.MASK)).exists()
    to_public = Handover.objects.filter(activity=activity, recipient_type=RecipientType.PUBLIC)
    assert to_public.aggregate(total=Sum("quantity"))["total"] == 3_000
    assert set(to_public.values_list("recipient_name", flat=True)) == {"Masyarakat Kota Palu"}


def test_sumatera_selatan_apd_went_to_the_provincial_task_force():
    activity = Activity.objects.get(province__code="16", year=2020, title__icontains="APD")
    assert activity.kind == ActivityKind.BIMTEK and activity.covid_response
    handovers = Handover.objects.filter(activity=activity)
    assert set(handovers.values_list("output__product_type", flat=True)) == {
        ProductType.HAZMAT,
        ProductType.FACE_SHIELD,
        ProductType.MASK,
    }
    assert set(handovers.values_list("recipient_type", "recipient__kind", "recipient__name")) == {
        (
            RecipientType.TASK_FORCE_PROVINCE,
            PartnerKind.GUGUS_TUGAS,
            "Gugus Tugas Percepatan Penanganan Covid-19 Provinsi Sumatera Selatan",
        )
    }


def test_bangli_has_its_two_layer_cloth_mask_bimtek():
    activity = Activity.objects.get(year=2020, title__icontains="Masker Kain 2 Lapis")
    assert activity.kind == ActivityKind.BIMTEK
    assert (activity.province.code, activity.regency.code) == ("51", "51.06")
    assert Output.objects.filter(activity=activity, product="Masker kain 2 lapis").count() == 10


def test_2020_activities_mostly_june_july_some_postponed_to_august_september_for_psbb():
    activities = Activity.objects.filter(year=2020)
    june_july = activities.filter(planned_start__gte=date(2020, 6, 1), planned_end__lte=date(2020, 7, 31))
    assert june_july.count() > activities.count() / 2
    postponed = activities.filter(status=ActivityStatus.POSTPONED)
    assert postponed.count() >= 3
    for activity in postponed:
        assert "PSBB" in activity.status_reason
        assert activity.planned_start.month in (8, 9) and activity.planned_end.month in (8, 9)
    assert set(activities.values_list("mode", flat=True)) == {DeliveryMode.ONLINE, DeliveryMode.COMBINED}
    assert set(activities.values_list("kind", flat=True)) == set(ActivityKind.values)


def test_new_entrepreneurs_have_a_nik_only_sometimes():
    participants = Participant.objects.filter(year=2020, activity__kind=ActivityKind.WIRAUSAHA_BARU)
    with_nik = participants.exclude(nik="")
    assert with_nik.exists() and participants.filter(nik="").exists()
    assert all(len(nik) == 16 and nik.isdigit() for nik in with_nik.values_list("nik", flat=True))


def test_firms_sit_in_official_regencies_of_their_province_with_unique_nibs():
    firms = Firm.objects.select_related("regency")
    assert firms.count() > 100
    for firm in firms:
        # A firm of 2020 sits where its regency was then; one of 2024 in a province formed in 2022 too.
        assert firm.province_id in (firm.regency.province_in(2020).pk, firm.regency.province_id)
        assert len(firm.nib) == 13 and firm.nib.isdigit()
    assert not Firm.objects.values("nib").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert firms.filter(sector="sandang").count() > firms.count() / 2


def test_2020_totals_match_their_rows():
    outputs = Output.objects.filter(year=2020).annotate(handed=Sum("handovers__quantity"))
    for output in outputs:
        assert output.handed_over_total == (output.handed or 0)
    assert not Participation.objects.exclude(province=F("activity__province")).exists()


def test_demo_rows_have_history_by_admin():
    activity = Activity.objects.filter(year=2020).first()
    record = activity.history.earliest()
    assert record.history_user.username == "admin"
    assert record.history_change_reason == "Data demo (seed_demo)"


# --- Users ------------------------------------------------------------------------------------------------


def test_demo_users_have_their_roles_and_provinces(django_user_model):
    def groups(username):
        return set(django_user_model.objects.get(username=username).groups.values_list("name", flat=True))

    assert groups("admin") == {GROUP_NAMES[Role.ADMIN]}
    assert groups("pusat") == {GROUP_NAMES[Role.MINISTRY]}
    assert groups("viewer") == {GROUP_NAMES[Role.VIEWER]}
    assert django_user_model.objects.get(username="viewer").province is None
    operators = django_user_model.objects.filter(groups__name=GROUP_NAMES[Role.OPERATOR])
    assert operators.count() == 38 == Province.objects.count()
    assert all(user.username == f"op-{user.province.code}" for user in operators.select_related("province"))
    assert django_user_model.objects.get(username="op-63").province.code == "63"
    assert set(django_user_model.objects.filter(is_staff=True).values_list("username", flat=True)) == {
        "admin"
    }
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD_DEFAULT)


def test_the_output_says_how_to_sign_in(demo_output):
    assert DEMO_PASSWORD_DEFAULT in demo_output
    for username in ("admin", "pusat", "viewer", "op-63"):
        assert username in demo_output


# --- Running again ----------------------------------------------------------------------------------------


def test_a_second_run_changes_no_count(settings):
    before = counts()
    settings.DEBUG = True
    out = StringIO()
    options = {**SYNTHETIC_BALI_2021, "provinces": ["51", "93"]}
    call_command("seed_demo", stdout=out, stderr=StringIO(), verbosity=0, **options)
    assert counts() == before
    assert "Kasus nyata 2020: sudah lengkap" in out.getvalue()
    assert "Dilewati: Bali 2021 (sudah ada data sintetis)" in out.getvalue()
    assert "Dilewati: Papua Selatan 2021 (belum terbentuk pada 2021)" in out.getvalue()


def test_refused_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=True atau --force"):
        call_command("seed_demo", stdout=StringIO())


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="negatif"):
        seed(scale=-1)
    with pytest.raises(CommandError, match="99"):
        seed(scale=1, provinces=["99"])


# --- Synthetic years --------------------------------------------------------------------------------------


def test_scale_1_builds_a_consistent_year_for_one_province(demo_output):
    allocation = Allocation.objects.get(province__code="51", year=2021)
    activities = Activity.objects.filter(allocation=allocation)
    assert activities.count() == 40
    assert not activities.annotate(n=Count("participations")).exclude(n=25).exists()
    assert Participation.objects.filter(activity__allocation=allocation).count() == 1_000
    assert not Allocation.objects.filter(year=2021).exclude(province__code="51").exists()
    assert "1.000 IKM peserta" in demo_output

    # The running totals equal the sums that save() would have kept.
    realisations = Realisation.objects.filter(allocation=allocation)
    assert realisations.count() == 12
    assert (
        allocation.realised_total == realisations.aggregate(s=Sum("amount"))["s"] <= allocation.current_pagu
    )
    latest = allocation.revisions.order_by("-revised_on", "-pk").first()
    assert allocation.current_pagu == (latest.new_pagu if latest else allocation.pagu)
    outputs = Output.objects.filter(year=2021, province__code="51").annotate(
        handed=Sum("handovers__quantity")
    )
    assert 800 <= outputs.count() <= 1_000
    assert Handover.objects.filter(year=2021, province__code="51").count() >= 800
    for output in outputs:
        assert output.handed_over_total == (output.handed or 0) <= output.quantity

    # The copied province, year and activity match their parents.
    for model, parent in ((Participation, "activity"), (Participant, "activity"), (Output, "participation")):
        rows = model.objects.filter(year=2021)
        assert rows.exists()
        assert not rows.exclude(province=F(f"{parent}__province"), year=F(f"{parent}__year")).exists()
    assert not Output.objects.filter(year=2021).exclude(activity=F("participation__activity")).exists()
    handovers = Handover.objects.filter(year=2021)
    assert not handovers.exclude(
        activity=F("output__activity"), province=F("output__province"), year=F("output__year")
    ).exists()
    assert not Participation.objects.filter(year=2021).exclude(firm__province=F("province")).exists()


def test_synthetic_only_adds_the_synthetic_year_and_leaves_the_demo_unread():
    """The bench's second processes: the users checked, the synthetic years built, the demo not touched."""
    out = seed(scale=1, provinces=["52"], years=[2021], synthetic_only=True)
    assert "Kasus nyata 2020" not in out and "tugas pembantuan" not in out
    assert "Data sintetis 1x untuk 1 provinsi-tahun" in out
    allocation = Allocation.objects.get(province__code="52", year=2021)
    assert allocation.dipa_number.startswith("SP DIPA-019.03.4.S")
    assert Activity.objects.filter(allocation=allocation).count() == 40


def test_scale_rows_have_history_by_the_acting_user():
    created = {
        Allocation: Allocation.objects.filter(year=2021),
        Realisation: Realisation.objects.filter(allocation__year=2021),
        Activity: Activity.objects.filter(year=2021),
        Participation: Participation.objects.filter(year=2021),
        Participant: Participant.objects.filter(year=2021),
        Output: Output.objects.filter(year=2021),
        Handover: Handover.objects.filter(year=2021),
    }
    for model, rows in created.items():
        history = model.history.filter(history_change_reason=SYNTHETIC_REASON, history_type="+")
        assert history.count() == rows.count() > 0, model
        assert set(history.values_list("history_user__username", flat=True)) == {"admin"}
    firms = Firm.objects.filter(nib__startswith="9951")
    assert firms.count() == 300
    assert Firm.history.filter(history_change_reason=SYNTHETIC_REASON).count() == 300
    # The partners linked in bulk are on the activities' history too.
    activity = Activity.objects.filter(year=2021).first()
    assert list(activity.history.latest().partners.values_list("partner", flat=True)) == list(
        activity.partners.values_list("pk", flat=True)
    )
    assert ReviewEvent.objects.filter(year=2021, province__code="51").exists()


def test_scale_is_reproducible(django_user_model):
    """The same province-year built twice (rolled back in between) gives the same data."""
    users = {
        u.username: u for u in django_user_model.objects.filter(username__in=["admin", "pusat", "op-63"])
    }
    province = Province.objects.get(code="63")

    def build():
        run = Synthetic(
            scale=1, actor=users["admin"], ministry=users["pusat"], operators={"63": users["op-63"]}
        )
        run.build(2022, province)
        activities = Activity.objects.filter(year=2022).order_by("title")
        outputs = Output.objects.filter(year=2022).order_by("participation__firm__nib", "activity__title")
        # sorted in Python: names and titles repeat, and ids differ between the two builds
        return (
            sorted(activities.values_list("title", "budget", "planned_start", "status", "regency")),
            sorted(
                outputs.values_list("participation__firm__nib", "product", "quantity", "handed_over_total")
            ),
            sorted(Firm.objects.filter(nib__startswith="9963").values_list("nib", "name", "regency")),
            Allocation.objects.values_list("pagu", "current_pagu", "realised_total").get(year=2022),
        )

    with transaction.atomic():
        first = build()
        transaction.set_rollback(True)
    assert not Allocation.objects.filter(year=2022).exists()
    assert build() == first


def test_regencies_of_synthetic_activities_belong_to_the_province_that_year():
    regencies = Regency.objects.filter(activities__year=2021).distinct()
    assert regencies.exists()
    assert all(regency.province_in(2021).code == "51" for regency in regencies)


# --- The plan of 2020, the closed year, the TP year --------------------------------------------------------


def test_every_2020_province_has_ros_whose_pagus_add_up_to_its_current_pagu():
    from programs.models import PlanItem

    allocations = list(Allocation.objects.filter(year=2020))
    assert len(allocations) == 34
    for allocation in allocations:
        ros = list(PlanItem.objects.filter(allocation=allocation, level="ro"))
        assert 2 <= len(ros) <= 4, allocation
        total = Decimal(0)
        for ro in ros:
            total += ro.pagu
        assert total == allocation.current_pagu, allocation
        assert allocation.fund_type == "DK"
        # Every RO sits under a KRO, a kegiatan and a program, with the official code formats.
        chain = [ro.parent for ro in ros]
        assert all(kro.level == "kro" and kro.parent.level == "kegiatan" for kro in chain)
        assert {kro.parent.parent.code for kro in chain} == {"019.08.DL"}


def test_the_refocusing_revision_moves_ro_pagus_line_by_line():
    from programs.models import PlanItem, RevisionLine

    for allocation in Allocation.objects.filter(year=2020):
        (revision,) = allocation.revisions.all()
        assert revision.revision_code
        lines = list(RevisionLine.objects.filter(revision=revision))
        assert lines
        before = {ro.pk: ro.pagu for ro in PlanItem.objects.filter(allocation=allocation, level="ro")}
        for line in lines:
            assert line.planned_output.allocation_id == allocation.pk
            assert before[line.planned_output_id] == line.new_pagu != line.previous_pagu
            before[line.planned_output_id] = line.previous_pagu
        assert sum(before.values()) == revision.previous_pagu == allocation.pagu


def test_some_ros_have_komponen_and_akun_amounts_adding_up_to_the_ro_pagu_as_entered():
    from programs.models import PlanItem

    akun = PlanItem.objects.filter(allocation__year=2020, level="akun")
    assert akun.count() > 34
    assert set(akun.values_list("spending_type", flat=True)) == {"52"}
    assert {"521211", "521213", "524111"} <= set(akun.values_list("account", flat=True))
    for ro in PlanItem.objects.filter(allocation__year=2020, level="ro", children__isnull=False).distinct():
        lines = PlanItem.objects.filter(
            allocation=ro.allocation, level="akun", code__startswith=ro.code + "."
        )
        entered = ro.history.earliest().pagu
        assert sum(line.pagu for line in lines) == entered


def test_every_2020_activity_names_an_ro_of_its_allocation_and_is_verified():
    activities = Activity.objects.filter(year=2020).select_related("planned_output")
    assert activities.count() > 34
    for activity in activities:
        assert activity.planned_output is not None, activity
        assert activity.planned_output.allocation_id == activity.allocation_id
        assert activity.planned_output.level == "ro"
        assert activity.review_status == "terverifikasi"
        events = ReviewEvent.objects.filter(object_id=activity.pk, content_type__model="activity")
        assert set(events.values_list("action", flat=True)) == {"ajukan", "verifikasi"}


def test_every_2020_month_is_verified_with_lines_adding_up_to_its_amount():
    from programs.models import RealisationLine

    realisations = Realisation.objects.filter(allocation__year=2020)
    assert realisations.count() == 34 * 12
    assert set(realisations.values_list("review_status", flat=True)) == {"terverifikasi"}
    for realisation in realisations:
        lines = list(RealisationLine.objects.filter(realisation=realisation))
        assert lines and sum(line.amount for line in lines) == realisation.amount
        assert all(line.planned_output.allocation_id == realisation.allocation_id for line in lines)


def test_2020_is_closed():
    from programs.models import FiscalYear

    assert FiscalYear.objects.get(year=2020).is_closed


def test_each_2020_allocation_has_two_rpd_versions_of_36_lines():
    from programs.models import CashPlan, CashPlanLine

    for allocation in Allocation.objects.filter(year=2020):
        plans = {p.number: p for p in CashPlan.objects.filter(allocation=allocation)}
        assert set(plans) == {1, 2}
        totals = {}
        for number, plan in plans.items():
            lines = list(CashPlanLine.objects.filter(cash_plan=plan))
            assert len(lines) == 36
            assert {(line.month, line.spending_type) for line in lines} == {
                (m, t) for m in range(1, 13) for t in ("51", "52", "53")
            }
            totals[number] = sum(line.amount for line in lines)
        assert totals == {1: allocation.pagu, 2: allocation.current_pagu}
        assert plans[2].entered_at.month == 4


def test_sulawesi_tengah_mentoring_counts_its_10_ikm_once_each_on_its_ro():
    activity = Activity.objects.get(province__code="72", year=2020, title__icontains="penjahitan")
    ro = activity.planned_output
    assert (ro.measure, ro.unit, ro.target) == ("ikm", "ikm", 10)
    verified = Activity.objects.filter(planned_output=ro, review_status="terverifikasi")
    firms = set()
    for participation in Participation.objects.filter(activity__in=verified):
        firms.add(participation.firm_id)
    assert len(firms) == 10


def test_the_mask_cases_count_on_a_mask_ro_and_manual_ros_have_verified_evidence():
    from programs.models import Achievement

    for code, title in (("63", "pesanan Gugus Tugas"), ("51", "Masker Kain 2 Lapis")):
        ro = Activity.objects.get(province__code=code, year=2020, title__icontains=title).planned_output
        assert (ro.measure, ro.product_type) == ("produk", "masker")
    kalsel = Activity.objects.get(province__code="63", year=2020, title__icontains="pesanan").planned_output
    assert kalsel.target == 100_000
    achievements = Achievement.objects.filter(planned_output__allocation__year=2020)
    assert achievements.count() == 34
    for achievement in achievements:
        assert achievement.review_status == "terverifikasi" and achievement.planned_output.measure == "manual"
        assert achievement.evidence.open("rb").read(5) == b"%PDF-"


def test_new_entrepreneurs_of_2020_founded_firms_with_a_nib():
    founders = Participant.objects.filter(year=2020, founded_firm__isnull=False).select_related(
        "founded_firm"
    )
    assert founders.exists()
    for participant in founders:
        assert participant.founded_firm.owner_name == participant.name
        assert participant.founded_firm.province_id == participant.province_id


def test_2024_is_a_tp_year_for_38_provinces_with_plans_in_progress():
    from programs.models import FiscalYear, PlanItem

    allocations = Allocation.objects.filter(year=2024)
    assert allocations.count() == 38
    assert set(allocations.values_list("fund_type", flat=True)) == {"TP"}
    for allocation in allocations:
        ros = PlanItem.objects.filter(allocation=allocation, level="ro")
        assert ros.count() >= 2
        assert sum(ro.pagu for ro in ros) == allocation.current_pagu
    assert not FiscalYear.objects.get(year=2024).is_closed
    activities = Activity.objects.filter(year=2024)
    states = set(activities.values_list("review_status", flat=True))
    assert {"draf", "diajukan"} <= states
    assert set(Realisation.objects.filter(allocation__year=2024).values_list("review_status", flat=True)) >= {
        "terverifikasi",
        "diajukan",
    }
    assert activities.filter(status=ActivityStatus.RUNNING).exists()
    assert not activities.filter(planned_output__isnull=True).exists()
    assert not activities.exclude(planned_output__allocation=F("allocation")).exists()


def test_a_synthetic_year_has_a_plan_adding_up_to_its_current_pagu_and_tags_every_activity():
    from programs.models import PlanItem, RealisationLine

    allocation = Allocation.objects.get(province__code="51", year=2021)
    assert allocation.fund_type == "DK"
    ros = PlanItem.objects.filter(allocation=allocation, level="ro")
    assert ros.count() == 3
    assert sum(ro.pagu for ro in ros) == allocation.current_pagu
    activities = Activity.objects.filter(allocation=allocation)
    assert not activities.filter(planned_output__isnull=True).exists()
    assert not activities.exclude(planned_output__allocation=allocation).exists()
    assert activities.values("planned_output").distinct().count() == 3
    for realisation in Realisation.objects.filter(allocation=allocation):
        lines = RealisationLine.objects.filter(realisation=realisation)
        assert sum(line.amount for line in lines) == realisation.amount


def _json(client, url):
    import json

    response = client.get(url)
    assert response.status_code == 200, url
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


def _achieved_by_hand(ro):
    """An RO's 2020 achievement as of December counted from the verified records with plain loops (the
    measures as README's "Capaian JSON" defines them), not by the report's queries."""
    end = date(2020, 12, 31)
    held = [
        a
        for a in Activity.objects.filter(planned_output=ro, review_status="terverifikasi")
        if (a.actual_end or a.planned_end) <= end
    ]
    if ro.measure == "ikm":
        return len({p.firm_id for a in held for p in a.participations.all()})
    if ro.measure == "peserta":
        people = [p for a in held for p in a.participants.all()]
        return len({p.nik for p in people if p.nik}) + sum(1 for p in people if not p.nik)
    if ro.measure == "wirausaha_nib":
        founded = [p.founded_firm for a in held for p in a.participants.all() if p.founded_firm_id]
        return len({f.pk for f in founded if f.nib})
    if ro.measure == "produk":
        verified = Activity.objects.filter(planned_output=ro, review_status="terverifikasi")
        return sum(
            o.quantity
            for a in verified
            for o in a.outputs.all()
            if o.product_type == ro.product_type and o.produced_on <= end
        )
    if ro.measure == "kegiatan":
        return sum(1 for a in held if a.status == "selesai" and a.actual_end <= end)
    return sum(x.quantity for x in ro.achievements.all() if x.review_status == "terverifikasi")


def test_the_2020_capaian_of_every_province_equals_a_count_of_its_verified_records(client):
    """Each of the 34 provinces' capaian (the JSON the page serves) has ROs whose pagus add up to the current
    pagu, and every achieved figure equals the records counted by hand. (Every test here also checks, at its
    end, the sums PostgreSQL checks at commit: tests/conftest.py.)"""
    from programs.models import PlanItem

    client.force_login(get_user_model().objects.get(username="pusat"))
    allocations = Allocation.objects.filter(year=2020).select_related("province")
    assert allocations.count() == 34
    reached = {}
    for allocation in allocations:
        code = allocation.province.code
        body = _json(client, f"/laporan/provinsi/{code}/capaian/?tahun=2020&bulan=12&format=json")
        assert (body["year"], body["province_code"], body["fund_type"], body["as_of"]) == (
            2020,
            code,
            "DK",
            "2020-12",
        )
        ros = {r.code: r for r in PlanItem.objects.filter(allocation=allocation, level="ro")}
        assert ros and {row["code"] for row in body["rows"]} == set(ros)
        assert sum(r.pagu for r in ros.values()) == allocation.current_pagu
        assert Decimal(str(body["totals"]["pagu"])) == allocation.current_pagu
        for row in body["rows"]:
            assert row["achieved"] == _achieved_by_hand(ros[row["code"]]), (code, row["code"])
            reached.setdefault(row["measure"], set()).add(row["achieved"] > 0)
    # Every kind of measure the demo uses counts something somewhere: the equalities above are not 0 == 0.
    assert all(True in seen for seen in reached.values()), reached
    sulteng = Activity.objects.get(province__code="72", year=2020, title__icontains="penjahitan")
    body = _json(client, "/laporan/provinsi/72/capaian/?tahun=2020&bulan=12&format=json")
    (row,) = [r for r in body["rows"] if r["code"] == sulteng.planned_output.code]
    assert row["achieved"] == 10 == sulteng.participations.values("firm").distinct().count()


def test_every_province_has_its_kepala_dinas_and_banjarmasin_its_city_operator(django_user_model):
    heads = django_user_model.objects.filter(groups__name=GROUP_NAMES[Role.HEAD]).select_related("province")
    assert heads.count() == 38
    assert all(head.username == f"kadis-{head.province.code}" for head in heads)
    assert all(len(head.nip) == 18 and head.nip.isdigit() and head.job_title for head in heads)
    city = django_user_model.objects.select_related("regency", "province").get(username="op-63.71")
    assert set(city.groups.values_list("name", flat=True)) == {GROUP_NAMES[Role.REGENCY_OPERATOR]}
    assert (city.province.code, city.regency.code, city.regency.name) == ("63", "63.71", "Kota Banjarmasin")


def test_2024_packages_are_a_mix_of_on_time_late_missing_and_returned(django_user_model):
    """Counted from the packages and their events, independently of the calendar's code, then compared
    with the board's states."""
    import datetime
    import zoneinfo

    from programs import deadlines, workdays
    from programs.models import ReportPackage, ReviewEvent

    wib = zoneinfo.ZoneInfo("Asia/Jakarta")
    pusat = django_user_model.objects.get(username="pusat")
    board = {
        (r["province_code"], r["kind"], r["period"]): r
        for r in deadlines.rows(2024, user=pusat)
        if r["kind"] == "monthly" and r["period"] <= 3
    }
    expected = {}
    for province in Province.objects.active_in(2024):
        for month in (1, 2, 3):
            # The 5th working day of the next month, counted here day by day.
            day, count = datetime.date(2024, month + 1, 1), 0
            while True:
                if workdays.is_working_day(day):
                    count += 1
                    if count == 5:
                        break
                day += datetime.timedelta(days=1)
            package = ReportPackage.objects.filter(
                allocation__province=province, allocation__year=2024, kind="bulanan", period=month
            ).first()
            first = (
                ReviewEvent.objects.filter(
                    object_id=package.pk, action="siapkan", content_type__model="reportpackage"
                )
                .order_by("at")
                .first()
                if package
                else None
            )
            if first is None:
                state = "missing"
            else:
                state = "on_time" if first.at.astimezone(wib).date() <= day else "late"
            expected[(province.code, "monthly", month)] = state
    assert {key: row["state"] for key, row in board.items()} == expected
    states = set(expected.values())
    assert states == {"on_time", "late", "missing"}
    returned = ReportPackage.objects.filter(allocation__year=2024, review_status="dikembalikan")
    assert returned.count() >= 2
    assert {
        e.action
        for e in ReviewEvent.objects.filter(
            object_id__in=returned.values("pk"), action__startswith="kembalikan"
        )
    } == {
        "kembalikan",
        "kembalikan_kadis",
    }
    assert all(
        board[(p.allocation.province.code, "monthly", p.period)]["returned"]
        for p in returned.select_related("allocation__province")
    )
    quarters = set(
        ReportPackage.objects.filter(allocation__year=2024, kind="triwulanan").values_list(
            "review_status", flat=True
        )
    )
    assert quarters == {"disiapkan", "diajukan"}
