"""Quantities typed as Indonesians write them: 100.000, 100000 and 1.000.000 are the numbers meant, in every
form, the admin and import cells; 2,5 and 1.5 are refused with a message beside the field, nothing saved.

Every integer field of every form (the workspace's, the admin's, and their inlines) is found by
introspection, so a new quantity field cannot escape: it either reads Indonesian grouping, or it is a year or
a code, typed and shown as plain digits (2020, never 2.020).
"""

import pytest
from django import forms
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

import accounts.forms
import programs.forms
import provinces.forms
from programs.models import Firm, Handover, Output
from provinces.models import Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_output,
    make_participation,
    make_partner,
)
from tests.test_import import firm_row, run, xlsx

pytestmark = pytest.mark.django_db

MODULES = (
    accounts.forms,
    programs.forms,  # every form of the app: fields, workspace, filters, reports, imports
)
MODULES += (provinces.forms,)
OUR_APPS = ("accounts", "programs", "provinces")
# Integer fields that name a year, a month, a quarter or a record: never read or shown as quantities.
NAMING = {"tahun", "year", "month", "quarter", "version", "object_id", "established_year", "moved_in_year"}
INDONESIAN_REFUSAL = "bilangan bulat"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _our_forms():
    modules = tuple(m.__name__ for m in MODULES)
    # a module of MODULES, or of a package of them (programs.forms.workspace)
    found = {c for c in _subclasses(forms.BaseForm) if c.__module__.startswith(modules) and any(
        c.__module__ == m or c.__module__.startswith(m + ".") for m in modules
    )}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _integer_fields(form_class):
    return [
        (name, field)
        for name, field in form_class.base_fields.items()
        # Money (a DecimalField: an IntegerField's subclass in Django) is RupiahField's.
        if isinstance(field, forms.IntegerField)
        and not isinstance(field, forms.DecimalField)
        and not isinstance(field.widget, forms.HiddenInput)
    ]


def _admin_form_classes(request):
    """(label, form class) of every admin page and inline of our apps, as the admin builds them."""
    for model, model_admin in site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        yield model_admin.__class__.__name__, model_admin.get_form(request, None)
        for inline_class in model_admin.inlines:
            inline = inline_class(model, site)
            yield inline_class.__name__, inline.get_formset(request, None).form


def _check_quantity(label, name, field):
    problems = []
    for text, number in [("100.000", 100_000), ("100000", 100_000), ("1.000.000", 1_000_000), ("25", 25)]:
        try:
            value = field.clean(text)
        except ValidationError as e:
            value = e.messages
        if value != number:
            problems.append(f"{label}.{name}: {text!r} gave {value!r}, not {number}")
    for text in ("2,5", "1.5", "100,000"):
        try:
            value = field.clean(text)
        except ValidationError as e:
            if not any(INDONESIAN_REFUSAL in m for m in e.messages):
                problems.append(f"{label}.{name}: {text!r} refused without a clear message: {e.messages}")
        else:
            problems.append(f"{label}.{name}: {text!r} accepted as {value!r}")
    shown = field.widget.render(name, field.prepare_value(100_000))
    if 'value="100.000"' not in shown:
        problems.append(f"{label}.{name}: 100000 shown as {shown}")
    return problems


def _check_naming(label, name, field):
    shown = field.widget.render(name, field.prepare_value(2020))
    if 'value="2020"' not in shown:
        return [f"{label}.{name}: 2020 shown as {shown}"]
    return []


def _check(label, form_class):
    problems = []
    for name, field in _integer_fields(form_class):
        check = _check_naming if name in NAMING else _check_quantity
        problems += check(label, name, field)
    return problems


@pytest.mark.parametrize("form_class", _our_forms(), ids=lambda c: c.__qualname__)
def test_every_quantity_field_of_every_form_reads_indonesian_grouping(form_class):
    assert not _check(form_class.__qualname__, form_class)


def test_every_quantity_field_of_every_admin_form_and_inline_reads_indonesian_grouping(admin):
    request = RequestFactory().get("/admin/")
    request.user = admin
    problems, quantities = [], 0
    for label, form_class in _admin_form_classes(request):
        quantities += sum(name not in NAMING for name, _field in _integer_fields(form_class))
        problems += _check(label, form_class)
    assert not problems, "\n".join(problems)
    # Output (2), its inline (2), Handover and its inline, Activity (2), Firm: at least 9 admin quantities.
    assert quantities >= 9


def test_the_introspection_finds_the_quantity_fields_of_the_workspace():
    names = {(c.__name__, n) for c in _our_forms() for n, _f in _integer_fields(c) if n not in NAMING}
    assert {
        ("OutputForm", "quantity"),
        ("OutputForm", "ordered_quantity"),
        ("HandoverForm", "quantity"),
        ("ActivityForm", "target_participants"),
        ("ActivityForm", "actual_participants"),
        ("FirmForm", "workers"),
    } <= names


# --- Through the pages -------------------------------------------------------------------------------------


@pytest.fixture
def participation():
    return make_participation(make_activity(make_allocation("51", 2020)), make_firm("51"))


def _output_post(participation, **changes):
    data = {
        "participation": participation.pk,
        "product": "Masker kain 2 lapis",
        "product_type": "masker",
        "quantity": "100.000",
        "unit": "pcs",
        "produced_on": "01/07/2020",
        "ordered_quantity": "100.000",
        "buyer": make_partner("51").pk,  # the Covid-19 task force that ordered them
    }
    data.update(changes)
    return data


def test_an_operator_records_100_000_masks_typed_with_a_thousands_separator(operator_client, participation):
    response = operator_client.post(
        reverse("programs:output_add", args=[participation.activity_id]), _output_post(participation)
    )

    assert response.status_code == 302, response.context["forms"]["output"].errors
    output = Output.objects.get()
    assert (output.quantity, output.ordered_quantity) == (100_000, 100_000)
    edit = operator_client.get(reverse("programs:output_edit", args=[output.pk])).content.decode()
    assert 'value="100.000"' in edit


@pytest.mark.parametrize("field", ["quantity", "ordered_quantity"])
@pytest.mark.parametrize("typed", ["2,5", "1.5"])
def test_a_fraction_in_a_quantity_is_refused_beside_the_field_and_nothing_is_saved(
    operator_client, participation, field, typed
):
    response = operator_client.post(
        reverse("programs:output_add", args=[participation.activity_id]),
        _output_post(participation, **{field: typed}),
    )

    assert response.status_code == 200
    assert INDONESIAN_REFUSAL in str(response.context["forms"]["output"].errors[field])
    assert INDONESIAN_REFUSAL in response.content.decode()
    assert not Output.objects.exists()


def test_a_handover_of_2_500_is_two_thousand_five_hundred(operator_client, participation):
    output = make_output(participation, quantity=3000)
    response = operator_client.post(
        reverse("programs:handover_add", args=[output.pk]),
        {
            "recipient_type": "masyarakat",
            "recipient_name": "Masyarakat Bangli",
            "handed_on": "20/07/2020",
            "quantity": "2.500",
            "bast_number": "BAST/01/2020",
        },
    )

    assert response.status_code == 302
    assert Handover.objects.get().quantity == 2500


def test_a_firm_of_1_250_workers_is_saved_with_1250(operator_client):
    regency = Regency.objects.get(code="51.06")
    response = operator_client.post(
        reverse("programs:firm_create"),
        {
            "province": regency.province_id,
            "regency": regency.pk,
            "name": "Konveksi Besar Bangli",
            "sector": "sandang",
            "scale": "menengah",
            "workers": "1.250",
        },
    )

    assert response.status_code == 302, response.context["form"].errors
    assert Firm.objects.get().workers == 1250


def test_the_admin_saves_100_000_typed_with_a_thousands_separator(admin_client):
    regency = Regency.objects.get(code="51.06")
    data = {
        "province": regency.province_id,
        "regency": regency.pk,
        "name": "Konveksi Admin",
        "sector": "sandang",
        "scale": "mikro",
        "workers": "100.000",
    }

    response = admin_client.post(reverse("admin:programs_firm_add"), data)
    assert response.status_code == 302
    assert Firm.objects.get().workers == 100_000

    response = admin_client.post(
        reverse("admin:programs_firm_add"), {**data, "name": "Lain", "workers": "2,5"}
    )
    assert response.status_code == 200
    assert INDONESIAN_REFUSAL in str(response.context["adminform"].form.errors["workers"])
    assert Firm.objects.count() == 1


# --- Import cells ------------------------------------------------------------------------------------------


def test_an_import_cell_reads_grouping_as_the_form_does_and_refuses_a_fraction_with_its_message():
    field = programs.forms.FirmForm.base_fields["workers"]
    report = run(
        xlsx(
            [
                firm_row(1, **{"Jumlah tenaga kerja": "1.250"}),
                firm_row(2, **{"Jumlah tenaga kerja": "1.000.000"}),
                firm_row(3, **{"Jumlah tenaga kerja": "2,5"}),
            ]
        )
    )

    errors = list(report.errors())
    assert [(row, column) for row, column, _m in errors] == [(4, "Jumlah tenaga kerja")]
    with pytest.raises(ValidationError) as refused:
        field.clean("2,5")
    assert errors[0][2] == refused.value.messages[0]
    assert report.rows[0].status == report.rows[1].status == "baru"

    report = run(
        xlsx([firm_row(1, **{"Jumlah tenaga kerja": "1.250"}), firm_row(2, **{"Jumlah tenaga kerja": 7})])
    )
    assert report.ok
    assert sorted(Firm.objects.values_list("workers", flat=True)) == [7, 1250]


@pytest.mark.parametrize("typed", ["100,000", "1.250.000,000"])
def test_money_with_three_digits_after_the_comma_is_refused_not_cut_to_a_hundred(typed):
    """An English-grouped 100,000 would be Rp 100 read the Indonesian way: refused, as a quantity's is."""
    field = programs.forms.ActivityForm.base_fields["budget"]
    with pytest.raises(ValidationError) as refused:
        field.clean(typed)
    assert "Rupiah" in refused.value.messages[0]
    assert field.clean("1.250.000,00") == field.clean("Rp 1.250.000") == 1_250_000
