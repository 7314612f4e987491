"""What every page of the workspace shares: pagination, saving a form through the services with its messages
beside the fields, the form page, and the one delete path. Views parse the request, ask the access module
for the object (404 outside the user's scope, 403 when it is not theirs to change), call a service, render.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import access, services
from ..models import LockedByActivities

PAGE_SIZE = 25


def paginate(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("halaman"))


def query_without_page(request):
    query = request.GET.copy()
    query.pop("halaman", None)
    return query.urlencode()


def show_hidden_field_errors(form):
    """A hidden field (the version, a fixed province) is never shown, so neither is its own error: a value
    altered outside the page gets a message at the top of the form instead of a silent refusal."""
    if any(form[name].is_hidden for name in form.errors if name in form.fields):
        form.add_error(
            None,
            _(
                "Formulir ini berisi data tersembunyi yang tidak sah (diubah di luar halaman ini). "
                "Muat ulang halaman, lalu isi dan simpan lagi."
            ),
        )


def collided(form):
    """The save broke a unique rule that the form checked before saving: a write landed in between (the
    same firm registered from two tabs). Checked again, now that write is visible, the rule puts its own
    message beside its field; the database's constraint name is never shown."""
    form.full_clean()
    if not form.errors:
        form.add_error(
            None,
            _("Data bertabrakan dengan perubahan lain yang baru saja disimpan. Periksa lalu simpan lagi."),
        )


def add_errors(form, error):
    """A model's rules, checked again at save time under the parent's lock: each message beside its field
    when the form shows that field, else at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields and not form[field].is_hidden else None, errors)


def save_form(request, form, **kwargs):
    """Validate and save through services; False (with the message on the form) when refused."""
    if not form.is_valid():
        show_hidden_field_errors(form)
        return False
    try:
        services.save_edit(
            form.instance,
            actor=request.user,
            expected_version=form.expected_version,
            m2m=form._save_m2m,
            **kwargs,
        )
    except services.ConcurrentEditError as e:
        form.add_error(None, e.message)
        return False
    except ValidationError as e:
        add_errors(form, e)
        return False
    except IntegrityError:  # nothing was saved
        collided(form)
        return False
    return True


def form_page(request, form, *, title, back, template="programs/form.html", **context):
    return render(request, template, {"form": form, "title": title, "back": back, **context})


def parse_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def editable_part(request, model, pk, select=()):
    refusal = _("Data ini terkunci karena kegiatannya sedang diverifikasi atau sudah diverifikasi.")
    queryset = model.objects.select_related(*select)
    return access.get_editable_or_403(queryset, request.user, refusal=refusal, pk=pk)


def delete_page(request, obj, back, what, *, kept_at=None, protected=None):
    """Delete through services and say what happened; `back` after the delete, `kept_at` (default `back`)
    when the record stays, `protected` the message when other records still need it."""
    kept_at = back if kept_at is None else kept_at
    posted = request.POST.get("version")
    version = parse_int(posted)
    if posted is not None and version is None:  # altered outside the page: never read as "no check"
        messages.error(request, _("Permintaan hapus berisi versi data yang tidak sah. Muat ulang halaman."))
        return redirect(kept_at)
    try:
        services.delete_record(obj, actor=request.user, expected_version=version)
    except services.AlreadyDeleted as e:
        messages.info(request, e.message)
    except services.ConcurrentEditError as e:
        messages.error(request, e.message)
        return redirect(kept_at)
    except LockedByActivities as e:  # what a locked activity names stays as verified
        messages.error(request, e.args[0])
        return redirect(kept_at)
    except ProtectedError:
        messages.error(
            request,
            protected or _("%(what)s tidak dapat dihapus karena masih dipakai data lain.") % {"what": what},
        )
        return redirect(kept_at)
    else:
        messages.success(request, _("%(what)s dihapus.") % {"what": what})
    return redirect(back)
