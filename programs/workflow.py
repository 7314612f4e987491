"""The review workflow as one table: the states a record can be in, and each action's from-states, to-state,
whether it needs a note and who may take it.

Everything that knows about the workflow reads it here: the services that perform an action
(`services.transition`), the querysets that lock a record once it left the province's hands
(`access.ScopedQuerySet.editable_by`), the buttons on the activity, budget and queue pages
(`available_actions`), the queue's filter (`awaiting`), the database rule that a return or a reopen carries
a note, and the access matrix of the tests. Adding a state or an approver is an edit of this table; no
other module names a transition's from-states.

Who may take an action is named here by capability (`Who`) and decided by the access module, which is
the one place that reads a user's roles and scope.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import access


class ReviewStatus(models.TextChoices):
    DRAFT = "draf", _("Draf")
    SUBMITTED = "diajukan", _("Diajukan")
    VERIFIED = "terverifikasi", _("Terverifikasi")
    RETURNED = "dikembalikan", _("Dikembalikan")


class ReviewAction(models.TextChoices):
    SUBMIT = "ajukan", _("Diajukan untuk verifikasi")
    VERIFY = "verifikasi", _("Diverifikasi")
    RETURN = "kembalikan", _("Dikembalikan dengan catatan")
    REOPEN = "buka_kembali", _("Dibuka kembali")


class Who(StrEnum):
    """The capability an action needs; `access.may_take` decides it for a user and a record."""

    #: The province's own staff, on a record they may change (their province, the year open).
    PROVINCE = "province"
    #: Ministry staff (and admins), in an open year.
    REVIEWER = "reviewer"


@dataclass(frozen=True)
class State:
    #: The province may still change the record (and its parts) in this state.
    editable: bool
    #: Bootstrap colour of the state's badge.
    badge: str


@dataclass(frozen=True)
class Transition:
    action: str
    #: In the page's address: /kegiatan/<pk>/<slug>/.
    slug: str
    from_states: tuple
    to_state: str
    who: Who
    note_required: bool = False
    #: Records in a from-state wait for this action's actor (the ministry's queue lists them).
    awaited: bool = True
    #: The province's operators are mailed the note.
    notify_province: bool = False
    #: Which timestamp the action sets: "submitted" (the province hands it over) or "reviewed".
    stamp: str = "reviewed"
    button: str = ""
    #: The button's label where space is short (a table row).
    short: str = ""
    button_style: str = "btn-success"
    done: str = ""

    @property
    def label(self):
        return ReviewAction(self.action).label if self.action in ReviewAction.values else self.action


STATES = {
    ReviewStatus.DRAFT: State(editable=True, badge="secondary"),
    ReviewStatus.SUBMITTED: State(editable=False, badge="info"),
    ReviewStatus.VERIFIED: State(editable=False, badge="success"),
    ReviewStatus.RETURNED: State(editable=True, badge="warning"),
}

TRANSITIONS = {
    ReviewAction.SUBMIT: Transition(
        action=ReviewAction.SUBMIT,
        slug="ajukan",
        from_states=(ReviewStatus.DRAFT, ReviewStatus.RETURNED),
        to_state=ReviewStatus.SUBMITTED,
        who=Who.PROVINCE,
        stamp="submitted",
        button=_("Ajukan untuk verifikasi"),
        short=_("Ajukan"),
        done=_("Diajukan untuk verifikasi."),
    ),
    ReviewAction.VERIFY: Transition(
        action=ReviewAction.VERIFY,
        slug="verifikasi",
        from_states=(ReviewStatus.SUBMITTED,),
        to_state=ReviewStatus.VERIFIED,
        who=Who.REVIEWER,
        button=_("Verifikasi"),
        short=_("Verifikasi"),
        done=_("Diverifikasi."),
    ),
    ReviewAction.RETURN: Transition(
        action=ReviewAction.RETURN,
        slug="kembalikan",
        from_states=(ReviewStatus.SUBMITTED,),
        to_state=ReviewStatus.RETURNED,
        who=Who.REVIEWER,
        note_required=True,
        notify_province=True,
        button=_("Kembalikan dengan catatan"),
        short=_("Kembalikan"),
        button_style="btn-warning",
        done=_("Dikembalikan ke provinsi dengan catatan."),
    ),
    ReviewAction.REOPEN: Transition(
        action=ReviewAction.REOPEN,
        slug="buka",
        from_states=(ReviewStatus.VERIFIED,),
        to_state=ReviewStatus.RETURNED,
        who=Who.REVIEWER,
        note_required=True,
        awaited=False,
        notify_province=True,
        button=_("Buka kembali (dengan catatan)"),
        short=_("Buka kembali"),
        button_style="btn-outline-warning",
        done=_("Dibuka kembali dan dikembalikan ke provinsi."),
    ),
}


def by_slug(slug):
    """The transition named in a page's address, or None."""
    return next((t for t in TRANSITIONS.values() if t.slug == slug), None)


def editable_states():
    """The states in which the province may still change a record."""
    return [state for state, info in STATES.items() if info.editable]


def handed_over_states():
    """The states of a record the province has handed over (submitted, verified…): not editable."""
    return [state for state, info in STATES.items() if not info.editable]


def awaiting(who):
    """The states in which a record waits for an action of `who` (e.g. the ministry's queue)."""
    return sorted(
        {state for t in TRANSITIONS.values() if t.who == who and t.awaited for state in t.from_states}
    )


def notes_required():
    """The actions that must carry a note (also a database rule on ReviewEvent)."""
    return [t.action for t in TRANSITIONS.values() if t.note_required]


def badge(state):
    info = STATES.get(state)
    return info.badge if info else "secondary"


def available_actions(obj, user, *, closed_years=None):
    """The transitions `user` may take on `obj` now, in the table's order: the pages show exactly these
    as buttons, and `services.transition` refuses any other. `closed_years` (a set), when given, saves a
    query per record on list pages."""
    return [
        t
        for t in TRANSITIONS.values()
        if obj.review_status in t.from_states and access.may_take(user, t, obj, closed_years=closed_years)
    ]
