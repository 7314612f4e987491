"""The shared cast of the tests, and test-only settings."""

import tempfile

import pytest
from django.conf import settings


def pytest_configure(config):
    # Fast hashing and plain static storage in tests only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The suite runs with DEBUG=False, so production's redirect to https is on; the test client speaks
    # plain http. Only the redirect is turned off: secure cookies, HSTS and CSP stay as in production
    # (tests/test_production.py checks the real settings in a subprocess).
    settings.SECURE_SSL_REDIRECT = False
    # Uploaded evidence goes to a throw-away folder, never into the project's media/.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="ikm-test-media-")


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`client.force_login(user)` signs in as far as a real admin gets after typing the 6-digit code.

    Admins and ministry staff (and anyone who has an authenticator) are given a confirmed device and the
    session is marked verified with it, as django_otp.login does. Every test that signs in with
    force_login therefore works unchanged; tests/test_two_factor.py goes through the real pages instead.
    """
    from django.test.client import ClientMixin

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.otp import second_factor_required

        fresh = type(user)._default_manager.get(pk=user.pk)  # leaves the test's user object untouched
        device = TOTPDevice.objects.filter(user=fresh, confirmed=True).first()
        if device is None:
            if not second_factor_required(fresh):
                return
            device = TOTPDevice.objects.create(user=fresh, name="uji", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


PASSWORD = "rahasia-uji-123"


@pytest.fixture
def make_user(db, django_user_model):
    def make(username, **fields):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD, **fields)
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin-uji", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def user(make_user):
    return make_user("pengguna")


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests (live server, concurrency) flush every table when they end, including the
    geography and roles that data migrations load. Put them back before each such test, so the order in
    which pytest runs the tests never matters."""
    marker = request.node.get_closest_marker("django_db")
    if not marker or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    from provinces.models import Province

    if not Province.objects.exists():
        importlib.import_module("provinces.migrations.0002_load_regions").load(apps, None)
    importlib.import_module("accounts.migrations.0002_roles").create(apps, None)
