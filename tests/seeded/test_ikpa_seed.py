"""The IKPA early warning on the demo data (seed_demo) equals an independent computation from the records.

For a few province-years (Kalimantan Selatan 2020, Bali 2020, TP provinces of 2024) each part is computed
here straight from Realisation, CashPlan/CashPlanLine, BudgetRevision, PlanItem and the records each RO
counts (participations, participants, outputs, activities, achievements), walking the foreign keys, with
the formula the module documents — never through programs/reports/ nor programs/cashplan.py — and compared
with what `/laporan/ikpa/?format=json` serves.

The acceptance of issue 17's forms on the same demo data is here too (one seeding serves both): Form C of
Kalimantan Selatan, second quarter of 2020 — each RO's target, achievement and realisation worked out from
the records, plain loops over the verified rows, compared with the JSON, and the JSON's figures with the
PDF's text, page by page — and the national bundle of the 34 provinces.

Seeding takes a while, so it runs once for the module inside a transaction rolled back at the end.
"""

import calendar
import datetime
import io
import json
import re
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from accounts.roles import GROUP_NAMES, Role
from programs.models import (
    Achievement,
    Activity,
    Allocation,
    BudgetRevision,
    CashPlan,
    CashPlanLine,
    Output,
    Participant,
    Participation,
    PlanItem,
    Realisation,
    RealisationLine,
)
from tests.seeded.conftest import GROUP

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group(GROUP)]

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
CENTS = Decimal("0.01")
HUNDRED = Decimal(100)
WEIGHTS = {"revisi": 10, "deviasi": 15, "penyerapan": 20, "capaian_output": 25}
NOT_COUNTED = {"ADM", "KEB"}  # the documented codes of revisions left out
QUARTER_ENDS = {0: 0, 3: 15, 6: 40, 9: 60, 12: 90}


@pytest.fixture
def ministry(client):
    """A client signed in as the demo's ministry staff (the cast's `pusat` is the demo's own user)."""
    client.force_login(get_user_model().objects.filter(groups__name=GROUP_NAMES[Role.MINISTRY]).first())
    return client


def two(value):
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def mean(values):
    values = list(values)
    return two(sum(values) / len(values)) if values else None


def trajectory(month):
    """15/40/60/90 at the quarters' ends, a straight line between, from 0 on 1 January."""
    start = (month - 1) // 3 * 3
    low, high = Decimal(QUARTER_ENDS[start]), Decimal(QUARTER_ENDS[start + 3])
    return two(low + (high - low) * (month - start) / 3)


def held(activity, end):
    return (activity.actual_end or activity.planned_end) <= end


def achieved(ro, end, month):
    """The RO's achievement by the end of the month, from every record whatever its review state."""
    if ro.measure == "ikm":
        return len(
            {
                p.firm_id
                for p in Participation.objects.select_related("activity")
                if p.activity.planned_output_id == ro.pk and held(p.activity, end)
            }
        )
    if ro.measure == "peserta":
        people = [
            p
            for p in Participant.objects.select_related("activity")
            if p.activity.planned_output_id == ro.pk and held(p.activity, end)
        ]
        return len({p.nik for p in people if p.nik}) + sum(1 for p in people if not p.nik)
    if ro.measure == "wirausaha_nib":
        return len(
            {
                p.founded_firm_id
                for p in Participant.objects.select_related("activity", "founded_firm")
                if p.activity.planned_output_id == ro.pk
                and held(p.activity, end)
                and p.founded_firm is not None
                and p.founded_firm.nib
            }
        )
    if ro.measure == "produk":
        return sum(
            o.quantity
            for o in Output.objects.select_related("participation__activity")
            if o.participation.activity.planned_output_id == ro.pk
            and o.product_type == ro.product_type
            and o.produced_on <= end
        )
    if ro.measure == "kegiatan":
        return sum(
            1
            for a in Activity.objects.filter(planned_output=ro)
            if a.status == "selesai" and a.actual_end and a.actual_end <= end
        )
    assert ro.measure == "manual"
    return sum(a.quantity for a in Achievement.objects.filter(planned_output=ro) if a.month <= month)


def expected_ikpa(code, year, month):
    allocation = Allocation.objects.get(province__code=code, year=year)
    end = datetime.date(year, month, calendar.monthrange(year, month)[1])
    parts = {}
    # revisi: per semester begun by then, counted revisions: ≤ 1 → 100, 2 → 50, more → 0
    revisions = [r for r in BudgetRevision.objects.filter(allocation=allocation) if r.revised_on <= end]
    semesters = []
    for semester in range(1, (2 if month > 6 else 1) + 1):
        n = sum(
            1
            for r in revisions
            if (r.revised_on.month > 6) == (semester == 2)
            and r.revision_code.strip().upper() not in NOT_COUNTED
        )
        semesters.append(Decimal(100 if n <= 1 else 50 if n == 2 else 0))
    parts["revisi"] = mean(semesters)
    # deviasi: the RPD version entered by the end of the month, each month to then
    closes = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=WIB)
    versions = [p for p in CashPlan.objects.filter(allocation=allocation) if p.entered_at < closes]
    plan = max(versions, key=lambda p: p.number) if versions else None
    realised = {r.month: r.amount for r in Realisation.objects.filter(allocation=allocation)}
    if plan is None:
        parts["deviasi"] = None
    else:
        planned = {m: Decimal(0) for m in range(1, 13)}
        for line in CashPlanLine.objects.filter(cash_plan=plan):
            planned[line.month] += line.amount
        scores = []
        for m in range(1, month + 1):
            if not planned[m]:
                continue
            deviation = two(abs(realised.get(m, 0) - planned[m]) * HUNDRED / planned[m])
            scores.append(HUNDRED if deviation <= 5 else max(Decimal(0), HUNDRED - deviation))
        parts["deviasi"] = mean(scores)
    # penyerapan: realisation to the month against the pagu in force then, against the trajectory
    latest = max(revisions, key=lambda r: (r.revised_on, r.pk), default=None)
    pagu = latest.new_pagu if latest else allocation.pagu
    spent = sum((a for m, a in realised.items() if m <= month), Decimal(0))
    absorption = two(spent * HUNDRED / pagu)
    parts["penyerapan"] = two(min(HUNDRED, absorption * HUNDRED / trajectory(month)))
    # capaian output: each RO's achievement % against month × 100 / 12 % of its target
    expected = two(HUNDRED * month / 12)
    ros = PlanItem.objects.filter(allocation=allocation, level="ro")
    parts["capaian_output"] = mean(
        two(min(HUNDRED, two(achieved(ro, end, month) * HUNDRED / ro.target) * HUNDRED / expected))
        for ro in ros
    )
    held_parts = {k: v for k, v in parts.items() if v is not None}
    score = two(sum(WEIGHTS[k] * v for k, v in held_parts.items()) / sum(WEIGHTS[k] for k in held_parts))
    band = "Sangat Baik" if score >= 95 else "Baik" if score >= 89 else "Cukup" if score >= 70 else "Kurang"
    return {**{k: float(v) for k, v in parts.items()}, "score": float(score), "band": band}


def served(client, year, month):
    response = client.get(reverse("reports:ikpa"), {"tahun": year, "bulan": month, "format": "json"})
    assert response.status_code == 200
    return {r["province_code"]: r for r in json.loads(b"".join(response.streaming_content))["rows"]}


CASES = [
    ("63", 2020, 6),  # Kalimantan Selatan, mid-year: the refocusing and the second RPD
    ("63", 2020, 12),
    ("51", 2020, 6),  # Bali
    ("51", 2020, 3),  # before the refocusing: the first RPD
    ("11", 2024, 3),  # TP: Aceh's bimtek verified
    ("62", 2024, 4),  # TP: April not recorded yet
]


@pytest.mark.parametrize(("code", "year", "month"), CASES)
def test_each_part_equals_an_independent_computation_from_the_records(ministry, code, year, month):
    row = served(ministry, year, month)[code]
    expected = expected_ikpa(code, year, month)
    assert {key: row[key] for key in expected} == expected


def test_the_seed_cases_are_not_all_full_marks(ministry):
    """The comparison above means something: the cases lose points in several parts."""
    parts = [served(ministry, year, month)[code] for code, year, month in CASES]
    assert any(p["deviasi"] < 100 for p in parts)
    assert any(p["penyerapan"] < 100 for p in parts)
    assert any(p["capaian_output"] < 100 for p in parts)
    assert len({p["band"] for p in parts}) > 1


def test_2020_ranks_34_provinces_and_2024_ranks_38(ministry):
    assert len(served(ministry, 2020, 12)) == 34
    ranked = served(ministry, 2024, 3)
    assert len(ranked) == 38 and all(r["score"] is not None for r in ranked.values())


# --- The PP 39/2006 forms on the demo data (issue 17) ------------------------------------------------

URL = "/laporan/provinsi/63/triwulan/2/?tahun=2020"
END = datetime.date(2020, 6, 30)
VERIFIED = "terverifikasi"
GROUPED_YEAR = re.compile(r"(?<![\d.,])2[.,]0\d\d(?![\d]|[.,]\d)")


def expected_rows():
    """{RO code: (target, achieved, pagu, realised)} of Kalimantan Selatan's 2020 plan as of June, from the
    records: verified activities' outputs of the RO's product type made by 30 June, verified manual
    achievements of January–June, realisation lines of the verified months January–June."""
    ros = list(PlanItem.objects.filter(allocation__province__code="63", allocation__year=2020, level="ro"))
    assert ros
    result = {}
    for ro in ros:
        if ro.measure == "produk":
            achieved = sum(
                o.quantity
                for o in Output.objects.filter(participation__activity__planned_output=ro).select_related(
                    "participation__activity"
                )
                if o.participation.activity.review_status == VERIFIED
                and o.product_type == ro.product_type
                and o.produced_on <= END
            )
        elif ro.measure == "manual":
            achieved = sum(
                a.quantity
                for a in Achievement.objects.filter(planned_output=ro)
                if a.review_status == VERIFIED and a.month <= 6
            )
        else:
            pytest.fail(f"the demo's Kalimantan Selatan RO {ro.code} counts {ro.measure}: add it here")
        realised = sum(
            line.amount
            for line in RealisationLine.objects.filter(planned_output=ro).select_related("realisation")
            if line.realisation.review_status == VERIFIED and line.realisation.month <= 6
        )
        result[ro.code] = (ro.target, achieved, ro.pagu, realised)
    return result


def number(n):
    return f"{int(n):,}".replace(",", ".")


def percent(part, whole):
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + " %"


def test_form_c_of_kalimantan_selatan_q2_2020_holds_the_records_figures_in_json_and_pdf(ministry):
    expected = expected_rows()
    data = json.loads(b"".join(ministry.get(URL + "&format=json").streaming_content))
    rows = {r["code"]: r for r in data["form_c"]["rows"]}
    assert sorted(rows) == sorted(expected)
    for code, (target, achieved, pagu, realised) in expected.items():
        assert (rows[code]["target"], rows[code]["achieved"]) == (target, achieved), code
        assert (rows[code]["pagu"], rows[code]["realised"]) == (pagu, realised), code
        assert rows[code]["absorption_pct"] == float(percent(realised, pagu)[:-2].replace(",", "."))

    response = ministry.get(URL + "&format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    form_c = [" ".join(t.split()) for t in text if t.startswith("Formulir C")]
    assert form_c
    whole = " ".join(form_c)
    assert "Kalimantan Selatan" in whole and "Triwulan II" in whole and "Tahun Anggaran 2020" in whole
    codes = [r["code"] for r in data["form_c"]["rows"]]
    for code, following in zip(codes, [*codes[1:], "Jumlah"], strict=True):
        row = whole[whole.index(code) : whole.index(following, whole.index(code) + len(code))]
        r = rows[code]
        for figure in (
            f" {number(r['target'])} ",
            f" {number(r['achieved'])} ",
            f"Rp {number(r['pagu'])}",
            f"Rp {number(r['realised'])}",
            percent(r["realised"], r["pagu"]),
        ):
            assert figure in row, (code, figure, row)
    totals = data["form_c"]["totals"]
    assert f"Rp {number(totals['realised'])} {percent(totals['realised'], totals['pagu'])}" in whole
    # The signature block (its NIP line) is on the page of the last table row and of the totals.
    signed = [t for t in form_c if "NIP " in t]
    assert len(signed) == 1 and codes[-1] in signed[0] and "Jumlah" in signed[0]
    assert "Banjarbaru," in signed[0]
    assert not any(GROUPED_YEAR.search(t) for t in text)


def test_the_national_bundle_of_the_demo_holds_34_provinces_each_from_a_new_page(ministry):
    response = ministry.get("/laporan/nasional/triwulan/2/?tahun=2020&format=pdf")
    text = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages]
    codes = [m.group(1) for t in text for m in [re.search(r"\(kode (\d\d)\)", t)] if m]
    assert len(codes) == 34 and codes == sorted(codes)
    assert all(t.startswith("Formulir C") for t in text if "(kode " in t)
