"""The activity pages: the list, the activity with its firms, participants, outputs, handovers and evidence
files, and their forms.
"""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import access, exports, services, workflow
from ..access import get_visible_or_404
from ..forms import (
    ActivityFilter,
    ActivityForm,
    AttachmentForm,
    BulkFirmsForm,
    BulkHandoverForm,
    BulkOutputForm,
    HandoverForm,
    NewFirmParticipationForm,
    NoteForm,
    OutputForm,
    ParticipantForm,
    ParticipationForm,
)
from ..models import Activity, Attachment, Firm, Handover, Output, Participant, Participation, ReviewEvent
from ..numbers import grouped
from ..reports import as_verified
from ..workflow import Who
from .common import (
    collided,
    delete_page,
    editable_part,
    form_page,
    paginate,
    query_without_page,
    save_form,
    show_hidden_field_errors,
)
from .history import history

# --- Activities ------------------------------------------------------------------------------------------


def activity_list(request):
    visible = Activity.objects.visible_to(request.user)
    queryset = visible.select_related("province", "regency").order_by(
        "-year", "province__code", "planned_start", "pk"
    )
    # A fiscal year at a time: without ?tahun= the list opens on the latest year that has activities, so a
    # national list never counts and sorts every year ever stored.
    data = request.GET.copy()
    if not data.get("tahun"):
        latest = visible.order_by("-year").values_list("year", flat=True).first()
        data["tahun"] = str(latest or timezone.localdate().year)
    filterset = ActivityFilter(data, queryset=queryset, user=request.user)
    activities = filterset.qs
    exported = activities.annotate(
        firm_count=Coalesce(
            Subquery(
                Participation.objects.filter(activity=OuterRef("pk"))
                .order_by()
                .values("activity")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        )
    )
    if response := exports.list_export(request, exported, "kegiatan", form=filterset.form):
        return response
    page = paginate(request, activities)
    # Firms per activity for this page only: one grouped query, not a join over every visible activity.
    counts = dict(
        Participation.objects.filter(activity__in=[a.pk for a in page])
        .values_list("activity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for activity in page:
        activity.firm_count = counts.get(activity.pk, 0)
    return render(
        request,
        "programs/activity_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": access.may_enter_data(request.user),
            "query": query_without_page(request),
        },
    )


def activity_create(request):
    access.require(access.may_enter_data(request.user))
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Kegiatan disimpan sebagai draf."))
        return redirect(form.instance)
    return form_page(request, form, title=_("Kegiatan baru"), back=reverse("programs:activity_list"))


def visible_activity(request, pk):
    return get_visible_or_404(
        Activity.objects.select_related("province", "allocation", "regency", "planned_output"),
        request.user,
        pk=pk,
    )


def _editable_activity(request, pk):
    return access.get_editable_or_403(
        Activity.objects.select_related("province", "allocation", "regency", "planned_output"),
        request.user,
        refusal=access.ACTIVITY_LOCKED,
        pk=pk,
    )


PARTICIPANT_IDS = {"auto_id": "participant-%s"}
NEW_FIRM_IDS = {"auto_id": "new-firm-%s"}
ATTACHMENT_IDS = {"auto_id": "attachment-%s"}
JUST_CHANGED = "just_changed"
COLLIDED = _lazy("Data bertabrakan dengan perubahan lain yang baru saja disimpan. Periksa lalu simpan lagi.")


def _handover_ids(output_pk):
    return {"auto_id": f"handover-{output_pk}-%s"}


def at(obj_or_activity, anchor):
    """The activity page opened where the user was: `#anchor` (static/css/app.css marks it)."""
    return f"{obj_or_activity.get_absolute_url()}#{anchor}"


def mark_changed(request, ids):
    """Rows the activity page marks (.just-changed) the next time it is shown."""
    request.session[JUST_CHANGED] = list(ids)


def activity_update(request, pk):
    activity = _editable_activity(request, pk)
    form = ActivityForm(request.POST or None, instance=activity, user=request.user)
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Perubahan kegiatan disimpan."))
        return redirect(activity)
    return form_page(request, form, title=_("Ubah kegiatan"), back=activity.get_absolute_url())


@require_POST
def activity_delete(request, pk):
    activity = _editable_activity(request, pk)
    return delete_page(
        request,
        activity,
        "programs:activity_list",
        _("Kegiatan"),
        kept_at=activity,
        # handovers keep their evidence
        protected=_("Kegiatan tidak dapat dihapus karena sudah ada penyerahan hasil yang tercatat."),
    )


def activity_detail(request, pk, forms=None):
    activity = visible_activity(request, pk)
    user = request.user
    editable = access.may_edit(user, activity)
    forms = forms or {}
    participations = list(
        activity.participations.select_related("firm", "firm__regency").order_by("firm__name")
    )
    outputs = list(
        Output.objects.filter(activity=activity)
        .select_related("participation__firm", "buyer")
        .prefetch_related(Prefetch("handovers", queryset=Handover.objects.select_related("recipient")))
        .order_by("produced_on", "pk")
    )
    firm_query = request.GET.get("cari_ikm", "").strip()
    firm_results = []
    if editable and firm_query:
        firm_results = list(
            Firm.objects.choices_for(user)
            .filter(province_id=activity.province_id)
            .filter(Q(name__icontains=firm_query) | Q(nib__startswith=firm_query))
            .exclude(participations__activity=activity)
            .select_related("regency")
            .order_by("name")[:20]
        )
    if editable:
        # Each form its own element ids (auto_id): the page holds several forms with a "name" or a
        # "quantity"; the single output form keeps Django's default ids.
        forms.setdefault("participant", ParticipantForm(user=user, activity=activity, **PARTICIPANT_IDS))
        forms.setdefault("output", OutputForm(user=user, activity=activity))
        forms.setdefault("new_firm", NewFirmParticipationForm(user=user, activity=activity, **NEW_FIRM_IDS))
        forms.setdefault("attachment", AttachmentForm(activity=activity, user=user, **ATTACHMENT_IDS))
        forms.setdefault("bulk_firms", BulkFirmsForm(user=user, activity=activity))
        # The output and handover grids load when opened (output_bulk's and handover_bulk's GET), as the
        # single handover forms do: a grid's widgets per firm or output cost more than the rest of the page.
        # A handover form only where one came back with errors; the others load when opened (handover_add).
        for output in outputs:
            output.handover_form = forms.get(("handover", output.pk))
    events = ReviewEvent.objects.filter(
        content_type__model="activity", content_type__app_label="programs", object_id=activity.pk
    ).select_related("actor")
    participants = list(activity.participants.select_related("founded_firm").order_by("name"))
    # Partners and firms stay editable; a locked activity shows them as they were when it was locked.
    closed = access.closed_year_set()  # once: the lock's moment, the actions and the review panel
    as_verified.show_activity_as_locked(activity, participations, participants, outputs, closed)
    totals = {
        "produced": sum(o.quantity for o in outputs),
        "ordered": sum(o.ordered_quantity or 0 for o in outputs),
        "handed_over": sum(o.handed_over_total for o in outputs),
    }
    actions = workflow.available_actions(activity, user, closed_years=closed)
    # The rows a bulk action just wrote, marked once (the fragment of the redirect marks a single one).
    just_changed = set(request.session.pop(JUST_CHANGED, None) or [])
    marked = {"participation": participations, "output": outputs, "participant": participants}
    for prefix, rows in marked.items():
        for row in rows:
            row.just_changed = f"{prefix}-{row.pk}" in just_changed
    for output in outputs:
        for handover in output.handovers.all():
            handover.just_changed = f"handover-{handover.pk}" in just_changed
    return render(
        request,
        "programs/activity_detail.html",
        {
            "activity": activity,
            "editable": editable,
            "participations": participations,
            "participants": participants,
            "outputs": outputs,
            "totals": totals,
            "firm_query": firm_query,
            "firm_results": firm_results,
            "forms": forms,
            "events": events,
            "note_form": forms.get("note") or NoteForm(auto_id="review-%s"),
            "province_actions": [t for t in actions if t.who == Who.PROVINCE],
            "review_actions": [t for t in actions if t.who == Who.REVIEWER],
            "reviewer": access.may_review(user)
            and access.year_open_for(user, activity.year, closed_years=closed),
            "attachments": _attachments_of(activity),
            "outputs_left": sum(1 for o in outputs if o.remaining > 0),
        },
    )


def _attachments_of(activity):
    return list(activity.attachments.select_related("handover", "uploaded_by").order_by("created_at", "pk"))


def activity_history(request, pk):
    return history(request, "kegiatan", pk)


# --- Parts of an activity --------------------------------------------------------------------------------


@require_POST
def participation_add(request, pk):
    activity = _editable_activity(request, pk)
    form = ParticipationForm(request.POST, user=request.user, activity=activity)
    if save_form(request, form):
        messages.success(request, _("%(firm)s ditambahkan sebagai peserta.") % {"firm": form.instance.firm})
        return redirect(at(activity, f"participation-{form.instance.pk}"))
    messages.error(request, " ".join(m for msgs in form.errors.values() for m in msgs))
    return redirect(at(activity, "firms"))


@require_POST
def participation_new_firm(request, pk):
    activity = _editable_activity(request, pk)
    form = NewFirmParticipationForm(request.POST, user=request.user, activity=activity, **NEW_FIRM_IDS)
    if form.is_valid():
        added = Participation(activity=activity, note=form.cleaned_data["note"])

        def register():
            services.save_edit(form.instance, actor=request.user)
            added.firm, added.pk, added._state.adding = form.instance, None, True
            services.save_edit(added, actor=request.user)

        firm, adding, firm_pk = form.instance, form.instance._state.adding, form.instance.pk

        def reset():  # as before an attempt PostgreSQL rolled back
            firm._state.adding, firm.pk = adding, firm_pk

        try:
            services.retried(register, reset=reset)
        except ValidationError as e:
            form.add_error(None, e)
        except IntegrityError:  # the same firm registered from another tab meanwhile: nothing was saved
            collided(form)
        else:
            messages.success(request, _("IKM baru didaftarkan dan ditambahkan sebagai peserta."))
            return redirect(at(activity, f"participation-{added.pk}"))
    else:
        show_hidden_field_errors(form)
    return activity_detail(request, pk, forms={"new_firm": form})


@require_POST
def participation_delete(request, pk):
    participation = editable_part(request, Participation, pk, ["activity"])
    return delete_page(request, participation, at(participation.activity, "firms"), _("Peserta IKM"))


@require_POST
def participant_add(request, pk):
    activity = _editable_activity(request, pk)
    form = ParticipantForm(request.POST, user=request.user, activity=activity, **PARTICIPANT_IDS)
    if save_form(request, form):
        messages.success(request, _("Peserta perorangan ditambahkan."))
        return redirect(at(activity, f"participant-{form.instance.pk}"))
    return activity_detail(request, pk, forms={"participant": form})


def participant_edit(request, pk):
    participant = editable_part(request, Participant, pk, ["activity"])
    form = ParticipantForm(
        request.POST or None,
        instance=participant,
        user=request.user,
        activity=participant.activity,
        auto_id=f"participant-{pk}-%s",
    )
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Peserta perorangan diperbarui."))
        return redirect(at(participant.activity, f"participant-{participant.pk}"))
    return form_page(
        request, form, title=_("Ubah peserta perorangan"), back=participant.activity.get_absolute_url()
    )


@require_POST
def participant_delete(request, pk):
    participant = editable_part(request, Participant, pk, ["activity"])
    return delete_page(
        request, participant, at(participant.activity, "participants"), _("Peserta perorangan")
    )


@require_POST
def output_add(request, pk):
    activity = _editable_activity(request, pk)
    form = OutputForm(request.POST, user=request.user, activity=activity)
    if save_form(request, form):
        messages.success(request, _("Hasil produksi dicatat."))
        return redirect(at(activity, f"output-{form.instance.pk}"))
    return activity_detail(request, pk, forms={"output": form})


def output_edit(request, pk):
    output = editable_part(request, Output, pk, ["activity"])
    form = OutputForm(
        request.POST or None,
        instance=output,
        user=request.user,
        activity=output.activity,
        auto_id=f"output-{pk}-%s",
    )
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Hasil produksi diperbarui."))
        return redirect(at(output.activity, f"output-{output.pk}"))
    return form_page(request, form, title=_("Ubah hasil produksi"), back=output.activity.get_absolute_url())


@require_POST
def output_delete(request, pk):
    output = editable_part(request, Output, pk, ["activity"])
    return delete_page(
        request,
        output,
        at(output.activity, "outputs"),
        _("Hasil produksi"),
        kept_at=at(output.activity, f"output-{output.pk}"),
    )


def handover_add(request, pk):
    output = editable_part(request, Output, pk, ["activity"])
    if request.method != "POST":  # the form alone, opened from the activity page (or without JavaScript)
        return form_page(
            request,
            HandoverForm(user=request.user, output=output, **_handover_ids(output.pk)),
            title=_("Catat penyerahan: %(o)s") % {"o": output},
            back=output.activity.get_absolute_url(),
            form_class="handover-form narrow-form",
            submit_label=_("Simpan penyerahan"),
        )
    form = HandoverForm(request.POST, user=request.user, output=output, **_handover_ids(output.pk))
    if save_form(request, form):
        output.refresh_from_db(fields=["handed_over_total"])
        messages.success(request, _handed_over_message(form.instance.quantity, output))
        return redirect(at(output.activity, f"handover-{form.instance.pk}"))
    return activity_detail(request, output.activity_id, forms={("handover", output.pk): form})


def handover_edit(request, pk):
    handover = editable_part(request, Handover, pk, ["activity", "output"])
    form = HandoverForm(
        request.POST or None,
        instance=handover,
        user=request.user,
        output=handover.output,
        auto_id=f"handover-edit-{pk}-%s",
    )
    if request.method == "POST" and save_form(request, form):
        output = handover.output
        output.refresh_from_db(fields=["handed_over_total"])
        messages.success(
            request, _("Penyerahan diperbarui: %(n)s %(u)s, sisa %(r)s.") % _left(handover.quantity, output)
        )
        return redirect(at(handover.activity, f"handover-{handover.pk}"))
    return form_page(request, form, title=_("Ubah penyerahan"), back=handover.activity.get_absolute_url())


@require_POST
def handover_delete(request, pk):
    handover = editable_part(request, Handover, pk, ["activity"])
    back = at(handover.activity, f"output-{handover.output_id}")
    return delete_page(
        request, handover, back, _("Penyerahan"), kept_at=at(handover.activity, f"handover-{pk}")
    )


def _left(quantity, output):
    return {"n": grouped(quantity), "u": output.unit, "r": grouped(output.remaining)}


def _handed_over_message(quantity, output):
    """ "Penyerahan dicatat: 300 pcs, sisa 2.700." """
    return _("Penyerahan dicatat: %(n)s %(u)s, sisa %(r)s.") % _left(quantity, output)


# --- Bulk entry: many firms, outputs or handovers at once (programs/forms/bulk.py) ---


@require_POST
def participation_bulk(request, pk):
    activity = _editable_activity(request, pk)
    form = BulkFirmsForm(request.POST, user=request.user, activity=activity)
    if form.is_valid():
        try:
            created = services.add_participations(
                activity=activity, firms=form.chosen, actor=request.user, note=form.cleaned_data["note"]
            )
        except services.RowsRefused as e:
            refused = [m for texts in e.rows.values() for m in texts]
            refused += [m for texts in e.shared.values() for m in texts]
            form.add_error("nibs", refused)
        except IntegrityError:  # a firm added from another tab meanwhile: nothing was saved
            form.add_error("nibs", COLLIDED)
        else:
            count = len(created)
            messages.success(
                request,
                ngettext(
                    "%(n)s IKM ditambahkan sebagai peserta.", "%(n)s IKM ditambahkan sebagai peserta.", count
                )
                % {"n": grouped(count)},
            )
            mark_changed(request, (f"participation-{p.pk}" for p in created))
            return redirect(at(activity, "firms"))
    return activity_detail(request, pk, forms={"bulk_firms": form})


def output_bulk(request, pk):
    activity = _editable_activity(request, pk)
    participations = list(
        Participation.objects.editable_by(request.user)
        .filter(activity=activity)
        .select_related("firm")
        .order_by("firm__name")
    )
    form = BulkOutputForm(request.POST or None, activity=activity, participations=participations)
    if request.method != "POST":  # the grid alone, opened from the activity page (or without JavaScript)
        return render(request, "programs/bulk_output_page.html", {"activity": activity, "f": form})
    if form.is_valid():
        by_pk = {p.pk: p for p in participations}
        try:
            created = services.record_outputs(
                activity=activity,
                quantities={by_pk[key]: quantity for key, quantity in form.quantities().items()},
                actor=request.user,
                **form.shared(),
            )
        except services.RowsRefused as e:
            form.refuse(e)
        except IntegrityError:  # a firm removed from another tab meanwhile: nothing was saved
            form.add_error(None, COLLIDED)
        else:
            unit = form.cleaned_data["unit"]
            messages.success(
                request,
                _("Hasil produksi %(count)s IKM dicatat: %(n)s %(u)s.")
                % {"count": len(created), "n": grouped(sum(o.quantity for o in created)), "u": unit},
            )
            mark_changed(request, (f"output-{o.pk}" for o in created))
            return redirect(at(activity, "outputs"))
    return activity_detail(request, pk, forms={"bulk_outputs": form})


def handover_bulk(request, pk):
    activity = _editable_activity(request, pk)
    outputs = list(
        Output.objects.editable_by(request.user)
        .filter(activity=activity)
        .select_related("participation__firm")
        .order_by("produced_on", "pk")
    )
    form = BulkHandoverForm(request.POST or None, user=request.user, activity=activity, outputs=outputs)
    if request.method != "POST":  # the grid alone, opened from the activity page (or without JavaScript)
        return render(request, "programs/bulk_handover_page.html", {"activity": activity, "f": form})
    if form.is_valid():
        try:
            created, after = services.record_handovers(
                activity=activity, quantities=form.quantities(), actor=request.user, **form.shared()
            )
        except services.RowsRefused as e:
            form.refuse(e)
        except IntegrityError:  # an output removed from another tab meanwhile: nothing was saved
            form.add_error(None, COLLIDED)
        else:
            by_unit = {}
            for handover in created:
                output = after[handover.output_id]
                handed, left = by_unit.get(output.unit, (0, 0))
                by_unit[output.unit] = (handed + handover.quantity, left + output.remaining)
            parts = [
                _("%(n)s %(u)s, sisa %(r)s") % {"n": grouped(n), "u": unit, "r": grouped(r)}
                for unit, (n, r) in by_unit.items()
            ]
            messages.success(
                request,
                _("Penyerahan dicatat untuk %(count)s hasil produksi: %(parts)s.")
                % {"count": len(created), "parts": "; ".join(parts)},
            )
            mark_changed(request, (f"handover-{h.pk}" for h in created))
            return redirect(at(activity, "outputs"))
    return activity_detail(request, pk, forms={"bulk_handovers": form})


# --- Evidence files ---

log = logging.getLogger("ikm_dekon.downloads")


def _activity_taking_attachments(request, pk):
    refusal = _("Kegiatan ini terkunci; lampiran tidak dapat ditambah.")
    return access.get_editable_or_403(Activity.objects.all(), request.user, refusal=refusal, pk=pk)


@require_POST
def attachment_add(request, pk):
    activity = _activity_taking_attachments(request, pk)
    form = AttachmentForm(request.POST, request.FILES, activity=activity, user=request.user, **ATTACHMENT_IDS)
    if form.is_valid():
        try:
            services.save_edit(form.instance, actor=request.user)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request, _("Lampiran %(name)s diunggah.") % {"name": form.instance.original_name}
            )
            return redirect(at(activity, f"attachment-{form.instance.pk}"))
    return activity_detail(request, pk, forms={"attachment": form})


def attachment_download(request, pk):
    attachment = get_visible_or_404(Attachment.objects.all(), request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as e:
        raise Http404(_("Berkas tidak ditemukan di penyimpanan.")) from e
    log.info(
        "download",
        extra={
            "user": request.user.username,
            "province": attachment.province_id,
            "object": f"Attachment:{attachment.pk}",
        },
    )
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[attachment.content_type]
    name = (
        attachment.original_name
        if attachment.original_name.lower().endswith(extension)
        else f"lampiran-{pk}.{extension}"
    )
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def attachment_delete(request, pk):
    attachment = get_visible_or_404(Attachment.objects.select_related("activity"), request.user, pk=pk)
    if not Attachment.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    # The file goes with the record once the delete is committed (programs/evidence.py).
    services.delete_record(attachment, actor=request.user)
    messages.success(request, _("Lampiran dihapus."))
    return redirect(at(attachment.activity, "attachments"))
