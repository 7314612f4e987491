"""Closing a month or a quarter for entry (issue 16): the ministry closes it, one province may be given an
exception until a date, and every write path of the period's records asks `programs.access`."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from programs import access, closing, workflow
from programs.models import (
    PackageKind,
    PeriodClosure,
    PeriodException,
    QuarterlyNote,
    Realisation,
    ReportPackage,
)
from provinces.models import Province
from tests.factories import make_allocation, make_realisation

pytestmark = pytest.mark.django_db

JUNE_CLOSED = "Bulan Juni 2020 sudah ditutup untuk pengisian oleh kementerian."


@pytest.fixture
def allocation_a(db):
    return make_allocation("51", 2020)


@pytest.fixture
def allocation_b(db):
    return make_allocation("63", 2020)


def _today():
    return timezone.localdate()


def _close_june(pusat):
    return closing.close_period(
        year=2020, kind=PackageKind.MONTHLY, period=6, actor=pusat, note="Rekonsiliasi"
    )


def _edit(client, realisation, amount="2.000.000"):
    url = reverse("programs:realisation_edit", args=[realisation.pk])
    return client.post(url, {"amount_52": amount, "version": realisation.version})


def _add(client, allocation, month, amount="1.000.000"):
    return client.post(
        reverse("programs:realisation_add", args=[allocation.pk]), {"month": month, "amount_52": amount}
    )


# --- The lock -------------------------------------------------------------------------------------------


def test_closing_june_blocks_the_operators_edit_and_add_of_june_not_july(
    operator_client, operator, pusat, allocation_a
):
    june = make_realisation(allocation_a, 6, 1_000_000)
    july = make_realisation(allocation_a, 7, 1_000_000)
    _close_june(pusat)

    # June's realisation: neither its edit page nor a forged POST, nor its delete
    assert operator_client.get(reverse("programs:realisation_edit", args=[june.pk])).status_code == 403
    assert _edit(operator_client, june).status_code == 403
    assert operator_client.post(reverse("programs:realisation_delete", args=[june.pk])).status_code == 403
    june.refresh_from_db()
    assert june.amount == 1_000_000
    assert not Realisation.objects.editable_by(operator).filter(pk=june.pk).exists()

    # July stays open
    assert _edit(operator_client, july).status_code == 302
    july.refresh_from_db()
    assert july.amount == 2_000_000


def test_a_new_realisation_of_a_closed_month_is_refused_beside_the_month(
    operator_client, pusat, allocation_a
):
    _close_june(pusat)
    response = _add(operator_client, allocation_a, 6)
    assert response.status_code == 200
    assert JUNE_CLOSED in response.content.decode()
    assert response.context["form"].errors["month"] == [JUNE_CLOSED]
    assert not Realisation.objects.filter(allocation=allocation_a).exists()
    # July is taken
    assert _add(operator_client, allocation_a, 7).status_code == 302
    assert list(Realisation.objects.values_list("month", flat=True)) == [7]


def test_moving_an_open_months_realisation_into_a_closed_month_is_refused(operator, pusat, allocation_a):
    from programs import cashplan

    july = make_realisation(allocation_a, 7, 1_000_000)
    _close_june(pusat)
    july.month = 6
    with pytest.raises(ValidationError) as refused:
        cashplan.save_realisation(
            allocation=allocation_a, month=6, lines={(None, "52"): 5}, actor=operator, realisation=july
        )
    assert refused.value.message_dict == {"month": [JUNE_CLOSED]}
    assert Realisation.objects.get(pk=july.pk).month == 7


def test_a_closed_month_blocks_handing_over_its_package_not_the_heads_approval(
    operator, kadis, pusat, allocation_a
):
    june = ReportPackage.objects.create(allocation=allocation_a, kind=PackageKind.MONTHLY, period=6)
    july = ReportPackage.objects.create(allocation=allocation_a, kind=PackageKind.MONTHLY, period=7)
    prepare = workflow.TRANSITIONS[workflow.ReviewAction.PREPARE]
    approve = workflow.TRANSITIONS[workflow.ReviewAction.APPROVE]
    assert prepare in workflow.available_actions(june, operator)
    _close_june(pusat)
    assert prepare not in workflow.available_actions(june, operator)
    assert not access.may_take(operator, prepare, june)
    assert prepare in workflow.available_actions(july, operator)
    assert not ReportPackage.objects.editable_by(operator).filter(pk=june.pk).exists()
    assert ReportPackage.objects.editable_by(operator).filter(pk=july.pk).exists()
    # what was handed over before the closing stays for the Kepala Dinas (and then the ministry)
    ReportPackage.objects.filter(pk=june.pk).update(review_status=workflow.ReviewStatus.PREPARED)
    june.refresh_from_db()
    assert approve in workflow.available_actions(june, kadis)
    # a precomputed ClosedPeriods gives the same answers without a query per package
    periods = access.ClosedPeriods(2020)
    assert access.may_take(operator, prepare, july, periods=periods)
    assert not access.period_open_for(operator, allocation_a.province_id, 2020, "bulanan", 6, periods=periods)


def test_a_closed_quarter_locks_its_note_and_refuses_a_new_one(
    operator_client, operator, pusat, allocation_a
):
    q1 = QuarterlyNote.objects.create(allocation=allocation_a, quarter=1, problems="Lama")
    closing.close_period(year=2020, kind=PackageKind.QUARTERLY, period=1, actor=pusat)
    closing.close_period(year=2020, kind=PackageKind.QUARTERLY, period=2, actor=pusat)
    assert not QuarterlyNote.objects.editable_by(operator).filter(pk=q1.pk).exists()
    for quarter, numeral in ((1, "I"), (2, "II")):
        url = reverse("reports:quarterly_note", kwargs={"code": "51", "quarter": quarter}) + "?tahun=2020"
        response = operator_client.post(url, {"problems": "Baru", "follow_up": "", "physical_progress": ""})
        assert response.status_code == 403
        assert f"Triwulan {numeral} 2020 sudah ditutup" in response.content.decode()
    q1.refresh_from_db()
    assert q1.problems == "Lama"
    assert not QuarterlyNote.objects.filter(quarter=2).exists()
    # the third quarter stays open
    url = reverse("reports:quarterly_note", kwargs={"code": "51", "quarter": 3}) + "?tahun=2020"
    response = operator_client.post(url, {"problems": "Baru", "follow_up": "", "physical_progress": ""})
    assert response.status_code == 302
    assert QuarterlyNote.objects.get(quarter=3).problems == "Baru"


def test_an_exception_until_tomorrow_lets_province_a_not_b_edit(
    operator_client, operator_b_client, operator, pusat, allocation_a, allocation_b
):
    june_a = make_realisation(allocation_a, 6, 1_000_000)
    june_b = make_realisation(allocation_b, 6, 1_000_000)
    closure = _close_june(pusat)
    closing.grant_exception(
        closure=closure,
        province=Province.objects.get(code="51"),
        until=_today() + datetime.timedelta(days=1),
        actor=pusat,
        note="Perbaikan data",
    )
    assert _edit(operator_client, june_a).status_code == 302
    assert _edit(operator_b_client, june_b).status_code == 403
    assert Realisation.objects.get(pk=june_a.pk).amount == 2_000_000
    assert Realisation.objects.get(pk=june_b.pk).amount == 1_000_000
    # and a new June record of A, not of B
    Realisation.objects.filter(pk=june_a.pk).delete()
    assert _add(operator_client, allocation_a, 6).status_code == 302
    Realisation.objects.filter(pk=june_b.pk).delete()
    assert JUNE_CLOSED in _add(operator_b_client, allocation_b, 6).content.decode()


def test_an_exception_holds_through_its_last_day_and_expires_after(operator, pusat, allocation_a):
    june = make_realisation(allocation_a, 6, 1_000_000)
    closure = _close_june(pusat)
    last_day = _today()
    closing.grant_exception(
        closure=closure, province=Province.objects.get(code="51"), until=last_day, actor=pusat
    )
    province = allocation_a.province_id
    assert access.period_open_for(operator, province, 2020, "bulanan", 6, today=last_day)
    assert Realisation.objects.filter(pk=june.pk).unlocked(today=last_day).exists()
    day_after = last_day + datetime.timedelta(days=1)
    assert not access.period_open_for(operator, province, 2020, "bulanan", 6, today=day_after)
    assert not Realisation.objects.filter(pk=june.pk).unlocked(today=day_after).exists()
    # an exception stored with a past date (expired yesterday): closed today
    PeriodException.objects.filter(closure=closure).update(until=last_day - datetime.timedelta(days=1))
    assert not Realisation.objects.editable_by(operator).filter(pk=june.pk).exists()


def test_one_periods_reading_answers_as_the_years_in_one_query(
    pusat, allocation_a, allocation_b, django_assert_num_queries
):
    """ClosedPeriods.of_period (a transition's check of its package) says what ClosedPeriods of the whole
    year says of that period, for a province excepted, one not, and after the exception's last day."""
    closure = _close_june(pusat)
    today = _today()
    closing.grant_exception(
        closure=closure, province=Province.objects.get(code="51"), until=today, actor=pusat
    )
    a, b = allocation_a.province_id, allocation_b.province_id
    for day in (today, today + datetime.timedelta(days=1)):
        year = access.ClosedPeriods(2020, day)
        for kind, period in (("bulanan", 6), ("bulanan", 7), ("triwulanan", 2)):
            # one query: the period's closure joined to the exceptions in force that day
            with django_assert_num_queries(1):
                one = access.ClosedPeriods.of_period(2020, kind, period, day)
            for province in (a, b):
                assert one.is_open(province, 2020, kind, period) == year.is_open(province, 2020, kind, period)
    assert access.ClosedPeriods.of_period(2020, "bulanan", 6, today).is_open(a, 2020, "bulanan", 6)
    assert not access.ClosedPeriods.of_period(2020, "bulanan", 6, today).is_open(b, 2020, "bulanan", 6)
    later = today + datetime.timedelta(days=1)
    assert not access.ClosedPeriods.of_period(2020, "bulanan", 6, later).is_open(a, 2020, "bulanan", 6)


def test_reopening_opens_again_and_revoking_closes_again(operator_client, operator, pusat, allocation_a):
    june = make_realisation(allocation_a, 6, 1_000_000)
    closure = _close_june(pusat)
    exception = closing.grant_exception(
        closure=closure, province=Province.objects.get(code="51"), until=_today(), actor=pusat
    )
    assert Realisation.objects.editable_by(operator).filter(pk=june.pk).exists()
    closing.revoke_exception(exception=exception, actor=pusat)
    assert not Realisation.objects.editable_by(operator).filter(pk=june.pk).exists()
    closing.reopen_period(year=2020, kind="bulanan", period=6, actor=pusat)
    assert not PeriodClosure.objects.exists()
    assert _edit(operator_client, june).status_code == 302


def test_admins_enter_closed_periods_to_repair(admin_client, admin, pusat, allocation_a):
    june = make_realisation(allocation_a, 6, 1_000_000)
    _close_june(pusat)
    assert access.period_open_for(admin, allocation_a.province_id, 2020, "bulanan", 6)
    assert _edit(admin_client, june).status_code == 302


def test_the_closing_services_are_the_ministrys_and_logged(operator, pusat, caplog):
    with pytest.raises(PermissionDenied):
        closing.close_period(year=2020, kind="bulanan", period=6, actor=operator)
    with caplog.at_level("INFO", logger="ikm_dekon.workflow"):
        closure = _close_june(pusat)
    assert "period closed" in caplog.text
    record = closure.history.get()
    assert (record.history_type, record.history_user) == ("+", pusat)
    with pytest.raises(ValidationError, match="sudah ditutup"):
        _close_june(pusat)
    with pytest.raises(ValidationError):
        closing.close_period(year=2020, kind="bulanan", period=13, actor=pusat)
    with pytest.raises(PermissionDenied):
        closing.grant_exception(
            closure=closure, province=Province.objects.get(code="51"), until=_today(), actor=operator
        )
    exception = closing.grant_exception(
        closure=closure, province=Province.objects.get(code="51"), until=_today(), actor=pusat
    )
    assert exception.history.get().history_user == pusat
    # granting again changes the date of the one exception
    later = _today() + datetime.timedelta(days=3)
    closing.grant_exception(
        closure=closure, province=Province.objects.get(code="51"), until=later, actor=pusat
    )
    assert list(PeriodException.objects.values_list("until", flat=True)) == [later]
    closing.reopen_period(year=2020, kind="bulanan", period=6, actor=pusat)
    deleted = PeriodClosure.history.filter(history_type="-").get()
    assert deleted.history_user == pusat
    assert PeriodException.history.filter(history_type="-").get().history_user == pusat


# --- The ministry's page --------------------------------------------------------------------------------


def test_only_ministry_staff_open_the_periods_page(
    client, operator, kadis, regency_operator, viewer, pusat, admin
):
    url = reverse("programs:periods") + "?tahun=2020"
    for user in (operator, kadis, regency_operator, viewer):
        client.force_login(user)
        assert client.get(url).status_code == 403
        post = client.post(
            reverse("programs:period_close"), {"tahun": 2020, "jenis": "bulanan", "periode": 6}
        )
        assert post.status_code == 403
    assert not PeriodClosure.objects.exists()
    for user in (pusat, admin):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_the_ministry_closes_grants_revokes_and_reopens_from_the_page(pusat_client, pusat):
    response = pusat_client.post(
        reverse("programs:period_close"),
        {"tahun": 2020, "jenis": "bulanan", "periode": 6, "bulanan-6-note": "Rekonsiliasi semester I"},
    )
    assert response.status_code == 302
    closure = PeriodClosure.objects.get()
    assert (closure.year, closure.kind, closure.period, closure.closed_by) == (2020, "bulanan", 6, pusat)
    assert closure.note == "Rekonsiliasi semester I"
    html = pusat_client.get(response.url).content.decode()
    assert "Ditutup sejak" in html and "Rekonsiliasi semester I" in html

    until = _today() + datetime.timedelta(days=7)
    bali = Province.objects.get(code="51")
    response = pusat_client.post(
        reverse("programs:period_exception_grant"),
        {
            "tahun": 2020,
            "jenis": "bulanan",
            "periode": 6,
            "bulanan-6-province": bali.pk,
            "bulanan-6-until": until.strftime("%d/%m/%Y"),
            "bulanan-6-note": "Perbaikan SP2D",
        },
    )
    assert response.status_code == 302
    exception = PeriodException.objects.get()
    assert (exception.province, exception.until, exception.granted_by) == (bali, until, pusat)
    html = pusat_client.get(response.url).content.decode()
    assert f"dibuka sampai {until:%d/%m/%Y}" in html

    pusat_client.post(reverse("programs:period_exception_revoke", args=[exception.pk]))
    assert not PeriodException.objects.exists()
    pusat_client.post(reverse("programs:period_reopen"), {"tahun": 2020, "jenis": "bulanan", "periode": 6})
    assert not PeriodClosure.objects.exists()


@pytest.mark.parametrize(
    ("until", "message"),
    [
        ("31/02/2020", "Tulis tanggal sebagai dd/mm/yyyy"),
        ("kemarin", "Tulis tanggal sebagai dd/mm/yyyy"),
        ("", "Isi tanggal terakhir pengecualian."),
        ("yesterday", "Tanggal terakhir tidak boleh sebelum hari ini."),
        ("far", "Pengecualian paling lama 366 hari dari hari ini."),
    ],
)
def test_a_bad_exception_date_is_refused_beside_the_field(pusat_client, pusat, until, message):
    closure = _close_june(pusat)
    dates = {
        "yesterday": _today() - datetime.timedelta(days=1),
        "far": _today() + datetime.timedelta(days=367),
    }
    if until in dates:
        until = dates[until].strftime("%d/%m/%Y")
    response = pusat_client.post(
        reverse("programs:period_exception_grant"),
        {
            "tahun": 2020,
            "jenis": "bulanan",
            "periode": 6,
            "bulanan-6-province": Province.objects.get(code="51").pk,
            "bulanan-6-until": until,
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    rows = {row["period"]: row for row in response.context["months"]}
    assert message in " ".join(rows[6]["exception_form"].errors["until"])
    assert not closure.exceptions.exists()


def test_a_forged_period_or_year_is_refused(pusat_client):
    for data in (
        {"tahun": 2020, "jenis": "bulanan", "periode": 13},
        {"tahun": 2020, "jenis": "triwulanan", "periode": 5},
        {"tahun": 2020, "jenis": "mingguan", "periode": 1},
        {"tahun": "dua ribu", "jenis": "bulanan", "periode": 1},
        {"tahun": 1999, "jenis": "bulanan", "periode": 1},
    ):
        assert pusat_client.post(reverse("programs:period_close"), data).status_code == 404
    assert not PeriodClosure.objects.exists()
    response = pusat_client.get(reverse("programs:periods"), {"tahun": "dua ribu"})
    assert response.status_code == 400
    assert "Masukkan bilangan bulat." in response.content.decode() or response.context["year_form"].errors


def test_the_periods_page_costs_the_same_queries_however_many_closures(
    pusat_client, pusat, django_assert_max_num_queries
):
    url = reverse("programs:periods") + "?tahun=2020"
    pusat_client.get(url)
    closure = _close_june(pusat)
    bali = Province.objects.get(code="51")
    closing.grant_exception(closure=closure, province=bali, until=_today(), actor=pusat)
    pusat_client.get(url)
    with django_assert_max_num_queries(14) as few:
        pusat_client.get(url)
    baseline = len(few.captured_queries)
    for month in range(1, 6):
        closing.close_period(year=2020, kind="bulanan", period=month, actor=pusat)
    for quarter in (1, 2):
        closing.close_period(year=2020, kind="triwulanan", period=quarter, actor=pusat)
    for code in ("63", "72", "73"):
        closing.grant_exception(
            closure=closure, province=Province.objects.get(code=code), until=_today(), actor=pusat
        )
    with django_assert_max_num_queries(baseline):
        response = pusat_client.get(url)
    assert response.content.decode().count("Ditutup sejak") == 8


def test_the_admin_shows_closures_and_exceptions_read_only_with_their_history(admin_client, pusat):
    closure = _close_june(pusat)
    exception = closing.grant_exception(
        closure=closure, province=Province.objects.get(code="51"), until=_today(), actor=pusat
    )
    for name, obj in (("periodclosure", closure), ("periodexception", exception)):
        assert admin_client.get(reverse(f"admin:programs_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:programs_{name}_change", args=[obj.pk])).status_code == 200
        history = admin_client.get(reverse(f"admin:programs_{name}_history", args=[obj.pk]))
        assert history.status_code == 200 and "pusat" in history.content.decode()
        assert admin_client.get(reverse(f"admin:programs_{name}_add")).status_code == 403
        assert (
            admin_client.post(
                reverse(f"admin:programs_{name}_delete", args=[obj.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
    assert PeriodClosure.objects.exists() and PeriodException.objects.exists()


def test_a_closed_month_locks_its_achievements_and_refuses_a_new_one(operator_client, operator, pusat):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from programs.models import Achievement
    from tests.factories import make_plan

    allocation = make_allocation("51", 2020)
    ro = make_plan(allocation, [{"measure": "manual", "unit": "dokumen", "target": 4}])[0]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
    june = Achievement.objects.create(
        planned_output=ro,
        month=6,
        quantity=1,
        evidence=SimpleUploadedFile("a.pdf", pdf),
        evidence_name="a.pdf",
    )
    _close_june(pusat)
    assert not Achievement.objects.editable_by(operator).filter(pk=june.pk).exists()
    edit = reverse("programs:achievement_edit", args=[june.pk])
    assert (
        operator_client.post(edit, {"quantity": "3", "note": "x", "version": june.version}).status_code == 403
    )
    assert Achievement.objects.get(pk=june.pk).quantity == 1
    add = reverse("programs:achievement_add", args=[allocation.pk])
    data = {"planned_output": ro.pk, "quantity": "1", "note": "Laporan"}
    closing.close_period(year=2020, kind="bulanan", period=8, actor=pusat)
    response = operator_client.post(
        add, {**data, "month": 8, "evidence": SimpleUploadedFile("b.pdf", pdf, "application/pdf")}
    )
    assert "Bulan Agustus 2020 sudah ditutup untuk pengisian oleh kementerian." in response.content.decode()
    assert Achievement.objects.count() == 1
    response = operator_client.post(
        add, {**data, "month": 7, "evidence": SimpleUploadedFile("c.pdf", pdf, "application/pdf")}
    )
    assert response.status_code == 302
    assert Achievement.objects.filter(month=7).exists()


def test_a_too_long_closing_note_is_refused_beside_it(pusat_client):
    data = {"tahun": 2020, "jenis": "bulanan", "periode": 6, "bulanan-6-note": "x" * 251}
    response = pusat_client.post(reverse("programs:period_close"), data)
    assert response.status_code == 400
    rows = {row["period"]: row for row in response.context["months"]}
    assert rows[6]["close_form"].errors["note"]
    assert "paling banyak 250 karakter" in response.content.decode() or "250" in response.content.decode()
    assert not PeriodClosure.objects.exists()


def test_the_trajectory_meets_each_quarters_benchmark_and_runs_straight_between():
    from decimal import Decimal

    from programs.periods import trajectory_pct

    # The quarters' ends are the benchmarks themselves; between them a third of the step per month.
    assert [trajectory_pct(m) for m in (3, 6, 9, 12)] == [Decimal(15), Decimal(40), Decimal(60), Decimal(90)]
    assert trajectory_pct(1) == Decimal("5.00")
    assert trajectory_pct(4) == Decimal("23.33")  # 15 + 25/3
    assert trajectory_pct(5) == Decimal("31.67")  # 15 + 50/3, half up
    assert trajectory_pct(10) == Decimal("70.00")
    with pytest.raises(ValueError):
        trajectory_pct(13)
