"""Pages of the workspace: parse the request, call a service, render. Every object is fetched through the
scoping mechanism (`get_visible_or_404`), every write through `services`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Prefetch, ProtectedError, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, as_verified, exports, reports, services, workflow
from .access import get_visible_or_404
from .evidence_views import AttachmentForm
from .filters import ActivityFilter, AllocationFilter, FirmFilter, PartnerFilter
from .forms import (
    MONTH_CHOICES,
    ActivityForm,
    BudgetRevisionForm,
    FirmForm,
    HandoverForm,
    NewFirmParticipationForm,
    NoteForm,
    OutputForm,
    ParticipantForm,
    ParticipationForm,
    PartnerForm,
    RealisationForm,
)
from .models import (
    Activity,
    ActivityStatus,
    Allocation,
    Attachment,
    BudgetRevision,
    Firm,
    Handover,
    LockedByActivities,
    Output,
    Participant,
    Participation,
    Partner,
    QuarterlyNote,
    Realisation,
    ReviewEvent,
    ReviewStatus,
)
from .workflow import Who

PAGE_SIZE = 25


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("halaman"))


def benchmark_for(year, today=None):
    """The quarterly absorption benchmark (15/40/60/90 %) due by now in that fiscal year."""
    today = today or timezone.localdate()
    if year < today.year:
        return 90
    if year > today.year:
        return 0
    due = 0
    for quarter, pct in reports.QUARTER_BENCHMARKS.items():
        if today.month > quarter * 3:
            due = pct
    return due


# --- Home ------------------------------------------------------------------------------------------------


def home(request):
    user = request.user
    year = timezone.localdate().year
    allocations = Allocation.objects.visible_to(user).select_related("province")
    current = list(allocations.filter(year=year)[:2])
    fallback = False
    if not current:
        latest = allocations.order_by("-year").values_list("year", flat=True).first()
        if latest:
            year, fallback = latest, True
            current = list(allocations.filter(year=year)[:2])
    own = current[0] if access.own_province(user) is not None and current else None
    activities = Activity.objects.visible_to(user).filter(year=year)
    by_status = dict(activities.values_list("status").annotate(n=Count("pk")).order_by())
    returned = (
        Activity.objects.visible_to(user)
        .filter(review_status=ReviewStatus.RETURNED)
        .select_related("province", "reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    returned_realisations = (
        Realisation.objects.visible_to(user)
        .filter(review_status=ReviewStatus.RETURNED)
        .select_related("allocation__province", "reviewed_by")
        .order_by("-reviewed_at")[:20]
    )
    drafts = (
        Activity.objects.editable_by(user)
        .filter(review_status=ReviewStatus.DRAFT)
        .select_related("province")
        .order_by("planned_start")[:20]
        if access.may_enter_data(user)
        else Activity.objects.none()
    )
    awaiting = workflow.awaiting(Who.REVIEWER)
    waiting = (
        Activity.objects.visible_to(user).filter(review_status__in=awaiting).count()
        + Realisation.objects.visible_to(user).filter(review_status__in=awaiting).count()
        if access.may_review(user)
        else None
    )
    return render(
        request,
        "programs/home.html",
        {
            "year": year,
            "fallback": fallback,
            "allocation": own,
            "benchmark": benchmark_for(year),
            "by_status": [(label, by_status.get(value, 0)) for value, label in ActivityStatus.choices],
            "returned": returned,
            "returned_realisations": returned_realisations,
            "drafts": drafts,
            "waiting": waiting,
        },
    )


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
    if response := exports.list_export(request, exported, "kegiatan"):
        return response
    page = _page(request, activities)
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
            "query": _query_without_page(request),
        },
    )


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("halaman", None)
    return query.urlencode()


def _show_hidden_field_errors(form):
    """A hidden field (the version, a fixed province) is never shown, so neither is its own error: a value
    altered outside the page gets a message at the top of the form instead of a silent refusal."""
    if any(form[name].is_hidden for name in form.errors if name in form.fields):
        form.add_error(
            None,
            _(
                "Formulir ini berisi data tersembunyi yang tidak sah (diubah di luar halaman ini). "
                "Muat ulang halaman, lalu isi dan simpan lagi."
            ),
        )


def _collided(form):
    """The save broke a unique rule that the form checked before saving: a write landed in between (the
    same firm registered from two tabs). Checked again, now that write is visible, the rule puts its own
    message beside its field; the database's constraint name is never shown."""
    form.full_clean()
    if not form.errors:
        form.add_error(
            None,
            _("Data bertabrakan dengan perubahan lain yang baru saja disimpan. Periksa lalu simpan lagi."),
        )


def _add_errors(form, error):
    """A model's rules, checked again at save time under the parent's lock: each message beside its field
    when the form shows that field, else at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields and not form[field].is_hidden else None, errors)


def _save_form(request, form, **kwargs):
    """Validate and save through services; False (with the message on the form) when refused."""
    if not form.is_valid():
        _show_hidden_field_errors(form)
        return False
    try:
        services.save_edit(
            form.instance,
            actor=request.user,
            expected_version=form.expected_version,
            m2m=form._save_m2m,
            **kwargs,
        )
    except services.ConcurrentEditError as e:
        form.add_error(None, e.message)
        return False
    except ValidationError as e:
        _add_errors(form, e)
        return False
    except IntegrityError:  # nothing was saved
        _collided(form)
        return False
    return True


def _form_page(request, form, *, title, back, template="programs/form.html", **context):
    return render(request, template, {"form": form, "title": title, "back": back, **context})


def activity_create(request):
    access.require(access.may_enter_data(request.user))
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Kegiatan disimpan sebagai draf."))
        return redirect(form.instance)
    return _form_page(request, form, title=_("Kegiatan baru"), back=reverse("programs:activity_list"))


def _activity(request, pk):
    return get_visible_or_404(
        Activity.objects.select_related("province", "allocation", "regency"), request.user, pk=pk
    )


def _editable_activity(request, pk):
    activity = _activity(request, pk)
    if not access.may_edit(request.user, activity):
        raise PermissionDenied(
            _("Kegiatan ini sedang diverifikasi, sudah diverifikasi, atau tahun anggarannya ditutup.")
        )
    return activity


def activity_update(request, pk):
    activity = _editable_activity(request, pk)
    form = ActivityForm(request.POST or None, instance=activity, user=request.user)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Perubahan kegiatan disimpan."))
        return redirect(activity)
    return _form_page(request, form, title=_("Ubah kegiatan"), back=activity.get_absolute_url())


@require_POST
def activity_delete(request, pk):
    activity = _editable_activity(request, pk)
    return _delete(
        request,
        activity,
        "programs:activity_list",
        _("Kegiatan"),
        kept_at=activity,
        # handovers keep their evidence
        protected=_("Kegiatan tidak dapat dihapus karena sudah ada penyerahan hasil yang tercatat."),
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def activity_detail(request, pk, forms=None):
    activity = _activity(request, pk)
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
            Firm.objects.editable_by(user)
            .filter(province_id=activity.province_id)
            .filter(Q(name__icontains=firm_query) | Q(nib__startswith=firm_query))
            .exclude(participations__activity=activity)
            .select_related("regency")
            .order_by("name")[:20]
        )
    if editable:
        forms.setdefault("participant", ParticipantForm(user=user, activity=activity))
        forms.setdefault("output", OutputForm(user=user, activity=activity))
        forms.setdefault("new_firm", NewFirmParticipationForm(user=user, activity=activity))
        forms.setdefault("attachment", AttachmentForm(activity=activity, user=user))
        # A handover form only where one came back with errors; the others load when opened (handover_add).
        for output in outputs:
            output.handover_form = forms.get(("handover", output.pk))
    events = ReviewEvent.objects.filter(
        content_type__model="activity", content_type__app_label="programs", object_id=activity.pk
    ).select_related("actor")
    participants = list(activity.participants.select_related("founded_firm").order_by("name"))
    # Partners and firms stay editable; a locked activity shows them as they were when it was locked.
    as_verified.show_activity_as_locked(activity, participations, participants, outputs)
    totals = {
        "produced": sum(o.quantity for o in outputs),
        "ordered": sum(o.ordered_quantity or 0 for o in outputs),
        "handed_over": sum(o.handed_over_total for o in outputs),
    }
    actions = workflow.available_actions(activity, user)
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
            "note_form": forms.get("note") or NoteForm(),
            "province_actions": [t for t in actions if t.who == Who.PROVINCE],
            "review_actions": [t for t in actions if t.who == Who.REVIEWER],
            "reviewer": access.may_review(user) and access.year_open_for(user, activity.year),
            "attachments": _attachments_of(activity),
        },
    )


def _attachments_of(activity):
    return list(activity.attachments.select_related("handover", "uploaded_by").order_by("created_at", "pk"))


def _transition(request, obj, slug):
    """Take the workflow action named in the address (programs/workflow.py); a note form with its errors
    when the action needs a note and none was given."""
    step = workflow.by_slug(slug)
    if step is None:
        raise Http404
    note = ""
    if step.note_required:
        form = NoteForm(request.POST)
        if not form.is_valid():
            return form
        note = form.cleaned_data["note"]
    try:
        services.transition(obj, actor=request.user, action=step.action, note=note)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return None
    messages.success(request, step.done)
    return None


@require_POST
def activity_transition(request, pk, action):
    activity = _activity(request, pk)
    failed_form = _transition(request, activity, action)
    if failed_form is not None:
        return activity_detail(request, pk, forms={"note": failed_form})
    if request.POST.get("next") == "antrean":
        return redirect("programs:review_queue")
    return redirect(activity)


def activity_history(request, pk):
    return history(request, "kegiatan", pk)


# --- Parts of an activity --------------------------------------------------------------------------------


@require_POST
def participation_add(request, pk):
    activity = _editable_activity(request, pk)
    form = ParticipationForm(request.POST, user=request.user, activity=activity)
    if _save_form(request, form):
        messages.success(request, _("%(firm)s ditambahkan sebagai peserta.") % {"firm": form.instance.firm})
        return redirect(activity)
    messages.error(request, " ".join(m for msgs in form.errors.values() for m in msgs))
    return redirect(activity)


@require_POST
def participation_new_firm(request, pk):
    activity = _editable_activity(request, pk)
    form = NewFirmParticipationForm(request.POST, user=request.user, activity=activity)
    if form.is_valid():
        def register():
            services.save_edit(form.instance, actor=request.user)
            services.save_edit(
                Participation(activity=activity, firm=form.instance, note=form.cleaned_data["note"]),
                actor=request.user,
            )

        firm, adding, firm_pk = form.instance, form.instance._state.adding, form.instance.pk

        def reset():  # as before an attempt PostgreSQL rolled back
            firm._state.adding, firm.pk = adding, firm_pk

        try:
            services.retried(register, reset=reset)
        except ValidationError as e:
            form.add_error(None, e)
        except IntegrityError:  # the same firm registered from another tab meanwhile: nothing was saved
            _collided(form)
        else:
            messages.success(request, _("IKM baru didaftarkan dan ditambahkan sebagai peserta."))
            return redirect(activity)
    else:
        _show_hidden_field_errors(form)
    return activity_detail(request, pk, forms={"new_firm": form})


def _part(request, model, pk, select=()):
    obj = get_visible_or_404(model.objects.select_related(*select), request.user, pk=pk)
    if not access.may_edit(request.user, obj):
        raise PermissionDenied(
            _("Data ini terkunci karena kegiatannya sedang diverifikasi atau sudah diverifikasi.")
        )
    return obj


def _delete(request, obj, back, what, *, kept_at=None, protected=None):
    """Delete through services and say what happened; `back` after the delete, `kept_at` (default `back`)
    when the record stays, `protected` the message when other records still need it."""
    kept_at = back if kept_at is None else kept_at
    posted = request.POST.get("version")
    version = _int(posted)
    if posted is not None and version is None:  # altered outside the page: never read as "no check"
        messages.error(request, _("Permintaan hapus berisi versi data yang tidak sah. Muat ulang halaman."))
        return redirect(kept_at)
    try:
        services.delete_record(obj, actor=request.user, expected_version=version)
    except services.AlreadyDeleted as e:
        messages.info(request, e.message)
    except services.ConcurrentEditError as e:
        messages.error(request, e.message)
        return redirect(kept_at)
    except LockedByActivities as e:  # what a locked activity names stays as verified
        messages.error(request, e.args[0])
        return redirect(kept_at)
    except ProtectedError:
        messages.error(
            request,
            protected or _("%(what)s tidak dapat dihapus karena masih dipakai data lain.") % {"what": what},
        )
        return redirect(kept_at)
    else:
        messages.success(request, _("%(what)s dihapus.") % {"what": what})
    return redirect(back)


@require_POST
def participation_delete(request, pk):
    participation = _part(request, Participation, pk, ["activity"])
    return _delete(request, participation, participation.activity, _("Peserta IKM"))


@require_POST
def participant_add(request, pk):
    activity = _editable_activity(request, pk)
    form = ParticipantForm(request.POST, user=request.user, activity=activity)
    if _save_form(request, form):
        messages.success(request, _("Peserta perorangan ditambahkan."))
        return redirect(activity)
    return activity_detail(request, pk, forms={"participant": form})


def participant_edit(request, pk):
    participant = _part(request, Participant, pk, ["activity"])
    form = ParticipantForm(
        request.POST or None, instance=participant, user=request.user, activity=participant.activity
    )
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Peserta perorangan diperbarui."))
        return redirect(participant.activity)
    return _form_page(
        request, form, title=_("Ubah peserta perorangan"), back=participant.activity.get_absolute_url()
    )


@require_POST
def participant_delete(request, pk):
    participant = _part(request, Participant, pk, ["activity"])
    return _delete(request, participant, participant.activity, _("Peserta perorangan"))


@require_POST
def output_add(request, pk):
    activity = _editable_activity(request, pk)
    form = OutputForm(request.POST, user=request.user, activity=activity)
    if _save_form(request, form):
        messages.success(request, _("Hasil produksi dicatat."))
        return redirect(activity)
    return activity_detail(request, pk, forms={"output": form})


def output_edit(request, pk):
    output = _part(request, Output, pk, ["activity"])
    form = OutputForm(request.POST or None, instance=output, user=request.user, activity=output.activity)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Hasil produksi diperbarui."))
        return redirect(output.activity)
    return _form_page(request, form, title=_("Ubah hasil produksi"), back=output.activity.get_absolute_url())


@require_POST
def output_delete(request, pk):
    output = _part(request, Output, pk, ["activity"])
    return _delete(request, output, output.activity, _("Hasil produksi"))


def handover_add(request, pk):
    output = _part(request, Output, pk, ["activity"])
    if request.method != "POST":  # the form alone, opened from the activity page (or without JavaScript)
        return _form_page(
            request,
            HandoverForm(user=request.user, output=output),
            title=_("Catat penyerahan: %(o)s") % {"o": output},
            back=output.activity.get_absolute_url(),
            form_class="handover-form narrow-form",
            submit_label=_("Simpan penyerahan"),
        )
    form = HandoverForm(request.POST, user=request.user, output=output)
    if _save_form(request, form):
        messages.success(request, _("Penyerahan dicatat."))
        return redirect(output.activity)
    return activity_detail(request, output.activity_id, forms={("handover", output.pk): form})


def handover_edit(request, pk):
    handover = _part(request, Handover, pk, ["activity", "output"])
    form = HandoverForm(request.POST or None, instance=handover, user=request.user, output=handover.output)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Penyerahan diperbarui."))
        return redirect(handover.activity)
    return _form_page(request, form, title=_("Ubah penyerahan"), back=handover.activity.get_absolute_url())


@require_POST
def handover_delete(request, pk):
    handover = _part(request, Handover, pk, ["activity"])
    return _delete(request, handover, handover.activity, _("Penyerahan"))


# --- Firms and partners ----------------------------------------------------------------------------------


def firm_list(request):
    queryset = Firm.objects.visible_to(request.user).select_related("province", "regency")
    filterset = FirmFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(request, filterset.qs if filterset.is_bound else queryset, "ikm"):
        return response
    page = _page(request, filterset.qs if filterset.is_bound else queryset)
    return render(
        request,
        "programs/firm_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": access.may_enter_data(request.user),
            "query": _query_without_page(request),
        },
    )


def firm_detail(request, pk):
    firm = get_visible_or_404(Firm.objects.select_related("province", "regency"), request.user, pk=pk)
    participations = firm.participations.select_related("activity", "activity__province").order_by(
        "-activity__year", "activity__planned_start"
    )
    outputs = (
        Output.objects.filter(participation__firm=firm)
        .select_related("activity")
        .order_by("-year", "produced_on")
    )
    return render(
        request,
        "programs/firm_detail.html",
        {
            "firm": firm,
            "participations": participations,
            "outputs": outputs,
            "editable": access.may_edit(request.user, firm),
        },
    )


def firm_create(request):
    access.require(access.may_enter_data(request.user))
    form = FirmForm(request.POST or None, user=request.user)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("IKM didaftarkan."))
        return redirect(form.instance)
    return _form_page(request, form, title=_("Daftarkan IKM"), back=reverse("programs:firm_list"))


def firm_update(request, pk):
    firm = _part(request, Firm, pk, ["province"])
    form = FirmForm(request.POST or None, instance=firm, user=request.user)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Data IKM diperbarui."))
        _say_locked_activities_keep_it(request, firm)
        return redirect(firm)
    return _form_page(request, form, title=_("Ubah data IKM"), back=firm.get_absolute_url())


@require_POST
def firm_delete(request, pk):
    firm = _part(request, Firm, pk)
    return _delete(request, firm, "programs:firm_list", _("IKM"), kept_at=firm)


def partner_list(request):
    queryset = Partner.objects.visible_to(request.user).select_related("province", "regency")
    filterset = PartnerFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(request, filterset.qs if filterset.is_bound else queryset, "mitra"):
        return response
    page = _page(request, filterset.qs if filterset.is_bound else queryset)
    return render(
        request,
        "programs/partner_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": access.may_enter_data(request.user),
            "query": _query_without_page(request),
        },
    )


def partner_create(request):
    access.require(access.may_enter_data(request.user))
    form = PartnerForm(request.POST or None, user=request.user)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Mitra disimpan."))
        return redirect("programs:partner_list")
    return _form_page(request, form, title=_("Mitra baru"), back=reverse("programs:partner_list"))


def partner_update(request, pk):
    partner = _part(request, Partner, pk)
    form = PartnerForm(request.POST or None, instance=partner, user=request.user)
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Mitra diperbarui."))
        _say_locked_activities_keep_it(request, partner)
        return redirect("programs:partner_list")
    return _form_page(request, form, title=_("Ubah mitra"), back=reverse("programs:partner_list"))


def _say_locked_activities_keep_it(request, record):
    """After editing a partner or firm: the activities already submitted or verified keep what they named."""
    if record.locked_activities().exists():
        messages.info(
            request,
            _(
                "Kegiatan yang sudah diajukan atau diverifikasi tetap menampilkan data ini seperti saat "
                "kegiatan itu diajukan."
            ),
        )


@require_POST
def partner_delete(request, pk):
    partner = _part(request, Partner, pk)
    return _delete(request, partner, "programs:partner_list", _("Mitra"))


# --- Budget ----------------------------------------------------------------------------------------------


def allocation_list(request):
    queryset = Allocation.objects.visible_to(request.user).select_related("province")
    filterset = AllocationFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(request, filterset.qs if filterset.is_bound else queryset, "anggaran"):
        return response
    page = _page(request, filterset.qs if filterset.is_bound else queryset, size=40)
    return render(
        request,
        "programs/allocation_list.html",
        {"filter": filterset, "page": page, "query": _query_without_page(request)},
    )


def budget(request, pk, form=None, revision_form=None):
    allocation = get_visible_or_404(Allocation.objects.select_related("province"), request.user, pk=pk)
    user = request.user
    rows = {r.month: r for r in allocation.realisations.select_related("reviewed_by")}
    editable_ids = set(
        Realisation.objects.editable_by(user).filter(allocation=allocation).values_list("pk", flat=True)
    )
    can_add = access.may_add_realisation(user, allocation)
    closed = access.closed_year_set()
    running = 0
    table = []
    for month, label in MONTH_CHOICES:
        row = rows.get(month)
        if row:
            running += row.amount
        table.append(
            {
                "month": month,
                "label": label,
                "row": row,
                "cumulative": running if row else None,
                "absorption": reports.absorption_pct(running, allocation.current_pagu) if row else None,
                "benchmark": reports.QUARTER_BENCHMARKS.get(month // 3) if month % 3 == 0 else None,
                "editable": row is not None and row.pk in editable_ids,
                "actions": workflow.available_actions(row, user, closed_years=closed) if row else [],
            }
        )
    if can_add and form is None:
        form = RealisationForm(user=user, allocation=allocation, initial={"month": _next_month(rows)})
    if access.may_revise_pagu(user) and revision_form is None:
        revision_form = BudgetRevisionForm(user=user, allocation=allocation)
    return render(
        request,
        "programs/budget.html",
        {
            "allocation": allocation,
            "table": table,
            "revisions": allocation.revisions.order_by("revised_on", "pk"),
            "form": form if can_add else None,
            "revision_form": revision_form,
            "benchmark": benchmark_for(allocation.year),
            "note_form": NoteForm(),
        },
    )


def _next_month(rows):
    for month in range(1, 13):
        if month not in rows:
            return month
    return 12


@require_POST
def realisation_add(request, pk):
    allocation = get_visible_or_404(Allocation.objects.all(), request.user, pk=pk)
    access.require(access.may_add_realisation(request.user, allocation))
    form = RealisationForm(request.POST, user=request.user, allocation=allocation)
    if _save_form(request, form):
        messages.success(request, _("Realisasi bulan %(m)s dicatat.") % {"m": form.instance.month})
        return redirect("programs:budget", allocation.pk)
    return budget(request, pk, form=form)


def realisation_edit(request, pk):
    realisation = _part(request, Realisation, pk, ["allocation", "allocation__province"])
    form = RealisationForm(
        request.POST or None, instance=realisation, user=request.user, allocation=realisation.allocation
    )
    if request.method == "POST" and _save_form(request, form):
        messages.success(request, _("Realisasi diperbarui."))
        return redirect("programs:budget", realisation.allocation_id)
    return _form_page(
        request,
        form,
        title=_("Ubah realisasi"),
        back=reverse("programs:budget", args=[realisation.allocation_id]),
    )


@require_POST
def realisation_delete(request, pk):
    realisation = _part(request, Realisation, pk, ["allocation"])
    return _delete(
        request, realisation, reverse("programs:budget", args=[realisation.allocation_id]), _("Realisasi")
    )


@require_POST
def realisation_transition(request, pk, action):
    realisation = get_visible_or_404(Realisation.objects.select_related("allocation"), request.user, pk=pk)
    failed_form = _transition(request, realisation, action)
    if failed_form is not None:
        messages.error(request, " ".join(failed_form.errors.get("note", [])))
    if request.POST.get("next") == "antrean":
        return redirect("programs:review_queue")
    return redirect("programs:budget", realisation.allocation_id)


@require_POST
def revision_add(request, pk):
    allocation = get_visible_or_404(Allocation.objects.all(), request.user, pk=pk)
    access.require(access.may_revise_pagu(request.user))
    form = BudgetRevisionForm(request.POST, user=request.user, allocation=allocation)
    if _save_form(request, form):
        messages.success(request, _("Revisi pagu dicatat."))
        return redirect("programs:budget", allocation.pk)
    return budget(request, pk, revision_form=form)


# --- Ministry queue --------------------------------------------------------------------------------------


def review_queue(request):
    user = request.user
    access.require(access.may_review(user))
    awaiting = workflow.awaiting(Who.REVIEWER)
    closed = access.closed_year_set()
    activities = (
        Activity.objects.visible_to(user)
        .filter(review_status__in=awaiting)
        .select_related("province")
        .order_by("submitted_at", "pk")
    )
    page = _page(request, activities)
    # The page's figures by the reports' per-activity queries (one table each), not by annotating
    # participations and outputs together: a count and a sum over two joins multiply each other.
    figures = reports.figures_of_activities(user, [a.pk for a in page])
    for activity in page:
        activity.figures = figures.get(activity.pk, reports.EMPTY_ACTIVITY_FIGURES)
        activity.actions = workflow.available_actions(activity, user, closed_years=closed)
    realisations = list(
        Realisation.objects.visible_to(user)
        .filter(review_status__in=awaiting)
        .select_related("allocation__province")
        .order_by("submitted_at", "pk")[:100]
    )
    for realisation in realisations:
        realisation.actions = workflow.available_actions(realisation, user, closed_years=closed)
    return render(
        request,
        "programs/review_queue.html",
        {
            "activities": page,
            "realisations": realisations,
            "note_form": NoteForm(),
        },
    )


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
}


def history(request, kind, pk):
    from .history import history_page

    model = HISTORY_MODELS.get(kind)
    if model is None:
        raise Http404
    return history_page(request, model, pk, kind)
