"""Demo data: users for every role and the real cases of 2020; with --scale, synthetic years for benchmarks.

    manage.py seed_demo                                  # users + fiscal years 2020 (closed) and 2024 (TP)
    manage.py seed_demo --scale 1                        # + one national year each for 2021-2025
    manage.py seed_demo --scale 1 --years 2021 --provinces 51 63
    manage.py seed_demo --scale 100 --years 2025 --copy --force   # PostgreSQL COPY: 100x in minutes
    manage.py seed_demo --scale 1 --synthetic-only       # the synthetic years only (the demo seeded before)

Safe to run again: what is already there is kept and nothing is duplicated.
"""

import logging
import os
import sys
import time
from collections import defaultdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from provinces.models import Province

from ... import workdays
from ...numbers import grouped
from ..demo import DEMO_PASSWORD_DEFAULT, TP_YEAR, ensure_users, seed_2020, seed_tp_year
from ..synthetic import ACTIVITIES_PER_SCALE, PARTICIPATIONS_PER_ACTIVITY, Synthetic

DEFAULT_YEARS = [2021, 2022, 2023, 2024, 2025]


def _count(value):
    """--scale: a whole number, 0 or more."""
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Mengisi data demo: pengguna untuk setiap peran dan kasus nyata tahun anggaran 2020; dengan "
        "--scale, ditambah data sintetis untuk uji beban. Hanya untuk pengembangan (DEBUG=True) kecuali "
        "dengan --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Izinkan walau DEBUG=False (mis. untuk benchmark)."
        )
        parser.add_argument(
            "--scale",
            type=_count,
            default=0,
            metavar="N",
            help=(
                f"Tambahkan N kali satu tahun nasional sintetis per tahun: setiap provinsi x "
                f"{ACTIVITIES_PER_SCALE} kegiatan x {PARTICIPATIONS_PER_ACTIVITY} IKM peserta "
                "(0 = tidak ada)."
            ),
        )
        parser.add_argument(
            "--years",
            type=int,
            nargs="+",
            default=DEFAULT_YEARS,
            metavar="TAHUN",
            help="Tahun data sintetis (bawaan: 2021-2025; 2020 berisi kasus nyata).",
        )
        parser.add_argument(
            "--copy",
            action="store_true",
            help=(
                "Tulis baris massal (IKM, peserta, hasil, penyerahan) dan riwayatnya dengan COPY PostgreSQL: "
                "data yang sama, jauh lebih cepat untuk --scale besar."
            ),
        )
        parser.add_argument(
            "--synthetic-only",
            action="store_true",
            help=(
                "Hanya data sintetis (--scale): kasus nyata 2020 dan tahun tugas pembantuan tidak diperiksa "
                "lagi (mis. proses kedua benchmark yang sudah mengisinya)."
            ),
        )
        parser.add_argument(
            "--provinces",
            nargs="+",
            metavar="KODE",
            help="Batasi data sintetis ke provinsi ini (kode Kemendagri, mis. 51 63).",
        )

    def handle(
        self,
        *args,
        force=False,
        scale=0,
        years=DEFAULT_YEARS,
        provinces=None,
        copy=False,
        synthetic_only=False,
        **options,
    ):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo hanya untuk pengembangan: jalankan dengan DEBUG=True atau --force.")
        if scale < 0:
            raise CommandError("--scale tidak boleh negatif.")
        if any(not 2000 <= year <= 2100 for year in years):
            raise CommandError("Tahun harus di antara 2000 dan 2100.")
        if provinces:
            unknown = set(provinces) - set(
                Province.objects.filter(code__in=provinces).values_list("code", flat=True)
            )
            if unknown:
                raise CommandError(f"Kode provinsi tidak dikenal: {', '.join(sorted(unknown))}.")
        verbosity = options.get("verbosity", 1)
        password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)

        started = time.monotonic()
        users = ensure_users(password)
        if synthetic_only:
            if scale:
                self._synthetic(users, scale, sorted(set(years)), provinces, verbosity, copy)
            return
        # The working-day calendar's rows, so the admin lists them from the start (they load by themselves
        # the first time a year is asked otherwise).
        for year in range(2020, time.localtime().tm_year + 2):
            workdays.load_year(year)
        people = {"ministry": users.ministry, "operators": users.operators, "heads": users.heads}
        # The demo submits and verifies hundreds of records through the workflow: not a line each.
        workflow_log = logging.getLogger("ikm_dekon.workflow")
        level = workflow_log.level
        workflow_log.setLevel(logging.WARNING)
        try:
            created = seed_2020(users.admin, **people)
            self._report("Kasus nyata 2020", created, time.monotonic() - started)
            started = time.monotonic()
            created = seed_tp_year(users.admin, **people)
            self._report(f"Tahun tugas pembantuan {TP_YEAR} (berjalan)", created, time.monotonic() - started)
        finally:
            workflow_log.setLevel(level)

        if scale:
            self._synthetic(users, scale, sorted(set(years)), provinces, verbosity, copy)

        self.stdout.write(self.style.SUCCESS("Data demo siap."))
        self.stdout.write(f"Masuk di http://127.0.0.1:8000/ dengan kata sandi '{password}' sebagai:")
        self.stdout.write("  admin   admin (Django admin, semua data)")
        self.stdout.write("  pusat   staf kementerian (semua provinsi, verifikasi)")
        self.stdout.write("  viewer  peninjau (semua provinsi, hanya baca)")
        self.stdout.write(
            "  op-11 … op-96  operator provinsi, satu per provinsi (mis. op-63 Kalimantan Selatan)"
        )
        self.stdout.write("  kadis-11 … kadis-96  Kepala Dinas provinsi (menyetujui paket laporan operator)")
        self.stdout.write("  op-63.71  operator Kota Banjarmasin (kegiatan kota itu saja)")
        if users.created < users.total:
            self.stdout.write("Pengguna yang sudah ada sebelumnya tetap memakai kata sandi lamanya.")

    def _synthetic(self, users, scale, years, codes, verbosity, copy):
        run = Synthetic(
            scale=scale, actor=users.admin, ministry=users.ministry, operators=users.operators, copy=copy
        )
        todo, skipped = Synthetic.plan(years, codes)
        by_reason = defaultdict(list)
        for year, province, reason in skipped:
            by_reason[year, reason].append(province.name)
        for (year, reason), names in by_reason.items():
            where = ", ".join(names) if len(names) <= 5 else f"{len(names)} provinsi"
            self.stdout.write(f"Dilewati: {where} {year} ({reason}).")
        started = time.monotonic()
        with tqdm(
            total=len(todo), desc="Data sintetis", unit="provinsi", file=sys.stderr, disable=verbosity == 0
        ) as bar:
            for year, province in todo:
                bar.set_postfix_str(f"{year} {province.name}", refresh=False)
                run.build(year, province)
                bar.update()
        label = f"Data sintetis {scale}x untuk {len(todo)} provinsi-tahun"
        self._report(label, run.created, time.monotonic() - started)

    def _report(self, label, created, seconds):
        if not created:
            self.stdout.write(f"{label}: sudah lengkap, tidak ada yang ditambahkan ({seconds:.1f} dtk).")
            return
        self.stdout.write(f"{label}: ditambahkan dalam {seconds:.1f} dtk:")
        for model, count in sorted(created.items(), key=lambda item: str(item[0]._meta.verbose_name_plural)):
            number = grouped(count)
            self.stdout.write(f"  {number:>9} {model._meta.verbose_name_plural}")
