"""Draft → submitted → verified, or returned with a note → edited → submitted again; closing a year."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from programs import access, services
from programs.models import Activity, Realisation, ReviewEvent, ReviewStatus
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participation,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    return {
        "operator": make_user("op-51", "operator", "51", email="op51@dinas.example"),
        "other_operator": make_user("op-63", "operator", "63", email="op63@dinas.example"),
        "pusat": make_user("pusat", "pusat"),
        "viewer": make_user("viewer", "viewer"),
        "admin": make_user("admin", "admin"),
    }


@pytest.fixture
def activity(cast):
    return make_activity(make_allocation("51", 2020))


@pytest.fixture
def realisation(activity):
    return Realisation.objects.create(allocation=activity.allocation, month=6, amount=1000)


def _status(obj):
    return type(obj).objects.get(pk=obj.pk).review_status


@pytest.mark.parametrize("target", ["activity", "realisation"])
def test_the_whole_round_trip_records_every_transition(cast, target, request):
    obj = request.getfixturevalue(target)
    services.submit(obj=obj, actor=cast["operator"])
    assert _status(obj) == ReviewStatus.SUBMITTED
    services.return_for_correction(obj=obj, actor=cast["pusat"], note="Lampirkan BAST")
    assert _status(obj) == ReviewStatus.RETURNED
    assert type(obj).objects.get(pk=obj.pk).review_note == "Lampirkan BAST"
    services.submit(obj=obj, actor=cast["operator"])
    services.verify(obj=obj, actor=cast["pusat"])
    assert _status(obj) == ReviewStatus.VERIFIED
    services.reopen(obj=obj, actor=cast["pusat"], note="Angka realisasi dikoreksi")
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
def test_a_transition_from_a_wrong_state_is_refused_and_changes_nothing(cast, activity, action, state):
    Activity.objects.filter(pk=activity.pk).update(review_status=state)
    activity.refresh_from_db()
    actor = cast["admin"]  # even an admin cannot skip the workflow
    with pytest.raises((ValidationError, PermissionDenied)):
        _do(action, activity, actor)
    assert _status(activity) == state
    assert not ReviewEvent.objects.exists()


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("submit", "pusat"),
        ("submit", "viewer"),
        ("submit", "other_operator"),
        ("verify", "operator"),
        ("verify", "viewer"),
        ("return", "operator"),
        ("reopen", "operator"),
    ],
)
def test_a_transition_by_the_wrong_role_is_refused(cast, activity, action, who):
    if action != "submit":
        services.submit(obj=activity, actor=cast["operator"])
    if action == "reopen":
        services.verify(obj=activity, actor=cast["pusat"])
    before = _status(activity)
    with pytest.raises(PermissionDenied):
        _do(action, activity, cast[who])
    assert _status(activity) == before


def test_returning_needs_a_note(cast, activity):
    services.submit(obj=activity, actor=cast["operator"])
    with pytest.raises(ValidationError):
        services.return_for_correction(obj=activity, actor=cast["pusat"], note="   ")
    assert _status(activity) == ReviewStatus.SUBMITTED


def test_operators_cannot_change_what_is_submitted_or_verified(cast, activity):
    firm = make_firm("51")
    participation = make_participation(activity, firm)
    output = make_output(participation)
    services.submit(obj=activity, actor=cast["operator"])
    for model, obj in ((Activity, activity), (type(output), output), (type(participation), participation)):
        assert not model.objects.editable_by(cast["operator"]).filter(pk=obj.pk).exists()
    with pytest.raises(PermissionDenied):
        activity.title = "Diubah setelah diajukan"
        services.save_edit(activity, actor=cast["operator"])
    assert Activity.objects.get(pk=activity.pk).title != "Diubah setelah diajukan"


def test_ministry_staff_cannot_edit_figures(cast, activity):
    activity.budget = 1
    with pytest.raises(PermissionDenied):
        services.save_edit(activity, actor=cast["pusat"])


def test_the_return_mail_goes_to_the_provinces_operators_only(
    cast, activity, django_capture_on_commit_callbacks
):
    services.submit(obj=activity, actor=cast["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        services.return_for_correction(obj=activity, actor=cast["pusat"], note="Tanggal BAST belum sesuai")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["op51@dinas.example"]
    assert "Tanggal BAST belum sesuai" in mail.outbox[0].body
    assert "dikembalikan" in mail.outbox[0].subject


def test_the_returned_note_shows_on_the_operators_home_page(cast, activity, client):
    services.submit(obj=activity, actor=cast["operator"])
    services.return_for_correction(obj=activity, actor=cast["pusat"], note="Tanggal BAST belum sesuai")
    client.force_login(cast["operator"])
    html = client.get(reverse("home")).content.decode()
    assert "Dikembalikan oleh kementerian" in html
    assert "Tanggal BAST belum sesuai" in html
    client.force_login(cast["other_operator"])
    assert "Tanggal BAST belum sesuai" not in client.get(reverse("home")).content.decode()


def test_closing_a_year_locks_it_for_all_but_admins(cast, activity, realisation):
    services.close_fiscal_year(year=2020, actor=cast["pusat"])
    assert not Activity.objects.editable_by(cast["operator"]).filter(pk=activity.pk).exists()
    assert not Realisation.objects.editable_by(cast["operator"]).filter(pk=realisation.pk).exists()
    with pytest.raises(PermissionDenied):
        services.submit(obj=activity, actor=cast["operator"])
    assert Activity.objects.editable_by(cast["admin"]).filter(pk=activity.pk).exists()
    activity.title = "Koreksi admin"
    services.save_edit(activity, actor=cast["admin"])
    assert Activity.objects.get(pk=activity.pk).title == "Koreksi admin"


def test_only_ministry_closes_and_only_admins_reopen_a_year(cast):
    with pytest.raises(PermissionDenied):
        services.close_fiscal_year(year=2020, actor=cast["operator"])
    services.close_fiscal_year(year=2020, actor=cast["pusat"])
    with pytest.raises(PermissionDenied):
        services.reopen_fiscal_year(year=2020, actor=cast["pusat"])
    services.reopen_fiscal_year(year=2020, actor=cast["admin"])
    assert not access.is_year_closed(2020)


def test_transitions_through_the_pages(cast, activity, client):
    client.force_login(cast["operator"])
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
    client.force_login(cast["pusat"])
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


def test_another_provinces_operator_gets_404_for_a_transition(cast, activity, client):
    client.force_login(cast["other_operator"])
    response = client.post(reverse("programs:activity_transition", args=[activity.pk, "ajukan"]))
    assert response.status_code == 404
    assert _status(activity) == ReviewStatus.DRAFT


def test_closing_and_reopening_a_year_are_both_logged_with_who(cast, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="ikm_dekon.workflow"):
        services.close_fiscal_year(year=2020, actor=cast["pusat"])
        services.reopen_fiscal_year(year=2020, actor=cast["admin"])
    lines = [(r.getMessage(), r.user, r.object) for r in caplog.records if r.name == "ikm_dekon.workflow"]
    assert lines == [
        ("fiscal year closed", "pusat", "FiscalYear:2020"),
        ("fiscal year reopened", "admin", "FiscalYear:2020"),
    ]
    with pytest.raises(ValidationError):
        services.reopen_fiscal_year(year=2020, actor=cast["admin"])  # it is open: nothing to reopen
