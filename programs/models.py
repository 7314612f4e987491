"""The programme's data: allocations and their money, activities, firms, participants, outputs, handovers.

Rules are checked twice: in `clean()` with a message in Bahasa Indonesia for the person at the form, and
by a named database constraint for every other path (admin, commands, bulk writes, raw `objects.create`).

Two running totals are kept in the same transaction as the rows they sum, so that a cross-row rule can be
a CHECK constraint and reports need not add the rows up again:
- `Allocation.realised_total` = the sum of its monthly realisation (never above `current_pagu`);
- `Output.handed_over_total` = the sum of its handovers (never above the quantity produced).
Rows that reports aggregate (participations, outputs, handovers) carry their activity's province and year.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from provinces.models import Province, Regency

from .scoping import ScopedQuerySet

MONEY = {"max_digits": 18, "decimal_places": 0}
YEAR_VALIDATORS = [
    MinValueValidator(2000, _("Tahun anggaran paling awal 2000.")),
    MaxValueValidator(2100, _("Tahun anggaran paling akhir 2100.")),
]
NIB_VALIDATOR = RegexValidator(r"^[0-9]{13}$", _("NIB harus 13 digit angka."))
NIK_VALIDATOR = RegexValidator(r"^[0-9]{16}$", _("NIK harus 16 digit angka."))
KBLI_VALIDATOR = RegexValidator(r"^[0-9]{5}$", _("Kode KBLI harus 5 digit angka."))
PHONE_VALIDATOR = RegexValidator(
    r"^\+?[0-9][0-9 \-]{5,18}$",
    _("Nomor telepon hanya berisi angka, spasi atau tanda hubung, mis. 0812-3456-7890."),
)
NON_NEGATIVE_MONEY = MinValueValidator(Decimal(0), _("Jumlah uang tidak boleh negatif."))
POSITIVE_QUANTITY = MinValueValidator(1, _("Jumlah harus bilangan bulat positif (minimal 1)."))


def rupiah(value):
    """Rp 1.250.000 — whole Rupiah with Indonesian grouping (used in messages and templates)."""
    if value is None:
        return "–"
    value = Decimal(value).quantize(Decimal(1))
    sign = "-" if value < 0 else ""
    return f"Rp {sign}{abs(value):,}".replace(",", ".")


class Sector(models.TextChoices):
    SANDANG = "sandang", _("Sandang (garmen/tekstil)")
    PANGAN = "pangan", _("Pangan")
    KERAJINAN = "kerajinan", _("Kerajinan")
    LOGAM = "logam", _("Logam dan mesin")
    KIMIA = "kimia", _("Kimia dan bahan bangunan")
    ELEKTRONIKA = "elektronika", _("Elektronika")
    LAINNYA = "lainnya", _("Lainnya")


class ReviewStatus(models.TextChoices):
    DRAFT = "draf", _("Draf")
    SUBMITTED = "diajukan", _("Diajukan")
    VERIFIED = "terverifikasi", _("Terverifikasi")
    RETURNED = "dikembalikan", _("Dikembalikan")


class Reviewable(models.Model):
    """Draft → submitted → verified, or returned with a note; the transitions live in services."""

    review_status = models.CharField(
        _("status verifikasi"), max_length=15, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    review_note = models.TextField(_("catatan verifikasi"), blank=True)
    submitted_at = models.DateTimeField(_("diajukan pada"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("diperiksa pada"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diperiksa oleh"),
    )

    class Meta:
        abstract = True


class Tracked(models.Model):
    """Created/updated stamps and a version number that refuses a stale save (optimistic locking)."""

    version = models.PositiveIntegerField(_("versi"), default=1, editable=False)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah pada"), auto_now=True)

    class Meta:
        abstract = True


# --- Fiscal years and scoping ------------------------------------------------------------------------------


class FiscalYear(models.Model):
    """A fiscal year's state: once closed, its data is read-only for everyone but admins."""

    year = models.PositiveSmallIntegerField(_("tahun anggaran"), unique=True, validators=YEAR_VALIDATORS)
    closed_at = models.DateTimeField(_("ditutup pada"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ditutup oleh"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tahun anggaran")
        verbose_name_plural = _("tahun anggaran")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | Q(closed_at__isnull=False, closed_by__isnull=False),
                name="fiscal_year_closed_by_someone",
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def is_closed(self):
        return self.closed_at is not None

    @classmethod
    def closed_years(cls):
        return cls.objects.filter(closed_at__isnull=False).values("year")


OPEN_REVIEW_STATES = ["draf", "dikembalikan"]


class AdminOnlyQuerySet(ScopedQuerySet):
    """Set by the ministry (DIPA): provinces read it, only admins change it."""

    def unlocked(self, qs):
        return qs.none()


class AllocationQuerySet(AdminOnlyQuerySet):
    pass


class RevisionQuerySet(AdminOnlyQuerySet):
    province_lookup = "allocation__province"


class RealisationQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"

    def unlocked(self, qs):
        return qs.filter(review_status__in=OPEN_REVIEW_STATES).exclude(
            allocation__year__in=FiscalYear.closed_years()
        )


class ActivityQuerySet(ScopedQuerySet):
    def unlocked(self, qs):
        return qs.filter(review_status__in=OPEN_REVIEW_STATES).exclude(year__in=FiscalYear.closed_years())


class ActivityPartQuerySet(ScopedQuerySet):
    """Participations, participants, outputs and handovers follow their activity's workflow."""

    def unlocked(self, qs):
        return qs.filter(activity__review_status__in=OPEN_REVIEW_STATES).exclude(
            year__in=FiscalYear.closed_years()
        )


# --- Money -----------------------------------------------------------------------------------------------


class Allocation(Tracked):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("provinsi")
    )
    year = models.PositiveSmallIntegerField(_("tahun anggaran"), validators=YEAR_VALIDATORS)
    pagu = models.DecimalField(_("pagu awal (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)
    current_pagu = models.DecimalField(_("pagu terkini (Rp)"), editable=False, **MONEY)
    realised_total = models.DecimalField(_("realisasi kumulatif (Rp)"), default=0, editable=False, **MONEY)
    dipa_number = models.CharField(_("nomor DIPA"), max_length=100)
    dipa_date = models.DateField(_("tanggal DIPA"))

    objects = AllocationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("alokasi anggaran")
        verbose_name_plural = _("alokasi anggaran")
        ordering = ["-year", "province__code"]
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="allocation_one_per_province_year"),
            models.CheckConstraint(condition=Q(pagu__gte=0), name="allocation_pagu_non_negative"),
            models.CheckConstraint(
                condition=Q(current_pagu__gte=0), name="allocation_current_pagu_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(realised_total__gte=0), name="allocation_realised_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(realised_total__lte=F("current_pagu")), name="allocation_realised_within_pagu"
            ),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="allocation_year_range"),
        ]

    def __str__(self):
        return f"{self.province} {self.year}"

    def save(self, *args, **kwargs):
        if self._state.adding or not self.revisions.exists():
            self.current_pagu = self.pagu
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("programs:allocation_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.province_id and self.year and self.province.established_year > self.year:
            errors["province"] = _("Provinsi %(p)s belum terbentuk pada tahun %(y)s.") % {
                "p": self.province,
                "y": self.year,
            }
        if not self._state.adding:
            stored = Allocation.objects.filter(pk=self.pk).values("province_id", "year").first()
            moved = stored and (stored["province_id"], stored["year"]) != (self.province_id, self.year)
            if moved and (self.activities.exists() or self.realisations.exists()):
                errors["year"] = _("Provinsi dan tahun alokasi yang sudah berisi data tidak dapat diubah.")
            if self.pagu is not None and not self.revisions.exists() and self.pagu < self.realised_total:
                errors["pagu"] = _("Pagu %(p)s lebih kecil dari realisasi yang sudah dicatat %(r)s.") % {
                    "p": rupiah(self.pagu),
                    "r": rupiah(self.realised_total),
                }
        if errors:
            raise ValidationError(errors)

    @property
    def absorption(self):
        """Penyerapan: cumulative realised / current pagu, as a percentage (None when the pagu is zero)."""
        if not self.current_pagu:
            return None
        return (self.realised_total * 100 / self.current_pagu).quantize(Decimal("0.01"))

    def refresh_current_pagu(self):
        latest = self.revisions.order_by("-revised_on", "-pk").first()
        self.current_pagu = latest.new_pagu if latest else self.pagu
        Allocation.objects.filter(pk=self.pk).update(current_pagu=self.current_pagu)


class BudgetRevision(Tracked):
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("alokasi")
    )
    revised_on = models.DateField(_("tanggal revisi"))
    previous_pagu = models.DecimalField(_("pagu sebelum revisi (Rp)"), editable=False, **MONEY)
    new_pagu = models.DecimalField(_("pagu baru (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)
    reason = models.TextField(_("alasan revisi"))
    document_number = models.CharField(_("nomor dokumen revisi"), max_length=100, blank=True)

    objects = RevisionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("revisi pagu")
        verbose_name_plural = _("revisi pagu")
        ordering = ["allocation", "revised_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(new_pagu__gte=0), name="revision_new_pagu_non_negative"),
            models.CheckConstraint(
                condition=Q(previous_pagu__gte=0), name="revision_previous_pagu_non_negative"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="revision_reason_required"),
        ]

    def __str__(self):
        return _("Revisi %(date)s: %(old)s → %(new)s") % {
            "date": self.revised_on.strftime("%d/%m/%Y") if self.revised_on else "",
            "old": rupiah(self.previous_pagu),
            "new": rupiah(self.new_pagu),
        }

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self._state.adding:
                allocation = Allocation.objects.select_for_update().get(pk=self.allocation_id)
                self.previous_pagu = allocation.current_pagu
            super().save(*args, **kwargs)
            self.allocation.refresh_current_pagu()

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            self.allocation.refresh_current_pagu()
        return result

    def clean(self):
        errors = {}
        if self.allocation_id and self.revised_on and self.revised_on.year != self.allocation.year:
            errors["revised_on"] = _("Tanggal revisi harus di dalam tahun anggaran %(y)s.") % {
                "y": self.allocation.year
            }
        if self.allocation_id and self.new_pagu is not None:
            realised = self.allocation.realised_total
            if self.new_pagu < realised:
                errors["new_pagu"] = _(
                    "Pagu baru %(new)s lebih kecil dari realisasi yang sudah dicatat %(real)s."
                ) % {"new": rupiah(self.new_pagu), "real": rupiah(realised)}
        if errors:
            raise ValidationError(errors)


class Realisation(Reviewable, Tracked):
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="realisations", verbose_name=_("alokasi")
    )
    month = models.PositiveSmallIntegerField(
        _("bulan"),
        validators=[
            MinValueValidator(1, _("Bulan harus 1 sampai 12.")),
            MaxValueValidator(12, _("Bulan harus 1 sampai 12.")),
        ],
    )
    amount = models.DecimalField(_("realisasi bulan ini (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)
    note = models.TextField(_("keterangan"), blank=True)

    objects = RealisationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("realisasi bulanan")
        verbose_name_plural = _("realisasi bulanan")
        ordering = ["allocation", "month"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "month"], name="realisation_one_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="realisation_month_range"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="realisation_amount_non_negative"),
        ]

    def __str__(self):
        return _("Realisasi %(a)s bulan %(m)s") % {"a": self.allocation, "m": self.month}

    def save(self, *args, **kwargs):
        with transaction.atomic():
            old_allocation, old_amount = self._stored()
            super().save(*args, **kwargs)
            if old_allocation:
                Allocation.objects.filter(pk=old_allocation).update(
                    realised_total=F("realised_total") - old_amount
                )
            Allocation.objects.filter(pk=self.allocation_id).update(
                realised_total=F("realised_total") + self.amount
            )

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            allocation, amount = self._stored()
            result = super().delete(*args, **kwargs)
            Allocation.objects.filter(pk=allocation).update(realised_total=F("realised_total") - amount)
        return result

    def _stored(self):
        """(allocation id, amount) as stored now, or (None, 0) for a new row."""
        if self.pk is None:
            return None, Decimal(0)
        return Realisation.objects.filter(pk=self.pk).values_list("allocation_id", "amount").first() or (
            None,
            0,
        )

    def clean(self):
        if not self.allocation_id or self.amount is None:
            return
        others = (
            Realisation.objects.filter(allocation_id=self.allocation_id)
            .exclude(pk=self.pk)
            .aggregate(s=Sum("amount"))["s"]
            or 0
        )
        if others + self.amount > self.allocation.current_pagu:
            raise ValidationError(
                {
                    "amount": _("Realisasi kumulatif %(total)s melebihi pagu terkini %(pagu)s.")
                    % {"total": rupiah(others + self.amount), "pagu": rupiah(self.allocation.current_pagu)}
                }
            )


# --- Partners and firms ------------------------------------------------------------------------------------


class PartnerKind(models.TextChoices):
    DINAS_KABKOTA = "dinas_kabkota", _("Dinas perindustrian kabupaten/kota")
    DINAS_PROVINSI = "dinas_provinsi", _("Dinas perindustrian provinsi")
    GUGUS_TUGAS = "gugus_tugas", _("Gugus Tugas Percepatan Penanganan Covid-19")
    FASKES = "faskes", _("Fasilitas kesehatan")
    LAINNYA = "lainnya", _("Instansi lain")


class Partner(Tracked):
    """A named institution an activity works with, a buyer or a recipient; reusable across activities."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="partners", verbose_name=_("provinsi")
    )
    regency = models.ForeignKey(
        Regency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("kabupaten/kota"),
    )
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=20, choices=PartnerKind.choices)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("mitra")
        verbose_name_plural = _("mitra")
        ordering = ["province__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["province", "name"], name="partner_name_unique_in_province"),
            models.CheckConstraint(condition=~Q(name=""), name="partner_name_required"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        _check_regency_in_province(self.regency, self.province_id, year=None, field="regency")


def _check_regency_in_province(regency, province_id, year, field):
    """A regency belongs to a province in a year (or, with no year, now or before the 2022 split)."""
    if regency is None or not province_id:
        return
    if year is not None:
        ok = regency.province_in(year).pk == province_id
    else:
        ok = province_id in (regency.province_id, regency.former_province_id)
    if not ok:
        raise ValidationError({field: _("%(r)s tidak berada di provinsi ini.") % {"r": regency}})


class FirmScale(models.TextChoices):
    MIKRO = "mikro", _("Mikro")
    KECIL = "kecil", _("Kecil")
    MENENGAH = "menengah", _("Menengah")


class Firm(Tracked):
    """An IKM (small or medium industrial firm)."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="firms", verbose_name=_("provinsi")
    )
    regency = models.ForeignKey(
        Regency, on_delete=models.PROTECT, related_name="firms", verbose_name=_("kabupaten/kota")
    )
    name = models.CharField(_("nama IKM"), max_length=200)
    nib = models.CharField(
        _("NIB"), max_length=13, blank=True, validators=[NIB_VALIDATOR], help_text=_("13 digit, dari OSS.")
    )
    owner_name = models.CharField(_("nama pemilik"), max_length=200, blank=True)
    sector = models.CharField(_("sektor"), max_length=20, choices=Sector.choices)
    kbli = models.CharField(_("kode KBLI"), max_length=5, blank=True, validators=[KBLI_VALIDATOR])
    scale = models.CharField(
        _("skala usaha"), max_length=10, choices=FirmScale.choices, default=FirmScale.MIKRO
    )
    address = models.TextField(_("alamat"), blank=True)
    phone = models.CharField(_("telepon"), max_length=20, blank=True, validators=[PHONE_VALIDATOR])
    workers = models.PositiveIntegerField(_("jumlah tenaga kerja"), null=True, blank=True)
    covid_affected = models.BooleanField(_("terdampak Covid-19"), default=False)

    objects = ScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("IKM")
        verbose_name_plural = _("IKM")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["nib"], condition=~Q(nib=""), name="firm_nib_unique_when_given"),
            models.CheckConstraint(
                condition=Q(nib="") | Q(nib__regex=r"^[0-9]{13}$"), name="firm_nib_13_digits"
            ),
            models.CheckConstraint(
                condition=Q(kbli="") | Q(kbli__regex=r"^[0-9]{5}$"), name="firm_kbli_5_digits"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="firm_name_required"),
        ]
        indexes = [models.Index(fields=["province", "name"], name="firm_province_name_idx")]

    def __str__(self):
        return f"{self.name} ({self.nib})" if self.nib else self.name

    def get_absolute_url(self):
        return reverse("programs:firm_detail", args=[self.pk])

    def clean(self):
        if self.nib:
            self.nib = self.nib.strip()
        _check_regency_in_province(
            self.regency if self.regency_id else None, self.province_id, None, "regency"
        )


# --- Activities --------------------------------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    BIMTEK = "bimtek", _("Bimbingan teknis (bimtek)")
    PENDAMPINGAN = "pendampingan", _("Pendampingan")
    WIRAUSAHA_BARU = "wirausaha_baru", _("Penumbuhan wirausaha industri baru")
    FASILITASI = "fasilitasi", _("Fasilitasi")


class ActivityPurpose(models.TextChoices):
    PENUMBUHAN = "penumbuhan", _("Penumbuhan")
    PENGEMBANGAN = "pengembangan", _("Pengembangan")
    PENYEBARAN = "penyebaran", _("Penyebaran")


class ActivityStatus(models.TextChoices):
    PLANNED = "rencana", _("Rencana")
    RUNNING = "berjalan", _("Berjalan")
    DONE = "selesai", _("Selesai")
    POSTPONED = "ditunda", _("Ditunda")
    CANCELLED = "batal", _("Batal")


class DeliveryMode(models.TextChoices):
    ONLINE = "daring", _("Daring")
    OFFLINE = "luring", _("Luring")
    COMBINED = "kombinasi", _("Kombinasi daring dan luring")


class Activity(Reviewable, Tracked):
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="activities", verbose_name=_("alokasi")
    )
    # Copied from the allocation on save: every scoped query and report filters on these.
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="activities",
        editable=False,
        verbose_name=_("provinsi"),
    )
    year = models.PositiveSmallIntegerField(_("tahun anggaran"), editable=False)
    title = models.CharField(_("judul kegiatan"), max_length=250)
    kind = models.CharField(_("jenis kegiatan"), max_length=20, choices=ActivityKind.choices)
    purpose = models.CharField(_("tujuan"), max_length=20, choices=ActivityPurpose.choices)
    sector = models.CharField(_("sektor"), max_length=20, choices=Sector.choices)
    covid_response = models.BooleanField(_("penanganan dampak Covid-19"), default=False)
    regency = models.ForeignKey(
        Regency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("kabupaten/kota"),
    )
    mode = models.CharField(_("metode pelaksanaan"), max_length=10, choices=DeliveryMode.choices)
    planned_start = models.DateField(_("rencana mulai"))
    planned_end = models.DateField(_("rencana selesai"))
    actual_start = models.DateField(_("realisasi mulai"), null=True, blank=True)
    actual_end = models.DateField(_("realisasi selesai"), null=True, blank=True)
    status = models.CharField(
        _("status pelaksanaan"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    status_reason = models.CharField(
        _("alasan penundaan/pembatalan"), max_length=250, blank=True, help_text=_("Mis. kebijakan PSBB.")
    )
    budget = models.DecimalField(_("anggaran kegiatan (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)
    target_participants = models.PositiveIntegerField(_("target peserta"), validators=[POSITIVE_QUANTITY])
    actual_participants = models.PositiveIntegerField(_("realisasi peserta"), null=True, blank=True)
    partners = models.ManyToManyField(Partner, blank=True, related_name="activities", verbose_name=_("mitra"))

    objects = ActivityQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[partners])

    class Meta:
        verbose_name = _("kegiatan")
        verbose_name_plural = _("kegiatan")
        ordering = ["-year", "province__code", "planned_start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="activity_budget_non_negative"),
            models.CheckConstraint(condition=Q(target_participants__gt=0), name="activity_target_positive"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="activity_planned_order"
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="activity_actual_order",
            ),
            models.CheckConstraint(
                condition=Q(planned_start__year=F("year"), planned_end__year=F("year")),
                name="activity_planned_in_fiscal_year",
            ),
            models.CheckConstraint(
                condition=(Q(actual_start__isnull=True) | Q(actual_start__year=F("year")))
                & (Q(actual_end__isnull=True) | Q(actual_end__year=F("year"))),
                name="activity_actual_in_fiscal_year",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["ditunda", "batal"]) | ~Q(status_reason=""),
                name="activity_reason_when_postponed_or_cancelled",
            ),
            models.CheckConstraint(
                condition=~Q(status="selesai") | Q(actual_start__isnull=False, actual_end__isnull=False),
                name="activity_done_has_actual_dates",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "province", "status"], name="activity_year_province_idx"),
            models.Index(fields=["review_status"], name="activity_review_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        allocation = Allocation.objects.only("province_id", "year").get(pk=self.allocation_id)
        moved = not self._state.adding and (self.province_id, self.year) != (
            allocation.province_id,
            allocation.year,
        )
        self.province_id, self.year = allocation.province_id, allocation.year
        with transaction.atomic():
            super().save(*args, **kwargs)
            if moved:
                for model in (Participation, Output, Handover):
                    model.objects.filter(activity=self).update(province_id=self.province_id, year=self.year)

    def get_absolute_url(self):
        return reverse("programs:activity_detail", args=[self.pk])

    def clean(self):
        errors = {}
        year = self.allocation.year if self.allocation_id else None
        for field in ("planned_start", "planned_end", "actual_start", "actual_end"):
            value = getattr(self, field)
            if value and year and value.year != year:
                errors[field] = _("Tanggal harus di dalam tahun anggaran %(y)s.") % {"y": year}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors.setdefault("planned_end", _("Rencana selesai tidak boleh sebelum rencana mulai."))
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors.setdefault("actual_end", _("Realisasi selesai tidak boleh sebelum realisasi mulai."))
        if (
            self.status in (ActivityStatus.POSTPONED, ActivityStatus.CANCELLED)
            and not self.status_reason.strip()
        ):
            errors["status_reason"] = _("Isi alasan penundaan atau pembatalan (mis. kebijakan PSBB).")
        if self.status == ActivityStatus.DONE:
            if not self.actual_start:
                errors.setdefault("actual_start", _("Kegiatan selesai harus punya tanggal realisasi mulai."))
            if not self.actual_end:
                errors.setdefault("actual_end", _("Kegiatan selesai harus punya tanggal realisasi selesai."))
        if self.allocation_id and self.regency_id:
            try:
                _check_regency_in_province(self.regency, self.allocation.province_id, year, "regency")
            except ValidationError as e:
                errors.update(e.message_dict)
        if errors:
            raise ValidationError(errors)


# --- Participants ------------------------------------------------------------------------------------------


class Participation(Tracked):
    """A firm that took part in an activity (once per activity)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="participations", verbose_name=_("kegiatan")
    )
    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, related_name="participations", verbose_name=_("IKM")
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    note = models.CharField(_("keterangan"), max_length=250, blank=True)

    objects = ActivityPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("IKM peserta")
        verbose_name_plural = _("IKM peserta")
        ordering = ["activity", "firm__name"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "firm"], name="participation_firm_once_per_activity"),
        ]
        indexes = [models.Index(fields=["year", "province"], name="participation_year_prov_idx")]

    def __str__(self):
        return f"{self.firm} — {self.activity}"

    def save(self, *args, **kwargs):
        activity = Activity.objects.only("province_id", "year").get(pk=self.activity_id)
        self.province_id, self.year = activity.province_id, activity.year
        super().save(*args, **kwargs)

    def clean(self):
        if self.activity_id and self.firm_id:
            if self.firm.province_id != self.activity.province_id:
                raise ValidationError({"firm": _("IKM ini terdaftar di provinsi lain.")})
            if (
                Participation.objects.filter(activity_id=self.activity_id, firm_id=self.firm_id)
                .exclude(pk=self.pk)
                .exists()
            ):
                raise ValidationError({"firm": _("IKM ini sudah tercatat sebagai peserta kegiatan ini.")})


class Sex(models.TextChoices):
    MALE = "L", _("Laki-laki")
    FEMALE = "P", _("Perempuan")


class Participant(Tracked):
    """A person in an activity, e.g. a would-be entrepreneur of the penumbuhan wirausaha baru programme."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="participants", verbose_name=_("kegiatan")
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    name = models.CharField(_("nama"), max_length=200)
    # Personal data: stored only when given, shown masked.
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[NIK_VALIDATOR])
    sex = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("telepon"), max_length=20, blank=True, validators=[PHONE_VALIDATOR])
    founded_firm = models.ForeignKey(
        Firm,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="founders",
        verbose_name=_("IKM yang didirikan"),
    )

    objects = ActivityPartQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["nik"])

    class Meta:
        verbose_name = _("peserta perorangan")
        verbose_name_plural = _("peserta perorangan")
        ordering = ["activity", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nik="") | Q(nik__regex=r"^[0-9]{16}$"), name="participant_nik_16_digits"
            ),
            models.UniqueConstraint(
                fields=["activity", "nik"], condition=~Q(nik=""), name="participant_nik_once_per_activity"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="participant_name_required"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        activity = Activity.objects.only("province_id", "year").get(pk=self.activity_id)
        self.province_id, self.year = activity.province_id, activity.year
        super().save(*args, **kwargs)

    @property
    def masked_nik(self):
        """3201********0001: enough to tell people apart, not enough to misuse."""
        return f"{self.nik[:4]}{'*' * 8}{self.nik[-4:]}" if self.nik else ""

    def clean(self):
        if self.nik:
            self.nik = re.sub(r"\s", "", self.nik)
        if (
            self.activity_id
            and self.founded_firm_id
            and self.founded_firm.province_id != self.activity.province_id
        ):
            raise ValidationError({"founded_firm": _("IKM ini terdaftar di provinsi lain.")})


# --- Outputs and handovers -------------------------------------------------------------------------------


class ProductType(models.TextChoices):
    MASK = "masker", _("Masker")
    FACE_SHIELD = "face_shield", _("Face shield")
    HAZMAT = "hazmat", _("Baju hazmat")
    OTHER_PPE = "apd_lain", _("APD lainnya")
    OTHER = "lainnya", _("Produk lainnya")


PPE_TYPES = [ProductType.MASK, ProductType.FACE_SHIELD, ProductType.HAZMAT, ProductType.OTHER_PPE]


class Unit(models.TextChoices):
    BUAH = "buah", _("buah")
    HELAI = "helai", _("helai")
    PCS = "pcs", _("pcs")
    SET = "set", _("set")


class Output(Tracked):
    """What a participating firm produced in an activity."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="outputs", verbose_name=_("IKM peserta")
    )
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outputs", editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    product = models.CharField(_("produk"), max_length=200, help_text=_("Mis. masker kain 2 lapis."))
    product_type = models.CharField(_("jenis produk"), max_length=15, choices=ProductType.choices)
    quantity = models.PositiveIntegerField(_("jumlah diproduksi"), validators=[POSITIVE_QUANTITY])
    unit = models.CharField(_("satuan"), max_length=10, choices=Unit.choices)
    produced_on = models.DateField(_("tanggal produksi"))
    meets_standard = models.BooleanField(_("memenuhi standar"), default=False)
    ordered_quantity = models.PositiveIntegerField(
        _("jumlah pesanan"), null=True, blank=True, validators=[POSITIVE_QUANTITY]
    )
    buyer = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("pemesan"),
    )
    handed_over_total = models.PositiveIntegerField(_("jumlah diserahkan"), default=0, editable=False)

    objects = ActivityPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hasil produksi")
        verbose_name_plural = _("hasil produksi")
        ordering = ["activity", "produced_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="output_quantity_positive"),
            models.CheckConstraint(
                condition=Q(ordered_quantity__isnull=True) | Q(ordered_quantity__gt=0),
                name="output_ordered_positive",
            ),
            models.CheckConstraint(
                condition=Q(ordered_quantity__isnull=True, buyer__isnull=True)
                | Q(ordered_quantity__isnull=False, buyer__isnull=False),
                name="output_order_has_buyer_and_quantity",
            ),
            models.CheckConstraint(
                condition=Q(handed_over_total__lte=F("quantity")), name="output_handed_over_within_produced"
            ),
        ]
        indexes = [models.Index(fields=["year", "province", "product_type"], name="output_year_prov_idx")]

    def __str__(self):
        return f"{self.product}: {self.quantity} {self.unit}"

    def save(self, *args, **kwargs):
        participation = Participation.objects.only("activity_id", "province_id", "year").get(
            pk=self.participation_id
        )
        self.activity_id = participation.activity_id
        self.province_id, self.year = participation.province_id, participation.year
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if (self.ordered_quantity is None) != (self.buyer_id is None):
            field = "buyer" if self.buyer_id is None else "ordered_quantity"
            errors[field] = _("Pesanan harus mencantumkan jumlah pesanan dan pemesannya.")
        if self.pk and self.quantity is not None and self.quantity < self.handed_over_total:
            errors["quantity"] = _(
                "Jumlah diproduksi tidak boleh kurang dari yang sudah diserahkan (%(n)s)."
            ) % {"n": self.handed_over_total}
        if (
            self.participation_id
            and self.buyer_id
            and self.buyer.province_id != self.participation.province_id
        ):
            errors["buyer"] = _("Pemesan harus mitra di provinsi kegiatan ini.")
        if errors:
            raise ValidationError(errors)

    @property
    def remaining(self):
        return self.quantity - self.handed_over_total


class RecipientType(models.TextChoices):
    TASK_FORCE_PROVINCE = "gugus_tugas_provinsi", _("Gugus Tugas Covid-19 provinsi")
    TASK_FORCE_REGENCY = "gugus_tugas_kabkota", _("Gugus Tugas Covid-19 kabupaten/kota")
    HEALTH_FACILITY = "faskes", _("Fasilitas kesehatan")
    PUBLIC = "masyarakat", _("Masyarakat umum")
    OTHER = "lainnya", _("Lainnya")


class Handover(Tracked):
    """Penyerahan: part or all of an output given to a recipient, with its BAST number."""

    output = models.ForeignKey(
        Output, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("hasil produksi")
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="handovers", editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    recipient_type = models.CharField(_("jenis penerima"), max_length=25, choices=RecipientType.choices)
    recipient = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handovers_received",
        verbose_name=_("penerima (mitra)"),
    )
    recipient_name = models.CharField(
        _("nama penerima"), max_length=200, blank=True, help_text=_("Bila penerima bukan mitra terdaftar.")
    )
    handed_on = models.DateField(_("tanggal penyerahan"))
    quantity = models.PositiveIntegerField(_("jumlah diserahkan"), validators=[POSITIVE_QUANTITY])
    bast_number = models.CharField(_("nomor BAST"), max_length=100)

    objects = ActivityPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("penyerahan")
        verbose_name_plural = _("penyerahan")
        ordering = ["output", "handed_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="handover_quantity_positive"),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(recipient_name=""), name="handover_recipient_named"
            ),
            models.CheckConstraint(condition=~Q(bast_number=""), name="handover_bast_required"),
        ]
        indexes = [models.Index(fields=["year", "province", "recipient_type"], name="handover_year_prov_idx")]

    def __str__(self):
        return _("%(n)s %(u)s kepada %(r)s") % {
            "n": self.quantity,
            "u": self.output.unit if self.output_id else "",
            "r": self.recipient or self.recipient_name,
        }

    def save(self, *args, **kwargs):
        output = Output.objects.only("activity_id", "province_id", "year").get(pk=self.output_id)
        self.activity_id, self.province_id, self.year = output.activity_id, output.province_id, output.year
        with transaction.atomic():
            old_output, old_quantity = self._stored()
            super().save(*args, **kwargs)
            if old_output:
                Output.objects.filter(pk=old_output).update(
                    handed_over_total=F("handed_over_total") - old_quantity
                )
            Output.objects.filter(pk=self.output_id).update(
                handed_over_total=F("handed_over_total") + self.quantity
            )

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            output, quantity = self._stored()
            result = super().delete(*args, **kwargs)
            Output.objects.filter(pk=output).update(handed_over_total=F("handed_over_total") - quantity)
        return result

    def _stored(self):
        """(output id, quantity) as stored now, or (None, 0) for a new row."""
        if self.pk is None:
            return None, 0
        return Handover.objects.filter(pk=self.pk).values_list("output_id", "quantity").first() or (None, 0)

    def clean(self):
        errors = {}
        if not self.recipient_id and not self.recipient_name.strip():
            errors["recipient_name"] = _("Sebutkan penerima: pilih mitra atau tulis nama penerima.")
        if self.output_id and self.quantity:
            others = (
                Handover.objects.filter(output_id=self.output_id)
                .exclude(pk=self.pk)
                .aggregate(s=Sum("quantity"))["s"]
                or 0
            )
            if others + self.quantity > self.output.quantity:
                errors["quantity"] = _(
                    "Jumlah diserahkan (%(total)s) melebihi jumlah diproduksi (%(made)s)."
                ) % {"total": others + self.quantity, "made": self.output.quantity}
        if self.output_id and self.recipient_id and self.recipient.province_id != self.output.province_id:
            errors["recipient"] = _("Penerima harus mitra di provinsi kegiatan ini.")
        if errors:
            raise ValidationError(errors)


# --- Workflow events -------------------------------------------------------------------------------------


class ReviewAction(models.TextChoices):
    SUBMIT = "ajukan", _("Diajukan untuk verifikasi")
    VERIFY = "verifikasi", _("Diverifikasi")
    RETURN = "kembalikan", _("Dikembalikan dengan catatan")
    REOPEN = "buka_kembali", _("Dibuka kembali")


class ReviewEvent(models.Model):
    """One workflow transition of an activity or a month's realisation: who, when, from what, why."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("provinsi")
    )
    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    action = models.CharField(_("tindakan"), max_length=15, choices=ReviewAction.choices)
    from_status = models.CharField(_("status semula"), max_length=15, choices=ReviewStatus.choices)
    to_status = models.CharField(_("status baru"), max_length=15, choices=ReviewStatus.choices)
    note = models.TextField(_("catatan"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_events",
        verbose_name=_("oleh"),
    )
    at = models.DateTimeField(_("waktu"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("riwayat verifikasi")
        verbose_name_plural = _("riwayat verifikasi")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=["kembalikan", "buka_kembali"]) | ~Q(note=""),
                name="review_event_note_when_returned_or_reopened",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="review_event_target_idx")]

    def __str__(self):
        return f"{self.get_action_display()} — {self.actor} ({self.at:%d/%m/%Y %H:%M})"
