"""Report pages: parse the filters, ask `reports` for the figures, render — or export the same figures.

A province's pages are found through the scoping mechanism (`provinces_visible_to`): another province's
report answers 404, so nobody learns what exists elsewhere.
"""

import functools
import json

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access, benchmarks, exports, pdf, reports
from ..access import allocations_open_for_reporting, get_visible_or_404, provinces_visible_to
from ..exports import Column, Export, Table
from ..forms import CapaianFilterForm, QuarterlyNoteForm, ReportFilterForm
from ..forms.reports import RecapFilterForm
from ..models import Allocation, FundType, QuarterlyNote, RecipientType, fund_type_for
from ..periods import MONTHS, QUARTER_BENCHMARKS, QUARTER_NUMERALS, benchmarks_text, quarter_end
from ..views.common import paginate, save_form
from . import pp39
from .capaian import default_month

ACTIVITY_PAGE_SIZE = 25  # as the activity list
ALL = ("tahun", "jenis", "tujuan", "sektor", "covid", "verifikasi", "urut")
YEAR_ONLY = ("tahun", "verifikasi")
NATIONAL = (*ALL, "dana")  # the recap alone filters by fund type: it narrows provinces, not activities


def _default_year(request):
    """The newest fiscal year with data the user may see, else the current one."""
    return (reports.years_visible(request.user) or [timezone.localdate().year])[0]


def _filters(request, fields):
    form = ReportFilterForm(request.GET, fields=fields, default_year=lambda: _default_year(request))
    filters = form.filters()
    form.fields["tahun"].widget.attrs["placeholder"] = str(filters.year)
    return form, filters, form.sort() if "urut" in fields else ""


def _query(request, **changes):
    """The request's query without the format and the page, with `changes` applied."""
    query = request.GET.copy()
    for key in ("format", "halaman", *changes):
        query.pop(key, None)
    for key, value in changes.items():
        if value:
            query[key] = value
    return query.urlencode()


def _province(request, code):
    province = provinces_visible_to(request.user).filter(code=code).first()
    if province is None:
        raise Http404
    return province


def _fund_type(code):
    """The fund type (FundType: its label and code for the report's header), None when unknown."""
    return FundType(code) if code in FundType.values else None


def _plain_row(row, figures):
    return {f.key: exports.plain(row[f.key], f.kind) for f in figures}


def add_activity_url(user, year, province=None):
    """The new-activity page when the user may add an activity of the year (of `province`): an allocation
    open to them for entry, else None — asked only when a list is empty (one query, none for readers)."""
    if not access.may_enter_data(user):
        return None
    allocations = access.allocations_open_for_entry(user).filter(year=year)
    if province is not None:
        allocations = allocations.filter(province=province)
    return reverse("programs:activity_create") if allocations.exists() else None


def _cells(row, figures):
    return [{"value": row[f.key], "kind": f.kind} for f in figures]


# --- The map's colour classes -------------------------------------------------------------------------------

MAP_GEOJSON = "maps/indonesia-provinces.geojson"
#: The map's colour steps (static/css/app.css .map-c0 … .map-c4, lightest first).
MAP_PALETTE = 5
#: The figures the map colours by the benchmark's steps (programs/benchmarks.py), as static/js/reports.js's
#: BY_STANDING: every other figure by its own classes (`map_classes`).
BY_STEPS = ("absorption_pct", "gap_pct")


@functools.cache
def _map_shapes():
    """{shape code: [province codes it draws]} of the map's boundaries (a shape of the source may draw
    several provinces: Kalimantan Utara inside Kalimantan Timur, the Papua provinces since 2022)."""
    path = finders.find(MAP_GEOJSON)
    if not path:
        return {}
    with open(path, encoding="utf-8") as source:
        features = json.load(source)["features"]
    return {f["properties"]["code"]: list(f["properties"]["codes"]) for f in features}


def _compact(value, kind):
    """A value in short, Indonesian style, as the chart's axis writes it: "Rp 1,20 M", "350 jt", "22,8 %"."""
    prefix = "Rp " if kind == "money" else ""
    value = float(value)

    def fixed(number, places):
        text = f"{number:,.{places}f}"
        return text.replace(",", "_").replace(".", ",").replace("_", ".")

    if kind == "percent":
        text = fixed(value, 1)
        return (text[:-2] if text.endswith(",0") else text) + " %"
    size = abs(value)
    if size >= 1e12:
        return f"{prefix}{fixed(value / 1e12, 2)} T"
    if size >= 1e9:
        return f"{prefix}{fixed(value / 1e9, 2)} M"
    if size >= 1e6:
        return f"{prefix}{fixed(value / 1e6, 0)} jt"
    if size >= 1e3 and kind != "money":
        return f"{fixed(value / 1e3, 0)} rb"
    return prefix + fixed(value, 0)


def map_classes(rows, figure):
    """The map's colour classes of a figure (not the absorption and its gap, which the benchmark's steps
    colour): {"classes": [{"css", "label"} or {"css", "low", "high"}], "shapes": {shape code: class index}}.
    A count's class carries its whole bounds, which the script writes with the page's grouping (a count
    such as 2.001 must not pass for a year in the page's source); money's its label, rounded as here.

    At most five classes over the shapes' values (a shape's value: the sum over the provinces it draws):
    whole ranges for counts, equal intervals for money; never two classes that read alike, so the legend
    never repeats a range — one province, or every province alike, is one class named by its value."""
    by_code = {r["province_code"]: r for r in rows}
    values = {}
    for shape, codes in _map_shapes().items():
        present = [by_code[c][figure.key] for c in codes if c in by_code]
        present = [v for v in present if v is not None]
        if present:
            values[shape] = float(sum(present))
    if not values:
        return {"classes": [], "shapes": {}}
    low, high = min(values.values()), max(values.values())
    if figure.kind == "int":
        labels, shapes = _count_classes(values, int(low), int(high))
    else:
        labels, shapes = _range_classes(values, low, high, figure.kind)
    last = len(labels) - 1

    def css(n):
        # The palette spread over the classes there are: one class takes the darkest.
        return f"map-c{MAP_PALETTE - 1 if not last else round(n * (MAP_PALETTE - 1) / last)}"

    return {"classes": [{"css": css(n), **own} for n, own in enumerate(labels)], "shapes": shapes}


def _count_classes(values, low, high):
    """Counts: whole, non-overlapping ranges (0 – 6, 7 – 13 … or 3 alone), at most five."""
    width = -(-(high - low + 1) // MAP_PALETTE)  # rounded up: five ranges cover low..high
    labels, start = [], low
    while start <= high:
        end = min(high, start + width - 1)
        labels.append({"low": start, "high": end})
        start = end + 1
    return labels, {shape: (int(value) - low) // width for shape, value in values.items()}


def _range_classes(values, low, high, kind):
    """Money (and percentages): equal intervals, each named by its rounded bounds; a step that would read
    as its neighbour joins it."""
    steps = 1 if low == high else MAP_PALETTE
    width = (high - low) / steps
    bounds = [[low + width * i, high if i == steps - 1 else low + width * (i + 1)] for i in range(steps)]

    def label(lower, upper):
        a, b = _compact(lower, kind), _compact(upper, kind)
        return a if a == b else f"{a} – {b}"

    merged = []  # [[lower, upper, [step indices]]]
    for i, (lower, upper) in enumerate(bounds):
        if merged:
            previous = label(merged[-1][0], merged[-1][1])
            if previous in (label(lower, upper), label(merged[-1][0], upper)):
                merged[-1][1] = upper
                merged[-1][2].append(i)
                continue
        merged.append([lower, upper, [i]])
    step_class = {i: n for n, group in enumerate(merged) for i in group[2]}
    shapes = {
        shape: step_class[0 if not width else min(steps - 1, int((value - low) // width))]
        for shape, value in values.items()
    }
    return [{"label": label(g[0], g[1])} for g in merged], shapes


# --- Index -------------------------------------------------------------------------------------------------


def index(request):
    years = reports.years_visible(request.user)
    year = years[0] if years else timezone.localdate().year
    provinces = provinces_visible_to(request.user).active_in(year).order_by("code")
    return render(
        request,
        "reports/index.html",
        {"year": year, "years": years, "provinces": provinces, "quarters": [1, 2, 3, 4]},
    )


# --- National recap ----------------------------------------------------------------------------------------


def _recap_columns(figures):
    return [
        Column("province_code", _("Kode provinsi")),
        Column("province", _("Provinsi")),
        Column("fund_type", _("Jenis dana")),
    ] + [Column(f.key, f.label, f.kind) for f in figures]


def _sort_link(request, key, current, numeric):
    if current == key:
        target = f"-{key}"
    elif current == f"-{key}":
        target = key
    else:
        target = f"-{key}" if numeric else key
    return {
        "url": "?" + _query(request, urut=target),
        "direction": "asc" if current == key else "desc" if current == f"-{key}" else None,
    }


def _standing_column(*, labels):
    """The row's standing against the benchmark (programs/benchmarks.py): its code in JSON, its words in
    the spreadsheets."""
    return Column(
        "standing",
        _("Status terhadap target"),
        get=(lambda r: r["standing_label"]) if labels else (lambda r: r["standing"]),
    )


def national(request):
    form = RecapFilterForm(
        request.GET, fields=(*NATIONAL, "bulan"), default_year=lambda: _default_year(request)
    )
    filters, sort = form.filters(), form.sort()
    form.fields["tahun"].widget.attrs["placeholder"] = str(filters.year)
    month = form.month(filters.year)
    recap = reports.national_recap(request.user, filters, month=month)
    rows = recap.sorted_rows(sort)
    fmt = exports.requested_format(request)
    if fmt:
        columns = [*_recap_columns(recap.figures), _standing_column(labels=fmt != "json")]
        export = Export(
            name=f"rekap-nasional-{filters.year}-{month:02d}",
            tables=[Table("rows", _("Rekap nasional"), columns, rows, totals=recap.totals)],
            meta={
                "year": filters.year,
                "month": month,
                "as_of": f"{filters.year:04d}-{month:02d}",
                "benchmark_pct": exports.plain(recap.benchmark_pct, "percent"),
                "filters": filters.as_dict(),
            },
            title=_("Rekapitulasi nasional"),
            scope=exports.scope_of(request.user),
            filters=exports.filters_text(form),
            unverified=exports.unverified_in(request.user, filters, last_month=month),
        )
        return exports.respond(request, export, fmt)
    groups = []
    for group, title in (
        ("money", _("Anggaran dan kegiatan")),
        ("outputs", _("Hasil produksi, pesanan dan penyerahan")),
    ):
        figures = [f for f in recap.figures if (f.group == "outputs") == (group == "outputs")]
        groups.append(
            {
                "title": title,
                "columns": [{"figure": f, **_sort_link(request, f.key, sort, numeric=True)} for f in figures],
                "standing": group == "money",
                "rows": [
                    {
                        "code": r["province_code"],
                        "name": r["province"],
                        "fund_type": r["fund_type"],
                        "cells": _cells(r, figures),
                        "standing": benchmarks.BY_KEY[r["standing"]],
                    }
                    for r in rows
                ],
                "totals": _cells(recap.totals, figures),
                "total_standing": benchmarks.BY_KEY[recap.totals["standing"]],
            }
        )
    chart = {
        "figures": [
            {"key": f.key, "label": str(f.label), "kind": f.kind}
            for f in recap.figures
            if f.key != "benchmark_pct"  # the same for every province: drawn as a line instead
        ],
        "rows": [
            {
                "code": r["province_code"],
                "name": r["province"],
                "standing": r["standing"],
                **_plain_row(r, recap.figures),
            }
            for r in rows
        ],
        "default": "absorption_pct",
        "geojson": static("maps/indonesia-provinces.geojson"),
        "benchmark": {
            "pct": exports.plain(recap.benchmark_pct, "percent"),
            "label": str(
                _("Target s.d. %(m)s: %(p)s %%") % {"m": MONTHS[month - 1], "p": recap.benchmark_pct}
            ),
        },
        # The steps of the map's scale for absorption and its gap: the traffic light's rule, sent from its
        # one home so that the script never redefines it.
        "steps": benchmarks.legend(),
    }
    # Who sees one province (an operator, a Kepala Dinas, a regency operator, a province's viewer) gets it
    # against the national average and the benchmark instead of a one-bar chart and a one-province map.
    comparison = (
        None
        if access.sees_every_province(request.user)
        else reports.province_against_nation(request.user, recap)
    )
    if comparison is None:
        # The other figures' colour classes (absorption and its gap: the benchmark's steps above).
        chart["classes"] = {f.key: map_classes(rows, f) for f in recap.figures if f.key not in BY_STEPS}
    else:
        chart["comparison"] = _comparison_chart(comparison)
    return render(
        request,
        "reports/national.html",
        {
            "filter": form,
            "filters": filters,
            "year": filters.year,
            "groups": groups,
            "province_sort": _sort_link(request, "province", sort, numeric=False),
            "chart": chart,
            "count": len(rows),
            "month": month,
            "month_label": MONTHS[month - 1],
            "benchmark_pct": recap.benchmark_pct,
            "steps": [*benchmarks.STEPS, benchmarks.NO_DATA],
            "comparison": comparison,
            "empty": _recap_empty(request.user, recap, filters),
            "query": _query(request),
        },
    )


def _recap_empty(user, recap, filters):
    """What an empty recap says (None when it holds something): no allocation of the year yet (recorded by
    the ministry), or allocations without any activity or realisation (the province's operators add them)."""
    if filters.narrowed or filters.verified_only or not recap.rows:
        return None  # a filter that matches nothing, or no province: the table says so
    if not any(r["fund_type"] for r in recap.rows):
        return {"allocation": False}
    totals = recap.totals
    if totals["activities"] or totals["realised"]:
        return None
    return {"allocation": True, "add_activity": add_activity_url(user, filters.year)}


def _comparison_chart(comparison):
    """The comparison's three bars for the script: the province, the national average, the benchmark."""
    row = comparison.province
    known = row["standing"] != "no_data"
    return {
        "bars": [
            {
                "label": row["province"],
                "pct": exports.plain(row["absorption_pct"], "percent") if known else None,
                "standing": row["standing"],
            },
            {
                "label": str(_("Rata-rata nasional")),
                "pct": exports.plain(comparison.national_pct, "percent"),
                "standing": comparison.national_standing.key,
            },
            {
                "label": str(_("Target s.d. %(m)s") % {"m": MONTHS[comparison.month - 1]}),
                "pct": exports.plain(comparison.benchmark_pct, "percent"),
                "standing": "benchmark",
            },
        ],
        "title": str(_("Penyerapan (%)")),
    }


# --- Province report ---------------------------------------------------------------------------------------

MONTH_COLUMNS = [
    Column("label", gettext_lazy("Bulan")),
    Column("realised", gettext_lazy("Realisasi bulan ini (Rp)"), "money", total=True),
    Column("cumulative", gettext_lazy("Realisasi kumulatif (Rp)"), "money"),
    Column("cumulative_pct", gettext_lazy("Kumulatif terhadap pagu terkini (%)"), "percent"),
    Column("benchmark_pct", gettext_lazy("Target triwulan (%)"), "percent"),
    Column("benchmark_amount", gettext_lazy("Target triwulan (Rp)"), "money"),
]


def _activity_columns(figures_of, firms_total):
    """A province's activities with their figures; `firms_total`: the distinct firms (a sum would count a
    firm in two activities twice)."""

    def figure(key):
        return lambda a: figures_of(a)[key]

    return [
        Column("id", gettext_lazy("ID"), "code"),
        Column("title", gettext_lazy("Judul kegiatan")),
        Column("regency", gettext_lazy("Kabupaten/kota"), get=lambda a: a.regency.name if a.regency else ""),
        Column("kind", gettext_lazy("Jenis"), get=lambda a: a.get_kind_display()),
        Column("status", gettext_lazy("Status pelaksanaan"), get=lambda a: a.get_status_display()),
        Column(
            "review_status", gettext_lazy("Status verifikasi"), get=lambda a: a.get_review_status_display()
        ),
        Column("planned_start", gettext_lazy("Rencana mulai"), "date"),
        Column("planned_end", gettext_lazy("Rencana selesai"), "date"),
        Column("actual_end", gettext_lazy("Realisasi selesai"), "date"),
        Column("budget", gettext_lazy("Anggaran (Rp)"), "money", total=True),
        Column("target_participants", gettext_lazy("Target peserta"), "int", total=True),
        Column("actual_participants", gettext_lazy("Realisasi peserta"), "int", total=True),
        Column("firms", gettext_lazy("IKM"), "int", get=figure("firms"), total=lambda _sums: firms_total),
        Column(
            "participants", gettext_lazy("Peserta perorangan"), "int", get=figure("participants"), total=True
        ),
        Column("produced", gettext_lazy("Diproduksi"), "int", get=figure("produced"), total=True),
        Column("ordered", gettext_lazy("Dipesan"), "int", get=figure("ordered"), total=True),
        Column("handed_over", gettext_lazy("Diserahkan"), "int", get=figure("handed_over"), total=True),
    ]


def province_report(request, code):
    province = _province(request, code)
    form, filters, _sort = _filters(request, ALL[:-1])
    user = request.user
    recap = reports.national_recap(user, filters, province=province)
    row = recap.rows[0] if recap.rows else None
    months = reports.monthly_curve(user, province, filters, row["current_pagu"] if row else None)
    activities = reports.province_activities(user, province, filters)
    fmt = exports.requested_format(request)
    if fmt:
        figures = reports.activity_figures(user, province, filters.year)
        columns = _activity_columns(
            lambda a: figures.get(a.pk, reports.EMPTY_ACTIVITY_FIGURES), row["firms"] if row else 0
        )
        export = Export(
            name=f"laporan-provinsi-{province.code}-{filters.year}",
            tables=[
                Table("rows", _("Kegiatan"), columns, activities.iterator(chunk_size=exports.CHUNK_SIZE)),
                Table("summary", _("Ringkasan"), _recap_columns(recap.figures), recap.rows),
                Table("monthly", _("Realisasi bulanan"), MONTH_COLUMNS, months),
            ],
            meta={
                "year": filters.year,
                "province_code": province.code,
                "province": province.name,
                "fund_type": row["fund_type"] if row else None,
                "filters": filters.as_dict(),
            },
            province=province.pk,
            title=_("Laporan provinsi %(province)s") % {"province": province.name},
            filters=exports.filters_text(form),
            unverified=exports.unverified_in(user, filters, province),
        )
        return exports.respond(request, export, fmt)
    page = paginate(request, activities, ACTIVITY_PAGE_SIZE)
    figures = reports.activity_figures(user, province, filters.year, activity_ids=[a.pk for a in page])
    for activity in page:
        activity.figures = figures.get(activity.pk, reports.EMPTY_ACTIVITY_FIGURES)
    chart = {
        "months": [
            {k: exports.plain(m[k], c.kind) for k, c in ((c.key, c) for c in MONTH_COLUMNS)} for m in months
        ],
        "pagu": exports.plain(row["current_pagu"], "money") if row else None,
        "benchmark_label": gettext_lazy("Target triwulan (%(targets)s %%)") % {"targets": benchmarks_text()},
    }
    return render(
        request,
        "reports/province.html",
        {
            "province": province,
            "filter": form,
            "filters": filters,
            "year": filters.year,
            "row": row,
            "fund_type": _fund_type(row["fund_type"] if row else None),
            "summary": [
                [
                    {"figure": f, "value": row[f.key]}
                    for f in recap.figures
                    if (f.group == "outputs") == outputs
                ]
                for outputs in (False, True)
            ]
            if row
            else [],
            "progress": reports.physical_progress(row) if row else None,
            "with_status": access.reads_province_totals(user),  # the shareable status: province totals
            "months": months,
            "realised_total": sum((m["realised"] or 0) for m in months),
            "page": page,
            "chart": chart,
            "quarters": [1, 2, 3, 4],
            "unfiltered": not (filters.narrowed or filters.verified_only),
            "add_activity": add_activity_url(user, filters.year, province)
            if not len(page) and not (filters.narrowed or filters.verified_only)
            else None,
            "query": _query(request),
        },
    )


# --- Quarterly report --------------------------------------------------------------------------------------

QUARTER_MONTH_COLUMNS = [
    Column("label", gettext_lazy("Bulan")),
    Column("realised", gettext_lazy("Realisasi bulan ini (Rp)"), "money", total=True),
    Column("cumulative", gettext_lazy("Realisasi kumulatif sejak Januari (Rp)"), "money"),
    Column("cumulative_pct", gettext_lazy("Penyerapan kumulatif (%)"), "percent"),
]
NOTE_COLUMNS = [
    Column("problems", gettext_lazy("Permasalahan")),
    Column("follow_up", gettext_lazy("Tindak lanjut")),
    Column("physical_progress", gettext_lazy("Catatan capaian fisik")),
]


def _quarterly_activity_columns(firms_total):
    """The quarterly report's activity table; the fields it shows are the activity's as recorded at the
    quarter's end (`reports.as_at`). `firms_total`: the distinct firms (a sum would count a firm in two
    activities twice)."""

    def row(name, kind="text", label=None, **kwargs):
        return Column(name, label, kind, get=lambda r: r[name], **kwargs)

    return [
        Column("title", gettext_lazy("Kegiatan"), get=lambda r: r["activity"].title),
        Column("status", gettext_lazy("Status"), get=lambda r: r["status_label"]),
        row("planned_end", "date", gettext_lazy("Rencana selesai")),
        row("actual_end", "date", gettext_lazy("Realisasi selesai")),
        Column(
            "done_by_end",
            gettext_lazy("Selesai s.d. akhir triwulan"),
            "bool",
            get=lambda r: bool(r["done_by_end"]),
        ),
        row("budget", "money", gettext_lazy("Anggaran (Rp)"), total=True),
        row("target_participants", "int", gettext_lazy("Target peserta"), total=True),
        row("actual_participants", "int", gettext_lazy("Realisasi peserta"), total=True),
        Column("firms", gettext_lazy("IKM"), "int", total=lambda _sums: firms_total),
        Column("participants", gettext_lazy("Peserta perorangan"), "int", total=True),
        Column("ordered", gettext_lazy("Pesanan s.d. akhir triwulan"), "int", total=True),
        Column("produced", gettext_lazy("Diproduksi s.d. akhir triwulan"), "int", total=True),
        Column("handed_over", gettext_lazy("Diserahkan s.d. akhir triwulan"), "int", total=True),
    ]


def _note_editable(user, allocation, note, quarter):
    """Whether the user may write the quarter's note: the province's operator (or an admin), open year."""
    if allocation is None:
        return False
    if note is not None and note.pk:
        return QuarterlyNote.objects.editable_by(user).filter(pk=note.pk).exists()
    return allocations_open_for_reporting(user).filter(pk=allocation.pk).exists() and access.period_open_for(
        user, allocation.province_id, allocation.year, access.QUARTERLY, quarter
    )


def _quarter(quarter):
    if quarter not in QUARTER_BENCHMARKS:
        raise Http404
    return quarter


def _signatory(user, allocation, quarter):
    """Who signs the quarter's report (pp39.approvals), None without an allocation."""
    if allocation is None:
        return None
    return pp39.approvals(user, [allocation], quarter)[allocation.pk][2]


def quarterly(request, code, quarter):
    quarter = _quarter(quarter)
    province = _province(request, code)
    form, filters, _sort = _filters(request, YEAR_ONLY)
    # The PP 39/2006 forms are the province's official totals, signed by its Kepala Dinas: never made from
    # a regency operator's share of the records (access.reads_province_totals).
    with_forms = access.reads_province_totals(request.user)
    if request.GET.get("format") == PDF:
        if not with_forms:
            raise Http404
        # The PP 39/2006 forms (verified data whatever `verifikasi` says), not one of exports.FORMATS.
        forms = pp39.province_forms(request.user, province, filters.year, quarter)
        return pdf.pdf_response(
            request,
            "reports/pdf/forms.html",
            {"forms": forms, "province": province, "year": filters.year, "printed_at": forms.printed_at},
            filename=f"formulir-pp39-triwulan-{quarter}-{province.code}-{filters.year}",
        )
    report = reports.quarterly_report(request.user, province, filters.year, quarter, filters.verified_only)
    fmt = exports.requested_format(request)
    if fmt:
        note = report.note
        forms = pp39.province_forms(request.user, province, filters.year, quarter) if with_forms else None
        export = Export(
            name=f"laporan-triwulan-{quarter}-{province.code}-{filters.year}",
            tables=[
                # Every activity of the province-year (streamed), not one page.
                Table(
                    "rows",
                    _("Capaian output"),
                    _quarterly_activity_columns(report.summary["firms"]),
                    report.activities,
                ),
                Table("realisation", _("Realisasi anggaran"), QUARTER_MONTH_COLUMNS, report.months),
                Table(
                    "notes",
                    _("Permasalahan dan tindak lanjut"),
                    NOTE_COLUMNS,
                    [
                        {
                            "problems": note.problems if note else "",
                            "follow_up": note.follow_up if note else "",
                            "physical_progress": note.physical_progress if note else "",
                        }
                    ],
                ),
                # The PP 39/2006 forms after the report's own sheets (JSON keys form_a, form_b, form_c).
                *(_forms_tables(forms, labels=fmt != "json") if forms is not None else []),
            ],
            meta={
                "year": filters.year,
                "quarter": quarter,
                "quarter_end": report.end.isoformat(),
                "province_code": province.code,
                "province": province.name,
                "fund_type": report.allocation.fund_type if report.allocation else None,
                "filters": filters.as_dict(),
                "pagu_at_quarter_end": exports.plain(report.pagu_at_end, "money"),
                "realised_to_quarter_end": exports.plain(report.realised_to_end, "money"),
                "absorption_pct": exports.plain(report.absorption_pct, "percent"),
                "benchmark_pct": report.benchmark_pct,
            },
            province=province.pk,
            title=_("Laporan Triwulan %(quarter)s %(province)s")
            % {"quarter": QUARTER_NUMERALS[quarter], "province": province.name},
            filters=exports.filters_text(form),
            unverified=exports.unverified_in(request.user, filters, province, last_month=quarter * 3),
        )
        return exports.respond(request, export, fmt)
    page = paginate(request, report.activities.queryset, ACTIVITY_PAGE_SIZE)
    page.object_list = report.activities.rows(page)
    unfiltered = not (filters.narrowed or filters.verified_only)
    return render(
        request,
        "reports/quarterly.html",
        {
            "province": province,
            "filter": form,
            "filters": filters,
            "year": filters.year,
            "report": report,
            "fund_type": _fund_type(report.allocation.fund_type if report.allocation else None),
            "page": page,
            "can_edit_note": _note_editable(request.user, report.allocation, report.note, quarter),
            "quarters": [1, 2, 3, 4],
            "printed_at": timezone.localtime(),
            "signatory": _signatory(request.user, report.allocation, quarter),
            "with_forms": with_forms,
            "unfiltered": unfiltered,
            "add_activity": add_activity_url(request.user, filters.year, province)
            if not page.object_list and unfiltered
            else None,
            "query": _query(request),
            "forms_query": _query(request, verifikasi=None),
        },
    )


# --- The PP 39/2006 forms: as spreadsheets, the national bundle, a province's status to share -------------

PDF, PNG = "pdf", "png"

FORM_A_COLUMNS = [
    Column("code", gettext_lazy("Kode")),
    Column("level", gettext_lazy("Tingkat"), get=lambda r: r["level_label"]),
    Column("name", gettext_lazy("Uraian")),
    Column("target", gettext_lazy("Volume"), "int"),
    Column("unit", gettext_lazy("Satuan")),
    Column("pagu", gettext_lazy("Pagu (Rp)"), "money"),
]
FORM_B_COLUMNS = [
    Column("label", gettext_lazy("Bulan")),
    Column("planned", gettext_lazy("Target kumulatif RPD (Rp)"), "money"),
    Column("planned_pct", gettext_lazy("Target RPD (%)"), "percent"),
    Column("benchmark_pct", gettext_lazy("Lintasan target triwulan (%)"), "percent"),
    Column("realised_month", gettext_lazy("Realisasi bulan ini, terverifikasi (Rp)"), "money"),
    Column("realised", gettext_lazy("Realisasi kumulatif, terverifikasi (Rp)"), "money"),
    Column("realised_pct", gettext_lazy("Realisasi (%)"), "percent"),
    Column("deviation_pct", gettext_lazy("Deviasi dari RPD (%)"), "percent"),
]


def _forms_tables(forms, *, labels):
    """Form A, B and C as export tables (Form C: the capaian table's columns, verified data)."""
    form_c = forms.form_c
    return [
        Table("form_a", _("Formulir A"), FORM_A_COLUMNS, forms.plan),
        Table("form_b", _("Formulir B"), FORM_B_COLUMNS, forms.months),
        Table("form_c", _("Formulir C"), _capaian_columns(labels=labels), form_c.rows, totals=form_c.totals),
    ]


def national_forms(request, quarter):
    """Form C of every province the user sees, for a quarter: the page lists them, `format=pdf` is the file
    (each province on a new page, in code order)."""
    quarter = _quarter(quarter)
    fmt = request.GET.get("format") or None
    if fmt not in (None, PDF) or not access.reads_province_totals(request.user):
        raise Http404  # a regency operator reads no province's Form C (see `quarterly`)
    form, filters, _sort = _filters(request, ("tahun",))
    forms = pp39.national_forms_c(request.user, filters.year, quarter)
    context = {
        "forms": forms,
        "year": filters.year,
        "quarter": quarter,
        "numeral": QUARTER_NUMERALS[quarter],
        "end": quarter_end(filters.year, quarter),
        "printed_at": timezone.localtime(),
    }
    if fmt == PDF:
        return pdf.pdf_response(
            request,
            "reports/pdf/national.html",
            context,
            filename=f"formulir-c-triwulan-{quarter}-{filters.year}-nasional",
        )
    return render(
        request,
        "reports/national_forms.html",
        {**context, "filter": form, "filters": filters, "quarters": [1, 2, 3, 4], "query": _query(request)},
    )


def province_status(request, code):
    """A province's status as of a month, on one page to share in a chat: `format=pdf` or `format=png`
    (about 1080 pixels wide); without a format, the same page in the browser with both links."""
    province = _province(request, code)
    fmt = request.GET.get("format") or None
    if fmt not in (None, PDF, PNG) or not access.reads_province_totals(request.user):
        raise Http404  # the province's totals: never a regency operator's share of them
    form = CapaianFilterForm(request.GET, default_year=lambda: _default_year(request))
    year, month = form.year_and_month()
    month = month or default_month(year)
    status = pp39.status(request.user, province, year, month)
    context = {"status": status, "printed_at": timezone.localtime()}
    name = f"status-{province.code}-{year:04d}-{month:02d}"
    if fmt == PDF:
        return pdf.pdf_response(request, "reports/pdf/status.html", context, filename=name)
    if fmt == PNG:
        return pdf.png_response(request, "reports/pdf/status.html", context, filename=name)
    form.fields["tahun"].widget.attrs["placeholder"] = str(year)
    return render(
        request,
        "reports/status.html",
        {**context, "province": province, "year": year, "filter": form, "query": _query(request)},
    )


def quarterly_note(request, code, quarter):
    quarter = _quarter(quarter)
    province = _province(request, code)
    _form, filters, _sort = _filters(request, ("tahun",))
    allocation = get_visible_or_404(
        Allocation.objects.select_related("province"), request.user, province=province, year=filters.year
    )
    note = (
        QuarterlyNote.objects.visible_to(request.user).filter(allocation=allocation, quarter=quarter).first()
    )
    if not _note_editable(request.user, allocation, note, quarter):
        if not access.period_open_for(
            request.user, allocation.province_id, allocation.year, access.QUARTERLY, quarter
        ):
            raise PermissionDenied(access.period_refusal(allocation.year, access.QUARTERLY, quarter))
        raise PermissionDenied(
            _("Catatan triwulan ini hanya dapat diisi operator provinsinya selama tahun anggaran terbuka.")
        )
    note = note or QuarterlyNote(allocation=allocation, quarter=quarter)
    form = QuarterlyNoteForm(request.POST or None, instance=note, user=request.user)
    back = reverse("reports:quarterly", kwargs={"code": province.code, "quarter": quarter})
    back += f"?tahun={filters.year}"
    if request.method == "POST" and save_form(request, form):
        messages.success(request, _("Catatan triwulan disimpan."))
        return redirect(back)
    return render(
        request,
        "programs/form.html",
        {
            "form": form,
            "title": _("Catatan triwulan %(q)s %(p)s %(y)s")
            % {"q": quarter, "p": province.name, "y": filters.year},
            "back": back,
        },
        status=400 if form.errors else 200,
    )


# --- Capaian: each RO's physical progress as of a month --------------------------------------------------


def _capaian_columns(*, labels):
    """The capaian table, described once. `labels`: the unit and the measure as the page and the
    spreadsheets name them; without, as the JSON carries them (their codes: "ikm", "orang", "manual" …)."""

    def coded(key):
        return lambda r: r[f"{key}_label"] if labels else r[key]

    return [
        Column("code", gettext_lazy("Kode")),
        Column("name", gettext_lazy("Uraian")),
        Column("unit", gettext_lazy("Satuan"), get=coded("unit")),
        Column("target", gettext_lazy("Target"), "int"),
        Column("achieved", gettext_lazy("Capaian"), "int"),
        Column("achieved_pct", gettext_lazy("Capaian (%)"), "percent"),
        Column("measure", gettext_lazy("Cara menghitung capaian"), get=coded("measure")),
        Column("pagu", gettext_lazy("Pagu RO (Rp)"), "money"),
        Column("realised", gettext_lazy("Realisasi (Rp)"), "money"),
        Column("absorption_pct", gettext_lazy("Penyerapan (%)"), "percent"),
    ]


def capaian(request, code):
    province = _province(request, code)
    form = CapaianFilterForm(request.GET, default_year=lambda: _default_year(request))
    year, month = form.year_and_month()
    report = reports.capaian_report(request.user, province, year, month)
    fmt = exports.requested_format(request)
    if fmt:
        export = Export(
            name=f"capaian-{province.code}-{report.as_of}",
            tables=[
                Table(
                    "rows",
                    _("Capaian RO"),
                    _capaian_columns(labels=fmt != "json"),
                    report.rows,
                    totals=report.totals,
                )
            ],
            meta={
                "year": year,
                "province_code": province.code,
                "fund_type": report.fund_type or fund_type_for(year),
                "as_of": report.as_of,
            },
            province=province.pk,
            title=_("Capaian RO %(province)s s.d. %(month)s")
            % {"province": province.name, "month": MONTHS[report.month - 1]},
            scope=province.name,
            filters=exports.filters_text(form, skip=("tahun", "bulan")),
            # Achievements count verified activities only; the money is every month entered up to the month.
            unverified=exports.unverified_in(
                request.user, reports.Filters(year=year), province, last_month=report.month, activities=False
            ),
        )
        return exports.respond(request, export, fmt)
    form.fields["tahun"].widget.attrs["placeholder"] = str(year)
    return render(
        request,
        "reports/capaian.html",
        {
            "province": province,
            "filter": form,
            "year": year,
            "report": report,
            "month_label": MONTHS[report.month - 1],
            "fund_type": report.allocation.get_fund_type_display() if report.allocation else None,
            "query": _query(request),
        },
    )


# --- Covid-19 response -------------------------------------------------------------------------------------


def _covid_columns():
    return [
        Column("province_code", gettext_lazy("Kode provinsi")),
        Column("province", gettext_lazy("Provinsi")),
        Column("product", gettext_lazy("Jenis produk")),
        Column("produced", gettext_lazy("Diproduksi"), "int"),
        Column("ordered", gettext_lazy("Dipesan"), "int"),
        Column("handed_over", gettext_lazy("Diserahkan"), "int"),
        *[
            Column(key, gettext_lazy("Diserahkan ke %(r)s") % {"r": label}, "int")
            for key, label in _recipient_labels()
        ],
    ]


def _recipient_labels():
    return [(reports.COVID_RECIPIENT_KEYS[value], label) for value, label in RecipientType.choices]


def covid(request):
    form, filters, _sort = _filters(request, YEAR_ONLY)
    report = reports.covid_report(request.user, filters)
    fmt = exports.requested_format(request)
    recipient_labels = _recipient_labels()
    product_columns = [
        Column("product", _("Jenis produk")),
        Column("produced", _("Diproduksi"), "int"),
        Column("ordered", _("Dipesan"), "int"),
        Column("handed_over", _("Diserahkan"), "int"),
        *[Column(key, _("Diserahkan ke %(r)s") % {"r": label}, "int") for key, label in recipient_labels],
    ]
    recipient_columns = [
        Column("recipient", _("Penerima")),
        *[
            Column(reports.COVID_PRODUCT_KEYS[p["product_type"]], p["product"], "int")
            for p in report.by_product
        ],
        Column("handed_over", _("Diserahkan (semua jenis APD)"), "int"),
    ]
    if fmt:
        export = Export(
            name=f"laporan-covid19-{filters.year}",
            tables=[
                Table("rows", _("Per provinsi"), _covid_columns(), report.rows, totals=report.totals),
                Table(
                    "by_product",
                    _("Per jenis produk"),
                    product_columns,
                    report.by_product,
                    totals=report.totals,
                ),
                Table(
                    "by_recipient",
                    _("Per jenis penerima"),
                    recipient_columns,
                    report.by_recipient,
                    totals={
                        "handed_over": report.totals["handed_over"],
                        **{
                            reports.COVID_PRODUCT_KEYS[p["product_type"]]: p["handed_over"]
                            for p in report.by_product
                        },
                    },
                ),
            ],
            meta={"year": filters.year, "filters": filters.as_dict()},
            title=_("Penanganan Covid-19: produksi dan penyerahan APD"),
            scope=exports.scope_of(request.user),
            filters=exports.filters_text(form),
            unverified=exports.unverified_in(request.user, filters),
        )
        return exports.respond(request, export, fmt)
    recipient_keys = [key for key, _label in recipient_labels]
    chart = {
        "products": [
            {k: p[k] for k in ("product", "produced", "ordered", "handed_over")} for p in report.by_product
        ],
        "recipients": [
            {"recipient": r["recipient"], "handed_over": r["handed_over"]} for r in report.by_recipient
        ],
    }
    return render(
        request,
        "reports/covid.html",
        {
            "filter": form,
            "filters": filters,
            "year": filters.year,
            "report": report,
            "recipient_labels": [label for _key, label in recipient_labels],
            "rows": [{**r, "recipients": [r[k] for k in recipient_keys]} for r in report.rows],
            # Product type × recipient type (each row a product; the columns the recipients).
            "matrix": [{**p, "recipients": [p[k] for k in recipient_keys]} for p in report.by_product],
            "total_recipients": [report.totals[k] for k in recipient_keys],
            "record_outputs": reverse("programs:activity_list") + f"?tahun={filters.year}"
            if access.may_enter_data(request.user)
            else None,
            "chart": chart,
            "query": _query(request),
        },
    )
