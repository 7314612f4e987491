from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ProvinceQuerySet(models.QuerySet):
    def active_in(self, year):
        """Provinces that existed in the fiscal year: 34 in 2020, 38 from 2022 on."""
        return self.filter(established_year__lte=year)


class Province(models.Model):
    code = models.CharField(_("kode Kemendagri"), max_length=2, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    established_year = models.PositiveSmallIntegerField(_("tahun terbentuk"))
    established_by = models.CharField(_("dasar hukum pembentukan"), max_length=50, blank=True)

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        verbose_name = _("provinsi")
        verbose_name_plural = _("provinsi")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{2}$"), name="province_code_two_digits"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("provinces:detail", args=[self.code])


class RegencyKind(models.TextChoices):
    KABUPATEN = "kabupaten", _("Kabupaten")
    KOTA = "kota", _("Kota")


class RegencyQuerySet(models.QuerySet):
    def in_province(self, province, year):
        """Regencies that belonged to the province in the given year.

        A regency moved to one of the new Papua provinces in 2022 still counts under its former
        province for the years before the move.
        """
        return self.filter(
            Q(province=province) & (Q(moved_in_year__isnull=True) | Q(moved_in_year__lte=year))
            | Q(former_province=province, moved_in_year__gt=year)
        )


class Regency(models.Model):
    code = models.CharField(_("kode Kemendagri"), max_length=5, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    kind = models.CharField(_("jenis"), max_length=10, choices=RegencyKind.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="regencies", verbose_name=_("provinsi")
    )
    former_code = models.CharField(_("kode sebelum pemekaran"), max_length=5, blank=True)
    former_province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="former_regencies",
        verbose_name=_("provinsi sebelum pemekaran"),
    )
    moved_in_year = models.PositiveSmallIntegerField(_("tahun pindah provinsi"), null=True, blank=True)

    objects = RegencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("kabupaten/kota")
        verbose_name_plural = _("kabupaten/kota")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{2}\.[0-9]{2}$"), name="regency_code_format"
            ),
            # A move is recorded completely or not at all.
            models.CheckConstraint(
                condition=(
                    Q(former_province__isnull=True, moved_in_year__isnull=True, former_code="")
                    | Q(former_province__isnull=False, moved_in_year__isnull=False) & ~Q(former_code="")
                ),
                name="regency_move_complete",
            ),
        ]
        indexes = [models.Index(fields=["former_province", "moved_in_year"], name="regency_former_idx")]

    def __str__(self):
        return self.name

    def province_in(self, year):
        """The province the regency belonged to in the given year."""
        if self.moved_in_year and year < self.moved_in_year:
            return self.former_province
        return self.province

    def code_in(self, year):
        if self.moved_in_year and year < self.moved_in_year:
            return self.former_code
        return self.code
