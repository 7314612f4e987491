"""Findings of the independent attack (issue 13, class 12): each test fails on the code before the fix."""

import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

PROXY = "127.0.0.1"  # the reverse proxy of the deployment guide, on the same host


def _sign_in_through_proxy(username, password, client_ip, *, client=None, forwarded=None):
    client = client or Client()
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded or client_ip,
    )


# --- Lockout behind the reverse proxy ----------------------------------------------------------------------


@pytest.fixture
def behind_one_proxy(settings):
    # .env.example: AXES_PROXY_COUNT=1
    settings.AXES_IPWARE_PROXY_COUNT = 1


@pytest.mark.django_db
def test_failures_from_one_address_behind_the_proxy_do_not_lock_the_user_out_elsewhere(
    behind_one_proxy, pusat
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_proxy("pusat", "salah-sandi", "203.0.113.9")
    assert _sign_in_through_proxy("pusat", PASSWORD, "203.0.113.9").status_code == 429
    signed_in = _sign_in_through_proxy("pusat", PASSWORD, "198.51.100.4")
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_axes_and_the_audit_log_record_the_clients_address_not_the_proxys(behind_one_proxy, operator, caplog):
    from axes.models import AccessAttempt, AccessLog

    with caplog.at_level(logging.INFO, logger="ikm_dekon.audit"):
        _sign_in_through_proxy("op-51", "salah-sandi", "203.0.113.9")
        _sign_in_through_proxy("op-51", PASSWORD, "198.51.100.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
    assert AccessLog.objects.get(username="op-51").ip_address == "198.51.100.4"
    events = {r.event: r.ip for r in caplog.records if getattr(r, "event", None)}
    assert events["sign_in_failed"] == "203.0.113.9"
    assert events["sign_in"] == "198.51.100.4"


@pytest.mark.django_db
def test_addresses_a_client_writes_into_x_forwarded_for_are_not_trusted(behind_one_proxy, pusat):
    # The proxy appends the real address; whatever the client put in front of it changes nothing.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_proxy("pusat", "salah-sandi", None, forwarded=f"10.0.0.{n}, 203.0.113.9")
    assert _sign_in_through_proxy("pusat", PASSWORD, "203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_without_a_proxy_the_header_is_ignored(settings, operator):
    from axes.models import AccessAttempt

    settings.AXES_IPWARE_PROXY_COUNT = 0
    Client().post(
        reverse("login"),
        {"username": "op-51", "password": "salah"},
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AccessAttempt.objects.get().ip_address == "192.0.2.7"


# --- A locked activity keeps the partners and firms it was verified with -----------------------------------


@pytest.fixture
def submitted(operator):
    """Province A's operator, a draft activity of theirs, and the call that submits it."""
    from programs import services
    from tests.factories import make_activity, make_allocation, make_firm, make_participation

    activity = make_activity(make_allocation("51"))
    make_participation(activity, make_firm("51"))  # submittable: it has a participant (programs/checklist.py)
    return operator, activity, lambda: services.submit(obj=activity, actor=operator)


@pytest.mark.django_db
@pytest.mark.parametrize("then", ["submitted", "verified"])
def test_a_partner_that_a_locked_activity_names_cannot_be_deleted(client, submitted, pusat, then):
    from programs import services
    from programs.models import Partner
    from tests.factories import make_partner

    operator, activity, submit = submitted
    partner = make_partner("51", name="Gugus Tugas Covid-19 Kabupaten Bangli")
    activity.partners.add(partner)
    submit()
    if then == "verified":
        services.verify(obj=activity, actor=pusat)
    history_rows = activity.history.count()
    client.force_login(operator)
    response = client.post(reverse("programs:partner_delete", args=[partner.pk]), follow=True)
    assert response.status_code == 200
    assert "tidak dapat dihapus" in response.content.decode()
    assert activity.title in response.content.decode()
    assert Partner.objects.filter(pk=partner.pk).exists()
    assert list(activity.partners.all()) == [partner]
    assert activity.history.count() == history_rows


@pytest.mark.django_db
def test_a_partner_of_a_draft_activity_can_still_be_deleted(client, submitted):
    from programs.models import Partner
    from tests.factories import make_partner

    operator, activity, _submit = submitted
    partner = make_partner("51")
    activity.partners.add(partner)
    client.force_login(operator)
    client.post(reverse("programs:partner_delete", args=[partner.pk]))
    assert not Partner.objects.filter(pk=partner.pk).exists()


@pytest.mark.django_db
def test_the_model_refuses_deleting_a_partner_or_firm_a_locked_activity_names(submitted):
    from django.db.models import ProtectedError

    from tests.factories import make_firm, make_participant, make_partner

    _operator, activity, submit = submitted
    partner = make_partner("51")
    activity.partners.add(partner)
    firm = make_firm("51")
    make_participant(activity, founded_firm=firm)  # SET_NULL would silently drop it from the activity
    submit()
    with pytest.raises(ProtectedError):
        partner.delete()
    with pytest.raises(ProtectedError):
        firm.delete()
    assert activity.participants.get().founded_firm_id == firm.pk


@pytest.mark.django_db
def test_a_firm_a_locked_activity_names_cannot_be_deleted_with_a_message(client, submitted):
    from programs.models import Firm
    from tests.factories import make_firm, make_participant

    operator, activity, submit = submitted
    firm = make_firm("51")
    make_participant(activity, founded_firm=firm)
    submit()
    client.force_login(operator)
    response = client.post(reverse("programs:firm_delete", args=[firm.pk]), follow=True)
    assert "tidak dapat dihapus" in response.content.decode()
    assert Firm.objects.filter(pk=firm.pk).exists()
    assert activity.participants.get().founded_firm_id == firm.pk


@pytest.mark.django_db
def test_the_admin_lists_the_locked_activity_instead_of_deleting_the_partner(admin_client, submitted):
    from programs.models import Partner
    from tests.factories import make_partner

    _operator, activity, submit = submitted
    partner = make_partner("51")
    activity.partners.add(partner)
    submit()
    url = reverse("admin:programs_partner_delete", args=[partner.pk])
    page = admin_client.get(url)
    assert activity.title in page.content.decode()
    admin_client.post(url, {"post": "yes"})
    assert Partner.objects.filter(pk=partner.pk).exists()


@pytest.mark.django_db
def test_renaming_a_partner_or_firm_does_not_change_what_a_verified_activity_shows(client, submitted, pusat):
    from programs import services
    from tests.factories import make_firm, make_output, make_participation, make_partner

    operator, activity, submit = submitted
    partner = make_partner("51", name="Gugus Tugas Covid-19 Kabupaten Bangli")
    buyer = make_partner("51", name="RSUD Bangli")
    activity.partners.add(partner)
    firm = make_firm("51", name="IKM Konveksi Sari Bangli")
    make_output(make_participation(activity, firm), ordered_quantity=500, buyer=buyer)
    submit()
    services.verify(obj=activity, actor=pusat)
    for record, new_name in (
        (partner, "Gugus Tugas Baru"),
        (buyer, "Pembeli Baru"),
        (firm, "IKM Ganti Nama"),
    ):
        record.name = new_name
        record.save()
    client.force_login(operator)
    page = client.get(activity.get_absolute_url()).content.decode()
    for verified_name in ("Gugus Tugas Covid-19 Kabupaten Bangli", "RSUD Bangli", "IKM Konveksi Sari Bangli"):
        assert verified_name in page
    for new_name in ("Gugus Tugas Baru", "Pembeli Baru", "IKM Ganti Nama"):
        assert new_name not in page


@pytest.mark.django_db
def test_a_draft_activity_shows_the_current_names(client, submitted):
    from tests.factories import make_partner

    operator, activity, _submit = submitted
    partner = make_partner("51", name="Gugus Tugas Lama")
    activity.partners.add(partner)
    partner.name = "Gugus Tugas Baru"
    partner.save()
    client.force_login(operator)
    assert "Gugus Tugas Baru" in client.get(activity.get_absolute_url()).content.decode()


# --- Pages with personal data are not stored ---------------------------------------------------------------


@pytest.mark.django_db
def test_pages_with_personal_data_tell_browsers_and_proxies_not_to_store_them(client, operator):
    from tests.factories import make_activity, make_allocation, make_firm, make_participant

    activity = make_activity(make_allocation("51"))
    make_participant(activity, name="Ni Luh Putu Sari", nik="5106014501900001", phone="081234567890")
    firm = make_firm("51", owner_name="I Made Wirawan", phone="0366123456")
    client.force_login(operator)
    pages = [
        activity.get_absolute_url(),
        firm.get_absolute_url(),
        reverse("programs:firm_list"),
        reverse("programs:activity_history", args=[activity.pk]),
        reverse("home"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= directives, url


# --- Own password; an admin-set password is changed at the first sign-in ----------------------------------


def _sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_every_user_can_change_their_own_password(client, operator):
    client.force_login(operator)
    page = client.get(reverse("programs:firm_list")).content.decode()
    assert reverse("accounts:password_change") in page  # the user menu links to it
    form = client.get(reverse("accounts:password_change"))
    assert form.status_code == 200
    assert "Ganti kata sandi" in form.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Bangli-2020-masker",
            "new_password2": "Bangli-2020-masker",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    operator.refresh_from_db()
    assert operator.check_password("Bangli-2020-masker")
    assert client.get(reverse("accounts:password_change_done")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_old_password_or_the_same_password_is_refused_beside_the_field(client, operator):
    client.force_login(operator)
    url = reverse("accounts:password_change")
    wrong = client.post(
        url, {"old_password": "bukan", "new_password1": "Baru-2020-x", "new_password2": "Baru-2020-x"}
    )
    same = client.post(url, {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD})
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    assert same.status_code == 200
    assert "berbeda dari kata sandi lama" in same.content.decode()
    operator.refresh_from_db()
    assert operator.check_password(PASSWORD)


@pytest.mark.django_db
def test_an_account_the_admin_creates_must_change_its_password_at_sign_in(admin_client):
    from django.contrib.auth import get_user_model

    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "op-baru",
            "usable_password": "true",
            "password1": "Sandi-Admin-2020",
            "password2": "Sandi-Admin-2020",
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    user = get_user_model().objects.get(username="op-baru")
    assert user.must_change_password
    client = Client()
    signed_in = client.post(
        reverse("login"), {"username": "op-baru", "password": "Sandi-Admin-2020"}, follow=True
    )
    assert signed_in.redirect_chain[-1][0].startswith(reverse("accounts:password_change"))
    # nothing else is reachable before the change
    refused = client.get(reverse("programs:activity_list"))
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("accounts:password_change"))
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Sandi-Admin-2020",
            "new_password1": "Milik-Saya-2020",
            "new_password2": "Milik-Saya-2020",
        },
    )
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get(reverse("programs:activity_list")).status_code == 200


@pytest.mark.django_db
def test_a_password_the_admin_resets_must_be_changed_before_the_second_factor_is_enrolled(
    admin_client, pusat
):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[pusat.pk]),
        {"usable_password": "true", "password1": "Reset-Admin-2020", "password2": "Reset-Admin-2020"},
    )
    assert response.status_code == 302
    pusat.refresh_from_db()
    assert pusat.must_change_password
    client = Client()
    client.post(reverse("login"), {"username": "pusat", "password": "Reset-Admin-2020"})
    # ministry staff must enrol a second factor, but the password change comes first
    first = client.get(reverse("home"))
    assert first["Location"].startswith(reverse("accounts:password_change"))
    assert client.get(reverse("accounts:otp_enrol"))["Location"].startswith(
        reverse("accounts:password_change")
    )
    assert client.get(reverse("accounts:password_change")).status_code == 200
    changed = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Reset-Admin-2020",
            "new_password1": "Pusat-Sendiri-2020",
            "new_password2": "Pusat-Sendiri-2020",
        },
        follow=True,
    )
    pusat.refresh_from_db()
    assert not pusat.must_change_password
    # then the second factor, as for every ministry account
    assert changed.redirect_chain[-1][0].startswith(reverse("accounts:otp_enrol"))


# --- Evidence files go with their records ------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _upload(client, activity, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from programs.models import Attachment

    client.post(
        reverse("programs:attachment_add", args=[activity.pk]),
        {
            "kind": "bast",
            "file": SimpleUploadedFile("bast.pdf", PDF, content_type="application/pdf"),
            **extra,
        },
    )
    return Attachment.objects.latest("pk").file.path


@pytest.mark.django_db
def test_deleting_an_activity_removes_its_evidence_files(
    client, operator, django_capture_on_commit_callbacks
):
    import os

    from tests.factories import make_activity, make_allocation

    activity = make_activity(make_allocation("51"))
    client.force_login(operator)
    paths = [_upload(client, activity), _upload(client, activity)]
    assert all(os.path.exists(p) for p in paths)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programs:activity_delete", args=[activity.pk]))
    assert response.status_code == 302
    assert not any(os.path.exists(p) for p in paths)


@pytest.mark.django_db
def test_deleting_a_handover_removes_its_bast_but_not_the_activitys_files(
    client, operator, django_capture_on_commit_callbacks
):
    import os

    from tests.factories import (
        make_activity,
        make_allocation,
        make_firm,
        make_handover,
        make_output,
        make_participation,
    )

    activity = make_activity(make_allocation("51"))
    handover = make_handover(make_output(make_participation(activity, make_firm("51"))))
    client.force_login(operator)
    bast = _upload(client, activity, handover=handover.pk)
    attendance = _upload(client, activity)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("programs:handover_delete", args=[handover.pk]))
    assert response.status_code == 302
    assert not os.path.exists(bast)
    assert os.path.exists(attendance)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delete_that_is_rolled_back_keeps_its_file(operator):
    import os

    from django.core.files.base import ContentFile
    from django.db import transaction

    from programs.models import Activity, Attachment
    from tests.factories import make_activity, make_allocation

    activity = make_activity(make_allocation("51"))
    attachment = Attachment.objects.create(
        activity=activity,
        kind="bast",
        uploaded_by=operator,
        original_name="bast.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        file=ContentFile(PDF, name="bast.pdf"),
    )
    path = attachment.file.path

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        Activity.objects.get(pk=activity.pk).delete()
        raise Abort
    assert os.path.exists(path)
    Activity.objects.get(pk=activity.pk).delete()
    assert not os.path.exists(path)


# --- The admin's "view on site" ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_view_on_site_answers_404_alike_for_another_provinces_record_and_a_missing_one(
    client, operator_b, admin
):
    from django.contrib.contenttypes.models import ContentType

    from programs.models import Activity, Firm
    from tests.factories import make_activity, make_allocation, make_firm, with_staff_status

    with_staff_status(operator_b)
    own = make_activity(make_allocation("63"))
    other = make_activity(make_allocation("51"))
    other_firm = make_firm("51")
    missing = Activity.objects.order_by("-pk").first().pk + 1000

    def view_on_site(model, pk):
        ct = ContentType.objects.get_for_model(model)
        return client.get(reverse("admin:view_on_site", args=[ct.pk, pk]))

    # Staff who are not admins never pass the admin's door: one answer for their own record, another
    # province's and a missing one, so nothing is learnt of what exists.
    client.force_login(operator_b)
    answers = [view_on_site(Activity, pk) for pk in (own.pk, other.pk, missing)]
    assert {(r.status_code, r.url.split("?")[0]) for r in answers} == {(302, reverse("admin:login"))}
    assert view_on_site(Firm, other_firm.pk).url.split("?")[0] == reverse("admin:login")
    # An admin is sent to the record's page, and told 404 for an id that does not exist.
    client.force_login(admin)
    assert view_on_site(Activity, own.pk).status_code == 302
    assert view_on_site(Activity, missing).status_code == 404
    assert view_on_site(Firm, "bukan-angka").status_code == 404


@pytest.mark.django_db
def test_renaming_a_partner_on_its_page_leaves_the_submitted_activity_as_submitted(client, submitted):
    from programs.models import Partner
    from tests.factories import make_partner

    operator, activity, submit = submitted
    partner = make_partner("51", name="Gugus Tugas Covid-19 Kabupaten Bangli")
    activity.partners.add(partner)
    submit()
    client.force_login(operator)
    response = client.post(
        reverse("programs:partner_update", args=[partner.pk]),
        {
            "province": partner.province_id,
            "name": "Satgas Covid-19 Bangli",
            "kind": partner.kind,
            "version": 1,
        },
        follow=True,
    )
    assert Partner.objects.get(pk=partner.pk).name == "Satgas Covid-19 Bangli"
    assert "tetap menampilkan data ini" in response.content.decode()
    page = client.get(activity.get_absolute_url()).content.decode()
    assert "Gugus Tugas Covid-19 Kabupaten Bangli" in page
    assert "Satgas Covid-19 Bangli" not in page


@pytest.mark.django_db
def test_a_reset_password_alone_never_passes_an_existing_second_factor(pusat):
    """Whoever reads an admin-reset password of an account with an authenticator must still type its code
    before reaching anything, the password change page included."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=pusat, name="Ponsel", confirmed=True)
    pusat.set_password("Reset-Admin-2020")
    pusat.must_change_password = True
    pusat.save()
    client = Client()
    client.post(reverse("login"), {"username": "pusat", "password": "Reset-Admin-2020"})
    for page in (reverse("home"), reverse("accounts:password_change")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_verify"))
    assert client.get(reverse("accounts:otp_verify")).status_code == 200
