"""Settings for every environment, read from environment variables.

The defaults are the safe ones: DEBUG is off, cookies are secure and HTTPS is enforced.
A local demo over plain http opts out explicitly (``HTTPS=0``, see ``platform/run.sh``).
Everything that differs between a laptop and a cluster is one variable away:

- ``DATABASE_URL``       sqlite (default, ``var/db.sqlite3``) or ``postgres://...``
- ``CELERY_BROKER_URL``  ``filesystem://`` (default, a queue in ``var/broker``) or ``redis://``/``amqp://``
- ``STORAGE_ROOT``       where uploads, datasets and the embedded broker live (default ``var/``)
- ``STORAGE_BACKEND``    ``local`` (default) or ``s3`` (django-storages, see ``platform/DEPLOY.md``)
- ``S3_DOWNLOADS``       with s3: ``stream`` (default, through the web process) or ``presigned``

``platform/env.example`` lists them all.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Behind TLS in production; a local demo on http://127.0.0.1 sets HTTPS=0.
HTTPS = env_bool("HTTPS", not DEBUG)

STORAGE_ROOT = Path(os.environ.get("STORAGE_ROOT", BASE_DIR / "var")).resolve()
# The columnar Hub snapshot history (growth/core/history.py) and how many days it keeps.
HUB_HISTORY_DIR = Path(os.environ.get("HUB_HISTORY_DIR", STORAGE_ROOT / "hub" / "history"))
HUB_HISTORY_KEEP_DAYS = int(os.environ.get("HUB_HISTORY_KEEP_DAYS", "400"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("DJANGO_ALLOW_EPHEMERAL_SECRET") != "1":
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (platform/env.example shows how); "
            "only DEBUG=1 runs without one."
        )
    # Development and tests: a fresh key per process is fine, sessions just don't survive restarts.
    SECRET_KEY = "dev-" + secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "django_celery_results",
    "django_ratelimit",
    "curation",
    "growth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a django_ratelimit refusal into a 429 page (config.views.rate_limited).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Content-Security-Policy on every response (settings below; RELIABILITY.md H1).
    "csp.middleware.CSPMiddleware",
    # Pages shown to a logged-in user are never stored by browsers or proxies (RELIABILITY.md).
    "config.security.PrivatePagesNotStoredMiddleware",
    # A malformed number in a query answers 400 with its name (config/params.py).
    "config.params.BadParameterMiddleware",
]

# --- Content-Security-Policy (django-csp) -----------------------------------------------------------
# No inline script anywhere: behaviour lives in static/ files and data goes through json_script
# blocks (type="application/json", which the browser never runs). Inline style attributes remain
# allowed: they cannot run code, and templates still use a few. Everything else is our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.user_roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{STORAGE_ROOT / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker is a separate process, so even the test database must be a file both can open.
    DATABASES["default"]["TEST"] = {"NAME": str(STORAGE_ROOT / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while a worker writes; the timeout rides out short locks.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = STORAGE_ROOT / "media"
MEDIA_URL = "media/"


def s3_storage(environ) -> dict:
    """The S3 storage (django-storages) configured from ``environ``; credentials come from the
    AWS_* variables (platform/DEPLOY.md). A function, so that the S3 tests configure their server
    through the same code."""
    from boto3.s3.transfer import TransferConfig

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "file_overwrite": False,
            # Files above the threshold go up as a multipart upload, in parts of this size (S3
            # wants parts of at least 5 MiB).
            "transfer_config": TransferConfig(
                multipart_threshold=int(environ.get("S3_MULTIPART_THRESHOLD_BYTES", 64 * 2**20)),
                multipart_chunksize=int(environ.get("S3_MULTIPART_CHUNK_BYTES", 64 * 2**20)),
            ),
            # Lifetime of presigned download links (S3_DOWNLOADS=presigned).
            "querystring_expire": int(environ.get("S3_PRESIGNED_EXPIRY_S", 600)),
        },
    }


STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
elif STORAGE_BACKEND == "s3":
    _default_storage = s3_storage(os.environ)
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND={STORAGE_BACKEND!r}: use 'local' or 's3'")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads above this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Email: console by default, SMTP through EMAIL_URL-style variables in production ----------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "curation@localhost")

# --- Cache: Redis when configured (shared by every web process), process memory otherwise --------
# Rate limits count in this cache. Without Redis each web process counts on its own, so a client
# gets up to (limit x web processes); a deployment sets CACHE_URL (platform/DEPLOY.md).
CACHE_URL = os.environ.get("CACHE_URL", "")
# django-ratelimit only lists django-redis as "official"; Django's own RedisCache increments
# atomically (INCRBY) just the same.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
    CACHES["limits"] = CACHES["default"]
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Rate limits and login back-off must be counted once for all web processes (issue 19):
        # without Redis, in files every process on this machine shares. Increments there are not
        # atomic (django-ratelimit's E003), so a burst may get a few extra tries; `check --deploy`
        # recommends Redis (config/checks.py).
        "limits": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(STORAGE_ROOT / "cache" / "limits"),
        },
    }
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")
RATELIMIT_USE_CACHE = "limits"
# Behind a reverse proxy every request comes from the proxy: name the header it sets to the
# client's address (HTTP_X_FORWARDED_FOR, platform/DEPLOY.md), so limits count per client.
RATELIMIT_IP_META_KEY = os.environ.get("RATELIMIT_IP_META_KEY") or None

# --- Rate limits (django-ratelimit), "<count>/<period>" with period s, m, h or d ----------------
RATELIMIT_VIEW = "config.views.rate_limited"
LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10/m")  # per address
# Per (address, account): after this many failures, wait 1 s, 2 s, 4 s ... up to the maximum.
LOGIN_FREE_FAILURES = int(os.environ.get("LOGIN_FREE_FAILURES", "5"))
LOGIN_BACKOFF_BASE_SECONDS = float(os.environ.get("LOGIN_BACKOFF_BASE_SECONDS", "1"))
LOGIN_MAX_BACKOFF_SECONDS = int(os.environ.get("LOGIN_MAX_BACKOFF_SECONDS", "900"))
UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT", "60/m")
# Camera previews decoded (cache misses only; cached frames and failures are free), per user.
PREVIEW_RATE_LIMIT = os.environ.get("PREVIEW_RATE_LIMIT", "20/m")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Domain errors (curation.services.workflow.WorkflowError) to HTTP, in one place.
    "EXCEPTION_HANDLER": "curation.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeRobot curation platform API",
    "DESCRIPTION": "Upload, validate, review and search robotics datasets; Hub growth and reuse metrics.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, a real queue between processes with no server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
BROKER_FOLDER = STORAGE_ROOT / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_FOLDER / _sub).mkdir(parents=True, exist_ok=True)
    # One folder is both in and out: every process on this machine shares the same queue.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "processed_folder": str(BROKER_FOLDER / "processed"),
        # Broadcast (remote control) messages; kombu's default is ./control in the working directory.
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
        # The transport polls its folder; a short interval keeps round trips (health pings) quick.
        "polling_interval": 0.2,
    }
else:
    # Redis/SQS redeliver unacknowledged tasks after this long: longer than any task's time limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "django-db")
# How long the health page waits for a worker to answer its ping.
HEALTH_PING_TIMEOUT = float(os.environ.get("HEALTH_PING_TIMEOUT", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- On-device inference check (curation/inference, validators/inference) ---------------------
# Folders the web/API may point the check at (comma-separated); default: STORAGE_ROOT.
INFERENCE_DATASET_ROOTS = env_list("INFERENCE_DATASET_ROOTS") or [STORAGE_ROOT]
# Seconds before a run is stopped (the hard limit is one minute later).
INFERENCE_SOFT_TIME_LIMIT = int(os.environ.get("INFERENCE_SOFT_TIME_LIMIT", str(30 * 60)))
# Dotted path to a context manager ``resolver(dataset_version_id) -> folder`` that lays a dataset
# version out for the check and cleans it up afterwards (blank: runs use their dataset_path).
INFERENCE_DATASET_RESOLVER = os.environ.get(
    "INFERENCE_DATASET_RESOLVER", "curation.services.storage.submission_folder"
)
