"""A submit that knows what is missing (issue 18): the "Ajukan" button opens a checklist of what the activity
still lacks (programs/checklist.py), warnings let it go ahead, refusals do not, and a POST that skips the
page is refused with the same message."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from programs import checklist, services
from programs.models import ActivityStatus, Attachment, ReviewStatus
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
)

pytestmark = pytest.mark.django_db

NO_PARTICIPANT = "Belum dapat diajukan: kegiatan belum punya peserta."
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def activity():
    return make_activity(make_allocation("51", 2020))


def _url(activity):
    return reverse("programs:activity_transition", args=[activity.pk, "ajukan"])


def _levels(activity):
    return {item.key: item.level for item in checklist.items(activity)}


def _status(activity):
    return type(activity).objects.get(pk=activity.pk).review_status


def test_the_activity_pages_submit_button_opens_the_checklist(operator_client, activity):
    page = operator_client.get(activity.get_absolute_url()).content.decode()
    assert f'href="{_url(activity)}"' in page
    assert f'action="{_url(activity)}"' not in page  # no submit without the checklist


def test_an_activity_without_any_participant_is_refused_on_the_page_and_by_a_direct_post(
    operator_client, operator, activity
):
    response = operator_client.get(_url(activity))
    page = response.content.decode()
    assert response.status_code == 200
    assert NO_PARTICIPANT in page
    assert f'href="{activity.get_absolute_url()}#firms"' in page
    assert f'action="{_url(activity)}"' not in page  # no final button while something refuses
    # A POST that skips the page: refused by the transition itself, with the same message.
    response = operator_client.post(_url(activity), follow=True)
    assert NO_PARTICIPANT in response.content.decode()
    assert _status(activity) == ReviewStatus.DRAFT
    with pytest.raises(ValidationError) as excinfo:
        services.submit(obj=activity, actor=operator)
    assert any(m.startswith(NO_PARTICIPANT) for m in excinfo.value.messages)
    assert _status(activity) == ReviewStatus.DRAFT


@pytest.mark.parametrize("participant", ["firm", "person"])
def test_one_participant_of_either_kind_lets_it_go_ahead_with_warnings(
    operator_client, activity, participant
):
    if participant == "firm":
        make_participation(activity, make_firm("51"))
    else:
        make_participant(activity)
    assert _levels(activity) == {
        "participants": checklist.OK,
        "outputs": checklist.WARNING,  # a training need not produce goods
        "evidence": checklist.WARNING,
        "status": checklist.WARNING,  # planned for mid-2020 and still "rencana"
    }
    page = operator_client.get(_url(activity)).content.decode()
    assert "Belum ada hasil produksi" in page and f"{activity.get_absolute_url()}#outputs" in page
    assert f'action="{_url(activity)}"' in page  # the final button
    response = operator_client.post(_url(activity))
    assert response.status_code == 302
    assert _status(activity) == ReviewStatus.SUBMITTED


def test_a_handover_without_its_bast_file_is_a_warning_counted_until_the_file_is_there(operator, activity):
    participation = make_participation(activity, make_firm("51"))
    output = make_output(participation, quantity=300)
    first, second = make_handover(output, quantity=100), make_handover(output, quantity=200)
    items = {item.key: item for item in checklist.items(activity)}
    assert items["handover_evidence"].level == checklist.WARNING
    assert "2 dari 2 penyerahan" in items["handover_evidence"].message
    assert items["handover_evidence"].link.endswith("#attachments")
    assert items["outputs"].level == checklist.OK
    for handover in (first, second):
        from django.core.files.base import ContentFile

        Attachment.objects.create(
            activity=activity,
            handover=handover,
            kind="bast",
            file=ContentFile(PDF, name="bast.pdf"),
            original_name="bast.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=operator,
        )
    assert _levels(activity)["handover_evidence"] == checklist.OK
    assert _levels(activity)["evidence"] == checklist.WARNING  # files of handovers are not the activity's


def test_a_done_activity_needs_its_actual_dates_and_is_asked_for_its_actual_participants(activity):
    make_participant(activity)
    # The database keeps a done activity from lacking its dates (activity_done_has_actual_dates); the
    # checklist says it of the record as it would be.
    activity.status = ActivityStatus.DONE
    activity.actual_start, activity.actual_end = datetime.date(2020, 6, 15), None
    levels = _levels(activity)
    assert levels["actual_dates"] == checklist.REFUSAL
    assert levels["actual_participants"] == checklist.WARNING
    activity.actual_end, activity.actual_participants = datetime.date(2020, 6, 20), 18
    levels = _levels(activity)
    assert levels["actual_dates"] == checklist.OK and "actual_participants" not in levels


def test_a_cancelled_activity_may_be_submitted_without_participants_nor_outputs(operator, activity):
    activity.status, activity.status_reason = ActivityStatus.CANCELLED, "Kebijakan PSBB"
    activity.save()
    assert _levels(activity) == {"participants": checklist.OK}
    services.submit(obj=activity, actor=operator)
    assert _status(activity) == ReviewStatus.SUBMITTED


def test_a_planned_activity_past_its_end_is_asked_to_update_its_status(activity):
    make_participant(activity)
    assert _levels(activity)["status"] == checklist.WARNING  # planned for mid-2020, still "rencana"


def test_the_checklist_page_is_only_for_who_may_submit(client, operator_b, pusat, activity):
    client.force_login(operator_b)
    assert client.get(_url(activity)).status_code == 404
    client.force_login(pusat)
    assert client.get(_url(activity)).status_code == 403
    assert (
        client.get(reverse("programs:activity_transition", args=[activity.pk, "verifikasi"])).status_code
        == 404
    )


def test_a_submitted_activity_shows_its_checklist_without_the_button(operator_client, operator, activity):
    make_participant(activity)
    services.submit(obj=activity, actor=operator)
    page = operator_client.get(_url(activity)).content.decode()
    assert 'id="checklist-state"' in page and f'action="{_url(activity)}"' not in page


def test_the_checklist_page_runs_11_queries_for_one_or_many_firms_outputs_and_handovers(
    operator_client, django_assert_num_queries
):
    allocation = make_allocation("51", 2020)
    small, large = make_activity(allocation), make_activity(allocation)
    for activity, n in ((small, 1), (large, 6)):
        for _ in range(n):
            output = make_output(make_participation(activity, make_firm("51")), quantity=100)
            make_handover(output, quantity=10)
            make_participant(activity)
    operator_client.get(_url(small))  # the session's first read aside
    for activity in (small, large):
        # the session, the user, the user's roles, the activity (with its allocation, province, regency and
        # RO), whether its year is closed (may the operator still take it), the checklist's figures (one
        # query of subqueries), the navbar's unread notices and the user's province (the session is not
        # written again: it was, less than a minute ago)
        with django_assert_num_queries(8):
            assert operator_client.get(_url(activity)).status_code == 200
