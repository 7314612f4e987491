"""The plan (DIPA) of a province-year: its code formats, save_plan's rules (all or nothing, Indonesian
messages naming the row and code), revisions that move RO pagus, the plan's pages and who may reach them,
and the activity's RO."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import planning, services
from programs.models import (
    Activity,
    BudgetRevision,
    Measure,
    PlanItem,
    PlanLevel,
    RevisionLine,
)
from tests.factories import make_activity, make_allocation, make_revision
from tests.test_workspace import _activity_post

pytestmark = pytest.mark.django_db

BILLION = Decimal("1000000000")


def plan_rows(ro_pagus=(BILLION, Decimal("500000000")), **extra):
    """A small DIPA: a program, a kegiatan, a KRO and its ROs (IKM coached, new entrepreneurs)."""
    rows = [
        {"code": "019.08.WA", "name": "Program Pengembangan Industri"},
        {"code": "5807", "name": "Penumbuhan dan Pengembangan IKM"},
        {"code": "5807.QEA", "name": "Fasilitasi dan Pembinaan Industri"},
    ]
    units = ["ikm", "wirausaha", "dokumen", "orang"]
    for i, pagu in enumerate(ro_pagus, 1):
        rows.append(
            {
                "code": f"5807.QEA.{i:03d}",
                "name": f"RO nomor {i}",
                "target": 100 * i,
                "unit": units[(i - 1) % len(units)],
                "pagu": pagu,
            }
        )
    return rows


@pytest.fixture
def allocation():
    return make_allocation("51", 2020, pagu=Decimal("1500000000"))


@pytest.fixture
def planned(allocation, pusat):
    planning.save_plan(allocation=allocation, rows=plan_rows(), actor=pusat)
    return allocation


def ro(allocation, code):
    return PlanItem.objects.get(allocation=allocation, code=code)


# --- Codes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("019.08.WA", PlanLevel.PROGRAM, None),
        ("5807", PlanLevel.KEGIATAN, "019.08.WA"),
        ("5807.QEA", PlanLevel.KRO, "5807"),
        ("5807.QEA.001", PlanLevel.RO, "5807.QEA"),
        ("5807.QEA.001.051", PlanLevel.KOMPONEN, "5807.QEA.001"),
        ("5807.QEA.001.051.521211", PlanLevel.AKUN, "5807.QEA.001.051"),
        ("5807.QEA.001.521211", PlanLevel.AKUN, "5807.QEA.001"),
    ],
)
def test_the_level_and_parent_follow_from_the_code(code, level, parent):
    assert planning.level_of(code) == level
    assert planning.parent_code(code, program="019.08.WA") == parent


@pytest.mark.parametrize("code", ["", "58O7", "5807.qea", "5807.QEA.1", "019.8.WA", "5807.QEA.001.05"])
def test_a_code_of_no_level_is_none(code):
    assert planning.level_of(code) is None


# --- save_plan ---------------------------------------------------------------------------------------------


def test_save_plan_writes_the_tree_with_parents_measures_and_the_actor(planned, pusat):
    items = {i.code: i for i in PlanItem.objects.filter(allocation=planned)}
    assert set(items) == {"019.08.WA", "5807", "5807.QEA", "5807.QEA.001", "5807.QEA.002"}
    assert items["5807"].parent_id == items["019.08.WA"].pk
    assert items["5807.QEA"].parent_id == items["5807"].pk
    assert items["5807.QEA.002"].parent_id == items["5807.QEA"].pk
    assert items["5807.QEA.001"].level == PlanLevel.RO
    # the measure from the unit where none is given
    assert items["5807.QEA.001"].measure == Measure.FIRMS
    assert items["5807.QEA.002"].measure == Measure.NEW_FIRMS
    assert all(i.history.latest().history_user == pusat for i in items.values())
    assert planned.has_plan
    # the independent sum: a plain loop over the stored ROs
    total = sum(i.pagu for i in items.values() if i.level == "ro")
    planned.refresh_from_db()
    assert total == planned.current_pagu


def test_units_without_a_record_count_are_entered_by_hand(allocation, pusat):
    planning.save_plan(
        allocation=allocation,
        rows=plan_rows((BILLION, Decimal("250000000"), Decimal("250000000"))),
        actor=pusat,
    )
    assert ro(allocation, "5807.QEA.003").measure == Measure.MANUAL  # dokumen


def test_ro_pagus_that_do_not_add_up_to_the_current_pagu_are_refused_and_nothing_is_written(
    allocation, pusat
):
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=plan_rows((BILLION, BILLION)), actor=pusat)
    text = " ".join(refused.value.messages)
    assert "Jumlah pagu RO Rp 2.000.000.000 tidak sama dengan pagu terkini alokasi Rp 1.500.000.000" in text
    assert not PlanItem.objects.exists()


def test_the_sum_follows_the_current_pagu_after_a_revision(allocation, pusat):
    make_revision(allocation, Decimal("2000000000"))
    planning.save_plan(allocation=allocation, rows=plan_rows((BILLION, BILLION)), actor=pusat)
    assert PlanItem.objects.filter(level="ro").count() == 2


def test_once_money_is_realised_ro_pagus_move_by_revision_only(planned, pusat):
    from tests.factories import make_realisation

    make_realisation(planned, 3, Decimal("10000000"))
    moved = plan_rows((Decimal("900000000"), Decimal("600000000")))  # the same total, money moved
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=planned, rows=moved, actor=pusat)
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("5807.QEA.001", "pagu"),
        ("5807.QEA.002", "pagu"),
    ]
    assert "lewat revisi DIPA di halaman Anggaran" in refused.value.messages[0]
    assert "Pagu RO ini tetap Rp 1.000.000.000" in refused.value.messages[0]
    assert ro(planned, "5807.QEA.001").pagu == BILLION
    # Correcting what was entered (a name, a target) stays the plan page's.
    corrected = plan_rows()
    corrected[3]["name"] = "IKM yang difasilitasi dan didampingi"
    assert planning.save_plan(allocation=planned, rows=corrected, actor=pusat)["ubah"] == 1


def test_detail_amounts_under_an_ro_must_add_up_to_its_pagu(allocation, pusat):
    rows = plan_rows()
    rows[3:4] = [
        rows[3],
        {"code": "5807.QEA.001.051", "name": "Bimtek", "pagu": Decimal("600000000")},
        {"code": "5807.QEA.001.051.521211", "name": "Belanja bahan", "pagu": Decimal("600000000")},
        {"code": "5807.QEA.001.052", "name": "Pendampingan", "pagu": Decimal("300000000")},
    ]
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    assert [(p.code, p.field) for p in refused.value.problems] == [("5807.QEA.001", "pagu")]
    assert "Jumlah rincian (komponen/akun) di bawah RO ini Rp 900.000.000" in refused.value.messages[0]
    assert not PlanItem.objects.exists()
    rows[6]["pagu"] = Decimal("400000000")
    planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    line = PlanItem.objects.get(code="5807.QEA.001.051.521211")
    assert (line.level, line.account, line.spending_type) == ("akun", "521211", "52")
    assert line.parent.code == "5807.QEA.001.051"


def test_akun_lines_under_a_komponen_must_add_up_to_its_amount(allocation, pusat):
    rows = plan_rows()
    rows[4:4] = [
        {"code": "5807.QEA.001.051", "name": "Bimtek", "pagu": BILLION},
        {"code": "5807.QEA.001.051.521211", "name": "Belanja bahan", "pagu": Decimal("1")},
    ]
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    assert ("5807.QEA.001.051", "pagu") in [(p.code, p.field) for p in refused.value.problems]
    assert "Jumlah akun di bawah komponen ini Rp 1" in " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "5807.QX.001"}, "code", "tidak dikenali"),
        ({"code": "5808.QEA.001"}, "code", "Induknya, 5808.QEA, tidak ada di rencana"),
        ({"target": None}, "target", "RO harus punya target volume."),
        ({"unit": ""}, "unit", "RO harus punya satuan."),
        ({"unit": "kilogram"}, "unit", ""),
        ({"pagu": None}, "pagu", "RO harus punya pagu."),
        ({"measure": "produk"}, "product_type", "Pilih jenis produk yang dihitung."),
    ],
)
def test_a_bad_row_is_refused_naming_its_row_and_code(allocation, pusat, change, field, message):
    rows = [{**r, "row": n} for n, r in enumerate(plan_rows(), 2)]
    rows[3].update(change)
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    mine = [p for p in refused.value.problems if p.row == 5]
    assert mine and mine[0].field == field, refused.value.problems
    assert message in mine[0].message
    assert str(mine[0]).startswith("Baris 5 ")
    assert not PlanItem.objects.exists()


def test_a_heading_with_a_target_or_a_pagu_is_refused(allocation, pusat):
    rows = plan_rows()
    rows[2]["pagu"] = BILLION
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    assert "jumlah RO di bawahnya" in refused.value.messages[0]


def test_a_kegiatan_needs_a_program_above_it(allocation, pusat):
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=plan_rows()[1:], actor=pusat)
    assert "Kegiatan harus di bawah sebuah program" in " ".join(refused.value.messages)


def test_a_code_twice_is_refused(allocation, pusat):
    rows = [{**r, "row": n} for n, r in enumerate(plan_rows(), 2)]
    rows.append({**rows[3], "row": 9})
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    assert "Baris 9 5807.QEA.001: Kode ini sudah ada di baris 5." in refused.value.messages


def test_saving_again_updates_by_code_and_removes_what_is_gone(planned, pusat):
    first = ro(planned, "5807.QEA.001")
    rows = plan_rows((Decimal("1500000000"),))
    rows[3]["name"] = "IKM yang difasilitasi"
    counts = planning.save_plan(allocation=planned, rows=rows, actor=pusat)
    assert counts == {"baru": 0, "ubah": 1, "tetap": 3, "hapus": 1}
    again = ro(planned, "5807.QEA.001")
    assert again.pk == first.pk and again.name == "IKM yang difasilitasi" and again.version == 2
    assert not PlanItem.objects.filter(code="5807.QEA.002").exists()


def test_an_ro_that_activities_name_cannot_disappear(planned, pusat):
    make_activity(planned, planned_output=ro(planned, "5807.QEA.002"))
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=planned, rows=plan_rows((Decimal("1500000000"),)), actor=pusat)
    assert "5807.QEA.002: RO ini tidak dapat dihapus dari rencana karena dipakai oleh 1 kegiatan" in (
        " ".join(refused.value.messages)
    )
    assert PlanItem.objects.filter(code="5807.QEA.002").exists()
    assert ro(planned, "5807.QEA.001").pagu == BILLION


def test_a_kegiatan_moved_to_a_new_program_leaves_the_old_one_removable(planned, pusat):
    rows = plan_rows()
    rows[0] = {"code": "019.09.WB", "name": "Program baru"}
    counts = planning.save_plan(allocation=planned, rows=rows, actor=pusat)
    assert counts["hapus"] == 1 and counts["baru"] == 1
    program = ro(planned, "019.09.WB")
    assert ro(planned, "5807").parent == program
    assert not PlanItem.objects.filter(allocation=planned, code="019.08.WA").exists()


def test_an_ro_with_monthly_achievements_keeps_being_counted_by_hand(planned, pusat, operator):
    from django.core.files.base import ContentFile

    from programs.models import Achievement

    manual = ro(planned, "5807.QEA.002")
    PlanItem.objects.filter(pk=manual.pk).update(unit="dokumen", measure=Measure.MANUAL)
    Achievement.objects.create(
        planned_output=manual, month=3, quantity=1, evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="b.pdf")
    )
    rows = plan_rows()
    rows[4]["unit"] = "ikm"  # would count distinct IKM instead
    with pytest.raises(planning.PlanRefused) as refused:
        planning.save_plan(allocation=planned, rows=rows, actor=pusat)
    assert "5807.QEA.002: Capaian RO ini sudah diisi per bulan dengan bukti" in " ".join(
        refused.value.messages
    )
    manual.refresh_from_db()
    assert (manual.measure, manual.unit) == (Measure.MANUAL, "dokumen")


def test_operators_and_viewers_may_not_enter_a_plan(allocation, operator, viewer):
    for user in (operator, viewer):
        with pytest.raises(PermissionDenied):
            planning.save_plan(allocation=allocation, rows=plan_rows(), actor=user)
    assert not PlanItem.objects.exists()


def test_a_closed_year_is_closed_to_ministry_staff_but_not_to_admins(allocation, pusat, admin):
    services.close_fiscal_year(year=2020, actor=pusat)
    with pytest.raises(PermissionDenied):
        planning.save_plan(allocation=allocation, rows=plan_rows(), actor=pusat)
    planning.save_plan(allocation=allocation, rows=plan_rows(), actor=admin)
    assert PlanItem.objects.count() == 5


# --- Revisions ---------------------------------------------------------------------------------------------


def _revise(allocation, admin, new_pagu, ro_pagus, **kwargs):
    fields = {
        "revised_on": datetime.date(2020, 4, 20),
        "reason": "Refocusing Covid-19",
        "revision_code": "R-01",
        **kwargs,
    }
    return planning.revise(allocation=allocation, actor=admin, new_pagu=new_pagu, ro_pagus=ro_pagus, **fields)


def test_a_revision_moves_ro_pagus_with_its_lines(planned, admin):
    one, two = ro(planned, "5807.QEA.001"), ro(planned, "5807.QEA.002")
    revision = _revise(planned, admin, Decimal("1200000000"), {one.pk: Decimal("700000000")})
    planned.refresh_from_db()
    assert planned.current_pagu == Decimal("1200000000")
    line = RevisionLine.objects.get()
    assert (line.revision, line.planned_output, line.previous_pagu, line.new_pagu) == (
        revision,
        one,
        BILLION,
        Decimal("700000000"),
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.pagu + two.pagu == planned.current_pagu
    assert one.history.latest().history_user == admin
    assert revision.revision_code == "R-01"


def test_a_plan_whose_ro_a_revision_moved_saves_again_with_its_dipa_breakdown(allocation, pusat, admin):
    rows = plan_rows()
    rows[3:4] = [
        rows[3],
        {"code": "5807.QEA.001.051", "name": "Bimtek", "pagu": BILLION},
        {"code": "5807.QEA.001.051.521211", "name": "Belanja bahan", "pagu": BILLION},
    ]
    planning.save_plan(allocation=allocation, rows=rows, actor=pusat)
    one = ro(allocation, "5807.QEA.001")
    _revise(allocation, admin, Decimal("1200000000"), {one.pk: Decimal("700000000")})
    # The stored plan as it now stands (RO 001 at Rp 700 juta, its details still the DIPA's Rp 1 miliar).
    counts = planning.save_plan(allocation=allocation, rows=planning.plan_rows(allocation), actor=pusat)
    assert counts["ubah"] == 0 and counts["hapus"] == 0
    # Details adding up to neither the RO's pagu nor its pagu before the revision are still refused.
    changed = planning.plan_rows(allocation)
    for row in changed:
        if row["code"].startswith("5807.QEA.001.051"):
            row["pagu"] = Decimal("800000000")
    with pytest.raises(planning.PlanRefused):
        planning.save_plan(allocation=allocation, rows=changed, actor=pusat)


def test_a_revision_whose_ro_pagus_do_not_add_up_is_refused_and_nothing_written(planned, admin):
    one = ro(planned, "5807.QEA.001")
    with pytest.raises(ValidationError) as refused:
        _revise(planned, admin, Decimal("1200000000"), {one.pk: Decimal("800000000")})
    assert "Jumlah pagu baru RO Rp 1.300.000.000 harus sama dengan pagu baru Rp 1.200.000.000" in str(
        refused.value.message_dict["new_pagu"]
    )
    assert not BudgetRevision.objects.exists() and not RevisionLine.objects.exists()
    one.refresh_from_db()
    assert one.pagu == BILLION


def test_a_revision_of_a_planned_allocation_needs_its_code_and_must_be_the_latest(planned, admin):
    one = ro(planned, "5807.QEA.001")
    with pytest.raises(ValidationError) as refused:
        _revise(planned, admin, Decimal("1500000000"), {}, revision_code="")
    assert "wajib punya kode revisi" in str(refused.value.message_dict["revision_code"])
    _revise(planned, admin, Decimal("1400000000"), {one.pk: Decimal("900000000")})
    with pytest.raises(ValidationError) as refused:
        _revise(
            planned, admin, Decimal("1500000000"), {one.pk: BILLION}, revised_on=datetime.date(2020, 3, 1)
        )
    assert "harus menjadi revisi terakhir" in str(refused.value.message_dict["revised_on"])
    assert BudgetRevision.objects.count() == 1


def test_only_admins_revise(planned, pusat):
    with pytest.raises(PermissionDenied):
        _revise(planned, pusat, Decimal("1500000000"), {})


def test_deleting_the_latest_revision_gives_the_ros_their_pagu_back(planned, admin):
    one = ro(planned, "5807.QEA.001")
    first = _revise(planned, admin, Decimal("1400000000"), {one.pk: Decimal("900000000")})
    second = _revise(
        planned,
        admin,
        Decimal("1300000000"),
        {one.pk: Decimal("800000000")},
        revised_on=datetime.date(2020, 6, 1),
    )
    with pytest.raises(ValidationError) as refused:
        planning.delete_revision(revision=first, actor=admin)
    assert "hanya revisi terakhir yang dapat dihapus" in refused.value.messages[0]
    planning.delete_revision(revision=second, actor=admin)
    one.refresh_from_db()
    planned.refresh_from_db()
    assert one.pagu == Decimal("900000000") and planned.current_pagu == Decimal("1400000000")
    assert list(RevisionLine.objects.values_list("revision", flat=True)) == [first.pk]


def test_the_budget_page_asks_each_ros_new_pagu_and_saves_the_lines(admin_client, planned):
    one, two = ro(planned, "5807.QEA.001"), ro(planned, "5807.QEA.002")
    page = admin_client.get(reverse("programs:budget", args=[planned.pk])).content.decode()
    assert f'name="ro_{one.pk}"' in page and "Pagu sekarang: Rp 1.000.000.000." in page
    assert 'name="revision_code"' in page
    data = {
        "revised_on": "20/04/2020",
        "new_pagu": "1.300.000.000",
        "reason": "Refocusing",
        "revision_code": "R-01",
        f"ro_{one.pk}": "1.000.000.000",
        f"ro_{two.pk}": "300.000.000",
    }
    bad = admin_client.post(
        reverse("programs:revision_add", args=[planned.pk]), {**data, f"ro_{two.pk}": "1"}
    )
    assert bad.status_code == 200
    assert "Jumlah pagu baru RO" in " ".join(bad.context["revision_form"].errors["new_pagu"])
    assert not BudgetRevision.objects.exists()
    response = admin_client.post(reverse("programs:revision_add", args=[planned.pk]), data)
    assert response.status_code == 302, response.context["revision_form"].errors
    assert RevisionLine.objects.get().planned_output == two
    two.refresh_from_db()
    assert two.pagu == Decimal("300000000")


# --- Pages --------------------------------------------------------------------------------------------


def test_the_plan_page_shows_the_tree_with_heading_sums(operator_client, planned):
    response = operator_client.get(reverse("programs:plan", args=[planned.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "5807.QEA.001" in html and "RO nomor 2" in html
    lines = response.context["lines"]
    assert [line.code for line in lines] == ["019.08.WA", "5807", "5807.QEA", "5807.QEA.001", "5807.QEA.002"]
    # each heading: the sum of the ROs under it (here every RO)
    assert [line.heading_pagu for line in lines[:3]] == [Decimal("1500000000")] * 3
    assert response.context["total"] == Decimal("1500000000")
    assert "plan-actions" not in html  # operators read it
    assert "Rp 1.500.000.000" in html


def test_another_provinces_plan_answers_404(operator_b_client, planned):
    assert operator_b_client.get(reverse("programs:plan", args=[planned.pk])).status_code == 404
    assert operator_b_client.get(reverse("programs:plan_edit", args=[planned.pk])).status_code == 404


def test_an_empty_plan_says_so(pusat_client, allocation):
    html = pusat_client.get(reverse("programs:plan", args=[allocation.pk])).content.decode()
    assert "belum diisi" in html
    assert reverse("programs:plan_import", args=[allocation.pk]) in html


def test_operators_may_not_open_the_edit_page(operator_client, viewer_client, planned):
    for client in (operator_client, viewer_client):
        assert client.get(reverse("programs:plan_edit", args=[planned.pk])).status_code == 403


def _formset_post(rows, fingerprint=None):
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": "0"}
    if fingerprint is not None:
        data["sidik"] = fingerprint
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"form-{i}-{key}"] = "" if value is None else str(value)
    return data


def test_pusat_edits_the_plan_all_or_nothing(pusat_client, allocation, pusat):
    url = reverse("programs:plan_edit", args=[allocation.pk])
    rows = plan_rows(("1.000.000.000", "400.000.000"))
    response = pusat_client.post(url, _formset_post(rows))
    assert response.status_code == 200
    assert "Jumlah pagu RO Rp 1.400.000.000" in response.content.decode()
    assert not PlanItem.objects.exists()
    rows[4]["pagu"] = "500.000.000"
    response = pusat_client.post(url, _formset_post(rows))
    assert response.status_code == 302
    assert ro(allocation, "5807.QEA.002").pagu == Decimal("500000000")
    assert ro(allocation, "5807.QEA.002").history.latest().history_user == pusat
    # the edit page opens with every line
    formset = pusat_client.get(url).context["formset"]
    assert [f.initial["code"] for f in formset.initial_forms] == [r["code"] for r in rows]


def test_a_refusal_of_one_ro_is_shown_beside_its_field(pusat_client, allocation):
    rows = plan_rows(("1.000.000.000", "500.000.000"))
    rows[4]["unit"] = ""
    response = pusat_client.post(reverse("programs:plan_edit", args=[allocation.pk]), _formset_post(rows))
    assert response.context["formset"].forms[4].errors["unit"] == ["RO harus punya satuan."]


def test_the_budget_page_and_the_allocation_list_link_to_the_plan(operator_client, planned):
    url = reverse("programs:plan", args=[planned.pk])
    assert url in operator_client.get(reverse("programs:budget", args=[planned.pk])).content.decode()
    assert url in operator_client.get(reverse("programs:allocation_list")).content.decode()


def test_the_plan_page_runs_the_same_queries_however_large_the_plan(pusat_client, allocation, pusat):
    url = reverse("programs:plan", args=[allocation.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert pusat_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    planning.save_plan(allocation=allocation, rows=plan_rows(), actor=pusat)
    small = count()
    many = [Decimal("100000000")] * 15
    planning.save_plan(allocation=allocation, rows=plan_rows(many), actor=pusat)
    assert PlanItem.objects.filter(level="ro").count() == 15
    assert count() == small


def test_the_plan_page_runs_its_exact_queries(pusat_client, planned, django_assert_num_queries):
    # 1. the session  2. the user  3. the user's authenticator (second factor)  4. the user's groups
    # 5. the allocation, province joined  6. the plan's lines
    # 7. the closed years (may the user still enter this year's plan?)
    # 8. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(8):
        pusat_client.get(reverse("programs:plan", args=[planned.pk]))


# --- The activity's RO -------------------------------------------------------------------------------------


def test_an_activity_in_a_plan_year_needs_an_ro(operator_client, planned):
    response = operator_client.post(reverse("programs:activity_create"), _activity_post(planned))
    assert response.status_code == 200
    assert response.context["form"].errors["planned_output"] == [
        "Pilih RO (rincian output) dari rencana tahun ini."
    ]
    assert not Activity.objects.exists()
    one = ro(planned, "5807.QEA.001")
    response = operator_client.post(
        reverse("programs:activity_create"), _activity_post(planned, planned_output=one.pk)
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.planned_output == one
    html = operator_client.get(activity.get_absolute_url()).content.decode()
    assert "5807.QEA.001" in html and "RO nomor 1" in html


def test_an_activity_without_a_plan_needs_no_ro(operator_client, allocation):
    response = operator_client.post(reverse("programs:activity_create"), _activity_post(allocation))
    assert response.status_code == 302


def test_an_ro_of_another_allocation_is_refused(operator_client, planned, admin):
    other = make_allocation("51", 2021, pagu=Decimal("1500000000"))
    planning.save_plan(allocation=other, rows=plan_rows(), actor=admin)
    foreign = ro(other, "5807.QEA.001")
    response = operator_client.post(
        reverse("programs:activity_create"), _activity_post(planned, planned_output=foreign.pk)
    )
    assert "RO ini dari rencana alokasi lain" in " ".join(response.context["form"].errors["planned_output"])
    assert not Activity.objects.exists()


def test_an_operator_chooses_among_their_own_provinces_ros_only(operator_client, planned, admin):
    elsewhere = make_allocation("63", 2020, pagu=Decimal("1500000000"))
    planning.save_plan(allocation=elsewhere, rows=plan_rows(), actor=admin)
    form = operator_client.get(reverse("programs:activity_create")).context["form"]
    choices = form.fields["planned_output"].queryset
    assert {c.allocation_id for c in choices} == {planned.pk}
    response = operator_client.post(
        reverse("programs:activity_create"),
        _activity_post(planned, planned_output=ro(elsewhere, "5807.QEA.001").pk),
    )
    assert "planned_output" in response.context["form"].errors
    assert not Activity.objects.exists()


def test_the_activity_export_names_each_activitys_ro(operator_client, allocation, pusat):
    make_activity(allocation, title="Bimtek tanpa RO")  # recorded before the year had a plan
    planning.save_plan(allocation=allocation, rows=plan_rows(), actor=pusat)
    make_activity(allocation, title="Bimtek berlabel RO", planned_output=ro(allocation, "5807.QEA.002"))
    response = operator_client.get(reverse("programs:activity_list"), {"tahun": "2020", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    line = next(row for row in text.splitlines() if "Bimtek berlabel RO" in row)
    assert "5807.QEA.002" in line and "RO nomor 2" in line
    assert "5807.QEA" not in next(row for row in text.splitlines() if "Bimtek tanpa RO" in row)


def test_a_stale_edit_page_is_refused_and_the_other_save_stays(pusat_client, planned, admin):
    url = reverse("programs:plan_edit", args=[planned.pk])
    seen = pusat_client.get(url).context["fingerprint"]
    rows = plan_rows((Decimal("1500000000"),))
    planning.save_plan(
        allocation=planned, rows=plan_rows((Decimal("700000000"), Decimal("800000000"))), actor=admin
    )
    response = pusat_client.post(url, _formset_post(rows, seen))
    assert response.status_code == 200
    assert "sudah diubah orang lain" in response.content.decode()
    assert ro(planned, "5807.QEA.002").pagu == Decimal("800000000")
