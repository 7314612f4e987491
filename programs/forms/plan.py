"""Forms of the plan (DIPA): the RO rows of the plan's edit page. The rows are saved by
`programs.planning.save_plan`, which checks every rule of the plan; these forms only read the input (the
Indonesian numbers, the choices) and put the plan's refusals beside the fields they concern.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Measure, OutputUnit, ProductType
from ..planning import CODE_EXAMPLES, level_of
from .fields import QuantityField, RupiahField


def _blank(choices):
    return [("", "---------"), *choices]


class PlanRowForm(forms.Form):
    """One line of the plan: its code (the level follows from it; an akun line's code ends in its account),
    its name, and for an RO its volume target and unit, how it is counted, its pagu; an amount for a
    komponen or akun line. Which of these a line needs is the model's rule, said by save_plan."""

    code = forms.CharField(label=_("Kode"), max_length=60)
    name = forms.CharField(label=_("Uraian"), max_length=300)
    target = QuantityField(label=_("Target volume"), min_value=1, required=False)
    unit = forms.ChoiceField(label=_("Satuan"), choices=_blank(OutputUnit.choices), required=False)
    measure = forms.ChoiceField(
        label=_("Cara menghitung capaian"),
        choices=_blank(Measure.choices),
        required=False,
        help_text=_("Kosong: menurut satuannya."),
    )
    product_type = forms.ChoiceField(
        label=_("Jenis produk"), choices=_blank(ProductType.choices), required=False
    )
    pagu = RupiahField(label=_("Pagu (Rp)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown as a table row under one header: each input names itself for screen readers.
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else "form-control form-control-sm"
            )
            if isinstance(field.widget, forms.Select):
                css = "form-select form-select-sm"
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if level_of(code) is None:
            raise forms.ValidationError(
                _("Kode %(c)s tidak dikenali. Tulis kode bertitik seperti %(e)s.")
                % {"c": code, "e": CODE_EXAMPLES}
            )
        return code

    @property
    def level(self):
        return level_of((self.initial or {}).get("code") or self.data.get(self.add_prefix("code"), ""))


class BasePlanFormSet(forms.BaseFormSet):
    def add_problems(self, problems):
        """The plan's refusals (planning.Problem) beside the RO rows and fields they name; the rest above."""
        by_code = {}
        for form in self.forms:
            code = (form.cleaned_data or {}).get("code") if hasattr(form, "cleaned_data") else None
            if code:
                by_code[code] = form
        loose = []
        for problem in problems:
            form = by_code.get(problem.code)
            if form is not None:
                field = problem.field if problem.field in form.fields else None
                form.add_error(field, problem.message)
            else:
                loose.append(str(problem))
        if loose:
            self._non_form_errors = self.error_class(
                [*self.non_form_errors(), *loose], renderer=self.renderer
            )


PlanFormSet = forms.formset_factory(
    PlanRowForm, formset=BasePlanFormSet, extra=2, can_delete=True, max_num=500, validate_max=True
)
