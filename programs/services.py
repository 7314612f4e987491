"""State changes of the programme: each is one atomic function that takes the acting user (`actor=`),
checks the actor's rights through the one scoping mechanism, writes the change and records it.

Views call these; they never change workflow state themselves.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, checklist, notices, numbers, packages, workflow
from .models import (
    Achievement,
    Activity,
    FiscalYear,
    Handover,
    PackageKind,
    Realisation,
    ReportPackage,
    ReviewEvent,
)
from .workflow import ReviewAction

log = logging.getLogger("ikm_dekon.workflow")

# The records with workflow actions of their own. A month's realisation and achievements and a quarter's
# note have none: they follow their package (ReportPackage), whose transition writes their state.
REVIEWABLE = (Activity, ReportPackage)
_LOCKED = gettext_lazy(
    "Data ini di luar wewenang Anda atau terkunci "
    "(sudah diajukan, diverifikasi, atau tahun anggaran ditutup)."
)


class ConcurrentEditError(Exception):
    """Someone else saved the record since this form was opened."""

    message = gettext_lazy(
        "Data ini sudah diubah orang lain sejak Anda membukanya. Muat ulang halaman, periksa perubahannya, "
        "lalu simpan lagi."
    )


def _province_of(obj):
    if isinstance(obj, Activity):
        return obj.province_id
    if isinstance(obj, Achievement):
        return obj.planned_output.allocation.province_id
    return obj.allocation.province_id


def _lock(obj):
    """Re-read the row under a lock so two transitions of one record cannot interleave."""
    # Only the record's own row (of="self"): the parents joined for reading stay unlocked, so a save that
    # locks the allocation, then the package (save_edit), and a transition never wait on each other.
    return type(obj).objects.select_for_update(of=("self",)).select_related(*_parents(obj)).get(pk=obj.pk)


def _parents(obj):
    # Down to the province: the notices name it (notices.describe).
    if isinstance(obj, Achievement):
        return ["planned_output__allocation__province"]
    return ["allocation__province"] if isinstance(obj, (Realisation, ReportPackage)) else []


def _require_note(note):
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Catatan wajib diisi.")})
    return note


def transition(obj, *, actor, action, note=""):
    """Take a workflow action (programs/workflow.py) on an activity or a period's package: the actor's
    right, the fiscal year, the record's state and the note are checked against the table, under a row lock;
    the change, its history row and one ReviewEvent are written at once; a package's records (its month's
    realisation and achievements, its quarter's note) take its new state in the same transaction, each
    with its history row; who is told is decided by programs/notices.py in the same transaction."""
    if type(obj) not in REVIEWABLE:
        raise TypeError(f"{type(obj).__name__} has no review workflow")
    step = workflow.TRANSITIONS[action]
    if workflow.flow_of(obj) not in step.applies_to:
        raise ValidationError(
            _("Tindakan %(action)s tidak berlaku untuk data ini.") % {"action": str(step.label).lower()}
        )
    note = _require_note(note) if step.note_required else ""
    with transaction.atomic():
        current = _lock(obj)
        year = access.year_of(current)
        # Read once for both checks; a package's period too, only its own (one query each), for the steps
        # of the province that may_take asks it for.
        closed_years = access.closed_year_set()
        access.check_year_open(actor, year, closed_years=closed_years)
        periods = None
        if isinstance(current, ReportPackage) and step.who == workflow.Who.PROVINCE:
            periods = access.ClosedPeriods.of_period(year, current.kind, current.period)
        if not access.may_take(actor, step, current, closed_years=closed_years, periods=periods):
            raise PermissionDenied(access.refusal(step))
        if current.review_status not in step.from_states:
            raise ValidationError(
                _("Tidak dapat %(action)s: status saat ini %(status)s.")
                % {"action": str(step.label).lower(), "status": current.get_review_status_display()}
            )
        package = isinstance(current, ReportPackage)
        # The package first, then what it holds: every transition locks in that order.
        parts = packages.components(current, lock=True) if package else []
        from_status = current.review_status
        now = timezone.now()
        changes = {"review_status": step.to_state, "version": current.version + 1}
        if step.stamp == "submitted":
            changes["submitted_at"] = now
            if package:
                packages.check_preparable(current, parts)
                changes.update(submitted_by=actor, approved_at=None, approved_by=None)
                if current.kind == PackageKind.MONTHLY:
                    changes["cash_plan"] = packages.plan_in_force(current.allocation)
            else:
                # What the activity lacks, as its checklist page says it, under the row lock.
                checklist.check_submittable(current)
        elif step.stamp == "approved":
            changes.update(approved_at=now, approved_by=actor)
        else:
            changes.update(reviewed_at=now, reviewed_by=actor, review_note=note)
        for field, value in changes.items():
            setattr(current, field, value)
        current._history_user = actor
        current._change_reason = str(step.label)
        current.save(update_fields=[*changes, "updated_at"])
        for part in parts:
            _follow(part, current, actor=actor, reason=str(step.label))
        ReviewEvent.objects.create(
            content_type=ContentType.objects.get_for_model(current),
            object_id=current.pk,
            province_id=_province_of(current),
            year=year,
            action=step.action,
            from_status=from_status,
            to_status=step.to_state,
            note=note,
            actor=actor,
            at=now,
        )
        # Who is told (inbox and mail), written in the same transaction as the change it tells of.
        notices.on_transition(current, step, actor=actor, note=note)
    log.info(
        "workflow %s",
        step.action,
        extra={
            "user": actor.username,
            "province": _province_of(current),
            "object": f"{type(current).__name__}:{current.pk}",
        },
    )
    obj.__dict__.update({k: getattr(current, k) for k in ("review_status", "review_note", "version")})
    return current


# The state a package's records copy from it.
_FOLLOWED = ("review_status", "review_note", "submitted_at", "reviewed_at", "reviewed_by")


def _follow(part, package, *, actor, reason):
    """A record of a package takes the package's state (and its stamps and note), with its history row."""
    for field in _FOLLOWED:
        setattr(part, field, getattr(package, field))
    part.version += 1
    part._history_user = actor
    part._change_reason = reason
    part.save(update_fields=[*_FOLLOWED, "version", "updated_at"])


def submit(*, obj, actor):
    """Operator sends a draft or a returned activity to the ministry for verification."""
    return transition(obj, actor=actor, action=ReviewAction.SUBMIT)


def prepare(*, package, actor):
    """The province's operator hands a period's package to its Kepala Dinas."""
    return transition(package, actor=actor, action=ReviewAction.PREPARE)


def approve(*, package, actor):
    """The Kepala Dinas approves a prepared package: it goes to the ministry and is locked."""
    return transition(package, actor=actor, action=ReviewAction.APPROVE)


def verify(*, obj, actor):
    """Ministry staff accept a submitted record; it becomes read-only for the province."""
    return transition(obj, actor=actor, action=ReviewAction.VERIFY)


def return_for_correction(*, obj, actor, note):
    """Ministry staff send a submitted record back with a note; the province's operators are told."""
    return transition(obj, actor=actor, action=ReviewAction.RETURN, note=note)


def reopen(*, obj, actor, note):
    """Ministry staff reopen a verified record (with a note): it goes back to the province as returned."""
    return transition(obj, actor=actor, action=ReviewAction.REOPEN, note=note)


def close_fiscal_year(*, year, actor):
    """Ministry staff close a year: everything in it becomes read-only for all but admins."""
    if not access.may_close_year(actor):
        raise PermissionDenied(_("Hanya staf kementerian yang dapat menutup tahun anggaran."))
    with transaction.atomic():
        fiscal_year, _created = FiscalYear.objects.select_for_update().get_or_create(year=year)
        if fiscal_year.is_closed:
            raise ValidationError(_("Tahun anggaran %(y)s sudah ditutup.") % {"y": year})
        fiscal_year.closed_at = timezone.now()
        fiscal_year.closed_by = actor
        fiscal_year._history_user = actor
        fiscal_year._change_reason = "Tahun anggaran ditutup"
        fiscal_year.save()
    log.info(
        "fiscal year closed", extra={"user": actor.username, "province": None, "object": f"FiscalYear:{year}"}
    )
    return fiscal_year


def reopen_fiscal_year(*, year, actor):
    """Ministry staff open a closed year again (a late correction); logged as its closing is."""
    if not access.may_reopen_year(actor):
        raise PermissionDenied(_("Hanya staf kementerian yang dapat membuka kembali tahun anggaran."))
    with transaction.atomic():
        fiscal_year = FiscalYear.objects.select_for_update().get(year=year)
        if not fiscal_year.is_closed:
            raise ValidationError(_("Tahun anggaran %(y)s tidak sedang ditutup.") % {"y": year})
        fiscal_year.closed_at = None
        fiscal_year.closed_by = None
        fiscal_year._history_user = actor
        fiscal_year._change_reason = "Tahun anggaran dibuka kembali"
        fiscal_year.save()
    log.info(
        "fiscal year reopened",
        extra={"user": actor.username, "province": None, "object": f"FiscalYear:{year}"},
    )
    return fiscal_year


# --- Saving edits ------------------------------------------------------------------------------------------


class AlreadyDeleted(Exception):
    """The record was deleted in between (a double click, another tab, a colleague)."""

    message = gettext_lazy("Data ini sudah dihapus sebelumnya (klik ganda, tab lain, atau pengguna lain).")


# The parents whose running total a row's write changes (programs/derived.py). Their rows are locked first,
# in key order, by every write of such a row: two requests on one output or allocation then wait for each
# other (the second sees the first's rows when it checks the rules) instead of deadlocking, and the order
# parent-then-row is the one the database's triggers follow too.
TOTAL_PARENTS = {Realisation: "allocation", Handover: "output"}
# Deadlock and serialization failure: PostgreSQL rolled the transaction back; it may simply run again.
RETRYABLE = {"40P01", "40001"}
ATTEMPTS = 3


def retried(write, reset=None):
    """Run `write()` in its own transaction, again (up to ATTEMPTS) when PostgreSQL chose it as a deadlock
    victim: nobody sees a server error for a collision the database resolved by rolling one back. Inside
    an outer transaction (the admin's, a command's) it runs once: only the outermost may retry. `reset()`
    puts the objects back as they were before a rolled-back attempt."""
    if transaction.get_connection().in_atomic_block:
        # A savepoint: a write refused after its save (a forged scope) leaves the outer transaction clean.
        with transaction.atomic():
            return write()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if reset is not None and attempt > 1:
                reset()
            with transaction.atomic():
                return write()
        except OperationalError as e:
            if getattr(e.__cause__, "pgcode", None) not in RETRYABLE or attempt == ATTEMPTS:
                raise
            log.warning("write retried after %s", e.__cause__.pgcode, extra={"attempt": attempt})
    raise AssertionError("unreachable")


def lock_total_parents(model, pk, parent_id):
    """Lock, in key order, the parent whose running total a write of `model` row `pk` (None: a new row)
    changes: the one it will have (`parent_id`) and the one it has now."""
    field = TOTAL_PARENTS.get(model)
    if field is None:
        return
    ids = {parent_id}
    if pk is not None:
        ids.add(model._base_manager.filter(pk=pk).values_list(f"{field}_id", flat=True).first())
    parent = model._meta.get_field(field).related_model
    list(parent._base_manager.select_for_update().filter(pk__in=ids - {None}).order_by("pk").values("pk"))


def _lock_total_parents(instance):
    field = TOTAL_PARENTS.get(type(instance))
    if field is not None:
        lock_total_parents(type(instance), instance.pk, getattr(instance, f"{field}_id"))


def save_edit(instance, *, actor, expected_version=None, m2m=None):
    """Save a created or edited record in the user's scope, refusing a stale edit.

    `expected_version` is the version the user's form was built from; if the row moved on since, the
    save is refused with ConcurrentEditError and nothing is written (no history row either). A row counted
    into a parent's running total is checked again by its model's rules once the parent is locked, so two
    requests at once cannot both pass a limit that only one fits in.
    """
    model = type(instance)
    editable = model.objects.editable_by(actor)
    adding, pk, version = instance._state.adding, instance.pk, getattr(instance, "version", None)

    def write():
        instance._state.adding, instance.pk, instance.version = adding, pk, version  # as before a retry
        _lock_total_parents(instance)
        packages.hold_periods_of(instance, actor=actor)
        if instance.pk is not None:
            if not editable.filter(pk=instance.pk).exists():
                raise PermissionDenied(_LOCKED)
            expected = instance.version if expected_version is None else expected_version
            if not model.objects.filter(pk=instance.pk, version=expected).update(version=F("version") + 1):
                raise ConcurrentEditError()
            instance.version = expected + 1
        if model in TOTAL_PARENTS:
            instance.clean()
        instance._history_user = actor
        instance.save()
        if m2m:
            m2m()
        # The same scope decides where the saved row may land: a forged province, activity or
        # allocation outside the user's editable scope rolls the whole write back.
        if not editable.filter(pk=instance.pk).exists():
            raise PermissionDenied(_LOCKED)

    retried(write)
    return instance


def delete_record(instance, *, actor, expected_version=None):
    """Delete a record in the user's scope. The row is locked first: of two deletes at once (a double click)
    the second waits, then finds it gone and says so (AlreadyDeleted) instead of deleting it again."""
    model = type(instance)

    def write():
        _lock_total_parents(instance)
        stored = model._base_manager.select_for_update().filter(pk=instance.pk).values("version").first()
        if stored is None:
            raise AlreadyDeleted()
        if not model.objects.editable_by(actor).filter(pk=instance.pk).exists():
            raise PermissionDenied(_LOCKED)
        if expected_version is not None and stored["version"] != expected_version:
            raise ConcurrentEditError()
        instance._history_user = actor
        instance.delete()

    retried(write)


# --- Bulk entry on the activity page (issue 18) ----------------------------------------------------------
# Many firms, outputs or handovers of one activity in one request: all or nothing, every row checked by its
# model's rules (handovers again under the lock of their outputs), one history row per record stamped with
# the acting user. The rows are inserted by programs/bulk.py; the database's triggers keep their copies and
# totals.

BULK_REASON = "Entri massal"


class RowsRefused(Exception):
    """A bulk write refused; nothing was written. `rows`: {row key: [messages]}; `shared`: {field: [messages]}
    for the values filled once for every row (None: the form as a whole)."""

    def __init__(self, rows=None, shared=None):
        super().__init__("bulk write refused")
        self.rows = rows or {}
        self.shared = shared or {}


def _editable_activity_or_refuse(activity, actor):
    """The activity still the actor's to change, its row locked until the bulk write commits: a submit
    (`transition` locks the same row, then runs the checklist) waits for the rows to land, or the write
    waits for the submit and is then refused."""
    editable = Activity.objects.editable_by(actor).filter(pk=activity.pk)
    if Activity.objects.select_for_update(of=("self",)).filter(pk__in=editable.values("pk")).first() is None:
        raise PermissionDenied(_LOCKED)


def _check_rows(instances, row_fields):
    """full_clean() of every instance; their errors split into the row's (fields in `row_fields`) and the
    shared fields' (each message once). Raises RowsRefused when any."""
    rows, shared = {}, {}
    for key, instance in instances.items():
        try:
            instance.full_clean(validate_unique=False)
        except ValidationError as e:
            for field, messages in e.message_dict.items():
                target = rows.setdefault(key, []) if field in row_fields else shared.setdefault(field, [])
                target.extend(m for m in messages if m not in target)
    if rows or shared:
        raise RowsRefused(rows, shared)


def _insert(model, instances, actor):
    from . import bulk

    created = bulk.bulk_create_with_history(list(instances), model, user=actor, reason=BULK_REASON)
    # The same scope decides where the rows landed (as save_edit's): outside it, everything is rolled back.
    if model.objects.editable_by(actor).filter(pk__in=[o.pk for o in created]).count() != len(created):
        raise PermissionDenied(_LOCKED)
    return created


def add_participations(*, activity, firms, actor, note=""):
    """Add `firms` (of the activity's province, none of them in it yet) to an editable activity at once."""
    from .models import Participation

    def write():
        _editable_activity_or_refuse(activity, actor)
        taken = set(
            Participation.objects.filter(activity=activity, firm__in=firms).values_list("firm_id", flat=True)
        )
        rows = {
            firm.pk: Participation(
                activity=activity, firm=firm, note=note, province_id=activity.province_id, year=activity.year
            )
            for firm in firms
        }
        refused = {
            pk: [_("%(firm)s sudah tercatat sebagai peserta kegiatan ini.") % {"firm": rows[pk].firm}]
            for pk in taken
        }
        if refused:
            raise RowsRefused(refused)
        _check_rows(rows, {"firm"})
        return _insert(Participation, rows.values(), actor)

    return retried(write)


def record_outputs(*, activity, quantities, actor, **shared):
    """One output per participation with a quantity: `quantities` = {participation: quantity}; `shared` the
    values filled once (product, product_type, unit, produced_on, meets_standard)."""
    from .models import Output

    def write():
        _editable_activity_or_refuse(activity, actor)
        rows = {}
        for participation, quantity in quantities.items():
            if participation.activity_id != activity.pk:
                raise PermissionDenied(_LOCKED)
            rows[participation.pk] = Output(
                participation=participation,
                activity_id=activity.pk,
                province_id=activity.province_id,
                year=activity.year,
                quantity=quantity,
                **shared,
            )
        _check_rows(rows, {"quantity", "participation"})
        return _insert(Output, rows.values(), actor)

    return retried(write)


def record_handovers(*, activity, quantities, actor, **shared):
    """One handover per output with a quantity, to one recipient: `quantities` = {output pk: quantity};
    `shared` the values filled once (recipient_type, recipient, recipient_name, handed_on, bast_number).

    The outputs are locked first, in key order (as every handover's write does: TOTAL_PARENTS), and read
    again under the lock: two bulk handovers at once never hand over more than was produced; the second
    sees what the first left and is refused on the rows it no longer fits."""
    from .models import Output

    def write():
        _editable_activity_or_refuse(activity, actor)
        locked = {
            o.pk: o
            for o in Output.objects.select_for_update(of=("self",))
            .filter(activity=activity, pk__in=list(quantities))
            .order_by("pk")
        }
        if len(locked) != len(quantities):
            raise PermissionDenied(_LOCKED)
        rows, refused = {}, {}
        for pk, quantity in quantities.items():
            output = locked[pk]
            if quantity > output.remaining:
                refused[pk] = [
                    _("Melebihi sisa hasil ini: tersisa %(n)s %(u)s.")
                    % {"n": numbers.grouped(output.remaining), "u": output.unit}
                ]
            rows[pk] = Handover(
                output=output,
                activity_id=activity.pk,
                province_id=output.province_id,
                year=output.year,
                product_type=output.product_type,
                output_produced_on=output.produced_on,
                quantity=quantity,
                **shared,
            )
        if refused:
            raise RowsRefused(refused)
        _check_rows(rows, {"quantity", "output", "handed_on"})  # the date: against the row's production
        created = _insert(Handover, rows.values(), actor)
        # What is left of each output now (the triggers updated their totals): one query.
        return created, Output.objects.in_bulk(sorted(locked))

    return retried(write)
