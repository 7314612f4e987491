"""The admin changes one row at a time: what would break the plan's sums across rows (programs/plan_rules.py)
is refused there with a message beside the field and nothing saved, never an error when the transaction
commits. The plan's own pages move the rows together."""

from decimal import Decimal

import pytest

from programs.models import Allocation, BudgetRevision, PlanItem, Realisation, RealisationLine
from tests.factories import make_allocation, make_plan, make_realisation
from tests.test_admin import admin_url, form_data

pytestmark = pytest.mark.django_db

MILLION = Decimal(1_000_000)


@pytest.fixture
def planned():
    allocation = make_allocation("51", 2021, pagu=1000 * MILLION)
    ros = make_plan(allocation, ros=[{"pagu": 700 * MILLION}, {"pagu": 300 * MILLION}])
    realisation = make_realisation(allocation, 3, 50 * MILLION)
    RealisationLine.objects.create(
        realisation=realisation, planned_output=ros[0], spending_type="52", amount=50 * MILLION
    )
    return allocation, ros, realisation


def _post_changed(client, url, **changes):
    data = form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


def test_one_ro_pagu_changed_alone_is_refused_with_the_sum_it_must_keep(admin_client, planned):
    allocation, ros, _ = planned
    response = _post_changed(admin_client, admin_url(PlanItem, "change", ros[0].pk), pagu="800.000.000")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["pagu"]
    assert "Rp 1.000.000.000" in errors[0] and "Rp 300.000.000" in errors[0]
    ros[0].refresh_from_db()
    assert ros[0].pagu == 700 * MILLION


def test_a_plan_line_is_not_deleted_in_the_admin(admin_client, planned):
    _, ros, _ = planned
    response = admin_client.post(admin_url(PlanItem, "delete", ros[1].pk), {"post": "yes"})
    assert response.status_code == 403
    assert PlanItem.objects.filter(pk=ros[1].pk).exists()


def test_a_revision_of_an_allocation_with_a_plan_is_recorded_on_the_budget_page(admin_client, planned):
    allocation, _, _ = planned
    response = admin_client.post(
        admin_url(BudgetRevision, "add"),
        {
            "allocation": allocation.pk,
            "revised_on": "15/04/2021",
            "new_pagu": "900.000.000",
            "reason": "Refocusing",
            "document_number": "DIPA revisi 01",
        },
    )
    assert response.status_code == 200
    assert "halaman Anggaran" in response.context["adminform"].form.errors["allocation"][0]
    assert not BudgetRevision.objects.exists()


def test_the_pagu_of_an_allocation_with_a_plan_moves_by_revision_only(admin_client, planned):
    allocation, _, _ = planned
    response = _post_changed(
        admin_client, admin_url(Allocation, "change", allocation.pk), pagu="1.200.000.000"
    )
    assert response.status_code == 200
    assert "revisi" in response.context["adminform"].form.errors["pagu"][0]
    allocation.refresh_from_db()
    assert (allocation.pagu, allocation.current_pagu) == (1000 * MILLION, 1000 * MILLION)


def test_a_realisation_with_lines_keeps_its_amount_in_the_admin(admin_client, planned):
    _, _, realisation = planned
    response = _post_changed(
        admin_client, admin_url(Realisation, "change", realisation.pk), amount="60.000.000"
    )
    assert response.status_code == 200
    assert "dirinci" in response.context["adminform"].form.errors["amount"][0]
    realisation.refresh_from_db()
    assert realisation.amount == 50 * MILLION
    # Its note, which no sum depends on, is still the admin's to repair.
    response = _post_changed(
        admin_client, admin_url(Realisation, "change", realisation.pk), note="Diperbaiki"
    )
    assert response.status_code == 302
    realisation.refresh_from_db()
    assert (realisation.note, realisation.amount) == ("Diperbaiki", 50 * MILLION)


def test_an_activity_added_in_the_admin_for_a_year_with_a_plan_names_its_ro(admin_client, planned):
    from programs.models import Activity

    allocation, ros, _ = planned
    url = admin_url(Activity, "add")
    data = {
        "allocation": allocation.pk,
        "title": "Pendampingan IKM sandang",
        "kind": "pendampingan",
        "purpose": "pengembangan",
        "sector": "sandang",
        "mode": "luring",
        "planned_start": "01/06/2021",
        "planned_end": "30/06/2021",
        "status": "rencana",
        "budget": "50.000.000",
        "target_participants": "10",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Pilih RO" in response.context["adminform"].form.errors["planned_output"][0]
    assert not Activity.objects.exists()
    response = admin_client.post(url, {**data, "planned_output": ros[0].pk})
    assert response.status_code == 302
    assert Activity.objects.get().planned_output == ros[0]
