"""seed_demo: the demo users, the real cases of 2020 (DOMAIN.md) and the synthetic --scale years.

Seeding takes seconds, so it runs once for the module (the demo plus one synthetic province-year, Bali
2021) inside a transaction rolled back at the end; each test runs in a savepoint within it.
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

pytestmark = [
    pytest.mark.django_db,
    # The demo data is built once per process that runs this module (about 15 s): in one worker, once.
    pytest.mark.xdist_group("seed_demo"),
]


def seed(**options):
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out, stderr=StringIO(), verbosity=0, **options)
    return out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def demo_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed(**SYNTHETIC_BALI_2021)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


SYNTHETIC_BALI_2021 = {"scale": 1, "provinces": ["51"], "years": [2021]}


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
