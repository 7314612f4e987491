"""Small factories for the programme's test data: plain functions, valid rows, overrides by keyword.
The people who use it are the cast of tests/conftest.py.

Provinces and regencies come from the data migration, e.g. "51" Bali with "51.06" Kabupaten Bangli,
"63" Kalimantan Selatan with "63.71" Kota Banjarmasin, "72" Sulawesi Tengah.
"""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.roles import GROUP_NAMES, Role
from programs.models import (
    Activity,
    ActivityKind,
    ActivityPurpose,
    Allocation,
    BudgetRevision,
    DeliveryMode,
    Firm,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    PartnerKind,
    PlanItem,
    PlanLevel,
    ProductType,
    Realisation,
    RecipientType,
    Sector,
    Sex,
    Unit,
)
from provinces.models import Province, Regency

PASSWORD = "rahasia-uji-123"  # every test user's; tests/conftest.py sets a fast hasher for it
PROVINCE_A, PROVINCE_B = "51", "63"  # the cast's provinces (tests/conftest.py): Bali, Kalimantan Selatan

_sequence = itertools.count(1)


def _province(province):
    return province if isinstance(province, Province) else Province.objects.get(code=province)


def _regency(regency):
    return regency if isinstance(regency, Regency) or regency is None else Regency.objects.get(code=regency)


def make_user(username, role=None, province=None, **fields):
    """A user in the role's group (a Role or its value, e.g. "operator"; None: no role); province as object
    or code. Pass is_staff=True for a user who uses the Django admin.

    The one way tests make users. Tests take the people of the cast (tests/conftest.py: admin, pusat,
    viewer, operator, ...) and call this only for someone the cast does not have."""
    if province is not None:
        fields["province"] = _province(province)
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=GROUP_NAMES[Role(role)]))
    return user


def with_staff_status(*users):
    """Open the Django admin to cast members, as an admin does by ticking "staff status"."""
    for user in users:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def make_allocation(province_code="51", year=2020, pagu=Decimal("1500000000"), **overrides):
    fields = {
        "province": _province(overrides.pop("province", province_code)),
        "year": year,
        "pagu": Decimal(pagu),
        "dipa_number": f"SP DIPA-019.{next(_sequence):02d}/{year}",
        "dipa_date": datetime.date(year, 1, 2),
    }
    fields.update(overrides)
    return Allocation.objects.create(**fields)


def make_activity(allocation, **overrides):
    year = allocation.year
    fields = {
        "allocation": allocation,
        "title": f"Bimtek pembuatan masker kain 2 lapis {next(_sequence)}",
        "kind": ActivityKind.BIMTEK,
        "purpose": ActivityPurpose.PENGEMBANGAN,
        "sector": Sector.SANDANG,
        "covid_response": True,
        "mode": DeliveryMode.COMBINED,
        "planned_start": datetime.date(year, 6, 15),
        "planned_end": datetime.date(year, 7, 15),
        "budget": Decimal("150000000"),
        "target_participants": 20,
    }
    fields.update(overrides)
    return Activity.objects.create(**fields)


def make_firm(province="51", regency="51.06", **overrides):
    n = next(_sequence)
    fields = {
        "province": _province(province),
        "regency": _regency(regency),
        "name": f"IKM Konveksi Uji {n}",
        "nib": f"{9120000000000 + n}",
        "sector": Sector.SANDANG,
        "covid_affected": True,
    }
    fields.update(overrides)
    return Firm.objects.create(**fields)


def make_partner(province="51", kind=PartnerKind.GUGUS_TUGAS, **overrides):
    province = _province(province)
    fields = {
        "province": province,
        "name": f"Gugus Tugas Covid-19 {province.name} {next(_sequence)}",
        "kind": kind,
    }
    fields.update(overrides)
    return Partner.objects.create(**fields)


def make_participation(activity, firm, **overrides):
    return Participation.objects.create(activity=activity, firm=firm, **overrides)


def make_output(participation, quantity=1000, **overrides):
    fields = {
        "participation": participation,
        "product": "Masker kain 2 lapis",
        "product_type": ProductType.MASK,
        "quantity": quantity,
        "unit": Unit.PCS,
        "produced_on": datetime.date(participation.year, 7, 1),
        "meets_standard": True,
    }
    fields.update(overrides)
    return Output.objects.create(**fields)


def make_handover(output, quantity=100, **overrides):
    fields = {
        "output": output,
        "quantity": quantity,
        "recipient_type": RecipientType.PUBLIC,
        "recipient_name": "Masyarakat umum",
        "handed_on": datetime.date(output.year, 7, 20),
        "bast_number": f"BAST/{next(_sequence):03d}/{output.year}",
    }
    fields.update(overrides)
    return Handover.objects.create(**fields)


def make_revision(allocation, new_pagu, revised_on=None, **overrides):
    fields = {
        "allocation": allocation,
        "revised_on": revised_on or datetime.date(allocation.year, 4, 15),
        "new_pagu": Decimal(new_pagu),
        "reason": "Refocusing anggaran untuk IKM terdampak Covid-19",
        "document_number": f"DIPA revisi {next(_sequence):02d}",
    }
    fields.update(overrides)
    return BudgetRevision.objects.create(**fields)


def make_realisation(allocation, month=6, amount=Decimal("100000000"), **overrides):
    fields = {"allocation": allocation, "month": month, "amount": Decimal(amount)}
    fields.update(overrides)
    return Realisation.objects.create(**fields)


def hand_over(allocation, month, *, operator, head, ministry=None):
    """A month's package (its realisation and achievements) through the workflow's one path (issue 16):
    prepared by `operator`, approved by `head` (the province's Kepala Dinas, or an admin), verified by
    `ministry` when given. Returns the package."""
    from programs import packages, services

    package, _created = packages.get_or_start(allocation, "bulanan", month, actor=operator)
    services.prepare(package=package, actor=operator)
    services.approve(package=package, actor=head)
    if ministry is not None:
        services.verify(obj=package, actor=ministry)
    return package


def make_participant(activity, **overrides):
    n = next(_sequence)
    fields = {"activity": activity, "name": f"Peserta Uji {n}", "nik": "", "sex": Sex.FEMALE}
    fields.update(overrides)
    return Participant.objects.create(**fields)


def make_plan(allocation, ros=None, program="019.08.WA", kegiatan="5807", kro="QEA"):
    """A program → kegiatan → KRO heading and its ROs, whose pagus add up to the allocation's current pagu
    (the plan's rule). `ros`: dicts of PlanItem fields (code suffix "001"… by position unless given); by
    default one RO holding the whole pagu, counting distinct IKM. Returns the ROs. One transaction: the sum
    is checked when it commits (programs/plan_rules.py)."""
    with transaction.atomic():
        return _make_plan(allocation, ros, program, kegiatan, kro)


def _make_plan(allocation, ros, program, kegiatan, kro):
    allocation.refresh_from_db()
    ros = ros or [{}]
    top = PlanItem.objects.create(
        allocation=allocation, level=PlanLevel.PROGRAM, code=program, name="Program Nilai Tambah Industri"
    )
    activity = PlanItem.objects.create(
        allocation=allocation, parent=top, level=PlanLevel.KEGIATAN, code=kegiatan, name="Pengembangan IKM"
    )
    heading = PlanItem.objects.create(
        allocation=allocation,
        parent=activity,
        level=PlanLevel.KRO,
        code=f"{kegiatan}.{kro}",
        name="Fasilitasi dan pembinaan IKM",
    )
    given = sum(Decimal(r["pagu"]) for r in ros if "pagu" in r)
    rest = [r for r in ros if "pagu" not in r]
    share = (allocation.current_pagu - given) / len(rest) if rest else 0
    made = []
    for i, fields in enumerate(ros, start=1):
        values = {
            "allocation": allocation,
            "parent": heading,
            "level": PlanLevel.RO,
            "code": f"{kegiatan}.{kro}.{i:03d}",
            "name": f"IKM yang difasilitasi {i}",
            "target": 10,
            "unit": "ikm",
            "measure": "ikm",
            **fields,
        }
        if "pagu" not in fields:
            last = fields is rest[-1]
            values["pagu"] = (
                allocation.current_pagu - given - share.quantize(Decimal(1)) * (len(rest) - 1)
                if last
                else share.quantize(Decimal(1))
            )
        made.append(PlanItem.objects.create(**values))
    return made


def preparer(code):
    """An operator of the province who prepares its packages in tests where the cast's operator is not at
    hand (the two tiers are two people: whoever prepares a package never approves it)."""
    user = get_user_model().objects.filter(username=f"penyiap-{code}").first()
    return user or make_user(f"penyiap-{code}", Role.OPERATOR, code)
