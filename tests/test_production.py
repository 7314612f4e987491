"""Ready for production: deploy checks under production variables, the quick start still on http, health,
Content Security Policy, upload cap, structured audit logs, the replica router."""

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from ikm_dekon.audit import audit
from ikm_dekon.db_router import ReportReplicaRouter, replica_reads
from ikm_dekon.logging import JsonFormatter
from programs import services
from programs.models import Activity, Allocation
from tests.factories import PASSWORD, make_activity, make_allocation, make_firm, make_participant

BASE_DIR = Path(settings.BASE_DIR)

PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "ikm-dekon.kemenperin.go.id",
    "CSRF_TRUSTED_ORIGINS": "https://ikm-dekon.kemenperin.go.id",
}
# Variables these tests set themselves: neither a developer's shell nor the test run may change them.
_OURS = [
    *("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT"),
    *("SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS"),
    *("SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"),
    *("DATABASE_REPLICA_URL", "MEDIA_STORAGE", "LOG_FORMAT", "MAX_UPLOAD_SIZE", "CACHE_URL"),
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests need it; check --deploy rightly refuses it
]


def _env(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in _OURS}
    env.update(PRODUCTION)
    env.update({k: str(v) for k, v in overrides.items() if v is not None})
    for k in [k for k, v in overrides.items() if v is None]:
        env.pop(k, None)
    return env


def _run(args, **overrides):
    return subprocess.run(  # noqa: S603 - our own manage.py / python, an argument list
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "ssl_redirect": s.SECURE_SSL_REDIRECT, "redirect_exempt": s.SECURE_REDIRECT_EXEMPT,
    "proxy_header": list(getattr(s, "SECURE_PROXY_SSL_HEADER", None) or []),
    "hsts": s.SECURE_HSTS_SECONDS, "hsts_sub": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "session_secure": s.SESSION_COOKIE_SECURE, "csrf_secure": s.CSRF_COOKIE_SECURE,
    "session_httponly": s.SESSION_COOKIE_HTTPONLY, "csrf_httponly": s.CSRF_COOKIE_HTTPONLY,
    "frame": s.X_FRAME_OPTIONS, "csrf_origins": s.CSRF_TRUSTED_ORIGINS,
    "databases": sorted(s.DATABASES), "routers": s.DATABASE_ROUTERS,
    "media": s.STORAGES["default"]["BACKEND"], "session_engine": s.SESSION_ENGINE,
    "cache": s.CACHES["default"]["BACKEND"], "cache_location": s.CACHES["default"].get("LOCATION"),
    "max_upload": s.MAX_UPLOAD_SIZE, "data_upload": s.DATA_UPLOAD_MAX_MEMORY_SIZE,
}))
"""


def _settings(**overrides):
    result = _run(["-c", _DUMP], DJANGO_SETTINGS_MODULE="ikm_dekon.settings", **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Settings -----------------------------------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_variables():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_a_protection_is_switched_off():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], SECURE_HSTS_SECONDS=0)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_without_a_secret_key_production_refuses_to_start():
    result = _run(["manage.py", "check"], SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_protect_cookies_and_transport():
    s = _settings()
    assert s["ssl_redirect"] and s["redirect_exempt"] == ["^healthz$"]
    assert s["hsts"] >= 365 * 24 * 3600 and s["hsts_sub"]
    assert s["session_secure"] and s["csrf_secure"] and s["session_httponly"] and s["csrf_httponly"]
    assert s["frame"] == "DENY"
    assert s["csrf_origins"] == ["https://ikm-dekon.kemenperin.go.id"]
    assert s["proxy_header"] == []  # only behind a proxy that sets the header, by choice
    # Without a shared cache: each process's own memory for the cache, the sessions in the database only.
    assert s["session_engine"] == "accounts.sessions.db"  # shared by every app server
    assert s["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["max_upload"] == 20 * 1024 * 1024 and s["data_upload"] <= 3 * 1024 * 1024


def test_behind_a_reverse_proxy_the_switches_come_from_the_environment():
    s = _settings(SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO", SECURE_SSL_REDIRECT="False")
    assert s["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["ssl_redirect"] is False


def test_the_quick_start_keeps_plain_http_on_localhost():
    s = _settings(DEBUG="True", SECRET_KEY=None)
    assert not s["ssl_redirect"] and not s["session_secure"] and not s["csrf_secure"] and s["hsts"] == 0


def test_a_replica_url_adds_the_replica_and_its_router():
    s = _settings(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/ikm_dekon")
    assert s["databases"] == ["default", "replica"]
    assert s["routers"] == ["ikm_dekon.db_router.ReportReplicaRouter"]
    assert _settings()["routers"] == []


def test_uploads_on_s3_need_django_storages():
    result = _run(["-c", _DUMP], DJANGO_SETTINGS_MODULE="ikm_dekon.settings", MEDIA_STORAGE="s3")
    try:
        import storages  # noqa: F401
    except ImportError:
        assert result.returncode != 0 and "django-storages" in result.stderr
    else:
        assert "storages.backends.s3.S3Storage" in result.stdout


# --- Health -------------------------------------------------------------------------------------------------

_HEALTH = """
import django
django.setup()
from django.test import Client
c = Client(HTTP_HOST="ikm-dekon.kemenperin.go.id")
r = c.get("/healthz")
print(r.status_code, repr(r.content), c.get("/masuk/").status_code)
"""


def test_healthz_answers_200_with_the_database_up_over_plain_http(tmp_path):
    up = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'up.sqlite3'}"
    result = _run(["-c", _HEALTH], DJANGO_SETTINGS_MODULE="ikm_dekon.settings", DATABASE_URL=up)
    assert result.returncode == 0, result.stderr
    # the load balancer's http check is answered; every other page is sent to https
    assert result.stdout.split() == ["200", "b'ok\\n'", "301"]


def test_healthz_answers_503_without_detail_when_the_database_is_unreachable():
    closed = "postgres://ikm:rahasia@127.0.0.1:9/ikm_dekon"  # nothing listens on port 9
    result = _run(["-c", _HEALTH], DJANGO_SETTINGS_MODULE="ikm_dekon.settings", DATABASE_URL=closed)
    assert result.returncode == 0, result.stderr
    status, body, _ = result.stdout.split()
    assert status == "503"
    assert body == "b'unavailable\\n'"  # no host, port, driver or error text


@pytest.mark.django_db
def test_healthz_is_exempt_from_the_https_redirect(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz").status_code == 200
        redirected = client.get(reverse("login"))
        assert redirected.status_code == 301 and redirected.url.startswith("https://")


# --- Content Security Policy, frames, inline code -----------------------------------------------------------


class _InlineFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


def inline_code(html):
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


def _assert_csp(response):
    policy = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_sign_in_page_sends_the_policy_and_has_no_inline_code(client):
    response = client.get(reverse("login"))
    _assert_csp(response)
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operator", "pusat", "admin"])
def test_signed_in_pages_send_the_policy_and_have_no_inline_code(client, role, request):
    user = request.getfixturevalue(role)
    allocation = make_allocation("51", 2020)
    activity = make_activity(allocation)
    firm = make_firm("51")
    client.force_login(user)
    pages = [
        reverse("home"),
        reverse("programs:activity_list"),
        reverse("programs:activity_detail", args=[activity.pk]),
        reverse("programs:firm_detail", args=[firm.pk]),
        reverse("programs:budget", args=[allocation.pk]),
        reverse("accounts:security"),
    ]
    if role == "admin":
        pages += ["/admin/", reverse("admin:programs_activity_change", args=[activity.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_csp(response)
        assert inline_code(response.content.decode()) == [], url


@pytest.mark.django_db
def test_the_enrolment_page_draws_its_qr_code_without_inline_code(client, pusat):
    client.post(reverse("login"), {"username": pusat.username, "password": PASSWORD})
    response = client.get(reverse("accounts:otp_enrol"))
    _assert_csp(response)
    assert inline_code(response.content.decode()) == []


_TEMPLATE_RULES = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style>": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style= attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "on…= handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on (needs eval)": re.compile(r"\shx-on", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_has_inline_scripts_styles_or_handlers():
    found = []
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for what, rule in _TEMPLATE_RULES.items():
            found += [f"{path.relative_to(BASE_DIR)}: {what}" for _ in rule.findall(text)]
    assert found == []


# --- Upload cap ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_upload_over_the_cap_is_refused_while_it_streams(client):
    with override_settings(MAX_UPLOAD_SIZE=4096):
        small = SimpleUploadedFile("bukti.pdf", b"%PDF" + b"x" * 1000)
        assert (
            client.post(reverse("login"), {"username": "x", "password": "y", "f": small}).status_code == 200
        )
        big = SimpleUploadedFile("bukti.pdf", b"%PDF" + b"x" * 5000)
        assert client.post(reverse("login"), {"username": "x", "password": "y", "f": big}).status_code == 400


# --- Structured logs ----------------------------------------------------------------------------------------


def _records(caplog, event):
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def _json(record):
    return json.loads(JsonFormatter().format(record))


def test_a_log_line_is_one_json_object_with_the_audit_context(caplog):
    with caplog.at_level(logging.INFO, logger="ikm_dekon"):
        audit("export", user="pusat", province=17, object="Allocation:3", rows=38)
    line = JsonFormatter().format(caplog.records[-1])
    assert "\n" not in line
    entry = json.loads(line)
    assert {"time", "level", "logger", "message", "user", "province", "object"} <= set(entry)
    assert entry["logger"] == "ikm_dekon.audit"
    assert (entry["event"], entry["user"], entry["province"], entry["object"], entry["rows"]) == (
        "export",
        "pusat",
        17,
        "Allocation:3",
        38,
    )


@pytest.mark.django_db
def test_sign_ins_failed_sign_ins_and_lockouts_are_logged(client, operator, caplog):
    with caplog.at_level(logging.INFO, logger="ikm_dekon"):
        client.post(reverse("login"), {"username": "op-51", "password": PASSWORD})
        client.post(reverse("logout"))
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("login"), {"username": "op-51", "password": "salah"})
    signed_in = _json(_records(caplog, "sign_in")[0])
    assert (signed_in["user"], signed_in["province"]) == ("op-51", operator.province_id)
    assert _records(caplog, "sign_out")
    failed = [_json(r) for r in _records(caplog, "sign_in_failed")]
    assert failed and all(f["user"] == "op-51" and f["level"] == "WARNING" for f in failed)
    assert "salah" not in json.dumps(failed)  # never the password
    locked = _json(_records(caplog, "lockout")[0])
    assert locked["user"] == "op-51" and locked["ip"] == "127.0.0.1"


@pytest.mark.django_db
def test_refused_access_to_another_provinces_record_is_logged_with_who_and_where(client, operator, caplog):
    firm = make_firm("63", regency="63.71")
    client.force_login(operator)
    url = reverse("programs:firm_detail", args=[firm.pk])
    with caplog.at_level(logging.INFO, logger="ikm_dekon"):
        assert client.get(url).status_code == 404
        assert client.post(reverse("accounts:otp_disable")).status_code == 403
    not_found, forbidden = (_json(r) for r in caplog.records if r.name == "ikm_dekon.access")
    assert (not_found["user"], not_found["province"], not_found["path"], not_found["status"]) == (
        "op-51",
        operator.province_id,
        url,
        404,
    )
    assert (forbidden["event"], forbidden["status"], forbidden["level"]) == ("forbidden", 403, "WARNING")


@pytest.mark.django_db
def test_workflow_transitions_are_logged_with_user_province_and_object(operator, caplog):
    activity = make_activity(make_allocation("51", 2020))
    make_participant(activity)  # submittable: it has a participant (programs/checklist.py)
    with caplog.at_level(logging.INFO, logger="ikm_dekon"):
        services.submit(obj=activity, actor=operator)
    entry = _json(next(r for r in caplog.records if r.name == "ikm_dekon.workflow"))
    assert entry["user"] == "op-51"
    assert entry["province"] == activity.province_id
    assert entry["object"] == f"Activity:{activity.pk}"


# --- Read replica -------------------------------------------------------------------------------------------


def test_report_reads_go_to_the_replica_and_everything_else_to_the_primary():
    router = ReportReplicaRouter()
    assert router.db_for_read(Allocation) is None  # Django's default: the primary
    with replica_reads():
        assert router.db_for_read(Allocation) == "replica"
        assert router.db_for_write(Activity) == "default"
    assert router.db_for_read(Allocation) is None
    assert router.allow_migrate("default", "programs") and not router.allow_migrate("replica", "programs")


def test_a_redis_cache_url_gives_the_shared_cache_and_sessions_read_from_it():
    s = _settings(CACHE_URL="redis://127.0.0.1:6379/3")
    assert s["cache"] == "django.core.cache.backends.redis.RedisCache"  # Django's own, the `redis` package
    assert s["cache_location"] == "redis://127.0.0.1:6379/3"
    # read from the cache every worker shares, written through to the database
    assert s["session_engine"] == "accounts.sessions.cached_db"
