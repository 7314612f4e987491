"""Backup and restore: `manage.py backup` then `manage.py restore` into an empty database gives the same rows.

The round trip runs on the engine the suite runs on: pg_dump/pg_restore on PostgreSQL (CI), SQLite's online
backup on SQLite (`make test`). Every step runs as an operator would, in its own process on its own
DATABASE_URL: migrate and fill a new database, back it up, restore into another new, empty one, compare.
The suite's test database is left alone.
"""

import contextlib
import datetime
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from programs.models import Activity, Allocation, BudgetRevision, Handover, Output, Realisation
from tests import factories as f

BASE_DIR = Path(settings.BASE_DIR)

# The national recap's totals: money and goods, by what the tables hold.
TOTALS = [
    (Allocation, "pagu"),
    (BudgetRevision, "new_pagu"),
    (Realisation, "amount"),
    (Activity, "budget"),
    (Output, "quantity"),
    (Handover, "quantity"),
]


def _programme():
    for code, pagu in (("51", "1500000000"), ("63", "2750000000")):
        allocation = f.make_allocation(code, 2020, pagu=Decimal(pagu))
        f.make_revision(allocation, Decimal(pagu) - 250_000_000)
        f.make_realisation(allocation, month=6, amount=Decimal("100000000"))
        f.make_realisation(allocation, month=7, amount=Decimal("25000000"))
        regency = "51.06" if code == "51" else "63.71"
        activity = f.make_activity(allocation)
        firm = f.make_firm(code, regency=regency)
        participation = f.make_participation(activity, firm)
        f.make_participant(activity)
        output = f.make_output(participation, quantity=1200)
        f.make_handover(output, quantity=300, handed_on=datetime.date(2020, 7, 20))
    # Accounts too, made here: this runs in a process of its own, where the cast's fixtures are not.
    f.make_user("op-51", "operator", "51")
    f.make_user("pusat", "pusat")


def _snapshot(cursor, quote, tables):
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the schema
        counts[table] = cursor.fetchone()[0]
    totals = {}
    for model, field in TOTALS:
        column = model._meta.get_field(field).column
        cursor.execute(f"SELECT SUM({quote(column)}) FROM {quote(model._meta.db_table)}")  # noqa: S608
        totals[f"{model.__name__}.{field}"] = cursor.fetchone()[0]
    cursor.execute(
        f"SELECT {quote('year')}, SUM({quote('pagu')}) FROM {quote(Allocation._meta.db_table)} "  # noqa: S608
        f"GROUP BY {quote('year')} ORDER BY {quote('year')}"
    )
    totals["pagu by year"] = [tuple(row) for row in cursor.fetchall()]
    return counts, totals


def _in_new_process(database_url, *args):
    """Run `args` (a manage.py command, or -c CODE) as an operator would: its own process and DATABASE_URL."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "False", "SECRET_KEY": "backup-" + "x" * 50}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH")]))
    env.setdefault("DJANGO_SETTINGS_MODULE", "ikm_dekon.settings")
    result = subprocess.run(  # noqa: S603 - our own manage.py or python, an argument list
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result


_FILL = """
import django
django.setup()
from tests.test_backup import _programme
_programme()
"""


def _tables(cursor, vendor):
    if vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [row[0] for row in cursor.fetchall()]


def _pg(*args):
    from programs.management.backup import _pg_env

    subprocess.run(  # noqa: S603 - fixed client programs, an argument list
        list(args), env=_pg_env(connection.settings_dict), check=True, capture_output=True, timeout=120
    )


class _Postgres:
    """Two new databases on the suite's PostgreSQL server: the one backed up and the one restored into."""

    def __init__(self):
        self.names = [f"ikm_backup_{kind}_{os.getpid()}" for kind in ("source", "restored")]

    def __enter__(self):
        for name in self.names:
            _pg("dropdb", "--if-exists", name)
            _pg("createdb", name)
        return [self.url(name) for name in self.names]

    def __exit__(self, *exc):
        for name in self.names:
            _pg("dropdb", "--if-exists", name)

    def url(self, name):
        s = connection.settings_dict
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"

    def open(self, url):
        import psycopg2

        s = connection.settings_dict
        return psycopg2.connect(
            dbname=url.rsplit("/", 1)[1],
            user=s["USER"],
            password=s.get("PASSWORD") or None,
            host=s["HOST"] or "127.0.0.1",
            port=s["PORT"] or 5432,
        )


def _snapshot_of(opener, url, vendor):
    db = opener(url)
    try:
        cursor = db.cursor()
        tables = _tables(cursor, vendor)
        return tables, _snapshot(cursor, connection.ops.quote_name, tables)
    finally:
        db.close()


@pytest.mark.slow
def test_backup_then_restore_into_an_empty_database_keeps_every_row_and_total(tmp_path):
    """On the suite's own engine: PostgreSQL in CI (pg_dump -Fc, pg_restore), SQLite in `make test`."""
    path = tmp_path / "ikm-dekon.backup"
    vendor = connection.vendor
    if vendor == "postgresql":
        databases = _Postgres()
        opener = databases.open
    else:
        assert vendor == "sqlite"
        databases = contextlib.nullcontext(
            [f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'restored.sqlite3'}"]
        )

        def opener(url):
            return sqlite3.connect(url.removeprefix("sqlite:///"))

    with databases as (source, restored):
        _in_new_process(source, "manage.py", "migrate", "--no-input", "--verbosity", "0")
        _in_new_process(source, "-c", _FILL)
        _in_new_process(source, "manage.py", "backup", str(path))
        assert path.stat().st_size > 0
        _in_new_process(restored, "manage.py", "restore", str(path))

        tables, before = _snapshot_of(opener, source, vendor)
        restored_tables, after = _snapshot_of(opener, restored, vendor)

    assert len(tables) > 30 and restored_tables == tables
    counts, totals = before
    assert counts[Allocation._meta.db_table] == 2 and counts[Handover._meta.db_table] == 2
    assert Decimal(str(totals["Allocation.pagu"])) == Decimal("4250000000")
    assert after[0] == counts  # every table, row for row
    assert after[1] == totals  # the national recap's totals


@pytest.mark.django_db
def test_restore_refuses_a_database_that_has_tables(tmp_path):
    path = tmp_path / "any.backup"
    path.write_bytes(b"not used")
    with pytest.raises(CommandError, match="tidak kosong"):
        call_command("restore", str(path))


@pytest.mark.django_db
def test_backup_never_overwrites_a_file(tmp_path):
    path = tmp_path / "exists.backup"
    path.write_bytes(b"yesterday")
    with pytest.raises(CommandError, match="sudah ada"):
        call_command("backup", str(path))
    assert path.read_bytes() == b"yesterday"
