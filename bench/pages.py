"""Every page of every role, for the benchmark: a slow page cannot hide, a new one cannot be forgotten.

The pages are the project's URL conf, as in tests/browser/test_phone_layout.py: every named URL is either a
page here (how to build it from real objects of a bench dataset) or in NOT_PAGES with the reason it is not
one; tests/test_bench_pages.py fails when a URL is in neither. Which pages a role opens is what the server
answers it (200 and HTML), so the walk follows programs/access.py instead of repeating it.

The issue's targets (issue 19) name ten pages; every other page is held to the larger of the two limits and
marked as not in the issue's list. Nothing here writes to the dataset: the objects are picked, not made.
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, reverse

#: The demo users (programs/management/demo.py) the walk signs in as, with the province whose objects their
#: pages show (a regency operator: the objects of their own regency).
ROLES = {
    "admin": ("51", None),
    "pusat": ("51", None),
    "viewer": ("51", None),
    "op-51": ("51", None),
    "kadis-51": ("51", None),
    "op-63.71": ("63", "63.71"),
}
#: Roles the lists are paged through as (target 5): the nation, and one province's operator.
LIST_ROLES = ("pusat", "op-51")

FAST, SLOW = 12, 25  # ms, the two limits
#: url name -> (label, limit in ms) of the pages the issue names; every other page is held to SLOW.
TARGET_PAGES = {
    "programs:activity_list": ("activity list", FAST),
    "home": ("home", FAST),
    "programs:firm_list": ("firm list", FAST),
    "reports:national": ("recap page", FAST),
    "reports:covid": ("Covid-19 report", FAST),
    "programs:activity_detail": ("activity page (25 outputs)", SLOW),
    "reports:province": ("province report", SLOW),
    "reports:quarterly": ("quarterly report", SLOW),
    "programs:review_queue": ("verification queue", SLOW),
    "reports:capaian": ("capaian", SLOW),
}
OTHER_LIMIT = SLOW
#: The lists that paginate (programs/views/common.py `paginate`, and the admin's changelist), with the
#: query parameter of their page number.
LISTS = {
    "programs:activity_list": "halaman",
    "programs:firm_list": "halaman",
    "programs:partner_list": "halaman",
    "programs:allocation_list": "halaman",
    "programs:package_list": "halaman",
    "programs:review_queue": "halaman",
    "programs:inbox": "halaman",
    "admin:programs_activity_changelist": "p",
}
#: The activity page is measured on one with this many outputs (the issue's "activity page (25 outputs)").
OUTPUTS = 25


@dataclass
class World:
    """Real objects of the dataset in one province (and regency), for the measured year."""

    code: str
    year: int
    activity: object = None
    participant: object = None
    output: object = None
    handover: object = None
    firm: object = None
    partner: object = None
    allocation: object = None
    realisation: object = None
    package: object = None
    achievement: object = None


def activity_with_outputs(year, code, regency=None):
    """The activity of the year in the province (or regency) with exactly OUTPUTS outputs, an editable one
    first (a draft or returned activity renders its forms: the dearer page), the lowest id among equals; the
    one with the most outputs when none has exactly OUTPUTS."""
    from django.db.models import Case, Count, Value, When

    from programs import workflow
    from programs.models import Activity

    activities = Activity.objects.filter(year=year, province__code=code)
    if regency:
        activities = activities.filter(regency__code=regency)
    activities = activities.annotate(n_outputs=Count("outputs"))
    editable = Case(When(review_status__in=list(workflow.editable_states()), then=Value(0)), default=Value(1))
    exact = activities.filter(n_outputs=OUTPUTS).order_by(editable.copy(), "pk").first()
    if exact:
        return exact
    return activities.order_by("-n_outputs", editable, "pk").first()


def world(year, code, regency=None):
    """The objects of the province's pages: the measured year's, or the latest year's where the measured
    year has none (the synthetic years have no packages or hand-counted achievements; few participants)."""
    from programs.models import (
        Achievement,
        Allocation,
        Firm,
        Handover,
        Participant,
        Partner,
        Realisation,
        ReportPackage,
    )

    def latest(queryset, year_field):
        return queryset.filter(**{f"{year_field}__lte": year}).order_by(f"-{year_field}", "pk").first()

    w = World(code=code, year=year)
    w.activity = activity_with_outputs(year, code, regency)
    if w.activity:
        w.output = w.activity.outputs.order_by("pk").first()
        w.handover = Handover.objects.filter(activity=w.activity).order_by("pk").first()
    participants = Participant.objects.filter(province__code=code)
    if regency:
        participants = participants.filter(activity__regency__code=regency)
    w.participant = latest(participants, "activity__year")
    firms = Firm.objects.filter(province__code=code)
    w.firm = (firms.filter(regency__code=regency) if regency else firms).order_by("pk").first()
    w.partner = Partner.objects.filter(province__code=code).order_by("pk").first()
    w.allocation = Allocation.objects.filter(province__code=code, year=year).first()
    w.realisation = Realisation.objects.filter(allocation=w.allocation).order_by("month", "pk").first()
    w.package = latest(ReportPackage.objects.filter(allocation__province__code=code), "allocation__year")
    w.achievement = latest(
        Achievement.objects.filter(planned_output__allocation__province__code=code),
        "planned_output__allocation__year",
    )
    return w


def _url(name, *args, query="", **kwargs):
    """A builder: the URL of `name`, its arguments read from the world (a callable) or given."""

    def build(w):
        values = [a(w) if callable(a) else a for a in args]
        if any(v is None for v in values):
            return None  # the dataset has no such object
        named = {k: v(w) if callable(v) else v for k, v in kwargs.items()}
        return reverse(name, args=values or None, kwargs=named or None) + query.format(year=w.year)

    return build


def _pk(attr):
    return lambda w: getattr(getattr(w, attr), "pk", None)


def _code(w):
    return w.code


Y = "?tahun={year}"
#: url name -> {page label: url builder(world)}; every page a GET shows (whoever may open it).
PAGES = {
    "home": {"home": _url("home", query=Y)},
    "accounts:security": {"security": _url("accounts:security")},
    "accounts:password_change": {"password change": _url("accounts:password_change")},
    "accounts:password_change_done": {"password changed": _url("accounts:password_change_done")},
    "accounts:otp_enrol": {"second factor enrolment": _url("accounts:otp_enrol")},
    "accounts:recovery_codes": {"recovery codes": _url("accounts:recovery_codes")},
    "provinces:list": {"provinces": _url("provinces:list")},
    "provinces:detail": {"province": _url("provinces:detail", _code)},
    "reports:index": {"reports": _url("reports:index")},
    "reports:national": {"recap page": _url("reports:national", query=Y)},
    "reports:covid": {"Covid-19 report": _url("reports:covid", query=Y)},
    "reports:province": {"province report": _url("reports:province", _code, query=Y)},
    # Each RO's achievement as of December (bench/plan.py gives the measured year its plan).
    "reports:capaian": {"capaian": _url("reports:capaian", _code, query=Y + "&bulan=12")},
    "reports:national_forms": {"national forms": _url("reports:national_forms", quarter=4, query=Y)},
    "reports:province_status": {
        "province status": _url("reports:province_status", _code, query=Y + "&bulan=12")
    },
    "reports:ikpa": {"IKPA": _url("reports:ikpa", query=Y + "&bulan=12")},
    "reports:ikpa_province": {
        "IKPA of a province": _url("reports:ikpa_province", _code, query=Y + "&bulan=12")
    },
    "reports:quarterly": {"quarterly report": _url("reports:quarterly", code=_code, quarter=4, query=Y)},
    "reports:quarterly_note": {
        "quarterly note": _url("reports:quarterly_note", code=_code, quarter=4, query=Y)
    },
    "programs:activity_list": {"activity list": _url("programs:activity_list")},
    "programs:activity_create": {"new activity": _url("programs:activity_create")},
    "programs:activity_detail": {
        "activity page (25 outputs)": _url("programs:activity_detail", _pk("activity"))
    },
    "programs:activity_update": {"activity edit": _url("programs:activity_update", _pk("activity"))},
    "programs:activity_history": {"activity history": _url("programs:activity_history", _pk("activity"))},
    "programs:participant_import": {
        "participant import": _url("programs:participant_import", _pk("activity"))
    },
    "programs:participant_edit": {"participant edit": _url("programs:participant_edit", _pk("participant"))},
    "programs:output_edit": {"output edit": _url("programs:output_edit", _pk("output"))},
    "programs:handover_add": {"new handover": _url("programs:handover_add", _pk("output"))},
    "programs:handover_bulk": {"handover grid": _url("programs:handover_bulk", _pk("activity"))},
    # a GET of the submit action is its checklist (programs/checklist.py); the other actions are POSTs
    "programs:activity_transition": {
        "submit checklist": _url("programs:activity_transition", _pk("activity"), "ajukan")
    },
    "programs:handover_edit": {"handover edit": _url("programs:handover_edit", _pk("handover"))},
    "programs:firm_list": {"firm list": _url("programs:firm_list")},
    "programs:firm_create": {"new firm": _url("programs:firm_create")},
    "programs:firm_detail": {"firm": _url("programs:firm_detail", _pk("firm"))},
    "programs:firm_update": {"firm edit": _url("programs:firm_update", _pk("firm"))},
    "programs:firm_import": {"firm import": _url("programs:firm_import")},
    "programs:partner_list": {"partner list": _url("programs:partner_list")},
    "programs:partner_create": {"new partner": _url("programs:partner_create")},
    "programs:partner_update": {"partner edit": _url("programs:partner_update", _pk("partner"))},
    "programs:allocation_list": {"allocation list": _url("programs:allocation_list")},
    "programs:budget": {"budget": _url("programs:budget", _pk("allocation"))},
    "programs:cash_plan": {"cash plan": _url("programs:cash_plan", _pk("allocation"))},
    "programs:cash_plan_edit": {"cash plan edit": _url("programs:cash_plan_edit", _pk("allocation"))},
    "programs:realisation_edit": {"realisation edit": _url("programs:realisation_edit", _pk("realisation"))},
    "programs:review_queue": {"verification queue": _url("programs:review_queue")},
    "programs:calendar": {"calendar": _url("programs:calendar")},
    "programs:inbox": {"inbox": _url("programs:inbox")},
    "programs:periods": {"periods": _url("programs:periods", query=Y)},
    "programs:fiscal_years": {"fiscal years": _url("programs:fiscal_years")},
    "programs:fiscal_year_close": {"fiscal year close": _url("programs:fiscal_year_close", lambda w: w.year)},
    "programs:fiscal_year_reopen": {
        "fiscal year reopen": _url("programs:fiscal_year_reopen", lambda w: w.year)
    },
    "programs:package_list": {"package list": _url("programs:package_list")},
    "programs:package_detail": {"package": _url("programs:package_detail", _pk("package"))},
    "programs:achievements": {"achievements": _url("programs:achievements", _pk("allocation"))},
    "programs:achievement_edit": {"achievement edit": _url("programs:achievement_edit", _pk("achievement"))},
    "programs:plan": {"plan": _url("programs:plan", _pk("allocation"))},
    "programs:plan_edit": {"plan edit": _url("programs:plan_edit", _pk("allocation"))},
    "programs:plan_import": {"plan import": _url("programs:plan_import", _pk("allocation"))},
    # one template for every kind: the activity's, the deepest part's (a handover) and a package's
    "programs:history": {
        f"history ({kind})": _url("programs:history", kind, _pk(attr))
        for kind, attr in [("kegiatan", "activity"), ("penyerahan", "handover"), ("paket", "package")]
    },
}
#: The Django admin (whoever it answers): its index, the activity changelist and one change form.
ADMIN_PAGES = {
    "admin:index": {"admin index": _url("admin:index")},
    "admin:programs_activity_changelist": {"admin activities": _url("admin:programs_activity_changelist")},
    "admin:programs_activity_change": {
        "admin activity": _url("admin:programs_activity_change", _pk("activity"))
    },
}

POST_ONLY = "a POST action (a GET answers 405 or redirects)"
DOWNLOAD = "a download, not a page (the exports are measured on their own)"
NOT_PAGES = {
    "login": "the sign-in page, for visitors: no role's page",
    "logout": POST_ONLY,
    "healthz": "a plain-text health check for the load balancer",
    "set_language": POST_ONLY,
    "accounts:otp_verify": "the second factor's page: signed in, it sends a verified user on",
    "accounts:recovery_codes_new": POST_ONLY,
    "accounts:otp_disable": POST_ONLY,
    "programs:activity_delete": POST_ONLY,
    "programs:participation_add": POST_ONLY,
    "programs:participation_new_firm": POST_ONLY,
    "programs:participant_add": POST_ONLY,
    "programs:output_add": POST_ONLY,
    "programs:output_bulk": POST_ONLY,
    "programs:participation_bulk": POST_ONLY,
    "programs:participation_delete": POST_ONLY,
    "programs:participant_delete": POST_ONLY,
    "programs:output_delete": POST_ONLY,
    "programs:handover_delete": POST_ONLY,
    "programs:firm_delete": POST_ONLY,
    "programs:partner_delete": POST_ONLY,
    "programs:allocation_detail": "the same view and path as programs:budget",
    "programs:realisation_add": POST_ONLY,
    "programs:revision_add": POST_ONLY,
    "programs:realisation_delete": POST_ONLY,
    "programs:inbox_read_all": POST_ONLY,
    "programs:inbox_read": POST_ONLY,
    "programs:period_close": POST_ONLY,
    "programs:period_reopen": POST_ONLY,
    "programs:period_exception_grant": POST_ONLY,
    "programs:period_exception_revoke": POST_ONLY,
    "programs:package_bulk": POST_ONLY,
    "programs:package_transition": POST_ONLY,
    "programs:package_open": "a GET redirects to the package or the budget page (both measured)",
    "programs:achievement_add": POST_ONLY,
    "programs:achievement_delete": POST_ONLY,
    "programs:achievement_download": DOWNLOAD,
    "programs:attachment_add": POST_ONLY,
    "programs:attachment_download": DOWNLOAD,
    "programs:attachment_delete": POST_ONLY,
    "programs:participant_import_template": DOWNLOAD,
    "programs:plan_import_template": DOWNLOAD,
    "programs:firm_import_template": DOWNLOAD,
    "bench_bare": "the bench's own bare page (bench/urls.py): the load test's floor",
}


def url_names(patterns=None, namespace=""):
    """Every named URL of the URL conf in use (the Django admin apart: ADMIN_PAGES)."""
    names = set()
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            names |= url_names(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            names.add(namespace + p.name)
    return names


def unplaced():
    """(named URLs neither measured nor excused, names here that the URL conf lost)."""
    names = url_names()
    placed = PAGES.keys() | NOT_PAGES.keys()
    return names - placed, placed - names


def limit_of(name):
    """(limit in ms, whether the issue names the page)."""
    if name in TARGET_PAGES:
        return TARGET_PAGES[name][1], True
    return OTHER_LIMIT, False


def every_page():
    """[(url name, label, builder)] of every page, the admin's last."""
    return [
        (name, label, build)
        for name, pages in {**PAGES, **ADMIN_PAGES}.items()
        for label, build in pages.items()
    ]
