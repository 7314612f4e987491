"""Import an allocation's plan (DIPA) from an XLSX or CSV file, all rows or none.

    manage.py import_plan rencana-bali-2020.xlsx --province 51 --year 2020 --user pusat
    manage.py import_plan rencana-bali-2020.xlsx --province 51 --year 2020 --user pusat --dry-run
    manage.py import_plan --template templat-impor-rencana.xlsx

The file is the allocation's whole plan (kode, uraian, volume, satuan, akun, pagu; cara_hitung and
jenis_produk optional); the user (ministry staff or an admin) is checked and recorded in the history.
Exits with status 1 when any row is refused (then nothing is written).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from ...imports.dipa import PLAN, write_plan_template
from ...models import Allocation
from ..importing import run_import


class Command(BaseCommand):
    help = (
        "Impor rencana (DIPA) satu alokasi dari berkas XLSX atau CSV: semua baris atau tidak sama sekali. "
        "Dengan --template, tulis templat impor."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Berkas .xlsx atau .csv yang diimpor.")
        parser.add_argument("--province", metavar="KODE", help="Kode provinsi Kemendagri, mis. 51 (Bali).")
        parser.add_argument("--year", type=int, metavar="TAHUN", help="Tahun anggaran, mis. 2020.")
        parser.add_argument("--dry-run", action="store_true", help="Periksa saja, tidak menyimpan apa pun.")
        parser.add_argument(
            "--user", metavar="USERNAME", help="Pengguna yang mengimpor (staf kementerian atau admin)."
        )
        parser.add_argument("--template", metavar="FILE.xlsx", help="Tulis templat impor ke berkas ini.")

    def handle(self, *args, **options):
        with translation.override("id"):
            return self._handle(options)

    def _handle(self, options):
        if options["template"]:
            write_plan_template(options["template"])
            self.stdout.write(self.style.SUCCESS(f"Templat ditulis ke {options['template']}."))
            return
        if not options["file"]:
            raise CommandError("Sebutkan berkas yang diimpor, atau --template FILE.xlsx.")
        if not options["province"] or not options["year"]:
            raise CommandError(
                "Sebutkan alokasinya: --province KODE --year TAHUN (mis. --province 51 --year 2020)."
            )
        allocation = (
            Allocation.objects.select_related("province")
            .filter(province__code=options["province"], year=options["year"])
            .first()
        )
        if allocation is None:
            raise CommandError(f"Alokasi provinsi {options['province']} tahun {options['year']} tidak ada.")
        if not options["user"]:
            raise CommandError("Sebutkan pengguna yang mengimpor: --user USERNAME.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"Pengguna {options['user']} tidak ditemukan.")
        run_import(
            self, options["file"], kind=PLAN, user=user, dry_run=options["dry_run"], allocation=allocation
        )
