"""One province's report: the monthly absorption curve, physical against financial progress, and its
activities with their figures (each figure by its own grouped query: a count and a sum over two joins would
multiply each other).
"""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from ikm_dekon.db_router import replica_reads

from ..models import (
    Activity,
    Handover,
    Output,
    Participant,
    Participation,
    Realisation,
    ReviewStatus,
)
from ..numbers import HUNDRED, absorption_pct, percent  # noqa: F401 - reports.percent: the selectors' API
from ..periods import MONTHS, QUARTER_BENCHMARKS, end_of_day, quarter_end  # noqa: F401
from .figures import EMPTY_ACTIVITY_FIGURES, ORDERED_KEYS, OUTPUT_KEYS

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
        ordered = Sum("ordered_quantity", filter=ordered_by(until))
    else:
        made, ordered = Sum("quantity"), Sum("ordered_quantity")
    for o in outputs.values("activity_id").annotate(made=made, ordered=ordered):
        put(o["activity_id"], produced=o["made"], ordered=o["ordered"])
    for h in handovers.values("activity_id").annotate(q=Sum("quantity")):
        put(h["activity_id"], handed_over=h["q"])
    return figures


def ordered_by(day):
    """The orders placed by that day: by their order date, or, where none was recorded, their output's
    production date (the only date such an order has)."""
    return Q(ordered_on__lte=day) | Q(ordered_on__isnull=True, produced_on__lte=day)
