"""Reading an uploaded file into rows of cells: XLSX (calamine) or CSV, with the limits that refuse a zip
bomb, a file too large or too long, or something that is not a spreadsheet at all.
"""

import csv
import io
import os
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import grouped as _number
from .columns import (
    HEADER_SEARCH_ROWS,
    ImportRefused,
    non_empty,
)

MAX_ROWS = 60_000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_ZIP_MEMBERS = 1000
# A few empty rows are allowed beyond MAX_ROWS before a sheet counts as too long without reading it.
ROW_SLACK = 1000


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
            raise too_many_rows()
        cells = sheet.to_python(skip_empty_area=False)
    except ImportRefused:
        raise
    except Exception as e:  # calamine's errors (damaged XML, a password, ...) all mean: cannot read it
        raise ImportRefused(DAMAGED) from e
    return [(number, row) for number, row in enumerate(cells, 1) if non_empty(row)]


def too_many_rows(count=None):
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
                raise too_many_rows()
            if non_empty(cells):
                rows.append((number, cells))
    except csv.Error as e:
        raise ImportRefused(_("Berkas CSV tidak dapat dibaca: %(e)s.") % {"e": e}) from e
    return rows
