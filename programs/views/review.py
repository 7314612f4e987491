"""The review workflow's pages: taking an action of the table (programs/workflow.py) on an activity, a
month's realisation or a month's achievement (programs/views/achievements.py), and the ministry's queue of
what awaits it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import access, reports, services, workflow
from ..access import get_visible_or_404
from ..forms import NoteForm
from ..models import Achievement, Activity, Realisation
from ..workflow import Who
from .activities import activity_detail, visible_activity
from .common import paginate


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


@require_POST
def activity_transition(request, pk, action):
    activity = visible_activity(request, pk)
    failed_form = take_action(request, activity, action)
    if failed_form is not None:
        return activity_detail(request, pk, forms={"note": failed_form})
    if request.POST.get("next") == "antrean":
        return redirect("programs:review_queue")
    return redirect(activity)


@require_POST
def realisation_transition(request, pk, action):
    realisation = get_visible_or_404(Realisation.objects.select_related("allocation"), request.user, pk=pk)
    failed_form = take_action(request, realisation, action)
    if failed_form is not None:
        messages.error(request, " ".join(failed_form.errors.get("note", [])))
    if request.POST.get("next") == "antrean":
        return redirect("programs:review_queue")
    return redirect("programs:budget", realisation.allocation_id)


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
    realisations = list(
        Realisation.objects.visible_to(user)
        .filter(review_status__in=awaiting)
        .select_related("allocation__province")
        .order_by("submitted_at", "pk")[:100]
    )
    for realisation in realisations:
        realisation.actions = workflow.available_actions(realisation, user, closed_years=closed)
    # Manual achievements (capaian) with their evidence, as the realisation: the oldest 100.
    achievements = list(
        Achievement.objects.visible_to(user)
        .filter(review_status__in=awaiting)
        .select_related("planned_output__allocation__province")
        .order_by("submitted_at", "pk")[:100]
    )
    for achievement in achievements:
        achievement.actions = workflow.available_actions(achievement, user, closed_years=closed)
    return render(
        request,
        "programs/review_queue.html",
        {
            "activities": page,
            "realisations": realisations,
            "achievements": achievements,
            "note_form": NoteForm(),
        },
    )
