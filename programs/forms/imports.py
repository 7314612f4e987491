"""The upload form of the imports (a spreadsheet of firms or of an activity's participants)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..imports.files import max_upload_size


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Berkas Excel (.xlsx) atau CSV"),
        error_messages={"required": gettext_lazy("Pilih berkas yang akan diimpor.")},
    )

    def __init__(self, *args, provinces=None, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        # An operator imports into their own province, whatever the POST says; only users of several
        # provinces (admins) choose, among those they may edit.
        self.fixed_province = None
        if provinces is not None:
            if provinces.count() == 1:
                self.fixed_province = provinces.first()
            else:
                self.fields["province"] = forms.ModelChoiceField(
                    queryset=provinces,
                    label=gettext_lazy("Provinsi tujuan"),
                    error_messages={
                        "invalid_choice": gettext_lazy("Anda tidak berhak mengimpor ke provinsi ini.")
                    },
                )
        if kinds is not None:
            self.fields["kind"] = forms.ChoiceField(
                choices=kinds, label=gettext_lazy("Isi berkas"), widget=forms.RadioSelect, initial=kinds[0][0]
            )
        self.order_fields(["province", "kind", "file"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_size():
            raise forms.ValidationError(
                _("Berkas terlalu besar (%(size).1f MB); paling besar %(max).0f MB.")
                % {"size": upload.size / 1024 / 1024, "max": max_upload_size() / 1024 / 1024}
            )
        return upload
