"""Settings shared by every environment.

One ``env`` (django-environ). The embedded default needs no variable at all: SQLite in ``var/``
and Celery over kombu's filesystem transport in ``var/celery/``. Production sets
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis); see README.
"""

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

# .env was read into the environment before these settings were chosen (config/environment.py)
env = environ.Env()

with (BASE_DIR / "pyproject.toml").open("rb") as fh:
    PORTAL_VERSION = tomllib.load(fh)["project"]["version"]

DEBUG = env.bool("DEBUG", default=False)
DEMO_DATA_ALLOWED = True  # `seed_demo` (accounts with a known password); production turns it off
SECRET_KEY = env("SECRET_KEY", default="")  # dev/test give a default; production requires it
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django_ratelimit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    # the portal
    "core",
    "accounts",
    "areas",
    "audit",
    "portal",
    "beneficiaries",
    "applications",
    "settlements",
    "relief",
    "payments",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # after sessions, sign-in, messages and CSRF: no ID number in any URL (searches by token)
    "core.sealed_query.SealedQueryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "audit.middleware.RequestContextMiddleware",
    # a reading page reads a thing once however many of its parts show it (core/memo.py)
    "core.memo.RequestMemoMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # AxesMiddleware last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            "builtins": ["core.templatetags.fmt"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the worker and beat share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL in production: the role the portal runs as, when ``migrate`` runs as the tables'
# owner (docs/production.md: two roles). The runtime role may only INSERT into and SELECT from the
# audit trail (audit/db.py: ``runtime_grants``, applied at the end of every migrate).
DATABASE_RUNTIME_ROLE = env("DATABASE_RUNTIME_ROLE", default="")

# --- accounts and sign-in -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must come first: refuses locked-out sign-ins
    # Django's, reading the user with the area every page's header names (one query, not three)
    "accounts.backends.AreaModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 2.0: three of upper, lower, digits, symbols (demo123456 is refused for real accounts)
    {"NAME": "accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

# Lockout (django-axes): after AXES_FAILURE_LIMIT failed sign-ins the *account* is locked for
# AXES_COOLOFF_MINUTES. By username, not by address: a township office signs in from one
# address, and one clerk's typos must not lock out the whole window.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 recommends adding the address; we don't, for the reason above (shared office NAT).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address behind the proxy, the same for lockout, the status page's limits and the
# audit trail: X-Forwarded-For is read only from the proxies listed here (core/clientaddr.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "core.clientaddr.client_ip"
RATELIMIT_IP_META_KEY = "core.clientaddr.client_ip"

# Session ends after SESSION_IDLE_MINUTES without a request: the expiry moves on when the session is
# saved, at most once a minute (accounts.middleware.IdleSessionMiddleware), not on every request.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Content-Security-Policy (built into Django 6): only our own vendored assets, no inline script.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- language, time, money ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files ------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded scans live outside the web root and are served only through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# the built user guide (帮助, portal/help.py): `manage.py build_guide`, or built on first request
HELP_DIR = Path(env("HELP_DIR", default=str(VAR_DIR / "help")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- keys of the identifiers encrypted at rest (core/crypto.py) -------------------------------
# From the environment or a key file, never the database. FIELD_ENCRYPTION_KEYS: "<id>:<algorithm>:
# <base64>" separated by commas, the first one seals, every one opens (rotation); BLIND_INDEX_KEY:
# base64 of 32 bytes, the HMAC key of the exact-lookup index. `manage.py rotate_keys --generate`.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="")
PORTAL_KEY_FILE = env(
    "PORTAL_KEY_FILE", default=""
)  # JSON {"encryption": [...], "blind_index": ...}
PORTAL_KEY_FILE_CREATE = False  # development makes its own file the first time

# Identity data files from the departments (CSV/XLSX).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# A checked file's staged rows (sealed ID numbers) are kept this long for its confirmation; after
# that they go, and a later confirmation reads the file again (beneficiaries.StagedRow)
IMPORT_STAGED_DAYS = env.int("IMPORT_STAGED_DAYS", default=7)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # JSON pushes

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery -------------------------------------------------------------------------------
# Default: kombu's filesystem transport, a real broker with no server (web, worker and beat
# exchange messages through files in var/celery). Production: CELERY_BROKER_URL=redis://...
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_FILESYSTEM_DIR = Path(env("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))


def filesystem_transport_options(folder: Path) -> dict[str, object]:
    """kombu's filesystem transport: one folder of message files shared by producers and workers."""
    (folder / "queue").mkdir(parents=True, exist_ok=True)
    (folder / "control").mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


# Every broker operation is bounded, in every settings module: a broker that is down or hung
# (accepts connections, never answers) costs a request at most about CONNECT + SOCKET seconds, once
# per BROKER_RETRY_AFTER seconds per process; the task waits in the outbox (core.queueing).
BROKER_CONNECT_TIMEOUT = env.float("BROKER_CONNECT_TIMEOUT", default=0.5)
BROKER_SOCKET_TIMEOUT = env.float("BROKER_SOCKET_TIMEOUT", default=1.0)
BROKER_RETRY_AFTER = env.float("BROKER_RETRY_AFTER", default=30.0)


def broker_transport_options(url: str, folder: Path) -> dict[str, object]:
    if url.startswith("filesystem://"):
        return filesystem_transport_options(folder)
    return {
        # a task whose worker died is delivered again after this long (imports also resume
        # sooner: beneficiaries' stalled-job sweep)
        "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=3600),
        "socket_timeout": BROKER_SOCKET_TIMEOUT,
        "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
        "retry_on_timeout": False,
        "max_retries": 0,
    }


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, CELERY_FILESYSTEM_DIR)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=60.0)
# Tasks the broker could not take when queued are sent this often once it is back.
OUTBOX_RELAY_SECONDS = env.float("OUTBOX_RELAY_SECONDS", default=30.0)
# A task the broker took and no worker finished within this long (a Redis restarted without
# persistence lost it; or no worker runs) is sent again, the wait doubling after each send, at
# most OUTBOX_MAX_SENDS times in all (core/queueing.py).
OUTBOX_RESEND_SECONDS = env.float("OUTBOX_RESEND_SECONDS", default=120.0)
OUTBOX_MAX_SENDS = env.int("OUTBOX_MAX_SENDS", default=6)
# An import whose worker has not reported for this long is taken up again by the sweep.
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=120)
JOB_SWEEP_SECONDS = env.float("JOB_SWEEP_SECONDS", default=60.0)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=5)
REMINDER_SWEEP_SECONDS = env.float("REMINDER_SWEEP_SECONDS", default=900.0)
MONITORING_HOUR = env.int("MONITORING_HOUR", default=2)  # 02:30 Asia/Shanghai
MONITORING_MINUTE = env.int("MONITORING_MINUTE", default=30)
# Or every N seconds instead of nightly (tests; a city that wants the warnings hourly).
MONITORING_EVERY_SECONDS = env.int("MONITORING_EVERY_SECONDS", default=0)
# The folder the platform's daily settlement files are dropped in, and how often beat looks.
PLATFORM_FEED_DIR = Path(env("PLATFORM_FEED_DIR", default=str(VAR_DIR / "platform-feed")))
PLATFORM_FEED_SECONDS = env.float("PLATFORM_FEED_SECONDS", default=600.0)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "portal.tasks.record_heartbeat",
        "schedule": HEARTBEAT_SECONDS,
    },
    "outbox-relay": {
        "task": "core.tasks.relay_outbox",
        "schedule": OUTBOX_RELAY_SECONDS,
    },
    "stalled-imports": {
        "task": "beneficiaries.tasks.resume_stalled_imports",
        "schedule": JOB_SWEEP_SECONDS,
    },
    # Promise reminders and any notification the broker could not take at the time: idempotent,
    # so running it often costs nothing and a missed run loses nothing.
    "promise-reminders": {
        "task": "applications.tasks.sweep_reminders",
        "schedule": REMINDER_SWEEP_SECONDS,
    },
    # Burdens and illness-poverty warnings: incremental (only people whose data changed), nightly.
    # 医疗救助统计月报: every morning; only the month's first working day makes last month's reports.
    "monthly-reports": {
        "task": "monitoring.tasks.monthly_reports",
        "schedule": crontab(hour=6, minute=30),
    },
    # 多部门会商: every morning; only each county's agenda day (agenda.workday) makes the agenda.
    "joint-review-agendas": {
        "task": "monitoring.tasks.joint_review_agendas",
        "schedule": crontab(hour=6, minute=45),
    },
    # The national platform's settlement files dropped in a folder (its daily export).
    "platform-feed": {
        "task": "beneficiaries.tasks.collect_platform_feed",
        "schedule": PLATFORM_FEED_SECONDS,
    },
    "monitoring-recompute": {
        "task": "monitoring.tasks.recompute_monitoring",
        "schedule": MONITORING_EVERY_SECONDS
        or crontab(hour=MONITORING_HOUR, minute=MONITORING_MINUTE),
    },
}

# --- Cache (the status page's rate limits) ---------------------------------------------------
# Embedded default: the web process's memory (one runserver process). Production: Redis, shared by
# every gunicorn worker, so a limit holds across them (CACHE_URL=redis://…/1).
CACHE_RETRY_AFTER = env.float("CACHE_RETRY_AFTER", default=30.0)


def cache_config(config: dict[str, Any]) -> dict[str, Any]:
    """Redis through core.cache.ResilientRedisCache, every socket operation bounded."""
    if config["BACKEND"].endswith("RedisCache"):
        config["BACKEND"] = "core.cache.ResilientRedisCache"
        config.setdefault("OPTIONS", {}).update(
            socket_connect_timeout=BROKER_CONNECT_TIMEOUT, socket_timeout=BROKER_SOCKET_TIMEOUT
        )
    return config


CACHES = {"default": cache_config(env.cache("CACHE_URL", default="locmemcache://"))}
STATUS_RATE_PER_ADDRESS = env("STATUS_RATE_PER_ADDRESS", default="20/10m")
STATUS_RATE_PER_NUMBER = env("STATUS_RATE_PER_NUMBER", default="5/10m")
# 网上补交 (issue 39): the SMS code's life, how many codes an application and an address may ask
# for, the size photos are shrunk to, files per material (local settings: the seeds name none)
ONLINE_CODE_MINUTES = env.int("ONLINE_CODE_MINUTES", default=5)
ONLINE_CODE_RATE_PER_APPLICATION = env("ONLINE_CODE_RATE_PER_APPLICATION", default="3/15m")
ONLINE_CODE_RATE_PER_ADDRESS = env("ONLINE_CODE_RATE_PER_ADDRESS", default="10/h")
ONLINE_IMAGE_MAX_SIDE = env.int("ONLINE_IMAGE_MAX_SIDE", default=2000)  # px, photos shrunk to this
ONLINE_FILES_PER_MATERIAL = env.int("ONLINE_FILES_PER_MATERIAL", default=5)
RATELIMIT_USE_CACHE = "default"
# django-ratelimit asks for a cache shared between processes; the embedded default runs one web
# process, and production sets CACHE_URL to Redis.
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Applications ---------------------------------------------------------------------------
PROMISE_DAYS = env.int("PROMISE_DAYS", default=7)  # calendar days to bring missing materials
PROMISE_REMIND_DAYS = env.int("PROMISE_REMIND_DAYS", default=2)  # remind this many days before
TIME_LIMIT_TOWNSHIP_DAYS = env.int("TIME_LIMIT_TOWNSHIP_DAYS", default=10)  # working days
TIME_LIMIT_COUNTY_DAYS = env.int("TIME_LIMIT_COUNTY_DAYS", default=10)
TIME_LIMIT_PAYMENT_DAYS = env.int("TIME_LIMIT_PAYMENT_DAYS", default=10)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
NOTIFICATION_BACKEND = env("NOTIFICATION_BACKEND", default="applications.notify.LoggingBackend")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)
SMS_SIGN = env("SMS_SIGN", default="医疗救助")
# The address applicants reach the status page at (printed on letters and in their QR codes).
PORTAL_PUBLIC_URL = env("PORTAL_PUBLIC_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # ID numbers and account numbers are masked in every line (core.logmask)
    "filters": {"mask": {"()": "core.logmask.MaskingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO: keep its warnings (missing fonts, bad CSS) only.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
