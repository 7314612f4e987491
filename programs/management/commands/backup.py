"""manage.py backup FILE — a consistent copy of the whole database while the app keeps running.

PostgreSQL: `pg_dump -Fc` (custom format); SQLite: the online backup API. Restore with `manage.py restore`.
"""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from ikm_dekon.audit import audit

from ..backup import backup


class Command(BaseCommand):
    help = "Cadangkan seluruh basis data ke FILE (PostgreSQL: pg_dump -Fc; SQLite: online backup)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="file cadangan baru, mis. ikm-dekon-2026-01-31.dump")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, file, database, **options):
        connection = connections[database]
        backup(connection, file)
        audit("backup", user=None, object=file, database=connection.settings_dict["NAME"])
        self.stdout.write(self.style.SUCCESS(f"Cadangan tersimpan: {file}"))
