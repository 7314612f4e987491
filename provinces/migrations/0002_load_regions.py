"""Load the 38 provinces and 514 regencies/cities from the official lists kept in provinces/data/."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    Province = apps.get_model("provinces", "Province")
    Regency = apps.get_model("provinces", "Regency")
    with open(DATA / "provinces.csv", encoding="utf-8") as f:
        provinces = {
            row["code"]: Province.objects.create(
                code=row["code"],
                name=row["name"],
                established_year=int(row["established_year"]),
                established_by=row["established_by"],
            )
            for row in csv.DictReader(f)
        }
    with open(DATA / "regencies.csv", encoding="utf-8") as f:
        Regency.objects.bulk_create(
            Regency(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                province=provinces[row["province_code"]],
                former_code=row["former_code"],
                former_province=provinces.get(row["former_province_code"]),
                moved_in_year=int(row["moved_in_year"]) if row["moved_in_year"] else None,
            )
            for row in csv.DictReader(f)
        )


def unload(apps, schema_editor):
    apps.get_model("provinces", "Regency").objects.all().delete()
    apps.get_model("provinces", "Province").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("provinces", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
