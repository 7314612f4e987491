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
    #: A period's package handed by the operators to the head of office (Kepala Dinas), awaiting approval.
    PREPARED = "disiapkan", _("Menunggu persetujuan Kepala Dinas")
    SUBMITTED = "diajukan", _("Diajukan")
    VERIFIED = "terverifikasi", _("Terverifikasi")
    RETURNED = "dikembalikan", _("Dikembalikan")


class ReviewAction(models.TextChoices):
    SUBMIT = "ajukan", _("Diajukan untuk verifikasi")
    PREPARE = "siapkan", _("Diajukan ke Kepala Dinas")
    APPROVE = "setujui", _("Disetujui Kepala Dinas")
    HEAD_RETURN = "kembalikan_kadis", _("Dikembalikan Kepala Dinas dengan catatan")
    VERIFY = "verifikasi", _("Diverifikasi")
    RETURN = "kembalikan", _("Dikembalikan dengan catatan")
    REOPEN = "buka_kembali", _("Dibuka kembali")


class Who(StrEnum):
    """The capability an action needs; `access.may_take` decides it for a user and a record."""

    #: The province's own staff, on a record they may change (their province, the year open).
    PROVINCE = "province"
    #: Ministry staff (and admins), in an open year.
    REVIEWER = "reviewer"
    #: The head of the record's provincial office (Kepala Dinas), in an open year.
    HEAD = "head"


class Flow(StrEnum):
    """Which records an action applies to. An activity goes from the operators to the ministry; a period's
    package (programs.models.ReportPackage: a month's realisation, RPD and achievement, or a quarter's
    report) goes through the Kepala Dinas first. The records a package holds (a month's Realisation and
    Achievements, a quarter's QuarterlyNote) have no actions of their own: they follow their package."""

    ACTIVITY = "activity"
    PACKAGE = "package"


def flow_of(obj):
    """The flow of a record of the workflow, or None for a record that follows its package."""
    return getattr(type(obj), "workflow_flow", None)


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
    #: The flows (Flow) whose records this action applies to.
    applies_to: tuple = (Flow.ACTIVITY, Flow.PACKAGE)
    note_required: bool = False
    #: Records in a from-state wait for this action's actor (the ministry's queue lists them).
    awaited: bool = True
    #: The province's operators are mailed the note.
    notify_province: bool = False
    #: The record's operators are told (inbox and mail) that the head of office approved it.
    notify_approved: bool = False
    #: Which timestamps the action sets: "submitted" (the operators hand it over: submitted_at, and a
    #: package's submitted_by), "approved" (the Kepala Dinas signs: approved_at, approved_by) or "reviewed"
    #: (reviewed_at, reviewed_by and the note).
    stamp: str = "reviewed"
    button: str = ""
    #: The button's label where space is short (a table row).
    short: str = ""
    button_style: str = "btn-success"
    done: str = ""
    #: The button leads first to a page of what the record still lacks (programs/checklist.py); the final
    #: button is there, and the service refuses the action while an item of it refuses.
    checklist: bool = False

    @property
    def label(self):
        return ReviewAction(self.action).label if self.action in ReviewAction.values else self.action


STATES = {
    ReviewStatus.DRAFT: State(editable=True, badge="secondary"),
    ReviewStatus.PREPARED: State(editable=False, badge="primary"),
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
        applies_to=(Flow.ACTIVITY,),
        stamp="submitted",
        button=_("Ajukan untuk verifikasi"),
        short=_("Ajukan"),
        done=_("Diajukan untuk verifikasi."),
        checklist=True,
    ),
    ReviewAction.PREPARE: Transition(
        action=ReviewAction.PREPARE,
        slug="siapkan",
        from_states=(ReviewStatus.DRAFT, ReviewStatus.RETURNED),
        to_state=ReviewStatus.PREPARED,
        who=Who.PROVINCE,
        applies_to=(Flow.PACKAGE,),
        stamp="submitted",
        button=_("Ajukan ke Kepala Dinas"),
        short=_("Ajukan"),
        done=_("Diajukan ke Kepala Dinas untuk disetujui."),
    ),
    ReviewAction.APPROVE: Transition(
        action=ReviewAction.APPROVE,
        slug="setujui",
        from_states=(ReviewStatus.PREPARED,),
        to_state=ReviewStatus.SUBMITTED,
        who=Who.HEAD,
        applies_to=(Flow.PACKAGE,),
        notify_approved=True,
        stamp="approved",
        button=_("Setujui dan kirim ke kementerian"),
        short=_("Setujui"),
        done=_("Disetujui dan dikirim ke kementerian untuk diverifikasi."),
    ),
    ReviewAction.HEAD_RETURN: Transition(
        action=ReviewAction.HEAD_RETURN,
        slug="kembalikan-kadis",
        from_states=(ReviewStatus.PREPARED,),
        to_state=ReviewStatus.RETURNED,
        who=Who.HEAD,
        applies_to=(Flow.PACKAGE,),
        note_required=True,
        notify_province=True,
        button=_("Kembalikan ke operator dengan catatan"),
        short=_("Kembalikan"),
        button_style="btn-warning",
        done=_("Dikembalikan ke operator dengan catatan."),
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


def awaiting(who, flow=None):
    """The states in which a record (of `flow`, or of any) waits for an action of `who` (e.g. the ministry's
    queue, the Kepala Dinas's)."""
    return sorted(
        {
            state
            for t in TRANSITIONS.values()
            if t.who == who and t.awaited and (flow is None or flow in t.applies_to)
            for state in t.from_states
        }
    )


def notes_required():
    """The actions that must carry a note (also a database rule on ReviewEvent)."""
    return [t.action for t in TRANSITIONS.values() if t.note_required]


def badge(state):
    info = STATES.get(state)
    return info.badge if info else "secondary"


def available_actions(obj, user, *, closed_years=None, periods=None):
    """The transitions `user` may take on `obj` now, in the table's order: the pages show exactly these
    as buttons, and `services.transition` refuses any other. `closed_years` (a set) and `periods`
    (access.ClosedPeriods), when given, save queries per record on list pages."""
    return [
        t
        for t in TRANSITIONS.values()
        if flow_of(obj) in t.applies_to
        and obj.review_status in t.from_states
        and access.may_take(user, t, obj, closed_years=closed_years, periods=periods)
    ]
