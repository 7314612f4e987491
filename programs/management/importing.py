"""The command line's side of an import (manage.py import_firms, import_plan): run `imports.import_file`
with progress bars on stderr, and say what happened — notices, each refused row with its row and column,
each row's warnings, the summary — ending in a CommandError (exit status 1) when any row was refused, so
nothing was written. The commands only parse their arguments and name the import's target.
"""

import sys

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from tqdm import tqdm

from ..imports import ImportRefused, import_file
from ..numbers import decimal_text, grouped

SHOWN_ERRORS = 50


def run_import(command, path, *, kind, user, dry_run, **target):
    """Import `path` as `kind` into `target` (province= or allocation=) for `user`, reporting on the
    command's stdout and stderr; the ImportReport when every row passed."""
    bars = {}

    def progress(stage, done, total):
        bar = bars.get(stage)
        if bar is None:
            label = {"periksa": "Memeriksa", "simpan": "Menyimpan"}[stage]
            bar = bars[stage] = tqdm(total=total, desc=label, unit=" baris", file=sys.stderr, leave=True)
        bar.update(done - bar.n)

    try:
        report = import_file(
            path, kind=kind, user=user, dry_run=dry_run, name=path, progress=progress, **target
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
        command.stdout.write(str(notice))
    errors = list(report.errors())
    for row, column, message in errors[:SHOWN_ERRORS]:
        command.stderr.write(f"Baris {row}, kolom {column}: {message}")
    if len(errors) > SHOWN_ERRORS:
        command.stderr.write(f"... dan {len(errors) - SHOWN_ERRORS} galat lainnya.")
    for row in report.rows:
        for warning in row.warnings:
            command.stdout.write(f"Baris {row.number}: {warning}")
    seconds = decimal_text(report.seconds, 1)
    per_second = grouped(round(report.rows_per_second))
    command.stdout.write(f"{report.summary()} ({seconds} dtk, {per_second} baris/dtk)")
    if not report.ok:
        raise CommandError(
            f"{report.refused} baris ditolak; tidak ada yang disimpan. Perbaiki berkas lalu impor lagi."
        )
    if report.dry_run:
        command.stdout.write(command.style.WARNING("Uji coba (--dry-run): tidak ada yang disimpan."))
    else:
        command.stdout.write(command.style.SUCCESS("Semua baris disimpan."))
    return report
