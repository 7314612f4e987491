"""The plan (DIPA) import, kind "rencana": one allocation's plan from the spreadsheet ministry staff keep
(kode, uraian, volume, satuan, akun, pagu; optionally cara_hitung and jenis_produk), through the same
pipeline as the firm import — the same file reading, header matching, cell parsers, preview report and
all-or-nothing rule — and written by `programs.planning.save_plan`, which checks every rule of the plan.

A row with `akun` filled is an amount line under the komponen (or RO) above it: its code is that line's
code and the account (5807.QEA.001.051 + 521211). The file is the whole plan: a stored line the file no
longer lists is removed (refused while activities or realisation name that RO).
"""

from django.utils.translation import gettext as _

from .. import planning
from ..models import Measure, OutputUnit, PlanItem, PlanLevel, ProductType
from ..numbers import rupiah
from .columns import (
    EXAMPLE_PREFIX,
    CellError,
    Column,
    ImportRefused,
    cell_text,
    choice_parser,
    digits_parser,
    integer_parser,
    map_headers,
    parse_rupiah,
    text_parser,
)
from .files import MAX_ROWS, read_table, too_many_rows
from .plan import ERROR, NEW, UNCHANGED, UPDATE, ImportReport, is_example, parse_rows

PLAN = "rencana"
STATUS = {planning.NEW: NEW, planning.UPDATE: UPDATE, planning.SAME: UNCHANGED}


def _f(name):
    return PlanItem._meta.get_field(name)


def _code(value, warnings):
    text = cell_text(value).upper().replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():  # 5807 typed as a number
        text = text[:-2]
    return text


def plan_columns():
    return [
        Column(
            "code",
            "kode",
            _code,
            aliases=("kode ro", "kode output", "kode akun/komponen", "no"),
            example="5807.QEA.001",
            help=_(
                "Kode bertitik: program 019.08.WA, kegiatan 5807, KRO 5807.QEA, RO 5807.QEA.001, komponen "
                "5807.QEA.001.051. Boleh kosong pada baris akun."
            ),
            text_format=True,
        ),
        Column(
            "name",
            "uraian",
            text_parser(_f("name")),
            required=True,
            aliases=("nama", "uraian kegiatan", "uraian output", "nama ro"),
            example=f"{EXAMPLE_PREFIX} IKM yang difasilitasi",
            help=_("Wajib."),
        ),
        Column(
            "target",
            "volume",
            integer_parser(_f("target")),
            aliases=("target", "target volume", "vol"),
            example=200,
            help=_("Target volume RO, bilangan bulat (mis. 200 atau 1.000). Hanya pada baris RO."),
        ),
        Column(
            "unit",
            "satuan",
            choice_parser(OutputUnit, {"ikm": OutputUnit.IKM, "orang": OutputUnit.PERSON}),
            aliases=("satuan volume",),
            example=str(OutputUnit.IKM.label),
            help=_("Satuan target RO: %(c)s.") % {"c": ", ".join(str(c) for c in OutputUnit.labels)},
        ),
        Column(
            "account",
            "akun",
            digits_parser(_f("account"), 6, "Akun"),
            aliases=("kode akun", "mak"),
            example="",
            help=_("6 digit, mis. 521211: baris ini jumlah belanja di bawah komponen atau RO di atasnya."),
            text_format=True,
        ),
        Column(
            "pagu",
            "pagu",
            parse_rupiah,
            aliases=("jumlah", "jumlah biaya", "pagu (rp)", "nilai"),
            example="1.250.000.000",
            help=_("Rupiah, mis. 1.250.000: wajib pada RO dan akun, boleh pada komponen, kosong pada judul."),
        ),
        Column(
            "measure",
            "cara_hitung",
            choice_parser(Measure),
            aliases=("cara hitung", "cara menghitung capaian"),
            help=_(
                "Boleh kosong: menurut satuan (IKM, orang, wirausaha, kegiatan/paket; lainnya diisi manual)."
            ),
        ),
        Column(
            "product_type",
            "jenis_produk",
            choice_parser(ProductType),
            aliases=("jenis produk",),
            help=_("Hanya bila cara hitung jumlah produk: jenis produk yang dihitung."),
        ),
    ]


HEADERS = {c.key: c.header for c in plan_columns()}
HEADERS["spending_type"] = HEADERS["account"]
HEADERS["level"] = HEADERS["code"]


def _rows_of(parsed):
    """The file's rows as plan rows: an akun row gets its code from the komponen or RO above it."""
    rows, anchor, refused = [], None, set()
    for number, values, result in parsed:
        if result.errors:
            refused.add(values.get("code") or f"baris {number}")  # an amount line has no code yet
            continue
        code, account = values.get("code", ""), values.get("account", "")
        if account:
            if code and planning.level_of(code) == PlanLevel.AKUN:
                pass
            elif anchor is None:
                result.errors.append(
                    (HEADERS["account"], _("Baris akun harus di bawah baris komponen atau RO."))
                )
                refused.add(code)
                continue
            elif code in ("", account, f"{anchor}.{account}"):
                code = f"{anchor}.{account}"
            else:
                result.errors.append(
                    (
                        HEADERS["code"],
                        _("Baris akun: kosongkan kode atau tulis %(c)s.") % {"c": f"{anchor}.{account}"},
                    )
                )
                refused.add(code)
                continue
        elif planning.level_of(code) in (PlanLevel.RO, PlanLevel.KOMPONEN):
            anchor = code
        elif planning.level_of(code) is not None and planning.level_of(code) != PlanLevel.AKUN:
            anchor = None
        rows.append({**values, "code": code, "row": number, "_result": result})
    return rows, refused - {""}


def _label(row):
    return f"{row.get('code', '')} {row.get('name', '')}".strip()


def import_plan(source, *, allocation, user, dry_run, name=""):
    """Check (dry run) or import a plan file for one allocation; an ImportReport, every row or none."""
    table = read_table(source)
    if not table.rows:
        raise ImportRefused(_("Berkas tidak berisi data."))
    position, mapping, notices = map_headers(table.rows, plan_columns())
    data_rows = table.rows[position + 1 :]
    if len(data_rows) > MAX_ROWS:
        raise too_many_rows(len(data_rows))
    parsed = parse_rows(data_rows, mapping)
    examples = [number for number, values, _r in parsed if is_example(values)]
    if examples:
        parsed = [p for p in parsed if not is_example(p[1])]
        notices.append(
            _("Baris contoh dari templat dilewati: baris %(n)s.") % {"n": ", ".join(map(str, examples))}
        )
    parsed = [p for p in parsed if p[1] or p[2].errors]
    if not parsed:
        raise ImportRefused(_("Berkas tidak berisi baris data di bawah judul kolom."))
    for _n, values, result in parsed:
        result.label = _label(values)
    report = ImportReport(kind=PLAN, province=allocation.province, notices=notices, dry_run=dry_run)
    report.rows = [result for _n, _v, result in parsed]
    rows, refused = _rows_of(parsed)
    results = {row["row"]: row.pop("_result") for row in rows}
    _check(allocation, rows, results, report, refused)
    _mark_refused(report)
    if report.ok and not dry_run:
        try:
            planning.save_plan(allocation=allocation, rows=rows, actor=user)
        except planning.PlanRefused as e:  # changed since the preview: say what is refused now
            _report_problems(e.problems, results, report)
        else:
            report.written = True
    _mark_refused(report)
    return report


def _mark_refused(report):
    for result in report.rows:
        if result.errors:
            result.status = ERROR


def _check(allocation, rows, results, report, refused):
    lines, _removed, problems = planning.check_plan(allocation, rows, refused=refused)
    for line in lines:
        result = results[line["row"]]
        result.status = STATUS[line["status"]]
        result.label = f"{line['code']} {line['name']}"
        result.detail = str(PlanLevel(line["level"]).label)
        if line["pagu"] is not None:
            result.detail += f" · {rupiah(line['pagu'])}"
    _report_problems(problems, results, report)


def _report_problems(problems, results, report):
    """Each problem on its row and column; one of the plan as a whole (the RO sum, an RO the file no
    longer lists that activities name) on the file's last row, so that it blocks the import like any."""
    last = report.rows[-1]
    for problem in problems:
        result = results.get(problem.row) if problem.row is not None else None
        header = HEADERS.get(problem.field or "code", HEADERS["code"])
        if result is None:
            message = f"{problem.code}: {problem.message}" if problem.code else problem.message
            last.errors.append((header, _("Seluruh rencana — %(m)s") % {"m": message}))
        else:
            result.errors.append((header, problem.message))


def write_plan_template(target):
    """The plan's template: the Data sheet with the headers and an example tree (skipped on import), and
    the instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = plan_columns()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append([c.header for c in columns])
    examples = [
        ("019.08.WA", "Program Pengembangan Industri", None, "", "", None),
        ("5807", "Penumbuhan dan Pengembangan IKM", None, "", "", None),
        ("5807.QEA", "Fasilitasi dan Pembinaan Industri", None, "", "", None),
        ("5807.QEA.001", "IKM yang difasilitasi", 200, "IKM", "", "1.250.000.000"),
        ("5807.QEA.001.051", "Bimbingan teknis", None, "", "", "1.250.000.000"),
        ("", "Belanja bahan", None, "", "521211", "250.000.000"),
        ("", "Belanja jasa profesi", None, "", "522151", "1.000.000.000"),
    ]
    for code, name, volume, unit, account, pagu in examples:
        sheet.append([code, f"{EXAMPLE_PREFIX} {name}", volume, unit, account, pagu, "", ""])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7" if column.required else "F2F2F2")
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        if column.text_format:
            sheet.column_dimensions[letter].number_format = "@"
        for row in range(2, len(examples) + 2):
            sheet.cell(row=row, column=index).font = Font(italic=True, color="808080")
            if column.text_format:
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.column_dimensions["B"].width = 48
    guide = workbook.create_sheet("Petunjuk")
    guide.append([_("Kolom"), _("Wajib"), _("Keterangan")])
    for column in columns:
        guide.append([column.header, _("Ya") if column.required else "", str(column.help)])
    guide.append([])
    for line in (
        _("Baris berawalan CONTOH adalah contoh dan dilewati saat impor."),
        _("Berkas berisi seluruh rencana alokasi: baris yang tidak ada lagi di berkas dihapus dari rencana."),
        _("Baris dengan akun terisi adalah jumlah belanja di bawah komponen atau RO di atasnya."),
        _("Jumlah pagu RO harus sama dengan pagu terkini alokasi; rincian di bawah RO berjumlah pagu RO."),
    ):
        guide.append([line])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["C"].width = 100
    workbook.save(target)


__all__ = ["PLAN", "CellError", "import_plan", "plan_columns", "write_plan_template"]
