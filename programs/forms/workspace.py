"""Forms of the operator's workspace. Each takes the acting user; every choice list comes from the access
module; every message is in Bahasa Indonesia; money and quantities accept Indonesian input (Rp 1.250.000,
100.000): every model form derives from `fields.ModelForm`, whose quantity fields are `QuantityField`s.
"""

import datetime
import re
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..access import allocations_open_for_entry, own_regency, provinces_editable_by, regencies_for
from ..cashplan import SPENDING_TYPES, UNSPLIT_TYPE, planned_outputs
from ..evidence import MAX_EVIDENCE_BYTES
from ..models import (
    BUDGET_HELP,
    UNITS_OF_PRODUCT_TYPE,
    Activity,
    Attachment,
    AttachmentKind,
    BudgetRevision,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    PlanItem,
    PlanLevel,
    Realisation,
    RecipientType,
    SpendingType,
    Unit,
)
from ..numbers import indonesian_number, is_quantity, rupiah  # noqa: F401 - forms.is_quantity
from ..periods import MONTH_CHOICES  # noqa: F401
from .fields import RupiahField, ScopedForm


def _open_allocations(user):
    return allocations_open_for_entry(user).select_related("province").order_by("-year", "province__code")


def current_allocation(allocations, today=None):
    """The allocation a new activity starts on, of `allocations` (the open ones a user may use): of one
    province only (else None: the user picks), the year containing today if it is open, else the latest open
    year."""
    if len({a.province_id for a in allocations}) != 1:
        return None
    today = today or timezone.localdate()
    this_year = [a for a in allocations if a.year == today.year]
    return this_year[0] if this_year else max(allocations, key=lambda a: a.year)


def within_year(day, year):
    """`day` moved into the fiscal year `year` (its first or last day when outside it)."""
    return min(max(day, datetime.date(year, 1, 1)), datetime.date(year, 12, 31))


class UnitSelect(forms.Select):
    """The units of an output, each option naming the product types it fits (data-product-types), so that
    static/js/forms.js shows only the units of the chosen product type."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            fits = [str(t) for t, units in UNITS_OF_PRODUCT_TYPE.items() if value in units]
            option["attrs"]["data-product-types"] = " ".join(fits)
        return option


class ProductTypeSelect(forms.Select):
    """The product types, each option naming its units, the usual first (data-units): static/js/forms.js
    narrows the unit list and picks the usual unit when the product type changes."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["data-units"] = " ".join(str(u) for u in Unit.of_product_type(value))
        return option


class RecipientSelect(forms.Select):
    """The recipient partners, each option naming the recipient type a handover to it has
    (data-recipient-type, RecipientType.of_partner): static/js/forms.js sets the type when one is picked."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        partner = getattr(value, "instance", None)
        if partner is not None:
            option["attrs"]["data-recipient-type"] = RecipientType.of_partner(partner)
        return option


def _province_and_regency_choices(form):
    """A registry record's province and regency: of the provinces the user enters data for; an operator's
    own province is filled in and hidden (one query reads whether there is just one)."""
    provinces = provinces_editable_by(form.user)
    form.fields["province"].queryset = provinces
    form.fields["regency"].queryset = regencies_for(form.user)
    if own_regency(form.user) is not None:  # a regency's operator registers in their regency
        form.fields["regency"].required = True
    first_two = list(provinces[:2])
    if len(first_two) == 1:
        form.fields["province"].initial = first_two[0]
        form.fields["province"].widget = forms.HiddenInput()


class ActivityForm(ScopedForm):
    budget = RupiahField(label=_("Anggaran kegiatan (Rp)"), help_text=BUDGET_HELP)

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
            "planned_output",
        ]
        widgets = {"partners": forms.CheckboxSelectMultiple, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = _open_allocations(self.user)
        self.fields["allocation"].label_from_instance = lambda a: f"{a.province.name} — {a.year}"
        self.fields["regency"].queryset = regencies_for(self.user)
        if own_regency(self.user) is not None:  # a regency's operator: an activity of their regency
            self.fields["regency"].required = True
        self.fields["partners"].queryset = Partner.objects.choices_for(self.user).order_by("name")
        if self.instance.pk:
            # An activity stays in its allocation: its parts carry the same province and year.
            self.fields["allocation"].disabled = True
            self.fields["partners"].queryset = self.fields["partners"].queryset.filter(
                province_id=self.instance.province_id
            )
        else:
            self._start_on_current_allocation()
        # The RO: of the allocations this user may link the activity to (its own allocation once saved).
        allocations = (
            [self.instance.allocation_id] if self.instance.pk else self.fields["allocation"].queryset
        )
        self.fields["planned_output"].queryset = (
            PlanItem.objects.visible_to(self.user)
            .filter(level=PlanLevel.RO, allocation__in=allocations)
            .select_related("allocation__province")
            .order_by("-allocation__year", "allocation__province__code", "code")
        )
        self.fields["planned_output"].label_from_instance = lambda ro: (
            f"{ro.code} {ro.name} ({ro.allocation.province.name} {ro.allocation.year})"
        )
        self.fields["planned_output"].error_messages["invalid_choice"] = _(
            "RO ini bukan RO dari rencana alokasi yang dapat Anda pakai."
        )

    def _start_on_current_allocation(self):
        """A new activity starts on the province's current open allocation, its planned dates today (moved
        into that year); the help text says how it was chosen."""
        allocations = list(self.fields["allocation"].queryset)
        current = current_allocation(allocations)
        if current is None:
            return
        today = timezone.localdate()
        self.fields["allocation"].initial = current.pk
        self.fields["allocation"].help_text = _(
            "Terpilih: alokasi tahun berjalan (%(y)s) bila masih terbuka, bila tidak tahun terbuka terakhir. "
            "Tanggal kegiatan harus di dalam tahun anggaran alokasinya."
        ) % {"y": today.year}
        for field in ("planned_start", "planned_end"):
            self.fields[field].initial = within_year(today, current.year)

    def clean(self):
        cleaned = super().clean()
        allocation = cleaned.get("allocation")
        partners = cleaned.get("partners")
        if allocation and partners:
            foreign = [p for p in partners if p.province_id != allocation.province_id]
            if foreign:
                self.add_error("partners", _("Mitra harus dari provinsi kegiatan ini."))
        # The RO (one of the allocation's, required in a year with a plan): Activity.clean() says it.
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
        _province_and_regency_choices(self)

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
        _province_and_regency_choices(self)


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
        self.fields["firm"].queryset = Firm.objects.choices_for(self.user).filter(
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
        # A firm registered in place is most likely of the activity's regency and sector.
        if activity.regency_id and self.fields["regency"].initial is None:
            self.fields["regency"].initial = activity.regency_id
        self.fields["sector"].initial = activity.sector


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
            Firm.objects.choices_for(self.user)
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
        self.fields["buyer"].queryset = Partner.objects.choices_for(self.user).filter(
            province_id=self.activity.province_id
        )
        self.fields["product_type"].widget = ProductTypeSelect(choices=self.fields["product_type"].choices)
        self.fields["unit"].widget = UnitSelect(choices=self.fields["unit"].choices)
        # Blank: the product type's usual unit (clean_unit); the browser preselects it (static/js/forms.js).
        self.fields["unit"].required = False
        if not self.instance.pk:
            produced = produced_on_default(self.activity)
            if produced is not None:
                self.fields["produced_on"].initial = produced

    def clean_unit(self):
        unit = self.cleaned_data.get("unit")
        product_type = self.cleaned_data.get("product_type")
        if not unit and product_type:
            return Unit.of_product_type(product_type)[0]
        if not unit:
            raise ValidationError(self.fields["unit"].error_messages["required"], code="required")
        return unit


def produced_on_default(activity, today=None):
    """A new output's date: the activity's actual end, else its planned end, never after today; None when
    that falls outside the activity's fiscal year (nothing produced yet)."""
    today = today or timezone.localdate()
    day = min(activity.actual_end or activity.planned_end, today)
    return day if day.year == activity.year else None


class HandoverForm(ScopedForm):
    class Meta:
        model = Handover
        fields = ["recipient_type", "recipient", "recipient_name", "handed_on", "quantity", "bast_number"]

    def __init__(self, *args, output, **kwargs):
        self.output = output
        super().__init__(*args, **kwargs)
        self.instance.output = output
        self.fields["recipient"].queryset = Partner.objects.choices_for(self.user).filter(
            province_id=output.province_id
        )
        self.fields["recipient"].widget = RecipientSelect(choices=self.fields["recipient"].choices)
        self.fields["recipient"].widget.attrs["data-sets-recipient-type"] = "recipient_type"
        # Blank with a partner chosen: the partner's type (clean_recipient_type).
        self.fields["recipient_type"].required = False
        if not self.instance.pk:
            today = timezone.localdate()
            if today.year == output.year and today >= output.produced_on:
                self.fields["handed_on"].initial = today
            if output.remaining > 0:
                self.fields["quantity"].initial = output.remaining

    def clean(self):
        cleaned = super().clean()
        partner = cleaned.get("recipient")
        if not cleaned.get("recipient_type") and "recipient_type" not in self.errors:
            if partner is not None:
                cleaned["recipient_type"] = RecipientType.of_partner(partner)
            elif "recipient" not in self.errors:
                message = _("Pilih jenis penerima, atau pilih penerima mitra agar jenisnya terisi.")
                self.add_error("recipient_type", message)
        return cleaned


class RealisationForm(ScopedForm):
    """A month's realisation entered as lines: one amount per spending type (51/52/53), or, when the year
    has a plan, per RO and spending type (a grid, blank = 0). The month's amount is their sum;
    `cashplan.save_realisation` writes it with its lines. `outputs`: the allocation's RO, if the caller
    has them (else read here)."""

    class Meta:
        model = Realisation
        fields = ["month", "note"]
        widgets = {"note": forms.TextInput}

    def __init__(self, *args, allocation, outputs=None, **kwargs):
        self.allocation = allocation
        super().__init__(*args, **kwargs)
        self.instance.allocation = allocation
        self.fields["month"].widget = forms.Select(choices=MONTH_CHOICES)
        if self.instance.pk:
            self.fields["month"].disabled = True
        if outputs is None:
            outputs = list(planned_outputs(allocation))
        self.outputs = outputs
        stored = {}
        if self.instance.pk:
            stored = {
                (line.planned_output_id, line.spending_type): line.amount
                for line in self.instance.lines.all()
            }
        # Entered before it had lines (all belanja barang, 52), or before the year had a plan (under no RO):
        # the page says so, and the grid starts from what can be placed in it.
        self.unsplit = bool(self.instance.pk) and (
            not stored or bool(outputs) and None in {k[0] for k in stored}
        )
        if self.unsplit and not outputs:
            stored = {(None, UNSPLIT_TYPE): self.instance.amount}
        self.cells = {}
        for ro in outputs or [None]:
            for spending_type in SPENDING_TYPES:
                name = f"ro_{ro.pk}_{spending_type}" if ro else f"amount_{spending_type}"
                key = (ro.pk if ro else None, spending_type)
                label = SpendingType(spending_type).label
                field = RupiahField(label=f"{ro.code} {label}" if ro else label, required=False)
                field.initial = stored.get(key)
                field.widget.attrs["class"] = "form-control form-control-sm text-end"
                field.widget.attrs["placeholder"] = "0"  # a blank cell is 0
                if ro:
                    field.widget.attrs["aria-label"] = f"{ro.code}, {label}"
                self.fields[name] = field
                self.cells[name] = key

    type_labels = SpendingType.choices

    def grid(self):
        """[(RO or None, [bound field per spending type])]: the rows the page shows."""
        names = list(self.cells)
        rows = []
        for index, ro in enumerate(self.outputs or [None]):
            rows.append((ro, [self[n] for n in names[index * 3 : index * 3 + 3]]))
        return rows

    def lines(self):
        """{(RO id or None, spending type): Decimal} of the cleaned amounts, blanks as 0."""
        return {key: self.cleaned_data.get(name) or Decimal(0) for name, key in self.cells.items()}

    def clean(self):
        cleaned = super().clean()
        if any(name in self.errors for name in self.cells):
            return cleaned
        if all(cleaned.get(name) is None for name in self.cells):
            # Blank cells are 0, but a form left wholly blank is more likely a slip than a month without
            # spending: that is said with a 0.
            raise ValidationError(
                _("Isi realisasi minimal pada satu sel (tulis 0 bila bulan ini tidak ada realisasi).")
            )
        self.instance.amount = sum(self.lines().values(), Decimal(0))  # checked by the model's clean()
        return cleaned

    def _update_errors(self, errors):
        # The model speaks of "amount", which this form shows as its lines: say it above them.
        if hasattr(errors, "error_dict") and "amount" in errors.error_dict:
            moved = errors.error_dict.pop("amount")
            errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(moved)
        super()._update_errors(errors)

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
    """A revision of the pagu. For an allocation with a plan it also shows each RO with its current pagu
    and asks its new pagu (fields `ro_<id>`) and the revision code; `programs.planning.revise` saves it."""

    new_pagu = RupiahField(label=_("Pagu baru (Rp)"))

    class Meta:
        model = BudgetRevision
        fields = ["revised_on", "new_pagu", "reason", "document_number", "revision_code"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, allocation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.allocation = allocation
        self.planned_outputs = list(
            PlanItem.objects.visible_to(self.user)
            .filter(allocation=allocation, level=PlanLevel.RO)
            .order_by("code")
        )
        if self.planned_outputs:
            self.fields["revision_code"].required = True
            self.fields["revision_code"].error_messages["required"] = _(
                "Revisi alokasi yang punya rencana (RO) wajib punya kode revisi."
            )
            for ro in self.planned_outputs:
                self.fields[f"ro_{ro.pk}"] = RupiahField(
                    label=_("Pagu baru RO %(c)s %(n)s (Rp)") % {"c": ro.code, "n": ro.name},
                    initial=ro.pagu,
                    help_text=_("Pagu sekarang: %(p)s.") % {"p": rupiah(ro.pagu)},
                )

    @property
    def has_plan(self):
        return bool(self.planned_outputs)

    def ro_pagus(self):
        """{RO id: new pagu} as entered."""
        return {ro.pk: self.cleaned_data[f"ro_{ro.pk}"] for ro in self.planned_outputs}

    def clean(self):
        cleaned = super().clean()
        new_pagu = cleaned.get("new_pagu")
        fields = [f"ro_{ro.pk}" for ro in self.planned_outputs]
        if self.planned_outputs and new_pagu is not None and all(cleaned.get(f) is not None for f in fields):
            total = sum(cleaned[f] for f in fields)
            if total != new_pagu:
                self.add_error(
                    "new_pagu",
                    _("Jumlah pagu baru RO %(s)s harus sama dengan pagu baru %(p)s (selisih %(d)s).")
                    % {"s": rupiah(total), "p": rupiah(new_pagu), "d": rupiah(total - new_pagu)},
                )
        return cleaned


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


class AttachmentForm(forms.ModelForm):
    file = forms.FileField(
        label=_("Berkas (PDF, JPEG atau PNG, maks. 10 MB)"),
        max_length=200,
        error_messages={
            "required": _("Pilih berkas yang akan diunggah."),
            "empty": _("Berkas kosong."),
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
