"""Synthetic national years for benchmarks (`seed_demo --scale N`).

One "1x" year = every province active that year x 40 activities x 25 participating firms (about 38,000
participations), an output per participation and a handover per output, near enough, 12 monthly
realisations per allocation; `--scale N` multiplies the activities, the firm pools and the money by N.

The rows go in with bulk inserts (`programs.bulk`, which writes their history too), so nothing here passes
through `save()`: the copied fields (province, year, activity) and the running totals (`current_pagu`,
`realised_total`, `handed_over_total`) are set here, equal to what `save()` would have kept, and every
value satisfies the models' constraints (the database checks them on insert).

Each province-year is built in its own transaction from a random generator seeded with the year, the
province and the scale: the same arguments give the same data. A province-year that already has an
allocation is skipped, so a second run adds nothing.
"""

import random
from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from faker import Faker

from provinces.models import Province, Regency

from ..bulk import bulk_create_with_history, bulk_link_with_history
from ..models import (
    PPE_TYPES,
    Activity,
    ActivityKind,
    ActivityPurpose,
    ActivityStatus,
    Allocation,
    BudgetRevision,
    DeliveryMode,
    Firm,
    FiscalYear,
    Handover,
    Measure,
    Output,
    OutputUnit,
    Participant,
    Participation,
    Partner,
    PartnerKind,
    PlanItem,
    PlanLevel,
    ProductType,
    Realisation,
    RealisationLine,
    RecipientType,
    ReviewAction,
    ReviewEvent,
    ReviewStatus,
    RevisionLine,
    Sector,
    Sex,
    SpendingType,
    Unit,
    fund_type_for,
)
from .demo import KEGIATAN, KROS, PROGRAM, fake_firm_fields, fake_nik, split_whole

# A firm of a province's pool, as the generator needs it (no model instance: at 100x there are a million).
FirmRef = namedtuple("FirmRef", "pk sector owner_name regency_id")
COPY_CHUNK = 20_000

SYNTHETIC_REASON = "Data sintetis untuk uji beban (seed_demo --scale)"
SYNTHETIC_DIPA = "SP DIPA-019.03.4.S"  # marks a synthetic allocation's DIPA number
ACTIVITIES_PER_SCALE = 40
PARTICIPATIONS_PER_ACTIVITY = 25
FIRMS_PER_SCALE = 300
# Years up to this one are fully verified; later years are still being reported.
VERIFIED_UNTIL = 2024
WIB = ZoneInfo("Asia/Jakarta")

SECTOR_WEIGHTS = {
    Sector.SANDANG: 45,
    Sector.PANGAN: 25,
    Sector.KERAJINAN: 12,
    Sector.LOGAM: 7,
    Sector.KIMIA: 6,
    Sector.ELEKTRONIKA: 5,
}
SECTOR_WORDS = {
    Sector.SANDANG: "Sandang",
    Sector.PANGAN: "Pangan",
    Sector.KERAJINAN: "Kerajinan",
    Sector.LOGAM: "Logam dan Mesin",
    Sector.KIMIA: "Kimia dan Bahan Bangunan",
    Sector.ELEKTRONIKA: "Elektronika",
}
KIND_WEIGHTS = {
    ActivityKind.BIMTEK: 40,
    ActivityKind.PENDAMPINGAN: 25,
    ActivityKind.WIRAUSAHA_BARU: 15,
    ActivityKind.FASILITASI: 20,
}
BIMTEK_TOPICS = {
    Sector.SANDANG: [
        "Teknik Menjahit dan Pembuatan Pola",
        "Desain Busana Muslim",
        "Pewarnaan Alami Kain Tenun",
    ],
    Sector.PANGAN: [
        "Pengemasan dan Pelabelan Produk Pangan",
        "Keamanan Pangan dan CPPOB",
        "Olahan Hasil Perikanan",
    ],
    Sector.KERAJINAN: ["Desain Produk Kerajinan Anyaman", "Finishing Produk Kerajinan Kayu"],
    Sector.LOGAM: ["Teknik Pengelasan", "Perawatan Mesin Perkakas"],
    Sector.KIMIA: ["Produksi Sabun dan Cairan Pembersih", "Pembuatan Batako dan Paving Block"],
    Sector.ELEKTRONIKA: ["Perakitan dan Servis Perangkat Elektronika"],
}
TOPICS = {
    ActivityKind.PENDAMPINGAN: [
        "Pendampingan Penerapan SNI",
        "Pendampingan Manajemen Produksi",
        "Pendampingan Pemasaran Digital",
        "Pendampingan Sertifikasi Halal",
    ],
    ActivityKind.WIRAUSAHA_BARU: ["Penumbuhan Wirausaha Industri Baru"],
    ActivityKind.FASILITASI: [
        "Fasilitasi Sertifikasi Halal",
        "Fasilitasi Restrukturisasi Mesin dan Peralatan",
        "Fasilitasi Pameran Produk",
        "Fasilitasi Desain Kemasan",
    ],
}
# (product, type, unit, quantity range) by the firm's sector.
PRODUCTS = {
    Sector.SANDANG: [
        ("Masker kain 3 lapis", ProductType.MASK, Unit.PCS, (200, 3000)),
        ("Kaos sablon", ProductType.OTHER, Unit.PCS, (50, 500)),
        ("Seragam sekolah", ProductType.OTHER, Unit.PCS, (50, 400)),
        ("Kain tenun", ProductType.OTHER, Unit.HELAI, (10, 120)),
        ("Baju hazmat non-medis", ProductType.HAZMAT, Unit.BUAH, (20, 300)),
    ],
    Sector.PANGAN: [
        ("Keripik singkong kemasan", ProductType.OTHER, Unit.PCS, (100, 2000)),
        ("Kue kering", ProductType.OTHER, Unit.PCS, (50, 800)),
        ("Sambal kemasan botol", ProductType.OTHER, Unit.BUAH, (50, 600)),
        ("Kopi bubuk kemasan", ProductType.OTHER, Unit.PCS, (50, 600)),
    ],
    Sector.KERAJINAN: [
        ("Tas anyaman pandan", ProductType.OTHER, Unit.BUAH, (20, 300)),
        ("Ukiran kayu", ProductType.OTHER, Unit.BUAH, (5, 80)),
        ("Suvenir batik", ProductType.OTHER, Unit.SET, (20, 200)),
    ],
    Sector.LOGAM: [
        ("Alat pertanian (cangkul, parang)", ProductType.OTHER, Unit.BUAH, (20, 300)),
        ("Rangka kursi besi", ProductType.OTHER, Unit.BUAH, (10, 100)),
    ],
    Sector.KIMIA: [
        ("Sabun cair", ProductType.OTHER, Unit.BUAH, (100, 1500)),
        ("Paving block", ProductType.OTHER, Unit.BUAH, (200, 3000)),
        ("Hand sanitizer", ProductType.OTHER_PPE, Unit.BUAH, (100, 1500)),
    ],
    Sector.ELEKTRONIKA: [
        ("Lampu LED rakitan", ProductType.OTHER, Unit.BUAH, (20, 300)),
        ("Panel kontrol sederhana", ProductType.OTHER, Unit.SET, (5, 50)),
    ],
}
POSTPONE_REASONS = [
    "Ditunda karena penyesuaian jadwal narasumber",
    "Ditunda menunggu revisi anggaran",
    "Ditunda karena pembatasan kegiatan masyarakat (PPKM)",
]
# The synthetic DIPA's ROs: (code, name, unit, measure, share of the pagu in %, the activity kinds it serves).
SYNTHETIC_ROS = [
    (
        "5807.QEA.001",
        "IKM yang difasilitasi dan didampingi",
        OutputUnit.IKM,
        Measure.FIRMS,
        55,
        (ActivityKind.BIMTEK, ActivityKind.PENDAMPINGAN),
    ),
    (
        "5807.QEA.002",
        "Fasilitasi sertifikasi, restrukturisasi mesin dan promosi IKM",
        OutputUnit.ACTIVITY,
        Measure.ACTIVITIES,
        30,
        (ActivityKind.FASILITASI,),
    ),
    (
        "5807.QEB.001",
        "Wirausaha industri baru yang ditumbuhkan dan memperoleh NIB",
        OutputUnit.ENTREPRENEUR,
        Measure.NEW_FIRMS,
        15,
        (ActivityKind.WIRAUSAHA_BARU,),
    ),
]
CANCEL_REASONS = ["Dibatalkan karena efisiensi anggaran", "Dibatalkan karena peserta tidak memenuhi kuota"]


def _choice(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day(rng, start, end):
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _at(day, rng):
    """An office-hours moment on that day, in WIB."""
    return datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=WIB)


@dataclass
class Partners:
    office: Partner
    task_force: Partner
    hospital: Partner
    crafts_council: Partner


@dataclass
class Synthetic:
    """What a run shares: the scale, the acting users, and per-province pools built once."""

    scale: int
    actor: object  # recorded as the history user of every row
    ministry: object  # verifies
    operators: dict  # province code -> operator who submits
    # --copy: the bulk rows (firms, participations, participants, outputs, handovers) and their history rows
    # go in by PostgreSQL COPY (programs.imports.RowWriter) instead of INSERT; same rows, same history.
    copy: bool = False
    created: Counter = field(default_factory=Counter)
    _partners: dict = field(default_factory=dict)
    _firms: dict = field(default_factory=dict)

    def __post_init__(self):
        self.content_types = {
            model: ContentType.objects.get_for_model(model) for model in (Activity, Realisation)
        }
        self.regency_codes = dict(Regency.objects.values_list("pk", "code"))
        self.now = timezone.now()
        self._defaults = {}

    # --- planning ------------------------------------------------------------------------------------------

    @staticmethod
    def plan(years, codes=None):
        """([(year, province)] to build, [(year, province, reason)] skipped: already there, or not yet a
        province that year (e.g. Papua Selatan before 2022)."""
        todo, skipped = [], []
        for year in years:
            provinces = Province.objects.active_in(year)
            if codes:
                provinces = provinces.filter(code__in=codes)
                for province in Province.objects.filter(code__in=codes, established_year__gt=year):
                    skipped.append((year, province, f"belum terbentuk pada {year}"))
            existing = dict(
                Allocation.objects.filter(year=year, province__in=provinces).values_list(
                    "province_id", "dipa_number"
                )
            )
            for province in provinces:
                if province.pk not in existing:
                    todo.append((year, province))
                elif existing[province.pk].startswith(SYNTHETIC_DIPA):
                    skipped.append((year, province, "sudah ada data sintetis"))
                else:
                    skipped.append((year, province, "sudah ada alokasi"))
        return todo, skipped

    def build(self, year, province):
        with transaction.atomic():
            FiscalYear.objects.get_or_create(year=year)
            deferred = self._defer_foreign_keys()
            _ProvinceYear(self, year, province).build()
            if deferred:
                self._check_foreign_keys(deferred)

    def _defer_foreign_keys(self):
        """With --copy as a PostgreSQL superuser: skip the per-row foreign key triggers in this transaction
        (session_replication_role = replica) and check every foreign key of the new rows set-based at the
        end instead (`_check_foreign_keys`), which raises and rolls the province-year back on any orphan.
        At 100x the per-row checks at commit cost more than the COPY itself. Check, unique and not-null
        constraints stay on; the programme's tables have no other triggers. Returns {model: last id before}.
        """
        if not (self.copy and connection.vendor == "postgresql"):
            return None
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                return None
            before = {}
            for model in _checked_models():
                # Table names from the models' metadata, quoted.
                pk, table = qn(model._meta.pk.column), qn(model._meta.db_table)
                cursor.execute(f"SELECT COALESCE(max({pk}), 0) FROM {table}")  # noqa: S608
                before[model] = cursor.fetchone()[0]
            cursor.execute("SET LOCAL session_replication_role = replica")
        return before

    def _check_foreign_keys(self, before):
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            for model, last in before.items():
                for f in model._meta.concrete_fields:
                    if not (f.is_relation and f.db_constraint):
                        continue
                    table, parent = qn(model._meta.db_table), qn(f.target_field.model._meta.db_table)
                    child, key, pk = qn(f.column), qn(f.target_field.column), qn(model._meta.pk.column)
                    # Identifiers from the models' metadata, quoted; the id is a parameter.
                    cursor.execute(
                        f"SELECT count(*) FROM {table} c LEFT JOIN {parent} p ON p.{key} = c.{child} "  # noqa: S608
                        f"WHERE c.{pk} > %s AND c.{child} IS NOT NULL AND p.{key} IS NULL",
                        [last],
                    )
                    (orphans,) = cursor.fetchone()
                    if orphans:
                        raise RuntimeError(f"{model._meta.db_table}: {orphans} new rows with no {f.name}")

    # --- shared pools --------------------------------------------------------------------------------------

    def insert(self, model, objs):
        created = bulk_create_with_history(objs, model, user=self.actor, reason=SYNTHETIC_REASON)
        self.created[model] += len(created)
        return created

    def insert_rows(self, model, rows):
        """Insert rows given as dicts of attname -> value, each with its history row; sets each row's "id".

        The many rows of a year are built as dicts, never as model instances (ten times cheaper at 100x).
        With `copy` on PostgreSQL they go in by COPY, otherwise through `bulk_create_with_history`.
        """
        if not rows:
            return rows
        defaults = self._row_defaults(model)
        for row in rows:
            for name, value in defaults.items():
                row.setdefault(name, value)
        if self.copy and connection.vendor == "postgresql":
            from ..imports import RowWriter  # the import's COPY writer, with its history rows

            writer = RowWriter(user=self.actor, reason=SYNTHETIC_REASON, now=self.now)
            for start in range(0, len(rows), COPY_CHUNK):
                writer.insert(model, rows[start : start + COPY_CHUNK])
            self.created[model] += len(rows)
        else:
            objs = self.insert(model, [model(**row) for row in rows])
            for row, obj in zip(rows, objs, strict=True):
                row["id"] = obj.pk
        return rows

    def _row_defaults(self, model):
        """What save() would fill in for a field a row leaves out: its default, the time for auto fields."""
        if model not in self._defaults:
            defaults = {}
            for f in model._meta.concrete_fields:
                if f.primary_key:
                    continue
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    defaults[f.attname] = self.now
                elif f.has_default():
                    defaults[f.attname] = f.get_default()
                elif f.null:
                    defaults[f.attname] = None
                elif f.empty_strings_allowed and f.blank:
                    defaults[f.attname] = ""
            self._defaults[model] = defaults
        return self._defaults[model]

    def partners(self, province):
        if province.pk not in self._partners:

            def ensure(name, kind):
                partner = Partner.objects.filter(province=province, name=name).first()
                if partner is None:
                    partner = Partner(province=province, name=name, kind=kind)
                    partner.full_clean()
                    partner._history_user, partner._change_reason = self.actor, SYNTHETIC_REASON
                    partner.save()
                    self.created[Partner] += 1
                return partner

            self._partners[province.pk] = Partners(
                office=ensure(f"Dinas Perindustrian Provinsi {province.name}", PartnerKind.DINAS_PROVINSI),
                task_force=ensure(
                    f"Satuan Tugas Penanganan Covid-19 Provinsi {province.name}", PartnerKind.GUGUS_TUGAS
                ),
                hospital=ensure(f"RSUD Provinsi {province.name}", PartnerKind.FASKES),
                crafts_council=ensure(
                    f"Dewan Kerajinan Nasional Daerah Provinsi {province.name}", PartnerKind.LAINNYA
                ),
            )
        return self._partners[province.pk]

    def firms(self, province):
        """The province's pool of FIRMS_PER_SCALE x scale firms, NIB 99<province><9-digit index>."""
        if province.pk not in self._firms:
            prefix = f"99{province.code}"
            existing = {
                nib: FirmRef(*rest)
                for nib, *rest in Firm.objects.filter(nib__startswith=prefix, province=province).values_list(
                    "nib", "pk", "sector", "owner_name", "regency_id"
                )
            }
            rng = random.Random(f"firms-{province.code}")  # noqa: S311 - reproducible, not secret
            fake = Faker("id_ID")
            fake.seed_instance(f"firms-{province.code}")
            # Today's regencies: the pool serves every year, and a firm is where it is now.
            regencies = list(Regency.objects.filter(province=province))
            nibs, new = [], []
            for index in range(FIRMS_PER_SCALE * self.scale):
                nibs.append(f"{prefix}{index:09d}")
                fields = fake_firm_fields(
                    fake,
                    rng,
                    province=province,
                    regency=rng.choice(regencies),
                    sector=_choice(rng, SECTOR_WEIGHTS),
                    covid_affected=rng.random() < 0.3,
                    nib=nibs[-1],
                )
                if nibs[-1] not in existing:
                    fields["province_id"], fields["regency_id"] = (
                        fields.pop("province").pk,
                        fields.pop("regency").pk,
                    )
                    new.append(fields)
            for row in self.insert_rows(Firm, new):
                existing[row["nib"]] = FirmRef(row["id"], row["sector"], row["owner_name"], row["regency_id"])
            self._firms[province.pk] = [existing[nib] for nib in nibs]
        return self._firms[province.pk]


def _checked_models():
    """The programme's tables a synthetic year writes (with their history and link tables)."""
    from django.apps import apps

    return [
        model
        for model in apps.get_app_config("programs").get_models(include_auto_created=True)
        if isinstance(model._meta.pk, models.AutoField | models.BigAutoField)
    ]


class _ProvinceYear:
    """One province's synthetic fiscal year."""

    def __init__(self, run, year, province):
        self.run, self.year, self.province = run, year, province
        self.rng = random.Random(f"synthetic-{year}-{province.code}-{run.scale}")  # noqa: S311
        self.fake = Faker("id_ID")
        self.fake.seed_instance(f"synthetic-{year}-{province.code}-{run.scale}")
        self.regencies = list(Regency.objects.in_province(province, year))
        self.partners = run.partners(province)
        self.last_day = date(year, 12, 31)
        self.events = []

    def build(self):
        allocation = self.allocation()
        activities = self.activities(allocation)
        participations = self.participations(activities)
        self.participants(activities, participations)
        outputs = self.outputs(activities, participations)
        self.handovers(outputs)
        self.run.insert(ReviewEvent, self.events)

    # --- money ---------------------------------------------------------------------------------------------

    def allocation(self):
        rng, year = self.rng, self.year
        pagu = rng.randint(2_500, 9_000) * self.run.scale * 1_000_000
        revision = None
        current = pagu
        if rng.random() < 0.4:
            current = pagu * rng.randint(85, 105) // 100 // 1_000_000 * 1_000_000
            revision = {
                "revised_on": date(year, rng.randint(5, 9), rng.randint(1, 28)),
                "previous_pagu": Decimal(pagu),
                "new_pagu": Decimal(current),
                "reason": "Revisi pagu: penghematan belanja kementerian"
                if current < pagu
                else "Revisi pagu: tambahan anggaran untuk restrukturisasi mesin dan peralatan IKM",
                "document_number": f"S-{rng.randint(100, 999)}/IKMA/{year}",
            }
        # Realisation: 82-97% of the current pagu, rising towards the end of the year.
        realised = current * rng.randint(82, 97) // 100
        weights = [(0.5 + month / 4) * rng.uniform(0.7, 1.3) for month in range(1, 13)]
        amounts = [int(realised * w / sum(weights)) for w in weights]
        amounts[-1] += realised - sum(amounts)
        (allocation,) = self.run.insert(
            Allocation,
            [
                Allocation(
                    province=self.province,
                    year=year,
                    fund_type=fund_type_for(year),
                    pagu=Decimal(pagu),
                    current_pagu=Decimal(current),
                    realised_total=Decimal(sum(amounts)),
                    dipa_number=f"{SYNTHETIC_DIPA}{self.province.code}{rng.randint(100, 999)}/{year}",
                    dipa_date=date(year - 1, 12, rng.randint(1, 20)),
                )
            ],
        )
        revision = (
            self.run.insert(BudgetRevision, [BudgetRevision(allocation=allocation, **revision)])[0]
            if revision
            else None
        )
        self.plan(allocation, revision)
        realisations = []
        for month, amount in enumerate(amounts, start=1):
            state = self.realisation_review(month)
            submitted = _at(date(year + month // 12, month % 12 + 1, rng.randint(3, 10)), rng)
            realisations.append(
                Realisation(
                    allocation=allocation,
                    month=month,
                    amount=Decimal(amount),
                    note="Belanja kegiatan bulan berjalan",
                    **self.review_fields(state, submitted),
                )
            )
        lines = []
        for realisation in self.run.insert(Realisation, realisations):
            self.add_events(Realisation, realisation)
            # By RO (the current pagus' shares), all belanja barang: the lines add up to the month's amount.
            for ro, amount in zip(
                self.ros, split_whole(realisation.amount, [ro.pagu for ro in self.ros]), strict=True
            ):
                lines.append(
                    RealisationLine(
                        realisation=realisation,
                        planned_output=ro,
                        spending_type=SpendingType.GOODS,
                        amount=amount,
                    )
                )
        self.run.insert(RealisationLine, lines)
        return allocation

    def plan(self, allocation, revision):
        """A small DIPA: program, kegiatan, KROs and three ROs whose pagus add up to the current pagu; a
        revision carries a line per RO it moves (before: the shares of the original pagu)."""
        (program,) = self.run.insert(
            PlanItem,
            [PlanItem(allocation=allocation, level=PlanLevel.PROGRAM, code=PROGRAM[0], name=PROGRAM[1])],
        )
        (kegiatan,) = self.run.insert(
            PlanItem,
            [
                PlanItem(
                    allocation=allocation,
                    parent=program,
                    level=PlanLevel.KEGIATAN,
                    code=KEGIATAN[0],
                    name=KEGIATAN[1],
                )
            ],
        )
        codes = sorted({code[:8] for code, *_rest in SYNTHETIC_ROS})
        kros = self.run.insert(
            PlanItem,
            [
                PlanItem(
                    allocation=allocation, parent=kegiatan, level=PlanLevel.KRO, code=code, name=KROS[code]
                )
                for code in codes
            ],
        )
        kro_of = {kro.code: kro for kro in kros}
        shares = [share for *_rest, share, _kinds in SYNTHETIC_ROS]
        original = split_whole(allocation.pagu, shares, 1000)
        current = split_whole(allocation.current_pagu, shares, 1000)
        # Its own generator: the plan leaves every other figure of the year as it was before plans existed.
        rng = random.Random(f"plan-{self.year}-{self.province.code}-{self.run.scale}")  # noqa: S311
        targets = [rng.randint(150, 400), rng.randint(10, 30), rng.randint(40, 120)]
        self.ros = self.run.insert(
            PlanItem,
            [
                PlanItem(
                    allocation=allocation,
                    parent=kro_of[code[:8]],
                    level=PlanLevel.RO,
                    code=code,
                    name=name,
                    unit=unit,
                    measure=measure,
                    target=target * self.run.scale,
                    pagu=pagu,
                )
                for (code, name, unit, measure, _share, _kinds), target, pagu in zip(
                    SYNTHETIC_ROS, targets, current, strict=True
                )
            ],
        )
        self.ro_of_kind = {
            kind: ro for ro, (*_rest, kinds) in zip(self.ros, SYNTHETIC_ROS, strict=True) for kind in kinds
        }
        if revision is not None:
            self.run.insert(
                RevisionLine,
                [
                    RevisionLine(revision=revision, planned_output=ro, previous_pagu=before, new_pagu=ro.pagu)
                    for ro, before in zip(self.ros, original, strict=True)
                    if before != ro.pagu
                ],
            )

    def realisation_review(self, month):
        if self.year <= VERIFIED_UNTIL or month <= 9:
            return ReviewStatus.VERIFIED
        return ReviewStatus.SUBMITTED if month <= 11 else ReviewStatus.DRAFT

    def review_fields(self, state, submitted):
        if state == ReviewStatus.DRAFT:
            return {}
        fields = {"review_status": state, "submitted_at": submitted}
        if state == ReviewStatus.VERIFIED:
            fields.update(
                reviewed_at=submitted + timedelta(days=self.rng.randint(1, 10), hours=self.rng.randint(0, 6)),
                reviewed_by=self.run.ministry,
            )
        return fields

    def add_events(self, model, obj):
        """The workflow trail of a submitted or verified row: submitted by the operator, verified by pusat."""
        if obj.review_status == ReviewStatus.DRAFT:
            return
        common = {
            "content_type": self.run.content_types[model],
            "object_id": obj.pk,
            "province": self.province,
            "year": self.year,
        }
        self.events.append(
            ReviewEvent(
                **common,
                action=ReviewAction.SUBMIT,
                from_status=ReviewStatus.DRAFT,
                to_status=ReviewStatus.SUBMITTED,
                actor=self.run.operators[self.province.code],
                at=obj.submitted_at,
            )
        )
        if obj.review_status == ReviewStatus.VERIFIED:
            self.events.append(
                ReviewEvent(
                    **common,
                    action=ReviewAction.VERIFY,
                    from_status=ReviewStatus.SUBMITTED,
                    to_status=ReviewStatus.VERIFIED,
                    actor=self.run.ministry,
                    at=obj.reviewed_at,
                )
            )

    # --- activities ----------------------------------------------------------------------------------------

    def activities(self, allocation):
        rng, year = self.rng, self.year
        count = ACTIVITIES_PER_SCALE * self.run.scale
        shares = [rng.uniform(0.6, 1.4) for _ in range(count)]
        spend = int(allocation.current_pagu) * rng.randint(85, 95) // 100
        titles = Counter()
        activities = []
        for share in shares:
            kind, sector = _choice(rng, KIND_WEIGHTS), _choice(rng, SECTOR_WEIGHTS)
            regency = rng.choice(self.regencies) if rng.random() < 0.85 else None
            if kind == ActivityKind.BIMTEK:
                topic = f"Bimtek {rng.choice(BIMTEK_TOPICS[sector])}"
            else:
                topic = rng.choice(TOPICS[kind])
            title = (
                f"{topic} bagi IKM {SECTOR_WORDS[sector]} {regency.name if regency else self.province.name}"
            )
            titles[title] += 1
            if titles[title] > 1:
                title += f" Angkatan {titles[title]}"
            length = {
                ActivityKind.BIMTEK: (2, 5),
                ActivityKind.PENDAMPINGAN: (14, 60),
                ActivityKind.WIRAUSAHA_BARU: (5, 10),
                ActivityKind.FASILITASI: (7, 45),
            }[kind]
            planned_start = date(year, rng.choices(range(3, 12), weights=[4, 6, 8, 9, 9, 9, 8, 6, 3])[0], 1)
            planned_start += timedelta(days=rng.randint(0, 27))
            planned_end = min(planned_start + timedelta(days=rng.randint(*length)), self.last_day)
            status, reason = self.status()
            actual_start = actual_end = None
            if status in (ActivityStatus.DONE, ActivityStatus.RUNNING):
                actual_start = min(planned_start + timedelta(days=rng.randint(0, 7)), self.last_day)
            if status == ActivityStatus.DONE:
                actual_end = min(actual_start + (planned_end - planned_start), self.last_day)
            state = self.activity_review(status)
            submitted = _at(
                min((actual_end or planned_end) + timedelta(days=rng.randint(1, 14)), self.last_day), rng
            )
            covid = rng.random() < {2021: 0.3, 2022: 0.1}.get(year, 0.03)
            activities.append(
                Activity(
                    allocation=allocation,
                    province=self.province,
                    year=year,
                    title=title,
                    kind=kind,
                    purpose=ActivityPurpose.PENUMBUHAN
                    if kind == ActivityKind.WIRAUSAHA_BARU
                    else rng.choices([ActivityPurpose.PENGEMBANGAN, ActivityPurpose.PENYEBARAN], [4, 1])[0],
                    sector=sector,
                    covid_response=covid,
                    regency=regency,
                    mode=self.mode(),
                    planned_start=planned_start,
                    planned_end=planned_end,
                    actual_start=actual_start,
                    actual_end=actual_end,
                    status=status,
                    status_reason=reason,
                    budget=Decimal(spend * share / sum(shares) // 1000 * 1000),
                    target_participants=PARTICIPATIONS_PER_ACTIVITY,
                    actual_participants=PARTICIPATIONS_PER_ACTIVITY
                    if status == ActivityStatus.DONE
                    else None,
                    planned_output=self.ro_of_kind[kind],
                    **self.review_fields(state, submitted),
                )
            )
        activities = self.run.insert(Activity, activities)
        links = []
        for activity in activities:
            self.add_events(Activity, activity)
            links.append((activity.pk, self.partners.office.pk))
            if activity.covid_response:
                links.append((activity.pk, self.partners.task_force.pk))
        bulk_link_with_history(Activity, "partners", links)
        return activities

    def status(self):
        if self.year <= VERIFIED_UNTIL:
            weights = {ActivityStatus.DONE: 93, ActivityStatus.POSTPONED: 4, ActivityStatus.CANCELLED: 3}
        else:
            weights = {
                ActivityStatus.DONE: 70,
                ActivityStatus.RUNNING: 15,
                ActivityStatus.PLANNED: 10,
                ActivityStatus.POSTPONED: 3,
                ActivityStatus.CANCELLED: 2,
            }
        status = _choice(self.rng, weights)
        if status == ActivityStatus.POSTPONED:
            return status, self.rng.choice(POSTPONE_REASONS)
        if status == ActivityStatus.CANCELLED:
            return status, self.rng.choice(CANCEL_REASONS)
        return status, ""

    def activity_review(self, status):
        if self.year <= VERIFIED_UNTIL:
            return ReviewStatus.VERIFIED
        if status != ActivityStatus.DONE:
            return ReviewStatus.DRAFT
        return _choice(
            self.rng, {ReviewStatus.VERIFIED: 60, ReviewStatus.SUBMITTED: 25, ReviewStatus.DRAFT: 15}
        )

    def mode(self):
        if self.year == 2021:
            weights = {DeliveryMode.OFFLINE: 30, DeliveryMode.COMBINED: 40, DeliveryMode.ONLINE: 30}
        else:
            weights = {DeliveryMode.OFFLINE: 60, DeliveryMode.COMBINED: 25, DeliveryMode.ONLINE: 15}
        return _choice(self.rng, weights)

    # --- participants --------------------------------------------------------------------------------------

    def participations(self, activities):
        """25 distinct firms per activity, from the activity's sector first: [(row, firm)]."""
        pool = self.run.firms(self.province)
        by_sector = defaultdict(list)
        for firm in pool:
            by_sector[firm.sector].append(firm)
        rows, firms = [], []
        province_id, year = self.province.pk, self.year
        for activity in activities:
            same = by_sector[activity.sector]
            chosen = self.rng.sample(same, min(PARTICIPATIONS_PER_ACTIVITY, len(same)))
            if len(chosen) < PARTICIPATIONS_PER_ACTIVITY:
                taken = {f.pk for f in chosen}
                rest = [f for f in pool if f.pk not in taken]
                chosen += self.rng.sample(rest, PARTICIPATIONS_PER_ACTIVITY - len(chosen))
            for firm in chosen:
                rows.append(
                    {"activity_id": activity.pk, "firm_id": firm.pk, "province_id": province_id, "year": year}
                )
                firms.append(firm)
        self.run.insert_rows(Participation, rows)
        return list(zip(rows, firms, strict=True))

    def participants(self, activities, participations):
        """New entrepreneurs of penumbuhan wirausaha baru: the owners of the firms they took part with."""
        newcomers = {a.pk for a in activities if a.kind == ActivityKind.WIRAUSAHA_BARU}
        rows = []
        serial = Counter()
        for participation, firm in participations:
            activity_id = participation["activity_id"]
            if activity_id not in newcomers:
                continue
            sex = self.rng.choice([Sex.MALE, Sex.FEMALE])
            serial[activity_id] += 1
            founded = self.rng.random() < 0.5
            if founded:
                name = firm.owner_name
            else:
                first = self.fake.first_name_male() if sex == Sex.MALE else self.fake.first_name_female()
                name = f"{first} {self.fake.last_name()}"
            has_nik = self.rng.random() < 0.6
            nik = fake_nik(self.rng, self.run.regency_codes[firm.regency_id], sex, serial[activity_id])
            rows.append(
                {
                    "activity_id": activity_id,
                    "province_id": self.province.pk,
                    "year": self.year,
                    "name": name,
                    "nik": nik if has_nik else "",
                    "sex": sex,
                    "phone": self.fake.numerify("08##-####-####") if self.rng.random() < 0.8 else "",
                    "founded_firm_id": firm.pk if founded else None,
                }
            )
        self.run.insert_rows(Participant, rows)

    # --- outputs and handovers -----------------------------------------------------------------------------

    def outputs(self, activities, participations):
        """One output per participating firm of an activity that has started (half, if still running)."""
        started = {a.pk: a for a in activities if a.status in (ActivityStatus.DONE, ActivityStatus.RUNNING)}
        rows = []
        for participation, firm in participations:
            activity = started.get(participation["activity_id"])
            if activity is None:
                continue
            if activity.status == ActivityStatus.RUNNING and self.rng.random() < 0.5:
                continue
            product, product_type, unit, (low, high) = self.rng.choice(PRODUCTS[firm.sector])
            quantity = self.rng.randint(low, high)
            end = min((activity.actual_end or activity.actual_start) + timedelta(days=30), self.last_day)
            ordered = buyer = None
            if self.rng.random() < 0.15:
                ordered = quantity + self.rng.randint(0, quantity // 5)
                buyer = (
                    self.partners.task_force if product_type in PPE_TYPES else self.partners.crafts_council
                )
            rows.append(
                {
                    "participation_id": participation["id"],
                    "activity_id": activity.pk,
                    "province_id": self.province.pk,
                    "year": self.year,
                    "product": product,
                    "product_type": product_type,
                    "quantity": quantity,
                    "unit": unit,
                    "produced_on": _day(self.rng, activity.actual_start, end),
                    "meets_standard": self.rng.random() < 0.7,
                    "ordered_quantity": ordered,
                    "buyer_id": buyer.pk if buyer else None,
                }
            )
        # Handovers are planned now so that handed_over_total goes in with the output.
        self.planned_handovers = [self.plan_handovers(output) for output in rows]
        for output, handovers in zip(rows, self.planned_handovers, strict=True):
            output["handed_over_total"] = sum(h["quantity"] for h in handovers)
        return self.run.insert_rows(Output, rows)

    def plan_handovers(self, output):
        roll, q = self.rng.random(), output["quantity"]
        if roll < 0.08:
            quantities = []
        elif roll < 0.93 or q < 2:
            quantities = [self.rng.randint((q + 1) // 2, q)]
        else:
            first = self.rng.randint(1, q // 2)
            quantities = [first, self.rng.randint(1, q - first)]
        handovers, day = [], output["produced_on"]
        for quantity in quantities:
            day = _day(self.rng, day, min(day + timedelta(days=45), self.last_day))
            handovers.append({"quantity": quantity, "handed_on": day, **self.recipient(output)})
        return handovers

    def recipient(self, output):
        p = self.partners
        if output["buyer_id"] is not None:
            task_force = output["buyer_id"] == p.task_force.pk
            kind = RecipientType.TASK_FORCE_PROVINCE if task_force else RecipientType.OTHER
            return {"recipient_type": kind, "recipient_id": output["buyer_id"]}
        place = self.rng.choice(self.regencies).name
        if output["product_type"] in PPE_TYPES:
            kind = _choice(
                self.rng,
                {
                    RecipientType.HEALTH_FACILITY: 4,
                    RecipientType.PUBLIC: 4,
                    RecipientType.TASK_FORCE_PROVINCE: 2,
                },
            )
            if kind == RecipientType.HEALTH_FACILITY:
                return {"recipient_type": kind, "recipient_id": p.hospital.pk}
            if kind == RecipientType.TASK_FORCE_PROVINCE:
                return {"recipient_type": kind, "recipient_id": p.task_force.pk}
            return {"recipient_type": kind, "recipient_name": f"Masyarakat {place}"}
        if self.rng.random() < 0.5:
            return {"recipient_type": RecipientType.PUBLIC, "recipient_name": f"Masyarakat {place}"}
        return {"recipient_type": RecipientType.OTHER, "recipient_id": p.crafts_council.pk}

    def handovers(self, outputs):
        rows = []
        for output, handovers in zip(outputs, self.planned_handovers, strict=True):
            for handover in handovers:
                handover.update(
                    output_id=output["id"],
                    activity_id=output["activity_id"],
                    province_id=self.province.pk,
                    year=self.year,
                    product_type=output["product_type"],
                    output_produced_on=output["produced_on"],
                    bast_number=f"BAST/{self.province.code}/{self.year}/{len(rows) + 1:06d}",
                )
                rows.append(handover)
        self.run.insert_rows(Handover, rows)
