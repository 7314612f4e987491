"""Report queries on a read replica.

Installed only when DATABASE_REPLICA_URL is set (see settings). Code that builds a report wraps its reads:

    from ikm_dekon.db_router import replica_reads

    with replica_reads():
        rows = list(national_recap(year))

or decorates the report function with `@replica_reads()`. Inside, every read goes to the `replica` alias;
writes, and reads anywhere else (forms, workflow, sign-in), stay on `default`, so nobody reads their own
write from a replica that lags behind. A report may be a few seconds behind the primary.
"""

from contextlib import contextmanager
from contextvars import ContextVar

REPLICA = "replica"
_reporting = ContextVar("ikm_dekon_replica_reads", default=False)


@contextmanager
def replica_reads():
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


class ReportReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if _reporting.get() else None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the same database: rows from either may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replication copies the schema; only the primary is migrated.
        return db != REPLICA
