"""Every rule of the programme's data, proved through plain model forms and at the database.

- Each rule: a bad value is refused with its Indonesian message on the right field, and nothing is saved.
- Each named constraint of programs/models.py: a write that bypasses the forms is refused by the database
  (and a meta-test fails when a constraint is added without such a test).
- The running totals (current pagu, realised total, handed-over total) and the copied province, year and
  activity of an activity's parts.
- The scoping querysets: who sees and who may change which rows.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from programs.models import (
    Activity,
    Allocation,
    BudgetRevision,
    Firm,
    FirmTally,
    FiscalYear,
    Handover,
    NationalFirmTally,
    NationalTally,
    Output,
    Participant,
    Participation,
    Partner,
    Realisation,
    ReviewEvent,
    ReviewStatus,
    Tally,
)
from provinces.models import Province, Regency
from tests.factories import (
    make_activity,
    make_allocation,
    make_firm,
    make_handover,
    make_output,
    make_participant,
    make_participation,
    make_partner,
    make_realisation,
    make_revision,
)

pytestmark = pytest.mark.django_db

D = datetime.date
MILLION = Decimal(1_000_000)


# --- Helpers -----------------------------------------------------------------------------------------------


def form_class(model):
    """A plain ModelForm over every editable field: the model's own rules, nothing of a view's form."""
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    return type(f"{model.__name__}Form", (forms.ModelForm,), {"Meta": meta})


def form_data(instance):
    """What a browser would post for this instance (relations by primary key)."""
    data = {}
    for name, value in model_to_dict(instance).items():
        if value is None:
            continue
        data[name] = [v.pk for v in value] if isinstance(value, list) else value
    return data


def stored(model):
    return list(model.objects.order_by("pk").values())


@pytest.fixture
def w(operator):
    """A Bali 2020 allocation with an activity, a participating firm and its output, and neighbours."""
    bali, kalsel = Province.objects.get(code="51"), Province.objects.get(code="63")
    alloc = make_allocation("51", 2020, pagu=1000 * MILLION)
    activity = make_activity(alloc, regency=Regency.objects.get(code="51.06"))
    firm = make_firm("51", "51.06", nib="5106000000001")
    participation = make_participation(activity, firm)
    return SimpleNamespace(
        bali=bali,
        kalsel=kalsel,
        papua=Province.objects.get(code="91"),
        papua_selatan=Province.objects.get(code="93"),
        bangli=Regency.objects.get(code="51.06"),
        banjarmasin=Regency.objects.get(code="63.71"),
        merauke=Regency.objects.get(code="93.01"),
        alloc=alloc,
        activity=activity,
        firm=firm,
        firm2=make_firm("51", "51.06", nib="5106000000002"),
        kalsel_firm=make_firm("63", "63.71", nib="6371000000001"),
        participation=participation,
        output=make_output(participation, quantity=1000),
        partner=make_partner("51"),
        kalsel_partner=make_partner("63"),
        operator=operator,
    )


# A valid new row of each model, as a form would build it.
NEW = {
    Allocation: lambda w: Allocation(
        province=w.kalsel,
        year=2021,
        pagu=500 * MILLION,
        dipa_number="SP DIPA-019.03.2.63/2021",
        dipa_date=D(2021, 1, 4),
    ),
    BudgetRevision: lambda w: BudgetRevision(
        allocation=w.alloc,
        revised_on=D(2020, 4, 15),
        new_pagu=800 * MILLION,
        reason="Refocusing anggaran untuk IKM terdampak Covid-19",
        document_number="DIPA revisi ke-1",
    ),
    Realisation: lambda w: Realisation(allocation=w.alloc, month=6, amount=250 * MILLION),
    Activity: lambda w: Activity(
        allocation=w.alloc,
        title="Bimtek pembuatan masker kain 2 lapis di Kabupaten Bangli",
        kind="bimtek",
        purpose="pengembangan",
        sector="sandang",
        covid_response=True,
        regency=w.bangli,
        mode="kombinasi",
        planned_start=D(2020, 6, 15),
        planned_end=D(2020, 7, 15),
        budget=150 * MILLION,
        target_participants=20,
    ),
    Firm: lambda w: Firm(
        province=w.bali,
        regency=w.bangli,
        name="IKM Bangli Jaya",
        nib="5106000000099",
        sector="sandang",
        kbli="14120",
    ),
    Partner: lambda w: Partner(
        province=w.bali, regency=w.bangli, name="Dinas Perindustrian Kabupaten Bangli", kind="dinas_kabkota"
    ),
    Participation: lambda w: Participation(activity=w.activity, firm=w.firm2),
    Participant: lambda w: Participant(
        activity=w.activity, name="Ni Made Sari", nik="5106015505900001", sex="P"
    ),
    Output: lambda w: Output(
        participation=w.participation,
        product="Masker kain 2 lapis",
        product_type="masker",
        quantity=500,
        unit="pcs",
        produced_on=D(2020, 7, 1),
        meets_standard=True,
    ),
    Handover: lambda w: Handover(
        output=w.output,
        recipient_type="masyarakat",
        recipient_name="Warga Desa Kayubihi",
        handed_on=D(2020, 7, 20),
        quantity=100,
        bast_number="BAST/001/VII/2020",
    ),
    FiscalYear: lambda w: FiscalYear(year=2020),
    ReviewEvent: lambda w: ReviewEvent(
        content_type=ContentType.objects.get_for_model(Activity),
        object_id=w.activity.pk,
        province=w.bali,
        year=2020,
        action="ajukan",
        from_status="draf",
        to_status="diajukan",
        actor=w.operator,
        at=timezone.now(),
    ),
}


@pytest.mark.parametrize("model", list(NEW), ids=lambda m: m.__name__)
def test_the_valid_row_of_each_form_saves(w, model):
    """The baseline of the rule tests below: only the one bad value makes them fail."""
    before = model.objects.count()
    form = form_class(model)(data=form_data(NEW[model](w)))
    assert form.is_valid(), form.errors
    form.save()
    assert model.objects.count() == before + 1


# --- Every rule: refused through a form, with its message on its field ------------------------------------


@dataclass
class Rule:
    id: str
    model: type
    change: object  # dict of posted values, or w -> dict
    errors: dict  # field -> a distinctive part of its Indonesian message
    edit: object = None  # w -> the saved row the form edits (default: a new row)
    setup: object = None  # w -> None: the rows that make the value bad


def _realised_allocation(w):
    allocation = make_allocation("63", 2020, pagu=1000 * MILLION)
    make_realisation(allocation, 6, 600 * MILLION)
    return allocation


def _two_handovers(w):
    first = make_handover(w.output, quantity=600)
    make_handover(w.output, quantity=300)
    return first


NEGATIVE = "tidak boleh negatif"
NOT_EMPTY = "tidak boleh kosong"
AT_LEAST_ONE = "minimal 1"
DJANGO_NOT_NEGATIVE = "lebih besar dari atau sama dengan 0"
IN_2020 = "di dalam tahun anggaran 2020"
ELSEWHERE = "tidak berada di provinsi ini"

RULES = [
    # Allocation: exact Rupiah, one per province and year, only for a province that exists that year.
    Rule("pagu-negative", Allocation, {"pagu": "-1"}, {"pagu": NEGATIVE}),
    Rule("pagu-with-cents", Allocation, {"pagu": "1000000.50"}, {"pagu": "angka desimal"}),
    Rule("pagu-of-16-digits", Allocation, {"pagu": "1" + "0" * 15}, {"pagu": "tidak melebihi 15 angka"}),
    Rule(
        "allocation-twice-for-a-province-year",
        Allocation,
        lambda w: {"province": w.bali.pk, "year": 2020},
        {"year": "sudah punya alokasi"},
    ),
    Rule(
        "allocation-of-papua-selatan-in-2020",
        Allocation,
        lambda w: {"province": w.papua_selatan.pk, "year": 2020},
        {"province": "belum terbentuk pada tahun 2020"},
    ),
    Rule("allocation-year-before-2000", Allocation, {"year": 1999}, {"year": "paling awal 2000"}),
    Rule(
        "allocation-with-activities-moved-to-another-year",
        Allocation,
        {"year": 2021},
        {"year": "tidak dapat diubah"},
        edit=lambda w: w.alloc,
    ),
    Rule(
        "pagu-below-what-is-realised",
        Allocation,
        {"pagu": str(500 * MILLION)},
        {"pagu": "lebih kecil dari realisasi"},
        edit=_realised_allocation,
    ),
    # BudgetRevision: a date in the year, a new pagu not negative nor under what is spent, a reason.
    Rule("revision-negative", BudgetRevision, {"new_pagu": "-1"}, {"new_pagu": NEGATIVE}),
    Rule("revision-outside-the-year", BudgetRevision, {"revised_on": D(2021, 1, 5)}, {"revised_on": IN_2020}),
    Rule(
        "revision-below-what-is-realised",
        BudgetRevision,
        {"new_pagu": str(500 * MILLION)},
        {"new_pagu": "lebih kecil dari realisasi"},
        setup=lambda w: make_realisation(w.alloc, 5, 600 * MILLION),
    ),
    Rule("revision-without-reason", BudgetRevision, {"reason": ""}, {"reason": NOT_EMPTY}),
    Rule(
        "revision-moved-to-another-allocation",
        BudgetRevision,
        lambda w: {"allocation": make_allocation("63", 2020).pk},
        {"allocation": "tidak dapat dipindah"},
        edit=lambda w: make_revision(w.alloc, 900 * MILLION),
    ),
    # Realisation: one row per month, not negative, cumulative never above the current pagu.
    Rule("realisation-negative", Realisation, {"amount": "-1"}, {"amount": NEGATIVE}),
    Rule("realisation-month-13", Realisation, {"month": 13}, {"month": "1 sampai 12"}),
    Rule("realisation-month-0", Realisation, {"month": 0}, {"month": "1 sampai 12"}),
    Rule(
        "realisation-twice-in-a-month",
        Realisation,
        {},
        {"month": "sudah dicatat"},
        setup=lambda w: make_realisation(w.alloc, 6, MILLION),
    ),
    Rule(
        "realisation-above-the-pagu-cumulatively",
        Realisation,
        {"amount": str(200 * MILLION)},
        {"amount": "melebihi pagu terkini"},
        setup=lambda w: make_realisation(w.alloc, 5, 900 * MILLION),
    ),
    Rule(
        "realisation-above-the-revised-pagu",
        Realisation,
        {"amount": str(250 * MILLION)},
        {"amount": "melebihi pagu terkini Rp 200.000.000"},
        setup=lambda w: make_revision(w.alloc, 200 * MILLION),
    ),
    # Activity: dates in the fiscal year and in order, a reason when postponed or cancelled, a regency of
    # the allocation's province in that year, budget not negative, a positive target.
    Rule(
        "planned-start-before-the-year",
        Activity,
        {"planned_start": D(2019, 12, 1)},
        {"planned_start": IN_2020},
    ),
    Rule("planned-end-after-the-year", Activity, {"planned_end": D(2021, 1, 10)}, {"planned_end": IN_2020}),
    Rule(
        "actual-start-before-the-year", Activity, {"actual_start": D(2019, 12, 31)}, {"actual_start": IN_2020}
    ),
    Rule(
        "actual-end-after-the-year",
        Activity,
        {"actual_start": D(2020, 6, 20), "actual_end": D(2021, 1, 2)},
        {"actual_end": IN_2020},
    ),
    Rule(
        "planned-end-before-start",
        Activity,
        {"planned_end": D(2020, 6, 1)},
        {"planned_end": "tidak boleh sebelum rencana mulai"},
    ),
    Rule(
        "actual-end-before-start",
        Activity,
        {"actual_start": D(2020, 6, 20), "actual_end": D(2020, 6, 19)},
        {"actual_end": "tidak boleh sebelum realisasi mulai"},
    ),
    Rule("postponed-without-reason", Activity, {"status": "ditunda"}, {"status_reason": "alasan penundaan"}),
    Rule("cancelled-without-reason", Activity, {"status": "batal"}, {"status_reason": "alasan penundaan"}),
    Rule(
        "done-without-actual-dates",
        Activity,
        {"status": "selesai"},
        {"actual_start": "tanggal realisasi mulai", "actual_end": "tanggal realisasi selesai"},
    ),
    Rule(
        "regency-of-another-province",
        Activity,
        lambda w: {"regency": w.banjarmasin.pk},
        {"regency": ELSEWHERE},
    ),
    Rule(
        "merauke-in-papua-after-the-split",
        Activity,
        lambda w: {
            "allocation": make_allocation("91", 2023).pk,
            "regency": w.merauke.pk,
            "planned_start": D(2023, 6, 15),
            "planned_end": D(2023, 7, 15),
        },
        {"regency": ELSEWHERE},
    ),
    Rule("activity-budget-negative", Activity, {"budget": "-1"}, {"budget": NEGATIVE}),
    Rule("activity-target-zero", Activity, {"target_participants": 0}, {"target_participants": AT_LEAST_ONE}),
    Rule(
        "activity-target-negative",
        Activity,
        {"target_participants": -1},
        {"target_participants": DJANGO_NOT_NEGATIVE},
    ),
    Rule(
        "activity-with-participants-moved-to-another-province",
        Activity,
        lambda w: {"allocation": make_allocation("63", 2020).pk, "regency": ""},
        {"allocation": "tidak dapat dipindah"},
        edit=lambda w: w.activity,
    ),
    # Firm: NIB of 13 digits and unique when given, KBLI of 5 digits, a regency of its province.
    Rule("nib-too-short", Firm, {"nib": "123"}, {"nib": "NIB harus 13 digit"}),
    Rule("nib-with-letters", Firm, {"nib": "51060000000ab"}, {"nib": "NIB harus 13 digit"}),
    Rule("nib-too-long", Firm, {"nib": "51060000000001"}, {"nib": "paling banyak 13 karakter"}),
    Rule("nib-of-another-firm", Firm, lambda w: {"nib": w.firm.nib}, {"nib": "sudah terdaftar"}),
    Rule("kbli-too-short", Firm, {"kbli": "1412"}, {"kbli": "KBLI harus 5 digit"}),
    Rule("kbli-with-letters", Firm, {"kbli": "14a20"}, {"kbli": "KBLI harus 5 digit"}),
    Rule(
        "firm-regency-of-another-province",
        Firm,
        lambda w: {"regency": w.banjarmasin.pk},
        {"regency": ELSEWHERE},
    ),
    # Partner.
    Rule(
        "partner-regency-elsewhere", Partner, lambda w: {"regency": w.banjarmasin.pk}, {"regency": ELSEWHERE}
    ),
    Rule("partner-name-twice", Partner, lambda w: {"name": w.partner.name}, {"name": "sudah ada"}),
    Rule("partner-without-name", Partner, {"name": ""}, {"name": NOT_EMPTY}),
    # Participation: a firm once per activity, and of the activity's province.
    Rule(
        "firm-twice-in-an-activity",
        Participation,
        lambda w: {"firm": w.firm.pk},
        {"firm": "sudah tercatat sebagai peserta"},
    ),
    Rule(
        "firm-of-another-province",
        Participation,
        lambda w: {"firm": w.kalsel_firm.pk},
        {"firm": "terdaftar di provinsi lain"},
    ),
    # Participant: NIK of 16 digits, once per activity; a founded firm of the province.
    Rule("nik-too-short", Participant, {"nik": "123"}, {"nik": "NIK harus 16 digit"}),
    Rule("nik-with-letters", Participant, {"nik": "51060155059000ab"}, {"nik": "NIK harus 16 digit"}),
    Rule("nik-too-long", Participant, {"nik": "51060155059000011"}, {"nik": "paling banyak 16 karakter"}),
    Rule(
        "nik-twice-in-an-activity",
        Participant,
        {},
        {"nik": "sudah terdaftar"},
        setup=lambda w: make_participant(w.activity, nik="5106015505900001"),
    ),
    Rule(
        "founded-firm-of-another-province",
        Participant,
        lambda w: {"founded_firm": w.kalsel_firm.pk},
        {"founded_firm": "terdaftar di provinsi lain"},
    ),
    # Output: a positive quantity; an order has both its quantity and its buyer, of the province.
    Rule("output-quantity-zero", Output, {"quantity": 0}, {"quantity": AT_LEAST_ONE}),
    Rule("output-quantity-negative", Output, {"quantity": -5}, {"quantity": DJANGO_NOT_NEGATIVE}),
    Rule(
        "ordered-zero",
        Output,
        lambda w: {"ordered_quantity": 0, "buyer": w.partner.pk},
        {"ordered_quantity": AT_LEAST_ONE},
    ),
    Rule("order-without-buyer", Output, {"ordered_quantity": 100_000}, {"buyer": "pemesannya"}),
    Rule(
        "buyer-without-order", Output, lambda w: {"buyer": w.partner.pk}, {"ordered_quantity": "pemesannya"}
    ),
    Rule(
        "buyer-of-another-province",
        Output,
        lambda w: {"ordered_quantity": 100_000, "buyer": w.kalsel_partner.pk},
        {"buyer": "mitra di provinsi kegiatan"},
    ),
    Rule(
        "produced-cut-below-handed-over",
        Output,
        {"quantity": 800},
        {"quantity": "kurang dari yang sudah diserahkan (900)"},
        edit=lambda w: w.output,
        setup=_two_handovers,
    ),
    # Handover: a positive quantity, never more than produced in total, a named recipient of the province.
    Rule("handover-zero", Handover, {"quantity": 0}, {"quantity": AT_LEAST_ONE}),
    Rule("handover-negative", Handover, {"quantity": -1}, {"quantity": DJANGO_NOT_NEGATIVE}),
    Rule(
        "handover-above-produced",
        Handover,
        {"quantity": 1001},
        {"quantity": "(1001) melebihi jumlah diproduksi"},
    ),
    Rule(
        "handovers-above-produced-together",
        Handover,
        {"quantity": 200},
        {"quantity": "(1100) melebihi jumlah diproduksi (1000)"},
        setup=_two_handovers,
    ),
    Rule(
        "handover-edited-above-produced",
        Handover,
        {"quantity": 800},
        {"quantity": "(1100) melebihi jumlah diproduksi (1000)"},
        edit=_two_handovers,
    ),
    Rule("handover-to-nobody", Handover, {"recipient_name": ""}, {"recipient_name": "Sebutkan penerima"}),
    Rule(
        "handover-to-a-partner-elsewhere",
        Handover,
        lambda w: {"recipient": w.kalsel_partner.pk},
        {"recipient": "mitra di provinsi kegiatan"},
    ),
    Rule("handover-without-bast", Handover, {"bast_number": ""}, {"bast_number": NOT_EMPTY}),
    # Fiscal year and the review log.
    Rule(
        "year-closed-by-nobody",
        FiscalYear,
        lambda w: {"closed_at": timezone.now()},
        {"closed_by": "siapa yang menutup"},
    ),
    Rule(
        "year-closer-without-time", FiscalYear, lambda w: {"closed_by": w.operator.pk}, {"closed_at": "waktu"}
    ),
    Rule("returned-without-note", ReviewEvent, {"action": "kembalikan"}, {"note": "Catatan wajib"}),
    Rule("reopened-without-note", ReviewEvent, {"action": "buka_kembali"}, {"note": "Catatan wajib"}),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_a_bad_value_is_refused_with_its_message_on_its_field(w, rule):
    if rule.setup:
        rule.setup(w)
    instance = rule.edit(w) if rule.edit else None
    change = rule.change(w) if callable(rule.change) else rule.change
    data = {**form_data(instance if instance is not None else NEW[rule.model](w)), **change}
    before = stored(rule.model)

    form = form_class(rule.model)(data=data, instance=instance)

    assert not form.is_valid()
    assert set(form.errors) == set(rule.errors), form.errors.as_data()
    for field, fragment in rule.errors.items():
        assert any(fragment in message for message in form.errors[field]), (field, form.errors[field])
    with pytest.raises(ValueError):
        form.save()
    assert stored(rule.model) == before


@pytest.mark.parametrize(
    ("province", "year"),
    [("91", 2020), ("93", 2022), ("93", 2023)],
    ids=["papua-2020", "papua-selatan-2022", "papua-selatan-2023"],
)
def test_merauke_belongs_to_the_province_it_was_in_that_year(w, province, year):
    allocation = make_allocation(province, year)
    data = {
        **form_data(NEW[Activity](w)),
        "allocation": allocation.pk,
        "regency": w.merauke.pk,
        "planned_start": D(year, 6, 15),
        "planned_end": D(year, 7, 15),
    }
    form = form_class(Activity)(data=data)
    assert form.is_valid(), form.errors
    assert form.save().province_id == allocation.province_id


def test_no_allocation_of_papua_selatan_before_it_existed(w):
    with pytest.raises(ValidationError) as excinfo:
        Allocation(
            province=w.papua_selatan, year=2021, pagu=MILLION, dipa_number="x", dipa_date=D(2021, 1, 2)
        ).full_clean()
    assert "Papua Selatan belum terbentuk pada tahun 2021" in excinfo.value.message_dict["province"][0]


def test_a_back_dated_revision_may_be_below_what_is_spent_when_a_later_one_rules(w):
    make_revision(w.alloc, 2000 * MILLION, revised_on=D(2020, 6, 1))
    make_realisation(w.alloc, 7, 1500 * MILLION)
    data = {**form_data(NEW[BudgetRevision](w)), "revised_on": D(2020, 4, 1), "new_pagu": str(500 * MILLION)}
    form = form_class(BudgetRevision)(data=data)
    assert form.is_valid(), form.errors
    revision = form.save()
    w.alloc.refresh_from_db()
    assert w.alloc.current_pagu == 2000 * MILLION
    assert revision.previous_pagu == 1000 * MILLION  # the pagu in force on 1 April


def test_the_pagu_is_an_exact_decimal_of_whole_rupiah(w):
    largest = Decimal("999999999999999")  # Rp 999 triliun: 15 digits, the most a pagu may have
    allocation = make_allocation("63", 2020, pagu=largest)
    make_realisation(allocation, 1, largest - 1)
    allocation.refresh_from_db()
    assert isinstance(allocation.pagu, Decimal)
    assert isinstance(allocation.realised_total, Decimal)
    assert allocation.pagu == largest == allocation.current_pagu
    assert allocation.realised_total == largest - 1
    assert Allocation._meta.get_field("pagu").decimal_places == 0


def test_two_firms_without_nib_and_a_participant_without_nik(w):
    for name in ("IKM Tanpa NIB Satu", "IKM Tanpa NIB Dua"):
        data = {**form_data(NEW[Firm](w)), "name": name, "nib": ""}
        form = form_class(Firm)(data=data)
        assert form.is_valid(), form.errors
        assert form.save().nib == ""
    data = {**form_data(NEW[Participant](w)), "nik": ""}
    form = form_class(Participant)(data=data)
    assert form.is_valid(), form.errors
    participant = form.save()
    participant.refresh_from_db()
    assert participant.nik == ""
    assert participant.masked_nik == ""


def test_the_nik_is_shown_masked_and_kept_out_of_the_history(w):
    participant = make_participant(w.activity, nik="5106015505900001")
    assert participant.masked_nik == "5106********0001"
    assert "nik" not in {f.name for f in Participant.history.model._meta.fields}


def test_the_same_nik_may_join_two_activities(w):
    other = make_activity(w.alloc)
    make_participant(w.activity, nik="5106015505900001")
    data = {**form_data(NEW[Participant](w)), "activity": other.pk}
    form = form_class(Participant)(data=data)
    assert form.is_valid(), form.errors


# --- clean() never crashes ---------------------------------------------------------------------------------


def _editable_fields(model):
    return [f for f in model._meta.concrete_fields if f.editable and not f.primary_key]


FIELD_CASES = [(model, f.name) for model in NEW for f in _editable_fields(model)]


@pytest.mark.parametrize("model", list(NEW), ids=lambda m: m.__name__)
def test_an_empty_row_is_refused_with_messages_not_a_crash(w, model):
    with pytest.raises(ValidationError):
        model().full_clean()
    instance = NEW[model](w)
    for field in _editable_fields(model):
        setattr(instance, field.attname, None)
    with pytest.raises(ValidationError):
        instance.full_clean()


@pytest.mark.parametrize("bad", [None, "x!"], ids=["none", "garbage"])
@pytest.mark.parametrize(("model", "field"), FIELD_CASES, ids=[f"{m.__name__}.{f}" for m, f in FIELD_CASES])
def test_one_missing_or_garbled_field_gives_messages_not_a_crash(w, model, field, bad):
    instance = NEW[model](w)
    attname = model._meta.get_field(field).attname
    if bad is not None and model._meta.get_field(field).is_relation:
        bad = -1  # a key that exists nowhere
    setattr(instance, attname, bad)
    try:
        instance.full_clean()
    except ValidationError as e:
        assert e.message_dict  # every message is attached somewhere; nothing else may escape


# --- Every named constraint: the database refuses what bypasses the forms -----------------------------------


ONE_DAY = datetime.timedelta(days=1)


def _activity(w, **fields):
    return make_activity(w.alloc, **fields)


def _review_event(w, **fields):
    return ReviewEvent.objects.create(
        **{
            "content_type": ContentType.objects.get_for_model(Activity),
            "object_id": w.activity.pk,
            "province": w.bali,
            "year": 2020,
            "action": "ajukan",
            "from_status": "draf",
            "to_status": "diajukan",
            "actor": w.operator,
            **fields,
        }
    )


def _attachment(w, **fields):
    from django.core.files.base import ContentFile

    from programs.models import Attachment

    return Attachment.objects.create(
        **{
            "activity": w.activity,
            "kind": "bast",
            "file": ContentFile(b"%PDF-1.4\n%%EOF\n", name="bast.pdf"),
            "original_name": "bast.pdf",
            "content_type": "application/pdf",
            "size": 15,
            "sha256": "0" * 64,
            "uploaded_by": w.operator,
            **fields,
        }
    )


def _quarterly_note(w, **fields):
    from programs.models import QuarterlyNote

    return QuarterlyNote.objects.create(**{"allocation": w.alloc, "quarter": 2, **fields})


def _plan_item(w, **fields):
    """A plan line of the Bali allocation: by default a KRO heading under a fresh program and kegiatan."""
    from programs.models import PlanItem

    top = PlanItem.objects.create(allocation=w.alloc, level="program", code="019.08.WA", name="Program")
    kegiatan = PlanItem.objects.create(
        allocation=w.alloc, parent=top, level="kegiatan", code="5807", name="K"
    )
    values = {"allocation": w.alloc, "parent": kegiatan, "level": "kro", "code": "5807.QEA", "name": "KRO"}
    return PlanItem.objects.create(**(values | fields))


def _ro(w, **fields):
    values = {"level": "ro", "code": "5807.QEA.001", "target": 10, "unit": "ikm", "measure": "ikm"}
    return _plan_item(w, **(values | {"pagu": w.alloc.current_pagu} | fields))


def _realisation_line(w, **fields):
    from programs.models import RealisationLine

    realisation = make_realisation(w.alloc, 6, MILLION)
    return RealisationLine.objects.create(
        **({"realisation": realisation, "spending_type": "52", "amount": MILLION} | fields)
    )


def _cash_plan(w, **fields):
    from programs.models import CashPlan

    return CashPlan.objects.create(
        **({"allocation": w.alloc, "number": 1, "entered_by": w.operator} | fields)
    )


def _cash_plan_line(w, **fields):
    from programs.models import CashPlanLine

    values = {"cash_plan": _cash_plan(w), "month": 1, "spending_type": "52", "amount": MILLION}
    return CashPlanLine.objects.create(**(values | fields))


def _window(w, **fields):
    from programs.models import CashPlanWindow

    values = {"year": 2020, "opens_on": D(2020, 2, 3), "closes_on": D(2020, 2, 14)}
    return CashPlanWindow.objects.create(**(values | fields))


def _achievement(w, **fields):
    from django.core.files.base import ContentFile

    from programs.models import Achievement

    ro = _ro(w, measure="manual", unit="dokumen")
    values = {
        "planned_output": ro,
        "month": 6,
        "quantity": 1,
        "evidence": ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf"),
        "evidence_name": "bukti.pdf",
    }
    return Achievement.objects.create(**(values | fields))


def _update(model, pk, **values):
    return lambda w: model.objects.filter(pk=pk(w)).update(**values)


def _twice(model, **fields):
    """The same tally row written twice (the triggers' upsert relies on the key being unique)."""

    def write(w):
        values = {"province": w.alloc.province, "firm": w.firm, "year": 2020, "measure": "uji"}
        names = {f.name for f in model._meta.fields}
        row = {k: v for k, v in values.items() if k in names} | fields
        model.objects.create(**row)
        model.objects.create(**row)

    return write


CONSTRAINT_CASES = {
    "tally_one_per_measure": _twice(Tally),
    "firm_tally_one_per_firm": _twice(FirmTally, participations=1),
    "national_firm_tally_one_per_firm": _twice(NationalFirmTally, participations=1),
    "national_tally_one_per_measure": _twice(NationalTally),
    "fiscal_year_closed_by_someone": lambda w: FiscalYear.objects.create(year=2020, closed_at=timezone.now()),
    "allocation_one_per_province_year": lambda w: make_allocation("51", 2020),
    "allocation_pagu_non_negative": _update(Allocation, lambda w: w.alloc.pk, pagu=-1),
    # The running totals are the database's own (programs/derived.py): the pagu falls under what is realised.
    "allocation_realised_within_pagu": lambda w: (
        make_realisation(w.alloc, 6, MILLION),
        Allocation.objects.filter(pk=w.alloc.pk).update(pagu=MILLION - 1),
    ),
    "allocation_year_range": lambda w: make_allocation("63", 1999),
    "revision_new_pagu_non_negative": lambda w: make_revision(w.alloc, Decimal(-1)),
    "revision_previous_pagu_non_negative": _update(
        BudgetRevision, lambda w: make_revision(w.alloc, 900 * MILLION).pk, previous_pagu=-1
    ),
    "revision_reason_required": lambda w: make_revision(w.alloc, 900 * MILLION, reason=""),
    "realisation_one_per_month": lambda w: [make_realisation(w.alloc, 6, MILLION) for _ in range(2)],
    "realisation_month_range": lambda w: make_realisation(w.alloc, 13, MILLION),
    "realisation_amount_non_negative": lambda w: make_realisation(w.alloc, 6, Decimal(-1)),
    "partner_name_unique_in_province": lambda w: make_partner("51", name=w.partner.name),
    "partner_name_required": lambda w: make_partner("51", name=""),
    "firm_nib_unique_when_given": lambda w: make_firm("51", "51.06", nib=w.firm.nib),
    "firm_nib_13_digits": lambda w: make_firm("51", "51.06", nib="123"),
    "firm_kbli_5_digits": lambda w: make_firm("51", "51.06", kbli="1412"),
    "firm_name_required": lambda w: make_firm("51", "51.06", name=""),
    "activity_budget_non_negative": lambda w: _activity(w, budget=-1),
    "activity_target_positive": lambda w: _activity(w, target_participants=0),
    "activity_planned_order": lambda w: _activity(
        w, planned_start=D(2020, 7, 15), planned_end=D(2020, 6, 15)
    ),
    "activity_actual_order": lambda w: _activity(w, actual_start=D(2020, 7, 10), actual_end=D(2020, 7, 1)),
    "activity_planned_in_fiscal_year": lambda w: _activity(w, planned_start=D(2019, 12, 20)),
    "activity_actual_in_fiscal_year": lambda w: _activity(
        w, actual_start=D(2020, 12, 20), actual_end=D(2021, 1, 5)
    ),
    "activity_reason_when_postponed_or_cancelled": lambda w: _activity(w, status="ditunda", status_reason=""),
    "activity_done_has_actual_dates": lambda w: _activity(w, status="selesai", actual_start=D(2020, 6, 15)),
    "participation_firm_once_per_activity": lambda w: make_participation(w.activity, w.firm),
    "participant_nik_16_digits": lambda w: make_participant(w.activity, nik="123"),
    "participant_nik_once_per_activity": lambda w: [
        make_participant(w.activity, nik="5106015505900001") for _ in range(2)
    ],
    "participant_name_required": lambda w: make_participant(w.activity, name=""),
    "output_quantity_positive": lambda w: make_output(w.participation, quantity=0),
    "output_ordered_positive": lambda w: make_output(w.participation, ordered_quantity=0, buyer=w.partner),
    "output_order_has_buyer_and_quantity": lambda w: make_output(w.participation, ordered_quantity=100),
    "output_handed_over_within_produced": lambda w: make_handover(w.output, quantity=w.output.quantity + 1),
    "output_produced_in_fiscal_year": lambda w: make_output(w.participation, produced_on=D(2019, 12, 31)),
    # a face shield is counted per piece, never per sheet (programs.models.UNITS_OF_PRODUCT_TYPE)
    "output_unit_fits_product_type": lambda w: make_output(
        w.participation, product_type="face_shield", unit="helai"
    ),
    "output_ordered_on_an_order_in_fiscal_year": lambda w: make_output(
        w.participation, ordered_quantity=100, buyer=w.partner, ordered_on=D(2021, 1, 5)
    ),
    "handover_handed_in_fiscal_year": lambda w: make_handover(w.output, handed_on=D(2021, 1, 4)),
    "handover_not_before_production": lambda w: make_handover(
        w.output, handed_on=w.output.produced_on - ONE_DAY
    ),
    "handover_quantity_positive": lambda w: make_handover(w.output, quantity=0),
    "handover_recipient_named": lambda w: make_handover(w.output, recipient=None, recipient_name=""),
    "handover_bast_required": lambda w: make_handover(w.output, bast_number=""),
    "review_event_note_when_returned_or_reopened": lambda w: _review_event(w, action="kembalikan", note=""),
    "attachment_size_limit": lambda w: _attachment(w, size=10 * 1024 * 1024 + 1),
    "attachment_pdf_jpeg_png_only": lambda w: _attachment(w, content_type="text/html"),
    "quarterly_note_one_per_quarter": lambda w: [_quarterly_note(w) for _ in range(2)],
    "quarterly_note_quarter_range": lambda w: _quarterly_note(w, quarter=5),
    # The plan (DIPA): fund type, plan lines, revision and realisation lines, the RPD and manual achievement.
    "allocation_fund_type_known": _update(Allocation, lambda w: w.alloc.pk, fund_type="XX"),
    "plan_code_unique_per_allocation": lambda w: _plan_item(w, code="5807"),
    "plan_code_and_name_required": lambda w: _plan_item(w, name=""),
    "plan_level_known": lambda w: _plan_item(w, level="sub"),
    "plan_ro_has_target_unit_measure_pagu": lambda w: _ro(w, pagu=None),
    "plan_target_only_on_ro": lambda w: _plan_item(w, target=5),
    "plan_units_measure_names_product_type": lambda w: _ro(w, measure="produk"),
    "plan_heading_pagu_is_its_sum": lambda w: _plan_item(w, pagu=MILLION),
    "plan_pagu_non_negative": lambda w: _ro(w, pagu=-1),
    "plan_account_6_digits": lambda w: _plan_item(
        w, level="akun", code="5807.QEA.001.51", account="52121", spending_type="52", pagu=MILLION
    ),
    "plan_account_only_on_amount_lines": lambda w: _plan_item(
        w, level="komponen", code="5807.QEA.001.051", account="521211", spending_type="52"
    ),
    "plan_spending_type_of_account": lambda w: _plan_item(
        w, level="akun", code="5807.QEA.521211", account="521211", spending_type="53", pagu=MILLION
    ),
    "plan_spending_type_only_on_details": lambda w: _plan_item(w, spending_type="52"),
    "plan_parent_except_program": lambda w: _plan_item(w, parent=None),
    "revision_line_one_per_ro": lambda w: _revision_lines(w, twice=True),
    "revision_line_pagu_non_negative": lambda w: _revision_lines(w, new_pagu=-1),
    "realisation_line_one_per_ro_and_type": lambda w: _realisation_line_twice(w, with_ro=True),
    "realisation_line_one_per_type": lambda w: _realisation_line_twice(w, with_ro=False),
    "realisation_line_amount_non_negative": lambda w: _realisation_line(w, amount=-1),
    "realisation_line_spending_type_known": lambda w: _realisation_line(w, spending_type="54"),
    "cash_plan_one_per_version": lambda w: [_cash_plan(w) for _ in range(2)],
    "cash_plan_number_positive": lambda w: _cash_plan(w, number=0),
    "cash_plan_line_one_per_month_and_type": lambda w: _cash_plan_line(w).cash_plan.lines.create(
        month=1, spending_type="52", amount=1
    ),
    "cash_plan_line_month_range": lambda w: _cash_plan_line(w, month=13),
    "cash_plan_line_amount_non_negative": lambda w: _cash_plan_line(w, amount=-1),
    "cash_plan_line_spending_type_known": lambda w: _cash_plan_line(w, spending_type="59"),
    "cash_plan_window_order": lambda w: _window(w, closes_on=D(2020, 2, 1)),
    "cash_plan_window_in_year": lambda w: _window(w, closes_on=D(2021, 1, 5)),
    "achievement_one_per_month": lambda w: _achievement(w).planned_output.achievements.create(
        month=6, quantity=1, evidence="x.pdf"
    ),
    "achievement_month_range": lambda w: _achievement(w, month=0),
    "achievement_quantity_positive": lambda w: _achievement(w, quantity=0),
    # The reporting cycle (issue 16): packages, closed periods, the holiday calendar, the inbox.
    "report_package_one_per_period": lambda w: [_package(w) for _ in range(2)],
    "report_package_period_range": lambda w: _package(w, kind="triwulanan", period=5),
    "report_package_approved_by_someone": lambda w: _package(w, approved_at=timezone.now()),
    "report_package_status_known": lambda w: _package(w, review_status="entah"),
    "period_closure_one_per_period": lambda w: [_closure(w) for _ in range(2)],
    "period_closure_period_range": lambda w: _closure(w, period=13),
    "period_exception_one_per_province": lambda w: [_exception(w, closure) for closure in [_closure(w)] * 2],
    "holiday_kind_known": lambda w: _holiday(kind="libur"),
    "holiday_source_known": lambda w: _holiday(source="koran"),
    "notification_once_per_key": lambda w: [_notification(w, key="pengingat:2020:6") for _ in range(2)],
    "notification_kind_known": lambda w: _notification(w, kind="lain"),
    "notification_email_status_known": lambda w: _notification(w, email_status="hilang"),
}


def _package(w, **fields):
    from programs.models import ReportPackage

    return ReportPackage.objects.create(**({"allocation": w.alloc, "kind": "bulanan", "period": 6} | fields))


def _closure(w, **fields):
    from programs.models import PeriodClosure

    values = {"year": 2020, "kind": "bulanan", "period": 6, "closed_by": w.operator}
    return PeriodClosure.objects.create(**(values | fields))


def _exception(w, closure, **fields):
    from programs.models import PeriodException

    values = {"closure": closure, "province": w.bali, "until": D(2020, 7, 31), "granted_by": w.operator}
    return PeriodException.objects.create(**(values | fields))


def _holiday(**fields):
    from programs.models import Holiday

    values = {"date": D(2020, 8, 17), "name": "Hari Kemerdekaan", "kind": "libur_nasional", "source": "paket"}
    return Holiday.objects.create(**(values | fields))


def _notification(w, **fields):
    from programs.models import Notification

    values = {"recipient": w.operator, "kind": "pengingat", "subject": "Tenggat", "body": "Isi"}
    return Notification.objects.create(**(values | fields))


def _revision_lines(w, twice=False, **fields):
    from programs.models import RevisionLine

    ro = _ro(w)
    revision = make_revision(w.alloc, w.alloc.current_pagu)
    values = {"revision": revision, "planned_output": ro, "previous_pagu": ro.pagu, "new_pagu": ro.pagu}
    for _ in range(2 if twice else 1):
        RevisionLine.objects.create(**(values | fields))


def _realisation_line_twice(w, with_ro):
    line = _realisation_line(w, planned_output=_ro(w) if with_ro else None, amount=MILLION // 2)
    line.pk = None
    line.save()


def programme_constraints():
    return {
        constraint.name: (model, constraint)
        for model in apps.get_app_config("programs").get_models()
        for constraint in model._meta.constraints
    }


def test_every_named_constraint_has_a_database_test():
    assert set(CONSTRAINT_CASES) == set(programme_constraints())


@pytest.mark.parametrize("name", sorted(CONSTRAINT_CASES))
def test_the_database_refuses_what_breaks_a_constraint(w, name):
    model, constraint = programme_constraints()[name]
    before = stored(model)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        CONSTRAINT_CASES[name](w)
    message = str(excinfo.value)
    if connection.vendor == "sqlite" and isinstance(constraint, models.UniqueConstraint):
        # SQLite names the columns of a unique constraint, not the constraint.
        assert "UNIQUE constraint failed" in message
        for field in constraint.fields:
            assert f"{model._meta.db_table}.{model._meta.get_field(field).column}" in message
    else:
        assert name in message
    assert stored(model) == before


USER_CONSTRAINT_CASES = {
    # a regency without its province (the regency operator's scope would be undefined)
    "user_regency_needs_province": lambda w: _user(regency=Regency.objects.get(code="63.71")),
    "user_nip_18_digits": lambda w: _user(nip="19800101"),
}


def _user(**fields):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create(username=f"uji-{len(fields)}-{next(iter(fields))}", **fields)


def test_every_named_user_constraint_has_a_database_test():
    from django.contrib.auth import get_user_model

    assert set(USER_CONSTRAINT_CASES) == {c.name for c in get_user_model()._meta.constraints}


@pytest.mark.parametrize("name", sorted(USER_CONSTRAINT_CASES))
def test_the_database_refuses_a_user_that_breaks_a_constraint(w, name):
    from django.contrib.auth import get_user_model

    before = get_user_model().objects.count()
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        USER_CONSTRAINT_CASES[name](w)
    assert get_user_model().objects.count() == before


def test_the_database_keeps_realisation_within_the_pagu_without_forms(w):
    make_realisation(w.alloc, 5, 900 * MILLION)
    with pytest.raises(IntegrityError, match="allocation_realised_within_pagu"), transaction.atomic():
        make_realisation(w.alloc, 6, 101 * MILLION)
    with pytest.raises(IntegrityError, match="allocation_realised_within_pagu"), transaction.atomic():
        make_revision(w.alloc, 800 * MILLION)
    w.alloc.refresh_from_db()
    assert (w.alloc.realised_total, w.alloc.current_pagu) == (900 * MILLION, 1000 * MILLION)
    assert Realisation.objects.count() == 1
    assert BudgetRevision.objects.count() == 0


def test_the_database_keeps_handovers_within_the_output_without_forms(w):
    first = make_handover(w.output, quantity=600)
    with pytest.raises(IntegrityError, match="output_handed_over_within_produced"), transaction.atomic():
        make_handover(w.output, quantity=401)
    with pytest.raises(IntegrityError, match="output_handed_over_within_produced"), transaction.atomic():
        first.quantity = 1001
        first.save()
    with pytest.raises(IntegrityError, match="output_handed_over_within_produced"), transaction.atomic():
        Output.objects.filter(pk=w.output.pk).update(quantity=599)
    w.output.refresh_from_db()
    assert (w.output.quantity, w.output.handed_over_total) == (1000, 600)
    assert Handover.objects.get().quantity == 600


def test_the_database_refuses_records_added_to_a_handed_over_period(w):
    """programs/plan_rules.py `*_in_a_handed_over_package`: past every form and service, nothing joins a
    month or a quarter whose package was handed over, unless it comes in the package's own state."""
    from django.core.files.base import ContentFile

    from programs.models import Achievement, QuarterlyNote, ReportPackage
    from tests.factories import make_plan

    ReportPackage.objects.create(allocation=w.alloc, kind="bulanan", period=6, review_status="disiapkan")
    ReportPackage.objects.create(allocation=w.alloc, kind="triwulanan", period=2, review_status="diajukan")
    ReportPackage.objects.create(allocation=w.alloc, kind="bulanan", period=8, review_status="dikembalikan")
    with pytest.raises(IntegrityError, match="realisation_in_a_handed_over_package"), transaction.atomic():
        make_realisation(w.alloc, 6, MILLION)
    with pytest.raises(IntegrityError, match="quarterly_note_in_a_handed_over_package"), transaction.atomic():
        QuarterlyNote.objects.create(allocation=w.alloc, quarter=2, problems="x", follow_up="y")
    plan_year = make_allocation("51", 2021)
    (ro,) = make_plan(plan_year, ros=[{"measure": "manual", "unit": "dokumen", "target": 2}])
    ReportPackage.objects.create(
        allocation=plan_year, kind="bulanan", period=3, review_status="terverifikasi"
    )

    def achievement(**fields):
        evidence = ContentFile(b"%PDF-1.4\n%%EOF\n", name="bukti.pdf")
        return Achievement.objects.create(planned_output=ro, month=3, quantity=1, evidence=evidence, **fields)

    with pytest.raises(IntegrityError, match="achievement_in_a_handed_over_package"), transaction.atomic():
        achievement()
    assert not Realisation.objects.exists() and not Achievement.objects.exists()
    # In the package's own state (seed data, a migration), in an editable package, in another period: let in.
    achievement(review_status="terverifikasi")
    make_realisation(w.alloc, 6, MILLION, review_status="disiapkan")
    make_realisation(w.alloc, 8, MILLION)
    make_realisation(w.alloc, 7, MILLION)
    assert Realisation.objects.count() == 3


# --- Running totals ----------------------------------------------------------------------------------------


def test_the_current_pagu_follows_the_latest_revision_by_date_then_id(w):
    def current():
        w.alloc.refresh_from_db()
        return w.alloc.current_pagu

    april = make_revision(w.alloc, 800 * MILLION, revised_on=D(2020, 4, 1), reason="Refocusing Covid-19")
    assert current() == 800 * MILLION
    assert (april.previous_pagu, april.new_pagu, april.reason) == (
        1000 * MILLION,
        800 * MILLION,
        "Refocusing Covid-19",
    )

    march = make_revision(w.alloc, 900 * MILLION, revised_on=D(2020, 3, 1))  # entered late
    assert current() == 800 * MILLION
    assert march.previous_pagu == 1000 * MILLION

    april_again = make_revision(w.alloc, 700 * MILLION, revised_on=D(2020, 4, 1))  # same day, later id
    assert current() == 700 * MILLION
    assert april_again.previous_pagu == 800 * MILLION
    assert w.alloc.pagu == 1000 * MILLION  # the original stays visible
    assert "Rp 800.000.000 → Rp 700.000.000" in str(april_again)

    april_again.delete()
    assert current() == 800 * MILLION
    april.delete()
    assert current() == 900 * MILLION
    march.new_pagu = 950 * MILLION
    march.save()
    assert current() == 950 * MILLION
    march.delete()
    assert current() == 1000 * MILLION
    assert w.alloc.pagu == 1000 * MILLION


def test_revisions_deleted_in_bulk_restore_the_pagu(w):
    make_revision(w.alloc, 800 * MILLION, revised_on=D(2020, 4, 1))
    make_revision(w.alloc, 700 * MILLION, revised_on=D(2020, 5, 1))
    BudgetRevision.objects.filter(new_pagu=700 * MILLION).delete()
    w.alloc.refresh_from_db()
    assert w.alloc.current_pagu == 800 * MILLION
    w.alloc.revisions.all().delete()
    w.alloc.refresh_from_db()
    assert w.alloc.current_pagu == 1000 * MILLION


def test_a_revision_is_not_deleted_when_the_pagu_would_fall_under_what_is_spent(w):
    revision = make_revision(w.alloc, 2000 * MILLION, revised_on=D(2020, 6, 1))
    make_realisation(w.alloc, 7, 1500 * MILLION)
    before = stored(BudgetRevision)
    with pytest.raises(
        ValidationError, match="Revisi tidak dapat dihapus: pagu terkini akan menjadi Rp 1.000"
    ):
        revision.delete()
    assert revision.pk is not None
    with pytest.raises(ValidationError, match="Revisi tidak dapat dihapus"):
        BudgetRevision.objects.filter(pk=revision.pk).delete()
    assert stored(BudgetRevision) == before
    w.alloc.refresh_from_db()
    assert w.alloc.current_pagu == 2000 * MILLION


def test_an_edited_month_or_handover_counts_only_the_others(w):
    june = make_realisation(w.alloc, 6, 900 * MILLION)
    form = form_class(Realisation)(data={**form_data(june), "amount": str(1000 * MILLION)}, instance=june)
    assert form.is_valid(), form.errors
    form.save()
    first = make_handover(w.output, quantity=600)
    second = make_handover(w.output, quantity=300)
    form = form_class(Handover)(data={**form_data(first), "quantity": 700}, instance=first)
    assert form.is_valid(), form.errors
    form.save()
    second.delete()  # frees its 300
    form = form_class(Handover)(data={**form_data(NEW[Handover](w)), "quantity": 300})
    assert form.is_valid(), form.errors
    form.save()
    w.output.refresh_from_db()
    assert w.output.handed_over_total == w.output.quantity == 1000


def test_the_realised_total_is_the_sum_of_the_months(w):
    other = make_allocation("63", 2020)

    def totals():
        w.alloc.refresh_from_db()
        other.refresh_from_db()
        return w.alloc.realised_total, other.realised_total

    june = make_realisation(w.alloc, 6, 100 * MILLION)
    july = make_realisation(w.alloc, 7, 150 * MILLION)
    assert totals() == (250 * MILLION, 0)
    july.amount = 200 * MILLION
    july.save()
    assert totals() == (300 * MILLION, 0)
    june.delete()
    assert totals() == (200 * MILLION, 0)
    july.allocation = other
    july.save()
    assert totals() == (0, 200 * MILLION)
    make_realisation(w.alloc, 8, 50 * MILLION)
    assert totals() == (50 * MILLION, 200 * MILLION)
    Realisation.objects.all().delete()  # e.g. the admin's "delete selected"
    assert totals() == (0, 0)
    for allocation in (w.alloc, other):
        assert allocation.realised_total == sum(r.amount for r in allocation.realisations.all())


def test_absorption_is_realised_over_the_current_pagu(w):
    make_realisation(w.alloc, 6, 250 * MILLION)
    w.alloc.refresh_from_db()
    assert w.alloc.absorption == Decimal("25.00")
    make_revision(w.alloc, 500 * MILLION)
    w.alloc.refresh_from_db()
    assert w.alloc.absorption == Decimal("50.00")
    assert make_allocation("63", 2020, pagu=0).absorption is None
    third = make_allocation("72", 2020, pagu=3 * MILLION)
    make_realisation(third, 1, MILLION)
    third.refresh_from_db()
    assert third.absorption == Decimal("33.33")


def test_the_handed_over_total_is_the_sum_of_the_handovers(w):
    other = make_output(w.participation, quantity=500)

    def totals():
        w.output.refresh_from_db()
        other.refresh_from_db()
        return w.output.handed_over_total, other.handed_over_total

    first = make_handover(w.output, quantity=100)
    second = make_handover(w.output, quantity=200)
    assert totals() == (300, 0)
    second.quantity = 250
    second.save()
    assert totals() == (350, 0)
    first.delete()
    assert totals() == (250, 0)
    second.output = other
    second.save()
    assert totals() == (0, 250)
    assert second.activity_id == other.activity_id
    make_handover(w.output, quantity=1000)
    assert totals() == (1000, 250)
    w.output.refresh_from_db()
    assert w.output.remaining == 0
    Handover.objects.all().delete()  # e.g. the admin's "delete selected"
    assert totals() == (0, 0)


# --- Copied province, year and activity --------------------------------------------------------------------


def _parts(w):
    participant = make_participant(w.activity)
    handover = make_handover(w.output, quantity=10)
    return [w.participation, participant, w.output, handover]


def _assert_parts_follow(activity, parts):
    for part in parts:
        part.refresh_from_db()
        assert (part.province_id, part.year) == (activity.province_id, activity.year), part
        assert part.activity_id == activity.pk, part


def test_the_parts_carry_their_activitys_province_and_year(w):
    parts = _parts(w)
    assert (w.activity.province_id, w.activity.year) == (w.bali.pk, 2020)
    _assert_parts_follow(w.activity, parts)


def test_moving_an_activity_moves_its_parts(w):
    parts = _parts(w)
    # Through the model only (the form refuses it while firms of Bali take part): the copies follow.
    w.activity.allocation = make_allocation("63", 2020)
    w.activity.save()
    assert (w.activity.province_id, w.activity.year) == (w.kalsel.pk, 2020)
    _assert_parts_follow(w.activity, parts)

    # And through a queryset update, which no save() sees: the database moves the copies all the same.
    Activity.objects.filter(pk=w.activity.pk).update(allocation=make_allocation("64", 2020))
    w.activity.refresh_from_db()
    assert w.activity.province.code == "64"
    _assert_parts_follow(w.activity, parts)


def test_an_activity_with_outputs_keeps_its_fiscal_year(w):
    w.activity.allocation = make_allocation("51", 2021)
    w.activity.planned_start, w.activity.planned_end = D(2021, 6, 15), D(2021, 7, 15)
    with pytest.raises(ValidationError) as excinfo:
        w.activity.full_clean()
    assert "tahun anggaran lain" in str(excinfo.value.message_dict["allocation"])
    with pytest.raises(IntegrityError, match="output_produced_in_fiscal_year"), transaction.atomic():
        w.activity.save()


def test_moving_a_participation_or_an_output_moves_what_hangs_from_it(w):
    handover = make_handover(w.output, quantity=10)
    other_activity = make_activity(make_allocation("63", 2020))
    w.participation.activity = other_activity
    w.participation.save()
    _assert_parts_follow(other_activity, [w.participation, w.output, handover])

    third = make_activity(w.alloc)
    w.output.participation = make_participation(third, w.firm2)
    w.output.save()
    _assert_parts_follow(third, [w.output, handover])


# --- Scoping -----------------------------------------------------------------------------------------------

SCOPED_MODELS = [
    Allocation,
    BudgetRevision,
    Realisation,
    Partner,
    Firm,
    Activity,
    Participation,
    Participant,
    Output,
    Handover,
    ReviewEvent,
]
ADMIN_ONLY = {Allocation, BudgetRevision, ReviewEvent}  # set by the ministry, or an audit log
ACTIVITY_PARTS = [Participation, Participant, Output, Handover]


def _province_rows(code, actor, year=2020, review_status=ReviewStatus.DRAFT):
    """One row of every scoped model in a province's year; returns {model: [pks]}."""
    allocation = Allocation.objects.filter(province__code=code, year=year).first() or make_allocation(
        code, year
    )
    regency = Regency.objects.filter(province__code=code).first()
    revision = make_revision(allocation, allocation.current_pagu, revised_on=D(year, 4, 1))
    realisation = make_realisation(allocation, allocation.realisations.count() + 1, MILLION)
    activity = make_activity(allocation, review_status=review_status)
    firm = make_firm(code, regency, nib="")
    participation = make_participation(activity, firm)
    output = make_output(participation)
    rows = {
        Allocation: [allocation],
        BudgetRevision: [revision],
        Realisation: [realisation],
        Partner: [make_partner(code)],
        Firm: [firm],
        Activity: [activity],
        Participation: [participation],
        Participant: [make_participant(activity)],
        Output: [output],
        Handover: [make_handover(output)],
        ReviewEvent: [
            ReviewEvent.objects.create(
                content_type=ContentType.objects.get_for_model(Activity),
                object_id=activity.pk,
                province=activity.province,
                year=year,
                action="ajukan",
                from_status="draf",
                to_status="diajukan",
                actor=actor,
            )
        ],
    }
    return {model: {obj.pk for obj in objs} for model, objs in rows.items()}


@pytest.fixture
def scope(admin, pusat, operator, operator_b, operator_nowhere, viewer_a, viewer, user):
    user.province = Province.objects.get(code="51")  # a province alone gives no right
    user.save(update_fields=["province"])
    users = SimpleNamespace(
        admin=admin,
        ministry=pusat,
        operator_a=operator,
        operator_b=operator_b,
        operator_nowhere=operator_nowhere,
        viewer_a=viewer_a,
        viewer_all=viewer,
        nobody=user,
    )
    a = _province_rows("51", users.operator_a)
    b = _province_rows("63", users.operator_b)
    return SimpleNamespace(users=users, a=a, b=b)


def _pks(model, qs):
    return set(qs.values_list("pk", flat=True))


def _visible(model, user):
    return _pks(model, model.objects.visible_to(user))


def _editable(model, user):
    return _pks(model, model.objects.editable_by(user))


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_who_sees_which_rows(scope, model):
    u, a, b = scope.users, scope.a[model], scope.b[model]
    assert a and b and not a & b
    assert _visible(model, u.operator_a) == a
    assert _visible(model, u.operator_b) == b
    assert _visible(model, u.viewer_a) == a
    for user in (u.admin, u.ministry, u.viewer_all):
        assert _visible(model, user) == a | b, user
    for user in (u.nobody, u.operator_nowhere):
        assert _visible(model, user) == set(), user


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__name__)
def test_who_may_change_which_rows(scope, model):
    u, a, b = scope.users, scope.a[model], scope.b[model]
    assert _editable(model, u.operator_a) == (set() if model in ADMIN_ONLY else a)
    assert _editable(model, u.admin) == a | b
    for user in (u.ministry, u.viewer_a, u.viewer_all, u.nobody, u.operator_nowhere):
        assert _editable(model, user) == set(), user


def test_an_inactive_operator_sees_nothing(scope):
    scope.users.operator_a.is_active = False
    scope.users.operator_a.save()
    for model in SCOPED_MODELS:
        assert _visible(model, scope.users.operator_a) == set()


@pytest.mark.parametrize("status", [ReviewStatus.SUBMITTED, ReviewStatus.VERIFIED])
def test_a_submitted_or_verified_activity_and_its_parts_are_locked_for_operators(scope, status):
    u = scope.users
    locked = _province_rows("51", u.operator_a, review_status=status)
    for model in [Activity, *ACTIVITY_PARTS]:
        assert not _editable(model, u.operator_a) & locked[model], model
        assert _editable(model, u.operator_a) == scope.a[model], model
        assert locked[model] <= _visible(model, u.operator_a), model
        assert locked[model] <= _editable(model, u.admin), model


def test_a_returned_activity_is_open_again(scope):
    returned = _province_rows("51", scope.users.operator_a, review_status=ReviewStatus.RETURNED)
    for model in [Activity, *ACTIVITY_PARTS]:
        assert returned[model] <= _editable(model, scope.users.operator_a), model


def test_a_submitted_realisation_is_locked_for_operators(scope):
    u = scope.users
    realisation = Realisation.objects.get(pk=next(iter(scope.a[Realisation])))
    Realisation.objects.filter(pk=realisation.pk).update(review_status=ReviewStatus.SUBMITTED)
    assert _editable(Realisation, u.operator_a) == set()
    assert realisation.pk in _editable(Realisation, u.admin)


def test_a_closed_fiscal_year_is_locked_for_operators_but_not_admins(scope):
    u = scope.users
    open_2021 = _province_rows("51", u.operator_a, year=2021)
    FiscalYear.objects.create(year=2020, closed_at=timezone.now(), closed_by=u.ministry)
    for model in [Realisation, Activity, *ACTIVITY_PARTS]:
        assert _editable(model, u.operator_a) == open_2021[model], model
        assert _editable(model, u.operator_b) == set(), model
        assert scope.a[model] | scope.b[model] <= _editable(model, u.admin), model
        assert scope.a[model] <= _visible(model, u.operator_a), model
    # Firms and partners are not bound to a year.
    assert scope.a[Firm] <= _editable(Firm, u.operator_a)


def test_a_participation_with_outputs_keeps_its_fiscal_year(w):
    w.participation.activity = make_activity(make_allocation("51", 2021))
    with pytest.raises(ValidationError) as excinfo:
        w.participation.full_clean()
    assert "tahun anggaran lain" in str(excinfo.value.message_dict["activity"])


@pytest.mark.parametrize(
    "order, message",
    [
        (
            {"ordered_quantity": 100, "ordered_on": D(2021, 1, 5)},
            "Tanggal pesanan harus di dalam tahun anggaran",
        ),
        ({"ordered_quantity": None, "ordered_on": D(2020, 6, 5)}, "hanya diisi bila ada pesanan"),
    ],
)
def test_an_order_date_belongs_to_an_order_in_the_fiscal_year(w, order, message):
    output = Output(
        participation=w.participation,
        product="Masker",
        product_type="masker",
        quantity=100,
        unit="pcs",
        produced_on=D(2020, 7, 1),
        buyer=w.partner if order["ordered_quantity"] else None,
        **order,
    )
    with pytest.raises(ValidationError) as excinfo:
        output.full_clean()
    assert message in str(excinfo.value.message_dict["ordered_on"])
