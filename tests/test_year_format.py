"""Years, ids, codes and month numbers are never formatted as quantities: 2020, never 2.020 or 2,020.

Every role's pages (home, lists, activity page, history pages, reports, the admin's changelists and change
forms) are scanned for a year written with a thousands separator; the XLSX downloads give year and id
columns no grouping number format, while quantities keep theirs.
"""

import io
import re
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.sites import site
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from programs.models import Achievement, QuarterlyNote, Realisation, ReportPackage, ReviewStatus
from programs.views.history import HISTORY_MODELS
from tests import sheetutil
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_partner,
    make_plan,
    make_realisation,
    make_revision,
    with_staff_status,
)

pytestmark = pytest.mark.django_db

# A year 2000-2099 grouped as a number: 2.020 or 2,020, standing alone (not inside Rp 2.050.000 or 12.020).
GROUPED_YEAR = re.compile(r"(?<![\d.,])2[.,]0\d\d(?![\d]|[.,]\d)")
YEAR = 2020
ROLES = ["operator", "pusat", "viewer", "admin"]


@pytest.fixture
def world(operator, pusat, viewer, admin_user):
    allocation = make_allocation("51", YEAR)
    make_revision(allocation, 1_400_000_000)
    realisation = make_realisation(allocation, 6, 100_000_000)
    # A returned month is listed on the operator's home page with its year.
    returned = {"review_status": ReviewStatus.RETURNED, "review_note": "Cek"}
    Realisation.objects.filter(pk=realisation.pk).update(**returned)
    activity = make_activity(allocation, actual_participants=18)
    firm = make_firm("51", workers=12)
    participation = make_participation(activity, firm)
    # Quantities outside 2.000-2.099, so that only a year can match the pattern.
    output = make_output(participation, quantity=3000, ordered_quantity=5000, buyer=make_partner("51"))
    handover = make_handover(output, quantity=1500)
    participant = make_participant(activity)
    note = QuarterlyNote.objects.create(allocation=allocation, quarter=2, problems="PSBB")
    # The plan (entered after the activity, which may stay untagged) with an RO counted by hand.
    ro, manual = make_plan(
        allocation, ros=[{}, {"measure": "manual", "unit": "dokumen", "target": 2, "pagu": 0}]
    )
    achievement = Achievement.objects.create(
        planned_output=manual, month=6, quantity=1, evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="b.pdf")
    )
    # June's package, returned as its realisation is (issue 16: the month's records follow their package).
    package = ReportPackage.objects.create(allocation=allocation, kind="bulanan", period=6, **returned)
    with_staff_status(operator, pusat, viewer)  # the scanned pages include the admin's
    users = {"operator": operator, "pusat": pusat, "viewer": viewer, "admin": admin_user}
    objects = {
        "kegiatan": activity,
        "ikm": firm,
        "mitra": output.buyer,
        "alokasi": allocation,
        "revisi": allocation.revisions.get(),
        "realisasi": realisation,
        "peserta-ikm": participation,
        "peserta": participant,
        "hasil": output,
        "penyerahan": handover,
        "catatan-triwulan": note,
        "rencana": ro,
        "capaian": achievement,
        "paket": package,
    }
    return SimpleNamespace(
        allocation=allocation,
        activity=activity,
        firm=firm,
        output=output,
        handover=handover,
        participant=participant,
        realisation=realisation,
        package=package,
        objects=objects,
        users=users,
    )


def _workspace_pages(w):
    year = {"tahun": YEAR}
    pages = [
        (reverse("home"), None),
        (reverse("programs:activity_list"), year),
        (reverse("programs:firm_list"), None),
        (reverse("programs:partner_list"), None),
        (reverse("programs:allocation_list"), None),
        (reverse("programs:review_queue"), None),
        (reverse("programs:activity_detail", args=[w.activity.pk]), None),
        (reverse("programs:activity_update", args=[w.activity.pk]), None),
        (reverse("programs:activity_create"), None),
        (reverse("programs:activity_history", args=[w.activity.pk]), None),
        (reverse("programs:firm_detail", args=[w.firm.pk]), None),
        (reverse("programs:firm_update", args=[w.firm.pk]), None),
        (reverse("programs:budget", args=[w.allocation.pk]), None),
        (reverse("programs:plan", args=[w.allocation.pk]), None),
        (reverse("programs:plan_edit", args=[w.allocation.pk]), None),
        (reverse("programs:plan_import", args=[w.allocation.pk]), None),
        (reverse("programs:cash_plan", args=[w.allocation.pk]), None),
        (reverse("programs:cash_plan_edit", args=[w.allocation.pk]), None),
        (reverse("programs:achievements", args=[w.allocation.pk]), None),
        (reverse("programs:package_detail", args=[w.package.pk]), None),
        (reverse("programs:package_list"), None),
        # The reporting cycle's pages (issue 16): the calendar board, closed periods, fiscal years, the inbox
        (reverse("programs:calendar"), year),
        (reverse("programs:calendar"), {**year, "format": "json"}),
        (reverse("programs:periods"), year),
        (reverse("programs:fiscal_years"), None),
        (reverse("programs:inbox"), None),
        (reverse("reports:capaian", args=["51"]), year),
        (reverse("programs:realisation_add", args=[w.allocation.pk]), None),
        (reverse("programs:realisation_edit", args=[w.realisation.pk]), None),
        (reverse("programs:output_add", args=[w.activity.pk]), None),
        (reverse("programs:output_edit", args=[w.output.pk]), None),
        (reverse("programs:handover_add", args=[w.output.pk]), None),
        (reverse("programs:handover_edit", args=[w.handover.pk]), None),
        (reverse("programs:participant_edit", args=[w.participant.pk]), None),
        (reverse("provinces:list"), year),
        (reverse("provinces:detail", args=["51"]), year),
        (reverse("reports:index"), year),
        (reverse("reports:national"), year),
        (reverse("reports:covid"), year),
        (reverse("reports:province", args=["51"]), year),
        (reverse("reports:quarterly", kwargs={"code": "51", "quarter": 2}), year),
        (reverse("reports:quarterly_note", kwargs={"code": "51", "quarter": 2}), year),
        # The PP 39/2006 forms' pages (issue 17, part A): the national bundle's list, a province's status
        (reverse("reports:national_forms", kwargs={"quarter": 2}), year),
        (reverse("reports:province_status", args=["51"]), {**year, "bulan": 6}),
        # The IKPA early warning (issue 17): the ranking and the drill-down
        (reverse("reports:ikpa"), {**year, "bulan": 6}),
        (reverse("reports:ikpa_province", args=["51"]), {**year, "bulan": 6}),
        # Issue 17, part C: the national dashboard (the home of those who see every province) and the
        # recap as of a month, with their month and year choices
        (reverse("home"), {**year, "bulan": 6}),
        (reverse("reports:national"), {**year, "bulan": 6}),
    ]
    pages += [(reverse("programs:history", args=[kind, obj.pk]), None) for kind, obj in w.objects.items()]
    return pages


def _admin_pages(w):
    """Every registered model's changelist and add page; each programme object's change and history page."""
    pages = [(reverse("admin:index"), None)]
    stored = {type(obj): obj for obj in w.objects.values()}
    for model in site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((reverse(f"{prefix}_changelist"), None))
        pages.append((reverse(f"{prefix}_add"), None))
        obj = stored.get(model) or model._default_manager.order_by("pk").first()
        if obj is not None:
            pages.append((reverse(f"{prefix}_change", args=[obj.pk]), None))
            pages.append((reverse(f"{prefix}_history", args=[obj.pk]), None))
    return pages


def test_the_scanned_pages_cover_every_history_kind_and_admin_model(world):
    assert set(world.objects) | {"lampiran"} == set(HISTORY_MODELS)
    assert admin.site is site and len(_admin_pages(world)) > 4 * 10


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_any_role_writes_a_year_with_a_thousands_separator(client, world, role):
    client.force_login(world.users[role])
    shown = 0
    found = []
    for url, params in _workspace_pages(world) + _admin_pages(world):
        response = client.get(url, params)
        if response.status_code != 200:
            continue
        shown += 1
        html = response.content.decode()
        for match in GROUPED_YEAR.finditer(html):
            found.append(f"{url}: …{html[max(0, match.start() - 80) : match.end() + 20]}…")
    # The pages were really rendered for this role (the admin's pages for admins only: programs/admin.py).
    assert shown > (30 if role == "admin" else 25)
    assert not found, "\n".join(found)


def test_the_pattern_finds_a_grouped_year_but_not_money_or_quantities():
    assert GROUPED_YEAR.search("Anggaran Bali 2.020")
    assert GROUPED_YEAR.search("<td>2,021</td>")
    assert not GROUPED_YEAR.search("Rp 2.050.000 · 12.020 · 2020 · 3.000")


def _xlsx(client, url, params):
    response = client.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


NAMING_HEADERS = {"ID", "Tahun", "Bulan", "Triwulan"}
QUANTITY_HEADERS = {"Target peserta", "Realisasi peserta", "Tenaga kerja", "Diproduksi", "Dipesan"}


@pytest.mark.parametrize(
    "download",
    [
        ("programs:activity_list", {}, {"tahun": YEAR}),
        ("programs:firm_list", {}, {}),
        ("programs:partner_list", {}, {}),
        ("programs:allocation_list", {}, {}),
        ("reports:province", {"code": "51"}, {"tahun": YEAR}),
        ("reports:quarterly", {"code": "51", "quarter": 2}, {"tahun": YEAR}),
        ("reports:national", {}, {"tahun": YEAR}),
        ("reports:covid", {}, {"tahun": YEAR}),
    ],
)
def test_xlsx_year_and_id_columns_carry_no_thousands_format_but_quantities_do(client, world, download):
    name, kwargs, params = download
    client.force_login(world.users["pusat"])
    workbook = _xlsx(client, reverse(name, kwargs=kwargs), params)
    naming = quantities = 0
    for sheet in workbook.worksheets:
        rows = sheetutil.table_cells(sheet)
        if len(rows) < 2:
            continue
        for index, header in enumerate(rows[0]):
            cells = [row[index] for row in rows[1:] if index < len(row) and isinstance(row[index].value, int)]
            if header.value in NAMING_HEADERS:
                naming += len(cells)
                assert all("," not in c.number_format for c in cells), (header.value, cells[0].number_format)
            elif header.value in QUANTITY_HEADERS:
                quantities += len(cells)
                assert all(c.number_format == "#,##0" for c in cells), header.value
    if name in ("programs:activity_list", "programs:firm_list", "programs:allocation_list"):
        assert naming  # the download really has a year or id column
    assert naming or quantities


def test_the_xlsx_year_is_the_number_2020(client, world):
    client.force_login(world.users["pusat"])
    sheet = _xlsx(client, reverse("programs:activity_list"), {"tahun": YEAR}).worksheets[0]
    rows = sheetutil.table(sheet)
    column = rows[0].index("Tahun")
    assert rows[1][column] == YEAR
