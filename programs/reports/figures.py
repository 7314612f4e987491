"""The figures of the reports, described once: each figure's key, label and kind (money, count, percent), the
keys per status, product and recipient, and the sort keys the pages allow.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from ..models import (
    PPE_TYPES,
    ActivityStatus,
    ProductType,
    RecipientType,
)
from ..numbers import HUNDRED, absorption_pct, percent  # noqa: F401 - reports.percent: the selectors' API
from ..periods import MONTHS, QUARTER_BENCHMARKS, end_of_day, quarter_end  # noqa: F401

# --- The figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str  # money | int | percent
    group: str  # which table of the page shows it


STATUS_KEYS = {
    ActivityStatus.PLANNED: "activities_planned",
    ActivityStatus.RUNNING: "activities_running",
    ActivityStatus.DONE: "activities_done",
    ActivityStatus.POSTPONED: "activities_postponed",
    ActivityStatus.CANCELLED: "activities_cancelled",
}
OUTPUT_KEYS = {value: f"output_{value}" for value in ProductType.values}
ORDERED_KEYS = {value: f"ordered_{value}" for value in ProductType.values}
HANDED_OVER_KEYS = {value: f"handed_over_{value}" for value in RecipientType.values}

RECAP_FIGURES = [
    Figure("pagu", _("Pagu awal"), "money", "money"),
    Figure("current_pagu", _("Pagu terkini"), "money", "money"),
    Figure("realised", _("Realisasi"), "money", "money"),
    Figure("absorption_pct", _("Penyerapan (%)"), "percent", "money"),
    Figure("activities", _("Kegiatan"), "int", "activities"),
    *[Figure(key, ActivityStatus(status).label, "int", "activities") for status, key in STATUS_KEYS.items()],
    Figure("activity_budget", _("Anggaran kegiatan"), "money", "activities"),
    Figure("firms", _("IKM (berbeda)"), "int", "activities"),
    Figure("participants", _("Peserta perorangan"), "int", "activities"),
    Figure("participants_target", _("Target peserta"), "int", "activities"),
    Figure("participants_actual", _("Realisasi peserta"), "int", "activities"),
    *[
        Figure(key, _("Produksi: %(t)s") % {"t": ProductType(value).label}, "int", "outputs")
        for value, key in OUTPUT_KEYS.items()
    ],
    *[
        Figure(key, _("Pesanan: %(t)s") % {"t": ProductType(value).label}, "int", "outputs")
        for value, key in ORDERED_KEYS.items()
    ],
    *[
        Figure(key, _("Diserahkan ke %(r)s") % {"r": RecipientType(value).label}, "int", "outputs")
        for value, key in HANDED_OVER_KEYS.items()
    ],
]
FIGURES_BY_KEY = {f.key: f for f in RECAP_FIGURES}
ADDITIVE = [f.key for f in RECAP_FIGURES if f.kind != "percent" and f.key != "firms"]
#: The columns a recap may be sorted by (an allow-list; "-" before a key sorts descending).
SORT_KEYS = ["province_code", "province", *FIGURES_BY_KEY]


#: Tally measures (programs/tallies.py) → recap keys; "handed_over:<recipient>:<product>" are summed.
TALLY_KEYS = {
    **{f"activities:{status}": key for status, key in STATUS_KEYS.items()},
    "activity_budget": "activity_budget",
    "participants_target": "participants_target",
    "participants_actual": "participants_actual",
    "participants": "participants",
    "firms": "firms",
    **{f"output:{value}": key for value, key in OUTPUT_KEYS.items()},
    **{f"ordered:{value}": key for value, key in ORDERED_KEYS.items()},
}
MONEY_KEYS = {"activity_budget"}


EMPTY_ACTIVITY_FIGURES = {"firms": 0, "participants": 0, "produced": 0, "ordered": 0, "handed_over": 0}


COVID_RECIPIENT_KEYS = HANDED_OVER_KEYS
#: The product types the Covid-19 report counts (the protective equipment) → their keys in `by_recipient`.
COVID_PRODUCT_KEYS = {value: f"product_{value}" for value in PPE_TYPES}
