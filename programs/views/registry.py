"""The province's registries: IKM firms and partners."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access, exports
from ..access import get_visible_or_404
from ..forms import FirmFilter, FirmForm, PartnerFilter, PartnerForm
from ..models import Firm, Output, Participation, Partner
from .common import delete_page, editable_part, form_page, paginate, query_without_page, save_form

# --- Firms and partners ----------------------------------------------------------------------------------


def firm_list(request):
    # By province first, as the activity list: a deep page of a million firms is then read from one
    # province's rows (programs/views/common.py), and an operator's list is by name all the same.
    queryset = (
        Firm.objects.visible_to(request.user)
        .select_related("province", "regency")
        .order_by("province__code", "name", "pk")
    )
    filterset = FirmFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(
        request, filterset.qs if filterset.is_bound else queryset, "ikm", form=filterset.form
    ):
        return response
    page = paginate(request, filterset.qs if filterset.is_bound else queryset)
    return render(
        request,
        "programs/firm_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": access.may_enter_data(request.user),
            "query": query_without_page(request),
        },
    )


def firm_detail(request, pk):
    firm = get_visible_or_404(Firm.objects.select_related("province", "regency"), request.user, pk=pk)
    # Only the activities the user sees (a regency operator: their regency's) and their outputs.
    participations = (
        Participation.objects.visible_to(request.user)
        .filter(firm=firm)
        .select_related("activity", "activity__province")
        .order_by("-activity__year", "activity__planned_start")
    )
    outputs = (
        Output.objects.visible_to(request.user)
        .filter(participation__firm=firm)
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
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("IKM didaftarkan."))
        return redirect(form.instance)
    return form_page(request, form, title=_("Daftarkan IKM"), back=reverse("programs:firm_list"))


def firm_update(request, pk):
    firm = editable_part(request, Firm, pk, ["province"])
    form = FirmForm(request.POST or None, instance=firm, user=request.user)
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Data IKM diperbarui."))
        _say_locked_activities_keep_it(request, firm)
        return redirect(firm)
    return form_page(request, form, title=_("Ubah data IKM"), back=firm.get_absolute_url())


@require_POST
def firm_delete(request, pk):
    firm = editable_part(request, Firm, pk)
    return delete_page(request, firm, "programs:firm_list", _("IKM"), kept_at=firm)


def partner_list(request):
    queryset = Partner.objects.visible_to(request.user).select_related("province", "regency")
    filterset = PartnerFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(
        request, filterset.qs if filterset.is_bound else queryset, "mitra", form=filterset.form
    ):
        return response
    page = paginate(request, filterset.qs if filterset.is_bound else queryset)
    return render(
        request,
        "programs/partner_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": access.may_enter_data(request.user),
            "query": query_without_page(request),
        },
    )


def partner_create(request):
    access.require(access.may_enter_data(request.user))
    form = PartnerForm(request.POST or None, user=request.user)
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Mitra disimpan."))
        return redirect("programs:partner_list")
    return form_page(request, form, title=_("Mitra baru"), back=reverse("programs:partner_list"))


def partner_update(request, pk):
    partner = editable_part(request, Partner, pk)
    form = PartnerForm(request.POST or None, instance=partner, user=request.user)
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Mitra diperbarui."))
        _say_locked_activities_keep_it(request, partner)
        return redirect("programs:partner_list")
    return form_page(request, form, title=_("Ubah mitra"), back=reverse("programs:partner_list"))


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
    partner = editable_part(request, Partner, pk)
    return delete_page(request, partner, "programs:partner_list", _("Mitra"))
