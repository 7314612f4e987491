"""Form fields and bases every form of the app builds on: money and quantities typed the Indonesian way
(Rp 1.250.000, 100.000), dates as dd/mm/yyyy, and `ScopedForm`, which takes the acting user so that every
choice list comes from the access module.
"""

import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.forms.models import ModelFormMetaclass
from django.utils.translation import gettext_lazy as _

from ..models import grouped
from ..numbers import indonesian_number, is_quantity  # noqa: F401 - forms.is_quantity
from ..periods import MONTH_CHOICES  # noqa: F401

DATE_WIDGET = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})


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
