"""Fund type (dekonsentrasi DK / tugas pembantuan TP) in the reports: shown, filtered, and the figures of a
filtered recap equal to the records of the allocations of that fund type.
"""

import datetime
import importlib
import json
import random
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse

from programs.models import Activity, Allocation, FundType, Participation, fund_type_for
from tests import csvutil
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_participant,
    make_participation,
    make_realisation,
)

pytestmark = pytest.mark.django_db

YEAR = 2021
# Province -> (fund type, a regency of it): three DK, two TP, in one year (as the transition years had).
PROVINCES = {
    "51": (FundType.DK, "51.06"),
    "63": (FundType.TP, "63.71"),
    "72": (FundType.DK, "72.71"),
    "16": (FundType.TP, "16.71"),
    "31": (FundType.DK, "31.71"),
}
POSTGRES = connection.vendor == "postgresql"


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _json(response):
    assert response.status_code == 200
    return json.loads(_body(response))


def _build(rng, scale=1):
    """Allocations of both fund types with activities, firms (one taking part in two provinces) and people."""
    firms = {}
    for code, (fund_type, regency) in PROVINCES.items():
        allocation = Allocation.objects.filter(province__code=code, year=YEAR).first()
        if allocation is None:
            allocation = make_allocation(
                code, YEAR, pagu=Decimal(rng.randrange(5, 20) * 100_000_000), fund_type=fund_type
            )
            make_realisation(allocation, 3, amount=Decimal(rng.randrange(1, 40) * 1_000_000))
        firms[code] = [make_firm(code, regency) for _ in range(rng.randint(2, 4))]
        for _ in range(rng.randint(1, 3) * scale):
            activity = make_activity(allocation, budget=Decimal(rng.randrange(1, 50) * 10_000_000))
            for firm in rng.sample(firms[code], rng.randint(1, len(firms[code]))):
                make_participation(activity, firm)
            for _ in range(rng.randint(0, 2)):
                make_participant(activity)
    # A firm of Bali also in an activity of Kalimantan Selatan (TP): counted in each province once.
    traveller = firms["51"][0]
    other = Activity.objects.filter(province__code="63", year=YEAR).first()
    if not Participation.objects.filter(activity=other, firm=traveller).exists():
        make_participation(other, traveller)


def _expected(fund_type):
    """The recap's figures recomputed by plain loops over the records of that fund type's allocations."""
    rows = {}
    national = set()
    for allocation in Allocation.objects.filter(year=YEAR).select_related("province"):
        if fund_type and allocation.fund_type != fund_type:
            continue
        activities = list(Activity.objects.filter(allocation=allocation))
        firms = set()
        participants = 0
        for activity in activities:
            for participation in Participation.objects.filter(activity=activity):
                firms.add(participation.firm_id)
            participants += activity.participants.count()
        national |= firms
        rows[allocation.province.code] = {
            "fund_type": allocation.fund_type,
            "pagu": int(allocation.pagu),
            "activities": len(activities),
            "activity_budget": int(sum(a.budget for a in activities)),
            "firms": len(firms),
            "participants": participants,
        }
    return rows, len(national)


@pytest.mark.parametrize("verified", ["", "semua"])
@pytest.mark.parametrize("fund_type", ["", "DK", "TP"])
def test_the_recap_filtered_by_fund_type_equals_the_records_of_those_allocations(
    pusat_client, fund_type, verified
):
    _build(random.Random(15))
    params = {"tahun": YEAR, "format": "json", "dana": fund_type}
    if verified:
        params["verifikasi"] = verified
    data = _json(pusat_client.get(reverse("reports:national"), params))
    expected, national_firms = _expected(fund_type)
    with_allocation = {r["province_code"]: r for r in data["rows"] if r["fund_type"] is not None}
    assert set(with_allocation) == set(expected)
    for code, figures in expected.items():
        row = with_allocation[code]
        assert {key: row[key] for key in figures} == figures, code
    if fund_type:
        # Only the provinces of that fund type are listed (a province without an allocation is neither).
        assert len(data["rows"]) == len(expected)
        assert data["filters"]["fund_type"] == fund_type
    assert data["totals"]["firms"] == national_firms
    assert data["totals"]["pagu"] == sum(r["pagu"] for r in expected.values())


def test_the_recap_page_filters_and_shows_the_fund_type_of_each_province(pusat_client):
    _build(random.Random(3))
    response = pusat_client.get(reverse("reports:national"), {"tahun": YEAR, "dana": "TP"})
    assert response.status_code == 200
    assert response.context["count"] == 2
    assert [row["fund_type"] for row in response.context["groups"][0]["rows"]] == ["TP", "TP"]
    html = response.content.decode()
    assert "Jenis dana" in html and 'name="dana"' in html
    assert "Kalimantan Selatan" in html and "Sulawesi Tengah" not in html


def test_the_recap_csv_has_a_fund_type_column(pusat_client):
    _build(random.Random(4))
    response = pusat_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "csv"})
    rows = csvutil.rows(response)
    header = rows[0]
    column = header.index("Jenis dana")
    by_province = {row[header.index("Kode provinsi")]: row[column] for row in rows[1:] if row[column]}
    assert by_province == {code: str(ft) for code, (ft, _r) in PROVINCES.items()}


def test_an_operator_filtering_by_another_fund_type_sees_no_province(operator_client):
    _build(random.Random(5))
    data = _json(
        operator_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "json", "dana": "TP"})
    )
    assert data["rows"] == []  # Bali's 2021 allocation is DK; other provinces are never shown to it
    data = _json(
        operator_client.get(reverse("reports:national"), {"tahun": YEAR, "format": "json", "dana": "DK"})
    )
    assert [r["province_code"] for r in data["rows"]] == ["51"]


def _count(client, url, params):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections["default"]) as queries:
        _body(client.get(url, params))
    return len(queries)


def test_the_recap_filtered_by_fund_type_runs_10_queries_on_postgresql_14_on_sqlite_the_page_one_more(
    pusat_client, django_assert_num_queries
):
    rng = random.Random(8)
    _build(rng)
    # 1. the session
    # 2. the user
    # 3. the user's authenticator
    # 4. the user's groups (roles)
    # 5. the provinces active in the year whose allocation has the fund type
    # 6. their allocations: pagu, current pagu, realised total, fund type
    # 6a. the realisation to the as-of month per province (issue 17: the recap is as of a month)
    # 6b. the revisions dated by the month's end: the pagu in force then (programs/reports/pagu.py)
    # On PostgreSQL:
    #   7. the year's tallies (each province's are exact: a province-year is of one fund type)
    #   8. the distinct firms of those provinces' activities (the national tally counts every province)
    # On SQLite, the records added up:
    #   7. activities by province and status
    #   8. distinct firms per province
    #   9. distinct firms of the matching activities
    #   10. individual participants per province
    #   11. outputs by province and product type
    #   12. handovers by province and recipient type
    # the page only: the user's unread notices (the bell in the navigation bar). The same at any size.
    n = 10 if POSTGRES else 14
    url = reverse("reports:national")
    for fmt in ("", "json"):
        params = {"tahun": YEAR, "dana": "DK", **({"format": fmt} if fmt else {})}
        _count(pusat_client, url, params)  # warm caches
        with django_assert_num_queries(n + (0 if fmt else 1)):
            _body(pusat_client.get(url, params))
    _build(rng, scale=5)
    for fmt in ("", "json"):
        params = {"tahun": YEAR, "dana": "DK", **({"format": fmt} if fmt else {})}
        with django_assert_num_queries(n + (0 if fmt else 1)):
            _body(pusat_client.get(url, params))


# --- The allocation list ------------------------------------------------------------------------------------


def test_the_allocation_list_filters_by_fund_type_and_exports_it(pusat_client):
    _build(random.Random(6))
    make_allocation("51", 2024)  # the year's regime: TP
    for fund_type in ("DK", "TP"):
        data = _json(
            pusat_client.get(reverse("programs:allocation_list"), {"dana": fund_type, "format": "json"})
        )
        expected = {
            (a.year, a.province.code)
            for a in Allocation.objects.select_related("province")
            if a.fund_type == fund_type
        }
        assert {(r["year"], r["province_code"]) for r in data["rows"]} == expected
        assert {r["fund_type"] for r in data["rows"]} == {fund_type}
    page = pusat_client.get(reverse("programs:allocation_list"), {"dana": "TP"})
    assert page.status_code == 200
    assert {a.fund_type for a in page.context["page"]} == {"TP"}
    assert "Jenis dana" in page.content.decode()


def test_an_operator_filters_only_their_own_allocations(operator_client):
    _build(random.Random(7))
    data = _json(operator_client.get(reverse("programs:allocation_list"), {"dana": "TP", "format": "json"}))
    assert data["rows"] == []
    data = _json(operator_client.get(reverse("programs:allocation_list"), {"dana": "DK", "format": "json"}))
    assert {r["province_code"] for r in data["rows"]} == {"51"}


# --- The province and quarterly reports ---------------------------------------------------------------------


@pytest.mark.parametrize(("code", "label"), [("51", "Dekonsentrasi (DK)"), ("63", "Tugas pembantuan (TP)")])
def test_the_province_and_quarterly_reports_say_the_fund_type(pusat_client, code, label):
    _build(random.Random(9))
    province = pusat_client.get(reverse("reports:province", args=[code]), {"tahun": YEAR})
    assert f"Jenis dana: {label}" in province.content.decode()
    quarterly = pusat_client.get(
        reverse("reports:quarterly", kwargs={"code": code, "quarter": 2}), {"tahun": YEAR}
    )
    assert f"Jenis dana: {label}" in quarterly.content.decode()
    fund_type = label[-3:-1]
    data = _json(
        pusat_client.get(reverse("reports:province", args=[code]), {"tahun": YEAR, "format": "json"})
    )
    assert data["fund_type"] == fund_type
    assert {r["fund_type"] for r in data["summary"]["rows"]} == {fund_type}
    data = _json(
        pusat_client.get(
            reverse("reports:quarterly", kwargs={"code": code, "quarter": 2}),
            {"tahun": YEAR, "format": "json"},
        )
    )
    assert data["fund_type"] == fund_type


# --- The regime by year ---------------------------------------------------------------------------------


def test_an_allocation_takes_its_years_fund_type_unless_given():
    assert make_allocation("51", 2023).fund_type == FundType.DK
    assert make_allocation("51", 2024).fund_type == FundType.TP
    assert make_allocation("63", 2022, fund_type=FundType.TP).fund_type == FundType.TP
    assert [fund_type_for(y) for y in (2020, 2023, 2024, 2031)] == ["DK", "DK", "TP", "TP"]


def test_the_migration_gives_allocations_before_2024_dk_and_from_2024_tp():
    for code, year in (("51", 2019), ("63", 2023), ("72", 2024), ("16", 2026)):
        make_allocation(code, year, fund_type=FundType.TP if year < 2024 else FundType.DK)  # the wrong one
    migration = importlib.import_module("programs.migrations.0011_dipa_plan")
    migration.set_fund_types(django_apps, None)
    stored = dict(Allocation.objects.values_list("year", "fund_type"))
    assert stored == {2019: "DK", 2023: "DK", 2024: "TP", 2026: "TP"}


def test_the_admin_offers_the_years_fund_type_and_fills_it_when_left_empty(admin_client):
    url = reverse("admin:programs_allocation_add")
    assert admin_client.get(url, {"year": 2022}).context["adminform"].form.initial["fund_type"] == "DK"
    assert admin_client.get(url, {"year": 2025}).context["adminform"].form.initial["fund_type"] == "TP"
    response = admin_client.post(
        url,
        {
            "province": Allocation._meta.get_field("province").related_model.objects.get(code="51").pk,
            "year": 2024,
            "fund_type": "",
            "pagu": "1500000000",
            "dipa_number": "SP DIPA-019.03.4.51/2024",
            "dipa_date": datetime.date(2023, 12, 5).strftime("%d/%m/%Y"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Allocation.objects.get(year=2024).fund_type == "TP"
