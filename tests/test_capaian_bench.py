"""bench/plan.py, which gives the benchmark's measured year a DIPA plan: the RO pagus add up to the current
pagu, activities and realisation are tagged to ROs, the capaian page has figures, and a second run changes
nothing (the dataset is reused)."""

from decimal import Decimal

import pytest

from bench.plan import ensure_plan
from programs.models import Achievement, Activity, PlanItem, RealisationLine
from programs.reports import capaian_report
from tests.factories import make_activity, make_allocation, make_realisation

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="the bench, and its SQL, are PostgreSQL only"),
]


def test_ensure_plan_once(pusat):
    allocation = make_allocation("51", 2025, pagu=Decimal("1000000001"))
    activities = [make_activity(allocation) for _ in range(7)]
    make_realisation(allocation, 3, Decimal("1000"))
    assert ensure_plan(2025) == {"allocations": 1}
    ros = PlanItem.objects.filter(allocation=allocation, level="ro")
    assert sum(ro.pagu for ro in ros) == allocation.current_pagu
    assert all(a.planned_output_id for a in Activity.objects.filter(pk__in=[a.pk for a in activities]))
    assert RealisationLine.objects.get().amount == Decimal("1000")
    assert Achievement.objects.count() == 12
    report = capaian_report(pusat, allocation.province, 2025, 12)
    assert [r["measure"] for r in report.rows] == [
        "ikm",
        "peserta",
        "wirausaha_nib",
        "produk",
        "kegiatan",
        "manual",
    ]
    assert report.rows[-1]["achieved"] == 12 and report.totals["realised"] == Decimal("1000")
    assert ensure_plan(2025) == {"allocations": 0}
    assert PlanItem.objects.count() == 9
