from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .forms import YearForm
from .models import Province, Regency


def _year(request):
    """The fiscal year asked for in ?tahun=, else the current one; a bad value keeps its message."""
    form = YearForm(request.GET if "tahun" in request.GET else None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["tahun"]
    return form, timezone.localdate().year


def _count(queryset, group):
    """A correlated COUNT(*) subquery, 0 when nothing matches."""
    return Coalesce(
        Subquery(queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def province_list(request):
    form, year = _year(request)
    own = Regency.objects.filter(province=OuterRef("pk")).filter(
        Q(moved_in_year__isnull=True) | Q(moved_in_year__lte=year)
    )
    former = Regency.objects.filter(former_province=OuterRef("pk"), moved_in_year__gt=year)
    provinces = Province.objects.active_in(year).annotate(
        regency_count=_count(own, "province") + _count(former, "former_province"),
    )
    rows = [(p, p.regency_count) for p in provinces]
    return render(
        request,
        "provinces/province_list.html",
        {"form": form, "year": year, "rows": rows, "regency_total": sum(n for _, n in rows)},
    )


def province_detail(request, code):
    province = get_object_or_404(Province, code=code)
    form, year = _year(request)
    regencies = Regency.objects.in_province(province, year).select_related("province", "former_province")
    rows = [(r, r.code_in(year)) for r in regencies]
    rows.sort(key=lambda row: row[1])
    return render(
        request,
        "provinces/province_detail.html",
        {
            "province": province,
            "form": form,
            "year": year,
            "rows": rows,
            "active": province.established_year <= year,
        },
    )
