"""What a report is asked for: the year and the activity filters every report applies the same way."""

from dataclasses import dataclass

from django.db.models import Q

from ..models import (
    ReviewStatus,
)
from ..numbers import HUNDRED, absorption_pct, percent  # noqa: F401 - reports.percent: the selectors' API
from ..periods import MONTHS, QUARTER_BENCHMARKS, end_of_day, quarter_end  # noqa: F401

# --- Filters ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a report is about: a fiscal year, optionally narrowed to some activities."""

    year: int
    kind: str = ""
    purpose: str = ""
    sector: str = ""
    covid: bool | None = None
    verified_only: bool = False
    # DK or TP: the provinces whose allocation of the year has that fund type (one allocation per
    # province-year, so it narrows provinces, never the activities within one).
    fund_type: str = ""

    def activities(self, prefix=""):
        """The activity conditions, reached through `prefix` (e.g. "activity__") from a part of one.

        Empty when nothing is chosen, so the usual report joins nothing.
        """
        q = Q()
        for name in ("kind", "purpose", "sector"):
            if getattr(self, name):
                q &= Q(**{f"{prefix}{name}": getattr(self, name)})
        if self.covid is not None:
            q &= Q(**{f"{prefix}covid_response": self.covid})
        if self.verified_only:
            q &= Q(**{f"{prefix}review_status": ReviewStatus.VERIFIED})
        if self.fund_type:
            q &= Q(**{f"{prefix}allocation__fund_type": self.fund_type})
        return q

    @property
    def narrowed(self):
        """Whether only some activities are counted (the money figures are the allocation's regardless)."""
        return bool(self.kind or self.purpose or self.sector or self.covid is not None)

    def as_dict(self):
        return {
            "year": self.year,
            "kind": self.kind or None,
            "purpose": self.purpose or None,
            "sector": self.sector or None,
            "covid_response": self.covid,
            "verified_only": self.verified_only,
            "fund_type": self.fund_type or None,
        }
