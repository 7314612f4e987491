"""Who is told what, when the programme's data moves: the inbox (the bell) and its mail.

This module is the one place that decides who is told. `notify` writes the notices (one per person, in the
inbox at once) and queues their mail for the background worker (programs/tasks.py) once the writing
transaction commits; it never sends mail itself, so no request waits for, or fails with, a mail server.
`on_transition` is called by `services.transition` inside the transition's transaction, for every action of
the workflow table (programs/workflow.py); it decides from the table's flags and the record's flow who is
told. The reminders of the reporting calendar (programs/deadlines.py) call `notify` with a `key`, so a
reminder computed twice is written (and mailed) once.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ExpressionWrapper, Q
from django.db.models.fields import BooleanField
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import access
from .models import (
    Achievement,
    Activity,
    EmailStatus,
    Notification,
    NotificationKind,
    PackageKind,
    QuarterlyNote,
    Realisation,
    ReportPackage,
)
from .periods import period_label
from .workflow import Flow, ReviewAction, flow_of

log = logging.getLogger("ikm_dekon.notices")


# --- Writing notices ----------------------------------------------------------------------------------------


def notify(users, *, kind, subject, body, link="", key=""):
    """One notice to each active user among `users`, in their inbox now, mailed by the worker after commit
    (when the user has an address). With a `key`, a user who already has a notice of that key gets no
    second one (quietly: reminders are computed again every day). Returns the notices written."""
    created = _write_all(
        list(_active(users)), kind=kind, subject=subject, body=body, link=link, key=key[:120]
    )
    pending = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: queue_mail(pending))
    return created


def _active(users):
    if hasattr(users, "filter"):
        users = users.filter(is_active=True).order_by("pk")
    seen = set()
    for user in users:
        if user.is_active and user.pk not in seen:
            seen.add(user.pk)
            yield user


def _write_all(users, *, key, **fields):
    """The notices of `users`, written together: whoever already has the key asked about at once, the rest
    inserted in one statement (a workflow action tells two or three people; a reminder, a province's)."""
    if not users:
        return []
    if key:
        taken = set(
            Notification.objects.filter(recipient__in=[u.pk for u in users], key=key).values_list(
                "recipient_id", flat=True
            )
        )
        users = [u for u in users if u.pk not in taken]
    notices = [_notice(user, key=key, **fields) for user in users]
    if not notices or not connection.features.can_return_rows_from_bulk_insert:
        return [n for n in (_write(n) for n in notices) if n is not None]
    try:
        # A savepoint: a concurrent writer of the same key makes the batch fail as a whole, and then each
        # is written alone, the ones already there losing quietly.
        with transaction.atomic():
            return Notification.objects.bulk_create(notices)
    except IntegrityError:
        return [n for n in (_write(n) for n in notices) if n is not None]


def _notice(user, *, kind, subject, body, link, key):
    return Notification(
        recipient=user,
        kind=kind,
        subject=" ".join(str(subject).split())[:250],  # one line: a mail header (a title may hold a break)
        body=str(body),
        link=link[:300],
        email_status=EmailStatus.PENDING if user.email else EmailStatus.NONE,
        key=key,
    )


def _write(notice):
    if not notice.key:
        notice.save()
        return notice
    if Notification.objects.filter(recipient_id=notice.recipient_id, key=notice.key).exists():
        return None
    try:
        # A savepoint: a concurrent writer of the same key loses quietly, the caller's transaction lives on.
        with transaction.atomic():
            notice.save()
            return notice
    except IntegrityError:
        return None


def queue_mail(notification_ids):
    """Hand the notices' mail to the worker (a task row each; the worker sends and retries)."""
    from .tasks import deliver_notification

    for pk in notification_ids:
        deliver_notification.enqueue(pk)


def resend(notifications):
    """Mail the notices again (the admin's "Kirim ulang surel"): every one not yet sent whose recipient has
    an address goes back to the queue with its attempts counted afresh. Returns how many were queued."""
    ids = list(
        notifications.exclude(email_status=EmailStatus.SENT)
        .exclude(recipient__email="")
        .values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=ids).update(email_status=EmailStatus.PENDING, email_attempts=0)
    if ids:
        transaction.on_commit(lambda: queue_mail(ids))
    return len(ids)


# --- Reading the inbox --------------------------------------------------------------------------------------


def inbox_of(user):
    """A user's own notices, unread first, newest first: the inbox never shows another's."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return Notification.objects.filter(recipient_id=user.pk).order_by(unread.desc(), "-created_at", "-pk")


def unread_count(user):
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def mark_read(notice):
    if notice.read_at is None:
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(user):
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- The workflow's notices ---------------------------------------------------------------------------------


def on_transition(obj, step, *, actor, note=""):
    """Tell those whom the workflow action `step` on `obj` concerns (inside the transition's transaction):

    - a package prepared (PREPARE) → the province's Kepala Dinas: it awaits their approval;
    - a package approved (`step.notify_approved`) → the province's operators, and the ministry's staff: it
      awaits verification;
    - returned or reopened (`step.notify_province`: the Kepala Dinas's or the ministry's return, a reopening)
      → the province's operators (and for a regency's activity its regency operators), with the note;
    - a package verified → the province's operators and its Kepala Dinas.

    The actor is never told of their own action."""
    province = access.province_of(obj)
    package = flow_of(obj) == Flow.PACKAGE
    with translation.override(settings.LANGUAGE_CODE):
        what = describe(obj)
        link = link_to(obj)
        # The record's version grows with every transition: one notice per person and transition, even
        # if this is called twice for it.
        key = f"{step.slug}:{type(obj).__name__.lower()}:{obj.pk}:v{obj.version}"
        messages = []
        if package and step.action == ReviewAction.PREPARE:
            messages.append(
                (
                    access.heads_of(province),
                    NotificationKind.PREPARED,
                    _("%(what)s menunggu persetujuan Anda") % {"what": what},
                    _("%(what)s telah disiapkan oleh %(actor)s dan menunggu persetujuan Kepala Dinas.")
                    % {"what": what, "actor": _name(actor)},
                )
            )
        if step.notify_approved:
            messages.append(
                (
                    access.operators_of(province),
                    NotificationKind.APPROVED,
                    _("%(what)s disetujui Kepala Dinas") % {"what": what},
                    _("%(what)s disetujui oleh %(actor)s dan dikirim ke kementerian untuk diverifikasi.")
                    % {"what": what, "actor": _name(actor)},
                )
            )
            messages.append(
                (
                    access.ministry_staff(),
                    NotificationKind.APPROVED,
                    _("%(what)s menunggu verifikasi") % {"what": what},
                    _("%(what)s disetujui oleh %(actor)s (Kepala Dinas) dan menunggu verifikasi kementerian.")
                    % {"what": what, "actor": _name(actor)},
                )
            )
        if step.notify_province:
            by = _("Kepala Dinas") if step.action == ReviewAction.HEAD_RETURN else _("kementerian")
            verb = _("dibuka kembali") if step.action == ReviewAction.REOPEN else _("dikembalikan")
            subject = _("%(what)s %(verb)s untuk diperbaiki") % {"what": what, "verb": verb}
            body = _("%(what)s %(verb)s oleh %(by)s (%(actor)s) dengan catatan:\n\n%(note)s") % {
                "what": what,
                "verb": verb,
                "by": by,
                "actor": _name(actor),
                "note": note,
            }
            messages.append((access.operators_of(province), NotificationKind.RETURNED, subject, body))
            if getattr(obj, "regency_id", None):
                # A regency's activity: its regency operators, who entered it, are told too.
                messages.append(
                    (access.regency_operators_of(obj.regency_id), NotificationKind.RETURNED, subject, body)
                )
        if package and step.action == ReviewAction.VERIFY:
            body = _("%(what)s telah diverifikasi oleh kementerian (%(actor)s).") % {
                "what": what,
                "actor": _name(actor),
            }
            subject = _("%(what)s terverifikasi") % {"what": what}
            messages.append((access.operators_of(province), NotificationKind.VERIFIED, subject, body))
            messages.append((access.heads_of(province), NotificationKind.VERIFIED, subject, body))
        for users, kind, subject, body in messages:
            recipients = users.exclude(pk=actor.pk) if actor is not None else users
            notify(recipients, kind=kind, subject=subject, body=body, link=link, key=key)


def _name(user):
    if user is None:
        return _("sistem")
    return user.get_full_name() or user.get_username()


def describe(obj):
    """The record as a notice names it: "Paket bulan Juni 2020 — Kalimantan Selatan", "Kegiatan “…”"."""
    if isinstance(obj, Activity):
        return _("Kegiatan “%(t)s”") % {"t": obj.title}
    if isinstance(obj, ReportPackage):
        allocation = obj.allocation
        return _("Paket %(period)s — %(province)s") % {
            "period": period_label(obj.kind, obj.period, allocation.year),
            "province": allocation.province.name,
        }
    if isinstance(obj, Achievement):
        allocation = obj.planned_output.allocation
        return _("Capaian RO %(ro)s %(period)s — %(province)s") % {
            "ro": obj.planned_output.code,
            "period": period_label(PackageKind.MONTHLY, obj.month, allocation.year),
            "province": allocation.province.name,
        }
    if isinstance(obj, QuarterlyNote):
        return _("Catatan %(period)s — %(province)s") % {
            "period": period_label(PackageKind.QUARTERLY, obj.quarter, obj.allocation.year),
            "province": obj.allocation.province.name,
        }
    if isinstance(obj, Realisation):
        return _("Realisasi %(period)s — %(province)s") % {
            "period": period_label(PackageKind.MONTHLY, obj.month, obj.allocation.year),
            "province": obj.allocation.province.name,
        }
    return str(obj)


def link_to(obj):
    """The record's page, as an absolute path (the mail puts SITE_URL before it)."""
    if isinstance(obj, Activity):
        return reverse("programs:activity_detail", args=[obj.pk])
    if isinstance(obj, ReportPackage):
        try:
            return reverse("programs:package_detail", args=[obj.pk])
        except NoReverseMatch:  # the package pages arrive with their own branch; the budget page until then
            return reverse("programs:budget", args=[obj.allocation_id])
    if isinstance(obj, Achievement):
        return reverse("programs:achievements", args=[obj.planned_output.allocation_id])
    return reverse("programs:budget", args=[obj.allocation_id])
