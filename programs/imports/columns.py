"""What a row of an import file is: its columns, their Indonesian headers and aliases, and how each cell is
read into a model value (the rest of programs/imports/ does the files, the rows against the database and
the writes).

Every cell goes through the model field's own validators (NIB_VALIDATOR, KBLI_VALIDATOR, PHONE_VALIDATOR,
the length limits) and choices (Sector, FirmScale, Sex, written as code or Indonesian label); the regency
is checked against the province with the models' own rule. Nothing here restates a model rule.
"""

import contextlib
import copy
import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from provinces.models import Regency

from ..forms.fields import QuantityField, RupiahField
from ..models import Firm, FirmScale, Participant, Participation, Sector, Sex, _regency_outside
from ..numbers import indonesian_number

FIRMS = "ikm"
ACTIVITY_FIRMS = "peserta-ikm"
ACTIVITY_PEOPLE = "peserta-perorangan"
# The header is looked for in the first rows: a title above it is allowed.
HEADER_SEARCH_ROWS = 10
EXAMPLE_PREFIX = "CONTOH"
# Import files speak Indonesian, as the templates do, whatever language the user reads the site in.
TEMPLATE_LANGUAGE = "id"


class ImportRefused(Exception):
    """The whole file is refused (not a spreadsheet, wrong headers, too large, ...); nothing is written."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class CellError(Exception):
    """One cell's problem, said in Bahasa Indonesia; its row is refused."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


# --- Cells --------------------------------------------------------------------------------------------------

REQUIRED = gettext_lazy("Wajib diisi.")
_SPACES = re.compile(r"\s+")
_SCIENTIFIC = re.compile(r"^[0-9]+([.,][0-9]+)?[eE]\+?[0-9]+$")
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _is_number(value):
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def cell_text(value):
    """A cell as trimmed text with single spaces; whole numbers without ".0"; dates as dd/mm/yyyy."""
    if isinstance(value, str):
        text = value.strip()
        if "  " in text or "\n" in text or "\t" in text or "\xa0" in text or "\r" in text:
            text = _SPACES.sub(" ", text.replace("\xa0", " ")).strip()
        return text
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def field_validator(model_field):
    """A function that runs the model field's own validators (e.g. NIB_VALIDATOR, the length limit) on a value
    and returns it, or raises CellError with their messages. Their lazily compiled patterns are compiled
    once here: they run for every row of a 50,000-row file."""
    validators = []
    for validator in model_field.validators:
        if isinstance(validator, RegexValidator):
            validator = copy.copy(validator)
            validator.regex = re.compile(validator.regex.pattern, validator.regex.flags)
        validators.append(validator)

    def validate(value):
        try:
            for validator in validators:
                validator(value)
        except ValidationError as e:
            raise CellError(" ".join(e.messages)) from e
        return value

    return validate


def text_parser(model_field):
    validate = field_validator(model_field)

    def parse(value, warnings):
        return validate(cell_text(value))

    return parse


def digits_parser(model_field, length, name):
    """NIB, NIK, KBLI: digits only (spaces removed, as the models' clean_fields do)."""
    validate = field_validator(model_field)

    def parse(value, warnings):
        if _is_number(value):
            if isinstance(value, float) and not value.is_integer():
                raise CellError(_("%(name)s harus berupa angka tanpa koma.") % {"name": name})
            text = str(int(value))
            if length > 15:
                raise CellError(
                    _(
                        "%(name)s tersimpan sebagai angka; Excel hanya menyimpan 15 digit sehingga %(name)s "
                        "berubah. Format kolom %(name)s sebagai Teks lalu ketik ulang."
                    )
                    % {"name": name}
                )
            if len(text) < length:
                raise CellError(
                    _(
                        "%(name)s tersimpan sebagai angka sehingga angka 0 di depannya kemungkinan hilang "
                        "(tertulis %(n)s digit: %(value)s). Format kolom %(name)s sebagai Teks lalu ketik "
                        "ulang %(length)s digitnya."
                    )
                    % {"name": name, "n": len(text), "value": text, "length": length}
                )
        else:
            text = "".join(cell_text(value).split()).lstrip("'")
            if _SCIENTIFIC.match(text):
                raise CellError(
                    _(
                        "%(name)s tertulis dalam notasi ilmiah (%(value)s) sehingga digitnya hilang. Format "
                        "kolom sebagai Teks lalu ketik ulang."
                    )
                    % {"name": name, "value": text}
                )
        return validate(text)

    return parse


def _key(text):
    return _SPACES.sub(" ", str(text).casefold().replace("-", " ")).strip()


def choice_parser(choices, extra=None):
    """A value of a TextChoices field, written as its code or its label (any case): the Indonesian label of
    the template whatever the user's language, and the label in the user's language too."""
    lookup = {}
    for language in (TEMPLATE_LANGUAGE, None):
        with translation.override(language) if language else contextlib.nullcontext():
            for code, label in choices.choices:
                for name in (code, str(label), str(label).split(" (")[0]):
                    lookup.setdefault(_key(name), code)
    for name, code in (extra or {}).items():
        lookup[_key(name)] = code
    with translation.override(TEMPLATE_LANGUAGE):
        allowed = ", ".join(str(label) for label in choices.labels)

    def parse(value, warnings):
        text = cell_text(value)
        if not text:
            return ""
        try:
            return lookup[_key(text)]
        except KeyError:
            raise CellError(
                _("'%(value)s' bukan pilihan yang dikenal. Isi salah satu: %(allowed)s.")
                % {"value": text, "allowed": allowed}
            ) from None

    return parse


YES = {"ya", "y", "yes", "1", "true", "benar", "iya", "v", "x"}
NO = {"tidak", "t", "no", "n", "0", "false", "salah", "bukan", "tdk"}


def bool_parser(value, warnings):
    if isinstance(value, bool):
        return value
    text = _key(cell_text(value))
    if text in YES:
        return True
    if text in NO:
        return False
    if not text:
        return ""
    raise CellError(_("Isi Ya atau Tidak."))


def integer_parser(model_field):
    """A whole number, read as the forms' QuantityField reads it: 100.000 is one hundred thousand."""
    validate = field_validator(model_field)
    invalid = QuantityField.default_error_messages["invalid"]

    def parse(value, warnings):
        if _is_number(value):
            if value != int(value):
                raise CellError(invalid)
            number = int(value)
        else:
            text = cell_text(value)
            if not text:
                return ""
            number = indonesian_number(text)
            if number is None:
                raise CellError(invalid)
        return validate(int(number))

    return parse


def phone_parser(model_field):
    validate = field_validator(model_field)

    def parse(value, warnings):
        text = cell_text(value)
        if _is_number(value) and not text.startswith(("0", "62")):
            warnings.append(
                _("Telepon %(t)s tersimpan sebagai angka; angka 0 di depannya mungkin hilang.") % {"t": text}
            )
        return validate(text)

    return parse


def parse_date(value, warnings=None):
    """A date from an Excel date cell, an Excel serial number, or text dd/mm/yyyy (also dd-mm-yyyy, ISO).

    No column of Firm or Participant is a date or an amount today; this and parse_rupiah read one the same
    way in every import once a column needs it (e.g. a registration date, a grant)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if _is_number(value):
        if not 1 <= value < 2958466:
            raise CellError(_("Tulis tanggal sebagai dd/mm/yyyy, mis. 15/06/2020."))
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = cell_text(value)
    if not text:
        return ""
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellError(_("Tulis tanggal sebagai dd/mm/yyyy, mis. 15/06/2020."))


def parse_rupiah(value, warnings=None):
    """Whole Rupiah from a number or Indonesian text (1.250.000, Rp 1.250.000), through the forms' field."""
    if _is_number(value):
        value = str(int(value)) if value == int(value) else format(Decimal(str(value)), "f")
    text = cell_text(value)
    if not text:
        return ""
    try:
        return RupiahField().clean(text)
    except forms.ValidationError as e:
        raise CellError(" ".join(e.messages)) from e


class RegencyLookup:
    """Regencies by official code (51.06, 5106, a pre-2022 code) or by name (Kabupaten Bangli, Kab. Bangli,
    Bangli), checked against the province with the models' own rule."""

    def __init__(self, province, allowed=None):
        """`allowed`: the ids of the regencies the importing user may register firms in (a regency
        operator's own, access.own_regency), None for any of the province's."""
        self.province = province
        self.allowed = allowed
        self.by_code, self.by_name, self.by_short = {}, {}, {}
        fields = ("id", "code", "former_code", "name", "province_id", "former_province_id")
        for regency in Regency.objects.only(*fields):
            self.by_code[regency.code] = regency
            if regency.former_code:
                self.by_code.setdefault(regency.former_code, regency)
            name = self._name(regency.name)
            self.by_name[name] = regency
            self.by_short.setdefault(re.sub(r"^(kabupaten|kota) ", "", name), []).append(regency)

    @staticmethod
    def _name(text):
        text = _key(text).replace(".", ". ")
        text = re.sub(r"^(kab|kabupaten)\.?\s+", "kabupaten ", _SPACES.sub(" ", text).strip())
        text = re.sub(r"^(kota|kot)\.?\s+(adm\.?\s+|administrasi\s+)?", "kota ", text)
        return text

    def _in_province(self, regency):
        return self.province.pk in (regency.province_id, regency.former_province_id)

    def find(self, value):
        if _is_number(value):
            # Excel turns 51.06 into a number (and 51.10 into 51.1); 5106 may come as a number too.
            whole = value == int(value)
            text = f"{int(value) // 100:02d}.{int(value) % 100:02d}" if whole else f"{value:.2f}"
        else:
            text = cell_text(value)
        if not text:
            return None
        code = re.fullmatch(r"([0-9]{2})\.?([0-9]{2})", text.replace(" ", ""))
        if code:
            regency = self.by_code.get(f"{code[1]}.{code[2]}")
        else:
            name = self._name(text)
            regency = self.by_name.get(name)
            if regency is None:
                candidates = self.by_short.get(name, [])
                here = [r for r in candidates if self._in_province(r)]
                if len(here) > 1:
                    raise CellError(
                        _("'%(value)s' cocok dengan beberapa kabupaten/kota (%(names)s); tulis kodenya.")
                        % {"value": text, "names": ", ".join(f"{r.name} {r.code}" for r in here)}
                    )
                regency = (here or candidates or [None])[0]
        if regency is None:
            raise CellError(
                _(
                    "Kabupaten/kota '%(value)s' tidak dikenal. Tulis kode Kemendagri (mis. 51.06) atau nama "
                    "lengkapnya (mis. Kabupaten Bangli)."
                )
                % {"value": text}
            )
        message = _regency_outside(regency, self.province, year=None)
        if message:
            raise CellError(message)
        if self.allowed is not None and regency.pk not in self.allowed:
            raise CellError(
                _("Anda hanya dapat mendaftarkan IKM di kabupaten/kota Anda sendiri, bukan %(name)s.")
                % {"name": regency.name}
            )
        return regency.pk


# --- Columns ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: object
    required: bool = False  # the value (and so the column) must be there
    aliases: tuple = ()
    example: object = ""
    help: str = ""
    text_format: bool = False  # the template formats the column as Text (codes with leading zeros)


def _f(model, name):
    return model._meta.get_field(name)


def firm_columns(regencies=None):
    """The columns of a firm row; `regencies` (a RegencyLookup) reads the regency column for a province."""
    return [
        Column(
            "nib",
            "NIB",
            digits_parser(_f(Firm, "nib"), 13, "NIB"),
            aliases=("nomor induk berusaha", "no nib"),
            example="9120001234567",
            help=_("13 digit dari OSS. Kunci pencocokan: IKM dengan NIB yang sama diperbarui. Boleh kosong."),
            text_format=True,
        ),
        Column(
            "name",
            "Nama IKM",
            text_parser(_f(Firm, "name")),
            required=True,
            aliases=("nama", "nama usaha", "nama perusahaan", "nama ikm/usaha"),
            example=f"{EXAMPLE_PREFIX} IKM Konveksi Sumber Rejeki",
            help=_("Wajib."),
        ),
        Column(
            "owner_name",
            "Nama pemilik",
            text_parser(_f(Firm, "owner_name")),
            aliases=("pemilik", "nama pemilik usaha"),
            example="Ni Made Sari",
        ),
        Column(
            "sector",
            "Sektor",
            choice_parser(Sector, {"garmen": Sector.SANDANG, "tekstil": Sector.SANDANG}),
            required=True,
            aliases=("sektor industri",),
            example=str(Sector.SANDANG.label),
            help=_("Wajib. Salah satu: %(c)s.") % {"c": ", ".join(str(c) for c in Sector.labels)},
        ),
        Column(
            "kbli",
            "KBLI",
            digits_parser(_f(Firm, "kbli"), 5, "KBLI"),
            aliases=("kode kbli",),
            example="14111",
            help=_("5 digit."),
            text_format=True,
        ),
        Column(
            "scale",
            "Skala usaha",
            choice_parser(FirmScale),
            aliases=("skala",),
            example=str(FirmScale.MIKRO.label),
            help=_("Mikro, Kecil atau Menengah; kosong untuk IKM baru berarti Mikro."),
        ),
        Column(
            "regency_id",
            "Kabupaten/kota",
            (lambda value, warnings: regencies.find(value)) if regencies else None,
            required=True,
            aliases=(
                "kabupaten/kota",
                "kab/kota",
                "kabupaten",
                "kota",
                "kode kabupaten/kota",
                "kode wilayah",
            ),
            example="51.06",
            help=_("Wajib. Kode Kemendagri (mis. 51.06) atau nama (mis. Kabupaten Bangli) di provinsi ini."),
            text_format=True,
        ),
        Column("address", "Alamat", text_parser(_f(Firm, "address")), example="Jl. Merdeka No. 10"),
        Column(
            "phone",
            "Telepon",
            phone_parser(_f(Firm, "phone")),
            aliases=(
                "no telepon",
                "nomor telepon",
                "telp",
                "no telp",
                "hp",
                "no hp",
                "nomor hp",
                "telepon/hp",
            ),
            example="0812-3456-7890",
            text_format=True,
        ),
        Column(
            "workers",
            "Jumlah tenaga kerja",
            integer_parser(_f(Firm, "workers")),
            aliases=("tenaga kerja", "jumlah pekerja", "pekerja", "jumlah karyawan"),
            example=5,
        ),
        Column(
            "covid_affected",
            "Terdampak Covid-19",
            bool_parser,
            aliases=("terdampak covid", "terdampak covid 19", "terdampak"),
            example="Ya",
            help=_("Ya atau Tidak."),
        ),
    ]


def note_column():
    return Column(
        "note",
        "Keterangan",
        text_parser(_f(Participation, "note")),
        aliases=("catatan", "ket"),
        example="Peserta bimtek",
    )


def people_columns():
    return [
        Column(
            "name",
            "Nama",
            text_parser(_f(Participant, "name")),
            required=True,
            aliases=("nama peserta", "nama lengkap"),
            example=f"{EXAMPLE_PREFIX} Siti Aminah",
            help=_("Wajib."),
        ),
        Column(
            "nik",
            "NIK",
            digits_parser(_f(Participant, "nik"), 16, "NIK"),
            aliases=("nomor induk kependudukan", "no nik", "no ktp", "nomor ktp"),
            example="5106014101900001",
            help=_("16 digit; boleh kosong. Kunci pencocokan: peserta dengan NIK yang sama diperbarui."),
            text_format=True,
        ),
        Column(
            "sex",
            "Jenis kelamin",
            choice_parser(Sex, {"pria": Sex.MALE, "laki laki": Sex.MALE, "wanita": Sex.FEMALE}),
            required=True,
            aliases=("l/p", "jk", "kelamin"),
            example="P",
            help=_("Wajib. L atau P (Laki-laki atau Perempuan)."),
        ),
        Column(
            "phone",
            "Telepon",
            phone_parser(_f(Participant, "phone")),
            aliases=("no telepon", "nomor telepon", "telp", "no telp", "hp", "no hp", "nomor hp"),
            example="0813-1234-5678",
            text_format=True,
        ),
        Column(
            "founded_firm_nib",
            "NIB IKM yang didirikan",
            digits_parser(_f(Firm, "nib"), 13, "NIB"),
            aliases=("nib ikm", "nib"),
            help=_("Boleh kosong. NIB IKM yang sudah terdaftar di provinsi ini."),
            text_format=True,
        ),
    ]


def columns_for(kind, regencies=None):
    if kind == FIRMS:
        return firm_columns(regencies)
    if kind == ACTIVITY_FIRMS:
        return [*firm_columns(regencies), note_column()]
    if kind == ACTIVITY_PEOPLE:
        return people_columns()
    raise ValueError(kind)


def normalise_header(text):
    text = str(text).casefold().replace("\xa0", " ")
    text = re.sub(r"\(.*?\)", " ", text)
    text = text.replace("*", " ").replace(".", " ").replace("_", " ").replace(":", " ")
    text = re.sub(r"\s*/\s*", "/", text)
    return _SPACES.sub(" ", text).strip()


def map_headers(rows, columns):
    """(position of the header row in rows, [(column, cell index)], notices), or ImportRefused."""
    lookup = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            lookup.setdefault(normalise_header(name), column)
    required = [c for c in columns if c.required]
    best = None
    for position, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found, unknown, twice = {}, [], []
        for index, cell in enumerate(cells):
            text = normalise_header(cell) if non_empty([cell]) else ""
            if not text:
                continue
            column = lookup.get(text)
            if column is None:
                unknown.append(cell_text(cell))
            elif column.key in found:
                twice.append(column.header)
            else:
                found[column.key] = index
        if best is None or len(found) > len(best[1]):
            best = (position, found, unknown, twice, number)
        if all(c.key in found for c in required):
            break
    if not best or not best[1]:
        raise ImportRefused(
            _(
                "Baris judul kolom tidak ditemukan. Baris pertama harus berisi judul kolom templat, mis. "
                "%(h)s. Unduh templat impor lalu salin data Anda ke dalamnya."
            )
            % {"h": ", ".join(c.header for c in columns[:4])}
        )
    position, found, unknown, twice, number = best
    missing = [c.header for c in required if c.key not in found]
    if missing:
        raise ImportRefused(
            _("Kolom wajib tidak ditemukan: %(missing)s. Judul kolom yang terbaca di baris %(n)s: %(read)s.")
            % {
                "missing": ", ".join(missing),
                "n": number,
                "read": ", ".join(cell_text(c) for c in rows[position][1] if non_empty([c])),
            }
        )
    if twice:
        raise ImportRefused(
            _("Kolom %(c)s muncul lebih dari sekali. Hapus salah satunya.") % {"c": ", ".join(twice)}
        )
    notices = []
    if unknown:
        notices.append(_("Kolom yang tidak dikenal diabaikan: %(c)s.") % {"c": ", ".join(unknown)})
    mapping = [(c, found[c.key]) for c in columns if c.key in found]
    return position, mapping, notices


def non_empty(cells):
    for value in cells:
        if value is not None and value != "" and (not isinstance(value, str) or value.strip()):
            return True
    return False
