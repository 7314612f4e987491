"""The programme's data: allocations and their money, activities, firms, participants, outputs, handovers.

Rules are checked twice: in `clean()` with a message in Bahasa Indonesia for the person at the form, and
by a named database constraint for every other path (admin, commands, bulk writes, raw `objects.create`).

Derived values — copies of a parent's province, year, activity or product type, and the running totals
`Allocation.realised_total` (never above `current_pagu`) and `Output.handed_over_total` (never above the
quantity produced), which let a cross-row rule be a CHECK constraint — are kept by database triggers in the
writing transaction, whatever path writes (`programs/derived.py` has the table of them). `save()` only sets
an instance's copies so that the object in memory is right before the database confirms them.
"""

import datetime
import functools
import operator
import re
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Min, ProtectedError, Q, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from provinces.models import Province, Regency

from . import derived, evidence, workflow
from .access import KindField, NationalQuerySet, ReferenceQuerySet, ScopedQuerySet
from .numbers import absorption_pct, grouped, rupiah  # noqa: F401 - models.rupiah: the admin and messages
from .workflow import Flow, ReviewAction, ReviewStatus

# Whole Rupiah, at most 15 digits (Rp 999 triliun, far above any allocation): SQLite, the quick start's
# database, reads decimals back through 15 significant digits, so every stored amount stays exact there too.
MONEY = {"max_digits": 15, "decimal_places": 0}
YEAR_VALIDATORS = [
    MinValueValidator(2000, _("Tahun anggaran paling awal 2000.")),
    MaxValueValidator(2100, _("Tahun anggaran paling akhir 2100.")),
]
MONTH_VALIDATORS = [
    MinValueValidator(1, _("Bulan harus 1 sampai 12.")),
    MaxValueValidator(12, _("Bulan harus 1 sampai 12.")),
]
NIB_PATTERN = re.compile(r"[0-9]{13}")
NIK_PATTERN = re.compile(r"[0-9]{16}")
NIB_VALIDATOR = RegexValidator(r"^[0-9]{13}$", _("NIB harus 13 digit angka."))
NIK_VALIDATOR = RegexValidator(r"^[0-9]{16}$", _("NIK harus 16 digit angka."))
KBLI_VALIDATOR = RegexValidator(r"^[0-9]{5}$", _("Kode KBLI harus 5 digit angka."))
PHONE_VALIDATOR = RegexValidator(
    r"^\+?[0-9][0-9 \-]{5,18}$",
    _("Nomor telepon hanya berisi angka, spasi atau tanda hubung, mis. 0812-3456-7890."),
)
NON_NEGATIVE_MONEY = MinValueValidator(Decimal(0), _("Jumlah uang tidak boleh negatif."))
#: An activity's budget, on the model field and the form's Rupiah field alike.
BUDGET_HELP = _(
    "Anggaran kegiatan ini dari pagu alokasi, dalam Rupiah tanpa sen (mis. 150.000.000); "
    "realisasi belanja dicatat per bulan pada alokasi."
)
POSITIVE_QUANTITY = MinValueValidator(1, _("Jumlah harus bilangan bulat positif (minimal 1)."))


def _related(instance, name):
    """The related object, or None when it is not set or does not exist (clean_fields reports that)."""
    try:
        related = getattr(instance, name)
    except ObjectDoesNotExist:
        return None
    # An unsaved parent (e.g. in an admin inline on an add page) has nothing to check against yet.
    return related if related is None or related.pk is not None else None


def _is_number(value):
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _is_date(value):
    return isinstance(value, datetime.date)


def _as_stored(model, pk, *fields):
    """A row's values as stored now (not as a possibly stale instance holds them), or None for a new row."""
    if pk is None:
        return None
    row = model._base_manager.filter(pk=pk).values_list(*fields).first()
    return row[0] if row and len(fields) == 1 else row


def _handed_over_package(instance, allocation_id, kind, period):
    """The refusal of a record (a month's realisation or achievement, a quarter's note) added to, or moved
    into, a period whose package was handed over, or None. As the database's rule
    `*_in_a_handed_over_package` (programs/plan_rules.py): a record in the package's own state (the
    package's own records, seed data) is let in."""
    if allocation_id is None or not _is_number(period):
        return None
    package = (
        ReportPackage.objects.filter(allocation_id=allocation_id, kind=kind, period=period)
        .exclude(review_status__in=workflow.editable_states())
        .select_related("allocation")
        .first()
    )
    if package is None or package.review_status == instance.review_status:
        return None
    from .packages import label_of

    return _(
        "%(p)s sudah diajukan (%(state)s); datanya tidak dapat ditambah lagi kecuali paket itu dikembalikan."
    ) % {"p": label_of(package), "state": package.get_review_status_display()}


class Sector(models.TextChoices):
    SANDANG = "sandang", _("Sandang (garmen/tekstil)")
    PANGAN = "pangan", _("Pangan")
    KERAJINAN = "kerajinan", _("Kerajinan")
    LOGAM = "logam", _("Logam dan mesin")
    KIMIA = "kimia", _("Kimia dan bahan bangunan")
    ELEKTRONIKA = "elektronika", _("Elektronika")
    LAINNYA = "lainnya", _("Lainnya")


class Reviewable(models.Model):
    """Draft → submitted → verified, or returned with a note: the states and transitions are the table of
    programs/workflow.py, performed by services.transition."""

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

    @property
    def pending_note(self):
        """The reviewer's note while the record is back in the province's hands (returned, reopened)."""
        state = workflow.STATES.get(self.review_status)
        return self.review_note if state is not None and state.editable else ""


class Tracked(models.Model):
    """Created/updated stamps and a version number that refuses a stale save (optimistic locking)."""

    version = models.PositiveIntegerField(_("versi"), default=1, editable=False)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah pada"), auto_now=True)

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        # The rules are said by clean() beside their fields; a constraint found broken here all the same
        # (a form that does not check that rule) says so in words, never by the constraint's name.
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as e:
            names = [c.name for c in self._meta.constraints]
            plain = _("Isian ini bertentangan dengan aturan data program; periksa kembali isiannya.")
            raise ValidationError(
                {
                    field: [plain if any(n in str(m) for n in names) else m for m in messages]
                    for field, messages in e.message_dict.items()
                }
            ) from e


class CopiesFromParent(models.Model):
    """A row that carries copies of its parent's values (`derived.COPIES`, kept by the database's triggers).

    `save()` sets them on the instance too: SQLite needs a value in each NOT NULL column before its triggers
    run, and the object in memory should hold what the database will.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        copied = self.copy_from_parent()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *copied}
        super().save(*args, **kwargs)

    def copy_from_parent(self):
        """Set this instance's copies from its parent as stored; the names of the fields set."""
        fk, _table, columns = derived.COPIES[self._meta.db_table]
        parent_model = self._meta.get_field(fk.removesuffix("_id")).related_model
        values = parent_model._base_manager.filter(pk=getattr(self, fk)).values(*columns.values()).first()
        if values is None:
            return set()
        for column, source in columns.items():
            setattr(self, column, values[source])
        return {column.removesuffix("_id") for column in columns}


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

    objects = ReferenceQuerySet.as_manager()
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

    def clean(self):
        if self.closed_at is not None and self.closed_by_id is None:
            raise ValidationError(
                {"closed_by": _("Tahun anggaran yang ditutup harus mencatat siapa yang menutupnya.")}
            )
        if self.closed_at is None and self.closed_by_id is not None:
            raise ValidationError({"closed_at": _("Isi waktu penutupan, atau kosongkan siapa yang menutup.")})

    @property
    def is_closed(self):
        return self.closed_at is not None


# Where each model's province, fiscal year and workflow state are: programs/access.py decides from these who
# sees and who may change a row.


class AllocationQuerySet(ScopedQuerySet):
    year_lookup = "year"
    set_by_ministry = True  # the DIPA: provinces read it, only admins change it


class RevisionQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"
    year_lookup = "allocation__year"
    set_by_ministry = True

    def delete(self):
        # A bulk delete (e.g. the admin's "delete selected") skips Model.delete(): the same check here.
        with transaction.atomic():
            revisions = list(self.values_list("allocation_id", "pk"))
            for allocation in Allocation.objects.select_for_update().filter(
                pk__in={a for a, _r in revisions}
            ):
                allocation.check_revisions_deletable([r for a, r in revisions if a == allocation.pk])
            return super().delete()

    delete.alters_data = True
    delete.queryset_only = True  # never `BudgetRevision.objects.delete()`


class RealisationQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"
    year_lookup = "allocation__year"
    review_lookup = "review_status"
    period_lookups = ("bulanan", "allocation__province", "allocation__year", "month")


class ActivityQuerySet(ScopedQuerySet):
    year_lookup = "year"
    review_lookup = "review_status"
    regency_lookup = "regency"
    regency_entry = True


class ActivityPartQuerySet(ScopedQuerySet):
    """Participations, participants, outputs, handovers and evidence follow their activity's workflow."""

    year_lookup = "year"
    review_lookup = "activity__review_status"
    regency_lookup = "activity__regency"
    regency_entry = True


class RegistryQuerySet(ScopedQuerySet):
    """Firms and partners: the province's registries, read and added to by all its operators (a regency
    operator changes those of their regency)."""

    regency_entry = True
    regency_change_lookup = "regency"


class ReviewEventQuerySet(ScopedQuerySet):
    """The workflow's log: written by the services only, so no province may change it."""

    set_by_ministry = True


# --- Money -----------------------------------------------------------------------------------------------


class FundType(models.TextChoices):
    DK = "DK", _("Dekonsentrasi")
    TP = "TP", _("Tugas pembantuan")


# From fiscal year 2024 Ditjen IKMA's regional programme runs as tugas pembantuan in every province.
TP_FROM_YEAR = 2024


def fund_type_for(year):
    """The regime of a fiscal year: an allocation's default fund type."""
    return FundType.TP if year >= TP_FROM_YEAR else FundType.DK


class Allocation(Tracked):
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("provinsi")
    )
    year = models.PositiveSmallIntegerField(_("tahun anggaran"), validators=YEAR_VALIDATORS)
    pagu = models.DecimalField(
        _("pagu awal (Rp)"),
        validators=[NON_NEGATIVE_MONEY],
        help_text=_("Pagu menurut DIPA awal; revisi dicatat terpisah sebagai revisi anggaran."),
        **MONEY,
    )
    current_pagu = models.DecimalField(_("pagu terkini (Rp)"), editable=False, **MONEY)
    realised_total = models.DecimalField(_("realisasi kumulatif (Rp)"), default=0, editable=False, **MONEY)
    dipa_number = models.CharField(_("nomor DIPA"), max_length=100)
    dipa_date = models.DateField(_("tanggal DIPA"))
    fund_type = models.CharField(
        _("jenis dana"),
        max_length=2,
        choices=FundType.choices,
        blank=True,
        default="",  # save() takes the year's regime (fund_type_for) when none is given
        help_text=_(
            "Dekonsentrasi (DK): dana dilimpahkan ke gubernur untuk urusan kementerian; "
            "tugas pembantuan (TP): tugas yang ditugaskan ke daerah. "
            "DK sampai 2023; TP mulai tahun anggaran 2024."
        ),
    )

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
                condition=Q(realised_total__lte=F("current_pagu")), name="allocation_realised_within_pagu"
            ),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="allocation_year_range"),
            models.CheckConstraint(
                condition=Q(fund_type__in=FundType.values), name="allocation_fund_type_known"
            ),
        ]

    def __str__(self):
        return f"{self.province} {self.year}"

    def save(self, *args, **kwargs):
        # The running totals belong to the revisions and realisations (derived.py): the database keeps them
        # whatever this instance holds; it is given them back as stored.
        if self._state.adding:
            self.current_pagu, self.realised_total = self.pagu, 0
        if not self.fund_type and _is_number(self.year):
            self.fund_type = fund_type_for(self.year)
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.refresh_totals()

    def get_absolute_url(self):
        return reverse("programs:allocation_detail", args=[self.pk])

    def clean(self):
        errors = {}
        province = _related(self, "province")
        year = self.year if _is_number(self.year) else None
        if not self.fund_type and year:
            self.fund_type = fund_type_for(year)
        if province and year and province.established_year > year:
            errors["province"] = _("Provinsi %(p)s belum terbentuk pada tahun %(y)s.") % {
                "p": province,
                "y": year,
            }
        elif (
            province
            and year
            and Allocation.objects.filter(province=province, year=year).exclude(pk=self.pk).exists()
        ):
            # Said here, on the field, rather than as the unique constraint's general message.
            errors["year"] = _("Provinsi %(p)s sudah punya alokasi tahun anggaran %(y)s.") % {
                "p": province,
                "y": year,
            }
        if not self._state.adding:
            stored = _as_stored(Allocation, self.pk, "province_id", "year", "realised_total")
            moved = stored and stored[:2] != (self.province_id, self.year)
            if moved and (self.activities.exists() or self.realisations.exists()):
                errors["year"] = _("Provinsi dan tahun alokasi yang sudah berisi data tidak dapat diubah.")
            realised = stored[2] if stored else 0
            if _is_number(self.pagu) and not self.revisions.exists() and self.pagu < realised:
                errors["pagu"] = _("Pagu %(p)s lebih kecil dari realisasi yang sudah dicatat %(r)s.") % {
                    "p": rupiah(self.pagu),
                    "r": rupiah(realised),
                }
        if errors:
            raise ValidationError(errors)

    def refresh_totals(self):
        self.current_pagu, self.realised_total = Allocation._base_manager.filter(pk=self.pk).values_list(
            "current_pagu", "realised_total"
        )[0]

    @property
    def has_plan(self):
        """Whether the DIPA's outputs (RO) are entered: then every activity and realisation names its RO."""
        return self.plan_items.filter(level="ro").exists()

    @property
    def absorption(self):
        """Penyerapan: cumulative realised / current pagu, as a percentage (None when the pagu is zero)."""
        return absorption_pct(self.realised_total, self.current_pagu)

    def check_revisions_deletable(self, revision_ids):
        """Before revisions are deleted (the allocation locked by the caller): the pagu goes back to the one
        in force before them, so the deletion is refused with a message when that falls under what is
        realised."""
        latest = self.revisions.exclude(pk__in=revision_ids).order_by("-revised_on", "-pk").first()
        pagu = latest.new_pagu if latest else _as_stored(Allocation, self.pk, "pagu")
        realised = _as_stored(Allocation, self.pk, "realised_total")
        if pagu < realised:
            raise ValidationError(
                _(
                    "Revisi tidak dapat dihapus: pagu terkini akan menjadi %(new)s, lebih kecil dari "
                    "realisasi yang tercatat %(real)s."
                )
                % {"new": rupiah(pagu), "real": rupiah(realised)}
            )


class BudgetRevision(Tracked):
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("alokasi")
    )
    revised_on = models.DateField(_("tanggal revisi"))
    previous_pagu = models.DecimalField(_("pagu sebelum revisi (Rp)"), editable=False, **MONEY)
    new_pagu = models.DecimalField(_("pagu baru (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)
    reason = models.TextField(_("alasan revisi"))
    document_number = models.CharField(_("nomor dokumen revisi"), max_length=100, blank=True)
    revision_code = models.CharField(
        _("kode revisi"),
        max_length=20,
        blank=True,
        help_text=_("Kode jenis revisi DIPA, mis. revisi ke-01; hanya sebagian kode dihitung dalam IKPA."),
    )

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
            allocation = Allocation.objects.select_for_update().get(pk=self.allocation_id)
            if self._state.adding:
                # The old amount is the pagu in force on the revision's date, also for one entered late.
                earlier = (
                    allocation.revisions.filter(revised_on__lte=self.revised_on)
                    .order_by("-revised_on", "-pk")
                    .first()
                )
                self.previous_pagu = earlier.new_pagu if earlier else allocation.pagu
            super().save(*args, **kwargs)  # the database sets the allocation's current pagu (derived.py)
            self.allocation.refresh_totals()

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            allocation = Allocation.objects.select_for_update().get(pk=self.allocation_id)  # one at a time
            allocation.check_revisions_deletable([self.pk])
            return super().delete(*args, **kwargs)

    def clean(self):
        errors = {}
        allocation = _related(self, "allocation")
        if allocation is None:
            return
        if _is_date(self.revised_on) and self.revised_on.year != allocation.year:
            errors["revised_on"] = _("Tanggal revisi harus di dalam tahun anggaran %(y)s.") % {
                "y": allocation.year
            }
        stored_allocation = _as_stored(BudgetRevision, self.pk, "allocation_id")
        if stored_allocation and stored_allocation != allocation.pk:
            errors["allocation"] = _(
                "Revisi tidak dapat dipindah ke alokasi lain; hapus, lalu catat di alokasi yang benar."
            )
        elif _is_number(self.new_pagu) and self.new_pagu >= 0 and _is_date(self.revised_on):
            # The current pagu will follow the latest revision (by date, then entry): it may not fall under
            # what is already realised. A revision dated before a later one does not change it.
            latest = allocation.revisions.exclude(pk=self.pk).order_by("-revised_on", "-pk").first()
            mine = (self.revised_on, self.pk if self.pk is not None else float("inf"))
            becomes_latest = latest is None or mine > (latest.revised_on, latest.pk)
            current = self.new_pagu if becomes_latest else latest.new_pagu
            realised = _as_stored(Allocation, allocation.pk, "realised_total")
            if current < realised:
                field = "new_pagu" if becomes_latest else "revised_on"
                errors[field] = _(
                    "Pagu terkini akan menjadi %(new)s, lebih kecil dari realisasi yang tercatat %(real)s."
                ) % {"new": rupiah(current), "real": rupiah(realised)}
        if errors:
            raise ValidationError(errors)


class Realisation(Reviewable, Tracked):
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="realisations", verbose_name=_("alokasi")
    )
    month = models.PositiveSmallIntegerField(
        _("bulan"),
        validators=MONTH_VALIDATORS,
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

    def clean(self):
        errors = {}
        allocation = _related(self, "allocation")
        if allocation is None:
            return
        others = Realisation.objects.filter(allocation=allocation).exclude(pk=self.pk)
        if _is_number(self.month) and others.filter(month=self.month).exists():
            errors["month"] = _(
                "Realisasi bulan %(m)s sudah dicatat untuk alokasi ini; ubah data bulan itu."
            ) % {"m": self.month}
        elif locked := _handed_over_package(self, allocation.pk, PackageKind.MONTHLY, self.month):
            errors["month"] = locked
        if _is_number(self.amount):
            total = (others.aggregate(s=Sum("amount"))["s"] or 0) + self.amount
            current_pagu = _as_stored(Allocation, allocation.pk, "current_pagu")
            if total > current_pagu:
                errors["amount"] = _("Realisasi kumulatif %(total)s melebihi pagu terkini %(pagu)s.") % {
                    "total": rupiah(total),
                    "pagu": rupiah(current_pagu),
                }
        if errors:
            raise ValidationError(errors)


# --- Records a locked activity names ---------------------------------------------------------------------


class LockedByActivities(ProtectedError):
    """Refused: submitted or verified activities (or those of a closed year) name this record."""


class NamedByLockedActivity(models.Model):
    """A partner or firm that submitted or verified activities (or those of a closed year) name.

    Deleting it would silently drop it from what the ministry verified (an activity's partners, the firm a
    participant founded), with no history row on the activity: refused, by `delete()` (which the admin's
    bulk delete goes through too: ScopedAdminMixin.delete_queryset in programs/admin.py) and named on the
    pages.
    """

    #: The message when refused; `%(activities)s` lists the titles.
    locked_message = None

    class Meta:
        abstract = True

    def activities_naming_it(self):
        raise NotImplementedError

    def locked_activities(self):
        """The activities naming this record that the workflow or a closed year locks."""
        naming = self.activities_naming_it()
        return naming.exclude(pk__in=Activity.objects.unlocked().values("pk")).distinct()

    def delete_refusal(self):
        """The Indonesian message saying why this record may not be deleted now, or None."""
        titles = list(self.locked_activities().order_by("title").values_list("title", flat=True)[:6])
        if not titles:
            return None
        listed = "; ".join(titles[:5]) + ("; …" if len(titles) > 5 else "")
        return self.locked_message % {"activities": listed}

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            # The activities naming it are locked first: one submitted meanwhile waits for this delete (or
            # this delete sees it submitted), never loses the record silently in between.
            naming = Activity._base_manager.filter(pk__in=self.activities_naming_it().values("pk"))
            list(naming.select_for_update().order_by("pk").values("pk"))
            message = self.delete_refusal()
            if message:
                raise LockedByActivities(str(message), set(self.locked_activities()))
            return super().delete(*args, **kwargs)


# --- Partners and firms ------------------------------------------------------------------------------------


class PartnerKind(models.TextChoices):
    DINAS_KABKOTA = "dinas_kabkota", _("Dinas perindustrian kabupaten/kota")
    DINAS_PROVINSI = "dinas_provinsi", _("Dinas perindustrian provinsi")
    GUGUS_TUGAS = "gugus_tugas", _("Gugus Tugas Percepatan Penanganan Covid-19")
    FASKES = "faskes", _("Fasilitas kesehatan")
    LAINNYA = "lainnya", _("Instansi lain")


class Partner(NamedByLockedActivity, Tracked):
    """A named institution an activity works with, a buyer or a recipient; reusable across activities."""

    locked_message = _(
        "Mitra ini tidak dapat dihapus karena disebut oleh kegiatan yang sudah diajukan, sudah diverifikasi, "
        "atau tahun anggarannya ditutup: %(activities)s."
    )

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

    objects = RegistryQuerySet.as_manager()
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

    def activities_naming_it(self):
        return Activity.objects.filter(
            Q(partners=self) | Q(outputs__buyer=self) | Q(handovers__recipient=self)
        )

    def clean(self):
        errors = {}
        province = _related(self, "province")
        if province is None:
            return
        message = _regency_outside(_related(self, "regency"), province, year=None)
        if message:
            errors["regency"] = message
        name = self.name.strip() if isinstance(self.name, str) else ""
        if name and Partner.objects.filter(province=province, name=name).exclude(pk=self.pk).exists():
            errors["name"] = _("Mitra dengan nama ini sudah ada di provinsi ini.")
        if errors:
            raise ValidationError(errors)


def _regency_outside(regency, province, year):
    """The message when a regency is not of the province in that year (or, with no year, now or before the
    2022 split); None when it is, or when either is missing."""
    if regency is None or province is None:
        return None
    if year is not None:
        ok = regency.province_in(year) == province
    else:
        ok = province.pk in (regency.province_id, regency.former_province_id)
    return None if ok else _("%(r)s tidak berada di provinsi ini.") % {"r": regency}


class FirmScale(models.TextChoices):
    MIKRO = "mikro", _("Mikro")
    KECIL = "kecil", _("Kecil")
    MENENGAH = "menengah", _("Menengah")


class Firm(NamedByLockedActivity, Tracked):
    """An IKM (small or medium industrial firm)."""

    locked_message = _(
        "IKM ini tidak dapat dihapus karena tercatat pada kegiatan yang sudah diajukan, sudah diverifikasi, "
        "atau tahun anggarannya ditutup: %(activities)s."
    )

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

    objects = RegistryQuerySet.as_manager()
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
        indexes = [
            # The list's default order within a province (programs/views/registry.py) and its orderings
            # (programs/forms/filters.py), each ending in the id that breaks its ties: a deep page's ids
            # come from the index alone (programs/views/common.py).
            models.Index(fields=["name", "id"], name="firm_list_name_idx"),
            models.Index(fields=["nib", "id"], name="firm_list_nib_idx"),
            models.Index(fields=["workers", "id"], name="firm_list_workers_idx"),
            models.Index(fields=["province", "id"], name="firm_list_province_idx"),
            models.Index(fields=["province", "name", "id"], name="firm_list_default_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.nib})" if self.nib else self.name

    def get_absolute_url(self):
        return reverse("programs:firm_detail", args=[self.pk])

    def activities_naming_it(self):
        return Activity.objects.filter(Q(participations__firm=self) | Q(participants__founded_firm=self))

    def clean_fields(self, exclude=None):
        # Before the validators: a NIB copied from OSS may come with spaces.
        if isinstance(self.nib, str):
            self.nib = re.sub(r"\s", "", self.nib)
        super().clean_fields(exclude=exclude)

    def clean(self):
        errors = {}
        message = _regency_outside(_related(self, "regency"), _related(self, "province"), year=None)
        if message:
            errors["regency"] = message
        if (
            isinstance(self.nib, str)
            and NIB_PATTERN.fullmatch(self.nib)
            and Firm.objects.filter(nib=self.nib).exclude(pk=self.pk).exists()
        ):
            # Across every province (the NIB is national), without saying which firm holds it.
            errors["nib"] = _("NIB ini sudah terdaftar untuk IKM lain.")
        if errors:
            raise ValidationError(errors)


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


class Activity(CopiesFromParent, Reviewable, Tracked):
    workflow_flow = Flow.ACTIVITY

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="activities", verbose_name=_("alokasi")
    )
    # Copies of the allocation's (derived.py): every scoped query and report filters on these.
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="activities",
        editable=False,
        verbose_name=_("provinsi"),
    )
    year = models.PositiveSmallIntegerField(_("tahun anggaran"), editable=False)
    title = models.CharField(_("judul kegiatan"), max_length=250)
    description = models.TextField(
        _("uraian"), blank=True, help_text=_("Mis. materi, protokol kesehatan, mitra.")
    )
    kind = models.CharField(
        _("jenis kegiatan"),
        max_length=20,
        choices=ActivityKind.choices,
        help_text=_(
            "Bimtek: pelatihan teknis; pendampingan: bimbingan di tempat usaha; penumbuhan wirausaha baru: "
            "mencetak wirausaha industri baru; fasilitasi: bantuan sertifikasi, mesin/peralatan atau pasar."
        ),
    )
    purpose = models.CharField(
        _("tujuan"),
        max_length=20,
        choices=ActivityPurpose.choices,
        help_text=_(
            "Penumbuhan: menumbuhkan IKM atau wirausaha baru; pengembangan: meningkatkan IKM yang sudah ada; "
            "penyebaran: menyebarkan industri ke daerah yang belum banyak IKM-nya."
        ),
    )
    sector = models.CharField(
        _("sektor"),
        max_length=20,
        choices=Sector.choices,
        help_text=_("Sektor IKM sasaran; IKM baru yang didaftarkan di kegiatan ini memakai sektor ini."),
    )
    covid_response = models.BooleanField(
        _("penanganan dampak Covid-19"),
        default=False,
        help_text=_("Centang bila kegiatan untuk IKM terdampak Covid-19 (masuk laporan Covid-19)."),
    )
    regency = models.ForeignKey(
        Regency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("kabupaten/kota"),
    )
    mode = models.CharField(
        _("metode pelaksanaan"),
        max_length=10,
        choices=DeliveryMode.choices,
        help_text=_(
            "Daring: secara online; luring: tatap muka; kombinasi: sebagian daring, sebagian luring."
        ),
    )
    planned_start = models.DateField(_("rencana mulai"))
    planned_end = models.DateField(_("rencana selesai"))
    actual_start = models.DateField(
        _("realisasi mulai"),
        null=True,
        blank=True,
        help_text=_("Tanggal kegiatan benar-benar dimulai; wajib bila status selesai."),
    )
    actual_end = models.DateField(
        _("realisasi selesai"),
        null=True,
        blank=True,
        help_text=_("Tanggal kegiatan benar-benar selesai; wajib bila status selesai."),
    )
    status = models.CharField(
        _("status pelaksanaan"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    status_reason = models.CharField(
        _("alasan penundaan/pembatalan"), max_length=250, blank=True, help_text=_("Mis. kebijakan PSBB.")
    )
    budget = models.DecimalField(
        _("anggaran kegiatan (Rp)"),
        validators=[NON_NEGATIVE_MONEY],
        help_text=BUDGET_HELP,
        **MONEY,
    )
    target_participants = models.PositiveIntegerField(
        _("target peserta"),
        validators=[POSITIVE_QUANTITY],
        help_text=_(
            "Jumlah orang yang direncanakan ikut (bukan jumlah IKM); "
            "IKM yang ikut dicatat sebagai IKM peserta."
        ),
    )
    actual_participants = models.PositiveIntegerField(
        _("realisasi peserta"),
        null=True,
        blank=True,
        help_text=_("Jumlah orang yang benar-benar hadir (bukan jumlah IKM); isi setelah kegiatan berjalan."),
    )
    partners = models.ManyToManyField(Partner, blank=True, related_name="activities", verbose_name=_("mitra"))
    planned_output = models.ForeignKey(
        "PlanItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        limit_choices_to={"level": "ro"},
        verbose_name=_("RO"),
        help_text=_(
            "RO (rincian output) DIPA yang dicapai kegiatan ini, mis. 5807.QEA.001 IKM yang difasilitasi; "
            "wajib bila tahunnya punya rencana."
        ),
    )

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
            # Covering (PostgreSQL): the recap's activity figures of a year come from the index alone.
            models.Index(
                fields=["year", "province", "status"],
                include=["budget", "target_participants", "actual_participants"],
                name="activity_year_prov_cover_idx",
            ),
            models.Index(fields=["review_status"], name="activity_review_idx"),
            # The list of a year in each of its orderings (programs/forms/filters.py), each ending in the id
            # that breaks its ties: a deep page's ids come from the index alone, and the rows per province
            # (the exact count of the default order) from the first (programs/views/common.py).
            models.Index(
                fields=["year", "province", "planned_start", "id"], name="activity_list_default_idx"
            ),
            models.Index(fields=["year", "planned_start", "id"], name="activity_list_start_idx"),
            models.Index(fields=["year", "title", "id"], name="activity_list_title_idx"),
            models.Index(fields=["year", "budget", "id"], name="activity_list_budget_idx"),
            models.Index(fields=["year", "status", "id"], name="activity_list_status_idx"),
            models.Index(fields=["year", "review_status", "id"], name="activity_list_review_idx"),
            models.Index(fields=["year", "target_participants", "id"], name="activity_list_target_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("programs:activity_detail", args=[self.pk])

    def clean(self):
        errors = {}
        allocation = _related(self, "allocation")
        year = allocation.year if allocation else None
        dates = {}
        for field in ("planned_start", "planned_end", "actual_start", "actual_end"):
            value = getattr(self, field)
            dates[field] = value if _is_date(value) else None
            if dates[field] and year and dates[field].year != year:
                errors[field] = _("Tanggal harus di dalam tahun anggaran %(y)s.") % {"y": year}
        if dates["planned_start"] and dates["planned_end"] and dates["planned_end"] < dates["planned_start"]:
            errors.setdefault("planned_end", _("Rencana selesai tidak boleh sebelum rencana mulai."))
        if dates["actual_start"] and dates["actual_end"] and dates["actual_end"] < dates["actual_start"]:
            errors.setdefault("actual_end", _("Realisasi selesai tidak boleh sebelum realisasi mulai."))
        reason = self.status_reason.strip() if isinstance(self.status_reason, str) else ""
        if self.status in (ActivityStatus.POSTPONED, ActivityStatus.CANCELLED) and not reason:
            errors["status_reason"] = _("Isi alasan penundaan atau pembatalan (mis. kebijakan PSBB).")
        if self.status == ActivityStatus.DONE:
            if self.actual_start is None:
                errors.setdefault("actual_start", _("Kegiatan selesai harus punya tanggal realisasi mulai."))
            if self.actual_end is None:
                errors.setdefault("actual_end", _("Kegiatan selesai harus punya tanggal realisasi selesai."))
        if allocation:
            message = _regency_outside(_related(self, "regency"), allocation.province, year)
            if message:
                errors["regency"] = message
            planned_output = _related(self, "planned_output")
            if planned_output is not None and (
                planned_output.allocation_id != allocation.pk or planned_output.level != "ro"
            ):
                errors["planned_output"] = _(
                    "RO ini dari rencana alokasi lain; pilih RO dari rencana kegiatan ini."
                )
            elif self.planned_output_id is None and allocation.has_plan:
                errors["planned_output"] = _("Pilih RO (rincian output) dari rencana tahun ini.")
            stored = _as_stored(Activity, self.pk, "province_id", "year")
            if (
                stored
                and stored[0] != allocation.province_id
                and (self.participations.exists() or self.participants.exists())
            ):
                # Its firms and people belong to the province it was held in.
                errors["allocation"] = _(
                    "Kegiatan yang sudah punya peserta tidak dapat dipindah ke alokasi provinsi lain."
                )
            elif stored and stored[1] != year and self.outputs.exists():
                # Its outputs and handovers are dated in the fiscal year it was held in.
                errors["allocation"] = _(
                    "Kegiatan yang sudah punya hasil produksi tidak dapat dipindah ke tahun anggaran lain."
                )
        if errors:
            raise ValidationError(errors)


# --- Participants ------------------------------------------------------------------------------------------


class Participation(CopiesFromParent, Tracked):
    """A firm that took part in an activity (once per activity)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="participations", verbose_name=_("kegiatan")
    )
    firm = models.ForeignKey(
        Firm,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("IKM"),
        help_text=_("IKM (usaha) yang ikut kegiatan; orang yang ikut dicatat sebagai peserta perorangan."),
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
        # The recap's distinct firms of a year, per province and nationally, read from these indexes alone
        # (the national count streams the distinct firms out of the second one in order).
        indexes = [
            models.Index(fields=["year", "province", "firm"], name="participation_year_firm_idx"),
            models.Index(fields=["year", "firm"], name="participation_nat_firm_idx"),
        ]

    def __str__(self):
        return f"{self.firm} — {self.activity}"

    def clean(self):
        activity, firm = _related(self, "activity"), _related(self, "firm")
        if activity is None or firm is None:
            return
        if firm.province_id != activity.province_id:
            raise ValidationError({"firm": _("IKM ini terdaftar di provinsi lain.")})
        stored_year = _as_stored(Participation, self.pk, "year")
        if stored_year is not None and stored_year != activity.year and self.outputs.exists():
            # Its outputs and handovers are dated in the fiscal year it took part in.
            message = _(
                "Peserta yang sudah punya hasil produksi tidak dapat dipindah ke tahun anggaran lain."
            )
            raise ValidationError({"activity": message})
        if Participation.objects.filter(activity=activity, firm=firm).exclude(pk=self.pk).exists():
            raise ValidationError({"firm": _("IKM ini sudah tercatat sebagai peserta kegiatan ini.")})


class Sex(models.TextChoices):
    MALE = "L", _("Laki-laki")
    FEMALE = "P", _("Perempuan")


class Participant(CopiesFromParent, Tracked):
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
        indexes = [models.Index(fields=["year", "province"], name="participant_year_prov_idx")]

    def __str__(self):
        return self.name

    @property
    def masked_nik(self):
        """3201********0001: enough to tell people apart, not enough to misuse."""
        return f"{self.nik[:4]}{'*' * 8}{self.nik[-4:]}" if self.nik else ""

    def clean_fields(self, exclude=None):
        # Before the validators: a NIK copied from an ID card may come with spaces.
        if isinstance(self.nik, str):
            self.nik = re.sub(r"\s", "", self.nik)
        super().clean_fields(exclude=exclude)

    def clean(self):
        errors = {}
        activity, firm = _related(self, "activity"), _related(self, "founded_firm")
        if activity is None:
            return
        if firm is not None and firm.province_id != activity.province_id:
            errors["founded_firm"] = _("IKM ini terdaftar di provinsi lain.")
        if (
            isinstance(self.nik, str)
            and NIK_PATTERN.fullmatch(self.nik)
            and Participant.objects.filter(activity=activity, nik=self.nik).exclude(pk=self.pk).exists()
        ):
            errors["nik"] = _("NIK ini sudah terdaftar sebagai peserta kegiatan ini.")
        if errors:
            raise ValidationError(errors)


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

    @classmethod
    def of_product_type(cls, product_type):
        """The units an output of this product type is counted in, the usual one first (the form's default,
        the bulk grid's list). The one home of this list: forms, grids, the admin and the rule ask here."""
        return UNITS_OF_PRODUCT_TYPE.get(product_type, list(cls))


#: Masks are counted in pieces (pcs; a cloth mask also as helai), face shields per piece, hazmat suits per
#: suit (buah) or set (with its hood and covers). "Produk lainnya" may be counted in any unit.
UNITS_OF_PRODUCT_TYPE = {
    ProductType.MASK: [Unit.PCS, Unit.HELAI, Unit.BUAH],
    ProductType.FACE_SHIELD: [Unit.PCS, Unit.BUAH],
    ProductType.HAZMAT: [Unit.BUAH, Unit.SET, Unit.PCS],
    ProductType.OTHER_PPE: [Unit.PCS, Unit.BUAH, Unit.SET],
    ProductType.OTHER: list(Unit),
}


def unit_fits_product_type():
    """The condition "an output's unit is one of its product type's", built from UNITS_OF_PRODUCT_TYPE (the
    one list): the database constraint output_unit_fits_product_type."""
    condition = Q()
    for product_type, units in UNITS_OF_PRODUCT_TYPE.items():
        condition |= Q(product_type=product_type, unit__in=[str(u) for u in units])
    return condition


class Output(CopiesFromParent, Tracked):
    """What a participating firm produced in an activity."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="outputs", verbose_name=_("IKM peserta")
    )
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outputs", editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    product = models.CharField(_("produk"), max_length=200, help_text=_("Mis. masker kain 2 lapis."))
    product_type = models.CharField(
        _("jenis produk"),
        max_length=15,
        choices=ProductType.choices,
        help_text=_(
            "Golongan produk untuk laporan Covid-19 (masker, face shield, baju hazmat, APD lain); "
            "menentukan satuan yang boleh dipakai."
        ),
    )
    quantity = models.PositiveIntegerField(
        _("jumlah diproduksi"),
        validators=[POSITIVE_QUANTITY],
        help_text=_("Dalam satuan di bawah, mis. 3.000."),
    )
    unit = models.CharField(
        _("satuan"),
        max_length=10,
        choices=Unit.choices,
        help_text=_(
            "Sesuai jenis produk: masker pcs/helai/buah, face shield pcs/buah, baju hazmat buah/set/pcs; "
            "bila kosong dipakai satuan yang lazim."
        ),
    )
    produced_on = models.DateField(
        _("tanggal produksi"),
        help_text=_("Di dalam tahun anggaran kegiatan; tidak setelah penyerahan pertama."),
    )
    meets_standard = models.BooleanField(
        _("memenuhi standar"),
        default=False,
        help_text=_("Centang bila produk lolos standar yang disyaratkan (mis. standar kesehatan masker)."),
    )
    ordered_quantity = models.PositiveIntegerField(
        _("jumlah pesanan"),
        null=True,
        blank=True,
        validators=[POSITIVE_QUANTITY],
        help_text=_(
            "Bila ada pembeli yang memesan (mis. Gugus Tugas): jumlah yang dipesan; isi juga pemesan."
        ),
    )
    ordered_on = models.DateField(
        _("tanggal pesanan"),
        null=True,
        blank=True,
        help_text=_("Tanggal pesanan diterima; bila kosong, laporan memakai tanggal produksi."),
    )
    buyer = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("pemesan"),
        help_text=_("Mitra yang memesan produk ini; kosongkan bila tidak ada pesanan."),
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
            models.CheckConstraint(
                condition=Q(produced_on__year=F("year")), name="output_produced_in_fiscal_year"
            ),
            models.CheckConstraint(
                condition=Q(ordered_on__isnull=True) | Q(ordered_on__year=F("year"), buyer__isnull=False),
                name="output_ordered_on_an_order_in_fiscal_year",
            ),
            models.CheckConstraint(condition=unit_fits_product_type(), name="output_unit_fits_product_type"),
        ]
        # Covering (PostgreSQL): live output sums (a filtered recap or Covid-19 report) from the index alone.
        indexes = [
            models.Index(
                fields=["year", "province", "product_type"],
                include=["quantity", "ordered_quantity", "handed_over_total", "produced_on"],
                name="output_year_prov_cover_idx",
            )
        ]

    def __str__(self):
        return f"{self.product}: {self.quantity} {self.unit}"

    def save(self, *args, **kwargs):
        # The running total belongs to the handovers: the database keeps the stored one (derived.py).
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.handed_over_total = _as_stored(Output, self.pk, "handed_over_total")

    def clean(self):
        errors = {}
        if (self.ordered_quantity is None) != (self.buyer_id is None):
            field = "buyer" if self.buyer_id is None else "ordered_quantity"
            errors[field] = _("Pesanan harus mencantumkan jumlah pesanan dan pemesannya.")
        elif self.ordered_on is not None and self.buyer_id is None:
            errors["ordered_on"] = _("Tanggal pesanan hanya diisi bila ada pesanan (jumlah dan pemesan).")
        if self.product_type in ProductType.values and self.unit:
            units = Unit.of_product_type(self.product_type)
            if self.unit not in units:
                errors["unit"] = _("Satuan %(u)s tidak dipakai untuk %(t)s; pilih %(ok)s.") % {
                    "u": self.unit,
                    "t": ProductType(self.product_type).label.lower(),
                    "ok": ", ".join(str(u.label) for u in units),
                }
        handed_over = _as_stored(Output, self.pk, "handed_over_total") or 0
        if _is_number(self.quantity) and self.quantity < handed_over:
            errors["quantity"] = _(
                "Jumlah diproduksi tidak boleh kurang dari yang sudah diserahkan (%(n)s)."
            ) % {"n": handed_over}
        participation, buyer = _related(self, "participation"), _related(self, "buyer")
        if participation and buyer and buyer.province_id != participation.province_id:
            errors["buyer"] = _("Pemesan harus mitra di provinsi kegiatan ini.")
        if participation and _is_date(self.produced_on):
            year = _as_stored(Activity, participation.activity_id, "year")
            first_handover = Handover.objects.filter(output_id=self.pk).aggregate(d=Min("handed_on"))["d"]
            if _is_date(self.ordered_on) and self.ordered_on.year != year:
                errors["ordered_on"] = _("Tanggal pesanan harus di dalam tahun anggaran %(y)s.") % {"y": year}
            if self.produced_on.year != year:
                errors["produced_on"] = _("Tanggal produksi harus di dalam tahun anggaran %(y)s.") % {
                    "y": year
                }
            elif first_handover and self.produced_on > first_handover:
                errors["produced_on"] = _(
                    "Tanggal produksi tidak boleh setelah penyerahan pertamanya (%(d)s)."
                ) % {"d": first_handover.strftime("%d/%m/%Y")}
        if errors:
            raise ValidationError(errors)

    @property
    def remaining(self):
        return (self.quantity or 0) - (self.handed_over_total or 0)


class RecipientType(models.TextChoices):
    TASK_FORCE_PROVINCE = "gugus_tugas_provinsi", _("Gugus Tugas Covid-19 provinsi")
    TASK_FORCE_REGENCY = "gugus_tugas_kabkota", _("Gugus Tugas Covid-19 kabupaten/kota")
    HEALTH_FACILITY = "faskes", _("Fasilitas kesehatan")
    PUBLIC = "masyarakat", _("Masyarakat umum")
    OTHER = "lainnya", _("Lainnya")

    @classmethod
    def of_partner(cls, partner):
        """The recipient type a handover to this partner has: a task force of a regency or city when the
        partner names one, else the province's; a health facility; any other institution "lainnya". The
        public (masyarakat) is never a partner: it is named in the handover's recipient name."""
        if partner.kind == PartnerKind.GUGUS_TUGAS:
            return cls.TASK_FORCE_REGENCY if partner.regency_id else cls.TASK_FORCE_PROVINCE
        if partner.kind == PartnerKind.FASKES:
            return cls.HEALTH_FACILITY
        return cls.OTHER


class Handover(CopiesFromParent, Tracked):
    """Penyerahan: part or all of an output given to a recipient, with its BAST number."""

    output = models.ForeignKey(
        Output, on_delete=models.PROTECT, related_name="handovers", verbose_name=_("hasil produksi")
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="handovers", editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    # The output's product type, carried like its province and year (the Covid-19 report groups by it), and
    # its production date, so that "not handed over before it was made" is a CHECK constraint.
    product_type = models.CharField(
        _("jenis produk"), max_length=15, choices=ProductType.choices, editable=False
    )
    output_produced_on = models.DateField(_("tanggal produksi"), editable=False)
    recipient_type = models.CharField(
        _("jenis penerima"),
        max_length=25,
        choices=RecipientType.choices,
        help_text=_(
            "Golongan penerima untuk laporan; bila penerima mitra dipilih, jenisnya mengikuti mitra itu "
            "(Gugus Tugas, fasilitas kesehatan). Masyarakat umum: tulis nama penerimanya."
        ),
    )
    recipient = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handovers_received",
        verbose_name=_("penerima (mitra)"),
        help_text=_("Mitra terdaftar yang menerima (mis. Gugus Tugas Covid-19 provinsi)."),
    )
    recipient_name = models.CharField(
        _("nama penerima"), max_length=200, blank=True, help_text=_("Bila penerima bukan mitra terdaftar.")
    )
    handed_on = models.DateField(
        _("tanggal penyerahan"), help_text=_("Tanggal pada BAST; tidak sebelum tanggal produksinya.")
    )
    quantity = models.PositiveIntegerField(
        _("jumlah diserahkan"),
        validators=[POSITIVE_QUANTITY],
        help_text=_("Tidak melebihi sisa hasil produksi yang belum diserahkan."),
    )
    bast_number = models.CharField(
        _("nomor BAST"),
        max_length=100,
        help_text=_(
            "Nomor berita acara serah terima, bukti penyerahan; unggah juga pindaian BAST di bagian Lampiran."
        ),
    )

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
            models.CheckConstraint(
                condition=Q(handed_on__year=F("year")), name="handover_handed_in_fiscal_year"
            ),
            models.CheckConstraint(
                condition=Q(handed_on__gte=F("output_produced_on")), name="handover_not_before_production"
            ),
        ]
        # Covering (PostgreSQL): live handed-over sums (a filtered recap, a quarter's summary) from the index.
        indexes = [
            models.Index(
                fields=["year", "province", "recipient_type"],
                include=["quantity", "handed_on"],
                name="handover_year_prov_cover_idx",
            )
        ]

    def __str__(self):
        return _("%(n)s %(u)s kepada %(r)s") % {
            "n": self.quantity,
            "u": self.output.unit if self.output_id else "",
            "r": self.recipient or self.recipient_name,
        }

    def clean(self):
        errors = {}
        name = self.recipient_name.strip() if isinstance(self.recipient_name, str) else ""
        if self.recipient_id is None and not name:
            errors["recipient_name"] = _("Sebutkan penerima: pilih mitra atau tulis nama penerima.")
        output, recipient = _related(self, "output"), _related(self, "recipient")
        if output is not None and _is_number(self.quantity) and self.quantity > 0:
            # The other handovers and the quantity produced as stored now: never above it in total.
            others = Handover.objects.filter(output=output).exclude(pk=self.pk)
            total = (others.aggregate(s=Sum("quantity"))["s"] or 0) + self.quantity
            made = _as_stored(Output, output.pk, "quantity")
            if total > made:
                errors["quantity"] = _(
                    "Jumlah diserahkan (%(total)s) melebihi jumlah diproduksi (%(made)s)."
                ) % {"total": total, "made": made}
        if output is not None and recipient is not None and recipient.province_id != output.province_id:
            errors["recipient"] = _("Penerima harus mitra di provinsi kegiatan ini.")
        if output is not None and _is_date(self.handed_on):
            year, produced_on = _as_stored(Output, output.pk, "year", "produced_on")
            if self.handed_on.year != year:
                errors["handed_on"] = _("Tanggal penyerahan harus di dalam tahun anggaran %(y)s.") % {
                    "y": year
                }
            elif self.handed_on < produced_on:
                errors["handed_on"] = _(
                    "Tanggal penyerahan tidak boleh sebelum tanggal produksinya (%(d)s)."
                ) % {"d": produced_on.strftime("%d/%m/%Y")}
        if errors:
            raise ValidationError(errors)


# --- Workflow events -------------------------------------------------------------------------------------


class ReviewEvent(models.Model):
    """One workflow transition of an activity or a month's realisation: who, when, from what, why."""

    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("provinsi")
    )
    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    action = models.CharField(_("tindakan"), max_length=20, choices=ReviewAction.choices)
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

    objects = ReviewEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("riwayat verifikasi")
        verbose_name_plural = _("riwayat verifikasi")
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=workflow.notes_required()) | ~Q(note=""),
                name="review_event_note_when_returned_or_reopened",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="review_event_target_idx")]

    def __str__(self):
        return f"{self.get_action_display()} — {self.actor} ({self.at:%d/%m/%Y %H:%M})"

    def clean(self):
        note = self.note.strip() if isinstance(self.note, str) else ""
        if self.action in workflow.notes_required() and not note:
            raise ValidationError(
                {"note": _("Catatan wajib diisi bila data dikembalikan atau dibuka kembali.")}
            )


# --- Evidence and quarterly notes ------------------------------------------------------------------------


class AttachmentKind(models.TextChoices):
    BAST = "bast", _("Berita acara serah terima (BAST)")
    ATTENDANCE = "daftar_hadir", _("Daftar hadir")
    PHOTO = "foto", _("Foto kegiatan")
    OTHER = "lainnya", _("Dokumen lainnya")


class Attachment(CopiesFromParent, Tracked):
    """An evidence file of an activity, or of one handover of it. Served only by the scoped download view."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("kegiatan")
    )
    handover = models.ForeignKey(
        Handover,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("penyerahan"),
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+", editable=False)
    year = models.PositiveSmallIntegerField(editable=False)
    kind = models.CharField(_("jenis dokumen"), max_length=15, choices=AttachmentKind.choices)
    file = models.FileField(_("berkas"), upload_to=evidence.storage_path, max_length=200)
    original_name = models.CharField(_("nama berkas asli"), max_length=200)
    content_type = models.CharField(_("jenis isi"), max_length=50, editable=False)
    size = models.PositiveIntegerField(_("ukuran (bita)"), editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    description = models.CharField(_("keterangan"), max_length=250, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("diunggah oleh"),
    )

    objects = ActivityPartQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lampiran bukti")
        verbose_name_plural = _("lampiran bukti")
        ordering = ["activity", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=evidence.MAX_EVIDENCE_BYTES), name="attachment_size_limit"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=evidence.ALLOWED_TYPES), name="attachment_pdf_jpeg_png_only"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.original_name}"

    def get_absolute_url(self):
        return reverse("programs:attachment_download", args=[self.pk])

    def clean(self):
        errors = {}
        handover, activity = _related(self, "handover"), _related(self, "activity")
        if handover and activity and handover.activity_id != activity.pk:
            errors["handover"] = _("Penyerahan ini bukan bagian dari kegiatan ini.")
        upload = self.file.file if self.file and not getattr(self.file, "_committed", True) else None
        if upload is not None:
            try:
                self.content_type, _extension = evidence.sniff(upload)
            except ValidationError as e:
                errors["file"] = e.messages
            else:
                self.size = upload.size
                self.sha256 = evidence.digest(upload)
                self.original_name = (self.original_name or upload.name or "")[-200:]
        if errors:
            raise ValidationError(errors)


class QuarterlyNoteQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"
    year_lookup = "allocation__year"
    review_lookup = "review_status"
    period_lookups = ("triwulanan", "allocation__province", "allocation__year", "quarter")


class QuarterlyNote(Reviewable, Tracked):
    """What the provincial office notes for a quarter's monitoring report: problems and follow-up. Its
    review state follows the quarter's ReportPackage."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="quarterly_notes", verbose_name=_("alokasi")
    )
    quarter = models.PositiveSmallIntegerField(
        _("triwulan"),
        validators=[
            MinValueValidator(1, _("Triwulan harus 1 sampai 4.")),
            MaxValueValidator(4, _("Triwulan harus 1 sampai 4.")),
        ],
    )
    problems = models.TextField(_("permasalahan"), blank=True)
    follow_up = models.TextField(_("tindak lanjut"), blank=True)
    physical_progress = models.TextField(_("catatan capaian fisik"), blank=True)

    objects = QuarterlyNoteQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("catatan triwulan")
        verbose_name_plural = _("catatan triwulan")
        ordering = ["allocation", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "quarter"], name="quarterly_note_one_per_quarter"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="quarterly_note_quarter_range"
            ),
        ]

    def __str__(self):
        return _("Catatan triwulan %(q)s %(a)s") % {"q": self.quarter, "a": self.allocation}

    def clean(self):
        allocation = _related(self, "allocation")
        if allocation and _is_number(self.quarter):
            duplicate = QuarterlyNote.objects.filter(allocation=allocation, quarter=self.quarter).exclude(
                pk=self.pk
            )
            if duplicate.exists():
                raise ValidationError(
                    {"quarter": _("Catatan triwulan ini sudah ada; ubah catatan yang ada.")}
                )
            locked = _handed_over_package(self, allocation.pk, PackageKind.QUARTERLY, self.quarter)
            if locked:
                raise ValidationError({"quarter": locked})


# --- The reporting cycle: a period's package, closed periods, the working-day calendar, the inbox ----------


class PackageKind(models.TextChoices):
    MONTHLY = "bulanan", _("Bulanan")
    QUARTERLY = "triwulanan", _("Triwulanan")


PERIODS_OF_KIND = {PackageKind.MONTHLY: 12, PackageKind.QUARTERLY: 4}


def valid_period(kind, period):
    """Whether `period` is a period of `kind` (a PackageKind value): a month 1–12 or a quarter 1–4."""
    return kind in PERIODS_OF_KIND and _is_number(period) and 1 <= period <= PERIODS_OF_KIND[kind]


def _periods_in_range():
    """The database's form of `valid_period` (the check constraints of packages and closed periods)."""
    conditions = [Q(kind=kind, period__gte=1, period__lte=last) for kind, last in PERIODS_OF_KIND.items()]
    return functools.reduce(operator.or_, conditions)


class ReportPackageQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"
    year_lookup = "allocation__year"
    review_lookup = "review_status"
    period_lookups = (KindField("kind"), "allocation__province", "allocation__year", "period")


class ReportPackage(Reviewable, Tracked):
    """What a province reports for a period, signed off in two tiers: a month (its realisation, the RPD in
    force, its output achievement) or a quarter (the quarterly report with its notes). The operators prepare
    it, the Kepala Dinas approves it (or returns it), the ministry verifies it (or returns it): the actions
    of programs/workflow.py, flow "package". The records it holds take its state with it
    (services.transition), so the locks and the "verified only" figures read them as before."""

    workflow_flow = Flow.PACKAGE

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="packages", verbose_name=_("alokasi")
    )
    kind = models.CharField(_("jenis"), max_length=10, choices=PackageKind.choices)
    period = models.PositiveSmallIntegerField(
        _("periode"), help_text=_("Bulan (1–12) untuk paket bulanan, triwulan (1–4) untuk paket triwulanan.")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disiapkan oleh"),
    )
    approved_at = models.DateTimeField(_("disetujui pada"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disetujui oleh"),
    )
    #: The RPD version in force when the month was handed over (a monthly package).
    cash_plan = models.ForeignKey(
        "CashPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("RPD yang berlaku"),
    )
    note = models.TextField(_("catatan operator"), blank=True)

    objects = ReportPackageQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("paket laporan")
        verbose_name_plural = _("paket laporan")
        ordering = ["allocation", "kind", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "kind", "period"], name="report_package_one_per_period"
            ),
            models.CheckConstraint(
                condition=_periods_in_range(),
                name="report_package_period_range",
            ),
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True, approved_by__isnull=True)
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="report_package_approved_by_someone",
            ),
            models.CheckConstraint(
                condition=Q(review_status__in=ReviewStatus.values), name="report_package_status_known"
            ),
        ]

    def __str__(self):
        if self.kind == PackageKind.QUARTERLY:
            return _("Paket triwulan %(p)s %(a)s") % {"p": self.period, "a": self.allocation}
        return _("Paket bulan %(p)s %(a)s") % {"p": self.period, "a": self.allocation}

    @property
    def province_id(self):
        return self.allocation.province_id

    @property
    def year(self):
        return self.allocation.year

    def clean(self):
        if (
            self.kind in PERIODS_OF_KIND
            and _is_number(self.period)
            and not valid_period(self.kind, self.period)
        ):
            raise ValidationError(
                {"period": _("Periode harus 1 sampai %(n)s.") % {"n": PERIODS_OF_KIND[self.kind]}}
            )


class PeriodClosure(models.Model):
    """A month or a quarter the ministry closed for entry in a fiscal year: its package can no longer be
    changed or handed over, except by the provinces given an exception until a date."""

    year = models.PositiveSmallIntegerField(_("tahun anggaran"), validators=YEAR_VALIDATORS)
    kind = models.CharField(_("jenis"), max_length=10, choices=PackageKind.choices)
    period = models.PositiveSmallIntegerField(_("periode"))
    closed_at = models.DateTimeField(_("ditutup pada"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ditutup oleh")
    )
    note = models.CharField(_("keterangan"), max_length=250, blank=True)

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("periode ditutup")
        verbose_name_plural = _("periode ditutup")
        ordering = ["-year", "kind", "period"]
        constraints = [
            models.UniqueConstraint(fields=["year", "kind", "period"], name="period_closure_one_per_period"),
            models.CheckConstraint(
                condition=_periods_in_range(),
                name="period_closure_period_range",
            ),
        ]

    def __str__(self):
        if self.kind == PackageKind.QUARTERLY:
            return _("Triwulan %(p)s tahun %(y)s") % {"p": self.period, "y": self.year}
        return _("Bulan %(p)s tahun %(y)s") % {"p": self.period, "y": self.year}


class PeriodException(models.Model):
    """One province may still enter and hand over a closed period until a date (its last day)."""

    closure = models.ForeignKey(
        PeriodClosure, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("periode ditutup")
    )
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("provinsi")
    )
    until = models.DateField(_("dibuka sampai (hari terakhir)"))
    note = models.CharField(_("alasan"), max_length=250, blank=True)
    granted_at = models.DateTimeField(_("diberikan pada"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("diberikan oleh")
    )

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pengecualian periode")
        verbose_name_plural = _("pengecualian periode")
        ordering = ["closure", "province"]
        constraints = [
            models.UniqueConstraint(fields=["closure", "province"], name="period_exception_one_per_province"),
        ]

    def __str__(self):
        return _("%(p)s sampai %(d)s") % {"p": self.province, "d": self.until.strftime("%d/%m/%Y")}


class HolidayKind(models.TextChoices):
    NATIONAL = "libur_nasional", _("Libur nasional")
    JOINT_LEAVE = "cuti_bersama", _("Cuti bersama")


class HolidaySource(models.TextChoices):
    PACKAGE = "paket", _("Paket holidays (otomatis)")
    MINISTRY = "kementerian", _("Ditetapkan kementerian")


class Holiday(models.Model):
    """A national holiday or cuti bersama: the working-day calendar's data (programs/workdays.py). Loaded
    from the `holidays` package's Indonesian calendar and amended by the ministry in the admin: a day added
    (a decree the package does not know yet), or a package day marked as a working day after all."""

    date = models.DateField(_("tanggal"), unique=True)
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=15, choices=HolidayKind.choices)
    is_day_off = models.BooleanField(
        _("hari libur"),
        default=True,
        help_text=_(
            "Hapus centang bila tanggal ini ternyata tetap hari kerja (mis. cuti bersama dibatalkan)."
        ),
    )
    source = models.CharField(_("sumber"), max_length=15, choices=HolidaySource.choices)
    note = models.CharField(_("dasar penetapan"), max_length=250, blank=True, help_text=_("Mis. nomor SKB."))

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hari libur")
        verbose_name_plural = _("hari libur")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=HolidayKind.values), name="holiday_kind_known"),
            models.CheckConstraint(condition=Q(source__in=HolidaySource.values), name="holiday_source_known"),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class NotificationKind(models.TextChoices):
    REMINDER = "pengingat", _("Pengingat tenggat")
    MISSED = "terlambat", _("Tenggat terlewat")
    PREPARED = "diajukan", _("Menunggu persetujuan")
    APPROVED = "disetujui", _("Disetujui")
    RETURNED = "dikembalikan", _("Dikembalikan")
    VERIFIED = "diverifikasi", _("Diverifikasi")


class EmailStatus(models.TextChoices):
    NONE = "tidak", _("Tanpa surel")
    PENDING = "antre", _("Menunggu dikirim")
    SENT = "terkirim", _("Terkirim")
    FAILED = "gagal", _("Gagal")


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own inbox; admins see every notice (to resend a failed mail)."""
        from .access import may_administer

        return self if may_administer(user) else self.filter(recipient_id=user.pk)


class Notification(models.Model):
    """One notice to one user: shown in the application's inbox (the bell) and mailed by the background
    worker, never inside a request. A mail that fails is retried and, when it keeps failing, stays visible
    as failed. `key` makes a notice idempotent: a reminder computed twice is written once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("penerima"),
    )
    kind = models.CharField(_("jenis"), max_length=15, choices=NotificationKind.choices)
    subject = models.CharField(_("judul"), max_length=250)
    body = models.TextField(_("isi"))
    link = models.CharField(_("tautan"), max_length=300, blank=True)
    key = models.CharField(_("kunci"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"), default=timezone.now)
    read_at = models.DateTimeField(_("dibaca pada"), null=True, blank=True)
    email_status = models.CharField(
        _("status surel"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(_("percobaan kirim"), default=0)
    email_error = models.TextField(_("kesalahan surel terakhir"), blank=True)
    emailed_at = models.DateTimeField(_("dikirim pada"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("pemberitahuan")
        verbose_name_plural = _("pemberitahuan")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_key"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notification_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(email_status__in=EmailStatus.values), name="notification_email_status_known"
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.subject


# --- The plan: the DIPA's structure and output targets (RO), its cash plan (RPD), its achievement ----------


class SpendingType(models.TextChoices):
    """Jenis belanja: the first two digits of an account (akun)."""

    PERSONNEL = "51", _("51 Belanja pegawai")
    GOODS = "52", _("52 Belanja barang")
    CAPITAL = "53", _("53 Belanja modal")


class PlanLevel(models.TextChoices):
    """The budget structure of a DIPA (RKA-K/L), from the top; an amount line (akun) sits under a komponen
    or directly under its RO."""

    PROGRAM = "program", _("Program")
    KEGIATAN = "kegiatan", _("Kegiatan")
    KRO = "kro", _("KRO")
    RO = "ro", _("RO")
    KOMPONEN = "komponen", _("Komponen")
    AKUN = "akun", _("Akun")


HEADING_LEVELS = [PlanLevel.PROGRAM, PlanLevel.KEGIATAN, PlanLevel.KRO]
DETAIL_LEVELS = [PlanLevel.KOMPONEN, PlanLevel.AKUN]


class OutputUnit(models.TextChoices):
    """Satuan of an RO's volume target."""

    IKM = "ikm", _("IKM")
    PERSON = "orang", _("orang")
    ENTREPRENEUR = "wirausaha", _("wirausaha")
    PACKAGE = "paket", _("paket")
    PRODUCT = "produk", _("produk")
    ACTIVITY = "kegiatan", _("kegiatan")
    DOCUMENT = "dokumen", _("dokumen")
    UNIT = "unit", _("unit")
    PIECE = "buah", _("buah")
    INSTITUTION = "lembaga", _("lembaga")
    CERTIFICATE = "sertifikat", _("sertifikat")


class Measure(models.TextChoices):
    """How an RO's achievement is counted from the records (verified records only), or entered."""

    FIRMS = "ikm", _("IKM berbeda (menurut NIB) pada kegiatannya")
    PARTICIPANTS = "peserta", _("Peserta berbeda (menurut NIK) pada kegiatannya")
    NEW_FIRMS = "wirausaha_nib", _("Wirausaha baru yang memperoleh NIB")
    UNITS = "produk", _("Jumlah produk yang dihasilkan (menurut jenis produk)")
    ACTIVITIES = "kegiatan", _("Kegiatan yang selesai")
    MANUAL = "manual", _("Diisi per bulan dengan bukti dukung")


ACCOUNT_PATTERN = re.compile(r"[0-9]{6}")
ACCOUNT_VALIDATOR = RegexValidator(r"^[0-9]{6}$", _("Kode akun harus 6 digit angka, mis. 521211."))


class PlanQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"
    year_lookup = "allocation__year"
    entered_by_ministry = True  # the DIPA: ministry staff and admins enter it, provinces read it


class PlanItem(Tracked):
    """One line of a province-year's DIPA: a heading (program, kegiatan, KRO), an output (RO) with its
    volume target, unit, pagu and how its achievement is counted, or a detail line (komponen, akun).

    The RO pagus of an allocation add up to its current pagu (`plan_ro_pagu_sum`, checked at commit on
    PostgreSQL and by the plan's services everywhere). Headings hold no pagu: theirs is their ROs' sum.
    """

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="plan_items", verbose_name=_("alokasi")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        editable=False,
        verbose_name=_("induk"),
    )
    level = models.CharField(_("tingkat"), max_length=10, choices=PlanLevel.choices)
    code = models.CharField(
        _("kode"), max_length=60, help_text=_("Kode resmi bertitik, mis. 5807.QEA.001 untuk sebuah RO.")
    )
    name = models.CharField(_("uraian"), max_length=300)
    target = models.PositiveIntegerField(
        _("target volume"), null=True, blank=True, validators=[POSITIVE_QUANTITY]
    )
    unit = models.CharField(_("satuan"), max_length=12, choices=OutputUnit.choices, blank=True)
    measure = models.CharField(
        _("cara menghitung capaian"), max_length=15, choices=Measure.choices, blank=True
    )
    product_type = models.CharField(
        _("jenis produk yang dihitung"),
        max_length=15,
        choices=ProductType.choices,
        blank=True,
        help_text=_("Hanya untuk capaian yang dihitung dari jumlah produk."),
    )
    account = models.CharField(_("akun"), max_length=6, blank=True, validators=[ACCOUNT_VALIDATOR])
    spending_type = models.CharField(
        _("jenis belanja"), max_length=2, choices=SpendingType.choices, blank=True
    )
    pagu = models.DecimalField(
        _("pagu (Rp)"), null=True, blank=True, validators=[NON_NEGATIVE_MONEY], **MONEY
    )

    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("butir rencana (DIPA)")
        verbose_name_plural = _("rencana (DIPA)")
        ordering = ["allocation", "code"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "code"], name="plan_code_unique_per_allocation"),
            models.CheckConstraint(condition=~Q(code="") & ~Q(name=""), name="plan_code_and_name_required"),
            models.CheckConstraint(condition=Q(level__in=PlanLevel.values), name="plan_level_known"),
            models.CheckConstraint(
                condition=~Q(level=PlanLevel.RO)
                | (Q(target__gt=0, pagu__isnull=False) & ~Q(unit="") & ~Q(measure="")),
                name="plan_ro_has_target_unit_measure_pagu",
            ),
            models.CheckConstraint(
                condition=Q(level=PlanLevel.RO)
                | Q(target__isnull=True, unit="", measure="", product_type=""),
                name="plan_target_only_on_ro",
            ),
            models.CheckConstraint(
                condition=Q(measure=Measure.UNITS, product_type__gt="")
                | (~Q(measure=Measure.UNITS) & Q(product_type="")),
                name="plan_units_measure_names_product_type",
            ),
            models.CheckConstraint(
                condition=~Q(level__in=HEADING_LEVELS) | Q(pagu__isnull=True),
                name="plan_heading_pagu_is_its_sum",
            ),
            models.CheckConstraint(
                condition=Q(pagu__isnull=True) | Q(pagu__gte=0), name="plan_pagu_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(account="") | Q(account__regex=r"^[0-9]{6}$"), name="plan_account_6_digits"
            ),
            models.CheckConstraint(
                condition=Q(level=PlanLevel.AKUN, pagu__isnull=False, account__regex=r"^[0-9]{6}$")
                | (~Q(level=PlanLevel.AKUN) & Q(account="")),
                name="plan_account_only_on_amount_lines",
            ),
            models.CheckConstraint(
                condition=Q(account="") | Q(spending_type=Substr("account", 1, 2)),
                name="plan_spending_type_of_account",
            ),
            models.CheckConstraint(
                condition=Q(level__in=DETAIL_LEVELS) | Q(spending_type=""),
                name="plan_spending_type_only_on_details",
            ),
            models.CheckConstraint(
                condition=Q(level=PlanLevel.PROGRAM, parent__isnull=True)
                | (~Q(level=PlanLevel.PROGRAM) & Q(parent__isnull=False)),
                name="plan_parent_except_program",
            ),
        ]
        indexes = [models.Index(fields=["allocation", "level"], name="plan_allocation_level_idx")]

    def __str__(self):
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        if self.account and not self.spending_type and ACCOUNT_PATTERN.fullmatch(self.account):
            self.spending_type = self.account[:2]  # the account's first two digits are its spending type
        super().save(*args, **kwargs)

    @property
    def is_output(self):
        return self.level == PlanLevel.RO

    def clean(self):
        errors = {}
        if self.level == PlanLevel.RO:
            if self.target is None:
                errors["target"] = _("RO harus punya target volume.")
            if not self.unit:
                errors["unit"] = _("RO harus punya satuan.")
            if not self.measure:
                errors["measure"] = _("Pilih cara menghitung capaian RO ini.")
            if self.pagu is None:
                errors["pagu"] = _("RO harus punya pagu.")
        else:
            for field in ("target", "unit", "measure", "product_type"):
                if getattr(self, field) not in (None, ""):
                    errors[field] = _("Hanya RO yang punya target, satuan dan cara menghitung capaian.")
        if self.measure == Measure.UNITS and not self.product_type:
            errors["product_type"] = _("Pilih jenis produk yang dihitung.")
        elif self.measure != Measure.UNITS and self.product_type:
            errors["product_type"] = _("Jenis produk hanya untuk capaian yang dihitung dari jumlah produk.")
        if self.level in HEADING_LEVELS and self.pagu is not None:
            errors["pagu"] = _("Pagu program, kegiatan dan KRO adalah jumlah RO di bawahnya; kosongkan.")
        if self.level == PlanLevel.AKUN:
            if not self.account:
                errors["account"] = _("Baris akun harus punya kode akun 6 digit.")
            if self.pagu is None:
                errors["pagu"] = _("Baris akun harus punya jumlah.")
        elif self.account:
            errors["account"] = _("Kode akun hanya untuk baris akun.")
        if (
            self.account
            and ACCOUNT_PATTERN.fullmatch(self.account)
            and self.spending_type
            and self.spending_type != self.account[:2]
        ):
            errors["spending_type"] = _("Jenis belanja akun %(a)s adalah %(t)s.") % {
                "a": self.account,
                "t": self.account[:2],
            }
        if errors:
            raise ValidationError(errors)


ACCOUNT_PATTERN = re.compile(r"[0-9]{6}")


class RevisionLineQuerySet(ScopedQuerySet):
    province_lookup = "revision__allocation__province"
    year_lookup = "revision__allocation__year"
    set_by_ministry = True


class RevisionLine(models.Model):
    """Which RO a revision moves money from or to: its pagu before and after."""

    revision = models.ForeignKey(
        BudgetRevision, on_delete=models.CASCADE, related_name="lines", verbose_name=_("revisi")
    )
    planned_output = models.ForeignKey(
        PlanItem, on_delete=models.PROTECT, related_name="revision_lines", verbose_name=_("RO")
    )
    previous_pagu = models.DecimalField(_("pagu RO sebelum revisi (Rp)"), **MONEY)
    new_pagu = models.DecimalField(_("pagu RO sesudah revisi (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)

    objects = RevisionLineQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rincian revisi per RO")
        verbose_name_plural = _("rincian revisi per RO")
        ordering = ["revision", "planned_output__code"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "planned_output"], name="revision_line_one_per_ro"),
            models.CheckConstraint(
                condition=Q(new_pagu__gte=0, previous_pagu__gte=0), name="revision_line_pagu_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.planned_output.code}: {rupiah(self.previous_pagu)} → {rupiah(self.new_pagu)}"


class RealisationLineQuerySet(ScopedQuerySet):
    province_lookup = "realisation__allocation__province"
    year_lookup = "realisation__allocation__year"
    review_lookup = "realisation__review_status"
    period_lookups = (
        "bulanan",
        "realisation__allocation__province",
        "realisation__allocation__year",
        "realisation__month",
    )


class RealisationLine(models.Model):
    """A month's realisation by spending type, and by RO where the year has a plan. The lines of a
    realisation add up to its amount (`realisation_lines_sum`, checked at commit on PostgreSQL and by the
    services everywhere); a realisation without lines is all belanja barang (52), where the programme
    spends."""

    realisation = models.ForeignKey(
        Realisation, on_delete=models.CASCADE, related_name="lines", verbose_name=_("realisasi")
    )
    planned_output = models.ForeignKey(
        PlanItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="realisation_lines",
        verbose_name=_("RO"),
    )
    spending_type = models.CharField(_("jenis belanja"), max_length=2, choices=SpendingType.choices)
    amount = models.DecimalField(_("jumlah (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)

    objects = RealisationLineQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rincian realisasi")
        verbose_name_plural = _("rincian realisasi")
        ordering = ["realisation", "planned_output__code", "spending_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["realisation", "planned_output", "spending_type"],
                condition=Q(planned_output__isnull=False),
                name="realisation_line_one_per_ro_and_type",
            ),
            models.UniqueConstraint(
                fields=["realisation", "spending_type"],
                condition=Q(planned_output__isnull=True),
                name="realisation_line_one_per_type",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="realisation_line_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(spending_type__in=SpendingType.values),
                name="realisation_line_spending_type_known",
            ),
        ]

    def __str__(self):
        return f"{self.realisation} {self.spending_type}: {rupiah(self.amount)}"


class CashPlanQuerySet(ScopedQuerySet):
    province_lookup = "allocation__province"
    year_lookup = "allocation__year"


class CashPlan(models.Model):
    """One version of an allocation's RPD (rencana penarikan dana, page III of the DIPA). A change is a new
    version, so every version stays; the latest is in force. After the first, a version may only be made
    inside a window the ministry opens (CashPlanWindow)."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="cash_plans", verbose_name=_("alokasi")
    )
    number = models.PositiveSmallIntegerField(_("versi ke"))
    entered_at = models.DateTimeField(_("dicatat pada"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("dicatat oleh")
    )
    note = models.TextField(_("keterangan"), blank=True)

    objects = CashPlanQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("RPD (rencana penarikan dana)")
        verbose_name_plural = _("RPD (rencana penarikan dana)")
        ordering = ["allocation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "number"], name="cash_plan_one_per_version"),
            models.CheckConstraint(condition=Q(number__gte=1), name="cash_plan_number_positive"),
        ]

    def __str__(self):
        return _("RPD %(a)s versi %(n)s") % {"a": self.allocation, "n": self.number}


class CashPlanLine(models.Model):
    cash_plan = models.ForeignKey(
        CashPlan, on_delete=models.CASCADE, related_name="lines", verbose_name=_("RPD")
    )
    month = models.PositiveSmallIntegerField(
        _("bulan"),
        validators=MONTH_VALIDATORS,
    )
    spending_type = models.CharField(_("jenis belanja"), max_length=2, choices=SpendingType.choices)
    amount = models.DecimalField(_("rencana (Rp)"), validators=[NON_NEGATIVE_MONEY], **MONEY)

    class Meta:
        verbose_name = _("rincian RPD")
        verbose_name_plural = _("rincian RPD")
        ordering = ["cash_plan", "month", "spending_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["cash_plan", "month", "spending_type"], name="cash_plan_line_one_per_month_and_type"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="cash_plan_line_month_range"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cash_plan_line_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(spending_type__in=SpendingType.values), name="cash_plan_line_spending_type_known"
            ),
        ]

    def __str__(self):
        return f"{self.cash_plan} {self.month}/{self.spending_type}: {rupiah(self.amount)}"


class CashPlanWindow(models.Model):
    """A window in which provinces may revise their RPD. A year without any uses the default windows
    (February, April, July, October, to the 10th working day); a window may be for one province only."""

    year = models.PositiveSmallIntegerField(_("tahun anggaran"), validators=YEAR_VALIDATORS)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provinsi"),
        help_text=_("Kosongkan untuk semua provinsi."),
    )
    opens_on = models.DateField(_("dibuka"))
    closes_on = models.DateField(_("ditutup (hari terakhir)"))
    note = models.CharField(_("keterangan"), max_length=250, blank=True)

    objects = ReferenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("jendela revisi RPD")
        verbose_name_plural = _("jendela revisi RPD")
        ordering = ["year", "opens_on"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="cash_plan_window_order"),
            models.CheckConstraint(
                condition=Q(opens_on__year=F("year"), closes_on__year=F("year")),
                name="cash_plan_window_in_year",
            ),
        ]

    def __str__(self):
        return f"{self.opens_on:%d/%m/%Y}–{self.closes_on:%d/%m/%Y}"

    def clean(self):
        if _is_date(self.opens_on) and _is_date(self.closes_on):
            if self.closes_on < self.opens_on:
                raise ValidationError({"closes_on": _("Tanggal tutup tidak boleh sebelum tanggal buka.")})
            if _is_number(self.year) and (
                self.opens_on.year != self.year or self.closes_on.year != self.year
            ):
                raise ValidationError(
                    {"opens_on": _("Jendela harus di dalam tahun anggaran %(y)s.") % {"y": self.year}}
                )


class AchievementQuerySet(ScopedQuerySet):
    province_lookup = "planned_output__allocation__province"
    year_lookup = "planned_output__allocation__year"
    review_lookup = "review_status"
    period_lookups = (
        "bulanan",
        "planned_output__allocation__province",
        "planned_output__allocation__year",
        "month",
    )


class Achievement(Reviewable, Tracked):
    """The achieved volume of an RO in a month, entered with its evidence where nothing in the records
    measures it (measure "manual"). Counted once verified."""

    planned_output = models.ForeignKey(
        PlanItem, on_delete=models.PROTECT, related_name="achievements", verbose_name=_("RO")
    )
    month = models.PositiveSmallIntegerField(
        _("bulan"),
        validators=MONTH_VALIDATORS,
    )
    quantity = models.PositiveIntegerField(_("capaian bulan ini"), validators=[POSITIVE_QUANTITY])
    evidence = models.FileField(_("bukti dukung"), upload_to=evidence.storage_path, max_length=200)
    evidence_name = models.CharField(_("nama berkas asli"), max_length=200, blank=True)
    note = models.TextField(_("keterangan"), blank=True)

    objects = AchievementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("capaian output bulanan")
        verbose_name_plural = _("capaian output bulanan")
        ordering = ["planned_output", "month"]
        constraints = [
            models.UniqueConstraint(fields=["planned_output", "month"], name="achievement_one_per_month"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="achievement_month_range"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="achievement_quantity_positive"),
        ]

    def __str__(self):
        return _("Capaian %(ro)s bulan %(m)s") % {"ro": self.planned_output.code, "m": self.month}

    def clean(self):
        ro = _related(self, "planned_output")
        locked = ro and _handed_over_package(self, ro.allocation_id, PackageKind.MONTHLY, self.month)
        if locked:
            raise ValidationError({"month": locked})

    @property
    def province(self):
        """The province of its RO's allocation (the evidence file's folder, the workflow's scope)."""
        return self.planned_output.allocation.province

    @property
    def province_id(self):
        return self.planned_output.allocation.province_id

    @property
    def year(self):
        return self.planned_output.allocation.year


# --- Tallies: the reports' sums, kept by PostgreSQL in the same transaction as every write ------------------


class Tally(models.Model):
    """One figure of a province-year (e.g. "participants", "output:masker"), kept equal to the rows it sums.

    Written only by the database triggers of `programs/tallies.py` (statement-level, set-based, in the
    transaction of the write that changes the rows, whatever path wrote them); never by the application.
    The national recap and the Covid-19 report read these few rows instead of adding up millions.
    """

    year = models.PositiveSmallIntegerField(_("tahun anggaran"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(_("ukuran"), max_length=60)
    amount = models.DecimalField(_("nilai"), max_digits=20, decimal_places=0, default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rekap tersimpan")
        verbose_name_plural = _("rekap tersimpan")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["year", "province", "measure"], name="tally_one_per_measure"),
        ]

    def __str__(self):
        return f"{self.year} {self.province_id} {self.measure}: {self.amount}"


class FirmTally(models.Model):
    """A firm's participations in a province-year: the province's distinct firms are its rows.

    No CHECK (participations >= 0): the triggers' upsert proposes the change itself (e.g. -1) as the row to
    insert, and PostgreSQL checks that before it finds the row to update. `tallies.differences()` and the
    tests check the counts instead.
    """

    year = models.PositiveSmallIntegerField()
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    # A firm with participations cannot be deleted (they protect it), and a firm without has no row here.
    firm = models.ForeignKey(Firm, on_delete=models.DO_NOTHING, related_name="+")
    participations = models.IntegerField(default=0)

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["year", "province", "firm"], name="firm_tally_one_per_firm"),
        ]

    def __str__(self):
        return f"{self.year} {self.province_id} {self.firm_id}: {self.participations}"


class NationalFirmTally(models.Model):
    """A firm's participations in a year, all provinces: the year's distinct firms nationally."""

    year = models.PositiveSmallIntegerField()
    firm = models.ForeignKey(Firm, on_delete=models.DO_NOTHING, related_name="+")
    participations = models.IntegerField(default=0)

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["year", "firm"], name="national_firm_tally_one_per_firm"),
        ]

    def __str__(self):
        return f"{self.year} {self.firm_id}: {self.participations}"


class NationalTally(models.Model):
    """A figure of a year that is not the sum of the provinces' (the distinct firms nationally)."""

    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=60)
    amount = models.DecimalField(max_digits=20, decimal_places=0, default=0)

    objects = NationalQuerySet.as_manager()

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["year", "measure"], name="national_tally_one_per_measure"),
        ]

    def __str__(self):
        return f"{self.year} {self.measure}: {self.amount}"
