"""Planning an import: what each row would do (create, update, skip, refuse) and why, checked by the models'
own field validators and choices, before anything is written; the report the preview shows.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from provinces.models import Province

from ..models import Activity, Firm, FirmScale, Participant, Participation
from ..models import grouped as _number
from .columns import (
    ACTIVITY_FIRMS,
    EXAMPLE_PREFIX,
    REQUIRED,
    CellError,
)
from .files import MAX_ROWS

NEW, UPDATE, UNCHANGED, ERROR = "baru", "ubah", "tetap", "galat"
STATUS_LABELS = {
    NEW: gettext_lazy("Baru"),
    UPDATE: gettext_lazy("Diperbarui"),
    UNCHANGED: gettext_lazy("Tidak berubah"),
    ERROR: gettext_lazy("Ditolak"),
}


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


def chunks(items, size=None):
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


class Plan:
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
        for chunk in chunks(nibs):
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


def parse_rows(rows, mapping, progress=None):
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


def row_label(values):
    """What the preview names a row by: the name and the NIB, or the NIK masked (it is personal data)."""
    label = values.get("name", "")
    if values.get("nib"):
        label += f" ({values['nib']})"
    nik = values.get("nik")
    if nik:
        label += f" ({nik[:4]}{'*' * 8}{nik[-4:]})"
    return label


def is_example(values):
    return str(values.get("name", "")).upper().startswith(EXAMPLE_PREFIX)
