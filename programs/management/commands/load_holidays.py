"""manage.py load_holidays --year 2026 [--year 2027] [--refresh] — the working-day calendar's days off.

A year is filled from the `holidays` package (libur nasional and cuti bersama) by itself the first time it
is asked (programs/workdays.py); this command loads years ahead of time (seed_demo calls it) and, with
--refresh after the package was upgraded, takes the package's corrections. The ministry's amendments in the
admin are never changed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ... import workdays


class Command(BaseCommand):
    help = "Muat hari libur nasional dan cuti bersama dari paket holidays ke tabel Hari libur."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", dest="years", help="tahun (boleh berulang); baku: tahun ini"
        )
        parser.add_argument(
            "--refresh", action="store_true", help="perbarui hari dari paket (ubahan kementerian tetap)"
        )

    def handle(self, *, years, refresh, **options):
        years = years or [timezone.localdate().year]
        if any(not 2000 <= year <= 2100 for year in years):
            raise CommandError("Tahun harus di antara 2000 dan 2100.")
        for year in sorted(set(years)):
            created, updated, removed = workdays.load_year(year, refresh=refresh)
            self.stdout.write(
                f"{year}: {created} ditambahkan, {updated} diperbarui, {removed} dihapus "
                f"({len(workdays.holidays_of(year))} hari libur)."
            )
