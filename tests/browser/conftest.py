"""End-to-end tests in Debian's Chromium, driven by Playwright for Python (never a downloaded browser).

Run with the rest of the suite. Where /usr/bin/chromium is missing they are skipped on a developer's
machine but FAIL in CI (CI=true): .ci/run installs chromium with apt-get, so a missing browser there is
a broken set-up, not a reason to test less. Screenshots of every step land in test-artifacts/screenshots/.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the Django ORM calls made by the tests
# themselves (fixtures, assertions on the database) are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"Browser tests need {CHROMIUM} (apt-get install chromium); CI must not skip them."
        )
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _rows_serialized_after_the_migrations(django_db_setup):
    from django.db import connections

    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(scope="session")
def playwright(_rows_serialized_after_the_migrations, playwright):
    """Playwright's sync API keeps an event loop running in this thread until the session ends. From then on
    asgiref's Local hands Django a second connection object here (one for async code), which lacks the rows
    serialized after the migrations: serialized_rollback would put nothing back, and every transactional
    test after the first browser test would start from empty tables. The second object gets the rows."""
    from django.db import connections

    for alias, rows in _rows_serialized_after_the_migrations.items():
        connections[alias]._test_serialized_contents = rows
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "id-ID",
        "timezone_id": "Asia/Jakarta",
        "viewport": {"width": 1280, "height": 900},
    }


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, page, name):
        self.page, self.n = page, 0
        self.folder = ARTIFACTS / re.sub(r"[^\w-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, step):
        self.n += 1
        slug = re.sub(r"[^\w-]+", "-", step)
        path = self.folder / f"{self.n:02d}-{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(autouse=True)
def _confirmations_accepted(request):
    """A form with data-confirm asks window.confirm (static/js/app.js); Playwright dismisses dialogs unless
    told otherwise, which would cancel every delete and close. The tests' user answers "OK"."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").on("dialog", lambda dialog: dialog.accept())


@pytest.fixture
def shot(page, request):
    return Shots(page, request.node.name)


@pytest.fixture
def console_errors(page):
    """Every console error and uncaught page error of the test; assert it stays empty."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
