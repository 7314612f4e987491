"""Figures that must be exact wherever they are shown: the review queue's per-activity figures (never
multiplied by joining two to-many tables) and absorption (one formula, one rounding rule, on the budget
card, its monthly rows, the home page, the allocation list and every report)."""

import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import services
from programs.models import Output, Participation
from tests.factories import (
    hand_over,
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participant,
    make_participation,
    make_realisation,
)

pytestmark = pytest.mark.django_db


def _json(response):
    assert response.status_code == 200
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


def _cell(html, element_id):
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, element_id
    return match.group(1).strip()


def _submitted_activity(allocation, operator, firms=3, outputs_per_firm=2, people=4):
    """An activity with several participations, several outputs each, and individual participants."""
    activity = make_activity(allocation)
    for f in range(firms):
        participation = make_participation(activity, make_firm(allocation.province, "63.71"))
        for o in range(outputs_per_firm):
            make_output(participation, quantity=1000 * (f + 1) + 350 * o + 7)
    for _ in range(people):
        make_participant(activity)
    services.submit(obj=activity, actor=operator)
    return activity


def test_the_queue_shows_the_figures_of_the_activity_page_for_several_outputs_and_participations(
    client, pusat, operator_b
):
    allocation = make_allocation("63", 2020)
    activity = _submitted_activity(allocation, operator_b)
    # Independently of any report code: the records, one by one.
    produced = sum(o.quantity for o in Output.objects.filter(activity=activity))
    firms = len({p.firm_id for p in Participation.objects.filter(activity=activity)})
    assert (produced, firms) == (2 * (1007 + 2007 + 3007) + 3 * 350, 3)
    client.force_login(pusat)

    queue = client.get(reverse("programs:review_queue")).content.decode()
    page = client.get(reverse("programs:activity_detail", args=[activity.pk])).content.decode()

    assert _cell(queue, f"queue-produced-{activity.pk}") == f"{produced:,}".replace(",", ".")
    assert _cell(queue, f"queue-firms-{activity.pk}") == str(firms)
    assert _cell(page, "produced") == _cell(queue, f"queue-produced-{activity.pk}")
    assert _cell(page, "firm-count") == _cell(queue, f"queue-firms-{activity.pk}")


def test_the_queue_uses_the_same_number_of_queries_for_one_or_five_activities(
    client, pusat, operator_b, kadis_b
):
    allocation = make_allocation("63", 2020)
    _submitted_activity(allocation, operator_b, firms=1, outputs_per_firm=1, people=0)
    client.force_login(pusat)
    url = reverse("programs:review_queue")
    client.get(url)  # warm caches (content types, sessions)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    for _ in range(4):
        _submitted_activity(allocation, operator_b, firms=2, outputs_per_firm=2, people=1)
    for month in range(1, 6):
        make_realisation(allocation, month=month)
        hand_over(allocation, month, operator=operator_b, head=kadis_b)
    assert count() == one


def test_the_queue_runs_13_queries_for_ministry_staff(
    client, pusat, operator_b, kadis_b, django_assert_num_queries
):
    allocation = make_allocation("63", 2020)
    _submitted_activity(allocation, operator_b, firms=2, outputs_per_firm=1, people=1)
    make_realisation(allocation, month=6)
    hand_over(allocation, 6, operator=operator_b, head=kadis_b)
    client.force_login(pusat)
    # 1. the session
    # 2. the user
    # 3. the user's authenticator (the second factor the session was verified with)
    # 4. the user's groups (roles)
    # 5. the closed fiscal years (once: which workflow actions each row may offer)
    # 6. the submitted activities counted, for the pager
    # 7. the page of submitted activities, province joined
    # 8. the distinct firms of each activity on the page (one grouped query) ...
    # 9. ... their individual participants ...
    # 10. ... their outputs produced and ordered ...
    # 11. ... and handed over
    # 12. the packages the Kepala Dinas approved (a month's realisation and achievements, a quarter's
    #     report), allocation, province, who prepared and who approved joined
    # 13. the user's unread notices, counted (the bell in the navigation bar)
    # (the session is not written again: it was, less than a minute ago)
    with django_assert_num_queries(13):
        response = client.get(reverse("programs:review_queue"))
    assert len(response.context["activities"]) == len(response.context["packages"]) == 1


# --- Absorption ----------------------------------------------------------------------------------------

# 227.850.000 of 1.000.000.000 is 22,785 %: rounded half up to two decimals, 22,79 % — the card once showed
# 22,8 % (two decimals then one), its row 23,0 % (a whole number shown with one), the reports 22,78 %
# (half to even).
PAGU = Decimal("1000000000")
MONTHS = {3: Decimal("100000000"), 6: Decimal("127850000")}
SHOWN = "22,79 %"


@pytest.fixture
def realised():
    allocation = make_allocation("63", 2020, pagu=PAGU)
    for month, amount in MONTHS.items():
        make_realisation(allocation, month=month, amount=amount)
    assert sum(MONTHS.values()) * 100 / PAGU == Decimal("22.785")
    return allocation


def test_the_budget_card_its_row_and_the_reports_show_one_absorption(client, operator_b, realised):
    client.force_login(operator_b)
    budget = client.get(reverse("programs:budget", args=[realised.pk])).content.decode()
    assert _cell(budget, "absorption") == SHOWN
    june = re.search(r"<td>Juni</td>(.*?)</tr>", budget, re.S).group(1)
    assert SHOWN in june
    home = client.get(reverse("home")).content.decode()
    assert _cell(home, "absorption") == SHOWN
    assert SHOWN in client.get(reverse("programs:allocation_list")).content.decode()

    province = client.get(reverse("reports:province", args=["63"]), {"tahun": 2020}).content.decode()
    assert _cell(province, "province-absorption") == SHOWN
    quarterly = client.get(
        reverse("reports:quarterly", kwargs={"code": "63", "quarter": 2}), {"tahun": 2020}
    ).content.decode()
    assert _cell(quarterly, "quarter-absorption") == SHOWN

    recap = _json(client.get(reverse("reports:national"), {"tahun": 2020, "format": "json"}))
    assert recap["rows"][0]["absorption_pct"] == 22.79
    assert recap["totals"]["absorption_pct"] == 22.79
    realised.refresh_from_db()
    assert realised.absorption == Decimal("22.79")


def test_the_activity_list_export_counts_a_firm_in_two_activities_once_in_its_total(client, operator):
    allocation = make_allocation("51", 2020)
    shared, other = make_firm("51", "51.06"), make_firm("51", "51.06")
    first, second = make_activity(allocation), make_activity(allocation)
    make_participation(first, shared), make_participation(second, shared), make_participation(second, other)
    client.force_login(operator)
    data = _json(client.get(reverse("programs:activity_list"), {"tahun": 2020, "format": "json"}))
    assert sorted(r["firm_count"] for r in data["rows"]) == [1, 2]
    distinct = len({p.firm_id for p in Participation.objects.filter(activity__allocation=allocation)})
    assert data["totals"]["firm_count"] == distinct == 2
