"""Uploading, downloading and removing evidence files. The download is the only way a file leaves the
server, and it goes through the same scoping as every page: outside the scope, 404.
"""

import logging

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import services
from .access import get_visible_or_404
from .evidence import MAX_EVIDENCE_BYTES
from .models import Activity, Attachment, AttachmentKind, Handover

log = logging.getLogger("ikm_dekon.downloads")


class AttachmentForm(forms.ModelForm):
    file = forms.FileField(
        label=gettext_lazy("Berkas (PDF, JPEG atau PNG, maks. 10 MB)"),
        max_length=200,
        error_messages={
            "required": gettext_lazy("Pilih berkas yang akan diunggah."),
            "empty": gettext_lazy("Berkas kosong."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    class Meta:
        model = Attachment
        fields = ["kind", "handover", "file", "description"]

    def __init__(self, *args, activity, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.activity = activity
        self.instance.uploaded_by = user
        self.fields["kind"].initial = AttachmentKind.BAST
        self.fields["handover"].queryset = (
            Handover.objects.editable_by(user).filter(activity=activity).select_related("output", "recipient")
        )
        self.fields["handover"].help_text = _("Kosongkan bila lampiran untuk kegiatan (mis. daftar hadir).")
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and upload.size > MAX_EVIDENCE_BYTES:
            raise ValidationError(_("Berkas terlalu besar; paling besar 10 MB."))
        self.instance.original_name = (upload.name or "")[-200:]
        return upload


def _editable_activity(request, pk):
    activity = get_visible_or_404(Activity.objects.all(), request.user, pk=pk)
    if not Activity.objects.editable_by(request.user).filter(pk=activity.pk).exists():
        raise PermissionDenied(_("Kegiatan ini terkunci; lampiran tidak dapat ditambah."))
    return activity


@require_POST
def attachment_add(request, pk):
    from .views import activity_detail

    activity = _editable_activity(request, pk)
    form = AttachmentForm(request.POST, request.FILES, activity=activity, user=request.user)
    if form.is_valid():
        try:
            services.save_edit(form.instance, actor=request.user)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request, _("Lampiran %(name)s diunggah.") % {"name": form.instance.original_name}
            )
            return redirect(f"{activity.get_absolute_url()}#attachments")
    return activity_detail(request, pk, forms={"attachment": form})


def attachment_download(request, pk):
    attachment = get_visible_or_404(Attachment.objects.all(), request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as e:
        raise Http404(_("Berkas tidak ditemukan di penyimpanan.")) from e
    log.info(
        "download",
        extra={
            "user": request.user.username,
            "province": attachment.province_id,
            "object": f"Attachment:{attachment.pk}",
        },
    )
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[attachment.content_type]
    name = (
        attachment.original_name
        if attachment.original_name.lower().endswith(extension)
        else f"lampiran-{pk}.{extension}"
    )
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def attachment_delete(request, pk):
    attachment = get_visible_or_404(Attachment.objects.select_related("activity"), request.user, pk=pk)
    if not Attachment.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    # The file goes with the record once the delete is committed (programs/evidence.py).
    services.delete_record(attachment, actor=request.user)
    messages.success(request, _("Lampiran dihapus."))
    return redirect(f"{attachment.activity.get_absolute_url()}#attachments")
