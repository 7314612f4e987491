"""Every change of programme data is in the history, with who and when; deleting never loses it."""

import pytest
from django.urls import reverse

from programs.models import Activity, Firm
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participant,
    make_participation,
)

pytestmark = pytest.mark.django_db


def _firm_form(firm, **changes):
    data = {
        "province": firm.province_id,
        "regency": firm.regency_id,
        "name": firm.name,
        "nib": firm.nib,
        "owner_name": firm.owner_name,
        "sector": firm.sector,
        "kbli": firm.kbli,
        "scale": firm.scale,
        "address": firm.address,
        "phone": firm.phone,
        "workers": "",
        "version": firm.version,
    }
    data.update(changes)
    return data


def test_a_change_in_a_page_is_recorded_with_the_user_and_shown_field_by_field(client, operator):
    firm = make_firm("51", name="IKM Konveksi Lama")
    client.force_login(operator)
    response = client.post(
        reverse("programs:firm_update", args=[firm.pk]), _firm_form(firm, name="IKM Konveksi Baru")
    )
    assert response.status_code == 302
    latest = firm.history.latest()
    assert latest.history_user == operator
    assert latest.history_type == "~"
    page = client.get(reverse("programs:history", args=["ikm", firm.pk]))
    html = page.content.decode()
    assert "IKM Konveksi Lama" in html and "IKM Konveksi Baru" in html
    assert "op-51" in html
    assert "Nama ikm" in html or "Nama IKM" in html


def test_a_deleted_record_keeps_its_history_in_scope(client, operator, operator_b):
    firm = make_firm("51", name="IKM Akan Dihapus")
    client.force_login(operator)
    response = client.post(reverse("programs:firm_delete", args=[firm.pk]), {"version": firm.version})
    assert response.status_code == 302
    assert not Firm.objects.filter(pk=firm.pk).exists()
    assert Firm.history.filter(id=firm.pk, history_type="-", history_user=operator).exists()
    page = client.get(reverse("programs:history", args=["ikm", firm.pk]))
    assert page.status_code == 200
    assert "sudah dihapus" in page.content.decode()
    client.force_login(operator_b)
    assert client.get(reverse("programs:history", args=["ikm", firm.pk])).status_code == 404


def test_history_page_is_404_outside_the_scope(client, operator, viewer):
    activity = make_activity(make_allocation("63", 2020))
    client.force_login(operator)
    assert client.get(reverse("programs:history", args=["kegiatan", activity.pk])).status_code == 404
    client.force_login(viewer)
    assert client.get(reverse("programs:history", args=["kegiatan", activity.pk])).status_code == 200


def test_workflow_transitions_appear_in_the_history_with_the_actor(client, operator):
    activity = make_activity(make_allocation("51", 2020))
    make_participant(activity)  # submittable: it has a participant (programs/checklist.py)
    client.force_login(operator)
    client.post(reverse("programs:activity_transition", args=[activity.pk, "ajukan"]))
    record = Activity.history.filter(id=activity.pk).latest()
    assert record.history_user == operator
    assert record.review_status == "diajukan"


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_history_page_uses_a_constant_number_of_queries(client, operator):
    few, many = make_firm("51"), make_firm("51")
    for firm, changes in ((few, 2), (many, 30)):
        for i in range(changes):
            firm.name = f"Nama {i}"
            firm.owner_name = f"Pemilik {i}"
            firm.save()
    client.force_login(operator)
    url = lambda f: reverse("programs:history", args=["ikm", f.pk])  # noqa: E731
    _queries(client, url(few))  # warm the session
    assert _queries(client, url(few)) == _queries(client, url(many)) <= 13


def test_an_activitys_history_page_uses_the_same_number_of_queries_for_2_or_20_changes(client, operator):
    # An activity has partners (a many-to-many kept by the history too), which a firm has not.
    allocation = make_allocation("51", 2020)
    few, many = make_activity(allocation), make_activity(allocation)
    for activity, changes in ((few, 1), (many, 19)):
        for i in range(changes):
            activity.title = f"Bimtek masker ke-{i}"
            activity.save()
    client.force_login(operator)
    url = lambda a: reverse("programs:history", args=["kegiatan", a.pk])  # noqa: E731
    # diff_against (programs/views/history.py) would compare the partners of the two versions of every
    # change too: that must not cost queries per change.
    assert _queries(client, url(many)) == _queries(client, url(few)), "queries per change"


def test_a_history_page_names_the_related_rows_of_its_changes_in_one_query_per_model(client, operator):
    """An output credited to another firm of its activity, once or three times: each firm named is read
    with the others (one query per related model), not one by one."""
    activity = make_activity(make_allocation("51", 2020))
    firms = [make_participation(activity, make_firm("51")) for _ in range(4)]
    once, thrice = make_output(firms[0]), make_output(firms[0])
    for output, moves in ((once, firms[1:2]), (thrice, firms[1:])):
        for participation in moves:
            output.participation = participation
            output.save()
    client.force_login(operator)
    url = lambda o: reverse("programs:history", args=["hasil", o.pk])  # noqa: E731
    # The labels are read by in_bulk; a participation's name (its firm and its activity) must come with it,
    # not by queries per row named (an allocation's name, its province, likewise).
    assert _queries(client, url(thrice)) == _queries(client, url(once)), "queries per row named"


def test_a_firms_history_page_runs_10_queries_for_an_operator(client, operator, django_assert_num_queries):
    firm = make_firm("51", name="IKM Konveksi Lama")
    firm.name = "IKM Konveksi Baru"
    firm.save()
    client.force_login(operator)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the firm's history records (the newest 100), changing user joined
    # 5. whether the firm still exists
    # 6. the firm in the user's scope
    # 7. the provinces named in its changes (one query per related model) ...
    # 8. ... and the regencies
    # 9. the user's province, named in the navigation bar
    # 10. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(10):
        response = client.get(reverse("programs:history", args=["ikm", firm.pk]))
    assert [e["type"] for e in response.context["entries"]] == ["Diubah", "Dibuat"]


def test_an_activitys_history_page_runs_10_queries_for_an_operator(
    client, operator, django_assert_num_queries
):
    activity = make_activity(make_allocation("51", 2020))
    activity.title = "Bimtek masker kain 3 lapis"
    activity.save()
    client.force_login(operator)
    # 1. the session
    # 2. the user
    # 3. the user's groups (roles)
    # 4. the activity's history records (the newest 100), changing user joined
    # 5. whether the activity still exists
    # 6. the activity in the user's scope
    #    (the changes are compared on the kept fields only: no query for the many-to-many partners)
    # 7. the allocations named in its changes, with what their names read (province) joined
    # 8. the provinces named in its changes
    # 9. the user's province, named in the navigation bar
    # 10. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(10):
        response = client.get(reverse("programs:history", args=["kegiatan", activity.pk]))
    assert [e["type"] for e in response.context["entries"]] == ["Diubah", "Dibuat"]


def test_a_change_in_the_admin_is_recorded_with_the_user(client, admin):
    firm = make_firm("51", name="IKM Sebelum Admin")
    client.force_login(admin)
    url = reverse("admin:programs_firm_change", args=[firm.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if not isinstance(v, bool) or v}
    data["name"] = "IKM Sesudah Admin"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = Firm.history.filter(id=firm.pk).latest()
    assert latest.name == "IKM Sesudah Admin"
    assert latest.history_user == admin


def test_a_change_by_a_command_is_recorded_with_the_user(operator, tmp_path):
    from django.core.management import call_command

    from programs.management.samples import write_sample_file

    path = tmp_path / "ikm.xlsx"
    write_sample_file(path, 3, "51")
    call_command("import_firms", str(path), province="51", user="op-51")
    created = Firm.objects.filter(province__code="51")
    assert created.count() == 3
    for firm in created:
        assert firm.history.earliest().history_user == operator
