"""A package (ReportPackage) for every period that already has records: each (allocation, month) with a
realisation or an achievement, each quarterly note. The package takes its records' state (one state → it;
several → the least advanced, draft when any is editable), the first handing-over (the earliest submitted_at:
the reporting calendar counts the first) and the latest review (reviewed_at, reviewed_by, its note);
approved_at/approved_by stay empty (no Kepala Dinas signed what was handed over before issue 16). The records
keep their own states: nothing the ministry verified is un-verified by an upgrade; the package's next
transition carries them all, with its event. Written in bulk (no history rows: the migration is no one's
edit)."""

from django.db import migrations

EDITABLE = {"draf", "dikembalikan"}


# From the least advanced: a package of several states takes the first of them here.
ORDER = ["draf", "dikembalikan", "disiapkan", "diajukan", "terverifikasi"]


def _state(statuses):
    statuses = set(statuses)
    if not statuses:
        return "draf"
    if len(statuses) == 1:
        return next(iter(statuses))
    return "draf" if statuses & EDITABLE else min(statuses, key=ORDER.index)


def _earliest(values):
    values = [v for v in values if v is not None]
    return min(values) if values else None


def forwards(apps, schema_editor):
    Realisation = apps.get_model("programs", "Realisation")
    Achievement = apps.get_model("programs", "Achievement")
    QuarterlyNote = apps.get_model("programs", "QuarterlyNote")
    ReportPackage = apps.get_model("programs", "ReportPackage")
    fields = ("pk", "review_status", "review_note", "submitted_at", "reviewed_at", "reviewed_by_id")
    periods = {}  # (allocation, kind, period) -> {model: [rows]}
    for row in Realisation.objects.values("allocation_id", "month", *fields):
        periods.setdefault((row["allocation_id"], "bulanan", row["month"]), []).append((Realisation, row))
    for row in Achievement.objects.values("planned_output__allocation_id", "month", *fields):
        key = (row["planned_output__allocation_id"], "bulanan", row["month"])
        periods.setdefault(key, []).append((Achievement, row))
    for row in QuarterlyNote.objects.values("allocation_id", "quarter", *fields):
        periods.setdefault((row["allocation_id"], "triwulanan", row["quarter"]), []).append(
            (QuarterlyNote, row)
        )
    existing = set(ReportPackage.objects.values_list("allocation_id", "kind", "period"))
    packages = []
    for key, records in periods.items():
        if key in existing:
            continue
        rows = [row for _model, row in records]
        state = _state(row["review_status"] for row in rows)
        reviewed = max(
            (row for row in rows if row["reviewed_at"] is not None),
            key=lambda r: r["reviewed_at"],
            default=None,
        )
        packages.append(
            ReportPackage(
                allocation_id=key[0],
                kind=key[1],
                period=key[2],
                review_status=state,
                submitted_at=_earliest(row["submitted_at"] for row in rows),
                reviewed_at=reviewed["reviewed_at"] if reviewed else None,
                reviewed_by_id=reviewed["reviewed_by_id"] if reviewed else None,
                review_note=reviewed["review_note"] if reviewed else "",
            )
        )
    ReportPackage.objects.bulk_create(packages, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("programs", "0012_reporting_cycle")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
