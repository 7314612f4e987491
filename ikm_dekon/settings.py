"""Settings for IKM Dekon, read from the environment (and an optional .env file).

See .env.example for every variable. Without any environment the app runs in DEBUG mode on a SQLite
file in the project: the quick start of the README.
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY wajib diisi bila DEBUG=False (SECRET_KEY is required).")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_filters",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "provinces",
    "programs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session is read and any view, form or filter queries: a NUL byte answers 400.
    "ikm_dekon.errors.RefuseNulBytesMiddleware",
    # Django's SessionMiddleware, writing a session only when it changed or its idle expiry must move.
    "accounts.middleware.SlidingSessionMiddleware",
    # Outside everything that can refuse a request (CSRF, views), so it sees every 403 and 404.
    "ikm_dekon.audit.RefusedAccessLogMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Pages of signed-in users may show personal data: never stored by a browser or proxy.
    "accounts.middleware.PrivatePagesMiddleware",
    # An admin-set password is changed first, before the second factor below is enrolled or asked for.
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # Admins and ministry staff (and anyone with a device) reach nothing but the 2FA pages until verified.
    "accounts.otp.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a lockout into its page.
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The recap's covering indexes (INCLUDE columns) exist on PostgreSQL; SQLite, the quick start's database,
# builds them without the extra columns, which only costs speed there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

ROOT_URLCONF = "ikm_dekon.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "programs.context_processors.notices",
            ],
        },
    },
]

WSGI_APPLICATION = "ikm_dekon.wsgi.application"

# The quick start runs on a SQLite file in the project; production and CI give a PostgreSQL URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A read replica (streaming replication of the same database) takes the report queries when given; see
# ikm_dekon/db_router.py. Everything else, and every write, stays on the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["ikm_dekon.db_router.ReportReplicaRouter"]
for _db in DATABASES.values():
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache: local memory of each process by default (the quick start, the tests); in production a Redis
# every web process and worker shares, CACHE_URL=redis://127.0.0.1:6379/0 (Django's own Redis backend).
# What a per-process cache may hold is only what is true in every process (code-derived text); anything a
# user or an admin can change in one process (a session, a sign-out, a role) goes through a shared cache or
# the database. SHARED_CACHE says which one this is.
_CACHE_URL = env("CACHE_URL", default="") or "locmemcache://"
CACHES = {
    "default": env.cache_url_config(
        _CACHE_URL,
        backend="django.core.cache.backends.redis.RedisCache" if _CACHE_URL.startswith("redis") else None,
    )
}
CACHES["default"].setdefault("KEY_PREFIX", env("CACHE_KEY_PREFIX", default="ikm"))
# Always this process's own memory: template fragments made of code only (the menu's links and labels per
# language and capability, the static files' hashed names), which a deploy changes and a restart forgets.
# None with DEBUG: the development server does not restart when a template is edited.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.dummy.DummyCache"
    if DEBUG
    else "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "ikm-local",
}
# Shared by every app server: named, not guessed (a file cache is shared by one host's processes only).
SHARED_CACHE = CACHES["default"]["BACKEND"] in (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
    "django.core.cache.backends.db.DatabaseCache",
)
# Sessions (accounts/sessions): read from the shared cache when there is one, always kept in the database,
# the one store every app server shares — a per-process copy would outlive a sign-out in another process.
SESSION_ENGINE = "accounts.sessions.cached_db" if SHARED_CACHE else "accounts.sessions.db"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in hardening: lock a user name from one address after repeated failures, for a finite cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address behind AXES_PROXY_COUNT reverse proxies (each appends the address it received from
# to X-Forwarded-For). Without django-ipware axes ignores its proxy settings and would count every failure
# against the proxy's address, locking a user name out for everyone: ikm_dekon.audit.client_ip reads the
# header itself, for axes and the audit trail alike.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "ikm_dekon.audit.client_ip"
# No "AXES: BEGIN" line on every command and no line per sign-in: the audit log (ikm_dekon.audit) records
# sign-ins and failures; axes' own warnings (a lockout) still reach the log.
AXES_VERBOSE = False

# Sessions end after inactivity (sliding expiry); a new session key on every sign-in (Django's login()).
# The expiry is moved by writing the session, which accounts.middleware.SlidingSessionMiddleware does only
# when the stored one lags SESSION_REFRESH_SECONDS behind (accounts/sessions): an idle session ends
# SESSION_IDLE_SECONDS after it was last written, never later, instead of a database write per request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=60 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Bahasa Indonesia first, English second; the ministry works in WIB.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["ikm_dekon.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded evidence lives outside the static files and is served only through scoped views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Several app servers share no disk: MEDIA_STORAGE=s3 keeps uploads in an S3-compatible bucket (MinIO, a
# cloud's object storage) through django-storages, private, handed out as short-lived signed URLs.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="local")
if MEDIA_STORAGE == "s3":
    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 butuh paket django-storages[s3] (pip install it).")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured("MEDIA_STORAGE harus 'local' atau 's3'.")

# Uploads: evidence files are at most 10 MB, spreadsheets for import at most 20 MB. Form data without files
# is capped by Django itself; a file over MAX_UPLOAD_SIZE is refused while it streams (ikm_dekon/uploads.py)
# and a file over FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary file rather than memory. The reverse proxy
# should cap the body a little above MAX_UPLOAD_SIZE too (nginx: client_max_body_size 21m).
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=20 * 1024 * 1024)
EVIDENCE_MAX_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "ikm_dekon.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ikm-dekon@localhost")
# The SMTP server (EMAIL_BACKEND smtp): Django's own settings, read from the environment.
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# A mail server that does not answer fails the attempt after this long (the worker retries it later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Background work: notices' mail and the daily reminders (programs/tasks.py) --------------------------
# Tasks are rows in the database (django-tasks-db), run by `manage.py run_worker` processes beside the web
# server (README: "Pekerja latar"); a request only writes the row, never sends mail itself.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# The address of the application as its users open it: the links in the mails start with it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A notice's mail is tried this many times, waiting MAIL_RETRY_MINUTES between tries (the last value
# repeats), then shown as failed (gagal) in the inbox and the admin, where it can be sent again.
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=5)
MAIL_RETRY_MINUTES = env.list("MAIL_RETRY_MINUTES", cast=int, default=[1, 5, 30, 120])
# Operators are reminded this many working days before a deadline (programs/deadlines.py).
REMINDER_WORKING_DAYS = env.int("REMINDER_WORKING_DAYS", default=3)
# The daily reminders run at this hour, WIB (TIME_ZONE).
REMINDER_HOUR = env.int("REMINDER_HOUR", default=7)

# --- Production hardening: on whenever DEBUG is off, each switch overridable from the environment. ---------
# Behind a reverse proxy that ends TLS, set SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (only if the proxy
# always sets or overwrites that header) so Django knows the request came in over https.
if env("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env("SECURE_PROXY_SSL_HEADER"), "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer's health check speaks plain http to each app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: every script, style, font and image comes from this server; nothing inline.
# Bootstrap's CSS draws its small icons (select arrows, the menu button) as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Two-factor sign-in (TOTP apps such as Google Authenticator, with single-use recovery codes).
OTP_TOTP_ISSUER = "IKM Dekon Kemenperin"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Logs: one JSON object per line (time, level, logger, message, user, province, object, path…) for a log
# shipper; LOG_FORMAT=text for people reading a console. The ikm_dekon.* loggers carry the audit trail.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "ikm_dekon.logging.JsonFormatter"},
        "text": {"()": "ikm_dekon.logging.TextFormatter"},
    },
    "filters": {"refusal_without_traceback": {"()": "ikm_dekon.logging.RefusalWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="text" if DEBUG else "json"),
            "filters": ["refusal_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"ikm_dekon": {"level": LOG_LEVEL}, "axes": {"level": "WARNING"}},
}
