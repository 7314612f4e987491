from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def install_derived_triggers(sender, using, **kwargs):
    """After every migrate: (re)install the triggers keeping derived data (programs/derived.py).

    SQLite rebuilds a table to alter it and drops its triggers with it, so a later migration could
    otherwise leave a table without them; the statements are idempotent on both databases.
    """
    from . import derived

    connection = connections[using]
    if "programs_handover" not in connection.introspection.table_names():
        return  # migrated backwards past the programme's tables
    with connection.cursor() as cursor:
        for statement in derived.install_sql(connection.vendor):
            cursor.execute(statement)


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Program Dekonsentrasi")

    def ready(self):
        post_migrate.connect(install_derived_triggers, sender=self, dispatch_uid="programs_derived_triggers")
