"""manage.py tallies [--rebuild] — compare the reports' tallies with the records, or recompute them.

The tallies (programs/tallies.py) are kept by PostgreSQL triggers in the same transaction as every write,
so this is a check for operations (after a restore, say), not a step anybody has to run.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from ikm_dekon.audit import audit

from ... import tallies


class Command(BaseCommand):
    help = "Periksa rekap tersimpan (tally) terhadap data; --rebuild menghitung ulang semuanya."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="hitung ulang semua tally dari data")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, rebuild, database, **options):
        if not tallies.enabled(using=database):
            raise CommandError(
                "Tally hanya dipelihara di PostgreSQL; di SQLite laporan menjumlah data langsung."
            )
        connection = connections[database]
        if rebuild:
            self.stdout.write("Menghitung ulang tally dari data …")
            with transaction.atomic(using=database), connection.cursor() as cursor:
                tallies.rebuild(cursor)
            audit("tallies_rebuilt", user=None, object=connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            found = tallies.differences(cursor)
        if found:
            for table, rows in found.items():
                self.stderr.write(f"{table}: {len(rows)} baris berbeda")
                for side, row in rows[:5]:
                    where = "tersimpan" if side == "stored" else "menurut data"
                    self.stderr.write(f"  {where}: {row}")
            raise CommandError("Tally tidak sama dengan data: jalankan `manage.py tallies --rebuild`.")
        self.stdout.write(self.style.SUCCESS("Semua tally sama dengan data."))
