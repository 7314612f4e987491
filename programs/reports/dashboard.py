"""The ministry's national dashboard: for those who see every province, each province's money against the
benchmark as of a month with its traffic light, its output achievement, what is due or late on the reporting
calendar, and what waits for verification — the home page of ministry staff, admins and national viewers.

Why a module of its own: the home page must answer "which provinces are behind?" in a glance from the same
figures as the reports, so it asks their one home for each part and re-derives none of them — the money
and the standing from the national recap (`recap.national_recap` with a month, whose rule is
programs/benchmarks.py), the output achievement from `capaian` (counted per RO as the capaian report counts
it), the deadlines from programs/deadlines.py. It never writes, never filters by province itself (every
part starts from `visible_to(user)`), and runs a fixed number of queries whatever the number of provinces.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from .. import benchmarks, deadlines, workflow
from ..models import Activity, ReportPackage
from ..workflow import Who
from .capaian import default_month, mean_pct, output_achievement_by_province
from .filters import Filters
from .recap import national_recap

#: How many of the oldest waiting packages and activities the queue lists (the rest are in the queue).
QUEUE_ITEMS = 5
#: How many overdue periods a province's row names (the calendar board has them all).
MISSING_NAMED = 4


def default_dashboard_month(year, today=None):
    """The as-of month when none is asked: the last closed month of the current year (a month's realisation
    is reported by the 5th working day of the next, so the month under way would make every province look
    behind), January in January; December for a past year."""
    today = today or timezone.localdate()
    if year != today.year:
        return default_month(year, today)
    return max(today.month - 1, 1)


@dataclass
class Dashboard:
    year: int
    month: int
    benchmark_pct: object
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    #: {standing key: [province names]}: who stands where, worst first in the summary
    by_standing: dict = field(default_factory=dict)
    queue: dict | None = None

    @property
    def summary(self):
        """[(Standing, names)] from the worst step to the best, then no data."""
        order = [*reversed(benchmarks.STEPS), benchmarks.NO_DATA]
        return [(step, self.by_standing.get(step.key, [])) for step in order]


def national_dashboard(user, year, month, *, with_queue, today=None):
    """The dashboard of `year` as of the end of `month` (see the module's docstring)."""
    today = today or timezone.localdate()
    recap = national_recap(user, Filters(year=year), month=month)
    achievement = output_achievement_by_province(user, year, month)
    calendar = _calendar_by_province(deadlines.rows(year, user=user, today=today), today)
    board = Dashboard(year=year, month=month, benchmark_pct=recap.benchmark_pct)
    for row in recap.rows:
        code = row["province_code"]
        standing = benchmarks.BY_KEY[row["standing"]]
        board.by_standing.setdefault(standing.key, []).append(row["province"])
        board.rows.append(
            {
                "code": code,
                "name": row["province"],
                "fund_type": row["fund_type"],
                "current_pagu": row["current_pagu"],
                "pagu_in_force": row["pagu_in_force"],  # the absorption's divisor (programs/reports/pagu.py)
                "realised": row["realised"],
                "absorption_pct": row["absorption_pct"],
                "benchmark_pct": row["benchmark_pct"],
                "gap_pct": row["gap_pct"],
                "standing": standing,
                "output": achievement.get(code),
                "due": calendar.get(code, _no_calendar()),
            }
        )
    totals = recap.totals
    scored = sum(a["scored"] for a in achievement.values())
    board.totals = {
        "current_pagu": totals["current_pagu"],
        "pagu_in_force": totals["pagu_in_force"],
        "realised": totals["realised"],
        "absorption_pct": totals["absorption_pct"],
        "benchmark_pct": totals["benchmark_pct"],
        "gap_pct": totals["gap_pct"],
        "standing": benchmarks.BY_KEY[totals["standing"]],
        "output": {
            "ros": sum(a["ros"] for a in achievement.values()),
            "reached": sum(a["reached"] for a in achievement.values()),
            "pct": mean_pct(sum(a["sum_pct"] for a in achievement.values()), scored),
        },
        "missing": sum(len(c["missing"]) for c in calendar.values()),
        "late": sum(c["late"] for c in calendar.values()),
        "returned": sum(c["returned"] for c in calendar.values()),
        "provinces_missing": sum(1 for c in calendar.values() if c["missing"]),
    }
    board.queue = _queue(user) if with_queue else None
    return board


def _no_calendar():
    return {"missing": [], "missing_named": "", "missing_more": 0, "late": 0, "returned": 0, "next": None}


def _calendar_by_province(rows, today):
    """Per province: the periods overdue with nothing handed over, how many were late or are returned, and
    the next due date not yet passed."""
    out = {}
    for row in rows:
        entry = out.setdefault(row["province_code"], _no_calendar())
        if row["state"] == deadlines.MISSING:
            entry["missing"].append(deadlines.decorate(row))
        elif row["state"] == deadlines.LATE:
            entry["late"] += 1
        if row["returned"]:
            entry["returned"] += 1
        if row["state"] == deadlines.OPEN and (entry["next"] is None or row["due"] < entry["next"]["due"]):
            entry["next"] = deadlines.decorate(row)
    for entry in out.values():
        entry["missing"].sort(key=lambda r: r["due"])
        # A past year can miss all sixteen: the oldest few by name keep the row short
        names = [deadlines.short_label(r["package_kind"], r["period"]) for r in entry["missing"]]
        entry["missing_named"] = ", ".join(str(n) for n in names[:MISSING_NAMED])
        entry["missing_more"] = max(len(names) - MISSING_NAMED, 0)
        if entry["next"] is not None:
            entry["next"]["days"] = (entry["next"]["due"] - today).days
    return out


def _queue(user):
    """What waits for verification: counts, and the oldest few of each kind with their pages (four
    queries)."""
    awaiting = workflow.awaiting(Who.REVIEWER)
    packages = ReportPackage.objects.visible_to(user).filter(review_status__in=awaiting)
    activities = Activity.objects.visible_to(user).filter(review_status__in=awaiting)
    return {
        "packages": packages.count(),
        "activities": activities.count(),
        "oldest_packages": list(
            packages.select_related("allocation__province").order_by("submitted_at", "pk")[:QUEUE_ITEMS]
        ),
        "oldest_activities": list(
            activities.select_related("province").order_by("submitted_at", "pk")[:QUEUE_ITEMS]
        ),
    }
