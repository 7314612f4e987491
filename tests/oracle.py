"""An independent computation of every figure of the reports, for tests to compare the served reports with.

Plain Python over the records, walking the foreign keys only: handover → output → participation →
activity → allocation → province and year; an output's product type from the output itself; a month's
realisation from its allocation; the current pagu from the revisions. It must never:
- call `programs/reports/` (the code under test);
- read a copied column (`province`, `year`, `activity` of participations, participants, outputs and
  handovers, an activity's own `province` and `year`, a handover's `product_type`), a running total
  (`Allocation.realised_total`, `Allocation.current_pagu`, `Output.handed_over_total`) or a tally table.

The quarterly report shows each activity as recorded at the quarter's end; the oracle reads that from
django-simple-history's versions (a record of what was saved when, not a copy kept in step): the last
version saved before midnight WIB after the quarter's last day, else the first version (an activity entered
later), else the row itself (an activity written around the history).

Every figure comes out in the shape the JSON downloads carry (`programs/exports.py`): money, counts and
quantities as ints, percentages as floats with two decimals (half rounded up), or None; dates as ISO text.
"""

import calendar
import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from programs.models import (
    Activity,
    ActivityStatus,
    Allocation,
    BudgetRevision,
    Handover,
    Output,
    Participant,
    Participation,
    ProductType,
    Realisation,
    RecipientType,
    ReviewStatus,
)
from provinces.models import Province

# The recap's figure names, written out here rather than taken from the reports module (README's table).
STATUS_KEYS = {
    ActivityStatus.PLANNED: "activities_planned",
    ActivityStatus.RUNNING: "activities_running",
    ActivityStatus.DONE: "activities_done",
    ActivityStatus.POSTPONED: "activities_postponed",
    ActivityStatus.CANCELLED: "activities_cancelled",
}
PRODUCT_TYPES = list(ProductType.values)
PPE = ["masker", "face_shield", "hazmat", "apd_lain"]  # the protective equipment; not "lainnya"
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")  # the ministry's day
#: The activity's fields the quarterly report shows as recorded at the quarter's end (README).
AS_RECORDED = (
    "status",
    "status_reason",
    "planned_end",
    "actual_end",
    "budget",
    "target_participants",
    "actual_participants",
)
RECIPIENT_TYPES = list(RecipientType.values)
BENCHMARKS = {3: 15, 6: 40, 9: 60, 12: 90}
MONEY = ("pagu", "current_pagu", "realised")
COUNTS = (
    "activities",
    *STATUS_KEYS.values(),
    "activity_budget",
    "participants",
    "participants_target",
    "participants_actual",
    *(f"output_{t}" for t in PRODUCT_TYPES),
    *(f"ordered_{t}" for t in PRODUCT_TYPES),
    *(f"handed_over_{r}" for r in RECIPIENT_TYPES),
)


def pct(part, whole):
    """part × 100 / whole to two decimals, half rounded up, as the JSON carries it; None when the whole is
    0 or missing."""
    if not whole or part is None:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Filters:
    year: int
    kind: str = ""
    purpose: str = ""
    sector: str = ""
    covid: bool | None = None
    verified_only: bool = False

    def query(self):
        """The report pages' query parameters for these filters."""
        query = {"tahun": self.year}
        for param, value in (("jenis", self.kind), ("tujuan", self.purpose), ("sektor", self.sector)):
            if value:
                query[param] = value
        if self.covid is not None:
            query["covid"] = "ya" if self.covid else "tidak"
        if self.verified_only:
            query["verifikasi"] = "terverifikasi"
        return query

    def matches(self, activity):
        return (
            (not self.kind or activity["kind"] == self.kind)
            and (not self.purpose or activity["purpose"] == self.purpose)
            and (not self.sector or activity["sector"] == self.sector)
            and (self.covid is None or activity["covid_response"] == self.covid)
            and (not self.verified_only or activity["review_status"] == ReviewStatus.VERIFIED)
        )


class Records:
    """Every record the reports add up, read once, with only their own (non-copied) columns."""

    def __init__(self):
        self.provinces = {
            p["pk"]: p for p in Province.objects.values("pk", "code", "name", "established_year")
        }
        self.allocations = {
            a["pk"]: a for a in Allocation.objects.values("pk", "province_id", "year", "pagu")
        }
        self.revisions = list(BudgetRevision.objects.values("pk", "allocation_id", "revised_on", "new_pagu"))
        self.realisations = list(
            Realisation.objects.values("pk", "allocation_id", "month", "amount", "review_status")
        )
        self.activities = {
            a["pk"]: a
            for a in Activity.objects.values(
                "pk",
                "allocation_id",
                "title",
                "kind",
                "purpose",
                "sector",
                "covid_response",
                "review_status",
                "status",
                "status_reason",
                "budget",
                "target_participants",
                "actual_participants",
                "planned_start",
                "planned_end",
                "actual_end",
            )
        }
        self.participations = {
            p["pk"]: p for p in Participation.objects.values("pk", "activity_id", "firm_id")
        }
        self.participants = list(Participant.objects.values("pk", "activity_id"))
        self.outputs = {
            o["pk"]: o
            for o in Output.objects.values(
                "pk",
                "participation_id",
                "product_type",
                "quantity",
                "ordered_quantity",
                "ordered_on",
                "produced_on",
            )
        }
        self.handovers = list(
            Handover.objects.values("pk", "output_id", "recipient_type", "quantity", "handed_on")
        )
        self.versions = defaultdict(list)  # activity id → its saved versions, oldest first
        history = Activity.history.model.objects.order_by("history_date", "history_id")
        for version in history.values("id", "history_id", "history_date", *AS_RECORDED):
            self.versions[version["id"]].append(version)

    # The walk up the foreign keys.

    def allocation_of(self, activity_id):
        return self.allocations[self.activities[activity_id]["allocation_id"]]

    def place_of(self, activity_id):
        """(province id, year) of an activity, through its allocation."""
        allocation = self.allocation_of(activity_id)
        return allocation["province_id"], allocation["year"]

    def activity_of_output(self, output_id):
        return self.participations[self.outputs[output_id]["participation_id"]]["activity_id"]

    def current_pagu(self, allocation_id):
        revisions = [r for r in self.revisions if r["allocation_id"] == allocation_id]
        if not revisions:
            return self.allocations[allocation_id]["pagu"]
        return max(revisions, key=lambda r: (r["revised_on"], r["pk"]))["new_pagu"]

    def pagu_on(self, allocation_id, day):
        revisions = [
            r for r in self.revisions if r["allocation_id"] == allocation_id and r["revised_on"] <= day
        ]
        if not revisions:
            return self.allocations[allocation_id]["pagu"]
        return max(revisions, key=lambda r: (r["revised_on"], r["pk"]))["new_pagu"]

    def allocation_in(self, province_id, year):
        for allocation in self.allocations.values():
            if (allocation["province_id"], allocation["year"]) == (province_id, year):
                return allocation
        return None

    def province(self, code):
        return next(p for p in self.provinces.values() if p["code"] == code)

    def realised(self, allocation_id, verified_only=False, months=range(1, 13)):
        """{month: amount} of an allocation's realisation rows."""
        amounts = defaultdict(Decimal)
        for r in self.realisations:
            if r["allocation_id"] != allocation_id or r["month"] not in months:
                continue
            if verified_only and r["review_status"] != ReviewStatus.VERIFIED:
                continue
            amounts[r["month"]] += r["amount"]
        return dict(amounts)

    def as_recorded(self, activity_id, day):
        """The activity's AS_RECORDED fields as saved by the end of `day` (WIB): its last version saved on
        or before that day, else its first version, else the row as it is."""
        versions = self.versions.get(activity_id, [])
        by_then = [v for v in versions if v["history_date"].astimezone(WIB).date() <= day]
        chosen = by_then[-1] if by_then else (versions[0] if versions else self.activities[activity_id])
        return {name: chosen[name] for name in AS_RECORDED}

    # Activity figures.

    def activities_in(self, filters, province_id=None):
        """The ids of the year's activities matching the filters (in one province, if given)."""
        found = []
        for pk, activity in self.activities.items():
            province, year = self.place_of(pk)
            here = province_id is None or province == province_id
            if year == filters.year and here and filters.matches(activity):
                found.append(pk)
        return found

    def activity_figures(self, activity_id, until=None):
        """firms, participants, produced, ordered, handed_over of one activity (outputs and handovers up
        to `until` when given)."""
        firms = {p["firm_id"] for p in self.participations.values() if p["activity_id"] == activity_id}
        people = sum(1 for p in self.participants if p["activity_id"] == activity_id)
        outputs = [o for pk, o in self.outputs.items() if self.activity_of_output(pk) == activity_id]
        handovers = [h for h in self.handovers if self.activity_of_output(h["output_id"]) == activity_id]
        orders = outputs
        if until is not None:
            # An order counts once placed: its order date, or its production date where it has none.
            orders = [o for o in outputs if (o["ordered_on"] or o["produced_on"]) <= until]
            outputs = [o for o in outputs if o["produced_on"] <= until]
            handovers = [h for h in handovers if h["handed_on"] <= until]
        return {
            "firms": len(firms),
            "participants": people,
            "produced": sum(o["quantity"] for o in outputs),
            "ordered": sum(o["ordered_quantity"] or 0 for o in orders),
            "handed_over": sum(h["quantity"] for h in handovers),
        }

    def distinct_firms(self, activity_ids):
        """The firms taking part in any of these activities, each once."""
        return len({p["firm_id"] for p in self.participations.values() if p["activity_id"] in activity_ids})


# --- The national recap ------------------------------------------------------------------------------------


def recap(records, filters, codes=None):
    """{"rows": [one per province active in the year, code order], "totals": {...}} as the recap JSON."""
    provinces = sorted(
        (p for p in records.provinces.values() if p["established_year"] <= filters.year),
        key=lambda p: p["code"],
    )
    if codes is not None:
        provinces = [p for p in provinces if p["code"] in codes]
    chosen = set(records.activities_in(filters))
    rows, national_firms = [], set()
    for province in provinces:
        row = {"province_code": province["code"], "province": province["name"]}
        row.update(dict.fromkeys((*MONEY, *COUNTS), 0))
        allocation = records.allocation_in(province["pk"], filters.year)
        if allocation is not None:
            row["pagu"] = int(allocation["pagu"])
            row["current_pagu"] = int(records.current_pagu(allocation["pk"]))
            row["realised"] = int(sum(records.realised(allocation["pk"], filters.verified_only).values()))
        mine = {pk for pk in chosen if records.place_of(pk)[0] == province["pk"]}
        firms = set()
        for pk in mine:
            activity = records.activities[pk]
            row["activities"] += 1
            row[STATUS_KEYS[activity["status"]]] += 1
            row["activity_budget"] += int(activity["budget"])
            row["participants_target"] += activity["target_participants"]
            row["participants_actual"] += activity["actual_participants"] or 0
        for p in records.participations.values():
            if p["activity_id"] in mine:
                firms.add(p["firm_id"])
        row["firms"] = len(firms)
        national_firms |= firms
        row["participants"] = sum(1 for p in records.participants if p["activity_id"] in mine)
        for pk, output in records.outputs.items():
            if records.activity_of_output(pk) in mine:
                row[f"output_{output['product_type']}"] += output["quantity"]
                row[f"ordered_{output['product_type']}"] += output["ordered_quantity"] or 0
        for handover in records.handovers:
            if records.activity_of_output(handover["output_id"]) in mine:
                row[f"handed_over_{handover['recipient_type']}"] += handover["quantity"]
        row["absorption_pct"] = pct(row["realised"], row["current_pagu"])
        rows.append(row)
    totals = {key: sum(r[key] for r in rows) for key in (*MONEY, *COUNTS)}
    totals["firms"] = len(national_firms)
    totals["absorption_pct"] = pct(totals["realised"], totals["current_pagu"])
    return {"rows": rows, "totals": totals}


# --- A province's report -----------------------------------------------------------------------------------


def province_report(records, code, filters):
    """The province report JSON's activity rows (with their totals), summary row and months."""
    province = records.province(code)
    summary = recap(records, filters, codes={code})["rows"][0]
    ids = sorted(
        records.activities_in(filters, province["pk"]),
        key=lambda pk: (records.activities[pk]["planned_start"], pk),
    )
    rows = []
    for pk in ids:
        activity = records.activities[pk]
        rows.append(
            {
                "id": pk,
                "title": activity["title"],
                "budget": int(activity["budget"]),
                "target_participants": activity["target_participants"],
                "actual_participants": activity["actual_participants"],
                **records.activity_figures(pk),
            }
        )
    totals = {
        key: sum(r[key] or 0 for r in rows)
        for key in (
            "budget",
            "target_participants",
            "actual_participants",
            "firms",
            "participants",
            "produced",
            "ordered",
            "handed_over",
        )
    }
    totals["firms"] = records.distinct_firms(set(ids))  # a firm in two activities counts once
    allocation = records.allocation_in(province["pk"], filters.year)
    amounts = records.realised(allocation["pk"], filters.verified_only) if allocation else {}
    pagu = summary["current_pagu"]
    last = max(amounts, default=0)
    running = Decimal(0)
    months = []
    for month in range(1, 13):
        running += amounts.get(month, 0)
        benchmark = BENCHMARKS.get(month)
        months.append(
            {
                "realised": int(amounts[month]) if month in amounts else None,
                "cumulative": int(running) if month <= last else None,
                "cumulative_pct": pct(running, pagu) if month <= last else None,
                "benchmark_pct": float(benchmark) if benchmark else None,
                "benchmark_amount": int((Decimal(pagu) * benchmark / 100).quantize(Decimal(1)))
                if benchmark
                else None,
            }
        )
    return {
        "rows": rows,
        "totals": totals,
        "summary": summary,
        "monthly": months,
        "monthly_total": int(sum(amounts.values())),
    }


# --- The quarterly report ----------------------------------------------------------------------------------


def quarter_end(year, quarter):
    return datetime.date(year, quarter * 3, calendar.monthrange(year, quarter * 3)[1])


def quarterly(records, code, year, quarter, verified_only=False):
    """The quarterly report: its JSON meta, activity rows (the JSON's, and the page's extra fields), three
    months, and the page's summary. Each activity as recorded at the quarter's end."""
    province = records.province(code)
    end = quarter_end(year, quarter)
    filters = Filters(year=year, verified_only=verified_only)
    allocation = records.allocation_in(province["pk"], year)
    pagu = records.pagu_on(allocation["pk"], end) if allocation else None
    amounts = (
        records.realised(allocation["pk"], verified_only, months=range(1, end.month + 1))
        if allocation
        else {}
    )
    months = []
    for month in range(end.month - 2, end.month + 1):
        cumulative = sum((a for m, a in amounts.items() if m <= month), Decimal(0))
        months.append(
            {
                "realised": int(amounts[month]) if month in amounts else None,
                "cumulative": int(cumulative),
                "cumulative_pct": pct(cumulative, pagu),
            }
        )
    to_end = sum(amounts.values(), Decimal(0))
    ids = sorted(
        records.activities_in(filters, province["pk"]),
        key=lambda pk: (records.activities[pk]["planned_start"], pk),
    )
    rows, page_rows = [], {}
    summary = dict.fromkeys(
        (
            "planned_by_end",
            "done_by_end",
            "participants_target",
            "participants_actual",
            "produced",
            "ordered",
            "handed_over",
            "participants",
        ),
        0,
    )
    for pk in ids:
        then = records.as_recorded(pk, end)
        done = bool(
            then["status"] == ActivityStatus.DONE and then["actual_end"] and then["actual_end"] <= end
        )
        due = then["planned_end"] <= end and then["status"] != ActivityStatus.CANCELLED
        figures = records.activity_figures(pk, until=end)
        rows.append(
            {
                "title": records.activities[pk]["title"],
                "status": str(ActivityStatus(then["status"]).label),
                "planned_end": then["planned_end"].isoformat(),
                "actual_end": then["actual_end"].isoformat() if then["actual_end"] else None,
                "done_by_end": done,
                "budget": int(then["budget"]),
                "target_participants": then["target_participants"],
                "actual_participants": then["actual_participants"],
                **figures,
            }
        )
        page_rows[pk] = {**then, "done_by_end": done, "due_by_end": due}
        summary["planned_by_end"] += due
        summary["done_by_end"] += done
        summary["participants_target"] += then["target_participants"]
        summary["participants_actual"] += (then["actual_participants"] or 0) if done else 0
        for key in ("produced", "ordered", "handed_over", "participants"):
            summary[key] += figures[key]
    summary["firms"] = records.distinct_firms(set(ids))  # a firm in two activities counts once
    summary["done_pct"] = pct(summary["done_by_end"], summary["planned_by_end"])
    summary["participants_pct"] = pct(summary["participants_actual"], summary["participants_target"])
    summary["produced_pct"] = pct(summary["produced"], summary["ordered"])
    totals = {
        key: sum(r[key] or 0 for r in rows)
        for key in (
            "budget",
            "target_participants",
            "actual_participants",
            "participants",
            "ordered",
            "produced",
            "handed_over",
        )
    }
    totals["firms"] = summary["firms"]
    meta = {
        "quarter_end": end.isoformat(),
        "pagu_at_quarter_end": int(pagu) if pagu is not None else None,
        "realised_to_quarter_end": int(to_end),
        "absorption_pct": pct(to_end, pagu),
        "benchmark_pct": BENCHMARKS[quarter * 3],
    }
    return {
        "meta": meta,
        "rows": rows,
        "page_rows": page_rows,
        "totals": totals,
        "months": months,
        "summary": summary,
    }


# --- The Covid-19 report -----------------------------------------------------------------------------------


def covid(records, filters):
    """The Covid-19 report JSON: rows per (province, protective product) with any output or handover, and
    totals; every activity of the year counts (marked as Covid-19 response or not), outputs of type
    "lainnya" do not."""
    chosen = set(records.activities_in(filters))
    cells = {}

    def cell(activity_id, product_type):
        province = records.provinces[records.place_of(activity_id)[0]]
        key = (province["code"], product_type)
        if key not in cells:
            cells[key] = {
                "province_code": province["code"],
                "product_type": product_type,
                "produced": 0,
                "ordered": 0,
                "handed_over": 0,
                **{f"handed_over_{r}": 0 for r in RECIPIENT_TYPES},
            }
        return cells[key]

    for pk, output in records.outputs.items():
        activity = records.activity_of_output(pk)
        if activity in chosen and output["product_type"] in PPE:
            entry = cell(activity, output["product_type"])
            entry["produced"] += output["quantity"]
            entry["ordered"] += output["ordered_quantity"] or 0
    for handover in records.handovers:
        activity = records.activity_of_output(handover["output_id"])
        product_type = records.outputs[handover["output_id"]]["product_type"]
        if activity in chosen and product_type in PPE:
            entry = cell(activity, product_type)
            entry["handed_over"] += handover["quantity"]
            entry[f"handed_over_{handover['recipient_type']}"] += handover["quantity"]
    rows = sorted(cells.values(), key=lambda r: (r["province_code"], PPE.index(r["product_type"])))
    numbers = ["produced", "ordered", "handed_over", *(f"handed_over_{r}" for r in RECIPIENT_TYPES)]
    totals = {key: sum(r[key] for r in rows) for key in numbers}
    # Product type × recipient type: each product's figures, and what each recipient got of each product.
    by_product = {
        t: {key: sum(r[key] for r in rows if r["product_type"] == t) for key in numbers} for t in PPE
    }
    by_recipient = {
        r: {
            "handed_over": totals[f"handed_over_{r}"],
            **{f"product_{t}": by_product[t][f"handed_over_{r}"] for t in PPE},
        }
        for r in RECIPIENT_TYPES
    }
    return {"rows": rows, "totals": totals, "by_product": by_product, "by_recipient": by_recipient}


# --- The rules on dates and quantities ----------------------------------------------------------------------


def rule_breaches(records):
    """[text] of every record that breaks a rule the database must hold whatever wrote it (empty: none):
    an output dated outside its activity's fiscal year, a handover dated outside it or before its
    output's production, more handed over than produced. Walked through the foreign keys."""
    breaches = []
    handed = defaultdict(int)
    for handover in records.handovers:
        output = records.outputs[handover["output_id"]]
        year = records.place_of(records.activity_of_output(handover["output_id"]))[1]
        handed[handover["output_id"]] += handover["quantity"]
        if handover["handed_on"] < output["produced_on"]:
            breaches.append(f"Handover {handover['pk']} on {handover['handed_on']}, before its production")
        if handover["handed_on"].year != year:
            breaches.append(
                f"Handover {handover['pk']} on {handover['handed_on']}, outside fiscal year {year}"
            )
    for pk, output in records.outputs.items():
        year = records.place_of(records.activity_of_output(pk))[1]
        if output["produced_on"].year != year:
            breaches.append(f"Output {pk} produced {output['produced_on']}, outside fiscal year {year}")
        if handed[pk] > output["quantity"]:
            breaches.append(f"Output {pk}: {handed[pk]} handed over of {output['quantity']} produced")
    return breaches


# --- Running totals ----------------------------------------------------------------------------------------


def running_total_drift():
    """[(what, stored, rows)] where a running total differs from the sum of its rows (empty: none).

    This reads the running totals on purpose: it is the check of them, not a source of report figures.
    """
    drift = []
    sums = defaultdict(Decimal)
    for r in Realisation.objects.values("allocation_id", "amount"):
        sums[r["allocation_id"]] += r["amount"]
    for pk, stored in Allocation.objects.values_list("pk", "realised_total"):
        if stored != sums.get(pk, 0):
            drift.append((f"Allocation {pk}.realised_total", stored, sums.get(pk, 0)))
    handed = defaultdict(int)
    for h in Handover.objects.values("output_id", "quantity"):
        handed[h["output_id"]] += h["quantity"]
    for pk, stored in Output.objects.values_list("pk", "handed_over_total"):
        if stored != handed.get(pk, 0):
            drift.append((f"Output {pk}.handed_over_total", stored, handed.get(pk, 0)))
    return drift
