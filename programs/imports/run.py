"""The import itself, one path for the browser, the command line and the benchmark: the target and the
user's right to it, reading, planning, and writing everything or nothing.
"""

import logging
import os
import time

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from provinces.models import Province

from .. import access
from ..access import provinces_editable_by
from ..models import Activity, Allocation
from .columns import (
    ACTIVITY_FIRMS,
    ACTIVITY_PEOPLE,
    FIRMS,
    ImportRefused,
    RegencyLookup,
    columns_for,
    map_headers,
)
from .dipa import PLAN, import_plan
from .files import MAX_ROWS, read_table, too_many_rows
from .plan import ERROR, NEW, UNCHANGED, UPDATE, ImportReport, Plan, is_example, parse_rows, row_label
from .writer import write

log = logging.getLogger("ikm_dekon.imports")


# --- The import ---------------------------------------------------------------------------------------------


def _target(kind, province, user, activity):
    """The province (and activity) the import writes into, after checking the user may write there."""
    if kind in (ACTIVITY_FIRMS, ACTIVITY_PEOPLE):
        if activity is None:
            raise ValueError("an activity import needs the activity")
        if user is not None and not Activity.objects.editable_by(user).filter(pk=activity.pk).exists():
            raise PermissionDenied(
                _("Kegiatan ini di luar wewenang Anda atau terkunci (diajukan, diverifikasi, tahun ditutup).")
            )
        return Province.objects.get(pk=activity.province_id), activity
    if kind != FIRMS:
        raise ValueError(kind)
    if not isinstance(province, Province):
        province = Province.objects.filter(code=str(province)).first()
        if province is None:
            raise ImportRefused(_("Provinsi tidak dikenal."))
    if user is not None and not provinces_editable_by(user).filter(pk=province.pk).exists():
        raise PermissionDenied(_("Anda tidak berhak mengimpor data untuk provinsi %(p)s.") % {"p": province})
    return province, None


def _plan_target(allocation, user):
    """A plan is entered by ministry staff and admins (`may_enter_plan`), in an open year."""
    if allocation is None:
        raise ValueError("a plan import needs the allocation")
    if user is None:
        raise PermissionDenied(_("Impor rencana mencatat siapa yang mengimpor: sebutkan penggunanya."))
    if (
        not access.may_enter_plan(user)
        or not Allocation.objects.visible_to(user).filter(pk=allocation.pk).exists()
    ):
        raise PermissionDenied(_("Anda tidak berhak mengimpor rencana alokasi ini."))
    access.check_year_open(user, allocation.year)
    return allocation.province


def import_file(
    source,
    *,
    kind=FIRMS,
    province=None,
    activity=None,
    user=None,
    dry_run=False,
    name="",
    progress=None,
    allocation=None,
):
    """Check (dry run) or import a file; returns an ImportReport. Raises ImportRefused for a file that cannot
    be imported at all and PermissionDenied outside the user's scope. Writes every row or none. A plan
    (kind "rencana") is imported into `allocation`."""
    started = time.monotonic()
    if kind == PLAN:
        province = _plan_target(allocation, user)
    else:
        province, activity = _target(kind, province, user, activity)
    try:
        if kind == PLAN:
            report = _import_plan(source, allocation, user, dry_run, name)
        else:
            report = _import(source, kind, province, activity, user, dry_run, name, progress)
    except ImportRefused as e:
        log.info(
            "import refused", extra={**_log_context(user, province, activity, kind), "reason": e.message}
        )
        raise
    report.seconds = time.monotonic() - started
    counts = report.counts
    log.info(
        "import",
        extra={
            **_log_context(user, province, activity, kind),
            "dry_run": dry_run,
            "written": report.written,
            "rows": len(report.rows),
            "new": counts[NEW],
            "updated": counts[UPDATE],
            "unchanged": counts[UNCHANGED],
            "refused": counts[ERROR],
            "seconds": round(report.seconds, 3),
        },
    )
    return report


def _import(source, kind, province, activity, user, dry_run, name, progress):
    table = read_table(source)
    if not table.rows:
        raise ImportRefused(_("Berkas tidak berisi data."))
    own = None if user is None else access.own_regency(user)
    allowed = None if own is None else {own}
    regencies = RegencyLookup(province, allowed) if kind in (FIRMS, ACTIVITY_FIRMS) else None
    position, mapping, notices = map_headers(table.rows, columns_for(kind, regencies))
    data_rows = table.rows[position + 1 :]
    if len(data_rows) > MAX_ROWS:
        raise too_many_rows(len(data_rows))
    parsed = parse_rows(data_rows, mapping, progress)
    examples = [number for number, values, _r in parsed if is_example(values)]
    if examples:
        parsed = [p for p in parsed if not is_example(p[1])]
        notices.append(
            _("Baris contoh dari templat dilewati: baris %(n)s.") % {"n": ", ".join(map(str, examples))}
        )
    if not parsed:
        raise ImportRefused(_("Berkas tidak berisi baris data di bawah judul kolom."))
    for _n, values, result in parsed:
        result.label = row_label(values)
        if result.errors:
            result.status = ERROR
    report = ImportReport(kind=kind, province=province, activity=activity, notices=notices, dry_run=dry_run)
    report.rows = [result for _n, _v, result in parsed]
    now = timezone.now()
    reason = _("Impor dari berkas %(name)s") % {
        "name": os.path.basename(name or getattr(source, "name", "") or "")
    }
    try:
        with transaction.atomic():
            if activity is not None and not dry_run:
                # Held until the import commits: a submit or a verification waits for it.
                locked = Activity.objects.select_for_update().filter(pk=activity.pk)
                if user is not None:
                    locked = locked & Activity.objects.editable_by(user)
                if not locked.exists():
                    raise PermissionDenied(_("Kegiatan ini sudah terkunci."))
            plan = Plan(kind=kind, province=province, user=user, activity=activity, lock=not dry_run)
            if kind == ACTIVITY_PEOPLE:
                plan.people(parsed, now)
            else:
                plan.firms(parsed, now)
            for result in report.rows:
                if result.errors:
                    result.status = ERROR
            if report.ok and not dry_run:
                write(plan, user=user, reason=reason, now=now, progress=progress)
                report.written = True
    except IntegrityError as e:
        log.warning("import collided", extra=_log_context(user, province, activity, kind), exc_info=e)
        raise ImportRefused(
            _(
                "Data bertabrakan dengan perubahan lain yang baru saja disimpan; tidak ada yang disimpan. "
                "Ulangi impor."
            )
        ) from e
    except DatabaseError as e:
        # A value the checks let through and the database refused: a bug to fix, never a server error.
        log.exception("import refused by the database", extra=_log_context(user, province, activity, kind))
        raise ImportRefused(
            _("Basis data menolak isi berkas ini; tidak ada yang disimpan. Laporkan ke admin.")
        ) from e
    return report


def _import_plan(source, allocation, user, dry_run, name):
    try:
        with transaction.atomic():
            return import_plan(source, allocation=allocation, user=user, dry_run=dry_run, name=name)
    except DatabaseError as e:
        # A rule the plan's checks let through and the database's triggers refused: a bug to fix.
        log.exception(
            "plan import refused by the database", extra=_log_context(user, allocation.province, None, PLAN)
        )
        raise ImportRefused(
            _("Basis data menolak isi berkas ini; tidak ada yang disimpan. Laporkan ke admin.")
        ) from e


def _log_context(user, province, activity, kind):
    return {
        "user": user.username if user is not None else None,
        "province": province.code,
        "object": f"Activity:{activity.pk}:{kind}"
        if activity is not None
        else {PLAN: "PlanItem"}.get(kind, "Firm"),
    }
