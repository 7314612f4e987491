"""Manual achievement (capaian) of an RO counted by hand: the province's operator enters a month's volume
with an evidence file (checked by content), submits it; the ministry verifies or returns it; only then it
counts. The evidence is downloaded through the scope.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs.models import Achievement, FiscalYear, PlanItem, ReportPackage, ReviewEvent
from programs.reports import capaian_report
from tests.factories import make_allocation

pytestmark = pytest.mark.django_db

YEAR = 2020
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def plan():
    """An allocation of Bali with one manual RO and one counted from the activities."""
    allocation = make_allocation("51", YEAR)
    program = PlanItem.objects.create(
        allocation=allocation, level="program", code="019.08.WA", name="Program"
    )
    kegiatan = PlanItem.objects.create(
        allocation=allocation, parent=program, level="kegiatan", code="5807", name="Kegiatan"
    )
    kro = PlanItem.objects.create(
        allocation=allocation, parent=kegiatan, level="kro", code="5807.QEA", name="KRO"
    )

    def ro(suffix, measure, pagu):
        return PlanItem.objects.create(
            allocation=allocation,
            parent=kro,
            level="ro",
            code=f"5807.QEA.{suffix}",
            name=f"RO {measure}",
            target=4,
            unit="dokumen" if measure == "manual" else "ikm",
            measure=measure,
            pagu=pagu,
        )

    manual = ro("001", "manual", allocation.current_pagu - 500_000_000)
    counted = ro("002", "ikm", 500_000_000)
    return allocation, manual, counted


def _post(client, allocation, ro, month=3, quantity="2", upload=None, **extra):
    data = {"planned_output": ro.pk, "month": month, "quantity": quantity, "note": "Laporan kajian", **extra}
    if upload is not False:
        data["evidence"] = upload or SimpleUploadedFile("Laporan Maret.pdf", PDF, "application/pdf")
    return client.post(reverse("programs:achievement_add", args=[allocation.pk]), data)


def _achieved(user, allocation, month=12):
    row = next(
        r for r in capaian_report(user, allocation.province, YEAR, month).rows if r["measure"] == "manual"
    )
    return row["achieved"]


def test_operator_enters_a_month_with_evidence(plan, operator, operator_client):
    allocation, manual, _counted = plan
    page = operator_client.get(reverse("programs:achievements", args=[allocation.pk]))
    assert page.status_code == 200 and 'id="achievement-form"' in page.content.decode()
    response = _post(operator_client, allocation, manual, quantity="1.000")
    assert response.status_code == 302
    record = Achievement.objects.get()
    assert (record.planned_output, record.month, record.quantity) == (manual, 3, 1000)
    assert record.evidence_name == "Laporan Maret.pdf"
    assert record.evidence.name.startswith(f"evidence/51/{YEAR}/") and record.evidence.name.endswith(".pdf")
    assert record.review_status == "draf"
    assert record.history.first().history_user == operator
    assert _achieved(operator, allocation) == 0  # a draft counts nowhere


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (False, "Unggah bukti dukung capaian bulan ini"),
        (SimpleUploadedFile("bukti.pdf", b"just text, renamed", "application/pdf"), "Isi berkas bukan PDF"),
        (SimpleUploadedFile("kosong.pdf", b"", "application/pdf"), "kosong"),
    ],
)
def test_evidence_is_required_and_checked_by_content(plan, operator_client, upload, message):
    allocation, manual, _counted = plan
    response = _post(operator_client, allocation, manual, upload=upload)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Achievement.objects.exists()


def test_bad_quantity_and_duplicate_month_are_refused_beside_the_field(plan, operator_client):
    allocation, manual, _counted = plan
    response = _post(operator_client, allocation, manual, quantity="2,5")
    assert response.status_code == 400 and "Tulis bilangan bulat" in response.content.decode()
    assert _post(operator_client, allocation, manual).status_code == 302
    response = _post(operator_client, allocation, manual)
    assert response.status_code == 400
    assert "sudah dicatat" in response.content.decode()
    assert Achievement.objects.count() == 1


def test_only_manual_ros_take_an_achievement(plan, operator_client):
    allocation, _manual, counted = plan
    response = _post(operator_client, allocation, counted)
    assert response.status_code == 400
    assert "Pilih RO alokasi ini" in response.content.decode()
    assert not Achievement.objects.exists()


def test_other_roles_cannot_enter(plan, operator_b_client, pusat_client, viewer_client):
    allocation, manual, _counted = plan
    assert _post(operator_b_client, allocation, manual).status_code == 404
    assert _post(pusat_client, allocation, manual).status_code == 403
    assert _post(viewer_client, allocation, manual).status_code == 403
    assert not Achievement.objects.exists()


def test_a_closed_year_takes_no_achievement(plan, operator_client, pusat):
    allocation, manual, _counted = plan
    FiscalYear.objects.create(
        year=YEAR, closed_at=datetime.datetime(2021, 3, 1, tzinfo=datetime.UTC), closed_by=pusat
    )
    assert _post(operator_client, allocation, manual).status_code == 403
    assert not Achievement.objects.exists()


def test_workflow_submit_verify_counts_return_needs_a_note(
    plan, operator, operator_client, kadis, kadis_client, pusat, pusat_client
):
    """A month's achievement goes round in the month's package (issue 16): the operator prepares it, the
    Kepala Dinas approves it, the ministry returns or verifies it; the achievement follows."""
    allocation, manual, _counted = plan
    _post(operator_client, allocation, manual, month=3, quantity="2")
    record = Achievement.objects.get()
    page = operator_client.get(reverse("programs:achievements", args=[allocation.pk])).content.decode()
    # Saving the month's achievement started the month's package: its row links to it.
    package = ReportPackage.objects.get(allocation=allocation, kind="bulanan", period=3)
    detail = reverse("programs:package_detail", args=[package.pk])
    assert detail in page

    def act(client, slug, **data):
        return client.post(reverse("programs:package_transition", args=[package.pk, slug]), data)

    assert act(operator_client, "siapkan").status_code == 302
    assert act(kadis_client, "setujui").status_code == 302
    record.refresh_from_db()
    assert record.review_status == "diajukan"
    # locked for the province once handed over
    assert operator_client.get(reverse("programs:achievement_edit", args=[record.pk])).status_code == 403
    # in the ministry's queue, the package with its evidence
    queue = pusat_client.get(reverse("programs:review_queue")).content.decode()
    assert f'name="paket" value="{package.pk}"' in queue
    page = pusat_client.get(detail).content.decode()
    assert reverse("programs:achievement_download", args=[record.pk]) in page
    assert _achieved(pusat, allocation) == 0
    # a return needs a note
    assert act(pusat_client, "kembalikan").status_code == 400
    record.refresh_from_db()
    assert record.review_status == "diajukan"
    act(pusat_client, "kembalikan", note="Bukti kurang jelas")
    record.refresh_from_db()
    assert (record.review_status, record.review_note) == ("dikembalikan", "Bukti kurang jelas")
    # corrected: a new evidence file replaces the old
    edit = reverse("programs:achievement_edit", args=[record.pk])
    png = SimpleUploadedFile("foto.png", PNG, "image/png")
    response = operator_client.post(
        edit, {"quantity": "3", "note": "", "evidence": png, "version": record.version}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.quantity, record.evidence_name) == (3, "foto.png") and record.evidence.name.endswith(
        ".png"
    )
    act(operator_client, "siapkan")
    act(kadis_client, "setujui")
    act(pusat_client, "verifikasi")
    record.refresh_from_db()
    assert record.review_status == "terverifikasi"
    assert _achieved(pusat, allocation) == 3
    assert _achieved(pusat, allocation, month=2) == 0  # as of February, March's does not count yet
    actions = list(
        ReviewEvent.objects.filter(object_id=package.pk).order_by("at", "pk").values_list("action", "actor")
    )
    assert actions == [
        ("siapkan", operator.pk),
        ("setujui", kadis.pk),
        ("kembalikan", pusat.pk),
        ("siapkan", operator.pk),
        ("setujui", kadis.pk),
        ("verifikasi", pusat.pk),
    ]
    # the operator may not reopen
    assert act(operator_client, "buka", note="x").status_code == 403


def test_edit_keeps_the_evidence_when_none_is_uploaded(plan, operator_client):
    allocation, manual, _counted = plan
    _post(operator_client, allocation, manual)
    record = Achievement.objects.get()
    stored = record.evidence.name
    edit = reverse("programs:achievement_edit", args=[record.pk])
    page = operator_client.get(edit).content.decode()
    assert "Laporan Maret.pdf" in page and stored not in page  # never a link around the scoped download
    response = operator_client.post(edit, {"quantity": "5", "note": "", "version": record.version})
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.quantity, record.evidence.name) == (5, stored)


def test_delete_while_a_draft(plan, operator_client, operator_b_client, django_capture_on_commit_callbacks):
    allocation, manual, _counted = plan
    _post(operator_client, allocation, manual)
    record = Achievement.objects.get()
    storage, name = record.evidence.storage, record.evidence.name
    url = reverse("programs:achievement_delete", args=[record.pk])
    assert operator_b_client.post(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert operator_client.post(url, {"version": record.version}).status_code == 302
    assert not Achievement.objects.exists()
    assert not storage.exists(name)  # the file went with its record


def test_download_goes_through_the_scope(
    plan, operator_client, operator_b_client, pusat_client, viewer_client
):
    allocation, manual, _counted = plan
    _post(operator_client, allocation, manual)
    record = Achievement.objects.get()
    url = reverse("programs:achievement_download", args=[record.pk])
    for client in (operator_client, pusat_client, viewer_client):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF
        assert "Laporan Maret.pdf" in response["Content-Disposition"]
    assert operator_b_client.get(url).status_code == 404
    assert operator_b_client.get(reverse("programs:achievements", args=[allocation.pk])).status_code == 404


def test_queue_queries_do_not_grow_with_achievements(plan, operator, pusat_client, django_assert_num_queries):
    """The queue lists the months' packages (the achievements are inside them): as many queries for 12."""
    allocation, manual, _counted = plan

    def submitted(month):
        ReportPackage.objects.create(
            allocation=allocation, kind="bulanan", period=month, review_status="diajukan"
        )
        record = Achievement(
            planned_output=manual,
            month=month,
            quantity=1,
            evidence=SimpleUploadedFile("b.pdf", PDF),
            review_status="diajukan",
        )
        record.save()

    submitted(1)
    url = reverse("programs:review_queue")
    pusat_client.get(url)  # fills the content-type cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert pusat_client.get(url).status_code == 200
    for month in range(2, 13):
        submitted(month)
    with django_assert_num_queries(len(first)):
        response = pusat_client.get(url)
    assert response.content.decode().count('name="paket"') == 12
    assert len(response.context["packages"]) == 12


def test_the_page_queries_do_not_grow_with_months(plan, operator_client, django_assert_num_queries):
    allocation, manual, _counted = plan
    url = reverse("programs:achievements", args=[allocation.pk])
    _post(operator_client, allocation, manual, month=1)
    operator_client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert operator_client.get(url).status_code == 200
    count = len(first)  # now: every request of the test client empties the query log
    for month in range(2, 13):
        _post(operator_client, allocation, manual, month=month)
    with django_assert_num_queries(count):
        response = operator_client.get(url)
    assert response.content.decode().count("/ubah/") == 12
