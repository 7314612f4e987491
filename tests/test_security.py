"""Sign-in hardening and concurrent edits."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from programs.models import Firm
from tests.factories import PASSWORD, make_firm


def _sign_in(client, username, password, ip="10.1.1.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_after_the_limit_even_the_right_password_is_refused_until_the_cool_off_ends(
    client, operator, operator_b
):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "op-51", "salah-sandi")
    locked = _sign_in(client, "op-51", PASSWORD)
    assert locked.status_code == 429
    assert "dikunci sementara" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # another user from the same address is unaffected
    other = _sign_in(Client(), "op-63", PASSWORD)
    assert other.status_code == 302
    # the cool-off is finite: once it has passed, the right password works again
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC)
        - settings.AXES_COOLOFF_TIME
        - datetime.timedelta(minutes=1)
    )
    assert _sign_in(client, "op-51", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_new_session_key_on_sign_in(client, operator):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    _sign_in(client, "op-51", PASSWORD)
    assert client.session.session_key != before


def test_sessions_expire_after_inactivity():
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    # sliding: a request moves the expiry when it lags a minute (tests/test_sessions.py), idleness ends it
    assert "accounts.middleware.SlidingSessionMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_ENGINE.startswith("accounts.sessions.")


@pytest.mark.django_db
def test_password_validators_refuse_a_weak_password():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("12345678")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_second_of_two_concurrent_edits_is_refused(operator, colleague):
    firm = make_firm("51", name="IKM Awal")
    first, second = Client(), Client()
    first.force_login(operator)
    second.force_login(colleague)
    url = reverse("programs:firm_update", args=[firm.pk])
    # both open the edit form at the same version
    v1 = first.get(url).context["form"]["version"].value()
    v2 = second.get(url).context["form"]["version"].value()
    assert v1 == v2 == firm.version

    def data(name, version):
        return {
            "province": firm.province_id,
            "regency": firm.regency_id,
            "name": name,
            "nib": firm.nib,
            "sector": firm.sector,
            "scale": firm.scale,
            "version": version,
        }

    assert first.post(url, data("IKM Versi Pertama", v1)).status_code == 302
    refused = second.post(url, data("IKM Versi Kedua", v2))
    assert refused.status_code == 200
    assert "sudah diubah orang lain" in refused.content.decode()
    assert Firm.objects.get(pk=firm.pk).name == "IKM Versi Pertama"
    assert firm.history.filter(history_type="~").count() == 1
