"""The monthly cash plan (RPD) and the realisation per spending type and RO (programs/cashplan.py): versions
kept, revision windows (defaults and stored), refusal outside a window with nothing written, the budget and
RPD pages, their JSON/XLSX/CSV, scoping, and constant query counts.

Every figure is checked against a computation written here from the rows, never the code under test.
"""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs import cashplan
from programs.models import (
    CashPlan,
    CashPlanLine,
    CashPlanWindow,
    FiscalYear,
    Measure,
    OutputUnit,
    PlanItem,
    PlanLevel,
    Realisation,
    RealisationLine,
)
from provinces.models import Province
from tests import csvutil, sheetutil
from tests.factories import make_allocation, make_realisation, make_revision

pytestmark = pytest.mark.django_db

D = datetime.date
TYPES = ("51", "52", "53")
MILLION = Decimal(1_000_000)


def make_plan(allocation, ro_pagus):
    """A DIPA plan: program → kegiatan → KRO → one RO per pagu given (codes 5807.QEA.001, .002 …)."""
    program = PlanItem.objects.create(
        allocation=allocation, level=PlanLevel.PROGRAM, code="019.08.WA", name="Program Industri"
    )
    kegiatan = PlanItem.objects.create(
        allocation=allocation, parent=program, level=PlanLevel.KEGIATAN, code="5807", name="Pengembangan IKM"
    )
    kro = PlanItem.objects.create(
        allocation=allocation, parent=kegiatan, level=PlanLevel.KRO, code="5807.QEA", name="Fasilitasi"
    )
    return [
        PlanItem.objects.create(
            allocation=allocation,
            parent=kro,
            level=PlanLevel.RO,
            code=f"5807.QEA.{n:03d}",
            name=f"IKM yang difasilitasi {n}",
            target=10,
            unit=OutputUnit.IKM,
            measure=Measure.FIRMS,
            pagu=Decimal(pagu),
        )
        for n, pagu in enumerate(ro_pagus, start=1)
    ]


def grid(amount_of):
    """36 cells {(month, type): amount} from amount_of(month, type)."""
    return {(m, t): Decimal(amount_of(m, t)) for m in range(1, 13) for t in TYPES}


def even_plan(pagu):
    """The pagu spread evenly over the months as belanja barang (52), the rest of the 12th in December."""
    share = (Decimal(pagu) / 12).quantize(Decimal(1), rounding="ROUND_DOWN")
    rest = Decimal(pagu) - share * 12
    return grid(lambda m, t: (share + (rest if m == 12 else 0)) if t == "52" else 0)


def form_data(cells, note=""):
    return {f"m{m}_{t}": f"{int(a):,}".replace(",", ".") for (m, t), a in cells.items()} | {"note": note}


def stored_rows():
    """What an RPD refusal must leave untouched."""
    return (
        list(CashPlan.objects.order_by("pk").values()),
        list(CashPlanLine.objects.order_by("pk").values()),
        CashPlan.history.count(),
    )


@pytest.fixture
def allocation():
    return make_allocation("51", 2025, pagu=1_200 * MILLION)


@pytest.fixture
def this_year():
    """An allocation of the current year (the pages use today's date for the windows)."""
    return make_allocation("51", timezone.localdate().year, pagu=1_200 * MILLION)


def open_window_today(year, province=None):
    today = timezone.localdate()
    return CashPlanWindow.objects.create(year=year, province=province, opens_on=today, closes_on=today)


def closed_window_today(year):
    """A stored window for all provinces that is not open today (so the defaults no longer apply)."""
    today = timezone.localdate()
    day = D(year, 1, 1) if today != D(year, 1, 1) else D(year, 12, 31)
    return CashPlanWindow.objects.create(year=year, opens_on=day, closes_on=day, note="Jendela khusus")


# --- Windows ---------------------------------------------------------------------------------------------


def test_a_year_without_stored_windows_has_the_four_defaults_to_the_10th_working_day():
    got = [(w.opens_on, w.closes_on, w.stored) for w in cashplan.windows(2025, None)]
    # 10th working day, counted by hand on the 2025 calendar: February from Monday 3rd (no holiday),
    # April after the Idul Fitri days 1-7 April and Good Friday 18 April, July and October without holidays.
    assert got == [
        (D(2025, 2, 1), D(2025, 2, 14), False),
        (D(2025, 4, 1), D(2025, 4, 22), False),
        (D(2025, 7, 1), D(2025, 7, 14), False),
        (D(2025, 10, 1), D(2025, 10, 14), False),
    ]


def test_stored_windows_for_all_provinces_replace_the_defaults(allocation):
    CashPlanWindow.objects.create(year=2025, opens_on=D(2025, 5, 5), closes_on=D(2025, 5, 16))
    assert [(w.opens_on, w.closes_on) for w in cashplan.windows(2025, allocation.province)] == [
        (D(2025, 5, 5), D(2025, 5, 16))
    ]
    assert cashplan.window_open(allocation, D(2025, 2, 3)) is None  # a default day: no longer open
    assert cashplan.window_open(allocation, D(2025, 5, 16)) is not None
    assert len(cashplan.windows(2024, allocation.province)) == 4  # another year keeps its defaults


def test_a_window_for_one_province_is_added_to_that_province_only(allocation):
    bali, kalsel = allocation.province, Province.objects.get(code="63")
    CashPlanWindow.objects.create(year=2025, province=bali, opens_on=D(2025, 6, 2), closes_on=D(2025, 6, 6))
    assert [w.opens_on for w in cashplan.windows(2025, bali)] == [
        D(2025, 2, 1),
        D(2025, 4, 1),
        D(2025, 6, 2),
        D(2025, 7, 1),
        D(2025, 10, 1),
    ]
    assert len(cashplan.windows(2025, kalsel)) == 4
    assert cashplan.window_open(allocation, D(2025, 6, 4)).for_province


# --- Versions ----------------------------------------------------------------------------------------------


def test_the_first_version_is_entered_any_time_later_ones_only_in_a_window(allocation, operator):
    first = cashplan.save_cash_plan(
        allocation=allocation, lines=even_plan(allocation.current_pagu), actor=operator, today=D(2025, 1, 20)
    )
    assert first.number == 1 and first.lines.count() == 36
    before = stored_rows()
    with pytest.raises(ValidationError) as refused:
        cashplan.save_cash_plan(
            allocation=allocation, lines=grid(lambda m, t: 1), actor=operator, today=D(2025, 3, 3)
        )
    assert refused.value.messages == [
        "RPD hanya dapat diubah di dalam jendela revisi. Jendela berikutnya: 01/04/2025–22/04/2025."
    ]
    assert stored_rows() == before
    second = cashplan.save_cash_plan(
        allocation=allocation,
        lines=grid(lambda m, t: 100 * MILLION if t == "52" else 0),
        actor=operator,
        note="Penyesuaian jadwal",
        today=D(2025, 4, 22),  # the window's last day
    )
    assert second.number == 2
    # Both versions kept, the first one unchanged; the latest is in force.
    assert list(allocation.cash_plans.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert sum(first.lines.values_list("amount", flat=True)) == allocation.current_pagu
    assert cashplan.plan_in_force(allocation) == second
    assert second.history.first().history_user == operator


def test_after_the_last_window_the_refusal_says_there_is_none_left(allocation, operator):
    cashplan.save_cash_plan(allocation=allocation, lines={}, actor=operator, today=D(2025, 1, 2))
    with pytest.raises(ValidationError, match="tidak ada lagi jendela revisi RPD tahun anggaran 2025"):
        cashplan.save_cash_plan(allocation=allocation, lines={}, actor=operator, today=D(2025, 11, 3))
    assert CashPlan.objects.count() == 1


def test_only_the_provinces_operators_and_admins_enter_an_rpd(
    allocation, operator, operator_b, pusat, viewer
):
    for user in (operator_b, pusat, viewer):
        with pytest.raises(PermissionDenied):
            cashplan.save_cash_plan(allocation=allocation, lines={}, actor=user, today=D(2025, 2, 3))
    FiscalYear.objects.create(year=2025, closed_at=timezone.now(), closed_by=pusat)
    with pytest.raises(PermissionDenied):
        cashplan.save_cash_plan(allocation=allocation, lines={}, actor=operator, today=D(2025, 2, 3))
    assert not CashPlan.objects.exists()


def test_bad_cells_write_nothing(allocation, operator):
    for lines in ({(13, "52"): 1}, {(1, "54"): 1}, {(1, "52"): Decimal(-1)}, {(1, "52"): Decimal("1.5")}):
        with pytest.raises(ValidationError):
            cashplan.save_cash_plan(allocation=allocation, lines=lines, actor=operator, today=D(2025, 2, 3))
    assert stored_rows() == ([], [], 0)


# --- The RPD pages ---------------------------------------------------------------------------------------


def test_the_rpd_entry_page_saves_a_version_and_warns_when_the_total_misses_the_pagu(
    this_year, operator_client
):
    url = reverse("programs:cash_plan_edit", args=[this_year.pk])
    assert operator_client.get(url).status_code == 200
    cells = grid(lambda m, t: 10 * MILLION if t == "52" else 0)  # 120 million of 1.200 million
    response = operator_client.post(url, form_data(cells, "RPD awal"), follow=True)
    plan = CashPlan.objects.get()
    assert (plan.number, plan.note) == (1, "RPD awal")
    assert {(line.month, line.spending_type): line.amount for line in plan.lines.all()} == cells
    html = response.content.decode()
    assert "berbeda dengan pagu terkini Rp 1.200.000.000" in html
    assert "selisih Rp 1.080.000.000" in html


def test_an_rpd_change_outside_a_window_is_refused_with_a_message_and_nothing_saved(
    this_year, operator, operator_client
):
    closed_window_today(this_year.year)
    cashplan.save_cash_plan(allocation=this_year, lines=even_plan(this_year.current_pagu), actor=operator)
    before = stored_rows()
    url = reverse("programs:cash_plan_edit", args=[this_year.pk])
    page = operator_client.get(url).content.decode()
    assert "RPD hanya dapat diubah di dalam jendela revisi" in page
    response = operator_client.post(url, form_data(grid(lambda m, t: 1)))
    assert response.status_code == 200
    assert "RPD hanya dapat diubah di dalam jendela revisi" in response.content.decode()
    assert stored_rows() == before
    # Inside a window the same change is a second version.
    open_window_today(this_year.year)
    assert operator_client.post(url, form_data(grid(lambda m, t: 1))).status_code == 302
    assert CashPlan.objects.count() == 2


def test_a_badly_typed_rpd_cell_is_refused_beside_it(this_year, operator_client):
    url = reverse("programs:cash_plan_edit", args=[this_year.pk])
    response = operator_client.post(url, {**form_data(grid(lambda m, t: 0)), "m3_52": "2,5 juta"})
    assert response.status_code == 200
    assert "Tulis jumlah dalam Rupiah" in str(response.context["form"].errors["m3_52"])
    assert not CashPlan.objects.exists()


def test_the_rpd_page_shows_the_version_in_force_every_version_and_the_windows(
    this_year, operator, admin, operator_client
):
    closed_window_today(this_year.year)
    cashplan.save_cash_plan(allocation=this_year, lines=even_plan(this_year.current_pagu), actor=operator)
    open_window_today(this_year.year)
    cashplan.save_cash_plan(
        allocation=this_year, lines=grid(lambda m, t: 7 * MILLION), actor=admin, note="Revisi RPD ke-1"
    )
    response = operator_client.get(reverse("programs:cash_plan", args=[this_year.pk]))
    html = response.content.decode()
    assert [v.number for v in response.context["versions"]] == [2, 1]
    assert "Revisi RPD ke-1" in html and "op-51" in html and "admin" in html
    assert "Jendela khusus" in html and "Terbuka" in html
    assert "Rp 7.000.000" in html  # a cell of the version in force
    assert "Rp 252.000.000" in html  # its total: 36 × 7 million


# --- Realisation per spending type and RO ---------------------------------------------------------------


def test_without_a_plan_the_months_realisation_is_entered_per_spending_type(allocation, operator_client):
    url = reverse("programs:realisation_add", args=[allocation.pk])
    data = {"month": 3, "amount_51": "10.000.000", "amount_52": "Rp 25.000.000", "amount_53": ""}
    assert operator_client.post(url, data).status_code == 302
    realisation = Realisation.objects.get()
    assert realisation.amount == 35 * MILLION
    lines = {(line.planned_output_id, line.spending_type): line.amount for line in realisation.lines.all()}
    assert lines == {(None, "51"): 10 * MILLION, (None, "52"): 25 * MILLION}
    assert realisation.history.first().history_user.username == "op-51"
    assert RealisationLine.history.filter(history_user__username="op-51").count() == 2


def test_the_existing_rules_of_the_realisation_hold_for_its_lines(allocation, operator_client):
    url = reverse("programs:realisation_add", args=[allocation.pk])
    operator_client.post(url, {"month": 3, "amount_52": "1.000.000.000"})
    response = operator_client.post(url, {"month": 4, "amount_51": "100.000.000", "amount_52": "150.000.000"})
    assert response.status_code == 200
    assert "Realisasi kumulatif Rp 1.250.000.000 melebihi pagu terkini Rp 1.200.000.000." in (
        response.content.decode()
    )
    response = operator_client.post(url, {"month": 3, "amount_52": "1"})
    assert "sudah dicatat" in response.content.decode()
    response = operator_client.post(url, {"month": 5, "amount_52": "-5"})
    assert "tidak boleh negatif" in response.content.decode()
    response = operator_client.post(url, {"month": 5, "amount_51": "", "amount_52": ""})
    assert "Isi realisasi minimal pada satu sel" in response.content.decode()
    assert operator_client.post(url, {"month": 5, "amount_52": "0"}).status_code == 302  # a month without
    Realisation.objects.filter(month=5).delete()
    assert Realisation.objects.count() == 1 and RealisationLine.objects.count() == 1


def test_with_a_plan_the_realisation_is_a_grid_of_ro_and_spending_type(allocation, operator_client):
    ro1, ro2 = make_plan(allocation, [700 * MILLION, 500 * MILLION])
    page = operator_client.get(reverse("programs:budget", args=[allocation.pk]))
    names = set(page.context["form"].fields)
    assert {f"ro_{ro1.pk}_51", f"ro_{ro2.pk}_53"} <= names and "amount_52" not in names
    url = reverse("programs:realisation_add", args=[allocation.pk])
    data = {
        "month": 6,
        f"ro_{ro1.pk}_52": "40.000.000",
        f"ro_{ro2.pk}_51": "5.000.000",
        f"ro_{ro2.pk}_52": "",
    }
    assert operator_client.post(url, data).status_code == 302
    realisation = Realisation.objects.get()
    assert realisation.amount == 45 * MILLION
    assert {
        (line.planned_output_id, line.spending_type): line.amount for line in realisation.lines.all()
    } == {
        (ro1.pk, "52"): 40 * MILLION,
        (ro2.pk, "51"): 5 * MILLION,
    }
    # An amount forged for an RO of another allocation is not a field of this form: ignored.
    other = make_plan(make_allocation("63", 2025), [1_500 * MILLION])[0]
    operator_client.post(url, {"month": 7, f"ro_{other.pk}_52": "9.000.000"})
    assert not RealisationLine.objects.filter(planned_output=other).exists()
    html = operator_client.get(reverse("programs:budget", args=[allocation.pk])).content.decode()
    assert "Realisasi per RO" in html and "5807.QEA.002" in html


def test_an_edit_changes_the_lines_in_place_and_keeps_their_history(allocation, operator, operator_client):
    url = reverse("programs:realisation_add", args=[allocation.pk])
    operator_client.post(url, {"month": 2, "amount_51": "1.000.000", "amount_52": "2.000.000"})
    realisation = Realisation.objects.get()
    kept = realisation.lines.get(spending_type="51")
    edit = reverse("programs:realisation_edit", args=[realisation.pk])
    assert operator_client.get(edit).status_code == 200
    data = {
        "amount_51": "1.000.000",
        "amount_53": "4.000.000",
        "note": "koreksi",
        "version": realisation.version,
    }
    assert operator_client.post(edit, data).status_code == 302
    realisation.refresh_from_db()
    assert realisation.amount == 5 * MILLION and realisation.note == "koreksi"
    assert {line.spending_type: line.amount for line in realisation.lines.all()} == {
        "51": 1 * MILLION,
        "53": 4 * MILLION,
    }
    assert realisation.lines.get(spending_type="51").pk == kept.pk  # unchanged, not rewritten
    deleted = RealisationLine.history.filter(history_type="-").get()
    assert (deleted.spending_type, deleted.history_user) == ("52", operator)
    # A stale form is refused and writes nothing.
    response = operator_client.post(edit, {**data, "amount_51": "9", "version": realisation.version - 1})
    assert response.status_code == 200 and "sudah diubah orang lain" in response.content.decode()
    assert realisation.lines.get(spending_type="51").amount == 1 * MILLION


def test_a_realisation_without_lines_counts_as_goods_and_keeps_working(allocation, operator_client):
    old = make_realisation(allocation, month=1, amount=30 * MILLION)
    comparison = cashplan.compare(allocation)
    assert comparison.months[0]["by_type"]["52"]["realised"] == 30 * MILLION
    edit = reverse("programs:realisation_edit", args=[old.pk])
    form = operator_client.get(edit).context["form"]
    assert form.unsplit and form["amount_52"].initial == 30 * MILLION
    data = {"amount_52": "30.000.000", "version": old.version}
    assert operator_client.post(edit, data).status_code == 302
    assert old.lines.get().spending_type == "52"


def test_the_service_refuses_lines_that_do_not_fit_the_plan(allocation, operator):
    with pytest.raises(ValidationError, match="belum punya RO"):
        cashplan.save_realisation(allocation=allocation, month=1, lines={(1, "52"): MILLION}, actor=operator)
    ro = make_plan(allocation, [1_200 * MILLION])[0]
    with pytest.raises(ValidationError, match="dicatat per RO"):
        cashplan.save_realisation(
            allocation=allocation, month=1, lines={(None, "52"): MILLION}, actor=operator
        )
    with pytest.raises(ValidationError, match="melebihi pagu terkini"):
        cashplan.save_realisation(
            allocation=allocation, month=1, lines={(ro.pk, "52"): 1_300 * MILLION}, actor=operator
        )
    assert not Realisation.objects.exists() and not RealisationLine.objects.exists()


# --- Plan against realisation ----------------------------------------------------------------------------


def _expected(plan_cells, realised_cells, pagu):
    """The deviation table computed here: per month and type, and cumulative, by the formula of the issue."""

    def pct(part, whole):
        if not whole:
            return None
        return float(
            (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        )

    reported = max((m for m, _t in realised_cells), default=0)
    months, cumulative = [], []
    cum_p = cum_r = 0
    for m in range(1, 13):
        for t in TYPES:
            p, r = plan_cells.get((m, t), 0), realised_cells.get((m, t), 0)
            months.append(
                {
                    "month": m,
                    "spending_type": t,
                    "planned": int(p),
                    "realised": int(r),
                    "deviation_pct": pct(abs(r - p), p) if m <= reported else None,
                }
            )
            cum_p += p
            cum_r += r
        cumulative.append(
            {
                "month": m,
                "planned": int(cum_p),
                "realised": int(cum_r),
                "deviation_pct": pct(abs(cum_r - cum_p), cum_p) if m <= reported else None,
                "realised_pct": pct(cum_r, pagu) if m <= reported else None,
            }
        )
    return months, cumulative


def test_the_json_carries_the_deviation_of_an_independent_computation(allocation, operator, operator_client):
    plan_cells = grid(lambda m, t: {"51": 5, "52": 80, "53": 0 if m < 6 else 15}[t] * MILLION)
    cashplan.save_cash_plan(allocation=allocation, lines=plan_cells, actor=operator, today=D(2025, 1, 6))
    add = reverse("programs:realisation_add", args=[allocation.pk])
    entered = {
        1: {"51": 5, "52": 60, "53": 0},
        2: {"51": 5, "52": 84, "53": 0},
        4: {"51": 4, "52": 100, "53": 0},
    }
    for month, amounts in entered.items():
        data = {"month": month} | {f"amount_{t}": str(a * 1_000_000) for t, a in amounts.items()}
        assert operator_client.post(add, data).status_code == 302
    make_realisation(allocation, month=6, amount=70 * MILLION)  # without lines: all 52
    make_revision(allocation, 1_000 * MILLION, revised_on=D(2025, 5, 2))
    allocation.refresh_from_db()
    realised_cells = {(m, t): a * MILLION for m, amounts in entered.items() for t, a in amounts.items()}
    realised_cells[(6, "52")] = 70 * MILLION
    for m in (3, 5):  # no realisation recorded, but before the last reported month: realised 0
        realised_cells.setdefault((m, "52"), 0)

    response = operator_client.get(reverse("programs:cash_plan", args=[allocation.pk]), {"format": "json"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    months, cumulative = _expected(plan_cells, realised_cells, allocation.current_pagu)
    assert body["months"] == months
    assert [{k: row[k] for k in months[0] if k != "spending_type"} | {"realised_pct": row["realised_pct"]}
            for row in body["cumulative"]] == cumulative  # fmt: skip
    assert (body["year"], body["province_code"], body["version"]) == (2025, "51", 1)
    assert body["current_pagu"] == 1_000_000_000 and body["planned_total"] == int(sum(plan_cells.values()))
    assert [row["benchmark_pct"] for row in body["cumulative"]][2::3] == [15, 40, 60, 90]
    # Spot checks of the formula: February's goods 84 of 80 planned → 5,00 %; April's 100 of 80 → 25,00 %.
    by_key = {(r["month"], r["spending_type"]): r for r in body["months"]}
    assert by_key[(2, "52")]["deviation_pct"] == 5.0 and by_key[(4, "52")]["deviation_pct"] == 25.0
    assert by_key[(1, "53")]["deviation_pct"] is None  # nothing planned
    assert by_key[(7, "52")]["deviation_pct"] is None  # not reported yet


def test_the_budget_page_shows_plan_against_realisation(allocation, operator, operator_client):
    cashplan.save_cash_plan(
        allocation=allocation, lines=even_plan(allocation.current_pagu), actor=operator, today=D(2025, 1, 6)
    )
    operator_client.post(
        reverse("programs:realisation_add", args=[allocation.pk]), {"month": 1, "amount_52": "110.000.000"}
    )
    response = operator_client.get(reverse("programs:budget", args=[allocation.pk]))
    html = response.content.decode()
    assert "RPD dan realisasi" in html
    january = response.context["comparison"].months[0]
    assert january["planned"] == 100 * MILLION and january["realised"] == 110 * MILLION
    assert january["deviation_pct"] == Decimal("10.00") and "10,00 %" in html
    assert january["cum_realised_pct"] == Decimal("9.17")  # 110 of 1.200 million
    assert "rpd-warning" not in html  # the RPD adds up to the pagu


def test_the_comparison_downloads_as_xlsx_and_csv(allocation, operator, operator_client):
    from openpyxl import load_workbook

    cashplan.save_cash_plan(
        allocation=allocation, lines=even_plan(allocation.current_pagu), actor=operator, today=D(2025, 1, 6)
    )
    url = reverse("programs:cash_plan", args=[allocation.pk])
    response = operator_client.get(url, {"format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheets = book.worksheets
    assert len(sheets) == 2
    rows = sheetutil.table(sheets[0])
    assert len(rows) == 1 + 36 + 1  # header, months × types, totals
    assert rows[-1][2] == 1_200_000_000  # the planned total
    csv = csvutil.text(operator_client.get(url, {"format": "csv"}))
    assert csv.splitlines()[0].startswith("Bulan;Jenis belanja;Rencana (RPD) (Rp)")  # Indonesian Excel
    total = next(row for row in csvutil.rows(csv) if row and row[0] == "Total")
    assert total[2] == "1200000000"  # the planned total: whole Rupiah, no thousands separator


# --- Scoping ---------------------------------------------------------------------------------------------


def test_another_provinces_operator_gets_404_and_viewers_read_only(
    this_year, operator, operator_b_client, viewer_client, pusat_client
):
    cashplan.save_cash_plan(allocation=this_year, lines=even_plan(this_year.current_pagu), actor=operator)
    page = reverse("programs:cash_plan", args=[this_year.pk])
    edit = reverse("programs:cash_plan_edit", args=[this_year.pk])
    for url in (page, page + "?format=json", page + "?format=csv", edit):
        assert operator_b_client.get(url).status_code == 404, url
    assert operator_b_client.post(edit, form_data(grid(lambda m, t: 1))).status_code == 404
    for client in (viewer_client, pusat_client):
        response = client.get(page)
        assert response.status_code == 200 and "rpd-edit-link" not in response.content.decode()
        assert client.get(edit).status_code == 403
        assert client.post(edit, form_data(grid(lambda m, t: 1))).status_code == 403
    assert CashPlan.objects.count() == 1


def test_admins_see_windows_and_read_only_rpd_versions_in_the_admin(allocation, operator, admin_client):
    plan = cashplan.save_cash_plan(allocation=allocation, lines={}, actor=operator, today=D(2025, 1, 6))
    window = CashPlanWindow.objects.create(year=2025, opens_on=D(2025, 5, 5), closes_on=D(2025, 5, 9))
    for name in ("cashplan", "cashplanwindow"):
        assert admin_client.get(reverse(f"admin:programs_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:programs_cashplan_change", args=[plan.pk])).status_code == 200
    assert admin_client.get(reverse("admin:programs_cashplan_add")).status_code == 403
    data = {
        "year": 2025,
        "province": "",
        "opens_on": "05/05/2025",
        "closes_on": "30/05/2025",
        "note": "Diperpanjang",
    }
    response = admin_client.post(reverse("admin:programs_cashplanwindow_change", args=[window.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    window.refresh_from_db()
    assert window.closes_on == D(2025, 5, 30) and window.history.first().history_user.username == "admin"


# --- Queries ---------------------------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(allocation, operator, ros, months):
    for month in months:
        lines = {(ro.pk, t): MILLION for ro in ros for t in TYPES}
        cashplan.save_realisation(allocation=allocation, month=month, lines=lines, actor=operator)
    CashPlanWindow.objects.get_or_create(year=2025, opens_on=D(2025, 1, 1), closes_on=D(2025, 12, 31))
    for _ in months:
        cashplan.save_cash_plan(
            allocation=allocation, lines=grid(lambda m, t: MILLION), actor=operator, today=D(2025, 6, 2)
        )


# (not named "page": that is pytest-playwright's fixture, which would make this a browser test)
@pytest.mark.parametrize("url_name", ["programs:budget", "programs:cash_plan"])
def test_the_budget_and_rpd_pages_do_not_grow_with_months_versions_and_ro(
    allocation, operator, operator_client, url_name
):
    ros = make_plan(allocation, [600 * MILLION, 600 * MILLION])
    url = reverse(url_name, args=[allocation.pk])
    _grow(allocation, operator, ros[:1], [1])
    _count(operator_client, url)  # warms the content-type and similar caches
    few = _count(operator_client, url)
    ros += make_plan_more(allocation, 3)
    _grow(allocation, operator, ros, range(2, 10))
    assert _count(operator_client, url) == few


def make_plan_more(allocation, n):
    kro = PlanItem.objects.get(allocation=allocation, level=PlanLevel.KRO)
    return [
        PlanItem.objects.create(
            allocation=allocation,
            parent=kro,
            level=PlanLevel.RO,
            code=f"5807.QEA.{100 + i:03d}",
            name=f"RO tambahan {i}",
            target=5,
            unit=OutputUnit.PERSON,
            measure=Measure.PARTICIPANTS,
            pagu=Decimal(0),
        )
        for i in range(n)
    ]


def test_the_rpd_page_runs_12_queries(allocation, operator, operator_client, django_assert_num_queries):
    cashplan.save_cash_plan(allocation=allocation, lines={}, actor=operator, today=D(2025, 1, 6))
    make_realisation(allocation, month=1, amount=MILLION)
    url = reverse("programs:cash_plan", args=[allocation.pk])
    operator_client.get(url)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the allocation in the user's scope, province joined
    # 5. its RPD versions, who entered them joined
    # 6. the lines of the version in force
    # 7. the realisation lines summed per month and spending type
    # 8. the months with a realisation recorded, with their amounts (a month without lines is all 52)
    # 9. the windows stored for the year
    # 10. whether the user may enter the RPD: the allocation in the provinces they edit, year open
    # 11. the user's province, named in the navigation bar
    # 12. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(12):
        response = operator_client.get(url)
    assert response.context["plan"].number == 1


def test_the_budget_page_with_a_plan_and_an_rpd_runs_16_queries(
    allocation, operator, operator_client, django_assert_num_queries
):
    ro = make_plan(allocation, [1_200 * MILLION])[0]
    cashplan.save_cash_plan(allocation=allocation, lines={}, actor=operator, today=D(2025, 1, 6))
    cashplan.save_realisation(allocation=allocation, month=1, lines={(ro.pk, "52"): MILLION}, actor=operator)
    url = reverse("programs:budget", args=[allocation.pk])
    operator_client.get(url)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the allocation in the user's scope, province joined
    # 5. its monthly realisation, reviewer joined
    # 6. which of those months the user may still edit
    # 7. whether the user may add a month: the allocation in the provinces they edit, year open
    # 8. the packages of its months and quarters (their state beside each month)
    # 9. the RO of its plan (the realisation grid's rows, the per-RO table)
    # 10. its RPD in force, who entered it joined
    # 11. the lines of that version
    # 12. the realisation lines summed per month and spending type
    # 13. the realisation lines summed per RO and spending type
    # 14. the user's province, named in the navigation bar
    # 15. the pagu's revisions
    # 16. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(16):
        response = operator_client.get(url)
    assert response.context["by_output"][0]["by_type"]["52"] == MILLION


def test_a_month_entered_before_the_plan_is_split_over_the_ro_on_its_edit_page(allocation, operator_client):
    old = make_realisation(allocation, month=2, amount=8 * MILLION)
    ro = make_plan(allocation, [1_200 * MILLION])[0]
    edit = reverse("programs:realisation_edit", args=[old.pk])
    page = operator_client.get(edit)
    assert "dicatat tanpa rincian per RO" in page.content.decode()
    data = {f"ro_{ro.pk}_52": "6.000.000", f"ro_{ro.pk}_51": "2.000.000", "version": old.version}
    assert operator_client.post(edit, data).status_code == 302
    assert {(line.planned_output_id, line.spending_type) for line in old.lines.all()} == {
        (ro.pk, "51"),
        (ro.pk, "52"),
    }
    old.refresh_from_db()
    assert old.amount == 8 * MILLION
