"""A month's realisation saved while the same month is being handed over (two tabs, two operators): the save
waits for the handing-over, then is refused with the package's state named — it never slips into a
handed-over package as a draft. A real race on PostgreSQL (a transactional test, a second connection that
hands the month over and holds its transaction open while the page's write is under way)."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from programs import cashplan, packages, services
from programs.models import Realisation, ReportPackage
from tests.factories import make_allocation

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres(reason="row locks of PostgreSQL"),
]


def test_a_realisation_saved_while_its_month_is_handed_over_waits_and_is_refused(operator, colleague):
    allocation = make_allocation("51", 2020)
    package, _created = packages.get_or_start(allocation, "bulanan", 6, actor=operator)
    prepared, box = threading.Event(), {}

    def hand_over_and_hold():
        try:
            with transaction.atomic():
                services.prepare(package=ReportPackage.objects.get(pk=package.pk), actor=colleague)
                prepared.set()
                time.sleep(1.5)  # the other request's save starts meanwhile
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e
        finally:
            connection.close()

    thread = threading.Thread(target=hand_over_and_hold)
    thread.start()
    assert prepared.wait(10)
    with pytest.raises((ValidationError, PermissionDenied)):
        cashplan.save_realisation(
            allocation=allocation, month=6, lines={(None, "52"): 1_000_000}, actor=operator
        )
    thread.join(10)
    assert "error" not in box
    assert not Realisation.objects.filter(allocation=allocation, month=6).exists()
    assert ReportPackage.objects.get(pk=package.pk).review_status == "disiapkan"
