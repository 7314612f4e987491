"""The pagu in force on a day — one home for every figure that divides a realisation "to a month" by a pagu.

The pagu in force on a day is the allocation's DIPA pagu until a revision dated on or before that day, then
the newest such revision's new pagu (by date, then by entry, as `BudgetRevision.save` orders them). The
PP 39/2006 Form B and the status card (programs/reports/pp39.py), the IKPA's penyerapan
(programs/reports/ikpa.py) and the recap and dashboard as of a month (programs/reports/recap.py) all divide
by it: a 2020 refocusing of April lowered the pagu, and March's absorption is measured against the pagu of
March. Today's pagu (`Allocation.current_pagu`) stays the recap's "Pagu terkini". This module never writes.
"""

from django.db.models import Count

from ..models import BudgetRevision


def in_force(pagu, revisions, day):
    """The pagu in force on `day`: `pagu` (the DIPA's) or the newest of `revisions` (BudgetRevision rows of
    the allocation, any order) dated by then."""
    dated = [r for r in revisions if r.revised_on <= day]
    if not dated:
        return pagu
    return max(dated, key=lambda r: (r.revised_on, r.pk)).new_pagu


def pagu_in_force(user, allocations, day):
    """{allocation id: the pagu in force on `day`} of many allocations (id and DIPA pagu: Allocation objects
    or (id, pagu) pairs, found by the caller through `visible_to(user)`), by one query whatever their
    number."""
    pagus = dict((a.pk, a.pagu) if hasattr(a, "pk") else (a[0], a[1]) for a in allocations)
    latest = {}
    for allocation_id, new_pagu in (
        BudgetRevision.objects.visible_to(user)
        .filter(allocation_id__in=list(pagus), revised_on__lte=day)
        .order_by("allocation_id", "revised_on", "pk")
        .values_list("allocation_id", "new_pagu")
    ):
        latest[allocation_id] = new_pagu  # ordered by date, then entry: the newest stays
    return {pk: latest.get(pk, pagu) for pk, pagu in pagus.items()}


def national_pagu_in_force(allocations, day):
    """The sum of the pagu in force on `day` of every allocation in `allocations` (an Allocation queryset),
    by one aggregate query: the same rule as `in_force` (the newest revision dated by then, by date, then by
    entry; else the DIPA's pagu). Only the sum leaves the database, never one allocation's pagu: the caller
    may pass allocations the user does not see row by row (see `recap.national_average`)."""
    from django.db.models import DecimalField, OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    newest = (
        BudgetRevision.objects.filter(allocation=OuterRef("pk"), revised_on__lte=day)
        .order_by("-revised_on", "-pk")
        .values("new_pagu")[:1]
    )
    field = DecimalField(max_digits=15, decimal_places=0)
    summed = (
        allocations.order_by()
        .annotate(in_force=Coalesce(Subquery(newest, output_field=field), "pagu", output_field=field))
        .aggregate(total=Sum("in_force"), n=Count("pk"))
    )
    return summed["total"], summed["n"]
