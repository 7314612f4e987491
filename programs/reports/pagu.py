"""The pagu in force on a day — one home for every figure that divides a realisation "to a month" by a pagu.

The pagu in force on a day is the allocation's DIPA pagu until a revision dated on or before that day, then
the newest such revision's new pagu (by date, then by entry, as `BudgetRevision.save` orders them). The
PP 39/2006 Form B and the status card (programs/reports/pp39.py), the IKPA's penyerapan
(programs/reports/ikpa.py) and the recap and dashboard as of a month (programs/reports/recap.py) all divide
by it: a 2020 refocusing of April lowered the pagu, and March's absorption is measured against the pagu of
March. Today's pagu (`Allocation.current_pagu`) stays the recap's "Pagu terkini". This module never writes.
"""

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
