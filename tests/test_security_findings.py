"""Findings of the independent attack (issue 13, class 12): each test fails on the code before the fix."""

import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_user

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
def test_failures_from_one_address_behind_the_proxy_do_not_lock_the_user_out_elsewhere(behind_one_proxy):
    make_user("pusat", "pusat")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_proxy("pusat", "salah-sandi", "203.0.113.9")
    assert _sign_in_through_proxy("pusat", PASSWORD, "203.0.113.9").status_code == 429
    signed_in = _sign_in_through_proxy("pusat", PASSWORD, "198.51.100.4")
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_axes_and_the_audit_log_record_the_clients_address_not_the_proxys(behind_one_proxy, caplog):
    from axes.models import AccessAttempt, AccessLog

    make_user("op-51", "operator", "51")
    with caplog.at_level(logging.INFO, logger="ikm_dekon.audit"):
        _sign_in_through_proxy("op-51", "salah-sandi", "203.0.113.9")
        _sign_in_through_proxy("op-51", PASSWORD, "198.51.100.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
    assert AccessLog.objects.get(username="op-51").ip_address == "198.51.100.4"
    events = {r.event: r.ip for r in caplog.records if getattr(r, "event", None)}
    assert events["sign_in_failed"] == "203.0.113.9"
    assert events["sign_in"] == "198.51.100.4"


@pytest.mark.django_db
def test_addresses_a_client_writes_into_x_forwarded_for_are_not_trusted(behind_one_proxy):
    make_user("pusat", "pusat")
    # The proxy appends the real address; whatever the client put in front of it changes nothing.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_proxy("pusat", "salah-sandi", None, forwarded=f"10.0.0.{n}, 203.0.113.9")
    assert _sign_in_through_proxy("pusat", PASSWORD, "203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_without_a_proxy_the_header_is_ignored(settings):
    from axes.models import AccessAttempt

    settings.AXES_IPWARE_PROXY_COUNT = 0
    make_user("op-51", "operator", "51")
    Client().post(
        reverse("login"),
        {"username": "op-51", "password": "salah"},
        REMOTE_ADDR="192.0.2.7",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AccessAttempt.objects.get().ip_address == "192.0.2.7"
