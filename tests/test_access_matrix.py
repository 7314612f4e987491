"""Who may do what, by every path: a generated matrix of role × model × action with the expected status.

Every object lives in province A (Bali, 51); the activity is Kabupaten Bangli's (51.06). Provincial operator
B (Kalimantan Selatan, 63), B's Kepala Dinas and B's regency operator (Kota Banjarmasin, 63.71) try each of
them by URL and by forged POST; A's Kepala Dinas reads everything of A and changes nothing; a regency
operator of A's Kota Denpasar (51.71) reads A's data but not Bangli's activity, which is as if it did not
exist. Afterwards the data must be exactly as before.
"""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import reverse

from programs import workflow
from programs.models import Achievement, Attachment, PlanItem, ReportPackage, ReviewEvent
from programs.workflow import Flow, Who
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_partner,
    make_realisation,
    make_revision,
    with_staff_status,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "op_a", "op_b", "pusat", "viewer", "admin", "kadis", "kadis_b", "regop_b", "regop_a"]
#: Roles to whom province A's rows do not exist (another province's staff).
OUTSIDE = {"op_b", "kadis_b", "regop_b"}


@pytest.fixture
def world(operator, operator_b, pusat, viewer, admin, kadis, kadis_b, regency_operator):
    return build_world(
        operator,
        operator_b,
        pusat,
        viewer,
        admin,
        kadis=kadis,
        kadis_b=kadis_b,
        regency_operator=regency_operator,
    )


def build_world(
    operator, operator_b, pusat, viewer, admin, *, kadis=None, kadis_b=None, regency_operator=None
):
    """One of everything in province A, and the cast's user of every role (the Kepala Dinas and the regency
    operators made here when the caller's cast has none)."""
    from accounts.roles import Role
    from provinces.models import Regency
    from tests.factories import make_user

    kadis = kadis or make_user("kadis-51", Role.HEAD, "51")
    kadis_b = kadis_b or make_user("kadis-63", Role.HEAD, "63")
    regency_operator = regency_operator or make_user(
        "op-63.71", Role.REGENCY_OPERATOR, "63", regency=Regency.objects.get(code="63.71")
    )
    # A regency operator of province A, of another regency than the activity's.
    regop_a = make_user("op-51.71", Role.REGENCY_OPERATOR, "51", regency=Regency.objects.get(code="51.71"))
    allocation = make_allocation("51", 2020)
    activity = make_activity(allocation, regency=Regency.objects.get(code="51.06"))
    firm = make_firm("51")
    participation = make_participation(activity, firm)
    output = make_output(participation, quantity=100)
    handover = make_handover(output, quantity=10)
    # The matrix walks the Django admin's pages too: everyone has staff status there.
    with_staff_status(operator, operator_b, pusat, viewer, kadis, kadis_b, regency_operator, regop_a)
    users = {
        "op_a": operator,
        "op_b": operator_b,
        "pusat": pusat,
        "viewer": viewer,
        "admin": admin,
        "kadis": kadis,
        "kadis_b": kadis_b,
        "regop_b": regency_operator,
        "regop_a": regop_a,
    }
    attachment = Attachment(
        activity=activity,
        handover=handover,
        kind="bast",
        original_name="bast.pdf",
        uploaded_by=users["op_a"],
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="bast.pdf"),
    )
    attachment.full_clean()
    attachment.save()
    # capaian: a 2021 plan of province A with an RO counted by hand and a month's achievement (2020 stays
    # without a plan, so the activity cases above are unchanged)
    plan_year = make_allocation("51", 2021)
    program = PlanItem.objects.create(allocation=plan_year, level="program", code="019.08.WA", name="Program")
    kegiatan = PlanItem.objects.create(
        allocation=plan_year, parent=program, level="kegiatan", code="5807", name="Kegiatan"
    )
    kro = PlanItem.objects.create(
        allocation=plan_year, parent=kegiatan, level="kro", code="5807.QEA", name="KRO"
    )
    manual_ro = PlanItem.objects.create(
        allocation=plan_year,
        parent=kro,
        level="ro",
        code="5807.QEA.001",
        name="Dokumen kajian",
        target=2,
        unit="dokumen",
        measure="manual",
        pagu=plan_year.current_pagu,
    )
    achievement = Achievement(
        planned_output=manual_ro,
        month=3,
        quantity=1,
        evidence=ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf"),
        evidence_name="bukti.pdf",
    )
    achievement.save()
    return SimpleNamespace(
        allocation=allocation,
        revision=make_revision(allocation, 1_400_000_000),
        realisation=make_realisation(allocation, 6, 100_000_000),
        # June's package, holding that realisation (its workflow: programs/views/packages.py)
        package=ReportPackage.objects.create(allocation=allocation, kind="bulanan", period=6),
        activity=activity,
        firm=firm,
        partner=make_partner("51"),
        participation=participation,
        participant=make_participant(activity),
        output=output,
        handover=handover,
        attachment=attachment,
        plan_year=plan_year,
        manual_ro=manual_ro,
        achievement=achievement,
        users=users,
    )


def snapshot():
    """Every programme row as stored: what a refused request must leave untouched."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("programs").get_models()
        if not model._meta.label.startswith("programs.Historical")
    }


# The new roles' columns: A's Kepala Dinas reads A and enters nothing; B's staff see nothing of A; A's
# regency operator of another regency reads A's province data, never the activity (nor its parts).
NEW_READ = {"kadis": 200, "kadis_b": 404, "regop_b": 404, "regop_a": 200}
NEW_WRITE = {"kadis": 403, "kadis_b": 404, "regop_b": 404, "regop_a": 403}
NOT_THE_ACTIVITY = {"regop_a": 404}

R = {"op_a": 200, "op_b": 404, "pusat": 200, "viewer": 200, "admin": 200, **NEW_READ}  # read
RA = {**R, **NOT_THE_ACTIVITY}  # read the activity or a part of it
W = {
    "op_a": 302,
    "op_b": 404,
    "pusat": 403,
    "viewer": 403,
    "admin": 302,
    **NEW_WRITE,
}  # write (POST that saves)
WA = {**W, **NOT_THE_ACTIVITY}  # write a part of the activity
E = {"op_a": 200, "op_b": 404, "pusat": 403, "viewer": 403, "admin": 200, **NEW_WRITE}  # open an edit form
EA = {**E, **NOT_THE_ACTIVITY}
# open a create form: the Kepala Dinas enters nothing; regency operators create activities, firms, partners
C = {"op_a": 200, "op_b": 200, "pusat": 403, "viewer": 403, "admin": 200}
C |= {"kadis": 403, "kadis_b": 403, "regop_b": 200, "regop_a": 200}
L = {role: 200 for role in ROLES if role != "anonymous"}  # a list (scoped rows)
# the admin is for admins: staff of every other role are sent to the admin's sign-in (programs/admin.py)
A = {role: 302 for role in ROLES if role != "anonymous"} | {"admin": 200}


# the plan (DIPA): entered by ministry staff and admins (access.may_enter_plan)
P = {"op_a": 403, "op_b": 404, "pusat": 200, "viewer": 403, "admin": 200, **NEW_WRITE}  # open a plan page
PW = {"op_a": 403, "op_b": 404, "pusat": 302, "viewer": 403, "admin": 302, **NEW_WRITE}  # save the plan


def _plan_post():
    """The plan's edit form: a program, kegiatan, KRO and one RO holding the current pagu (1.400.000.000)."""
    rows = [
        ("019.08.WA", "Program Pengembangan Industri", "", "", ""),
        ("5807", "Penumbuhan IKM", "", "", ""),
        ("5807.QEA", "Fasilitasi", "", "", ""),
        ("5807.QEA.001", "IKM yang difasilitasi", "200", "ikm", "1.400.000.000"),
    ]
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": "0"}
    for i, (code, name, target, unit, pagu) in enumerate(rows):
        data.update(
            {
                f"form-{i}-code": code,
                f"form-{i}-name": name,
                f"form-{i}-target": target,
                f"form-{i}-unit": unit,
                f"form-{i}-pagu": pagu,
            }
        )
    return data


def _admin(model):
    return lambda w: reverse(f"admin:programs_{model}_change", args=[getattr(w, model).pk])


def _page(name, attr=None, *extra):
    return lambda w: reverse(name, args=[getattr(w, attr).pk, *extra] if attr else list(extra))


def _history(kind, attr):
    return lambda w: reverse("programs:history", args=[kind, getattr(w, attr).pk])


def _post(name, attr):
    return lambda w: reverse(name, args=[getattr(w, attr).pk])


# (model, action, method, url builder, POST data builder, expected by role)
CASES = [
    # activities
    ("activity", "list", "get", _page("programs:activity_list"), None, L),
    ("activity", "detail", "get", _page("programs:activity_detail", "activity"), None, RA),
    ("activity", "create", "get", _page("programs:activity_create"), None, C),
    ("activity", "update", "get", _page("programs:activity_update", "activity"), None, EA),
    ("activity", "submit", "post", _page("programs:activity_transition", "activity", "ajukan"), None, WA),
    # the checklist before submitting (programs/checklist.py): for who may submit it
    (
        "activity",
        "submit-checklist",
        "get",
        _page("programs:activity_transition", "activity", "ajukan"),
        None,
        EA,
    ),
    ("activity", "history", "get", _history("kegiatan", "activity"), None, RA),
    ("activity", "admin", "get", _admin("activity"), None, A),
    # firms
    ("firm", "list", "get", _page("programs:firm_list"), None, L),
    ("firm", "detail", "get", _page("programs:firm_detail", "firm"), None, R),
    ("firm", "create", "get", _page("programs:firm_create"), None, C),
    ("firm", "update", "get", _page("programs:firm_update", "firm"), None, E),
    (
        "firm",
        "update-post",
        "post",
        _page("programs:firm_update", "firm"),
        lambda w: {
            "province": w.firm.province_id,
            "regency": w.firm.regency_id,
            "name": "Diubah lewat POST",
            "nib": w.firm.nib,
            "sector": "sandang",
            "scale": "mikro",
            "version": w.firm.version,
        },
        W,
    ),
    ("firm", "history", "get", _history("ikm", "firm"), None, R),
    ("firm", "admin", "get", _admin("firm"), None, A),
    # partners
    ("partner", "list", "get", _page("programs:partner_list"), None, L),
    ("partner", "create", "get", _page("programs:partner_create"), None, C),
    ("partner", "update", "get", _page("programs:partner_update", "partner"), None, E),
    ("partner", "delete", "post", _post("programs:partner_delete", "partner"), lambda w: {}, W),
    ("partner", "history", "get", _history("mitra", "partner"), None, R),
    ("partner", "admin", "get", _admin("partner"), None, A),
    # money
    ("allocation", "list", "get", _page("programs:allocation_list"), None, L),
    ("allocation", "detail", "get", _page("programs:budget", "allocation"), None, R),
    ("allocation", "history", "get", _history("alokasi", "allocation"), None, R),
    ("allocation", "admin", "get", _admin("allocation"), None, A),
    ("budgetrevision", "history", "get", _history("revisi", "revision"), None, R),
    (
        "budgetrevision",
        "create",
        "post",
        _post("programs:revision_add", "allocation"),
        lambda w: {"revised_on": "01/05/2020", "new_pagu": "1.300.000.000", "reason": "Forged"},
        {"op_a": 403, "op_b": 404, "pusat": 403, "viewer": 403, "admin": 302, **NEW_WRITE},
    ),
    ("realisation", "update", "get", _page("programs:realisation_edit", "realisation"), None, E),
    (
        "realisation",
        "create",
        "post",
        _post("programs:realisation_add", "allocation"),
        lambda w: {"month": 7, "amount_51": "250.000", "amount_52": "750.000"},
        {"op_a": 302, "op_b": 404, "pusat": 403, "viewer": 403, "admin": 302, **NEW_WRITE},
    ),
    ("realisation", "delete", "post", _post("programs:realisation_delete", "realisation"), lambda w: {}, W),
    ("realisation", "history", "get", _history("realisasi", "realisation"), None, R),
    ("realisation", "admin", "get", _admin("realisation"), None, A),
    # the cash plan (RPD) of an allocation: its page and downloads, the entry page, a new version, the admin
    ("cashplan", "detail", "get", _page("programs:cash_plan", "allocation"), None, R),
    (
        "cashplan",
        "json",
        "get",
        lambda w: reverse("programs:cash_plan", args=[w.allocation.pk]) + "?format=json",
        None,
        R,
    ),
    (
        "cashplan",
        "export",
        "get",
        lambda w: reverse("programs:cash_plan", args=[w.allocation.pk]) + "?format=xlsx",
        None,
        R,
    ),
    ("cashplan", "update", "get", _page("programs:cash_plan_edit", "allocation"), None, E),
    (
        "cashplan",
        "create",
        "post",
        _post("programs:cash_plan_edit", "allocation"),
        lambda w: {"m1_52": "1.000.000", "m2_51": "500.000", "note": "Forged"},
        W,
    ),
    ("cashplan", "admin", "get", lambda w: reverse("admin:programs_cashplan_changelist"), None, A),
    (
        "cashplanwindow",
        "admin",
        "get",
        lambda w: reverse("admin:programs_cashplanwindow_changelist"),
        None,
        A,
    ),
    # parts of an activity
    (
        "participation",
        "create",
        "post",
        _post("programs:participation_add", "activity"),
        lambda w: {"firm": make_firm("51").pk},
        WA,
    ),
    (
        "participation",
        "delete",
        "post",
        _post("programs:participation_delete", "participation"),
        lambda w: {},
        WA,
    ),
    ("participation", "history", "get", _history("peserta-ikm", "participation"), None, RA),
    ("participation", "admin", "get", _admin("participation"), None, A),
    (
        "participant",
        "create",
        "post",
        _post("programs:participant_add", "activity"),
        lambda w: {"name": "Peserta Palsu", "sex": "L"},
        WA,
    ),
    ("participant", "update", "get", _page("programs:participant_edit", "participant"), None, EA),
    ("participant", "delete", "post", _post("programs:participant_delete", "participant"), lambda w: {}, WA),
    ("participant", "history", "get", _history("peserta", "participant"), None, RA),
    ("participant", "admin", "get", _admin("participant"), None, A),
    ("output", "update", "get", _page("programs:output_edit", "output"), None, EA),
    (
        "output",
        "create",
        "post",
        _post("programs:output_add", "activity"),
        lambda w: {
            "participation": w.participation.pk,
            "product": "Masker palsu",
            "product_type": "masker",
            "quantity": "5",
            "unit": "pcs",
            "produced_on": "01/07/2020",
        },
        WA,
    ),
    ("output", "history", "get", _history("hasil", "output"), None, RA),
    ("output", "admin", "get", _admin("output"), None, A),
    ("handover", "update", "get", _page("programs:handover_edit", "handover"), None, EA),
    (
        "handover",
        "create",
        "post",
        _post("programs:handover_add", "output"),
        lambda w: {
            "recipient_type": "masyarakat",
            "recipient_name": "Palsu",
            "handed_on": "20/07/2020",
            "quantity": "1",
            "bast_number": "BAST/PALSU",
        },
        WA,
    ),
    # bulk entry on the activity page (issue 18): many firms, outputs or handovers at once
    (
        "participation",
        "bulk-create",
        "post",
        _post("programs:participation_bulk", "activity"),
        lambda w: {"nibs": make_firm("51").nib},
        WA,
    ),
    (
        "output",
        "bulk-create",
        "post",
        _post("programs:output_bulk", "activity"),
        lambda w: {
            f"jumlah_{w.participation.pk}": "5",
            "product": "Masker palsu",
            "product_type": "masker",
            "unit": "pcs",
            "produced_on": "01/07/2020",
        },
        WA,
    ),
    ("handover", "bulk-form", "get", _page("programs:handover_bulk", "activity"), None, EA),
    (
        "handover",
        "bulk-create",
        "post",
        _post("programs:handover_bulk", "activity"),
        lambda w: {
            f"jumlah_{w.output.pk}": "1",
            "recipient_type": "masyarakat",
            "recipient_name": "Palsu",
            "handed_on": "20/07/2020",
            "bast_number": "BAST/PALSU",
        },
        WA,
    ),
    ("handover", "history", "get", _history("penyerahan", "handover"), None, RA),
    ("handover", "admin", "get", _admin("handover"), None, A),
    # exports of lists and reports (same scoping as the pages)
    ("activity", "export", "get", lambda w: reverse("programs:activity_list") + "?format=csv", None, L),
    ("firm", "export", "get", lambda w: reverse("programs:firm_list") + "?format=xlsx", None, L),
    ("partner", "export", "get", lambda w: reverse("programs:partner_list") + "?format=json", None, L),
    ("allocation", "export", "get", lambda w: reverse("programs:allocation_list") + "?format=csv", None, L),
    (
        "allocation",
        "report",
        "get",
        lambda w: reverse("reports:province", args=["51"]) + "?tahun=2020",
        None,
        R,
    ),
    (
        "allocation",
        "report-export",
        "get",
        lambda w: reverse("reports:province", args=["51"]) + "?tahun=2020&format=csv",
        None,
        R,
    ),
    (
        "allocation",
        "quarterly-export",
        "get",
        lambda w: (
            reverse("reports:quarterly", kwargs={"code": "51", "quarter": 3}) + "?tahun=2020&format=xlsx"
        ),
        None,
        R,
    ),
    # the PP 39/2006 forms (issue 17, part A): a province's forms as PDF, the national bundle of Form C
    # (everyone signed in: it holds the provinces they see), a province's status to share — each a whole
    # province's totals, which a regency operator never reads (404)
    (
        "allocation",
        "forms-pdf",
        "get",
        lambda w: (
            reverse("reports:quarterly", kwargs={"code": "51", "quarter": 2}) + "?tahun=2020&format=pdf"
        ),
        None,
        {**R, "regop_a": 404},
    ),
    (
        "allocation",
        "national-forms",
        "get",
        lambda w: reverse("reports:national_forms", kwargs={"quarter": 2}) + "?tahun=2020",
        None,
        {**L, "regop_a": 404, "regop_b": 404},
    ),
    (
        "allocation",
        "national-forms-pdf",
        "get",
        lambda w: reverse("reports:national_forms", kwargs={"quarter": 2}) + "?tahun=2020&format=pdf",
        None,
        {**L, "regop_a": 404, "regop_b": 404},
    ),
    (
        "allocation",
        "status",
        "get",
        lambda w: reverse("reports:province_status", args=["51"]) + "?tahun=2020&bulan=6",
        None,
        {**R, "regop_a": 404},
    ),
    (
        "allocation",
        "status-pdf",
        "get",
        lambda w: reverse("reports:province_status", args=["51"]) + "?tahun=2020&bulan=6&format=pdf",
        None,
        {**R, "regop_a": 404},
    ),
    (
        "allocation",
        "status-png",
        "get",
        lambda w: reverse("reports:province_status", args=["51"]) + "?tahun=2020&bulan=6&format=png",
        None,
        {**R, "regop_a": 404},
    ),
    # issue 17, part C: the home page (the national dashboard for those who see every province, everyone
    # else's own home) and the recap as of a month answer every role, with nothing out of their sight
    ("allocation", "dashboard", "get", lambda w: reverse("home") + "?tahun=2020&bulan=6", None, L),
    (
        "allocation",
        "recap-as-of",
        "get",
        lambda w: reverse("reports:national") + "?tahun=2020&bulan=6",
        None,
        L,
    ),
    (
        "allocation",
        "recap-as-of-export",
        "get",
        lambda w: reverse("reports:national") + "?tahun=2020&bulan=6&format=xlsx",
        None,
        L,
    ),
    # evidence
    ("attachment", "download", "get", _page("programs:attachment_download", "attachment"), None, RA),
    ("attachment", "delete", "post", _post("programs:attachment_delete", "attachment"), lambda w: {}, WA),
    ("attachment", "history", "get", _history("lampiran", "attachment"), None, RA),
    # capaian (issue 15): the report, its export, and the manual achievement with its evidence
    (
        "planitem",
        "capaian",
        "get",
        lambda w: reverse("reports:capaian", args=["51"]) + "?tahun=2021&bulan=6",
        None,
        R,
    ),
    (
        "planitem",
        "capaian-export",
        "get",
        lambda w: reverse("reports:capaian", args=["51"]) + "?tahun=2021&format=json",
        None,
        R,
    ),
    ("achievement", "list", "get", _page("programs:achievements", "plan_year"), None, R),
    ("achievement", "download", "get", _page("programs:achievement_download", "achievement"), None, R),
    ("achievement", "history", "get", _history("capaian", "achievement"), None, R),
    ("planitem", "history", "get", _history("rencana", "manual_ro"), None, R),
    ("achievement", "update", "get", _page("programs:achievement_edit", "achievement"), None, E),
    (
        "achievement",
        "update-post",
        "post",
        _page("programs:achievement_edit", "achievement"),
        lambda w: {"quantity": "2", "note": "Diubah lewat POST", "version": w.achievement.version},
        W,
    ),
    (
        "achievement",
        "create",
        "post",
        _post("programs:achievement_add", "plan_year"),
        lambda w: {
            "planned_output": w.manual_ro.pk,
            "month": 4,
            "quantity": "1",
            "evidence": ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf"),
        },
        W,
    ),
    ("achievement", "delete", "post", _post("programs:achievement_delete", "achievement"), lambda w: {}, W),
    # a month's realisation and achievement are handed over in the month's package (issue 16)
    ("reportpackage", "detail", "get", _page("programs:package_detail", "package"), None, R),
    ("reportpackage", "history", "get", _history("paket", "package"), None, R),
    (
        "reportpackage",
        "prepare",
        "post",
        _page("programs:package_transition", "package", "siapkan"),
        None,
        None,
    ),
    # the IKPA early warning (issue 17): the ranking answers every role (holding the provinces it may read;
    # nothing for a regency operator); a province's drill-down as a province report, but never for a
    # regency operator, who does not read a whole province's totals
    ("allocation", "ikpa", "get", lambda w: reverse("reports:ikpa") + "?tahun=2020&bulan=6", None, L),
    (
        "allocation",
        "ikpa-export",
        "get",
        lambda w: reverse("reports:ikpa") + "?tahun=2020&format=json",
        None,
        L,
    ),
    (
        "allocation",
        "ikpa-province",
        "get",
        lambda w: reverse("reports:ikpa_province", args=["51"]) + "?tahun=2020&bulan=6",
        None,
        {**R, "regop_a": 404},
    ),
    (
        "allocation",
        "ikpa-province-export",
        "get",
        lambda w: reverse("reports:ikpa_province", args=["51"]) + "?tahun=2020&format=xlsx",
        None,
        {**R, "regop_a": 404},
    ),
    # the plan (DIPA): every role reads the plans it sees; ministry staff and admins enter them
    ("planitem", "plan", "get", _page("programs:plan", "allocation"), None, R),
    ("planitem", "edit", "get", _page("programs:plan_edit", "allocation"), None, P),
    ("planitem", "edit-post", "post", _page("programs:plan_edit", "allocation"), lambda w: _plan_post(), PW),
    ("planitem", "import", "get", _page("programs:plan_import", "allocation"), None, P),
    ("planitem", "import-template", "get", _page("programs:plan_import_template", "allocation"), None, P),
]

# Actions whose outcome for the province's own operator is a redirect back with a message
for i, case in enumerate(CASES):
    model, action, method, url, data, expected = case
    if expected is None:
        CASES[i] = (model, action, method, url, data or (lambda w: {}), W)


MATRIX = [pytest.param(role, *case, id=f"{case[0]}-{case[1]}-{role}") for case in CASES for role in ROLES]


@pytest.mark.parametrize(("role", "model", "action", "method", "url", "data", "expected"), MATRIX)
def test_access_matrix(client, world, role, model, action, method, url, data, expected):
    target = url(world)
    payload = data(world) if data else None
    if role != "anonymous":
        client.force_login(world.users[role])
    before = snapshot()
    response = client.post(target, payload) if method == "post" else client.get(target)
    if role == "anonymous":
        assert response.status_code == 302
        assert "/masuk/" in response.url or "/admin/login/" in response.url
        assert snapshot() == before
        return
    assert response.status_code == expected[role], (response.status_code, target)
    if response.status_code in (403, 404):
        assert snapshot() == before, "a refused request changed data"
    if role in OUTSIDE | {"regop_a"} and response.status_code == 200:
        # lists, reports and their exports answer, but never with rows out of the role's sight: province A's
        # for B's staff, Bangli's activity for Denpasar's regency operator
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "format=xlsx" in target:
            body = _xlsx_text(body)
        if "format=pdf" in target:
            body = _pdf_text(body)
        if "format=png" in target:  # an image of the page whose PDF the row before reads
            body = ""
        text = body.decode() if isinstance(body, bytes) else body
        assert world.activity.title not in text, target
        if role in OUTSIDE:
            assert world.firm.name not in text and world.partner.name not in text, target


def _pdf_text(content):
    import io

    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _xlsx_text(content):
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)


def test_the_matrix_covers_every_programme_model_with_pages():
    covered = {case[0] for case in CASES}
    assert {
        "activity",
        "firm",
        "partner",
        "allocation",
        "budgetrevision",
        "realisation",
        "participation",
        "participant",
        "output",
        "handover",
        "attachment",
        "achievement",
        "planitem",
    } <= covered


def test_operator_b_cannot_reach_province_a_by_any_forged_post(client, world):
    """Forged POSTs naming province A's allocation, regency, firm or activity from B's own forms."""
    client.force_login(world.users["op_b"])
    before = snapshot()
    own = make_activity(make_allocation("63", 2020))
    before = snapshot()
    forged = [
        (reverse("programs:activity_create"), {"allocation": world.allocation.pk, "title": "x"}),
        (reverse("programs:participation_add", args=[own.pk]), {"firm": world.firm.pk}),
        (
            reverse("programs:firm_create"),
            {
                "province": world.firm.province_id,
                "regency": world.firm.regency_id,
                "name": "x",
                "sector": "sandang",
            },
        ),
        (
            reverse("programs:activity_update", args=[own.pk]),
            {"allocation": world.allocation.pk, "regency": world.firm.regency_id, "title": "x"},
        ),
    ]
    for url, data in forged:
        response = client.post(url, data)
        assert response.status_code in (200, 302, 403, 404), url
    assert snapshot() == before


# --- The workflow, driven by its table (programs/workflow.py) -------------------------------------------
# Every action of the table × each record it applies to × each role. What each capability of the table means
# is said here, independently of programs/access.py: the test of the access module's answers.
MAY_TAKE = {Who.PROVINCE: {"op_a", "admin"}, Who.REVIEWER: {"pusat", "admin"}, Who.HEAD: {"kadis", "admin"}}
TRANSITION_URLS = {
    "activity": "programs:activity_transition",
    "package": "programs:package_transition",
}
FLOWS = {"activity": Flow.ACTIVITY, "package": Flow.PACKAGE}


def applies(step, target):
    """Whether the table's action applies to the world's record `target` (its flow)."""
    return FLOWS[target] in step.applies_to


SIGNED_IN = [role for role in ROLES if role != "anonymous"]


def _set_state(obj, state):
    type(obj)._base_manager.filter(pk=obj.pk).update(review_status=state)


def check_transition(client, world, role, step, target):
    """One cell: `role` takes `step` on the world's `target` (put in the step's first from-state); then, for
    a role that may take it, the same action from every state outside its from-states."""
    obj = getattr(world, target)
    client.force_login(world.users[role])
    url = reverse(TRANSITION_URLS[target], args=[obj.pk, step.slug])
    data = {"note": "Catatan uji"} if step.note_required else {}
    _set_state(obj, step.from_states[0])
    before = snapshot()
    response = client.post(url, data)
    if role in OUTSIDE or (
        role == "regop_a" and target == "activity"
    ):  # out of sight: as if it did not exist
        assert response.status_code == 404
        assert snapshot() == before
        return
    if role not in MAY_TAKE[step.who]:
        assert response.status_code == 403, (role, step.action, target)
        assert snapshot() == before
        return
    assert response.status_code == 302, (role, step.action, target)
    assert type(obj)._base_manager.get(pk=obj.pk).review_status == step.to_state
    event = ReviewEvent.objects.filter(object_id=obj.pk, action=step.action).first()
    expected = (world.users[role], step.from_states[0], step.to_state)
    assert (event.actor, event.from_status, event.to_status) == expected
    for state in workflow.STATES:
        if state in step.from_states:
            continue
        _set_state(obj, state)
        before = snapshot()
        response = client.post(url, data)
        assert response.status_code == 302  # back to the page, with the message why not
        assert snapshot() == before, f"{step.action} was taken from {state}"


WORKFLOW_MATRIX = [
    pytest.param(role, action, target, id=f"{target}-{workflow.TRANSITIONS[action].slug}-{role}")
    for action in workflow.TRANSITIONS
    for target in TRANSITION_URLS
    if applies(workflow.TRANSITIONS[action], target)
    for role in SIGNED_IN
]


@pytest.mark.parametrize(("role", "action", "target"), WORKFLOW_MATRIX)
def test_workflow_matrix(client, world, role, action, target):
    check_transition(client, world, role, workflow.TRANSITIONS[action], target)
