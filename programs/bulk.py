"""Bulk writes that keep the audit trail: every bulk insert also writes its history rows.

`Model.objects.bulk_create` skips `save()` and its signals, so django-simple-history would record nothing.
Every bulk write of programme data goes through `bulk_create_with_history` instead, which inserts the
rows and their historical records in one transaction, stamped with the acting user and a reason.

`bulk_create` also skips the models' own `save()` logic: callers set the copied fields (province, year,
activity) and running totals (`current_pagu`, `realised_total`, `handed_over_total`) themselves.
"""

from django.db import transaction
from django.utils import timezone
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import bulk_create_with_history as _simple_history_bulk_create
from simple_history.utils import get_history_manager_for_model

DEFAULT_BATCH_SIZE = 2000
DEFAULT_REASON = "Impor massal"


def has_history(model):
    try:
        get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return False
    return True


def bulk_create_with_history(objs, model, *, user=None, reason=DEFAULT_REASON, batch_size=DEFAULT_BATCH_SIZE):
    """Insert `objs` (unsaved `model` instances) in batches with one history row each; returns them with pks.

    Models without history (e.g. ReviewEvent, itself a log) are inserted plainly, so a caller can send
    every bulk write through here. On databases that do not return primary keys from a bulk insert,
    django-simple-history finds the rows again by their values (slower, but still one history row each).
    """
    objs = list(objs)
    if not objs:
        return []
    with transaction.atomic():
        if not has_history(model):
            return model._default_manager.bulk_create(objs, batch_size=batch_size)
        return _simple_history_bulk_create(
            objs,
            model,
            batch_size=batch_size,
            default_user=user,
            default_change_reason=reason,
            default_date=timezone.now(),
        )


def bulk_link_with_history(model, field_name, links, *, batch_size=DEFAULT_BATCH_SIZE):
    """Insert many-to-many rows `links` = [(object pk, target pk)] for objects just bulk-created.

    The links are recorded on each object's latest history row, as the history of a `save()` followed by
    `.add()` would show them, when the model's history tracks that field (`m2m_fields`).
    """
    links = list(links)
    if not links:
        return
    field = model._meta.get_field(field_name)
    through = field.remote_field.through
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    with transaction.atomic():
        rows = through._default_manager.bulk_create(
            [through(**{source: a, target: b}) for a, b in links], batch_size=batch_size
        )
        if not has_history(model):
            return
        history_model = get_history_manager_for_model(model).model
        m2m_history = getattr(history_model, field_name, None)
        if m2m_history is None:
            return
        if rows[0].pk is None:  # the database did not return the new rows' keys: read them back
            rows = through._default_manager.filter(**{f"{source}__in": {a for a, _ in links}})
        pk_name = model._meta.pk.attname
        latest = dict(
            history_model.objects.filter(**{f"{pk_name}__in": {a for a, _ in links}})
            .order_by("history_date", "history_id")
            .values_list(pk_name, "history_id")
        )
        # A historical link row copies the link row (its id included) and points at the history row.
        columns = [f.attname for f in through._meta.concrete_fields]
        m2m_history.model._default_manager.bulk_create(
            [
                m2m_history.model(
                    history_id=latest[getattr(row, source)], **{c: getattr(row, c) for c in columns}
                )
                for row in rows
            ],
            batch_size=batch_size,
        )
