"""Bulk import of firms (IKM), and of an activity's participating firms and people, from XLSX or CSV files.

One path for the browser (`imports.views`), the command line (`manage.py import_firms`) and the benchmark:
`import_file()` reads the file (`files`), maps its headers and reads each cell (`columns`), checks every row
with the models' own field validators and choices and reports what each row would do (`plan`: the dry run,
the preview), and writes every row in one transaction with its history (`writer`) — or nothing, when any
row is refused. `templates` makes the spreadsheets offered for download.

Why not django-import-export: measured on the 50,000-row firm file of the performance issue (2 cores,
PostgreSQL 15), tablib's XLSX reader (openpyxl) alone took 9 s, import-export's row loop 4 s with trivial
widgets, and `bulk_create` of the firms and their history rows through the ORM 13 s; the target is 10 s
for everything. So the file is read with calamine (0.4 s), rows are checked by a plain loop over typed
columns, and on PostgreSQL the rows and their history rows go in with COPY (elsewhere through
`programs.bulk` and django-simple-history's history helper). Every written row gets its history row with
the importing user, as `save()` would. The whole import of that file took about 5 s (10,000 rows/s), 7-10 s
while other test suites shared the 2 cores; `programs.management.samples.benchmark_rows_per_second()`
measures it for `make bench`.

Choices where real files differ from the template:
- headers are matched case-, space- and order-insensitively, with a few aliases per column;
- a NIB (or NIK, KBLI) that Excel stored as a number and that lost its leading zeros is refused with a
  message saying so, never padded: a guessed NIB could name another firm;
- an empty optional cell leaves the stored value as it is (an import never erases data);
- the template's example row (name starting "CONTOH") is skipped;
- limits: MAX_ROWS data rows, settings.MAX_UPLOAD_SIZE bytes, and an XLSX must not unpack to more than
  MAX_UNCOMPRESSED bytes nor compress better than MAX_RATIO:1 (a zip bomb is refused before it is parsed).
"""

from .columns import ACTIVITY_FIRMS, ACTIVITY_PEOPLE, FIRMS, CellError, ImportRefused
from .files import MAX_ROWS, max_upload_size, megabytes
from .plan import ERROR, NEW, STATUS_LABELS, UNCHANGED, UPDATE, ImportReport, RowResult
from .run import import_file
from .templates import write_template
from .writer import RowWriter

__all__ = [
    "ACTIVITY_FIRMS",
    "ACTIVITY_PEOPLE",
    "ERROR",
    "FIRMS",
    "MAX_ROWS",
    "NEW",
    "STATUS_LABELS",
    "UNCHANGED",
    "UPDATE",
    "CellError",
    "ImportRefused",
    "ImportReport",
    "RowResult",
    "RowWriter",
    "import_file",
    "max_upload_size",
    "megabytes",
    "write_template",
]
