"""Who may see and do what: the one access module.

A user's roles (Django groups, `accounts.roles`) and province become, here and nowhere else, the answers
every other module asks for:

- capabilities, in words: `may_enter_data(user)`, `may_review(user)`, `may_administer(user)` …;
- rows: `Model.objects.visible_to(user)`, `.editable_by(user)` and `.choices_for(user)` (the querysets
  below), and the choice lists built from them (`provinces_editable_by`, `regencies_for`,
  `allocations_open_for_entry`); a regency operator's regency narrows them (`own_regency`);
- single objects: `get_visible_or_404` (outside the scope: 404, so nobody learns what exists elsewhere)
  and `get_editable_or_403` (seen but not theirs to change: 403), the pair of healthchecks' views;
- the fiscal year: `year_open_for(user, year)` — a closed year is read-only for all but admins;
- the reporting periods: `period_open_for(user, province_id, year, kind, period)` — a month or a quarter the
  ministry closed (programs.closing) is read-only for all but admins and the provinces given an exception
  until a date; `unlocked()` below applies it to every row bound to a period, `check_period_open` to new ones;
- the workflow: `may_take(user, transition, obj)` for the actions of `programs.workflow`.

No page, form, export, import, download, API endpoint, admin view, template or service reads a scope value
or tests a role on its own (tests/test_access_vocabulary.py greps for it): adding a role is an edit here.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import GROUP_NAMES, ROLE_LABELS, Role, roles_of

from . import workflow

# programs.models builds its querysets on this module's ScopedQuerySet: the models are imported where they
# are used, not here.


class _All:
    """Scope sentinel: every province."""

    def __repr__(self):
        return "ALL"


ALL = _All()


# --- Scope: which provinces ---------------------------------------------------------------------------------


def _visible_scope(user):
    """ALL, a province id, or None (nothing) — which provinces' data the user may read."""
    roles = roles_of(user)
    if Role.ADMIN in roles or Role.MINISTRY in roles:
        return ALL
    if roles & {Role.OPERATOR, Role.HEAD, Role.REGENCY_OPERATOR}:
        return user.province_id  # provincial staff without a province see nothing
    if Role.VIEWER in roles:
        return user.province_id or ALL
    return None


def _editable_scope(user):
    """ALL, a province id, or None — whose figures the user may enter and change.

    Ministry staff verify and return but never edit a province's figures; the Kepala Dinas approves or
    returns but enters nothing; viewers only read. A regency operator's scope is their province, narrowed to
    their regency's activities by the querysets (`_regency_only`).
    """
    roles = roles_of(user)
    if Role.ADMIN in roles:
        return ALL
    if Role.OPERATOR in roles or _regency_only(user):
        return user.province_id
    return None


def _regency_only(user):
    """The regency a regency/city operator works for (their activities only), else None."""
    roles = roles_of(user)
    if Role.REGENCY_OPERATOR in roles and not roles & {Role.ADMIN, Role.OPERATOR}:
        return user.regency_id or 0  # without a regency: no activity at all
    return None


def _in(queryset, scope, lookup="province"):
    if scope is ALL:
        return queryset
    if scope is None:
        return queryset.none()
    return queryset.filter(**{lookup: scope})


# --- Capabilities -------------------------------------------------------------------------------------------


def _admin(user):
    return Role.ADMIN in roles_of(user)


def may_read(user):
    """The user may read some province's data (every signed-in role does; a user without one does not)."""
    return _visible_scope(user) is not None


def may_enter_data(user):
    """The user enters a province's data (operators, regency operators, admins): the workspace's create and
    edit pages."""
    return _editable_scope(user) is not None


def may_report(user):
    """The user enters and hands over the province's periodic reports — monthly realisation, RPD,
    achievement, the quarterly notes (provincial operators, admins; not a regency's operators)."""
    return _editable_scope(user) is not None and _regency_only(user) is None


def reads_province_totals(user):
    """The user may read a province's kept totals (the tallies, whole provinces): everyone who reads the
    province's activities — not a regency's operators, whose figures are added up from their own records."""
    return may_read(user) and _regency_only(user) is None


#: The fewest provinces a national figure shown to one province's reader may add up: with two, the reader's
#: own and one other, subtracting their own would reveal the other's.
NATIONAL_FIGURE_MIN_PROVINCES = 3


def reads_national_average(user):
    """The user may set their province against the national average (the recap of those who see one
    province): a sum over every province of at least NATIONAL_FIGURE_MIN_PROVINCES, never another
    province's row (programs/reports/recap.py, `national_average`)."""
    return may_read(user)


def is_head_of_office(user):
    """A Kepala Dinas: their home shows what awaits their approval."""
    return Role.HEAD in roles_of(user) and user.province_id is not None


def may_approve(user, province_id):
    """The user approves or returns a province's packages before the ministry sees them: that province's
    Kepala Dinas (and admins, to repair)."""
    return _admin(user) or (is_head_of_office(user) and user.province_id == province_id)


def may_review(user):
    """The user verifies, returns and reopens submissions and reports nationally (ministry staff, admins)."""
    roles = roles_of(user)
    return Role.MINISTRY in roles or Role.ADMIN in roles


def may_close_year(user):
    return may_review(user)


def may_close_periods(user):
    """Ministry staff (and admins) close months and quarters for entry and grant provinces exceptions."""
    return may_review(user)


def may_reopen_year(user):
    """Ministry staff (and admins) reopen a closed year from its page, as they close it (issue 16)."""
    return may_review(user)


def may_revise_pagu(user):
    """Revisions of the pagu come from the DIPA: recorded by admins."""
    return _admin(user)


def may_enter_plan(user):
    """The DIPA's plan (its RO, targets and pagus) is entered and imported by ministry staff and admins."""
    return may_review(user)


def may_administer(user):
    """The Django admin is for admins: users, roles, reference data and repairs of any record."""
    return _admin(user)


def may_change_closed_years(user):
    """A closed year, and records the workflow locks, stay changeable for admins (to repair them)."""
    return _admin(user)


def sees_every_province(user):
    return _visible_scope(user) is ALL


def own_province(user):
    """The province an operator, a regency operator or a Kepala Dinas works for (their home page shows its
    allocation and deadlines), else None."""
    roles = roles_of(user)
    return user.province_id if roles & {Role.OPERATOR, Role.HEAD, Role.REGENCY_OPERATOR} else None


def own_regency(user):
    """The regency a regency/city operator works for (they enter only its activities and firms), else
    None."""
    return _regency_only(user)


def needs_second_factor(user):
    """Admins and ministry staff sign in with an authenticator code."""
    roles = roles_of(user)
    return Role.ADMIN in roles or Role.MINISTRY in roles


def operators_of(province_id):
    """The active operators of a province (who are told when their data is returned)."""
    return get_user_model().objects.filter(
        province_id=province_id, groups__name=GROUP_NAMES[Role.OPERATOR], is_active=True
    )


def regency_operators_of(regency_id):
    """The active operators of a regency/city (told when their regency's activity is returned)."""
    return get_user_model().objects.filter(
        regency_id=regency_id, groups__name=GROUP_NAMES[Role.REGENCY_OPERATOR], is_active=True
    )


def heads_of(province_id):
    """The active Kepala Dinas of a province (told when a package awaits their approval)."""
    return get_user_model().objects.filter(
        province_id=province_id, groups__name=GROUP_NAMES[Role.HEAD], is_active=True
    )


def heads_of_provinces(province_ids):
    """{province id: its active Kepala Dinas} of several provinces at once, by one query (the signature
    blocks of the forms and the national bundle, before a package is approved). Of two heads of one
    province, the first by username."""
    heads = {}
    for user in (
        get_user_model()
        .objects.filter(province_id__in=province_ids, groups__name=GROUP_NAMES[Role.HEAD], is_active=True)
        .order_by("username")
    ):
        heads.setdefault(user.province_id, user)
    return heads


def ministry_staff():
    """The active ministry staff (told when a package awaits verification)."""
    return get_user_model().objects.filter(groups__name=GROUP_NAMES[Role.MINISTRY], is_active=True)


def capabilities(user):
    """What the menus show (the views decide access again on every request)."""
    return {
        "enter_data": may_enter_data(user),
        "operator": own_province(user) is not None,
        "report": may_report(user),
        "head": is_head_of_office(user),
        "review": may_review(user),
        "enter_plan": may_enter_plan(user),
        "administer": may_administer(user),
        "labels": [ROLE_LABELS[r] for r in sorted(roles_of(user))],
    }


def require(allowed):
    """403 unless `allowed` (a capability's answer)."""
    if not allowed:
        raise PermissionDenied


# --- The fiscal year ----------------------------------------------------------------------------------------


def closed_years():
    """The closed fiscal years, as a subquery."""
    from .models import FiscalYear

    return FiscalYear.objects.filter(closed_at__isnull=False).values("year")


def closed_year_set():
    """The closed fiscal years and when each was closed ({year: closed_at}; `year in` it asks whether)."""
    from .models import FiscalYear

    return dict(FiscalYear.objects.filter(closed_at__isnull=False).values_list("year", "closed_at"))


def is_year_closed(year):
    return closed_years().filter(year=year).exists()


def year_closed_at(year):
    """When the fiscal year was closed, or None while it is open."""
    from .models import FiscalYear

    closed = FiscalYear.objects.filter(year=year, closed_at__isnull=False)
    return closed.values_list("closed_at", flat=True).first()


def year_open_for(user, year, *, closed_years=None):
    """Whether the user may still change data of that fiscal year."""
    if may_change_closed_years(user):
        return True
    return year not in closed_years if closed_years is not None else not is_year_closed(year)


def check_year_open(user, year, *, closed_years=None):
    if not year_open_for(user, year, closed_years=closed_years):
        raise PermissionDenied(_("Tahun anggaran %(y)s sudah ditutup.") % {"y": year})


# --- Closed periods -----------------------------------------------------------------------------------------
# The kinds of period, as programs.models.PackageKind stores them (this module imports no model at load).
MONTHLY = "bulanan"
QUARTERLY = "triwulanan"


def _today(today=None):
    """Today in WIB (settings.TIME_ZONE): an exception's `until` is its last day there."""
    return today or timezone.localdate()


class ClosedPeriods:
    """The closed periods and the provinces excepted from each on a day, read once (two queries) for a page
    that asks about many rows: pass it as `periods=` to `period_open_for` and `may_take`."""

    def __init__(self, year=None, today=None):
        from .models import PeriodClosure, PeriodException

        today = _today(today)
        closures = PeriodClosure.objects.all() if year is None else PeriodClosure.objects.filter(year=year)
        self.closed = {(c.year, c.kind, c.period): set() for c in closures}
        excepted = PeriodException.objects.filter(until__gte=today, closure__in=closures)
        for y, kind, period, province_id in excepted.values_list(
            "closure__year", "closure__kind", "closure__period", "province_id"
        ):
            self.closed[(y, kind, period)].add(province_id)

    @classmethod
    def of_period(cls, year, kind, period, today=None):
        """Only that period's closure and the exceptions to it in force, by one query: what a transition
        asks of its one package, under the package's lock."""
        from .models import PeriodClosure

        periods = cls.__new__(cls)
        periods.closed = {}
        in_force = FilteredRelation("exceptions", condition=Q(exceptions__until__gte=_today(today)))
        rows = (
            PeriodClosure.objects.filter(year=year, kind=kind, period=period)
            .annotate(in_force=in_force)
            .values_list("in_force__province_id", flat=True)
        )
        for province_id in rows:
            excepted = periods.closed.setdefault((year, kind, period), set())
            if province_id is not None:
                excepted.add(province_id)
        return periods

    def is_open(self, province_id, year, kind, period):
        excepted = self.closed.get((year, kind, period))
        return excepted is None or province_id in excepted


def period_open_for(user, province_id, year, kind, period, today=None, *, periods=None):
    """Whether the user may still enter and hand over a province's data of a period (kind "bulanan": a
    month 1–12, "triwulanan": a quarter 1–4): no closure of the ministry covers it, or the province has an
    exception until today or later. Admins always may (to repair). `periods` (a ClosedPeriods of that day),
    when given, saves the queries."""
    if may_change_closed_years(user):
        return True
    if periods is None:
        periods = ClosedPeriods(year, today)
    return periods.is_open(province_id, year, kind, period)


def exception_in_force(exception, today=None):
    """Whether a province's exception still holds today (WIB): through its last day `until`."""
    return exception.until >= _today(today)


def period_label(year, kind, period):
    """ "Bulan Juni 2020", "Triwulan II 2020": a period at the start of a message."""
    from django.utils.text import capfirst

    from .periods import period_label as label

    return capfirst(label(kind, period, year))


def period_refusal(year, kind, period):
    """Why a closed period's data is refused."""
    return _("%(period)s sudah ditutup untuk pengisian oleh kementerian.") % {
        "period": period_label(year, kind, period)
    }


def check_period_open(user, province_id, year, kind, period, today=None, *, field=None):
    """A ValidationError (on `field`, when given) naming the period, unless the user may still enter its
    data: what the forms' clean and the services call for a new record of a period."""
    if not period_open_for(user, province_id, year, kind, period, today):
        message = period_refusal(year, kind, period)
        raise ValidationError({field: message} if field else message)


class KindField:
    """In a queryset's `period_lookups`: the period's kind is stored on the row, in this field (a package)."""

    def __init__(self, name):
        self.name = name


def _period_open_q(lookups, today=None):
    """The rows no closed period locks: a Q over subqueries (one SQL query, whatever the rows' number)."""
    from .models import PeriodClosure, PeriodException

    kind, province, year, period = lookups
    kind_value = OuterRef(kind.name) if isinstance(kind, KindField) else kind
    closure = PeriodClosure.objects.filter(year=OuterRef(year), kind=kind_value, period=OuterRef(period))
    excepted = PeriodException.objects.filter(
        closure__year=OuterRef(year),
        closure__kind=kind_value,
        closure__period=OuterRef(period),
        province=OuterRef(province),
        until__gte=_today(today),
    )
    return ~Exists(closure) | Exists(excepted)


# --- The workflow -------------------------------------------------------------------------------------------


def may_take(user, transition, obj, *, closed_years=None, periods=None):
    """Whether `user` may take `transition` (programs.workflow) on `obj`, its state aside. A closed period's
    package cannot be handed over (`periods`: a ClosedPeriods, to save the queries on a list); what was
    handed over before stays for the Kepala Dinas and the ministry to act on."""
    if not year_open_for(user, year_of(obj), closed_years=closed_years):
        return False
    if transition.who == workflow.Who.REVIEWER:
        return may_review(user)
    if transition.who == workflow.Who.HEAD:
        # Two tiers are two people: whoever prepared a package never approves or returns it themselves.
        if getattr(obj, "submitted_by_id", None) == user.pk:
            return False
        return may_approve(user, _province_of(obj))
    if transition.who == workflow.Who.PROVINCE:
        province = _province_of(obj)
        if province is None or not _in_scope(_editable_scope(user), province):
            return False
        if workflow.flow_of(obj) == workflow.Flow.PACKAGE and not period_open_for(
            user, province, year_of(obj), obj.kind, obj.period, periods=periods
        ):
            return False
        regency = _regency_only(user)
        if regency is None:
            return True
        # A regency operator hands over their regency's activities, never a province's package.
        return workflow.flow_of(obj) == workflow.Flow.ACTIVITY and obj.regency_id == regency
    return False


def refusal(transition):
    """Why a user who may not take the action is refused (403)."""
    if transition.who == workflow.Who.REVIEWER:
        return _("Hanya staf kementerian yang dapat memverifikasi.")
    if transition.who == workflow.Who.HEAD:
        return _(
            "Hanya Kepala Dinas provinsi ini yang dapat menyetujui atau mengembalikannya, dan bukan orang "
            "yang menyiapkannya."
        )
    return _("Anda tidak berhak mengajukan data ini.")


def _allocation_of(obj):
    """The allocation of a record of the workflow without a province of its own: a month's realisation's,
    a month's achievement's (by its RO)."""
    return obj.allocation if hasattr(obj, "allocation_id") else obj.planned_output.allocation


def province_of(obj):
    """The province of a record of the workflow."""
    return getattr(obj, "province_id", None) or _allocation_of(obj).province_id


_province_of = province_of


def year_of(obj):
    """The fiscal year of a record of the workflow (a month's realisation, achievement: its allocation's)."""
    return obj.year if hasattr(obj, "year") else _allocation_of(obj).year


def _in_scope(scope, province_id):
    return scope is ALL or (scope is not None and scope == province_id)


# --- Rows -----------------------------------------------------------------------------------------------


class ScopedQuerySet(models.QuerySet):
    """`visible_to(user)` and `editable_by(user)` for a model, configured by where its province, its fiscal
    year and its workflow state are."""

    #: The lookup from this model to its province.
    province_lookup = "province"
    #: The lookup to its fiscal year, whose closing locks it; None: not bound to a year.
    year_lookup = None
    #: The lookup to the workflow state that locks it once handed over; None: no workflow.
    review_lookup = None
    #: Set by the ministry (the DIPA, the workflow's log): provinces read it, only admins change it.
    set_by_ministry = False
    #: Entered by ministry staff (the plan: RO, targets): they and admins change it in an open year.
    entered_by_ministry = False
    #: The lookup to the regency whose operators alone (of the regency operators) see and change it (an
    #: activity and its parts); None: a regency operator reads it with their province.
    regency_lookup = None
    #: A regency operator may enter it (their activities, the registries of firms and partners).
    regency_entry = False
    #: The lookup to the regency a regency operator must share to change a row they otherwise read and
    #: pick (`choices_for`): a firm, a partner of another regency of the province. None: no such narrowing.
    regency_change_lookup = None
    #: Where the reporting period that locks it once the ministry closes it is: (kind — "bulanan",
    #: "triwulanan" or a KindField —, the province lookup, the year lookup, the period lookup); None: no
    #: period.
    period_lookups = None

    def visible_to(self, user):
        qs = _in(self, _visible_scope(user), self.province_lookup)
        regency = _regency_only(user)
        if regency is not None and self.regency_lookup:
            qs = qs.filter(**{self.regency_lookup: regency})
        return qs

    def editable_by(self, user):
        """What the user may change now: their provinces, minus what the workflow or a closed year locks."""
        if self.entered_by_ministry:
            if not may_enter_plan(user):
                return self.none()
            qs = self.visible_to(user)
            return qs if may_change_closed_years(user) else qs.unlocked()
        qs = self.in_editable_provinces(user)
        regency = _regency_only(user)
        if regency is not None and self.regency_change_lookup:
            qs = qs.filter(**{self.regency_change_lookup: regency})
        if may_change_closed_years(user):
            return qs
        if self.set_by_ministry:
            return qs.none()
        return qs.unlocked()

    def in_editable_provinces(self, user):
        """Rows of the provinces whose figures the user may enter, locked or not (a regency operator's:
        their regency's, of the models they enter)."""
        qs = _in(self, _editable_scope(user), self.province_lookup)
        regency = _regency_only(user)
        if regency is not None:
            if not self.regency_entry:
                return qs.none()
            if self.regency_lookup:
                qs = qs.filter(**{self.regency_lookup: regency})
        return qs

    def choices_for(self, user):
        """Rows the user may pick in their forms — a firm for their activity, a partner as its buyer —:
        those of the provinces they enter data for, theirs to change or not (a regency operator picks the
        province's firms and partners, and changes their regency's only)."""
        return self.in_editable_provinces(user)

    def unlocked(self, today=None):
        """Rows neither the workflow, nor a closed fiscal year, nor a closed period (but for a province's
        exception until `today` or later) locks."""
        qs = self
        if self.review_lookup:
            qs = qs.filter(**{f"{self.review_lookup}__in": workflow.editable_states()})
        if self.year_lookup:
            qs = qs.exclude(**{f"{self.year_lookup}__in": closed_years()})
        if self.period_lookups:
            qs = qs.filter(_period_open_q(self.period_lookups, today))
        return qs


class ReferenceQuerySet(models.QuerySet):
    """Reference data of no province (the fiscal years): every role reads it, admins change it."""

    def visible_to(self, user):
        return self if may_read(user) else self.none()

    def editable_by(self, user):
        return self if may_administer(user) else self.none()


class NationalQuerySet(models.QuerySet):
    """National figures: for those who see every province, nobody else."""

    def visible_to(self, user):
        return self if sees_every_province(user) else self.none()


def get_visible_or_404(queryset, user, **lookup):
    """The object if the user may see it; 404 otherwise, so nobody learns what exists elsewhere."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError) as e:
        raise Http404 from e


def may_edit(user, obj):
    """Whether the user may change this record now (scope, workflow state and fiscal year)."""
    return type(obj)._default_manager.editable_by(user).filter(pk=obj.pk).exists()


ACTIVITY_LOCKED = gettext_lazy(
    "Kegiatan ini sedang diverifikasi, sudah diverifikasi, atau tahun anggarannya ditutup."
)


def get_editable_or_403(queryset, user, *, refusal=None, **lookup):
    """The object if the user may change it now: 404 if they may not even see it, 403 (with `refusal`, the
    page's words for why) if it is not theirs to change or the workflow or a closed year locks it."""
    obj = get_visible_or_404(queryset, user, **lookup)
    if not queryset.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied(refusal)
    return obj


def allocations_open_for_entry(user):
    """Allocations the user may link new activities to: of the provinces they enter data for, in a year
    still open to them. The allocation itself is set by the ministry."""
    from .models import Allocation

    qs = _in(Allocation.objects.all(), _editable_scope(user))
    return qs if may_change_closed_years(user) else qs.exclude(year__in=closed_years())


def allocations_open_for_reporting(user):
    """Allocations whose periodic reports (realisation, RPD, achievement, quarterly notes) the user enters:
    as `allocations_open_for_entry`, for the province's operators and admins only."""
    from .models import Allocation

    return allocations_open_for_entry(user) if may_report(user) else Allocation.objects.none()


def may_add_realisation(user, allocation):
    """Operators (and admins) enter monthly realisation for allocations of their province in an open year."""
    return allocations_open_for_reporting(user).filter(pk=allocation.pk).exists()


def regencies_for(user):
    """Regency choices for a user's forms: those of the provinces they may edit, before or after 2022."""
    from provinces.models import Regency

    scope = _editable_scope(user)
    if scope is ALL:
        return Regency.objects.select_related("province")
    if scope is None:
        return Regency.objects.none()
    regency = _regency_only(user)
    if regency is not None:
        return Regency.objects.filter(pk=regency).select_related("province")
    return Regency.objects.filter(Q(province=scope) | Q(former_province=scope)).select_related("province")


def provinces_visible_to(user):
    """Province choices for filters: every province for national users, their own for provincial staff."""
    from provinces.models import Province

    return _in(Province.objects.all(), _visible_scope(user), "pk")


def provinces_editable_by(user):
    """Province choices for new records: every province for admins, the operator's own province."""
    from provinces.models import Province

    return _in(Province.objects.all(), _editable_scope(user), "pk")


def province_visible(user, province_id):
    """Whether the user may read data of this province (for records that no longer exist, e.g. history)."""
    return _in_scope(_visible_scope(user), province_id)


def deleted_record_visible(user, model, province_id, regency_of):
    """Whether the user may read what is left of a deleted record of `model` (its history): of a province
    they see and, for a regency operator and a model they see by regency (an activity and its parts), of
    their regency — `regency_of()` answers which, asked only then."""
    if not province_visible(user, province_id):
        return False
    regency = _regency_only(user)
    if regency is None or not model._default_manager.get_queryset().regency_lookup:
        return True
    return regency_of() == regency
