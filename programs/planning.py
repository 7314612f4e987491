"""The plan of a province-year (its DIPA): the one home of the plan's code formats, and the services that
write the plan and move its RO pagus by revision.

Why a module of its own: the plan is written from three places — the import (`programs.imports`, kind
"rencana"), the plan's edit page and the revision form — and its rules span rows (the RO pagus add up to
the allocation's current pagu; the amounts under an RO add up to its pagu; an RO that activities or
realisation name stays). Each rule is checked here, once, before anything is written, so that a person gets
a message naming the row and the code, never an IntegrityError; the database's triggers (`plan_rules`)
guarantee the same rules for every other path.

What it must never do: read a role or a scope itself (it asks `programs.access`), write part of a plan
(every write is all or nothing, under the allocation's row lock), or write without the acting user in the
history.
"""

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from . import access
from .models import (
    Achievement,
    Allocation,
    BudgetRevision,
    Measure,
    OutputUnit,
    PlanItem,
    PlanLevel,
    RevisionLine,
    SpendingType,
)
from .numbers import rupiah

# --- Codes -------------------------------------------------------------------------------------------

#: The official code of each level, written with dots; the level of a line follows from its code.
CODE_PATTERNS = {
    PlanLevel.PROGRAM: re.compile(r"^\d{3}\.\d{2}\.[A-Z]{2}$"),  # 019.08.WA
    PlanLevel.KEGIATAN: re.compile(r"^\d{4}$"),  # 5807
    PlanLevel.KRO: re.compile(r"^\d{4}\.[A-Z]{3}$"),  # 5807.QEA
    PlanLevel.RO: re.compile(r"^\d{4}\.[A-Z]{3}\.\d{3}$"),  # 5807.QEA.001
    PlanLevel.KOMPONEN: re.compile(r"^\d{4}\.[A-Z]{3}\.\d{3}\.\d{3}$"),  # 5807.QEA.001.051
    PlanLevel.AKUN: re.compile(r"^\d{4}\.[A-Z]{3}\.\d{3}(?:\.\d{3})?\.\d{6}$"),  # 5807.QEA.001.051.521211
}
#: From the top: a parent's depth is smaller than its children's.
DEPTH = {level: depth for depth, level in enumerate(CODE_PATTERNS)}
CODE_EXAMPLES = "019.08.WA, 5807, 5807.QEA, 5807.QEA.001, 5807.QEA.001.051, 5807.QEA.001.051.521211"

#: How an RO's achievement is counted when the plan does not say: from its unit.
MEASURE_FOR_UNIT = {
    OutputUnit.IKM: Measure.FIRMS,
    OutputUnit.PERSON: Measure.PARTICIPANTS,
    OutputUnit.ENTREPRENEUR: Measure.NEW_FIRMS,
    OutputUnit.ACTIVITY: Measure.ACTIVITIES,
    OutputUnit.PACKAGE: Measure.ACTIVITIES,
}


def level_of(code):
    """The plan level a code is written for (PlanLevel), or None when it is no plan code."""
    for level, pattern in CODE_PATTERNS.items():
        if pattern.fullmatch(code or ""):
            return level
    return None


def parent_code(code, *, program=None):
    """The code of a line's parent: the longest code prefix (KRO → kegiatan, RO → KRO, komponen → RO,
    akun → komponen or RO); a kegiatan's parent is its program (`program`, the program it is listed
    under: a program's code is no prefix of a kegiatan's); a program has none."""
    level = level_of(code)
    if level == PlanLevel.PROGRAM or level is None:
        return None
    if level == PlanLevel.KEGIATAN:
        return program
    return code.rsplit(".", 1)[0]


def default_measure(unit):
    return MEASURE_FOR_UNIT.get(unit, Measure.MANUAL)


def tree_order(items):
    """Plan lines (objects or dicts with code, level and parent code) in the order of the DIPA: each
    program followed by its kegiatan, each line by its children, siblings by code."""
    get = (lambda i, k: i[k]) if items and isinstance(items[0], dict) else getattr
    children = {}
    for item in items:
        children.setdefault(get(item, "parent_code"), []).append(item)
    for siblings in children.values():
        siblings.sort(key=lambda i: get(i, "code"))
    codes = {get(item, "code") for item in items}
    ordered = []

    def walk(item):
        ordered.append(item)
        for child in children.get(get(item, "code"), []):
            walk(child)

    for item in items:
        top = get(item, "parent_code") is None or get(item, "parent_code") not in codes
        if top and item not in ordered:
            walk(item)
    return ordered


# --- Checking a plan -----------------------------------------------------------------------------------

FIELDS = ["name", "target", "unit", "measure", "product_type", "account", "spending_type", "pagu"]
NEW, UPDATE, SAME = "baru", "ubah", "tetap"


@dataclass
class Problem:
    """One refused row (or the plan as a whole, row None): which field and why."""

    row: int | None
    code: str
    field: str | None
    message: str

    def __str__(self):
        where = []
        if self.row is not None:
            where.append(_("Baris %(n)s") % {"n": self.row})
        if self.code:
            where.append(self.code)
        return f"{' '.join(where)}: {self.message}" if where else self.message


class PlanRefused(ValidationError):
    """The plan is refused: `problems` says which rows and why; nothing was written."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__([str(p) for p in problems])


def _text(value):
    return "" if value is None else str(value).strip()


def _messages(error):
    if hasattr(error, "error_dict"):
        return [(f, m) for f, msgs in error.message_dict.items() for m in msgs]
    return [(None, m) for m in error.messages]


def _normalise(raw, number, fail):
    """A row as PlanItem values (level from the code, account from an amount line's code, the measure
    from the unit), checked by the model's own field validators and clean(); None when refused."""
    code = _text(raw.get("code")).upper()
    level = level_of(code)
    if not code:
        fail("code", _("Kode wajib diisi."))
        return None
    if level is None:
        fail(
            "code",
            _("Kode %(c)s tidak dikenali. Tulis kode bertitik seperti %(e)s.")
            % {"c": code, "e": CODE_EXAMPLES},
        )
        return None
    values = {
        "code": code,
        "level": level,
        "name": _text(raw.get("name")),
        "target": raw.get("target") if raw.get("target") not in ("", None) else None,
        "unit": _text(raw.get("unit")),
        "measure": _text(raw.get("measure")),
        "product_type": _text(raw.get("product_type")),
        "account": _text(raw.get("account")),
        "pagu": raw.get("pagu") if raw.get("pagu") not in ("", None) else None,
    }
    if level == PlanLevel.AKUN:
        in_code = code.rsplit(".", 1)[1]
        if values["account"] and values["account"] != in_code:
            fail(
                "account",
                _("Akun %(a)s tidak sama dengan akun pada kode %(c)s.") % {"a": values["account"], "c": code},
            )
            return None
        values["account"] = in_code
    if values["account"] and values["account"][:2] not in SpendingType.values:
        fail(
            "account",
            _("Akun %(a)s bukan belanja pegawai (51), barang (52) atau modal (53).")
            % {"a": values["account"]},
        )
        return None
    values["spending_type"] = values["account"][:2] if values["account"] else ""
    if level == PlanLevel.RO and not values["measure"] and values["unit"]:
        values["measure"] = default_measure(values["unit"])
    item = PlanItem(**values)
    try:
        item.clean_fields(exclude=["allocation", "parent", "version"])
    except ValidationError as e:
        for field, message in _messages(e):
            fail(field, message)
        return None
    try:
        item.clean()
    except ValidationError as e:
        for field, message in _messages(e):
            fail(field, message)
        return None
    return values


def check_plan(allocation, rows, *, stored=None, refused=()):
    """What writing `rows` as the allocation's whole plan would do, without writing: (lines, removed,
    problems). `lines` are the rows as PlanItem values with their parent's code and their status (baru,
    ubah, tetap); `removed` the stored lines the rows no longer hold; `problems` every refusal (Problem).

    A row is a dict with code, name, target, unit, measure, product_type, account, pagu, optionally its
    file row number ("row") and, for a kegiatan, its program's code ("parent"; else the program above).
    `refused`: codes of rows the caller already refused (an import's bad cells): their children do not
    count them missing, and the sums wait until they are corrected."""
    if stored is None:
        stored = {item.code: item for item in PlanItem.objects.filter(allocation=allocation)}
    problems, lines, by_code = [], [], {}
    program = None
    for index, raw in enumerate(rows):
        number = raw.get("row")
        code = _text(raw.get("code")).upper()

        def fail(field, message, number=number, code=code):
            problems.append(Problem(number, code, field, message))

        values = _normalise(raw, number, fail)
        if values is None:
            if level_of(code) == PlanLevel.PROGRAM:
                program = code
            continue
        if values["code"] in by_code:
            first = by_code[values["code"]]["row"]
            fail(
                "code",
                _("Kode ini sudah ada di baris %(n)s.") % {"n": first}
                if first is not None
                else _("Kode ini ditulis dua kali."),
            )
            continue
        if values["level"] == PlanLevel.PROGRAM:
            program = values["code"]
        values["parent_code"] = parent_code(values["code"], program=raw.get("parent") or program)
        values["row"] = number if number is not None else index + 1
        values["index"] = index
        by_code[values["code"]] = values
        lines.append(values)

    for values in lines:
        fail = _failer(problems, values)
        parent = values["parent_code"]
        if values["level"] == PlanLevel.KEGIATAN and parent is None:
            fail(
                "code",
                _("Kegiatan harus di bawah sebuah program: tulis baris program (mis. 019.08.WA) di atasnya."),
            )
        elif parent is not None and parent not in by_code and parent not in refused:
            fail("code", _("Induknya, %(p)s, tidak ada di rencana: tulis baris %(p)s juga.") % {"p": parent})
        stored_item = stored.get(values["code"])
        if stored_item is None:
            values["status"] = NEW
        else:
            same = all(getattr(stored_item, f) == values[f] for f in FIELDS)
            same = same and _stored_parent_code(stored_item, stored) == parent
            values["status"] = SAME if same else UPDATE

    if not problems and not refused:  # sums of rows that are all there
        _check_amounts(allocation, lines, by_code, problems)
    removed = [item for code, item in stored.items() if code not in by_code and code not in refused]
    _check_removable(removed, problems)
    _check_manual_kept(lines, stored, problems)
    _check_moves_by_revision(allocation, lines, stored, problems)
    return lines, removed, problems


def _check_moves_by_revision(allocation, lines, stored, problems):
    """Once the DIPA is under way — revised, or money realised against it — money moves between ROs only by a
    revision (the budget page's), which records the move and its revision code; the plan's own pages then
    correct what was entered, not the pagus. A plan's first entry sets them, however late in the year."""
    moved = [
        v
        for v in lines
        if v["level"] == PlanLevel.RO
        and (stored[v["code"]].pagu if v["code"] in stored else 0) != (v["pagu"] or 0)
    ]
    if not moved or allocation.pk is None or not any(i.level == PlanLevel.RO for i in stored.values()):
        return  # a plan entered for the first time, however late in the year, sets the RO pagus
    if not (allocation.revisions.exists() or allocation.realisations.exists()):
        return
    for values in moved:
        _failer(problems, values)(
            "pagu",
            _(
                "Anggaran tahun ini sudah berjalan (ada revisi atau realisasi): pindahkan pagu antar-RO "
                "lewat revisi DIPA di halaman Anggaran, yang mencatat kode revisinya. "
                "Pagu RO ini tetap %(p)s."
            )
            % {"p": rupiah(stored[values["code"]].pagu if values["code"] in stored else 0)},
        )


def _check_manual_kept(lines, stored, problems):
    """An RO counted by hand keeps that measure while monthly achievements are entered for it: counted any
    other way, they would stop counting and leave the achievements' page."""
    leaving = {
        stored[v["code"]].pk: v
        for v in lines
        if v["code"] in stored
        and stored[v["code"]].level == PlanLevel.RO
        and stored[v["code"]].measure == Measure.MANUAL
        and v.get("measure") != Measure.MANUAL
    }
    if not leaving:
        return
    entered = Achievement.objects.filter(planned_output_id__in=leaving).values_list(
        "planned_output_id", flat=True
    )
    for pk in sorted(set(entered)):
        values = leaving[pk]
        problems.append(
            Problem(
                values["row"],
                values["code"],
                "measure",
                _(
                    "Capaian RO ini sudah diisi per bulan dengan bukti; cara menghitungnya tetap "
                    '"diisi per bulan" selama capaian itu ada.'
                ),
            )
        )


def _failer(problems, values):
    def fail(field, message):
        problems.append(Problem(values["row"], values["code"], field, message))

    return fail


def _stored_parent_code(item, stored):
    for other in stored.values():
        if other.pk == item.parent_id:
            return other.code
    return None


def _check_amounts(allocation, lines, by_code, problems):
    ros = [v for v in lines if v["level"] == PlanLevel.RO]
    # A revision moves RO pagus, not their detail lines (as the DIPA's revision pages do): the details of an
    # RO a revision moved may still add up to its pagu before the first revision, the DIPA's breakdown.
    original = {}
    moved = RevisionLine.objects.filter(planned_output__allocation=allocation).order_by(
        "revision__revised_on", "revision_id"
    )
    for code, previous in moved.values_list("planned_output__code", "previous_pagu"):
        original.setdefault(code, previous)
    children = {}
    for values in lines:
        children.setdefault(values["parent_code"], []).append(values)
    for values in lines:
        if values["level"] != PlanLevel.KOMPONEN or values["pagu"] is None:
            continue
        amounts = [c["pagu"] for c in children.get(values["code"], []) if c["level"] == PlanLevel.AKUN]
        if amounts and sum(amounts) != values["pagu"]:
            _failer(problems, values)(
                "pagu",
                _("Jumlah akun di bawah komponen ini %(s)s tidak sama dengan pagunya %(p)s.")
                % {"s": rupiah(sum(amounts)), "p": rupiah(values["pagu"])},
            )
    for ro in ros:
        if ro["pagu"] is None:
            continue
        amounts = []
        for child in children.get(ro["code"], []):
            if child["level"] == PlanLevel.AKUN or child["pagu"] is not None:
                amounts.append(child["pagu"])
            else:
                below = [c["pagu"] for c in children.get(child["code"], []) if c["pagu"] is not None]
                if below:
                    amounts.append(sum(below))
        if amounts and sum(amounts) not in (ro["pagu"], original.get(ro["code"], ro["pagu"])):
            _failer(problems, ro)(
                "pagu",
                _("Jumlah rincian (komponen/akun) di bawah RO ini %(s)s tidak sama dengan pagu RO %(p)s.")
                % {"s": rupiah(sum(amounts)), "p": rupiah(ro["pagu"])},
            )
    if ros and all(r["pagu"] is not None for r in ros):
        total = sum(r["pagu"] for r in ros)
        if total != allocation.current_pagu:
            problems.append(
                Problem(
                    None,
                    "",
                    "pagu",
                    _(
                        "Jumlah pagu RO %(s)s tidak sama dengan pagu terkini alokasi %(p)s (selisih %(d)s). "
                        "Pagu RO harus berjumlah tepat pagu terkini."
                    )
                    % {
                        "s": rupiah(total),
                        "p": rupiah(allocation.current_pagu),
                        "d": rupiah(total - allocation.current_pagu),
                    },
                )
            )


def _check_removable(removed, problems):
    ros = [item for item in removed if item.level == PlanLevel.RO]
    if not ros:
        return
    named = (
        PlanItem.objects.filter(pk__in=[r.pk for r in ros])
        .annotate(
            n_activities=Count("activities", distinct=True),
            n_realised=Count("realisation_lines", distinct=True),
            n_revised=Count("revision_lines", distinct=True),
            n_achieved=Count("achievements", distinct=True),
        )
        .filter(Q(n_activities__gt=0) | Q(n_realised__gt=0) | Q(n_revised__gt=0) | Q(n_achieved__gt=0))
        .order_by("code")
    )
    for item in named:
        uses = []
        if item.n_activities:
            uses.append(_("%(n)s kegiatan") % {"n": item.n_activities})
        if item.n_realised:
            uses.append(_("%(n)s rincian realisasi") % {"n": item.n_realised})
        if item.n_revised:
            uses.append(_("%(n)s rincian revisi") % {"n": item.n_revised})
        if item.n_achieved:
            uses.append(_("%(n)s capaian bulanan") % {"n": item.n_achieved})
        problems.append(
            Problem(
                None,
                item.code,
                "code",
                _(
                    "RO ini tidak dapat dihapus dari rencana karena dipakai oleh %(u)s; "
                    "tetap tuliskan barisnya."
                )
                % {"u": ", ".join(uses)},
            )
        )


# --- Writing a plan -----------------------------------------------------------------------------------------


def _require_plan_entry(actor, allocation):
    access.require(access.may_enter_plan(actor))
    if not Allocation.objects.visible_to(actor).filter(pk=allocation.pk).exists():
        raise PermissionDenied(_("Alokasi ini di luar wewenang Anda."))
    access.check_year_open(actor, allocation.year)


class PlanChanged(ValidationError):
    """The plan changed since the page showing it was opened (another person saved it)."""

    def __init__(self):
        super().__init__(
            _(
                "Rencana ini sudah diubah orang lain sejak Anda membukanya. Muat ulang halaman, periksa "
                "perubahannya, lalu simpan lagi."
            )
        )


def fingerprint(items):
    """What a page showing the plan saw: every line's id and version (a stale save is refused)."""
    pairs = sorted((item.pk, item.version) for item in items)
    return hashlib.sha256(repr(pairs).encode()).hexdigest()[:32]


def save_plan(*, allocation, rows, actor, expected=None):
    """Make `rows` the allocation's whole plan, all or nothing: lines matched by code are updated, new
    codes added, codes no longer listed removed (refused while activities, realisation, revisions or
    achievements name that RO). Raises PlanRefused (a ValidationError) with every problem and writes
    nothing; returns {"baru": n, "ubah": n, "tetap": n, "hapus": n}. Every written line carries the actor
    in its history. `expected`: the plan's fingerprint as the user's page saw it (PlanChanged if it moved
    on since)."""
    _require_plan_entry(actor, allocation)
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        stored = {item.code: item for item in PlanItem.objects.select_for_update().filter(allocation=locked)}
        if expected is not None and expected != fingerprint(stored.values()):
            raise PlanChanged()
        lines, removed, problems = check_plan(locked, rows, stored=stored)
        if problems:
            raise PlanRefused(problems)
        saved = {}
        for values in sorted(lines, key=lambda v: (DEPTH[v["level"]], v["index"])):
            parent = saved.get(values["parent_code"])
            item = stored.get(values["code"])
            if item is None:
                item = PlanItem(allocation=locked, level=values["level"], code=values["code"])
            elif values["status"] == SAME:
                saved[values["code"]] = item
                continue
            else:
                item.version += 1
            for field in FIELDS:
                setattr(item, field, values[field])
            item.parent = parent
            item._history_user = actor
            item.save()
            saved[values["code"]] = item
        # Removed lines last, deepest first: a kept line moved under a new parent has left its old one.
        for item in sorted(removed, key=lambda i: -DEPTH[i.level]):
            item._history_user = actor
            item.delete()
        allocation.refresh_totals()
    counts = {NEW: 0, UPDATE: 0, SAME: 0}
    for values in lines:
        counts[values["status"]] += 1
    return {**counts, "hapus": len(removed)}


def plan_rows(allocation):
    """The allocation's stored plan as rows for save_plan, in tree order (the edit page's starting point)."""
    items = list(PlanItem.objects.filter(allocation=allocation))
    codes = {item.pk: item.code for item in items}
    rows = [
        {
            "code": item.code,
            "level": item.level,
            "parent_code": codes.get(item.parent_id),
            "parent": codes.get(item.parent_id) if item.level == PlanLevel.KEGIATAN else None,
            **{f: getattr(item, f) for f in FIELDS},
        }
        for item in items
    ]
    return tree_order(rows)


# --- Revisions of an allocation with a plan --------------------------------------------------------------


def revise(
    *,
    allocation,
    actor,
    revised_on,
    new_pagu,
    reason,
    document_number="",
    revision_code="",
    ro_pagus=None,
):
    """Record a revision of the pagu. For an allocation with a plan it names the new pagu of its ROs
    (`ro_pagus`, {RO id: new pagu}; an RO not named keeps its pagu), which must add up to the new pagu, and
    carries a revision code; in the same transaction each changed RO gets a RevisionLine (its pagu before
    and after) and its new pagu. Such a revision must be the latest by date. Raises ValidationError ({field:
    message}, an RO's field being "ro_<id>") and writes nothing when refused."""
    access.require(access.may_revise_pagu(actor))
    access.check_year_open(actor, allocation.year)
    ro_pagus = ro_pagus or {}
    with transaction.atomic():
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        revision = BudgetRevision(
            allocation=locked,
            revised_on=revised_on,
            new_pagu=new_pagu,
            reason=reason,
            document_number=document_number or "",
            revision_code=(revision_code or "").strip(),
        )
        revision.full_clean(exclude=["previous_pagu"])
        ros = list(PlanItem.objects.select_for_update().filter(allocation=locked, level=PlanLevel.RO))
        errors = {}
        if ros:
            if not revision.revision_code:
                errors["revision_code"] = _("Revisi alokasi yang punya rencana (RO) wajib punya kode revisi.")
            latest = locked.revisions.order_by("-revised_on", "-pk").first()
            if latest is not None and revised_on < latest.revised_on:
                errors["revised_on"] = _(
                    "Revisi yang memindahkan pagu RO harus menjadi revisi terakhir: tanggalnya tidak boleh "
                    "sebelum revisi %(d)s."
                ) % {"d": latest.revised_on.strftime("%d/%m/%Y")}
            known = {ro.pk for ro in ros}
            foreign = [pk for pk in ro_pagus if pk not in known]
            if foreign:
                errors["new_pagu"] = _("RO yang disebut bukan RO alokasi ini.")
            new = {ro.pk: Decimal(ro_pagus.get(ro.pk, ro.pagu)) for ro in ros}
            for ro in ros:
                if new[ro.pk] < 0:
                    errors[f"ro_{ro.pk}"] = _("Pagu RO tidak boleh negatif.")
            total = sum(new.values())
            if "new_pagu" not in errors and total != Decimal(new_pagu):
                errors["new_pagu"] = _(
                    "Jumlah pagu baru RO %(s)s harus sama dengan pagu baru %(p)s (selisih %(d)s)."
                ) % {"s": rupiah(total), "p": rupiah(new_pagu), "d": rupiah(total - Decimal(new_pagu))}
        elif ro_pagus:
            errors["new_pagu"] = _("Alokasi ini belum punya rencana (RO).")
        if errors:
            raise ValidationError(errors)
        revision._history_user = actor
        revision.save()
        for ro in ros:
            if new[ro.pk] == ro.pagu:
                continue
            line = RevisionLine(
                revision=revision, planned_output=ro, previous_pagu=ro.pagu, new_pagu=new[ro.pk]
            )
            line.full_clean()
            line._history_user = actor
            line.save()
            ro.pagu = new[ro.pk]
            ro.version += 1
            ro._history_user = actor
            ro.save()
        allocation.refresh_totals()
    return revision


def delete_revision(*, revision, actor):
    """Delete a revision. One that moved RO pagus (has lines) only while it is the latest: each RO gets back
    its pagu from before it. Refused (ValidationError) when the RO pagus would then not add up to the pagu
    in force."""
    access.require(access.may_revise_pagu(actor))
    with transaction.atomic():
        allocation = Allocation.objects.select_for_update().get(pk=revision.allocation_id)
        access.check_year_open(actor, allocation.year)
        revision = BudgetRevision.objects.select_for_update().get(pk=revision.pk)
        lines = list(revision.lines.select_related("planned_output"))
        others = allocation.revisions.exclude(pk=revision.pk).order_by("-revised_on", "-pk")
        latest = allocation.revisions.order_by("-revised_on", "-pk").first()
        if lines and latest.pk != revision.pk:
            raise ValidationError(
                _(
                    "Revisi ini memindahkan pagu RO: hanya revisi terakhir yang dapat dihapus; "
                    "hapus dulu revisi sesudahnya."
                )
            )
        ros = {
            ro.pk: ro
            for ro in PlanItem.objects.select_for_update().filter(allocation=allocation, level=PlanLevel.RO)
        }
        for line in lines:
            ros[line.planned_output_id].pagu = line.previous_pagu
        if ros:
            before = others.first()
            pagu = before.new_pagu if before else allocation.pagu
            if latest.pk != revision.pk:
                pagu = allocation.current_pagu
            total = sum(ro.pagu for ro in ros.values())
            if total != pagu:
                raise ValidationError(
                    _(
                        "Revisi tidak dapat dihapus: pagu terkini akan menjadi %(p)s, "
                        "sedangkan jumlah pagu RO %(s)s."
                    )
                    % {"p": rupiah(pagu), "s": rupiah(total)}
                )
        for line in lines:
            ro = ros[line.planned_output_id]
            ro.version += 1
            ro._history_user = actor
            ro.save()
            line._history_user = actor
            line.delete()
        revision._history_user = actor
        revision.delete()
