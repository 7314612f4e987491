"""Pages of the spreadsheet import: template download, upload, a preview of every row's outcome, confirm.

Between the preview and the confirmation the uploaded file stays under MEDIA_ROOT/imports/, named by a
random token that only the uploader's session lists: the confirming POST names the token, never a path.
Files go after the import, on cancel, and IMPORT_TTL after the upload. Every check and write is done by
`programs.imports.import_file`, the same function the command line and the benchmark use.
"""

import contextlib
import io
import json
import os
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from provinces.models import Province

from .. import access
from ..access import ACTIVITY_LOCKED, get_editable_or_403, get_visible_or_404, provinces_editable_by
from ..forms import UploadForm
from ..models import Activity, Allocation
from . import (
    ACTIVITY_FIRMS,
    ACTIVITY_PEOPLE,
    ERROR,
    FIRMS,
    MAX_ROWS,
    NEW,
    STATUS_LABELS,
    UNCHANGED,
    UPDATE,
    ImportRefused,
    import_file,
    max_upload_size,
    megabytes,
    write_template,
)
from .columns import TEMPLATE_LANGUAGE
from .dipa import PLAN, write_plan_template

IMPORT_TTL = 2 * 60 * 60
PREVIEW_PAGE = 100
SESSION_KEY = "ikm_imports"
KEPT_PER_SESSION = 5
TOKEN = re.compile(r"^[0-9a-f]{32}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALREADY_CONFIRMED = gettext_lazy(
    "Impor ini sudah dikonfirmasi dan sedang atau sudah diproses; tidak diimpor dua kali. "
    "Periksa hasilnya di daftar sebelum mengimpor lagi."
)
ACTIVITY_KINDS = [
    (ACTIVITY_FIRMS, gettext_lazy("IKM peserta")),
    (ACTIVITY_PEOPLE, gettext_lazy("Peserta perorangan")),
]


def _directory():
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _files(token):
    """The stored upload, its preview, and the upload while a confirmation imports it; the names come from
    a checked token, never from the request."""
    if not TOKEN.fullmatch(token):
        raise ValueError(token)
    directory = _directory()
    return [directory / f"{token}.upload", directory / f"{token}.json", directory / f"{token}.importing"]


def _claim(token):
    """The upload for one confirmation only: renaming is atomic, so of two confirmations at once (a double
    click, two tabs) one gets the file and the other None."""
    upload, _preview, claimed = _files(token)
    try:
        os.rename(upload, claimed)
    except FileNotFoundError:
        return None
    return claimed


def _release(token):
    """Back to a plain upload, for a confirmation that wrote nothing and may be tried again."""
    upload, _preview, claimed = _files(token)
    with contextlib.suppress(FileNotFoundError):
        os.rename(claimed, upload)


def _being_imported(request, token):
    entry = request.session.get(SESSION_KEY, {}).get(token or "")
    return bool(entry) and entry.get("user") == request.user.pk and _files(token)[2].exists()


def _discard(request, token):
    for path in _files(token):
        path.unlink(missing_ok=True)
    request.session.get(SESSION_KEY, {}).pop(token, None)
    request.session.modified = True


def _purge_expired():
    """Uploads nobody confirmed or cancelled: gone after IMPORT_TTL, whoever left them."""
    cutoff = time.time() - IMPORT_TTL
    for path in _directory().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _entry(request, token, target):
    """The session's record of an upload for this page, or None (unknown, someone else's, expired)."""
    entry = request.session.get(SESSION_KEY, {}).get(token or "")
    if (
        not entry
        or entry.get("target") != target
        or entry.get("user") != request.user.pk
        or entry.get("at", 0) < time.time() - IMPORT_TTL
        or not _files(token)[0].exists()
    ):
        return None
    return entry


def _store(upload):
    token = secrets.token_hex(16)
    path = _files(token)[0]
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return token


def _remember(request, token, **entry):
    kept = request.session.get(SESSION_KEY, {})
    for old in sorted(kept, key=lambda t: kept[t].get("at", 0))[: max(0, len(kept) - KEPT_PER_SESSION + 1)]:
        _discard(request, old)
    kept = request.session.get(SESSION_KEY, {})
    kept[token] = {**entry, "user": request.user.pk, "at": time.time()}
    request.session[SESSION_KEY] = kept


def _save_preview(token, report, name):
    data = {**report.as_dict(), "name": name, "ok": report.ok, "summary": report.summary()}
    _files(token)[1].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _load_preview(token):
    try:
        return json.loads(_files(token)[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _run(request, entry, token, *, dry_run, activity, source=None, allocation=None):
    return import_file(
        source or _files(token)[0],
        allocation=allocation,
        kind=entry["kind"],
        # Checked again by import_file against the user's scope, as at the upload.
        province=Province.objects.filter(pk=entry["province"]).first() if entry.get("province") else None,
        activity=activity,
        user=request.user,
        dry_run=dry_run,
        name=entry["name"],
    )


FILTERS = {
    "semua": None,
    "ditolak": ERROR,
    "baru": NEW,
    "diperbarui": UPDATE,
    "tetap": UNCHANGED,
}


def _preview_context(request, token, preview):
    shown = request.GET.get("tampil", "semua")
    status = FILTERS.get(shown)
    rows = preview["rows"] if status is None else [r for r in preview["rows"] if r[1] == status]
    page = Paginator(rows, PREVIEW_PAGE).get_page(request.GET.get("halaman"))
    page.object_list = [
        {
            "number": r[0],
            "status": r[1],
            "status_label": STATUS_LABELS[r[1]],
            "label": r[2],
            "detail": r[3],
            "errors": r[4],
            "warnings": r[5],
        }
        for r in page.object_list
    ]
    counts = preview["counts"]
    return {
        "token": token,
        "preview": preview,
        "page": page,
        "shown": shown,
        "filters": [
            ("semua", _("Semua"), sum(counts.values())),
            ("ditolak", STATUS_LABELS[ERROR], counts[ERROR]),
            ("baru", STATUS_LABELS[NEW], counts[NEW]),
            ("diperbarui", STATUS_LABELS[UPDATE], counts[UPDATE]),
            ("tetap", STATUS_LABELS[UNCHANGED], counts[UNCHANGED]),
        ],
        "query": f"pratinjau={token}&tampil={shown}",
        "counts": counts,
    }


def _import_page(
    request,
    *,
    target,
    title,
    back,
    template_urls,
    done,
    activity=None,
    provinces=None,
    kinds=None,
    allocation=None,
    back_label=None,
):
    """The one flow of both import pages: upload → preview (GET, shareable only within the session) →
    confirm or cancel."""
    context = {
        "title": title,
        "back": back,
        "template_urls": template_urls,
        "activity": activity,
        "back_label": back_label,
        "max_rows": MAX_ROWS,
        "max_mb": megabytes(max_upload_size()),
    }
    form = UploadForm(provinces=provinces, kinds=kinds)
    try:
        action = request.POST.get("aksi") if request.method == "POST" else None
    except RequestDataTooBig:
        # Refused while it streamed in (ikm_dekon/uploads.py): nothing of it was kept.
        context["refused"] = _("Berkas terlalu besar; paling besar %(max)s MB.") % {
            "max": megabytes(max_upload_size())
        }
        return render(request, "programs/import_page.html", {**context, "form": form}, status=400)
    token = request.POST.get("token") if action else request.GET.get("pratinjau")
    status = 200

    if action in ("simpan", "batal"):
        entry = _entry(request, token, target)
        if entry is None and action == "simpan" and _being_imported(request, token):
            messages.warning(request, ALREADY_CONFIRMED)
            return redirect(done)
        if entry is None:
            messages.error(request, _("Pratinjau ini sudah tidak berlaku. Unggah berkasnya lagi."))
            return redirect(request.path)
        if action == "batal":
            _discard(request, token)
            messages.info(request, _("Impor dibatalkan; tidak ada yang disimpan."))
            return redirect(request.path)
        source = _claim(token)
        if source is None:  # the same import confirmed twice at once: the other confirmation has it
            messages.warning(request, ALREADY_CONFIRMED)
            return redirect(done)
        try:
            report = _run(
                request, entry, token, dry_run=False, activity=activity, source=source, allocation=allocation
            )
        except ImportRefused as e:
            _discard(request, token)
            context["refused"] = e.message
            status = 400
        except BaseException:
            _release(token)
            raise
        else:
            if report.written:
                _discard(request, token)
                messages.success(request, _("Impor selesai. %(s)s") % {"s": report.summary()})
                return redirect(done)
            # The data changed since the preview: show what is refused now.
            _release(token)
            _save_preview(token, report, entry["name"])
            messages.error(
                request,
                _("Data berubah sejak pratinjau dan ada baris yang ditolak; tidak ada yang disimpan."),
            )
            context.update(_preview_context(request, token, _load_preview(token)))
            return render(request, "programs/import_page.html", {**context, "form": form}, status=400)

    elif action == "unggah":
        form = UploadForm(request.POST, request.FILES, provinces=provinces, kinds=kinds)
        if form.is_valid():
            _purge_expired()
            upload = form.cleaned_data["file"]
            name = os.path.basename(upload.name or "berkas")[:200]
            province = form.cleaned_data.get("province") or form.fixed_province
            entry = {
                "target": target,
                "kind": form.cleaned_data.get("kind") or FIRMS,
                "province": province.pk if province else None,
                "name": name,
            }
            token = _store(upload)
            try:
                report = _run(request, entry, token, dry_run=True, activity=activity, allocation=allocation)
                _save_preview(token, report, name)
            except ImportRefused as e:
                _files(token)[0].unlink(missing_ok=True)
                form.add_error("file", e.message)
            except Exception:
                for path in _files(token):  # e.g. PermissionDenied: keep nothing of it
                    path.unlink(missing_ok=True)
                raise
            else:
                _remember(request, token, **entry)
                return redirect(f"{request.path}?pratinjau={token}")
        status = 400

    elif token:
        preview = _load_preview(token) if _entry(request, token, target) else None
        if preview is None:
            messages.error(request, _("Pratinjau ini sudah tidak berlaku. Unggah berkasnya lagi."))
            return redirect(request.path)
        context.update(_preview_context(request, token, preview))

    return render(request, "programs/import_page.html", {**context, "form": form}, status=status)


def firm_import(request):
    provinces = provinces_editable_by(request.user)
    if not provinces.exists():
        raise PermissionDenied(_("Anda tidak berhak mengimpor IKM."))
    return _import_page(
        request,
        target="ikm",
        title=_("Impor IKM dari Excel"),
        back=reverse("programs:firm_list"),
        template_urls=[(_("Unduh templat IKM (.xlsx)"), reverse("programs:firm_import_template"))],
        done=reverse("programs:firm_list"),
        provinces=provinces,
    )


def _template_response(kind, province, filename):
    buffer = io.BytesIO()
    write_template(buffer, kind, province=province)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def firm_import_template(request):
    provinces = provinces_editable_by(request.user)
    if not provinces.exists():
        raise PermissionDenied(_("Anda tidak berhak mengimpor IKM."))
    province = provinces.first() if provinces.count() == 1 else None
    return _template_response(FIRMS, province, "templat-impor-ikm.xlsx")


def _activity_for_import(request, pk):
    """404 outside the user's view, 403 when they see it but may not change it (locked or read-only)."""
    return get_editable_or_403(
        Activity.objects.select_related("province"), request.user, refusal=ACTIVITY_LOCKED, pk=pk
    )


def participant_import(request, pk):
    activity = _activity_for_import(request, pk)
    url = reverse("programs:participant_import_template", args=[activity.pk])
    return _import_page(
        request,
        target=f"kegiatan:{activity.pk}",
        title=_("Impor peserta: %(a)s") % {"a": activity.title},
        back=activity.get_absolute_url(),
        template_urls=[
            (_("Unduh templat IKM peserta (.xlsx)"), f"{url}?jenis={ACTIVITY_FIRMS}"),
            (_("Unduh templat peserta perorangan (.xlsx)"), f"{url}?jenis={ACTIVITY_PEOPLE}"),
        ],
        done=activity.get_absolute_url(),
        activity=activity,
        kinds=ACTIVITY_KINDS,
    )


def participant_import_template(request, pk):
    activity = _activity_for_import(request, pk)
    kind = request.GET.get("jenis", ACTIVITY_FIRMS)
    if kind not in dict(ACTIVITY_KINDS):
        raise Http404
    return _template_response(kind, activity.province, f"templat-impor-{kind}.xlsx")


# --- The plan (DIPA) of an allocation ---------------------------------------------------------------------


def _allocation_for_plan_import(request, pk):
    """404 outside the user's view; 403 unless they enter plans (ministry staff, admins) in an open year."""
    allocation = get_visible_or_404(Allocation.objects.select_related("province"), request.user, pk=pk)
    access.require(access.may_enter_plan(request.user))
    access.check_year_open(request.user, allocation.year)
    return allocation


def plan_import(request, pk):
    allocation = _allocation_for_plan_import(request, pk)
    plan_url = reverse("programs:plan", args=[allocation.pk])
    return _import_page(
        request,
        target=f"rencana:{allocation.pk}",
        title=_("Impor rencana (DIPA): %(a)s") % {"a": allocation},
        back=plan_url,
        back_label=_("Rencana %(a)s") % {"a": allocation},
        template_urls=[
            (
                _("Unduh templat rencana (.xlsx)"),
                reverse("programs:plan_import_template", args=[allocation.pk]),
            )
        ],
        done=plan_url,
        kinds=[(PLAN, _("Rencana (DIPA)"))],
        allocation=allocation,
    )


def plan_import_template(request, pk):
    _allocation_for_plan_import(request, pk)
    buffer = io.BytesIO()
    with translation.override(TEMPLATE_LANGUAGE):
        write_plan_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="templat-impor-rencana.xlsx"'
    return response
