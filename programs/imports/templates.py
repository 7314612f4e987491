"""The template spreadsheets offered for download, with the columns, choices and an example row.
"""


from django.utils import translation
from django.utils.translation import gettext as _

from provinces.models import Regency

from ..models import FirmScale, Sector, Sex
from ..models import grouped as _number
from .columns import (
    FIRMS,
    TEMPLATE_LANGUAGE,
    columns_for,
)
from .files import MAX_ROWS

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
