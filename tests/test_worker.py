"""The background worker, run for real (django-tasks-db's `db_worker` loop, as `manage.py run_worker` runs
it): a notice's mail goes out only when the worker runs, once; a failing mail server is retried and, past
MAIL_MAX_ATTEMPTS, the mail shows as failed; the daily reminders keep one future run queued.

Transactional tests: the mail is queued when the writing transaction commits, as in production."""

import datetime
import socket
import zoneinfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from programs import notices, services, tasks
from programs.models import EmailStatus, Notification, NotificationKind
from tests.factories import make_activity, make_allocation, make_participant
from tests.mail_backends import FailingTwice

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
DELIVER = "programs.tasks.deliver_notification"
REMINDERS = "programs.tasks.daily_reminders"


def run_worker():
    """The worker's loop until nothing is ready (db_worker --batch), in this process and database."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)


def remind(users, key="pengingat:51:2020:bulanan:6"):
    with transaction.atomic():
        return notices.notify(
            users,
            kind=NotificationKind.REMINDER,
            subject="Realisasi Juni 2020 jatuh tempo 7 Juli",
            body="Tenggat realisasi bulan Juni 2020: 7 Juli 2020.",
            link="/anggaran/",
            key=key,
        )


@pytest.fixture
def quick_retries(settings):
    settings.MAIL_RETRY_MINUTES = [0]  # each retry ready at once, so one batch run sees them all
    settings.MAIL_MAX_ATTEMPTS = 3


def test_a_return_in_a_request_sends_no_mail_the_worker_sends_it_once(operator, pusat_client, settings):
    settings.SITE_URL = "https://ikm-dekon.example"
    activity = make_activity(make_allocation("51", 2020), title="Bimtek kemasan Gianyar")
    make_participant(activity)  # submittable: it has a participant (programs/checklist.py)
    services.submit(obj=activity, actor=operator)
    response = pusat_client.post(
        reverse("programs:activity_transition", args=[activity.pk, "kembalikan"]),
        {"note": "Tanggal BAST belum sesuai"},
    )
    assert response.status_code == 302
    assert mail.outbox == []  # nothing sent inside the request
    notice = Notification.objects.get(recipient=operator)
    assert notice.email_status == EmailStatus.PENDING
    assert DBTaskResult.objects.filter(task_path=DELIVER, status="READY").count() == 1

    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["op51@dinas.example"]
    assert message.subject.startswith("[IKM Dekon] ")
    assert "Bimtek kemasan Gianyar" in message.subject
    assert "Tanggal BAST belum sesuai" in message.body
    assert f"https://ikm-dekon.example/kegiatan/{activity.pk}/" in message.body
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT
    assert notice.emailed_at is not None
    assert DBTaskResult.objects.get(task_path=DELIVER).status == "SUCCESSFUL"

    # A duplicate task (a second worker, a task queued twice) finds it sent and sends nothing.
    tasks.deliver_notification.enqueue(notice.pk)
    run_worker()
    assert len(mail.outbox) == 1


def test_a_reminder_computed_twice_is_mailed_once(operator, colleague):
    remind([operator, colleague])
    remind([operator, colleague])  # the next day's run finds the same deadline
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["op51@dinas.example", "op51b@dinas.example"]


def test_no_mail_goes_to_an_account_closed_before_the_worker_ran(operator):
    (notice,) = remind([operator])
    type(operator).objects.filter(pk=operator.pk).update(is_active=False)
    run_worker()
    assert mail.outbox == []
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.NONE


def test_a_failing_mail_server_is_retried_then_the_mail_is_sent(operator, settings, quick_retries):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingTwice"
    FailingTwice.failures_left = 2
    (notice,) = remind([operator])
    run_worker()
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT
    assert notice.email_attempts == 3  # two refusals, then delivered
    assert notice.email_error == ""
    runs = DBTaskResult.objects.filter(task_path=DELIVER)
    assert runs.count() == 3  # the first try and each retry: a task of its own
    assert set(runs.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_the_retry_waits_the_configured_time(operator, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingTwice"
    settings.MAIL_RETRY_MINUTES = [5, 30]
    FailingTwice.failures_left = 2
    (notice,) = remind([operator])
    before = timezone.now()
    run_worker()  # the first try fails; the retry is not ready yet, so the batch ends
    assert mail.outbox == []
    notice.refresh_from_db()
    assert (notice.email_status, notice.email_attempts) == (EmailStatus.PENDING, 1)
    assert "Connection refused" in notice.email_error
    retry = DBTaskResult.objects.get(task_path=DELIVER, status="READY")
    assert before + datetime.timedelta(minutes=5) <= retry.run_after
    assert retry.run_after <= timezone.now() + datetime.timedelta(minutes=5)


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nobody listens there


def test_a_mail_server_that_never_answers_leaves_the_mail_failed_and_visible(
    operator, operator_client, admin_client, settings, quick_retries
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2
    (notice,) = remind([operator])
    run_worker()
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.FAILED
    assert notice.email_attempts == 3
    assert "ConnectionRefusedError" in notice.email_error
    assert DBTaskResult.objects.filter(task_path=DELIVER).count() == 3
    assert not DBTaskResult.objects.filter(status="READY", task_path=DELIVER).exists()  # no more tries
    # Still in the inbox, its mail marked failed; the error in the admin.
    assert "Surel gagal dikirim" in operator_client.get(reverse("programs:inbox")).content.decode()
    page = admin_client.get(reverse("admin:programs_notification_change", args=[notice.pk]))
    assert "ConnectionRefusedError" in page.content.decode()

    # The server is back: the admin sends it again, and the worker delivers it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin_client.post(
        reverse("admin:programs_notification_changelist"),
        {"action": "resend_mail", "_selected_action": [notice.pk]},
    )
    run_worker()
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.SENT


def test_run_worker_keeps_exactly_one_daily_reminders_run_queued():
    tasks.schedule_daily_reminders()
    tasks.schedule_daily_reminders()  # a second worker starting
    (queued,) = DBTaskResult.objects.filter(task_path=REMINDERS, status="READY")
    at = queued.run_after.astimezone(WIB)
    assert (at.hour, at.minute) == (7, 0)
    assert timezone.now() < queued.run_after <= timezone.now() + datetime.timedelta(days=1)


def test_the_daily_reminders_run_and_queue_the_next_morning():
    first = tasks.schedule_daily_reminders()
    DBTaskResult.objects.filter(pk=first.pk).update(run_after=timezone.now())  # its morning has come
    call_command("run_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    assert DBTaskResult.objects.get(pk=first.pk).status == "SUCCESSFUL"
    (following,) = DBTaskResult.objects.filter(task_path=REMINDERS, status="READY")
    at = following.run_after.astimezone(WIB)
    assert (at.hour, at.minute) == (7, 0)
    assert following.run_after > timezone.now()


def test_a_morning_run_that_fails_still_queues_the_next_one():
    DBTaskResult.objects.all().delete()
    tasks.daily_reminders.enqueue("2025-02-30")  # a day that does not exist: the run fails
    run_worker()
    assert DBTaskResult.objects.get(task_path=REMINDERS, args_kwargs__args=["2025-02-30"]).status == "FAILED"
    (following,) = DBTaskResult.objects.filter(task_path=REMINDERS, status="READY")
    assert following.run_after > timezone.now()


def test_the_next_morning_is_seven_oclock_wib():
    before_seven = datetime.datetime(2025, 4, 7, 6, 30, tzinfo=WIB)
    after_seven = datetime.datetime(2025, 4, 7, 7, 0, tzinfo=WIB)
    assert tasks.next_reminder_time(before_seven) == datetime.datetime(2025, 4, 7, 7, 0, tzinfo=WIB)
    assert tasks.next_reminder_time(after_seven) == datetime.datetime(2025, 4, 8, 7, 0, tzinfo=WIB)


def test_a_mail_left_waiting_a_day_is_queued_again_by_the_morning_run(operator):
    (stuck,) = remind([operator], key="")
    (fresh,) = remind([operator], key="")
    run_worker()  # both mailed; then pretend the first one's worker died while sending
    Notification.objects.filter(pk=stuck.pk).update(
        email_status=EmailStatus.PENDING, created_at=timezone.now() - datetime.timedelta(days=2)
    )
    mail.outbox.clear()
    first = tasks.schedule_daily_reminders()
    DBTaskResult.objects.filter(pk=first.pk).update(run_after=timezone.now())
    run_worker()
    assert [m.to for m in mail.outbox] == [["op51@dinas.example"]]
    assert Notification.objects.get(pk=stuck.pk).email_status == EmailStatus.SENT
    assert Notification.objects.get(pk=fresh.pk).email_status == EmailStatus.SENT


# --- The reporting calendar's reminders, mailed by the worker -----------------------------------------------
# 9 April 2025: March's package and the first quarter's report are both due on 14 April 2025 (the 5th working
# day after Idul Fitri and its cuti bersama), 3 working days ahead (REMINDER_WORKING_DAYS): the operators of a
# province that has handed neither over are reminded of each, by mail, once.


def _remind_on(day):
    tasks.daily_reminders.enqueue(day)
    run_worker()


def test_the_worker_mails_the_calendars_reminders_once(operator, colleague, settings):
    settings.REMINDER_WORKING_DAYS = 3
    make_allocation("51", 2025)
    _remind_on("2025-04-09")
    reminders = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert reminders == [
        ("op51@dinas.example", "[IKM Dekon] Tenggat laporan bulan Maret 2025: Senin, 14 April 2025"),
        ("op51@dinas.example", "[IKM Dekon] Tenggat laporan triwulan I 2025: Senin, 14 April 2025"),
        ("op51b@dinas.example", "[IKM Dekon] Tenggat laporan bulan Maret 2025: Senin, 14 April 2025"),
        ("op51b@dinas.example", "[IKM Dekon] Tenggat laporan triwulan I 2025: Senin, 14 April 2025"),
    ]
    notices_sent = Notification.objects.filter(kind=NotificationKind.REMINDER)
    assert set(notices_sent.values_list("email_status", flat=True)) == {EmailStatus.SENT}
    _remind_on("2025-04-09")  # the same morning again (a second worker, a rerun): nothing new
    _remind_on("2025-04-10")  # the next morning: the same deadlines, already reminded of
    assert len(mail.outbox) == 4
    assert notices_sent.count() == 4


def test_a_reminder_is_retried_after_a_failing_mail_server_and_sent_once(operator, settings, quick_retries):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingTwice"
    FailingTwice.failures_left = 2
    make_allocation("51", 2025)
    _remind_on("2025-04-09")
    assert sorted(m.subject for m in mail.outbox) == [
        "[IKM Dekon] Tenggat laporan bulan Maret 2025: Senin, 14 April 2025",
        "[IKM Dekon] Tenggat laporan triwulan I 2025: Senin, 14 April 2025",
    ]
    attempts = sorted(
        Notification.objects.filter(recipient=operator).values_list("email_attempts", flat=True)
    )
    assert sum(attempts) == 2 + 2  # two refusals among them, then each delivered once
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}
