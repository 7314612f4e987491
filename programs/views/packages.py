"""A period's package (a month: realisation, RPD, achievement; a quarter: the quarterly report) and its
two-tier sign-off: the operators prepare it, the Kepala Dinas approves or returns it, the ministry verifies
or returns it — one package at a time here, many at once from the ministry's queue (`package_bulk`).

Another province's package answers 404; an action the user may not take 403 (services.transition).
"""

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .. import access, packages, services, workflow
from ..access import get_visible_or_404
from ..forms import NoteForm
from ..models import Allocation, PackageKind, ReportPackage, ReviewEvent, ReviewStatus
from ..workflow import ReviewAction
from .common import paginate, query_without_page
from .review import BULK_LIMIT, take_action

# The list's filter "state": the package states, and for a Kepala Dinas its default, what awaits them.
AWAITING_ME = "menunggu-saya"


class PackageFilter(forms.Form):
    tahun = forms.TypedChoiceField(label=gettext_lazy("Tahun"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    jenis = forms.ChoiceField(
        label=gettext_lazy("Jenis"),
        required=False,
        choices=[("", gettext_lazy("Semua jenis")), *PackageKind.choices],
    )

    def __init__(self, *args, years=(), head=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = [("", _("Semua tahun")), *((y, str(y)) for y in years)]
        states = [("", _("Semua status")), *ReviewStatus.choices]
        if head:
            states.insert(1, (AWAITING_ME, _("Menunggu persetujuan Anda")))
        self.fields["status"].choices = states


def _visible(user):
    return ReportPackage.objects.visible_to(user).select_related(
        "allocation__province", "submitted_by", "approved_by", "reviewed_by"
    )


@require_http_methods(["GET", "POST"])
def package_open(request, allocation_pk, kind, period):
    """The allocation's package of a period (the reminders' links, the budget page's buttons). A GET never
    writes: it shows the package, or, when none is started yet, the budget page where its operators start
    it. A POST by someone who may prepare it starts it (404 for anyone else)."""
    if not packages.valid_period(kind, period):
        raise Http404
    allocation = get_visible_or_404(Allocation.objects.all(), request.user, pk=allocation_pk)
    package = ReportPackage.objects.filter(allocation=allocation, kind=kind, period=period).first()
    if package is None and request.method == "POST":
        if not packages.may_prepare(request.user, allocation):
            raise Http404
        package, _created = packages.get_or_start(allocation, kind, period, actor=request.user)
    if package is None:
        messages.info(
            request,
            _("Paket %(p)s belum dimulai: operator provinsi memulainya dari halaman ini.")
            % {"p": packages.period_label(kind, period, allocation.year)},
        )
        return redirect("programs:budget", allocation.pk)
    return redirect("programs:package_detail", package.pk)


def package_detail(request, pk, note_form=None, status=200):
    user = request.user
    package = get_visible_or_404(_visible(user), user, pk=pk)
    events = (
        ReviewEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(ReportPackage), object_id=package.pk
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    return render(
        request,
        "programs/package_detail.html",
        {
            "package": package,
            "title": packages.label_of(package),
            "contents": packages.contents(package),
            "actions": workflow.available_actions(package, user),
            "events": events,
            "note_form": note_form or NoteForm(),
            "may_prepare": packages.may_prepare(user, package.allocation),
            "monthly": package.kind == PackageKind.MONTHLY,
        },
        status=status,
    )


@require_POST
def package_transition(request, pk, action):
    package = get_visible_or_404(_visible(request.user), request.user, pk=pk)
    failed_form = take_action(request, package, action)
    if failed_form is not None:
        return package_detail(request, pk, note_form=failed_form, status=400)
    if request.POST.get("next") == "antrean" and access.may_review(request.user):
        return redirect("programs:review_queue")
    return redirect("programs:package_detail", package.pk)


def package_list(request):
    user = request.user
    access.require(access.may_read(user))
    head = access.is_head_of_office(user)
    data = request.GET.copy()
    if head and not request.GET:
        data["status"] = AWAITING_ME  # a Kepala Dinas opens on what awaits them
    queryset = _visible(user)
    years = sorted(set(queryset.values_list("allocation__year", flat=True)), reverse=True)
    form = PackageFilter(data, years=years, head=head)
    if form.is_valid():
        year, state, kind = (form.cleaned_data[k] for k in ("tahun", "status", "jenis"))
        if year:
            queryset = queryset.filter(allocation__year=year)
        if state == AWAITING_ME:
            queryset = queryset.filter(
                review_status__in=workflow.awaiting(workflow.Who.HEAD, workflow.Flow.PACKAGE)
            )
        elif state:
            queryset = queryset.filter(review_status=state)
        if kind:
            queryset = queryset.filter(kind=kind)
    queryset = queryset.order_by("-allocation__year", "allocation__province__code", "kind", "period")
    page = paginate(request, queryset)
    for package in page:
        package.label = packages.period_label(package.kind, package.period, package.allocation.year)
    return render(
        request,
        "programs/package_list.html",
        {"filter": form, "page": page, "query": query_without_page(request)},
    )


# --- Many at once: the ministry's queue ------------------------------------------------------------------

BULK_ACTIONS = {
    ReviewAction.VERIFY.value: ReviewAction.VERIFY,
    ReviewAction.RETURN.value: ReviewAction.RETURN,
}


@require_POST
def package_bulk(request):
    """Verify, or return with one note, the packages selected in the queue: each is its own atomic
    transition with its own event (services.transition); one that fails (changed in between, another
    state) is listed with its reason and leaves the others done."""
    user = request.user
    access.require(access.may_review(user))
    action = BULK_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Pilih tindakan: verifikasi atau kembalikan."))
        return redirect("programs:review_queue")
    ids = sorted({int(v) for v in request.POST.getlist("paket") if v.isascii() and v.isdigit()})[
        : BULK_LIMIT + 1
    ]
    if not ids:
        messages.error(request, _("Belum ada paket yang dipilih."))
        return redirect("programs:review_queue")
    if len(ids) > BULK_LIMIT:
        messages.error(request, _("Paling banyak %(n)s paket sekali proses.") % {"n": BULK_LIMIT})
        return redirect("programs:review_queue")
    note = request.POST.get("note", "").strip()
    if workflow.TRANSITIONS[action].note_required and not note:
        messages.error(request, _("Catatan wajib diisi untuk mengembalikan paket; tidak ada yang diproses."))
        return redirect("programs:review_queue")
    found = {p.pk: p for p in _visible(user).filter(pk__in=ids)}
    done, failed = 0, []
    for pk in ids:
        package = found.get(pk)
        if package is None:
            failed.append(_("Paket #%(pk)s: tidak ditemukan.") % {"pk": pk})
            continue
        try:
            services.transition(package, actor=user, action=action, note=note)
        except (ValidationError, PermissionDenied) as e:
            reason = " ".join(e.messages) if isinstance(e, ValidationError) else str(e)
            failed.append(
                _("%(p)s %(prov)s: %(why)s")
                % {"p": packages.label_of(package), "prov": package.allocation.province.name, "why": reason}
            )
        else:
            done += 1
    if done:
        word = _("diverifikasi") if action == ReviewAction.VERIFY else _("dikembalikan")
        messages.success(request, _("%(n)s paket %(w)s.") % {"n": done, "w": word})
    if failed:
        messages.error(
            request, _("%(n)s paket tidak diproses: %(list)s") % {"n": len(failed), "list": "; ".join(failed)}
        )
    return redirect("programs:review_queue")
