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

from config.settings import *  # noqa: E402, F403
from config.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No collectstatic before tests: serve static files straight from the source folders.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
