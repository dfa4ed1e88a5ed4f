"""Test settings: the production settings, with a test storage root and plain http.

Everything else (database, broker) comes from the environment exactly as in production, which is
how ``platform/test.sh`` runs the suite once on SQLite + the filesystem broker and once on
PostgreSQL + Redis.
"""

import os
from pathlib import Path

_repo = Path(__file__).resolve().parent.parent
os.environ.setdefault("STORAGE_ROOT", str(_repo / "var" / "test"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789abcdef")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("HEALTH_PING_TIMEOUT", "10")

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from config.settings import *  # noqa: E402, F403
from config.settings import CACHE_URL, CELERY_BROKER_URL, STORAGES  # noqa: E402

# Every test starts from an empty cache (tests/conftest.py clears it, FLUSHDB on Redis). Sharing
# one Redis database with the broker would drop queued Celery messages in the middle of a test.
if CACHE_URL.startswith("redis://") and CACHE_URL.rstrip("/") == CELERY_BROKER_URL.rstrip("/"):
    raise ImproperlyConfigured(
        f"CACHE_URL and CELERY_BROKER_URL are the same Redis database ({CACHE_URL}); the tests "
        "clear the cache before each test and would wipe the broker. Give them different db numbers."
    )

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No collectstatic before tests: serve static files straight from the source folders.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
