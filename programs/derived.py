"""Derived data: every value stored that the records already imply, kept by the database itself.

Reports must equal the records whatever wrote them — a form, the admin, a command, an import, a queryset
`update()`, `bulk_create`, COPY or two requests at once. A value kept by `save()` is kept on one of those
paths only, so every derived value here is kept by database triggers, in the writing statement's own
transaction, on PostgreSQL (production, CI) and on SQLite (the quick start) alike:

- `Activity.province`, `.year`: its allocation's (triggers on activity and allocation);
- `Participation`, `Participant`, `Attachment` `.province`, `.year`: their activity's;
- `Output.activity`, `.province`, `.year`: its participation's;
- `Handover.activity`, `.province`, `.year`, `.product_type`, `.output_produced_on`: its output's;
- `Allocation.realised_total`: the sum of its realisations (a direct write to it is undone);
- `Allocation.current_pagu`: the latest revision's new pagu (by date, then entry), else the pagu;
- `Output.handed_over_total`: the sum of its handovers (a direct write to it is undone);
- the tallies (`programs/tallies.py`): the reports' sums per province-year (PostgreSQL only).
The README's "Derived data" table says what each costs.

A child row's copies are set from its parent on every insert and update (a value written to a copy is
overwritten), and a parent's change of a copied value is passed down to its children at once, which pass it
on (allocation → activity → participation → output → handover), so the tallies follow too. The running
totals are deltas on PostgreSQL (set-based per statement, and correct when two transactions write the same
parent: each adds its own rows to the row version it locked) and recomputed sums on SQLite (one writer at a
time). Their CHECK constraints (realised ≤ current pagu, handed over ≤ produced) then hold on every path.

Python still sets the copies on an instance before its save (`copy_from_parent`), because NOT NULL columns
need a value on SQLite before its triggers run and because the instance in memory should be right; the
database's value is the one that counts.

`differences()` compares every derived value with the records by walking the foreign keys (never through
another copy); `manage.py tallies` runs it, with the tallies' own check on PostgreSQL.
"""

# Every SQL text here is built from the constant names below, never from input.
# ruff: noqa: S608

# child table: (parent foreign key column, parent table, {child column: parent column}, children's tables).
COPIES = {
    "programs_activity": (
        "allocation_id",
        "programs_allocation",
        {"province_id": "province_id", "year": "year"},
    ),
    "programs_participation": (
        "activity_id",
        "programs_activity",
        {"province_id": "province_id", "year": "year"},
    ),
    "programs_participant": (
        "activity_id",
        "programs_activity",
        {"province_id": "province_id", "year": "year"},
    ),
    "programs_attachment": (
        "activity_id",
        "programs_activity",
        {"province_id": "province_id", "year": "year"},
    ),
    "programs_output": (
        "participation_id",
        "programs_participation",
        {"activity_id": "activity_id", "province_id": "province_id", "year": "year"},
    ),
    "programs_handover": (
        "output_id",
        "programs_output",
        {
            "activity_id": "activity_id",
            "province_id": "province_id",
            "year": "year",
            "product_type": "product_type",
            "output_produced_on": "produced_on",
        },
    ),
}

# parent table, total column, child table, child's foreign key, child's amount column.
TOTALS = (
    ("programs_allocation", "realised_total", "programs_realisation", "allocation_id", "amount"),
    ("programs_output", "handed_over_total", "programs_handover", "output_id", "quantity"),
)

PREFIX = "programs_derived"

# The current pagu of allocation `a`: the latest revision's new pagu, by date then entry, else its pagu.
_CURRENT_PAGU = """COALESCE((SELECT r.new_pagu FROM programs_budgetrevision r WHERE r.allocation_id = {a}.id
    ORDER BY r.revised_on DESC, r.id DESC LIMIT 1), {a}.pagu)"""


def _children(parent):
    """(child table, parent fk, {child column: parent column}) of the tables copying from `parent`."""
    return [(child, fk, columns) for child, (fk, table, columns) in COPIES.items() if table == parent]


def _short(table):
    return table.removeprefix("programs_")


# --- PostgreSQL ----------------------------------------------------------------------------------------


def _pg_function(name, body):
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
        {body}
        END
        $body$;"""


def _pg_trigger(name, table, when, level, condition="", referencing=""):
    condition = f"WHEN ({condition})" if condition else ""
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table};",
        f"CREATE TRIGGER {name} {when} ON {table} {referencing} FOR EACH {level} {condition} "
        f"EXECUTE FUNCTION {name}();",
        # Also under session_replication_role = replica (the synthetic data's bulk build).
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name};",
    ]


def _pg_statements():
    statements = []
    # Copies: a row takes its parent's values on every insert and update ("a_" runs first of the BEFORE
    # triggers of a table, before the guard of the running totals).
    for child, (fk, parent, columns) in COPIES.items():
        name = f"{PREFIX}_{_short(child)}_a_copy"
        targets = ", ".join(f"NEW.{c}" for c in columns)
        sources = ", ".join(f"p.{c}" for c in columns.values())
        # A locking read: a parent changed by a transaction not yet committed is read as it commits, so a
        # copy is never taken from a version about to be replaced (its follow trigger would miss this row).
        # A handover locks its output as its running total will next; other rows share their parent.
        lock = "FOR NO KEY UPDATE" if child == "programs_handover" else "FOR SHARE"
        body = f"SELECT {sources} INTO {targets} FROM {parent} p WHERE p.id = NEW.{fk} {lock};\nRETURN NEW;"
        statements.append(_pg_function(name, body))
        statements += _pg_trigger(name, child, "BEFORE INSERT OR UPDATE", "ROW")
    # Follow: a parent whose copied values change passes them to its children, which pass them on.
    parents = {parent for _fk, parent, _columns in COPIES.values()}
    for parent in sorted(parents):
        children = _children(parent)
        watched = sorted({source for _c, _fk, columns in children for source in columns.values()})
        condition = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
        updates = []
        for child, fk, columns in children:
            sets = ", ".join(f"{c} = NEW.{source}" for c, source in columns.items())
            differs = " OR ".join(f"{c} IS DISTINCT FROM NEW.{source}" for c, source in columns.items())
            updates.append(f"UPDATE {child} SET {sets} WHERE {fk} = NEW.id AND ({differs});")
        name = f"{PREFIX}_{_short(parent)}_follow"
        statements.append(_pg_function(name, "\n".join(updates) + "\nRETURN NULL;"))
        statements += _pg_trigger(name, parent, "AFTER UPDATE", "ROW", condition)
    # Running totals: a parent's total is its children's business. A new parent starts at zero (it has no
    # children yet); a write that reaches it from outside these triggers (depth 1: a form's stale copy, a
    # queryset update) keeps the stored total. The allocation's current pagu follows its revisions.
    for parent, total, child, fk, amount in TOTALS:
        name = f"{PREFIX}_{_short(parent)}_b_total"
        extra = ""
        if parent == "programs_allocation":
            extra = f"NEW.current_pagu := {_CURRENT_PAGU.format(a='NEW')};"
        body = f"""
            IF TG_OP = 'INSERT' THEN
                NEW.{total} := 0;
            ELSIF pg_trigger_depth() = 1 THEN
                NEW.{total} := OLD.{total};
            END IF;
            {extra}
            RETURN NEW;"""
        statements.append(_pg_function(name, body))
        statements += _pg_trigger(name, parent, "BEFORE INSERT OR UPDATE", "ROW")
        for operation in ("INSERT", "UPDATE", "DELETE"):
            parts = []
            if operation != "DELETE":
                parts.append(f"SELECT {fk} AS parent, {amount} AS n FROM new_rows")
            if operation != "INSERT":
                parts.append(f"SELECT {fk} AS parent, -{amount} AS n FROM old_rows")
            delta = " UNION ALL ".join(parts)
            name = f"{PREFIX}_{_short(child)}_total_{operation.lower()}"
            # Parents locked in key order first: two statements touching the same parents wait for each other
            # instead of deadlocking; the update then adds to the row version it locked.
            body = f"""
                PERFORM 1 FROM {parent} WHERE id IN (SELECT parent FROM ({delta}) y) ORDER BY id
                FOR NO KEY UPDATE;
                UPDATE {parent} t SET {total} = t.{total} + d.n FROM (
                    SELECT parent, sum(n) AS n FROM ({delta}) x GROUP BY parent HAVING sum(n) <> 0
                ) d WHERE t.id = d.parent;
                RETURN NULL;"""
            referencing = {
                "INSERT": "REFERENCING NEW TABLE AS new_rows",
                "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "REFERENCING OLD TABLE AS old_rows",
            }[operation]
            statements.append(_pg_function(name, body))
            statements += _pg_trigger(name, child, f"AFTER {operation}", "STATEMENT", referencing=referencing)
    name = f"{PREFIX}_budgetrevision_pagu"
    body = """
        IF TG_OP <> 'DELETE' THEN
            UPDATE programs_allocation SET current_pagu = current_pagu WHERE id = NEW.allocation_id;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            UPDATE programs_allocation SET current_pagu = current_pagu WHERE id = OLD.allocation_id;
        END IF;
        RETURN NULL;"""
    statements.append(_pg_function(name, body))
    statements += _pg_trigger(name, "programs_budgetrevision", "AFTER INSERT OR UPDATE OR DELETE", "ROW")
    return statements


def _trigger_names(statements):
    """The triggers (name, and " ON table" on PostgreSQL) the install statements create, read off their
    DROP … IF EXISTS: the one list, so uninstalling never misses one that installing added."""
    prefix = "DROP TRIGGER IF EXISTS "
    return [s.removeprefix(prefix).rstrip(";") for s in statements if s.startswith(prefix)]


# --- SQLite ----------------------------------------------------------------------------------------------
# SQLite's triggers cannot change NEW: they correct the written row afterwards, and recompute totals.


def _sqlite_statements():
    statements = []
    for child, (fk, parent, columns) in COPIES.items():
        sets = ", ".join(
            f"{c} = (SELECT p.{s} FROM {parent} p WHERE p.id = NEW.{fk})" for c, s in columns.items()
        )
        differs = " OR ".join(
            f"{child}.{c} IS NOT (SELECT p.{s} FROM {parent} p WHERE p.id = NEW.{fk})"
            for c, s in columns.items()
        )
        for operation in ("INSERT", "UPDATE"):
            name = f"{PREFIX}_{_short(child)}_copy_{operation.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name};",
                f"""CREATE TRIGGER {name} AFTER {operation} ON {child} FOR EACH ROW BEGIN
                    UPDATE {child} SET {sets} WHERE id = NEW.id AND ({differs});
                END;""",
            ]
    for parent in sorted({p for _f, p, _c in COPIES.values()}):
        updates = []
        watched = set()
        for child, fk, columns in _children(parent):
            sets = ", ".join(f"{c} = NEW.{s}" for c, s in columns.items())
            differs = " OR ".join(f"{c} IS NOT NEW.{s}" for c, s in columns.items())
            updates.append(f"UPDATE {child} SET {sets} WHERE {fk} = NEW.id AND ({differs});")
            watched |= set(columns.values())
        condition = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in sorted(watched))
        name = f"{PREFIX}_{_short(parent)}_follow"
        statements += [
            f"DROP TRIGGER IF EXISTS {name};",
            f"CREATE TRIGGER {name} AFTER UPDATE ON {parent} FOR EACH ROW WHEN {condition} BEGIN "
            + " ".join(updates)
            + " END;",
        ]
    for parent, total, child, fk, amount in TOTALS:
        recompute = f"(SELECT COALESCE(SUM(c.{amount}), 0) FROM {child} c WHERE c.{fk} = {parent}.id)"
        extra = (
            f", current_pagu = {_CURRENT_PAGU.format(a=parent)}" if parent == "programs_allocation" else ""
        )
        for operation in ("INSERT", "UPDATE", "DELETE"):
            rows = {"INSERT": ["NEW"], "UPDATE": ["NEW", "OLD"], "DELETE": ["OLD"]}[operation]
            ids = ", ".join(f"{r}.{fk}" for r in rows)
            name = f"{PREFIX}_{_short(child)}_total_{operation.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name};",
                f"""CREATE TRIGGER {name} AFTER {operation} ON {child} FOR EACH ROW BEGIN
                    UPDATE {parent} SET {total} = {recompute} WHERE id IN ({ids});
                END;""",
            ]
        for operation in ("INSERT", "UPDATE"):
            name = f"{PREFIX}_{_short(parent)}_total_{operation.lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name};",
                f"""CREATE TRIGGER {name} AFTER {operation} ON {parent} FOR EACH ROW BEGIN
                    UPDATE {parent} SET {total} = {recompute}{extra} WHERE id = NEW.id;
                END;""",
            ]
    for operation, rows in (("insert", ["NEW"]), ("update", ["NEW", "OLD"]), ("delete", ["OLD"])):
        ids = ", ".join(f"{r}.allocation_id" for r in rows)
        name = f"{PREFIX}_budgetrevision_pagu_{operation}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name};",
            f"""CREATE TRIGGER {name} AFTER {operation.upper()} ON programs_budgetrevision FOR EACH ROW BEGIN
                UPDATE programs_allocation SET current_pagu = {_CURRENT_PAGU.format(a="programs_allocation")}
                WHERE id IN ({ids});
            END;""",
        ]
    return statements


def install_sql(vendor):
    """CREATE statements of every trigger keeping derived data on this database (idempotent)."""
    if vendor == "postgresql":
        return _pg_statements()
    if vendor == "sqlite":
        return _sqlite_statements()
    raise NotImplementedError(f"derived data is kept by triggers on PostgreSQL and SQLite, not {vendor}")


def uninstall_sql(vendor):
    statements = []
    for trigger in _trigger_names(install_sql(vendor)):
        statements.append(f"DROP TRIGGER IF EXISTS {trigger};")
        if vendor == "postgresql":  # each trigger has a function of its own name
            statements.append(f"DROP FUNCTION IF EXISTS {trigger.split(' ON ')[0]}();")
    return statements


# --- The check -------------------------------------------------------------------------------------------

# Each row's province and year by its foreign keys up to the allocation, never through a copy.
_TO_ALLOCATION = "JOIN programs_allocation al ON al.id = ac.allocation_id"
_FROM_ACTIVITY = f"JOIN programs_activity ac ON ac.id = r.activity_id {_TO_ALLOCATION}"
_FROM_PARTICIPATION = f"JOIN programs_activity ac ON ac.id = pa.activity_id {_TO_ALLOCATION}"
_WALKS = {
    "programs_activity": "JOIN programs_allocation al ON al.id = r.allocation_id",
    "programs_participation": _FROM_ACTIVITY,
    "programs_participant": _FROM_ACTIVITY,
    "programs_attachment": _FROM_ACTIVITY,
    "programs_output": f"JOIN programs_participation pa ON pa.id = r.participation_id {_FROM_PARTICIPATION}",
    "programs_handover": (
        "JOIN programs_output ou ON ou.id = r.output_id "
        f"JOIN programs_participation pa ON pa.id = ou.participation_id {_FROM_PARTICIPATION}"
    ),
}
# What each copied column must equal, in the walk's terms.
_WALKED = {
    "programs_activity": {"province_id": "al.province_id", "year": "al.year"},
    "programs_participation": {"province_id": "al.province_id", "year": "al.year"},
    "programs_participant": {"province_id": "al.province_id", "year": "al.year"},
    "programs_attachment": {"province_id": "al.province_id", "year": "al.year"},
    "programs_output": {"activity_id": "pa.activity_id", "province_id": "al.province_id", "year": "al.year"},
    "programs_handover": {
        "activity_id": "pa.activity_id",
        "province_id": "al.province_id",
        "year": "al.year",
        "product_type": "ou.product_type",
        "output_produced_on": "ou.produced_on",
    },
}


def walk(table):
    """SQL joins from `table r` up to its allocation `al` (and on the way: `ou`, `pa`, `ac`)."""
    return _WALKS[table]


def check_sql():
    """{name: SELECT of the rows whose derived value differs from the records} (both databases)."""
    checks = {}
    for table, walked in _WALKED.items():
        differs = " OR ".join(
            f"r.{column} <> {source} OR (r.{column} IS NULL) <> ({source} IS NULL)"
            for column, source in walked.items()
        )
        shown = ", ".join(f"r.{column}, {source}" for column, source in walked.items())
        checks[f"{table}.copies"] = f"SELECT r.id, {shown} FROM {table} r {walk(table)} WHERE {differs}"
    for parent, total, child, fk, amount in TOTALS:
        recompute = f"(SELECT COALESCE(SUM(c.{amount}), 0) FROM {child} c WHERE c.{fk} = t.id)"
        checks[f"{parent}.{total}"] = (
            f"SELECT t.id, t.{total}, {recompute} FROM {parent} t WHERE t.{total} <> {recompute}"
        )
    checks["programs_allocation.current_pagu"] = (
        f"SELECT t.id, t.current_pagu, {_CURRENT_PAGU.format(a='t')} FROM programs_allocation t "
        f"WHERE t.current_pagu <> {_CURRENT_PAGU.format(a='t')}"
    )
    return checks


def differences(cursor, limit=20):
    """{check: [row, ...]} of every derived value that differs from the records; empty when all agree."""
    found = {}
    for name, sql in check_sql().items():
        cursor.execute(f"{sql} LIMIT {int(limit)}")
        rows = cursor.fetchall()
        if rows:
            found[name] = rows
    return found


def repair(cursor, vendor):
    """Set every derived value from the records again (`manage.py tallies --rebuild`): a repair should a
    value ever be found wrong, e.g. after rows were restored with the triggers off."""
    for child, (fk, _parent, _columns) in COPIES.items():  # parents before children: the order of COPIES
        cursor.execute(f"UPDATE {child} SET {fk} = {fk}")
    if vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks before an ALTER TABLE
    for parent, total, child, fk, amount in TOTALS:
        if vendor == "sqlite":
            cursor.execute(f"UPDATE {parent} SET id = id")
            continue
        # The guard keeps a total from being written from outside the triggers: off for this one statement.
        guard = f"{PREFIX}_{_short(parent)}_b_total"
        cursor.execute(f"ALTER TABLE {parent} DISABLE TRIGGER {guard}")
        cursor.execute(
            f"UPDATE {parent} t SET {total} = (SELECT COALESCE(SUM(c.{amount}), 0) FROM {child} c "
            f"WHERE c.{fk} = t.id)"
        )
        cursor.execute(f"ALTER TABLE {parent} ENABLE ALWAYS TRIGGER {guard}")
    cursor.execute("UPDATE programs_allocation SET current_pagu = current_pagu")
    if vendor == "sqlite":
        cursor.execute(
            f"UPDATE programs_allocation SET current_pagu = {_CURRENT_PAGU.format(a='programs_allocation')}"
        )
