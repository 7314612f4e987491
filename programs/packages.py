"""What a period's package (models.ReportPackage) holds, how it is found or started, and its checklist.

A monthly package holds the month's Realisation (allocation, month) with its lines, the month's
Achievements (the allocation's ROs, month) and, once handed over, the RPD version then in force. A quarterly
package holds the quarter's QuarterlyNote. The records it holds have no workflow actions of their own:
`services.transition` moves them with their package, so their review_status is always their package's.

The words a page uses for a period ("bulan Juni 2020", "triwulan II 2020") are made here too.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from . import access, workflow
from .models import (
    Achievement,
    Allocation,
    CashPlanLine,
    PackageKind,
    PlanItem,
    QuarterlyNote,
    Realisation,
    ReportPackage,
    ReviewStatus,
    valid_period,
)
from .periods import MONTHS, period_label  # noqa: F401 - packages.period_label: its callers


def label_of(package):
    """ "Paket bulan Juni 2020" (the package's allocation loaded)."""
    return _("Paket %(p)s") % {"p": period_label(package.kind, package.period, package.allocation.year)}


def months_of_quarter(quarter):
    return range(3 * quarter - 2, 3 * quarter + 1)


# --- The records a package holds ----------------------------------------------------------------------------


def realisation_of(package, *, lock=False):
    qs = Realisation.objects.filter(allocation_id=package.allocation_id, month=package.period)
    return (qs.select_for_update() if lock else qs).first()


def achievements_of(package, *, lock=False):
    qs = Achievement.objects.filter(
        planned_output__allocation_id=package.allocation_id, month=package.period
    ).order_by("planned_output__code", "pk")
    return list(qs.select_for_update(of=("self",)) if lock else qs.select_related("planned_output"))


def note_of(package, *, lock=False):
    qs = QuarterlyNote.objects.filter(allocation_id=package.allocation_id, quarter=package.period)
    return (qs.select_for_update() if lock else qs).first()


def components(package, *, lock=False):
    """The records the package holds (locked FOR UPDATE when `lock`, after the package itself)."""
    if package.kind == PackageKind.QUARTERLY:
        note = note_of(package, lock=lock)
        return [note] if note else []
    realisation = realisation_of(package, lock=lock)
    return ([realisation] if realisation else []) + achievements_of(package, lock=lock)


def check_preparable(package, parts):
    """Refuse (ValidationError) to hand over a package that is empty in a way the rules forbid. A month may
    be handed over without a realisation (nothing was spent: the page says "tidak ada realisasi"); a
    quarter needs its quarterly note with its problems and follow-up written."""
    if package.kind != PackageKind.QUARTERLY:
        return
    note = parts[0] if parts else None
    missing = []
    if note is None or not note.problems.strip():
        missing.append(_("permasalahan"))
    if note is None or not note.follow_up.strip():
        missing.append(_("tindak lanjut"))
    if missing:
        raise ValidationError(
            _("Paket %(p)s belum dapat diajukan: catatan triwulan belum mengisi %(what)s.")
            % {
                "p": period_label(package.kind, package.period, package.allocation.year),
                "what": _(" dan ").join(str(m) for m in missing),
            }
        )


# --- Finding or starting a package --------------------------------------------------------------------------


def state_of_records(statuses):
    """The state a package takes from the records it holds when it is started after them (and in the data
    migration 0013): none → draft; all in one state → that state; in several, the least advanced: draft when
    any is editable (draft, returned), else the earliest of the table's order (submitted before verified)."""
    statuses = set(statuses)
    if not statuses:
        return ReviewStatus.DRAFT
    if len(statuses) == 1:
        return statuses.pop()
    if statuses & set(workflow.editable_states()):
        return ReviewStatus.DRAFT
    order = list(workflow.STATES)
    return min(statuses, key=order.index)


def may_prepare(user, allocation):
    """Whether the user hands over the allocation's packages (its province's operators, admins; open year)."""
    return access.allocations_open_for_reporting(user).filter(pk=allocation.pk).exists()


def get_or_start(allocation, kind, period, *, actor):
    """The allocation's package of the period, started (created) when none exists yet; (package, created).
    A package started after its records takes their state (`state_of_records`)."""
    package = ReportPackage.objects.filter(allocation=allocation, kind=kind, period=period).first()
    if package is not None:
        return package, False
    package = ReportPackage(allocation=allocation, kind=kind, period=period)
    package.review_status = state_of_records(r.review_status for r in components(package))
    # The fields and clean() say what is wrong in words; the constraints are the database's to check on
    # insert (Django's own check of them costs a query each; a second package of the period is the
    # IntegrityError below).
    package.full_clean(validate_unique=False, validate_constraints=False)
    package._history_user = actor
    package._change_reason = _("Paket dibuat")
    try:
        with transaction.atomic():
            package.save()
    except IntegrityError:  # started by someone else in between
        return ReportPackage.objects.get(allocation=allocation, kind=kind, period=period), False
    return package, True


def periods_of_record(record):
    """[(allocation_id, kind, period)] of the package(s) a month's realisation or achievement or a quarter's
    note belongs to: where it is now and, for a stored record moved to another period, where it was."""
    if isinstance(record, QuarterlyNote):
        fields, kind = ("allocation_id", "quarter"), PackageKind.QUARTERLY
    elif isinstance(record, Realisation):
        fields, kind = ("allocation_id", "month"), PackageKind.MONTHLY
    elif isinstance(record, Achievement):
        fields, kind = ("planned_output__allocation_id", "month"), PackageKind.MONTHLY
    else:
        return []
    if isinstance(record, Achievement):
        allocation_id = (
            PlanItem.objects.filter(pk=record.planned_output_id)
            .values_list("allocation_id", flat=True)
            .first()
        )
        now = (allocation_id, record.month)
    else:
        now = (getattr(record, fields[0]), getattr(record, fields[1]))
    found = {now}
    if record.pk is not None:
        stored = type(record)._base_manager.filter(pk=record.pk).values_list(*fields).first()
        if stored is not None:
            found.add(tuple(stored))
    return sorted((a, kind, p) for a, p in found if a is not None and valid_period(kind, p))


def hold_periods_of(record, *, actor):
    """Lock the package of the record's period (started when there is none yet), before the record is
    written. The package's transitions lock it first too: a realisation saved while its month is being
    handed over waits, then sees the package's new state (and the rules refuse it), instead of slipping
    into a handed-over package as a draft."""
    for allocation_id, kind, period in periods_of_record(record):
        allocation = Allocation.objects.get(pk=allocation_id)
        package, _created = get_or_start(allocation, kind, period, actor=actor)
        ReportPackage.objects.select_for_update().filter(pk=package.pk).values("pk").first()


def plan_in_force(allocation):
    """The RPD version in force (the latest), or None (as programs.cashplan.plan_in_force)."""
    return allocation.cash_plans.order_by("-number").first()


def packages_of(allocation):
    """{(kind, period): package} of an allocation (one query)."""
    return {(p.kind, p.period): p for p in ReportPackage.objects.filter(allocation=allocation)}


# --- What the detail page shows -----------------------------------------------------------------------------


def contents(package):
    """What the package's page lists: the month's realisation (and its lines), the RPD in force (the one
    recorded when it was handed over, else today's) with the month's planned amount, the month's
    achievements; or the quarter's note. A dict for the template."""
    allocation = package.allocation
    if package.kind == PackageKind.QUARTERLY:
        return {
            "note": note_of(package),
            "quarter_months": [MONTHS[m - 1] for m in months_of_quarter(package.period)],
        }
    realisation = realisation_of(package)
    lines = list(realisation.lines.select_related("planned_output")) if realisation else []
    plan = package.cash_plan if package.cash_plan_id else plan_in_force(allocation)
    planned = None
    if plan is not None:
        planned = (
            CashPlanLine.objects.filter(cash_plan=plan, month=package.period).aggregate(s=Sum("amount"))["s"]
            or 0
        )
    return {
        "realisation": realisation,
        "lines": lines,
        "plan": plan,
        "plan_recorded": bool(package.cash_plan_id),
        "planned": planned,
        "achievements": achievements_of(package),
    }
