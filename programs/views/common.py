"""What every page of the workspace shares: pagination, saving a form through the services with its messages
beside the fields, the form page, and the one delete path. Views parse the request, ask the access module
for the object (404 outside the user's scope, 403 when it is not theirs to change), call a service, render.
"""

import functools
import operator

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, F, OrderBy, ProtectedError, Q, QuerySet
from django.db.models.query import ModelIterable
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from .. import access, services
from ..models import LockedByActivities

PAGE_SIZE = 25


def _reversed(key):
    if isinstance(key, str):
        return key[1:] if key.startswith("-") else f"-{key}"
    key = key.copy() if isinstance(key, OrderBy) else key.asc()
    key.reverse_ordering()
    return key


def total_ordering(queryset):
    """The queryset ordered so that no two rows tie: its own ordering (or its model's) with the primary key
    last, in the direction of the last key, so that a b-tree index on (..., key, id) serves it forwards or
    backwards. Without it, rows that tie may swap between two requests and a page repeats or skips one."""
    meta = queryset.model._meta
    keys = list(queryset.query.order_by) or (list(meta.ordering) if queryset.query.default_ordering else [])
    if not queryset.query.standard_ordering:  # reversed: the keys take the direction, read as written
        keys = [_reversed(key) for key in keys]
        queryset = queryset.reverse()
    names = {"pk", meta.pk.name, meta.pk.attname}
    last_descending = False
    for key in keys:
        if isinstance(key, str):
            last_descending = key.startswith("-")
            if key.lstrip("-") in names:
                return queryset.order_by(*keys)
        elif isinstance(key, OrderBy):
            last_descending = key.descending
            if isinstance(key.expression, F) and key.expression.name in names:
                return queryset.order_by(*keys)
    return queryset.order_by(*keys, "-pk" if last_descending else "pk")


#: Rows skipped from the nearer end of a list before a page is read by its keys first: skipping a few
#: hundred joined rows costs less than the second query.
DEFERRED_FROM = 500

#: Leading keys of an ordering that cut a list into few groups (fiscal years, provinces), with the column
#: that names the group on the listed table. Ordering by a province's code is a join that no index of the
#: listed table serves: PostgreSQL sorted the 76,000 rows before page 3,040 of the national activity list.
GROUPING_KEYS = {"year": "year", "province__code": "province"}


class DeferredJoinPaginator(Paginator):
    """Pages of a queryset in two steps: the page's primary keys alone (ORDER BY ... OFFSET k LIMIT n, which
    PostgreSQL answers from an index when one matches the ordering, without reading the k rows it skips),
    then those rows with their joins by key. A plain OFFSET reads and joins every skipped row: page 3,040 of
    the national activity list took 345 ms at 100x that way. Within DEFERRED_FROM rows of either end the
    page is read in one query as before.

    An ordering that starts with a year or a province (the activity list's) is counted per group in one
    grouped query, and the page's keys are read from the one or two groups the page falls in: a deep page
    costs what the first does. The count stays exact either way, so "halaman N dari M" is true, and a
    bookmarked ?halaman=N still opens page N."""

    def __init__(self, object_list, *args, **kwargs):
        if isinstance(object_list, QuerySet):
            object_list = total_ordering(object_list)
        super().__init__(object_list, *args, **kwargs)

    def _paged_by_keys(self):
        return isinstance(self.object_list, QuerySet) and issubclass(
            self.object_list._iterable_class, ModelIterable
        )

    @cached_property
    def _grouping(self):
        """[(column, descending, the related row's attribute that sorts or None, field)] of the ordering's
        leading group keys; empty when it has none."""
        if not self._paged_by_keys():
            return []
        meta, grouping = self.object_list.model._meta, []
        for key in self.object_list.query.order_by:
            name = key.lstrip("-") if isinstance(key, str) else None
            if name not in GROUPING_KEYS:
                break
            field_name = GROUPING_KEYS[name]
            try:
                field = meta.get_field(field_name)
            except FieldDoesNotExist:
                break
            if field.null:  # NULLs would need PostgreSQL's place for them among the groups
                break
            grouping.append((field.attname, key.startswith("-"), name.partition("__")[2] or None, field))
        return grouping

    @cached_property
    def _groups(self):
        """[(the group's filter, its row count)] in the list's order."""
        columns = [attname for attname, *_ in self._grouping]
        # COUNT(*) unless the rows repeat: PostgreSQL then need not read the key of each row.
        counted = Count("pk", distinct=True) if self.object_list.query.distinct else Count("*")
        rows = list(self.object_list.order_by().values_list(*columns).annotate(n=counted))
        sort_values = []
        for i, (_attname, _descending, attribute, field) in enumerate(self._grouping):
            if attribute is None:
                sort_values.append(None)
                continue
            ids = {row[i] for row in rows}
            related = field.related_model._base_manager.filter(pk__in=ids)
            sort_values.append(dict(related.values_list("pk", attribute)))
        for i in reversed(range(len(self._grouping))):  # a stable sort per key, the last key first
            values = sort_values[i]
            rows.sort(
                key=lambda row: row[i] if values is None else values[row[i]], reverse=self._grouping[i][1]
            )
        return [(dict(zip(columns, row[:-1], strict=True)), row[-1]) for row in rows]

    @cached_property
    def count(self):
        if self._grouping:
            return sum(n for _group, n in self._groups)
        return super().count

    @staticmethod
    def _rows(queryset, bottom, top, count):
        """Rows bottom..top; past the middle, read from the end in the reverse order (the same total order
        backwards, which the same index serves), so that no page skips more than half. Near either end the
        rows themselves (one query); deeper, their keys first, then the rows by key."""
        if top <= bottom:
            return queryset.none()
        backwards = bottom > count - top
        if backwards:
            queryset, bottom, top = queryset.reverse(), count - top, count - bottom
        if bottom < DEFERRED_FROM:
            rows = queryset[bottom:top]
            return list(rows)[::-1] if backwards else rows
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        # Still a queryset in the same total order (the admin's forms need one); sorting 25 rows is free.
        return queryset.reverse().filter(pk__in=keys) if backwards else queryset.filter(pk__in=keys)

    def page(self, number):
        if not self._paged_by_keys():
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset, count = self.object_list, self.count
        if self._grouping:
            # The groups the page overlaps, contiguous in the list's order: the page is their rows from the
            # first group's start on.
            start, first, count, overlapping = 0, None, 0, []
            for group, n in self._groups:
                if start + n > bottom and start < top:
                    first = start if first is None else first
                    count += n
                    overlapping.append(group)
                start += n
            if len(overlapping) == 1:
                # Within one group its keys are constant: the rest of the ordering alone, which an index on
                # (year, province, ...) serves without the join to the province.
                rest = queryset.query.order_by[len(self._grouping) :]
                queryset = queryset.filter(**overlapping[0]).order_by(*rest)
            else:
                queryset = queryset.filter(
                    functools.reduce(operator.or_, (Q(**g) for g in overlapping), Q(pk__in=[]))
                )
            bottom, top = bottom - (first or 0), top - (first or 0)
        return self._get_page(self._rows(queryset, bottom, top, count), number, self)


def paginate(request, queryset, size=PAGE_SIZE):
    """The requested page (?halaman=N) of a list: a malformed number opens the first page, one past the end
    the last, so an old bookmark never answers an error."""
    return DeferredJoinPaginator(queryset, size).get_page(request.GET.get("halaman"))


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
