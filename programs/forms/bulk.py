"""The activity page's bulk entry: many firms added at once (ticked in the search results or pasted as a
list of NIBs), outputs of several participating firms in one grid, handovers of several outputs to one
recipient in one grid. What every row shares is filled once; each row has its quantity (blank: no row).

The forms parse and check what they can see; `programs.services` writes (all or nothing) and checks every
row again with its model's rules, the handovers under the lock of their outputs. Choice lists come from the
access module: a firm outside the user's scope is not found, never named.
"""

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Firm, Handover, Output, Partner, RecipientType
from ..numbers import grouped
from .fields import DATE_WIDGET, formfield_for
from .workspace import ProductTypeSelect, RecipientSelect, UnitSelect, produced_on_default

NIB = re.compile(r"^[0-9]{13}$")
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]


def _model_field(model, name, **kwargs):
    """The model field's own form field (its label, help text, choices and Indonesian quantities)."""
    field = formfield_for(model._meta.get_field(name), **kwargs)
    if isinstance(field, forms.DateField):
        field.widget = DATE_WIDGET
        field.input_formats = DATE_FORMATS
        field.error_messages["invalid"] = _("Tulis tanggal sebagai dd/mm/yyyy, mis. 15/06/2020.")
    return field


def _quantity_field(label, initial=None):
    field = _model_field(Output, "quantity", required=False, initial=initial, min_value=1)
    field.label = label
    field.widget.attrs.update({"class": "form-control text-end bulk-quantity", "aria-label": label})
    return field


#: The most NIBs one paste may hold: an activity's firms number in the tens; a longer list is a mistake (and
#: would be one query of as many parameters).
MAX_PASTED_NIBS = 200


class BulkFirmsForm(forms.Form):
    """Firms to add to one activity: ticked in the search results (`firms`) and/or pasted NIBs (`nibs`)."""

    firms = forms.ModelMultipleChoiceField(
        queryset=Firm.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("IKM yang dicentang tidak ditemukan di antara IKM provinsi ini.")
        },
    )
    nibs = forms.CharField(
        label=_("Daftar NIB"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "inputmode": "numeric", "placeholder": "7201000000001"}),
        help_text=_("NIB 13 digit, satu per baris atau dipisah koma/spasi; IKM harus sudah terdaftar."),
    )
    note = forms.CharField(label=_("Keterangan (untuk semua)"), max_length=250, required=False)

    def __init__(self, *args, user, activity, **kwargs):
        kwargs.setdefault("auto_id", "bulk-firms-%s")
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.user = user
        # The firms of the activity's province the user may pick: any other NIB is "not found".
        self.candidates = Firm.objects.choices_for(user).filter(province_id=activity.province_id)
        self.fields["firms"].queryset = self.candidates
        self.chosen = []

    def _pasted(self):
        """[(line number, NIB as written)] in the order written."""
        text = self.cleaned_data.get("nibs") or ""
        return [
            (number, token)
            for number, line in enumerate(text.splitlines(), 1)
            for token in re.split(r"[\s,;]+", line.strip())
            if token
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        ticked = list(cleaned.get("firms") or [])
        pasted = self._pasted()
        if not ticked and not pasted:
            raise forms.ValidationError(_("Centang IKM di hasil pencarian atau tempel daftar NIB."))
        if len(pasted) > MAX_PASTED_NIBS:
            raise forms.ValidationError(
                {
                    "nibs": _("Paling banyak %(max)s NIB sekali tempel; daftar ini berisi %(n)s.")
                    % {"max": MAX_PASTED_NIBS, "n": grouped(len(pasted))}
                }
            )
        wanted = {nib for _line, nib in pasted if NIB.match(nib)}
        found = {f.nib: f for f in self.candidates.filter(nib__in=wanted)} if wanted else {}
        chosen = {f.pk: f for f in ticked}
        problems, seen = [], set()
        for line, nib in pasted:
            where = _("Baris %(n)s (%(nib)s)") % {"n": line, "nib": nib}
            if not NIB.match(nib):
                problems.append(_("%(where)s: NIB harus 13 digit angka.") % {"where": where})
            elif nib in seen:
                problems.append(_("%(where)s: NIB ini sudah ditulis di baris sebelumnya.") % {"where": where})
            elif nib not in found:
                problems.append(
                    _("%(where)s: tidak ditemukan di antara IKM terdaftar provinsi ini.") % {"where": where}
                )
            else:
                chosen[found[nib].pk] = found[nib]
            seen.add(nib)
        taken = set(
            self.activity.participations.filter(firm__in=list(chosen)).values_list("firm_id", flat=True)
        )
        for pk in sorted(taken, key=lambda pk: chosen[pk].name):
            problems.append(
                _("%(firm)s (NIB %(nib)s) sudah menjadi peserta kegiatan ini.")
                % {"firm": chosen[pk].name, "nib": chosen[pk].nib or "–"}
            )
        if problems:
            self.add_error("nibs" if pasted else "firms", problems)
        self.chosen = sorted(chosen.values(), key=lambda f: f.name)
        return cleaned


class _Grid(forms.Form):
    """What the two grids share: fields filled once, then one quantity field per row (`jumlah_<key>`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.row_keys = {}

    def add_row(self, key, label, initial=None):
        name = f"jumlah_{key}"
        self.fields[name] = _quantity_field(label, initial)
        self.row_keys[name] = key
        return name

    def quantities(self):
        """{row key: quantity} of the rows given a quantity (blank: no row)."""
        return {
            key: self.cleaned_data[name]
            for name, key in self.row_keys.items()
            if self.cleaned_data.get(name) is not None
        }

    def clean(self):
        cleaned = super().clean()
        if not any(name in self.errors for name in self.row_keys) and not self.quantities():
            raise forms.ValidationError(_("Isi jumlah pada minimal satu baris."))
        return cleaned

    def refuse(self, refusal):
        """Put a service's refusal (RowsRefused) beside its rows and shared fields."""
        names = {key: name for name, key in self.row_keys.items()}
        for key, messages in refusal.rows.items():
            self.add_error(names.get(key), messages)
        for field, messages in refusal.shared.items():
            self.add_error(field if field in self.fields and field not in self.row_keys else None, messages)


class BulkOutputForm(_Grid):
    """Outputs of several participating firms: product, type, unit, date and standard once; a quantity per
    firm."""

    SHARED = ["product", "product_type", "unit", "produced_on", "meets_standard"]

    def __init__(self, *args, activity, participations, **kwargs):
        kwargs.setdefault("auto_id", "bulk-output-%s")
        super().__init__(*args, **kwargs)
        self.activity = activity
        for name in self.SHARED:
            self.fields[name] = _model_field(Output, name)
        self.fields["product"].widget.attrs["placeholder"] = _("Mis. masker kain 2 lapis")
        # As the single output form: the product type's options name their units, the units their product
        # types (static/js/forms.js narrows the list and picks the usual unit; one mechanism for both forms).
        self.fields["product_type"].widget = ProductTypeSelect(choices=self.fields["product_type"].choices)
        self.fields["unit"].widget = UnitSelect(choices=self.fields["unit"].choices)
        # As the single output form: the activity's end, never after today, none outside its fiscal year.
        self.fields["produced_on"].initial = produced_on_default(activity)
        self.rows = []
        for participation in participations:
            name = self.add_row(participation.pk, participation.firm.name)
            self.rows.append((participation, self[name]))

    def shared(self):
        return {name: self.cleaned_data[name] for name in self.SHARED}


class BulkHandoverForm(_Grid):
    """Handovers of several outputs to one recipient: recipient, type, date and BAST once; a quantity per
    output, prefilled with what is left of it."""

    SHARED = ["recipient", "recipient_name", "recipient_type", "handed_on", "bast_number"]

    def __init__(self, *args, user, activity, outputs, **kwargs):
        kwargs.setdefault("auto_id", "bulk-handover-%s")
        super().__init__(*args, **kwargs)
        self.activity = activity
        for name in self.SHARED:
            self.fields[name] = _model_field(Handover, name)
        recipient = self.fields["recipient"]
        recipient.queryset = (
            Partner.objects.choices_for(user).filter(province_id=activity.province_id).order_by("name")
        )
        recipient.widget = RecipientSelect(choices=recipient.choices)  # as the single form's (forms.js)
        recipient.widget.attrs["data-sets-recipient-type"] = "recipient_type"
        recipient.help_text = _("Pilih mitra, atau kosongkan dan tulis nama penerima (mis. Masyarakat umum).")
        self.fields["recipient_type"].required = False
        self.fields["recipient_type"].help_text = _("Terisi dari jenis mitra bila mitra dipilih.")
        open_outputs = [o for o in outputs if o.remaining > 0]
        self.fields["handed_on"].initial = self._default_date(open_outputs)
        self.rows = []
        for output in open_outputs:
            label = f"{output.participation.firm.name}: {output.product}"
            name = self.add_row(output.pk, label, initial=output.remaining)
            self.rows.append((output, self[name]))
        self.remaining = {o.pk: o.remaining for o in open_outputs}

    def _default_date(self, outputs):
        """Today; for an activity of another fiscal year (entered late) the latest production date of the
        outputs still to be handed over, the first day a handover of all of them may have."""
        today = timezone.localdate()
        if today.year == self.activity.year or not outputs:
            return today
        return max(o.produced_on for o in outputs)

    def clean(self):
        cleaned = super().clean()
        recipient = cleaned.get("recipient")
        if not cleaned.get("recipient_type"):
            if recipient is not None:
                cleaned["recipient_type"] = RecipientType.of_partner(recipient)
            elif "recipient_type" not in self.errors:
                self.add_error("recipient_type", _("Pilih jenis penerima (atau pilih mitra penerima)."))
        for name, key in self.row_keys.items():
            quantity = cleaned.get(name)
            if quantity is not None and quantity > self.remaining[key]:
                self.add_error(
                    name, _("Melebihi sisa hasil ini: tersisa %(n)s.") % {"n": grouped(self.remaining[key])}
                )
        return cleaned

    def shared(self):
        values = {name: self.cleaned_data[name] for name in self.SHARED}
        values["recipient_name"] = (values["recipient_name"] or "").strip()
        return values
