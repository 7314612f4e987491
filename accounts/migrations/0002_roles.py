"""The four roles as Django groups. What each may do is decided in accounts/roles.py and programs/scoping.py."""

from django.db import migrations

GROUPS = ["Admin", "Staf Kementerian", "Operator Provinsi", "Peninjau"]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, remove)]
