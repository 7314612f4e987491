"""A DIPA plan for the bench's measured year, so that the capaian page has work to do at every scale.

The synthetic years carry no plan. This adds one to each allocation of the year that has none (run again,
it changes nothing, so a dataset built before is reused): a program, kegiatan and KRO with six ROs, one per
measure, whose pagus add up to the allocation's current pagu; the year's activities tagged to the first
five ROs in turn; each month's realisation as one line (belanja barang) of the first RO; and twelve
verified monthly achievements of the manual RO. Set-based SQL: one statement per table for the whole year.
"""

from decimal import Decimal

from django.db import connection, transaction

ROS = [  # (suffix, name, measure, unit, target, product type)
    ("001", "IKM yang dibina", "ikm", "ikm", 400, ""),
    ("002", "Peserta bimbingan teknis", "peserta", "orang", 800, ""),
    ("003", "Wirausaha baru yang memperoleh NIB", "wirausaha_nib", "wirausaha", 100, ""),
    ("004", "Masker yang diproduksi", "produk", "produk", 100000, "masker"),
    ("005", "Kegiatan pembinaan terlaksana", "kegiatan", "kegiatan", 40, ""),
    ("006", "Dokumen kajian pengembangan IKM", "manual", "dokumen", 12, ""),
]


def ensure_plan(year):
    """Add the plan to the year's allocations that have none; {"allocations": how many got one}."""
    from programs.models import Allocation, PlanItem

    allocations = list(
        Allocation.objects.filter(year=year).exclude(plan_items__level="ro").values_list("pk", "current_pagu")
    )
    if not allocations:
        return {"allocations": 0}
    with transaction.atomic():
        for pk, pagu in allocations:
            common = {"allocation_id": pk}
            program = PlanItem.objects.create(
                **common, level="program", code="019.08.WA", name="Program Pengembangan Industri"
            )
            kegiatan = PlanItem.objects.create(
                **common, parent=program, level="kegiatan", code="5807", name="Pembinaan IKM"
            )
            kro = PlanItem.objects.create(
                **common, parent=kegiatan, level="kro", code="5807.QEA", name="Fasilitasi dan Pembinaan IKM"
            )
            share = (Decimal(pagu) / len(ROS)).quantize(Decimal(1), rounding="ROUND_DOWN")
            PlanItem.objects.bulk_create(
                PlanItem(
                    **common,
                    parent=kro,
                    level="ro",
                    code=f"5807.QEA.{suffix}",
                    name=name,
                    measure=measure,
                    unit=unit,
                    target=target,
                    product_type=product_type,
                    pagu=share if n < len(ROS) - 1 else Decimal(pagu) - share * (len(ROS) - 1),
                )
                for n, (suffix, name, measure, unit, target, product_type) in enumerate(ROS)
            )
        ids = [pk for pk, _pagu in allocations]
        with connection.cursor() as cursor:
            # The year's activities to the first five ROs in turn (by id).
            cursor.execute(
                """
                UPDATE programs_activity a SET planned_output_id = ro.id
                FROM programs_planitem ro
                WHERE a.allocation_id = ANY(%s) AND ro.allocation_id = a.allocation_id
                  AND ro.code = '5807.QEA.00' || ((a.id %% 5) + 1)::text
                """,
                [ids],
            )
            cursor.execute(
                """
                INSERT INTO programs_realisationline
                    (realisation_id, planned_output_id, spending_type, amount)
                SELECT r.id, ro.id, '52', r.amount
                FROM programs_realisation r
                JOIN programs_planitem ro ON ro.allocation_id = r.allocation_id AND ro.code = '5807.QEA.001'
                WHERE r.allocation_id = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM programs_realisationline l WHERE l.realisation_id = r.id)
                """,
                [ids],
            )
            cursor.execute(
                """
                INSERT INTO programs_achievement (planned_output_id, month, quantity, evidence, evidence_name,
                    note, review_status, review_note, version, created_at, updated_at)
                SELECT ro.id, m, 1, 'evidence/bench/bukti.pdf', 'bukti.pdf', '', 'terverifikasi', '', 1,
                    now(), now()
                FROM programs_planitem ro CROSS JOIN generate_series(1, 12) AS m
                WHERE ro.allocation_id = ANY(%s) AND ro.code = '5807.QEA.006'
                """,
                [ids],
            )
    return {"allocations": len(allocations)}
