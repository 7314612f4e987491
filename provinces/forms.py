from django import forms
from django.utils.translation import gettext_lazy as _


class YearForm(forms.Form):
    tahun = forms.IntegerField(
        label=_("Tahun anggaran"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "min_value": _("Tahun anggaran paling awal 2000."),
            "max_value": _("Tahun anggaran paling akhir 2100."),
            "invalid": _("Tahun anggaran harus berupa angka, misalnya 2020."),
        },
    )
