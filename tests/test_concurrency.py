"""Two requests at the same moment: the same new firm registered from two tabs, the same import confirmed
twice, two imports of one new firm. Real races on PostgreSQL (transactional tests, a second connection
holding a row or a lock until the page's own write is under way): no 500, the second gets a clear
Indonesian message, the database's constraint name is never shown, and exactly one copy is written.
"""

import copy
import io
import threading
import time

import openpyxl
import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from programs.imports import views as import_views
from programs.models import Firm, Participation
from provinces.models import Province, Regency
from tests.factories import make_activity, make_allocation

pytestmark = [
    # serialized_rollback: the geography and roles are back for the tests that run after these.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres(reason="row locks and COPY of PostgreSQL"),
]

NIB = "9120000000777"


def _in_a_thread(target):
    """Run target in a thread with its own database connection, closed at the end; returns (thread, box)
    where box holds the result or the exception."""
    box = {}

    def run():
        try:
            box["result"] = target()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def _firm_post(province, regency, **changes):
    return {
        "province": province.pk,
        "regency": regency.pk,
        "name": "IKM Tenun Bangli",
        "nib": NIB,
        "sector": "sandang",
        "scale": "mikro",
        "note": "",
        **changes,
    }


@pytest.mark.parametrize("page", ["firm_create", "participation_new_firm"])
def test_the_same_new_firm_registered_from_two_tabs_at_once(page, operator):
    bali = Province.objects.get(code="51")
    bangli = Regency.objects.get(code="51.06")
    activity = make_activity(make_allocation("51", 2020))
    url = (
        reverse("programs:firm_create")
        if page == "firm_create"
        else reverse("programs:participation_new_firm", args=[activity.pk])
    )
    client = Client()
    client.force_login(operator)
    written = threading.Event()

    def other_tab():
        # The first tab's save: written, not yet committed while this tab's form checks the NIB (it sees
        # no such firm) and its INSERT waits on the unique index; committed a moment later.
        with transaction.atomic():
            Firm.objects.create(
                province=bali, regency=bangli, name="IKM Tenun Bangli", nib=NIB, sector="sandang"
            )
            written.set()
            time.sleep(1.5)

    thread, box = _in_a_thread(other_tab)
    assert written.wait(10), box
    response = client.post(url, _firm_post(bali, bangli))
    thread.join()
    assert "error" not in box
    html = response.content.decode()
    assert response.status_code == 200
    assert f"NIB {NIB} sudah terdaftar untuk IKM lain." in html  # beside the NIB field
    assert "firm_nib_unique_when_given" not in html
    assert Firm.objects.filter(nib=NIB).count() == 1
    assert not Participation.objects.exists()


def _xlsx(*nibs):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["NIB", "Nama IKM", "Sektor", "Kabupaten/kota"])
    for n, nib in enumerate(nibs, 1):
        sheet.append([nib, f"Konveksi Sari {n}", "Sandang (garmen/tekstil)", "51.06"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "ikm.xlsx"
    return buffer


def _upload(client, source):
    response = client.post(reverse("programs:firm_import"), {"aksi": "unggah", "file": source})
    assert response.status_code == 302, response.content.decode()[:1000]
    return response["Location"].split("pratinjau=")[1]


def _twin(client):
    """A second tab of the same browser: the same session."""
    twin = Client()
    twin.cookies = copy.deepcopy(client.cookies)  # its own jar: each tab gets its own messages
    return twin


def _hold_the_firm_table(seconds):
    """Another transaction that keeps every INSERT into the firms waiting for `seconds` (reads go on), so
    that both requests are under way before either writes."""
    locked = threading.Event()

    def hold():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Firm._meta.db_table} IN SHARE MODE")
            locked.set()
            time.sleep(seconds)

    thread, _box = _in_a_thread(hold)
    assert locked.wait(10)
    return thread


def _confirm(client, token):
    return lambda: client.post(reverse("programs:firm_import"), {"aksi": "simpan", "token": token})


def test_the_same_import_confirmed_twice_at_once_is_imported_once(operator):
    first = Client()
    first.force_login(operator)
    token = _upload(first, _xlsx("9120000000001", "9120000000002"))
    second = _twin(first)
    holder = _hold_the_firm_table(1.5)
    runs = [_in_a_thread(_confirm(client, token)) for client in (first, second)]
    for thread, _box in runs:
        thread.join()
    holder.join()
    assert [box.get("error") for _thread, box in runs] == [None, None]
    responses = [box["result"] for _thread, box in runs]
    assert [r.status_code for r in responses] == [302, 302]
    assert Firm.objects.count() == 2
    pages = [
        client.get(r["Location"]).content.decode()
        for client, r in zip((first, second), responses, strict=True)
    ]
    assert sum("Impor selesai." in page for page in pages) == 1
    assert sum("Impor ini sudah dikonfirmasi dan sedang atau sudah diproses" in page for page in pages) == 1
    assert not list((import_views._directory()).glob(f"{token}.*"))


def test_two_imports_of_the_same_new_firm_at_once_write_it_once(operator, colleague):
    clients = [Client(), Client()]
    for client, user in zip(clients, (operator, colleague), strict=True):
        client.force_login(user)
    tokens = [_upload(client, _xlsx(NIB)) for client in clients]
    holder = _hold_the_firm_table(1.5)
    runs = [_in_a_thread(_confirm(client, token)) for client, token in zip(clients, tokens, strict=True)]
    for thread, _box in runs:
        thread.join()
    holder.join()
    assert [box.get("error") for _thread, box in runs] == [None, None]
    responses = sorted((box["result"] for _thread, box in runs), key=lambda r: r.status_code)
    assert [r.status_code for r in responses] == [302, 400]
    html = responses[1].content.decode()
    assert "Data bertabrakan dengan perubahan lain yang baru saja disimpan; tidak ada yang disimpan." in html
    assert "UniqueViolation" not in html and "firm_nib_unique_when_given" not in html
    assert Firm.objects.filter(nib=NIB).count() == 1
