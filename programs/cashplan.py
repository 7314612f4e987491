"""The monthly cash plan (RPD, page III of the DIPA) and the realisation per spending type and RO.

Services (keyword-only, with the acting user, atomic, the parent allocation locked, history kept):
- `save_cash_plan`: a new RPD version with its 36 lines (12 months × belanja 51/52/53). Versions are never
  changed or deleted; the latest is in force. The first version may be entered any time, later ones only
  inside a revision window (`windows`: those the ministry stored for the year, else the defaults: 1 February,
  April, July and October to the 10th working day of that month).
- `save_realisation`: a month's realisation entered as lines — per spending type, and per RO when the year
  has a plan; its amount is their sum, written with them in one transaction, under every rule of
  `Realisation` (one per month, cumulative within the current pagu).

The read side, `compare` (one allocation; `compare_each` for many in a fixed number of queries): per month
the plan in force against the realisation, per spending type and in total, the deviation
|realised − planned| / planned × 100 per month and cumulative, and the cumulative absorption against the
15/40/60/90 % benchmarks. A realisation without lines counts wholly as belanja barang (52), under no RO.

This module never decides who may do what by itself (it asks `programs.access`) and never computes a working
day (it asks `programs.workdays`).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, services, workdays
from .models import (
    Allocation,
    CashPlan,
    CashPlanLine,
    CashPlanWindow,
    PlanItem,
    PlanLevel,
    Realisation,
    RealisationLine,
    SpendingType,
    rupiah,
)
from .numbers import absorption_pct, percent
from .periods import MONTH_CHOICES, benchmark_at_month_end

SPENDING_TYPES = tuple(SpendingType.values)  # "51", "52", "53"
MONTH_NUMBERS = tuple(range(1, 13))
#: A realisation entered without lines is all belanja barang: where the programme spends.
UNSPLIT_TYPE = SpendingType.GOODS.value
#: The default windows: these months, from their first day to their 10th working day.
DEFAULT_WINDOW_MONTHS = (2, 4, 7, 10)
DEFAULT_WINDOW_WORKING_DAYS = 10
ZERO = Decimal(0)


# --- Windows -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    opens_on: datetime.date
    closes_on: datetime.date
    note: str = ""
    stored: bool = False  # False: one of the default windows
    for_province: bool = False  # a window the ministry opened for this province only

    def contains(self, day):
        return self.opens_on <= day <= self.closes_on


def default_windows(year):
    """1 February, April, July and October to the 10th working day of that month."""
    note = gettext_lazy("Jendela baku (sampai hari kerja ke-10)")
    return [
        Window(
            datetime.date(year, month, 1),
            workdays.nth_working_day(year, month, DEFAULT_WINDOW_WORKING_DAYS),
            note,
        )
        for month in DEFAULT_WINDOW_MONTHS
    ]


def windows(year, province=None):
    """The RPD revision windows of a year for a province (a Province, its id, or None for all), by date.

    The windows the ministry stored for all provinces replace the defaults; with none stored for all
    provinces the defaults apply. A window stored for one province is added to that province's windows.
    One query.
    """
    province_id = getattr(province, "pk", province)
    stored = list(CashPlanWindow.objects.filter(year=year).order_by("opens_on", "pk"))
    national = [Window(w.opens_on, w.closes_on, w.note, stored=True) for w in stored if w.province_id is None]
    own = [
        Window(w.opens_on, w.closes_on, w.note, stored=True, for_province=True)
        for w in stored
        if province_id is not None and w.province_id == province_id
    ]
    return sorted((national or default_windows(year)) + own, key=lambda w: (w.opens_on, w.closes_on))


def _today(today):
    return today or timezone.localdate()


def window_open(allocation, on=None, *, year_windows=None):
    """The window open on that day (today in WIB by default) for the allocation's province, or None."""
    on = _today(on)
    for window in year_windows or windows(allocation.year, allocation.province_id):
        if window.contains(on):
            return window
    return None


def next_window(allocation, on=None, *, year_windows=None):
    """The next window opening after that day in the allocation's year, or None."""
    on = _today(on)
    for window in year_windows or windows(allocation.year, allocation.province_id):
        if window.opens_on > on:
            return window
    return None


def _window_text(window):
    return f"{window.opens_on:%d/%m/%Y}–{window.closes_on:%d/%m/%Y}"


def closed_message(allocation, on=None, *, year_windows=None):
    """Why an RPD change is refused on that day, naming the next window."""
    upcoming = next_window(allocation, on, year_windows=year_windows)
    if upcoming is None:
        return _(
            "RPD hanya dapat diubah di dalam jendela revisi; tidak ada lagi jendela revisi RPD "
            "tahun anggaran %(y)s."
        ) % {"y": allocation.year}
    return _("RPD hanya dapat diubah di dalam jendela revisi. Jendela berikutnya: %(w)s.") % {
        "w": _window_text(upcoming)
    }


# --- Entering the RPD -----------------------------------------------------------------------------------


def may_enter_cash_plan(user, allocation):
    """Operators of the province and admins, in a year still open to them (as for the realisation)."""
    return access.allocations_open_for_reporting(user).filter(pk=allocation.pk).exists()


def plan_in_force(allocation):
    """The latest RPD version, or None."""
    return allocation.cash_plans.select_related("entered_by").order_by("-number").first()


def _amounts(lines):
    """{(month, spending type): Decimal} of the 36 cells, missing ones 0; a ValidationError for others."""
    cells = {(m, t): ZERO for m in MONTH_NUMBERS for t in SPENDING_TYPES}
    for key, value in dict(lines).items():
        month, spending_type = key
        if (month, str(spending_type)) not in cells:
            raise ValidationError(
                _("Bulan %(m)s, jenis belanja %(t)s tidak dikenal.") % {"m": month, "t": spending_type}
            )
        amount = ZERO if value in (None, "") else Decimal(value)
        if amount < 0 or amount != amount.to_integral_value():
            raise ValidationError(_("Jumlah RPD harus Rupiah bulat yang tidak negatif."))
        cells[(month, str(spending_type))] = amount
    return cells


def save_cash_plan(*, allocation, lines, actor, note="", today=None):
    """A new RPD version of the allocation: all 36 lines or nothing.

    Refused (PermissionDenied) for a user who may not enter the province's data in that year, and with a
    ValidationError naming the next window when a version already exists and no window is open `today`.
    Returns the new CashPlan; `differs_from_pagu(plan)` says whether its total misses the current pagu.
    """
    if not may_enter_cash_plan(actor, allocation):
        raise PermissionDenied(_("Anda tidak berhak mengisi RPD alokasi ini."))
    cells = _amounts(lines)
    today = _today(today)

    def write():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)  # versions numbered one by one
        latest = locked.cash_plans.order_by("-number").values_list("number", flat=True).first()
        if latest is not None and window_open(locked, today) is None:
            raise ValidationError(closed_message(locked, today))
        plan = CashPlan(allocation=locked, number=(latest or 0) + 1, entered_by=actor, note=note.strip())
        plan.full_clean()
        plan._history_user = actor
        plan.save()
        rows = [
            CashPlanLine(cash_plan=plan, month=month, spending_type=spending_type, amount=amount)
            for (month, spending_type), amount in sorted(cells.items())
        ]
        for row in rows:
            row.full_clean(exclude=["cash_plan"])
        CashPlanLine.objects.bulk_create(rows)  # CashPlanLine keeps no history: its version row does
        return plan

    return services.retried(write)


def differs_from_pagu(allocation, total):
    """The warning when the RPD's total is not the current pagu (a warning: the RPD is saved all the same)."""
    if total is None or total == allocation.current_pagu:
        return None
    return _("Jumlah RPD %(t)s berbeda dengan pagu terkini %(p)s (selisih %(d)s).") % {
        "t": rupiah(total),
        "p": rupiah(allocation.current_pagu),
        "d": rupiah(abs(total - allocation.current_pagu)),
    }


# --- The realisation per spending type (and RO) -------------------------------------------------------------


def planned_outputs(allocation):
    """The RO of the allocation's plan, by code (the rows of the realisation grid)."""
    return PlanItem.objects.filter(allocation=allocation, level=PlanLevel.RO).order_by("code")


def _line_key(line):
    return (line.planned_output_id, line.spending_type)


def check_realisation_lines(allocation, lines, *, ro_ids=None):
    """{(RO id or None, spending type): Decimal} checked for the allocation: with a plan every amount names
    one of its RO, without one none does. Returns the non-zero amounts."""
    ro_ids = set(planned_outputs(allocation).values_list("pk", flat=True)) if ro_ids is None else ro_ids
    kept = {}
    for (ro_id, spending_type), value in dict(lines).items():
        amount = ZERO if value in (None, "") else Decimal(value)
        if spending_type not in SPENDING_TYPES:
            raise ValidationError(_("Jenis belanja %(t)s tidak dikenal.") % {"t": spending_type})
        if amount < 0 or amount != amount.to_integral_value():
            raise ValidationError(_("Jumlah realisasi harus Rupiah bulat yang tidak negatif."))
        if ro_ids and ro_id not in ro_ids:
            raise ValidationError(_("Realisasi tahun yang punya rencana (DIPA) dicatat per RO alokasi ini."))
        if not ro_ids and ro_id is not None:
            raise ValidationError(_("Alokasi ini belum punya RO; catat realisasi per jenis belanja."))
        if amount:
            kept[(ro_id, spending_type)] = amount
    return kept


def save_realisation(
    *, allocation, month, lines, actor, note="", realisation=None, expected_version=None, ro_ids=None
):
    """Create (realisation=None) or change a month's realisation from its lines, in one transaction.

    The amount becomes the lines' sum; the allocation is locked, the realisation's rules are checked under
    the lock (one per month, cumulative within the current pagu), its lines are updated in place (changed,
    added, removed), every row with its history. Raises PermissionDenied, services.ConcurrentEditError
    or ValidationError; nothing is written then.
    """
    if realisation is None:
        if not access.may_add_realisation(actor, allocation):
            raise PermissionDenied(_("Anda tidak berhak mencatat realisasi alokasi ini."))
        realisation = Realisation(allocation=allocation, month=month)
    elif realisation.allocation_id != allocation.pk:
        raise PermissionDenied
    access.check_period_open(
        actor, allocation.province_id, allocation.year, access.MONTHLY, month, field="month"
    )
    amounts = check_realisation_lines(allocation, lines, ro_ids=ro_ids)
    realisation.amount = sum(amounts.values(), ZERO)
    realisation.note = note
    state = (realisation._state.adding, realisation.pk, getattr(realisation, "version", None))

    def reset():
        realisation._state.adding, realisation.pk, realisation.version = state

    def write():
        realisation.clean_fields(exclude=["allocation"])  # its rules: clean(), by save_edit under the lock
        services.save_edit(realisation, actor=actor, expected_version=expected_version)
        existing = {_line_key(line): line for line in realisation.lines.all()}
        for key, line in existing.items():
            if key not in amounts:
                line._history_user = actor
                line.delete()
        for key, amount in amounts.items():
            line = existing.get(key)
            if line is not None and line.amount == amount:
                continue
            if line is None:
                line = RealisationLine(
                    realisation=realisation, planned_output_id=key[0], spending_type=key[1]
                )
            line.amount = amount
            line.full_clean(exclude=["realisation", "planned_output"], validate_constraints=False)
            line._history_user = actor
            line.save()
        return realisation

    return services.retried(write, reset)


# --- Plan against realisation -------------------------------------------------------------------------------


def deviation_pct(realised, planned):
    """|realised − planned| / planned × 100, two decimals (None when nothing was planned)."""
    return percent(abs(realised - planned), planned)


def realised_by_month_and_type(allocation, realisations=None, lines=None):
    """{(month, spending type): Decimal} of the allocation's recorded realisation: the lines where a month
    has them, the whole amount as belanja barang (52) where it has none. One query unless `lines` (the
    allocation's (month, spending type, amount) line sums) are given, and one more for the months' amounts
    unless `realisations` (the allocation's Realisation rows) are given."""
    if realisations is None:
        months = list(
            Realisation.objects.filter(allocation=allocation).order_by().values_list("month", "amount")
        )
    else:
        months = [(r.month, r.amount) for r in realisations]
    realised = defaultdict(lambda: ZERO)
    rows = lines
    if rows is None:
        rows = (
            RealisationLine.objects.filter(realisation__allocation=allocation)
            .values_list("realisation__month", "spending_type")
            .annotate(total=Sum("amount"))
            .order_by()
        )
    split = set()
    for month, spending_type, total in rows:
        realised[(month, spending_type)] += total
        split.add(month)
    for month, amount in months:
        if month not in split:
            realised[(month, UNSPLIT_TYPE)] += amount
    return realised, {month for month, _amount in months}


def realised_by_output(allocation, *, outputs=None):
    """[{ro, by_type: {type: Decimal}, total, absorption}] of the allocation's RO, by code (one query, and
    one more for the RO unless given)."""
    outputs = list(planned_outputs(allocation)) if outputs is None else outputs
    sums = defaultdict(lambda: ZERO)
    rows = (
        RealisationLine.objects.filter(realisation__allocation=allocation, planned_output__isnull=False)
        .values_list("planned_output_id", "spending_type")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for ro_id, spending_type, total in rows:
        sums[(ro_id, spending_type)] += total
    result = []
    for ro in outputs:
        by_type = {t: sums[(ro.pk, t)] for t in SPENDING_TYPES}
        total = sum(by_type.values(), ZERO)
        result.append(
            {"ro": ro, "by_type": by_type, "total": total, "absorption": absorption_pct(total, ro.pagu)}
        )
    return result


@dataclass
class Comparison:
    plan: CashPlan | None
    months: (
        list  # 12 dicts: month, label, by_type {type: {planned, realised, deviation_pct}}, totals, cumulative
    )
    planned_total: Decimal | None
    realised_total: Decimal
    reported_through: int  # the last month with a recorded realisation (0: none yet)
    warning: str | None

    def month_rows(self):
        """The JSON's "months": one row per month and spending type."""
        for m in self.months:
            for spending_type in SPENDING_TYPES:
                cell = m["by_type"][spending_type]
                yield {"month": m["month"], "spending_type": spending_type, **cell}

    def cumulative_rows(self):
        """The JSON's "cumulative": one row per month, every spending type together."""
        for m in self.months:
            yield {
                "month": m["month"],
                "planned": m["cum_planned"],
                "realised": m["cum_realised"],
                "deviation_pct": m["cum_deviation_pct"],
                "realised_pct": m["cum_realised_pct"],
                "benchmark_pct": m["benchmark"],
            }


def compare(allocation, *, plan=None, plan_lines=None, realisations=None, realisation_lines=None):
    """The RPD in force against the recorded realisation, per month (four queries at most: the version in
    force, its lines, the realisation lines, the months; `plan`, its lines, the allocation's realisations
    and its realisation line sums may be given when the caller has them — `compare_each` does, for many
    allocations at once).

    A month after the last one with a recorded realisation has no deviation yet (None): nothing is reported
    for it, so nothing can deviate. Percentages by `numbers.percent` (two decimals, half up).
    """
    if plan is None:
        plan = plan_in_force(allocation)
    if plan is not None and plan_lines is None:
        plan_lines = plan.lines.values_list("month", "spending_type", "amount")
    realised = realised_by_month_and_type(allocation, realisations, realisation_lines)
    return _comparison(allocation, plan, plan_lines or (), realised)


def _comparison(allocation, plan, plan_lines, realised):
    """`compare` from what it read: the version in force (or None), its lines, and the realisation by
    month and type with the months reported (`realised_by_month_and_type`). No query."""
    realised, reported = realised
    planned = defaultdict(lambda: ZERO)
    for month, spending_type, amount in plan_lines:
        planned[(month, spending_type)] += amount
    reported_through = max(reported, default=0)
    months = []
    cum_planned = cum_realised = ZERO
    for month, label in MONTH_CHOICES:
        due = month <= reported_through
        by_type = {}
        for t in SPENDING_TYPES:
            p, r = planned[(month, t)], realised[(month, t)]
            by_type[t] = {"planned": p, "realised": r, "deviation_pct": deviation_pct(r, p) if due else None}
        month_planned = sum((c["planned"] for c in by_type.values()), ZERO)
        month_realised = sum((c["realised"] for c in by_type.values()), ZERO)
        cum_planned += month_planned
        cum_realised += month_realised
        months.append(
            {
                "month": month,
                "label": label,
                "reported": month in reported,
                "by_type": by_type,
                "planned": month_planned,
                "realised": month_realised,
                "deviation_pct": deviation_pct(month_realised, month_planned) if due else None,
                "cum_planned": cum_planned,
                "cum_realised": cum_realised,
                "cum_deviation_pct": deviation_pct(cum_realised, cum_planned) if due else None,
                "cum_planned_pct": absorption_pct(cum_planned, allocation.current_pagu),
                "cum_realised_pct": absorption_pct(cum_realised, allocation.current_pagu) if due else None,
                "benchmark": benchmark_at_month_end(month),
            }
        )
    planned_total = cum_planned if plan is not None else None
    return Comparison(
        plan=plan,
        months=months,
        planned_total=planned_total,
        realised_total=cum_realised,
        reported_through=reported_through,
        warning=differs_from_pagu(allocation, planned_total),
    )


def compare_each(allocations, *, realisations=None, in_force_at=None):
    """{allocation id: Comparison} of many allocations in four queries whatever their number (the versions,
    the lines of those in force, the realisation line sums, the months — the last one skipped when
    `realisations`, the allocations' Realisation rows, are given). Each Comparison is `compare`'s own.
    `in_force_at` (a moment): the plan in force then, the latest version entered before it (default: the
    latest version).

    The allocations are the caller's, already scoped (`Allocation.objects.visible_to(user)`): this reads
    what belongs to them and nothing else.
    """
    allocations = list(allocations)
    ids = [a.pk for a in allocations]
    in_force = {}
    versions = CashPlan.objects.filter(allocation_id__in=ids).order_by("allocation_id", "number")
    if in_force_at is not None:
        versions = versions.filter(entered_at__lt=in_force_at)
    for plan in versions:
        in_force[plan.allocation_id] = plan  # ordered by number: the latest version stays
    plan_lines = defaultdict(list)
    lines = CashPlanLine.objects.filter(cash_plan__in=[p.pk for p in in_force.values()]).order_by()
    for plan_id, month, spending_type, amount in lines.values_list(
        "cash_plan_id", "month", "spending_type", "amount"
    ):
        plan_lines[plan_id].append((month, spending_type, amount))
    if realisations is None:
        realisations = Realisation.objects.filter(allocation_id__in=ids).order_by()
    months = defaultdict(list)
    for realisation in realisations:
        months[realisation.allocation_id].append(realisation)
    line_sums = defaultdict(list)
    rows = (
        RealisationLine.objects.filter(realisation__allocation_id__in=ids)
        .values_list("realisation__allocation_id", "realisation__month", "spending_type")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for allocation_id, month, spending_type, total in rows:
        line_sums[allocation_id].append((month, spending_type, total))
    result = {}
    for allocation in allocations:
        plan = in_force.get(allocation.pk)
        realised = realised_by_month_and_type(allocation, months[allocation.pk], line_sums[allocation.pk])
        result[allocation.pk] = _comparison(allocation, plan, plan_lines[plan.pk] if plan else (), realised)
    return result
