"""What a visitor sees when something goes wrong: readable pages for 400, 403, 404 and 500 in Bahasa
Indonesia (English under the English interface) in the app's look; input the database cannot hold (a NUL
byte) refused with 400 wherever it comes in, never a 500.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from ikm_dekon import urls as root_urls
from programs.models import Firm
from tests.factories import (
    PASSWORD,
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participation,
)

pytestmark = pytest.mark.django_db

LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def _back_to_indonesian_after_each_test():
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def allocation():
    return make_allocation("51", 2020)


@pytest.fixture
def lenient_client():
    """A client that gets the 500 page as a browser would, instead of the exception."""
    return Client(raise_request_exception=False)


def _in_the_apps_look(html):
    return 'class="navbar' in html and "css/app.css" in html and "bootstrap.min.css" in html


# --- The four error pages ----------------------------------------------------------------------------------


def test_the_error_handlers_are_ours():
    for code in (400, 403, 404, 500):
        assert getattr(root_urls, f"handler{code}").startswith("ikm_dekon.errors."), code


def test_an_unknown_address_gets_the_indonesian_404_page(operator_client):
    response = operator_client.get("/tidak-ada-halaman-ini/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in html and "di luar wilayah yang boleh Anda buka" in html
    assert f'href="{reverse("home")}"' in html  # where to go
    assert _in_the_apps_look(html)
    assert "Not Found" not in html


def test_another_provinces_record_gets_the_same_404_page(operator_client):
    foreign = make_activity(make_allocation("63", 2020))
    response = operator_client.get(reverse("programs:activity_detail", args=[foreign.pk]))
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()


def test_a_refused_action_gets_the_indonesian_403_page_with_its_reason(operator_client, allocation):
    assert operator_client.get(reverse("programs:review_queue")).status_code == 403
    html = operator_client.get(reverse("programs:review_queue")).content.decode()
    assert "Akses ditolak" in html and "Forbidden" not in html
    assert _in_the_apps_look(html)
    activity = make_activity(allocation, review_status="diajukan")
    response = operator_client.get(reverse("programs:activity_update", args=[activity.pk]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Kegiatan ini sedang diverifikasi, sudah diverifikasi, atau tahun anggarannya ditutup." in html


def test_a_form_without_its_csrf_token_gets_an_indonesian_page():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "Formulir tidak dapat diterima" in html and "Muat ulang halaman formulirnya" in html
    assert "CSRF verification failed" not in html and "Forbidden" not in html


def test_a_bad_request_gets_the_indonesian_400_page(client):
    response = client.get("/kegiatan/?q=a%00b")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Permintaan tidak dapat diproses" in html and "Tidak ada yang disimpan" in html
    assert _in_the_apps_look(html)
    assert "Bad Request" not in html


@pytest.mark.urls("tests.crash_urls")
def test_a_failure_gets_the_indonesian_500_page(lenient_client, operator):
    lenient_client.force_login(operator)
    response = lenient_client.get("/uji/gagal/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Terjadi kesalahan pada server" in html and "hubungi admin" in html
    assert f'href="{reverse("home")}"' in html
    assert _in_the_apps_look(html)
    assert "Server Error" not in html


def test_the_500_page_needs_neither_the_database_nor_the_user(django_assert_num_queries):
    request = RequestFactory().get("/kegiatan/")  # no session, no user: as if the database were down
    handler = root_urls.handler500
    module, name = handler.rsplit(".", 1)
    view = getattr(__import__(module, fromlist=[name]), name)
    with django_assert_num_queries(0):
        response = view(request)
    assert response.status_code == 500
    assert "Terjadi kesalahan pada server" in response.content.decode()


@pytest.mark.urls("tests.crash_urls")
@pytest.mark.parametrize(
    ("path", "status", "english"),
    [
        ("/tidak-ada-halaman-ini/", 404, "Page not found"),
        ("/verifikasi/", 403, "Access denied"),
        ("/kegiatan/?q=a%00b", 400, "The request cannot be processed"),
        ("/uji/gagal/", 500, "Something went wrong on the server"),
    ],
)
def test_the_error_pages_speak_english_under_the_english_interface(
    lenient_client, operator, path, status, english
):
    lenient_client.force_login(operator)
    lenient_client.cookies[LANGUAGE_COOKIE] = "en"
    response = lenient_client.get(path)
    html = response.content.decode()
    assert response.status_code == status
    assert english in html and '<html lang="en">' in html
    assert "Kesalahan" not in html


# --- NUL bytes ---------------------------------------------------------------------------------------------

LIST_AND_REPORT_PAGES = [
    ("home", {}, "q"),
    ("programs:activity_list", {}, "q"),
    ("programs:activity_list", {}, "tahun"),
    ("programs:activity_list", {}, "provinsi"),
    ("programs:activity_list", {}, "urut"),
    ("programs:firm_list", {}, "q"),
    ("programs:firm_list", {}, "provinsi"),
    ("programs:partner_list", {}, "q"),
    ("programs:allocation_list", {}, "tahun"),
    ("programs:allocation_list", {}, "halaman"),
    ("programs:review_queue", {}, "halaman"),
    ("provinces:list", {}, "q"),
    ("reports:index", {}, "tahun"),
    ("reports:national", {}, "tahun"),
    ("reports:national", {}, "urut"),
    ("reports:national", {}, "format"),
    ("reports:covid", {}, "tahun"),
    ("reports:province", {"code": "51"}, "tahun"),
    ("reports:province", {"code": "51"}, "halaman"),
    ("reports:quarterly", {"code": "51", "quarter": 2}, "tahun"),
    ("programs:firm_import", {}, "token"),
]


@pytest.fixture
def admin_with_data(admin_client, allocation):
    return admin_client


@pytest.mark.parametrize(("name", "kwargs", "param"), LIST_AND_REPORT_PAGES)
def test_a_nul_byte_in_any_list_or_report_query_answers_400(admin_with_data, name, kwargs, param):
    response = admin_with_data.get(f"{reverse(name, kwargs=kwargs)}?{param}=a%00b")
    assert response.status_code == 400
    assert "Permintaan tidak dapat diproses" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/provinsi/%00/",
        "/laporan/provinsi/%00/?tahun=2020",
        "/laporan/provinsi/%00/triwulan/3/?tahun=2020",
        "/riwayat/kegiatan%00/1/",
        "/kegiatan/?tahun=2020%00",
    ],
)
def test_a_nul_byte_in_the_path_answers_400(admin_with_data, path):
    response = admin_with_data.get(path)
    assert response.status_code == 400
    assert "Permintaan tidak dapat diproses" in response.content.decode()


def test_a_nul_byte_in_the_firm_search_of_an_activity_answers_400(operator_client, allocation):
    activity = make_activity(allocation)
    url = reverse("programs:activity_detail", args=[activity.pk])
    assert operator_client.get(f"{url}?cari_ikm=a%00b").status_code == 400
    assert operator_client.get(f"{url}?cari_ikm=IKM").status_code == 200


def test_a_nul_byte_in_form_data_answers_400_and_saves_nothing(operator_client):
    response = operator_client.post(
        reverse("programs:firm_create"),
        {"name": "IKM\x00Konveksi", "nib": "", "sector": "sandang", "regency": "", "workers": "3"},
    )
    assert response.status_code == 400
    assert "Permintaan tidak dapat diproses" in response.content.decode()
    assert not Firm.objects.exists()


def test_a_nul_byte_in_a_failed_sign_in_answers_400(client):
    response = client.post(reverse("login"), {"username": "op\x00-51", "password": "salah"})
    assert response.status_code == 400
    response = client.post(
        reverse("login"), {"username": "op-51", "password": "salah"}, HTTP_USER_AGENT="Mozilla\x00"
    )
    assert response.status_code == 400


def test_a_session_cookie_with_a_nul_byte_is_ignored(client, operator):
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijklmnop"
    response = client.get(reverse("programs:activity_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    response = client.post(reverse("login"), {"username": operator.username, "password": PASSWORD})
    assert response.status_code == 302


# --- History of records whose relations were deleted too ---------------------------------------------------


def test_the_history_of_a_deleted_handover_whose_output_is_deleted_too(operator_client, allocation):
    activity = make_activity(allocation)
    output = make_output(make_participation(activity, make_firm("51")), quantity=300, product="Face shield")
    handover = make_handover(output, quantity=120, recipient_name="Puskesmas Bangli")
    handover_pk, output_pk = handover.pk, output.pk
    handover.delete()
    output.delete()
    response = operator_client.get(reverse("programs:history", args=["penyerahan", handover_pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Puskesmas Bangli" in html and "Dihapus" in html
    assert "Face shield: 300" in html  # the output, named from its own history
    assert operator_client.get(reverse("programs:history", args=["hasil", output_pk])).status_code == 200


def test_the_history_of_a_participation_whose_firm_is_deleted(operator_client, allocation):
    activity = make_activity(allocation)
    firm = make_firm("51", name="IKM Konveksi Bangli Jaya")
    participation = make_participation(activity, firm)
    participation_pk = participation.pk
    participation.delete()
    firm.delete()
    response = operator_client.get(reverse("programs:history", args=["peserta-ikm", participation_pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("IKM Konveksi Bangli Jaya") >= 2  # in the title and in the firm column
    assert activity.title in html


# --- Refusals the user must see ----------------------------------------------------------------------------


def _handover_post(**changes):
    return {
        "recipient_type": "masyarakat",
        "recipient_name": "Warga Bangli",
        "handed_on": "20/07/2020",
        "quantity": "10",
        "bast_number": "BAST/77/2020",
        **changes,
    }


def test_a_handover_to_an_output_already_handed_over_in_full_shows_why_it_was_refused(
    operator_client, allocation
):
    activity = make_activity(allocation)
    output = make_output(make_participation(activity, make_firm("51")), quantity=100)
    make_handover(output, quantity=100)  # e.g. from another tab, after this form was opened
    url = reverse("programs:handover_add", args=[output.pk])
    response = operator_client.post(url, _handover_post())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Jumlah diserahkan (110) melebihi jumlah diproduksi (100)." in html
    assert f'action="{url}"' in html and 'value="BAST/77/2020"' in html  # the form, open, with its input
    assert output.handovers.count() == 1


def _firm_post(province, **changes):
    return {
        "province": province.pk,
        "regency": "",
        "name": "IKM Tenun Bangli",
        "nib": "9120000000777",
        "owner_name": "",
        "sector": "sandang",
        "kbli": "",
        "scale": "mikro",
        "address": "",
        "phone": "",
        "workers": "",
        **changes,
    }


HIDDEN_TAMPERED = "Formulir ini berisi data tersembunyi yang tidak sah"


def test_a_tampered_hidden_province_gets_a_message_and_saves_nothing(operator_client, operator):
    from provinces.models import Province

    response = operator_client.post(
        reverse("programs:firm_create"), _firm_post(Province.objects.get(code="63"))
    )
    assert response.status_code == 200
    assert HIDDEN_TAMPERED in response.content.decode()
    assert not Firm.objects.exists()


def test_a_tampered_hidden_province_in_the_new_firm_form_of_an_activity_gets_a_message(
    operator_client, allocation
):
    from provinces.models import Province

    activity = make_activity(allocation)
    data = {**_firm_post(Province.objects.get(code="63")), "note": ""}
    response = operator_client.post(reverse("programs:participation_new_firm", args=[activity.pk]), data)
    assert response.status_code == 200
    assert HIDDEN_TAMPERED in response.content.decode()
    assert not Firm.objects.exists()


@pytest.mark.parametrize("version", ["abc", "1.5", "-"])
def test_a_tampered_hidden_version_gets_a_message_and_changes_nothing(operator_client, version):
    firm = make_firm("51", name="IKM Lama")
    data = _firm_post(firm.province, name="IKM Baru", nib=firm.nib, regency=firm.regency_id, version=version)
    response = operator_client.post(reverse("programs:firm_update", args=[firm.pk]), data)
    assert response.status_code == 200
    assert HIDDEN_TAMPERED in response.content.decode()
    firm.refresh_from_db()
    assert firm.name == "IKM Lama"


# --- Import: an empty required cell ------------------------------------------------------------------------


def test_an_import_row_with_an_empty_required_cell_is_previewed_as_refused(operator_client):
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["NIB", "Nama IKM", "Sektor", "Kabupaten/kota"])
    sheet.append(["9120000000001", "", "Sandang (garmen/tekstil)", "51.06"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "ikm.xlsx"
    url = reverse("programs:firm_import")
    response = operator_client.post(url, {"aksi": "unggah", "file": buffer})
    assert response.status_code == 302
    html = operator_client.get(response["Location"]).content.decode()
    assert "Baris 2, kolom Nama IKM" in html and "Wajib diisi." in html
    assert not Firm.objects.exists()
    token = response["Location"].split("pratinjau=")[1]
    operator_client.post(url, {"aksi": "batal", "token": token})
    assert not list((Path(settings.MEDIA_ROOT) / "imports").glob(f"{token}.*"))  # nothing left behind


def test_a_broken_constraint_is_said_in_words_never_by_its_name(db):
    """A rule no clean() checked (here the conditional unique NIB, bypassing Firm.clean) still reaches the
    user as a sentence: the constraint's name is for the database log only."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    from programs.models import Firm
    from tests.factories import make_firm

    firm = make_firm("51", "51.06", nib="5106000000001")
    twin = Firm(province=firm.province, regency=firm.regency, name="Kembar", nib=firm.nib, sector="sandang")
    with pytest.raises(DjangoValidationError) as excinfo:
        twin.validate_constraints()
    text = str(excinfo.value.message_dict)
    assert "firm_nib_unique_when_given" not in text
    assert "bertentangan dengan aturan data program" in text
