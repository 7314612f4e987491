"""The background work, run by `manage.py run_worker` (django-tasks' database backend): a notice's mail and
the daily reminders of the reporting calendar.

Nothing here runs inside a request: a request writes a task row (`Task.enqueue`, on commit), a worker
process picks it up. Several workers may run at once (PostgreSQL; one is enough on SQLite): each task is
written so that running it twice does no harm — a mail already sent is never sent again, and the daily
reminders' notices carry keys.
"""

import datetime
import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .models import EmailStatus, Notification

log = logging.getLogger("ikm_dekon.tasks")

SUBJECT_PREFIX = "[IKM Dekon] "


@task
def deliver_notification(notification_id):
    """Mail one notice. The notice is claimed by a conditional update inside the transaction that sends it:
    a second worker (or a duplicate task) waits for that transaction and then finds it no longer pending,
    so the mail goes out once. A failure is recorded on the notice and tried again later
    (MAIL_RETRY_MINUTES), up to MAIL_MAX_ATTEMPTS tries; then the notice shows its mail as failed."""
    with transaction.atomic():
        claimed = Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
            email_attempts=F("email_attempts") + 1
        )
        if not claimed:
            return "skipped"
        notice = Notification.objects.select_related("recipient").get(pk=notification_id)
        if not (notice.recipient.is_active and notice.recipient.email):
            # The account was closed, or its address removed, since the notice was written (a retry hours
            # later): no mail to it; the notice stays in the inbox.
            notice.email_status = EmailStatus.NONE
            notice.save(update_fields=["email_status"])
            return "no address"
        try:
            send_mail(
                subject=SUBJECT_PREFIX + notice.subject,
                message=_mail_body(notice),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notice.recipient.email],
                fail_silently=False,
            )
        except Exception as error:  # noqa: BLE001 - any failure of the mail server is recorded and retried
            notice.email_error = f"{type(error).__name__}: {error}"[:2000]
            give_up = notice.email_attempts >= settings.MAIL_MAX_ATTEMPTS
            if give_up:
                notice.email_status = EmailStatus.FAILED
            notice.save(update_fields=["email_status", "email_error"])
            log.warning(
                "mail failed",
                extra={"object": f"Notification:{notice.pk}", "attempt": notice.email_attempts},
            )
            if not give_up:
                run_after = timezone.now() + retry_delay(notice.email_attempts)
                transaction.on_commit(
                    lambda: deliver_notification.using(run_after=run_after).enqueue(notification_id)
                )
            return "failed" if give_up else "retry"
        notice.email_status = EmailStatus.SENT
        notice.emailed_at = timezone.now()
        notice.email_error = ""
        notice.save(update_fields=["email_status", "emailed_at", "email_error"])
    return "sent"


def retry_delay(attempts):
    """How long to wait after the `attempts`-th failed try (MAIL_RETRY_MINUTES; its last value repeats)."""
    minutes = settings.MAIL_RETRY_MINUTES
    return datetime.timedelta(minutes=minutes[min(attempts, len(minutes)) - 1])


def _mail_body(notice):
    body = notice.body
    if notice.link:
        body += f"\n\n{settings.SITE_URL}{notice.link}"
    return body + "\n\n-- \nIKM Dekon, Kementerian Perindustrian"


# --- The periodic schedule ----------------------------------------------------------------------------------


@task
def daily_reminders(day=None):
    """Each morning: the reporting calendar's reminders (before a deadline, the day after a miss), then the
    next morning's run is queued. The reminders' notices have keys, so a second run on one day adds none.
    `day` (ISO date) runs a given day's reminders again, e.g. one the workers missed."""
    from .deadlines import send_reminders

    try:
        today = datetime.date.fromisoformat(day) if day else timezone.localdate()
        send_reminders(today)
        requeue_stuck_mail()
    finally:
        # The next morning is queued even when this one failed (its error is in the task's result): the
        # schedule never dies with one bad day.
        schedule_daily_reminders()
    return str(today)


def requeue_stuck_mail(now=None):
    """Queue again the mail of notices still waiting a day after they were written: every retry is over by
    then (MAIL_RETRY_MINUTES), so its task was lost (a worker killed while sending rolls the try back but
    leaves its task running for ever). Sending is idempotent, so a notice queued twice is mailed once."""
    stale = (now or timezone.now()) - datetime.timedelta(days=1)
    ids = list(
        Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        deliver_notification.enqueue(pk)
    if ids:
        log.warning("mail queued again", extra={"count": len(ids)})
    return len(ids)


def next_reminder_time(now=None):
    """The next REMINDER_HOUR o'clock (WIB, TIME_ZONE) after `now`."""
    now = timezone.localtime(now)
    at = now.replace(hour=settings.REMINDER_HOUR, minute=0, second=0, microsecond=0)
    if at <= now:
        at += datetime.timedelta(days=1)  # WIB keeps no summer time: the same hour tomorrow
    return at


def schedule_daily_reminders(now=None):
    """Make sure exactly one future run of `daily_reminders` is queued (every worker asks at start, and each
    run queues the next). Serialised between workers: PostgreSQL's advisory lock, SQLite's exclusive
    transaction. Returns the queued run's task row."""
    with _schedule_lock():
        queued = DBTaskResult.objects.filter(task_path=daily_reminders.module_path, status="READY").order_by(
            "run_after"
        )
        first = queued.first()
        if first is not None:
            return first
        result = daily_reminders.using(run_after=next_reminder_time(now)).enqueue()
        return result.db_result


_SCHEDULE_LOCK_ID = 716_016  # any constant of this application's own, for pg_advisory_xact_lock


@contextmanager
def _schedule_lock():
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULE_LOCK_ID])
            yield
    else:
        with exclusive_transaction():
            yield
