"""Evidence files (BAST, attendance lists, photos): what may be uploaded and where it is kept.

A file is accepted by what it contains, never by its name: its first bytes must be those of a PDF, a
JPEG or a PNG, and it is at most 10 MB. Files live under MEDIA_ROOT (outside the static files) and are
only ever served by the scoped download view, as an attachment.
"""

import hashlib
import logging
import uuid
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("ikm_dekon.evidence")

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

# (content type, extension, leading bytes)
SIGNATURES = [
    ("application/pdf", "pdf", b"%PDF-"),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", "jpg", b"\xff\xd8\xff"),
]
ALLOWED_TYPES = [content_type for content_type, _ext, _sig in SIGNATURES]


def sniff(upload):
    """(content type, extension) from the file's own bytes, or a ValidationError in Bahasa Indonesia."""
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("Berkas kosong."), code="empty")
    if upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            _("Berkas terlalu besar (%(mb).1f MB); paling besar 10 MB.") % {"mb": upload.size / 1024 / 1024},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, extension, signature in SIGNATURES:
        if head.startswith(signature):
            if content_type == "application/pdf" and not _pdf_has_end(upload):
                break
            return content_type, extension
    raise ValidationError(
        _("Isi berkas bukan PDF, JPEG atau PNG. Unggah hasil pindaian BAST, daftar hadir atau foto."),
        code="bad_type",
    )


def _pdf_has_end(upload):
    """A real PDF ends with %%EOF (allowing trailing whitespace); a renamed text file does not."""
    size = upload.size
    upload.seek(max(0, size - 1024))
    tail = upload.read()
    upload.seek(0)
    return b"%%EOF" in tail


def digest(upload):
    sha = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def storage_path(instance, filename):
    """evidence/<province code>/<year>/<random>.<ext>: no user-chosen name ever reaches the disk."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    # An activity's evidence carries its province and year; a month's achievement has them by its RO.
    owner = instance if hasattr(instance, "year") else instance.planned_output.allocation
    return f"evidence/{owner.province.code}/{owner.year}/{uuid.uuid4().hex}.{extension}"


def content_type_of(name):
    """The content type of a stored evidence file by its extension (which `storage_path` took from a
    name the upload's checked content chose)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return next((t for t, ext, _sig in SIGNATURES if ext == extension), "application/octet-stream")


@receiver(post_delete, sender="programs.Attachment", dispatch_uid="evidence_file_follows_its_record")
@receiver(post_delete, sender="programs.Achievement", dispatch_uid="achievement_evidence_follows_its_record")
def remove_file_with_its_record(sender, instance, using, **kwargs):
    """The file goes when its record goes, however the record went: its own delete, the cascade of an
    activity or a handover, the admin, a queryset delete. Only once the deletion is committed: a rolled
    back delete keeps its file. The history keeps who uploaded what, not the file."""
    file = instance.file if hasattr(instance, "file") else instance.evidence
    if file.name:
        transaction.on_commit(partial(remove_stored, file.storage, file.name), using=using)


def remove_stored(storage, name):
    try:
        storage.delete(name)
    except OSError:  # the record is gone either way; an operator can sweep the orphan later
        log.warning("evidence file not removed", extra={"object": name})
