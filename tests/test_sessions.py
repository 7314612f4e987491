"""Sessions: the idle timeout slides without a database write per request (accounts/sessions), and what a
signed-in page costs before its own work (the fixed queries of every page)."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import SAVED_AT_KEY, refresh_seconds
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _row(client):
    return Session.objects.get(pk=client.cookies[settings.SESSION_COOKIE_NAME].value)


def _session_writes(queries):
    writes = [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    return [sql for sql in writes if "django_session" in sql]


def _age_the_session(client, seconds):
    """The session as a write `seconds` ago left it: its stamp and its expiry that much older."""
    row = _row(client)
    store = client.session
    data = store.load()
    data[SAVED_AT_KEY] -= seconds
    Session.objects.filter(pk=row.pk).update(
        session_data=store.encode(data), expire_date=row.expire_date - timedelta(seconds=seconds)
    )


def test_a_page_does_not_write_a_session_written_less_than_a_minute_ago(operator_client):
    operator_client.get(reverse("home"))
    before = _row(operator_client).expire_date
    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(reverse("home"))
    assert response.status_code == 200
    assert _session_writes(queries) == []
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # nothing to send again either
    assert _row(operator_client).expire_date == before


def test_a_page_moves_an_expiry_that_lags_more_than_a_minute(operator_client):
    _age_the_session(operator_client, refresh_seconds() + 5)
    lagging = _row(operator_client).expire_date
    with CaptureQueriesContext(connection) as queries:
        operator_client.get(reverse("home"))
    assert len(_session_writes(queries)) == 1
    moved = _row(operator_client).expire_date
    assert moved - lagging >= timedelta(seconds=refresh_seconds() + 5)
    # never later than the idle timeout from now
    assert moved <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # and the stamp with it: the next page writes nothing
    with CaptureQueriesContext(connection) as queries:
        operator_client.get(reverse("home"))
    assert _session_writes(queries) == []


def test_an_active_user_stays_signed_in_and_an_idle_one_is_signed_out(operator_client):
    # Active: the last write was almost an idle timeout ago but the stamp says it lags; the page refreshes it.
    _age_the_session(operator_client, settings.SESSION_COOKIE_AGE - 1)
    assert operator_client.get(reverse("home")).status_code == 200
    soon = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)
    assert _row(operator_client).expire_date > soon
    # Idle for the whole timeout since the last write: signed out.
    _age_the_session(operator_client, settings.SESSION_COOKIE_AGE + 1)
    response = operator_client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_sign_in_writes_the_session_with_its_stamp(client, operator):
    client.post(reverse("login"), {"username": operator.username, "password": PASSWORD})
    data = _row(client).get_decoded()
    assert abs(data[SAVED_AT_KEY] - time.time()) < 60
    assert data["_auth_user_id"] == str(operator.pk)


def test_a_sign_out_holds_for_every_copy_of_the_cookie(operator_client):
    other = Client()  # the same browser's cookie, answered by another worker process
    other.cookies = operator_client.cookies
    operator_client.get(reverse("home"))
    cookie = operator_client.cookies[settings.SESSION_COOKIE_NAME].value
    operator_client.post(reverse("logout"))
    other.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = other.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_sign_out_holds_for_every_copy_of_the_cookie_with_sessions_read_from_the_cache(settings, operator):
    """Production's engine (a shared cache in front of the database): the cache is this process's here, which
    both clients share, as every worker shares Redis."""
    settings.SESSION_ENGINE = "accounts.sessions.cached_db"
    first, other = Client(), Client()
    first.force_login(operator)
    assert first.get(reverse("home")).status_code == 200
    cookie = first.cookies[settings.SESSION_COOKIE_NAME].value
    other.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert other.get(reverse("home")).status_code == 200  # the same session, read from the cache
    first.post(reverse("logout"))
    response = other.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@override_settings(SESSION_COOKIE_AGE=120)
def test_a_short_idle_timeout_is_refreshed_within_a_tenth_of_it():
    assert refresh_seconds() == 12


def test_the_fixed_queries_of_a_signed_in_page_for_an_operator(operator_client, django_assert_num_queries):
    operator_client.get(reverse("accounts:security"))
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles: read once per request, for the second-factor check and the menu)
    # 4. the page's own: the user's confirmed authenticator (none)
    # 5. the user's province, named in the navigation bar
    # 6. the user's unread notices, counted (the bell in the navigation bar)
    # (no write of the session: it was written less than a minute ago)
    with django_assert_num_queries(6):
        assert operator_client.get(reverse("accounts:security")).status_code == 200


def test_the_fixed_queries_of_a_signed_in_page_for_ministry_staff(pusat_client, django_assert_num_queries):
    pusat_client.get(reverse("accounts:security"))
    # 1. the session
    # 2. the user
    # 3. the authenticator the session was verified with (django-otp: still there, still the user's)
    # 4. the page's own: the user's confirmed authenticator
    # 5. the page's own: the recovery codes left
    # 6. the user's groups (roles: read once per request, for the menu and the page)
    # 7. the user's unread notices, counted (the bell in the navigation bar)
    with django_assert_num_queries(7):
        assert pusat_client.get(reverse("accounts:security")).status_code == 200
