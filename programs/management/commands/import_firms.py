"""Import a province's firms (IKM) from an XLSX or CSV file, all rows or none.

    manage.py import_firms daftar-ikm.xlsx --province 51 --user operator-bali
    manage.py import_firms daftar-ikm.xlsx --province 51 --dry-run      # check only, write nothing
    manage.py import_firms --template templat-impor-ikm.xlsx [--province 51]

Exits with status 1 when any row is refused (then nothing is written), 2 on a bad command line.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from provinces.models import Province

from ...imports import FIRMS, write_template
from ..importing import run_import


class Command(BaseCommand):
    help = (
        "Impor IKM dari berkas XLSX atau CSV ke satu provinsi: semua baris atau tidak sama sekali. Dengan "
        "--template, tulis templat impor."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Berkas .xlsx atau .csv yang diimpor.")
        parser.add_argument("--province", metavar="KODE", help="Kode provinsi Kemendagri, mis. 51 (Bali).")
        parser.add_argument("--dry-run", action="store_true", help="Periksa saja, tidak menyimpan apa pun.")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="Pengguna yang mengimpor: dicatat di riwayat, wewenangnya diperiksa.",
        )
        parser.add_argument("--template", metavar="FILE.xlsx", help="Tulis templat impor ke berkas ini.")

    def handle(self, *args, **options):
        with translation.override("id"):
            return self._handle(options)

    def _handle(self, options):
        province = None
        if options["province"]:
            province = Province.objects.filter(code=options["province"]).first()
            if province is None:
                raise CommandError(f"Provinsi dengan kode {options['province']} tidak dikenal.")
        if options["template"]:
            write_template(options["template"], FIRMS, province=province)
            self.stdout.write(self.style.SUCCESS(f"Templat ditulis ke {options['template']}."))
            return
        if not options["file"]:
            raise CommandError("Sebutkan berkas yang diimpor, atau --template FILE.xlsx.")
        if province is None:
            raise CommandError("Sebutkan provinsi tujuan: --province KODE (mis. 51).")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"Pengguna {options['user']} tidak ditemukan.")
        run_import(
            self, options["file"], kind=FIRMS, user=user, dry_run=options["dry_run"], province=province
        )
