"""Forms of physical progress (capaian): the report's month chooser, and the monthly achievement of an RO
counted by hand (measure "manual") with its evidence file.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .. import evidence
from ..models import Achievement, Measure, PlanItem, PlanLevel
from ..periods import MONTH_CHOICES
from .fields import ScopedForm


class CapaianFilterForm(forms.Form):
    """The capaian report's year and as-of month; a value that does not validate is said beside its field
    and the default is shown instead."""

    tahun = forms.IntegerField(
        label=_("Tahun"),
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={"invalid": _("Tulis tahun empat angka, mis. 2020.")},
    )
    bulan = forms.TypedChoiceField(
        label=_("Keadaan s.d. bulan"),
        choices=[("", _("Bawaan"))] + [(str(m), label) for m, label in MONTH_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Pilih bulan 1 sampai 12.")},
    )

    def __init__(self, data, *, default_year):
        super().__init__(data)
        self.default_year = default_year  # a callable: asked only when no year is given
        self.fields["tahun"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["bulan"].widget.attrs["class"] = "form-select form-select-sm"

    def year_and_month(self):
        """(year, month or None for the default)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("tahun") or self.default_year(), data.get("bulan")


def manual_outputs(user, allocation):
    """The ROs of the allocation whose achievement is entered by hand, as the user may see them."""
    return PlanItem.objects.visible_to(user).filter(
        allocation=allocation, level=PlanLevel.RO, measure=Measure.MANUAL
    )


class AchievementForm(ScopedForm):
    evidence = forms.FileField(
        label=_("Bukti dukung (PDF, JPEG atau PNG, maks. 10 MB)"),
        max_length=200,
        required=False,
        # A plain input: the clearable one would link the stored file itself, around the scoped download.
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    class Meta:
        model = Achievement
        fields = ["planned_output", "month", "quantity", "evidence", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, allocation, **kwargs):
        self.allocation = allocation
        super().__init__(*args, **kwargs)
        field = self.fields["planned_output"]
        field.queryset = manual_outputs(self.user, allocation).order_by("code")
        field.label_from_instance = lambda ro: f"{ro.code} {ro.name}"
        field.empty_label = _("Pilih RO ...")
        field.error_messages["required"] = _("Pilih RO yang capaiannya diisi.")
        field.error_messages["invalid_choice"] = _(
            "Pilih RO alokasi ini yang capaiannya diisi per bulan dengan bukti dukung."
        )
        self.fields["month"].widget = forms.Select(choices=MONTH_CHOICES)
        self.fields["quantity"].label = _("Capaian bulan ini")
        self.fields["quantity"].help_text = _("Volume yang dicapai pada bulan ini saja, bukan kumulatif.")
        if self.instance.pk:
            self.fields["planned_output"].disabled = True
            self.fields["month"].disabled = True
            self.fields["evidence"].help_text = _("Kosongkan untuk tetap memakai berkas %(name)s.") % {
                "name": self.instance.evidence_name
            }

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if not isinstance(upload, UploadedFile):  # nothing uploaded (the form's initial file, or none)
            if self.instance.pk and self.instance.evidence:
                return self.instance.evidence  # kept
            raise ValidationError(_("Unggah bukti dukung capaian bulan ini (PDF, JPEG atau PNG)."))
        _content_type, extension = evidence.sniff(upload)  # by content, never by name; at most 10 MB
        self.instance.evidence_name = (upload.name or "")[-200:]
        upload.name = f"bukti.{extension}"  # the stored file's extension is its content's
        return upload

    def clean(self):
        cleaned = super().clean()
        ro, month = cleaned.get("planned_output"), cleaned.get("month")
        if ro is not None and month:
            taken = Achievement.objects.filter(planned_output=ro, month=month).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "month", _("Capaian RO ini untuk bulan itu sudah dicatat; ubah baris yang ada.")
                )
        return cleaned

    def validate_unique(self):
        # Said by clean() in words, beside the month.
        pass
