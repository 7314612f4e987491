"""Django admin for the programme's data.

The admin is for admins (`access.may_administer`): users, roles, reference data, and the repair of any
record, also of a closed year. Operators, ministry staff and viewers work in the workspace, whose pages
are built for them; the admin's door refuses them even if someone made them staff. Inside, every
programme ModelAdmin and inline still asks the access module for its rows and choice lists
(`visible_to` / `editable_by`), so the one scoping mechanism holds here too, and every save and delete
goes through the workspace's services (`services.save_edit`, `services.delete_record`): the same version
check, the same running-total locks, the same history.

Each changelist, change page and autocomplete answer is a fixed handful of queries whatever the number of
rows: related rows are joined (`list_select_related`, also applied to inline rows and autocomplete
answers), foreign keys to programme records are autocomplete widgets, and an inline row's autocomplete
shows the label of the object already joined instead of asking the database again. Province and regency
are plain selects (one query each): an autocomplete asks the target's admin for view permission, and the
provinces app's admin grants it through Django's model permissions, which the roles do not carry.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Sum
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from provinces.models import Province

from . import access, notices, services, workdays
from .forms import HandoverForm, OutputForm, QuantityField, QuantityInput, RupiahField
from .models import (
    Activity,
    Allocation,
    BudgetRevision,
    CashPlan,
    CashPlanLine,
    CashPlanWindow,
    Firm,
    FiscalYear,
    Handover,
    Holiday,
    HolidaySource,
    Notification,
    Output,
    Participant,
    Participation,
    Partner,
    PeriodClosure,
    PeriodException,
    PlanItem,
    PlanLevel,
    Realisation,
    ReviewEvent,
    RevisionLine,
    fund_type_for,
    rupiah,
)
from .numbers import is_quantity
from .services import TOTAL_PARENTS, ConcurrentEditError, lock_total_parents
from .views.common import DeferredJoinPaginator


def _admin_site_permission(request):
    """The admin's door: active admins only (the access module decides who is one)."""
    return request.user.is_active and access.may_administer(request.user)


admin.site.has_permission = _admin_site_permission

REVIEW_FIELDS = ["review_status", "review_note", "submitted_at", "reviewed_at", "reviewed_by"]


def rupiah_column(field, description):
    """A read-only column or field showing a money field as Rupiah (Rp 1.250.000)."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return rupiah(getattr(obj, field))

    return column


def plain_column(field, description):
    """A read-only column or field showing a number that names something (a year, an id) as plain digits.

    Django's admin shows an integer field grouped as a quantity (2.020 with USE_THOUSAND_SEPARATOR)."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        value = getattr(obj, field)
        return "–" if value is None else str(value)

    return column


# --- Scoping --------------------------------------------------------------------------------------------


class ScopedAdminMixin:
    """Access for a programme ModelAdmin or inline; the admin's one way in.

    - rows: `Model.objects.visible_to(user)`; choice lists: what the user may link to (`editable_by`);
    - view: admins; add/change/delete: admins, unless the model is an audit log (`read_only`);
    - an object outside the user's scope answers 404 on its change, delete and history pages;
    - saves and deletes: through `services` (version check, locks, history), as in the workspace.
    """

    #: An audit log: nobody adds, changes or deletes it here.
    read_only = False
    #: A deep page of a changelist of millions of rows reads the page's keys alone, then the page's rows;
    #: the second, unfiltered COUNT(*) beside a filtered one is not worth a full scan of the table.
    paginator = DeferredJoinPaginator
    show_full_result_count = False
    #: Also joined for inline rows and autocomplete answers, not only the changelist.
    list_select_related = ()
    #: The fiscal year of a record, shown 2020 (never 2.020) in lists and read-only fields.
    year_plain = plain_column("year", _("tahun anggaran"))
    #: Number fields shown read-only through a plain column (for those who may only view a record).
    plain_columns = {"year": "year_plain"}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if hasattr(qs, "visible_to"):
            qs = qs.visible_to(request.user)
        if isinstance(self.list_select_related, (list, tuple)) and self.list_select_related:
            qs = qs.select_related(*self.list_select_related)
        return qs

    # Permissions

    def has_module_permission(self, request):
        return access.may_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return access.may_administer(request.user)

    def has_add_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def _may_write(self, request, obj):
        if self.read_only or not access.may_administer(request.user):
            return False
        return obj is None or obj.pk is None or self._editable(request, obj)

    def _editable(self, request, obj):
        """Whether obj (for an inline: the parent) is editable by the user now; asked once per request."""
        cache = request.__dict__.setdefault("_ikm_editable", {})
        key = (obj._meta.label, obj.pk)
        if key not in cache:
            qs = type(obj)._default_manager.all()
            cache[key] = not hasattr(qs, "editable_by") or access.may_edit(request.user, obj)
        return cache[key]

    # Objects outside the scope

    def get_object(self, request, object_id, from_field=None):
        # Django would redirect to the index saying the object does not exist; answer 404 like every page.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Data tidak ditemukan."))
        return obj

    def _visible_or_404(self, request, object_id):
        if access.sees_every_province(request.user):
            return  # national users may also read the history of deleted records
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise Http404(_("Data tidak ditemukan."))

    # Writes

    def save_model(self, request, obj, form, change):
        # The workspace's save: the version the form was opened at (checked again under the row lock the
        # form's clean took), the running-total locks, the scope of where the row lands, the history.
        services.save_edit(obj, actor=request.user, expected_version=_seen_version(form))

    def delete_model(self, request, obj):
        services.delete_record(obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        rows = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.delete_record(obj, actor=request.user)
        seen = {row.instance.pk: _seen_version(row) for row in formset.initial_forms}
        for obj in rows:
            services.save_edit(obj, actor=request.user, expected_version=seen.get(obj.pk))
        formset.save_m2m()

    def get_deleted_objects(self, objs, request):
        # A partner or firm that a locked activity names is refused by its delete(): say so on the
        # confirmation page (as Django does for a protected foreign key) instead of failing on submit.
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            if refusal := getattr(obj, "delete_refusal", lambda: None)():
                protected = [*protected, f"{obj}: {refusal}"]
        return to_delete, model_count, perms_needed, protected

    def delete_queryset(self, request, queryset):
        # One by one through the services and the model's delete(), which refuses a partner or firm a
        # locked activity names (the bulk delete of the changelist's action would skip it).
        with transaction.atomic():
            for obj in queryset:
                services.delete_record(obj, actor=request.user)

    def history_view(self, request, object_id, extra_context=None):
        # simple_history falls back to the history of objects missing from get_queryset(): not for others'.
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    # Form fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # A view-only page shows every field read-only: a year through its plain column, not as 2.020.
        plain = self.plain_columns

        def swap(names):
            return [tuple(swap(n)) if isinstance(n, list | tuple) else plain.get(n, n) for n in names]

        return [(title, {**options, "fields": swap(options["fields"])}) for title, options in fieldsets]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Quantities read 100.000 as one hundred thousand, and money 1.250.000 as Rupiah, as in the
        # workspace's forms.
        if is_quantity(db_field):
            kwargs = {"form_class": QuantityField, "widget": QuantityInput, **kwargs}
        elif isinstance(db_field, models.DecimalField) and db_field.decimal_places == 0:
            kwargs = {"form_class": RupiahField, **kwargs}
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Choice lists

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = self._choices(db_field.related_model, request)
            if choices is not None:
                kwargs["queryset"] = choices
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = LoadedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            choices = self._choices(db_field.related_model, request)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _choices(self, model, request):
        if model is Province:
            return access.provinces_editable_by(request.user)
        qs = model._default_manager.all()
        if hasattr(qs, "editable_by"):
            return qs.editable_by(request.user)
        return None


class LoadedAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that labels its selected option from `loaded` ({pk: label}) when it can.

    Django asks the database for the selected option's label once per widget, i.e. once per inline row;
    `ProgrammeInlineFormSet` fills `loaded` from the row's object, already joined by the inline's query.
    """

    loaded = None

    def optgroups(self, name, value, attr=None):
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if not selected or self.loaded is None or not set(selected) <= self.loaded.keys():
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        for pk in selected:
            options.append(self.create_option(name, pk, self.loaded[pk], set(selected), len(options)))
        return [(None, options, 0)]


def _versioned(model):
    return any(f.name == "version" for f in model._meta.fields)


def _seen_version(form):
    """The version an admin form was opened at (None for a new record or an unversioned model)."""
    if not getattr(form, "versioned", False) or form.instance.pk is None or not form.has_changed():
        return None
    return form.cleaned_data.get("seen_version")


class VersionCheckedForm(forms.ModelForm):
    """An admin form carries the version of the record it was opened at. Saving a record that changed since
    (in the workspace or another admin's tab) is refused with the workspace's message; the check locks the
    row, and the admin's transaction keeps it locked until the save, so no write can slip in between."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.versioned = _versioned(self._meta.model)
        if self.instance.pk is not None and self.versioned:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        self._lock_total_parent(cleaned)
        if self.instance.pk is None or not self.versioned or not self.has_changed():
            return cleaned
        stored = (
            type(self.instance)
            ._base_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if stored is None:
            raise ValidationError(_("Data ini sudah dihapus orang lain. Muat ulang halaman."))
        if cleaned.get("seen_version") is None:
            raise ValidationError(_("Formulir ini tidak lengkap (versi data hilang). Muat ulang halaman."))
        if cleaned.get("seen_version") != stored:
            raise ValidationError(ConcurrentEditError.message)
        return cleaned

    def _lock_total_parent(self, cleaned):
        """A row counted into a parent's running total locks that parent first, as the workspace does
        (services.TOTAL_PARENTS): its rules are then checked against rows no other request is changing, and
        admin and workspace take the locks in the same order."""
        field = TOTAL_PARENTS.get(self._meta.model)
        if field is None or not self.has_changed():
            return
        chosen = cleaned.get(field)
        parent_id = chosen.pk if chosen is not None else getattr(self.instance, f"{field}_id", None)
        lock_total_parents(self._meta.model, self.instance.pk, parent_id)


class VersionCheckedAdmin:
    """Admin pages (and inlines) of versioned records put the version they were opened at in the form."""

    form = VersionCheckedForm

    def get_fieldsets(self, request, obj=None):
        # Fields listed by the form itself include seen_version already: placed once, where it belongs.
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f != "seen_version"]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        if not _versioned(self.model) or not issubclass(self.form, VersionCheckedForm):
            return fieldsets
        if obj is not None and not self.has_change_permission(request, obj):
            return fieldsets
        (title, options), *rest = fieldsets
        return [(title, {**options, "fields": [*options["fields"], "seen_version"]}), *rest]


class ProgrammeAdmin(VersionCheckedAdmin, ScopedAdminMixin, SimpleHistoryAdmin):
    """A scoped ModelAdmin with each record's history, read-only.

    Reverting from the history is off: it would save the old row whole, including the running totals and
    the workflow state that only their own code may change.
    """

    def revert_disabled(self, request, obj=None):
        return True

    def get_inline_instances(self, request, obj=None):
        # Rows are added once their parent exists: their rules compare them with the parent as stored.
        return super().get_inline_instances(request, obj) if obj is not None else []

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Inline formsets -------------------------------------------------------------------------------------


class ProgrammeInlineFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        instance = form.instance
        for name, field in form.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if not isinstance(widget, LoadedAutocompleteSelect) or instance.pk is None:
                continue
            model_field = instance._meta.get_field(name)
            if model_field.is_cached(instance):
                related = model_field.get_cached_value(instance)
                if related is not None:
                    widget.loaded = {str(related.pk): field.label_from_instance(related)}
        return form

    def _rows(self):
        """(form, cleaned data) of the rows that will be kept."""
        for i, form in enumerate(self.forms):
            if self._should_delete_form(form) or not hasattr(form, "cleaned_data"):
                continue
            if i >= self.initial_form_count() and not form.has_changed():
                continue
            yield form, form.cleaned_data


class RunningTotalFormSet(ProgrammeInlineFormSet):
    """Rows whose sum the parent caps (monthly realisation ≤ current pagu, handovers ≤ produced).

    Each row's clean() compares the row with the rows already stored, so rows added or changed in the
    same submit are summed here, step by step in the order the formset saves them: no step may pass the
    cap, or the database CHECK on the parent's running total would answer with a server error.
    """

    amount_field = None
    rows_label = None

    def limit(self):
        """The cap, as the parent will have it once saved; None when it is not known yet."""
        raise NotImplementedError

    def describe_limit(self, limit):
        raise NotImplementedError

    def describe_total(self, total):
        return total

    def clean(self):
        super().clean()
        limit = self.limit()
        if limit is None:
            return
        stored = {}
        if self.instance.pk is not None:
            rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
            stored = dict(rows.values_list("pk", self.amount_field))
        total = sum(stored.values())
        highest = total
        for i, form in enumerate(self.forms):
            existing = i < self.initial_form_count()
            old = stored.get(form.instance.pk, 0) if existing else 0
            if self._should_delete_form(form):
                new = 0
            elif not existing and not form.has_changed():
                continue
            else:
                new = getattr(form, "cleaned_data", {}).get(self.amount_field)
                if new is None:
                    continue  # the row shows its own error
            total += new - old
            highest = max(highest, total)
        params = {
            "rows": self.rows_label,
            "total": self.describe_total(total),
            "limit": self.describe_limit(limit),
        }
        if total > limit:
            raise ValidationError(
                _(
                    "Jumlah %(rows)s seluruhnya (%(total)s) melebihi %(limit)s. "
                    "Tidak ada yang disimpan; periksa kembali jumlahnya."
                ),
                code="over_limit",
                params=params,
            )
        if highest > total and highest > limit:
            raise ValidationError(
                _(
                    "Jumlah %(rows)s akan melewati %(limit)s di tengah penyimpanan (baris disimpan "
                    "berurutan dari atas). Tidak ada yang disimpan; simpan pengurangannya lebih dulu, "
                    "lalu penambahannya."
                ),
                code="over_limit_midway",
                params=params,
            )


class RealisationFormSet(RunningTotalFormSet):
    amount_field = "amount"
    rows_label = _("realisasi")

    def limit(self):
        allocation = self.instance
        if allocation.pagu is None:
            return None
        # As Allocation.save(): the current pagu follows the initial pagu until a revision is recorded.
        if not allocation.revisions.exists():
            return allocation.pagu
        return allocation.current_pagu

    def describe_limit(self, limit):
        return _("pagu terkini %(pagu)s") % {"pagu": rupiah(limit)}

    def describe_total(self, total):
        return rupiah(total)


class HandoverFormSet(RunningTotalFormSet):
    amount_field = "quantity"
    rows_label = _("penyerahan")

    def limit(self):
        return self.instance.quantity

    def describe_limit(self, limit):
        return _("jumlah diproduksi (%(made)s)") % {"made": limit}


class ParticipationFormSet(ProgrammeInlineFormSet):
    def clean(self):
        super().clean()
        # Participation.clean() checks the firm's province only once the activity exists.
        activity = self.instance
        province_id = activity.allocation.province_id if activity.allocation_id else None
        for form, data in self._rows():
            firm = data.get("firm")
            if firm is not None and province_id is not None and firm.province_id != province_id:
                form.add_error("firm", _("IKM ini terdaftar di provinsi lain."))


class OutputFormSet(ProgrammeInlineFormSet):
    def clean(self):
        super().clean()
        # An output takes its activity from its participation: here it must be this activity's.
        for form, data in self._rows():
            participation = data.get("participation")
            if participation is not None and participation.activity_id != self.instance.pk:
                form.add_error("participation", _("Pilih IKM peserta kegiatan ini."))


# --- Inlines ---------------------------------------------------------------------------------------------


class ProgrammeInline(VersionCheckedAdmin, ScopedAdminMixin, admin.TabularInline):
    formset = ProgrammeInlineFormSet
    extra = 0
    show_change_link = True


# The plan's sums (programs/plan_rules.py) span rows; the admin changes one row at a time, so what would
# break them is refused here with a message and done on the pages that change the rows together.
PLAN_KEEPS_ITS_SUM = _(
    "Alokasi ini punya rencana (RO) yang jumlah pagunya harus sama dengan pagu terkini. Ubah pagu lewat "
    "revisi di halaman Anggaran, yang menggeser pagu RO bersamanya."
)
REALISATION_HAS_LINES = _(
    "Realisasi bulan ini dirinci per jenis belanja dan RO; ubah jumlahnya di halaman Anggaran, yang "
    "menyimpan rinciannya bersama."
)


class RealisationAdminForm(VersionCheckedForm):
    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and "amount" in self.changed_data and self.instance.lines.exists():
            self.add_error("amount", REALISATION_HAS_LINES)
        return cleaned


class BudgetRevisionInline(ProgrammeInline):
    """Shown for the record; a revision is added on its own page, where its rules are checked."""

    model = BudgetRevision
    read_only = True
    fields = ["revised_on", "previous_pagu_rp", "new_pagu_rp", "reason", "document_number"]
    readonly_fields = fields
    previous_pagu_rp = rupiah_column("previous_pagu", _("pagu sebelum revisi"))
    new_pagu_rp = rupiah_column("new_pagu", _("pagu baru"))


class RealisationInline(ProgrammeInline):
    model = Realisation
    form = RealisationAdminForm
    formset = RealisationFormSet
    fields = ["month", "amount", "note", "review_status"]
    readonly_fields = ["review_status"]
    list_select_related = ["allocation__province"]  # each row's title names its allocation


class ParticipationInline(ProgrammeInline):
    model = Participation
    formset = ParticipationFormSet
    fields = ["firm", "note"]
    autocomplete_fields = ["firm"]
    list_select_related = ["firm", "activity"]


class OutputInline(ProgrammeInline):
    model = Output
    formset = OutputFormSet
    fk_name = "activity"
    # What the operator's form enters (one list of an output's fields), and the running total beside it.
    fields = [*OutputForm.Meta.fields, "handed_over_total"]
    readonly_fields = ["handed_over_total"]
    autocomplete_fields = ["participation", "buyer"]
    list_select_related = ["participation__firm", "participation__activity", "buyer"]


class HandoverInline(ProgrammeInline):
    model = Handover
    formset = HandoverFormSet
    fields = HandoverForm.Meta.fields
    autocomplete_fields = ["recipient"]
    list_select_related = ["output", "recipient"]


# --- Fiscal years and money ------------------------------------------------------------------------------


@admin.register(FiscalYear)
class FiscalYearAdmin(ProgrammeAdmin):
    list_display = ["year_plain", "closed_at", "closed_by"]
    list_select_related = ["closed_by"]
    search_fields = ["year"]
    # Closing and reopening a year is a workflow step with its actor and record, not a field to edit.
    readonly_fields = ["closed_at", "closed_by"]


class AllocationAdminForm(VersionCheckedForm):
    """The fund type defaults to the year's regime (DK until 2023, TP from 2024) when none is chosen."""

    class Meta:
        model = Allocation
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "fund_type" in self.fields:
            self.fields["fund_type"].required = False

    def clean(self):
        cleaned = super().clean()
        if "fund_type" in self.fields and not cleaned.get("fund_type") and cleaned.get("year"):
            cleaned["fund_type"] = fund_type_for(cleaned["year"])
        allocation = self.instance
        if (
            allocation.pk is not None
            and "pagu" in self.changed_data
            and not allocation.revisions.exists()
            and allocation.has_plan
        ):
            self.add_error("pagu", PLAN_KEEPS_ITS_SUM)
        return cleaned


@admin.register(Allocation)
class AllocationAdmin(ProgrammeAdmin):
    form = AllocationAdminForm
    list_display = [
        "province",
        "year_plain",
        "fund_type",
        "pagu_rp",
        "current_pagu_rp",
        "realised_total_rp",
        "absorption_display",
        "dipa_number",
    ]
    list_filter = ["year", "fund_type", "province"]
    list_select_related = ["province"]
    search_fields = ["province__name", "province__code", "dipa_number"]
    fields = [
        "province",
        "year",
        "fund_type",
        "pagu",
        "current_pagu_rp",
        "realised_total_rp",
        "absorption_display",
        "dipa_number",
        "dipa_date",
    ]
    readonly_fields = ["current_pagu_rp", "realised_total_rp", "absorption_display"]
    inlines = [BudgetRevisionInline, RealisationInline]

    pagu_rp = rupiah_column("pagu", _("pagu awal"))
    current_pagu_rp = rupiah_column("current_pagu", _("pagu terkini"))
    realised_total_rp = rupiah_column("realised_total", _("realisasi kumulatif"))

    @admin.display(description=_("penyerapan"))
    def absorption_display(self, obj):
        value = obj.absorption
        return "–" if value is None else f"{value} %".replace(".", ",")

    def get_changeform_initial_data(self, request):
        """A new allocation's fund type is its year's regime (the year given, else this year's)."""
        initial = super().get_changeform_initial_data(request)
        try:
            year = int(initial.get("year") or timezone.localdate().year)
        except (TypeError, ValueError):
            year = timezone.localdate().year
        initial.setdefault("fund_type", fund_type_for(year))
        return initial


class RevisionLineInline(ProgrammeInline):
    """Which RO pagus a revision moved (written with the revision by programs.planning.revise)."""

    model = RevisionLine
    read_only = True
    fields = ["planned_output", "previous_pagu_rp", "new_pagu_rp"]
    readonly_fields = fields
    list_select_related = ["planned_output"]
    show_change_link = False
    previous_pagu_rp = rupiah_column("previous_pagu", _("pagu RO sebelum revisi"))
    new_pagu_rp = rupiah_column("new_pagu", _("pagu RO sesudah revisi"))


class BudgetRevisionAdminForm(VersionCheckedForm):
    def clean(self):
        cleaned = super().clean()
        allocation = cleaned.get("allocation")
        if self.instance.pk is None and allocation is not None and allocation.has_plan:
            self.add_error("allocation", PLAN_KEEPS_ITS_SUM)
        return cleaned


@admin.register(BudgetRevision)
class BudgetRevisionAdmin(ProgrammeAdmin):
    form = BudgetRevisionAdminForm
    list_display = ["allocation", "revised_on", "previous_pagu_rp", "new_pagu_rp", "document_number"]
    list_filter = ["allocation__year", "allocation__province"]
    list_select_related = ["allocation__province"]
    search_fields = ["allocation__province__name", "document_number", "reason"]
    autocomplete_fields = ["allocation"]
    previous_pagu_rp = rupiah_column("previous_pagu", _("pagu sebelum revisi"))
    new_pagu_rp = rupiah_column("new_pagu", _("pagu baru"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["allocation", "revised_on", "new_pagu", "reason", "document_number"]
        return ["allocation", "revised_on", "previous_pagu_rp", "new_pagu_rp", "reason", "document_number"]

    def get_readonly_fields(self, request, obj=None):
        # A revision is a record of the DIPA: its amounts stand, a mistake is corrected by a new revision.
        return [] if obj is None else ["allocation", "revised_on", "previous_pagu_rp", "new_pagu_rp"]

    def has_delete_permission(self, request, obj=None):
        # Deleting one would move the current pagu back, possibly below what is already realised.
        return False

    def get_inlines(self, request, obj):
        return [RevisionLineInline]


@admin.register(Realisation)
class RealisationAdmin(ProgrammeAdmin):
    list_display = ["allocation", "month", "amount_rp", "review_status"]
    list_filter = ["allocation__year", "allocation__province", "review_status", "month"]
    list_select_related = ["allocation__province"]
    search_fields = ["allocation__province__name", "note"]
    autocomplete_fields = ["allocation"]
    form = RealisationAdminForm
    fields = ["allocation", "month", "amount", "note", *REVIEW_FIELDS]
    # The workflow (submit, verify, return) changes these, with its record; see programs/services.py.
    readonly_fields = REVIEW_FIELDS
    amount_rp = rupiah_column("amount", _("realisasi bulan ini"))


# --- The plan (DIPA) -------------------------------------------------------------------------------------


class PlanItemAdminForm(VersionCheckedForm):
    """A new line's level and parent follow from its code (programs.planning), as on the plan's pages."""

    def clean_code(self):
        from . import planning

        code = (self.cleaned_data.get("code") or "").strip().upper()
        if planning.level_of(code) is None:
            raise ValidationError(
                _("Kode %(c)s tidak dikenali. Tulis kode bertitik seperti %(e)s.")
                % {"c": code, "e": planning.CODE_EXAMPLES}
            )
        return code

    def clean(self):
        from . import planning

        cleaned = super().clean()
        code, allocation = cleaned.get("code"), cleaned.get("allocation")
        if self.instance.pk is None and code and allocation:
            self.instance.level = planning.level_of(code)
            programs = PlanItem.objects.filter(allocation=allocation, level=PlanLevel.PROGRAM)
            program = programs.order_by("code").values_list("code", flat=True).first()
            parent = planning.parent_code(code, program=program)
            self.instance.parent = PlanItem.objects.filter(allocation=allocation, code=parent).first()
            if parent and self.instance.parent is None:
                self.add_error(
                    "code", _("Induknya, %(p)s, belum ada di rencana alokasi ini.") % {"p": parent}
                )
        if self.instance.pk is not None:  # its allocation and code are read-only once it exists
            allocation, level = self.instance.allocation, self.instance.level
        else:
            level = planning.level_of(code or "")
        pagu = cleaned.get("pagu")
        if level == PlanLevel.RO and allocation is not None and "pagu" in self.changed_data:
            others = (
                PlanItem.objects.filter(allocation=allocation, level=PlanLevel.RO)
                .exclude(pk=self.instance.pk)
                .aggregate(total=Sum("pagu"))["total"]
                or 0
            )
            allocation.refresh_totals()
            if pagu is not None and others + pagu != allocation.current_pagu:
                self.add_error(
                    "pagu",
                    _(
                        "Jumlah pagu RO harus tetap sama dengan pagu terkini %(pagu)s (RO lain: %(others)s). "
                        "Ubah pagu RO di halaman Ubah rencana, yang menyimpan semua RO sekaligus."
                    )
                    % {"pagu": rupiah(allocation.current_pagu), "others": rupiah(others)},
                )
        return cleaned


@admin.register(PlanItem)
class PlanItemAdmin(ProgrammeAdmin):
    """Repairs of single plan lines; a plan is entered and imported on its own pages (programs.planning),
    which check the rules across lines (the RO pagus add up to the current pagu) before writing."""

    list_display = ["code", "name", "level", "allocation", "target", "unit", "pagu_rp"]
    list_filter = ["allocation__year", "level", "allocation__province"]
    list_select_related = ["allocation__province"]
    search_fields = ["code", "name", "allocation__province__name"]
    ordering = ["allocation", "code"]
    autocomplete_fields = ["allocation"]
    fields = [
        "allocation",
        "code",
        "level",
        "name",
        "target",
        "unit",
        "measure",
        "product_type",
        "account",
        "spending_type",
        "pagu",
    ]
    readonly_fields = ["level", "spending_type"]
    form = PlanItemAdminForm
    pagu_rp = rupiah_column("pagu", _("pagu"))

    def get_readonly_fields(self, request, obj=None):
        # The code names the line (activities and revisions point at it); its level and parent follow from it.
        return [*self.readonly_fields, "allocation", "code"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        # A plan loses lines on its own edit page, which keeps the RO pagus' sum and the lines in use.
        return False


# --- Partners and firms ----------------------------------------------------------------------------------


@admin.register(Partner)
class PartnerAdmin(ProgrammeAdmin):
    list_display = ["name", "kind", "province", "regency"]
    list_filter = ["kind", "province"]
    list_select_related = ["province", "regency"]
    search_fields = ["name", "province__name", "regency__name"]
    fields = ["province", "regency", "name", "kind"]


@admin.register(Firm)
class FirmAdmin(ProgrammeAdmin):
    list_display = ["name", "nib", "sector", "scale", "province", "regency", "covid_affected"]
    list_filter = ["province", "sector", "scale", "covid_affected"]
    list_select_related = ["province", "regency"]
    search_fields = ["name", "nib", "owner_name", "province__name", "regency__name"]


# --- Activities and their parts --------------------------------------------------------------------------


@admin.register(Activity)
class ActivityAdmin(ProgrammeAdmin):
    list_display = [
        "title",
        "province",
        "year_plain",
        "kind",
        "sector",
        "status",
        "mode",
        "budget_rp",
        "review_status",
    ]
    list_filter = ["year", "province", "kind", "status", "sector", "mode", "review_status", "covid_response"]
    list_select_related = ["province"]
    search_fields = ["title", "province__name", "regency__name"]
    autocomplete_fields = ["allocation", "partners", "planned_output"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "allocation",
                    "province",
                    "year_plain",
                    "planned_output",
                    "title",
                    "kind",
                    "purpose",
                    "sector",
                ]
            },
        ),
        (_("Pelaksanaan"), {"fields": ["covid_response", "regency", "mode", "partners"]}),
        (
            _("Jadwal dan status"),
            {
                "fields": [
                    ("planned_start", "planned_end"),
                    ("actual_start", "actual_end"),
                    "status",
                    "status_reason",
                ]
            },
        ),
        (_("Anggaran dan peserta"), {"fields": ["budget", "target_participants", "actual_participants"]}),
        (_("Verifikasi"), {"fields": REVIEW_FIELDS}),
    ]
    readonly_fields = ["province", "year_plain", *REVIEW_FIELDS]
    inlines = [ParticipationInline, OutputInline]
    budget_rp = rupiah_column("budget", _("anggaran"))


@admin.register(Participation)
class ParticipationAdmin(ProgrammeAdmin):
    list_display = ["firm", "activity", "province", "year_plain", "note"]
    list_filter = ["year", "province"]
    list_select_related = ["firm", "activity", "province"]
    search_fields = ["firm__name", "firm__nib", "activity__title", "province__name"]
    autocomplete_fields = ["activity", "firm"]
    fields = ["activity", "firm", "note", "province", "year_plain"]
    readonly_fields = ["province", "year_plain"]


class ParticipantAdminForm(VersionCheckedForm):
    """The NIK is personal data: the stored one is shown masked and kept unless replaced or removed."""

    clear_nik = forms.BooleanField(label=_("hapus NIK tersimpan"), required=False)

    class Meta:
        model = Participant
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "nik" in self.fields and self.instance.nik:
            self.initial["nik"] = ""
            self.fields["nik"].help_text = _(
                "Tersimpan: %(nik)s. Kosongkan untuk mempertahankannya, isi untuk menggantinya."
            ) % {"nik": self.instance.masked_nik}

    def clean(self):
        data = super().clean()
        if self.instance.nik and "nik" in self.fields:
            if data.get("clear_nik"):
                data["nik"] = ""
            elif not data.get("nik"):
                data["nik"] = self.instance.nik
        return data


@admin.register(Participant)
class ParticipantAdmin(ProgrammeAdmin):
    form = ParticipantAdminForm
    list_display = ["name", "masked_nik", "sex", "activity", "province", "year_plain"]
    list_filter = ["year", "province", "sex"]
    list_select_related = ["activity", "province"]
    search_fields = ["name", "activity__title", "province__name"]
    autocomplete_fields = ["activity", "founded_firm"]
    readonly_fields = ["province", "year_plain", "masked_nik"]

    def get_fields(self, request, obj=None):
        fields = [
            "activity",
            "name",
            "nik",
            "clear_nik",
            "sex",
            "phone",
            "founded_firm",
            "province",
            "year_plain",
        ]
        if obj is not None and not self.has_change_permission(request, obj):
            return [("masked_nik" if f == "nik" else f) for f in fields if f != "clear_nik"]
        return fields if obj is not None and obj.nik else [f for f in fields if f != "clear_nik"]

    @admin.display(description=_("NIK"))
    def masked_nik(self, obj):
        return obj.masked_nik or "–"


@admin.register(Output)
class OutputAdmin(ProgrammeAdmin):
    list_display = [
        "product",
        "product_type",
        "quantity",
        "unit",
        "handed_over_total",
        "firm",
        "province",
        "year_plain",
        "meets_standard",
    ]
    list_filter = ["year", "province", "product_type", "meets_standard", "unit"]
    list_select_related = ["participation__firm", "participation__activity", "province", "buyer"]
    search_fields = [
        "product",
        "participation__firm__name",
        "participation__firm__nib",
        "activity__title",
        "province__name",
    ]
    autocomplete_fields = ["participation", "buyer"]
    readonly_fields = ["handed_over_total", "remaining", "province", "year_plain"]
    fields = [*OutputForm.Meta.fields, *readonly_fields]
    inlines = [HandoverInline]

    @admin.display(description=_("IKM"), ordering="participation__firm__name")
    def firm(self, obj):
        return obj.participation.firm

    @admin.display(description=_("sisa belum diserahkan"))
    def remaining(self, obj):
        return "–" if obj.quantity is None else obj.remaining


@admin.register(Handover)
class HandoverAdmin(ProgrammeAdmin):
    list_display = ["bast_number", "output", "quantity", "recipient_type", "recipient_display", "handed_on"]
    list_filter = ["year", "province", "recipient_type", "product_type"]
    list_select_related = ["output", "recipient", "province"]
    search_fields = [
        "bast_number",
        "recipient__name",
        "recipient_name",
        "output__product",
        "activity__title",
        "province__name",
    ]
    autocomplete_fields = ["output", "recipient"]
    fields = [
        "output",
        "handed_on",
        "quantity",
        "recipient_type",
        "recipient",
        "recipient_name",
        "bast_number",
        "product_type",
        "province",
        "year_plain",
    ]
    readonly_fields = ["product_type", "province", "year_plain"]

    @admin.display(description=_("penerima"))
    def recipient_display(self, obj):
        return obj.recipient or obj.recipient_name


# --- Workflow record -------------------------------------------------------------------------------------


@admin.register(ReviewEvent)
class ReviewEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The audit log of the workflow: read by those who may see the province, written only by services."""

    read_only = True
    list_display = [
        "at",
        "action",
        "content_type",
        "object_id_plain",
        "province",
        "year_plain",
        "to_status",
        "actor",
    ]
    list_filter = ["year", "province", "action"]
    list_select_related = ["province", "actor", "content_type"]
    search_fields = ["province__name", "note", "actor__username"]
    object_id_plain = plain_column("object_id", _("ID objek"))
    plain_columns = {"year": "year_plain", "object_id": "object_id_plain"}


@admin.register(Notification)
class NotificationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Every notice and its mail: written by programs/notices.py, mailed by the worker. A mail that failed
    (gagal) shows its last error here; "Kirim ulang surel" queues it again."""

    read_only = True
    list_display = ["created_at", "recipient", "kind", "subject", "email_status", "attempts", "read_at"]
    list_filter = ["email_status", "kind"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "recipient__username", "recipient__email", "email_error"]
    readonly_fields = ["email_error"]
    actions = ["resend_mail"]
    attempts = plain_column("email_attempts", _("percobaan kirim"))
    plain_columns = {"email_attempts": "attempts"}

    @admin.action(description=_("Kirim ulang surel"))
    def resend_mail(self, request, queryset):
        with transaction.atomic():
            count = notices.resend(queryset)
        self.message_user(request, _("%(n)s surel dimasukkan lagi ke antrean pengiriman.") % {"n": count})


# --- The cash plan (RPD) ------------------------------------------------------------------------------


@admin.register(CashPlanWindow)
class CashPlanWindowAdmin(ProgrammeAdmin):
    """The ministry opens the RPD revision windows (programs/cashplan.py: stored windows for all provinces
    replace the defaults of that year; a window for one province is added to its windows)."""

    list_display = ["year_plain", "province", "opens_on", "closes_on", "note"]
    list_filter = ["year", "province"]
    list_select_related = ["province"]
    fields = ["year", "province", "opens_on", "closes_on", "note"]

    # A window is reference data without a version number: saved and deleted as itself, with its history.
    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        obj.save()

    def delete_model(self, request, obj):
        obj._history_user = request.user
        obj.delete()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent, written elsewhere (by the workspace's services): read by admins."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.may_administer(request.user)


class CashPlanLineInline(ReadOnlyInline):
    model = CashPlanLine
    fields = ["month_plain", "spending_type", "amount_rp"]
    readonly_fields = fields
    month_plain = plain_column("month", _("bulan"))
    amount_rp = rupiah_column("amount", _("rencana"))


@admin.register(CashPlan)
class CashPlanAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """RPD versions are never changed or deleted (a change is a new version, entered on the RPD page)."""

    read_only = True
    list_display = ["allocation", "number_plain", "entered_by", "entered_at"]
    list_filter = ["allocation__year", "allocation__province"]
    list_select_related = ["allocation__province", "entered_by"]
    search_fields = ["allocation__province__name", "note"]
    fields = ["allocation", "number_plain", "entered_by", "entered_at", "note"]
    readonly_fields = fields
    inlines = [CashPlanLineInline]
    number_plain = plain_column("number", _("versi ke"))

    def revert_disabled(self, request, obj=None):
        return True


# --- Closed periods (issue 16) ----------------------------------------------------------------------------


class PeriodExceptionInline(ReadOnlyInline):
    model = PeriodException
    fields = ["province", "until", "note", "granted_by", "granted_at"]
    readonly_fields = fields


@admin.register(PeriodClosure)
class PeriodClosureAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Closed months and quarters, read here with their history: they are closed, reopened and given
    exceptions on the ministry's page /periode/ (programs/closing.py: atomic, logged)."""

    read_only = True
    list_display = ["year_plain", "kind", "period_plain", "closed_at", "closed_by", "note"]
    list_filter = ["year", "kind"]
    list_select_related = ["closed_by"]
    fields = ["year_plain", "kind", "period_plain", "closed_at", "closed_by", "note"]
    readonly_fields = fields
    inlines = [PeriodExceptionInline]
    period_plain = plain_column("period", _("periode"))
    plain_columns = {"year": "year_plain", "period": "period_plain"}

    def revert_disabled(self, request, obj=None):
        return True


@admin.register(PeriodException)
class PeriodExceptionAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """The provinces allowed to enter a closed period until a date, read here with their history (granted
    and revoked on /periode/)."""

    read_only = True
    list_display = ["closure", "province", "until", "granted_by", "granted_at", "note"]
    list_filter = ["closure__year", "closure__kind", "province"]
    list_select_related = ["closure", "province", "granted_by"]
    fields = ["closure", "province", "until", "note", "granted_by", "granted_at"]
    readonly_fields = fields

    def revert_disabled(self, request, obj=None):
        return True


# --- The working-day calendar ------------------------------------------------------------------------------


class HolidayYearFilter(admin.SimpleListFilter):
    title = _("tahun")
    parameter_name = "tahun"

    def lookups(self, request, model_admin):
        dates = model_admin.get_queryset(request).dates("date", "year")
        years = sorted({d.year for d in dates}, reverse=True)
        return [(str(y), str(y)) for y in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(Holiday)
class HolidayAdmin(ProgrammeAdmin):
    """The days off besides weekends (programs/workdays.py). The package's days are loaded by themselves; the
    ministry adds a day a decree set, or unticks "hari libur" on a package day that stays a working day.
    Whatever is saved here becomes the ministry's (source "kementerian"): no reload of the package touches
    it again."""

    list_display = ["date", "name", "kind", "is_day_off", "source", "note"]
    list_filter = [HolidayYearFilter, "kind", "source", "is_day_off"]
    search_fields = ["name", "note"]
    fields = ["date", "name", "kind", "is_day_off", "note", "source"]
    readonly_fields = ["source"]
    actions = ["reload_from_package"]

    def get_readonly_fields(self, request, obj=None):
        # A package day keeps its date (a reload would bring the old date back as a day off): untick "hari
        # libur" on it and add the right date as a day of the ministry's.
        if obj is not None and obj.source == HolidaySource.PACKAGE:
            return [*self.readonly_fields, "date"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        obj.source = HolidaySource.MINISTRY
        obj._history_user = request.user
        obj.save()

    def has_delete_permission(self, request, obj=None):
        # A package day deleted would come back with the next load: it is marked a working day instead.
        if obj is not None and obj.source == HolidaySource.PACKAGE:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        obj._history_user = request.user
        obj.delete()

    def delete_queryset(self, request, queryset):
        kept = queryset.filter(source=HolidaySource.PACKAGE).count()
        if kept:
            self.message_user(
                request,
                _(
                    "%(n)s hari dari paket tidak dihapus: hapus centang “hari libur” untuk menjadikannya "
                    "hari kerja."
                )
                % {"n": kept},
                level="warning",
            )
        with transaction.atomic():
            for obj in queryset.exclude(source=HolidaySource.PACKAGE):
                self.delete_model(request, obj)

    @admin.action(description=_("Muat ulang dari paket holidays untuk tahun baris terpilih"))
    def reload_from_package(self, request, queryset):
        for year in sorted({d.year for d in queryset.dates("date", "year")}):
            created, updated, removed = workdays.load_year(year, refresh=True)
            self.message_user(
                request,
                _(
                    "Tahun %(y)s: %(c)s ditambahkan, %(u)s diperbarui, %(r)s dihapus "
                    "(ubahan kementerian tetap)."
                )
                % {"y": year, "c": created, "u": updated, "r": removed},
            )


# --- "View on site" --------------------------------------------------------------------------------------


def scoped_view_on_site(request, content_type_id, object_id):
    """Django's /admin/r/<type>/<id>/ redirect, for objects the user may see only: it would otherwise answer
    302 for another province's record and 404 for a missing one, telling which ids exist elsewhere."""
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist as e:
        raise Http404 from e
    queryset = model._default_manager.all() if model is not None else None
    if queryset is not None and hasattr(queryset, "visible_to"):
        try:
            visible = queryset.visible_to(request.user).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404(_("Data tidak ditemukan."))
    return contenttype_views.shortcut(request, content_type_id, object_id)


def _urls_with_scoped_view_on_site(get_urls):
    def urls():
        # First, so that it answers before the admin's own route of the same name and path.
        own = path(
            "r/<int:content_type_id>/<path:object_id>/",
            admin.site.admin_view(scoped_view_on_site),
            name="view_on_site",
        )
        return [own, *get_urls()]

    return urls


admin.site.get_urls = _urls_with_scoped_view_on_site(admin.site.get_urls)
