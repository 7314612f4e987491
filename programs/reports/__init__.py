"""The read side (the selectors): every figure of the reports, computed by aggregate queries only.

Each report runs a fixed number of `values(...).annotate(Sum/Count)` queries whatever the amount of data
(never one query per province, activity or row). Every queryset starts from `Model.objects.visible_to(user)`
— the one scoping mechanism — so an operator's reports hold their own province and nothing else. It never
writes; the pages of the reports are `reports.views`.

The rows that are added up (participations, participants, outputs, handovers) carry their activity's
province and year, so the figures of a year group by those columns without joining up to the activity;
only the activity filters (kind, purpose, sector, Covid-19, verified) reach through `activity__`.

`filters` (what is asked), `figures` (what is shown, described once), `recap` (national), `province`,
`quarterly`, `covid`, `capaian` (each RO's physical progress as of a month), `ikpa` (the IKPA early
warning, from every record before the month closes), `as_verified` (a locked activity as it was when locked),
`views` (the report pages) and `ikpa_views` (the IKPA pages).
The stored totals the recap reads are kept by the database (programs/tallies.py, beside programs/derived.py).
"""

from ..numbers import absorption_pct, percent
from .capaian import Capaian, capaian_report, default_month
from .covid import Covid, covid_report
from .figures import (
    COVID_PRODUCT_KEYS,
    COVID_RECIPIENT_KEYS,
    EMPTY_ACTIVITY_FIGURES,
    FIGURES_BY_KEY,
    HANDED_OVER_KEYS,
    ORDERED_KEYS,
    OUTPUT_KEYS,
    RECAP_FIGURES,
    SORT_KEYS,
    STATUS_KEYS,
    Figure,
)
from .filters import Filters
from .province import (
    activity_figures,
    figures_of_activities,
    monthly_curve,
    physical_progress,
    province_activities,
)
from .quarterly import Quarterly, as_at, quarterly_report
from .recap import Comparison, Recap, national_recap, province_against_nation, years_visible

__all__ = [
    "COVID_PRODUCT_KEYS",
    "COVID_RECIPIENT_KEYS",
    "EMPTY_ACTIVITY_FIGURES",
    "FIGURES_BY_KEY",
    "HANDED_OVER_KEYS",
    "ORDERED_KEYS",
    "OUTPUT_KEYS",
    "RECAP_FIGURES",
    "SORT_KEYS",
    "STATUS_KEYS",
    "Capaian",
    "Comparison",
    "Covid",
    "Figure",
    "Filters",
    "Quarterly",
    "Recap",
    "absorption_pct",
    "activity_figures",
    "as_at",
    "capaian_report",
    "covid_report",
    "default_month",
    "figures_of_activities",
    "monthly_curve",
    "national_recap",
    "percent",
    "physical_progress",
    "province_activities",
    "province_against_nation",
    "quarterly_report",
    "years_visible",
]
