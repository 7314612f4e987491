"""Forms of the reports: the filters (an allow-list of values and sort columns) and the quarter's note."""

from django import forms
from django.utils.translation import gettext_lazy

from .. import reports
from ..models import ActivityKind, ActivityPurpose, FundType, QuarterlyNote, Sector
from .achievements import CapaianFilterForm
from .fields import ScopedForm

BLANK = [("", gettext_lazy("Semua"))]


class ReportFilterForm(forms.Form):
    """The report filters (an allow-list of values, including the sort columns)."""

    tahun = forms.IntegerField(label=gettext_lazy("Tahun"), min_value=2000, max_value=2100, required=False)
    jenis = forms.ChoiceField(
        label=gettext_lazy("Jenis"), choices=BLANK + ActivityKind.choices, required=False
    )
    tujuan = forms.ChoiceField(
        label=gettext_lazy("Tujuan"), choices=BLANK + ActivityPurpose.choices, required=False
    )
    sektor = forms.ChoiceField(label=gettext_lazy("Sektor"), choices=BLANK + Sector.choices, required=False)
    covid = forms.ChoiceField(
        label=gettext_lazy("Penanganan Covid-19"),
        choices=BLANK + [("ya", gettext_lazy("Ya")), ("tidak", gettext_lazy("Tidak"))],
        required=False,
    )
    verifikasi = forms.ChoiceField(
        label=gettext_lazy("Data"),
        choices=[
            ("semua", gettext_lazy("Semua data")),
            ("terverifikasi", gettext_lazy("Hanya yang terverifikasi")),
        ],
        required=False,
    )
    dana = forms.ChoiceField(
        label=gettext_lazy("Jenis dana"),
        choices=BLANK + [(value, value) for value in FundType.values],
        required=False,
    )
    urut = forms.ChoiceField(
        choices=[("", "")] + [(f"{d}{k}", f"{d}{k}") for k in reports.SORT_KEYS for d in ("", "-")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, data, *, fields, default_year):
        super().__init__(data)
        for name in set(self.fields) - set(fields):
            del self.fields[name]
        self.default_year = default_year  # a callable: asked only when no year is given
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css if name != "tahun" else "form-control form-control-sm")

    def filters(self):
        """The filters asked for; a value that does not validate falls back to its default."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        covid = data.get("covid")
        return reports.Filters(
            year=data.get("tahun") or self.default_year(),
            kind=data.get("jenis", ""),
            purpose=data.get("tujuan", ""),
            sector=data.get("sektor", ""),
            covid={"ya": True, "tidak": False}.get(covid),
            verified_only=data.get("verifikasi") == "terverifikasi",
            fund_type=data.get("dana", ""),
        )

    def sort(self):
        return getattr(self, "cleaned_data", {}).get("urut", "")


class QuarterlyNoteForm(ScopedForm):
    class Meta:
        model = QuarterlyNote
        fields = ["problems", "follow_up", "physical_progress"]
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in fields}


class RecapFilterForm(ReportFilterForm):
    """The national recap's filters and its as-of month (`bulan`, the same field as the capaian report's:
    a month outside 1-12 is said beside the field and the default month is shown instead)."""

    bulan = CapaianFilterForm.base_fields["bulan"]

    def month(self, year):
        """The month asked, else the default: the current month for the current year, else December."""
        return getattr(self, "cleaned_data", {}).get("bulan") or reports.default_month(year)
