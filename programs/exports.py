"""Exports of every report and list as XLSX, CSV and JSON (`?format=xlsx|csv|json` on the page's own URL).

One mechanism for all of them: a page describes its data as `Table`s (columns and an iterable of rows) and
`respond()` streams it in the format asked for, so an export has exactly the page's filters and scoping.

- CSV and JSON are generated while the response is sent (StreamingHttpResponse over a generator);
- XLSX is written by openpyxl in write-only mode to an anonymous temporary file, then streamed from it
  (FileResponse); lists iterate their queryset with `.iterator(chunk_size=...)`, so memory stays flat
  however many rows there are.
- Text cells of CSV and XLSX starting with `=`, `+`, `-`, `@` (or a tab / carriage return) get a leading
  `'` so no spreadsheet runs them as a formula; numbers stay numbers.
- XLSX files are ready to send and print: a title block above the header (the report, the province or
  "Nasional", the year, the filters in words, "Keadaan per …", whether unverified data is in it), A4
  landscape fit to one page wide, the header row and the name columns repeated on every page, autofilter,
  frozen panes, page numbers. All of it is set before the first row or in the sheet's tail, so write-only
  mode (flat memory) stays.
- CSV comes in two dialects: Indonesian Excel (`;`, decimal comma, dd/mm/yyyy — what Excel in an Indonesian
  locale opens as columns) for users reading in Bahasa Indonesia, the standard one (`,`, decimal point, ISO
  dates) for English and on request (`dialek=standar` / `dialek=excel-id`). Both start with a UTF-8 BOM.
  CSV carries data only (no title block): it is read by programs as often as by people.

Never: filter or scope rows itself (the caller's queryset is the page's own), or run a query per row.
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

from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

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
WIDTHS = {"text": 28, "money": 18, "int": 11, "year": 8, "code": 9, "percent": 11, "date": 12, "bool": 8}
MAX_WIDTH = 40
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
HEADER_LINE_HEIGHT = 15  # points: one line of the default 11 pt font
# The leading columns that name a row (repeated at the left of every printed page, frozen on screen) are
# those whose key is one of these; a table may say how many instead (Table.name_columns).
NAME_KEYS = frozenset(
    {"id", "year", "code", "province_code", "province", "name", "title", "label", "month", "product"}
    | {"recipient"}
)
MAX_NAME_COLUMNS = 4
A4 = 9  # ECMA-376's paperSize for A4
NATIONAL = _("Nasional")


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
    name_columns: int | None = None  # the leading columns that name a row; None: from their keys (NAME_KEYS)

    def has_totals(self):
        return self.totals is not None or any(c.total for c in self.columns)

    def names(self):
        if self.name_columns is not None:
            return self.name_columns
        count = 0
        for column in self.columns[:MAX_NAME_COLUMNS]:
            if column.key not in NAME_KEYS:
                break
            count += 1
        return count


@dataclass
class Export:
    name: str  # file name without extension
    tables: list  # in reading order: the main table first (the first sheet), then summary, monthly ...
    meta: dict = field(default_factory=dict)  # the JSON's leading fields (year, filters, ...)
    province: str | None = None  # for the log: the province exported, None for national data
    # The XLSX title block. Defaults keep every call working: the first table's title, meta's province
    # name (else "Nasional"), meta's year, no filters line, the moment of the export.
    title: str | None = None
    scope: str | Callable | None = None  # the province's name, or "Nasional"; a callable: see scope_of
    year: int | None = None
    filters: str = ""  # in words: "Jenis: Bimtek; Sektor: Sandang" (filters_text)
    as_of: datetime.datetime | None = None
    # Whether unverified records are in the figures: a bool, or a callable asked only when an XLSX is
    # written (one query, see unverified_in); None: not said (e.g. registries, which are never verified).
    unverified: bool | Callable | None = None

    def title_lines(self):
        """[(text, font)] of the title block, the report's title first."""
        year = self.year if self.year is not None else self.meta.get("year")
        scope = self.scope() if callable(self.scope) else self.scope
        scope = scope or self.meta.get("province") or NATIONAL
        as_of = timezone.localtime(self.as_of or timezone.now())
        lines = [(str(self.title or self.tables[0].title), TITLE_FONT)]
        lines.append((f"{_('Wilayah')}: {scope}", None))
        if year is not None:
            lines.append((f"{_('Tahun anggaran')}: {int(year):d}", None))
        if self.filters:
            lines.append((f"{_('Filter')}: {self.filters}", None))
        lines.append((f"{_('Keadaan per')} {as_of:%d/%m/%Y %H:%M} WIB", None))
        unverified = self.unverified() if callable(self.unverified) else self.unverified
        if unverified:
            lines.append((str(_("Memuat data yang belum diverifikasi")), BOLD))
        return lines


def scope_of(user):
    """A callable for Export.scope: "Nasional" for whoever sees every province, else the names of the
    provinces the user sees (an operator's national recap holds their own province only). Asked only when
    an XLSX is written (one query)."""
    from . import access

    def ask():
        if access.sees_every_province(user):
            return str(NATIONAL)
        names = access.provinces_visible_to(user).order_by("code").values_list("name", flat=True)
        return ", ".join(names) or str(NATIONAL)

    return ask


def unverified_months(allocation):
    """A callable for Export.unverified: whether a month of the allocation's realisation is not verified."""
    from .models import ReviewStatus

    return lambda: allocation.realisations.exclude(review_status=ReviewStatus.VERIFIED).exists()


def filters_text(form, skip=("tahun", "urut", "format", "halaman")):
    """The filters a (validated) form was given, in words: "Jenis: Bimtek; Sektor: Sandang".

    Choice fields show their label, not their value; an empty or invalid field is left out (the report
    used its default for it).
    """
    data = getattr(form, "cleaned_data", None)
    if data is None:
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
    parts = []
    for name, form_field in form.fields.items():
        value = data.get(name)
        if name in skip or value in (None, "", [], ()):
            continue
        choices = dict(getattr(form_field, "choices", None) or ())
        if hasattr(value, "pk"):
            shown = str(value)
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(choices.get(v, v)) for v in value)
        elif isinstance(value, datetime.date):
            shown = f"{value:%d/%m/%Y}"
        else:
            shown = str(choices.get(value, choices.get(str(value), value)))
        parts.append(f"{form_field.label or name}: {shown}")
    return "; ".join(parts)


def unverified_in(user, filters, province=None, last_month=12, activities=True):
    """A callable for Export.unverified: whether the report's figures hold a record the ministry has not
    verified — an activity the filters count (unless `activities=False`: a report that counts verified
    activities only), or a month of realisation up to `last_month` — of the user's scope. False at once
    when the report counts verified data only. One query (EXISTS), asked only when an XLSX is written."""
    from .models import Activity, Allocation, Realisation, ReviewStatus

    def ask():
        if filters.verified_only:
            return False
        allocations = Allocation.objects.visible_to(user).filter(year=filters.year)
        if province is not None:
            allocations = allocations.filter(province=province)
        if filters.fund_type:
            allocations = allocations.filter(fund_type=filters.fund_type)
        months = (
            Realisation.objects.visible_to(user)
            .filter(allocation=OuterRef("pk"), month__lte=last_month)
            .exclude(review_status=ReviewStatus.VERIFIED)
        )
        condition = Q(Exists(months))
        if activities:
            condition |= Q(
                Exists(
                    Activity.objects.visible_to(user)
                    .filter(filters.activities(), allocation=OuterRef("pk"))
                    .exclude(review_status=ReviewStatus.VERIFIED)
                )
            )
        return allocations.filter(condition).exists()

    return ask


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

    def cells(self, value=None):
        """The totals row for a sheet: "Total" in the first column, the figures under theirs, each written
        by `value(figure, kind)` (default: as an XLSX cell). The totals are computed once (a callable
        total may be a query)."""
        value = value or _sheet_value
        total = self.row()
        cells = []
        for index, column in enumerate(self.table.columns):
            if index == 0:
                cells.append(str(_("Total")))
            elif column.kind == "text" or column.key not in total:
                cells.append(None)
            else:
                cells.append(value(total[column.key], column.kind))
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


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str
    date_format: str | None  # None: ISO 8601


EXCEL_ID = "excel-id"
STANDARD = "standar"
DIALECTS = {
    # What Excel and LibreOffice in an Indonesian locale open as columns: their list separator is ";"
    # because the comma is the decimal mark.
    EXCEL_ID: Dialect(";", ",", "%d/%m/%Y"),
    STANDARD: Dialect(",", ".", None),
}


def csv_dialect(request):
    """The dialect asked for (`dialek=`), else the Indonesian one for a user reading in Bahasa Indonesia.
    An unknown value is not an error: the default is given."""
    asked = request.GET.get("dialek")
    if asked in DIALECTS:
        return DIALECTS[asked]
    return DIALECTS[EXCEL_ID if (get_language() or "id").startswith("id") else STANDARD]


def _csv_value(value, kind, dialect):
    """A CSV cell: whole Rupiah and counts without grouping, a percentage with the dialect's decimal mark,
    a date in the dialect's order, text neutralised."""
    if value is None:
        return ""
    if kind == "percent":
        text = format(value if isinstance(value, Decimal) else Decimal(str(value)), "f")
        return text.replace(".", dialect.decimal)
    if kind == "date" and dialect.date_format:
        return value.strftime(dialect.date_format)
    return _sheet_value(value, kind)


class _Echo:
    def write(self, value):
        return value


def _csv(export, dialect=DIALECTS[STANDARD]):
    writer = csv.writer(_Echo(), delimiter=dialect.delimiter)
    yield "\ufeff"  # lets spreadsheet programs read the file as UTF-8
    for number, table in enumerate(export.tables):
        kinds = [c.kind for c in table.columns]
        if number:
            yield writer.writerow([])
            yield writer.writerow([neutralise(str(table.title))])
        yield writer.writerow([neutralise(str(c.label)) for c in table.columns])
        rows, totals = _rows(table)
        for values in rows:
            yield writer.writerow([_csv_value(v, k, dialect) for v, k in zip(values, kinds, strict=True)])
        if table.has_totals():
            cells = totals.cells(lambda value, kind: _csv_value(value, kind, dialect))
            yield writer.writerow(["" if v is None else v for v in cells])


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


def _width(column):
    """A column's width in characters: enough for its kind of value and for the longest word of its label
    (the header wraps, so a long label takes lines, not width)."""
    if column.key == "code":
        base = 16  # an RO code such as 5807.QEA.001
    elif column.key.endswith("_code") or column.key == "id":
        base = WIDTHS["code"]
    else:
        base = WIDTHS.get(column.kind, 14)
    longest_word = max((len(word) for word in str(column.label).split()), default=0)
    return min(max(base, longest_word + 2), MAX_WIDTH)


def _wrapped_lines(text, width):
    """How many lines `text` takes wrapped at word boundaries in a column `width` characters wide."""
    lines, used = 1, 0
    for word in str(text).split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _footer_text(text):
    return str(text).replace("&", "&&")  # "&" starts a code in a header/footer (&P, &N)


def _set_up_sheet(sheet, export, table, header_row):
    """Print and view settings, written by openpyxl in the sheet's head (before the rows) or tail."""
    names = table.names()
    lines = 1
    for index, column in enumerate(table.columns, start=1):
        width = _width(column)
        sheet.column_dimensions[get_column_letter(index)].width = width
        lines = max(lines, _wrapped_lines(column.label, width - 1))
    # Spreadsheets do not grow a row for wrapped text they did not lay out themselves: the header row is
    # given the height of its longest label.
    sheet.row_dimensions[header_row].height = HEADER_LINE_HEIGHT * lines
    sheet.freeze_panes = f"{get_column_letter(names + 1)}{header_row + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.print_options.gridLines = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    if names:
        sheet.print_title_cols = f"A:{get_column_letter(names)}"
    sheet.HeaderFooter.oddFooter.left.text = _footer_text(export.title or export.tables[0].title)
    sheet.HeaderFooter.oddFooter.right.text = str(_("Halaman &P dari &N"))


def _xlsx(export):
    workbook = Workbook(write_only=True)
    taken = set()
    lines = export.title_lines()
    for table in export.tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, taken))
        block = list(lines)
        if len(export.tables) > 1:
            block.insert(1, (f"{_('Lembar')}: {table.title}", BOLD))
        header_row = len(block) + 2  # the block, an empty row, the header
        _set_up_sheet(sheet, export, table, header_row)

        def cell(value, column, font=None, sheet=sheet):
            c = WriteOnlyCell(sheet, value=value)
            if column is not None and column.kind in NUMBER_FORMATS:
                c.number_format = NUMBER_FORMATS[column.kind]
            if font is not None:
                c.font = font
            return c

        for text, font in block:
            sheet.append([cell(neutralise(text), None, font)])
        sheet.append([])

        def header(label, sheet=sheet):
            c = cell(neutralise(str(label)), None, BOLD)
            c.alignment = HEADER_ALIGNMENT
            return c

        sheet.append([header(c.label) for c in table.columns])
        rows, totals = _rows(table)
        last_row = header_row
        for values in rows:
            sheet.append(
                [cell(_sheet_value(v, c.kind), c) for c, v in zip(table.columns, values, strict=True)]
            )
            last_row += 1
        # The filter covers the header and the data, not the totals (sorting must not move them).
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(table.columns))}{last_row}"
        if table.has_totals():
            sheet.append(
                [
                    cell(value, column if index else None, BOLD)
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
        stream = _csv(export, csv_dialect(request)) if fmt == "csv" else _json(export)
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


def _list_unverified(user, queryset, kind):
    """Whether a list's download holds records the ministry has not verified (one EXISTS, asked only for
    an XLSX): activities, or the months of realisation of the listed allocations. Registries (firms,
    partners) are not verified at all: not said."""
    from .models import Realisation, ReviewStatus

    if kind == "kegiatan":
        return lambda: queryset.exclude(review_status=ReviewStatus.VERIFIED).exists()
    if kind == "anggaran":
        return lambda: (
            Realisation.objects.visible_to(user)
            .filter(allocation__in=queryset.values("pk"))
            .exclude(review_status=ReviewStatus.VERIFIED)
            .exists()
        )
    return None


def _year_of(text):
    """A fiscal year typed in a list's filter, for the title block; None unless four ASCII digits ("²" and a
    4,400-digit number are digits to str.isdigit, not years)."""
    return int(text) if len(text) == 4 and text.isascii() and text.isdecimal() else None


def list_export(request, queryset, kind, form=None):
    """The list in the requested format, or None when the page itself is asked for.

    `queryset` is the list page's own (scoped and filtered) queryset; it is streamed in chunks. `form`: the
    page's filter form, for the XLSX's filters line.
    """
    fmt = requested_format(request)
    if fmt is None:
        return None
    title = LIST_TITLES[kind]
    columns = LISTS[kind]
    unverified = _list_unverified(request.user, queryset, kind)
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
    filters = _filters_of(request)
    user = request.user
    export = Export(
        name=f"daftar-{kind}",
        tables=[table],
        meta={"list": kind, "filters": filters},
        province=getattr(user, "province_id", None),
        title=_("Daftar %(list)s") % {"list": title},
        # A province's staff list their own province; the ministry's list is national (a province filter,
        # if chosen, is in the filters line).
        scope=scope_of(user),
        year=_year_of(filters.get("tahun", "")),
        filters=filters_text(form) if form is not None else "",
        unverified=unverified,
    )
    return respond(request, export, fmt)
