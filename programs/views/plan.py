"""The plan (DIPA) of an allocation: its page (the tree by code, headings with the sum of their ROs, the
total against the current pagu) and its edit page (every line as a row, saved by
`programs.planning.save_plan`, all or nothing). Ministry staff and admins enter the plan in an open year;
every other role reads the plans it may see; another province's plan answers 404.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import access, planning
from ..access import get_visible_or_404
from ..forms import PlanFormSet
from ..models import Allocation, PlanItem, PlanLevel

ROW_FIELDS = ["code", "name", "target", "unit", "measure", "product_type", "pagu"]


def _allocation(request, pk):
    return get_visible_or_404(Allocation.objects.select_related("province"), request.user, pk=pk)


def _may_enter(user, allocation):
    return access.may_enter_plan(user) and access.year_open_for(user, allocation.year)


def plan_tree(items):
    """The plan's lines in the DIPA's order, each with its depth and, for a heading, the sum of its ROs;
    and the sum of every RO's pagu. `items`: the allocation's PlanItems (one query)."""
    by_pk = {item.pk: item for item in items}
    sums = {}
    total = 0
    for item in items:
        if item.level != PlanLevel.RO:
            continue
        total += item.pagu
        parent = by_pk.get(item.parent_id)
        while parent is not None:
            sums[parent.pk] = sums.get(parent.pk, 0) + item.pagu
            parent = by_pk.get(parent.parent_id)
    for item in items:
        item.parent_code = by_pk[item.parent_id].code if item.parent_id in by_pk else None
        item.depth = planning.DEPTH[item.level]
        item.heading_pagu = (
            sums.get(item.pk, 0)
            if item.level in (PlanLevel.PROGRAM, PlanLevel.KEGIATAN, PlanLevel.KRO)
            else None
        )
    return planning.tree_order(items), total


def plan(request, pk):
    allocation = _allocation(request, pk)
    items = list(PlanItem.objects.visible_to(request.user).filter(allocation=allocation))
    lines, total = plan_tree(items)
    return render(
        request,
        "programs/plan.html",
        {
            "allocation": allocation,
            "lines": lines,
            "ro_count": sum(1 for item in items if item.level == PlanLevel.RO),
            "total": total,
            "difference": total - allocation.current_pagu,
            "may_enter": _may_enter(request.user, allocation),
        },
    )


def plan_edit(request, pk):
    allocation = _allocation(request, pk)
    access.require(access.may_enter_plan(request.user))
    access.check_year_open(request.user, allocation.year)
    if request.method == "POST":
        formset = PlanFormSet(request.POST)
        if formset.is_valid():
            rows = [
                {**{f: form.cleaned_data.get(f) for f in ROW_FIELDS}, "row": index + 1}
                for index, form in enumerate(formset.forms)
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            try:
                counts = planning.save_plan(
                    allocation=allocation,
                    rows=rows,
                    actor=request.user,
                    expected=request.POST.get("sidik") or None,
                )
            except planning.PlanRefused as e:
                formset.add_problems(e.problems)
            except planning.PlanChanged as e:
                formset.add_problems([planning.Problem(None, "", None, e.messages[0])])
            else:
                messages.success(
                    request,
                    _("Rencana disimpan: %(new)s baris baru, %(changed)s diubah, %(gone)s dihapus.")
                    % {
                        "new": counts[planning.NEW],
                        "changed": counts[planning.UPDATE],
                        "gone": counts["hapus"],
                    },
                )
                return redirect("programs:plan", allocation.pk)
    else:
        initial = [{f: row[f] for f in ROW_FIELDS} for row in planning.plan_rows(allocation)]
        formset = PlanFormSet(initial=initial)
    seen = request.POST.get("sidik") if request.method == "POST" else None
    if seen is None:
        seen = planning.fingerprint(PlanItem.objects.filter(allocation=allocation).only("pk", "version"))
    return render(
        request,
        "programs/plan_edit.html",
        {"allocation": allocation, "formset": formset, "fingerprint": seen},
    )
