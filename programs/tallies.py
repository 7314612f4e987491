"""Per province-year tallies of the rows the reports add up, kept by PostgreSQL in the same transaction.

The national recap and the Covid-19 report must show figures exactly equal to the records, live, at many
years of national data. Adding up millions of participations, outputs and handovers on every request is
exact but slow (seconds at 100x the 2020 programme), so the database keeps the sums instead:

- `Tally` (year, province, measure) → amount: activities per status, their budget and participant targets,
  participations, participants, units produced and ordered per product type, units handed over per
  recipient and product type, and the province's distinct firms;
- `FirmTally` (year, province, firm) and `NationalFirmTally` (year, firm) count each firm's participations,
  so that the distinct firms of a province (a `Tally` row) and of the nation (`NationalTally`) change
  exactly when a firm's first participation comes or its last one goes.

Statement-level AFTER triggers with transition tables (one per table and operation) add the new rows'
contributions and subtract the old rows', set-based, whatever wrote them: a form, the admin, a command, a
queryset `update()`, a cascade, `bulk_create` or COPY. They are `ENABLE ALWAYS`, so they fire even with
`session_replication_role = replica` (the synthetic data's bulk build). The application never writes a
tally; `rebuild()` recomputes them all from the records (the migration's backfill, `manage.py tallies
--rebuild`) and `differences()` compares them with the records (`manage.py tallies --check`, the tests).

PostgreSQL only: on SQLite (the quick start's small demo data) the reports add the rows up directly, and
`enabled()` says which way a database goes.
"""

# Every SQL text here is built from the constant table, column and measure names above and below, never
# from input (the only value, a LIMIT, is a parameter).
# ruff: noqa: S608

from django.db import connections, router

# Each source table's contributions: (measure, amount) pairs of one row `r`, as SQL VALUES.
CONTRIBUTIONS = {
    "programs_activity": (
        "('activities:' || r.status, 1::numeric), ('activity_budget', r.budget::numeric), "
        "('participants_target', r.target_participants::numeric), "
        "('participants_actual', COALESCE(r.actual_participants, 0)::numeric)"
    ),
    "programs_participation": "('participations', 1::numeric)",
    "programs_participant": "('participants', 1::numeric)",
    "programs_output": (
        "('output:' || r.product_type, r.quantity::numeric), "
        "('ordered:' || r.product_type, COALESCE(r.ordered_quantity, 0)::numeric)"
    ),
    "programs_handover": "('handed_over:' || r.recipient_type || ':' || r.product_type, r.quantity::numeric)",
}
OPERATIONS = ("INSERT", "UPDATE", "DELETE")
PREFIX = "programs_tally"


def enabled(using=None):
    """Whether the tallies are kept on the database the reports read (PostgreSQL)."""
    if using is None:
        from .models import Tally

        using = router.db_for_read(Tally)
    return connections[using].vendor == "postgresql"


def _signed(operation, select):
    """The rows of a statement's change as `select` over `r`, with a sign: +new rows, -old rows."""
    parts = []
    if operation in ("INSERT", "UPDATE"):
        parts.append(select.format(rel="new_rows", sign="1"))
    if operation in ("DELETE", "UPDATE"):
        parts.append(select.format(rel="old_rows", sign="-1"))
    return " UNION ALL ".join(parts)


def _add_to_tally(rows_sql):
    """SQL adding (year, province_id, measure, amount) rows to the tallies, one upsert in key order."""
    return f"""
        INSERT INTO programs_tally AS t (year, province_id, measure, amount)
        SELECT year, province_id, measure, sum(amount) FROM ({rows_sql}) c
        GROUP BY year, province_id, measure HAVING sum(amount) <> 0
        ORDER BY year, province_id, measure
        ON CONFLICT (year, province_id, measure) DO UPDATE SET amount = t.amount + EXCLUDED.amount;
    """


def _firm_counts(operation):
    """SQL keeping FirmTally / NationalFirmTally and the distinct firms they imply (participations only)."""
    sql = []
    for table, keys, target in (
        ("programs_firmtally", "year, province_id, firm_id", "province"),
        ("programs_nationalfirmtally", "year, firm_id", "national"),
    ):
        join = " AND ".join(f"f.{k} = d.{k}" for k in keys.split(", "))
        using = " AND ".join(f"up.{k} = d.{k}" for k in keys.split(", "))
        delta = _signed(operation, f"SELECT {keys}, {{sign}} AS n FROM {{rel}} r")
        # A row's count before = after - delta: a firm appears when it goes from 0 to more, and goes at 0.
        change = (
            "sum(CASE WHEN up.participations > 0 AND up.participations - d.n <= 0 THEN 1 "
            "WHEN up.participations <= 0 AND up.participations - d.n > 0 THEN -1 ELSE 0 END)"
        )
        if target == "province":
            into = """INSERT INTO programs_tally AS t (year, province_id, measure, amount)
                SELECT up.year, up.province_id, 'firms', {change} FROM up JOIN d ON {using}
                GROUP BY up.year, up.province_id HAVING {change} <> 0 ORDER BY 1, 2
                ON CONFLICT (year, province_id, measure) DO UPDATE SET amount = t.amount + EXCLUDED.amount"""
        else:
            into = """INSERT INTO programs_nationaltally AS t (year, measure, amount)
                SELECT up.year, 'firms', {change} FROM up JOIN d ON {using}
                GROUP BY up.year HAVING {change} <> 0 ORDER BY 1
                ON CONFLICT (year, measure) DO UPDATE SET amount = t.amount + EXCLUDED.amount"""
        sql.append(
            f"""
            WITH d AS (
                SELECT {keys}, sum(n) AS n FROM ({delta}) x GROUP BY {keys} HAVING sum(n) <> 0
            ), up AS (
                INSERT INTO {table} AS f ({keys}, participations)
                SELECT {keys}, n FROM d ORDER BY {keys}
                ON CONFLICT ({keys}) DO UPDATE SET participations = f.participations + EXCLUDED.participations
                RETURNING {keys}, participations
            )
            {into.format(change=change, using=using)};
            """
        )
        if operation != "INSERT":
            sql.append(
                f"""DELETE FROM {table} f USING (SELECT DISTINCT {keys} FROM old_rows) d
                    WHERE {join} AND f.participations = 0;"""
            )
    return "\n".join(sql)


def _function_body(table, operation):
    select = (
        "SELECT r.year, r.province_id, v.measure, {sign} * v.amount AS amount FROM {rel} r "
        f"CROSS JOIN LATERAL (VALUES {CONTRIBUTIONS[table]}) v(measure, amount)"
    )
    body = _add_to_tally(_signed(operation, select))
    if table == "programs_participation":
        body += _firm_counts(operation)
    return body


def _name(table, operation):
    return f"{PREFIX}_{table.removeprefix('programs_')}_{operation.lower()}"


def install_sql():
    """CREATE statements of every trigger function and trigger (idempotent)."""
    statements = []
    for table in CONTRIBUTIONS:
        for operation in OPERATIONS:
            name = _name(table, operation)
            referencing = {
                "INSERT": "NEW TABLE AS new_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
            }[operation]
            statements += [
                f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                {_function_body(table, operation)}
                RETURN NULL;
                END
                $body$;""",
                f"DROP TRIGGER IF EXISTS {name} ON {table};",
                f"""CREATE TRIGGER {name} AFTER {operation} ON {table} REFERENCING {referencing}
                FOR EACH STATEMENT EXECUTE FUNCTION {name}();""",
                # Also under session_replication_role = replica (the synthetic data's bulk build).
                f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name};",
            ]
    return statements


def uninstall_sql():
    statements = []
    for table in CONTRIBUTIONS:
        for operation in OPERATIONS:
            name = _name(table, operation)
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table};", f"DROP FUNCTION IF EXISTS {name}();"]
    return statements


def _expected_sql():
    """Every tally as the records give it now: (kind, year, province_id or NULL, key, amount) rows.

    Each row's year and province come by its foreign keys up to its allocation, and a handover's product
    type from its output (`derived.walk`), never from the copies the triggers above read: a copy gone wrong
    shows here as a difference.
    """
    from .derived import walk

    def walked(table, values):
        if table == "programs_handover":
            values = values.replace("r.product_type", "ou.product_type")
        return (
            f"SELECT al.year, al.province_id, v.measure, v.amount FROM {table} r {walk(table)} "
            f"CROSS JOIN LATERAL (VALUES {values}) v(measure, amount)"
        )

    contributions = " UNION ALL ".join(walked(table, values) for table, values in CONTRIBUTIONS.items())
    participations = f"programs_participation r {walk('programs_participation')}"
    return {
        "tally": f"""
            SELECT year, province_id, measure, sum(amount) FROM ({contributions}) c
            GROUP BY 1, 2, 3 HAVING sum(amount) <> 0
            UNION ALL
            SELECT al.year, al.province_id, 'firms', count(DISTINCT r.firm_id)
            FROM {participations} GROUP BY 1, 2
        """,
        "firm": f"SELECT al.year, al.province_id, r.firm_id, count(*) FROM {participations} GROUP BY 1, 2, 3",
        "national_firm": f"SELECT al.year, r.firm_id, count(*) FROM {participations} GROUP BY 1, 2",
        "national": f"SELECT al.year, 'firms', count(DISTINCT r.firm_id) FROM {participations} GROUP BY 1",
    }


_STORED = {
    "tally": "SELECT year, province_id, measure, amount FROM programs_tally WHERE amount <> 0",
    "firm": "SELECT year, province_id, firm_id, participations FROM programs_firmtally",
    "national_firm": "SELECT year, firm_id, participations FROM programs_nationalfirmtally",
    "national": "SELECT year, measure, amount FROM programs_nationaltally WHERE amount <> 0",
}
_TABLES = {
    "tally": "programs_tally (year, province_id, measure, amount)",
    "firm": "programs_firmtally (year, province_id, firm_id, participations)",
    "national_firm": "programs_nationalfirmtally (year, firm_id, participations)",
    "national": "programs_nationaltally (year, measure, amount)",
}


def rebuild(cursor):
    """Recompute every tally from the records (the backfill; a repair should one ever be needed)."""
    expected = _expected_sql()
    for kind, table in _TABLES.items():
        cursor.execute(f"DELETE FROM {table.split(' ')[0]}")  # noqa: S608
        cursor.execute(f"INSERT INTO {table} {expected[kind]}")  # noqa: S608


def differences(cursor, limit=20):
    """{table: [("stored", row) kept but not what the records give, or ("records", row) not kept]}: empty
    when every tally equals the records."""
    expected = _expected_sql()
    found = {}
    for kind in _TABLES:
        cursor.execute(
            f"SELECT 'stored', * FROM (({_STORED[kind]}) EXCEPT ({expected[kind]})) s "
            f"UNION ALL SELECT 'records', * FROM (({expected[kind]}) EXCEPT ({_STORED[kind]})) e "
            "LIMIT %s",
            [limit],
        )
        rows = cursor.fetchall()
        if rows:
            found[kind] = [(row[0], row[1:]) for row in rows]
    return found
