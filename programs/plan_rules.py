"""The plan's rules that span rows, kept by the database on every path (forms, admin, imports, commands,
queryset updates), beside the services that check them first with a message for the person at the form.

A CHECK constraint sees one row; these rules see several, so they are triggers, each named as a constraint
would be (the name is the start of the database's error message, as a constraint's name is):

- `activity_planned_output_of_its_allocation`: an activity's RO is an RO (not a heading) of its allocation;
- `activity_planned_output_required`: in an allocation that has ROs, a new activity names one, and none is
  unset later (activities made before the plan was entered may stay untagged until they are next edited);
- `plan_parent_of_its_allocation`: a plan line's parent is a line of the same allocation;
- `realisation_line_ro_of_its_allocation`, `revision_line_ro_of_its_allocation`: a line's RO is an RO of
  the realisation's or revision's allocation;
- `achievement_of_a_manual_ro`: a monthly achievement is entered only for an RO counted by hand;
- `realisation_in_a_handed_over_package`, `achievement_in_a_handed_over_package`,
  `quarterly_note_in_a_handed_over_package`: no month's realisation or achievement, no quarter's note is
  added to a period whose package (programs_reportpackage) was handed over (prepared, submitted, verified),
  unless it comes in the package's own state (seed data, migrations writing verified records);
- `plan_ro_pagu_sum` (PostgreSQL): when an allocation has ROs, their pagus add up to its current pagu;
- `realisation_lines_sum` (PostgreSQL): when a month's realisation has lines, they add up to its amount.

The two sums are checked when the transaction commits (deferred constraint triggers): a plan is entered, and
money is moved between ROs, one row at a time, and only the whole change must add up. SQLite, the quick
start's database, has no deferred triggers: there the services (programs/planning.py, programs/cashplan.py)
are the only guard of the sums, which the README says. The RPD's revision windows depend on today's date and
the working-day calendar, which no trigger knows: programs/cashplan.py keeps that rule.

Installed after every migrate with the derived data's triggers (programs/apps.py).
"""

# Every SQL text here is built from the constant names below, never from input.
# ruff: noqa: S608

PREFIX = "rule"  # PostgreSQL names are at most 63 characters: the rule, its operations, nothing more

# (rule, table, condition on NEW that breaks it, operations)
_ROW_RULES = (
    (
        "activity_planned_output_of_its_allocation",
        "programs_activity",
        """NEW.planned_output_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM programs_planitem p
            WHERE p.id = NEW.planned_output_id AND p.level = 'ro' AND p.allocation_id = NEW.allocation_id)""",
        ("INSERT", "UPDATE"),
    ),
    (
        "activity_planned_output_required",
        "programs_activity",
        """NEW.planned_output_id IS NULL AND EXISTS (SELECT 1 FROM programs_planitem p
            WHERE p.allocation_id = NEW.allocation_id AND p.level = 'ro')""",
        ("INSERT",),
    ),
    (
        "activity_planned_output_required",
        "programs_activity",
        """NEW.planned_output_id IS NULL
            AND (OLD.planned_output_id IS NOT NULL OR OLD.allocation_id <> NEW.allocation_id)
            AND EXISTS (SELECT 1 FROM programs_planitem p
                WHERE p.allocation_id = NEW.allocation_id AND p.level = 'ro')""",
        ("UPDATE",),
    ),
    (
        "plan_parent_of_its_allocation",
        "programs_planitem",
        """NEW.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM programs_planitem p
            WHERE p.id = NEW.parent_id AND p.allocation_id = NEW.allocation_id)""",
        ("INSERT", "UPDATE"),
    ),
    (
        "realisation_line_ro_of_its_allocation",
        "programs_realisationline",
        """NEW.planned_output_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM programs_planitem p
            JOIN programs_realisation r ON r.allocation_id = p.allocation_id
            WHERE p.id = NEW.planned_output_id AND p.level = 'ro' AND r.id = NEW.realisation_id)""",
        ("INSERT", "UPDATE"),
    ),
    (
        "revision_line_ro_of_its_allocation",
        "programs_revisionline",
        """NOT EXISTS (SELECT 1 FROM programs_planitem p
            JOIN programs_budgetrevision r ON r.allocation_id = p.allocation_id
            WHERE p.id = NEW.planned_output_id AND p.level = 'ro' AND r.id = NEW.revision_id)""",
        ("INSERT", "UPDATE"),
    ),
    (
        "achievement_of_a_manual_ro",
        "programs_achievement",
        """NOT EXISTS (SELECT 1 FROM programs_planitem p
            WHERE p.id = NEW.planned_output_id AND p.level = 'ro' AND p.measure = 'manual')""",
        ("INSERT",),
    ),
    (
        # Moved to another RO; its own workflow (submit, verify) writes it without asking again.
        "achievement_of_a_manual_ro",
        "programs_achievement",
        """NEW.planned_output_id <> OLD.planned_output_id AND NOT EXISTS (SELECT 1 FROM programs_planitem p
            WHERE p.id = NEW.planned_output_id AND p.level = 'ro' AND p.measure = 'manual')""",
        ("UPDATE",),
    ),
)

# A period's package in a state the province can no longer change (workflow.STATES: not editable).
_HANDED_OVER = "('disiapkan', 'diajukan', 'terverifikasi')"
_PACKAGE_RULES = (
    (
        "realisation_in_a_handed_over_package",
        "programs_realisation",
        "k.kind = 'bulanan' AND k.period = NEW.month AND k.allocation_id = NEW.allocation_id",
    ),
    (
        "achievement_in_a_handed_over_package",
        "programs_achievement",
        """k.kind = 'bulanan' AND k.period = NEW.month AND k.allocation_id =
            (SELECT p.allocation_id FROM programs_planitem p WHERE p.id = NEW.planned_output_id)""",
    ),
    (
        "quarterly_note_in_a_handed_over_package",
        "programs_quarterlynote",
        "k.kind = 'triwulanan' AND k.period = NEW.quarter AND k.allocation_id = NEW.allocation_id",
    ),
)
_ROW_RULES += tuple(
    (
        rule,
        table,
        f"""EXISTS (SELECT 1 FROM programs_reportpackage k WHERE {period}
            AND k.review_status IN {_HANDED_OVER} AND k.review_status <> NEW.review_status)""",
        # Also on UPDATE: a record moved into a handed-over period (another month, another allocation), or
        # whose state is set apart from its package's, is refused as a new one would be.
        ("INSERT", "UPDATE"),
    )
    for rule, table, period in _PACKAGE_RULES
)

MESSAGES = {
    "activity_planned_output_of_its_allocation": "the activity's RO is not an RO of its allocation",
    "activity_planned_output_required": "the allocation has a plan: the activity must name one of its RO",
    "plan_parent_of_its_allocation": "the plan line's parent belongs to another allocation",
    "realisation_line_ro_of_its_allocation": "the line's RO is not an RO of the realisation's allocation",
    "revision_line_ro_of_its_allocation": "the line's RO is not an RO of the revision's allocation",
    "achievement_of_a_manual_ro": "a monthly achievement is entered only for an RO counted by hand",
    "realisation_in_a_handed_over_package": (
        "the month's package was handed over: no realisation added or moved in"
    ),
    "achievement_in_a_handed_over_package": (
        "the month's package was handed over: no achievement added or moved in"
    ),
    "quarterly_note_in_a_handed_over_package": (
        "the quarter's package was handed over: no note added or moved in"
    ),
    "plan_ro_pagu_sum": "the RO pagus of the allocation do not add up to its current pagu",
    "realisation_lines_sum": "the lines of the realisation do not add up to its amount",
}

# Deferred sums (PostgreSQL): (rule, the check of one id, [(table, operations, the id from the row)]).
_PLAN_SUM = """
    IF EXISTS (SELECT 1 FROM programs_allocation a WHERE a.id = {id}
        AND EXISTS (SELECT 1 FROM programs_planitem p WHERE p.allocation_id = a.id AND p.level = 'ro')
        AND a.current_pagu <> (SELECT sum(p.pagu) FROM programs_planitem p
            WHERE p.allocation_id = a.id AND p.level = 'ro')) THEN
        RAISE EXCEPTION 'plan_ro_pagu_sum: %', '{message}' USING ERRCODE = 'check_violation';
    END IF;"""
_LINES_SUM = """
    IF EXISTS (SELECT 1 FROM programs_realisation r WHERE r.id = {id}
        AND EXISTS (SELECT 1 FROM programs_realisationline l WHERE l.realisation_id = r.id)
        AND r.amount <> (SELECT sum(l.amount) FROM programs_realisationline l WHERE l.realisation_id = r.id))
    THEN
        RAISE EXCEPTION 'realisation_lines_sum: %', '{message}' USING ERRCODE = 'check_violation';
    END IF;"""
_SUMS = (
    (
        "plan_ro_pagu_sum",
        _PLAN_SUM,
        (
            ("programs_planitem", "INSERT OR UPDATE OR DELETE", "allocation_id"),
            ("programs_allocation", "UPDATE OF pagu, current_pagu", "id"),
        ),
    ),
    (
        "realisation_lines_sum",
        _LINES_SUM,
        (
            ("programs_realisationline", "INSERT OR UPDATE OR DELETE", "realisation_id"),
            ("programs_realisation", "INSERT OR UPDATE OF amount", "id"),
        ),
    ),
)


def _short(table):
    return table.removeprefix("programs_")


def _said(rule):
    return MESSAGES[rule].replace("'", "''")  # an SQL string literal


def _pg_statements():
    statements = []
    for rule, table, condition, operations in _ROW_RULES:
        name = f"{PREFIX}_{rule}_{''.join(o[0].lower() for o in operations)}"
        statements += [
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                IF {condition} THEN
                    RAISE EXCEPTION '{rule}: %', '{_said(rule)}' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $body$;""",
            f"DROP TRIGGER IF EXISTS {name} ON {table};",
            f"CREATE TRIGGER {name} BEFORE {' OR '.join(operations)} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {name}();",
        ]
    for rule, check, watched in _SUMS:
        for table, operations, column in watched:
            name = f"{PREFIX}_{rule}_{_short(table)}"
            body = "\n".join(
                [
                    "IF TG_OP <> 'DELETE' THEN",
                    check.format(id=f"NEW.{column}", message=_said(rule)),
                    "END IF;",
                    "IF TG_OP <> 'INSERT' THEN",
                    check.format(id=f"OLD.{column}", message=_said(rule)),
                    "END IF;",
                    "RETURN NULL;",
                ]
            )
            statements += [
                f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                {body}
                END
                $body$;""",
                f"DROP TRIGGER IF EXISTS {name} ON {table};",
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {operations} ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}();",
            ]
    return statements


def _sqlite_statements():
    statements = []
    for rule, table, condition, operations in _ROW_RULES:
        for operation in operations:
            name = f"{PREFIX}_{rule}_{operation[0].lower()}"
            statements += [
                f"DROP TRIGGER IF EXISTS {name};",
                f"""CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW WHEN {condition} BEGIN
                    SELECT RAISE(ABORT, '{rule}: {_said(rule)}');
                END;""",
            ]
    return statements


def _names_fit(statements):
    names = [
        s.removeprefix("DROP TRIGGER IF EXISTS ").split(" ")[0].rstrip(";")
        for s in statements
        if s.startswith("DROP")
    ]
    assert len(set(names)) == len(names) and max(map(len, names)) <= 63, names
    return statements


def install_sql(vendor):
    """CREATE statements of every rule's trigger on this database (idempotent)."""
    if vendor == "postgresql":
        return _names_fit(_pg_statements())
    if vendor == "sqlite":
        return _names_fit(_sqlite_statements())
    raise NotImplementedError(f"the plan's rules are kept by triggers on PostgreSQL and SQLite, not {vendor}")


def uninstall_sql(vendor):
    statements = []
    for statement in install_sql(vendor):
        if statement.startswith("DROP TRIGGER IF EXISTS "):
            statements.append(statement)
            if vendor == "postgresql":
                trigger = statement.removeprefix("DROP TRIGGER IF EXISTS ").split(" ON ")[0]
                statements.append(f"DROP FUNCTION IF EXISTS {trigger}();")
    return statements
