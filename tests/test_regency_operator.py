"""A regency/city operator (issue 16): op-63.71 of Kota Banjarmasin, in Kalimantan Selatan (63), sees and
enters their city's activities only, on every path — list, detail, create, edit, parts, import, exports,
attachments, history, the admin — reads the province's other data, adds firms and partners, and enters
none of the province's periodic reports."""

import io
import json

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from programs.imports import ACTIVITY_FIRMS, ACTIVITY_PEOPLE
from programs.models import (
    Activity,
    Attachment,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    QuarterlyNote,
    Realisation,
)
from provinces.models import Province, Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_realisation,
    with_staff_status,
)

pytestmark = pytest.mark.django_db

MINE, OTHER, PROVINCE_WIDE = (
    "Pelatihan sasirangan Banjarmasin",
    "Pelatihan Banjarbaru",
    "Bimtek Dinas Provinsi",
)


@pytest.fixture
def city():
    return Regency.objects.get(code="63.71")


@pytest.fixture
def neighbour():
    return Regency.objects.get(code="63.72")


@pytest.fixture
def b(db, city, neighbour, regency_operator):
    """Province B's 2020: an activity of Banjarmasin (the operator's), one of Banjarbaru, one of the
    province's own office (no regency), each with a firm, an output, a handover, a participant and a
    BAST file."""
    allocation = make_allocation("63", 2020)
    activities = {
        MINE: make_activity(allocation, title=MINE, regency=city),
        OTHER: make_activity(allocation, title=OTHER, regency=neighbour),
        PROVINCE_WIDE: make_activity(allocation, title=PROVINCE_WIDE),
    }
    parts = {}
    for title, activity in activities.items():
        regency = activity.regency or city
        firm = make_firm("63", regency, name=f"IKM mitra nomor {len(parts) + 1}")
        participation = make_participation(activity, firm)
        output = make_output(participation, quantity=50)
        handover = make_handover(output, quantity=5)
        attachment = Attachment(
            activity=activity,
            handover=handover,
            kind="bast",
            original_name="bast.pdf",
            uploaded_by=regency_operator,
            file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="bast.pdf"),
        )
        attachment.full_clean()
        attachment.save()
        parts[title] = {
            "firm": firm,
            "participation": participation,
            "output": output,
            "handover": handover,
            "participant": make_participant(activity, name=f"Peserta {title}"),
            "attachment": attachment,
        }
    return allocation, activities, parts


def _text(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


def test_the_list_and_every_export_hold_only_their_citys_activities(regency_operator_client, b):
    url = reverse("programs:activity_list")
    html = regency_operator_client.get(url).content.decode()
    assert MINE in html and OTHER not in html and PROVINCE_WIDE not in html
    csv_text = _text(regency_operator_client.get(url, {"format": "csv"}))
    assert MINE in csv_text and OTHER not in csv_text and PROVINCE_WIDE not in csv_text
    rows = json.loads(_text(regency_operator_client.get(url, {"format": "json"})))["rows"]
    assert [row["title"] for row in rows] == [MINE]
    response = regency_operator_client.get(url, {"format": "xlsx"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = {str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert MINE in cells and OTHER not in cells and PROVINCE_WIDE not in cells


@pytest.mark.parametrize("title", [OTHER, PROVINCE_WIDE])
def test_another_regencys_or_the_provinces_activity_is_as_if_it_did_not_exist(
    regency_operator_client, b, title
):
    _allocation, activities, parts = b
    activity, part = activities[title], parts[title]
    client = regency_operator_client
    gets = [
        reverse("programs:activity_detail", args=[activity.pk]),
        reverse("programs:activity_update", args=[activity.pk]),
        reverse("programs:activity_history", args=[activity.pk]),
        reverse("programs:history", args=["kegiatan", activity.pk]),
        reverse("programs:history", args=["peserta", part["participant"].pk]),
        reverse("programs:history", args=["hasil", part["output"].pk]),
        reverse("programs:participant_edit", args=[part["participant"].pk]),
        reverse("programs:output_edit", args=[part["output"].pk]),
        reverse("programs:handover_edit", args=[part["handover"].pk]),
        reverse("programs:attachment_download", args=[part["attachment"].pk]),
        reverse("programs:participant_import", args=[activity.pk]),
        reverse("programs:participant_import_template", args=[activity.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("programs:activity_transition", args=[activity.pk, "ajukan"]), {}),
        (reverse("programs:participant_add", args=[activity.pk]), {"name": "Palsu", "sex": "L"}),
        (reverse("programs:participant_delete", args=[part["participant"].pk]), {}),
        (reverse("programs:attachment_delete", args=[part["attachment"].pk]), {}),
        (reverse("programs:activity_delete", args=[activity.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert Activity.objects.filter(pk=activity.pk, review_status="draf").exists()
    assert Participant.objects.filter(activity=activity).count() == 1
    assert Attachment.objects.filter(activity=activity).count() == 1


def test_their_own_activity_opens_and_is_theirs_to_change(regency_operator_client, regency_operator, b, city):
    _allocation, activities, parts = b
    activity, part = activities[MINE], parts[MINE]
    client = regency_operator_client
    for url in (
        reverse("programs:activity_detail", args=[activity.pk]),
        reverse("programs:activity_update", args=[activity.pk]),
        reverse("programs:history", args=["kegiatan", activity.pk]),
        reverse("programs:participant_edit", args=[part["participant"].pk]),
        reverse("programs:participant_import", args=[activity.pk]),
    ):
        assert client.get(url).status_code == 200, url
    download = client.get(reverse("programs:attachment_download", args=[part["attachment"].pk]))
    assert download.status_code == 200
    response = client.post(
        reverse("programs:participant_add", args=[activity.pk]), {"name": "Siti", "sex": "P"}
    )
    assert response.status_code == 302
    added = Participant.objects.get(activity=activity, name="Siti")
    assert added.history.get().history_user == regency_operator
    assert (
        client.post(reverse("programs:activity_transition", args=[activity.pk, "ajukan"])).status_code == 302
    )
    assert Activity.objects.get(pk=activity.pk).review_status == "diajukan"


def _activity_post(allocation, regency, **changes):
    return {
        "allocation": allocation.pk,
        "title": "Bimtek batik sasirangan",
        "kind": "bimtek",
        "purpose": "pengembangan",
        "sector": "sandang",
        "covid_response": "on",
        "regency": regency.pk,
        "mode": "kombinasi",
        "planned_start": "15/06/2020",
        "planned_end": "17/07/2020",
        "status": "rencana",
        "budget": "Rp 1.250.000",
        "target_participants": "20",
        **changes,
    }


def test_a_new_activity_is_of_their_city_only(regency_operator_client, regency_operator, b, city, neighbour):
    allocation, _activities, _parts = b
    url = reverse("programs:activity_create")
    form = regency_operator_client.get(url).context["form"]
    assert list(form.fields["regency"].queryset) == [city]
    before = Activity.objects.count()
    for forged in (neighbour, Regency.objects.get(code="51.06")):
        response = regency_operator_client.post(url, _activity_post(allocation, forged))
        assert response.status_code == 200
        assert "regency" in response.context["form"].errors
    # a province-wide activity (no regency) is not theirs to create either
    response = regency_operator_client.post(url, _activity_post(allocation, city) | {"regency": ""})
    assert response.status_code == 200
    assert "regency" in response.context["form"].errors
    assert Activity.objects.count() == before
    response = regency_operator_client.post(url, _activity_post(allocation, city))
    assert response.status_code == 302
    created = Activity.objects.get(title="Bimtek batik sasirangan")
    assert (created.regency, created.province.code) == (city, "63")
    assert created.history.get().history_user == regency_operator
    # and another province's allocation: refused
    other = make_allocation("51", 2020)
    response = regency_operator_client.post(url, _activity_post(other, city, title="Palsu"))
    assert response.status_code == 200
    assert not Activity.objects.filter(title="Palsu").exists()


def _xlsx(headers, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "peserta.xlsx"
    return buffer


def test_participants_are_imported_into_their_activity_firms_of_their_city_only(regency_operator_client, b):
    _allocation, activities, _parts = b
    activity = activities[MINE]
    url = reverse("programs:participant_import", args=[activity.pk])
    people = _xlsx(["Nama", "NIK", "Jenis kelamin"], [["Aluh Sari", "6371014101900001", "Perempuan"]])
    response = regency_operator_client.post(url, {"aksi": "unggah", "file": people, "kind": ACTIVITY_PEOPLE})
    assert response.status_code == 302
    token = response["Location"].split("pratinjau=")[1]
    saved = regency_operator_client.post(url, {"aksi": "simpan", "token": token})
    assert saved.status_code == 302
    assert Participant.objects.filter(activity=activity, name="Aluh Sari").exists()

    headers = ["NIB", "Nama IKM", "Sektor", "Skala usaha", "Kabupaten/kota"]
    firms = _xlsx(
        headers, [["6371000000999", "IKM Banjarbaru Jaya", "Sandang (garmen/tekstil)", "Mikro", "63.72"]]
    )
    response = regency_operator_client.post(
        url, {"aksi": "unggah", "file": firms, "kind": ACTIVITY_FIRMS}, follow=True
    )
    assert "hanya dapat mendaftarkan IKM di kabupaten/kota Anda sendiri" in response.content.decode()
    assert not Firm.objects.filter(nib="6371000000999").exists()


def test_they_read_the_provinces_data_and_enter_none_of_its_reports(regency_operator_client, b):
    allocation, _activities, parts = b
    client = regency_operator_client
    june = make_realisation(allocation, 6, 1_000_000)
    for url in (
        reverse("programs:budget", args=[allocation.pk]),
        reverse("programs:cash_plan", args=[allocation.pk]),
        reverse("programs:firm_detail", args=[parts[OTHER]["firm"].pk]),
        reverse("programs:firm_list"),
        reverse("programs:partner_list"),
        reverse("reports:province", args=["63"]) + "?tahun=2020",
    ):
        assert client.get(url).status_code == 200, url
    # a firm's page lists only the activities they see
    html = client.get(reverse("programs:firm_detail", args=[parts[OTHER]["firm"].pk])).content.decode()
    assert OTHER not in html
    refused = [
        client.get(reverse("programs:realisation_edit", args=[june.pk])),
        client.post(
            reverse("programs:realisation_add", args=[allocation.pk]), {"month": 7, "amount_52": "1"}
        ),
        client.get(reverse("programs:cash_plan_edit", args=[allocation.pk])),
        client.post(
            reverse("reports:quarterly_note", kwargs={"code": "63", "quarter": 2}) + "?tahun=2020",
            {"problems": "x", "follow_up": "", "physical_progress": ""},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert list(Realisation.objects.values_list("month", flat=True)) == [6]
    assert not QuarterlyNote.objects.exists()


def test_they_add_firms_and_partners_of_their_city_and_change_only_those(
    regency_operator_client, b, city, neighbour
):
    _allocation, _activities, parts = b
    client = regency_operator_client
    kalsel = Province.objects.get(code="63")
    data = {"province": kalsel.pk, "regency": city.pk, "name": "IKM Sasirangan Baru", "sector": "sandang"}
    assert client.post(reverse("programs:firm_create"), {**data, "scale": "mikro"}).status_code == 302
    assert Firm.objects.get(name="IKM Sasirangan Baru").regency == city
    forged = {**data, "regency": neighbour.pk, "name": "IKM Palsu", "scale": "mikro"}
    assert client.post(reverse("programs:firm_create"), forged).status_code == 200
    assert not Firm.objects.filter(name="IKM Palsu").exists()
    # a firm of Banjarbaru: read, not changed
    theirs, others = parts[MINE]["firm"], parts[OTHER]["firm"]
    assert client.get(reverse("programs:firm_update", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("programs:firm_update", args=[others.pk])).status_code == 403
    response = client.post(
        reverse("programs:partner_create"),
        {
            "province": kalsel.pk,
            "regency": city.pk,
            "name": "Dinas Perindustrian Kota Banjarmasin",
            "kind": "dinas_kabkota",
        },
    )
    assert response.status_code == 302
    assert Partner.objects.get(name="Dinas Perindustrian Kota Banjarmasin").regency == city


def test_they_pick_the_provinces_firms_and_partners_for_their_activity(regency_operator_client, b):
    _allocation, activities, parts = b
    activity = activities[MINE]
    others = parts[OTHER]["firm"]  # a Banjarbaru firm joins a Banjarmasin activity
    url = reverse("programs:participation_add", args=[activity.pk])
    assert regency_operator_client.post(url, {"firm": others.pk}).status_code == 302
    assert activity.participations.filter(firm=others).exists()
    province_partner = Partner.objects.create(
        province=activity.province, name="Gugus Tugas Provinsi", kind="gugus_tugas"
    )
    form = regency_operator_client.get(reverse("programs:activity_update", args=[activity.pk])).context[
        "form"
    ]
    assert province_partner in form.fields["partners"].queryset
    # but not another province's firm
    stranger = make_firm("51", "51.06")
    regency_operator_client.post(url, {"firm": stranger.pk})
    assert not activity.participations.filter(firm=stranger).exists()


def test_the_history_of_a_deleted_activity_of_another_regency_stays_hidden(regency_operator_client, b):
    _allocation, activities, _parts = b
    for title in (MINE, OTHER):
        activity = activities[title]
        for model in (Attachment, Handover, Output, Participation):
            for row in model.objects.filter(activity=activity):
                row.delete()
        Activity.objects.get(pk=activity.pk).delete()
    url = reverse("programs:history", args=["kegiatan", activities[MINE].pk])
    assert regency_operator_client.get(url).status_code == 200
    url = reverse("programs:history", args=["kegiatan", activities[OTHER].pk])
    assert regency_operator_client.get(url).status_code == 404


def test_the_admin_is_not_theirs(client, regency_operator):
    with_staff_status(regency_operator)
    client.force_login(regency_operator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response.url
    response = client.get(reverse("admin:programs_activity_changelist"))
    assert response.status_code == 302


def test_the_recap_and_the_covid_report_add_up_only_their_citys_activities(
    regency_operator_client, pusat_client, b
):
    """The province's kept totals (the tallies) hold every regency's activities: a regency's operator gets
    the figures of their own activities, added up from the records, never the province's."""
    _allocation, activities, parts = b
    mine = activities[MINE]
    for client, titles in ((regency_operator_client, [MINE]), (pusat_client, [MINE, OTHER, PROVINCE_WIDE])):
        data = json.loads(_text(client.get(reverse("reports:national"), {"tahun": "2020", "format": "json"})))
        (row,) = [r for r in data["rows"] if r["province_code"] == "63"]
        assert row["activities"] == len(titles)
        expected_budget = sum(activities[t].budget for t in titles)
        assert int(row["activity_budget"]) == expected_budget
        assert row["participants"] == len(titles)  # one participant each
    assert mine.regency.code == "63.71"
    for client, titles in ((regency_operator_client, [MINE]), (pusat_client, [MINE, OTHER, PROVINCE_WIDE])):
        covid = json.loads(_text(client.get(reverse("reports:covid"), {"tahun": "2020", "format": "json"})))
        totals = covid["totals"]
        assert totals["produced"] == sum(parts[t]["output"].quantity for t in titles)
        assert totals["handed_over"] == sum(parts[t]["handover"].quantity for t in titles)
