"""manage.py restore FILE — load a backup made by `manage.py backup` into the configured database.

Restore into a new, empty database (createdb, then DATABASE_URL pointing at it), check it, then switch the
app over; --replace overwrites a database that has tables (PostgreSQL: pg_restore --clean).
"""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from ikm_dekon.audit import audit

from ..backup import restore


class Command(BaseCommand):
    help = "Pulihkan basis data dari FILE hasil `manage.py backup` (ke basis data kosong)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--replace", action="store_true", help="timpa basis data yang sudah berisi tabel")

    def handle(self, *, file, database, replace, **options):
        connection = connections[database]
        restore(connection, file, replace=replace)
        audit("restore", user=None, object=file, database=connection.settings_dict["NAME"], replace=replace)
        self.stdout.write(self.style.SUCCESS(f"Dipulihkan dari {file}"))
