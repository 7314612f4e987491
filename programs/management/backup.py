"""Backup and restore of the whole database, for `manage.py backup FILE` and `manage.py restore FILE`.

PostgreSQL: pg_dump's custom format (`pg_dump -Fc`: compressed, consistent while the app keeps writing)
and pg_restore. The client programs (postgresql-client, the server's major version or newer) must be on
PATH; the connection comes from the Django settings (DATABASE_URL), the password through PGPASSWORD so that
it never shows in a process list.
SQLite (the quick start): SQLite's online backup API, a page-by-page copy that is consistent even while
the app writes.
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404
from pathlib import Path

from django.core.management.base import CommandError


def _pg_env(settings_dict):
    env = os.environ.copy()
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGSSLMODE": settings_dict.get("OPTIONS", {}).get("sslmode"),
    }
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _run(program, args, settings_dict):
    path = shutil.which(program)
    if path is None:
        raise CommandError(f"{program} tidak ditemukan: pasang postgresql-client ({program} not on PATH).")
    # Accepted (bandit B404, B603): a fixed program found on PATH, an argument list without a shell; the
    # only values in it are the database name from the settings and the file name the operator typed.
    result = subprocess.run(  # noqa: S603  # nosec B603
        [path, *args], env=_pg_env(settings_dict), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CommandError(f"{program} gagal ({result.returncode}):\n{result.stderr.strip()}")


def has_tables(connection):
    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


def backup(connection, path):
    if os.path.exists(path):
        raise CommandError(
            f"{path} sudah ada: pilih nama file baru (an existing backup is never overwritten)."
        )
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        _run("pg_dump", ["--format=custom", f"--file={path}", f"--dbname={name}"], connection.settings_dict)
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            with target:
                connection.connection.backup(target)
        finally:
            target.close()
    else:
        raise CommandError(f"Backup untuk {connection.vendor} tidak didukung.")


def restore(connection, path, *, replace=False):
    if not os.path.isfile(path):
        raise CommandError(f"{path} tidak ditemukan.")
    if has_tables(connection) and not replace:
        raise CommandError(
            "Basis data tujuan tidak kosong. Pulihkan ke basis data baru yang kosong (disarankan), "
            "atau tambahkan --replace untuk menimpa isinya."
        )
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()
        args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if replace:
            args += ["--clean", "--if-exists"]
        _run("pg_restore", [*args, f"--dbname={name}", path], connection.settings_dict)
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        except sqlite3.DatabaseError as exc:
            raise CommandError(f"{path} bukan cadangan SQLite: {exc}") from exc
        finally:
            source.close()
        connection.close()
    else:
        raise CommandError(f"Restore untuk {connection.vendor} tidak didukung.")
