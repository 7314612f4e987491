"""The operator's workspace in pages: lists, forms, the activity page, the budget page, the queue."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.forms import RupiahField
from programs.models import (
    Activity,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    Realisation,
    ReportPackage,
    ReviewStatus,
)
from provinces.models import Regency
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
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def allocation():
    return make_allocation("51", 2020)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _fill(kind, n, allocation):
    """n rows of a kind in Bali, with the related rows a list shows."""
    for i in range(n):
        firm = make_firm("51", regency="51.06")
        if kind in ("activities", "firms"):
            activity = make_activity(allocation, regency=Regency.objects.get(code="51.06"))
            make_participation(activity, firm)
        elif kind == "partners":
            make_partner("51", name=f"Mitra {i} {firm.pk}")


LISTS = {
    "activities": "programs:activity_list",
    "firms": "programs:firm_list",
    "partners": "programs:partner_list",
    "allocations": "programs:allocation_list",
}


@pytest.mark.parametrize("kind", LISTS)
def test_each_list_page_uses_the_same_number_of_queries_at_5_and_50_rows(client, pusat, kind):
    client.force_login(pusat)
    url = reverse(LISTS[kind])
    if kind == "allocations":
        from provinces.models import Province

        for p in Province.objects.active_in(2020)[:5]:
            make_allocation(p.code, 2020)
        _count_queries(client, url)
        few = _count_queries(client, url)
        for p in Province.objects.active_in(2020)[5:]:
            make_allocation(p.code, 2020)
        for p in Province.objects.active_in(2021)[:21]:
            make_allocation(p.code, 2021)
        assert _count_queries(client, url) == few
        return
    allocation = make_allocation("51", 2020)
    _fill(kind, 5, allocation)
    _count_queries(client, url)
    few = _count_queries(client, url)
    _fill(kind, 45, allocation)
    assert _count_queries(client, url + "?halaman=2") == few
    assert _count_queries(client, url) == few


def test_activity_page_uses_a_constant_number_of_queries(client, operator, allocation):
    activity = make_activity(allocation)
    client.force_login(operator)

    def add(n):
        for _ in range(n):
            p = make_participation(activity, make_firm("51"))
            make_handover(make_output(p, quantity=10), quantity=5)

    add(2)
    url = activity.get_absolute_url()
    _count_queries(client, url)
    few = _count_queries(client, url)
    add(20)
    assert _count_queries(client, url) == few


# --- Exact query counts: what each query of a page is for --------------------------------------------------
# The tests above say a page's queries do not grow with its rows; these say which queries they are, for the
# operator who uses the page every day. A change of the number is a change to read: a new query per page is
# fine if it is listed here, one per row is what the tests above catch.


def test_the_activity_list_runs_11_queries_for_an_operator(
    operator_client, allocation, django_assert_num_queries
):
    for _ in range(3):
        make_participation(make_activity(allocation), make_firm("51"))
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles: read once per request, for the second-factor check and the scope)
    # 4. the latest year with activities (the list opens on it)
    # 5. that year's activities counted per year and province (the exact count, for the pager; the list is
    #    ordered by them: programs/views/common.py)
    # 6. those provinces' codes (the groups' order)
    # 7. the page of activities, province and regency joined
    # 8. the firms of the page's activities, one grouped count
    # 9. the user's province, named in the navigation bar
    # 10. the province choices of the filter form
    # 11. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(11):
        response = operator_client.get(reverse("programs:activity_list"))
    assert [a.firm_count for a in response.context["page"]] == [1, 1, 1]


@pytest.mark.parametrize("kind", ["firms", "partners", "allocations"])
def test_the_firm_partner_and_allocation_lists_run_9_queries_for_an_operator(
    operator_client, allocation, kind, django_assert_num_queries
):
    _fill(kind, 3, allocation)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the list's rows counted per province (the exact count, for the pager; each list is ordered by the
    #    province first: programs/views/common.py)
    # 5. those provinces' codes (the groups' order)
    # 6. the user's province, named in the navigation bar
    # 7. the province choices of the filter form
    # 8. the page of rows, province (and regency) joined
    # 9. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(9):
        response = operator_client.get(reverse(LISTS[kind]))
    assert len(response.context["page"]) == (1 if kind == "allocations" else 3)


def test_the_activity_page_runs_22_queries_for_its_operator(
    operator_client, allocation, django_assert_num_queries
):
    activity = make_activity(allocation)
    participation = make_participation(activity, make_firm("51"))
    make_handover(make_output(participation, quantity=10), quantity=5)
    make_participant(activity)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the activity in the user's scope, province, allocation and regency joined
    # 5. whether the user may edit it
    # 6. its participating firms, regency joined
    # 7. its outputs, firm and buyer joined
    # 8. the outputs' handovers, recipient joined (prefetched)
    # 9. the ids of its firms, for the participant form's founded-firm choices
    # 10. the first two province choices of the new-firm form (FirmForm hides a single province;
    #     NewFirmParticipationForm then fixes the field to the activity's)
    # 11. its individual participants, founded firm joined
    # 12. its partners (prefetched, so the page and the locked view share them)
    # 13. the closed fiscal years, with when (a closed year shows the activity as locked; which workflow
    #     actions the page offers)
    # 14. its evidence files, handover and uploader joined
    # 15. the user's province, named in the navigation bar
    # 16. the regency choices of the new-firm form
    # 17. the founded-firm choices of the participant form
    # 18. the firm choices of the output form
    # 19. the buyer choices of the output form
    # 20. the handover choices of the evidence form
    # 21. its review events, actor joined
    # 22. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(22):
        response = operator_client.get(activity.get_absolute_url())
    assert response.context["editable"]
    assert [o.handed_over_total for o in response.context["outputs"]] == [5]


def _this_year_with(returned, drafts, submitted):
    """Bali's allocation of the current year (the home page shows that year), with activities and monthly
    realisation returned, in draft and submitted."""
    allocation = make_allocation("51", timezone.localdate().year)
    for status, n in ((ReviewStatus.RETURNED, returned), (ReviewStatus.DRAFT, drafts)):
        for _ in range(n):
            make_activity(allocation, review_status=status)
    for _ in range(submitted):
        make_activity(allocation, review_status=ReviewStatus.SUBMITTED)
    for month in range(1, returned + 1):
        make_realisation(allocation, month=month, review_status=ReviewStatus.RETURNED)
    for month in range(returned + 1, returned + 1 + submitted):
        make_realisation(allocation, month=month, review_status=ReviewStatus.SUBMITTED)
        # its month's package, approved by the Kepala Dinas: awaiting the ministry
        ReportPackage.objects.create(
            allocation=allocation, kind="bulanan", period=month, review_status=ReviewStatus.SUBMITTED
        )
    return allocation


def test_the_home_page_uses_the_same_number_of_queries_for_1_or_12_records_of_each_kind(
    client, operator, pusat
):
    allocation = _this_year_with(returned=1, drafts=1, submitted=1)
    few = {}
    for user in (operator, pusat):
        client.force_login(user)
        few[user] = _count_queries(client, reverse("home"))
    for _ in range(11):
        make_activity(allocation, review_status=ReviewStatus.RETURNED)
        make_activity(allocation, review_status=ReviewStatus.DRAFT)
        make_activity(allocation, review_status=ReviewStatus.SUBMITTED)
    for month in range(3, 13):
        make_realisation(allocation, month=month, review_status=ReviewStatus.RETURNED)
    for user in (operator, pusat):
        client.force_login(user)
        assert _count_queries(client, reverse("home")) == few[user], user


def test_the_home_page_runs_12_queries_for_an_operator(operator_client, django_assert_num_queries):
    _this_year_with(returned=1, drafts=1, submitted=1)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the province's allocation of the current year, province joined
    # 5. the year's activities counted by status
    # 6. the allocations of this year and last (the due dates, programs/deadlines.py)
    # 7. their report packages, with each one's first handing-over
    # 8. the user's province, named in the navigation bar
    # 9. the activities returned to the province, reviewer joined
    # 10. the monthly realisation returned, allocation, province and reviewer joined
    # 11. the drafts the operator may still edit (the year not closed)
    # 12. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(12):
        response = operator_client.get(reverse("home"))
    assert response.context["allocation"] is not None
    assert not response.context["fallback"]


def test_the_home_page_runs_19_queries_for_ministry_staff(client, pusat, django_assert_num_queries):
    # Since issue 17 the ministry's home is the national dashboard (programs/reports/dashboard.py).
    _this_year_with(returned=1, drafts=1, submitted=1)
    client.force_login(pusat)
    # 1. the session
    # 2. the user
    # 3. the user's authenticator (the second factor the session was verified with)
    # 4. the user's groups (roles)
    # 5. the current year's allocations (the first two: is there any), province joined
    # the national recap as of the month:
    # 6. the provinces active in the year
    # 7. their allocations
    # 8. the realisation to the month per province, summed and counted
    # 8a. the revisions dated by the month's end: the pagu in force then (programs/reports/pagu.py)
    # 9. the year's tallies (PostgreSQL; on SQLite the records added up instead)
    # 10. the year's distinct firms nationally
    # 11. the year's ROs (none here: no grouped achievement query follows)
    # 12. the calendar's allocations of the year
    # 13. their report packages, with each one's first handing-over
    # 14. the packages waiting for verification, counted
    # 15. the activities waiting for verification, counted
    # 16. the oldest packages waiting, allocation and province joined
    # 17. the oldest activities waiting, province joined
    # 18. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(19 if connection.vendor == "postgresql" else 23):
        response = client.get(reverse("home"))
    queue = response.context["dashboard"].queue
    assert queue["activities"] + queue["packages"] == 2


def test_the_budget_page_uses_the_same_number_of_queries_for_1_or_12_months(operator_client, allocation):
    make_realisation(allocation, month=1)
    make_revision(allocation, 1_400_000_000)
    url = reverse("programs:budget", args=[allocation.pk])
    few = _count_queries(operator_client, url)
    for month in range(2, 13):
        make_realisation(allocation, month=month, amount=Decimal("1000000"))
    make_revision(allocation, 1_300_000_000, revised_on=datetime.date(2020, 5, 1))
    make_revision(allocation, 1_450_000_000, revised_on=datetime.date(2020, 9, 1))
    assert _count_queries(operator_client, url) == few


def test_the_budget_page_runs_14_queries_for_an_operator(
    operator_client, allocation, django_assert_num_queries
):
    make_realisation(allocation, month=1)
    make_revision(allocation, 1_400_000_000)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the allocation in the user's scope, province joined
    # 5. its monthly realisation, reviewer joined
    # 6. which of those months the user may still edit
    # 7. whether the user may add a month: the allocation in the provinces they edit ...
    # 8. ... and its fiscal year not closed
    # 9. the RO of its plan (the rows of the realisation form's grid; none here)
    # 10. its RPD in force (none here, so no lines are read)
    # 11. the realisation lines summed per month and spending type (tests/test_cash_plan.py: with a plan)
    # 12. the user's province, named in the navigation bar
    # 13. the pagu's revisions
    # 14. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(14):
        response = operator_client.get(reverse("programs:budget", args=[allocation.pk]))
    assert response.context["form"] is not None
    assert [row["editable"] for row in response.context["table"] if row["row"]] == [True]


def _firm_in_activities(allocation, firm, n):
    for _ in range(n):
        make_output(make_participation(make_activity(allocation), firm), quantity=10)


def test_the_firm_page_uses_the_same_number_of_queries_for_1_or_10_activities(operator_client, allocation):
    firm = make_firm("51")
    _firm_in_activities(allocation, firm, 1)
    few = _count_queries(operator_client, firm.get_absolute_url())
    _firm_in_activities(allocation, firm, 9)
    _firm_in_activities(make_allocation("51", 2021), firm, 1)
    assert _count_queries(operator_client, firm.get_absolute_url()) == few


def test_the_firm_page_runs_9_queries_for_an_operator(operator_client, allocation, django_assert_num_queries):
    firm = make_firm("51")
    _firm_in_activities(allocation, firm, 2)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the firm in the user's scope, province and regency joined
    # 5. whether the user may edit it
    # 6. the user's province, named in the navigation bar
    # 7. the activities it took part in, activity and province joined
    # 8. its outputs, activity joined
    # 9. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(9):
        response = operator_client.get(firm.get_absolute_url())
    assert len(response.context["outputs"]) == 2


def test_the_activity_list_filters_searches_sorts_and_paginates(operator_client, allocation):
    make_activity(allocation, title="Bimtek masker kain", kind="bimtek", covid_response=True)
    make_activity(allocation, title="Pendampingan penjahitan", kind="pendampingan", covid_response=False)
    make_activity(make_allocation("63", 2020), title="Kegiatan Kalsel")
    url = reverse("programs:activity_list")
    html = operator_client.get(url).content.decode()
    assert "Bimtek masker kain" in html and "Pendampingan penjahitan" in html
    assert "Kegiatan Kalsel" not in html  # another province
    html = operator_client.get(url, {"jenis": "pendampingan"}).content.decode()
    assert "Pendampingan penjahitan" in html and "Bimtek masker kain" not in html
    html = operator_client.get(url, {"covid": "ya"}).content.decode()
    assert "Bimtek masker kain" in html and "Pendampingan penjahitan" not in html
    html = operator_client.get(url, {"q": "penjahitan"}).content.decode()
    assert "Pendampingan penjahitan" in html and "Bimtek masker kain" not in html
    page = operator_client.get(url, {"urut": "-judul"}).context["page"]
    assert [a.title for a in page] == ["Pendampingan penjahitan", "Bimtek masker kain"]
    for i in range(30):
        make_activity(allocation, title=f"Kegiatan ke-{i}")
    second = operator_client.get(url, {"halaman": 2}).context["page"]
    assert second.number == 2 and len(second) == 32 - 25


def test_an_empty_list_says_so(operator_client):
    html = operator_client.get(reverse("programs:activity_list")).content.decode()
    assert "Belum ada kegiatan" in html


def _activity_post(allocation, **changes):
    data = {
        "allocation": allocation.pk,
        "title": "Bimtek produksi APD",
        "kind": "bimtek",
        "purpose": "pengembangan",
        "sector": "sandang",
        "covid_response": "on",
        "regency": Regency.objects.get(code="51.06").pk,
        "mode": "kombinasi",
        "planned_start": "15/06/2020",
        "planned_end": "17/07/2020",
        "status": "rencana",
        "budget": "Rp 1.250.000",
        "target_participants": "20",
    }
    data.update(changes)
    return data


def test_an_operator_creates_an_activity_with_indonesian_money_and_dates(
    operator_client, allocation, operator
):
    response = operator_client.post(reverse("programs:activity_create"), _activity_post(allocation))
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.budget == Decimal("1250000")
    assert activity.planned_start == datetime.date(2020, 6, 15)
    assert activity.history.latest().history_user == operator
    page = operator_client.get(activity.get_absolute_url()).content.decode()
    assert "Rp 1.250.000" in page
    assert "15/06/2020" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"budget": "-5"}, "budget", "tidak boleh negatif"),
        ({"budget": "satu juta"}, "budget", "Tulis jumlah dalam Rupiah"),
        ({"planned_end": "01/06/2020"}, "planned_end", "tidak boleh sebelum"),
        (
            {"planned_start": "15/06/2021", "planned_end": "16/06/2021"},
            "planned_start",
            "tahun anggaran 2020",
        ),
        ({"planned_start": "32/13/2020"}, "planned_start", "dd/mm/yyyy"),
        ({"status": "ditunda"}, "status_reason", "alasan penundaan"),
        ({"target_participants": "0"}, "target_participants", "positif"),
        ({"regency": "__63.71"}, "regency", "pilihan yang tersedia"),
    ],
)
def test_a_bad_activity_form_shows_the_message_beside_the_field_and_keeps_the_input(
    operator_client, allocation, changes, field, message
):
    if changes.get("regency") == "__63.71":
        changes["regency"] = Regency.objects.get(code="63.71").pk
    response = operator_client.post(
        reverse("programs:activity_create"), _activity_post(allocation, **changes)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message.lower() in " ".join(form.errors[field]).lower()
    html = response.content.decode()
    assert 'value="Bimtek produksi APD"' in html  # what the user typed is kept
    assert not Activity.objects.exists()


def test_a_forged_allocation_of_another_province_is_refused(operator_client):
    other = make_allocation("63", 2020)
    response = operator_client.post(reverse("programs:activity_create"), _activity_post(other))
    assert response.status_code == 200
    assert "allocation" in response.context["form"].errors
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.250.000", 1250000), ("Rp 1.250.000", 1250000), ("1250000", 1250000), ("1.250.000,00", 1250000)],
)
def test_money_accepts_indonesian_input(value, expected):
    assert RupiahField().clean(value) == Decimal(expected)


def test_the_whole_activity_page_flow(operator_client, allocation):
    activity = make_activity(allocation)
    existing = make_firm("51", name="IKM Sandang Bangli", nib="5106000000001")
    make_firm("63", regency="63.71", name="IKM Sandang Banjar", nib="6371000000001")
    url = activity.get_absolute_url()
    # find an existing firm by NIB (own province only)
    html = operator_client.get(url, {"cari_ikm": "IKM Sandang"}).content.decode()
    assert "IKM Sandang Bangli" in html and "IKM Sandang Banjar" not in html
    operator_client.post(reverse("programs:participation_add", args=[activity.pk]), {"firm": existing.pk})
    # register a new firm in place
    response = operator_client.post(
        reverse("programs:participation_new_firm", args=[activity.pk]),
        {
            "province": activity.province_id,
            "regency": Regency.objects.get(code="51.06").pk,
            "name": "IKM Baru Bangli",
            "nib": "5106000000002",
            "sector": "sandang",
            "scale": "mikro",
        },
    )
    assert response.status_code == 302
    assert Participation.objects.filter(activity=activity).count() == 2
    participation = Participation.objects.get(firm__name="IKM Baru Bangli")
    # an output and a handover
    response = operator_client.post(
        reverse("programs:output_add", args=[activity.pk]),
        {
            "participation": participation.pk,
            "product": "Masker kain 2 lapis",
            "product_type": "masker",
            "quantity": "500",
            "unit": "pcs",
            "produced_on": "01/07/2020",
            "meets_standard": "on",
        },
    )
    assert response.status_code == 302
    output = Output.objects.get()
    response = operator_client.post(
        reverse("programs:handover_add", args=[output.pk]),
        {
            "recipient_type": "masyarakat",
            "recipient_name": "Masyarakat Bangli",
            "handed_on": "20/07/2020",
            "quantity": "600",
            "bast_number": "BAST/01/2020",
        },
    )
    assert response.status_code == 200
    assert "melebihi jumlah diproduksi" in response.content.decode()
    assert not Handover.objects.exists()
    operator_client.post(
        reverse("programs:handover_add", args=[output.pk]),
        {
            "recipient_type": "masyarakat",
            "recipient_name": "Masyarakat Bangli",
            "handed_on": "20/07/2020",
            "quantity": "400",
            "bast_number": "BAST/01/2020",
        },
    )
    assert Output.objects.get().handed_over_total == 400
    # an individual participant with a masked NIK
    operator_client.post(
        reverse("programs:participant_add", args=[activity.pk]),
        {"name": "Ni Made Sari", "nik": "5106014101900001", "sex": "P"},
    )
    html = operator_client.get(url).content.decode()
    assert "5106********0001" in html
    assert "5106014101900001" not in html
    assert Participant.objects.get().nik == "5106014101900001"


def test_a_duplicate_firm_in_an_activity_is_refused_with_a_message(operator_client, allocation):
    activity = make_activity(allocation)
    firm = make_firm("51")
    make_participation(activity, firm)
    response = operator_client.post(
        reverse("programs:participation_add", args=[activity.pk]), {"firm": firm.pk}, follow=True
    )
    assert (
        "sudah tercatat" in response.content.decode() or "pilihan yang tersedia" in response.content.decode()
    )
    assert Participation.objects.count() == 1


def test_another_provinces_firm_cannot_be_added_by_a_forged_post(operator_client, allocation):
    activity = make_activity(allocation)
    foreign = make_firm("63", regency="63.71")
    operator_client.post(reverse("programs:participation_add", args=[activity.pk]), {"firm": foreign.pk})
    assert not Participation.objects.exists()


def test_firms_of_the_province_search_by_name_or_nib(operator_client):
    make_firm("51", name="IKM Tenun Ikat", nib="5100000000011")
    make_firm("51", name="IKM Roti Manis", nib="5100000000022")
    make_firm("63", regency="63.71", name="IKM Tenun Sasirangan", nib="6300000000011")
    url = reverse("programs:firm_list")
    html = operator_client.get(url, {"q": "Tenun"}).content.decode()
    assert "IKM Tenun Ikat" in html and "IKM Roti Manis" not in html and "Sasirangan" not in html
    html = operator_client.get(url, {"q": "5100000000022"}).content.decode()
    assert "IKM Roti Manis" in html and "IKM Tenun Ikat" not in html


def test_a_firm_page_lists_its_activities_and_outputs(operator_client, allocation):
    firm = make_firm("51", name="IKM Konveksi Bangli")
    activity = make_activity(allocation, title="Bimtek masker dua lapis")
    make_output(make_participation(activity, firm), product="Masker kain 2 lapis", quantity=1234)
    html = operator_client.get(firm.get_absolute_url()).content.decode()
    assert "Bimtek masker dua lapis" in html
    assert "1.234" in html


def test_budget_page_enters_monthly_realisation_with_running_absorption(operator_client, allocation):
    url = reverse("programs:realisation_add", args=[allocation.pk])
    response = operator_client.post(url, {"month": 6, "amount_52": "150.000.000"})
    assert response.status_code == 302
    operator_client.post(url, {"month": 7, "amount_51": "25.000.000", "amount_52": "200.000.000"})
    page = operator_client.get(reverse("programs:budget", args=[allocation.pk]))
    html = page.content.decode()
    assert "Rp 375.000.000" in html
    assert "25,00 %" in html  # 375 of 1.500 million
    # above the pagu: refused beside the field, nothing saved
    response = operator_client.post(url, {"month": 8, "amount_53": "2.000.000.000"})
    assert response.status_code == 200
    assert "melebihi pagu terkini" in response.content.decode()
    assert Realisation.objects.count() == 2
    # the same month twice: refused
    response = operator_client.post(url, {"month": 6, "amount_52": "1"})
    assert "sudah dicatat" in response.content.decode()


def test_ministry_staff_see_every_province_and_the_queue(client, operator, pusat, allocation):
    from programs import services

    activity = make_activity(allocation, title="Kegiatan Bali diajukan")
    make_activity(make_allocation("63", 2020), title="Kegiatan Kalsel draf")
    make_participant(activity)  # submittable: it has a participant (programs/checklist.py)
    services.submit(obj=activity, actor=operator)
    client.force_login(pusat)
    html = client.get(reverse("programs:activity_list")).content.decode()
    assert "Kegiatan Bali diajukan" in html and "Kegiatan Kalsel draf" in html
    html = client.get(reverse("programs:review_queue")).content.decode()
    assert "Kegiatan Bali diajukan" in html and "Kegiatan Kalsel draf" not in html
    assert client.get(reverse("programs:activity_create")).status_code == 403


def test_the_operator_home_shows_allocation_absorption_and_drafts(operator_client, allocation):
    Realisation.objects.create(allocation=allocation, month=3, amount=Decimal("300000000"))
    make_activity(allocation, title="Draf kegiatan Bali")
    html = operator_client.get(reverse("home")).content.decode()
    assert "Rp 1.500.000.000" in html
    assert "20,00 %" in html
    assert "Draf kegiatan Bali" in html


def test_firm_nib_must_be_13_digits_and_unique(operator_client):
    make_firm("51", nib="5100000000099")
    data = {
        "province": make_firm("51").province_id,
        "regency": Regency.objects.get(code="51.06").pk,
        "name": "IKM Baru",
        "nib": "123",
        "sector": "sandang",
        "scale": "mikro",
    }
    response = operator_client.post(reverse("programs:firm_create"), data)
    assert "NIB harus 13 digit angka." in response.context["form"].errors["nib"]
    response = operator_client.post(reverse("programs:firm_create"), {**data, "nib": "5100000000099"})
    assert "sudah terdaftar" in " ".join(response.context["form"].errors["nib"])
    assert Firm.objects.count() == 2


def test_ids_in_forms_are_never_written_with_thousand_separators(operator_client, allocation):
    """Indonesian number formatting must not reach ids: 12345 rendered as 12.345 is an invalid choice."""
    activity = make_activity(allocation, id=23456)
    firm = make_firm("51", id=12345, name="IKM Nomor Besar")
    html = operator_client.get(activity.get_absolute_url(), {"cari_ikm": "Nomor Besar"}).content.decode()
    assert 'name="firm" value="12345"' in html
    assert f'name="version" value="{activity.version}"' in html
    operator_client.post(reverse("programs:participation_add", args=[activity.pk]), {"firm": firm.pk})
    assert Participation.objects.filter(activity=activity, firm=firm).exists()


def test_the_activity_list_opens_on_the_latest_year_with_activities(operator_client, allocation):
    make_activity(allocation, title="Kegiatan tahun 2020")
    make_activity(make_allocation("51", 2021), title="Kegiatan tahun 2021")
    html = operator_client.get(reverse("programs:activity_list")).content.decode()
    assert "Kegiatan tahun 2021" in html and "Kegiatan tahun 2020" not in html
    html = operator_client.get(reverse("programs:activity_list"), {"tahun": 2020}).content.decode()
    assert "Kegiatan tahun 2020" in html and "Kegiatan tahun 2021" not in html


def test_the_founded_firm_choices_are_the_activitys_firms_not_the_whole_province(operator_client, allocation):
    """At national scale a province has tens of thousands of firms: the activity page must not list them
    all in a select (it took seconds at 100x); the founder's firm is one of the activity's firms."""
    activity = make_activity(allocation)
    taking_part = make_firm("51", regency="51.06", name="IKM Peserta Kegiatan")
    make_participation(activity, taking_part)
    elsewhere = make_firm("51", regency="51.06", name="IKM Tidak Ikut")
    page = operator_client.get(reverse("programs:activity_detail", args=[activity.pk])).content.decode()
    assert "IKM Peserta Kegiatan" in page
    assert "IKM Tidak Ikut" not in page
    url = reverse("programs:participant_add", args=[activity.pk])
    response = operator_client.post(
        url, {"name": "Siti", "nik": "", "sex": "P", "founded_firm": elsewhere.pk}
    )
    assert response.status_code == 200 and "Masukkan pilihan yang valid" in response.content.decode()
    assert not Participant.objects.filter(activity=activity).exists()
    operator_client.post(url, {"name": "Siti", "nik": "", "sex": "P", "founded_firm": taking_part.pk})
    assert Participant.objects.get(activity=activity).founded_firm == taking_part


def test_the_handover_forms_load_when_opened_and_post_to_their_own_address(operator_client, allocation):
    """An activity with many outputs renders no hidden handover form per output: each opens on demand
    (htmx GET of handover_add, or the plain page without JavaScript), and the form posts to its own URL
    wherever it is shown."""
    activity = make_activity(allocation)
    participation = make_participation(activity, make_firm("51", regency="51.06"))
    outputs = [make_output(participation, quantity=100) for _ in range(3)]
    page = operator_client.get(reverse("programs:activity_detail", args=[activity.pk])).content.decode()
    add = [reverse("programs:handover_add", args=[o.pk]) for o in outputs]
    assert all(f'hx-get="{url}"' in page for url in add)
    assert 'name="bast_number"' not in page  # no form until opened
    form = operator_client.get(add[0]).content.decode()
    assert f'action="{add[0]}"' in form and 'class="handover-form' in form
    assert 'name="bast_number"' in form and "Simpan penyerahan" in form
    # A form that comes back with its errors is shown open on the activity page, with what was typed.
    response = operator_client.post(
        add[1],
        {
            "recipient_type": "masyarakat",
            "recipient_name": "Warga",
            "handed_on": "20/07/2020",
            "quantity": "500",
            "bast_number": "BAST/09/2020",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "melebihi jumlah diproduksi" in body
    assert 'value="BAST/09/2020"' in body and f'action="{add[1]}"' in body
    assert not Handover.objects.exists()


def test_the_handover_form_follows_the_scope(client, operator_b, allocation):
    activity = make_activity(allocation)
    output = make_output(make_participation(activity, make_firm("51", regency="51.06")), quantity=10)
    client.force_login(operator_b)
    assert client.get(reverse("programs:handover_add", args=[output.pk])).status_code == 404


@pytest.mark.parametrize(
    "produced_on, message",
    [
        ("15/06/1820", "Tanggal produksi harus di dalam tahun anggaran 2020."),
        ("31/12/2019", "Tanggal produksi harus di dalam tahun anggaran 2020."),
        ("02/01/2021", "Tanggal produksi harus di dalam tahun anggaran 2020."),
    ],
)
def test_an_output_dated_outside_its_fiscal_year_is_refused_beside_the_field(
    operator_client, allocation, produced_on, message
):
    activity = make_activity(allocation)
    participation = make_participation(activity, make_firm("51", "51.06"))
    response = operator_client.post(
        reverse("programs:output_add", args=[activity.pk]),
        {
            "participation": participation.pk,
            "product": "Masker kain 2 lapis",
            "product_type": "masker",
            "quantity": "500",
            "unit": "pcs",
            "produced_on": produced_on,
        },
    )
    assert response.status_code == 200
    form = response.context["forms"]["output"] if "forms" in response.context else response.context["form"]
    assert message in form.errors["produced_on"]
    assert not Output.objects.exists()


@pytest.mark.parametrize(
    "handed_on, message",
    [
        ("15/06/1820", "Tanggal penyerahan harus di dalam tahun anggaran 2020."),
        ("05/01/2021", "Tanggal penyerahan harus di dalam tahun anggaran 2020."),
        ("30/06/2020", "Tanggal penyerahan tidak boleh sebelum tanggal produksinya (01/07/2020)."),
    ],
)
def test_a_handover_outside_its_year_or_before_production_is_refused_beside_the_field(
    operator_client, allocation, handed_on, message
):
    activity = make_activity(allocation)
    output = make_output(make_participation(activity, make_firm("51", "51.06")), quantity=500)
    response = operator_client.post(
        reverse("programs:handover_add", args=[output.pk]),
        {
            "recipient_type": "masyarakat",
            "recipient_name": "Masyarakat Bangli",
            "handed_on": handed_on,
            "quantity": "100",
            "bast_number": "BAST/01/2020",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Handover.objects.exists()


def test_an_output_cannot_be_redated_after_its_first_handover(operator_client, allocation):
    activity = make_activity(allocation)
    output = make_output(make_participation(activity, make_firm("51", "51.06")), quantity=500)
    make_handover(output, quantity=100, handed_on=datetime.date(2020, 7, 20))
    response = operator_client.post(
        reverse("programs:output_edit", args=[output.pk]),
        {
            "participation": output.participation_id,
            "product": output.product,
            "product_type": output.product_type,
            "quantity": "500",
            "unit": output.unit,
            "produced_on": "25/07/2020",
            "version": output.version,
        },
    )
    assert response.status_code == 200
    assert "tidak boleh setelah penyerahan pertamanya (20/07/2020)" in response.content.decode()
    output.refresh_from_db()
    assert output.produced_on == datetime.date(2020, 7, 1)
