"""The list downloads stream (programs/exports.py): rows are read as tuples from the cursor and written while
the response is sent, the XLSX as a ZIP written part by part. What must hold whatever the speed: the first
bytes leave before the rows are read to the end, every cell is the one the records give (compared here with
values computed from the model instances), and the same few queries run for three activities or for nine."""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import exports
from programs.models import Activity, ActivityStatus, Participation
from tests import csvutil, sheetutil
from tests.factories import make_activity, make_allocation, make_firm, make_participation, make_partner

YEAR = 2020
ROWS_QUERY = '"programs_activity"."title"'  # only the list's own query reads the titles
TOTALS_QUERY = 'DISTINCT "programs_participation"."firm_id"'  # the totals row's firms, after the last row


@pytest.fixture
def activities(db):
    bali = make_allocation("51", YEAR)
    tricky = [
        make_activity(bali, title="=HYPERLINK(1) bukan rumus", regency=None),
        make_activity(bali, title='Bimtek; "batik"\nbaris dua', covid_response=False),
        make_activity(
            bali,
            title="  spasi di depan",
            status=ActivityStatus.DONE,
            actual_start=datetime.date(YEAR, 6, 16),
            actual_end=datetime.date(YEAR, 7, 1),
            actual_participants=18,
            budget=Decimal("1234567"),
        ),
    ]
    firms = [make_firm() for _ in range(3)]
    for firm in firms:
        make_participation(tricky[0], firm)
    make_participation(tricky[1], firms[0])  # a firm in two activities is one IKM in the total
    return tricky


def _expected(activity, dates="%d/%m/%Y"):
    """The list's row for one activity, from the model instance (display labels, related names) — not
    from the export's own field lookups."""

    def day(value):
        return value.strftime(dates) if value else ""

    def text(value):
        value = value or ""
        return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value

    regency = activity.regency
    return [
        str(activity.pk),
        str(activity.year),
        activity.province.code,
        activity.province.name,
        regency.code if regency else "",
        regency.name if regency else "",
        text(activity.title),
        activity.get_kind_display(),
        activity.get_purpose_display(),
        activity.get_sector_display(),
        "Ya" if activity.covid_response else "Tidak",
        activity.get_mode_display(),
        day(activity.planned_start),
        day(activity.planned_end),
        day(activity.actual_start),
        day(activity.actual_end),
        activity.get_status_display(),
        text(activity.status_reason),
        activity.get_review_status_display(),
        str(activity.target_participants),
        "" if activity.actual_participants is None else str(activity.actual_participants),
        str(activity.participations.count()),
        str(int(activity.budget)),
        "",
        "",
    ]


def _list(client, fmt, **params):
    return client.get(reverse("programs:activity_list"), {"tahun": YEAR, "format": fmt, **params})


def test_the_csv_rows_are_the_records_in_both_dialects(pusat_client, activities):
    ordered = list(Activity.objects.filter(year=YEAR).order_by("province__code", "planned_start", "pk"))
    for params, dates in (({}, "%d/%m/%Y"), ({"dialek": "standar"}, "%Y-%m-%d")):
        rows = csvutil.rows(_list(pusat_client, "csv", **params))
        assert rows[1:-1] == [_expected(a, dates) for a in ordered]
        # the totals: participants and budget summed, the three firms counted once
        total = rows[-1]
        header = rows[0]
        assert total[0] == "Total"
        assert total[header.index("IKM peserta")] == "3"
        assert total[header.index("Anggaran kegiatan (Rp)")] == str(int(sum(a.budget for a in ordered)))
        assert total[header.index("Realisasi peserta")] == "18"


def test_the_xlsx_cells_are_the_records_with_numbers_as_numbers(pusat_client, activities):
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(_list(pusat_client, "xlsx").streaming_content)))
    table = sheetutil.table(sheet.worksheets[0])
    header, rows = table[0], table[1:-1]
    by_id = {row[0]: row for row in rows}
    for activity in activities:
        row = by_id[activity.pk]
        assert row[header.index("Judul kegiatan")] == _expected(activity)[6]  # neutralised, spaces kept
        assert row[header.index("Jenis")] == activity.get_kind_display()
        assert row[header.index("Rencana mulai")] == datetime.datetime.combine(
            activity.planned_start, datetime.time()
        )
        assert row[header.index("Anggaran kegiatan (Rp)")] == int(activity.budget)
        assert row[header.index("Tahun")] == YEAR
    assert rows[0][header.index("Kabupaten/kota")] is None  # no regency: an empty cell


def test_the_csv_streams_its_first_rows_before_the_last_is_read(pusat_client, activities, monkeypatch):
    """A download that waited for its last row (a file written whole, then sent) would have asked for its
    totals before sending anything: here the first activity's row leaves before the totals' query."""
    monkeypatch.setattr(exports, "BATCH_ROWS", 1)
    response = _list(pusat_client, "csv")
    assert isinstance(response, StreamingHttpResponse)
    first = activities[0]
    with CaptureQueriesContext(connection) as queries:
        chunks = iter(response.streaming_content)
        received = b""
        while str(first.pk).encode() + b";" not in received:
            received += next(chunks)
        assert not any(TOTALS_QUERY in q["sql"] for q in queries.captured_queries)
        rest = b"".join(chunks)
    assert any(TOTALS_QUERY in q["sql"] for q in queries.captured_queries)
    assert "Total" in (received + rest).decode("utf-8-sig").rsplit("\r\n", 2)[-2]


def test_the_xlsx_sends_its_first_bytes_before_the_rows_are_read(pusat_client, activities, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_ROWS", 1)
    response = _list(pusat_client, "xlsx")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="daftar-kegiatan.xlsx"'
    with CaptureQueriesContext(connection) as queries:
        chunks = iter(response.streaming_content)
        first = next(chunks)
        assert first.startswith(b"PK\x03\x04")  # a ZIP's first parts, already compressed
        assert not any(ROWS_QUERY in q["sql"] for q in queries.captured_queries)
        pieces = [first, *chunks]
    assert any(ROWS_QUERY in q["sql"] for q in queries.captured_queries)
    book = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert book.testzip() is None
    # the workbook (its filter ranges need the last row's number) comes after the sheet
    names = book.namelist()
    assert names.index("xl/workbook.xml") > names.index("xl/worksheets/sheet1.xml")


def test_the_same_queries_for_three_activities_or_nine(pusat_client, activities):
    def count(fmt):
        with CaptureQueriesContext(connection) as queries:
            b"".join(_list(pusat_client, fmt).streaming_content)
        return len(queries.captured_queries)

    few = {fmt: count(fmt) for fmt in ("csv", "xlsx")}
    allocation = activities[0].allocation
    for _ in range(6):
        make_participation(make_activity(allocation), make_firm())
    assert {fmt: count(fmt) for fmt in ("csv", "xlsx")} == few
    # CSV: the session and the user, the rows (one cursor), the distinct firms of the totals;
    # XLSX also asks who sees which provinces and whether unverified activities are listed.
    assert few["xlsx"] - few["csv"] <= 2


def test_a_cell_remembered_by_value_is_never_another_types():
    """Cells are written once per distinct value; 1, 1.0 and True are equal values written differently
    in a text column, and so are 1.5 and 1.50 as percentages."""
    columns = [exports.Column("label", "Teks"), exports.Column("share", "Persen", "percent")]
    rows = [
        {"label": 1, "share": Decimal("1.5")},
        {"label": 1.0, "share": Decimal("1.50")},
        {"label": True, "share": 1.5},
        {"label": "1", "share": None},
    ]
    export = exports.Export(name="x", tables=[exports.Table("rows", "Uji", columns, rows)], scope="Nasional")
    content = "".join(exports._csv(export, exports.DIALECTS[exports.STANDARD]))
    assert list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))[1:] == [
        ["1", "1.5"],
        ["1.0", "1.50"],
        ["True", "1.5"],
        ["1", ""],
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(exports._xlsx(export)))).worksheets[0]
    assert sheetutil.table(sheet)[1:] == [("1", 1.5), ("1.0", 1.5), ("True", 1.5), ("1", None)]


def test_text_xml_cannot_carry_is_dropped_and_the_file_still_opens(pusat_client, activities):
    Activity.objects.filter(pk=activities[0].pk).update(title="Bimtek\x0b<batik> & tenun\x01")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(_list(pusat_client, "xlsx").streaming_content)))
    titles = [row[6] for row in sheetutil.table(book.worksheets[0])[1:-1]]
    assert "Bimtek<batik> & tenun" in titles


def test_participations_total_counts_each_firm_once(pusat_client, activities):
    firms = Participation.objects.filter(activity__year=YEAR).values("firm").distinct().count()
    rows = csvutil.rows(_list(pusat_client, "csv"))
    assert rows[-1][rows[0].index("IKM peserta")] == str(firms) == "3"


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["programs:activity_list", "programs:firm_list", "programs:partner_list"])
def test_the_csv_postgresql_writes_is_the_csv_writers_byte_for_byte(
    pusat_client, activities, monkeypatch, path
):
    """On PostgreSQL the lists' CSV lines are written by the database (exports._database_csv); csv.writer
    writes them everywhere else. Same rows, same bytes, in both dialects, with text that must be quoted,
    neutralised or kept as it is."""
    Activity.objects.filter(pk=activities[0].pk).update(status_reason='-1 "kutip", koma; titik koma\r\n')
    Activity.objects.filter(pk=activities[1].pk).update(title="@SUM(A1)\ttab, koma")
    make_firm(name='+62 Batik, Tenun; "Lurik"', owner_name="", address="Jl. Baris\nDua")
    make_partner(name='=Dinas "Kota", Denpasar', regency=None)
    for params in ({}, {"dialek": "standar"}):
        url = reverse(path)
        query = {"tahun": YEAR, "format": "csv", **params}
        with CaptureQueriesContext(connection) as queries:
            by_database = b"".join(pusat_client.get(url, query).streaming_content)
        assert any("concat_ws" in q["sql"] for q in queries.captured_queries)
        with monkeypatch.context() as patched:
            patched.setattr(exports, "DATABASE_CSV_KINDS", frozenset())  # every column: csv.writer's
            by_python = b"".join(pusat_client.get(url, query).streaming_content)
        assert by_database == by_python
        assert by_database.count(b"\r\n") >= 2  # the header and a row at least
