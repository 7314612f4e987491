"""Manual achievement (capaian) pages: under an allocation, the ROs whose achievement is entered per month
with an evidence file, their months, and adding, changing, deleting, downloading; a month's achievements are
handed over in the month's package (programs/views/packages.py).

Objects come through the access module: another province's allocation, achievement or evidence answers
404; a locked one (submitted, verified, a closed year) 403 for changes.
"""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access, packages, services
from ..access import allocations_open_for_reporting, get_visible_or_404
from ..achievements import save_achievement
from ..evidence import content_type_of
from ..forms import AchievementForm
from ..forms.achievements import manual_outputs
from ..models import Achievement, Allocation, PackageKind, ReviewStatus
from ..periods import MONTHS
from .common import add_errors, delete_page, editable_part, show_hidden_field_errors

log = logging.getLogger("ikm_dekon.downloads")


def _may_add(user, allocation):
    """Operators (and admins) enter their province's achievements in an open year."""
    return allocations_open_for_reporting(user).filter(pk=allocation.pk).exists()


def _save(request, form):
    if not form.is_valid():
        show_hidden_field_errors(form)
        return False
    try:
        save_achievement(form.instance, actor=request.user, expected_version=form.expected_version)
    except services.ConcurrentEditError as e:
        form.add_error(None, e.message)
        return False
    except ValidationError as e:
        add_errors(form, e)
        return False
    except IntegrityError:  # nothing was saved: the same month recorded in between
        form.add_error("month", _("Capaian RO ini untuk bulan itu sudah dicatat; ubah baris yang ada."))
        return False
    return True


def achievement_list(request, pk, form=None):
    """The allocation's manual ROs with their months; the add form for the province's operator."""
    user = request.user
    allocation = get_visible_or_404(Allocation.objects.select_related("province"), user, pk=pk)
    ros = list(manual_outputs(user, allocation).order_by("code"))
    records = list(
        Achievement.objects.visible_to(user)
        .filter(planned_output__allocation=allocation)
        .select_related("planned_output__allocation", "reviewed_by")
        .order_by("planned_output__code", "month")
    )
    editable = set(
        Achievement.objects.editable_by(user)
        .filter(planned_output__allocation=allocation)
        .values_list("pk", flat=True)
    )
    by_period = packages.packages_of(allocation)
    by_ro = {ro.pk: {"ro": ro, "months": [], "verified": 0, "entered": 0} for ro in ros}
    for record in records:
        group = by_ro.get(record.planned_output_id)
        if group is None:
            continue
        record.editable = record.pk in editable
        record.month_label = MONTHS[record.month - 1]
        record.package = by_period.get((PackageKind.MONTHLY, record.month))
        group["months"].append(record)
        group["entered"] += record.quantity
        if record.review_status == ReviewStatus.VERIFIED:
            group["verified"] += record.quantity
    may_report = _may_add(user, allocation)
    can_add = bool(ros) and may_report
    if can_add and form is None:
        form = AchievementForm(user=user, allocation=allocation)
    return render(
        request,
        "programs/achievement_list.html",
        {
            "allocation": allocation,
            "groups": list(by_ro.values()),
            "form": form if can_add else None,
            "may_prepare": may_report,
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_POST
def achievement_add(request, pk):
    allocation = get_visible_or_404(Allocation.objects.select_related("province"), request.user, pk=pk)
    access.require(_may_add(request.user, allocation))
    form = AchievementForm(request.POST, request.FILES, user=request.user, allocation=allocation)
    if _save(request, form):
        messages.success(
            request,
            _("Capaian %(ro)s bulan %(m)s dicatat.")
            % {"ro": form.instance.planned_output.code, "m": form.instance.month},
        )
        return redirect("programs:achievements", allocation.pk)
    return achievement_list(request, pk, form=form)


def achievement_edit(request, pk):
    achievement = editable_part(request, Achievement, pk, ["planned_output__allocation__province"])
    allocation = achievement.planned_output.allocation
    form = AchievementForm(
        request.POST or None,
        request.FILES or None,
        instance=achievement,
        user=request.user,
        allocation=allocation,
    )
    back = reverse("programs:achievements", args=[allocation.pk])
    if request.method == "POST" and _save(request, form):
        messages.success(request, _("Capaian diperbarui."))
        return redirect(back)
    return render(
        request,
        "programs/achievement_form.html",
        {"form": form, "achievement": achievement, "back": back},
        status=400 if form.errors else 200,
    )


@require_POST
def achievement_delete(request, pk):
    achievement = editable_part(request, Achievement, pk, ["planned_output"])
    back = reverse("programs:achievements", args=[achievement.planned_output.allocation_id])
    return delete_page(request, achievement, back, _("Capaian"))


def achievement_download(request, pk):
    achievement = get_visible_or_404(
        Achievement.objects.select_related("planned_output__allocation"), request.user, pk=pk
    )
    if not achievement.evidence:
        raise Http404
    try:
        handle = achievement.evidence.open("rb")
    except FileNotFoundError as e:
        raise Http404(_("Berkas tidak ditemukan di penyimpanan.")) from e
    log.info(
        "download",
        extra={
            "user": request.user.username,
            "province": achievement.planned_output.allocation.province_id,
            "object": f"Achievement:{achievement.pk}",
        },
    )
    content_type = content_type_of(achievement.evidence.name)
    extension = achievement.evidence.name.rsplit(".", 1)[-1]
    original = achievement.evidence_name or ""
    name = original if original.lower().endswith(extension) else f"bukti-capaian-{pk}.{extension}"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
