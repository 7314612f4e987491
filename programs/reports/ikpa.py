"""The IKPA early warning: each province's expected IKPA (indikator kinerja pelaksanaan anggaran,
PER-5/PB/2024) as of a month, from what is recorded before the month closes, so that a province learns
what costs it points while it can still act.

Why an early warning and not the score itself: the Treasury computes IKPA from its own systems after each
month; this module computes the four parts the application holds the data for — revisi DIPA (weight 10),
deviasi halaman III DIPA (15), penyerapan anggaran (20) and capaian output (25), 70 % of the weight —
from the records in **every review state** (draft, submitted, returned, verified). How much of what is
counted is not verified yet is said beside each figure. Belanja kontraktual, penyelesaian tagihan and
pengelolaan UP/TUP (30 %) are not held: the score is the parts held, weighted and rescaled to 100.

The formulas (each part 0–100, two decimals, half up; the score from the parts as shown):

- **revisi** (10): the revisions of the DIPA dated by the end of the as-of month, per semester (January–June,
  July–December) that has begun by then; a revision counts unless its code is one of
  `EXCLUDED_REVISION_CODES` (a revision without a code counts). A semester with at most
  `FREE_REVISIONS_PER_SEMESTER` counted revisions scores 100, one more 50, more 0
  (`SEMESTER_SCORES`); the part is the semesters' mean.
- **deviasi** (15): each month from January to the as-of month, the realisation recorded for it against
  the RPD version in force at the end of the as-of month (the latest entered by then), |realised − planned|
  / planned × 100 (`cashplan.deviation_pct`; a month not recorded yet counts as nothing realised, a month
  planned at zero has no deviation and is left out). A month at or under `DEVIATION_TOLERANCE_PCT` (5 %)
  scores 100, above it 100 − deviation (never under 0); the part is the months' mean.
- **penyerapan** (20): the realisation of January to the as-of month against the pagu in force at its end
  (the latest revision dated by then, else the DIPA's), as a percentage (`absorption_pct`), against the
  trajectory `periods.trajectory_pct(month)` (15/40/60/90 % at the quarters' ends, a straight line
  between): absorption × 100 / trajectory, at most 100.
- **capaian_output** (25): each RO's achievement as of the month's end counted as the capaian report counts
  it (`capaian.achieved_by_ro`: its measure, a firm or person once per RO) but over records in every review
  state, as a percentage of its volume target, against the expected level by then, a straight line of the
  target over the year (`expected_output_pct`: month × 100 / 12): achieved % × 100 / expected %, at most
  100; the part is the ROs' mean (each RO counts the same).

A part without its data — no allocation in the year (every part), no RPD (deviasi), a pagu of zero
(penyerapan), no RO in the plan (capaian_output) — is None ("tidak ada data"), never a made-up 100 or 0;
the score is over the parts that have data, rescaled by their weights (`weight_counted` says how much of
the 70 % that is), and None when no part has any. The band follows the official boundaries (`BANDS`).

The number of queries is fixed whatever the number of provinces (grouped by allocation, never one query
per province). Every queryset starts from `visible_to(user)`; a regency operator, who never reads a whole
province's totals (`access.reads_province_totals`), gets no row. It never writes; the pages are
`reports.ikpa_views`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from ikm_dekon.db_router import replica_reads

from .. import access
from ..cashplan import compare_each, deviation_pct
from ..models import Activity, Allocation, BudgetRevision, PlanItem, PlanLevel, Realisation, ReviewStatus
from ..numbers import absorption_pct, percent
from ..periods import MONTHS, end_of_day, trajectory_pct
from . import pagu
from .capaian import achieved_by_ro, default_month, month_end

# --- The rules: the one home of the weights, the bands and the thresholds ----------------------------------

#: PER-5/PB/2024's weights of every IKPA indicator (percent of the score).
OFFICIAL_WEIGHTS = {
    "revisi": 10,
    "deviasi": 15,
    "penyerapan": 20,
    "belanja_kontraktual": 10,
    "penyelesaian_tagihan": 10,
    "pengelolaan_up_tup": 10,
    "capaian_output": 25,
}
#: The parts the application holds the data for, in the regulation's order.
PARTS = ("revisi", "deviasi", "penyerapan", "capaian_output")
WEIGHTS = {key: OFFICIAL_WEIGHTS[key] for key in PARTS}
COMPUTED_WEIGHT = sum(WEIGHTS.values())  # 70
PART_LABELS = {
    "revisi": _("Revisi DIPA"),
    "deviasi": _("Deviasi halaman III DIPA"),
    "penyerapan": _("Penyerapan anggaran"),
    "capaian_output": _("Capaian output"),
}
NOT_HELD_LABELS = [_("Belanja kontraktual"), _("Penyelesaian tagihan"), _("Pengelolaan UP/TUP")]


@dataclass(frozen=True)
class Band:
    lower: Decimal  # the band holds scores from here (inclusive) to the next band's lower (exclusive)
    name: str  # the official name, as the JSON carries it whatever the page's language
    label: str  # the name as the page shows it
    css: str  # the badge's class (the name is always written beside it, never colour alone)


#: PER-5/PB/2024's bands, best first: ≥ 95 Sangat Baik, 89 to < 95 Baik, 70 to < 89 Cukup, < 70 Kurang.
BANDS = (
    Band(Decimal(95), "Sangat Baik", _("Sangat Baik"), "text-bg-success"),
    Band(Decimal(89), "Baik", _("Baik"), "text-bg-primary"),
    Band(Decimal(70), "Cukup", _("Cukup"), "text-bg-warning"),
    Band(Decimal(0), "Kurang", _("Kurang"), "text-bg-danger"),
)

#: Revision codes that do not count in the revisi part (PER-5/PB/2024 leaves out revisions the work unit
#: does not choose): entered as the revision's code, in any case.
EXCLUDED_REVISION_CODES = {
    "ADM": _("revisi administrasi (data, nomenklatur; pagu dan output tetap)"),
    "KEB": _("revisi karena kebijakan pemerintah (mis. refocusing, automatic adjustment, blokir)"),
}
FREE_REVISIONS_PER_SEMESTER = 1
#: A semester's score by the number of its counted revisions beyond the free one (more: 0).
SEMESTER_SCORES = (Decimal(100), Decimal(50))
SEMESTERS = {1: range(1, 7), 2: range(7, 13)}
DEVIATION_TOLERANCE_PCT = Decimal(5)

HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENTS = Decimal("0.01")


def _two(value):
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def _mean(values):
    values = list(values)
    return _two(sum(values, ZERO) / len(values)) if values else None


def band_ranges():
    """[(band, the next band's lower bound or None)], best first: each band's range as the pages say it."""
    return [(band, BANDS[i - 1].lower if i else None) for i, band in enumerate(BANDS)]


def band_of(score):
    """The official band of a score (None for no score)."""
    if score is None:
        return None
    return next(band for band in BANDS if score >= band.lower)


def revision_counts(code):
    """Whether a revision of this code counts in the revisi part."""
    return (code or "").strip().upper() not in EXCLUDED_REVISION_CODES


def semester_of(month):
    return 1 if month <= 6 else 2


def semester_score(counted):
    """100 up to the free revisions of a semester, 50 for one more, 0 beyond."""
    extra = max(0, counted - FREE_REVISIONS_PER_SEMESTER)
    return SEMESTER_SCORES[extra] if extra < len(SEMESTER_SCORES) else ZERO


def month_deviation_score(deviation):
    """100 within the tolerance, else 100 − deviation, never under 0."""
    if deviation <= DEVIATION_TOLERANCE_PCT:
        return HUNDRED
    return max(ZERO, HUNDRED - deviation)


def expected_output_pct(month):
    """The share of an RO's volume target expected by the end of `month`: a straight line over the year."""
    return _two(HUNDRED * month / 12)


def capped_ratio(part, whole):
    """part × 100 / whole, at most 100, two decimals (None when the whole is zero or unknown)."""
    if part is None or not whole:
        return None
    return _two(min(HUNDRED, part * HUNDRED / whole))


def weighted_score(parts):
    """(score, weight counted): the parts that have data, weighted and rescaled to 100."""
    held = {key: value for key, value in parts.items() if value is not None}
    weight = sum(WEIGHTS[key] for key in held)
    if not weight:
        return None, 0
    return _two(sum(WEIGHTS[key] * value for key, value in held.items()) / weight), weight


# --- The computation ---------------------------------------------------------------------------------------


@dataclass
class ProvinceIkpa:
    """One province's early warning: each part's score and the data behind it."""

    province: object
    allocation: Allocation | None
    scores: dict = field(default_factory=lambda: dict.fromkeys(PARTS))
    score: Decimal | None = None
    weight_counted: int = 0
    rank: int | None = None
    # revisi
    revisions: list = field(default_factory=list)  # {revision, counts, semester}
    semesters: list = field(default_factory=list)  # {semester, counted, score}
    # deviasi
    has_cash_plan: bool = False
    cash_plan_number: int | None = None
    months: list = field(default_factory=list)  # {month, label, planned, realised, deviation_pct, score, …}
    # penyerapan
    pagu: Decimal | None = None  # in force at the month's end
    realised: Decimal = ZERO
    unverified_realised: Decimal = ZERO
    absorption_pct: Decimal | None = None
    # capaian output
    outputs: list = field(default_factory=list)  # {ro, target, achieved, verified, achieved_pct, score, …}

    @property
    def band(self):
        return band_of(self.score)

    # Each part's score by its name, as the templates and the exports ask for it.
    revisi = property(lambda self: self.scores["revisi"])
    deviasi = property(lambda self: self.scores["deviasi"])
    penyerapan = property(lambda self: self.scores["penyerapan"])
    capaian_output = property(lambda self: self.scores["capaian_output"])

    @property
    def unverified_outputs(self):
        return sum((o["achieved"] - o["verified"] for o in self.outputs), 0)


@dataclass
class Ikpa:
    year: int
    month: int
    rows: list
    withheld: bool = False  # a user who does not read whole provinces' totals (a regency operator)

    @property
    def as_of(self):
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def month_label(self):
        return MONTHS[self.month - 1]

    @property
    def trajectory_pct(self):
        return trajectory_pct(self.month)

    @property
    def expected_output_pct(self):
        return expected_output_pct(self.month)

    @property
    def unverified_realised(self):
        return sum((r.unverified_realised for r in self.rows), ZERO)


def _revisi(row, revisions, month):
    if row.allocation is None:
        return
    counted = defaultdict(int)
    for revision in revisions:
        counts = revision_counts(revision.revision_code)
        semester = semester_of(revision.revised_on.month)
        row.revisions.append({"revision": revision, "counts": counts, "semester": semester})
        counted[semester] += counts
    for semester in range(1, semester_of(month) + 1):
        score = semester_score(counted[semester])
        row.semesters.append({"semester": semester, "counted": counted[semester], "score": score})
    row.scores["revisi"] = _mean(s["score"] for s in row.semesters)


def _deviasi(row, comparison, month):
    if comparison is None or comparison.plan is None:
        return
    row.has_cash_plan = True
    row.cash_plan_number = comparison.plan.number
    scores = []
    for m in comparison.months[:month]:
        deviation = deviation_pct(m["realised"], m["planned"])
        score = None if deviation is None else month_deviation_score(deviation)
        row.months.append(
            {
                "month": m["month"],
                "label": m["label"],
                "planned": m["planned"],
                "realised": m["realised"],
                "reported": m["reported"],
                "deviation_pct": deviation,
                "score": score,
                "costs_points": score is not None and score < HUNDRED,
            }
        )
        if score is not None:
            scores.append(score)
    row.scores["deviasi"] = _mean(scores)


def _penyerapan(row, revisions, realisations, month):
    allocation = row.allocation
    if allocation is None:
        return
    row.pagu = pagu.in_force(allocation.pagu, revisions, month_end(allocation.year, month))
    for r in realisations:
        if r.month <= month:
            row.realised += r.amount
            if r.review_status != ReviewStatus.VERIFIED:
                row.unverified_realised += r.amount
    row.absorption_pct = absorption_pct(row.realised, row.pagu)
    row.scores["penyerapan"] = capped_ratio(row.absorption_pct, trajectory_pct(month))


def _capaian(row, ros, achieved, verified, month):
    expected = expected_output_pct(month)
    for ro in ros:
        value = achieved.get(ro.pk, 0)
        achieved_pct = percent(value, ro.target)
        score = capped_ratio(achieved_pct or ZERO, expected)
        row.outputs.append(
            {
                "ro": ro,
                "target": ro.target,
                "achieved": value,
                "verified": verified.get(ro.pk, 0),
                "achieved_pct": achieved_pct,
                "expected_pct": expected,
                "score": score,
                "costs_points": score < HUNDRED,
                "activities": [],
            }
        )
    row.scores["capaian_output"] = _mean(o["score"] for o in row.outputs)


def _rank(rows):
    """Best first; provinces without a score last, in code order."""
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.province.code))
    for number, row in enumerate(rows, start=1):
        row.rank = number if row.score is not None else None
    return rows


@replica_reads()
def ikpa_report(user, year, month=None, *, province=None, with_activities=False):
    """The early warning of every province the user may see active in `year` (or of `province` alone), as
    of the end of `month` (default `capaian.default_month`), ranked best first.

    A fixed number of queries whatever the number of provinces: the provinces, their allocations, the
    revisions, the realisations, the RPD (three: `cashplan.compare_each`), the ROs, and the achievements
    (one grouped query per measure kind, twice: every record, verified only); `with_activities` (the
    drill-down) adds one for the activities of the ROs behind their expected level.
    """
    month = month or default_month(year)
    report = Ikpa(year=year, month=month, rows=[])
    if not access.reads_province_totals(user):
        report.withheld = True
        return report
    provinces = access.provinces_visible_to(user).active_in(year).order_by("code")
    if province is not None:
        provinces = provinces.filter(pk=province.pk)
    provinces = list(provinces)
    allocations = {
        a.province_id: a
        for a in Allocation.objects.visible_to(user).filter(
            year=year, province_id__in=[p.pk for p in provinces]
        )
    }
    ids = [a.pk for a in allocations.values()]
    end = month_end(year, month)
    revisions = defaultdict(list)
    for revision in (
        BudgetRevision.objects.visible_to(user)
        .filter(allocation_id__in=ids, revised_on__lte=end)
        .order_by("allocation_id", "revised_on", "pk")
    ):
        revisions[revision.allocation_id].append(revision)
    realisations = list(
        Realisation.objects.visible_to(user)
        .filter(allocation_id__in=ids)
        .order_by()
        .only("allocation_id", "month", "amount", "review_status")
    )
    by_allocation = defaultdict(list)
    for r in realisations:
        by_allocation[r.allocation_id].append(r)
    comparisons = compare_each(allocations.values(), realisations=realisations, in_force_at=end_of_day(end))
    ros = defaultdict(list)
    all_ros = list(
        PlanItem.objects.visible_to(user)
        .filter(allocation_id__in=ids, level=PlanLevel.RO)
        .order_by("allocation_id", "code", "pk")
    )
    for ro in all_ros:
        ros[ro.allocation_id].append(ro)
    achieved = achieved_by_ro(user, all_ros, end, month, verified_only=False) if all_ros else {}
    verified = achieved_by_ro(user, all_ros, end, month) if all_ros else {}
    for p in provinces:
        allocation = allocations.get(p.pk)
        row = ProvinceIkpa(province=p, allocation=allocation)
        if allocation is not None:
            _revisi(row, revisions[allocation.pk], month)
            _deviasi(row, comparisons.get(allocation.pk), month)
            _penyerapan(row, revisions[allocation.pk], by_allocation[allocation.pk], month)
            _capaian(row, ros[allocation.pk], achieved, verified, month)
        row.score, row.weight_counted = weighted_score(row.scores)
        report.rows.append(row)
    if with_activities:
        _activities_behind(user, report.rows)
    _rank(report.rows)
    return report


def _activities_behind(user, rows):
    """The activities of each RO behind its expected level (one query): where the points are lost."""
    behind = {o["ro"].pk: o for row in rows for o in row.outputs if o["costs_points"]}
    if not behind:
        return
    activities = (
        Activity.objects.visible_to(user)
        .filter(planned_output_id__in=behind)
        .select_related("regency")
        .order_by("planned_start", "pk")
    )
    for activity in activities:
        behind[activity.planned_output_id]["activities"].append(activity)
