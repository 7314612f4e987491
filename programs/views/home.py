"""The home page: the year's allocation of an operator's province, activities by status, what was returned,
the drafts, the province's due dates (operators and the Kepala Dinas), what awaits the Kepala Dinas's
approval, and for the ministry what waits for verification.
"""

from django.db.models import Count
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .. import access, deadlines, workflow
from ..models import Activity, ActivityStatus, Allocation, Realisation, ReportPackage, ReviewStatus
from ..periods import benchmark_for, benchmarks_text
from ..workflow import Who

# --- Home ------------------------------------------------------------------------------------------------


def home(request):
    user = request.user
    year = timezone.localdate().year
    allocations = Allocation.objects.visible_to(user).select_related("province")
    current = list(allocations.filter(year=year)[:2])
    fallback = False
    if not current:
        latest = allocations.order_by("-year").values_list("year", flat=True).first()
        if latest:
            year, fallback = latest, True
            current = list(allocations.filter(year=year)[:2])
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
            "returned": returned,
            "returned_realisations": returned_realisations,
            "drafts": drafts,
            "waiting": waiting,
            "reports_due": reports_due,
            "calendar_url": reverse("programs:calendar") + f"?tahun={year}",
            "approval": _awaiting_approval(user),
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
