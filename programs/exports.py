"""Exports of every report and list as XLSX, CSV and JSON (`?format=xlsx|csv|json` on the page's own URL).

One mechanism for all of them: a page describes its data as `Table`s (columns and an iterable of rows) and
`respond()` streams it in the format asked for, so an export has exactly the page's filters and scoping.

- CSV and JSON are generated while the response is sent (StreamingHttpResponse over a generator);
- XLSX is written by openpyxl in write-only mode to an anonymous temporary file, then streamed from it
  (FileResponse); lists iterate their queryset with `.iterator(chunk_size=...)`, so memory stays flat
  however many rows there are.
- Text cells of CSV and XLSX starting with `=`, `+`, `-`, `@` (or a tab / carriage return) get a leading
  `'` so no spreadsheet runs them as a formula; numbers stay numbers.
"""

import csv
import datetime
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .numbers import percent

log = logging.getLogger("ikm_dekon.exports")

FORMATS = ("xlsx", "csv", "json")
CHUNK_SIZE = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUPIAH_FORMAT = '"Rp" #,##0'
# A quantity is grouped (#,##0); a number that names something (a year, an id) never is: 2020, not 2,020.
NUMBER_FORMATS = {
    "money": RUPIAH_FORMAT,
    "int": "#,##0",
    "year": "0",
    "code": "0",
    "percent": '0.00" %"',
    "date": "dd/mm/yyyy",
}
WHOLE_NUMBERS = ("money", "int", "year", "code")
WIDTHS = {"text": 28, "money": 20, "int": 12, "year": 8, "code": 10, "percent": 12, "date": 12, "bool": 8}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)


def neutralise(text):
    """A text cell a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | int (a quantity or count) | money | year | code (a whole number naming something, e.g. an id) |
    # percent | date | bool
    kind: str = "text"
    get: Callable | None = None  # the value from a row; default row[key] (dicts) or getattr (objects)
    total: bool | Callable = False  # True: summed; a callable(sums) computes it (e.g. a percentage)

    def value(self, row):
        if self.get is not None:
            return self.get(row)
        return row.get(self.key) if isinstance(row, dict) else getattr(row, self.key)


@dataclass
class Table:
    key: str  # "rows" for the main table; JSON key of the others
    title: str
    columns: Sequence[Column]
    rows: Iterable
    totals: dict | None = None  # given totals; otherwise summed while the rows stream (Column.total)

    def has_totals(self):
        return self.totals is not None or any(c.total for c in self.columns)


@dataclass
class Export:
    name: str  # file name without extension
    tables: list
    meta: dict = field(default_factory=dict)  # the JSON's leading fields (year, filters, ...)
    province: str | None = None  # for the log: the province exported, None for national data


def requested_format(request):
    """The format asked for, None for the page itself; 404 for an unknown one."""
    fmt = request.GET.get("format")
    if fmt is None or fmt == "":
        return None
    if fmt not in FORMATS:
        raise Http404
    return fmt


# --- Values ------------------------------------------------------------------------------------------------


def plain(value, kind):
    """A value as JSON carries it: whole Rupiah and counts as integers, percentages as numbers."""
    if value is None:
        return None
    if kind in WHOLE_NUMBERS:
        return int(value)
    if kind == "percent":
        return float(value)
    if kind == "date":
        return value.isoformat()
    if kind == "bool":
        return bool(value)
    return str(value)


def _sheet_value(value, kind):
    """A value for CSV or XLSX: numbers stay numbers, text is neutralised."""
    if value is None:
        return None
    if kind in WHOLE_NUMBERS:
        return int(value)
    if kind == "percent":
        return float(value)
    if kind == "date":
        return value
    if kind == "bool":
        return str(_("Ya") if value else _("Tidak"))
    return neutralise(str(value))


class _Totals:
    """Sums of the columns that have totals, kept while the rows stream by."""

    def __init__(self, table):
        self.table = table
        self.sums = {c.key: Decimal(0) for c in table.columns if c.total is True}

    def add(self, values):
        for column, value in zip(self.table.columns, values, strict=True):
            if column.key in self.sums and value is not None:
                self.sums[column.key] += Decimal(value)

    def row(self):
        """{key: value} of the totals row's figures (given, or summed from the rows)."""
        if self.table.totals is not None:
            return self.table.totals
        result = dict(self.sums)
        for column in self.table.columns:
            if callable(column.total):
                result[column.key] = column.total(self.sums)
        return result

    def cells(self):
        """The totals row for a sheet: "Total" in the first column, the figures under theirs."""
        total = self.row()
        cells = []
        for index, column in enumerate(self.table.columns):
            if index == 0:
                cells.append(str(_("Total")))
            elif column.kind == "text" or column.key not in total:
                cells.append(None)
            else:
                cells.append(_sheet_value(total[column.key], column.kind))
        return cells


def _rows(table):
    """(values, totals): the raw values of each row, and the totals kept as they pass."""
    totals = _Totals(table)

    def generate():
        for row in table.rows:
            values = [c.value(row) for c in table.columns]
            totals.add(values)
            yield values

    return generate(), totals


# --- CSV ---------------------------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def _csv(export):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # lets spreadsheet programs read the file as UTF-8
    for number, table in enumerate(export.tables):
        if number:
            yield writer.writerow([])
            yield writer.writerow([neutralise(str(table.title))])
        yield writer.writerow([neutralise(str(c.label)) for c in table.columns])
        rows, totals = _rows(table)
        for values in rows:
            yield writer.writerow(
                ["" if v is None else v for v in map(_sheet_value, values, (c.kind for c in table.columns))]
            )
        if table.has_totals():
            yield writer.writerow(["" if v is None else v for v in totals.cells()])


# --- JSON --------------------------------------------------------------------------------------------------


def _default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _dumps(value):
    return json.dumps(value, default=_default, ensure_ascii=False)


def _json(export):
    yield "{"
    for key, value in export.meta.items():
        yield f"{_dumps(key)}:{_dumps(value)},"
    for number, table in enumerate(export.tables):
        if number:
            yield f",{_dumps(table.key)}:{{"
        yield '"rows":['
        rows, totals = _rows(table)
        for index, values in enumerate(rows):
            obj = {c.key: plain(v, c.kind) for c, v in zip(table.columns, values, strict=True)}
            yield ("," if index else "") + _dumps(obj)
        yield "]"
        if table.has_totals():
            total = totals.row()
            obj = {
                c.key: plain(total[c.key], c.kind)
                for c in table.columns
                if c.kind != "text" and c.key in total
            }
            yield f',"totals":{_dumps(obj)}'
        if number:
            yield "}"
    yield "}"


# --- XLSX --------------------------------------------------------------------------------------------------


def _sheet_title(title, taken):
    name = re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31].strip() or "Data"
    base, n = name, 2
    while name in taken:
        name = f"{base[:28]} {n}"
        n += 1
    taken.add(name)
    return name


def _xlsx(export):
    workbook = Workbook(write_only=True)
    taken = set()
    for table in export.tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, taken))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column.kind, 14)

        def cell(value, column, bold=False, sheet=sheet):
            c = WriteOnlyCell(sheet, value=value)
            if column is not None and column.kind in NUMBER_FORMATS:
                c.number_format = NUMBER_FORMATS[column.kind]
            if bold:
                c.font = BOLD
            return c

        sheet.append([cell(neutralise(str(c.label)), None, bold=True) for c in table.columns])
        rows, totals = _rows(table)
        for values in rows:
            sheet.append(
                [cell(_sheet_value(v, c.kind), c) for c, v in zip(table.columns, values, strict=True)]
            )
        if table.has_totals():
            sheet.append(
                [
                    cell(value, column if index else None, bold=True)
                    for index, (column, value) in enumerate(zip(table.columns, totals.cells(), strict=True))
                ]
            )
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse when sent
    workbook.save(handle)
    handle.seek(0)
    return handle


# --- Responses ---------------------------------------------------------------------------------------------


def respond(request, export, fmt=None):
    """The export in the requested format, logged with who asked for what."""
    fmt = fmt or requested_format(request)
    user = request.user
    log.info(
        "export",
        extra={
            "user": getattr(user, "username", None),
            "province": export.province,
            "object": f"{export.name}.{fmt}",
        },
    )
    filename = f"{export.name}.{fmt}"
    if fmt == "xlsx":
        response = FileResponse(_xlsx(export), as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    else:
        content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json; charset=utf-8"
        stream = _csv(export) if fmt == "csv" else _json(export)
        response = StreamingHttpResponse((part.encode("utf-8") for part in stream), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The lists of the workspace ----------------------------------------------------------------------------


def _display(field):
    return lambda obj: getattr(obj, f"get_{field}_display")()


def _code(path):
    def get(obj):
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj

    return get


def _absorption(sums):
    return percent(sums.get("realised_total"), sums.get("current_pagu"))


LISTS = {
    "kegiatan": [
        Column("id", _("ID"), "code"),
        Column("year", _("Tahun"), "year"),
        Column("province_code", _("Kode provinsi"), get=_code("province.code")),
        Column("province", _("Provinsi"), get=_code("province.name")),
        Column("regency_code", _("Kode kabupaten/kota"), get=_code("regency.code")),
        Column("regency", _("Kabupaten/kota"), get=_code("regency.name")),
        Column("title", _("Judul kegiatan")),
        Column("kind", _("Jenis"), get=_display("kind")),
        Column("purpose", _("Tujuan"), get=_display("purpose")),
        Column("sector", _("Sektor"), get=_display("sector")),
        Column("covid_response", _("Penanganan Covid-19"), "bool"),
        Column("mode", _("Metode"), get=_display("mode")),
        Column("planned_start", _("Rencana mulai"), "date"),
        Column("planned_end", _("Rencana selesai"), "date"),
        Column("actual_start", _("Realisasi mulai"), "date"),
        Column("actual_end", _("Realisasi selesai"), "date"),
        Column("status", _("Status pelaksanaan"), get=_display("status")),
        Column("status_reason", _("Alasan penundaan/pembatalan")),
        Column("review_status", _("Status verifikasi"), get=_display("review_status")),
        Column("target_participants", _("Target peserta"), "int", total=True),
        Column("actual_participants", _("Realisasi peserta"), "int", total=True),
        Column("firm_count", _("IKM peserta"), "int", total=True),
        Column("budget", _("Anggaran kegiatan (Rp)"), "money", total=True),
        Column("planned_output_code", _("Kode RO"), get=_code("planned_output.code")),
        Column("planned_output", _("RO"), get=_code("planned_output.name")),
    ],
    "ikm": [
        Column("id", _("ID"), "code"),
        Column("name", _("Nama IKM")),
        Column("nib", _("NIB")),
        Column("owner_name", _("Nama pemilik")),
        Column("sector", _("Sektor"), get=_display("sector")),
        Column("kbli", _("KBLI")),
        Column("scale", _("Skala"), get=_display("scale")),
        Column("province_code", _("Kode provinsi"), get=_code("province.code")),
        Column("province", _("Provinsi"), get=_code("province.name")),
        Column("regency_code", _("Kode kabupaten/kota"), get=_code("regency.code")),
        Column("regency", _("Kabupaten/kota"), get=_code("regency.name")),
        Column("address", _("Alamat")),
        Column("phone", _("Telepon")),
        Column("workers", _("Tenaga kerja"), "int", total=True),
        Column("covid_affected", _("Terdampak Covid-19"), "bool"),
    ],
    "mitra": [
        Column("id", _("ID"), "code"),
        Column("name", _("Nama mitra")),
        Column("kind", _("Jenis"), get=_display("kind")),
        Column("province_code", _("Kode provinsi"), get=_code("province.code")),
        Column("province", _("Provinsi"), get=_code("province.name")),
        Column("regency_code", _("Kode kabupaten/kota"), get=_code("regency.code")),
        Column("regency", _("Kabupaten/kota"), get=_code("regency.name")),
    ],
    "anggaran": [
        Column("year", _("Tahun"), "year"),
        Column("province_code", _("Kode provinsi"), get=_code("province.code")),
        Column("province", _("Provinsi"), get=_code("province.name")),
        Column("fund_type", _("Jenis dana")),
        Column("dipa_number", _("Nomor DIPA")),
        Column("dipa_date", _("Tanggal DIPA"), "date"),
        Column("pagu", _("Pagu awal (Rp)"), "money", total=True),
        Column("current_pagu", _("Pagu terkini (Rp)"), "money", total=True),
        Column("realised_total", _("Realisasi (Rp)"), "money", total=True),
        Column("absorption", _("Penyerapan (%)"), "percent", total=_absorption),
    ],
}
LIST_TITLES = {
    "kegiatan": _("Kegiatan"),
    "ikm": _("IKM"),
    "mitra": _("Mitra"),
    "anggaran": _("Alokasi anggaran"),
}


def _filters_of(request):
    """The request's own filters, as the JSON echoes them (without the format and the page)."""
    return {k: v for k, v in request.GET.items() if k not in ("format", "halaman") and v != ""}


def list_export(request, queryset, kind):
    """The list in the requested format, or None when the page itself is asked for.

    `queryset` is the list page's own (scoped and filtered) queryset; it is streamed in chunks.
    """
    fmt = requested_format(request)
    if fmt is None:
        return None
    title = LIST_TITLES[kind]
    columns = LISTS[kind]
    if kind == "kegiatan":
        # A firm in two of the listed activities is one IKM: the total counts firms once (as the reports
        # do), not the rows' per-activity counts added up.
        def distinct_firms(_sums):
            from .models import Participation

            return (
                Participation.objects.filter(activity__in=queryset.values("pk"))
                .values("firm")
                .distinct()
                .count()
            )

        columns = [replace(c, total=distinct_firms) if c.key == "firm_count" else c for c in columns]
        queryset = queryset.select_related("planned_output")  # the RO columns, joined
    table = Table("rows", title, columns, queryset.iterator(chunk_size=CHUNK_SIZE))
    export = Export(
        name=f"daftar-{kind}",
        tables=[table],
        meta={"list": kind, "filters": _filters_of(request)},
        province=getattr(request.user, "province_id", None),
    )
    return respond(request, export, fmt)
