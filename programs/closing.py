"""Closing reporting periods for entry: the ministry's months and quarters, and the exceptions it grants.

A closed month locks that month's package and what it holds (the Realisation and Achievements of the
month); a closed quarter its quarterly package and QuarterlyNote — for every province but those given an
exception until a date (its last day, WIB). What the lock means is `programs.access` (`period_open_for`,
`ScopedQuerySet.unlocked`); these are the only writes of the closures and exceptions. Each is one atomic
function taking the acting user (ministry staff or admins), with its history row (`_history_user`) and a
log line, as `services.close_fiscal_year` is.
"""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .models import PERIODS_OF_KIND, PeriodClosure, PeriodException, valid_period

log = logging.getLogger("ikm_dekon.workflow")

#: How far ahead an exception may run: a province is given days or weeks to fix a period, not a year.
MAX_EXCEPTION_DAYS = 366


def _require(actor):
    if not access.may_close_periods(actor):
        raise PermissionDenied(_("Hanya staf kementerian yang dapat menutup periode pengisian."))


def _check_period(kind, period):
    if kind not in PERIODS_OF_KIND:
        raise ValidationError({"kind": _("Jenis periode tidak dikenal.")})
    if not isinstance(period, int) or not valid_period(kind, period):
        raise ValidationError({"period": _("Periode harus 1 sampai %(n)s.") % {"n": PERIODS_OF_KIND[kind]}})


def _log(message, actor, obj, **extra):
    log.info(message, extra={"user": actor.username, "province": None, "object": obj, **extra})


def close_period(*, year, kind, period, actor, note=""):
    """Close a month (kind "bulanan") or a quarter ("triwulanan") of a fiscal year for every province."""
    _require(actor)
    _check_period(kind, period)
    label = access.period_label(year, kind, period)
    try:
        with transaction.atomic():
            if PeriodClosure.objects.select_for_update().filter(year=year, kind=kind, period=period).exists():
                raise ValidationError(_("%(p)s sudah ditutup.") % {"p": label})
            closure = PeriodClosure(year=year, kind=kind, period=period, closed_by=actor, note=note)
            closure.full_clean(exclude=["closed_by"], validate_constraints=False)
            closure._history_user = actor
            closure._change_reason = "Periode ditutup"
            closure.save()
    except IntegrityError as e:  # closed by a colleague at the same moment
        raise ValidationError(_("%(p)s sudah ditutup.") % {"p": label}) from e
    _log("period closed", actor, f"PeriodClosure:{year}:{kind}:{period}")
    return closure


def _locked_closure(year, kind, period):
    closure = PeriodClosure.objects.select_for_update().filter(year=year, kind=kind, period=period).first()
    if closure is None:
        raise ValidationError(
            _("%(p)s tidak sedang ditutup.") % {"p": access.period_label(year, kind, period)}
        )
    return closure


def reopen_period(*, year, kind, period, actor, note=""):
    """Open a closed period again for every province; its exceptions go with the closure (history kept)."""
    _require(actor)
    _check_period(kind, period)
    with transaction.atomic():
        closure = _locked_closure(year, kind, period)
        for exception in closure.exceptions.all():
            exception._history_user = actor
            exception._change_reason = "Periode dibuka kembali"
            exception.delete()
        closure._history_user = actor
        closure._change_reason = f"Periode dibuka kembali: {note}" if note else "Periode dibuka kembali"
        closure.delete()
    _log("period reopened", actor, f"PeriodClosure:{year}:{kind}:{period}")


def check_until(until, today=None):
    """An exception's last day: from today (WIB) to at most MAX_EXCEPTION_DAYS ahead."""
    today = today or timezone.localdate()
    if until is None:
        raise ValidationError({"until": _("Isi tanggal terakhir pengecualian.")})
    if until < today:
        raise ValidationError({"until": _("Tanggal terakhir tidak boleh sebelum hari ini.")})
    if until > today + datetime.timedelta(days=MAX_EXCEPTION_DAYS):
        raise ValidationError(
            {"until": _("Pengecualian paling lama %(n)s hari dari hari ini.") % {"n": MAX_EXCEPTION_DAYS}}
        )


def grant_exception(*, closure, province, until, actor, note="", today=None):
    """Let one province still enter and hand over a closed period until `until` (inclusive). A province
    that already has one gets its date changed (one exception per province and closure)."""
    _require(actor)
    check_until(until, today)
    with transaction.atomic():
        closure = PeriodClosure.objects.select_for_update().filter(pk=closure.pk).first()
        if closure is None:
            raise ValidationError(_("Periode ini sudah dibuka kembali."))
        exception = PeriodException.objects.filter(closure=closure, province=province).first()
        if exception is None:
            exception = PeriodException(closure=closure, province=province, granted_by=actor)
        exception.until = until
        exception.note = note
        exception.granted_by = actor
        exception.granted_at = timezone.now()
        exception.full_clean(exclude=["closure", "province", "granted_by"], validate_constraints=False)
        exception._history_user = actor
        exception._change_reason = "Pengecualian diberikan"
        exception.save()
    _log(
        "period exception granted",
        actor,
        f"PeriodClosure:{closure.year}:{closure.kind}:{closure.period}",
        exception_province=province.code,
        until=until.isoformat(),
    )
    return exception


def revoke_exception(*, exception, actor):
    """Withdraw a province's exception: the period is closed for it again at once."""
    _require(actor)
    with transaction.atomic():
        locked = (
            PeriodException.objects.select_for_update()
            .select_related("closure", "province")
            .filter(pk=exception.pk)
            .first()
        )
        if locked is None:
            raise ValidationError(_("Pengecualian ini sudah dicabut."))
        closure, province = locked.closure, locked.province
        locked._history_user = actor
        locked._change_reason = "Pengecualian dicabut"
        locked.delete()
    _log(
        "period exception revoked",
        actor,
        f"PeriodClosure:{closure.year}:{closure.kind}:{closure.period}",
        exception_province=province.code,
    )
