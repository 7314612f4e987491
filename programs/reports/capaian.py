"""Physical progress (capaian) of a province-year's outputs (RO) as of a month: each RO's achievement counted
the way the RO says (its `measure`), beside its pagu and what was realised against it.

Verified records only: an activity counts once its `review_status` is verified, a manual achievement once
it is verified. A firm or a person is counted once within an RO however many of its activities they took
part in (COUNT DISTINCT per RO, never a sum of per-activity counts).

The number of queries is fixed whatever the amount of data: the allocation, its ROs, one grouped query per
measure kind the ROs use (grouped by RO, never one query per RO), the realisation lines per RO and the
month's realisation in all (what is not split over the ROs is said beside the totals) — for one province
or for many at once (`capaian_of_allocations`, the national bundle of Form C). It never writes; the page
is `reports.views.capaian`.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ikm_dekon.db_router import replica_reads

from ..models import (
    Achievement,
    Activity,
    ActivityStatus,
    Allocation,
    Measure,
    Output,
    Participant,
    Participation,
    PlanItem,
    PlanLevel,
    Realisation,
    RealisationLine,
    ReviewStatus,
)
from ..numbers import absorption_pct, percent


def default_month(year, today=None):
    """The as-of month when none is asked: the current month (WIB) for the current year, else December."""
    today = today or timezone.localdate()
    return today.month if year == today.year else 12


def month_end(year, month):
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class Capaian:
    """One province-year's capaian as of a month: a row per RO (in code order) and the money totals."""

    province: object
    year: int
    month: int
    allocation: Allocation | None
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    #: Realisation of months up to the month not split over the ROs (entered before the year had a plan).
    unattributed: Decimal = Decimal(0)

    @property
    def as_of(self):
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def end(self):
        return month_end(self.year, self.month)

    @property
    def fund_type(self):
        return self.allocation.fund_type if self.allocation else None

    @property
    def has_plan(self):
        return bool(self.rows)


def _held_by(end, prefix=""):
    """Activities held by `end`: their actual end, else their planned end, on or before it."""
    return Coalesce(f"{prefix}actual_end", f"{prefix}planned_end"), end


def _verified(prefix=""):
    return Q(**{f"{prefix}review_status": ReviewStatus.VERIFIED})


def _by_ro(rows, key="ro", value="n"):
    return {r[key]: r[value] or 0 for r in rows}


def _achieved(user, ros, end, month):
    """{RO id: achieved}, by one grouped query per measure kind the ROs use."""
    ids = {}
    for ro in ros:
        ids.setdefault(ro.measure, []).append(ro.pk)
    achieved = {}

    def parts(model):
        """Parts of the verified activities of these ROs held by the end of the month."""
        held, day = _held_by(end, "activity__")
        return (
            model.objects.visible_to(user)
            .alias(held=held)
            .filter(_verified("activity__"), held__lte=day)
            .order_by()
        )

    if Measure.FIRMS in ids:
        rows = (
            parts(Participation)
            .filter(activity__planned_output_id__in=ids[Measure.FIRMS])
            .values(ro=F("activity__planned_output_id"))
            .annotate(n=Count("firm_id", distinct=True))
        )
        achieved.update(_by_ro(rows))
    if Measure.PARTICIPANTS in ids:
        # People with a NIK count once per RO; a person without one cannot be matched, so each row counts.
        rows = (
            parts(Participant)
            .filter(activity__planned_output_id__in=ids[Measure.PARTICIPANTS])
            .values(ro=F("activity__planned_output_id"))
            .annotate(
                with_nik=Count("nik", distinct=True, filter=~Q(nik="")),
                without_nik=Count("pk", filter=Q(nik="")),
            )
        )
        achieved.update({r["ro"]: r["with_nik"] + r["without_nik"] for r in rows})
    if Measure.NEW_FIRMS in ids:
        rows = (
            parts(Participant)
            .filter(activity__planned_output_id__in=ids[Measure.NEW_FIRMS], founded_firm__isnull=False)
            .exclude(founded_firm__nib="")  # obtained a NIB: a firm registered without one does not count yet
            .values(ro=F("activity__planned_output_id"))
            .annotate(n=Count("founded_firm_id", distinct=True))
        )
        achieved.update(_by_ro(rows))
    if Measure.UNITS in ids:
        # The output's own date replaces the activity's: what was produced by the end of the month.
        rows = (
            Output.objects.visible_to(user)
            .filter(
                _verified("activity__"),
                activity__planned_output_id__in=ids[Measure.UNITS],
                product_type=F("activity__planned_output__product_type"),
                produced_on__lte=end,
            )
            .order_by()
            .values(ro=F("activity__planned_output_id"))
            .annotate(n=Sum("quantity"))
        )
        achieved.update(_by_ro(rows))
    if Measure.ACTIVITIES in ids:
        rows = (
            Activity.objects.visible_to(user)
            .filter(
                _verified(),
                planned_output_id__in=ids[Measure.ACTIVITIES],
                status=ActivityStatus.DONE,
                actual_end__lte=end,
            )
            .order_by()
            .values(ro=F("planned_output_id"))
            .annotate(n=Count("pk"))
        )
        achieved.update(_by_ro(rows))
    if Measure.MANUAL in ids:
        rows = (
            Achievement.objects.visible_to(user)
            .filter(_verified(), planned_output_id__in=ids[Measure.MANUAL], month__lte=month)
            .order_by()
            .values(ro=F("planned_output_id"))
            .annotate(n=Sum("quantity"))
        )
        achieved.update(_by_ro(rows))
    return achieved


@replica_reads()
def capaian_report(user, province, year, month=None, *, verified_money=False):
    """The capaian of `province`'s allocation of `year` as of the end of `month` (default: `default_month`).

    Every queryset starts from `visible_to(user)`: a province outside the user's scope has no allocation
    here (the page answers 404 before asking). A year without a plan (no RO) gives no rows.
    `verified_money`: count only the verified months' realisation (the PP 39/2006 forms); by default every
    month recorded, as the capaian page always has.
    """
    month = month or default_month(year)
    allocation = (
        Allocation.objects.visible_to(user)
        .filter(province=province, year=year)
        .select_related("province")
        .first()
    )
    if allocation is None:
        return _empty(province, year, month, None)
    return capaian_of_allocations(user, [allocation], year, month, verified_money=verified_money)[
        allocation.pk
    ]


def _empty(province, year, month, allocation):
    zero = Decimal(0)
    report = Capaian(province=province, year=year, month=month, allocation=allocation)
    report.totals = {"pagu": zero, "realised": zero, "absorption_pct": None}
    return report


def capaian_of_allocations(user, allocations, year, month, *, verified_money=False):
    """{allocation id: Capaian} of many allocations of one year (e.g. every province's, for the national
    bundle of Form C) by the same fixed number of grouped queries as one: their ROs, one query per measure
    kind, the realisation lines per RO, the recorded realisation per allocation. `allocations`: Allocation
    objects the caller found through `visible_to(user)`, their province loaded.
    """
    zero = Decimal(0)
    reports = {a.pk: _empty(a.province, year, month, a) for a in allocations}
    if not reports:
        return reports
    ros = list(
        PlanItem.objects.visible_to(user)
        .filter(allocation_id__in=list(reports), level=PlanLevel.RO)
        .order_by("allocation_id", "code", "pk")
    )
    if not ros:
        return reports
    end = month_end(year, month)
    achieved = _achieved(user, ros, end, month)
    lines = RealisationLine.objects.visible_to(user).filter(
        planned_output_id__in=[ro.pk for ro in ros], realisation__month__lte=month
    )
    if verified_money:
        lines = lines.filter(_verified("realisation__"))
    realised = dict(lines.order_by().values_list("planned_output_id").annotate(amount=Sum("amount")))
    for ro in ros:
        value = achieved.get(ro.pk, 0)
        money = realised.get(ro.pk) or zero
        reports[ro.allocation_id].rows.append(
            {
                "id": ro.pk,
                "code": ro.code,
                "name": ro.name,
                "unit": ro.unit,
                "unit_label": ro.get_unit_display(),
                "target": ro.target,
                "achieved": value,
                "achieved_pct": percent(value, ro.target),
                "measure": ro.measure,
                "measure_label": ro.get_measure_display(),
                "product_type": ro.product_type,
                "pagu": ro.pagu,
                "realised": money,
                "absorption_pct": absorption_pct(money, ro.pagu),
            }
        )
    with_plan = [pk for pk, report in reports.items() if report.rows]
    recorded = Realisation.objects.visible_to(user).filter(allocation_id__in=with_plan, month__lte=month)
    if verified_money:
        recorded = recorded.filter(_verified())
    recorded = dict(recorded.order_by().values_list("allocation_id").annotate(total=Sum("amount")))
    for pk in with_plan:
        report = reports[pk]
        pagu = sum((r["pagu"] or zero for r in report.rows), zero)
        spent = sum((r["realised"] for r in report.rows), zero)
        report.totals = {"pagu": pagu, "realised": spent, "absorption_pct": absorption_pct(spent, pagu)}
        report.unattributed = (recorded.get(pk) or zero) - spent
    return reports
