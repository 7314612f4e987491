"""Every page of every role on a phone (390 × 844): nothing scrolls sideways, the main controls are big
enough to tap, no id is used twice, and the navigation bar of a laptop (1366 px) stays one line high.

The pages are the project's URL conf: every named URL is either a page here (how to build it for the world
of tests/test_access_matrix.py) or in NOT_PAGES with the reason, so a new URL fails
test_every_url_is_a_page_or_said_why_not until it is placed. Which of them a role opens is what the server
answers it (200, HTML, not a redirect), so the sweep follows programs/access.py instead of repeating it.
A full-page screenshot of each lands in test-artifacts/screenshots/phone/<role>/<page>.jpg.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
#: Bootstrap's navbar with one row of links: 56 px (8 px padding, 40 px row); two rows would be ~100.
ONE_LINE = 64
#: Apple's and WCAG 2.5.5's size of a target a finger hits (CSS pixels); a half pixel for rounding.
TAP = 43.5
#: Browsers sweeping at once (each a thread with its own Playwright): two cores, and a sweep mostly waits.
WORKERS = 3


def _args(name, *args, query=""):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args]) + query


def _pk(attr):
    return lambda w: getattr(w, attr).pk


def _history(kind, attr):
    return lambda w: reverse("programs:history", args=[kind, getattr(w, attr).pk])


# url name -> {page slug: url builder(world)}; every page a GET shows (whoever may open it).
PAGES = {
    "home": {"home": _args("home", query="?tahun=2020")},
    "accounts:security": {"security": _args("accounts:security")},
    "accounts:password_change": {"password-change": _args("accounts:password_change")},
    "accounts:password_change_done": {"password-change-done": _args("accounts:password_change_done")},
    "accounts:otp_enrol": {"otp-enrol": _args("accounts:otp_enrol")},
    "accounts:recovery_codes": {"recovery-codes": _args("accounts:recovery_codes")},
    "provinces:list": {"provinces": _args("provinces:list")},
    "provinces:detail": {"province-51": _args("provinces:detail", "51")},
    "reports:index": {"reports": _args("reports:index")},
    "reports:national": {"recap": _args("reports:national", query="?tahun=2020")},
    "reports:covid": {"covid": _args("reports:covid", query="?tahun=2020")},
    "reports:province": {"province-report": _args("reports:province", "51", query="?tahun=2020")},
    "reports:capaian": {"capaian": _args("reports:capaian", "51", query="?tahun=2021&bulan=6")},
    "reports:national_forms": {
        "national-forms": lambda w: reverse("reports:national_forms", kwargs={"quarter": 2}) + "?tahun=2020"
    },
    "reports:province_status": {
        "status": _args("reports:province_status", "51", query="?tahun=2020&bulan=6")
    },
    "reports:ikpa": {"ikpa": _args("reports:ikpa", query="?tahun=2020&bulan=6")},
    "reports:ikpa_province": {"ikpa-51": _args("reports:ikpa_province", "51", query="?tahun=2020&bulan=6")},
    "reports:quarterly": {
        "quarterly": lambda w: (
            reverse("reports:quarterly", kwargs={"code": "51", "quarter": 2}) + "?tahun=2020"
        )
    },
    "reports:quarterly_note": {
        "quarterly-note": lambda w: (
            reverse("reports:quarterly_note", kwargs={"code": "51", "quarter": 2}) + "?tahun=2020"
        )
    },
    "programs:activity_list": {"activities": _args("programs:activity_list")},
    "programs:activity_create": {"activity-new": _args("programs:activity_create")},
    "programs:activity_detail": {"activity": _args("programs:activity_detail", _pk("activity"))},
    "programs:activity_update": {"activity-edit": _args("programs:activity_update", _pk("activity"))},
    "programs:activity_history": {"activity-history": _args("programs:activity_history", _pk("activity"))},
    "programs:participant_import": {
        "participant-import": _args("programs:participant_import", _pk("activity"))
    },
    "programs:participant_edit": {"participant-edit": _args("programs:participant_edit", _pk("participant"))},
    "programs:output_edit": {"output-edit": _args("programs:output_edit", _pk("output"))},
    "programs:handover_add": {"handover-new": _args("programs:handover_add", _pk("output"))},
    "programs:handover_bulk": {"handover-bulk": _args("programs:handover_bulk", _pk("activity"))},
    # a GET of the submit action is its checklist (programs/checklist.py); the other actions are POSTs
    "programs:activity_transition": {
        "submit-checklist": lambda w: reverse("programs:activity_transition", args=[w.activity.pk, "ajukan"])
    },
    "programs:handover_edit": {"handover-edit": _args("programs:handover_edit", _pk("handover"))},
    "programs:firm_list": {"firms": _args("programs:firm_list")},
    "programs:firm_create": {"firm-new": _args("programs:firm_create")},
    "programs:firm_detail": {"firm": _args("programs:firm_detail", _pk("firm"))},
    "programs:firm_update": {"firm-edit": _args("programs:firm_update", _pk("firm"))},
    "programs:firm_import": {"firm-import": _args("programs:firm_import")},
    "programs:partner_list": {"partners": _args("programs:partner_list")},
    "programs:partner_create": {"partner-new": _args("programs:partner_create")},
    "programs:partner_update": {"partner-edit": _args("programs:partner_update", _pk("partner"))},
    "programs:allocation_list": {"allocations": _args("programs:allocation_list")},
    "programs:budget": {"budget": _args("programs:budget", _pk("allocation"))},
    "programs:cash_plan": {"cash-plan": _args("programs:cash_plan", _pk("allocation"))},
    "programs:cash_plan_edit": {"cash-plan-edit": _args("programs:cash_plan_edit", _pk("allocation"))},
    "programs:realisation_edit": {"realisation-edit": _args("programs:realisation_edit", _pk("realisation"))},
    "programs:review_queue": {"review-queue": _args("programs:review_queue")},
    "programs:calendar": {"calendar": _args("programs:calendar")},
    "programs:inbox": {"inbox": _args("programs:inbox")},
    "programs:periods": {"periods": _args("programs:periods", query="?tahun=2020")},
    "programs:fiscal_years": {"fiscal-years": _args("programs:fiscal_years")},
    "programs:fiscal_year_close": {"fiscal-year-close": _args("programs:fiscal_year_close", 2020)},
    "programs:fiscal_year_reopen": {"fiscal-year-reopen": _args("programs:fiscal_year_reopen", 2020)},
    "programs:package_list": {"packages": _args("programs:package_list")},
    "programs:package_detail": {"package": _args("programs:package_detail", _pk("package"))},
    "programs:achievements": {"achievements": _args("programs:achievements", _pk("plan_year"))},
    "programs:achievement_edit": {"achievement-edit": _args("programs:achievement_edit", _pk("achievement"))},
    "programs:plan": {"plan": _args("programs:plan", _pk("allocation"))},
    "programs:plan_edit": {"plan-edit": _args("programs:plan_edit", _pk("allocation"))},
    "programs:plan_import": {"plan-import": _args("programs:plan_import", _pk("allocation"))},
    # one template for every kind: the activity's, the deepest part's (a handover) and a package's
    "programs:history": {
        f"history-{kind}": _history(kind, attr)
        for kind, attr in [
            ("kegiatan", "activity"),
            ("penyerahan", "handover"),
            ("paket", "package"),
        ]
    },
}
#: The Django admin, for the admin role: its index, one changelist and one change form.
ADMIN_PAGES = {
    "admin-index": lambda w: reverse("admin:index"),
    "admin-activities": lambda w: reverse("admin:programs_activity_changelist"),
    "admin-activity": lambda w: reverse("admin:programs_activity_change", args=[w.activity.pk]),
}
#: Pages for visitors who are not signed in.
ANONYMOUS_PAGES = {"login": lambda w: reverse("login")}

POST_ONLY = "a POST action (a GET answers 405 or redirects)"
DOWNLOAD = "a download, not a page"
NOT_PAGES = {
    "login": "the sign-in page: swept for visitors (ANONYMOUS_PAGES)",
    "logout": POST_ONLY,
    "healthz": "a plain-text health check for the load balancer",
    "set_language": POST_ONLY,
    "accounts:otp_verify": "the second factor's page: swept signed in, it sends a verified user on",
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
    "programs:package_open": "a GET redirects to the package or the budget page (both swept)",
    "programs:achievement_add": POST_ONLY,
    "programs:achievement_delete": POST_ONLY,
    "programs:achievement_download": DOWNLOAD,
    "programs:attachment_add": POST_ONLY,
    "programs:attachment_download": DOWNLOAD,
    "programs:attachment_delete": POST_ONLY,
    "programs:participant_import_template": DOWNLOAD,
    "programs:plan_import_template": DOWNLOAD,
    "programs:firm_import_template": DOWNLOAD,
}


def url_names(patterns=None, namespace=""):
    """Every named URL of the project (the Django admin apart: ADMIN_PAGES)."""
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


def test_every_url_is_a_page_or_said_why_not():
    names = url_names()
    assert len(names) > 80
    unplaced = names - PAGES.keys() - NOT_PAGES.keys()
    assert not unplaced, f"place these URLs in PAGES (a page to sweep) or NOT_PAGES (why not): {unplaced}"
    assert not (PAGES.keys() | NOT_PAGES.keys()) - names, "a name here that the URL conf lost"


def phone_world(operator, operator_b, pusat, viewer, admin, kadis):
    """The access matrix's world (one of everything in Bali), with a regency operator of the activity's own
    regency (Kabupaten Bangli), who sees it, and a notice in the operator's inbox."""
    from accounts.roles import Role
    from provinces.models import Regency
    from tests.factories import make_firm, make_output, make_participation, make_user
    from tests.test_access_matrix import build_world

    world = build_world(operator, operator_b, pusat, viewer, admin, kadis=kadis)
    world.users["regop"] = make_user(
        "op-51.06", Role.REGENCY_OPERATOR, "51", regency=Regency.objects.get(code="51.06")
    )
    # Three firms with an output each, long names among them: the activity page then shows its bulk grids
    # (outputs of several firms, handovers of several outputs), which the sweep opens and measures too.
    for n, name in enumerate(
        ["IKM Konveksi Sandang Mandiri Sejahtera Abadi Kabupaten Bangli", "IKM Penjahit Tunas Harapan"], 1
    ):
        firm = make_firm("51", regency="51.06", name=name, nib=f"51060000009{n:02d}")
        make_output(make_participation(world.activity, firm), quantity=1250 * n)
    return world


#: The roles of the Acceptance: file-name slug -> the world's user key.
ROLES = {
    "operator": "op_a",
    "kepala-dinas": "kadis",
    "regency-operator": "regop",
    "pusat": "pusat",
    "viewer": "viewer",
    "admin": "admin",
}

# Opens every closed <details> of the page; [how many it opened, how many of them load their content (htmx)].
OPEN_DETAILS = """() => {
  const closed = [...document.querySelectorAll('details:not([open])')];
  closed.forEach((d) => { d.open = true; });
  return [closed.length, closed.filter((d) => d.hasAttribute('hx-get')).length];
}"""

# The elements wider than the viewport, outermost first (to say in the failure what overflows).
WIDEST = """(limit) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > limit + 0.5 && r.width > 0 && !out.some((o) => o.contains(el))) out.push(el);
  }
  return out.slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map((c) => '.' + c).join('')
    + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
}"""
DUPLICATE_IDS = """() => {
  const seen = new Set(), twice = new Set();
  for (const el of document.querySelectorAll('[id]')) (seen.has(el.id) ? twice : seen).add(el.id);
  return [...twice];
}"""
# The main controls a finger hits: buttons, fields, the menu's toggler and links, pagination.
SMALL_TARGETS = """(tap) => {
  const sel = 'main .btn, main .form-control, main .form-select, .navbar-toggler, .navbar .nav-link, '
    + '.navbar .btn, .navbar .form-select, .page-link';
  return [...document.querySelectorAll(sel)].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' && r.height < tap;
  }).slice(0, 3).map((el) => (el.id ? '#' + el.id : el.tagName.toLowerCase()
    + [...el.classList].map((c) => '.' + c).join(''))
    + ' ' + Math.round(el.getBoundingClientRect().height) + 'px');
}"""


def session_cookie(user):
    """The session cookie of `user` signed in (ministry staff and admins with the second factor passed)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def open_page(page, url):
    """Open `url`; True when it is an HTML page this user may see (200, not redirected elsewhere)."""
    response = page.goto(url, wait_until="load")
    if response is None or response.request.redirected_from is not None:
        return False
    assert response.status < 500, f"{url}: {response.status}"
    return response.status == 200 and response.headers.get("content-type", "").startswith("text/html")


def check_phone(page, role, slug, url, problems):
    """The page as a phone shows it: screenshot, sideways scroll, tap targets."""
    folder = ARTIFACTS / "phone" / role
    folder.mkdir(parents=True, exist_ok=True)
    # JPEG: a third of the time PNG takes to encode, for some 300 pages a run
    page.screenshot(path=str(folder / f"{slug}.jpg"), full_page=True, type="jpeg", quality=70)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(WIDEST, PHONE["width"])
        problems.append(f"{role} {slug} ({url}): scrollWidth {width} px > 390; widest: {wide}")
    duplicates = page.evaluate(DUPLICATE_IDS)
    if duplicates:
        problems.append(f"{role} {slug} ({url}): duplicate ids {duplicates}")
    # What folds away (the forms behind "Tambah …", the grids, the handover forms loaded when opened) must
    # fit too: every <details> opened, what it loads loaded, measured again.
    opened, loading = page.evaluate(OPEN_DETAILS)
    if opened:
        if loading:  # what an opened <details> fetches (htmx) arrives before it is measured
            page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            page.screenshot(path=str(folder / f"{slug}-opened.png"), full_page=True)
            wide = page.evaluate(WIDEST, PHONE["width"])
            problems.append(f"{role} {slug} opened ({url}): scrollWidth {width} px > 390; widest: {wide}")
        duplicates = page.evaluate(DUPLICATE_IDS)
        if duplicates:
            problems.append(f"{role} {slug} opened ({url}): duplicate ids {duplicates}")
    small = page.evaluate(SMALL_TARGETS, TAP)
    if small:
        problems.append(f"{role} {slug} ({url}): tap targets under 44 px: {small}")
    if slug == "home":  # and the bar of a laptop: one line
        page.set_viewport_size(LAPTOP)
        height = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
        page.screenshot(path=str(folder / "laptop-navbar.png"))
        page.set_viewport_size(PHONE)
        if height > ONE_LINE:
            problems.append(f"{role}: the navbar at 1366 px is {height:.0f} px high, more than one line")


@dataclass
class Job:
    """One browser context's share of a sweep: a role's cookie, its pages and what to check on each."""

    role: str
    cookie: str | None
    urls: list  # [(slug, url)]
    check: Callable  # (page, role, slug, url, problems)
    options: dict = field(default_factory=dict)
    opened: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def _run(jobs, base_url):
    """Run jobs in this thread, with a Playwright and a Chromium of its own (the sync API is per thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for job in jobs:
            context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **job.options)
            if job.cookie:
                context.add_cookies([{"name": "sessionid", "value": job.cookie, "url": base_url}])
            page = context.new_page()
            for slug, url in job.urls:
                if open_page(page, url):
                    job.opened.append(slug)
                    job.check(page, job.role, slug, url, job.problems)
            context.close()
        browser.close()


def run_in_parallel(jobs, base_url, workers=WORKERS):
    """The jobs spread over `workers` threads, longest first: the live server answers them at once while
    the browsers render (a sweep is mostly waiting), so the time is that of the longest thread."""
    lanes = [[] for _ in range(workers)]
    for job in sorted(jobs, key=lambda j: -len(j.urls)):
        min(lanes, key=lambda lane: sum(len(j.urls) for j in lane)).append(job)
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(_run, lane, base_url) for lane in lanes if lane]:
            future.result()
    return jobs


def all_pages(world, base_url):
    return [(slug, base_url + build(world)) for by_name in PAGES.values() for slug, build in by_name.items()]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.browser
@pytest.mark.slow
def test_every_page_of_every_role_fits_a_phone(
    live_server, operator, operator_b, pusat, viewer, admin, kadis
):
    world = phone_world(operator, operator_b, pusat, viewer, admin, kadis)
    base = live_server.url
    pages = all_pages(world, base)
    admin_pages = [(slug, base + build(world)) for slug, build in ADMIN_PAGES.items()]
    jobs = [
        Job(
            role,
            session_cookie(world.users[key]),
            pages + (admin_pages if role == "admin" else []),
            check_phone,
        )
        for role, key in ROLES.items()
    ]
    jobs.append(
        Job("anonymous", None, [(s, base + b(world)) for s, b in ANONYMOUS_PAGES.items()], check_phone)
    )
    for job in jobs:
        job.options = {"viewport": PHONE}
    run_in_parallel(jobs, base)
    opened = {job.role: job.opened for job in jobs}
    problems = [p for job in jobs for p in job.problems]

    assert not problems, "\n".join(problems)
    # not trivially small: every role opened its workspace, and each more than a handful of pages
    minimum = {"operator": 40, "kepala-dinas": 30, "regency-operator": 25, "pusat": 40, "viewer": 30}
    for role, n in minimum.items():
        assert len(opened[role]) >= n, (role, opened[role])
    assert len(opened["admin"]) >= len(opened["operator"]) and "admin-activity" in opened["admin"]
    assert {"activities", "firms", "partners", "allocations", "activity", "budget"} <= set(opened["operator"])
    assert "activity" in opened["regency-operator"]
    assert opened["anonymous"] == ["login"]
