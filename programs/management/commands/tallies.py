"""manage.py tallies [--rebuild] — compare every derived value with the records, or set them again.

Derived values (programs/derived.py: the copies of a parent's province, year, activity and product type,
the running totals, the current pagu) and, on PostgreSQL, the reports' tallies (programs/tallies.py) are kept
by database triggers in the same transaction as every write, so this is a check for operations (after a
restore, say), not a step anybody has to run. The check walks the foreign keys from each row up to its
allocation and never trusts another copy.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from ikm_dekon.audit import audit

from ... import derived, tallies


class Command(BaseCommand):
    help = (
        "Periksa data turunan (salinan provinsi/tahun, total berjalan, tally rekap) terhadap data; "
        "--rebuild menghitung ulang semuanya."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="hitung ulang semua data turunan")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *, rebuild, database, **options):
        connection = connections[database]
        with_tallies = tallies.enabled(using=database)
        if rebuild:
            self.stdout.write("Menghitung ulang data turunan dari data …")
            with transaction.atomic(using=database), connection.cursor() as cursor:
                derived.repair(cursor, connection.vendor)
                if with_tallies:
                    tallies.rebuild(cursor)
            audit("tallies_rebuilt", user=None, object=connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            found = derived.differences(cursor)
            if with_tallies:
                found.update(tallies.differences(cursor))
        if found:
            for table, rows in found.items():
                self.stderr.write(f"{table}: {len(rows)} baris berbeda")
                for row in rows[:5]:
                    if isinstance(row, tuple) and len(row) == 2 and row[0] in ("stored", "records"):
                        side, row = row
                        self.stderr.write(f"  {'tersimpan' if side == 'stored' else 'menurut data'}: {row}")
                    else:
                        self.stderr.write(f"  tersimpan lalu menurut data: {row}")
            raise CommandError("Data turunan tidak sama dengan data: jalankan `manage.py tallies --rebuild`.")
        what = "data turunan dan tally" if with_tallies else "data turunan (tally hanya di PostgreSQL)"
        self.stdout.write(self.style.SUCCESS(f"Semua {what} sama dengan data."))
