"""Who is told what, when the programme's data moves: the inbox (the bell) and its mail.

`on_transition` is called by `services.transition` inside the transition's transaction, for every action
of the workflow table (programs/workflow.py); it decides from the table's flags who is told.

Interim (issue 16 replaces it): the province's operators are mailed on commit when a record is returned.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from . import access
from .models import Achievement, Activity


def on_transition(obj, step, *, actor, note=""):
    if step.notify_province:
        transaction.on_commit(lambda: _mail_returned(obj, note))


def _province_of(obj):
    return access.province_of(obj)


def _mail_returned(obj, note):
    recipients = list(
        access.operators_of(_province_of(obj)).exclude(email="").values_list("email", flat=True)
    )
    if not recipients:
        return
    if isinstance(obj, Activity):
        what = _("Kegiatan “%(t)s”") % {"t": obj.title}
        link = reverse("programs:activity_detail", args=[obj.pk])
    elif isinstance(obj, Achievement):
        allocation = obj.planned_output.allocation
        what = _("Capaian RO %(ro)s bulan %(m)s tahun %(y)s") % {
            "ro": obj.planned_output.code,
            "m": obj.month,
            "y": allocation.year,
        }
        link = reverse("programs:achievements", args=[allocation.pk])
    else:
        what = _("Realisasi bulan %(m)s tahun %(y)s") % {"m": obj.month, "y": obj.allocation.year}
        link = reverse("programs:budget", args=[obj.allocation_id])
    send_mail(
        subject=_("[IKM Dekon] %(what)s dikembalikan untuk diperbaiki") % {"what": what},
        message=_("%(what)s dikembalikan oleh kementerian dengan catatan:\n\n%(note)s\n\nBuka: %(link)s")
        % {"what": what, "note": note, "link": link},
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
        fail_silently=True,
    )


def notify(users, *, kind, subject, body, link="", key=""):
    """Interim (helper NOTICES replaces it): one inbox notice per user, written once per (user, key)."""
    from .models import Notification

    made = []
    for user in users:
        fields = {"kind": kind, "subject": subject, "body": body, "link": link}
        if key:
            notice, _created = Notification.objects.get_or_create(recipient=user, key=key, defaults=fields)
        else:
            notice = Notification.objects.create(recipient=user, **fields)
        made.append(notice)
    return made
