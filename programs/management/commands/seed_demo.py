"""Demo data for the quick start: demo users now; the 2020 cases arrive with the programme's data."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_PASSWORD_DEFAULT = "dekon-demo-2020"  # noqa: S105 - printed to the developer; DEBUG only


class Command(BaseCommand):
    help = "Mengisi data demo (hanya untuk pengembangan, DEBUG=True)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Izinkan walau DEBUG=False (mis. untuk benchmark)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo hanya untuk pengembangan: jalankan dengan DEBUG=True atau --force.")
        password = os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "first_name": "Admin", "last_name": "Demo"},
        )
        if created:
            admin.set_password(password)
            admin.save()
        self.stdout.write(self.style.SUCCESS("Data demo siap."))
        self.stdout.write(f"Masuk di http://127.0.0.1:8000/ sebagai 'admin' dengan kata sandi '{password}'.")
