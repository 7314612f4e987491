"""The PP 39/2006 quarterly forms of a province's dekonsentrasi/tugas pembantuan programme, the read side.

Why it exists: after each quarter the Kepala Dinas sends the minister (and Bappeda) three forms — Form A, the
plan by code (program → kegiatan → KRO → RO) with its pagu and output volume; Form B, the cumulative
absorption target (the RPD in force, the quarterly benchmark) against the realisation month by month; Form C,
each RO's volume target, achievement, pagu, realisation and absorption, then the quarter's problems and
follow-up — signed, with the approval trail of the quarter's package. The pages (HTML, PDF, XLSX, JSON) are
`reports.views`; the PDF is made by `programs.pdf`.

From verified data only: realisation of verified months, achievement counted by `capaian` (verified
activities and achievements — never a second way to count an RO). The quarter's note is shown whatever its
state, and the form says when it is not verified yet.

Form C of many provinces (the national bundle) is computed by the same grouped queries as one province's
(`capaian.capaian_of_allocations` and one query each for the notes, the packages, their events and the
Kepala Dinas): the number of queries never grows with the number of provinces.

It never writes, never decides who may see what (every queryset starts from `visible_to(user)`), and never
formats a figure (the templates and `exports` do).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ikm_dekon.db_router import replica_reads

from .. import access, benchmarks, cashplan
from ..models import (
    Allocation,
    PackageKind,
    PlanItem,
    PlanLevel,
    QuarterlyNote,
    Realisation,
    ReportPackage,
    ReviewEvent,
    ReviewStatus,
)
from ..numbers import absorption_pct
from ..periods import (
    MONTHS,
    QUARTER_BENCHMARKS,
    QUARTER_NUMERALS,
    end_of_day,
    quarter_end,
    trajectory_pct,
)
from .capaian import capaian_of_allocations
from .pagu import pagu_in_force

ZERO = Decimal(0)
#: Form A's levels: the plan by code down to the RO (komponen and akun lines are the DIPA's detail).
FORM_A_LEVELS = (PlanLevel.PROGRAM, PlanLevel.KEGIATAN, PlanLevel.KRO, PlanLevel.RO)


@dataclass
class Signatory:
    """Who signs the forms: the Kepala Dinas who approved the quarter's package, else (not approved yet) the
    province's Kepala Dinas with `approved` False — the form then says "belum disetujui"."""

    user: object | None
    approved: bool
    date: object | None  # the approval's day (WIB)

    @property
    def name(self):
        return (self.user.get_full_name() or self.user.username) if self.user else ""

    @property
    def nip(self):
        return self.user.nip if self.user else ""

    @property
    def job_title(self):
        return self.user.job_title if self.user else ""

    @property
    def place(self):
        return self.user.signing_place if self.user else ""


@dataclass
class FormC:
    """One province's Form C for a quarter (and what signs it)."""

    province: object
    allocation: object | None
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    unattributed: Decimal = ZERO
    note: object | None = None
    package: object | None = None
    trail: list = field(default_factory=list)  # the package's ReviewEvents, oldest first
    signatory: Signatory | None = None

    @property
    def note_verified(self):
        return self.note is not None and self.note.review_status == ReviewStatus.VERIFIED

    @property
    def package_verified(self):
        return self.package is not None and self.package.review_status == ReviewStatus.VERIFIED


@dataclass
class Forms:
    """The three forms of a province-quarter."""

    province: object
    year: int
    quarter: int
    allocation: object | None
    pagu_at_end: Decimal | None
    plan: list  # Form A
    months: list  # Form B
    cash_plan: object | None  # the RPD version Form B's target comes from
    form_c: FormC
    printed_at: object = None

    @property
    def numeral(self):
        return QUARTER_NUMERALS[self.quarter]

    @property
    def end(self):
        return quarter_end(self.year, self.quarter)

    @property
    def benchmark_pct(self):
        return QUARTER_BENCHMARKS[self.quarter]

    @property
    def realised_to_end(self):
        return self.months[-1]["realised"] if self.months else ZERO

    @property
    def absorption_pct(self):
        return self.months[-1]["realised_pct"] if self.months else None


# --- Form A: the plan by code ----------------------------------------------------------------------------


def form_a(user, allocation):
    """The plan's headings and ROs in the DIPA's order (each heading before what it holds), a heading's pagu
    the sum of its ROs' (headings hold none of their own). One query."""
    if allocation is None:
        return []
    items = list(
        PlanItem.objects.visible_to(user)
        .filter(allocation=allocation, level__in=FORM_A_LEVELS)
        .order_by("code", "pk")
    )
    by_id = {item.pk: item for item in items}
    children = {}
    sums = {item.pk: ZERO for item in items}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
        if item.level == PlanLevel.RO:
            node = item
            while node is not None:  # the RO's pagu counts in every heading above it
                sums[node.pk] += item.pagu or ZERO
                node = by_id.get(node.parent_id)
    rows = []

    def walk(parent_id, depth):
        for item in children.get(parent_id, []):
            ro = item.level == PlanLevel.RO
            rows.append(
                {
                    "code": item.code,
                    "name": item.name,
                    "level": item.level,
                    "level_label": item.get_level_display(),
                    "depth": depth,
                    "is_ro": ro,
                    "target": item.target if ro else None,
                    "unit": item.get_unit_display() if ro else "",
                    "pagu": item.pagu if ro else sums[item.pk],
                }
            )
            walk(item.pk, depth + 1)

    # An item whose parent is not of Form A's levels (none in a well-formed plan) starts a branch of its own.
    roots = [i for i in items if i.parent_id not in by_id]
    for root in dict.fromkeys(r.parent_id for r in roots):
        walk(root, 0)
    return rows


# --- Form B: cumulative target against realisation, month by month -----------------------------------------


def form_b(user, allocation, quarter, pagu_at_end):
    """January to the quarter's last month: the cumulative target of the RPD in force at the quarter's end
    (the latest version entered by then) and the trajectory of the quarterly benchmarks
    (`periods.trajectory_pct`) against the cumulative realisation of the verified months, each as a share of
    the pagu in force at the quarter's end; the deviation from the RPD per month.
    (rows, the RPD version) — four queries at most."""
    last = quarter * 3
    if allocation is None:
        return [], None
    # The RPD in force at the quarter's end (the latest version entered by then): a version entered after the
    # quarter, fitted to what was spent, would show no deviation at all.
    plan = (
        allocation.cash_plans.filter(entered_at__lt=end_of_day(quarter_end(allocation.year, quarter)))
        .order_by("-number")
        .first()
    )
    planned = {}
    if plan is not None:
        for line in plan.lines.values_list("month", "amount"):
            planned[line[0]] = planned.get(line[0], ZERO) + line[1]
    verified = dict(
        Realisation.objects.visible_to(user)
        .filter(allocation=allocation, month__lte=last, review_status=ReviewStatus.VERIFIED)
        .values_list("month", "amount")
    )
    rows = []
    cum_planned = cum_realised = ZERO
    for month in range(1, last + 1):
        cum_planned += planned.get(month, ZERO)
        cum_realised += verified.get(month, ZERO)
        rows.append(
            {
                "month": month,
                "label": str(MONTHS[month - 1]),
                "planned": cum_planned if plan is not None else None,
                "planned_pct": absorption_pct(cum_planned, pagu_at_end) if plan is not None else None,
                "benchmark_pct": trajectory_pct(month),
                "realised_month": verified.get(month),
                "realised": cum_realised,
                "realised_pct": absorption_pct(cum_realised, pagu_at_end),
                # Per month, as page III of the DIPA and the IKPA measure it: |realised − planned| / planned.
                "deviation_pct": (
                    cashplan.deviation_pct(verified.get(month, ZERO), planned.get(month, ZERO))
                    if plan is not None
                    else None
                ),
            }
        )
    return rows, plan


# --- Form C: per RO, then the problems and follow-up, for one province or many -----------------------------


def _signatories(packages, province_ids):
    """{province id: Signatory}: the approver of each approved package; for the others the province's Kepala
    Dinas (the first active one by user name). One query."""
    heads = access.heads_of_provinces(province_ids)
    result = {}
    for province_id in province_ids:
        package = packages.get(province_id)
        if package is not None and package.approved_by_id is not None:
            result[province_id] = Signatory(
                package.approved_by, True, timezone.localtime(package.approved_at).date()
            )
        else:
            result[province_id] = Signatory(heads.get(province_id), False, None)
    return result


def approvals(user, allocations, quarter):
    """{allocation id: (package or None, its events oldest first, Signatory)} of the quarter's packages of
    these allocations (province loaded): three queries at most, however many allocations."""
    allocations = list(allocations)
    ids = [a.pk for a in allocations]
    packages = {
        p.allocation_id: p
        for p in ReportPackage.objects.visible_to(user)
        .filter(allocation_id__in=ids, kind=PackageKind.QUARTERLY, period=quarter)
        .select_related("submitted_by", "approved_by", "reviewed_by")
    }
    events = {}
    if packages:
        for event in (
            ReviewEvent.objects.visible_to(user)
            .filter(
                content_type=ContentType.objects.get_for_model(ReportPackage),
                object_id__in=[p.pk for p in packages.values()],
            )
            .select_related("actor")
            .order_by("at", "pk")
        ):
            events.setdefault(event.object_id, []).append(event)
    by_province = {a.province_id: packages.get(a.pk) for a in allocations}
    signatories = _signatories(by_province, [a.province_id for a in allocations]) if allocations else {}
    result = {}
    for allocation in allocations:
        package = packages.get(allocation.pk)
        trail = events.get(package.pk, []) if package else []
        result[allocation.pk] = (package, trail, signatories[allocation.province_id])
    return result


@replica_reads()
def forms_c(user, allocations, year, quarter):
    """[FormC] of the allocations (Allocation objects found through `visible_to(user)`, province loaded), in
    the given order. A fixed number of queries however many: capaian's, the notes, the packages (with who
    prepared, approved, verified), their events, the Kepala Dinas."""
    allocations = list(allocations)
    capaian = capaian_of_allocations(user, allocations, year, quarter * 3, verified_money=True)
    notes = {
        n.allocation_id: n
        for n in QuarterlyNote.objects.visible_to(user).filter(
            allocation_id__in=[a.pk for a in allocations], quarter=quarter
        )
    }
    signed = approvals(user, allocations, quarter)
    result = []
    for allocation in allocations:
        report = capaian[allocation.pk]
        package, trail, signatory = signed[allocation.pk]
        result.append(
            FormC(
                province=allocation.province,
                allocation=allocation,
                rows=report.rows,
                totals=report.totals,
                unattributed=report.unattributed,
                note=notes.get(allocation.pk),
                package=package,
                trail=trail,
                signatory=signatory,
            )
        )
    return result


def empty_form_c(province):
    """The Form C of a province without an allocation that year: no rows, no signatory."""
    return FormC(
        province=province,
        allocation=None,
        totals={"pagu": ZERO, "realised": ZERO, "absorption_pct": None},
        signatory=Signatory(None, False, None),
    )


# --- The forms of a province-quarter, and the national bundle ----------------------------------------------


def _pagu_at(user, allocation, end):
    """The pagu in force on `end` (programs/reports/pagu.py)."""
    return pagu_in_force(user, [allocation], end)[allocation.pk]


@replica_reads()
def province_forms(user, province, year, quarter):
    """Forms A, B and C of `province` for a quarter of `year` (a province without an allocation that year
    gets empty forms: the page says so, it never fails)."""
    allocation = (
        Allocation.objects.visible_to(user).filter(province=province, year=year).select_related("province")
    ).first()
    if allocation is None:
        return Forms(
            province, year, quarter, None, None, [], [], None, empty_form_c(province), timezone.now()
        )
    pagu_at_end = _pagu_at(user, allocation, quarter_end(year, quarter))
    months, plan = form_b(user, allocation, quarter, pagu_at_end)
    return Forms(
        province=province,
        year=year,
        quarter=quarter,
        allocation=allocation,
        pagu_at_end=pagu_at_end,
        plan=form_a(user, allocation),
        months=months,
        cash_plan=plan,
        form_c=forms_c(user, [allocation], year, quarter)[0],
        printed_at=timezone.now(),
    )


@replica_reads()
def national_forms_c(user, year, quarter):
    """Form C of every province the user sees with an allocation that year, in code order."""
    allocations = (
        Allocation.objects.visible_to(user)
        .filter(year=year)
        .select_related("province")
        .order_by("province__code")
    )
    return forms_c(user, allocations, year, quarter)


# --- A province's status, to share in a chat -----------------------------------------------------------


@dataclass
class Status:
    province: object
    year: int
    month: int
    allocation: object | None
    pagu: Decimal | None
    realised: Decimal
    unverified: Decimal  # of `realised`, the months not verified yet
    absorption_pct: Decimal | None
    trajectory_pct: Decimal
    outputs: list
    deadlines: list
    more_late: int = 0  # missing or returned reports beyond those listed (one page)
    recorded: bool = False  # whether any month's realisation is recorded to the as-of month

    @property
    def month_label(self):
        return MONTHS[self.month - 1]

    @property
    def standing(self):
        """Where the province stands against the trajectory: the rule of programs/benchmarks.py (the
        dashboard's traffic light), "tidak ada data" while no realisation is recorded."""
        return benchmarks.standing(self.absorption_pct, self.trajectory_pct, recorded=self.recorded)

    @property
    def on_track(self):
        return self.standing is benchmarks.ON_TRACK

    @property
    def gap(self):
        """Absorption minus the trajectory, in points (negative when behind), None without a pagu."""
        return benchmarks.gap(self.absorption_pct, self.trajectory_pct)


#: The status fits one page: at most this many missing or returned reports, and the next due.
STATUS_LATE = 4
STATUS_UPCOMING = 2


def status(user, province, year, month, *, today=None):
    """A province's status as of the end of `month`: the pagu in force then, the realisation recorded to that
    month (how much of it is not verified yet), absorption against the trajectory, each RO's achievement
    (capaian: verified records) and the reporting deadlines due or late (programs/deadlines.py)."""
    from .. import deadlines
    from .capaian import capaian_report, month_end

    today = today or timezone.localdate()
    end = month_end(year, month)
    allocation = Allocation.objects.visible_to(user).filter(province=province, year=year).first()
    pagu = realised = None
    unverified = ZERO
    if allocation is not None:
        pagu = _pagu_at(user, allocation, end)
        months = list(
            Realisation.objects.visible_to(user)
            .filter(allocation=allocation, month__lte=month)
            .values_list("amount", "review_status")
        )
        realised = sum((a for a, _s in months), ZERO)
        unverified = sum((a for a, s in months if s != ReviewStatus.VERIFIED), ZERO)
    outputs = capaian_report(user, province, year, month).rows if allocation is not None else []
    late, upcoming = [], []
    if allocation is not None:
        rows = sorted(deadlines.rows(year, user=user, today=today), key=lambda r: r["due"])
        for row in rows:
            # The calendar of the provinces the user sees; this page shows this province's rows. What needs
            # doing: a report missing after its due date or returned for correction, and the next two due.
            # One handed over late is history, not a task: the calendar board shows it.
            if row["province_code"] != province.code:
                continue
            last_month = row["period"] * 3 if row["kind"] == "quarterly" else row["period"]
            if last_month > month and row["state"] != deadlines.OPEN:
                continue  # a period after the as-of month: not part of this status
            if row["state"] == deadlines.MISSING or row["returned"]:
                late.append(deadlines.decorate(row))
            elif row["state"] == deadlines.OPEN and len(upcoming) < STATUS_UPCOMING:
                upcoming.append(deadlines.decorate(row))
    return Status(
        province=province,
        year=year,
        month=month,
        allocation=allocation,
        pagu=pagu,
        realised=realised or ZERO,
        unverified=unverified,
        recorded=bool(months) if allocation is not None else False,
        absorption_pct=absorption_pct(realised or ZERO, pagu) if pagu is not None else None,
        trajectory_pct=trajectory_pct(month),
        outputs=outputs,
        deadlines=late[:STATUS_LATE] + upcoming,
        more_late=max(0, len(late) - STATUS_LATE),
    )


__all__ = [
    "FormC",
    "Forms",
    "Signatory",
    "Status",
    "empty_form_c",
    "form_a",
    "form_b",
    "approvals",
    "forms_c",
    "national_forms_c",
    "province_forms",
    "status",
]
