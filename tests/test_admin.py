"""The programme's Django admin: every model's pages, their query counts, scoping for non-superusers, and
rules across inline rows answered as form errors, not server errors."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import (
    Activity,
    Allocation,
    BudgetRevision,
    Firm,
    FiscalYear,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    Realisation,
    ReviewAction,
    ReviewEvent,
    ReviewStatus,
)
from programs.services import ConcurrentEditError
from provinces.models import Province
from tests import factories as f

pytestmark = pytest.mark.django_db


def admin_url(model, view, *args):
    return reverse(f"admin:programs_{model._meta.model_name}_{view}", args=args)


def make_review_event(activity, actor, **overrides):
    fields = {
        "content_type": ContentType.objects.get_for_model(Activity),
        "object_id": activity.pk,
        "province_id": activity.province_id,
        "year": activity.year,
        "action": ReviewAction.SUBMIT,
        "from_status": ReviewStatus.DRAFT,
        "to_status": ReviewStatus.SUBMITTED,
        "actor": actor,
    }
    fields.update(overrides)
    return ReviewEvent.objects.create(**fields)


class Programme:
    """One province's programme, every model present once: Bali 2020, a mask bimtek in Kabupaten Bangli."""

    def __init__(self, province_code="51", regency_code="51.06", actor=None):
        self.allocation = f.make_allocation(
            province_code=province_code, year=2020, pagu=Decimal("1000000000")
        )
        self.revision = f.make_revision(self.allocation, Decimal("900000000"))
        self.realisation = f.make_realisation(self.allocation, month=6, amount=Decimal("250000000"))
        self.partner = f.make_partner(province_code)
        self.firm = f.make_firm(province_code, regency_code)
        self.activity = f.make_activity(self.allocation, regency=self.firm.regency)
        self.activity.partners.add(self.partner)
        self.participation = f.make_participation(self.activity, self.firm)
        self.participant = f.make_participant(self.activity, name="Ni Made Sari", nik="5106014101900001")
        self.output = f.make_output(
            self.participation, quantity=3000, ordered_quantity=3000, buyer=self.partner
        )
        self.handover = f.make_handover(self.output, quantity=1000, recipient=self.partner)
        self.fiscal_year, _ = FiscalYear.objects.get_or_create(year=2020)
        self.review_event = make_review_event(self.activity, actor) if actor else None

    def objects(self):
        return {
            "fiscalyear": self.fiscal_year,
            "allocation": self.allocation,
            "budgetrevision": self.revision,
            "realisation": self.realisation,
            "partner": self.partner,
            "firm": self.firm,
            "activity": self.activity,
            "participation": self.participation,
            "participant": self.participant,
            "output": self.output,
            "handover": self.handover,
            "reviewevent": self.review_event,
        }


MODELS = {
    "fiscalyear": FiscalYear,
    "allocation": Allocation,
    "budgetrevision": BudgetRevision,
    "realisation": Realisation,
    "partner": Partner,
    "firm": Firm,
    "activity": Activity,
    "participation": Participation,
    "participant": Participant,
    "output": Output,
    "handover": Handover,
    "reviewevent": ReviewEvent,
}
# A search term that finds the fixture's row of each model (activity title, firm name, NIB, partner name,
# BAST number, province name...).
SEARCH = {
    "fiscalyear": "2020",
    "allocation": "Bali",
    "budgetrevision": "Bali",
    "realisation": "Bali",
    "partner": "Gugus",
    "firm": "Konveksi",
    "activity": "masker",
    "participation": "Konveksi",
    "participant": "Sari",
    "output": "Masker",
    "handover": "BAST",
    "reviewevent": "Bali",
}


@pytest.fixture
def programme(admin):
    return Programme(actor=admin)


# Queries of an admin page for a superuser, whatever the page: the session, the user, the user's groups
# (roles, read once per request) = 3 (the session is not written again: it was, less than a minute ago).
# The rest, per page:
# - changelist: the province list of the province filter (when there is one), the distinct years of
#   the year filter (when there is one), the count, the unfiltered count, the rows (related rows joined);
# - add: the choice lists rendered as plain selects (province, regency);
# - change: the object, each inline's rows (joined), each autocomplete's selected label, plain selects.
# Measured, then each budget set 2 above.
MAX_QUERIES = {
    #                changelist, add, change
    "fiscalyear": (11, 9, 9),
    "allocation": (13, 10, 14),
    "budgetrevision": (13, 9, 10),  # the change page: its RO lines (RevisionLineInline)
    "realisation": (14, 9, 11),
    "partner": (12, 11, 11),
    "firm": (12, 11, 11),
    "activity": (13, 9, 16),
    "participation": (13, 9, 11),
    "participant": (13, 9, 10),
    "output": (13, 9, 14),
    "handover": (13, 9, 11),
    "reviewevent": (13, 8, 10),  # the add page: 403, whose page shows the bell (the unread notices)
}


@pytest.mark.parametrize("name", MODELS)
def test_superuser_opens_every_page_of_every_model_in_a_handful_of_queries(
    admin_client, programme, name, django_assert_max_num_queries
):
    model, obj = MODELS[name], programme.objects()[name]
    changelist, add, change = MAX_QUERIES[name]

    with django_assert_max_num_queries(changelist):
        response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1

    with django_assert_max_num_queries(changelist):
        response = admin_client.get(admin_url(model, "changelist"), {"q": SEARCH[name]})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [obj]

    with django_assert_max_num_queries(add):
        response = admin_client.get(admin_url(model, "add"))
    # The review record is an audit log: nobody adds one by hand.
    assert response.status_code == (403 if name == "reviewevent" else 200)

    with django_assert_max_num_queries(change):
        response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("name", [n for n in MODELS if n != "reviewevent"])
def test_every_model_shows_its_history(admin_client, programme, name):
    obj = programme.objects()[name]
    response = admin_client.get(admin_url(MODELS[name], "history", obj.pk))
    assert response.status_code == 200


def _more(name, programme, actor, numbers):
    """More rows of the model (one per number), all in the same changelist as the programme's own."""
    other_provinces = Province.objects.exclude(code=programme.allocation.province.code).order_by("code")
    for i in numbers:
        if name == "fiscalyear":
            FiscalYear.objects.create(year=2001 + i)
        elif name == "allocation":
            f.make_allocation(province_code=other_provinces[i].code)
        elif name == "budgetrevision":
            f.make_revision(programme.allocation, Decimal("900000000"))
        elif name == "realisation":
            f.make_realisation(f.make_allocation(province_code=other_provinces[i].code), month=1)
        elif name == "partner":
            f.make_partner("51")
        elif name == "firm":
            f.make_firm("51", "51.06")
        elif name == "activity":
            f.make_activity(programme.allocation)
        elif name == "participation":
            f.make_participation(programme.activity, f.make_firm("51", "51.06"))
        elif name == "participant":
            f.make_participant(programme.activity, name=f"Peserta {i}", nik=f"5106014101{i:06d}")
        elif name == "output":
            f.make_output(programme.participation, quantity=10)
        elif name == "handover":
            f.make_handover(programme.output, quantity=1)
        elif name == "reviewevent":
            make_review_event(programme.activity, actor)


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("name", MODELS)
def test_changelist_queries_do_not_grow_with_the_rows(admin_client, admin, programme, name):
    url = admin_url(MODELS[name], "changelist")
    _more(name, programme, admin, range(1))
    with_2, response = _count_queries(admin_client, url)
    assert response.context["cl"].result_count == 2
    _more(name, programme, admin, range(1, 19))
    with_20, response = _count_queries(admin_client, url)
    assert response.context["cl"].result_count == 20
    assert with_20 == with_2


# The exact queries of each changelist for a superuser, one row of the model in it:
#  1. the session
#  2. the user
#  3. the user's authenticator (admins sign in with a second factor)
#  4. the user's groups (roles)
#  5. the provinces, for the province filter (every model but the fiscal year)
#  6. the rows counted with the filters asked for (ModelAdmin.show_full_result_count is off: no second COUNT
#     over the whole table); where the order starts with the year or the province (allocation, partner,
#     activity), counted per year and province instead, and then
#  7. those provinces' codes, to put the groups in the list's order (programs/views/common.py)
#  8. the page of rows, their related rows joined
#  9. the distinct years, for the year filter (the models with a year field or filter by their allocation's)
# 10. the distinct months, for the month filter (realisation only)
# (the session is not written again: it was, less than a minute ago).
EXACT_CHANGELIST_QUERIES = {
    "fiscalyear": 6,  # no province, no year filter: 1-4, 6, 8
    "allocation": 9,  # with 7
    "budgetrevision": 8,
    "realisation": 9,  # with the months
    "partner": 8,  # no year; with 7
    "firm": 7,  # no year
    "activity": 9,  # with 7
    "participation": 8,
    "participant": 8,
    "output": 8,
    "handover": 8,
    "reviewevent": 8,
}


@pytest.mark.parametrize("name", MODELS)
def test_each_changelist_runs_its_exact_queries_for_a_superuser(
    admin_client, programme, name, django_assert_num_queries
):
    with django_assert_num_queries(EXACT_CHANGELIST_QUERIES[name]):
        response = admin_client.get(admin_url(MODELS[name], "changelist"))
    assert response.context["cl"].result_count == 1


def test_change_pages_queries_do_not_grow_with_the_inline_rows(admin_client, programme):
    activity, output, allocation = programme.activity, programme.output, programme.allocation
    pages = [
        admin_url(Activity, "change", activity.pk),
        admin_url(Output, "change", output.pk),
        admin_url(Allocation, "change", allocation.pk),
    ]

    months = iter(m for m in range(1, 13) if m != programme.realisation.month)

    def add_rows(n):
        for _ in range(n):
            participation = f.make_participation(activity, f.make_firm("51", "51.06"))
            f.make_output(participation, quantity=10, ordered_quantity=10, buyer=programme.partner)
            f.make_handover(output, quantity=1, recipient=programme.partner)
            f.make_revision(allocation, Decimal("900000000"))
            f.make_realisation(allocation, month=next(months), amount=Decimal("1000000"))

    add_rows(1)  # two of each row
    for url in pages:  # a page's first visit in a process fills caches (content types): not a row's cost
        _count_queries(admin_client, url)
    with_2 = [_count_queries(admin_client, url)[0] for url in pages]
    add_rows(10)  # twelve of each (a year has twelve months)
    with_12 = [_count_queries(admin_client, url)[0] for url in pages]
    assert with_12 == with_2


# --- Who the admin is for -------------------------------------------------------------------------------


@pytest.fixture
def two_provinces(admin):
    """Bali (A) and Kalimantan Selatan (B), each with its programme."""
    return Programme("51", "51.06", actor=admin), Programme("63", "63.71", actor=admin)


# The admin is for admins (programs/admin.py): whoever else was made staff is refused at its door, on every
# page of it, and learns nothing of what exists (the workspace is where operators, ministry staff and viewers
# work). The cast's people of the other roles, and a user with no role, each given staff status.
NOT_ADMINS = ["operator", "pusat", "viewer", "user"]


@pytest.fixture(params=NOT_ADMINS)
def staff_not_admin(request, client, two_provinces):
    person = request.getfixturevalue(request.param)
    f.with_staff_status(person)
    client.force_login(person)
    return client


def _refused_at_the_door(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_who_are_not_admins_are_refused_on_every_admin_page(staff_not_admin, two_provinces):
    bali, kalsel = two_provinces
    _refused_at_the_door(staff_not_admin.get(reverse("admin:index")))
    for model in MODELS.values():
        _refused_at_the_door(staff_not_admin.get(admin_url(model, "changelist")))
        _refused_at_the_door(staff_not_admin.get(admin_url(model, "add")))
    for obj in (bali.firm, kalsel.firm, bali.activity, bali.allocation, kalsel.participant):
        for view in ("change", "delete", "history"):
            _refused_at_the_door(staff_not_admin.get(admin_url(type(obj), view, obj.pk)))
    params = {"app_label": "programs", "model_name": "participation", "field_name": "firm", "term": ""}
    _refused_at_the_door(staff_not_admin.get(reverse("admin:autocomplete"), params))
    content_type = ContentType.objects.get_for_model(Firm)
    view_on_site = reverse("admin:view_on_site", args=[content_type.pk, bali.firm.pk])
    _refused_at_the_door(staff_not_admin.get(view_on_site))


def test_a_forged_admin_post_by_staff_who_are_not_admins_changes_nothing(staff_not_admin, two_provinces):
    bali, _ = two_provinces
    before = (Firm.objects.get(pk=bali.firm.pk).name, Firm.objects.count(), Activity.objects.count())
    _refused_at_the_door(staff_not_admin.post(admin_url(Firm, "change", bali.firm.pk), {"name": "Diubah"}))
    _refused_at_the_door(staff_not_admin.post(admin_url(Firm, "delete", bali.firm.pk), {"post": "yes"}))
    verified = {"review_status": "terverifikasi"}
    _refused_at_the_door(staff_not_admin.post(admin_url(Activity, "change", bali.activity.pk), verified))
    assert (Firm.objects.get(pk=bali.firm.pk).name, Firm.objects.count(), Activity.objects.count()) == before
    assert Activity.objects.get(pk=bali.activity.pk).review_status == ReviewStatus.DRAFT


def test_the_admin_link_is_shown_to_admins_only(admin_client, operator, operator_client, two_provinces):
    assert reverse("admin:index") in admin_client.get(reverse("home")).content.decode()
    f.with_staff_status(operator)
    assert reverse("admin:index") not in operator_client.get(reverse("home")).content.decode()


def test_an_admin_group_member_is_an_admin_here(client, two_provinces):
    # Not the cast's admin, who is a superuser too: the group alone must be enough.
    client.force_login(f.make_user("admin-grup", "admin", is_staff=True))
    response = client.get(admin_url(Firm, "changelist"))
    assert response.context["cl"].result_count == 2
    assert client.get(admin_url(Allocation, "add")).status_code == 200


def test_a_user_without_a_role_or_staff_status_is_sent_to_the_admin_sign_in(user_client, two_provinces):
    bali, _ = two_provinces
    response = user_client.get(admin_url(Firm, "change", bali.firm.pk))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


def test_nobody_writes_the_review_record_in_the_admin(admin_client, programme):
    event = programme.review_event
    response = admin_client.get(admin_url(ReviewEvent, "change", event.pk))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert admin_client.post(admin_url(ReviewEvent, "change", event.pk), {"note": "x"}).status_code == 403
    assert admin_client.post(admin_url(ReviewEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert ReviewEvent.objects.filter(pk=event.pk, note="").exists()


def test_history_cannot_be_reverted(admin_client, programme):
    allocation = programme.allocation
    version = allocation.history.earliest()
    url = reverse("admin:programs_allocation_simple_history", args=[allocation.pk, version.history_id])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, form_data(admin_client.get(url))).status_code == 403
    allocation.refresh_from_db()
    assert allocation.realised_total == Decimal("250000000")
    assert allocation.current_pagu == Decimal("900000000")


# --- Saving through the admin: running totals and rules across inline rows --------------------------------


def form_data(response):
    """What the admin page's form posts back unchanged: the form, each inline formset, management forms."""
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None:
                data[key] = ""
            elif value is True:
                data[key] = "on"
            elif value is False:
                continue
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)
    return data


def add_inline_rows(data, prefix, rows):
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    for i, row in enumerate(rows, start=total):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(total + len(rows))
    return data


def test_realisation_rows_saved_in_the_admin_keep_the_running_total(admin_client, programme):
    allocation = programme.allocation
    url = admin_url(Allocation, "change", allocation.pk)
    data = add_inline_rows(
        form_data(admin_client.get(url)), "realisations", [{"month": 7, "amount": "50000000"}]
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.realised_total == Decimal("300000000")


def test_realisation_rows_whose_sum_passes_the_pagu_give_a_message_and_save_nothing(admin_client, programme):
    allocation = programme.allocation  # current pagu Rp 900.000.000, Rp 250.000.000 realised
    url = admin_url(Allocation, "change", allocation.pk)
    rows = [{"month": 7, "amount": "400000000"}, {"month": 8, "amount": "400000000"}]
    data = add_inline_rows(form_data(admin_client.get(url)), "realisations", rows)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jumlah realisasi seluruhnya (Rp 1.050.000.000) melebihi pagu terkini Rp 900.000.000." in html
    assert Realisation.objects.filter(allocation=allocation).count() == 1
    allocation.refresh_from_db()
    assert allocation.realised_total == Decimal("250000000")


def test_a_realisation_row_over_the_pagu_shows_the_models_message(admin_client, programme):
    allocation = programme.allocation
    url = admin_url(Allocation, "change", allocation.pk)
    data = add_inline_rows(
        form_data(admin_client.get(url)), "realisations", [{"month": 7, "amount": "700000000"}]
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert (
        "Realisasi kumulatif Rp 950.000.000 melebihi pagu terkini Rp 900.000.000."
        in response.content.decode()
    )
    assert Realisation.objects.filter(allocation=allocation).count() == 1


def test_rows_are_added_once_their_parent_exists(admin_client):
    for model in [Allocation, Activity, Output]:
        response = admin_client.get(admin_url(model, "add"))
        assert response.status_code == 200
        assert response.context["inline_admin_formsets"] == []


def test_handover_rows_whose_sum_passes_the_output_give_a_message_and_save_nothing(admin_client, programme):
    output = programme.output  # 3000 produced, 1000 handed over
    url = admin_url(Output, "change", output.pk)
    row = {"handed_on": "2020-07-25", "quantity": "1500", "recipient_type": "masyarakat"}
    rows = [
        {**row, "recipient_name": "Warga Bangli", "bast_number": "BAST/02/2020"},
        {**row, "recipient_name": "Warga Kintamani", "bast_number": "BAST/03/2020"},
    ]
    response = admin_client.post(url, add_inline_rows(form_data(admin_client.get(url)), "handovers", rows))
    assert response.status_code == 200
    assert (
        "Jumlah penyerahan seluruhnya (4000) melebihi jumlah diproduksi (3000)." in response.content.decode()
    )
    assert output.handovers.count() == 1
    output.refresh_from_db()
    assert output.handed_over_total == 1000


def test_a_handover_row_over_the_output_shows_the_models_message(admin_client, programme):
    output = programme.output
    url = admin_url(Output, "change", output.pk)
    row = {
        "handed_on": "2020-07-25",
        "quantity": "2500",
        "recipient_type": "masyarakat",
        "recipient_name": "Warga Bangli",
        "bast_number": "BAST/02/2020",
    }
    response = admin_client.post(url, add_inline_rows(form_data(admin_client.get(url)), "handovers", [row]))
    assert response.status_code == 200
    assert "Jumlah diserahkan (3500) melebihi jumlah diproduksi (3000)." in response.content.decode()
    assert output.handovers.count() == 1


def test_handover_changes_that_pass_the_output_only_midway_are_refused_not_a_server_error(
    admin_client, programme
):
    output = programme.output  # 3000 produced
    Handover.objects.filter(pk=programme.handover.pk).update(quantity=500)  # a first row of 500
    Output.objects.filter(pk=output.pk).update(handed_over_total=500)
    second = f.make_handover(output, quantity=500)
    third = f.make_handover(output, quantity=1000)  # 2000 handed over
    url = admin_url(Output, "change", output.pk)
    data = form_data(admin_client.get(url))
    # Saved from the top: 1400 + 1400 + 1000 = 3800 on the way, 2900 at the end.
    data.update(
        {"handovers-0-quantity": "1400", "handovers-1-quantity": "1400", "handovers-2-quantity": "100"}
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "di tengah penyimpanan" in response.content.decode()
    assert [h.quantity for h in Handover.objects.filter(output=output)] == [500, 500, 1000]
    assert {second.pk, third.pk} <= set(Handover.objects.values_list("pk", flat=True))


def test_outputs_in_an_activity_must_come_from_its_participants(admin_client, two_provinces):
    bali, _ = two_provinces
    other_activity = f.make_activity(bali.allocation)
    stranger = f.make_participation(other_activity, f.make_firm("51", "51.06"))
    url = admin_url(Activity, "change", bali.activity.pk)
    row = {
        "participation": stranger.pk,
        "product": "Face shield",
        "product_type": "face_shield",
        "quantity": "100",
        "unit": "pcs",
        "produced_on": "2020-07-01",
    }
    response = admin_client.post(url, add_inline_rows(form_data(admin_client.get(url)), "outputs", [row]))
    assert response.status_code == 200
    assert "Pilih IKM peserta kegiatan ini." in response.content.decode()
    assert not Output.objects.filter(product="Face shield").exists()


def test_participations_in_an_activity_must_be_firms_of_its_province(admin_client, two_provinces):
    bali, kalsel = two_provinces
    url = admin_url(Activity, "change", bali.activity.pk)
    data = add_inline_rows(form_data(admin_client.get(url)), "participations", [{"firm": kalsel.firm.pk}])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "IKM ini terdaftar di provinsi lain." in response.content.decode()
    assert not Participation.objects.filter(activity=bali.activity, firm=kalsel.firm).exists()


def test_a_participants_nik_is_kept_unless_replaced(admin_client, programme):
    participant = programme.participant
    url = admin_url(Participant, "change", participant.pk)
    response = admin_client.get(url)
    assert participant.nik not in response.content.decode()
    data = form_data(response)
    assert data["nik"] == ""
    assert admin_client.post(url, {**data, "name": "Ni Made Sari Dewi"}).status_code == 302
    participant.refresh_from_db()
    assert (participant.name, participant.nik) == ("Ni Made Sari Dewi", "5106014101900001")
    data = form_data(admin_client.get(url))  # the form as it is now (a stale one is refused)
    assert admin_client.post(url, {**data, "clear_nik": "on"}).status_code == 302
    participant.refresh_from_db()
    assert participant.nik == ""


def test_the_changelists_delete_action_keeps_the_running_totals(admin_client, programme):
    allocation, output = programme.allocation, programme.output
    july = f.make_realisation(allocation, month=7, amount=Decimal("50000000"))
    extra = f.make_handover(output, quantity=200)
    for model, obj in [(Realisation, july), (Handover, extra)]:
        response = admin_client.post(
            admin_url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert response.status_code == 302
        assert not model.objects.filter(pk=obj.pk).exists()
    allocation.refresh_from_db()
    output.refresh_from_db()
    assert allocation.realised_total == Decimal("250000000")
    assert output.handed_over_total == 1000


def test_an_admin_change_moves_the_version_on(admin_client, programme):
    firm, output, handover = programme.firm, programme.output, programme.handover
    url = admin_url(Firm, "change", firm.pk)
    assert (
        admin_client.post(url, {**form_data(admin_client.get(url)), "owner_name": "Bu Sari"}).status_code
        == 302
    )
    firm.refresh_from_db()
    assert (firm.owner_name, firm.version) == ("Bu Sari", 2)

    url = admin_url(Output, "change", output.pk)
    data = {**form_data(admin_client.get(url)), "handovers-0-quantity": "1200"}
    assert admin_client.post(url, data).status_code == 302
    handover.refresh_from_db()
    output.refresh_from_db()
    assert (handover.quantity, handover.version, output.handed_over_total) == (1200, 2, 1200)


def test_a_stale_admin_form_is_refused_and_the_running_total_stays_exact(admin_client, programme):
    """Two tabs open the same month; the second save would overwrite the first: refused with a message."""
    realisation = Realisation.objects.filter(allocation__province__code="51").first()
    url = admin_url(Realisation, "change", realisation.pk)
    first, second = form_data(admin_client.get(url)), form_data(admin_client.get(url))
    assert admin_client.post(url, {**first, "amount": "1000000"}).status_code == 302
    response = admin_client.post(url, {**second, "amount": "2000000"})
    assert response.status_code == 200
    # The workspace's message, word for word: the admin saves through the same service.
    assert str(ConcurrentEditError.message) in response.content.decode()
    realisation.refresh_from_db()
    assert realisation.amount == 1_000_000
    allocation = realisation.allocation
    allocation.refresh_from_db()
    assert allocation.realised_total == sum(allocation.realisations.values_list("amount", flat=True))
    without_version = {k: v for k, v in form_data(admin_client.get(url)).items() if k != "seen_version"}
    response = admin_client.post(url, {**without_version, "amount": "3000000"})
    assert "tidak lengkap" in response.content.decode()


def test_an_admin_adds_a_fiscal_year_through_the_services(admin_client, admin_user):
    response = admin_client.post(admin_url(FiscalYear, "add"), {"year": "2031"})
    assert response.status_code == 302
    year = FiscalYear.objects.get(year=2031)
    assert year.history.get().history_user == admin_user
