"""The budget: allocations, the monthly realisation (per spending type, and per RO where the year has a
plan) with its running absorption against the quarterly benchmarks, the cash plan (RPD) against it, and
the pagu's revisions.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import access, cashplan, exports, packages, planning, services
from ..access import get_visible_or_404
from ..forms import AllocationFilter, BudgetRevisionForm, CashPlanForm, NoteForm, RealisationForm
from ..models import Allocation, PackageKind, Realisation
from ..numbers import absorption_pct
from ..periods import MONTH_CHOICES, benchmark_at_month_end, benchmark_for, benchmarks_text
from .common import (
    add_errors,
    collided,
    delete_page,
    editable_part,
    form_page,
    paginate,
    query_without_page,
    save_form,
    show_hidden_field_errors,
)

# --- Budget ----------------------------------------------------------------------------------------------


def allocation_list(request):
    queryset = Allocation.objects.visible_to(request.user).select_related("province")
    filterset = AllocationFilter(request.GET or None, queryset=queryset, user=request.user)
    if response := exports.list_export(
        request, filterset.qs if filterset.is_bound else queryset, "anggaran", form=filterset.form
    ):
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
    realisations = list(allocation.realisations.select_related("reviewed_by"))
    rows = {r.month: r for r in realisations}
    editable_ids = set(
        Realisation.objects.editable_by(user).filter(allocation=allocation).values_list("pk", flat=True)
    )
    can_add = access.may_add_realisation(user, allocation)
    # Each month (and quarter) is handed over in its package; the page links to it with its state.
    by_period = packages.packages_of(allocation)
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
                "package": by_period.get((PackageKind.MONTHLY, month)),
            }
        )
    outputs = list(cashplan.planned_outputs(allocation))
    if can_add and form is None:
        form = RealisationForm(
            user=user, allocation=allocation, outputs=outputs, initial={"month": _next_month(rows)}
        )
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
            "comparison": cashplan.compare(allocation, realisations=realisations),
            "by_output": cashplan.realised_by_output(allocation, outputs=outputs) if outputs else None,
            "spending_types": SPENDING_TYPE_LABELS,
            "benchmarks": benchmarks_text(),
            "quarters": [(q, by_period.get((PackageKind.QUARTERLY, q))) for q in range(1, 5)],
            "may_prepare": can_add,  # the same right: the province's reports of an open year
        },
    )


def _next_month(rows):
    for month in range(1, 13):
        if month not in rows:
            return month
    return 12


def _save_realisation(request, form):
    """Validate the realisation form and save it with its lines (cashplan.save_realisation); False, with
    the message on the form, when refused."""
    if not form.is_valid():
        show_hidden_field_errors(form)
        return False
    editing = form.instance.pk is not None
    try:
        cashplan.save_realisation(
            allocation=form.allocation,
            month=form.instance.month,
            lines=form.lines(),
            note=form.cleaned_data.get("note", ""),
            actor=request.user,
            realisation=form.instance if editing else None,
            expected_version=form.expected_version,
            ro_ids={ro.pk for ro in form.outputs},
        )
    except services.ConcurrentEditError as e:
        form.add_error(None, e.message)
        return False
    except ValidationError as e:
        add_errors(form, e)
        return False
    except IntegrityError:  # nothing was saved
        collided(form)
        return False
    return True


@require_POST
def realisation_add(request, pk):
    allocation = get_visible_or_404(Allocation.objects.all(), request.user, pk=pk)
    access.require(access.may_add_realisation(request.user, allocation))
    form = RealisationForm(request.POST, user=request.user, allocation=allocation)
    if _save_realisation(request, form):
        messages.success(request, _("Realisasi bulan %(m)s dicatat.") % {"m": form.instance.month})
        return redirect("programs:budget", allocation.pk)
    return budget(request, pk, form=form)


def realisation_edit(request, pk):
    realisation = editable_part(request, Realisation, pk, ["allocation", "allocation__province"])
    form = RealisationForm(
        request.POST or None, instance=realisation, user=request.user, allocation=realisation.allocation
    )
    if request.method == "POST" and _save_realisation(request, form):
        messages.success(request, _("Realisasi diperbarui."))
        return redirect("programs:budget", realisation.allocation_id)
    return form_page(
        request,
        form,
        title=_("Ubah realisasi"),
        back=reverse("programs:budget", args=[realisation.allocation_id]),
        template="programs/rpd_realisation_edit.html",
        allocation=realisation.allocation,
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


# --- The cash plan (RPD) -------------------------------------------------------------------------------

SPENDING_TYPE_LABELS = [(t, label) for t, label in cashplan.SpendingType.choices]

# The table of the RPD page's downloads (XLSX, CSV) and of its JSON, described once.
MONTH_COLUMNS = [
    exports.Column("month", gettext_lazy("Bulan"), "code"),
    exports.Column("spending_type", gettext_lazy("Jenis belanja")),
    exports.Column("planned", gettext_lazy("Rencana (RPD) (Rp)"), "money", total=True),
    exports.Column("realised", gettext_lazy("Realisasi (Rp)"), "money", total=True),
    exports.Column("deviation_pct", gettext_lazy("Deviasi (%)"), "percent"),
]
CUMULATIVE_COLUMNS = [
    exports.Column("month", gettext_lazy("Bulan"), "code"),
    exports.Column("planned", gettext_lazy("Rencana kumulatif (Rp)"), "money"),
    exports.Column("realised", gettext_lazy("Realisasi kumulatif (Rp)"), "money"),
    exports.Column("deviation_pct", gettext_lazy("Deviasi kumulatif (%)"), "percent"),
    exports.Column("realised_pct", gettext_lazy("Realisasi kumulatif dari pagu terkini (%)"), "percent"),
    exports.Column("benchmark_pct", gettext_lazy("Target triwulan (%)"), "int"),
]


def _plain_rows(rows, columns):
    return [{c.key: exports.plain(c.value(row), c.kind) for c in columns} for row in rows]


def _rpd_export(request, allocation, comparison, fmt):
    if fmt == "json":
        plan = comparison.plan
        body = {
            "year": allocation.year,
            "province_code": allocation.province.code,
            "version": plan.number if plan else None,
            "current_pagu": int(allocation.current_pagu),
            "planned_total": None if comparison.planned_total is None else int(comparison.planned_total),
            "months": _plain_rows(comparison.month_rows(), MONTH_COLUMNS),
            "cumulative": _plain_rows(comparison.cumulative_rows(), CUMULATIVE_COLUMNS),
        }
        response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
        response["Cache-Control"] = "private, no-store"
        return response
    export = exports.Export(
        name=f"rpd-{allocation.province.code}-{allocation.year}",
        tables=[
            exports.Table("months", _("RPD dan realisasi per bulan"), MONTH_COLUMNS, comparison.month_rows()),
            exports.Table(
                "cumulative",
                _("Kumulatif"),
                CUMULATIVE_COLUMNS,
                list(comparison.cumulative_rows()),
                totals=None,
            ),
        ],
        province=allocation.province_id,
        title=_("RPD dan realisasi %(province)s") % {"province": allocation.province.name},
        scope=allocation.province.name,
        year=allocation.year,
        unverified=exports.unverified_months(allocation),
    )
    return exports.respond(request, export, fmt)


def _plan_grid(lines):
    """[(month label, [amount per type], month total)] and the totals per type, of a version's lines."""
    amounts = {(m, t): a for m, t, a in lines}
    rows, totals = [], dict.fromkeys(cashplan.SPENDING_TYPES, 0)
    for month, label in MONTH_CHOICES:
        cells = [amounts.get((month, t), 0) for t in cashplan.SPENDING_TYPES]
        for t, amount in zip(cashplan.SPENDING_TYPES, cells, strict=True):
            totals[t] += amount
        rows.append((label, cells, sum(cells)))
    return rows, [totals[t] for t in cashplan.SPENDING_TYPES], sum(totals.values())


def cash_plan(request, pk):
    """The RPD page: the version in force, every version, the windows of the year, plan against
    realisation; ?format=json|xlsx|csv downloads the comparison."""
    allocation = get_visible_or_404(Allocation.objects.select_related("province"), request.user, pk=pk)
    fmt = exports.requested_format(request)
    versions = list(allocation.cash_plans.select_related("entered_by").order_by("-number"))
    plan = versions[0] if versions else None
    lines = list(plan.lines.values_list("month", "spending_type", "amount")) if plan else []
    comparison = cashplan.compare(allocation, plan=plan, plan_lines=lines)
    if fmt is not None:
        return _rpd_export(request, allocation, comparison, fmt)
    year_windows = cashplan.windows(allocation.year, allocation.province_id)
    today = timezone.localdate()
    open_now = cashplan.window_open(allocation, today, year_windows=year_windows)
    rows, type_totals, total = _plan_grid(lines)
    return render(
        request,
        "programs/rpd.html",
        {
            "allocation": allocation,
            "plan": plan,
            "versions": versions,
            "grid": rows,
            "type_totals": type_totals,
            "total": total if plan else None,
            "comparison": comparison,
            "windows": year_windows,
            "open_now": open_now,
            "today": today,
            "next_window": None
            if open_now
            else cashplan.next_window(allocation, today, year_windows=year_windows),
            "may_enter": cashplan.may_enter_cash_plan(request.user, allocation),
            "spending_types": SPENDING_TYPE_LABELS,
            "benchmarks": benchmarks_text(),
        },
    )


def cash_plan_edit(request, pk):
    """Enter a new RPD version: any time the first, later ones inside a window (else refused, saying when
    the next window opens, nothing saved)."""
    allocation = get_visible_or_404(Allocation.objects.select_related("province"), request.user, pk=pk)
    access.require(cashplan.may_enter_cash_plan(request.user, allocation))
    plan = cashplan.plan_in_force(allocation)
    current = (
        {(m, t): a for m, t, a in plan.lines.values_list("month", "spending_type", "amount")} if plan else {}
    )
    form = CashPlanForm(request.POST or None, plan_lines=current)
    today = timezone.localdate()
    year_windows = cashplan.windows(allocation.year, allocation.province_id)
    closed = plan is not None and cashplan.window_open(allocation, today, year_windows=year_windows) is None
    if request.method == "POST" and form.is_valid():
        try:
            saved = cashplan.save_cash_plan(
                allocation=allocation,
                lines=form.lines(),
                actor=request.user,
                note=form.cleaned_data["note"],
                today=today,
            )
        except ValidationError as e:
            add_errors(form, e)
        else:
            messages.success(request, _("RPD versi %(n)s disimpan.") % {"n": saved.number})
            warning = cashplan.differs_from_pagu(allocation, form.total())
            if warning:
                messages.warning(request, warning)
            return redirect("programs:cash_plan", allocation.pk)
    return render(
        request,
        "programs/rpd_edit.html",
        {
            "allocation": allocation,
            "form": form,
            "plan": plan,
            "closed": closed,
            "closed_message": cashplan.closed_message(allocation, today, year_windows=year_windows)
            if closed
            else None,
            "spending_types": SPENDING_TYPE_LABELS,
        },
    )
