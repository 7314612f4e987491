"""The workflow's table is the only place a state or an action is added.

The fixture adds a step to the table alone — a new state, "disahkan", and an action "sahkan" between
submission and verification — and the pages' buttons, the queue, the services, the operator's lock and the
access matrix all follow it, with no other edit. It applies to activities (`applies_to`): a period's package
keeps its states in a check constraint (report_package_status_known), so a new state of packages comes with
its migration.
"""

from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from programs import services, workflow
from programs.models import Activity, ReviewEvent
from programs.workflow import Flow, ReviewAction, ReviewStatus, Who
from tests.test_access_matrix import SIGNED_IN, TRANSITION_URLS, applies, build_world, check_transition

pytestmark = pytest.mark.django_db

APPROVED = "disahkan"


@pytest.fixture
def world(operator, operator_b, pusat, viewer, admin):
    return build_world(operator, operator_b, pusat, viewer, admin)


@pytest.fixture
def approval(monkeypatch):
    approve = workflow.Transition(
        action="sahkan",
        slug="sahkan",
        from_states=(ReviewStatus.SUBMITTED,),
        to_state=APPROVED,
        who=Who.REVIEWER,
        applies_to=(Flow.ACTIVITY,),
        button="Sahkan usulan",
        short="Sahkan",
        done="Disahkan.",
    )
    table = {}
    for action, step in workflow.TRANSITIONS.items():
        if action == ReviewAction.VERIFY:
            table[approve.action] = approve
            step = replace(step, from_states=(APPROVED,))
        elif action == ReviewAction.RETURN:
            step = replace(step, from_states=(ReviewStatus.SUBMITTED, APPROVED))
        table[action] = step
    monkeypatch.setattr(workflow, "TRANSITIONS", table)
    monkeypatch.setattr(
        workflow, "STATES", {**workflow.STATES, APPROVED: workflow.State(editable=False, badge="primary")}
    )
    return approve


def _url(target, obj, slug):
    return reverse(TRANSITION_URLS[target], args=[obj.pk, slug])


def test_the_pages_show_the_new_action_where_the_table_says(client, world, approval):
    activity, package = world.activity, world.package
    services.submit(obj=activity, actor=world.users["op_a"])
    client.force_login(world.users["pusat"])
    page = client.get(activity.get_absolute_url()).content.decode()
    assert _url("activity", activity, "sahkan") in page and "Sahkan usulan" in page
    assert _url("activity", activity, "verifikasi") not in page  # verified only once approved
    assert _url("activity", activity, "kembalikan") in page
    queue = client.get(reverse("programs:review_queue")).content.decode()
    assert _url("activity", activity, "sahkan") in queue
    # Not a package's action: its page never offers it.
    services.prepare(package=package, actor=world.users["op_a"])
    services.approve(package=package, actor=world.users["admin"])
    detail = client.get(reverse("programs:package_detail", args=[package.pk])).content.decode()
    assert _url("package", package, "sahkan") not in detail
    assert _url("package", package, "kembalikan") in detail

    services.transition(activity, actor=world.users["pusat"], action="sahkan")
    page = client.get(activity.get_absolute_url()).content.decode()
    assert _url("activity", activity, "verifikasi") in page
    assert _url("activity", activity, "sahkan") not in page
    # An approved record still waits for the reviewer: the queue lists it, with the next action.
    queue = client.get(reverse("programs:review_queue")).content.decode()
    assert _url("activity", activity, "verifikasi") in queue
    # Nothing to take for the operator, who sees the new state's badge.
    client.force_login(world.users["op_a"])
    page = client.get(activity.get_absolute_url()).content.decode()
    assert "text-bg-primary" in page
    assert not any(_url("activity", activity, t.slug) in page for t in workflow.TRANSITIONS.values())


def test_the_services_follow_the_new_table(world, approval):
    activity, pusat = world.activity, world.users["pusat"]
    services.submit(obj=activity, actor=world.users["op_a"])
    with pytest.raises(ValidationError):
        services.verify(obj=activity, actor=pusat)  # from "diajukan" no longer
    services.transition(activity, actor=pusat, action="sahkan")
    services.verify(obj=activity, actor=pusat)
    assert Activity.objects.get(pk=activity.pk).review_status == ReviewStatus.VERIFIED
    steps = ReviewEvent.objects.filter(object_id=activity.pk).order_by("at", "pk")
    assert list(steps.values_list("action", "from_status", "to_status")) == [
        ("ajukan", "draf", "diajukan"),
        ("sahkan", "diajukan", APPROVED),
        ("verifikasi", APPROVED, "terverifikasi"),
    ]


def test_an_approved_record_is_locked_for_the_province(client, world, approval):
    activity = world.activity
    services.submit(obj=activity, actor=world.users["op_a"])
    services.transition(activity, actor=world.users["pusat"], action="sahkan")
    assert not Activity.objects.editable_by(world.users["op_a"]).filter(pk=activity.pk).exists()
    client.force_login(world.users["op_a"])
    assert client.get(reverse("programs:activity_update", args=[activity.pk])).status_code == 403
    assert Activity.objects.editable_by(world.users["admin"]).filter(pk=activity.pk).exists()


def test_the_access_matrix_covers_the_new_action(world, approval):
    """Every action of the patched table, the new one included, for every role and record."""
    assert approval.action in workflow.TRANSITIONS
    for step in workflow.TRANSITIONS.values():
        # The activity's cells (a package's VERIFY would start from a state its table cannot hold).
        for target in (t for t in ("activity",) if applies(step, t)):
            for role in SIGNED_IN:
                ReviewEvent.objects.all().delete()
                check_transition(Client(), world, role, step, target)
