"""The budget: allocations, the monthly realisation with its running absorption against the quarterly
benchmarks, and the pagu's revisions.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import access, exports, planning, workflow
from ..access import get_visible_or_404
from ..forms import AllocationFilter, BudgetRevisionForm, NoteForm, RealisationForm
from ..models import Allocation, Realisation
from ..numbers import absorption_pct
from ..periods import MONTH_CHOICES, benchmark_at_month_end, benchmark_for
from .common import (
    add_errors,
    delete_page,
    editable_part,
    form_page,
    paginate,
    query_without_page,
    save_form,
)

# --- Budget ----------------------------------------------------------------------------------------------


def allocation_list(request):
    queryset = Allocation.objects.visible_to(request.user).select_related("province")
    filterset = AllocationFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(request, filterset.qs if filterset.is_bound else queryset, "anggaran"):
        return response
    page = paginate(request, filterset.qs if filterset.is_bound else queryset, size=40)
    return render(
        request,
        "programs/allocation_list.html",
        {"filter": filterset, "page": page, "query": query_without_page(request)},
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
                "absorption": absorption_pct(running, allocation.current_pagu) if row else None,
                "benchmark": benchmark_at_month_end(month),
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
    if save_form(request, form):
        messages.success(request, _("Realisasi bulan %(m)s dicatat.") % {"m": form.instance.month})
        return redirect("programs:budget", allocation.pk)
    return budget(request, pk, form=form)


def realisation_edit(request, pk):
    realisation = editable_part(request, Realisation, pk, ["allocation", "allocation__province"])
    form = RealisationForm(
        request.POST or None, instance=realisation, user=request.user, allocation=realisation.allocation
    )
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Realisasi diperbarui."))
        return redirect("programs:budget", realisation.allocation_id)
    return form_page(
        request,
        form,
        title=_("Ubah realisasi"),
        back=reverse("programs:budget", args=[realisation.allocation_id]),
    )


@require_POST
def realisation_delete(request, pk):
    realisation = editable_part(request, Realisation, pk, ["allocation"])
    return delete_page(
        request, realisation, reverse("programs:budget", args=[realisation.allocation_id]), _("Realisasi")
    )


@require_POST
def revision_add(request, pk):
    allocation = get_visible_or_404(Allocation.objects.all(), request.user, pk=pk)
    access.require(access.may_revise_pagu(request.user))
    form = BudgetRevisionForm(request.POST, user=request.user, allocation=allocation)
    saved = _revise_plan(request, form, allocation) if form.has_plan else save_form(request, form)
    if saved:
        messages.success(request, _("Revisi pagu dicatat."))
        return redirect("programs:budget", allocation.pk)
    return budget(request, pk, revision_form=form)


def _revise_plan(request, form, allocation):
    """A revision of an allocation with a plan: its RO pagus move with it (programs.planning.revise)."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        planning.revise(
            allocation=allocation,
            actor=request.user,
            revised_on=data["revised_on"],
            new_pagu=data["new_pagu"],
            reason=data["reason"],
            document_number=data.get("document_number", ""),
            revision_code=data.get("revision_code", ""),
            ro_pagus=form.ro_pagus(),
        )
    except ValidationError as e:
        add_errors(form, e)
        return False
    return True
