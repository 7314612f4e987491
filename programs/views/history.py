"""History pages: every record's changes field by field, with who and when, also after it was deleted, for
those who may see its province.
"""

from collections import defaultdict

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access
from ..access import get_visible_or_404
from ..models import (
    Achievement,
    Activity,
    Allocation,
    Attachment,
    BudgetRevision,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    PlanItem,
    QuarterlyNote,
    Realisation,
    ReportPackage,
)
from ..numbers import is_quantity
from .common import paginate

# --- History ---------------------------------------------------------------------------------------------

HISTORY_MODELS = {
    "kegiatan": Activity,
    "ikm": Firm,
    "mitra": Partner,
    "alokasi": Allocation,
    "revisi": BudgetRevision,
    "realisasi": Realisation,
    "peserta-ikm": Participation,
    "peserta": Participant,
    "hasil": Output,
    "penyerahan": Handover,
    "lampiran": Attachment,
    "catatan-triwulan": QuarterlyNote,
    "rencana": PlanItem,
    "capaian": Achievement,
    "paket": ReportPackage,
}


def history(request, kind, pk):
    model = HISTORY_MODELS.get(kind)
    if model is None:
        raise Http404
    return history_page(request, model, pk, kind)


# --- History pages ---

HIDDEN_FIELDS = {"version", "created_at", "updated_at"}
# Lazy: built at import time, read in the language of each request.
TYPE_LABELS = {"+": gettext_lazy("Dibuat"), "~": gettext_lazy("Diubah"), "-": gettext_lazy("Dihapus")}
PAGE = 100


def _province_of_record(record):
    if hasattr(record, "province_id"):
        return record.province_id
    if hasattr(record, "planned_output_id"):  # an achievement: its RO's allocation's province
        return (
            PlanItem.objects.filter(pk=record.planned_output_id)
            .values_list("allocation__province_id", flat=True)
            .first()
        )
    return Allocation.objects.filter(pk=record.allocation_id).values_list("province_id", flat=True).first()


def _regency_of_record(record):
    """The regency of a deleted activity, or of a deleted part's activity (as it stands, or as last kept)."""
    if not hasattr(record, "activity_id"):
        return record.regency_id
    activity = Activity._base_manager.filter(pk=record.activity_id).values_list("regency_id", flat=True)
    if activity.exists():
        return activity.first()
    kept = Activity.history.filter(id=record.activity_id).order_by("-history_date", "-history_id")
    return kept.values_list("regency_id", flat=True).first()


def _fields(model):
    """The fields the history keeps (personal data such as a NIK is left out of it)."""
    kept = {f.name for f in model.history.model._meta.concrete_fields}
    return [
        f
        for f in model._meta.concrete_fields
        if f.name in kept and f.name not in HIDDEN_FIELDS and not f.primary_key
    ]


def history_page(request, model, pk, kind):
    kept = model.history.filter(id=pk).select_related("history_user").order_by("-history_date", "-history_id")
    # Most records fit one page, read in one query; an often-edited one (thousands of versions) is paged,
    # none left out: the oldest of a page is compared with the newest of the next.
    page, records = None, [] if request.GET.get("halaman") else list(kept[: PAGE + 1])
    if len(records) > PAGE or request.GET.get("halaman"):
        page = paginate(request, kept, PAGE)
        records = list(page)
    if not records:
        raise Http404
    next_older = kept[page.end_index() : page.end_index() + 1] if page and page.has_next() else []
    newest = records[0] if page is None or page.number == 1 else kept.first()
    if model.objects.filter(pk=pk).exists():
        current = get_visible_or_404(model.objects.all(), request.user, pk=pk)
    else:
        current = None
        last = newest
        if not access.deleted_record_visible(
            request.user, model, _province_of_record(last), lambda: _regency_of_record(last)
        ):
            raise Http404
    fields = _fields(model)
    raw_entries = []
    for newer, older in zip(records, [*records[1:], *next_older, None][: len(records)], strict=True):
        if older is None or newer.history_type != "~":
            changes = (
                [(f, None, getattr(newer, f.attname)) for f in fields] if newer.history_type == "+" else []
            )
        else:
            # The kept fields only: a many-to-many field (an activity's partners) would be read from the
            # database for both versions, two queries per change.
            by_name = {f.name: f for f in fields}
            delta = newer.diff_against(older, included_fields=[f.name for f in fields if f.editable])
            changes = [(by_name[c.field], c.old, c.new) for c in delta.changes if c.field in by_name]
        raw_entries.append((newer, changes))
    labels = _resolve_labels(raw_entries)
    entries = [
        {
            "record": record,
            "type": TYPE_LABELS.get(record.history_type, record.history_type),
            "user": record.history_user,
            "reason": record.history_change_reason,
            "changes": [
                (field.verbose_name, labels(field, old), labels(field, new))
                for field, old, new in changes
                if not (record.history_type == "+" and new in (None, ""))
            ],
        }
        for record, changes in raw_entries
    ]
    return render(
        request,
        "programs/history.html",
        {
            "model_name": model._meta.verbose_name,
            "title": str(current) if current else _describe(newest.instance),
            "current": current,
            "deleted": current is None,
            "entries": entries,
            "kind": kind,
            "page": page,
        },
    )


def _last_known(model, ids):
    """The last recorded version of rows that may have been deleted since, by id (one query)."""
    if not ids or not hasattr(model, "history"):
        return {}
    found = {}
    for record in model.history.filter(id__in=ids).order_by("-history_date", "-history_id"):
        found.setdefault(record.id, record.instance)
    return found


def _describe(instance):
    """The name of a deleted record, whose related rows (an output, a firm) may be deleted too: those are
    named from their own history instead of failing the page."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if not field.is_relation or value is None or field.is_cached(instance):
            continue
        related = field.related_model._base_manager.filter(pk=value).first()
        related = related or _last_known(field.related_model, [value]).get(value)
        if related is not None:
            field.set_cached_value(instance, related)
    try:
        return str(instance)
    except ObjectDoesNotExist:  # a relation with no row and no history left
        return f"{instance._meta.verbose_name} #{instance.pk}"


def _name_joins(model, depth=2):
    """The relations a record's name may read (a participation is "firm — activity", an allocation
    "province year"): joined with it, so that naming it asks the database nothing more."""
    joins = []
    for field in model._meta.concrete_fields:
        if field.is_relation and field.many_to_one and field.related_model is not model:
            joins.append(field.name)
            if depth > 1:
                joins += [f"{field.name}__{inner}" for inner in _name_joins(field.related_model, depth - 1)]
    return joins


def _resolve_labels(raw_entries):
    """Readable values: choice labels, related objects by name (one query per related model)."""
    wanted = defaultdict(set)
    for _record, changes in raw_entries:
        for field, old, new in changes:
            if field.is_relation:
                wanted[field.related_model].update(v for v in (old, new) if v is not None)
    names = {
        model: model._base_manager.select_related(*_name_joins(model)).in_bulk(ids)
        for model, ids in wanted.items()
    }
    for model, ids in wanted.items():  # a related row deleted since: its last recorded name
        names[model].update(_last_known(model, ids - set(names[model])))

    def label(field, value):
        if value is None or value == "":
            return "–"
        if field.is_relation:
            obj = names.get(field.related_model, {}).get(value)
            if obj is None:
                return f"#{value}"
            try:
                return str(obj)
            except ObjectDoesNotExist:
                return _describe(obj)
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return _("Ya") if value else _("Tidak")
        if isinstance(value, int) and not is_quantity(field):
            return str(value)  # a year is 2020: the template would group it as a quantity (2.020)
        return value

    return label
