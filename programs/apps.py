from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


def uninstall_derived_triggers_on_sqlite(sender, using, **kwargs):
    """Before a migrate on SQLite: take the triggers off. SQLite alters a table by rebuilding it, which a
    trigger of another table naming it would refuse (and the rebuilt table would lose its own)."""
    from . import derived, plan_rules

    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in derived.uninstall_sql(connection.vendor) + plan_rules.uninstall_sql(
                connection.vendor
            ):
                cursor.execute(statement)


def install_derived_triggers(sender, using, **kwargs):
    """After every migrate: (re)install the triggers keeping derived data (programs/derived.py) and the
    plan's cross-row rules (programs/plan_rules.py); the statements are idempotent on both databases."""
    from . import derived, plan_rules

    connection = connections[using]
    tables = connection.introspection.table_names()
    if "programs_handover" not in tables:
        return  # migrated backwards past the programme's tables
    with connection.cursor() as cursor:
        for statement in derived.install_sql(connection.vendor):
            cursor.execute(statement)
        if "programs_planitem" in tables:
            for statement in plan_rules.install_sql(connection.vendor):
                cursor.execute(statement)


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Program Dekonsentrasi")

    def ready(self):
        from . import workdays  # noqa: F401 - its cache is cleared by the Holiday's save and delete signals

        pre_migrate.connect(
            uninstall_derived_triggers_on_sqlite, sender=self, dispatch_uid="programs_derived_triggers_off"
        )
        post_migrate.connect(install_derived_triggers, sender=self, dispatch_uid="programs_derived_triggers")
