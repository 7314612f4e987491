"""The ministry's pages for closing entry: the months and quarters of a year (`/periode/`), with the
exceptions granted to provinces, and the fiscal years (`/tahun-anggaran/`). The writes are
`programs.closing` and `services.close_fiscal_year` / `reopen_fiscal_year`; these pages only ask and tell.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import access, closing, services
from ..forms.fields import DATE_WIDGET
from ..models import (
    PERIODS_OF_KIND,
    YEAR_VALIDATORS,
    Allocation,
    FiscalYear,
    PackageKind,
    PeriodClosure,
    PeriodException,
    valid_period,
)
from ..periods import MONTHS
from .common import add_errors

# --- Forms ----------------------------------------------------------------------------------------------


class YearForm(forms.Form):
    tahun = forms.IntegerField(label=gettext_lazy("Tahun anggaran"), validators=YEAR_VALIDATORS)


class CloseForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Keterangan"), max_length=250, required=False)


class ExceptionForm(forms.Form):
    province = forms.TypedChoiceField(
        label=gettext_lazy("Provinsi"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("Pilih provinsinya."),
            "invalid_choice": gettext_lazy("Pilih provinsi dari daftar."),
        },
    )
    until = forms.DateField(
        label=gettext_lazy("Dibuka sampai (hari terakhir)"),
        widget=DATE_WIDGET,
        input_formats=["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"],
        error_messages={
            "required": gettext_lazy("Isi tanggal terakhir pengecualian."),
            "invalid": gettext_lazy("Tulis tanggal sebagai dd/mm/yyyy, mis. 15/06/2020."),
        },
    )
    note = forms.CharField(label=gettext_lazy("Alasan"), max_length=250, required=False)

    def __init__(self, *args, provinces, **kwargs):
        """`provinces`: {pk: Province} of the choices, read once for the page's many forms."""
        super().__init__(*args, **kwargs)
        self.provinces = provinces
        self.fields["province"].choices = [("", _("— pilih provinsi —"))] + [
            (pk, f"{p.code} {p.name}") for pk, p in provinces.items()
        ]

    def clean_province(self):
        return self.provinces[self.cleaned_data["province"]]

    def clean_until(self):
        until = self.cleaned_data["until"]
        try:
            closing.check_until(until)
        except ValidationError as e:
            raise ValidationError(e.message_dict["until"]) from e
        return until


class ConfirmForm(forms.Form):
    sure = forms.BooleanField(
        label=gettext_lazy("Saya yakin"),
        error_messages={"required": gettext_lazy("Centang “Saya yakin” untuk melanjutkan.")},
    )


# --- Periods --------------------------------------------------------------------------------------------


def _year(request, source):
    """The year the page is about (?tahun=, or the current year in WIB); None with a bound form's errors."""
    raw = source.get("tahun")
    if raw in (None, ""):
        return timezone.localdate().year, YearForm(initial={"tahun": timezone.localdate().year})
    form = YearForm(source)
    if not form.is_valid():
        return None, form
    return form.cleaned_data["tahun"], form


def _provinces(user):
    """{pk: Province}: the provinces an exception may be granted to, in code order."""
    return {p.pk: p for p in access.provinces_visible_to(user).order_by("code")}


def _periods_url(year):
    return f"{reverse('programs:periods')}?tahun={year}"


def periods(request, *, bound=None, status=200):
    """The year's twelve months and four quarters: open, or closed since when and by whom, with the provinces
    excepted; the forms to close, reopen, grant and revoke."""
    access.require(access.may_close_periods(request.user))
    year, year_form = _year(request, request.GET if bound is None else bound.get("source", request.GET))
    if year is None:
        return render(
            request,
            "programs/periods.html",
            {"year_form": year_form, "rows": [], "year": None},
            status=400,
        )
    bound = bound or {}
    closures = {
        (c.kind, c.period): c
        for c in PeriodClosure.objects.filter(year=year)
        .select_related("closed_by")
        .prefetch_related("exceptions__province", "exceptions__granted_by")
    }
    today = timezone.localdate()
    provinces = _provinces(request.user)
    rows = []
    for kind, count in PERIODS_OF_KIND.items():
        for period in range(1, count + 1):
            closure = closures.get((kind, period))
            key = (kind, period)
            exceptions = sorted(closure.exceptions.all(), key=lambda e: e.province.code) if closure else []
            rows.append(
                {
                    "kind": kind,
                    "period": period,
                    "label": MONTHS[period - 1]
                    if kind == PackageKind.MONTHLY
                    else _("Triwulan %(q)s") % {"q": period},
                    "closure": closure,
                    "exceptions": [
                        {"exception": e, "current": access.exception_in_force(e, today)} for e in exceptions
                    ],
                    "close_form": bound.get(("close", key)) or CloseForm(prefix=f"{kind}-{period}"),
                    "exception_form": (
                        bound.get(("exception", key))
                        or ExceptionForm(prefix=f"{kind}-{period}", provinces=provinces)
                    )
                    if closure
                    else None,
                }
            )
    return render(
        request,
        "programs/periods.html",
        {
            "year": year,
            "year_form": year_form,
            "months": [r for r in rows if r["kind"] == PackageKind.MONTHLY],
            "quarters": [r for r in rows if r["kind"] == PackageKind.QUARTERLY],
            "today": today,
        },
        status=status,
    )


def _period_from_post(request):
    """(year, kind, period) named by the POST; 404 for what is no period."""
    year_form = YearForm(request.POST)
    kind = request.POST.get("jenis")
    try:
        period = int(request.POST.get("periode", ""))
    except ValueError:
        period = None
    if not year_form.is_valid() or not valid_period(kind, period):
        raise Http404
    return year_form.cleaned_data["tahun"], kind, period


@require_POST
def period_close(request):
    access.require(access.may_close_periods(request.user))
    year, kind, period = _period_from_post(request)
    form = CloseForm(request.POST, prefix=f"{kind}-{period}")
    if form.is_valid():
        try:
            closing.close_period(
                year=year, kind=kind, period=period, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(
                request,
                _("%(p)s ditutup untuk pengisian.") % {"p": access.period_label(year, kind, period)},
            )
        return redirect(_periods_url(year))
    return periods(request, bound={("close", (kind, period)): form, "source": {"tahun": year}}, status=400)


@require_POST
def period_reopen(request):
    access.require(access.may_close_periods(request.user))
    year, kind, period = _period_from_post(request)
    try:
        closing.reopen_period(year=year, kind=kind, period=period, actor=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("%(p)s dibuka kembali untuk pengisian.") % {"p": access.period_label(year, kind, period)},
        )
    return redirect(_periods_url(year))


@require_POST
def exception_grant(request):
    access.require(access.may_close_periods(request.user))
    year, kind, period = _period_from_post(request)
    closure = PeriodClosure.objects.filter(year=year, kind=kind, period=period).first()
    if closure is None:
        messages.error(
            request, _("%(p)s tidak sedang ditutup.") % {"p": access.period_label(year, kind, period)}
        )
        return redirect(_periods_url(year))
    form = ExceptionForm(request.POST, prefix=f"{kind}-{period}", provinces=_provinces(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            closing.grant_exception(
                closure=closure,
                province=data["province"],
                until=data["until"],
                note=data["note"],
                actor=request.user,
            )
        except ValidationError as e:
            add_errors(form, e)
        else:
            messages.success(
                request,
                _("%(prov)s boleh mengisi %(p)s sampai %(d)s.")
                % {
                    "prov": data["province"].name,
                    "p": access.period_label(year, kind, period),
                    "d": data["until"].strftime("%d/%m/%Y"),
                },
            )
            return redirect(_periods_url(year))
    return periods(
        request, bound={("exception", (kind, period)): form, "source": {"tahun": year}}, status=400
    )


@require_POST
def exception_revoke(request, pk):
    access.require(access.may_close_periods(request.user))
    exception = access.get_visible_or_404(
        PeriodException.objects.select_related("closure", "province"), request.user, pk=pk
    )
    closure = exception.closure
    try:
        closing.revoke_exception(exception=exception, actor=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            _("Pengecualian %(prov)s untuk %(p)s dicabut.")
            % {
                "prov": exception.province.name,
                "p": access.period_label(closure.year, closure.kind, closure.period),
            },
        )
    return redirect(_periods_url(closure.year))


# --- Fiscal years ---------------------------------------------------------------------------------------


def fiscal_years(request):
    """Every fiscal year with allocations (or a closing on record): open or closed, by whom and when."""
    access.require(access.may_close_year(request.user))
    allocations = dict(
        Allocation.objects.order_by().values("year").annotate(n=Count("pk")).values_list("year", "n")
    )
    states = {fy.year: fy for fy in FiscalYear.objects.select_related("closed_by")}
    closed = access.closed_year_set()
    rows = [
        {
            "year": year,
            "allocations": allocations.get(year, 0),
            "closed_at": closed.get(year),
            "closed_by": states[year].closed_by if year in closed else None,
        }
        for year in sorted(set(allocations) | set(states), reverse=True)
    ]
    return render(
        request,
        "programs/fiscal_years.html",
        {"rows": rows, "may_reopen": access.may_reopen_year(request.user)},
    )


def _fiscal_year_confirm(request, year, *, closing_it):
    allowed = access.may_close_year if closing_it else access.may_reopen_year
    access.require(allowed(request.user))
    if not (YEAR_VALIDATORS[0].limit_value <= year <= YEAR_VALIDATORS[1].limit_value):
        raise Http404
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        action = services.close_fiscal_year if closing_it else services.reopen_fiscal_year
        try:
            action(year=year, actor=request.user)
        except FiscalYear.DoesNotExist:
            messages.error(request, _("Tahun anggaran %(y)s tidak sedang ditutup.") % {"y": year})
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            done = (
                _("Tahun anggaran %(y)s ditutup.")
                if closing_it
                else _("Tahun anggaran %(y)s dibuka kembali.")
            )
            messages.success(request, done % {"y": year})
        return redirect("programs:fiscal_years")
    return render(
        request,
        "programs/fiscal_year_confirm.html",
        {
            "form": form,
            "year": year,
            "closing": closing_it,
            "allocations": Allocation.objects.filter(year=year).count(),
        },
        status=400 if form.errors else 200,
    )


def fiscal_year_close(request, year):
    return _fiscal_year_confirm(request, year, closing_it=True)


def fiscal_year_reopen(request, year):
    return _fiscal_year_confirm(request, year, closing_it=False)
