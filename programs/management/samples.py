"""Sample files for tests and the benchmark."""

import random

from django.db import transaction
from django.utils import translation

from provinces.models import Province, Regency

from ..imports import import_file
from ..imports.columns import (
    FIRMS,
    TEMPLATE_LANGUAGE,
    ImportRefused,
    firm_columns,
)
from ..models import FirmScale, Sector


def write_sample_file(path, rows, province_code, *, seed=0, kind=FIRMS):
    """A realistic XLSX of `rows` firms of a province (NIB 98<province><9 digits>), as a provincial office
    would send it; used by the tests and the benchmark. Needs the official regencies in the database."""
    from faker import Faker
    from openpyxl import Workbook

    from .demo import fake_firm_fields

    if kind != FIRMS:
        raise ValueError(kind)
    province = Province.objects.get(code=province_code)
    regencies = list(Regency.objects.filter(province=province))
    rng = random.Random(seed)  # noqa: S311 - sample data, not a secret
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    sectors = [s for s in Sector.values if s != Sector.LAINNYA]
    # Faker is slow per call: draw pools once, combine them per row.
    pool = [
        fake_firm_fields(
            fake,
            rng,
            province=province,
            regency=rng.choice(regencies),
            sector=rng.choice(sectors),
            covid_affected=rng.random() < 0.6,
            nib="",
        )
        for _i in range(min(rows, 500))
    ]
    columns = firm_columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append([c.header for c in columns])
    with translation.override(TEMPLATE_LANGUAGE):
        sector_labels = {code: str(label) for code, label in Sector.choices}
        scale_labels = {code: str(label) for code, label in FirmScale.choices}
    for index in range(rows):
        fields = pool[index % len(pool)]
        regency = fields["regency"]
        sheet.append(
            [
                f"98{province_code}{index:09d}",
                f"{fields['name']} {index + 1}",
                fields["owner_name"],
                str(sector_labels[fields["sector"]]),
                fields["kbli"],
                str(scale_labels[fields["scale"]]),
                regency.code if index % 3 else regency.name,
                fields["address"],
                fields["phone"],
                fields["workers"],
                "Ya" if fields["covid_affected"] else "Tidak",
            ]
        )
    workbook.save(path)
    return path


def benchmark_rows_per_second(path, province, user=None, *, keep=False):
    """Rows per second of a complete import of `path` into `province` (a Province or its code): reading,
    checking and writing with history. Rolled back afterwards unless keep=True. For `make bench`:

        write_sample_file(path, 50_000, "51"); rate = benchmark_rows_per_second(path, "51")
    """

    class _Undo(Exception):
        pass

    report = None
    try:
        with transaction.atomic():
            report = import_file(path, kind=FIRMS, province=province, user=user, name=str(path))
            if not report.written:
                raise ImportRefused(report.summary())
            if not keep:
                raise _Undo
    except _Undo:
        pass
    return report.rows_per_second
