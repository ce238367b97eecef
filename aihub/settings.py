"""AI Hub settings, read from the environment.

With no environment at all the app runs embedded: SQLite and a local MLflow store in the
data folder, Celery tasks run eagerly, the cache is local memory. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("AIHUB_DATA_DIR", BASE_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)
TESTING = "pytest" in sys.modules

# AIHUB_BUILD_ONLY=true is for commands that run while an image is built (collectstatic):
# they get a random key nobody knows, and the web and worker processes refuse to start.
# collectstatic never reads the key, so it is always build-only: an operator can collect with
# whatever SECRET_KEY the environment holds, even none.
BUILD_ONLY = env_bool("AIHUB_BUILD_ONLY", False) or sys.argv[1:2] == ["collectstatic"]
# Words of a placeholder (a key containing one is refused when DEBUG is off).
PLACEHOLDER_SECRET_KEY_MARKERS = (
    "collectstatic-only",
    "change-me",
    "changeme",
    "change_me",
    "change-this",
    "replace-me",
    "replace_me",
    "replaceme",
    "your-secret",
    "placeholder",
)

SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if BUILD_ONLY:
    import secrets

    SECRET_KEY = secrets.token_urlsafe(50)
elif not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-embedded-development-key-do-not-use-in-production"
elif not DEBUG and (
    any(marker in SECRET_KEY.lower() for marker in PLACEHOLDER_SECRET_KEY_MARKERS)
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 32
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be a real secret when DEBUG is off: at least 32 random characters, not a placeholder "
        "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from static/, not a CDN
    "django_htmx",
    "template_partials",
    "accounts",
    "projects",
    "docs_hub",
    "experiments",
    "integrations",  # outbound webhooks (listens to the others; none imports it)
    "aihub.apps.AihubConfig",  # system checks (aihub/checks.py)
]

MIDDLEWARE = [
    "aihub.logs.RequestLogMiddleware",
    "aihub.observability.PrometheusMiddleware",
    "aihub.observability.ProbeMiddleware",
    # gzip for API JSON only, when accepted (HTML carries the CSRF token: BREACH; aihub/compression.py).
    "aihub.compression.JSONGZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on HTML pages: scripts and styles from our origin only.
    "aihub.security.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # NUL characters in the path, query or form fields: 400 (aihub/request_guards.py).
    "aihub.request_guards.RejectNulMiddleware",
    # One audit row per write the app carried out (accounts/audit.py).
    "accounts.audit.AuditMiddleware",
]

ROOT_URLCONF = "aihub.urls"
WSGI_APPLICATION = "aihub.wsgi.application"
ASGI_APPLICATION = "aihub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'aihub.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has one writer at a time; waiting beats "database is locked" errors.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"
# Sessions live in the database, never in the cache: signing in works while Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AIHUB_SIGNUP_ENABLED = env_bool("AIHUB_SIGNUP_ENABLED", False)
# Audit log: entries older than this many days are deleted by a daily beat task.
AIHUB_AUDIT_RETENTION_DAYS = int(os.environ.get("AIHUB_AUDIT_RETENTION_DAYS", "365"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date format for every page (aihub/formats/en/formats.py): templates use the named formats.
FORMAT_MODULE_PATH = ["aihub.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "staticfiles"))
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# E-mail: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AI Hub <aihub@localhost>")

# Redis: Celery broker, result backend and cache. Without it, tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The queue tasks are sent to (and beat's schedule): workers must consume it (`worker -Q NAME`).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# Nothing reads task results; storing none also keeps `.delay()` from subscribing to the
# result store, which blocks ~20 s and raises RuntimeError while Redis is down.
CELERY_TASK_IGNORE_RESULT = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "aihub"),
            # Fail fast when Redis is down: callers (throttles, live updates) degrade.
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.5")),
                "socket_timeout": float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.5")),
            },
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if TESTING:
    # Unit tests run tasks in-process and keep counters (sign-in throttles) per run; tests
    # that need the real worker or Redis switch to them explicitly.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# MLflow: a local SQLite store in the data folder unless a tracking server is named.
MLFLOW_TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{DATA_DIR / 'mlflow.db'}"
MLFLOW_ARTIFACT_ROOT = os.environ.get("MLFLOW_ARTIFACT_ROOT", str(DATA_DIR / "mlartifacts"))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# The MLflow client retries 7 times with a 120 s timeout by default: keep it short.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
# MLflow syncs: a running sync renews its lease (a heartbeat) every few seconds and on every
# page; a sync whose lease expired (its worker died) is marked `error` ("worker lost") and
# taken over by the next "Sync now" or by the dispatch Beat runs every 30 s.
AIHUB_SYNC_LEASE_SECONDS = int(os.environ.get("AIHUB_SYNC_LEASE_SECONDS", "30"))
# Runs read per `runs/search` page (MLflow's maximum is 1000).
AIHUB_SYNC_PAGE_SIZE = int(os.environ.get("AIHUB_SYNC_PAGE_SIZE", "1000"))
# A project's health and dashboard figures (hub, dashboard, portfolio) are kept in the cache
# for this many seconds under the project's live revision: an announced change shows on the
# next view, what nobody announces (a sync's end, a ticket passing its blocked days) within
# this time. 0: computed on every view (the tests' default: their factories write without
# announcing; the tests of the cache turn it on).
AIHUB_FIGURES_CACHE_SECONDS = int(os.environ.get("AIHUB_FIGURES_CACHE_SECONDS", "0" if TESTING else "30"))
# Key for credentials stored with MLflow sources; derived from SECRET_KEY unless given.
AIHUB_ENCRYPTION_KEY = os.environ.get("AIHUB_ENCRYPTION_KEY", "")
# Outbound requests (MLflow sources, webhooks; aihub/outbound.py) never reach loopback, private,
# link-local, multicast or reserved addresses, except the host and port of MLFLOW_TRACKING_URI
# and these hosts, IPs or CIDR ranges (each optionally with :port), comma separated.
AIHUB_OUTBOUND_ALLOWED_HOSTS = env_list("AIHUB_OUTBOUND_ALLOWED_HOSTS")
AIHUB_OUTBOUND_CONNECT_TIMEOUT = float(os.environ.get("AIHUB_OUTBOUND_CONNECT_TIMEOUT", "3"))
AIHUB_OUTBOUND_READ_TIMEOUT = float(os.environ.get("AIHUB_OUTBOUND_READ_TIMEOUT", "20"))
AIHUB_OUTBOUND_MAX_RESPONSE_BYTES = int(os.environ.get("AIHUB_OUTBOUND_MAX_RESPONSE_BYTES", str(64 * 1024 * 1024)))
# Webhooks: a failed delivery is tried again after BASE, 2 BASE, 4 BASE, 8 BASE seconds (5 tries);
# each POST waits at most the connect and read timeouts.
AIHUB_WEBHOOK_BACKOFF_BASE = float(os.environ.get("AIHUB_WEBHOOK_BACKOFF_BASE", "30"))
AIHUB_WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("AIHUB_WEBHOOK_CONNECT_TIMEOUT", "3"))
AIHUB_WEBHOOK_READ_TIMEOUT = float(os.environ.get("AIHUB_WEBHOOK_READ_TIMEOUT", "5"))
# Imports (issue 14): the largest upload each importer takes, and how much it may unpack.
AIHUB_JIRA_IMPORT_MAX_BYTES = int(os.environ.get("AIHUB_JIRA_IMPORT_MAX_BYTES", str(50_000_000)))
AIHUB_JIRA_IMPORT_MAX_ROWS = int(os.environ.get("AIHUB_JIRA_IMPORT_MAX_ROWS", "100000"))
AIHUB_ARCHIVE_MAX_BYTES = int(os.environ.get("AIHUB_ARCHIVE_MAX_BYTES", str(200 * 1024 * 1024)))
AIHUB_ARCHIVE_MAX_UNPACKED_BYTES = int(os.environ.get("AIHUB_ARCHIVE_MAX_UNPACKED_BYTES", str(1024 * 1024 * 1024)))
DOCS_IMPORT_MAX_FILES = int(os.environ.get("DOCS_IMPORT_MAX_FILES", "2000"))
DOCS_IMPORT_MAX_TOTAL_BYTES = int(os.environ.get("DOCS_IMPORT_MAX_TOTAL_BYTES", str(200 * 1024 * 1024)))
# Hosts (or host:port) that MLflow credentials from the workers' environment
# (MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD) may be sent to; empty: the host
# and port of MLFLOW_TRACKING_URI only.
AIHUB_MLFLOW_CREDENTIAL_HOSTS = env_list("AIHUB_MLFLOW_CREDENTIAL_HOSTS")
# "Test connection" of an MLflow source, per user.
AIHUB_TEST_CONNECTION_THROTTLE = os.environ.get("AIHUB_TEST_CONNECTION_THROTTLE", "10/min")

# gzip level for API JSON responses (aihub/compression.py); HTML is never compressed (BREACH).
API_GZIP_LEVEL = int(os.environ.get("API_GZIP_LEVEL", "1"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "aihub.api.Pagination",
    # JSON nested too deep is a 400 (aihub/request_guards.py).
    "DEFAULT_PARSER_CLASSES": [
        "aihub.request_guards.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    # Counted atomically in Redis, by the address `aihub.throttling.client_ip` trusts.
    "DEFAULT_THROTTLE_CLASSES": [
        "aihub.throttling.UserRateThrottle",
        "aihub.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_THROTTLE_USER", "2000/min"),
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
    },
    "EXCEPTION_HANDLER": "aihub.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Throttles. X-Forwarded-For is believed only from these proxies (IPs or CIDRs, comma
# separated); with none, the client's address is REMOTE_ADDR.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    import ipaddress

    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or CIDR range.") from None
# Sign-in (the sign-in page and /admin/login/): failures per address and username, failures
# per address (password spraying), in a window; password reset requests per address and
# e-mails per account.
AIHUB_LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("AIHUB_LOGIN_FAILURES_PER_USERNAME", "10"))
AIHUB_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("AIHUB_LOGIN_FAILURES_PER_ADDRESS", "30"))
AIHUB_LOGIN_FAILURE_WINDOW = int(os.environ.get("AIHUB_LOGIN_FAILURE_WINDOW", str(15 * 60)))
AIHUB_PASSWORD_RESETS_PER_ADDRESS = int(os.environ.get("AIHUB_PASSWORD_RESETS_PER_ADDRESS", "10"))
AIHUB_PASSWORD_RESETS_PER_ACCOUNT = int(os.environ.get("AIHUB_PASSWORD_RESETS_PER_ACCOUNT", "3"))
AIHUB_PASSWORD_RESET_WINDOW = int(os.environ.get("AIHUB_PASSWORD_RESET_WINDOW", str(60 * 60)))

SPECTACULAR_SETTINGS = {
    "TITLE": "AI Hub API",
    "DESCRIPTION": "Projects, tickets, sprints, docs and MLflow runs of AI Hub.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aihub.api.document_error_responses",
    ],
    # Several components have a field named "type"; name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "TicketTypeEnum": "projects.models.TicketType",
        "RiskStatusEnum": "projects.models.RiskStatus",
        "PhaseEnum": "projects.models.Phase",
        "SearchResultTypeEnum": ["ticket", "doc", "run"],
    },
}

# Security: strict by default once DEBUG is off (behind a TLS-terminating proxy).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie, but the token is also in the page
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# LOG_FORMAT=json: one JSON object per line (timestamp, level, logger, message, request_id, and
# for request lines user_id, method, path, status, duration_ms). Default: human text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOG_REQUESTS = env_bool("LOG_REQUESTS", LOG_FORMAT == "json")  # one log line per request
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "aihub.logs.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "aihub.logs.RequestIdFilter"},
        "one_line_forbidden": {"()": "aihub.logs.OneLineForbiddenFilter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": sys.stdout,
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["one_line_forbidden"]},  # a 403 is one line, no traceback
        "mlflow": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}

# Celery keeps Django's log handlers (and so the JSON format) instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# /metrics: which synced run metrics to export (aihub_run_metric_latest, one series per
# experiment and key, so keep the list short), which Celery queues to measure, and an
# optional bearer token Prometheus must send.
AIHUB_METRICS_EXPORTED_KEYS = env_list("AIHUB_METRICS_EXPORTED_KEYS")
AIHUB_METRICS_QUEUES = env_list("AIHUB_METRICS_QUEUES")  # default: Celery's default queue
AIHUB_METRICS_TOKEN = os.environ.get("AIHUB_METRICS_TOKEN", "")

# Docs hub: attachments are stored outside MEDIA_ROOT and served only through a view.
DOCS_ATTACHMENT_ROOT = Path(os.environ.get("DOCS_ATTACHMENT_ROOT", DATA_DIR / "attachments"))
DOCS_ATTACHMENT_MAX_BYTES = int(os.environ.get("DOCS_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
