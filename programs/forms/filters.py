"""List filters: what may be filtered, searched and sorted on (an allow-list; django-filter)."""

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..access import provinces_visible_to
from ..models import (
    ActivityKind,
    ActivityPurpose,
    ActivityStatus,
    FirmScale,
    FundType,
    ReviewStatus,
    Sector,
)

YES_NO = [("ya", _("Ya")), ("tidak", _("Tidak"))]


def _yes_no(queryset, name, value):
    if value in ("ya", "tidak"):
        return queryset.filter(**{name: value == "ya"})
    return queryset


def _province_filter():
    """Provinces by official code; the choices are set per user from the scoping (ScopedFilterSet)."""
    return df.ModelChoiceFilter(
        field_name="province",
        queryset=None,
        label=_("Provinsi"),
        to_field_name="code",
        empty_label=_("Semua"),
    )


def _choice(field, choices, label, **extra):
    return df.ChoiceFilter(field_name=field, choices=choices, label=label, empty_label=_("Semua"), **extra)


class ScopedFilterSet(df.FilterSet):
    def __init__(self, data=None, *args, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        if "provinsi" in self.filters:
            self.filters["provinsi"].queryset = provinces_visible_to(user)
        for field in self.form.fields.values():
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs.setdefault(
                "class", f"{css} form-select-sm" if css == "form-select" else f"{css} form-control-sm"
            )


class ActivityFilter(ScopedFilterSet):
    q = df.CharFilter(method="search", label=_("Cari judul"))
    tahun = df.NumberFilter(field_name="year", label=_("Tahun"))
    provinsi = _province_filter()
    jenis = _choice("kind", ActivityKind.choices, _("Jenis"))
    tujuan = _choice("purpose", ActivityPurpose.choices, _("Tujuan"))
    status = _choice("status", ActivityStatus.choices, _("Status"))
    sektor = _choice("sector", Sector.choices, _("Sektor"))
    covid = df.ChoiceFilter(
        field_name="covid_response",
        choices=YES_NO,
        method=_yes_no,
        label=_("Covid-19"),
        empty_label=_("Semua"),
    )
    verifikasi = df.ChoiceFilter(
        field_name="review_status",
        choices=ReviewStatus.choices,
        label=_("Verifikasi"),
        empty_label=_("Semua"),
    )
    urut = df.OrderingFilter(
        fields=(
            ("planned_start", "mulai"),
            ("title", "judul"),
            ("province__code", "provinsi"),
            ("budget", "anggaran"),
            ("status", "status"),
            ("review_status", "verifikasi"),
            ("target_participants", "target"),
        ),
        field_labels={
            "planned_start": _("Rencana mulai"),
            "title": _("Judul"),
            "province__code": _("Provinsi"),
            "budget": _("Anggaran"),
            "status": _("Status"),
            "review_status": _("Verifikasi"),
            "target_participants": _("Target peserta"),
        },
        label=_("Urutkan"),
        empty_label=_("Bawaan"),
    )

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(regency__name__icontains=value))


class FirmFilter(ScopedFilterSet):
    q = df.CharFilter(method="search", label=_("Cari nama atau NIB"))
    provinsi = _province_filter()
    sektor = _choice("sector", Sector.choices, _("Sektor"))
    skala = _choice("scale", FirmScale.choices, _("Skala"))
    covid = df.ChoiceFilter(
        field_name="covid_affected",
        choices=YES_NO,
        method=_yes_no,
        label=_("Terdampak Covid-19"),
        empty_label=_("Semua"),
    )
    urut = df.OrderingFilter(
        fields=(
            ("name", "nama"),
            ("nib", "nib"),
            ("province__code", "provinsi"),
            ("workers", "tenaga_kerja"),
        ),
        field_labels={
            "name": _("Nama"),
            "nib": _("NIB"),
            "province__code": _("Provinsi"),
            "workers": _("Tenaga kerja"),
        },
        label=_("Urutkan"),
        empty_label=_("Bawaan"),
    )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(nib__startswith=value) | Q(owner_name__icontains=value)
        )


class PartnerFilter(ScopedFilterSet):
    q = df.CharFilter(field_name="name", lookup_expr="icontains", label=_("Cari nama"))
    provinsi = _province_filter()


class AllocationFilter(ScopedFilterSet):
    tahun = df.NumberFilter(field_name="year", label=_("Tahun"))
    provinsi = _province_filter()
    dana = _choice("fund_type", FundType.choices, _("Jenis dana"))
