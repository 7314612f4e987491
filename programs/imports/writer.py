"""Writing the planned rows with their history rows (who imported, when): COPY on PostgreSQL, the ORM's
bulk inserts elsewhere, all in one transaction.
"""

import csv
import io
import operator
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, TextField
from simple_history.utils import get_history_manager_for_model

from ..bulk import DEFAULT_BATCH_SIZE, bulk_create_with_history, has_history
from ..models import Firm, Participant, Participation
from .plan import chunks

# --- Writing rows with their history ------------------------------------------------------------------------


def _use_copy():
    return connection.vendor == "postgresql" and COPY_ENABLED


# PostgreSQL COPY for speed; the ORM path (programs.bulk) everywhere else and when this is off.
COPY_ENABLED = True


class RowWriter:
    """Inserts and updates rows of a model, each with its history row stamped with the user and a reason.

    Rows are dicts of attname → value, complete (every concrete field but the primary key of a new row).
    """

    def __init__(self, *, user, reason, now):
        self.user, self.reason, self.now = user, reason[:100], now

    def insert(self, model, rows):
        if not rows:
            return
        if _use_copy():
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, model._meta.pk.column, len(rows)],
                )
                for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                    row[model._meta.pk.attname] = pk
                self._copy(cursor, table, model._meta.concrete_fields, rows)
            self._history(model, rows, "+")
            return
        objs = [model(**row) for row in rows]
        bulk_create_with_history(objs, model, user=self.user, reason=self.reason)
        for row, obj in zip(rows, objs, strict=True):
            row[model._meta.pk.attname] = obj.pk

    def update(self, model, rows):
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        if _use_copy():
            qn = connection.ops.quote_name
            table, temp = (
                qn(model._meta.db_table),
                qn(f"import_{model._meta.model_name}_{secrets.token_hex(4)}"),
            )
            columns = [f.column for f in model._meta.concrete_fields]
            pk = qn(model._meta.pk.column)
            assignments = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in fields)
            column_list = ", ".join(qn(c) for c in columns)
            # Identifiers from the model's own metadata, quoted; every value goes through COPY.
            create = f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {column_list} FROM {table}"  # noqa: S608
            update = f"UPDATE {table} AS t SET {assignments} FROM {temp} AS s WHERE t.{pk} = s.{pk}"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(f"{create} WITH NO DATA")
                self._copy(cursor, temp, model._meta.concrete_fields, rows, quoted=True)
                cursor.execute(update)
                cursor.execute(f"DROP TABLE {temp}")
            self._history(model, rows, "~")
            return
        # Django's bulk_update builds a CASE per field with a branch per row: 4 ms a row in Python. One
        # parameterised UPDATE run for every row costs a fraction of that, on any database.
        qn = connection.ops.quote_name
        pk = model._meta.pk
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        update = f"UPDATE {qn(model._meta.db_table)} SET {assignments} WHERE {qn(pk.column)} = %s"  # noqa: S608
        params = [
            [f.get_db_prep_save(row[f.attname], connection) for f in fields] + [row[pk.attname]]
            for row in rows
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(update, params)
            if has_history(model) and getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
                get_history_manager_for_model(model).bulk_history_create(
                    [model(**row) for row in rows],
                    batch_size=DEFAULT_BATCH_SIZE,
                    update=True,
                    default_user=self.user,
                    default_change_reason=self.reason,
                    default_date=self.now,
                )

    def _copy(self, cursor, table, fields, rows, quoted=False):
        """COPY rows in CSV form: the csv module writes them in C. An empty unquoted field is NULL, except in
        the text columns that cannot be NULL (FORCE_NOT_NULL), where it is the empty string."""
        qn = connection.ops.quote_name
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            map(operator.itemgetter(*[f.attname for f in fields]), rows)
        )
        texts = [qn(f.column) for f in fields if isinstance(f, CharField | TextField) and not f.null]
        options = f", FORCE_NOT_NULL ({', '.join(texts)})" if texts else ""
        columns = ", ".join(qn(f.column) for f in fields)
        sql = f"COPY {table if quoted else qn(table)} ({columns}) FROM STDIN WITH (FORMAT csv{options})"
        raw = cursor.cursor
        # The driver's own cursor raises the driver's errors (psycopg2's UniqueViolation when another import
        # wrote the same firm meanwhile): wrapped, they are Django's IntegrityError that _import turns into
        # a message.
        with connection.wrap_database_errors:
            if hasattr(raw, "copy_expert"):  # psycopg2
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())

    def _history(self, model, rows, history_type):
        if not has_history(model) or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return
        history = get_history_manager_for_model(model).model
        stamp = {
            "history_date": self.now,
            "history_change_reason": self.reason,
            "history_type": history_type,
            "history_user_id": self.user.pk if self.user else None,
        }
        fields = [f for f in history._meta.concrete_fields if not f.primary_key]
        unknown = [f.attname for f in fields if f.attname not in stamp and f.attname not in rows[0]]
        if unknown:  # a history field this writer would leave out: refuse rather than lose it
            raise RuntimeError(f"{history.__name__}: unknown history fields {unknown}")
        history_rows = [{**row, **stamp} for row in rows]
        with connection.cursor() as cursor:
            self._copy(cursor, history._meta.db_table, fields, history_rows)


def write(plan, *, user, reason, now, progress=None):
    writer = RowWriter(user=user, reason=reason, now=now)
    steps = [
        (model, action) for model in (Firm, Participation, Participant) for action in ("insert", "update")
    ]
    total = sum(len(rows) for rows in (*plan.inserts.values(), *plan.updates.values()))
    done = 0
    for model, action in steps:
        rows = (plan.inserts if action == "insert" else plan.updates).get(model, [])
        if model is Participation:
            for row in rows:
                if "firm" in row:
                    row["firm_id"] = row.pop("firm")["id"]
        for chunk in chunks(rows, 10_000):
            getattr(writer, action)(model, chunk)
            done += len(chunk)
            if progress:
                progress("simpan", done, total)
