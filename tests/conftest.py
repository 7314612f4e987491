"""The shared cast of the tests, the markers, and test-only settings."""

import shutil
import tempfile

import pytest
from django.conf import settings
from django.test import Client

from accounts.roles import Role
from tests.factories import PROVINCE_A, PROVINCE_B, make_user


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
    # An empty static root, as in a fresh checkout, whatever `collectstatic` left in staticfiles/: WhiteNoise
    # reads every file there each time a test client is made (0.08 s a client with the 600 collected files,
    # over a minute a run). The gunicorn of tests/test_concurrency_server.py serves the real one.
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="ikm-test-static-")
    # The working-day calendar is read once per run (see _working_days_read_once below), not once a minute.
    settings.WORKDAYS_CACHE_SECONDS = 24 * 3600
    # A session is written again when its expiry lags this long (accounts/sessions; at most a tenth of the
    # idle timeout, 6 minutes): not after a minute, so that a page's query count never depends on how long
    # a slow machine took to build the test's data between two requests. tests/test_sessions.py ages
    # sessions by refresh_seconds() itself.
    settings.SESSION_REFRESH_SECONDS = 24 * 3600
    _DEVELOPMENT_DATABASE[0] = settings.DATABASES["default"]["NAME"]


def pytest_unconfigure(config):
    for folder in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        shutil.rmtree(folder, ignore_errors=True)


#: The fiscal years whose working-day calendar the tests read (programs/workdays.py).
WORKDAY_YEARS = range(2015, 2031)


_READ_AT_GENERATION = [None]
_DEVELOPMENT_DATABASE = [None]


def _read_working_days():
    from programs import workdays

    for year in WORKDAY_YEARS:
        workdays.holidays_of(year)
    _READ_AT_GENERATION[0] = workdays.generation


@pytest.fixture(scope="session", autouse=True)
def _working_days_read_once(django_db_setup, django_db_blocker):
    """The holidays of the tests' years are loaded into the test database and read into the process's cache
    before any test, so a page's query count never depends on whether an earlier test read them."""
    from django.db import connection

    with django_db_blocker.unblock():
        # No test database when no test of the run uses one (pytest-django sets up only those needed): never
        # the development database.
        if connection.settings_dict["NAME"] != _DEVELOPMENT_DATABASE[0]:
            _read_working_days()


@pytest.fixture(autouse=True)
def _working_days_read_again_after_an_amendment(_working_days_read_once, django_db_blocker):
    """A test that amends the holidays clears the cache and its changes are rolled back: the next test reads
    the calendar again before it starts."""
    from programs import workdays

    if _READ_AT_GENERATION[0] is not None and workdays.generation != _READ_AT_GENERATION[0]:
        workdays.clear_cache()
        with django_db_blocker.unblock():
            _read_working_days()
    yield


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


@pytest.fixture(autouse=True)
def _sqlite_tables_emptied_children_first(request):
    """A transactional test ends with Django emptying every table, on SQLite one DELETE a table in the order
    of a Python set (it changes with the process's hash seed). The triggers that keep derived data
    (programs/derived.py) then recompute a row from a parent already gone: NOT NULL fails, the tables stay
    full, and the next transactional test starts from the wrong rows. Children are emptied first here,
    before Django's own flush (this fixture is torn down before pytest-django's). PostgreSQL truncates every
    table in one statement and needs nothing."""
    yield
    db = request.node.get_closest_marker("django_db")
    if not (db and db.kwargs.get("transaction")):
        return
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    remaining = {m for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    with connection.cursor() as cursor:
        while remaining:
            referenced = {
                f.related_model
                for m in remaining
                for f in m._meta.concrete_fields
                if f.is_relation and f.related_model is not m
            }
            leaves = (remaining - referenced) or remaining  # a cycle: whatever is left, at once
            for model in leaves:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            remaining -= leaves


# --- The cast ----------------------------------------------------------------------------------------------
# One person per role, named as the demo data names them (programs/management/demo.py), created only when a
# test asks for them. Province A is Bali (51), province B Kalimantan Selatan (63). Each `*_client` is a
# Client of its own, signed in, so that one test can hold several at once. A module builds users of its
# own only where the cast has no such person (an operator of a third province, an admin who is not a
# superuser, a user whose account is the subject of the test).


@pytest.fixture
def admin(db):
    """As the demo's admin: the Admin role, the Django admin, and a superuser (who manages the users)."""
    return make_user("admin", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_user(admin):
    """pytest-django's name for the cast's admin (so that its own, second admin is never made)."""
    return admin


@pytest.fixture
def pusat(db):
    """Ministry staff: read every province, verify and return, close a year."""
    return make_user("pusat", Role.MINISTRY)


@pytest.fixture
def viewer(db):
    """A national viewer (no province): reads every province."""
    return make_user("viewer", Role.VIEWER)


@pytest.fixture
def viewer_a(db):
    """A viewer of province A only."""
    return make_user("viewer-51", Role.VIEWER, PROVINCE_A)


@pytest.fixture
def operator(db):
    """The operator of province A."""
    return make_user("op-51", Role.OPERATOR, PROVINCE_A, email="op51@dinas.example")


@pytest.fixture
def colleague(db):
    """A second operator of province A."""
    return make_user("op-51b", Role.OPERATOR, PROVINCE_A, email="op51b@dinas.example")


@pytest.fixture
def operator_b(db):
    """The operator of province B."""
    return make_user("op-63", Role.OPERATOR, PROVINCE_B, email="op63@dinas.example")


@pytest.fixture
def kadis(db):
    """The head of province A's office (Kepala Dinas): approves or returns what its operators prepared."""
    return make_user(
        "kadis-51",
        Role.HEAD,
        PROVINCE_A,
        email="kadis51@dinas.example",
        first_name="Kepala Dinas Bali",
        nip="196805121994031002",
        job_title="Kepala Dinas Perindustrian dan Perdagangan Provinsi Bali",
        signing_place="Denpasar",
    )


@pytest.fixture
def kadis_b(db):
    """The head of province B's office."""
    return make_user(
        "kadis-63",
        Role.HEAD,
        PROVINCE_B,
        email="kadis63@dinas.example",
        nip="197003151996031004",
        job_title="Kepala Dinas Perindustrian dan Perdagangan Provinsi Kalimantan Selatan",
        signing_place="Banjarbaru",
    )


@pytest.fixture
def regency_operator(db):
    """An operator of Kota Banjarmasin (63.71), in province B: that city's activities only."""
    from provinces.models import Regency

    return make_user(
        "op-63.71",
        Role.REGENCY_OPERATOR,
        PROVINCE_B,
        regency=Regency.objects.get(code="63.71"),
        email="op6371@dinas.example",
    )


@pytest.fixture
def operator_nowhere(db):
    """An operator whose province was never set: sees and changes nothing."""
    return make_user("op-tanpa-provinsi", Role.OPERATOR)


@pytest.fixture
def operators(operator, operator_b):
    """The operators of A and B by province code."""
    return {PROVINCE_A: operator, PROVINCE_B: operator_b}


@pytest.fixture
def user(db):
    """Signed in, with no role: sees nothing of the programme."""
    return make_user("pengguna")


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin):
    return _signed_in(admin)


@pytest.fixture
def pusat_client(pusat):
    return _signed_in(pusat)


@pytest.fixture
def viewer_client(viewer):
    return _signed_in(viewer)


@pytest.fixture
def viewer_a_client(viewer_a):
    return _signed_in(viewer_a)


@pytest.fixture
def kadis_client(kadis):
    return _signed_in(kadis)


@pytest.fixture
def kadis_b_client(kadis_b):
    return _signed_in(kadis_b)


@pytest.fixture
def regency_operator_client(regency_operator):
    return _signed_in(regency_operator)


@pytest.fixture
def operator_client(operator):
    return _signed_in(operator)


@pytest.fixture
def operator_b_client(operator_b):
    return _signed_in(operator_b)


@pytest.fixture
def user_client(user):
    return _signed_in(user)


# --- Markers ----------------------------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own
def pytest_collection_modifyitems(config, items):
    from django.db import connection

    _mark_xdist_groups(config, items)

    for item in items:
        postgres = item.get_closest_marker("postgres")
        if postgres and connection.vendor != "postgresql":
            why = postgres.kwargs.get("reason", "needs PostgreSQL")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {why}"))
        db = item.get_closest_marker("django_db")
        if db and db.kwargs.get("transaction") and not db.kwargs.get("serialized_rollback"):
            # A transactional test ends by emptying every table. Without serialized_rollback the emptying
            # re-creates the content types and permissions under new ids, and the next serialized test then
            # fails to put the migrated rows back (a duplicate content type). Which test follows which
            # depends on the order and, under pytest-xdist, on the worker: so every one restores.
            raise pytest.UsageError(
                f"{item.nodeid}: a transactional test must restore the database: "
                "pytest.mark.django_db(transaction=True, serialized_rollback=True)"
            )


def _mark_xdist_groups(config, items):
    """--dist loadgroup sends the tests of one xdist_group to one worker. pytest-xdist 3.8 marks them by
    appending @group to each test's node id, but the assignment it makes no longer reaches pytest 9.2's node
    ids (pytest-dev/pytest-xdist#1386): the groups were silently ignored. Do it here until xdist does."""
    if not getattr(config.option, "loadgroup", False):  # set in pytest-xdist's workers under loadgroup
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if names and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")


@pytest.fixture(autouse=True)
def _deferred_rules_hold_at_the_end_of_each_test(request):
    """The plan's sums (programs/plan_rules.py) are checked when a transaction commits, and a test's
    transaction never commits: each test's data is checked here instead, as production would at commit, so
    no test builds figures on a plan whose RO pagus do not add up."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    if marker is not None and marker.kwargs.get("transaction"):
        return  # committed as it went: the database has checked it already
    from django.db import DatabaseError, IntegrityError, connection

    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    except IntegrityError as e:
        pytest.fail(f"the test's data breaks a rule checked at commit: {e}")
    except DatabaseError:
        pass  # a transaction the test left aborted: its own failure says why
