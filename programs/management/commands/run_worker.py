"""The background worker: `db_worker` (django-tasks-db) after making sure the daily reminders are scheduled.

Every worker asks at start, under a lock, so however many run there is exactly one queued run of
`programs.tasks.daily_reminders`; each run queues the next (07:00 WIB the next day). All of db_worker's
options apply (`--batch`, `--interval`, `--worker-id`, `--no-reload`…); see README, "Pekerja latar".
"""

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from programs.tasks import schedule_daily_reminders


class Command(DbWorkerCommand):
    help = "Run a background worker (mail of the notices, the daily reminders)."

    def handle(self, *args, **options):
        run = schedule_daily_reminders()
        if options["verbosity"]:
            at = timezone.localtime(run.run_after)
            self.stdout.write(f"Pengingat harian berikutnya: {at:%Y-%m-%d %H:%M} WIB")
        return super().handle(*args, **options)
