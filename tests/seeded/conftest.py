"""The demo data (seed_demo), seeded ONCE for every test of this package.

Seeding the demo takes about two minutes (every month of 34 provinces goes through the real workflow). The
modules here read it: `test_seed_demo` (the seeding itself), `test_reports` (the reports reconciled with the
records) and `test_ikpa_seed` (the IKPA and the PP 39/2006 forms on the demo). They share one seeding: the
demo plus one synthetic province-year (Bali 2021, `SYNTHETIC_BALI_2021`), in a transaction opened for the
package and rolled back after its last test; each test runs in a savepoint within it. Their tests are marked
with one xdist group, so the package runs in one worker, in one piece. Anything else a test needs it builds
itself, in years the demo leaves empty (test_reports uses 2031).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

#: The synthetic year the seeding adds beside the demo (tests/seeded/test_seed_demo.py checks it).
SYNTHETIC_BALI_2021 = {"scale": 1, "provinces": ["51"], "years": [2021]}

#: The xdist group of every module of this package: one worker, one seeding.
GROUP = "seeded_demo"


def seed(**options):
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out, stderr=StringIO(), verbosity=0, **options)
    return out.getvalue()


@pytest.fixture(scope="package", autouse=True)
def demo_output(django_db_setup, django_db_blocker):
    """What `seed_demo` printed (the sign-in instructions, the synthetic year's summary)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed(**SYNTHETIC_BALI_2021)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
