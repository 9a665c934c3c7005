"""Settings for LAKSA-GIS, read from environment variables with safe local defaults.

`LAKSA_ENV=local` (the default) is the demo mode that `make run` uses: demo accounts allowed.
DEBUG is off unless `DEBUG=1` in every mode, so `make run` serves the same hashed, compressed,
cached-for-good static files as production (developers opt in with `DEBUG=1 make run`).
`LAKSA_ENV=production` refuses the demo data, requires a real
SECRET_KEY and turns on the secure-cookie and HSTS settings that `manage.py check --deploy`
looks for.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
import os

import dj_database_url
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _static_url(path: str) -> str:
    from django.templatetags.static import static

    return static(path)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


LAKSA_ENV = os.environ.get("LAKSA_ENV", "local").strip().lower()
if LAKSA_ENV not in {"local", "production"}:
    raise RuntimeError(f"LAKSA_ENV must be 'local' or 'production', not {LAKSA_ENV!r}")
PRODUCTION = LAKSA_ENV == "production"
# Demo accounts and keys exist only in the local demo mode.
DEMO_MODE = not PRODUCTION

_DEV_SECRET = "laksa-local-development-secret-key-not-for-production-use-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY") or ("" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET):
    raise RuntimeError("SECRET_KEY must be set to a long random value when LAKSA_ENV=production")

DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The government (Kemendagri code, e.g. 36.71) a request is for when neither its host name nor a
# /<kode>/ path names one; empty: the only active government, or none (the province landing page).
# Every government's host names must be in ALLOWED_HOSTS too (docs/DEPLOY.md; `manage.py check`
# warns about a missing one).
LAKSA_DEFAULT_GOVERNMENT = os.environ.get("LAKSA_DEFAULT_GOVERNMENT", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",  # trigram lookups (place search)
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "csp",
    # The job engine (docs/OPERATIONS.md "Jobs"): its tables, admin and `manage.py procrastinate`.
    "procrastinate.contrib.django",
    "common",
    "boundaries",
    "fieldops",
    "realtime",
    "web",
    "analytics",
    "open311",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The content security policy (CONTENT_SECURITY_POLICY below), in every mode.
    "csp.middleware.CSPMiddleware",
    "common.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML and JSON gzipped unless the request comes with a logged-in session (BREACH,
    # docs/SERVING.md). Below WhiteNoise: static files are served precompressed, never here.
    "common.middleware.BreachSafeGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Pages open in Bahasa Indonesia whatever the browser asks (English via the switch).
    "web.middleware.DefaultLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # `?lang=en` for one request (API clients without cookies or headers).
    "common.middleware.QueryLanguageMiddleware",
    # request.government from the host name or a /<kode>/ path prefix (boundaries/sites.py); a
    # prefix is taken off path_info here, before CommonMiddleware and the URLconf resolve the
    # path; after the language middlewares, so its 503 (database away) speaks the request's language.
    "boundaries.middleware.GovernmentMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With DEBUG on, visitors get the project's error pages, developers the technical ones.
    "common.middleware.FriendlyErrorsMiddleware",
    # Turns a login locked out by django-axes into its 429 page (AXES_* below); last, as axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "laksa_gis.urls"
WSGI_APPLICATION = "laksa_gis.wsgi.application"
ASGI_APPLICATION = "laksa_gis.asgi.application"

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
                "boundaries.context_processors.city",
                "web.context_processors.viewer",
                "web.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgis://laksa:laksa@127.0.0.1:5432/laksa"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # Off by default: it costs a round trip per request, and a connection broken by a
        # PostgreSQL restart is closed by DatabaseUnavailableMiddleware (one fast 503, then recovery).
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", False),
    )
}
# Parallel test runs (several developers' sessions on one machine) each get their own test database.
if os.environ.get("LAKSA_TEST_DB"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["LAKSA_TEST_DB"]}
if not DATABASES["default"]["ENGINE"].endswith("postgis"):
    DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# CHANNEL_LAYER=pubsub (default) uses Redis PUBLISH/SUBSCRIBE: one message per group, fanned out
# inside each daphne process (realtime.liveness makes sockets resume after a subscription
# drop). "core" is channels-redis's list-based layer. docs/BENCHMARKS.md compares them.
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub").strip().lower()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"
            if CHANNEL_LAYER == "pubsub"
            else "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "group_expiry": 86400},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Bahasa Indonesia first; English on request (language switch or Accept-Language).
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end libraries installed by npm (package.json) and served by the app itself, never a CDN.
_NODE = BASE_DIR / "node_modules"
for _prefix, _path in [
    ("vendor/leaflet", _NODE / "leaflet" / "dist"),
    ("vendor/markercluster", _NODE / "leaflet.markercluster" / "dist"),
    ("vendor/chartjs", _NODE / "chart.js" / "dist"),
    ("vendor/tus", _NODE / "tus-js-client" / "dist"),
]:
    if _path.is_dir():
        STATICFILES_DIRS.append((_prefix, _path))
# Web map background tiles. Outlines and markers come from our own API, so the map stays usable
# when tiles cannot load (offline phones, tests). Set MAP_TILE_URL="" to turn tiles off.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Photos go to S3-compatible object storage when a bucket is configured, so that any of
# several server processes can serve any photo; otherwise to MEDIA_ROOT on disk.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names + brotli/gzip copies, made by collectstatic; WhiteNoise serves the hashed names
    # with a far-future immutable Cache-Control (docs/SERVING.md, issue 19).
    "staticfiles": {"BACKEND": "common.storage.HashedStaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        # A private bucket; public copies are served at /media/public/ by any process (common/storage.py).
        "BACKEND": "common.storage.AppServedS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "querystring_auth": False,
            "file_overwrite": False,
            "default_acl": None,
        },
    }

LOGIN_URL = "/accounts/login/"
# django-axes first: it refuses a locked-out client before any password is checked; then
# Django's own ModelBackend. Sessions are Django's database sessions (the default engine).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # How many proxies (nginx, a load balancer) stand in front: rate limits then trust only the
    # X-Forwarded-For entries those proxies added, so a client can't pick its own IP.
    "NUM_PROXIES": int(os.environ["NUM_PROXIES"]) if os.environ.get("NUM_PROXIES") else (1 if PRODUCTION else 0),
    "EXCEPTION_HANDLER": "common.api_errors.exception_handler",
    # Benchmarks raise the create limits with COMPLAINT_THROTTLE_RATE / COMPLAINT_DEVICE_THROTTLE_RATE.
    # Logins are limited by django-axes (AXES_* below), not by a DRF rate.
    "DEFAULT_THROTTLE_RATES": {
        "complaint_create": os.environ.get("COMPLAINT_THROTTLE_RATE", "120/min"),
        "complaint_create_device": os.environ.get("COMPLAINT_DEVICE_THROTTLE_RATE", "20/min"),
        "public_search": os.environ.get("PUBLIC_SEARCH_THROTTLE_RATE", "120/min"),
    },
}

# Password guessing: every login face (the admin login, the staff login page, the API token)
# counts failures in one django-axes counter per client address, the address as DRF's throttles
# see it (NUM_PROXIES above; common.throttling.client_ip). After LOGIN_FAILURE_LIMIT failures
# the address is locked out of every face, even with the right password, until
# LOGIN_COOLOFF_MINUTES have passed since its last failure: 429, a page in the visitor's language
# (common.lockout) or the API's JSON error.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "common.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "common.lockout.lockout_response"

SPECTACULAR_SETTINGS = {
    "TITLE": "LAKSA-GIS API",
    "DESCRIPTION": "Citizen complaints with spatial routing, field operations and Open311.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files: the docs work without internet and
    # staff browsers make no third-party request. (No ReDoc: its page loads Google Fonts.)
    "SWAGGER_UI_DIST": "SIDECAR",
    # The project's favicon (issue 15), as on every other page.
    # Its hashed name (read when the page is drawn: the manifest is not loaded yet here).
    "SWAGGER_UI_FAVICON_HREF": lazy(_static_url, str)("web/icons/favicon.svg"),
    "COMPONENT_SPLIT_REQUEST": True,
    # Every channel a complaint can come from (answers) and the two a citizen may send (requests).
    "ENUM_NAME_OVERRIDES": {
        "ComplaintChannelEnum": "fieldops.models.Channel",
        "PublicChannelEnum": [("web", "Web"), ("mobile", "Mobile")],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.add_error_responses",
    ],
}

# With Redis, rate-limit counters and small caches are shared by every server process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": os.environ.get("CACHE_REDIS_URL", REDIS_URL),
            "KEY_PREFIX": "laksa",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Vector tiles: a small cache in each server process (a miss costs no round trip to Redis).
CACHES["tiles"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "laksa-tiles",
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("TILE_CACHE_ENTRIES", "1000"))},
}
# How long a signed tile URL from the TileJSON stays valid (analytics/tiletokens.py).
TILE_TOKEN_MAX_AGE = int(os.environ.get("TILE_TOKEN_MAX_AGE", "3600"))

# Complaint and photo rules, tunable per deployment.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", str(50_000_000)))
PHOTO_MAX_DISTANCE_M = float(os.environ.get("PHOTO_MAX_DISTANCE_M", "100"))
# Video proof (fieldops/videos.py): limits of an upload, and the time limits that kill a stuck
# ffprobe / ffmpeg (seconds).
VIDEO_MAX_SECONDS = float(os.environ.get("VIDEO_MAX_SECONDS", "60"))
VIDEO_MAX_BYTES = int(os.environ.get("VIDEO_MAX_BYTES", str(50 * 1024 * 1024)))
VIDEO_PROBE_TIMEOUT_S = float(os.environ.get("VIDEO_PROBE_TIMEOUT_S", "15"))
VIDEO_PROCESS_TIMEOUT_S = float(os.environ.get("VIDEO_PROCESS_TIMEOUT_S", "300"))
FFPROBE_BINARY = os.environ.get("FFPROBE_BINARY", "ffprobe")
FFMPEG_BINARY = os.environ.get("FFMPEG_BINARY", "ffmpeg")
# A resumable upload (/api/v1/uploads/, tus) not finished and attached within this many hours
# after its last piece expires; `manage.py purge_uploads` deletes it.
UPLOAD_EXPIRY_HOURS = float(os.environ.get("UPLOAD_EXPIRY_HOURS", "24"))
# Reporter contact of finished complaints is blanked after this many days (anonymise_reporters).
REPORTER_RETENTION_DAYS = int(os.environ.get("REPORTER_RETENTION_DAYS", "730"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Field-ops and integration defaults.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "laksa@localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Reporter status messages by WhatsApp/SMS (integrations/notifications.py), for reporters who gave a
# phone number and agreed: a generic HTTP gateway. The template is JSON whose strings may hold
# {to}, {text} and {key} (the message's idempotency key); it is POSTed with the bearer token.
NOTIFY_PHONE_GATEWAY = os.environ.get("NOTIFY_PHONE_GATEWAY", "integrations.notifications.HttpGateway")
NOTIFY_GATEWAY_URL = os.environ.get("NOTIFY_GATEWAY_URL", "")
NOTIFY_GATEWAY_TOKEN = os.environ.get("NOTIFY_GATEWAY_TOKEN", "")
NOTIFY_GATEWAY_TEMPLATE = os.environ.get(
    "NOTIFY_GATEWAY_TEMPLATE", '{"to": "{to}", "type": "text", "text": {"body": "{text}"}, "ref": "{key}"}')
NOTIFY_GATEWAY_TIMEOUT_S = float(os.environ.get("NOTIFY_GATEWAY_TIMEOUT_S", "10"))
# Web Push to Tim Sigap phones (integrations/push.py): VAPID keys from `manage.py generate_vapid_keys`,
# kept in the environment, never in the repository. Without them no push is offered or sent.
WEBPUSH_VAPID_PUBLIC_KEY = os.environ.get("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_VAPID_PRIVATE_KEY = os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_SUBJECT = os.environ.get("WEBPUSH_SUBJECT", "mailto:admin@localhost")
WEBPUSH_TTL_S = int(os.environ.get("WEBPUSH_TTL_S", str(12 * 3600)))

# Open311 GeoReport v2: jurisdiction_id is a government's code or host name (open311/views.py);
# this optional extra name is accepted for the default government (older clients' configuration).
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "")
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")
# Custom attributes of an Open311 POST: how many, and how long each value may be (else a 400).
OPEN311_MAX_ATTRIBUTES = int(os.environ.get("OPEN311_MAX_ATTRIBUTES", "20"))
OPEN311_ATTRIBUTE_MAX_CHARS = int(os.environ.get("OPEN311_ATTRIBUTE_MAX_CHARS", "1000"))
# A stored Idempotency-Key answer is replayed for this long; purge_idempotency_keys deletes older ones.
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24"))
# SP4N-LAPOR! bridge (docs/LAPOR.md): where to send, with which token, and which categories
# are forwarded automatically (comma-separated slugs; operators can forward any complaint).
LAPOR_API_URL = os.environ.get("LAPOR_API_URL", "")
LAPOR_API_TOKEN = os.environ.get("LAPOR_API_TOKEN", "")
LAPOR_FORWARD_CATEGORIES = env_list("LAPOR_FORWARD_CATEGORIES", "")
LAPOR_TIMEOUT_S = float(os.environ.get("LAPOR_TIMEOUT_S", "10"))
LAPOR_MAX_ATTEMPTS = int(os.environ.get("LAPOR_MAX_ATTEMPTS", "8"))
LAPOR_BACKOFF_BASE_S = float(os.environ.get("LAPOR_BACKOFF_BASE_S", "30"))
# Status updates are pulled back from SP4N-LAPOR! on this schedule (integrations/tasks.py).
SCHEDULE_LAPOR = os.environ.get("SCHEDULE_LAPOR", "* * * * *")

# Job engine (procrastinate; docs/OPERATIONS.md "Jobs"). Jobs are rows in PostgreSQL, deferred on
# Django's connection inside the transaction of the change that causes them. A failed attempt is
# retried after JOBS_BACKOFF_BASE_S × 2^attempt seconds, capped at JOBS_BACKOFF_MAX_S, at most
# JOBS_MAX_ATTEMPTS times; then the job is "failed" (admin: Procrastinate › jobs, action Retry).
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "10"))
JOBS_BACKOFF_BASE_S = float(os.environ.get("JOBS_BACKOFF_BASE_S", "5"))
JOBS_BACKOFF_MAX_S = float(os.environ.get("JOBS_BACKOFF_MAX_S", str(6 * 3600)))
# A job whose worker sent no heartbeat for this long (killed, machine lost) is run again.
JOBS_STALLED_AFTER_S = float(os.environ.get("JOBS_STALLED_AFTER_S", "60"))
JOBS_HEARTBEAT_S = float(os.environ.get("JOBS_HEARTBEAT_S", "10"))
# Schedules (cron syntax, UTC). docs/OPERATIONS.md lists them and how to run one by hand.
SCHEDULE_ESCALATE = os.environ.get("SCHEDULE_ESCALATE", "*/2 * * * *")
SCHEDULE_RETENTION = os.environ.get("SCHEDULE_RETENTION", "30 19 * * *")  # 02:30 WIB
SCHEDULE_IDEMPOTENCY_PURGE = os.environ.get("SCHEDULE_IDEMPOTENCY_PURGE", "15 * * * *")
SCHEDULE_CLUSTER = os.environ.get("SCHEDULE_CLUSTER", "0 20 * * 0")  # Monday 03:00 WIB
SCHEDULE_JOBS_HOUSEKEEPING = os.environ.get("SCHEDULE_JOBS_HOUSEKEEPING", "* * * * *")
# Finished (succeeded) job rows are deleted after this many hours; failed ones stay for the admin.
JOBS_KEEP_SUCCEEDED_HOURS = int(os.environ.get("JOBS_KEEP_SUCCEEDED_HOURS", "72"))

# Content security policy, enforced in every mode (local, tests, production), so a browser test
# meets a violation before production does (tests/browser/conftest.py fails on any): no inline
# scripts, inline styles allowed (as before); images also from the map tile server (MAP_TILE_URL's
# origin, plus CSP_IMG_EXTRA, space-separated). The Swagger UI page (/api/docs/) is left out: it needs
# inline scripts and a CDN, and is only offered to API users.
_tiles = urlsplit(MAP_TILE_URL.replace("{s}", "*"))
CSP_IMG_EXTRA = os.environ.get("CSP_IMG_EXTRA", "https://*.tile.openstreetmap.org").split()
CSP_IMG_SOURCES = list(dict.fromkeys(
    ([f"{_tiles.scheme}://{_tiles.netloc}"] if _tiles.scheme and _tiles.netloc else []) + CSP_IMG_EXTRA))
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *CSP_IMG_SOURCES],
        "media-src": ["'self'", "blob:"],  # proof videos (/media/) and the crew page preview
        "connect-src": ["'self'", "ws:", "wss:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
SECURE_REFERRER_POLICY = "same-origin"

SILENCED_SYSTEM_CHECKS = [
    # Debian 12 ships GDAL 3.6; GeoDjango warns below 3.9 but everything we use works on it.
    "gis.W001",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "INFO")
