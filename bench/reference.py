"""The reference: ONE hand-written SQL statement that computes the national recap the straightforward way.

It joins the normalised path — handover -> output -> participation -> activity -> allocation -> province —
and never reads the province, year or activity that the rows carry, nor the running totals (realised is
summed from the monthly rows). It is what a live recap costs without the design of programs/reports/;
bench/run.py times both on the same database, and tests/test_recap_reference.py checks that every figure
of `national_recap` equals it. Portable SQL (conditional aggregates with CASE): PostgreSQL and SQLite.
"""

from decimal import Decimal

from django.db import connection

from programs.models import ActivityStatus, ProductType, RecipientType
from programs.reports import HANDED_OVER_KEYS, ORDERED_KEYS, OUTPUT_KEYS, STATUS_KEYS, percent


def _sum_when(column, expression, value):
    # `value` is a model choice (a constant of our code, never input), so it may be written into the SQL.
    return f"COALESCE(SUM(CASE WHEN {column} = '{value}' THEN {expression} END), 0)"


def _columns():
    """(figure key, SQL expression over the joined per-province aggregates), in recap order."""
    return [
        ("pagu", "COALESCE(al.pagu, 0)"),
        ("current_pagu", "COALESCE(al.current_pagu, 0)"),
        ("realised", "COALESCE(re.realised, 0)"),
        ("activities", "COALESCE(ac.activities, 0)"),
        *[(STATUS_KEYS[s], f"COALESCE(ac.{STATUS_KEYS[s]}, 0)") for s in ActivityStatus.values],
        ("activity_budget", "COALESCE(ac.activity_budget, 0)"),
        ("firms", "COALESCE(fi.firms, 0)"),
        ("participants", "COALESCE(pe.participants, 0)"),
        ("participants_target", "COALESCE(ac.participants_target, 0)"),
        ("participants_actual", "COALESCE(ac.participants_actual, 0)"),
        *[(OUTPUT_KEYS[t], f"COALESCE(ou.{OUTPUT_KEYS[t]}, 0)") for t in ProductType.values],
        *[(ORDERED_KEYS[t], f"COALESCE(ou.{ORDERED_KEYS[t]}, 0)") for t in ProductType.values],
        *[(HANDED_OVER_KEYS[r], f"COALESCE(ha.{HANDED_OVER_KEYS[r]}, 0)") for r in RecipientType.values],
        ("national_firms", f"(SELECT COUNT(DISTINCT pa.firm_id) FROM {_PARTICIPATIONS})"),  # noqa: S608
    ]


# The participations of the year, reached through their activity and its allocation only.
_PARTICIPATIONS = (
    "programs_participation pa JOIN programs_activity a ON a.id = pa.activity_id "
    "JOIN programs_allocation l ON l.id = a.allocation_id WHERE l.year = %(year)s"
)


def reference_sql():
    status = ",\n        ".join(
        f"{_sum_when('a.status', '1', s)} AS {STATUS_KEYS[s]}" for s in ActivityStatus.values
    )
    made = ",\n        ".join(
        f"{_sum_when('o.product_type', 'o.quantity', t)} AS {OUTPUT_KEYS[t]}" for t in ProductType.values
    )
    ordered = ",\n        ".join(
        f"{_sum_when('o.product_type', 'o.ordered_quantity', t)} AS {ORDERED_KEYS[t]}"
        for t in ProductType.values
    )
    handed = ",\n        ".join(
        f"{_sum_when('h.recipient_type', 'h.quantity', r)} AS {HANDED_OVER_KEYS[r]}"
        for r in RecipientType.values
    )
    selected = ",\n    ".join(f"{expression} AS {key}" for key, expression in _columns())
    return f"""
WITH al AS (
    SELECT l.province_id, l.pagu, l.current_pagu FROM programs_allocation l WHERE l.year = %(year)s
), re AS (
    SELECT l.province_id, SUM(r.amount) AS realised
    FROM programs_realisation r JOIN programs_allocation l ON l.id = r.allocation_id
    WHERE l.year = %(year)s GROUP BY l.province_id
), ac AS (
    SELECT l.province_id, COUNT(*) AS activities,
        {status},
        COALESCE(SUM(a.budget), 0) AS activity_budget,
        COALESCE(SUM(a.target_participants), 0) AS participants_target,
        COALESCE(SUM(a.actual_participants), 0) AS participants_actual
    FROM programs_activity a JOIN programs_allocation l ON l.id = a.allocation_id
    WHERE l.year = %(year)s GROUP BY l.province_id
), fi AS (
    SELECT l.province_id, COUNT(DISTINCT pa.firm_id) AS firms
    FROM {_PARTICIPATIONS} GROUP BY l.province_id
), pe AS (
    SELECT l.province_id, COUNT(*) AS participants
    FROM programs_participant p JOIN programs_activity a ON a.id = p.activity_id
    JOIN programs_allocation l ON l.id = a.allocation_id
    WHERE l.year = %(year)s GROUP BY l.province_id
), ou AS (
    SELECT l.province_id,
        {made},
        {ordered}
    FROM programs_output o JOIN programs_participation pa ON pa.id = o.participation_id
    JOIN programs_activity a ON a.id = pa.activity_id JOIN programs_allocation l ON l.id = a.allocation_id
    WHERE l.year = %(year)s GROUP BY l.province_id
), ha AS (
    SELECT l.province_id,
        {handed}
    FROM programs_handover h JOIN programs_output o ON o.id = h.output_id
    JOIN programs_participation pa ON pa.id = o.participation_id
    JOIN programs_activity a ON a.id = pa.activity_id JOIN programs_allocation l ON l.id = a.allocation_id
    WHERE l.year = %(year)s GROUP BY l.province_id
)
SELECT pr.code AS province_code, pr.name AS province,
    {selected}
FROM provinces_province pr
LEFT JOIN al ON al.province_id = pr.id LEFT JOIN re ON re.province_id = pr.id
LEFT JOIN ac ON ac.province_id = pr.id LEFT JOIN fi ON fi.province_id = pr.id
LEFT JOIN pe ON pe.province_id = pr.id LEFT JOIN ou ON ou.province_id = pr.id
LEFT JOIN ha ON ha.province_id = pr.id
WHERE pr.established_year <= %(year)s
ORDER BY pr.code
"""  # noqa: S608 - no input in the text: table names and model choices only; the year is a parameter


SQL = reference_sql()
MONEY = ("pagu", "current_pagu", "realised", "activity_budget")


def reference_recap(year, using=None):
    """(rows, totals) as `national_recap` gives them for a national user, from the reference SQL."""
    from django.db import connections

    conn = connections[using] if using else connection
    with conn.cursor() as cursor:
        cursor.execute(SQL, {"year": year})
        names = [c[0] for c in cursor.description]
        fetched = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    rows, national_firms = [], 0
    for row in fetched:
        national_firms = row.pop("national_firms") or 0
        for key in row:
            if key in MONEY:
                row[key] = Decimal(row[key]).quantize(Decimal(1))
            elif key not in ("province_code", "province"):
                row[key] = int(row[key])
        row["absorption_pct"] = percent(row["realised"], row["current_pagu"])
        rows.append(row)
    skip = ("province_code", "province", "absorption_pct")
    totals = {key: sum(r[key] for r in rows) for key in rows[0] if key not in skip}
    totals["firms"] = national_firms
    totals["absorption_pct"] = percent(totals["realised"], totals["current_pagu"])
    return rows, totals


def differing_figures(recap, year, using=None):
    """[(province code or "Total", figure key, recap value, reference value)] where the recap differs."""
    from programs.reports import RECAP_FIGURES

    rows, totals = reference_recap(year, using)
    keys = [f.key for f in RECAP_FIGURES]
    found = []
    by_code = {r["province_code"]: r for r in rows}
    if [r["province_code"] for r in recap.rows] != list(by_code):
        found.append(("provinces", "province_code", [r["province_code"] for r in recap.rows], list(by_code)))
    for mine in recap.rows:
        reference = by_code.get(mine["province_code"], {})
        found += [
            (mine["province_code"], k, mine[k], reference.get(k)) for k in keys if mine[k] != reference.get(k)
        ]
    found += [("Total", k, recap.totals[k], totals[k]) for k in keys if recap.totals[k] != totals[k]]
    return found
