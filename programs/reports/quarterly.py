"""The quarterly monitoring report of a province: each activity as recorded at the quarter's end, the month's
realisation and absorption, and the operator's notes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce

from ikm_dekon.db_router import replica_reads

from ..exports import CHUNK_SIZE
from ..models import (
    Activity,
    ActivityStatus,
    Allocation,
    BudgetRevision,
    Handover,
    Output,
    Participant,
    Participation,
    QuarterlyNote,
    Realisation,
    ReviewStatus,
)
from ..numbers import HUNDRED, absorption_pct, percent  # noqa: F401 - reports.percent: the selectors' API
from ..periods import MONTHS, QUARTER_BENCHMARKS, end_of_day, quarter_end  # noqa: F401
from .figures import EMPTY_ACTIVITY_FIGURES
from .filters import Filters
from .province import activity_figures, ordered_by, province_activities

# --- The quarterly report --------------------------------------------------------------------------------


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


def _version_at(day):
    """The activity's version (history_id) at the end of `day`: the last saved by then, else its first."""
    versions = Activity.history.model.objects.filter(id=OuterRef("pk")).order_by()
    by_then = versions.filter(history_date__lt=end_of_day(day)).order_by("-history_date", "-history_id")
    first = versions.order_by("history_date", "history_id")
    return Coalesce(Subquery(by_then.values("history_id")[:1]), Subquery(first.values("history_id")[:1]))


def as_at(activities, day):
    """The activities with `<field>_at_end` for each of AS_AT_FIELDS: the values their history (kept by
    django-simple-history for every write) held at the end of `day` — the last version saved by then.

    An activity first recorded after that day (entered late) has no version by then: it shows the version
    it was first recorded with. One subquery picks the version, one per field reads it; no query per row.
    """
    activities = activities.annotate(version_at_end=_version_at(day))
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
    plain = province_activities(user, province, filters)
    activities = as_at(plain, end)
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
        summary=_quarterly_summary(user, province, filters, plain, end),
        note=None,
    )


def _quarterly_summary(user, province, filters, activities, end):
    """The quarter's figures over every activity of the province-year, by six aggregate queries.

    The same as adding up the activity rows one by one, each activity as recorded at the quarter's end
    (`as_at`): due when planned to end by the quarter's end and not cancelled, done when finished by then;
    outputs count when produced by that date, orders when placed by it (`ordered_by`), handovers when made
    by it; "firms" counts each firm once, however many of the activities it joined.

    The activities' figures are summed over their versions (the history rows `as_at` picks), not over
    `as_at`'s annotations: each reference to an annotated field repeats its subqueries, so the aggregate
    of the annotations ran some thirty subqueries per activity of the province-year; this runs one or two
    (the version's pick). Activities without any version (written around the history) add what they hold
    now, as `as_at` shows them.
    """

    def counted():
        done = Q(status=ActivityStatus.DONE, actual_end__lte=end)
        due = Q(planned_end__lte=end) & ~Q(status=ActivityStatus.CANCELLED)
        return {
            "planned_by_end": Count("pk", filter=due),
            "done_by_end": Count("pk", filter=done),
            "participants_target": Sum("target_participants"),
            "participants_actual": Sum("actual_participants", filter=done),
        }

    history = Activity.history.model.objects.order_by()
    # From the activities without as_at's annotations: a subquery of the annotated queryset resolves every
    # one of them (some 60 ms of Python at 1x on the bench machine) to select one.
    activities = activities.select_related(None).order_by()
    versions = activities.annotate(version_at_end=_version_at(end)).values("version_at_end")
    # The versions' activities besides the versions: the activities lead the plan through the history's
    # index on `id`, where the versions alone hash the whole history table.
    recorded = history.filter(id__in=activities.values("pk"), history_id__in=versions).aggregate(**counted())
    unrecorded = activities.filter(~Exists(history.filter(id=OuterRef("pk")))).aggregate(**counted())
    counts = {key: (recorded[key] or 0) + (unrecorded[key] or 0) for key in recorded}

    def parts(model):
        return (
            model.objects.visible_to(user)
            .filter(province=province, year=filters.year)
            .filter(filters.activities("activity__"))
            .order_by()
        )

    outputs = parts(Output).aggregate(
        produced=Sum("quantity", filter=Q(produced_on__lte=end)),
        ordered=Sum("ordered_quantity", filter=ordered_by(end)),
    )
    handed_over = parts(Handover).filter(handed_on__lte=end).aggregate(n=Sum("quantity"))["n"]
    summary = {
        **counts,
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
