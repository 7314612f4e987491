"""The IKPA early warning's pages: the national ranking (`reports:ikpa`) and a province's drill-down
(`reports:ikpa_province`), each also as XLSX, CSV and JSON on its own URL.

They parse the year and the as-of month (a value that does not validate is said beside its field and the
default is used: never a 500), ask `reports.ikpa` for the figures and render or export them. A province
outside the user's scope answers 404, and so does any drill-down for a regency operator, who never reads a
whole province's totals. They never compute a score themselves.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access, exports
from ..exports import Column, Export, Table
from ..forms import CapaianFilterForm
from ..periods import MONTHS, benchmarks_text
from . import ikpa
from .recap import years_visible


def _year_and_month(request):
    form = CapaianFilterForm(
        request.GET, default_year=lambda: (years_visible(request.user) or [timezone.localdate().year])[0]
    )
    year, month = form.year_and_month()
    form.fields["tahun"].widget.attrs["placeholder"] = str(year)
    return form, year, month


def _query(request):
    query = request.GET.copy()
    query.pop("format", None)
    return query.urlencode()


def _band_name(row):
    band = row.band
    return band.name if band else None


RANKING_COLUMNS = [
    Column("rank", gettext_lazy("Peringkat"), "code"),
    Column("province_code", gettext_lazy("Kode provinsi"), get=lambda r: r.province.code),
    Column("province", gettext_lazy("Provinsi"), get=lambda r: r.province.name),
    *(Column(key, ikpa.PART_LABELS[key], "percent") for key in ikpa.PARTS),
    Column("score", gettext_lazy("Nilai IKPA (dari bobot yang dihitung)"), "percent"),
    Column("band", gettext_lazy("Kategori"), get=_band_name),
    Column("weight_counted", gettext_lazy("Bobot yang dihitung (%)"), "int"),
    Column("realised", gettext_lazy("Realisasi s.d. bulan ini (Rp)"), "money"),
    Column("unverified_realised", gettext_lazy("Di antaranya belum diverifikasi (Rp)"), "money"),
]


def _meta(report):
    return {
        "year": report.year,
        "month": report.month,
        "as_of": report.as_of,
        "computed_weight_pct": ikpa.COMPUTED_WEIGHT,
        "weights": ikpa.WEIGHTS,
        "includes_unverified": True,
    }


def _context(report, form, query):
    return {
        "report": report,
        "filter": form,
        "year": report.year,
        "query": query,
        "parts": [
            {"key": key, "label": ikpa.PART_LABELS[key], "weight": ikpa.WEIGHTS[key]} for key in ikpa.PARTS
        ],
        "computed_weight": ikpa.COMPUTED_WEIGHT,
        "not_held": ikpa.NOT_HELD_LABELS,
        "band_ranges": ikpa.band_ranges(),
        "weights": ikpa.WEIGHTS,
        "free_revisions": ikpa.FREE_REVISIONS_PER_SEMESTER,
        "benchmarks": benchmarks_text(),
        "excluded_codes": sorted(ikpa.EXCLUDED_REVISION_CODES.items()),
        "tolerance": ikpa.DEVIATION_TOLERANCE_PCT,
    }


def ranking(request):
    form, year, month = _year_and_month(request)
    report = ikpa.ikpa_report(request.user, year, month)
    fmt = exports.requested_format(request)
    if fmt:
        export = Export(
            name=f"ikpa-{report.as_of}",
            tables=[Table("rows", _("Peringatan dini IKPA"), RANKING_COLUMNS, report.rows)],
            meta=_meta(report),
            title=_("Peringatan dini IKPA (70 % bobot yang dihitung aplikasi)"),
            scope=exports.scope_of(request.user),
            year=report.year,
            filters=_("Keadaan s.d. akhir %(m)s") % {"m": MONTHS[report.month - 1]},
            # An early warning counts what is recorded, verified or not: the title block says so when it is.
            unverified=bool(report.unverified_realised) or any(r.unverified_outputs for r in report.rows),
        )
        return exports.respond(request, export, fmt)
    return render(request, "reports/ikpa.html", _context(report, form, _query(request)))


MONTH_COLUMNS = [
    Column("month", gettext_lazy("Bulan"), "code"),
    Column("label", gettext_lazy("Nama bulan")),
    Column("planned", gettext_lazy("Rencana RPD (Rp)"), "money"),
    Column("realised", gettext_lazy("Realisasi (Rp)"), "money"),
    Column("reported", gettext_lazy("Sudah dicatat"), "bool"),
    Column("deviation_pct", gettext_lazy("Deviasi (%)"), "percent"),
    Column("score", gettext_lazy("Nilai bulan"), "percent"),
]
REVISION_COLUMNS = [
    Column("revised_on", gettext_lazy("Tanggal revisi"), "date", get=lambda r: r["revision"].revised_on),
    Column("revision_code", gettext_lazy("Kode revisi"), get=lambda r: r["revision"].revision_code),
    Column("semester", gettext_lazy("Semester"), "code"),
    Column("counts", gettext_lazy("Dihitung dalam IKPA"), "bool"),
    Column("new_pagu", gettext_lazy("Pagu baru (Rp)"), "money", get=lambda r: r["revision"].new_pagu),
    Column("reason", gettext_lazy("Alasan"), get=lambda r: r["revision"].reason),
]
OUTPUT_COLUMNS = [
    Column("code", gettext_lazy("Kode RO"), get=lambda o: o["ro"].code),
    Column("name", gettext_lazy("Uraian"), get=lambda o: o["ro"].name),
    Column("target", gettext_lazy("Target"), "int"),
    Column("achieved", gettext_lazy("Capaian (semua data)"), "int"),
    Column("verified", gettext_lazy("Di antaranya terverifikasi"), "int"),
    Column("achieved_pct", gettext_lazy("Capaian (%)"), "percent"),
    Column("expected_pct", gettext_lazy("Seharusnya s.d. bulan ini (%)"), "percent"),
    Column("score", gettext_lazy("Nilai RO"), "percent"),
]


def province(request, code):
    if not access.reads_province_totals(request.user):
        raise Http404  # a regency operator: the province's totals are not theirs to read
    place = access.provinces_visible_to(request.user).filter(code=code).first()
    if place is None:
        raise Http404
    form, year, month = _year_and_month(request)
    report = ikpa.ikpa_report(request.user, year, month, province=place, with_activities=True)
    row = report.rows[0] if report.rows else None
    if row is None:  # the province did not exist that year
        raise Http404
    fmt = exports.requested_format(request)
    if fmt:
        export = Export(
            name=f"ikpa-{place.code}-{report.as_of}",
            tables=[
                # the rank is the ranking's (of the provinces the user sees), not the drill-down's
                Table("rows", _("Nilai IKPA"), RANKING_COLUMNS[1:], [row]),
                Table("revisions", _("Revisi DIPA"), REVISION_COLUMNS, row.revisions),
                Table("months", _("Deviasi halaman III DIPA"), MONTH_COLUMNS, row.months),
                Table("outputs", _("Capaian output"), OUTPUT_COLUMNS, row.outputs),
            ],
            meta={
                **_meta(report),
                "province_code": place.code,
                "province": place.name,
                "pagu": exports.plain(row.pagu, "money"),
                "realised": exports.plain(row.realised, "money"),
                "absorption_pct": exports.plain(row.absorption_pct, "percent"),
                "trajectory_pct": exports.plain(report.trajectory_pct, "percent"),
            },
            province=place.pk,
            title=_("Peringatan dini IKPA: rincian (70 % bobot yang dihitung aplikasi)"),
            scope=place.name,
            year=report.year,
            filters=_("Keadaan s.d. akhir %(m)s") % {"m": MONTHS[report.month - 1]},
            unverified=bool(row.unverified_realised) or bool(row.unverified_outputs),
        )
        return exports.respond(request, export, fmt)
    context = _context(report, form, _query(request))
    context.update({"province": place, "row": row})
    return render(request, "reports/ikpa_province.html", context)
