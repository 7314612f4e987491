"""The review workflow's pages: taking an action of the table (programs/workflow.py) on an activity or a
period's package (programs/views/packages.py), and the ministry's queue of what awaits it: the activities,
and the packages, verified or returned many at once (`packages.package_bulk`).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import access, checklist, packages, reports, services, workflow
from ..forms import NoteForm
from ..models import Activity, ReportPackage
from ..workflow import Flow, Who
from .activities import activity_detail, visible_activity
from .common import paginate

BULK_LIMIT = 200  # the most packages one bulk action takes (programs/views/packages.py)


def take_action(request, obj, slug):
    """Take the workflow action named in the address (programs/workflow.py); a note form with its errors
    when the action needs a note and none was given."""
    step = workflow.by_slug(slug)
    if step is None:
        raise Http404
    note = ""
    if step.note_required:
        form = NoteForm(request.POST)
        if not form.is_valid():
            return form
        note = form.cleaned_data["note"]
    try:
        services.transition(obj, actor=request.user, action=step.action, note=note)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return None
    messages.success(request, step.done)
    return None


@require_http_methods(["GET", "POST"])
def activity_transition(request, pk, action):
    """POST: take the action. GET (of an action with a checklist, the submit): what the activity still lacks,
    each item linked to where it is fixed, and the final button only when nothing refuses."""
    activity = visible_activity(request, pk)
    if request.method == "GET":
        return _checklist_page(request, activity, action)
    failed_form = take_action(request, activity, action)
    if failed_form is not None:
        return activity_detail(request, pk, forms={"note": failed_form})
    if request.POST.get("next") == "antrean":
        return redirect("programs:review_queue")
    return redirect(activity)


def _checklist_page(request, activity, slug):
    step = workflow.by_slug(slug)
    if step is None or not step.checklist or Flow.ACTIVITY not in step.applies_to:
        raise Http404
    access.require(access.may_take(request.user, step, activity))
    items = checklist.items(activity)
    in_state = activity.review_status in step.from_states
    return render(
        request,
        "programs/submit_checklist.html",
        {
            "activity": activity,
            "step": step,
            "items": items,
            "refused": any(item.refuses for item in items),
            "in_state": in_state,
        },
    )


# --- Ministry queue --------------------------------------------------------------------------------------


def review_queue(request):
    user = request.user
    access.require(access.may_review(user))
    awaiting = workflow.awaiting(Who.REVIEWER)
    closed = access.closed_year_set()
    activities = (
        Activity.objects.visible_to(user)
        .filter(review_status__in=awaiting)
        .select_related("province")
        .order_by("submitted_at", "pk")
    )
    page = paginate(request, activities)
    # The page's figures by the reports' per-activity queries (one table each), not by annotating
    # participations and outputs together: a count and a sum over two joins multiply each other.
    figures = reports.figures_of_activities(user, [a.pk for a in page])
    for activity in page:
        activity.figures = figures.get(activity.pk, reports.EMPTY_ACTIVITY_FIGURES)
        activity.actions = workflow.available_actions(activity, user, closed_years=closed)
    # The packages the Kepala Dinas approved, oldest first, as many as one bulk action takes.
    waiting = ReportPackage.objects.visible_to(user).filter(
        review_status__in=workflow.awaiting(Who.REVIEWER, Flow.PACKAGE)
    )
    package_rows = list(
        waiting.select_related("allocation__province", "submitted_by", "approved_by").order_by(
            "approved_at", "pk"
        )[:BULK_LIMIT]
    )
    for package in package_rows:
        package.label = packages.period_label(package.kind, package.period, package.allocation.year)
    return render(
        request,
        "programs/review_queue.html",
        {
            "activities": page,
            "packages": package_rows,
            "packages_total": waiting.count() if len(package_rows) == BULK_LIMIT else len(package_rows),
            "bulk_limit": BULK_LIMIT,
            "note_form": NoteForm(),
        },
    )
