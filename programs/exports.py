"""Exports of every report and list as XLSX, CSV and JSON (`?format=xlsx|csv|json` on the page's own URL).

One mechanism for all of them: a page describes its data as `Table`s (columns and an iterable of rows) and
`respond()` streams it in the format asked for, so an export has exactly the page's filters and scoping.

- every format is generated while the response is sent (StreamingHttpResponse over a generator), so the
  first bytes leave at once and memory stays flat however many rows there are. Lists read their queryset
  as tuples of the columns' fields (`values_list(...).iterator(chunk_size=...)`, a server-side cursor on
  PostgreSQL), never as model instances; a cell is written once per distinct value of its column.
- CSV lines of a list are written by PostgreSQL itself (one text column per row, the bytes csv.writer
  would write); csv.writer writes them on SQLite and for report tables.
- XLSX is written part by part into a ZIP that is sent as it is written (not openpyxl: it, like
  XlsxWriter, zips a finished sheet only when the workbook is closed), with the cells, styles and print
  settings openpyxl's write-only mode wrote before.
- Text cells of CSV and XLSX starting with `=`, `+`, `-`, `@` (or a tab / carriage return) get a leading
  `'` so no spreadsheet runs them as a formula; numbers stay numbers.
- XLSX files are ready to send and print: a title block above the header (the report, the province or
  "Nasional", the year, the filters in words, "Keadaan per …", whether unverified data is in it), A4
  landscape fit to one page wide, the header row and the name columns repeated on every page, autofilter,
  frozen panes, page numbers. All of it is set before the first row or in the sheet's tail (and the
  workbook part, with the filters' ranges, is written after the sheets), so streaming stays.
- CSV comes in two dialects: Indonesian Excel (`;`, decimal comma, dd/mm/yyyy — what Excel in an Indonesian
  locale opens as columns) for users reading in Bahasa Indonesia, the standard one (`,`, decimal point, ISO
  dates) for English and on request (`dialek=standar` / `dialek=excel-id`). Both start with a UTF-8 BOM.
  CSV carries data only (no title block): it is read by programs as often as by people.

Never: filter or scope rows itself (the caller's queryset is the page's own), or run a query per row.
"""

import csv
import datetime
import io
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html import escape

from django.db import connections
from django.db.models import Case, Exists, F, Func, OuterRef, Q, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Left, Replace
from django.db.models.lookups import Exact, In, Regex
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.theme import theme_xml

from .models import Activity, Firm, Partner
from .numbers import percent

log = logging.getLogger("ikm_dekon.exports")

FORMATS = ("xlsx", "csv", "json")
CHUNK_SIZE = 2000  # rows fetched from the server-side cursor at a time
BATCH_ROWS = 500  # rows written per piece of the response (about 150 KB of CSV)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_PART = "application/vnd.openxmlformats-officedocument.spreadsheetml."  # + the part's type
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
# The fonts of a sheet's cells besides the default: the title's (bold, 14 pt), bold (totals, warnings), the
# header's (bold, wrapped, at the top of its cell).
TITLE, BOLD, HEADER = "title", "bold", "header"
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
    # Where a list reads it (`values_list`, see Table.tuples): the field's lookup; default the key.
    field: str | None = None
    # The field's choices, (value, label) pairs: the label is shown, as get_<field>_display() shows it.
    choices: Sequence | None = None

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
    # The rows are tuples of the columns' values in their order (a queryset's values_list, read from a
    # server-side cursor: no model instance per row); otherwise dicts or objects read by Column.value.
    tuples: bool = False
    # The queryset the tuples are read from (its model's rows, before values_list): on PostgreSQL the
    # database writes the CSV lines of it itself (_database_csv).
    queryset: object = None

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
        lines = [(str(self.title or self.tables[0].title), TITLE)]
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
        self.summed = [(index, c.key) for index, c in enumerate(table.columns) if c.total is True]

    def add(self, values):
        sums = self.sums
        for index, key in self.summed:
            value = values[index]
            if value is not None:
                # Whole numbers and Decimals add exactly as they are; anything else as Decimal() reads it.
                sums[key] += value if value.__class__ in EXACT_TYPES else Decimal(value)

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


EXACT_TYPES = (int, Decimal)


def _labels(choices):
    """{stored value: label} in the active language. Worked out once per export: a lazy label costs a
    translation lookup each time it is read, and get_<field>_display() reads one per cell."""
    return {value: str(label) for value, label in choices}


def _rows(table, labelled=True):
    """(values, totals): the raw values of each row, and the totals kept as they pass. `labelled`: a
    choice's label in place of its stored value (as get_<field>_display() gives it); CSV and XLSX look the
    label up with the cell instead (_Cells)."""
    totals = _Totals(table)
    columns = table.columns
    shown = [(i, _labels(c.choices)) for i, c in enumerate(columns) if labelled and c.choices is not None]
    add = totals.add if totals.summed else None

    def generate():
        for row in table.rows:
            values = row if table.tuples else [c.value(row) for c in columns]
            if shown:
                values = list(values)  # a tuple is read as it is, copied when a label replaces a value
            for index, labels in shown:
                value = values[index]
                values[index] = labels.get(value, value)
            if add is not None:
                add(values)
            yield values

    return generate(), totals


MAX_REMEMBERED = 2000  # distinct values remembered per column of an export


class _Cells(dict):
    """A column's cells by value. A value seen before costs one dict lookup and runs no Python code; a new
    one is written by `write` and remembered, up to MAX_REMEMBERED values a column: labels, places, years,
    days and counts repeat, ids and titles do not. A choice's cell is its label's, written in advance.

    Text is remembered for str values only, and percentages never: equal values of other types (1, 1.0,
    True; Decimal 1.5 and 1.50) are not always written alike."""

    def __init__(self, write, column):
        super().__init__()
        self.write = write
        self.types = {"text": (str,), "percent": ()}.get(column.kind)  # None: values of any type
        self[None] = write(None)
        for value, label in _labels(column.choices or ()).items():
            self[value] = write(label)

    def __missing__(self, value):
        cell = self.write(value)
        if len(self) < MAX_REMEMBERED and (self.types is None or value.__class__ in self.types):
            self[value] = cell
        return cell


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


def _csv(export, dialect=DIALECTS[STANDARD]):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter)

    def written():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff"  # lets spreadsheet programs read the file as UTF-8
    for number, table in enumerate(export.tables):
        if number:
            writer.writerow([])
            writer.writerow([neutralise(str(table.title))])
        writer.writerow([neutralise(str(c.label)) for c in table.columns])
        yield written()  # the header leaves before the first row is read
        lines = _database_csv(table, dialect)
        if lines is not None:
            totals = _Totals(table)
            for batch in lines(totals):
                buffer.write(batch)
                yield written()
        else:
            cells = [
                _Cells(lambda value, kind=c.kind: _csv_value(value, kind, dialect), c).__getitem__
                for c in table.columns
            ]
            rows, totals = _rows(table, labelled=False)
            batch = []
            for values in rows:
                batch.append([cell(value) for cell, value in zip(cells, values, strict=True)])
                if len(batch) == BATCH_ROWS:
                    writer.writerows(batch)
                    batch.clear()
                    yield written()
            writer.writerows(batch)
        if table.has_totals():
            cells = totals.cells(lambda value, kind: _csv_value(value, kind, dialect))
            writer.writerow(["" if v is None else v for v in cells])
        if text := written():
            yield text


# The CSV lines of a list written by PostgreSQL: one text column per row, the same bytes as csv.writer
# writes from the values (tests/test_export_streaming.py compares the two), so Python only joins lines
# instead of converting, quoting and joining 25 cells of each of 152,000 rows. SQLite (the quick start),
# rows that are not a queryset's and percentages are written by csv.writer as above.

DATABASE_CSV_KINDS = frozenset({*WHOLE_NUMBERS, "text", "bool", "date"})
DATABASE_DATE_FORMATS = {"%d/%m/%Y": "DD/MM/YYYY", None: "YYYY-MM-DD"}


def _quoted(text, dialect):
    """`text` as csv.writer (QUOTE_MINIMAL) writes it: quoted when it holds the delimiter, a quote or a
    line break."""
    if any(mark in text for mark in (dialect.delimiter, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _text(value):
    return Value(value, output_field=TextField())


def _database_cell(column, dialect):
    """The SQL expression of the column's CSV cell, as _csv_value and csv.writer write it."""
    value = F(column.field or column.key)
    kind = column.kind
    text = TextField()
    if kind in WHOLE_NUMBERS:  # int() of a Decimal drops the fraction, as trunc() does
        return Func(value, template="trunc((%(expressions)s)::numeric)::text", output_field=text)
    if kind == "date":
        pattern = _text(DATABASE_DATE_FORMATS[dialect.date_format])
        return Func(value, pattern, function="to_char", output_field=text)
    if kind == "bool":
        yes, no = (_quoted(_csv_value(b, kind, dialect), dialect) for b in (True, False))
        return Case(
            When(Exact(value, True), then=_text(yes)),
            When(Exact(value, False), then=_text(no)),
            output_field=text,
        )
    written = Cast(value, text)
    written = Case(
        When(
            In(Left(written, 1), list(FORMULA_PREFIXES)), then=Concat(_text("'"), written, output_field=text)
        ),
        default=written,
        output_field=text,
    )
    # The delimiter (";" or ",") is no special character in a bracket expression of PostgreSQL's regex.
    cell = Case(
        When(
            Regex(written, _text(f'[{dialect.delimiter}"\r\n]')),
            then=Concat(
                _text('"'),
                Replace(written, _text('"'), _text('""'), output_field=text),
                _text('"'),
                output_field=text,
            ),
        ),
        default=written,
        output_field=text,
    )
    if column.choices:
        labels = [
            When(Exact(value, stored), then=_text(_quoted(_csv_value(label, kind, dialect), dialect)))
            for stored, label in _labels(column.choices).items()
        ]
        cell = Case(*labels, default=cell, output_field=text)
    return cell


def _database_csv(table, dialect):
    """A function(totals) giving the CSV lines of the table's rows in batches, written by PostgreSQL; None
    where csv.writer must write them. The summed columns' values come with each line, for the totals."""
    queryset = table.queryset
    if (
        queryset is None
        or connections[queryset.db].vendor != "postgresql"
        or any(c.kind not in DATABASE_CSV_KINDS for c in table.columns)
    ):
        return None
    line = Func(
        _text(dialect.delimiter),
        *(Coalesce(_database_cell(c, dialect), _text(""), output_field=TextField()) for c in table.columns),
        function="concat_ws",
        output_field=TextField(),
    )
    summed = [c for c in table.columns if c.total is True]
    rows = queryset.annotate(csv_line=line).values_list("csv_line", *(c.field or c.key for c in summed))

    def lines(totals):
        sums = totals.sums
        keys = [c.key for c in summed]
        batch = []
        for text, *figures in rows.iterator(chunk_size=CHUNK_SIZE):
            batch.append(text)
            for key, figure in zip(keys, figures, strict=True):
                if figure is not None:
                    sums[key] += figure
            if len(batch) == BATCH_ROWS:
                yield "\r\n".join(batch) + "\r\n"
                batch.clear()
        if batch:
            yield "\r\n".join(batch) + "\r\n"

    return lines


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
# Written part by part into a ZIP that is sent while it is written: zipfile on a stream that cannot seek
# puts each part's sizes after it (a data descriptor), so the first bytes leave before the first row is
# read and memory holds one batch of rows however long the list. openpyxl (write-only) and XlsxWriter
# (constant_memory) both finish a sheet in a temporary file and zip it only when the workbook is closed:
# the first byte would wait for the last row, and their objects per cell cost more than the rest of the
# export together (bench/notes.md has the figures). The parts are what openpyxl wrote before: the same
# cells (inline strings), styles, print settings and defined names, read back by openpyxl, python-calamine
# and LibreOffice in the tests.

XLSX_COMPRESSION = 1  # zlib's fastest: level 6 (openpyxl's) takes three times as long for a file 26 % smaller
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Fonts: openpyxl's default (Calibri 11), the title's, the bold of the header, totals and warnings.
FONTS = (
    '<font><name val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/>'
    '<scheme val="minor"/></font>',
    '<font><b val="1"/><sz val="14"/></font>',
    '<font><b val="1"/></font>',
)
FONT_IDS = {None: 0, TITLE: 1, BOLD: 2, HEADER: 2}
# Cell styles: (kind with a number format or None, font) -> its index in styles.xml's cellXfs.
STYLE_KEYS = [(None, None), (None, TITLE), (None, BOLD), (None, HEADER)] + [
    (kind, font) for kind in NUMBER_FORMATS for font in (None, BOLD)
]
STYLES = {key: index for index, key in enumerate(STYLE_KEYS)}
# XML 1.0 cannot carry these control characters at all: dropped (openpyxl refused the whole file).
XML_TEXT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    | dict.fromkeys((*range(0, 9), 11, 12, *range(14, 32), 65534, 65535))
)


def _xml(text):
    return text.translate(XML_TEXT)


def _styles_xml():
    codes = {}
    for code in NUMBER_FORMATS.values():
        codes.setdefault(code, BUILTIN_FORMATS_REVERSE.get(code, 164 + len(codes)))
    custom = "".join(
        f'<numFmt numFmtId="{number}" formatCode="{escape(code, quote=True)}"/>'
        for code, number in codes.items()
        if number >= 164
    )
    xfs = []
    for kind, font in STYLE_KEYS:
        number = codes[NUMBER_FORMATS[kind]] if kind else 0
        attributes = f'numFmtId="{number}" fontId="{FONT_IDS[font]}" fillId="0" borderId="0" xfId="0"'
        if number:
            attributes += ' applyNumberFormat="1"'
        if font == HEADER:
            xfs.append(f'<xf {attributes} applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>')
        else:
            xfs.append(f"<xf {attributes}/>")
    return (
        f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="{custom.count("<numFmt ")}">{custom}</numFmts>'
        f'<fonts count="{len(FONTS)}">{"".join(FONTS)}</fonts>'
        '<fills count="2"><fill><patternFill/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _cell(ref, value, style=0):
    """A cell holding a sheet value (_sheet_value): text inline, numbers as numbers, dates as the day's
    serial number under their format."""
    return f'<c r="{ref}"{_cell_end(value, style)}'


def _cell_end(value, style):
    """A cell's XML after its reference: what does not depend on the row, so a column's cells are written
    once per distinct value (_Cells)."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f"{s}/>"
    if value == "":
        return f'{s} t="inlineStr"/>'
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'{s} t="inlineStr"><is><t{space}>{_xml(value)}</t></is></c>'
    if isinstance(value, datetime.date):
        value = to_excel(value)
    if isinstance(value, float):
        return f'{s} t="n"><v>{value:.16g}</v></c>'
    return f'{s} t="n"><v>{int(value)}</v></c>'


def _data_cells(column):
    """value -> the XML after the reference of a data cell of `column`: its sheet value in the kind's
    number format."""
    kind = column.kind
    style = STYLES[(kind if kind in NUMBER_FORMATS else None, None)]
    return _Cells(lambda value: _cell_end(_sheet_value(value, kind), style), column).__getitem__


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


def _sheet_head(table, header_row):
    """The sheet's settings before its rows: fit to the page's width, the panes frozen below the header
    and right of the name columns, the columns' widths."""
    names = table.names()
    top_left = f"{get_column_letter(names + 1)}{header_row + 1}"
    if names:
        pane = (
            f'<pane xSplit="{names}" ySplit="{header_row}" topLeftCell="{top_left}" activePane="bottomRight"'
        )
        selections = '<selection pane="topRight"/><selection pane="bottomLeft"/>'
        active = "bottomRight"
    else:
        pane = f'<pane ySplit="{header_row}" topLeftCell="{top_left}" activePane="bottomLeft"'
        selections, active = "", "bottomLeft"
    columns = "".join(
        f'<col min="{index}" max="{index}" width="{_width(column)}" customWidth="1"/>'
        for index, column in enumerate(table.columns, start=1)
    )
    return (
        f'<worksheet xmlns="{MAIN_NS}"><sheetPr><outlinePr summaryBelow="1" summaryRight="1"/>'
        '<pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<sheetViews><sheetView workbookViewId="0">{pane} state="frozen"/>{selections}'
        f'<selection pane="{active}" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
        f'<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><cols>{columns}</cols><sheetData>'
    )


def _sheet_tail(export, table, header_row, last_row):
    """After the rows: the filter (the header and the data, not the totals: sorting must not move them),
    A4 landscape one page wide with grid lines, the report's name and the page numbers in the footer."""
    last_column = get_column_letter(len(table.columns))
    # Outside the f-string, so that makemessages finds it.
    pages = _("Halaman &P dari &N")
    footer = f"&L{_footer_text(export.title or export.tables[0].title)}&R{pages}"
    return (
        f'</sheetData><autoFilter ref="A{header_row}:{last_column}{last_row}"/>'
        '<printOptions gridLines="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.7" header="0.3" footer="0.3"/>'
        f'<pageSetup orientation="landscape" paperSize="{A4}" fitToHeight="0" fitToWidth="1"/>'
        f"<headerFooter><oddFooter>{_xml(footer)}</oddFooter></headerFooter></worksheet>"
    )


def _sheet_rows(export, table, lines, header_row):
    """The rows of a sheet's XML, in batches: the title block, an empty row, the header, the data, the
    totals. Returns (as the generator's value) the last data row's number, for the filter."""
    n = 0
    for n, (text, font) in enumerate(lines, start=1):
        yield f'<row r="{n}">{_cell(f"A{n}", neutralise(text), STYLES[(None, font)])}</row>'
    yield f'<row r="{n + 1}"/>'
    height = HEADER_LINE_HEIGHT * max(
        (_wrapped_lines(c.label, _width(c) - 1) for c in table.columns), default=1
    )
    letters = [get_column_letter(index) for index in range(1, len(table.columns) + 1)]
    header = STYLES[(None, HEADER)]
    yield (
        f'<row r="{header_row}" ht="{height}" customHeight="1">'
        + "".join(
            _cell(f"{letter}{header_row}", neutralise(str(c.label)), header)
            for letter, c in zip(letters, table.columns, strict=True)
        )
        + "</row>"
    )
    starts = [f'<c r="{letter}' for letter in letters]
    cells = [_data_cells(c) for c in table.columns]
    rows, totals = _rows(table, labelled=False)
    n = header_row
    batch = []
    for values in rows:
        n += 1
        batch.append(
            f'<row r="{n}">'
            + "".join(
                [
                    f'{start}{n}"{cell(value)}'
                    for start, cell, value in zip(starts, cells, values, strict=True)
                ]
            )
            + "</row>"
        )
        if len(batch) == BATCH_ROWS:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)
    last_row = n
    if table.has_totals():
        n += 1
        cells = [
            _cell(
                f"{letter}{n}",
                value,
                STYLES[(column.kind if index and column.kind in NUMBER_FORMATS else None, BOLD)],
            )
            for index, (letter, column, value) in enumerate(
                zip(letters, table.columns, totals.cells(), strict=True)
            )
        ]
        yield f'<row r="{n}">{"".join(cells)}</row>'
    return last_row


STYLES_XML = _styles_xml()


class _Sent:
    """What zipfile writes, kept until the response takes it: a stream that cannot seek (no tell()), so
    zipfile writes each part's sizes after it."""

    def __init__(self):
        self.pieces = []

    def write(self, data):
        self.pieces.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.pieces)
        self.pieces.clear()
        return data


def _sheet_ref(sheet):
    return "'" + sheet.replace("'", "''") + "'"


def _xlsx(export):
    """The workbook's bytes, piece by piece as it is written. The title block is worked out at once (its
    queries, in the request's language), the rows while the response is sent."""
    return _xlsx_pieces(export, export.title_lines())


def _xlsx_pieces(export, lines):
    sent = _Sent()
    book = zipfile.ZipFile(sent, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=XLSX_COMPRESSION)
    taken = set()
    sheets = [_sheet_title(table.title, taken) for table in export.tables]
    count = len(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{XLSX_PART}worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    book.writestr(
        "[Content_Types].xml",
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{XLSX_PART}sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{XLSX_PART}styles+xml"/>'
        '<Override PartName="/xl/theme/theme1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        f"{overrides}</Types>",
    )
    book.writestr(
        "_rels/.rels",
        f'<Relationships xmlns="{PACKAGE_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{PACKAGE_REL_NS}/metadata/core-properties" '
        'Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>",
    )
    created = f"{timezone.now():%Y-%m-%dT%H:%M:%SZ}"
    book.writestr(
        "docProps/core.xml",
        "<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>IKM Dekon</dc:creator>'
        f"<dc:title>{_xml(str(export.title or export.tables[0].title))}</dc:title>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified></cp:coreProperties>',
    )
    book.writestr(
        "docProps/app.xml",
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>IKM Dekon</Application></Properties>",
    )
    relations = "".join(
        f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    book.writestr(
        "xl/_rels/workbook.xml.rels",
        f'<Relationships xmlns="{PACKAGE_REL_NS}">{relations}'
        f'<Relationship Id="rId{count + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{count + 2}" Type="{REL_NS}/theme" Target="theme/theme1.xml"/>'
        "</Relationships>",
    )
    book.writestr("xl/styles.xml", STYLES_XML)
    book.writestr("xl/theme/theme1.xml", theme_xml)
    yield sent.take()
    names = []
    for index, (table, sheet) in enumerate(zip(export.tables, sheets, strict=True)):
        block = list(lines)
        if count > 1:
            block.insert(1, (f"{_('Lembar')}: {table.title}", BOLD))
        header_row = len(block) + 2  # the block, an empty row, the header
        with book.open(f"xl/worksheets/sheet{index + 1}.xml", "w") as part:
            part.write(_sheet_head(table, header_row).encode())
            rows = _sheet_rows(export, table, block, header_row)
            while True:
                try:
                    part.write(next(rows).encode())
                except StopIteration as done:
                    last_row = done.value
                    break
                if piece := sent.take():
                    yield piece
            part.write(_sheet_tail(export, table, header_row, last_row).encode())
        last_column = get_column_letter(len(table.columns))
        names.append(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
            f"{_xml(_sheet_ref(sheet))}!$A${header_row}:${last_column}${last_row}</definedName>"
        )
        titles = f"{_sheet_ref(sheet)}!${header_row}:${header_row}"
        if name_columns := table.names():
            titles += f",{_sheet_ref(sheet)}!$A:${get_column_letter(name_columns)}"
        names.append(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">{_xml(titles)}</definedName>'
        )
    listed = "".join(
        f'<sheet name="{escape(sheet, quote=True)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, start=1)
    )
    book.writestr(
        "xl/workbook.xml",
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{listed}</sheets><definedNames>{''.join(names)}</definedNames>"
        '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>',
    )
    book.close()
    yield sent.take()


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
    if fmt == "xlsx":
        response = StreamingHttpResponse(_xlsx(export), content_type=XLSX_TYPE)
    else:
        content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/json; charset=utf-8"
        stream = _csv(export, csv_dialect(request)) if fmt == "csv" else _json(export)
        response = StreamingHttpResponse((part.encode("utf-8") for part in stream), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{export.name}.{fmt}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The lists of the workspace ----------------------------------------------------------------------------


def _choices(model, name):
    return model._meta.get_field(name).flatchoices


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
        Column("province_code", _("Kode provinsi"), field="province__code"),
        Column("province", _("Provinsi"), field="province__name"),
        Column("regency_code", _("Kode kabupaten/kota"), field="regency__code"),
        Column("regency", _("Kabupaten/kota"), field="regency__name"),
        Column("title", _("Judul kegiatan")),
        Column("kind", _("Jenis"), choices=_choices(Activity, "kind")),
        Column("purpose", _("Tujuan"), choices=_choices(Activity, "purpose")),
        Column("sector", _("Sektor"), choices=_choices(Activity, "sector")),
        Column("covid_response", _("Penanganan Covid-19"), "bool"),
        Column("mode", _("Metode"), choices=_choices(Activity, "mode")),
        Column("planned_start", _("Rencana mulai"), "date"),
        Column("planned_end", _("Rencana selesai"), "date"),
        Column("actual_start", _("Realisasi mulai"), "date"),
        Column("actual_end", _("Realisasi selesai"), "date"),
        Column("status", _("Status pelaksanaan"), choices=_choices(Activity, "status")),
        Column("status_reason", _("Alasan penundaan/pembatalan")),
        Column("review_status", _("Status verifikasi"), choices=_choices(Activity, "review_status")),
        Column("target_participants", _("Target peserta"), "int", total=True),
        Column("actual_participants", _("Realisasi peserta"), "int", total=True),
        Column("firm_count", _("IKM peserta"), "int", total=True),
        Column("budget", _("Anggaran kegiatan (Rp)"), "money", total=True),
        Column("planned_output_code", _("Kode RO"), field="planned_output__code"),
        Column("planned_output", _("RO"), field="planned_output__name"),
    ],
    "ikm": [
        Column("id", _("ID"), "code"),
        Column("name", _("Nama IKM")),
        Column("nib", _("NIB")),
        Column("owner_name", _("Nama pemilik")),
        Column("sector", _("Sektor"), choices=_choices(Firm, "sector")),
        Column("kbli", _("KBLI")),
        Column("scale", _("Skala"), choices=_choices(Firm, "scale")),
        Column("province_code", _("Kode provinsi"), field="province__code"),
        Column("province", _("Provinsi"), field="province__name"),
        Column("regency_code", _("Kode kabupaten/kota"), field="regency__code"),
        Column("regency", _("Kabupaten/kota"), field="regency__name"),
        Column("address", _("Alamat")),
        Column("phone", _("Telepon")),
        Column("workers", _("Tenaga kerja"), "int", total=True),
        Column("covid_affected", _("Terdampak Covid-19"), "bool"),
    ],
    "mitra": [
        Column("id", _("ID"), "code"),
        Column("name", _("Nama mitra")),
        Column("kind", _("Jenis"), choices=_choices(Partner, "kind")),
        Column("province_code", _("Kode provinsi"), field="province__code"),
        Column("province", _("Provinsi"), field="province__name"),
        Column("regency_code", _("Kode kabupaten/kota"), field="regency__code"),
        Column("regency", _("Kabupaten/kota"), field="regency__name"),
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
# Read as model instances: the allocation's absorption is the model's (numbers.absorption_pct), and the
# list is short (one row per province, year and kind of fund). The others are read as tuples of their
# fields (Column.field), straight from a server-side cursor.
OBJECT_LISTS = frozenset({"anggaran"})
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
    if kind in OBJECT_LISTS:
        table = Table("rows", title, columns, queryset.iterator(chunk_size=CHUNK_SIZE))
    else:
        rows = queryset.values_list(*(c.field or c.key for c in columns)).iterator(chunk_size=CHUNK_SIZE)
        table = Table("rows", title, columns, rows, tuples=True, queryset=queryset)
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
