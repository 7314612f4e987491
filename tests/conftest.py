"""The shared cast of the tests, and test-only settings."""

import pytest
from django.conf import settings


def pytest_configure(config):
    # Fast hashing and plain static storage in tests only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
