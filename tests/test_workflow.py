"""Draft → submitted → verified, or returned with a note → edited → submitted again; closing a year."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from programs import access, packages, services
from programs.models import Activity, Notification, Realisation, ReviewEvent, ReviewStatus
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participant,
    make_participation,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(db):
    activity = make_activity(make_allocation("51", 2020))
    make_participant(activity)  # submittable: it has a participant (programs/checklist.py)
    return activity


@pytest.fixture
def realisation(activity):
    return Realisation.objects.create(allocation=activity.allocation, month=6, amount=1000)


def _status(obj):
    return type(obj).objects.get(pk=obj.pk).review_status


def test_the_whole_round_trip_records_every_transition(operator, pusat, activity):
    obj = activity
    services.submit(obj=obj, actor=operator)
    assert _status(obj) == ReviewStatus.SUBMITTED
    services.return_for_correction(obj=obj, actor=pusat, note="Lampirkan BAST")
    assert _status(obj) == ReviewStatus.RETURNED
    assert type(obj).objects.get(pk=obj.pk).review_note == "Lampirkan BAST"
    services.submit(obj=obj, actor=operator)
    services.verify(obj=obj, actor=pusat)
    assert _status(obj) == ReviewStatus.VERIFIED
    services.reopen(obj=obj, actor=pusat, note="Angka realisasi dikoreksi")
    assert _status(obj) == ReviewStatus.RETURNED
    events = list(
        ReviewEvent.objects.order_by("at", "pk").values_list("action", "actor__username", "to_status")
    )
    assert events == [
        ("ajukan", "op-51", "diajukan"),
        ("kembalikan", "pusat", "dikembalikan"),
        ("ajukan", "op-51", "diajukan"),
        ("verifikasi", "pusat", "terverifikasi"),
        ("buka_kembali", "pusat", "dikembalikan"),
    ]


def test_a_months_realisation_goes_round_in_its_package(operator, kadis, pusat, realisation):
    """A month's realisation has no actions of its own (issue 16): its package goes round, and it follows."""
    with pytest.raises(TypeError):
        services.submit(obj=realisation, actor=operator)
    package, _ = packages.get_or_start(realisation.allocation, "bulanan", 6, actor=operator)
    services.prepare(package=package, actor=operator)
    services.approve(package=package, actor=kadis)
    services.return_for_correction(obj=package, actor=pusat, note="Lampirkan SP2D")
    assert (_status(realisation), Realisation.objects.get(pk=realisation.pk).review_note) == (
        ReviewStatus.RETURNED,
        "Lampirkan SP2D",
    )
    services.prepare(package=package, actor=operator)
    services.approve(package=package, actor=kadis)
    services.verify(obj=package, actor=pusat)
    assert _status(realisation) == ReviewStatus.VERIFIED
    services.reopen(obj=package, actor=pusat, note="Angka realisasi dikoreksi")
    assert _status(realisation) == ReviewStatus.RETURNED
    events = list(
        ReviewEvent.objects.order_by("at", "pk").values_list("action", "actor__username", "to_status")
    )
    assert events == [
        ("siapkan", "op-51", "disiapkan"),
        ("setujui", "kadis-51", "diajukan"),
        ("kembalikan", "pusat", "dikembalikan"),
        ("siapkan", "op-51", "disiapkan"),
        ("setujui", "kadis-51", "diajukan"),
        ("verifikasi", "pusat", "terverifikasi"),
        ("buka_kembali", "pusat", "dikembalikan"),
    ]


FORBIDDEN_STATES = {
    # action: states it may not start from
    "submit": ["diajukan", "terverifikasi"],
    "verify": ["draf", "dikembalikan", "terverifikasi"],
    "return": ["draf", "dikembalikan", "terverifikasi"],
    "reopen": ["draf", "diajukan", "dikembalikan"],
}


def _do(action, obj, actor):
    if action == "submit":
        return services.submit(obj=obj, actor=actor)
    if action == "verify":
        return services.verify(obj=obj, actor=actor)
    if action == "return":
        return services.return_for_correction(obj=obj, actor=actor, note="catatan")
    return services.reopen(obj=obj, actor=actor, note="catatan")


@pytest.mark.parametrize(
    ("action", "state"), [(a, s) for a, states in FORBIDDEN_STATES.items() for s in states]
)
def test_a_transition_from_a_wrong_state_is_refused_and_changes_nothing(admin, activity, action, state):
    Activity.objects.filter(pk=activity.pk).update(review_status=state)
    activity.refresh_from_db()
    actor = admin  # even an admin cannot skip the workflow
    with pytest.raises((ValidationError, PermissionDenied)):
        _do(action, activity, actor)
    assert _status(activity) == state
    assert not ReviewEvent.objects.exists()


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("submit", "pusat"),
        ("submit", "viewer"),
        ("submit", "operator_b"),
        ("verify", "operator"),
        ("verify", "viewer"),
        ("return", "operator"),
        ("reopen", "operator"),
    ],
)
def test_a_transition_by_the_wrong_role_is_refused(operator, pusat, activity, action, who, request):
    if action != "submit":
        services.submit(obj=activity, actor=operator)
    if action == "reopen":
        services.verify(obj=activity, actor=pusat)
    before = _status(activity)
    with pytest.raises(PermissionDenied):
        _do(action, activity, request.getfixturevalue(who))
    assert _status(activity) == before


def test_returning_needs_a_note(operator, pusat, activity):
    services.submit(obj=activity, actor=operator)
    with pytest.raises(ValidationError):
        services.return_for_correction(obj=activity, actor=pusat, note="   ")
    assert _status(activity) == ReviewStatus.SUBMITTED


def test_operators_cannot_change_what_is_submitted_or_verified(operator, activity):
    firm = make_firm("51")
    participation = make_participation(activity, firm)
    output = make_output(participation)
    services.submit(obj=activity, actor=operator)
    for model, obj in ((Activity, activity), (type(output), output), (type(participation), participation)):
        assert not model.objects.editable_by(operator).filter(pk=obj.pk).exists()
    with pytest.raises(PermissionDenied):
        activity.title = "Diubah setelah diajukan"
        services.save_edit(activity, actor=operator)
    assert Activity.objects.get(pk=activity.pk).title != "Diubah setelah diajukan"


def test_ministry_staff_cannot_edit_figures(pusat, activity):
    activity.budget = 1
    with pytest.raises(PermissionDenied):
        services.save_edit(activity, actor=pusat)


def test_the_return_notice_goes_to_the_provinces_operators_only(
    operator, operator_b, pusat, activity, django_capture_on_commit_callbacks
):
    services.submit(obj=activity, actor=operator)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_for_correction(obj=activity, actor=pusat, note="Tanggal BAST belum sesuai")
    (notice,) = Notification.objects.all()
    assert notice.recipient == operator
    assert "Tanggal BAST belum sesuai" in notice.body
    assert "dikembalikan" in notice.subject
    # Mailed by the background worker (tests/test_worker.py), never inside the transition.
    assert notice.email_status == "antre"
    assert mail.outbox == []


def test_the_returned_note_shows_on_the_operators_home_page(operator, operator_b, pusat, activity, client):
    services.submit(obj=activity, actor=operator)
    services.return_for_correction(obj=activity, actor=pusat, note="Tanggal BAST belum sesuai")
    client.force_login(operator)
    html = client.get(reverse("home")).content.decode()
    assert "Dikembalikan oleh kementerian" in html
    assert "Tanggal BAST belum sesuai" in html
    client.force_login(operator_b)
    assert "Tanggal BAST belum sesuai" not in client.get(reverse("home")).content.decode()


def test_closing_a_year_locks_it_for_all_but_admins(admin, pusat, operator, activity, realisation):
    services.close_fiscal_year(year=2020, actor=pusat)
    assert not Activity.objects.editable_by(operator).filter(pk=activity.pk).exists()
    assert not Realisation.objects.editable_by(operator).filter(pk=realisation.pk).exists()
    with pytest.raises(PermissionDenied):
        services.submit(obj=activity, actor=operator)
    assert Activity.objects.editable_by(admin).filter(pk=activity.pk).exists()
    activity.title = "Koreksi admin"
    services.save_edit(activity, actor=admin)
    assert Activity.objects.get(pk=activity.pk).title == "Koreksi admin"


def test_only_ministry_staff_close_and_reopen_a_year(admin, pusat, operator, kadis):
    for outsider in (operator, kadis):
        with pytest.raises(PermissionDenied):
            services.close_fiscal_year(year=2020, actor=outsider)
    services.close_fiscal_year(year=2020, actor=pusat)
    for outsider in (operator, kadis):
        with pytest.raises(PermissionDenied):
            services.reopen_fiscal_year(year=2020, actor=outsider)
    services.reopen_fiscal_year(year=2020, actor=pusat)
    assert not access.is_year_closed(2020)
    services.close_fiscal_year(year=2020, actor=pusat)
    services.reopen_fiscal_year(year=2020, actor=admin)
    assert not access.is_year_closed(2020)


def test_transitions_through_the_pages(operator, pusat, activity, client):
    client.force_login(operator)
    response = client.post(reverse("programs:activity_transition", args=[activity.pk, "ajukan"]))
    assert response.status_code == 302
    assert _status(activity) == ReviewStatus.SUBMITTED
    # the operator can no longer open the edit page
    assert client.get(reverse("programs:activity_update", args=[activity.pk])).status_code == 403
    # nor verify
    assert (
        client.post(reverse("programs:activity_transition", args=[activity.pk, "verifikasi"])).status_code
        == 403
    )
    client.force_login(pusat)
    response = client.post(
        reverse("programs:activity_transition", args=[activity.pk, "kembalikan"]), {"note": ""}
    )
    assert response.status_code == 200
    assert "Catatan wajib diisi." in response.content.decode()
    assert _status(activity) == ReviewStatus.SUBMITTED
    client.post(
        reverse("programs:activity_transition", args=[activity.pk, "kembalikan"]), {"note": "Perbaiki"}
    )
    assert _status(activity) == ReviewStatus.RETURNED


def test_another_provinces_operator_gets_404_for_a_transition(operator_b, activity, client):
    client.force_login(operator_b)
    response = client.post(reverse("programs:activity_transition", args=[activity.pk, "ajukan"]))
    assert response.status_code == 404
    assert _status(activity) == ReviewStatus.DRAFT


def test_closing_and_reopening_a_year_are_both_logged_with_who(pusat, admin, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="ikm_dekon.workflow"):
        services.close_fiscal_year(year=2020, actor=pusat)
        services.reopen_fiscal_year(year=2020, actor=admin)
    lines = [(r.getMessage(), r.user, r.object) for r in caplog.records if r.name == "ikm_dekon.workflow"]
    assert lines == [
        ("fiscal year closed", "pusat", "FiscalYear:2020"),
        ("fiscal year reopened", "admin", "FiscalYear:2020"),
    ]
    with pytest.raises(ValidationError):
        services.reopen_fiscal_year(year=2020, actor=admin)  # it is open: nothing to reopen
