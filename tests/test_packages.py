"""A period's package and its two-tier sign-off (issue 16): the operator prepares a month or a quarter, the
Kepala Dinas approves it or returns it with a note, the ministry verifies or returns it — one at a time
and many at once from the queue. The records a package holds follow it; nothing is added to a handed-over
period; the data migration gives existing records their package."""

import importlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from programs import packages, services
from programs.models import (
    Achievement,
    CashPlan,
    CashPlanLine,
    QuarterlyNote,
    Realisation,
    ReportPackage,
    ReviewEvent,
    ReviewStatus,
)
from programs.workflow import ReviewAction
from tests.factories import make_allocation, make_plan, make_realisation, make_user, preparer

pytestmark = pytest.mark.django_db

JUNE = Decimal("125000000")


@pytest.fixture
def allocation(db):
    """Kalimantan Selatan (63) 2020, with June's realisation and an RPD planning June."""
    return make_allocation("63", 2020)


@pytest.fixture
def june(allocation):
    return make_realisation(allocation, month=6, amount=JUNE)


@pytest.fixture
def rpd(allocation, operator_b):
    plan = CashPlan.objects.create(allocation=allocation, number=1, entered_by=operator_b)
    CashPlanLine.objects.create(cash_plan=plan, month=6, spending_type="52", amount=Decimal("90000000"))
    CashPlanLine.objects.create(cash_plan=plan, month=6, spending_type="53", amount=Decimal("10000000"))
    CashPlanLine.objects.create(cash_plan=plan, month=7, spending_type="52", amount=Decimal("70000000"))
    return plan


def _open(client, allocation, kind="bulanan", period=6):
    """The budget page's "Buka paket" button: a POST that starts the period's package."""
    return client.post(reverse("programs:package_open", args=[allocation.pk, kind, period]))


def _act(client, package, slug, **data):
    return client.post(reverse("programs:package_transition", args=[package.pk, slug]), data)


def _state(obj):
    return type(obj)._base_manager.get(pk=obj.pk).review_status


def _june_verified_in_the_report(client):
    url = reverse("reports:province", args=["63"]) + "?tahun=2020&verifikasi=terverifikasi&format=json"
    response = client.get(url)
    body = json.loads(b"".join(response.streaming_content))
    return next(m for m in body["monthly"]["rows"] if m["label"] == "Juni")["realised"]


def test_the_whole_cycle_by_the_pages(
    allocation, june, rpd, operator_b, kadis_b, pusat, operator_b_client, kadis_b_client, pusat_client
):
    # The operator opens June's package from the budget page: started on the way.
    budget = operator_b_client.get(reverse("programs:budget", args=[allocation.pk])).content.decode()
    assert reverse("programs:package_open", args=[allocation.pk, "bulanan", 6]) in budget
    response = _open(operator_b_client, allocation)
    package = ReportPackage.objects.get(allocation=allocation, kind="bulanan", period=6)
    assert response.status_code == 302 and response.url == reverse(
        "programs:package_detail", args=[package.pk]
    )
    page = operator_b_client.get(response.url).content.decode()
    assert "Rp 125.000.000" in page  # the month's realisation
    assert "Rp 100.000.000" in page  # the RPD's June: 90 + 10 million
    assert reverse("programs:package_transition", args=[package.pk, "siapkan"]) in page

    # Prepared: handed to the Kepala Dinas, locked for the operator.
    assert _act(operator_b_client, package, "siapkan").status_code == 302
    package.refresh_from_db()
    assert (package.review_status, package.submitted_by, package.cash_plan) == (
        ReviewStatus.PREPARED,
        operator_b,
        rpd,
    )
    assert _state(june) == ReviewStatus.PREPARED
    assert operator_b_client.get(reverse("programs:realisation_edit", args=[june.pk])).status_code == 403

    # The Kepala Dinas returns it — a note is required — and the operator reads the note.
    refused = _act(kadis_b_client, package, "kembalikan-kadis", note="  ")
    assert refused.status_code == 400 and "Catatan wajib diisi." in refused.content.decode()
    assert _state(package) == ReviewStatus.PREPARED
    _act(kadis_b_client, package, "kembalikan-kadis", note="Lampirkan SP2D bulan Juni")
    assert _state(package) == _state(june) == ReviewStatus.RETURNED
    detail = operator_b_client.get(reverse("programs:package_detail", args=[package.pk])).content.decode()
    assert "Lampirkan SP2D bulan Juni" in detail
    budget = operator_b_client.get(reverse("programs:budget", args=[allocation.pk])).content.decode()
    assert "Lampirkan SP2D bulan Juni" in budget
    assert operator_b_client.get(reverse("programs:realisation_edit", args=[june.pk])).status_code == 200

    # Prepared again, approved: on its way to the ministry, locked.
    _act(operator_b_client, package, "siapkan")
    assert _act(kadis_b_client, package, "setujui").status_code == 302
    package.refresh_from_db()
    assert (package.review_status, package.approved_by) == (ReviewStatus.SUBMITTED, kadis_b)
    assert package.approved_at is not None and package.submitted_at <= package.approved_at
    assert _state(june) == ReviewStatus.SUBMITTED
    assert operator_b_client.get(reverse("programs:realisation_edit", args=[june.pk])).status_code == 403
    response = operator_b_client.post(
        reverse("programs:realisation_edit", args=[june.pk]), {"month": 6, "version": june.version}
    )
    assert response.status_code == 403
    # The verified-only figures do not count it yet; the ministry sees who prepared and approved it.
    assert _june_verified_in_the_report(pusat_client) is None
    queue = pusat_client.get(reverse("programs:review_queue")).content.decode()
    assert f'name="paket" value="{package.pk}"' in queue
    assert "op-63" in queue and "kadis-63" in queue

    assert _act(pusat_client, package, "verifikasi").status_code == 302
    assert _state(package) == _state(june) == ReviewStatus.VERIFIED
    assert _june_verified_in_the_report(pusat_client) == int(JUNE)

    # One event per step, on the package; the realisation's history has a row per step, by its actor.
    events = ReviewEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ReportPackage), object_id=package.pk
    ).order_by("at", "pk")
    assert list(events.values_list("action", "actor__username", "to_status", "note")) == [
        ("siapkan", "op-63", "disiapkan", ""),
        ("kembalikan_kadis", "kadis-63", "dikembalikan", "Lampirkan SP2D bulan Juni"),
        ("siapkan", "op-63", "disiapkan", ""),
        ("setujui", "kadis-63", "diajukan", ""),
        ("verifikasi", "pusat", "terverifikasi", ""),
    ]
    assert ReviewEvent.objects.count() == 5  # none of the realisation's own
    rows = june.history.order_by("history_date", "history_id")
    assert [(r.review_status, r.history_user.username) for r in rows[1:]] == [
        ("disiapkan", "op-63"),
        ("dikembalikan", "kadis-63"),
        ("disiapkan", "op-63"),
        ("diajukan", "kadis-63"),
        ("terverifikasi", "pusat"),
    ]
    assert rows.last().history_change_reason == "Diverifikasi"
    detail = pusat_client.get(reverse("programs:package_detail", args=[package.pk])).content.decode()
    assert "Lampirkan SP2D bulan Juni" in detail  # in the event log


def test_a_kadis_of_another_province_gets_404(allocation, june, operator_b, kadis_client):
    package, _ = packages.get_or_start(allocation, "bulanan", 6, actor=operator_b)
    services.prepare(package=package, actor=operator_b)
    assert kadis_client.get(reverse("programs:package_detail", args=[package.pk])).status_code == 404
    for slug in ("setujui", "kembalikan-kadis"):
        assert _act(kadis_client, package, slug, note="x").status_code == 404
    assert _open(kadis_client, allocation).status_code == 404
    assert _state(package) == ReviewStatus.PREPARED


def test_only_the_kadis_approves_and_never_enters_data(
    allocation, june, operator_b, kadis_b, operator_b_client, kadis_b_client, pusat_client
):
    package, _ = packages.get_or_start(allocation, "bulanan", 6, actor=operator_b)
    assert _act(kadis_b_client, package, "siapkan").status_code == 403  # the Kepala Dinas enters nothing
    services.prepare(package=package, actor=operator_b)
    assert _act(operator_b_client, package, "setujui").status_code == 403
    assert _act(pusat_client, package, "setujui").status_code == 403
    assert _act(pusat_client, package, "verifikasi").status_code == 302  # refused: not yet approved
    assert _state(package) == ReviewStatus.PREPARED
    assert kadis_b_client.get(reverse("programs:realisation_edit", args=[june.pk])).status_code in (403, 404)


def test_a_regency_operator_cannot_prepare(allocation, june, operator_b, regency_operator_client):
    assert _open(regency_operator_client, allocation).status_code == 404  # may not start it
    package, _ = packages.get_or_start(allocation, "bulanan", 6, actor=operator_b)
    assert _act(regency_operator_client, package, "siapkan").status_code == 403
    assert _state(package) == ReviewStatus.DRAFT


def test_nothing_is_added_to_a_handed_over_month(allocation, june, operator_b, operator_b_client):
    july, _ = packages.get_or_start(allocation, "bulanan", 7, actor=operator_b)
    services.prepare(package=july, actor=operator_b)  # a month with no realisation may be handed over
    page = operator_b_client.get(reverse("programs:package_detail", args=[july.pk])).content.decode()
    assert "Tidak ada realisasi bulan ini" in page
    response = operator_b_client.post(
        reverse("programs:realisation_add", args=[allocation.pk]),
        {"month": 7, "amount_52": "1000000", "note": ""},
    )
    assert response.status_code == 200
    refusal = "Paket bulan Juli 2020 sudah diajukan (Menunggu persetujuan Kepala Dinas)"
    assert refusal in response.content.decode()
    assert not Realisation.objects.filter(allocation=allocation, month=7).exists()
    with pytest.raises(ValidationError, match="Paket bulan Juli 2020"):
        Realisation(allocation=allocation, month=7, amount=1).full_clean()


def test_a_quarter_needs_its_notes_before_it_is_handed_over(allocation, operator_b, kadis_b):
    package, _ = packages.get_or_start(allocation, "triwulanan", 2, actor=operator_b)
    with pytest.raises(ValidationError, match="permasalahan dan tindak lanjut"):
        services.prepare(package=package, actor=operator_b)
    note = QuarterlyNote.objects.create(allocation=allocation, quarter=2, problems="Pengadaan tertunda")
    with pytest.raises(ValidationError, match="tindak lanjut"):
        services.prepare(package=package, actor=operator_b)
    assert _state(package) == ReviewStatus.DRAFT and not ReviewEvent.objects.exists()
    QuarterlyNote.objects.filter(pk=note.pk).update(follow_up="Lelang ulang Juli")
    services.prepare(package=package, actor=operator_b)
    services.approve(package=package, actor=kadis_b)
    assert _state(note) == ReviewStatus.SUBMITTED


def test_a_months_achievements_follow_their_package(operator_b, kadis_b, pusat):
    allocation = make_allocation("63", 2021)
    (ro,) = make_plan(allocation, ros=[{"measure": "manual", "unit": "dokumen", "target": 2}])
    achievement = Achievement(
        planned_output=ro,
        month=3,
        quantity=1,
        evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf"),
        evidence_name="bukti.pdf",
    )
    achievement.save()
    package, _ = packages.get_or_start(allocation, "bulanan", 3, actor=operator_b)
    services.prepare(package=package, actor=operator_b)
    services.approve(package=package, actor=kadis_b)
    services.return_for_correction(obj=package, actor=pusat, note="Bukti belum ditandatangani")
    stored = Achievement.objects.get(pk=achievement.pk)
    assert (stored.review_status, stored.review_note, stored.reviewed_by) == (
        ReviewStatus.RETURNED,
        "Bukti belum ditandatangani",
        pusat,
    )
    assert stored.history.count() == 4  # made, prepared, approved, returned


# --- The ministry's bulk action ----------------------------------------------------------------------------


@pytest.fixture
def approved(admin):
    """June 2020 packages of Bali, Kalimantan Selatan and Sulawesi Tengah, approved (by an admin)."""
    made = {}
    for code in ("51", "63", "72"):
        allocation = make_allocation(code, 2020)
        make_realisation(allocation, month=6, amount=Decimal("1000000"))
        package, _ = packages.get_or_start(allocation, "bulanan", 6, actor=admin)
        services.prepare(package=package, actor=preparer(code))
        services.approve(package=package, actor=admin)
        made[code] = package
    return made


def _bulk(client, packages_, action, note=""):
    return client.post(
        reverse("programs:package_bulk"),
        {"paket": [p.pk for p in packages_], "action": action, "note": note},
        follow=True,
    )


def test_the_queue_verifies_many_at_once_each_on_its_own(approved, pusat, pusat_client):
    stale = approved["72"]
    services.return_for_correction(obj=stale, actor=pusat, note="Sudah dikembalikan lewat halaman paket")
    events_before = ReviewEvent.objects.count()
    response = _bulk(pusat_client, approved.values(), "verifikasi")
    text = response.content.decode()
    assert "2 paket diverifikasi." in text
    assert "1 paket tidak diproses" in text and "Sulawesi Tengah" in text and "Dikembalikan" in text
    assert [_state(approved[c]) for c in ("51", "63", "72")] == [
        ReviewStatus.VERIFIED,
        ReviewStatus.VERIFIED,
        ReviewStatus.RETURNED,
    ]
    # One event a package, none for the one refused; its records moved with each.
    assert ReviewEvent.objects.count() == events_before + 2
    assert set(
        Realisation.objects.filter(review_status=ReviewStatus.VERIFIED).values_list(
            "allocation__province__code", flat=True
        )
    ) == {"51", "63"}


def test_the_queue_returns_many_with_one_note(approved, pusat_client):
    chosen = [approved["51"], approved["63"]]
    nothing = _bulk(pusat_client, chosen, "kembalikan", note="  ")
    assert "Catatan wajib diisi" in nothing.content.decode()
    assert {_state(p) for p in chosen} == {ReviewStatus.SUBMITTED}
    _bulk(pusat_client, chosen, "kembalikan", note="Lengkapi bukti SP2D")
    assert {_state(p) for p in chosen} == {ReviewStatus.RETURNED}
    assert _state(approved["72"]) == ReviewStatus.SUBMITTED
    notes = ReviewEvent.objects.filter(action=ReviewAction.RETURN).values_list("object_id", "note")
    assert sorted(notes) == sorted((p.pk, "Lengkapi bukti SP2D") for p in chosen)


def test_only_ministry_staff_take_the_bulk_action(approved, operator_client, kadis_client):
    for client in (operator_client, kadis_client):
        assert _bulk(client, approved.values(), "verifikasi").status_code == 403
    assert {_state(p) for p in approved.values()} == {ReviewStatus.SUBMITTED}


def test_the_bulk_action_has_a_bound_on_queries(approved, pusat_client, django_assert_max_num_queries):
    # Per package: its lock and records, the transition and its event, and a notice to each of the
    # province's operators and its Kepala Dinas (here an operator who prepared it and the admin).
    with django_assert_max_num_queries(30 * len(approved)):
        _bulk(pusat_client, approved.values(), "verifikasi")
    assert {_state(p) for p in approved.values()} == {ReviewStatus.VERIFIED}


def test_the_queue_and_the_list_run_a_constant_number_of_queries(admin, pusat_client, kadis_b_client):
    def count(client, url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def approved_months(months):
        allocation = make_allocation("63", 2020) if not ReportPackage.objects.exists() else None
        allocation = allocation or ReportPackage.objects.first().allocation
        for month in months:
            make_realisation(allocation, month=month, amount=Decimal("1000"))
            package, _ = packages.get_or_start(allocation, "bulanan", month, actor=admin)
            services.prepare(package=package, actor=preparer("63"))
            services.approve(package=package, actor=admin)

    approved_months([1])
    queue, listed = reverse("programs:review_queue"), reverse("programs:package_list")
    one = (count(pusat_client, queue), count(pusat_client, listed), count(kadis_b_client, listed))
    approved_months([2, 3, 4, 5])
    assert (count(pusat_client, queue), count(pusat_client, listed), count(kadis_b_client, listed)) == one


def test_the_kadis_list_opens_on_what_awaits_them(allocation, june, operator_b, kadis_b_client):
    waiting, _ = packages.get_or_start(allocation, "bulanan", 6, actor=operator_b)
    services.prepare(package=waiting, actor=operator_b)
    draft, _ = packages.get_or_start(allocation, "bulanan", 7, actor=operator_b)
    page = kadis_b_client.get(reverse("programs:package_list")).content.decode()
    assert reverse("programs:package_detail", args=[waiting.pk]) in page
    assert reverse("programs:package_detail", args=[draft.pk]) not in page
    everything = kadis_b_client.get(reverse("programs:package_list") + "?status=").content.decode()
    assert reverse("programs:package_detail", args=[draft.pk]) in everything


def test_a_package_started_after_its_records_takes_their_state(allocation, operator_b):
    make_realisation(allocation, month=3, review_status=ReviewStatus.VERIFIED)
    package, created = packages.get_or_start(allocation, "bulanan", 3, actor=operator_b)
    assert created and package.review_status == ReviewStatus.VERIFIED
    assert packages.get_or_start(allocation, "bulanan", 3, actor=operator_b) == (package, False)


# --- The data migration (0013) ---------------------------------------------------------------------------


def test_the_data_migration_gives_every_period_its_package(allocation, pusat):
    migration = importlib.import_module("programs.migrations.0013_packages_from_records")
    make_realisation(
        allocation,
        month=1,
        review_status=ReviewStatus.VERIFIED,
        reviewed_by=pusat,
        reviewed_at=timezone.now(),
    )
    make_realisation(allocation, month=2, review_status=ReviewStatus.SUBMITTED)
    make_realisation(allocation, month=3, review_status=ReviewStatus.RETURNED, review_note="Perbaiki")
    QuarterlyNote.objects.create(allocation=allocation, quarter=1, review_status=ReviewStatus.VERIFIED)
    other = make_allocation("51", 2021)
    (ro,) = make_plan(other, ros=[{"measure": "manual", "unit": "dokumen", "target": 2}])
    make_realisation(other, month=4, review_status=ReviewStatus.SUBMITTED)
    Achievement.objects.create(
        planned_output=ro,
        month=4,
        quantity=1,
        evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf"),
        review_status=ReviewStatus.DRAFT,
    )
    migration.forwards(apps, None)
    states = {(p.allocation_id, p.kind, p.period): p.review_status for p in ReportPackage.objects.all()}
    assert states == {
        (allocation.pk, "bulanan", 1): "terverifikasi",
        (allocation.pk, "bulanan", 2): "diajukan",
        (allocation.pk, "bulanan", 3): "dikembalikan",
        (allocation.pk, "triwulanan", 1): "terverifikasi",
        (other.pk, "bulanan", 4): "draf",  # a draft achievement beside a submitted month
    }
    # The records keep their states: the upgrade un-verifies nothing (the package's next step carries them).
    assert Realisation.objects.get(allocation=other, month=4).review_status == "diajukan"
    verified = ReportPackage.objects.get(allocation=allocation, kind="bulanan", period=1)
    assert verified.reviewed_by == pusat and verified.approved_at is None
    migration.forwards(apps, None)  # again: nothing doubled
    assert ReportPackage.objects.count() == 5


def test_the_data_migration_keeps_a_verified_month_verified_and_counts_its_first_handing_over(
    allocation, pusat
):
    migration = importlib.import_module("programs.migrations.0013_packages_from_records")
    first, later = timezone.now() - timedelta(days=60), timezone.now() - timedelta(days=10)
    make_realisation(
        allocation,
        month=5,
        review_status=ReviewStatus.VERIFIED,
        submitted_at=first,
        reviewed_by=pusat,
        reviewed_at=later,
    )
    QuarterlyNote.objects.create(
        allocation=allocation, quarter=2, review_status=ReviewStatus.SUBMITTED, submitted_at=later
    )
    migration.forwards(apps, None)
    assert Realisation.objects.get(allocation=allocation, month=5).review_status == "terverifikasi"
    package = ReportPackage.objects.get(allocation=allocation, kind="bulanan", period=5)
    assert (package.review_status, package.submitted_at) == ("terverifikasi", first)


def test_a_draft_record_cannot_be_moved_into_a_handed_over_month(allocation, operator_b):
    may = make_realisation(allocation, month=5)
    june, _created = packages.get_or_start(allocation, "bulanan", 6, actor=operator_b)
    services.prepare(package=june, actor=operator_b)
    may = Realisation.objects.get(pk=may.pk)
    may.month = 6
    with pytest.raises(ValidationError) as refused:
        may.full_clean()
    assert "sudah diajukan" in str(refused.value)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database's rule, without the form
        Realisation.objects.filter(pk=may.pk).update(month=6)
    assert Realisation.objects.get(pk=may.pk).month == 5


def test_a_link_to_a_package_not_started_writes_nothing_and_shows_the_budget_page(
    allocation, kadis_b_client, operator_b_client
):
    url = reverse("programs:package_open", args=[allocation.pk, "bulanan", 6])
    for client in (kadis_b_client, operator_b_client):  # e.g. a missed deadline's notice, or a forged image
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse(
            "programs:budget", args=[allocation.pk]
        )
    assert not ReportPackage.objects.exists()
    started = operator_b_client.post(url)
    package = ReportPackage.objects.get()
    assert started.url == reverse("programs:package_detail", args=[package.pk])
    assert kadis_b_client.get(url).url == started.url


def test_whoever_prepared_a_package_never_approves_it(allocation, operator_b, kadis_b):
    from accounts.roles import GROUP_NAMES

    operator_b.groups.add(Group.objects.get(name=GROUP_NAMES[Role.HEAD]))  # one person in both roles
    package, _created = packages.get_or_start(allocation, "bulanan", 6, actor=operator_b)
    services.prepare(package=package, actor=operator_b)
    operator_b = type(operator_b).objects.get(pk=operator_b.pk)
    with pytest.raises(PermissionDenied):
        services.approve(package=package, actor=operator_b)
    services.approve(package=package, actor=kadis_b)
    assert _state(package) == "diajukan"


def test_a_ministry_user_without_a_province_has_no_package_to_prepare(allocation, pusat_client):
    assert _open(pusat_client, allocation).status_code == 404
    assert _open(pusat_client, allocation, "triwulanan", 5).status_code == 404
    assert _open(pusat_client, allocation, "mingguan", 1).status_code == 404


def test_an_admin_may_repair_but_the_kadis_of_72_sees_nothing(approved):
    kadis_72 = make_user("kadis-72", Role.HEAD, "72")
    from django.test import Client

    client = Client()
    client.force_login(kadis_72)
    assert client.get(reverse("programs:package_detail", args=[approved["63"].pk])).status_code == 404
    assert client.get(reverse("programs:package_detail", args=[approved["72"].pk])).status_code == 200
