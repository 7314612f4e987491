"""The activity page costs the same, small number of queries however many firms, outputs, handovers and
individual participants the activity holds (issue 19: a fixed number, asserted with the queries named), for
its operator (who edits it) and for the ministry (who verifies it). Its figures are checked against the
records elsewhere (tests/test_figures_exact.py); here its cost.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import services
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_partner,
)

pytestmark = pytest.mark.django_db

# The operator's page (the activity editable): 1. the session, 2. the user, 3. the user's groups (roles),
# 4. the activity among those the user may see (province, allocation, regency and RO joined), 5. whether it
# is among those the user may edit (one EXISTS), 6. its participations (firm and regency joined), 7. its
# outputs (firm and buyer joined), 8. their handovers (recipient joined; one query for every output),
# 9. the firms already taking part (the firm forms leave them out), 10. the province (a form's regency
# list), 11. the individual participants (the firm each founded joined), 12. the closed fiscal years (once:
# the lock, the actions, the review panel), 13. the partners, 14. the evidence files, 15. the unread notices
# (the bell), 16. the province again (another form's regencies), 17-21. the choice lists of the folded forms
# (regencies, firms, participations, partners, handovers), 22. the review events. The session is not
# written again (it was, less than a minute ago). The output and handover grids are not among them: they
# load when opened (output_bulk's and handover_bulk's GET).
OPERATOR_QUERIES = 22
# The ministry's page (the activity submitted: read-only, with its review panel): 1. the session, 2. the
# user, 3. the user's second factor, 4. the user's groups, 5. the activity, 6. its participations, 7. its
# outputs, 8. their handovers, 9. the individual participants, 10. the closed fiscal years, 11. the
# partners, 12-13. the partners' and the firms' versions at the submission (the locked activity shows them
# as they were: one query per model, programs/reports/as_verified.py), 14. the evidence files, 15. the
# unread notices, 16. the review events (the session is not written again).
MINISTRY_QUERIES = 16


def _activity(allocation, outputs, *, submitted_by=None):
    """An activity with `outputs` outputs over two firms, a handover of each, as many individual
    participants, and a partner."""
    activity = make_activity(allocation)
    activity.partners.add(make_partner("51"))
    participations = [make_participation(activity, make_firm("51", "51.06")) for _ in range(2)]
    for n in range(outputs):
        output = make_output(participations[n % 2], quantity=500 + n)
        make_handover(output, quantity=100)
        make_participant(activity)
    if submitted_by is not None:
        services.submit(obj=activity, actor=submitted_by)
    return activity


def _queries(client, activity):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("programs:activity_detail", args=[activity.pk]))
    assert response.status_code == 200
    return len(queries), response


def test_the_operators_activity_page_runs_22_queries_for_2_or_10_outputs(client, operator):
    allocation = make_allocation("51", 2020)
    small, large = _activity(allocation, 2), _activity(allocation, 10)
    client.force_login(operator)
    client.get(reverse("programs:activity_detail", args=[small.pk]))  # content types, the session
    (n_small, r_small), (n_large, r_large) = _queries(client, small), _queries(client, large)
    assert len(r_small.context["outputs"]) == 2 and len(r_large.context["outputs"]) == 10
    assert r_small.context["editable"] and r_large.context["editable"]
    assert (n_small, n_large) == (OPERATOR_QUERIES, OPERATOR_QUERIES)


def test_the_ministrys_activity_page_runs_16_queries_for_2_or_10_outputs(client, operator, pusat):
    allocation = make_allocation("51", 2020)
    small = _activity(allocation, 2, submitted_by=operator)
    large = _activity(allocation, 10, submitted_by=operator)
    client.force_login(pusat)
    client.get(reverse("programs:activity_detail", args=[small.pk]))
    (n_small, r_small), (n_large, r_large) = _queries(client, small), _queries(client, large)
    assert r_small.context["reviewer"] and r_large.context["review_actions"]
    assert not r_large.context["editable"] and len(r_large.context["outputs"]) == 10
    assert (n_small, n_large) == (MINISTRY_QUERIES, MINISTRY_QUERIES)
