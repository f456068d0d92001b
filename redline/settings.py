"""Django settings for Redline.

Configuration comes only from REDLINE_* environment variables (documented in
docs/configuration.md). Defaults are safe: DEBUG is off unless asked for, and
outside the demo (REDLINE_DEMO=1) a missing REDLINE_SECRET_KEY stops start-up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from redline.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(env_str("REDLINE_VAR_DIR", str(BASE_DIR / "var")) or "").resolve()
NODE_MODULES = Path(env_str("REDLINE_NODE_MODULES", str(BASE_DIR / "node_modules")) or "")

DEMO = env_bool("REDLINE_DEMO", False)
DEBUG = env_bool("REDLINE_DEBUG", False)


def _secret_key() -> str:
    key = env_str("REDLINE_SECRET_KEY")
    if key:
        return key
    if os.environ.get("REDLINE_COMPUTE_ONLY") == "1":
        # Set by `redline` for commands that only compute (no database, no sessions,
        # nothing signed): a throw-away key, so they run on any machine.
        return secrets.token_urlsafe(50)
    if DEMO:
        # The demo keeps a random key of its own under var/, never a key in the code.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path = VAR_DIR / "demo-secret-key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
        return path.read_text().strip()
    raise ImproperlyConfigured(
        "REDLINE_SECRET_KEY is not set. Set it to a long random string "
        "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or set REDLINE_DEMO=1 to run the demo with a generated key."
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("REDLINE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("REDLINE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Its GinIndex/OpClass and TrigramExtension (name search, `redline.core.trigram`); on
    # other databases it does nothing.
    "django.contrib.postgres",
    "django_htmx",
    "axes",
    "ninja",
    "redline.core",
    "redline.accounts",
    "redline.organisations",
    "redline.risk",
    "redline.hazards",
    "redline.inspections",
    "redline.committee",
    "redline.campaigns",
    "redline.epidemic",
    "redline.medical",
    "redline.training",
    "redline.accidents",
    "redline.assessment",
    "redline.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "redline.core.metrics.MetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "redline.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "redline.core.middleware.RequestContextMiddleware",
    "redline.core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "redline.core.security.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "redline.urls"
WSGI_APPLICATION = "redline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "redline.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("REDLINE_DATABASE_URL", f"sqlite:///{VAR_DIR / 'redline.sqlite3'}") or "",
        conn_max_age=env_int("REDLINE_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,  # a kept connection the server ended is reopened, not a 500
    )
}
# The cache: each process's memory in the embedded default; Redis in the scaled
# configuration, shared by every web process and worker.
CACHE_URL = env_str("REDLINE_CACHE_URL", "") or ""
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDLINE_CACHE_URL must be a Redis address (redis://host:port/db); got {CACHE_URL!r}"
    )
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "redline",
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Results slow to compute and kept for every process and across restarts (the detection
    # evaluation's alarms): the shared cache when there is one, else files under the var dir.
    "kept": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "redline-kept",
        }
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "kept"),
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    ),
}

# Sessions are kept in the database, so signing out ends them everywhere; they are written
# only when they change (sign-in, sign-out), never on every request. With the shared cache
# of the scaled configuration they are read from the cache (a per-process cache could not
# be told of a sign-out in another process, so the embedded default reads the database).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHE_URL
    else "django.contrib.sessions.backends.db"
)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE transactions take the write lock up front, so two writers queue
        # instead of failing halfway; WAL lets readers go on while one writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Planner costs for storage where random reads are nearly as cheap as sequential ones
    # (SSD, or data in memory): index-only scans of the ledger's and dashboard's covering
    # indexes are then chosen. Set REDLINE_PG_RANDOM_PAGE_COST=4 for spinning disks.
    _page_cost = env_str("REDLINE_PG_RANDOM_PAGE_COST", "1.1") or "1.1"
    try:
        float(_page_cost)
    except ValueError:
        raise ImproperlyConfigured("REDLINE_PG_RANDOM_PAGE_COST: give a number, e.g. 1.1") from None
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c random_page_cost={_page_cost}"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login protection: lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("REDLINE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("REDLINE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Cookies: secure unless the operator says the site is served over plain HTTP
# (the local demo is). HttpOnly and SameSite always.
SECURE_COOKIES = env_bool("REDLINE_SECURE_COOKIES", not (DEMO or DEBUG))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("REDLINE_SESSION_HOURS", 12, minimum=1) * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("REDLINE_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies in front of Redline (gunicorn trusts their forwarded scheme): a request from one
# of them is from the address it names in X-Forwarded-For (the public report's limit, the
# sign-in lock-out and the change log count clients, not the proxy). "*" trusts any peer.
REDLINE_FORWARDED_ALLOW_IPS = env_list("REDLINE_FORWARDED_ALLOW_IPS", ["127.0.0.1"])
AXES_CLIENT_IP_CALLABLE = "redline.core.middleware.client_ip"
# HSTS on answers over HTTPS (Django sends it only there): a year by default where the
# cookies are Secure, i.e. where the site is served over HTTPS; 0 turns it off.
SECURE_HSTS_SECONDS = env_int(
    "REDLINE_HSTS_SECONDS", 365 * 24 * 3600 if SECURE_COOKIES else 0, minimum=0
)
# No script but the site's own files (no inline script, no eval); inline styles are allowed
# (the templates' <style> blocks, ECharts' tooltips, htmx's indicator style).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Browser features: the camera for the inspectors' photos on the phone checklist; no others.
REDLINE_PERMISSIONS_POLICY = {
    "camera": "(self)",
    "geolocation": "()",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "serial": "()",
    "bluetooth": "()",
    "magnetometer": "()",
    "gyroscope": "()",
    "accelerometer": "()",
    "display-capture": "()",
    "fullscreen": "()",
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("REDLINE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Third-party front-end files come from node_modules (npm ci against package-lock.json).
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files (photos, evidence, reports; redline.core.uploads): at most this many MB
# each. A request's body may carry one such file in base64 (the API) plus its fields; files
# above 2.5 MB are streamed to a temporary file instead of held in memory.
REDLINE_UPLOAD_MAX_MB = env_int("REDLINE_UPLOAD_MAX_MB", 20, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = (REDLINE_UPLOAD_MAX_MB * 4 // 3 + 1) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# E-mail: the console in the demo; SMTP when REDLINE_EMAIL_HOST is set.
_EMAIL_HOST = env_str("REDLINE_EMAIL_HOST")
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _EMAIL_HOST,
            "port": env_int("REDLINE_EMAIL_PORT", 587, minimum=1),
            "username": env_str("REDLINE_EMAIL_USER", "") or "",
            "password": env_str("REDLINE_EMAIL_PASSWORD", "") or "",
            "use_tls": env_bool("REDLINE_EMAIL_USE_TLS", True),
        },
    }
    if _EMAIL_HOST
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = env_str("REDLINE_FROM_EMAIL", "redline@localhost")

REDLINE_PAGE_SIZE = env_int("REDLINE_PAGE_SIZE", 25, minimum=1)
REDLINE_API_MAX_PAGE_SIZE = 500
# Exports stream at most this many rows per file.
REDLINE_EXPORT_MAX_ROWS = env_int("REDLINE_EXPORT_MAX_ROWS", 100_000, minimum=1)

# The city's choice of risk-assessment rule sets per method ("LEC=id,LS=id,MES=id");
# unset methods use the national defaults shipped in redline/risk/data/rulesets/.
REDLINE_RULE_SETS = dict(
    item.split("=", 1) for item in env_list("REDLINE_RULE_SETS", []) if "=" in item
)

# Where people reach this site, for links in e-mails.
REDLINE_BASE_URL = (env_str("REDLINE_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

# Hidden-hazard deadlines: a reminder this many days before; after the deadline the
# overdue flag, then escalation up the chain (supervising department, district, city)
# this many days after the deadline, one figure per level.
REDLINE_HAZARD_REMIND_DAYS = env_int("REDLINE_HAZARD_REMIND_DAYS", 3, minimum=0)


def _escalation_days() -> list[int]:
    raw = env_list("REDLINE_HAZARD_ESCALATION_DAYS", ["0", "3", "7"])
    try:
        days = [int(v) for v in raw]
    except ValueError:
        days = []
    if len(days) != 3 or min(days) < 0 or days != sorted(days):
        raise ImproperlyConfigured(
            "REDLINE_HAZARD_ESCALATION_DAYS: give three non-decreasing day counts "
            "(department,district,city), e.g. 0,3,7"
        )
    return days


REDLINE_HAZARD_ESCALATION_DAYS = _escalation_days()

# Supervision of the Safety Committee's key tasks (督办): a reminder this many days before a
# progress report is due (and REDLINE_COMMITTEE_DEADLINE_REMIND_DAYS before a task's
# deadline); when it passes unanswered, the overdue flag, then escalation this many days
# after: to the Safety Committee office of the task's level, then to its government (the
# leader in charge).
REDLINE_COMMITTEE_REMIND_DAYS = env_int("REDLINE_COMMITTEE_REMIND_DAYS", 3, minimum=0)
REDLINE_COMMITTEE_DEADLINE_REMIND_DAYS = env_int(
    "REDLINE_COMMITTEE_DEADLINE_REMIND_DAYS", 7, minimum=0
)


def _committee_escalation_days() -> list[int]:
    raw = env_list("REDLINE_COMMITTEE_ESCALATION_DAYS", ["0", "7"])
    try:
        days = [int(v) for v in raw]
    except ValueError:
        days = []
    if len(days) != 2 or min(days) < 0 or days != sorted(days):
        raise ImproperlyConfigured(
            "REDLINE_COMMITTEE_ESCALATION_DAYS: give two non-decreasing day counts "
            "(office,government), e.g. 0,7"
        )
    return days


REDLINE_COMMITTEE_ESCALATION_DAYS = _committee_escalation_days()
# Public hazard reports accepted per address per hour.
REDLINE_PUBLIC_REPORT_LIMIT = env_int("REDLINE_PUBLIC_REPORT_LIMIT", 5, minimum=1)
# Inspection tasks are generated this many days ahead.
REDLINE_TASK_HORIZON_DAYS = env_int("REDLINE_TASK_HORIZON_DAYS", 2, minimum=1)
# The daily epidemic detection run starts from this local hour (0-23), on yesterday's counts.
REDLINE_DETECTION_HOUR = env_int("REDLINE_DETECTION_HOUR", 6, minimum=0)
if REDLINE_DETECTION_HOUR > 23:
    raise ImproperlyConfigured(
        f"REDLINE_DETECTION_HOUR must be an hour of the day, 0-23; got {REDLINE_DETECTION_HOUR}"
    )
# Hospitals and fever clinics send their daily capacity report by this local hour (0-23):
# after it, missing reports are flagged and the day counts as complete for regional alerts.
REDLINE_CAPACITY_REPORT_HOUR = env_int("REDLINE_CAPACITY_REPORT_HOUR", 10, minimum=0)
if REDLINE_CAPACITY_REPORT_HOUR > 23:
    raise ImproperlyConfigured(
        "REDLINE_CAPACITY_REPORT_HOUR must be an hour of the day, 0-23; "
        f"got {REDLINE_CAPACITY_REPORT_HOUR}"
    )

# Periodic jobs: "local" (the default) - `redline serve` runs them in a process of its own
# beside gunicorn and restarts it if it dies; "off" - another supervisor or cron runs
# `redline jobs`. ("inprocess", the former name of "local", is still understood.)
REDLINE_JOBS = (env_str("REDLINE_JOBS", "local") or "local").strip().lower()
if REDLINE_JOBS == "inprocess":
    REDLINE_JOBS = "local"
if REDLINE_JOBS not in ("local", "off"):
    raise ImproperlyConfigured(
        f"REDLINE_JOBS must be 'local' (redline serve runs the periodic jobs) or 'off'; "
        f"got {os.environ.get('REDLINE_JOBS')!r}"
    )
# Seconds the jobs loop sleeps between two looks at which jobs are due.
REDLINE_JOBS_TICK = env_int("REDLINE_JOBS_TICK", 30, minimum=1)

# The scaled configuration: with a broker (Redis), the jobs run on Celery workers (`redline
# worker`) and beat schedules the periodic ones (`redline beat`); `redline serve` then runs
# no jobs process of its own, whatever REDLINE_JOBS says. See redline.core.queue.
REDLINE_BROKER_URL = env_str("REDLINE_BROKER_URL", "") or ""
if REDLINE_BROKER_URL and not REDLINE_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        f"REDLINE_BROKER_URL must be a Redis address (redis://host:port/db); "
        f"got {REDLINE_BROKER_URL!r}"
    )
# Where task results wait for whoever asked (`redline jobs NAME`): the broker by default.
REDLINE_RESULT_URL = env_str("REDLINE_RESULT_URL", "") or REDLINE_BROKER_URL
# The queue's name: two installations sharing one Redis give each its own.
REDLINE_QUEUE = env_str("REDLINE_QUEUE", "redline") or "redline"
# Seconds after which a task a worker took but never acknowledged (the worker was killed) is
# given to another worker. Longer than the longest task: a task still running when it passes
# is run twice (harmless, jobs are idempotent, but wasted).
REDLINE_BROKER_VISIBILITY_TIMEOUT = env_int("REDLINE_BROKER_VISIBILITY_TIMEOUT", 3600, minimum=1)
# The daily detection run is split into chunks of this many series (each a task of its own
# on the workers in the scaled configuration).
REDLINE_DETECTION_CHUNK_SIZE = env_int("REDLINE_DETECTION_CHUNK_SIZE", 500, minimum=1)

# Covering indexes (PostgreSQL) are plain indexes on the embedded SQLite: that is intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Log lines: "plain" text for people (the demo's default), or "json", one object a line with
# the request id and user (redline.core.logs), for a log collector (the default otherwise).
REDLINE_LOG_FORMAT = (env_str("REDLINE_LOG_FORMAT", "plain" if DEMO else "json")).strip().lower()
if REDLINE_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(
        "REDLINE_LOG_FORMAT must be 'plain' or 'json'; "
        f"got {os.environ.get('REDLINE_LOG_FORMAT')!r}"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "redline.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": REDLINE_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("REDLINE_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}


# /metrics (Prometheus, redline.core.metrics): answered to these addresses or networks
# ("none": to no address) unless a proxy forwarded the request, and to requests bearing
# `Authorization: Bearer <REDLINE_METRICS_TOKEN>`; 404 for anyone else.
def _metrics_allow() -> list[str]:
    import ipaddress

    raw = env_list("REDLINE_METRICS_ALLOW", ["127.0.0.1", "::1"])
    if [item.lower() for item in raw] == ["none"]:
        return []
    try:
        return [str(ipaddress.ip_network(item, strict=False)) for item in raw]
    except ValueError:
        raise ImproperlyConfigured(
            "REDLINE_METRICS_ALLOW: give addresses or networks separated by commas "
            "(e.g. 127.0.0.1,::1,10.0.0.0/8), or none; "
            f"got {os.environ.get('REDLINE_METRICS_ALLOW')!r}"
        ) from None


REDLINE_METRICS_ALLOW = _metrics_allow()
REDLINE_METRICS_TOKEN = env_str("REDLINE_METRICS_TOKEN", "") or ""
if REDLINE_METRICS_TOKEN and (len(REDLINE_METRICS_TOKEN) < 16 or " " in REDLINE_METRICS_TOKEN):
    raise ImproperlyConfigured(
        "REDLINE_METRICS_TOKEN must be at least 16 characters without spaces "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
    )
# prometheus_client's own variable: with several gunicorn workers, the directory where each
# process writes its figures, added up by a scrape (empty it before each start).
REDLINE_METRICS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "") or ""
if REDLINE_METRICS_MULTIPROC_DIR and not Path(REDLINE_METRICS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        "PROMETHEUS_MULTIPROC_DIR must be an existing directory writable by every web process; "
        f"got {REDLINE_METRICS_MULTIPROC_DIR!r}"
    )
