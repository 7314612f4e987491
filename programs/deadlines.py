"""The reporting calendar: each province's due dates, whether it met them, and the reminders before them.

- Due dates, on the government's working days (programs/workdays.py, never computed here): the monthly
  package (realisation, RPD in force, output achievement) by the 5th working day of the next month (for
  December: of January of the next year); the quarterly report by the 5th working day after the quarter's
  last day. The RPD revision windows come from programs/cashplan.py (shown, no state).
- `rows(year, *, user)`: every province with an allocation that year the user may see × every period, with
  the state of its ReportPackage: "open" (due date not passed, nothing handed over), "on_time" (handed over to
  the Kepala Dinas on or before the due date, WIB), "late" (after it), "missing" (nothing handed over and the
  due date passed), and `returned` when the package is currently returned for correction. Two queries (the
  allocations, the packages) whatever the number of provinces.
- `send_reminders(today)`: called daily by the background worker; tells the operators a few working days
  before a due date and, the first working day after a missed one, the operators and the Kepala Dinas. Each
  notice has a key, so running it twice writes nothing twice.

Which handing-over counts: the FIRST time the operators handed the package to the Kepala Dinas (the first
PREPARE event of the workflow log; `submitted_on`). A package is returned by the Kepala Dinas or the ministry
after the due date by the nature of review — the ministry verifies after the deadline — so counting the last
handing-over would make every corrected report late and punish the province for the reviewer's timing. The
correction still shows: the row says `returned` while the package waits for it, and the ministry sees the
approval and verification dates beside the submission.

This module decides nothing about who may see what (it asks `Allocation.objects.visible_to`) nor who is told
beyond the reminders' recipients (`programs.access`), and it writes nothing but notices (`programs.notices`).
"""

import datetime

from django.conf import settings
from django.db.models import F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, workdays
from . import periods as calendar_periods
from .models import (
    PERIODS_OF_KIND,
    Allocation,
    NotificationKind,
    PackageKind,
    ReportPackage,
    ReviewEvent,
    ReviewStatus,
)
from .periods import MONTHS
from .workflow import ReviewAction

#: The due date is this working day after the period.
DUE_WORKING_DAY = 5
#: The calendar's (and the JSON's) name of each package kind.
KIND_NAMES = {PackageKind.MONTHLY: "monthly", PackageKind.QUARTERLY: "quarterly"}
PACKAGE_KINDS = {name: kind for kind, name in KIND_NAMES.items()}

ON_TIME, LATE, MISSING, OPEN = "on_time", "late", "missing", "open"
#: Each state's label, its letter on the board (colour is never the only cue) and its Bootstrap colour.
STATES = {
    ON_TIME: (gettext_lazy("Tepat waktu"), "T", "success"),
    LATE: (gettext_lazy("Terlambat"), "L", "warning"),
    MISSING: (gettext_lazy("Belum masuk (lewat tenggat)"), "X", "danger"),
    OPEN: (gettext_lazy("Belum jatuh tempo"), "·", "light"),
}
RETURNED = (gettext_lazy("Dikembalikan"), "K", "info")


def reminder_working_days():
    """How many working days before a due date the operators are reminded (settings, default 3)."""
    return getattr(settings, "REMINDER_WORKING_DAYS", 3)


# --- Due dates -----------------------------------------------------------------------------------------


def due_date(year, kind, period):
    """The due date of a period's package of a fiscal year (kind: PackageKind or "monthly"/"quarterly")."""
    kind = PACKAGE_KINDS.get(kind, kind)
    if kind == PackageKind.MONTHLY:
        month, in_year = (1, year + 1) if period == 12 else (period + 1, year)
        return workdays.nth_working_day(in_year, month, DUE_WORKING_DAY)
    if kind == PackageKind.QUARTERLY:
        last_month = 3 * period
        last_day = datetime.date(year, last_month, 1) + datetime.timedelta(days=31)
        last_day = last_day.replace(day=1) - datetime.timedelta(days=1)
        return workdays.add_working_days(last_day, DUE_WORKING_DAY)
    raise ValueError(f"unknown package kind {kind!r}")


def periods(year, kinds=None):
    """[(PackageKind, period, due date)] of a year: the 12 months, then the 4 quarters."""
    kinds = kinds or (PackageKind.MONTHLY, PackageKind.QUARTERLY)
    return [
        (kind, period, due_date(year, kind, period))
        for kind in kinds
        for period in range(1, PERIODS_OF_KIND[kind] + 1)
    ]


def period_label(kind, period, year):
    """ "bulan Juni 2025", "triwulan II 2025" (programs/periods.py names them)."""
    return calendar_periods.period_label(PACKAGE_KINDS.get(kind, kind), period, year)


def short_label(kind, period):
    """ "Jun", "TW II": a column of the board."""
    kind = PACKAGE_KINDS.get(kind, kind)
    if kind == PackageKind.QUARTERLY:
        return _("TW %(q)s") % {"q": calendar_periods.QUARTER_NUMERALS[period]}
    return str(MONTHS[period - 1])[:3]


def rpd_windows(year, province_id=None):
    """The RPD revision windows of the year (for a province: with its own), from programs/cashplan.py."""
    from . import cashplan

    return cashplan.windows(year, province_id)


# --- State ---------------------------------------------------------------------------------------------


def state_of(due, submitted_on, today):
    if submitted_on is not None:
        return ON_TIME if submitted_on <= due else LATE
    return MISSING if today > due else OPEN


def _wib_date(moment):
    return timezone.localtime(moment).date() if moment is not None else None


def _packages(allocation_ids, kinds):
    first_prepared = (
        ReviewEvent.objects.filter(
            content_type__app_label=ReportPackage._meta.app_label,
            content_type__model=ReportPackage._meta.model_name,
            object_id=OuterRef("pk"),
            action=ReviewAction.PREPARE,
        )
        .order_by()
        .values("object_id")
        .annotate(first=Min("at"))
        .values("first")
    )
    return (
        ReportPackage.objects.filter(allocation_id__in=allocation_ids, kind__in=kinds)
        .annotate(first_submitted=Coalesce(Subquery(first_prepared), F("submitted_at")))
        .values(
            "pk",
            "allocation_id",
            "kind",
            "period",
            "review_status",
            "first_submitted",
            "approved_at",
            "reviewed_at",
        )
    )


def _rows(years, allocations, today, kinds):
    """The rows of the allocations of some fiscal years, by year and province: two queries."""
    allocations = list(
        allocations.filter(year__in=years)
        .order_by("year", "province__code")
        .values("pk", "year", "province_id", "province__code", "province__name")
    )
    if not allocations:
        return []
    packages = {
        (p["allocation_id"], p["kind"], p["period"]): p
        for p in _packages([a["pk"] for a in allocations], kinds)
    }
    schedules = {year: periods(year, kinds) for year in years}
    out = []
    for allocation in allocations:
        year = allocation["year"]
        for kind, period, due in schedules[year]:
            package = packages.get((allocation["pk"], kind, period), {})
            status = package.get("review_status")
            submitted_on = _wib_date(package.get("first_submitted"))
            out.append(
                {
                    "province_code": allocation["province__code"],
                    "kind": KIND_NAMES[kind],
                    "period": period,
                    "due": due,
                    "submitted_on": submitted_on,
                    "approved_on": _wib_date(package.get("approved_at")),
                    "verified_on": (
                        _wib_date(package.get("reviewed_at")) if status == ReviewStatus.VERIFIED else None
                    ),
                    "state": state_of(due, submitted_on, today),
                    "returned": status == ReviewStatus.RETURNED,
                    # For the pages (not in the JSON):
                    "year": year,
                    "package_kind": kind,
                    "province_id": allocation["province_id"],
                    "province_name": allocation["province__name"],
                    "allocation_id": allocation["pk"],
                    "package_id": package.get("pk"),
                    "review_status": status,
                }
            )
    return out


def rows(year, *, user, today=None, kinds=None):
    """The calendar of a fiscal year for the provinces the user sees (see the module's docstring).

    kinds: PackageKind values to keep (default both). Two queries.
    """
    today = today or timezone.localdate()
    kinds = tuple(kinds or (PackageKind.MONTHLY, PackageKind.QUARTERLY))
    return _rows([year], Allocation.objects.visible_to(user), today, kinds)


def for_home(user, year, today=None):
    """A province's due dates for its home page: the next three not yet due, and every missing or returned
    one of the year (with last year's December and fourth quarter, due in this year's January)."""
    today = today or timezone.localdate()
    both = _rows([year - 1, year], Allocation.objects.visible_to(user), today, tuple(KIND_NAMES))
    found = [r for r in both if r["due"].year >= year]
    found.sort(key=lambda r: (r["due"], r["kind"], r["period"]))
    upcoming = [r for r in found if r["state"] == OPEN][:3]
    attention = [r for r in found if r["state"] == MISSING or r["returned"]]
    for row in upcoming + attention:
        decorate(row)
    return {"upcoming": upcoming, "attention": attention}


def decorate(row):
    """Add the board's label, letter, colour and the period's name to a row (for the templates)."""
    label, letter, colour = RETURNED if row["returned"] else STATES[row["state"]]
    row["label"], row["letter"], row["colour"] = label, letter, colour
    row["state_label"] = STATES[row["state"]][0]
    row["period_label"] = period_label(row["package_kind"], row["period"], row["year"])
    return row


# --- Reminders -----------------------------------------------------------------------------------------


def _link(row):
    try:
        args = [row["allocation_id"], row["package_kind"], row["period"]]
        return reverse("programs:package_open", args=args)
    except NoReverseMatch:  # before the packages' pages exist
        return reverse("programs:calendar") + f"?tahun={row['year']}"


def _date_text(day):
    return formats.date_format(day, "l, j F Y")


def reminder_key(kind, row):
    """ "reminder:bulanan:2025:6:63", "missed:triwulanan:2025:1:51"."""
    return f"{kind}:{row['package_kind']}:{row['year']}:{row['period']}:{row['province_code']}"


def send_reminders(today=None):
    """The day's reminders and missed-deadline notices (called daily by the background worker).

    On a working day only (nobody is told on a Sunday; the next working day still falls in the window):
    - a package not handed over whose due date is within REMINDER_WORKING_DAYS working days: its province's
      operators, kind "pengingat", key "reminder:…";
    - a package still not handed over the first working day after its due date (or, if the worker did not
      run that day, within REMINDER_WORKING_DAYS working days of it): the operators and the Kepala Dinas,
      kind "terlambat", key "missed:…".
    Returns the notices written or found. Idempotent: each key is written once per recipient.
    """
    from . import notices

    today = today or timezone.localdate()
    if not workdays.is_working_day(today):
        return []
    window = reminder_working_days()
    horizon = workdays.add_working_days(today, window)
    operators, heads = {}, {}
    made = []
    # Nobody is reminded of what can no longer be handed over: a closed year, a period the ministry closed
    # (unless the province has an exception).
    closed_years = access.closed_year_set()
    closed_periods = access.ClosedPeriods(None, today)
    with translation.override(settings.LANGUAGE_CODE):
        for row in _rows([today.year - 1, today.year], Allocation.objects.all(), today, tuple(KIND_NAMES)):
            year = row["year"]
            province = row["province_id"]
            if year in closed_years or not closed_periods.is_open(
                province, year, row["package_kind"], row["period"]
            ):
                continue
            if row["state"] == OPEN and row["due"] <= horizon:
                if province not in operators:
                    operators[province] = list(access.operators_of(province))
                made += notices.notify(
                    operators[province],
                    kind=NotificationKind.REMINDER,
                    subject=_("Tenggat laporan %(p)s: %(d)s")
                    % {
                        "p": period_label(row["package_kind"], row["period"], year),
                        "d": _date_text(row["due"]),
                    },
                    body=_reminder_body(row),
                    link=_link(row),
                    key=reminder_key("reminder", row),
                )
            elif row["state"] == MISSING:
                first_after = workdays.add_working_days(row["due"], 1)
                if not first_after <= today <= workdays.add_working_days(first_after, window):
                    continue
                if province not in operators:
                    operators[province] = list(access.operators_of(province))
                if province not in heads:
                    heads[province] = list(access.heads_of(province))
                made += notices.notify(
                    operators[province] + heads[province],
                    kind=NotificationKind.MISSED,
                    subject=_("Laporan %(p)s %(prov)s belum masuk (tenggat %(d)s)")
                    % {
                        "p": period_label(row["package_kind"], row["period"], year),
                        "prov": row["province_name"],
                        "d": _date_text(row["due"]),
                    },
                    body=_missed_body(row),
                    link=_link(row),
                    key=reminder_key("missed", row),
                )
    return made


def _what(row):
    if row["package_kind"] == PackageKind.QUARTERLY:
        return _("Laporan triwulan (laporan pemantauan dengan catatan triwulan)")
    return _("Laporan bulanan (realisasi, RPD yang berlaku, capaian output)")


def _reminder_body(row):
    return _(
        "%(what)s %(p)s provinsi %(prov)s jatuh tempo pada %(d)s (hari kerja ke-%(n)s setelah periode). "
        "Siapkan paketnya dan ajukan ke Kepala Dinas untuk disetujui sebelum tenggat."
    ) % {
        "what": _what(row),
        "p": period_label(row["package_kind"], row["period"], row["year"]),
        "prov": row["province_name"],
        "d": _date_text(row["due"]),
        "n": DUE_WORKING_DAY,
    }


def _missed_body(row):
    return _(
        "%(what)s %(p)s provinsi %(prov)s belum diajukan, padahal tenggatnya %(d)s. "
        "Siapkan paketnya dan ajukan ke Kepala Dinas secepatnya."
    ) % {
        "what": _what(row),
        "p": period_label(row["package_kind"], row["period"], row["year"]),
        "prov": row["province_name"],
        "d": _date_text(row["due"]),
    }
