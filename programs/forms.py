"""Forms of the operator's workspace. Each takes the acting user; every choice list comes from the scoping
mechanism; every message is in Bahasa Indonesia; money and quantities accept Indonesian input (Rp 1.250.000,
100.000): every model form derives from `ModelForm` below, whose quantity fields are `QuantityField`s.
"""

import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.db import models
from django.db.models import Q
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _

from .access import allocations_open_for_entry, provinces_editable_by, regencies_for
from .models import (
    Activity,
    BudgetRevision,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    Realisation,
    grouped,
)

DATE_WIDGET = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


# --- Numbers as Indonesians write them ----------------------------------------------------------------------
#
# The grouping rule, written once: a dot groups thousands (100.000, 1.250.000; or no dots at all, 100000), a
# comma starts the decimals. "100.000" is one hundred thousand, never one hundred with three decimals.
GROUPED_DIGITS = r"\d{1,3}(?:\.\d{3})+"


def indonesian_number(text, *, decimals=0):
    """The Decimal that number text means as Indonesians write it, or None when it is not such a number.

    At most `decimals` digits after the comma (none for a quantity: "2,5" or "100,000" is not a count).
    Spaces (also non-breaking ones) are ignored."""
    text = re.sub(r"\s", "", str(text))
    fraction = rf"(?:,\d{{1,{decimals}}})?" if decimals else ""
    if not re.fullmatch(rf"-?(?:{GROUPED_DIGITS}|\d+){fraction}", text):
        return None
    return Decimal(text.replace(".", "").replace(",", "."))


#: Integer fields that name something rather than count it: a year, a month, a quarter, a record's id or
#: version. They are typed and shown as plain digits (2020), never grouped as a quantity (2.020).
CODE_NUMBER_NAMES = frozenset({"id", "year", "month", "quarter", "version", "object_id"})


def is_code_number(name):
    return name in CODE_NUMBER_NAMES or name.endswith(("_year", "_id"))


def is_quantity(model_field):
    """Whether a model field is a count or quantity typed with Indonesian grouping (100.000)."""
    return (
        isinstance(model_field, models.IntegerField)
        and not model_field.primary_key
        and not model_field.choices
        and not is_code_number(model_field.name)
    )


class RupiahField(forms.DecimalField):
    """Whole Rupiah; accepts 1250000, 1.250.000, Rp 1.250.000 and 1.250.000,00."""

    default_error_messages = {
        "invalid": _("Tulis jumlah dalam Rupiah, mis. 1.250.000."),
        "max_decimal_places": _("Rupiah tanpa sen: tulis bilangan bulat, mis. 1.250.000."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 0)
        kwargs.setdefault("min_value", Decimal(0))
        super().__init__(**kwargs)
        self.widget.input_type = "text"
        self.widget.attrs.update({"inputmode": "numeric", "class": "text-end", "placeholder": "1.250.000"})
        self.error_messages["min_value"] = _("Jumlah uang tidak boleh negatif.")

    def to_python(self, value):
        if isinstance(value, str):
            text = re.sub(r"(?i)^\s*rp\.?\s*", "", value).strip()
            if text:
                # Sen are written after a comma (1.250.000,00); 1250000.00 is the machine's way.
                number = indonesian_number(text, decimals=2)
                if number is None and re.fullmatch(r"-?\d+\.\d+", text):
                    number = Decimal(text)
                if number is None:
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
                text = str(number.to_integral_value() if number == number.to_integral_value() else number)
            value = text
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int):
            return grouped(value)
        return value


class QuantityInput(forms.TextInput):
    """A text input for a quantity: a number input would refuse, or silently cut, 100.000."""

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "numeric", "class": "text-end", "placeholder": "100.000", **(attrs or {})}
        )


class QuantityField(forms.IntegerField):
    """A count or quantity as Indonesians write it: 100.000, 100000 and 1.000.000 (never 2,5 or 1.5)."""

    widget = QuantityInput
    default_error_messages = {
        "invalid": _("Tulis bilangan bulat tanpa koma; titik memisahkan ribuan, mis. 100.000 atau 100000."),
    }

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            number = indonesian_number(value)
            if number is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            value = int(number)
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return grouped(value)
        return value


def formfield_for(model_field, **kwargs):
    """A model field's form field; quantities read Indonesian grouping (the forms' formfield_callback)."""
    if is_quantity(model_field):
        kwargs.setdefault("form_class", QuantityField)
        kwargs.setdefault("widget", QuantityInput)
    return model_field.formfield(**kwargs)


class _QuantityFormMetaclass(ModelFormMetaclass):
    def __new__(mcs, name, bases, attrs):
        meta = attrs.get("Meta")
        if meta is not None and getattr(meta, "formfield_callback", None) is None:
            meta.formfield_callback = staticmethod(formfield_for)
        return super().__new__(mcs, name, bases, attrs)


class ModelForm(forms.ModelForm, metaclass=_QuantityFormMetaclass):
    """The base of every model form here: its quantity fields read 100.000 as one hundred thousand."""


class ScopedForm(ModelForm):
    """A model form built for one user, with the version it was opened at (refuses stale saves)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DATE_WIDGET
                field.input_formats = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
                field.error_messages["invalid"] = _("Tulis tanggal sebagai dd/mm/yyyy, mis. 15/06/2020.")
        self.helper = FormHelper()
        self.helper.form_tag = False

    @property
    def expected_version(self):
        return self.cleaned_data.get("version") if "version" in self.fields else None


def _open_allocations(user):
    return (
        allocations_open_for_entry(user)
        .select_related("province")
        .order_by("-year", "province__code")
    )


class ActivityForm(ScopedForm):
    budget = RupiahField(label=_("Anggaran kegiatan (Rp)"))

    class Meta:
        model = Activity
        fields = [
            "allocation",
            "title",
            "description",
            "kind",
            "purpose",
            "sector",
            "covid_response",
            "regency",
            "mode",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "status",
            "status_reason",
            "budget",
            "target_participants",
            "actual_participants",
            "partners",
        ]
        widgets = {"partners": forms.CheckboxSelectMultiple, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = _open_allocations(self.user)
        self.fields["allocation"].label_from_instance = lambda a: f"{a.province.name} — {a.year}"
        self.fields["regency"].queryset = regencies_for(self.user)
        self.fields["partners"].queryset = Partner.objects.editable_by(self.user).order_by("name")
        if self.instance.pk:
            # An activity stays in its allocation: its parts carry the same province and year.
            self.fields["allocation"].disabled = True
            self.fields["partners"].queryset = self.fields["partners"].queryset.filter(
                province_id=self.instance.province_id
            )
        elif self.fields["allocation"].queryset.count() == 1:
            self.fields["allocation"].initial = self.fields["allocation"].queryset.first()

    def clean(self):
        cleaned = super().clean()
        allocation = cleaned.get("allocation")
        partners = cleaned.get("partners")
        if allocation and partners:
            foreign = [p for p in partners if p.province_id != allocation.province_id]
            if foreign:
                self.add_error("partners", _("Mitra harus dari provinsi kegiatan ini."))
        return cleaned


class FirmForm(ScopedForm):
    class Meta:
        model = Firm
        fields = [
            "province",
            "regency",
            "name",
            "nib",
            "owner_name",
            "sector",
            "kbli",
            "scale",
            "address",
            "phone",
            "workers",
            "covid_affected",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces_editable_by(self.user)
        self.fields["regency"].queryset = regencies_for(self.user)
        if self.fields["province"].queryset.count() == 1:
            self.fields["province"].initial = self.fields["province"].queryset.first()
            self.fields["province"].widget = forms.HiddenInput()

    def clean_nib(self):
        nib = self.cleaned_data["nib"].strip()
        if nib and Firm.objects.filter(nib=nib).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("NIB %(nib)s sudah terdaftar untuk IKM lain.") % {"nib": nib})
        return nib


class PartnerForm(ScopedForm):
    class Meta:
        model = Partner
        fields = ["province", "regency", "name", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces_editable_by(self.user)
        self.fields["regency"].queryset = regencies_for(self.user)
        if self.fields["province"].queryset.count() == 1:
            self.fields["province"].initial = self.fields["province"].queryset.first()
            self.fields["province"].widget = forms.HiddenInput()


class ActivityPartForm(ScopedForm):
    """A form for something inside one activity; the activity is fixed by the URL, never by the POST."""

    def __init__(self, *args, activity, **kwargs):
        self.activity = activity
        super().__init__(*args, **kwargs)


class ParticipationForm(ActivityPartForm):
    class Meta:
        model = Participation
        fields = ["firm", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.activity = self.activity
        self.fields["firm"].queryset = Firm.objects.editable_by(self.user).filter(
            province_id=self.activity.province_id
        )


class NewFirmParticipationForm(FirmForm):
    """Register a firm in place and add it to the activity in one step."""

    note = forms.CharField(label=_("Keterangan"), max_length=250, required=False)

    def __init__(self, *args, activity, **kwargs):
        self.activity = activity
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = self.fields["province"].queryset.filter(pk=activity.province_id)
        self.fields["province"].initial = activity.province_id
        self.fields["province"].widget = forms.HiddenInput()
        self.fields["regency"].queryset = self.fields["regency"].queryset.filter(
            Q(province_id=activity.province_id) | Q(former_province_id=activity.province_id)
        )


class ParticipantForm(ActivityPartForm):
    class Meta:
        model = Participant
        fields = ["name", "nik", "sex", "phone", "founded_firm"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.activity = self.activity
        # The firm a new entrepreneur founded is one of the activity's firms (registered in place above if
        # new): a list of those, not of every firm of the province (tens of thousands at national scale).
        ids = list(self.activity.participations.values_list("firm_id", flat=True))
        if self.instance.founded_firm_id:
            ids.append(self.instance.founded_firm_id)
        self.fields["founded_firm"].queryset = (
            Firm.objects.editable_by(self.user)
            .filter(province_id=self.activity.province_id, pk__in=ids)
            .order_by("name")
        )
        self.fields["founded_firm"].help_text = _(
            "Pilih dari IKM peserta kegiatan ini; IKM baru didaftarkan dulu sebagai peserta."
        )
        self.fields["nik"].help_text = _("16 digit; boleh dikosongkan. Ditampilkan tersamar.")
        if self.instance.pk and self.instance.nik:
            # Never send a stored NIK back to the browser: blank keeps it, a new value replaces it.
            self.initial["nik"] = ""
            self.fields["nik"].help_text = _(
                "Tersimpan: %(m)s. Kosongkan untuk tetap, isi untuk mengganti."
            ) % {"m": self.instance.masked_nik}

    def clean_nik(self):
        nik = re.sub(r"\s", "", self.cleaned_data.get("nik") or "")
        if not nik and self.instance.pk:
            return self.instance.nik
        return nik


class OutputForm(ActivityPartForm):
    class Meta:
        model = Output
        fields = [
            "participation",
            "product",
            "product_type",
            "quantity",
            "unit",
            "produced_on",
            "meets_standard",
            "ordered_quantity",
            "ordered_on",
            "buyer",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participation"].queryset = (
            Participation.objects.editable_by(self.user).filter(activity=self.activity).select_related("firm")
        )
        self.fields["participation"].label_from_instance = lambda p: str(p.firm)
        self.fields["participation"].label = _("IKM")
        self.fields["buyer"].queryset = Partner.objects.editable_by(self.user).filter(
            province_id=self.activity.province_id
        )


class HandoverForm(ScopedForm):
    class Meta:
        model = Handover
        fields = ["recipient_type", "recipient", "recipient_name", "handed_on", "quantity", "bast_number"]

    def __init__(self, *args, output, **kwargs):
        self.output = output
        super().__init__(*args, **kwargs)
        self.instance.output = output
        self.fields["recipient"].queryset = Partner.objects.editable_by(self.user).filter(
            province_id=output.province_id
        )


class RealisationForm(ScopedForm):
    amount = RupiahField(label=_("Realisasi bulan ini (Rp)"))

    class Meta:
        model = Realisation
        fields = ["month", "amount", "note"]
        widgets = {"note": forms.TextInput}

    def __init__(self, *args, allocation, **kwargs):
        self.allocation = allocation
        super().__init__(*args, **kwargs)
        self.instance.allocation = allocation
        self.fields["month"].widget = forms.Select(choices=MONTH_CHOICES)
        if self.instance.pk:
            self.fields["month"].disabled = True

    def validate_unique(self):
        # The allocation is not a form field, so Django skips the (allocation, month) constraint here.
        super().validate_unique()
        month = self.cleaned_data.get("month")
        duplicate = Realisation.objects.filter(allocation=self.allocation, month=month).exclude(
            pk=self.instance.pk
        )
        if month and duplicate.exists():
            self.add_error("month", _("Realisasi bulan ini sudah dicatat; ubah baris yang ada."))


class BudgetRevisionForm(ScopedForm):
    new_pagu = RupiahField(label=_("Pagu baru (Rp)"))

    class Meta:
        model = BudgetRevision
        fields = ["revised_on", "new_pagu", "reason", "document_number"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, allocation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.allocation = allocation


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Catatan"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Catatan wajib diisi.")},
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("Catatan wajib diisi."))
        return note


MONTH_CHOICES = [
    (1, _("Januari")),
    (2, _("Februari")),
    (3, _("Maret")),
    (4, _("April")),
    (5, _("Mei")),
    (6, _("Juni")),
    (7, _("Juli")),
    (8, _("Agustus")),
    (9, _("September")),
    (10, _("Oktober")),
    (11, _("November")),
    (12, _("Desember")),
]
