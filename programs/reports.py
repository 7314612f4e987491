"""The read side: every figure of the reports, computed by aggregate queries only.

Each report runs a fixed number of `values(...).annotate(Sum/Count)` queries whatever the amount of data
(never one query per province, activity or row). Every queryset starts from `Model.objects.visible_to(user)`
— the one scoping mechanism — so an operator's reports hold their own province and nothing else.

The rows that are added up (participations, participants, outputs, handovers) carry their activity's
province and year, so the figures of a year group by those columns without joining up to the activity;
only the activity filters (kind, purpose, sector, Covid-19, verified) reach through `activity__`.
"""

import calendar
import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ikm_dekon.db_router import replica_reads

from . import tallies
from .access import provinces_visible_to, sees_every_province
from .exports import CHUNK_SIZE
from .models import (
    Activity,
    ActivityStatus,
    Allocation,
    BudgetRevision,
    Handover,
    NationalTally,
    Output,
    Participant,
    Participation,
    ProductType,
    QuarterlyNote,
    Realisation,
    RecipientType,
    ReviewStatus,
    Tally,
)

try:  # the protective-equipment product types, where the model module names them
    from .models import PPE_TYPES
except ImportError:  # pragma: no cover - older models
    PPE_TYPES = [ProductType.MASK, ProductType.FACE_SHIELD, ProductType.HAZMAT, ProductType.OTHER_PPE]

# Absorption a province should reach by the end of each quarter (the deconcentration monitoring rule).
QUARTER_BENCHMARKS = {1: 15, 2: 40, 3: 60, 4: 90}
MONTHS = [
    _("Januari"),
    _("Februari"),
    _("Maret"),
    _("April"),
    _("Mei"),
    _("Juni"),
    _("Juli"),
    _("Agustus"),
    _("September"),
    _("Oktober"),
    _("November"),
    _("Desember"),
]
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


def percent(part, whole):
    """part / whole as a percentage with two decimals, half rounded up; None when the whole is zero or
    unknown. The one rounding rule of every percentage shown (pages print it with its two decimals)."""
    if not whole or part is None:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENTS, rounding=ROUND_HALF_UP)


def absorption_pct(realised, pagu):
    """Penyerapan: realised × 100 / pagu by `percent`'s rule — the one formula of the budget page, the
    home page, the allocation list, the admin and every report."""
    return percent(realised, pagu)


# --- Filters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a report is about: a fiscal year, optionally narrowed to some activities."""

    year: int
    kind: str = ""
    purpose: str = ""
    sector: str = ""
    covid: bool | None = None
    verified_only: bool = False

    def activities(self, prefix=""):
        """The activity conditions, reached through `prefix` (e.g. "activity__") from a part of one.

        Empty when nothing is chosen, so the usual report joins nothing.
        """
        q = Q()
        for name in ("kind", "purpose", "sector"):
            if getattr(self, name):
                q &= Q(**{f"{prefix}{name}": getattr(self, name)})
        if self.covid is not None:
            q &= Q(**{f"{prefix}covid_response": self.covid})
        if self.verified_only:
            q &= Q(**{f"{prefix}review_status": ReviewStatus.VERIFIED})
        return q

    @property
    def narrowed(self):
        """Whether only some activities are counted (the money figures are the allocation's regardless)."""
        return bool(self.kind or self.purpose or self.sector or self.covid is not None)

    def as_dict(self):
        return {
            "year": self.year,
            "kind": self.kind or None,
            "purpose": self.purpose or None,
            "sector": self.sector or None,
            "covid_response": self.covid,
            "verified_only": self.verified_only,
        }


# --- The figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # money | int | percent
    group: str  # which table of the page shows it


STATUS_KEYS = {
    ActivityStatus.PLANNED: "activities_planned",
    ActivityStatus.RUNNING: "activities_running",
    ActivityStatus.DONE: "activities_done",
    ActivityStatus.POSTPONED: "activities_postponed",
    ActivityStatus.CANCELLED: "activities_cancelled",
}
OUTPUT_KEYS = {value: f"output_{value}" for value in ProductType.values}
ORDERED_KEYS = {value: f"ordered_{value}" for value in ProductType.values}
HANDED_OVER_KEYS = {value: f"handed_over_{value}" for value in RecipientType.values}

RECAP_FIGURES = [
    Figure("pagu", _("Pagu awal"), "money", "money"),
    Figure("current_pagu", _("Pagu terkini"), "money", "money"),
    Figure("realised", _("Realisasi"), "money", "money"),
    Figure("absorption_pct", _("Penyerapan (%)"), "percent", "money"),
    Figure("activities", _("Kegiatan"), "int", "activities"),
    *[Figure(key, ActivityStatus(status).label, "int", "activities") for status, key in STATUS_KEYS.items()],
    Figure("activity_budget", _("Anggaran kegiatan"), "money", "activities"),
    Figure("firms", _("IKM (berbeda)"), "int", "activities"),
    Figure("participants", _("Peserta perorangan"), "int", "activities"),
    Figure("participants_target", _("Target peserta"), "int", "activities"),
    Figure("participants_actual", _("Realisasi peserta"), "int", "activities"),
    *[
        Figure(key, _("Produksi: %(t)s") % {"t": ProductType(value).label}, "int", "outputs")
        for value, key in OUTPUT_KEYS.items()
    ],
    *[
        Figure(key, _("Pesanan: %(t)s") % {"t": ProductType(value).label}, "int", "outputs")
        for value, key in ORDERED_KEYS.items()
    ],
    *[
        Figure(key, _("Diserahkan ke %(r)s") % {"r": RecipientType(value).label}, "int", "outputs")
        for value, key in HANDED_OVER_KEYS.items()
    ],
]
FIGURES_BY_KEY = {f.key: f for f in RECAP_FIGURES}
ADDITIVE = [f.key for f in RECAP_FIGURES if f.kind != "percent" and f.key != "firms"]
#: The columns a recap may be sorted by (an allow-list; "-" before a key sorts descending).
SORT_KEYS = ["province_code", "province", *FIGURES_BY_KEY]


def _row(province):
    row = {"province_code": province.code, "province": province.name}
    row.update({f.key: 0 for f in RECAP_FIGURES})
    row["absorption_pct"] = None
    return row


@dataclass
class Recap:
    filters: Filters
    rows: list
    totals: dict
    figures: list = field(default_factory=lambda: RECAP_FIGURES)

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


@replica_reads()
def national_recap(user, filters, province=None, live=False):
    """One row per province active in the year (and visible to the user), with a totals row.

    `province` narrows the recap to one province the caller has already found visible. Unfiltered, on
    PostgreSQL, the activity and output figures come from the tallies the database keeps in the same
    transaction as every write (`programs/tallies.py`); filtered (or `live`), from the records themselves.
    """
    year = filters.year
    provinces = provinces_visible_to(user).active_in(year).only("pk", "code", "name").order_by("code")
    if province is not None:
        provinces = provinces.filter(pk=province.pk)
    rows = {p.pk: _row(p) for p in provinces}

    def scoped(model, year_lookup="year", province_lookup="province"):
        qs = model.objects.visible_to(user).filter(**{year_lookup: year}).order_by()
        if province is not None:
            qs = qs.filter(**{province_lookup: province})
        return qs

    for a in scoped(Allocation).values("province_id", "pagu", "current_pagu", "realised_total"):
        if a["province_id"] in rows:
            rows[a["province_id"]].update(
                pagu=a["pagu"], current_pagu=a["current_pagu"], realised=a["realised_total"]
            )
    if filters.verified_only:
        # Only the months the ministry verified count; the running total holds every month.
        for row in rows.values():
            row["realised"] = Decimal(0)
        verified = (
            scoped(Realisation, "allocation__year", "allocation__province")
            .filter(review_status=ReviewStatus.VERIFIED)
            .values("allocation__province_id")
            .annotate(amount=Sum("amount"))
        )
        for r in verified:
            if r["allocation__province_id"] in rows:
                rows[r["allocation__province_id"]]["realised"] = r["amount"]

    if _reads_tallies(filters, live):
        _recap_from_tallies(user, year, rows, province)
        return _recap(filters, rows, province, national_firms=_national_firms(user, year))

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
    national_firms = participations.values("firm_id").distinct().count() if province is None else None

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

    return _recap(filters, rows, province, national_firms)


def _recap(filters, rows, province, national_firms):
    for row in rows.values():
        row["absorption_pct"] = absorption_pct(row["realised"], row["current_pagu"])
    totals = {"province_code": None, "province": str(_("Total"))}
    totals.update({key: sum(row[key] for row in rows.values()) for key in ADDITIVE})
    if province is not None or national_firms is None:
        # One province, or a user who sees one province only: the distinct firms are that province's.
        national_firms = sum(r["firms"] for r in rows.values())
    totals["firms"] = national_firms
    totals["absorption_pct"] = absorption_pct(totals["realised"], totals["current_pagu"])
    return Recap(filters=filters, rows=list(rows.values()), totals=totals)


#: Tally measures (programs/tallies.py) → recap keys; "handed_over:<recipient>:<product>" are summed.
TALLY_KEYS = {
    **{f"activities:{status}": key for status, key in STATUS_KEYS.items()},
    "activity_budget": "activity_budget",
    "participants_target": "participants_target",
    "participants_actual": "participants_actual",
    "participants": "participants",
    "firms": "firms",
    **{f"output:{value}": key for value, key in OUTPUT_KEYS.items()},
    **{f"ordered:{value}": key for value, key in ORDERED_KEYS.items()},
}
MONEY_KEYS = {"activity_budget"}


def _reads_tallies(filters, live=False):
    """Whether a report reads the tallies: unfiltered, on PostgreSQL, unless asked to add up the records."""
    return not (live or filters.narrowed or filters.verified_only) and tallies.enabled()


def _tally_rows(user, year, province=None):
    """(province id, measure, amount) of the year's tallies the user may see (one query)."""
    rows = Tally.objects.visible_to(user).filter(year=year).order_by()
    if province is not None:
        rows = rows.filter(province=province)
    return rows.values_list("province_id", "measure", "amount")


def _recap_from_tallies(user, year, rows, province):
    """The recap's activity and output figures from the tallies the database keeps."""
    for province_id, measure, amount in _tally_rows(user, year, province):
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


# --- One province ------------------------------------------------------------------------------------------


@replica_reads()
def monthly_curve(user, province, filters, pagu):
    """Month by month: realised, cumulative, % of the current pagu, and the quarter-end benchmarks."""
    realisations = (
        Realisation.objects.visible_to(user)
        .filter(allocation__province=province, allocation__year=filters.year)
        .order_by()
    )
    if filters.verified_only:
        realisations = realisations.filter(review_status=ReviewStatus.VERIFIED)
    amounts = dict(realisations.values_list("month").annotate(amount=Sum("amount")))
    last = max(amounts, default=0)
    running = Decimal(0)
    months = []
    for month in range(1, 13):
        amount = amounts.get(month)
        running += amount or 0
        benchmark = QUARTER_BENCHMARKS.get(month // 3) if month % 3 == 0 else None
        months.append(
            {
                "month": month,
                "label": str(MONTHS[month - 1]),
                "realised": amount,
                "cumulative": running if month <= last else None,
                "cumulative_pct": absorption_pct(running, pagu) if month <= last else None,
                "benchmark_pct": benchmark,
                "benchmark_amount": (Decimal(pagu or 0) * benchmark / HUNDRED).quantize(Decimal(1))
                if benchmark
                else None,
            }
        )
    return months


def physical_progress(row):
    """Physical progress beside financial progress, from a recap row."""
    live = row["activities"] - row["activities_cancelled"]
    ordered = sum(row[k] for k in ORDERED_KEYS.values())
    made_against_orders = sum(row[OUTPUT_KEYS[t]] for t, k in ORDERED_KEYS.items() if row[k])
    return {
        "activities": row["activities"],
        "activities_live": live,
        "activities_done": row["activities_done"],
        "activities_done_pct": percent(row["activities_done"], live),
        "participants_target": row["participants_target"],
        "participants_actual": row["participants_actual"],
        "participants_pct": percent(row["participants_actual"], row["participants_target"]),
        "ordered": ordered,
        "produced_against_orders": made_against_orders,
        "orders_pct": percent(made_against_orders, ordered),
        "absorption_pct": row["absorption_pct"],
    }


def province_activities(user, province, filters):
    """The province's activities of the year under the filters (a queryset, for a page or an export)."""
    return (
        Activity.objects.visible_to(user)
        .filter(province=province, year=filters.year)
        .filter(filters.activities())
        .select_related("regency")
        .order_by("planned_start", "pk")
    )


@replica_reads()
def activity_figures(user, province, year, activity_ids=None, until=None):
    """{activity id: firms, participants, produced, ordered, handed_over}, by four aggregate queries.

    `activity_ids` narrows to a page of activities; `until` counts outputs produced, orders placed and
    handovers made up to that date only (a quarter's end).
    """

    def scoped(model):
        qs = model.objects.visible_to(user).filter(province=province, year=year).order_by()
        return qs if activity_ids is None else qs.filter(activity_id__in=activity_ids)

    return _activity_figures(scoped, until)


@replica_reads()
def figures_of_activities(user, activity_ids):
    """The same figures for some activities of any province and year (e.g. a page of the review queue)."""

    def scoped(model):
        return model.objects.visible_to(user).filter(activity_id__in=activity_ids).order_by()

    return _activity_figures(scoped)


def _activity_figures(scoped, until=None):
    """Each figure by its own grouped query over one table: a sum over outputs and a count over
    participations in one query would multiply each other through the joins."""
    figures = {}

    def put(activity_id, **values):
        entry = figures.setdefault(activity_id, dict(EMPTY_ACTIVITY_FIGURES))
        entry.update({k: v or 0 for k, v in values.items()})

    for p in scoped(Participation).values("activity_id").annotate(n=Count("firm_id", distinct=True)):
        put(p["activity_id"], firms=p["n"])
    for p in scoped(Participant).values("activity_id").annotate(n=Count("pk")):
        put(p["activity_id"], participants=p["n"])
    outputs = scoped(Output)
    handovers = scoped(Handover)
    if until is not None:
        handovers = handovers.filter(handed_on__lte=until)
        made = Sum("quantity", filter=Q(produced_on__lte=until))
        ordered = Sum("ordered_quantity", filter=_ordered_by(until))
    else:
        made, ordered = Sum("quantity"), Sum("ordered_quantity")
    for o in outputs.values("activity_id").annotate(made=made, ordered=ordered):
        put(o["activity_id"], produced=o["made"], ordered=o["ordered"])
    for h in handovers.values("activity_id").annotate(q=Sum("quantity")):
        put(h["activity_id"], handed_over=h["q"])
    return figures


EMPTY_ACTIVITY_FIGURES = {"firms": 0, "participants": 0, "produced": 0, "ordered": 0, "handed_over": 0}


def _ordered_by(day):
    """The orders placed by that day: by their order date, or, where none was recorded, their output's
    production date (the only date such an order has)."""
    return Q(ordered_on__lte=day) | Q(ordered_on__isnull=True, produced_on__lte=day)


# --- The quarterly report --------------------------------------------------------------------------------


def quarter_end(year, quarter):
    month = quarter * 3
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


#: The activity's fields the quarterly report shows as they were recorded at the quarter's end.
AS_AT_FIELDS = [
    "status",
    "status_reason",
    "planned_end",
    "actual_end",
    "budget",
    "target_participants",
    "actual_participants",
]


def end_of_day(day):
    """The first moment after `day` in WIB (the ministry's time): what was recorded before it was known."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min),
        zoneinfo.ZoneInfo(settings.TIME_ZONE),
    )


def as_at(activities, day):
    """The activities with `<field>_at_end` for each of AS_AT_FIELDS: the values their history (kept by
    django-simple-history for every write) held at the end of `day` — the last version saved by then.

    An activity first recorded after that day (entered late) has no version by then: it shows the version
    it was first recorded with. One subquery picks the version, one per field reads it; no query per row.
    """
    versions = Activity.history.model.objects.filter(id=OuterRef("pk")).order_by()
    by_then = versions.filter(history_date__lt=end_of_day(day)).order_by("-history_date", "-history_id")
    first = versions.order_by("history_date", "history_id")
    activities = activities.annotate(
        version_at_end=Coalesce(
            Subquery(by_then.values("history_id")[:1]), Subquery(first.values("history_id")[:1])
        )
    )
    fields = {}
    for name in AS_AT_FIELDS:
        version = Activity.history.model.objects.filter(history_id=OuterRef("version_at_end"))
        # An activity without any version (written around the history) shows what it holds now.
        fields[f"{name}_at_end"] = Case(
            When(version_at_end__isnull=True, then=F(name)),
            default=Subquery(version.values(name)[:1]),
            output_field=Activity._meta.get_field(name),
        )
    return activities.annotate(**fields)


def _quarterly_row(activity, figures, end):
    values = {name: getattr(activity, f"{name}_at_end") for name in AS_AT_FIELDS}
    status, actual_end = values["status"], values["actual_end"]
    done = status == ActivityStatus.DONE and actual_end is not None and actual_end <= end
    due = values["planned_end"] <= end and status != ActivityStatus.CANCELLED
    return {
        "activity": activity,
        **values,
        "status_label": ActivityStatus(status).label,
        "done_by_end": done,
        "due_by_end": due,
        **figures,
    }


class QuarterlyActivities:
    """The quarterly report's activity rows: each activity with its figures up to the quarter's end.

    Computed only when read. Iterating gives every activity (an export): the figures of all of them by
    four aggregate queries, the activities streamed in chunks. `rows(activities)` gives the rows of some
    of them (a page), with the figures of those only.
    """

    def __init__(self, user, province, year, end, queryset):
        self.user = user
        self.province = province
        self.year = year
        self.end = end
        self.queryset = queryset  # every activity of the report, in the order the page lists them

    def __iter__(self):
        figures = activity_figures(self.user, self.province, self.year, until=self.end)
        for activity in self.queryset.iterator(chunk_size=CHUNK_SIZE):
            yield _quarterly_row(activity, figures.get(activity.pk, EMPTY_ACTIVITY_FIGURES), self.end)

    def rows(self, activities):
        """The rows of these activities (e.g. a page of `queryset`), with their figures only."""
        activities = list(activities)
        figures = activity_figures(
            self.user, self.province, self.year, activity_ids=[a.pk for a in activities], until=self.end
        )
        return [_quarterly_row(a, figures.get(a.pk, EMPTY_ACTIVITY_FIGURES), self.end) for a in activities]


@dataclass
class Quarterly:
    province: object
    year: int
    quarter: int
    end: datetime.date
    allocation: object
    pagu_at_end: Decimal | None
    months: list
    realised_to_end: Decimal
    absorption_pct: Decimal | None
    benchmark_pct: int
    activities: QuarterlyActivities
    summary: dict
    note: object


def quarterly_report(user, province, year, quarter, verified_only=False):
    """What a provincial office sends after each quarter: absorption to the quarter's end, outputs against
    targets, and the problems and follow-up it noted."""
    report = _quarterly_figures(user, province, year, quarter, verified_only)
    if report.allocation is not None:
        # From the primary, never a replica: the operator who just saved the note reads it back here.
        report.note = (
            QuarterlyNote.objects.visible_to(user)
            .filter(allocation=report.allocation, quarter=quarter)
            .first()
        )
    return report


@replica_reads()
def _quarterly_figures(user, province, year, quarter, verified_only):
    end = quarter_end(year, quarter)
    allocation = (
        Allocation.objects.visible_to(user).filter(province=province, year=year).select_related("province")
    ).first()
    pagu_at_end = None
    amounts = {}
    if allocation is not None:
        # The pagu in force on the quarter's last day: the latest revision dated by then, else the DIPA's.
        revised = (
            BudgetRevision.objects.visible_to(user)
            .filter(allocation=allocation, revised_on__lte=end)
            .order_by("-revised_on", "-pk")
            .values_list("new_pagu", flat=True)
            .first()
        )
        pagu_at_end = allocation.pagu if revised is None else revised
        realisations = Realisation.objects.visible_to(user).filter(
            allocation=allocation, month__lte=end.month
        )
        if verified_only:
            realisations = realisations.filter(review_status=ReviewStatus.VERIFIED)
        amounts = dict(realisations.order_by().values_list("month").annotate(a=Sum("amount")))
    months = []
    for month in range(end.month - 2, end.month + 1):
        cumulative = sum((a for m, a in amounts.items() if m <= month), Decimal(0))  # from January
        months.append(
            {
                "month": month,
                "label": str(MONTHS[month - 1]),
                "realised": amounts.get(month),
                "cumulative": cumulative,
                "cumulative_pct": absorption_pct(cumulative, pagu_at_end),
            }
        )
    realised_to_end = months[-1]["cumulative"]

    filters = Filters(year=year, verified_only=verified_only)
    activities = as_at(province_activities(user, province, filters), end)
    return Quarterly(
        province=province,
        year=year,
        quarter=quarter,
        end=end,
        allocation=allocation,
        pagu_at_end=pagu_at_end,
        months=months,
        realised_to_end=realised_to_end,
        absorption_pct=absorption_pct(realised_to_end, pagu_at_end),
        benchmark_pct=QUARTER_BENCHMARKS[quarter],
        activities=QuarterlyActivities(user, province, year, end, activities),
        summary=_quarterly_summary(user, province, filters, activities, end),
        note=None,
    )


def _quarterly_summary(user, province, filters, activities, end):
    """The quarter's figures over every activity of the province-year, by five aggregate queries.

    The same as adding up the activity rows one by one, each activity as recorded at the quarter's end
    (`as_at`): due when planned to end by the quarter's end and not cancelled, done when finished by then;
    outputs count when produced by that date, orders when placed by it (`_ordered_by`), handovers when made
    by it; "firms" counts each firm once, however many of the activities it joined.
    """
    done = Q(status_at_end=ActivityStatus.DONE, actual_end_at_end__lte=end)
    due = Q(planned_end_at_end__lte=end) & ~Q(status_at_end=ActivityStatus.CANCELLED)
    counts = (
        activities.select_related(None)
        .order_by()
        .aggregate(
            planned_by_end=Count("pk", filter=due),
            done_by_end=Count("pk", filter=done),
            participants_target=Sum("target_participants_at_end"),
            participants_actual=Sum("actual_participants_at_end", filter=done),
        )
    )

    def parts(model):
        return (
            model.objects.visible_to(user)
            .filter(province=province, year=filters.year)
            .filter(filters.activities("activity__"))
            .order_by()
        )

    outputs = parts(Output).aggregate(
        produced=Sum("quantity", filter=Q(produced_on__lte=end)),
        ordered=Sum("ordered_quantity", filter=_ordered_by(end)),
    )
    handed_over = parts(Handover).filter(handed_on__lte=end).aggregate(n=Sum("quantity"))["n"]
    summary = {
        **{key: value or 0 for key, value in counts.items()},
        "produced": outputs["produced"] or 0,
        "ordered": outputs["ordered"] or 0,
        "handed_over": handed_over or 0,
        "firms": parts(Participation).values("firm_id").distinct().count(),
        "participants": parts(Participant).count(),
    }
    summary["done_pct"] = percent(summary["done_by_end"], summary["planned_by_end"])
    summary["participants_pct"] = percent(summary["participants_actual"], summary["participants_target"])
    summary["produced_pct"] = percent(summary["produced"], summary["ordered"])
    return summary


# --- The Covid-19 response report --------------------------------------------------------------------------


def _covid_sums(user, filters):
    """([{province_id, product_type, made, ordered}], [{province_id, product_type, recipient_type,
    quantity}]) of the protective equipment, added up from the records (any filter)."""
    in_activities = filters.activities("activity__")
    outputs = (
        Output.objects.visible_to(user)
        .filter(year=filters.year, product_type__in=PPE_TYPES)
        .filter(in_activities)
        .order_by()
        .values("province_id", "product_type")
        .annotate(made=Sum("quantity"), ordered=Sum("ordered_quantity"))
    )
    handovers = (
        Handover.objects.visible_to(user)
        .filter(year=filters.year, product_type__in=PPE_TYPES)
        .filter(in_activities)
        .order_by()
        .values("province_id", "product_type", "recipient_type")
        .annotate(quantity=Sum("quantity"))
    )
    return outputs, handovers


def _covid_sums_from_tallies(user, year):
    """The same sums, unfiltered, from the tallies the database keeps."""
    outputs, handovers = {}, []
    for province_id, measure, amount in _tally_rows(user, year):
        if not amount:
            continue  # what was there and has gone: no cell, as when adding up the records
        kind, _colon, rest = measure.partition(":")
        if kind in ("output", "ordered") and rest in PPE_TYPES:
            entry = outputs.setdefault(
                (province_id, rest),
                {"province_id": province_id, "product_type": rest, "made": 0, "ordered": 0},
            )
            entry["made" if kind == "output" else "ordered"] += int(amount)
        elif kind == "handed_over":
            recipient_type, _colon, product_type = rest.partition(":")
            if product_type in PPE_TYPES:
                handovers.append(
                    {
                        "province_id": province_id,
                        "product_type": product_type,
                        "recipient_type": recipient_type,
                        "quantity": int(amount),
                    }
                )
    return list(outputs.values()), handovers


@dataclass
class Covid:
    filters: Filters
    rows: list  # one per province and product type with any output
    totals: dict
    by_product: list  # one per product type: produced, ordered, handed over, and handed over per recipient
    by_recipient: list  # one per recipient type: handed over in all, and per product type


COVID_RECIPIENT_KEYS = HANDED_OVER_KEYS
#: The product types the Covid-19 report counts (the protective equipment) → their keys in `by_recipient`.
COVID_PRODUCT_KEYS = {value: f"product_{value}" for value in PPE_TYPES}


@replica_reads()
def covid_report(user, filters, live=False):
    """Protective equipment and masks produced, ordered and handed over: by province, product, recipient.

    Unfiltered on PostgreSQL from the tallies (as the recap); filtered (or `live`) from the records.
    """
    year = filters.year
    provinces = {
        p.pk: p
        for p in provinces_visible_to(user).active_in(year).only("pk", "code", "name").order_by("code")
    }
    if _reads_tallies(filters, live):
        outputs, handovers = _covid_sums_from_tallies(user, year)
    else:
        outputs, handovers = _covid_sums(user, filters)
    cells = {}

    def cell(province_id, product_type):
        entry = cells.get((province_id, product_type))
        if entry is None:
            province = provinces[province_id]
            entry = cells[province_id, product_type] = {
                "province_code": province.code,
                "province": province.name,
                "product_type": product_type,
                "product": str(ProductType(product_type).label),
                "produced": 0,
                "ordered": 0,
                "handed_over": 0,
                **dict.fromkeys(COVID_RECIPIENT_KEYS.values(), 0),
            }
        return entry

    for o in outputs:
        if o["province_id"] in provinces:
            entry = cell(o["province_id"], o["product_type"])
            entry["produced"] += o["made"] or 0
            entry["ordered"] += o["ordered"] or 0
    for h in handovers:
        if h["province_id"] in provinces:
            entry = cell(h["province_id"], h["product_type"])
            entry[COVID_RECIPIENT_KEYS[h["recipient_type"]]] += h["quantity"] or 0
            entry["handed_over"] += h["quantity"] or 0
    order = {value: i for i, value in enumerate(PPE_TYPES)}
    rows = sorted(cells.values(), key=lambda r: (r["province_code"], order[r["product_type"]]))
    numbers = ["produced", "ordered", "handed_over", *COVID_RECIPIENT_KEYS.values()]
    totals = {"province_code": None, "province": str(_("Total")), "product_type": None, "product": ""}
    totals.update({key: sum(r[key] for r in rows) for key in numbers})
    by_product = []
    for product_type in PPE_TYPES:
        mine = [r for r in rows if r["product_type"] == product_type]
        by_product.append(
            {
                "product_type": str(product_type),
                "product": str(ProductType(product_type).label),
                **{key: sum(r[key] for r in mine) for key in numbers},
            }
        )
    # Recipient × product: how many masks (not all protective equipment) went to the task forces.
    by_recipient = [
        {
            "recipient_type": value,
            "recipient": str(RecipientType(value).label),
            "handed_over": totals[key],
            **{COVID_PRODUCT_KEYS[p["product_type"]]: p[key] for p in by_product},
        }
        for value, key in COVID_RECIPIENT_KEYS.items()
    ]
    return Covid(filters=filters, rows=rows, totals=totals, by_product=by_product, by_recipient=by_recipient)
