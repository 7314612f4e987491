"""Bulk import of firms (IKM), and of an activity's participating firms and people, from XLSX or CSV files.

One path for the browser (programs/import_views.py), the command line (`manage.py import_firms`) and the
benchmark: `import_file()` reads the file, maps its headers, checks every row with the models' own field
validators and choices (the columns and cell readers are in programs/resources.py), and either reports
what each row would do (dry run, the preview) or writes every row in one transaction — or nothing, when
any row is refused.

Why not django-import-export: measured on the 50,000-row firm file of the performance issue (2 cores,
PostgreSQL 15), tablib's XLSX reader (openpyxl) alone took 9 s, import-export's row loop 4 s with trivial
widgets, and `bulk_create` of the firms and their history rows through the ORM 13 s; the target is 10 s
for everything. So the file is read with calamine (0.4 s), rows are checked by a plain loop over typed
columns, and on PostgreSQL the rows and their history rows go in with COPY (elsewhere through
`programs.bulk` and django-simple-history's history helper). Every written row gets its history row with
the importing user, as `save()` would. The whole import of that file took about 5 s (10,000 rows/s), 7-10 s
while other test suites shared the 2 cores; `benchmark_rows_per_second()` measures it for `make bench`.

Choices where real files differ from the template:
- headers are matched case-, space- and order-insensitively, with a few aliases per column;
- a NIB (or NIK, KBLI) that Excel stored as a number and that lost its leading zeros is refused with a
  message saying so, never padded: a guessed NIB could name another firm;
- an empty optional cell leaves the stored value as it is (an import never erases data);
- the template's example row (name starting "CONTOH") is skipped;
- limits: MAX_ROWS data rows, settings.MAX_UPLOAD_SIZE bytes, and an XLSX must not unpack to more than
  MAX_UNCOMPRESSED bytes nor compress better than MAX_RATIO:1 (a zip bomb is refused before it is parsed).
"""

import csv
import io
import logging
import operator
import os
import random
import secrets
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import CharField, TextField
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import get_history_manager_for_model

from provinces.models import Province, Regency

from .access import provinces_editable_by
from .bulk import DEFAULT_BATCH_SIZE, bulk_create_with_history, has_history
from .models import Activity, Firm, FirmScale, Participant, Participation, Sector, Sex
from .models import grouped as _number
from .resources import (
    ACTIVITY_FIRMS,
    ACTIVITY_PEOPLE,
    EXAMPLE_PREFIX,
    FIRMS,
    HEADER_SEARCH_ROWS,
    REQUIRED,
    TEMPLATE_LANGUAGE,
    CellError,
    ImportRefused,
    RegencyLookup,
    columns_for,
    firm_columns,
    map_headers,
    non_empty,
)

log = logging.getLogger("ikm_dekon.imports")

MAX_ROWS = 60_000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ZIP_MEMBERS = 1000
# A few empty rows are allowed beyond MAX_ROWS before a sheet counts as too long without reading it.
ROW_SLACK = 1000

NEW, UPDATE, UNCHANGED, ERROR = "baru", "ubah", "tetap", "galat"
STATUS_LABELS = {
    NEW: gettext_lazy("Baru"),
    UPDATE: gettext_lazy("Diperbarui"),
    UNCHANGED: gettext_lazy("Tidak berubah"),
    ERROR: gettext_lazy("Ditolak"),
}


def max_upload_size():
    return getattr(settings, "MAX_UPLOAD_SIZE", 20 * 1024 * 1024)


def megabytes(size):
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


# --- Reading a file -----------------------------------------------------------------------------------------

NOT_A_SPREADSHEET = gettext_lazy(
    "Berkas ini bukan spreadsheet yang dapat dibaca. Unggah berkas Excel (.xlsx) atau CSV, sebaiknya dari "
    "templat impor."
)
DAMAGED = gettext_lazy(
    "Berkas Excel ini rusak atau tidak dapat dibaca. Simpan ulang dari Excel lalu unggah lagi."
)
BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


@dataclass
class Table:
    """The non-empty rows of a file's data sheet: (row number as the user sees it, cell values)."""

    rows: list
    format: str


def read_table(source):
    """The rows of an XLSX or CSV file (a path or a binary file object), or ImportRefused."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return read_table(f)
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    if size == 0:
        raise ImportRefused(_("Berkas kosong."))
    if size > max_upload_size():
        raise ImportRefused(
            _("Berkas terlalu besar (%(size)s MB); paling besar %(max)s MB.")
            % {"size": megabytes(size), "max": megabytes(max_upload_size())}
        )
    head = source.read(8)
    source.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return Table(_read_xlsx(source), "xlsx")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(
            _(
                "Format Excel lama (.xls) tidak didukung. Buka di Excel, simpan sebagai .xlsx, lalu unggah "
                "lagi."
            )
        )
    if head.startswith(BINARY_SIGNATURES):
        raise ImportRefused(NOT_A_SPREADSHEET)
    return Table(_read_csv(source.read()), "csv")


def _check_zip(source):
    """Refuse a zip that unpacks to too much (a zip bomb) before any XML parser sees it.

    The sizes the archive declares are checked first; then every member is unpacked as a stream and
    counted, so an archive that lies about its sizes is refused too (zipfile also checks each CRC).
    """
    bomb = ImportRefused(
        _(
            "Berkas ditolak: isinya mengembang jauh melebihi ukurannya (lebih dari %(max)s MB atau rasio "
            "kompresi di atas %(ratio)s:1). Ini bukan berkas Excel biasa."
        )
        % {"max": megabytes(MAX_UNCOMPRESSED), "ratio": MAX_RATIO}
    )
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
            if "xl/workbook.xml" not in {m.filename for m in members}:
                raise ImportRefused(NOT_A_SPREADSHEET)
            if len(members) > MAX_ZIP_MEMBERS:
                raise bomb
            declared = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members)
            if declared > MAX_UNCOMPRESSED or declared > MAX_RATIO * max(packed, 1):
                raise bomb
            if any(m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * m.compress_size for m in members):
                raise bomb
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(1024 * 1024):
                        total += len(chunk)
                        if total > MAX_UNCOMPRESSED:
                            raise bomb
    except ImportRefused:
        raise
    except Exception as e:  # BadZipFile, zlib.error, an encrypted member...: damaged, never a server error
        raise ImportRefused(DAMAGED) from e
    finally:
        source.seek(0)


def _read_xlsx(source):
    from python_calamine import CalamineWorkbook

    _check_zip(source)
    try:
        workbook = CalamineWorkbook.from_filelike(source)
        names = workbook.sheet_names
        sheet = workbook.get_sheet_by_name("Data") if "Data" in names else workbook.get_sheet_by_index(0)
        end = sheet.end
        if end is None:
            return []
        if end[0] + 1 > MAX_ROWS + ROW_SLACK:
            raise _too_many_rows()
        cells = sheet.to_python(skip_empty_area=False)
    except ImportRefused:
        raise
    except Exception as e:  # calamine's errors (damaged XML, a password, ...) all mean: cannot read it
        raise ImportRefused(DAMAGED) from e
    return [(number, row) for number, row in enumerate(cells, 1) if non_empty(row)]


def _too_many_rows(count=None):
    limit = _("paling banyak %(max)s baris data per impor. Bagi menjadi beberapa berkas.") % {
        "max": _number(MAX_ROWS)
    }
    if count is None:
        return ImportRefused(_("Berkas terlalu banyak barisnya; %(limit)s") % {"limit": limit})
    return ImportRefused(
        _("Berkas berisi %(n)s baris data; %(limit)s") % {"n": _number(count), "limit": limit}
    )


def _read_csv(raw):
    if b"\x00" in raw[:8192]:
        raise ImportRefused(NOT_A_SPREADSHEET)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV in the ANSI code page.
        text = raw.decode("cp1252", errors="replace")
    # Excel in the Indonesian locale separates with ";" (the comma is the decimal separator). Counted over
    # the first lines, as a title line above the headers may have no separator at all.
    head = text[:20_000].splitlines()[: HEADER_SEARCH_ROWS + 2]
    delimiter = max([",", ";", "\t"], key=lambda d: (sum(line.count(d) for line in head), d == ","))
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            if number > MAX_ROWS + ROW_SLACK:
                raise _too_many_rows()
            if non_empty(cells):
                rows.append((number, cells))
    except csv.Error as e:
        raise ImportRefused(_("Berkas CSV tidak dapat dibaca: %(e)s.") % {"e": e}) from e
    return rows


# --- Results ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RowResult:
    number: int
    status: str = NEW
    label: str = ""
    detail: str = ""
    errors: list = field(default_factory=list)  # [(column header, message)]
    warnings: list = field(default_factory=list)

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass
class ImportReport:
    kind: str
    province: Province
    activity: Activity | None = None
    rows: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    dry_run: bool = True
    written: bool = False
    seconds: float = 0.0

    @property
    def counts(self):
        counts = Counter(row.status for row in self.rows)
        return {status: counts.get(status, 0) for status in STATUS_LABELS}

    @property
    def refused(self):
        return sum(1 for row in self.rows if row.status == ERROR)

    @property
    def ok(self):
        return self.refused == 0

    @property
    def rows_per_second(self):
        return len(self.rows) / self.seconds if self.seconds else 0.0

    def errors(self):
        for row in self.rows:
            for column, message in row.errors:
                yield row.number, column, message

    def summary(self):
        counts = self.counts
        return _(
            "%(total)s baris: %(new)s baru, %(update)s diperbarui, %(same)s tidak berubah, "
            "%(refused)s ditolak."
        ) % {
            "total": _number(len(self.rows)),
            "new": _number(counts[NEW]),
            "update": _number(counts[UPDATE]),
            "same": _number(counts[UNCHANGED]),
            "refused": _number(counts[ERROR]),
        }

    def as_dict(self):
        """What the preview page keeps between requests (the NIK is never in it: labels mask it)."""
        return {
            "kind": self.kind,
            "province": self.province.pk,
            "activity": self.activity.pk if self.activity else None,
            "notices": [str(n) for n in self.notices],
            "counts": self.counts,
            # Messages may be lazy (e.g. REQUIRED): the preview is JSON, so each is text by now.
            "rows": [
                [r.number, r.status, str(r.label), str(r.detail), _texts(r.errors), _texts(r.warnings)]
                for r in self.rows
            ],
        }


def _texts(messages):
    """[(column, message)] or [message] with every lazy translation turned into text."""
    return [[str(part) for part in m] if isinstance(m, list | tuple) else str(m) for m in messages]


# --- Planning: what each row does ---------------------------------------------------------------------------

FIRM_FIELDS = [
    "name",
    "nib",
    "owner_name",
    "sector",
    "kbli",
    "scale",
    "regency_id",
    "address",
    "phone",
    "workers",
    "covid_affected",
]
FIRM_DEFAULTS = {
    "nib": "",
    "owner_name": "",
    "kbli": "",
    "scale": FirmScale.MIKRO.value,
    "address": "",
    "phone": "",
    "workers": None,
    "covid_affected": False,
}
PEOPLE_FIELDS = ["name", "nik", "sex", "phone", "founded_firm_id"]


def _chunks(items, size=None):
    """Lists of at most `size` items; by default as many as one query may take (PostgreSQL: any number, and
    one query with 50,000 values costs less than five with 10,000)."""
    size = size or (connection.features.max_query_params or MAX_ROWS + 10) - 10
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_fields(model):
    return [f.attname for f in model._meta.concrete_fields]


def _label(model, attname):
    name = attname[:-3] if attname.endswith("_id") else attname
    return str(model._meta.get_field(name).verbose_name)


class _Plan:
    """Checks rows against the database, and remembers the writes they need."""

    def __init__(self, *, kind, province, user, activity, lock):
        self.kind, self.province, self.user, self.activity, self.lock = kind, province, user, activity, lock
        self._details = {}
        # Translated once, not once per row.
        self.text = {
            "new_firm": _("IKM baru"),
            "new_person": _("Peserta baru"),
            "unchanged": _("Sudah terdaftar, tidak berubah"),
            "added": _("%(firm)s; ditambahkan sebagai peserta"),
            "note": _("%(firm)s; sudah peserta, keterangan diperbarui"),
            "already": _("%(firm)s; sudah peserta"),
        }
        self.inserts = {}  # model -> [row dicts]
        self.updates = {}  # model -> [row dicts]

    def _updated(self, model, changed):
        """ "Diperbarui: telepon, alamat", with the texts translated once per import, not once per row."""
        key = (model, tuple(changed))
        if key not in self._details:
            labels = ", ".join(_label(model, f) for f in changed)
            self._details[key] = _("Diperbarui: %(f)s") % {"f": labels}
        return self._details[key]

    def _query(self, queryset):
        return queryset.select_for_update(of=("self",)) if self.lock else queryset

    def _firm_scope(self):
        """The firms this import may update: the user's editable firms, of the target province."""
        firms = Firm.objects.all() if self.user is None else Firm.objects.editable_by(self.user)
        return firms.filter(province=self.province)

    def _firms_by_nib(self, nibs, fields):
        """({nib: stored values} of the firms this import may use, {nibs registered in another province})."""
        mine, elsewhere = {}, set()
        for chunk in _chunks(nibs):
            # exclude(nib="") lets the database use the partial unique index on nib.
            found = self._query(self._firm_scope().filter(nib__in=chunk).exclude(nib=""))
            for row in found.values(*fields):
                mine[row["nib"]] = row
            remaining = [nib for nib in chunk if nib not in mine]
            if remaining:
                others = Firm.objects.filter(nib__in=remaining).exclude(nib="")
                elsewhere.update(others.values_list("nib", flat=True))
        return mine, elsewhere

    def _plan_firm(self, number, values, result, firms_by_nib, elsewhere, unnamed, seen, now):
        """The firm row's stored values after the import (new or updated), or None when refused."""
        nib = values.get("nib", "")
        if nib:
            key = nib
            if nib in elsewhere:
                result.errors.append(("NIB", _("NIB sudah terdaftar di provinsi lain.")))
                return None
            stored = firms_by_nib.get(nib)
        else:
            key = (values["name"].casefold(), values["regency_id"])
            matches = unnamed.get(key, [])
            if len(matches) > 1:
                result.errors.append(
                    ("NIB", _("Ada beberapa IKM tanpa NIB dengan nama dan kabupaten/kota ini; isi NIB-nya."))
                )
                return None
            stored = matches[0] if matches else None
        if key in seen:
            header = "NIB" if nib else "Nama IKM"
            result.errors.append(
                (header, _("IKM ini sudah ada di baris %(n)s berkas ini.") % {"n": seen[key]})
            )
            return None
        seen[key] = number
        values = {k: v for k, v in values.items() if k in FIRM_FIELDS}
        if stored is None:
            row = {**FIRM_DEFAULTS, **values, "province_id": self.province.pk}
            row.update(version=1, created_at=now, updated_at=now)
            self.inserts.setdefault(Firm, []).append(row)
            result.status, result.detail = NEW, self.text["new_firm"]
            return row
        changed = [f for f in FIRM_FIELDS if f in values and values[f] != stored[f]]
        if not changed:
            result.status, result.detail = UNCHANGED, self.text["unchanged"]
            return stored
        row = {**stored, **values, "version": stored["version"] + 1, "updated_at": now}
        self.updates.setdefault(Firm, []).append(row)
        result.status = UPDATE
        result.detail = self._updated(Firm, changed)
        return row

    def firms(self, parsed, now):
        nibs = {values["nib"] for _n, values, _r in parsed if values.get("nib")}
        firms_by_nib, elsewhere = self._firms_by_nib(nibs, _stored_fields(Firm))
        unnamed = {}
        if any(not values.get("nib") for _n, values, result in parsed if not result.errors):
            for row in self._query(self._firm_scope().filter(nib="")).values(*_stored_fields(Firm)):
                unnamed.setdefault((row["name"].casefold(), row["regency_id"]), []).append(row)
        participations = {}
        if self.kind == ACTIVITY_FIRMS:
            stored = self._query(Participation.objects.filter(activity=self.activity))
            participations = {row["firm_id"]: row for row in stored.values(*_stored_fields(Participation))}
        seen = {}
        for number, values, result in parsed:
            if result.errors:
                continue
            firm = self._plan_firm(
                number, values, result, firms_by_nib, unnamed=unnamed, elsewhere=elsewhere, seen=seen, now=now
            )
            if firm is not None and self.kind == ACTIVITY_FIRMS:
                self._plan_participation(firm, values, result, participations, now)

    def _plan_participation(self, firm, values, result, participations, now):
        stored = participations.get(firm.get("id")) if "id" in firm else None
        firm_detail = result.detail
        if stored is None:
            row = {
                "activity_id": self.activity.pk,
                "province_id": self.activity.province_id,
                "year": self.activity.year,
                "note": values.get("note", ""),
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "firm": firm,  # its id is known once a new firm is written
            }
            self.inserts.setdefault(Participation, []).append(row)
            result.status = NEW if result.status == NEW else UPDATE
            result.detail = self.text["added"] % {"firm": firm_detail}
        elif "note" in values and values["note"] != stored["note"]:
            row = {**stored, "note": values["note"], "version": stored["version"] + 1, "updated_at": now}
            self.updates.setdefault(Participation, []).append(row)
            result.status = UPDATE
            result.detail = self.text["note"] % {"firm": firm_detail}
        else:
            result.detail = self.text["already"] % {"firm": firm_detail}

    def people(self, parsed, now):
        nibs = {values["founded_firm_nib"] for _n, values, _r in parsed if values.get("founded_firm_nib")}
        founded, elsewhere = self._firms_by_nib(nibs, ["nib", "id"])
        firms_by_nib = {nib: row["id"] for nib, row in founded.items()}
        by_nik, by_name = {}, {}
        stored_rows = self._query(Participant.objects.filter(activity=self.activity))
        for row in stored_rows.values(*_stored_fields(Participant)):
            if row["nik"]:
                by_nik[row["nik"]] = row
            else:
                by_name.setdefault((row["name"].casefold(), row["phone"]), row)
        seen = {}
        for number, values, result in parsed:
            if result.errors:
                continue
            nik = values.get("nik", "")
            nib = values.pop("founded_firm_nib", "")
            if nib in elsewhere:
                result.errors.append(("NIB IKM yang didirikan", _("NIB sudah terdaftar di provinsi lain.")))
                continue
            if nib and nib not in firms_by_nib:
                result.errors.append(
                    (
                        "NIB IKM yang didirikan",
                        _("IKM dengan NIB ini belum terdaftar di provinsi ini; impor IKM-nya lebih dulu."),
                    )
                )
                continue
            if nib:
                values["founded_firm_id"] = firms_by_nib[nib]
            key = nik or (values["name"].casefold(), values.get("phone", ""))
            if key in seen:
                header = "NIK" if nik else "Nama"
                result.errors.append(
                    (header, _("Peserta ini sudah ada di baris %(n)s berkas ini.") % {"n": seen[key]})
                )
                continue
            seen[key] = number
            stored = by_nik.get(nik) if nik else by_name.get(key)
            if stored is None:
                row = {
                    "activity_id": self.activity.pk,
                    "province_id": self.activity.province_id,
                    "year": self.activity.year,
                    "nik": "",
                    "phone": "",
                    "founded_firm_id": None,
                    **values,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                self.inserts.setdefault(Participant, []).append(row)
                result.status, result.detail = NEW, self.text["new_person"]
                continue
            changed = [f for f in PEOPLE_FIELDS if f in values and values[f] != stored[f]]
            if not changed:
                result.status, result.detail = UNCHANGED, self.text["unchanged"]
                continue
            row = {**stored, **values, "version": stored["version"] + 1, "updated_at": now}
            self.updates.setdefault(Participant, []).append(row)
            result.status = UPDATE
            result.detail = self._updated(Participant, changed)


NUL_CHARACTER = gettext_lazy("Isian berisi karakter NUL yang tidak sah; ketik ulang isinya.")


def _parse_rows(rows, mapping, progress=None):
    """[(row number, {key: value}, RowResult)] with the cell errors found on each row."""
    parsed = []
    total = len(rows)
    for count, (number, cells) in enumerate(rows, 1):
        values, result = {}, RowResult(number)
        warnings, errors = result.warnings, result.errors
        width = len(cells)
        for column, index in mapping:
            raw = cells[index] if index < width else ""
            if raw is None or raw == "":
                if column.required:
                    errors.append((column.header, REQUIRED))
                continue
            try:
                if isinstance(raw, str) and "\x00" in raw:  # no database text column can hold it
                    raise CellError(NUL_CHARACTER)
                value = column.parse(raw, warnings)
            except CellError as e:
                errors.append((column.header, e.message))
                continue
            if value == "" or value is None:
                if column.required:
                    errors.append((column.header, REQUIRED))
                continue
            values[column.key] = value
        parsed.append((number, values, result))
        if progress and (count % 2000 == 0 or count == total):
            progress("periksa", count, total)
    return parsed


def _row_label(values):
    """What the preview names a row by: the name and the NIB, or the NIK masked (it is personal data)."""
    label = values.get("name", "")
    if values.get("nib"):
        label += f" ({values['nib']})"
    nik = values.get("nik")
    if nik:
        label += f" ({nik[:4]}{'*' * 8}{nik[-4:]})"
    return label


def _is_example(values):
    return str(values.get("name", "")).upper().startswith(EXAMPLE_PREFIX)


# --- Writing rows with their history ------------------------------------------------------------------------


def _use_copy():
    return connection.vendor == "postgresql" and COPY_ENABLED


# PostgreSQL COPY for speed; the ORM path (programs.bulk) everywhere else and when this is off.
COPY_ENABLED = True


class RowWriter:
    """Inserts and updates rows of a model, each with its history row stamped with the user and a reason.

    Rows are dicts of attname → value, complete (every concrete field but the primary key of a new row).
    """

    def __init__(self, *, user, reason, now):
        self.user, self.reason, self.now = user, reason[:100], now

    def insert(self, model, rows):
        if not rows:
            return
        if _use_copy():
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, model._meta.pk.column, len(rows)],
                )
                for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                    row[model._meta.pk.attname] = pk
                self._copy(cursor, table, model._meta.concrete_fields, rows)
            self._history(model, rows, "+")
            return
        objs = [model(**row) for row in rows]
        bulk_create_with_history(objs, model, user=self.user, reason=self.reason)
        for row, obj in zip(rows, objs, strict=True):
            row[model._meta.pk.attname] = obj.pk

    def update(self, model, rows):
        if not rows:
            return
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        if _use_copy():
            qn = connection.ops.quote_name
            table, temp = (
                qn(model._meta.db_table),
                qn(f"import_{model._meta.model_name}_{secrets.token_hex(4)}"),
            )
            columns = [f.column for f in model._meta.concrete_fields]
            pk = qn(model._meta.pk.column)
            assignments = ", ".join(f"{qn(f.column)} = s.{qn(f.column)}" for f in fields)
            column_list = ", ".join(qn(c) for c in columns)
            # Identifiers from the model's own metadata, quoted; every value goes through COPY.
            create = f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {column_list} FROM {table}"  # noqa: S608 # nosec B608
            update = f"UPDATE {table} AS t SET {assignments} FROM {temp} AS s WHERE t.{pk} = s.{pk}"  # noqa: S608 # nosec B608
            with connection.cursor() as cursor:
                cursor.execute(f"{create} WITH NO DATA")
                self._copy(cursor, temp, model._meta.concrete_fields, rows, quoted=True)
                cursor.execute(update)
                cursor.execute(f"DROP TABLE {temp}")
            self._history(model, rows, "~")
            return
        # Django's bulk_update builds a CASE per field with a branch per row: 4 ms a row in Python. One
        # parameterised UPDATE run for every row costs a fraction of that, on any database.
        qn = connection.ops.quote_name
        pk = model._meta.pk
        assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        update = f"UPDATE {qn(model._meta.db_table)} SET {assignments} WHERE {qn(pk.column)} = %s"  # noqa: S608 # nosec B608
        params = [
            [f.get_db_prep_save(row[f.attname], connection) for f in fields] + [row[pk.attname]]
            for row in rows
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(update, params)
            if has_history(model) and getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
                get_history_manager_for_model(model).bulk_history_create(
                    [model(**row) for row in rows],
                    batch_size=DEFAULT_BATCH_SIZE,
                    update=True,
                    default_user=self.user,
                    default_change_reason=self.reason,
                    default_date=self.now,
                )

    def _copy(self, cursor, table, fields, rows, quoted=False):
        """COPY rows in CSV form: the csv module writes them in C. An empty unquoted field is NULL, except in
        the text columns that cannot be NULL (FORCE_NOT_NULL), where it is the empty string."""
        qn = connection.ops.quote_name
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            map(operator.itemgetter(*[f.attname for f in fields]), rows)
        )
        texts = [qn(f.column) for f in fields if isinstance(f, CharField | TextField) and not f.null]
        options = f", FORCE_NOT_NULL ({', '.join(texts)})" if texts else ""
        columns = ", ".join(qn(f.column) for f in fields)
        sql = f"COPY {table if quoted else qn(table)} ({columns}) FROM STDIN WITH (FORMAT csv{options})"
        raw = cursor.cursor
        # The driver's own cursor raises the driver's errors (psycopg2's UniqueViolation when another import
        # wrote the same firm meanwhile): wrapped, they are Django's IntegrityError that _import turns into
        # a message.
        with connection.wrap_database_errors:
            if hasattr(raw, "copy_expert"):  # psycopg2
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(buffer.getvalue())

    def _history(self, model, rows, history_type):
        if not has_history(model) or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return
        history = get_history_manager_for_model(model).model
        stamp = {
            "history_date": self.now,
            "history_change_reason": self.reason,
            "history_type": history_type,
            "history_user_id": self.user.pk if self.user else None,
        }
        fields = [f for f in history._meta.concrete_fields if not f.primary_key]
        unknown = [f.attname for f in fields if f.attname not in stamp and f.attname not in rows[0]]
        if unknown:  # a history field this writer would leave out: refuse rather than lose it
            raise RuntimeError(f"{history.__name__}: unknown history fields {unknown}")
        history_rows = [{**row, **stamp} for row in rows]
        with connection.cursor() as cursor:
            self._copy(cursor, history._meta.db_table, fields, history_rows)


def _write(plan, *, user, reason, now, progress=None):
    writer = RowWriter(user=user, reason=reason, now=now)
    steps = [
        (model, action) for model in (Firm, Participation, Participant) for action in ("insert", "update")
    ]
    total = sum(len(rows) for rows in (*plan.inserts.values(), *plan.updates.values()))
    done = 0
    for model, action in steps:
        rows = (plan.inserts if action == "insert" else plan.updates).get(model, [])
        if model is Participation:
            for row in rows:
                if "firm" in row:
                    row["firm_id"] = row.pop("firm")["id"]
        for chunk in _chunks(rows, 10_000):
            getattr(writer, action)(model, chunk)
            done += len(chunk)
            if progress:
                progress("simpan", done, total)


# --- The import ---------------------------------------------------------------------------------------------


def _target(kind, province, user, activity):
    """The province (and activity) the import writes into, after checking the user may write there."""
    if kind in (ACTIVITY_FIRMS, ACTIVITY_PEOPLE):
        if activity is None:
            raise ValueError("an activity import needs the activity")
        if user is not None and not Activity.objects.editable_by(user).filter(pk=activity.pk).exists():
            raise PermissionDenied(
                _("Kegiatan ini di luar wewenang Anda atau terkunci (diajukan, diverifikasi, tahun ditutup).")
            )
        return Province.objects.get(pk=activity.province_id), activity
    if kind != FIRMS:
        raise ValueError(kind)
    if not isinstance(province, Province):
        province = Province.objects.filter(code=str(province)).first()
        if province is None:
            raise ImportRefused(_("Provinsi tidak dikenal."))
    if user is not None and not provinces_editable_by(user).filter(pk=province.pk).exists():
        raise PermissionDenied(_("Anda tidak berhak mengimpor data untuk provinsi %(p)s.") % {"p": province})
    return province, None


def import_file(
    source, *, kind=FIRMS, province=None, activity=None, user=None, dry_run=False, name="", progress=None
):
    """Check (dry run) or import a file; returns an ImportReport. Raises ImportRefused for a file that cannot
    be imported at all and PermissionDenied outside the user's scope. Writes every row or none."""
    started = time.monotonic()
    province, activity = _target(kind, province, user, activity)
    try:
        report = _import(source, kind, province, activity, user, dry_run, name, progress)
    except ImportRefused as e:
        log.info(
            "import refused", extra={**_log_context(user, province, activity, kind), "reason": e.message}
        )
        raise
    report.seconds = time.monotonic() - started
    counts = report.counts
    log.info(
        "import",
        extra={
            **_log_context(user, province, activity, kind),
            "dry_run": dry_run,
            "written": report.written,
            "rows": len(report.rows),
            "new": counts[NEW],
            "updated": counts[UPDATE],
            "unchanged": counts[UNCHANGED],
            "refused": counts[ERROR],
            "seconds": round(report.seconds, 3),
        },
    )
    return report


def _import(source, kind, province, activity, user, dry_run, name, progress):
    table = read_table(source)
    if not table.rows:
        raise ImportRefused(_("Berkas tidak berisi data."))
    regencies = RegencyLookup(province) if kind in (FIRMS, ACTIVITY_FIRMS) else None
    position, mapping, notices = map_headers(table.rows, columns_for(kind, regencies))
    data_rows = table.rows[position + 1 :]
    if len(data_rows) > MAX_ROWS:
        raise _too_many_rows(len(data_rows))
    parsed = _parse_rows(data_rows, mapping, progress)
    examples = [number for number, values, _r in parsed if _is_example(values)]
    if examples:
        parsed = [p for p in parsed if not _is_example(p[1])]
        notices.append(
            _("Baris contoh dari templat dilewati: baris %(n)s.") % {"n": ", ".join(map(str, examples))}
        )
    if not parsed:
        raise ImportRefused(_("Berkas tidak berisi baris data di bawah judul kolom."))
    for _n, values, result in parsed:
        result.label = _row_label(values)
        if result.errors:
            result.status = ERROR
    report = ImportReport(kind=kind, province=province, activity=activity, notices=notices, dry_run=dry_run)
    report.rows = [result for _n, _v, result in parsed]
    now = timezone.now()
    reason = _("Impor dari berkas %(name)s") % {
        "name": os.path.basename(name or getattr(source, "name", "") or "")
    }
    try:
        with transaction.atomic():
            if activity is not None and not dry_run:
                # Held until the import commits: a submit or a verification waits for it.
                locked = Activity.objects.select_for_update().filter(pk=activity.pk)
                if user is not None:
                    locked = locked & Activity.objects.editable_by(user)
                if not locked.exists():
                    raise PermissionDenied(_("Kegiatan ini sudah terkunci."))
            plan = _Plan(kind=kind, province=province, user=user, activity=activity, lock=not dry_run)
            if kind == ACTIVITY_PEOPLE:
                plan.people(parsed, now)
            else:
                plan.firms(parsed, now)
            for result in report.rows:
                if result.errors:
                    result.status = ERROR
            if report.ok and not dry_run:
                _write(plan, user=user, reason=reason, now=now, progress=progress)
                report.written = True
    except IntegrityError as e:
        log.warning("import collided", extra=_log_context(user, province, activity, kind), exc_info=e)
        raise ImportRefused(
            _(
                "Data bertabrakan dengan perubahan lain yang baru saja disimpan; tidak ada yang disimpan. "
                "Ulangi impor."
            )
        ) from e
    except DatabaseError as e:
        # A value the checks let through and the database refused: a bug to fix, never a server error.
        log.exception("import refused by the database", extra=_log_context(user, province, activity, kind))
        raise ImportRefused(
            _("Basis data menolak isi berkas ini; tidak ada yang disimpan. Laporkan ke admin.")
        ) from e
    return report


def _log_context(user, province, activity, kind):
    return {
        "user": user.username if user is not None else None,
        "province": province.code,
        "object": f"Activity:{activity.pk}:{kind}" if activity is not None else "Firm",
    }


# --- Templates, sample files and the benchmark hook ---------------------------------------------------------


LIST_CHOICES = {
    "sector": Sector.labels,
    "scale": FirmScale.labels,
    "sex": Sex.values,
    "covid_affected": ["Ya", "Tidak"],
}


def write_template(target, kind=FIRMS, province=None):
    """An XLSX template: a Data sheet with the Indonesian headers and an example row, the instructions,
    and (for a province) its regencies with their codes. `target` is a path or a binary file object.
    In Indonesian whatever the user's language: the file is read the same way for everyone."""
    with translation.override(TEMPLATE_LANGUAGE):
        _write_template(target, kind, province)


def _write_template(target, kind, province):
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = columns_for(kind)
    regencies = []
    if province is not None:
        regencies = list(
            Regency.objects.filter(province=province).order_by("code").values_list("code", "name")
        )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append([c.header for c in columns])
    example = {c.key: c.example for c in columns}
    if regencies:
        example["regency_id"] = regencies[0][0]
    sheet.append([example[c.key] for c in columns])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7" if column.required else "F2F2F2")
        sheet.cell(row=2, column=index).font = Font(italic=True, color="808080")
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        if column.text_format:
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
        choices = LIST_CHOICES.get(column.key)
        if choices:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(str(c) for c in choices) + '"', allow_blank=True
            )
            validation.errorStyle = "warning"
            validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
    guide = workbook.create_sheet("Petunjuk")
    guide.append([_("Kolom"), _("Wajib"), _("Keterangan")])
    for column in columns:
        guide.append([column.header, _("Ya") if column.required else "", str(column.help)])
    guide.append([])
    guide.append([_("Baris 2 lembar Data adalah contoh: (nama berawalan CONTOH dilewati).")])
    guide.append([_("Judul kolom boleh beda huruf besar/kecil atau urutan; kolom lain diabaikan.")])
    guide.append([_("Paling banyak %(n)s baris data per berkas.") % {"n": _number(MAX_ROWS)}])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 26
    guide.column_dimensions["C"].width = 100
    if regencies:
        places = workbook.create_sheet("Kabupaten-Kota")
        places.append([_("Kode"), _("Nama")])
        for code, name in regencies:
            places.append([code, name])
        places.column_dimensions["B"].width = 32
    workbook.save(target)


def write_sample_file(path, rows, province_code, *, seed=0, kind=FIRMS):
    """A realistic XLSX of `rows` firms of a province (NIB 98<province><9 digits>), as a provincial office
    would send it; used by the tests and the benchmark. Needs the official regencies in the database."""
    from faker import Faker
    from openpyxl import Workbook

    from .management.demo import fake_firm_fields

    if kind != FIRMS:
        raise ValueError(kind)
    province = Province.objects.get(code=province_code)
    regencies = list(Regency.objects.filter(province=province))
    rng = random.Random(seed)  # noqa: S311 - sample data, not a secret
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    sectors = [s for s in Sector.values if s != Sector.LAINNYA]
    # Faker is slow per call: draw pools once, combine them per row.
    pool = [
        fake_firm_fields(
            fake,
            rng,
            province=province,
            regency=rng.choice(regencies),
            sector=rng.choice(sectors),
            covid_affected=rng.random() < 0.6,
            nib="",
        )
        for _i in range(min(rows, 500))
    ]
    columns = firm_columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Data")
    sheet.append([c.header for c in columns])
    with translation.override(TEMPLATE_LANGUAGE):
        sector_labels = {code: str(label) for code, label in Sector.choices}
        scale_labels = {code: str(label) for code, label in FirmScale.choices}
    for index in range(rows):
        fields = pool[index % len(pool)]
        regency = fields["regency"]
        sheet.append(
            [
                f"98{province_code}{index:09d}",
                f"{fields['name']} {index + 1}",
                fields["owner_name"],
                str(sector_labels[fields["sector"]]),
                fields["kbli"],
                str(scale_labels[fields["scale"]]),
                regency.code if index % 3 else regency.name,
                fields["address"],
                fields["phone"],
                fields["workers"],
                "Ya" if fields["covid_affected"] else "Tidak",
            ]
        )
    workbook.save(path)
    return path


def benchmark_rows_per_second(path, province, user=None, *, keep=False):
    """Rows per second of a complete import of `path` into `province` (a Province or its code): reading,
    checking and writing with history. Rolled back afterwards unless keep=True. For `make bench`:

        write_sample_file(path, 50_000, "51"); rate = benchmark_rows_per_second(path, "51")
    """

    class _Undo(Exception):
        pass

    report = None
    try:
        with transaction.atomic():
            report = import_file(path, kind=FIRMS, province=province, user=user, name=str(path))
            if not report.written:
                raise ImportRefused(report.summary())
            if not keep:
                raise _Undo
    except _Undo:
        pass
    return report.rows_per_second
