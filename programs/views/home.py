"""The home page: the year's allocation of an operator's province, activities by status, what was returned,
the drafts, and for the ministry what waits for verification.
"""

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from .. import access, workflow
from ..models import Activity, ActivityStatus, Allocation, Realisation, ReviewStatus
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
        + Realisation.objects.visible_to(user).filter(review_status__in=awaiting).count()
        if access.may_review(user)
        else None
    )
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
        },
    )
