"""The RPD entry form: a grid of 12 months × belanja 51/52/53, amounts typed the Indonesian way
(Rp 1.250.000), a blank cell meaning 0. It only parses: `cashplan.save_cash_plan` decides and writes.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import SpendingType
from ..periods import MONTH_CHOICES
from .fields import RupiahField

SPENDING_TYPES = tuple(SpendingType.values)


def cell_name(month, spending_type):
    return f"m{month}_{spending_type}"


class CashPlanForm(forms.Form):
    note = forms.CharField(
        label=_("Keterangan perubahan"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("mis. penyesuaian jadwal kegiatan")}),
    )

    def __init__(self, *args, plan_lines=None, **kwargs):
        """`plan_lines`: {(month, type): amount} of the version in force, the grid's starting values."""
        super().__init__(*args, **kwargs)
        plan_lines = plan_lines or {}
        for month, label in MONTH_CHOICES:
            for spending_type in SPENDING_TYPES:
                field = RupiahField(label=f"{label} {spending_type}", required=False)
                field.widget.attrs["class"] = "form-control form-control-sm text-end"
                field.widget.attrs["placeholder"] = "0"  # a blank cell is 0
                field.widget.attrs["aria-label"] = f"{label}, {SpendingType(spending_type).label}"
                field.initial = plan_lines.get((month, spending_type))
                self.fields[cell_name(month, spending_type)] = field

    def rows(self):
        """[(month label, [bound field per spending type])] for the grid."""
        return [
            (label, [self[cell_name(month, t)] for t in SPENDING_TYPES]) for month, label in MONTH_CHOICES
        ]

    def lines(self):
        """{(month, type): Decimal} of the cleaned grid, blanks as 0."""
        return {
            (month, t): self.cleaned_data.get(cell_name(month, t)) or Decimal(0)
            for month, _label in MONTH_CHOICES
            for t in SPENDING_TYPES
        }

    def total(self):
        return sum(self.lines().values(), Decimal(0))
