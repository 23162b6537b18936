"""Settings for the civic toolkit: one module, every value from the environment, parsed strictly.

Embedded defaults (the embedded PostgreSQL server that tools/test and tools/demo start, a file-system
Celery transport, a file cache, console e-mail) let the toolkit run on a laptop with nothing installed;
`CIVIC_PROFILE=production` demands real secrets and turns on every deployment safeguard
(`manage.py check --deploy` reports nothing).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import civic.languages
from config.beat import beat_schedule
from config.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    parse_cache_url,
    parse_database_url,
    redis_database_offset,
    refuse_shared_redis,
    session_engine,
)
from config.queues import broker_transport_options, task_queues
from config.static import static_headers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CIVIC_VAR_DIR", str(BASE_DIR / "var")))

# pytest announces itself in PYTEST_VERSION: the test profile is then the default.
PROFILE = env_choice(
    "CIVIC_PROFILE",
    "test" if "PYTEST_VERSION" in os.environ else "development",
    {"development", "test", "production"},
)
PRODUCTION = PROFILE == "production"

DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in the production profile")

_DEV_SECRET = "insecure-development-key-never-use-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", None if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of 50 characters or more")

# Keyed hashes of identities (paper de-duplication) and sealed voter references use their own key, so
# rotating the session key never re-identifies or breaks them.
IDENTITY_HASH_KEY = env_str("IDENTITY_HASH_KEY", None if PRODUCTION else "dev-identity-key")
if PRODUCTION and len(IDENTITY_HASH_KEY) < 32:
    raise ImproperlyConfigured("IDENTITY_HASH_KEY must be at least 32 characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the production profile")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "civic.apps.CivicConfig",
    "petitions.apps.PetitionsConfig",
    "referendums.apps.ReferendumsConfig",
    "assembly.apps.AssemblyConfig",
    "dashboards.apps.DashboardsConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "civic.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session middleware, so that it sees the pages' answers last (civic/http_cache.py).
    "civic.http_cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civic.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "civic.second_factor.SecondFactorMiddleware",
]

# Short paths past what a request does not use (civic/perf/hotpath.py, pagepath.py). Off: false.
API_HOT_PATH = env_bool("API_HOT_PATH", True)
PAGE_HOT_PATH = env_bool("PAGE_HOT_PATH", True)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "civic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civic.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# PostgreSQL only. Unset, DATABASE_URL names the embedded server of tools/embedded_pg.py, which
# tools/test and tools/demo start (var/postgres, 127.0.0.1, port EMBEDDED_PG_PORT).
EMBEDDED_PG_PORT = env_int("EMBEDDED_PG_PORT", 54329, minimum=1)
DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"postgres://postgres@127.0.0.1:{EMBEDDED_PG_PORT}/civic"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0),
    )
}
# The hot paths' few statements are prepared on the server (civic/perf/); off behind a pooler in
# transaction mode that cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

# --- Cache (shared by every web process: rate limits and public counts live here) -------------
_DEFAULT_CACHE = "locmem://" if PROFILE == "test" else f"file://{VAR_DIR / 'cache'}"
CACHES = {"default": parse_cache_url(env_str("CACHE_URL", _DEFAULT_CACHE))}
if PROFILE == "test" and CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # Parallel test processes (pytest-xdist gw0, gw1...) each get their own Redis database, so one
    # test's cache.clear() never wipes another's rate-limit counters. A Celery worker that a test
    # starts is given this process's database (tests/worker.py).
    _xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _xdist.startswith("gw") and _xdist[2:].isdigit():
        CACHES["default"]["LOCATION"] = redis_database_offset(
            CACHES["default"]["LOCATION"], int(_xdist[2:])
        )
SESSION_ENGINE = session_engine(CACHES["default"]["BACKEND"], PROFILE)  # cached_db: config/env.py

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "civic.User"
AUTHENTICATION_BACKENDS = [
    "civic.auth_backend.ModelBackend",  # Django's, a session's user in one prepared statement
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if PROFILE == "test":
    # Hashing dominates test time; the algorithm is not what the tests are about.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", {"mandatory", "optional", "none"}
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Civic] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "civic.accounts.AccountAdapter"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION  # the second factor's others: config/trust.py

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = civic.languages.LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves it even before collectstatic
    WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_ADD_HEADERS_FUNCTION = static_headers  # hashed: immutable a year, compressed
MEDIA_ROOT = VAR_DIR / "media"

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "participation@ville.example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "civic.api.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "civic.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "civic.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "civic.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "civic.api.throttling.AnonRateThrottle",
        "civic.api.throttling.UserRateThrottle",
        "civic.api.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "600/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "token": env_str("THROTTLE_TOKEN", "10/min"),
        "sign": env_str("THROTTLE_SIGN", "30/min"),
        "vote": env_str("THROTTLE_VOTE", "30/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # The client's address is TRUSTED_PROXY_COUNT's (civic/client_ip.py), never DRF's own reading.
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Civic toolkit API",
    "DESCRIPTION": (
        "Local initiatives (droit d'initiative locale), referendums and the citizens' assembly. "
        'Errors are `{"code": ..., "detail": ...}` with a 4xx status.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI served from the app (no CDN), its init script a separate file: the strict CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Several apps have a "status" or a "kind": each choice set gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "InitiativeStatusEnum": "petitions.models.Status",
        "ObligationStatusEnum": "petitions.models.ObligationStatus",
        "ObligationKindEnum": "petitions.models.ObligationKind",
        "RungKindEnum": "petitions.models.RungKind",
        "CampaignStatusEnum": "referendums.models.campaigns.CampaignStatus",
        "CampaignKindEnum": "referendums.models.campaigns.CampaignKind",
        "OriginKindEnum": "referendums.models.campaigns.OriginKind",
        "ElectoralEventKindEnum": "referendums.models.calendar.ElectoralEventKind",
        "StationStatusEnum": "referendums.models.paper.StationStatus",
        "MandateStatusEnum": "assembly.models.MandateStatus",
        "FeatureKindEnum": "assembly.models.FeatureKind",
        "InvitationStatusEnum": "assembly.models.InvitationStatus",
        "MemberStatusEnum": "assembly.models.MemberStatus",
        "ReserveStatusEnum": "assembly.models.ReserveStatus",
        "SessionStatusEnum": "assembly.models.SessionStatus",
        "AgendaSourceKindEnum": "assembly.models.SourceKind",
        "MotionKindEnum": "assembly.models.MotionKind",
        "MotionStatusEnum": "assembly.models.MotionStatus",
        "MinutesStatusEnum": "assembly.models.MinutesStatus",
        "RecommendationStatusEnum": "assembly.models.RecommendationStatus",
        "EntryKindEnum": "civic.models.register.EntryKind",
        "NotificationStatusEnum": "civic.models.notifications.NotificationStatus",
        "DeliveryStatusEnum": "civic.models.webhooks.DeliveryStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------------
# The embedded transport's folder, shared by the worker, beat and web processes of one machine. The
# test profile has its own, outside var/: a test's worker subprocess and the test process meet there
# (each test on a queue of its own), and the demo's queue never sees a test's message.
_TEST_QUEUE_DIR = Path(tempfile.gettempdir()) / f"civic-test-queue-{os.getuid()}"
QUEUE_DIR = Path(
    env_str("CIVIC_QUEUE_DIR", str(_TEST_QUEUE_DIR if PROFILE == "test" else VAR_DIR / "celery"))
)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
# One Redis database for both would lose the queued tasks to a cache.clear() (config/env.py).
refuse_shared_redis(CACHES["default"]["LOCATION"], CELERY_BROKER_URL, PROFILE)
# The folder is polled: a test waiting on its worker should not wait a second per message.
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    CELERY_BROKER_URL, QUEUE_DIR, polling_interval=0.1 if PROFILE == "test" else 1.0
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# The count tick and deadlines on the default queue, bulk work on its own (config/queues.py); a
# worker started without -Q consumes both.
CELERY_TASK_QUEUES = task_queues(CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ROUTES = ["config.queues.route_task"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=PROFILE == "test")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # every task is idempotent; a killed worker's task is redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CIVIC_TICK_SECONDS = env_int("CIVIC_TICK_SECONDS", 60, minimum=1)
# Public pages (civic/http_cache.py): how long a CDN may keep one (s-maxage; one tick, the age of
# its counts), how long a web process reuses one it rendered and the count version (0 in tests).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", CIVIC_TICK_SECONDS, minimum=0)
PAGE_MEMO_SECONDS = env_int("PAGE_MEMO_SECONDS", 0 if PROFILE == "test" else 1, minimum=0)
COUNT_VERSION_MEMO_MS = env_int("COUNT_VERSION_MEMO_MS", 0 if PROFILE == "test" else 100, minimum=0)
# How long a process reuses a part of a page every visitor sees alike (civic/fragments.py): a tick.
_FRAGMENT_DEFAULT = 0 if PROFILE == "test" else CIVIC_TICK_SECONDS
PAGE_FRAGMENT_SECONDS = env_int("PAGE_FRAGMENT_SECONDS", _FRAGMENT_DEFAULT, minimum=0)
CELERY_BEAT_SCHEDULE = beat_schedule(tick_seconds=CIVIC_TICK_SECONDS)

# --- Logging: never a vote, a secret or a personal identity in a log line --------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the site needs no JavaScript access, but DRF's docs page reads it
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Retention of the core's personal data, in days (civic/legal/retention.py): the privacy notice
# shows these very values and the purge jobs apply them. The instruments keep their own periods
# (an instrument type's `retention_days`, a campaign's `retention_days`).
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 365, minimum=1)
AUDIT_IDENTITY_RETENTION_DAYS = env_int("AUDIT_IDENTITY_RETENTION_DAYS", 730, minimum=1)
# A desk verification request, with its closing reason and note, is deleted this long after it closed
# (an open request stays until the desk handles it).
DESK_REQUEST_RETENTION_DAYS = env_int("DESK_REQUEST_RETENTION_DAYS", 365, minimum=1)
# Staff background jobs (civic/jobs.py), exported files included, are deleted this long after they end.
STAFF_JOB_RETENTION_DAYS = env_int("STAFF_JOB_RETENTION_DAYS", 30, minimum=1)
# No published statistic shows a group smaller than this (CIVIC-RULES: personal data).
SMALL_CELL_THRESHOLD = env_int("SMALL_CELL_THRESHOLD", 10, minimum=1)

MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "civic.middleware.RequestBodyLimitMiddleware",
)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "civic.api.parsers.JSONParser",
    "civic.api.parsers.FormParser",
    "civic.api.parsers.MultiPartParser",
]

# The settings of the trust hardening that are plain values (tokens, register, audit, secrecy,
# sortition, proxies, webhooks, JSON limits), in their own module to keep this one readable; those
# of the OpenID Connect sign-in (FranceConnect or any provider, docs/identity.md) and the city's
# name and look (name, logo, colours, fonts) likewise.
from config.city import *  # noqa: E402, F403
from config.oidc import *  # noqa: E402, F403
from config.trust import *  # noqa: E402, F403
