"""Import a province's firms (IKM) from an XLSX or CSV file, all rows or none.

    manage.py import_firms daftar-ikm.xlsx --province 51 --user operator-bali
    manage.py import_firms daftar-ikm.xlsx --province 51 --dry-run      # check only, write nothing
    manage.py import_firms --template templat-impor-ikm.xlsx [--province 51]

Exits with status 1 when any row is refused (then nothing is written), 2 on a bad command line.
"""

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from tqdm import tqdm

from provinces.models import Province

from ...imports import FIRMS, ImportRefused, import_file, write_template
from ...numbers import decimal_text, grouped

SHOWN_ERRORS = 50


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
        bars = {}

        def progress(stage, done, total):
            bar = bars.get(stage)
            if bar is None:
                label = {"periksa": "Memeriksa", "simpan": "Menyimpan"}[stage]
                bar = bars[stage] = tqdm(total=total, desc=label, unit=" baris", file=sys.stderr, leave=True)
            bar.update(done - bar.n)

        try:
            report = import_file(
                options["file"],
                kind=FIRMS,
                province=province,
                user=user,
                dry_run=options["dry_run"],
                name=options["file"],
                progress=progress,
            )
        except ImportRefused as e:
            raise CommandError(f"Berkas ditolak: {e.message}") from e
        except PermissionDenied as e:
            raise CommandError(str(e) or "Di luar wewenang pengguna ini.") from e
        except OSError as e:
            raise CommandError(f"Berkas tidak dapat dibuka: {e}") from e
        finally:
            for bar in bars.values():
                bar.close()
        for notice in report.notices:
            self.stdout.write(str(notice))
        errors = list(report.errors())
        for row, column, message in errors[:SHOWN_ERRORS]:
            self.stderr.write(f"Baris {row}, kolom {column}: {message}")
        if len(errors) > SHOWN_ERRORS:
            self.stderr.write(f"... dan {len(errors) - SHOWN_ERRORS} galat lainnya.")
        for row in report.rows:
            for warning in row.warnings:
                self.stdout.write(f"Baris {row.number}: {warning}")
        seconds = decimal_text(report.seconds, 1)
        per_second = grouped(round(report.rows_per_second))
        self.stdout.write(f"{report.summary()} ({seconds} dtk, {per_second} baris/dtk)")
        if not report.ok:
            raise CommandError(
                f"{report.refused} baris ditolak; tidak ada yang disimpan. Perbaiki berkas lalu impor lagi."
            )
        if report.dry_run:
            self.stdout.write(self.style.WARNING("Uji coba (--dry-run): tidak ada yang disimpan."))
        else:
            self.stdout.write(self.style.SUCCESS("Semua baris disimpan."))
