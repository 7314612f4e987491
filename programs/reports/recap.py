"""The national recap: every visible province's figures of a year in one table, from the stored tallies for a
whole year or by aggregate queries when filtered.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from ikm_dekon.db_router import replica_reads

from .. import access, benchmarks, tallies
from ..access import provinces_visible_to, sees_every_province
from ..models import (
    Activity,
    Allocation,
    Handover,
    NationalTally,
    Output,
    Participant,
    Participation,
    Realisation,
    ReviewStatus,
    Tally,
)
from ..numbers import HUNDRED, absorption_pct, decimal_text, percent  # noqa: F401 - reports.percent: the selectors' API
from ..periods import MONTHS, QUARTER_BENCHMARKS, end_of_day, quarter_end  # noqa: F401
from .capaian import month_end
from .figures import (
    ADDITIVE,
    HANDED_OVER_KEYS,
    MONEY_KEYS,
    ORDERED_KEYS,
    OUTPUT_KEYS,
    RECAP_FIGURES,
    SORT_KEYS,
    STATUS_KEYS,
    TALLY_KEYS,
    Figure,
)
from .filters import Filters
from .pagu import national_pagu_in_force, pagu_in_force


def _row(province):
    row = {"province_code": province.code, "province": province.name, "fund_type": None}
    row.update({f.key: 0 for f in RECAP_FIGURES})
    row["absorption_pct"] = None
    return row


@dataclass
class Recap:
    filters: Filters
    rows: list
    totals: dict
    figures: list = field(default_factory=lambda: RECAP_FIGURES)
    #: The as-of month (1-12) when one was asked: the money is then realised to its end, and every row
    #: carries the benchmark as of that month, its gap and its standing (programs/benchmarks.py).
    month: int | None = None

    @property
    def benchmark_pct(self):
        return benchmarks.benchmark_pct(self.month) if self.month else None

    def sorted_rows(self, sort):
        """The rows ordered by an allowed column ("-key" descending); unknown keys keep province order."""
        key = (sort or "").lstrip("-")
        if key not in SORT_KEYS:
            return list(self.rows)
        descending = sort.startswith("-")
        present = [r for r in self.rows if r[key] is not None]
        missing = [r for r in self.rows if r[key] is None]  # always last
        present.sort(key=lambda r: (r[key], r["province_code"]), reverse=descending)
        return present + missing


def as_of_figures(month):
    """The recap's figures as of a month: the money figures, then the benchmark as of the month and the gap
    to it, then the rest (the benchmark's label names the month)."""
    extra = [
        Figure(
            "pagu_in_force",
            _("Pagu yang berlaku akhir %(m)s (Rp)") % {"m": MONTHS[month - 1]},
            "money",
            "money",
        ),
        Figure(
            "benchmark_pct",
            _("Target s.d. %(m)s (%%)") % {"m": MONTHS[month - 1]},
            "percent",
            "money",
        ),
        Figure("gap_pct", _("Selisih terhadap target (poin)"), "percent", "money"),
    ]
    cut = [f.key for f in RECAP_FIGURES].index("absorption_pct")
    # The pagu in force just before the absorption it divides; the benchmark and the gap just after it.
    return [*RECAP_FIGURES[:cut], extra[0], RECAP_FIGURES[cut], *extra[1:], *RECAP_FIGURES[cut + 1 :]]


@replica_reads()
def national_recap(user, filters, province=None, live=False, month=None):
    """One row per province active in the year (and visible to the user), with a totals row.

    `province` narrows the recap to one province the caller has already found visible. Unfiltered, on
    PostgreSQL, the activity and output figures come from the tallies the database keeps in the same
    transaction as every write (`programs/tallies.py`); filtered (or `live`), from the records themselves.

    A fund type (DK/TP) keeps the provinces whose allocation of the year has it. A province-year has one
    allocation, so its tallies stay exact; only the national distinct firms, which the tallies keep for all
    provinces together, are then counted from the records (one query instead of the national tally's).
    """
    year = filters.year
    provinces = provinces_visible_to(user).active_in(year).only("pk", "code", "name").order_by("code")
    if province is not None:
        provinces = provinces.filter(pk=province.pk)
    if filters.fund_type:
        provinces = provinces.filter(allocations__year=year, allocations__fund_type=filters.fund_type)
    rows = {p.pk: _row(p) for p in provinces}

    def scoped(model, year_lookup="year", province_lookup="province"):
        qs = model.objects.visible_to(user).filter(**{year_lookup: year}).order_by()
        if province is not None:
            qs = qs.filter(**{province_lookup: province})
        return qs

    allocations = list(
        scoped(Allocation).values("pk", "province_id", "pagu", "current_pagu", "realised_total", "fund_type")
    )
    if month is not None:
        # As of a month, absorption is against the pagu in force at its end (programs/reports/pagu.py), as the
        # IKPA, the status card and Form B measure it; "Pagu terkini" stays today's.
        in_force = pagu_in_force(user, [(a["pk"], a["pagu"]) for a in allocations], month_end(year, month))
        for a in allocations:
            if a["province_id"] in rows:
                rows[a["province_id"]]["pagu_in_force"] = in_force[a["pk"]]
    for a in allocations:
        if a["province_id"] in rows:
            rows[a["province_id"]].update(
                pagu=a["pagu"],
                current_pagu=a["current_pagu"],
                realised=a["realised_total"],
                fund_type=a["fund_type"],
            )
    if filters.verified_only or month is not None:
        # Only the months the ministry verified count, or the months to `month`: the running total holds
        # every month of the year.
        for row in rows.values():
            row["realised"] = Decimal(0)
            row["recorded"] = 0
        realisations = scoped(Realisation, "allocation__year", "allocation__province")
        if filters.verified_only:
            realisations = realisations.filter(review_status=ReviewStatus.VERIFIED)
        if month is not None:
            realisations = realisations.filter(month__lte=month)
        summed = realisations.values("allocation__province_id").annotate(amount=Sum("amount"), n=Count("pk"))
        for r in summed:
            if r["allocation__province_id"] in rows:
                rows[r["allocation__province_id"]].update(realised=r["amount"], recorded=r["n"])

    if reads_tallies(filters, live, user=user):
        _recap_from_tallies(user, year, rows, province)
        if filters.fund_type and province is None:
            national_firms = _distinct_firms(user, filters) if sees_every_province(user) else None
        else:
            national_firms = _national_firms(user, year)
        return _recap(filters, rows, province, national_firms=national_firms, month=month)

    activities = (
        scoped(Activity)
        .filter(filters.activities())
        .values("province_id", "status")
        .annotate(
            n=Count("pk"),
            budget=Sum("budget"),
            target=Sum("target_participants"),
            actual=Sum("actual_participants"),
        )
    )
    for a in activities:
        row = rows.get(a["province_id"])
        if row is None:
            continue
        row[STATUS_KEYS[a["status"]]] += a["n"]
        row["activities"] += a["n"]
        row["activity_budget"] += a["budget"] or 0
        row["participants_target"] += a["target"] or 0
        row["participants_actual"] += a["actual"] or 0

    in_activities = filters.activities("activity__")
    participations = scoped(Participation).filter(in_activities)
    for p in participations.values("province_id").annotate(firms=Count("firm_id", distinct=True)):
        if p["province_id"] in rows:
            rows[p["province_id"]]["firms"] = p["firms"]
    # A firm in activities of several provinces counts once nationally (for one province: its own count).
    # Counted over the distinct firms, which PostgreSQL reads in order from the (year, firm) index, rather
    # than by COUNT(DISTINCT ...), which sorts every participation of the year.
    national_firms = _distinct_firms(user, filters) if province is None else None

    people = scoped(Participant).filter(in_activities).values("province_id").annotate(n=Count("pk"))
    for p in people:
        if p["province_id"] in rows:
            rows[p["province_id"]]["participants"] = p["n"]

    outputs = (
        scoped(Output)
        .filter(in_activities)
        .values("province_id", "product_type")
        .annotate(made=Sum("quantity"), ordered=Sum("ordered_quantity"))
    )
    for o in outputs:
        row = rows.get(o["province_id"])
        if row is not None:
            row[OUTPUT_KEYS[o["product_type"]]] += o["made"] or 0
            row[ORDERED_KEYS[o["product_type"]]] += o["ordered"] or 0

    handovers = (
        scoped(Handover)
        .filter(in_activities)
        .values("province_id", "recipient_type")
        .annotate(quantity=Sum("quantity"))
    )
    for h in handovers:
        row = rows.get(h["province_id"])
        if row is not None:
            row[HANDED_OVER_KEYS[h["recipient_type"]]] += h["quantity"] or 0

    return _recap(filters, rows, province, national_firms, month=month)


def _recap(filters, rows, province, national_firms, month=None):
    divisor = "current_pagu" if month is None else "pagu_in_force"
    for row in rows.values():
        row.setdefault("pagu_in_force", Decimal(0))  # a province without an allocation (month asked)
        row["absorption_pct"] = absorption_pct(row["realised"], row[divisor])
    totals = {"province_code": None, "province": str(_("Total"))}
    totals.update({key: sum(row[key] for row in rows.values()) for key in ADDITIVE})
    if province is not None or national_firms is None:
        # One province, or a user who sees one province only: the distinct firms are that province's.
        national_firms = sum(r["firms"] for r in rows.values())
    totals["firms"] = national_firms
    totals["pagu_in_force"] = sum((row["pagu_in_force"] for row in rows.values()), Decimal(0))
    totals["absorption_pct"] = absorption_pct(totals["realised"], totals[divisor])
    if month is None:
        for row in [*rows.values(), totals]:
            row.pop("recorded", None)  # asked for the verified months only: not a figure of its own
            row.pop("pagu_in_force")  # not asked: today's pagu is the divisor
        return Recap(filters=filters, rows=list(rows.values()), totals=totals)
    totals["recorded"] = sum(row["recorded"] for row in rows.values())
    benchmark = benchmarks.benchmark_pct(month)
    for row in [*rows.values(), totals]:
        _stand(row, benchmark)
    return Recap(
        filters=filters, rows=list(rows.values()), totals=totals, figures=as_of_figures(month), month=month
    )


def _stand(row, benchmark):
    """The benchmark as of the month, the gap to it and the standing (programs/benchmarks.py) of a row."""
    standing = benchmarks.standing(row["absorption_pct"], benchmark, recorded=row.pop("recorded") > 0)
    row["benchmark_pct"] = benchmark
    known = standing is not benchmarks.NO_DATA
    row["gap_pct"] = benchmarks.gap(row["absorption_pct"], benchmark) if known else None
    row["standing"] = standing.key
    row["standing_label"] = str(standing.label)
    row["standing_icon"] = standing.icon


def reads_tallies(filters, live=False, *, user):
    """Whether a report reads the tallies: unfiltered, on PostgreSQL, unless asked to add up the records,
    for a user who may read whole provinces' totals (access.reads_province_totals)."""
    return (
        not (live or filters.narrowed or filters.verified_only)
        and tallies.enabled()
        and access.reads_province_totals(user)
    )


def tally_rows(user, year, province=None):
    """(province id, measure, amount) of the year's tallies the user may see (one query)."""
    rows = Tally.objects.visible_to(user).filter(year=year).order_by()
    if province is not None:
        rows = rows.filter(province=province)
    return rows.values_list("province_id", "measure", "amount")


def _recap_from_tallies(user, year, rows, province):
    """The recap's activity and output figures from the tallies the database keeps."""
    for province_id, measure, amount in tally_rows(user, year, province):
        row = rows.get(province_id)
        if row is None:
            continue
        if measure.startswith("handed_over:"):
            key = HANDED_OVER_KEYS.get(measure.split(":")[1])
        else:
            key = TALLY_KEYS.get(measure)
        if key is None:
            continue  # participations: kept, not shown
        row[key] += amount if key in MONEY_KEYS else int(amount)
    for row in rows.values():
        row["activities"] = sum(row[key] for key in STATUS_KEYS.values())


def _distinct_firms(user, filters):
    """The distinct firms of the matching activities of every visible province (one query)."""
    participations = Participation.objects.visible_to(user).filter(year=filters.year).order_by()
    return participations.filter(filters.activities("activity__")).values("firm_id").distinct().count()


def _national_firms(user, year):
    """The year's distinct firms nationally (None for users who do not see every province)."""
    if not sees_every_province(user):
        return None
    amount = (
        NationalTally.objects.visible_to(user)
        .filter(year=year, measure="firms")
        .values_list("amount", flat=True)
        .first()
    )
    return int(amount or 0)


@replica_reads()
def years_visible(user):
    """The fiscal years with an allocation the user may see, newest first."""
    return list(
        Allocation.objects.visible_to(user).order_by("-year").values_list("year", flat=True).distinct()
    )


# --- A province against the nation: the recap of those who see one province --------------------------------


@dataclass
class Comparison:
    """One province's absorption as of a month beside the national average and the benchmark.

    The national average is the absorption of every province together (their realisation to the month over
    their pagu in force at its end, as the ministry's totals row divides): a figure of the whole programme,
    never another province's row.
    """

    year: int
    month: int
    province: dict  # the province's recap row as of the month
    national_realised: Decimal | None
    national_pagu: Decimal | None
    national_pct: Decimal | None
    #: how many allocations (provinces) of the year the average covers
    provinces: int
    #: how many months of realisation (all provinces) were recorded to the month: none, no data
    recorded: int
    #: how many provinces recorded realisation to the month
    reporting: int
    #: the recap is narrowed (a fund type, verified only): no national average then
    narrowed: bool
    benchmark_pct: Decimal

    @property
    def standing(self):
        return benchmarks.BY_KEY[self.province["standing"]]

    @property
    def gap_pct(self):
        return self.province["gap_pct"]

    @property
    def national_standing(self):
        return benchmarks.standing(self.national_pct, self.benchmark_pct, recorded=self.recorded > 0)

    @property
    def national_gap_pct(self):
        return benchmarks.gap(self.national_pct, self.benchmark_pct)

    @property
    def too_few_provinces(self):
        """Realisation was recorded, by fewer provinces than an average shown to one province's reader may
        add up (national_average)."""
        return not self.narrowed and 0 < self.reporting < access.NATIONAL_FIGURE_MIN_PROVINCES

    @property
    def gap_to_national(self):
        """The province's absorption minus the national average, in points (None if either is unknown)."""
        if self.standing is benchmarks.NO_DATA or self.national_pct is None:
            return None
        return benchmarks.gap(self.province["absorption_pct"], self.national_pct)

    @property
    def distance_to_national(self):
        """The gap to the national average without its sign, in words' digits ("3,20"), for the sentence."""
        gap = self.gap_to_national
        return None if gap is None else decimal_text(abs(gap), 2)

    @property
    def level_with_national(self):
        """The province's absorption equals the national average (to the hundredth of a point)."""
        return self.gap_to_national == 0

    @property
    def above_national(self):
        gap = self.gap_to_national
        return None if gap is None else gap >= 0


@replica_reads()
def national_average(user, filters, month):
    """(realised, pagu in force, absorption %, allocations counted, months recorded, provinces reporting) of
    every province together, as of the end of `month`: two aggregate queries whatever the number of provinces.

    The one read of the recap that does not start from `visible_to(user)`: it returns sums only, which every
    reader of a province may set their province against (`access.reads_national_average`); never a row of
    another province. Two rules keep another province's figure from following by subtraction:
    - no sums when fewer than `access.NATIONAL_FIGURE_MIN_PROVINCES` provinces have recorded realisation to
      the month (their own and one other would give the other's away): only the counts;
    - no sums when the recap is narrowed (a fund type, verified only): the narrowed average minus the
      whole would give away the few provinces left out."""
    if not access.reads_national_average(user) or filters.fund_type or filters.verified_only:
        return None, None, None, 0, 0, 0
    allocations = Allocation.objects.filter(year=filters.year)
    realisations = Realisation.objects.filter(allocation__in=allocations.values("pk"), month__lte=month)
    summed = realisations.order_by().aggregate(
        total=Sum("amount"), n=Count("pk"), reporting=Count("allocation", distinct=True)
    )
    if summed["reporting"] < access.NATIONAL_FIGURE_MIN_PROVINCES:
        return None, None, None, 0, summed["n"], summed["reporting"]
    pagu, counted = national_pagu_in_force(allocations, month_end(filters.year, month))
    realised, pagu = summed["total"] or Decimal(0), pagu or Decimal(0)
    pct = absorption_pct(realised, pagu) if counted else None
    return realised, pagu, pct, counted, summed["n"], summed["reporting"]


def province_against_nation(user, recap):
    """The Comparison of the one province a recap as of a month holds (None for a recap of several
    provinces, or of none, or not as of a month)."""
    if recap.month is None or len(recap.rows) != 1:
        return None
    realised, pagu, pct, counted, recorded, reporting = national_average(user, recap.filters, recap.month)
    return Comparison(
        year=recap.filters.year,
        month=recap.month,
        province=recap.rows[0],
        national_realised=realised,
        national_pagu=pagu,
        national_pct=pct,
        provinces=counted,
        recorded=recorded,
        reporting=reporting,
        narrowed=bool(recap.filters.fund_type or recap.filters.verified_only),
        benchmark_pct=recap.benchmark_pct,
    )
