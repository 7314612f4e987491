"""The Covid-19 response report: what was produced of each protective product and handed to whom.
"""

from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ikm_dekon.db_router import replica_reads

from ..access import provinces_visible_to
from ..models import (
    PPE_TYPES,
    Handover,
    Output,
    ProductType,
    RecipientType,
)
from ..numbers import HUNDRED, absorption_pct, percent  # noqa: F401 - reports.percent: the selectors' API
from ..periods import MONTHS, QUARTER_BENCHMARKS, end_of_day, quarter_end  # noqa: F401
from .figures import COVID_PRODUCT_KEYS, COVID_RECIPIENT_KEYS
from .filters import Filters
from .recap import reads_tallies, tally_rows

# --- The Covid-19 response report --------------------------------------------------------------------------


def _covid_sums(user, filters):
    """([{province_id, product_type, made, ordered}], [{province_id, product_type, recipient_type,
    quantity}]) of the protective equipment, added up from the records (any filter)."""
    in_activities = filters.activities("activity__")
    outputs = (
        Output.objects.visible_to(user)
        .filter(year=filters.year, product_type__in=PPE_TYPES)
        .filter(in_activities)
        .order_by()
        .values("province_id", "product_type")
        .annotate(made=Sum("quantity"), ordered=Sum("ordered_quantity"))
    )
    handovers = (
        Handover.objects.visible_to(user)
        .filter(year=filters.year, product_type__in=PPE_TYPES)
        .filter(in_activities)
        .order_by()
        .values("province_id", "product_type", "recipient_type")
        .annotate(quantity=Sum("quantity"))
    )
    return outputs, handovers


def _covid_sums_from_tallies(user, year):
    """The same sums, unfiltered, from the tallies the database keeps."""
    outputs, handovers = {}, []
    for province_id, measure, amount in tally_rows(user, year):
        if not amount:
            continue  # what was there and has gone: no cell, as when adding up the records
        kind, _colon, rest = measure.partition(":")
        if kind in ("output", "ordered") and rest in PPE_TYPES:
            entry = outputs.setdefault(
                (province_id, rest),
                {"province_id": province_id, "product_type": rest, "made": 0, "ordered": 0},
            )
            entry["made" if kind == "output" else "ordered"] += int(amount)
        elif kind == "handed_over":
            recipient_type, _colon, product_type = rest.partition(":")
            if product_type in PPE_TYPES:
                handovers.append(
                    {
                        "province_id": province_id,
                        "product_type": product_type,
                        "recipient_type": recipient_type,
                        "quantity": int(amount),
                    }
                )
    return list(outputs.values()), handovers


@dataclass
class Covid:
    filters: Filters
    rows: list  # one per province and product type with any output
    totals: dict
    by_product: list  # one per product type: produced, ordered, handed over, and handed over per recipient
    by_recipient: list  # one per recipient type: handed over in all, and per product type


@replica_reads()
def covid_report(user, filters, live=False):
    """Protective equipment and masks produced, ordered and handed over: by province, product, recipient.

    Unfiltered on PostgreSQL from the tallies (as the recap); filtered (or `live`) from the records.
    """
    year = filters.year
    provinces = {
        p.pk: p
        for p in provinces_visible_to(user).active_in(year).only("pk", "code", "name").order_by("code")
    }
    if reads_tallies(filters, live, user=user):
        outputs, handovers = _covid_sums_from_tallies(user, year)
    else:
        outputs, handovers = _covid_sums(user, filters)
    cells = {}

    def cell(province_id, product_type):
        entry = cells.get((province_id, product_type))
        if entry is None:
            province = provinces[province_id]
            entry = cells[province_id, product_type] = {
                "province_code": province.code,
                "province": province.name,
                "product_type": product_type,
                "product": str(ProductType(product_type).label),
                "produced": 0,
                "ordered": 0,
                "handed_over": 0,
                **dict.fromkeys(COVID_RECIPIENT_KEYS.values(), 0),
            }
        return entry

    for o in outputs:
        if o["province_id"] in provinces:
            entry = cell(o["province_id"], o["product_type"])
            entry["produced"] += o["made"] or 0
            entry["ordered"] += o["ordered"] or 0
    for h in handovers:
        if h["province_id"] in provinces:
            entry = cell(h["province_id"], h["product_type"])
            entry[COVID_RECIPIENT_KEYS[h["recipient_type"]]] += h["quantity"] or 0
            entry["handed_over"] += h["quantity"] or 0
    order = {value: i for i, value in enumerate(PPE_TYPES)}
    rows = sorted(cells.values(), key=lambda r: (r["province_code"], order[r["product_type"]]))
    numbers = ["produced", "ordered", "handed_over", *COVID_RECIPIENT_KEYS.values()]
    totals = {"province_code": None, "province": str(_("Total")), "product_type": None, "product": ""}
    totals.update({key: sum(r[key] for r in rows) for key in numbers})
    by_product = []
    for product_type in PPE_TYPES:
        mine = [r for r in rows if r["product_type"] == product_type]
        by_product.append(
            {
                "product_type": str(product_type),
                "product": str(ProductType(product_type).label),
                **{key: sum(r[key] for r in mine) for key in numbers},
            }
        )
    # Recipient × product: how many masks (not all protective equipment) went to the task forces.
    by_recipient = [
        {
            "recipient_type": value,
            "recipient": str(RecipientType(value).label),
            "handed_over": totals[key],
            **{COVID_PRODUCT_KEYS[p["product_type"]]: p[key] for p in by_product},
        }
        for value, key in COVID_RECIPIENT_KEYS.items()
    ]
    return Covid(filters=filters, rows=rows, totals=totals, by_product=by_product, by_recipient=by_recipient)
