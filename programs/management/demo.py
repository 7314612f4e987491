"""The quick start's demo: a user for every role, and the real cases of fiscal year 2020 (DOMAIN.md).

Every row is checked with `full_clean()` and saved through the models (so totals and history are kept),
and looked up first by a natural key, so running the seed again creates nothing new. Random figures come
from a fixed seed and are drawn whether or not the row already exists: each run computes the same data.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from faker import Faker

from accounts.roles import GROUP_NAMES, Role
from provinces.models import Province, Regency

from ..models import (
    Activity,
    ActivityKind,
    ActivityPurpose,
    ActivityStatus,
    Allocation,
    BudgetRevision,
    DeliveryMode,
    Firm,
    FirmScale,
    FiscalYear,
    Handover,
    Output,
    Participant,
    Participation,
    Partner,
    PartnerKind,
    ProductType,
    Realisation,
    RecipientType,
    Sector,
    Sex,
    Unit,
)

DEMO_PASSWORD_DEFAULT = "dekon-demo-2020"  # noqa: S105 - printed to the developer; DEBUG or --force only
DEMO_REASON = "Data demo (seed_demo)"
SEED = 2020
YEAR = 2020
REFOCUSING_REASON = "Refocusing anggaran untuk penanganan dampak Covid-19 terhadap IKM"
# Provinces where PSBB (large-scale social restrictions) was in force in mid-2020.
PSBB_PLACES = {
    "31": "DKI Jakarta",
    "32": "wilayah Bogor, Depok, Bekasi dan Bandung Raya",
    "35": "Surabaya Raya",
    "36": "Tangerang Raya",
    "73": "Kota Makassar",
}

KBLI = {
    Sector.SANDANG: ["14111", "14120", "13929"],
    Sector.PANGAN: ["10794", "10710", "10750"],
    Sector.KERAJINAN: ["16292", "32902", "23939"],
    Sector.LOGAM: ["25920", "25931"],
    Sector.KIMIA: ["20231", "23951"],
    Sector.ELEKTRONIKA: ["26400", "27900"],
}
NAME_PREFIXES = {
    Sector.SANDANG: ["Konveksi", "Penjahit", "Garmen", "Bordir", "CV", "UD"],
    Sector.PANGAN: ["UD", "CV", "Dapur", "Kue", "Keripik"],
    Sector.KERAJINAN: ["Kerajinan", "Anyaman", "UD", "CV"],
    Sector.LOGAM: ["Bengkel Las", "Pandai Besi", "CV", "UD"],
    Sector.KIMIA: ["UD", "CV"],
    Sector.ELEKTRONIKA: ["CV", "UD"],
}
NAME_SUFFIXES = ["", "", "", " Jaya", " Mandiri", " Sejahtera", " Abadi", " Berkah"]


def rupiah_millions(rng, low, high):
    """A whole number of millions of Rupiah between low and high millions, as a Decimal."""
    return Decimal(rng.randrange(low, high + 1) * 1_000_000)


def fake_firm_fields(fake, rng, *, province, regency, sector, covid_affected, nib):
    """The fields of a plausible IKM; the place comes from the official list, never from Faker."""
    scale = rng.choices([FirmScale.MIKRO, FirmScale.KECIL, FirmScale.MENENGAH], weights=[70, 25, 5])[0]
    workers = {FirmScale.MIKRO: (1, 4), FirmScale.KECIL: (5, 19), FirmScale.MENENGAH: (20, 99)}[scale]
    return {
        "province": province,
        "regency": regency,
        "name": f"{rng.choice(NAME_PREFIXES[sector])} {fake.last_name()}{rng.choice(NAME_SUFFIXES)}",
        "nib": nib,
        "owner_name": f"{fake.first_name()} {fake.last_name()}",
        "sector": sector,
        "kbli": rng.choice(KBLI[sector]),
        "scale": scale,
        "address": f"{fake.street_address()}, {regency.name}",
        "phone": fake.numerify("08##-####-####"),
        "workers": rng.randint(*workers),
        "covid_affected": covid_affected,
    }


def fake_nik(rng, regency_code, sex, serial):
    """A 16-digit NIK: regency code, district, birth date (day + 40 for women), serial."""
    born = date(1975, 1, 1) + timedelta(days=rng.randrange(0, 30 * 365))
    day = born.day + (40 if sex == Sex.FEMALE else 0)
    district = rng.randint(1, 20)
    return f"{regency_code.replace('.', '')}{district:02d}{day:02d}{born:%m%y}{serial:04d}"


# --- Users -------------------------------------------------------------------------------------------------


@dataclass
class DemoUsers:
    admin: object
    ministry: object
    viewer: object
    operators: dict = field(default_factory=dict)  # province code -> user
    created: int = 0
    total: int = 0


@transaction.atomic
def ensure_users(password):
    """admin, pusat, viewer and op-<code> for each of the 38 provinces; passwords set only on creation."""
    User = get_user_model()
    groups = {role: Group.objects.get(name=name) for role, name in GROUP_NAMES.items()}
    hashed = make_password(password)  # once: hashing is deliberately slow, the users share the password
    result = DemoUsers(admin=None, ministry=None, viewer=None)

    def ensure(username, role, *, province=None, staff=False, **names):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "password": hashed,
                "is_staff": staff,
                "is_superuser": staff,
                "province": province,
                **names,
            },
        )
        if not created and (user.province_id, user.is_staff) != (province and province.pk, staff):
            user.province, user.is_staff = province, staff
            user.save(update_fields=["province", "is_staff"])
        user.groups.add(groups[role])
        result.created += created
        result.total += 1
        return user

    result.admin = ensure("admin", Role.ADMIN, staff=True, first_name="Admin", last_name="Demo")
    result.ministry = ensure("pusat", Role.MINISTRY, first_name="Staf", last_name="Ditjen IKMA")
    result.viewer = ensure("viewer", Role.VIEWER, first_name="Peninjau", last_name="Nasional")
    for province in Province.objects.all():
        result.operators[province.code] = ensure(
            f"op-{province.code}",
            Role.OPERATOR,
            province=province,
            first_name="Operator",
            last_name=province.name,
        )
    return result


# --- The 2020 cases ---------------------------------------------------------------------------------------


class Seeder:
    """Creates rows through the models, once each, and counts what it created."""

    def __init__(self, actor):
        self.actor = actor
        self.created = Counter()
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible demo data, not secrets
        self.fake = Faker("id_ID")
        self.fake.seed_instance(SEED)
        self._nibs = set()

    def ensure(self, model, lookup, **values):
        """(object, created): the row matching `lookup`, or a new one validated with full_clean()."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is not None:
            return obj, False
        obj = model(**lookup, **values)
        obj.full_clean()
        obj._history_user = self.actor
        obj._change_reason = DEMO_REASON
        obj.save()
        self.created[model] += 1
        return obj, True

    def nib(self):
        while True:
            nib = f"912{self.rng.randrange(10**10):010d}"
            if nib not in self._nibs:
                self._nibs.add(nib)
                return nib

    def firms(self, province, count, *, sector=Sector.SANDANG, regency=None, covid_affected=True):
        regencies = list(Regency.objects.in_province(province, YEAR))
        firms = []
        for _ in range(count):
            fields = fake_firm_fields(
                self.fake,
                self.rng,
                province=province,
                regency=regency or self.rng.choice(regencies),
                sector=sector,
                covid_affected=covid_affected,
                nib=self.nib(),
            )
            firms.append(self.ensure(Firm, {"nib": fields.pop("nib")}, **fields)[0])
        return firms

    def partner(self, province, name, kind, regency=None):
        return self.ensure(Partner, {"province": province, "name": name}, kind=kind, regency=regency)[0]

    def activity(self, allocation, title, *, partners=(), **fields):
        activity, created = self.ensure(
            Activity,
            {"allocation": allocation, "title": title},
            province=allocation.province,
            year=allocation.year,
            **fields,
        )
        if created and partners:
            activity._history_user = self.actor
            activity._change_reason = DEMO_REASON
            activity.partners.add(*partners)
        return activity

    def participations(self, activity, firms):
        return [
            self.ensure(
                Participation,
                {"activity": activity, "firm": firm},
                province_id=activity.province_id,
                year=activity.year,
            )[0]
            for firm in firms
        ]

    def output(self, participation, product, **fields):
        return self.ensure(
            Output,
            {"participation": participation, "product": product},
            activity_id=participation.activity_id,
            province_id=participation.province_id,
            year=participation.year,
            **fields,
        )[0]

    def handover(self, output, bast_number, **fields):
        return self.ensure(
            Handover,
            {"output": output, "bast_number": bast_number},
            activity_id=output.activity_id,
            province_id=output.province_id,
            year=output.year,
            **fields,
        )[0]

    def day(self, start, end):
        """A random date between start and end (inclusive)."""
        return start + timedelta(days=self.rng.randint(0, (end - start).days))


@transaction.atomic
def seed_2020(actor):
    """The fiscal year 2020 as reported by the ministry in June 2020; returns what was created."""
    s = Seeder(actor)
    s.ensure(FiscalYear, {"year": YEAR})
    provinces = {p.code: p for p in Province.objects.active_in(YEAR)}
    allocations = {code: _allocation(s, province) for code, province in provinces.items()}
    offices = {
        code: s.partner(province, f"Dinas Perindustrian Provinsi {province.name}", PartnerKind.DINAS_PROVINSI)
        for code, province in provinces.items()
    }
    task_forces = {
        code: s.partner(
            provinces[code],
            f"Gugus Tugas Percepatan Penanganan Covid-19 Provinsi {provinces[code].name}",
            PartnerKind.GUGUS_TUGAS,
        )
        for code in ("16", "63", "72")
    }
    _sumatera_selatan(s, allocations["16"], offices["16"], task_forces["16"])
    _bangli(s, allocations["51"], offices["51"])
    _kalimantan_selatan(s, allocations["63"], offices["63"], task_forces["63"])
    _sulawesi_tengah(s, allocations["72"], offices["72"])
    for index, code in enumerate(c for c in provinces if c not in ("16", "63", "72")):
        _other_activities(s, index, allocations[code], offices[code])
    return s.created


def _allocation(s, province):
    """Pagu set by the DIPA late 2019, realisation Jan-Mar, refocusing in April, realisation Apr-Jun."""
    pagu = rupiah_millions(s.rng, 2_500, 7_500)
    allocation, _ = s.ensure(
        Allocation,
        {"province": province, "year": YEAR},
        pagu=pagu,
        dipa_number=f"SP DIPA-019.03.4.{province.code}{s.rng.randint(1000, 9999)}/2020",
        dipa_date=s.day(date(2019, 11, 25), date(2019, 12, 20)),
    )
    refocused = (pagu * Decimal(s.rng.randint(55, 85)) / 100 / 1_000_000).quantize(Decimal(1)) * 1_000_000
    shares = [Decimal(s.rng.randint(lo, hi)) / 1000 for lo, hi in ((5, 15), (10, 25), (15, 35))]
    for month, share in enumerate(shares, start=1):
        _realisation(s, allocation, month, (pagu * share).quantize(Decimal(1)))
    allocation.refresh_from_db(fields=["realised_total", "current_pagu"])
    s.ensure(
        BudgetRevision,
        {"allocation": allocation, "revised_on": s.day(date(2020, 4, 14), date(2020, 4, 30))},
        new_pagu=refocused,
        reason=REFOCUSING_REASON,
        document_number=f"S-{s.rng.randint(100, 999)}/IKMA/IV/2020",
    )
    allocation.refresh_from_db(fields=["realised_total", "current_pagu"])
    shares = [Decimal(s.rng.randint(lo, hi)) / 1000 for lo, hi in ((20, 40), (40, 70), (60, 110))]
    for month, share in enumerate(shares, start=4):
        _realisation(s, allocation, month, (refocused * share).quantize(Decimal(1)))
    allocation.refresh_from_db(fields=["realised_total", "current_pagu"])
    return allocation


def _realisation(s, allocation, month, amount):
    s.ensure(
        Realisation,
        {"allocation": allocation, "month": month},
        amount=amount,
        note="Belanja bimtek dan pendampingan" if month > 3 else "Belanja persiapan kegiatan",
    )


def _sumatera_selatan(s, allocation, office, task_force):
    """Case 3: bimtek on producing APD; hazmat suits, face shields and cloth masks to the task force."""
    palembang = Regency.objects.get(code="16.71")
    activity = s.activity(
        allocation,
        "Bimtek Produksi Alat Pelindung Diri (APD) bagi IKM Sandang Terdampak Covid-19",
        kind=ActivityKind.BIMTEK,
        purpose=ActivityPurpose.PENGEMBANGAN,
        sector=Sector.SANDANG,
        covid_response=True,
        regency=palembang,
        mode=DeliveryMode.COMBINED,
        planned_start=date(2020, 6, 15),
        planned_end=date(2020, 6, 19),
        actual_start=date(2020, 6, 15),
        actual_end=date(2020, 6, 19),
        status=ActivityStatus.DONE,
        budget=Decimal(420_000_000),
        target_participants=12,
        actual_participants=12,
        partners=[office, task_force],
    )
    firms = s.firms(allocation.province, 12)
    products = [
        ("Baju hazmat", ProductType.HAZMAT, Unit.BUAH, (150, 300)),
        ("Face shield", ProductType.FACE_SHIELD, Unit.BUAH, (300, 600)),
        ("Masker kain", ProductType.MASK, Unit.PCS, (1_000, 2_000)),
    ]
    for index, participation in enumerate(s.participations(activity, firms)):
        product, product_type, unit, (low, high) = products[index % 3]
        quantity = s.rng.randint(low, high)
        output = s.output(
            participation,
            product,
            product_type=product_type,
            quantity=quantity,
            unit=unit,
            produced_on=s.day(date(2020, 6, 22), date(2020, 7, 10)),
            meets_standard=True,
        )
        s.handover(
            output,
            f"BAST/{index + 1:03d}/GTPP-SS/VII/2020",
            recipient_type=RecipientType.TASK_FORCE_PROVINCE,
            recipient=task_force,
            handed_on=s.day(date(2020, 7, 13), date(2020, 7, 24)),
            quantity=quantity,
        )


def _bangli(s, allocation, office):
    """Case 4: bimtek on two-layer cloth masks in Kabupaten Bangli."""
    bangli = Regency.objects.get(code="51.06")
    activity = s.activity(
        allocation,
        "Bimtek Pembuatan Masker Kain 2 Lapis bagi IKM di Kabupaten Bangli",
        kind=ActivityKind.BIMTEK,
        purpose=ActivityPurpose.PENGEMBANGAN,
        sector=Sector.SANDANG,
        covid_response=True,
        regency=bangli,
        mode=DeliveryMode.COMBINED,
        planned_start=date(2020, 6, 22),
        planned_end=date(2020, 6, 25),
        actual_start=date(2020, 6, 22),
        actual_end=date(2020, 6, 25),
        status=ActivityStatus.DONE,
        budget=Decimal(185_000_000),
        target_participants=10,
        actual_participants=10,
        partners=[office],
    )
    firms = s.firms(allocation.province, 10, regency=bangli)
    for participation in s.participations(activity, firms):
        s.output(
            participation,
            "Masker kain 2 lapis",
            product_type=ProductType.MASK,
            quantity=s.rng.randint(20, 50) * 10,
            unit=Unit.PCS,
            produced_on=s.day(date(2020, 6, 26), date(2020, 7, 10)),
            meets_standard=True,
        )


# Case 5's order of 100,000 masks, split over ten firms; two of them deliver behind the order.
KALSEL_ORDERS = [15_000, 12_000, 12_000, 10_000, 10_000, 10_000, 9_000, 8_000, 7_000, 7_000]
KALSEL_SHORTFALL = {0: 800, 6: 500}


def _kalimantan_selatan(s, allocation, office, task_force):
    """Case 5: mentoring garment IKM producing masks on the task force's order of 100,000 pieces."""
    banjarmasin = Regency.objects.get(code="63.71")
    activity = s.activity(
        allocation,
        "Pendampingan Produksi Masker Kain bagi IKM Sandang Terdampak Pandemi atas Pesanan Gugus Tugas "
        "Covid-19 dengan Penerapan Protokol Kesehatan",
        kind=ActivityKind.PENDAMPINGAN,
        purpose=ActivityPurpose.PENGEMBANGAN,
        sector=Sector.SANDANG,
        covid_response=True,
        regency=banjarmasin,
        mode=DeliveryMode.COMBINED,
        planned_start=date(2020, 6, 8),
        planned_end=date(2020, 7, 31),
        actual_start=date(2020, 6, 10),
        actual_end=date(2020, 7, 31),
        status=ActivityStatus.DONE,
        budget=Decimal(375_000_000),
        target_participants=10,
        actual_participants=10,
        partners=[office, task_force],
    )
    firms = s.firms(allocation.province, len(KALSEL_ORDERS))
    for index, participation in enumerate(s.participations(activity, firms)):
        ordered = KALSEL_ORDERS[index]
        made = ordered - KALSEL_SHORTFALL.get(index, 0)
        output = s.output(
            participation,
            "Masker kain 3 lapis (pesanan Gugus Tugas)",
            product_type=ProductType.MASK,
            quantity=made,
            unit=Unit.PCS,
            produced_on=s.day(date(2020, 7, 1), date(2020, 7, 24)),
            meets_standard=True,
            ordered_quantity=ordered,
            ordered_on=date(2020, 6, 5),  # ordered before the mentoring began: Q2's order, made in July
            buyer=task_force,
        )
        s.handover(
            output,
            f"BAST/{index + 1:03d}/GTPP-KS/VII/2020",
            recipient_type=RecipientType.TASK_FORCE_PROVINCE,
            recipient=task_force,
            handed_on=s.day(date(2020, 7, 27), date(2020, 7, 31)),
            quantity=made,
        )


# Case 6: ten firms, 3,000 masks in all, every one handed to the public.
SULTENG_MASKS = [400, 350, 350, 300, 300, 300, 280, 270, 250, 200]


def _sulawesi_tengah(s, allocation, office):
    """Case 6: sewing mentoring for 10 IKM on masks meeting health standards, given to the public."""
    palu = Regency.objects.get(code="72.71")
    activity = s.activity(
        allocation,
        "Pendampingan Penjahitan Masker Kain Sesuai Standar Kesehatan bagi IKM Sandang",
        kind=ActivityKind.PENDAMPINGAN,
        purpose=ActivityPurpose.PENGEMBANGAN,
        sector=Sector.SANDANG,
        covid_response=True,
        regency=palu,
        mode=DeliveryMode.COMBINED,
        planned_start=date(2020, 6, 15),
        planned_end=date(2020, 7, 10),
        actual_start=date(2020, 6, 15),
        actual_end=date(2020, 7, 10),
        status=ActivityStatus.DONE,
        budget=Decimal(240_000_000),
        target_participants=10,
        actual_participants=10,
        partners=[office],
    )
    firms = s.firms(allocation.province, len(SULTENG_MASKS), regency=palu)
    for index, participation in enumerate(s.participations(activity, firms)):
        output = s.output(
            participation,
            "Masker kain sesuai standar kesehatan",
            product_type=ProductType.MASK,
            quantity=SULTENG_MASKS[index],
            unit=Unit.PCS,
            produced_on=s.day(date(2020, 6, 29), date(2020, 7, 8)),
            meets_standard=True,
        )
        s.handover(
            output,
            f"BAST/{index + 1:03d}/DISPERINDAG-ST/VII/2020",
            recipient_type=RecipientType.PUBLIC,
            recipient_name="Masyarakat Kota Palu",
            handed_on=s.day(date(2020, 7, 13), date(2020, 7, 17)),
            quantity=SULTENG_MASKS[index],
        )


# Other provinces: one or two activities each from these kinds, mostly June-July, online or combined.
OTHER_TEMPLATES = [
    ("Bimtek Produksi Masker Kain bagi IKM Sandang Terdampak Covid-19", ActivityKind.BIMTEK, Sector.SANDANG),
    (
        "Penumbuhan Wirausaha Industri Baru Bidang Penjahitan APD",
        ActivityKind.WIRAUSAHA_BARU,
        Sector.SANDANG,
    ),
    (
        "Pendampingan Penerapan Protokol Kesehatan dan Keamanan Pangan bagi IKM Pangan",
        ActivityKind.PENDAMPINGAN,
        Sector.PANGAN,
    ),
    (
        "Fasilitasi Sertifikasi Halal bagi IKM Pangan Terdampak Covid-19",
        ActivityKind.FASILITASI,
        Sector.PANGAN,
    ),
    ("Bimtek Pembuatan Baju Hazmat Non-Medis bagi IKM Konveksi", ActivityKind.BIMTEK, Sector.SANDANG),
]


def _other_activities(s, index, allocation, office):
    province = allocation.province
    regencies = list(Regency.objects.in_province(province, YEAR))
    templates = [OTHER_TEMPLATES[index % len(OTHER_TEMPLATES)]]
    if index % 3 == 0:
        templates.append(OTHER_TEMPLATES[(index + 2) % len(OTHER_TEMPLATES)])
    for number, (title, kind, sector) in enumerate(templates):
        regency = s.rng.choice(regencies)
        postponed = number == 0 and province.code in PSBB_PLACES
        if postponed:
            start = s.day(date(2020, 8, 3), date(2020, 8, 31))
        else:
            start = s.day(date(2020, 6, 2), date(2020, 7, 10))
        length = 4 if kind == ActivityKind.BIMTEK else s.rng.randint(14, 30)
        end = min(start + timedelta(days=length), date(2020, 9, 30) if postponed else date(2020, 7, 31))
        if postponed:
            status, reason = (
                ActivityStatus.POSTPONED,
                f"Ditunda ke Agustus-September 2020 karena kebijakan PSBB di {PSBB_PLACES[province.code]}",
            )
        else:
            status = s.rng.choices([ActivityStatus.DONE, ActivityStatus.RUNNING], weights=[3, 1])[0]
            reason = ""
        done = status == ActivityStatus.DONE
        participants = s.rng.randint(8, 12)
        activity = s.activity(
            allocation,
            f"{title} di {regency.name}",
            kind=kind,
            purpose=ActivityPurpose.PENUMBUHAN
            if kind == ActivityKind.WIRAUSAHA_BARU
            else ActivityPurpose.PENGEMBANGAN,
            sector=sector,
            covid_response=True,
            regency=regency,
            mode=s.rng.choice([DeliveryMode.ONLINE, DeliveryMode.COMBINED]),
            planned_start=start,
            planned_end=end,
            actual_start=start if status != ActivityStatus.POSTPONED else None,
            actual_end=end if done else None,
            status=status,
            status_reason=reason,
            budget=rupiah_millions(s.rng, 120, 450),
            target_participants=participants,
            actual_participants=participants if done else None,
            partners=[office],
        )
        if kind == ActivityKind.WIRAUSAHA_BARU:
            _individuals(s, activity, regency, participants)
            continue
        firms = s.firms(province, participants, sector=sector, regency=regency)
        participations = s.participations(activity, firms)
        if kind == ActivityKind.BIMTEK and status != ActivityStatus.POSTPONED:
            _masks_for_the_public(s, activity, participations, regency)


def _individuals(s, activity, regency, count):
    """Would-be entrepreneurs: a NIK only for those who gave one (personal data, stored when needed)."""
    names = set()
    for serial in range(1, count + 1):
        sex = s.rng.choice([Sex.MALE, Sex.FEMALE])
        first = s.fake.first_name_male() if sex == Sex.MALE else s.fake.first_name_female()
        name = f"{first} {s.fake.last_name()}"
        while name in names:
            name = f"{first} {s.fake.last_name()}"
        names.add(name)
        nik = fake_nik(s.rng, regency.code, sex, serial) if s.rng.random() < 0.6 else ""
        phone = s.fake.numerify("08##-####-####") if s.rng.random() < 0.8 else ""
        s.ensure(
            Participant,
            {"activity": activity, "name": name},
            province_id=activity.province_id,
            year=activity.year,
            nik=nik,
            sex=sex,
            phone=phone,
        )


def _masks_for_the_public(s, activity, participations, regency):
    done = activity.status == ActivityStatus.DONE
    for index, participation in enumerate(participations):
        is_hazmat = "Hazmat" in activity.title
        quantity = s.rng.randint(5, 30) * (10 if is_hazmat else 50)
        output = s.output(
            participation,
            "Baju hazmat non-medis" if is_hazmat else "Masker kain",
            product_type=ProductType.HAZMAT if is_hazmat else ProductType.MASK,
            quantity=quantity,
            unit=Unit.BUAH if is_hazmat else Unit.PCS,
            produced_on=s.day(activity.planned_start, activity.planned_end),
            meets_standard=s.rng.random() < 0.8,
        )
        handed = quantity if done else quantity // 2
        if handed:
            s.handover(
                output,
                f"BAST/{index + 1:03d}/{activity.province.code}/{activity.pk}/2020",
                recipient_type=RecipientType.HEALTH_FACILITY if is_hazmat else RecipientType.PUBLIC,
                recipient_name=f"Puskesmas di {regency.name}" if is_hazmat else f"Masyarakat {regency.name}",
                handed_on=activity.planned_end,
                quantity=handed,
            )
