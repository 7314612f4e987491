"""The programme's calendar: month names, quarters and the absorption each quarter should reach.

The one home of these constants; the budget page, the reports, the forms and the exports read them here.
"""

import calendar
import datetime
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONTHS = [
    _("Januari"),
    _("Februari"),
    _("Maret"),
    _("April"),
    _("Mei"),
    _("Juni"),
    _("Juli"),
    _("Agustus"),
    _("September"),
    _("Oktober"),
    _("November"),
    _("Desember"),
]
MONTH_CHOICES = list(enumerate(MONTHS, start=1))
QUARTER_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_label(kind, period, year):
    """ "bulan Juni 2020", "triwulan II 2020": a reporting period (kind "bulanan" or "triwulanan", as
    PackageKind) as the pages, messages and notices name it (capitalise it at a sentence's start)."""
    if kind == "triwulanan":
        return _("triwulan %(q)s %(y)s") % {"q": QUARTER_NUMERALS[period], "y": year}
    return _("bulan %(m)s %(y)s") % {"m": MONTHS[period - 1], "y": year}


# Absorption a province should reach by the end of each quarter (the deconcentration monitoring rule), as a
# cumulative percentage of the pagu.
QUARTER_BENCHMARKS = {1: 15, 2: 40, 3: 60, 4: 90}


def benchmarks_text():
    """15/40/60/90: the benchmarks as labels name them."""
    return "/".join(str(pct) for pct in QUARTER_BENCHMARKS.values())


def trajectory_pct(month):
    """The cumulative absorption (% of the pagu) a province should have reached by the end of `month`
    (1–12): the quarterly benchmarks at the quarters' ends (March 15, June 40, September 60, December 90)
    and a straight line between them, from 0 on 1 January — e.g. April 23.33, May 31.67. Two decimals,
    half up. The one home of "the trajectory": the IKPA early warning, the dashboard's traffic light and the
    recap's benchmark as of a month all read it here.
    """
    if month not in range(1, 13):
        raise ValueError(month)
    quarter, offset = divmod(month - 1, 3)  # offset: 0, 1, 2 → the quarter's first, second, last month
    start = Decimal(QUARTER_BENCHMARKS[quarter]) if quarter else Decimal(0)
    end = Decimal(QUARTER_BENCHMARKS[quarter + 1])
    return (start + (end - start) * (offset + 1) / 3).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def benchmark_at_month_end(month):
    """The quarterly benchmark that falls due at the end of this month (March, June…), else None."""
    return QUARTER_BENCHMARKS.get(month // 3) if month % 3 == 0 else None


def benchmark_for(year, today=None):
    """The quarterly absorption benchmark (15/40/60/90 %) due by now in that fiscal year."""
    today = today or timezone.localdate()
    if year < today.year:
        return QUARTER_BENCHMARKS[4]
    if year > today.year:
        return 0
    due = 0
    for quarter, pct in QUARTER_BENCHMARKS.items():
        if today.month > quarter * 3:
            due = pct
    return due


def quarter_end(year, quarter):
    month = quarter * 3
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def end_of_day(day):
    """The first moment after `day` in WIB (the ministry's time): what was recorded before it was known."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min),
        zoneinfo.ZoneInfo(settings.TIME_ZONE),
    )
