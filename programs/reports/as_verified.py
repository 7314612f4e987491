"""What a locked activity shows of the records it names (its partners, firms, buyers, recipients), as they
were when it was locked, not as they are now.

A partner or firm is shared by many activities and stays editable after an activity naming it was submitted
and verified; renaming it must not change what the ministry verified. The moment of the lock is the
submission (nothing of a submitted activity changes until it is verified or returned), or for an activity
of a closed year that was never submitted, the closing of the year. The values come from the history
(django-simple-history keeps a row per change of every partner and firm): no copy of the names is stored.

Never writes: the objects are changed in memory for one page only.
"""

from django.db.models import OuterRef, Subquery, prefetch_related_objects

from .. import workflow
from ..access import year_closed_at


def locked_at(activity, closed_years=None):
    """When the activity's content was frozen, or None while it is still open for editing. `closed_years`
    ({year: closed_at}, access.closed_year_set), when given, saves the query."""
    if activity.review_status in workflow.handed_over_states() and activity.submitted_at:
        return activity.submitted_at
    if closed_years is not None:
        return closed_years.get(activity.year)
    return year_closed_at(activity.year)


def show_as_of(objects, when):
    """Set the fields of each (partner, firm…) object to their values at `when`, from its history.

    One query per model. An object without a history row by then (e.g. written by a bulk load without
    history) is left as it is.
    """
    by_model = {}
    for obj in objects:
        if obj is not None:
            by_model.setdefault(type(obj), {}).setdefault(obj.pk, []).append(obj)
    for model, by_pk in by_model.items():
        history = model.history.model
        latest = (
            history.objects.filter(id=OuterRef("id"), history_date__lte=when)
            .order_by("-history_date", "-history_id")
            .values("history_id")[:1]
        )
        rows = history.objects.filter(id__in=list(by_pk), history_id=Subquery(latest))
        fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        for row in rows:
            for obj in by_pk.get(row.id, []):
                for attname in fields:
                    if hasattr(row, attname):
                        setattr(obj, attname, getattr(row, attname))


def show_activity_as_locked(activity, participations, participants, outputs, closed_years=None):
    """The activity page's partners, firms, founded firms, buyers and recipients as of the lock (if any).

    `outputs` with their handovers prefetched; the activity's partners are prefetched here, so the page's
    `activity.partners.all` lists the same objects.
    """
    prefetch_related_objects([activity], "partners")
    when = locked_at(activity, closed_years)
    if when is None:
        return
    show_as_of(
        [
            *activity.partners.all(),
            *(p.firm for p in participations),
            *(p.founded_firm for p in participants),
            *(o.participation.firm for o in outputs),
            *(o.buyer for o in outputs),
            *(h.recipient for o in outputs for h in o.handovers.all()),
        ],
        when,
    )
