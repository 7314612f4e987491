"""Evidence files: accepted by content, at most 10 MB, stored outside static, downloaded only in scope."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs import services
from programs.models import Attachment
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

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def activity():
    return make_activity(make_allocation("51", 2020))


def _upload(client, activity, name, content, content_type="application/pdf", **extra):
    return client.post(
        reverse("programs:attachment_add", args=[activity.pk]),
        {"kind": "bast", "file": SimpleUploadedFile(name, content, content_type=content_type), **extra},
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("bast.pdf", PDF, "application/pdf"), ("foto.png", PNG, "image/png"), ("foto.JPG", JPEG, "image/jpeg")],
)
def test_a_real_pdf_jpeg_or_png_is_accepted_and_stored_outside_static(
    client, operator, activity, name, content, expected
):
    client.force_login(operator)
    response = _upload(client, activity, name, content)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == expected
    assert attachment.size == len(content)
    assert attachment.uploaded_by == operator
    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    assert not attachment.file.path.startswith(str(settings.STATIC_ROOT))
    assert name not in attachment.file.name  # no user-chosen name on disk


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bast.pdf", b"<html><script>alert(1)</script></html>"),  # a web page renamed to .pdf
        ("bast.pdf", b"%PDF-1.4 but never finished"),  # not a whole PDF
        ("foto.png", b"MZ\x90\x00 an executable"),
        ("laporan.docx", b"PK\x03\x04 a word document"),
        ("kosong.pdf", b""),
    ],
)
def test_a_file_that_is_not_really_pdf_jpeg_or_png_is_refused_with_a_message(
    client, operator, activity, name, content
):
    client.force_login(operator)
    response = _upload(client, activity, name, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "bukan PDF, JPEG atau PNG" in html or "kosong" in html.lower()
    assert not Attachment.objects.exists()


def test_a_file_over_10_mb_is_refused(client, operator, activity):
    client.force_login(operator)
    big = PDF[:-6] + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n"
    response = _upload(client, activity, "besar.pdf", big)
    assert response.status_code == 200
    assert "terlalu besar" in response.content.decode()
    assert not Attachment.objects.exists()


def test_download_is_an_attachment_in_scope_and_404_for_another_province(
    client, operator, operator_b, pusat, activity
):
    client.force_login(operator)
    _upload(client, activity, "bast.pdf", PDF)
    attachment = Attachment.objects.get()
    url = reverse("programs:attachment_download", args=[attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    client.force_login(operator_b)
    assert client.get(url).status_code == 404
    client.force_login(pusat)
    assert client.get(url).status_code == 200


def test_the_file_is_not_reachable_as_a_static_or_media_url(client, operator, activity):
    client.force_login(operator)
    _upload(client, activity, "bast.pdf", PDF)
    attachment = Attachment.objects.get()
    assert client.get("/media/" + attachment.file.name).status_code == 404
    assert client.get("/static/" + attachment.file.name).status_code == 404


def test_a_handover_gets_its_bast(client, operator, activity):
    handover = make_handover(make_output(make_participation(activity, make_firm("51"))))
    client.force_login(operator)
    response = _upload(client, activity, "bast.pdf", PDF, handover=handover.pk)
    assert response.status_code == 302
    assert Attachment.objects.get().handover == handover


def test_a_handover_of_another_activity_cannot_be_named(client, operator, activity):
    other = make_activity(make_allocation("63", 2020))
    foreign = make_handover(make_output(make_participation(other, make_firm("63", regency="63.71"))))
    client.force_login(operator)
    response = _upload(client, activity, "bast.pdf", PDF, handover=foreign.pk)
    assert response.status_code == 200
    assert not Attachment.objects.exists()


def test_no_upload_to_another_provinces_or_a_submitted_activity(client, operator, activity):
    client.force_login(operator)
    other = make_activity(make_allocation("63", 2020))
    assert _upload(client, other, "bast.pdf", PDF).status_code == 404
    make_participant(activity)  # submittable: it has a participant (programs/checklist.py)
    services.submit(obj=activity, actor=operator)
    assert _upload(client, activity, "bast.pdf", PDF).status_code == 403
    assert not Attachment.objects.exists()


def test_deleting_an_attachment_removes_the_file_and_keeps_the_history(
    client, operator, activity, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    _upload(client, activity, "bast.pdf", PDF)
    attachment = Attachment.objects.get()
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the delete is committed
        response = client.post(reverse("programs:attachment_delete", args=[attachment.pk]))
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    import os

    assert not os.path.exists(path)
    assert Attachment.history.filter(id=attachment.pk, history_type="-", history_user=operator).exists()
