"""The home page: the year's allocation of an operator's province, activities by status, what was returned,
the drafts, the province's due dates (operators and the Kepala Dinas), what awaits the Kepala Dinas's
approval; for those who see every province (ministry staff, admins, national viewers) the national
dashboard instead (programs/reports/dashboard.py: every province against the benchmark, output
achievement, deadlines, and for ministry staff and admins the verification queue).

It never shows a province's data to someone outside it: every figure comes from querysets that start from
`visible_to(user)`, and the dashboard is asked only for users who see every province.
"""

from django.db.models import Count
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .. import access, deadlines, workflow
from ..forms import CapaianFilterForm
from ..models import Activity, ActivityStatus, Allocation, Realisation, ReportPackage, ReviewStatus
from ..periods import MONTHS, benchmark_for, benchmarks_text
from ..reports.dashboard import default_dashboard_month, national_dashboard
from ..reports.views import add_activity_url
from ..workflow import Who

# --- Home ------------------------------------------------------------------------------------------------


def _year_with_data(allocations):
    """(year, fallback, its first two allocations): the current year, else the latest with data."""
    year = timezone.localdate().year
    current = list(allocations.filter(year=year)[:2])
    fallback = False
    if not current:
        latest = allocations.order_by("-year").values_list("year", flat=True).first()
        if latest:
            year, fallback = latest, True
            current = list(allocations.filter(year=year)[:2])
    return year, fallback, current


def home(request):
    user = request.user
    allocations = Allocation.objects.visible_to(user).select_related("province")
    if access.sees_every_province(user):
        return _dashboard(request, allocations)
    year, fallback, current = _year_with_data(allocations)
    own = current[0] if access.own_province(user) is not None and current else None
    activities = Activity.objects.visible_to(user).filter(year=year)
    by_status = dict(activities.values_list("status").annotate(n=Count("pk")).order_by())
    returned = (
        Activity.objects.visible_to(user)
        .filter(review_status=ReviewStatus.RETURNED)
        .select_related("province", "reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    returned_realisations = (
        Realisation.objects.visible_to(user)
        .filter(review_status=ReviewStatus.RETURNED)
        .select_related("allocation__province", "reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    drafts = (
        Activity.objects.editable_by(user)
        .filter(review_status=ReviewStatus.DRAFT)
        .select_related("province")
        .order_by("planned_start")[:20]
        if access.may_enter_data(user)
        else Activity.objects.none()
    )
    awaiting = workflow.awaiting(Who.REVIEWER)
    waiting = (
        Activity.objects.visible_to(user).filter(review_status__in=awaiting).count()
        + ReportPackage.objects.visible_to(user).filter(review_status__in=awaiting).count()
        if access.may_review(user)
        else None
    )
    reports = access.own_province(user) is not None and (
        access.may_report(user) or access.is_head_of_office(user)
    )
    reports_due = deadlines.for_home(user, year) if reports else None
    counted = sum(by_status.values())
    return render(
        request,
        "programs/home.html",
        {
            "year": year,
            "fallback": fallback,
            "allocation": own,
            "benchmark": benchmark_for(year),
            "benchmarks": benchmarks_text(),
            "by_status": [(label, by_status.get(value, 0)) for value, label in ActivityStatus.choices],
            # No activity in the year yet: what to do next (the new-activity page for who may add one).
            "no_activities": not counted,
            "add_activity": add_activity_url(user, year) if not counted else None,
            "returned": returned,
            "returned_realisations": returned_realisations,
            "drafts": drafts,
            "waiting": waiting,
            "reports_due": reports_due,
            "calendar_url": reverse("programs:calendar") + f"?tahun={year}",
            "approval": _awaiting_approval(user),
        },
    )


def _dashboard(request, allocations):
    """The national dashboard of a year (default: as the other homes choose it) as of a month (`bulan`,
    default: the last closed month); a year or month that does not validate is said beside its field and
    the default is shown."""
    found = {}

    def default_year():
        found["year"], found["fallback"], _current = _year_with_data(allocations)
        return found["year"]

    form = CapaianFilterForm(request.GET, default_year=default_year)
    year, month = form.year_and_month()
    month = month or default_dashboard_month(year)
    form.fields["tahun"].widget.attrs["placeholder"] = str(year)
    user = request.user
    board = national_dashboard(user, year, month, with_queue=access.may_review(user))
    return render(
        request,
        "programs/home.html",
        {
            "dashboard": board,
            "filter": form,
            "year": year,
            "fallback": found.get("fallback", False),
            "month_label": MONTHS[month - 1],
            "calendar_url": reverse("programs:calendar") + f"?tahun={year}",
        },
    )


def _url_or_none(name, *args):
    """The URL of a page another part of issue 16 adds (the packages' pages), or None before it exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _awaiting_approval(user):
    """For a Kepala Dinas: the packages their operators handed over, oldest first (two queries)."""
    if not access.is_head_of_office(user):
        return None
    packages = (
        ReportPackage.objects.visible_to(user)
        .filter(review_status=ReviewStatus.PREPARED)
        .select_related("allocation__province")
        .order_by("submitted_at", "pk")
    )
    return {
        "count": packages.count(),
        "items": [(p, _url_or_none("programs:package_detail", p.pk)) for p in packages[:10]],
        "list_url": _url_or_none("programs:package_list"),
    }
