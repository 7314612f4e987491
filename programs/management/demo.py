"""The quick start's demo: a user for every role, and the real cases of fiscal year 2020 (DOMAIN.md).

Every row is checked with `full_clean()` and saved through the models (so totals and history are kept),
and looked up first by a natural key, so running the seed again creates nothing new. Random figures come
from a fixed seed and are drawn whether or not the row already exists: each run computes the same data.
"""

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.roles import GROUP_NAMES, Role
from provinces.models import Province, Regency

from .. import access, packages, services, workdays, workflow
from ..bulk import bulk_create_with_history
from ..models import (
    Achievement,
    Activity,
    ActivityKind,
    ActivityPurpose,
    ActivityStatus,
    Allocation,
    BudgetRevision,
    CashPlan,
    CashPlanLine,
    DeliveryMode,
    Firm,
    FirmScale,
    FiscalYear,
    FundType,
    Handover,
    Measure,
    Notification,
    Output,
    OutputUnit,
    PackageKind,
    Participant,
    Participation,
    Partner,
    PartnerKind,
    PlanItem,
    PlanLevel,
    ProductType,
    QuarterlyNote,
    Realisation,
    RealisationLine,
    RecipientType,
    ReportPackage,
    ReviewAction,
    ReviewEvent,
    ReviewStatus,
    RevisionLine,
    Sector,
    Sex,
    SpendingType,
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
    heads: dict = field(default_factory=dict)  # province code -> its Kepala Dinas
    regency_operator: object = None  # op-63.71, Kota Banjarmasin
    created: int = 0
    total: int = 0


#: Where each province's Kepala Dinas signs: the seat of the provincial government (ibu kota provinsi) as the
#: law establishing the province names it (e.g. Kalimantan Selatan: Banjarbaru since UU 8/2022; Papua
#: Pegunungan: Jayawijaya, signed in its town Wamena, UU 16/2022), as listed in the Wikipedia article
#: "Provinsi di Indonesia" (https://id.wikipedia.org/wiki/Provinsi_di_Indonesia, table "Daftar provinsi").
SIGNING_PLACES = {
    "11": "Banda Aceh",
    "12": "Medan",
    "13": "Padang",
    "14": "Pekanbaru",
    "15": "Jambi",
    "16": "Palembang",
    "17": "Bengkulu",
    "18": "Bandar Lampung",
    "19": "Pangkalpinang",
    "21": "Tanjungpinang",
    "31": "Jakarta",
    "32": "Bandung",
    "33": "Semarang",
    "34": "Yogyakarta",
    "35": "Surabaya",
    "36": "Serang",
    "51": "Denpasar",
    "52": "Mataram",
    "53": "Kupang",
    "61": "Pontianak",
    "62": "Palangka Raya",
    "63": "Banjarbaru",
    "64": "Samarinda",
    "65": "Tanjung Selor",
    "71": "Manado",
    "72": "Palu",
    "73": "Makassar",
    "74": "Kendari",
    "75": "Gorontalo",
    "76": "Mamuju",
    "81": "Ambon",
    "82": "Sofifi",
    "91": "Jayapura",
    "92": "Manokwari",
    "93": "Merauke",
    "94": "Nabire",
    "95": "Wamena",
    "96": "Sorong",
}


@transaction.atomic
def ensure_users(password):
    """admin, pusat, viewer, op-<code> and kadis-<code> for each of the 38 provinces and the regency operator
    op-63.71; passwords set only on creation."""
    User = get_user_model()
    groups = {role: Group.objects.get(name=name) for role, name in GROUP_NAMES.items()}
    hashed = make_password(password)  # once: hashing is deliberately slow, the users share the password
    result = DemoUsers(admin=None, ministry=None, viewer=None)

    def ensure(username, role, *, province=None, regency=None, staff=False, **names):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "password": hashed,
                "is_staff": staff,
                "is_superuser": staff,
                "province": province,
                "regency": regency,
                **names,
            },
        )
        where = (province and province.pk, regency and regency.pk, staff)
        if not created and (user.province_id, user.regency_id, user.is_staff) != where:
            user.province, user.regency, user.is_staff = province, regency, staff
            user.save(update_fields=["province", "regency", "is_staff"])
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
        result.heads[province.code] = ensure(
            f"kadis-{province.code}",
            Role.HEAD,
            province=province,
            first_name=f"Kepala Dinas {province.name}",
            nip=_head_nip(province.code),
            job_title=f"Kepala Dinas Perindustrian Provinsi {province.name}",
            signing_place=SIGNING_PLACES[province.code],
        )
        head = result.heads[province.code]
        if not head.signing_place:  # an account seeded before the signing place existed
            head.signing_place = SIGNING_PLACES[province.code]
            head.save(update_fields=["signing_place"])
    # An operator of a city office for the TP work it runs: Kota Banjarmasin's activities only.
    banjarmasin = Regency.objects.select_related("province").get(code="63.71")
    result.regency_operator = ensure(
        "op-63.71",
        Role.REGENCY_OPERATOR,
        province=banjarmasin.province,
        regency=banjarmasin,
        first_name="Operator",
        last_name=banjarmasin.name,
    )
    return result


def _head_nip(code):
    """A plausible 18-digit NIP, the same each run: born (YYYYMMDD), appointed (YYYYMM), sex, number."""
    n = int(code.replace(".", ""))
    born = f"{1966 + n % 12}{1 + n % 12:02d}{1 + n % 28:02d}"
    return f"{born}{1992 + n % 8}0{1 + n % 9}{1 + n % 2}{n % 1000:03d}"


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
        self.year = YEAR
        self.started = timezone.now()

    def ensure(self, model, lookup, **values):
        """(object, created): the row matching `lookup`, or a new one validated with full_clean()."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is not None:
            return obj, False
        obj = model(**lookup, **values)
        # The fields and each model's clean() are checked here; the named constraints by the database on
        # insert (Django's own check of them costs a query each, most of the seed's time).
        obj.full_clean(validate_constraints=False)
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
        regencies = list(Regency.objects.in_province(province, self.year))
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


# --- The plan (DIPA), the cash plan (RPD), the workflow --------------------------------------------------

WIB = ZoneInfo("Asia/Jakarta")
PROGRAM = ("019.08.DL", "Program Nilai Tambah dan Daya Saing Industri")
KEGIATAN = ("5807", "Penumbuhan dan Pengembangan Industri Kecil dan Menengah")
KROS = {
    "5807.QEA": "Fasilitasi dan Pembinaan Industri Kecil dan Menengah",
    "5807.QEB": "Fasilitasi dan Pembinaan Masyarakat",
}


@dataclass(frozen=True)
class RoSpec:
    """An RO of the demo's DIPA: its code, name, unit and how its achievement is counted."""

    code: str
    name: str
    unit: str
    measure: str
    product_type: str = ""
    # (komponen code and name, or None for amount lines right under the RO; [(akun, share %)])
    detail: tuple | None = None


RO_SPECS = {
    "ikm": RoSpec(
        "5807.QEA.001",
        "IKM yang difasilitasi dan didampingi",
        OutputUnit.IKM,
        Measure.FIRMS,
        detail=(
            ("051", "Pendampingan dan fasilitasi IKM"),
            [("521211", 20), ("521213", 15), ("522151", 25), ("524111", 40)],
        ),
    ),
    "masker": RoSpec(
        "5807.QEA.002",
        "Masker kain yang diproduksi IKM binaan untuk penanganan Covid-19",
        OutputUnit.PIECE,
        Measure.UNITS,
        ProductType.MASK,
        detail=(None, [("521211", 60), ("521219", 40)]),
    ),
    "dokumen": RoSpec(
        "5807.QEA.003",
        "Dokumen rencana pemulihan IKM daerah terdampak Covid-19",
        OutputUnit.DOCUMENT,
        Measure.MANUAL,
    ),
    "wub": RoSpec(
        "5807.QEB.001",
        "Wirausaha industri baru yang ditumbuhkan dan memperoleh NIB",
        OutputUnit.ENTREPRENEUR,
        Measure.NEW_FIRMS,
    ),
}
ACCOUNT_NAMES = {
    "521211": "Belanja bahan",
    "521213": "Belanja honor output kegiatan",
    "521219": "Belanja barang non operasional lainnya",
    "522151": "Belanja jasa profesi",
    "524111": "Belanja perjalanan dinas biasa",
}
# The RPD's monthly shape (% of the year): slow in the first quarter, most from mid-year, a December peak.
RPD_SHAPE = [2, 4, 6, 7, 8, 10, 11, 11, 10, 10, 10, 11]
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def split_whole(total, weights, unit=1):
    """`total` split by `weights` into multiples of `unit` (floor), the remainder to the first share."""
    whole = sum(weights)
    parts = [Decimal(int(total * w / whole) // unit * unit) for w in weights]
    parts[0] += total - sum(parts)
    return parts


def _ensure_plan_headings(s, allocation, kros):
    program = s.ensure(
        PlanItem,
        {"allocation": allocation, "code": PROGRAM[0]},
        level=PlanLevel.PROGRAM,
        name=PROGRAM[1],
    )[0]
    kegiatan = s.ensure(
        PlanItem,
        {"allocation": allocation, "code": KEGIATAN[0]},
        level=PlanLevel.KEGIATAN,
        name=KEGIATAN[1],
        parent=program,
    )[0]
    return {
        code: s.ensure(
            PlanItem,
            {"allocation": allocation, "code": code},
            level=PlanLevel.KRO,
            name=KROS[code],
            parent=kegiatan,
        )[0]
        for code in kros
    }


def ensure_plan(s, allocation, ros):
    """The allocation's DIPA: program, kegiatan, KROs, the ROs [(key, target, pagu)] and, for some, their
    komponen and akun amounts adding up to the RO's pagu as entered. Returns {key: RO}."""
    specs = {key: RO_SPECS[key] for key, _target, _pagu in ros}
    kros = _ensure_plan_headings(s, allocation, sorted({spec.code[:8] for spec in specs.values()}))
    result = {}
    for key, target, pagu in ros:
        spec = specs[key]
        ro, created = s.ensure(
            PlanItem,
            {"allocation": allocation, "code": spec.code},
            level=PlanLevel.RO,
            name=spec.name,
            parent=kros[spec.code[:8]],
            target=target,
            unit=spec.unit,
            measure=spec.measure,
            product_type=spec.product_type,
            pagu=pagu,
        )
        result[key] = ro
        if not created or spec.detail is None:
            continue
        komponen, accounts = spec.detail
        parent, prefix = ro, spec.code
        if komponen is not None:
            parent, _ = s.ensure(
                PlanItem,
                {"allocation": allocation, "code": f"{spec.code}.{komponen[0]}"},
                level=PlanLevel.KOMPONEN,
                name=komponen[1],
                parent=ro,
                pagu=pagu,
            )
            prefix = parent.code
        for (account, _share), amount in zip(
            accounts, split_whole(pagu, [share for _a, share in accounts], 1000), strict=True
        ):
            s.ensure(
                PlanItem,
                {"allocation": allocation, "code": f"{prefix}.{account}"},
                level=PlanLevel.AKUN,
                name=ACCOUNT_NAMES[account],
                parent=parent,
                account=account,
                spending_type=account[:2],
                pagu=amount,
            )
    return result


def move_ro_pagus(s, revision, ros, new_pagus):
    """The revision's lines: each RO whose pagu it changes, before and after; the ROs take the new pagus in
    the same transaction, so their sum stays the allocation's current pagu."""
    for key, new in new_pagus.items():
        ro = ros[key]
        if ro.pagu == new:
            continue
        s.ensure(
            RevisionLine, {"revision": revision, "planned_output": ro}, previous_pagu=ro.pagu, new_pagu=new
        )
        ro.pagu = new
        ro._history_user, ro._change_reason = s.actor, DEMO_REASON
        ro.save()


def realisation_with_lines(s, allocation, month, amount, ros, note):
    """A month's realisation and its lines per RO (all belanja barang, 52), split by the ROs' pagus then."""
    realisation, created = s.ensure(
        Realisation, {"allocation": allocation, "month": month}, amount=amount, note=note
    )
    if created and ros:
        ordered = sorted(ros.values(), key=lambda ro: ro.code)
        lines = [
            RealisationLine(
                realisation=realisation, planned_output=ro, spending_type=SpendingType.GOODS, amount=part
            )
            for ro, part in zip(ordered, split_whole(amount, [ro.pagu for ro in ordered]), strict=True)
        ]
        bulk_create_with_history(lines, RealisationLine, user=s.actor, reason=DEMO_REASON)
        s.created[RealisationLine] += len(lines)
    return realisation


def ensure_cash_plan(s, allocation, number, total, *, entered_at, entered_by, note, fixed=None):
    """An RPD version: 12 months x 3 spending types (the programme spends on goods, 52; 51 and 53 are
    planned at zero), the months in `fixed` as given, the rest of `total` by the usual monthly shape."""
    plan, created = s.ensure(
        CashPlan,
        {"allocation": allocation, "number": number},
        entered_at=entered_at,
        entered_by=entered_by,
        note=note,
    )
    if not created:
        return plan
    fixed = fixed or {}
    open_months = [m for m in range(1, 13) if m not in fixed]
    rest = total - sum(fixed.values())
    spread = dict(
        zip(open_months, split_whole(rest, [RPD_SHAPE[m - 1] for m in open_months], 1000), strict=True)
    )
    amounts = {**fixed, **spread}
    CashPlanLine.objects.bulk_create(
        CashPlanLine(
            cash_plan=plan,
            month=month,
            spending_type=spending_type,
            amount=amounts[month] if spending_type == SpendingType.GOODS else Decimal(0),
        )
        for month in range(1, 13)
        for spending_type in SpendingType.values
    )
    s.created[CashPlanLine] += 36
    return plan


def verified_achievement(s, ro, month, quantity, *, operator, ministry, submitted, note):
    """A manual RO's achievement with its evidence file (a scanned document), submitted and verified."""
    province = ro.allocation.province
    existing = Achievement.objects.filter(planned_output=ro, month=month).first()
    if existing is not None:
        return existing
    name = f"evidence/{province.code}/{ro.allocation.year}/{uuid.UUID(int=s.rng.getrandbits(128)).hex}.pdf"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(MINIMAL_PDF))
    reviewed = submitted + timedelta(days=3)
    achievement, _ = s.ensure(
        Achievement,
        {"planned_output": ro, "month": month},
        quantity=quantity,
        evidence=name,
        evidence_name=f"Dokumen {ro.name} {province.name}.pdf",
        note=note,
        review_status=ReviewStatus.VERIFIED,
        submitted_at=submitted,
        reviewed_at=reviewed,
        reviewed_by=ministry,
    )
    common = {
        "content_type": ContentType.objects.get_for_model(Achievement),
        "object_id": achievement.pk,
        "province": province,
        "year": ro.allocation.year,
    }
    # Its workflow trail as the workflow table says (an achievement has no service of its own yet).
    ReviewEvent.objects.bulk_create(
        ReviewEvent(
            **common,
            action=step.action,
            from_status=step.from_states[0],
            to_status=step.to_state,
            actor=actor,
            at=at,
        )
        for step, actor, at in (
            (workflow.TRANSITIONS[ReviewAction.SUBMIT], operator, submitted),
            (workflow.TRANSITIONS[ReviewAction.VERIFY], ministry, reviewed),
        )
    )
    return achievement


def review(records, *, operators, ministry, verify=True):
    """Submit (by the province's operator) and verify (by the ministry) the draft activities, through the
    workflow's one path (services.transition), so each step has its event and history."""
    for record in records:
        if record.review_status != ReviewStatus.DRAFT:
            continue
        services.submit(obj=record, actor=operators[record.province.code])
        if verify:
            services.verify(obj=record, actor=ministry)


def review_months(realisations, *, operators, heads, ministry, verify=True):
    """The months of the draft realisations through their package (programs/packages.py): prepared by the
    province's operator, approved by its Kepala Dinas, verified by the ministry (unless `verify` is False:
    then it awaits the ministry), each step by the workflow's one path with its event and history."""
    for realisation in realisations:
        if realisation.review_status != ReviewStatus.DRAFT:
            continue
        code = realisation.allocation.province.code
        package, _created = packages.get_or_start(
            realisation.allocation, PackageKind.MONTHLY, realisation.month, actor=operators[code]
        )
        if package.review_status != ReviewStatus.DRAFT:
            continue
        services.prepare(package=package, actor=operators[code])
        services.approve(package=package, actor=heads[code])
        if verify:
            services.verify(obj=package, actor=ministry)


def backdate(package, *, submitted=None, approved=None, reviewed=None):
    """Put a package's steps (and its records', and its events') on the days they are told to have happened:
    the demo hands over 2024 as it stood in April, not on the day it is seeded. Demo data only — the
    application's own writes always stamp the moment they happen."""
    package = ReportPackage.objects.get(pk=package.pk)  # as its transitions left it
    stamps = {"submitted_at": submitted, "approved_at": approved, "reviewed_at": reviewed}
    stamps = {field: at for field, at in stamps.items() if at is not None and getattr(package, field)}
    ReportPackage.objects.filter(pk=package.pk).update(**stamps)
    for part in packages.components(package):
        fields = {f: at for f, at in stamps.items() if f in ("submitted_at", "reviewed_at")}
        type(part)._base_manager.filter(pk=part.pk).update(**fields)
    events = ReviewEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ReportPackage), object_id=package.pk
    )
    for action, at in (
        (ReviewAction.PREPARE, submitted),
        (ReviewAction.APPROVE, approved),
        (ReviewAction.HEAD_RETURN, reviewed),
        (ReviewAction.VERIFY, reviewed),
        (ReviewAction.RETURN, reviewed),
    ):
        if at is not None:
            events.filter(action=action).update(at=at)


def _tp_packages(s, index, allocation, realisations, *, operator, head, ministry):
    """2024's packages in a realistic mix, as the calendar's board shows them (programs/deadlines.py):
    January and February verified, most handed over by their due date (the 5th working day of the next
    month), some late; March on time, late, returned by the Kepala Dinas or by the ministry with a note, or
    still missing; the first quarter's report approved, awaiting its Kepala Dinas, or missing."""
    from .. import deadlines

    def day_at(day, hour):
        return at_wib(day, hour)

    for realisation in realisations:
        month = realisation.month
        due = deadlines.due_date(TP_YEAR, PackageKind.MONTHLY, month)
        late = (index + month) % 6 == 0
        # Drawn whether or not the package is still to be handed over: each run draws the same numbers.
        early, delay, review_days = s.rng.randint(0, 3), s.rng.randint(1, 4), s.rng.randint(1, 3)
        if month == 3 and index % 7 == 0:
            continue  # missing: March never handed over
        package, _created = packages.get_or_start(allocation, PackageKind.MONTHLY, month, actor=operator)
        if package.review_status != ReviewStatus.DRAFT:
            continue
        handed = workdays.add_working_days(due, delay if late else -early)
        approved = workdays.add_working_days(handed, 1)
        reviewed = workdays.add_working_days(approved, review_days)
        services.prepare(package=package, actor=operator)
        if month == 3 and index % 7 == 1:
            note = "Rincian realisasi per RO belum sesuai SPM; mohon diperbaiki."
            services.transition(package, actor=head, action=ReviewAction.HEAD_RETURN, note=note)
            backdate(package, submitted=day_at(handed, 9), reviewed=day_at(approved, 14))
            continue
        services.approve(package=package, actor=head)
        if month < 3:
            services.verify(obj=package, actor=ministry)
        elif index % 7 == 2:
            note = "Realisasi belanja barang melebihi RPD bulan ini tanpa penjelasan; lengkapi keterangannya."
            services.return_for_correction(obj=package, actor=ministry, note=note)
        else:
            reviewed = None  # awaiting the ministry
        backdate(
            package,
            submitted=day_at(handed, 9),
            approved=day_at(approved, 11),
            reviewed=reviewed and day_at(reviewed, 15),
        )
    if index % 3 == 2:
        return  # the first quarter's report: missing
    s.ensure(
        QuarterlyNote,
        {"allocation": allocation, "quarter": 1},
        problems="Penyerapan triwulan I rendah karena kegiatan bimtek baru dimulai akhir Februari.",
        follow_up="Percepatan pelaksanaan pendampingan dan pengadaan bahan praktik pada triwulan II.",
        physical_progress="Bimtek desain dan mutu produk selesai; wirausaha baru dalam tahap seleksi.",
    )
    package, _created = packages.get_or_start(allocation, PackageKind.QUARTERLY, 1, actor=operator)
    if package.review_status != ReviewStatus.DRAFT:
        return
    due = deadlines.due_date(TP_YEAR, PackageKind.QUARTERLY, 1)
    handed = workdays.add_working_days(due, -1 if index % 2 else 2)
    services.prepare(package=package, actor=operator)
    if index % 3 == 1:
        backdate(package, submitted=day_at(handed, 10))
        return  # awaiting its Kepala Dinas
    services.approve(package=package, actor=head)
    backdate(package, submitted=day_at(handed, 10), approved=day_at(workdays.add_working_days(handed, 1), 13))


def at_wib(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=WIB)


@transaction.atomic
def seed_2020(actor, *, ministry, operators, heads):
    """The fiscal year 2020 as it closed: the DIPA and its April refocusing, the RPD, every month's
    realisation and every activity verified, the year closed. Returns what was created."""
    s = Seeder(actor)
    s.ensure(FiscalYear, {"year": YEAR})
    provinces = {p.code: p for p in Province.objects.active_in(YEAR)}
    others = [c for c in provinces if c not in ("16", "63", "72")]  # Bali has Bangli's case and others
    templates = {code: _other_templates(index) for index, code in enumerate(others)}
    funded = {}
    for code, province in provinces.items():
        kinds = list(CASE_ROS.get(code, [])) + [
            _ro_of(title, kind) for title, kind, _s in templates.get(code, [])
        ]
        funded[code] = _allocation(s, province, kinds, operators[code])
    allocations = {code: allocation for code, (allocation, _ros) in funded.items()}
    ros = {code: ros for code, (_allocation, ros) in funded.items()}
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
    _sumatera_selatan(s, allocations["16"], offices["16"], task_forces["16"], ros["16"]["ikm"])
    _bangli(s, allocations["51"], offices["51"], ros["51"]["masker"])
    _kalimantan_selatan(s, allocations["63"], offices["63"], task_forces["63"], ros["63"]["masker"])
    _sulawesi_tengah(s, allocations["72"], offices["72"], ros["72"]["ikm"])
    for code in others:
        _other_activities(s, templates[code], allocations[code], offices[code], ros[code])
    for code in provinces:
        verified_achievement(
            s,
            ros[code]["dokumen"],
            11,
            1,
            operator=operators[code],
            ministry=ministry,
            submitted=at_wib(date(2020, 12, 4)),
            note="Dokumen rencana pemulihan IKM ditetapkan Kepala Dinas",
        )
    # 2020 as the closed year it is: every record verified through the workflow, then the year closed.
    review(
        Activity.objects.filter(year=YEAR).select_related("province").order_by("pk"),
        operators=operators,
        ministry=ministry,
    )
    review_months(
        Realisation.objects.filter(allocation__year=YEAR)
        .select_related("allocation__province")
        .order_by("pk"),
        operators=operators,
        heads=heads,
        ministry=ministry,
    )
    # The notices of 2020's hand-overs were read long ago: the demo's inboxes start with 2024's.
    unread = Notification.objects.filter(read_at__isnull=True, created_at__gte=s.started)
    unread.update(read_at=timezone.now())
    if not access.is_year_closed(YEAR):
        services.close_fiscal_year(year=YEAR, actor=ministry)
    return s.created


# The ROs of the four cases' provinces (the others' follow from their activities, `_ro_of`); every province
# also has the manual RO of its recovery plan document.
CASE_ROS = {"16": ["ikm"], "51": ["masker"], "63": ["masker"], "72": ["ikm"]}
# Volume targets: firms (or entrepreneurs) per activity, masks per mask activity; the cases' own.
CASE_TARGETS = {("16", "ikm"): 12, ("72", "ikm"): 10, ("51", "masker"): 3_000, ("63", "masker"): 100_000}
PER_ACTIVITY_TARGET = {"ikm": 10, "masker": 8_000, "wub": 5}


def _ro_of(title, kind):
    """The RO an activity of the demo serves: mask production, new entrepreneurs, or the IKM it helps."""
    if kind == ActivityKind.WIRAUSAHA_BARU:
        return "wub"
    if "Masker" in title and kind == ActivityKind.BIMTEK:
        return "masker"
    return "ikm"


def _allocation(s, province, kinds, operator):
    """The DIPA of late 2019 with its ROs, the RPD, realisation Jan-Mar, the April refocusing (moving RO
    pagus: masks kept, the rest cut), a second RPD, realisation Apr-Dec. Returns (allocation, {key: RO})."""
    pagu = rupiah_millions(s.rng, 2_500, 7_500)
    allocation, _ = s.ensure(
        Allocation,
        {"province": province, "year": YEAR},
        pagu=pagu,
        fund_type=FundType.DK,
        dipa_number=f"SP DIPA-019.03.4.{province.code}{s.rng.randint(1000, 9999)}/2020",
        dipa_date=s.day(date(2019, 11, 25), date(2019, 12, 20)),
    )
    counts = Counter(kinds)
    counts["dokumen"] = 1
    # The RO of the main activities takes what the others leave: the IKM helped, else the masks made.
    main = next(key for key in ("ikm", "masker", "wub") if key in counts)
    shares = {"ikm": (0, 0), "masker": (15, 25), "wub": (12, 20), "dokumen": (3, 6)}
    pagus = {key: pagu * s.rng.randint(*shares[key]) // 100 // 1_000_000 * 1_000_000 for key in counts}
    pagus[main] = pagu - sum(v for k, v in pagus.items() if k != main)
    targets = {
        key: CASE_TARGETS.get((province.code, key), PER_ACTIVITY_TARGET.get(key, 1) * n)
        for key, n in counts.items()
    }
    ros = ensure_plan(s, allocation, [(key, targets[key], pagus[key]) for key in sorted(counts)])
    ensure_cash_plan(
        s,
        allocation,
        1,
        pagu,
        entered_at=at_wib(allocation.dipa_date + timedelta(days=30)),
        entered_by=operator,
        note="RPD awal sesuai DIPA",
    )
    refocused = (pagu * Decimal(s.rng.randint(55, 85)) / 100 / 1_000_000).quantize(Decimal(1)) * 1_000_000
    early = {}
    shares = [Decimal(s.rng.randint(lo, hi)) / 1000 for lo, hi in ((5, 15), (10, 25), (15, 35))]
    for month, share in enumerate(shares, start=1):
        early[month] = realisation_with_lines(
            s, allocation, month, (pagu * share).quantize(Decimal(1)), ros, "Belanja persiapan kegiatan"
        ).amount
    allocation.refresh_from_db(fields=["realised_total", "current_pagu"])
    revision, created = s.ensure(
        BudgetRevision,
        {"allocation": allocation, "revised_on": s.day(date(2020, 4, 14), date(2020, 4, 30))},
        new_pagu=refocused,
        reason=REFOCUSING_REASON,
        document_number=f"S-{s.rng.randint(100, 999)}/IKMA/IV/2020",
        revision_code="01",
    )
    factor = refocused / pagu
    cuts = {"ikm": Decimal(1), "masker": Decimal("1.2"), "wub": Decimal(1), "dokumen": Decimal("0.5")}
    new = {
        key: min(ro.pagu, (ro.pagu * factor * cuts[key]) // 1_000_000 * 1_000_000)
        for key, ro in ros.items()
        if key != main
    }
    new[main] = refocused - sum(new.values())
    if created:
        move_ro_pagus(s, revision, ros, new)
    allocation.refresh_from_db(fields=["realised_total", "current_pagu"])
    ensure_cash_plan(
        s,
        allocation,
        2,
        refocused,
        entered_at=at_wib(revision.revised_on, 15),
        entered_by=operator,
        note="RPD disesuaikan dengan refocusing anggaran Covid-19",
        fixed=early,
    )
    # Realisation from April: rising to 88-96 % of the refocused pagu by December.
    shares = [Decimal(s.rng.randint(lo, hi)) / 1000 for lo, hi in ((20, 40), (40, 70), (60, 110))]
    later = [(refocused * share).quantize(Decimal(1)) for share in shares]
    year_end = (refocused * Decimal(s.rng.randint(880, 960)) / 1000).quantize(Decimal(1))
    rest = year_end - sum(early.values()) - sum(later)
    later += split_whole(rest, [RPD_SHAPE[m - 1] * s.rng.randint(80, 120) for m in range(7, 13)])
    for month, amount in enumerate(later, start=4):
        note = "Belanja bimtek dan pendampingan" if month < 12 else "Belanja akhir tahun dan pelaporan"
        realisation_with_lines(s, allocation, month, amount, ros, note)
    allocation.refresh_from_db(fields=["realised_total", "current_pagu"])
    return allocation, ros


def _sumatera_selatan(s, allocation, office, task_force, ro):
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
        planned_output=ro,
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


def _bangli(s, allocation, office, ro):
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
        planned_output=ro,
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


def _kalimantan_selatan(s, allocation, office, task_force, ro):
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
        planned_output=ro,
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


def _sulawesi_tengah(s, allocation, office, ro):
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
        planned_output=ro,
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


def _other_templates(index):
    """The activities of the index-th other province: one template, a second for every third province."""
    templates = [OTHER_TEMPLATES[index % len(OTHER_TEMPLATES)]]
    if index % 3 == 0:
        templates.append(OTHER_TEMPLATES[(index + 2) % len(OTHER_TEMPLATES)])
    return templates


def _other_activities(s, templates, allocation, office, ros):
    province = allocation.province
    regencies = list(Regency.objects.in_province(province, YEAR))
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
            planned_output=ros[_ro_of(title, kind)],
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
        founded = None
        if activity.status == ActivityStatus.DONE and s.rng.random() < 0.5:
            # The business they started during the programme, registered with its own NIB (legality).
            fields = fake_firm_fields(
                s.fake,
                s.rng,
                province=activity.province,
                regency=regency,
                sector=activity.sector,
                covid_affected=False,
                nib=s.nib(),
            )
            fields.update(owner_name=name, scale=FirmScale.MIKRO, workers=s.rng.randint(1, 3))
            founded = s.ensure(Firm, {"nib": fields.pop("nib")}, **fields)[0]
        s.ensure(
            Participant,
            {"activity": activity, "name": name},
            province_id=activity.province_id,
            year=activity.year,
            nik=nik,
            sex=sex,
            phone=phone,
            founded_firm=founded,
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


# --- A tugas pembantuan year in progress --------------------------------------------------------------------

TP_YEAR = 2024
TP_ACTIVITIES = [
    # (title, kind, sector, RO)
    (
        "Bimtek Desain dan Mutu Produk IKM Sandang",
        ActivityKind.BIMTEK,
        Sector.SANDANG,
        "ikm",
    ),
    (
        "Penumbuhan Wirausaha Industri Baru Bidang Olahan Pangan",
        ActivityKind.WIRAUSAHA_BARU,
        Sector.PANGAN,
        "wub",
    ),
]


@transaction.atomic
def seed_tp_year(actor, *, ministry, operators, heads):
    """Fiscal year 2024, the first of tugas pembantuan, in 38 provinces, as it stood in April: the DIPA with
    its ROs, the RPD, realisation to March (January and February verified, March submitted), a bimtek done
    (verified, submitted or still a draft) and a new-entrepreneur programme under way (a draft)."""
    s = Seeder(actor)
    s.year = TP_YEAR
    s.rng = random.Random(TP_YEAR)  # noqa: S311 - reproducible demo data, not secrets
    s.fake.seed_instance(TP_YEAR)
    s.ensure(FiscalYear, {"year": TP_YEAR})
    for index, province in enumerate(Province.objects.active_in(TP_YEAR).order_by("code")):
        _tp_province(
            s,
            index,
            province,
            ministry=ministry,
            operator=operators[province.code],
            head=heads[province.code],
        )
    return s.created


def _tp_province(s, index, province, *, ministry, operator, head):
    pagu = rupiah_millions(s.rng, 3_000, 9_000)
    allocation, _ = s.ensure(
        Allocation,
        {"province": province, "year": TP_YEAR},
        pagu=pagu,
        fund_type=FundType.TP,
        dipa_number=f"SP DIPA-019.03.3.{province.code}{s.rng.randint(1000, 9999)}/{TP_YEAR}",
        dipa_date=s.day(date(2023, 11, 24), date(2023, 12, 15)),
    )
    wub = pagu * s.rng.randint(25, 40) // 100 // 1_000_000 * 1_000_000
    ros = ensure_plan(
        s,
        allocation,
        [("ikm", s.rng.choice([20, 25, 30, 40]), pagu - wub), ("wub", s.rng.choice([10, 15, 20]), wub)],
    )
    ensure_cash_plan(
        s,
        allocation,
        1,
        pagu,
        entered_at=at_wib(date(2024, 1, 15) + timedelta(days=s.rng.randint(0, 10))),
        entered_by=operator,
        note="RPD awal sesuai DIPA",
    )
    realisations = []
    for month, (lo, hi) in enumerate(((10, 30), (20, 45), (30, 60)), start=1):
        amount = (pagu * Decimal(s.rng.randint(lo, hi)) / 1000).quantize(Decimal(1))
        realisations.append(realisation_with_lines(s, allocation, month, amount, ros, "Belanja kegiatan"))
    _tp_packages(s, index, allocation, realisations, operator=operator, head=head, ministry=ministry)

    regencies = list(Regency.objects.in_province(province, TP_YEAR))
    office = s.partner(province, f"Dinas Perindustrian Provinsi {province.name}", PartnerKind.DINAS_PROVINSI)
    (title, kind, sector, ro), (wub_title, wub_kind, wub_sector, wub_ro) = TP_ACTIVITIES
    regency = s.rng.choice(regencies)
    start = s.day(date(2024, 2, 19), date(2024, 3, 22))
    firms = s.rng.randint(5, 8)
    bimtek = s.activity(
        allocation,
        f"{title} di {regency.name}",
        kind=kind,
        purpose=ActivityPurpose.PENGEMBANGAN,
        sector=sector,
        covid_response=False,
        regency=regency,
        mode=DeliveryMode.OFFLINE,
        planned_start=start,
        planned_end=start + timedelta(days=3),
        actual_start=start,
        actual_end=start + timedelta(days=3),
        status=ActivityStatus.DONE,
        budget=rupiah_millions(s.rng, 150, 350),
        target_participants=firms,
        actual_participants=firms,
        partners=[office],
        planned_output=ros[ro],
    )
    s.participations(bimtek, s.firms(province, firms, sector=sector, regency=regency, covid_affected=False))
    # Every fifth province's bimtek is verified, every other one submitted, the rest still drafts.
    if index % 5 == 0:
        review([bimtek], operators={province.code: operator}, ministry=ministry)
    elif index % 2 == 0:
        review([bimtek], operators={province.code: operator}, ministry=ministry, verify=False)
    start = s.day(date(2024, 4, 1), date(2024, 4, 26))
    s.activity(
        allocation,
        f"{wub_title} di {regency.name}",
        kind=wub_kind,
        purpose=ActivityPurpose.PENUMBUHAN,
        sector=wub_sector,
        covid_response=False,
        regency=regency,
        mode=DeliveryMode.COMBINED,
        planned_start=start,
        planned_end=start + timedelta(days=s.rng.randint(30, 60)),
        actual_start=start,
        status=ActivityStatus.RUNNING,
        budget=rupiah_millions(s.rng, 200, 500),
        target_participants=s.rng.randint(10, 20),
        partners=[office],
        planned_output=ros[wub_ro],
    )
