"""Curation settings, each overridable in Django settings or the environment.

- ``DATASET_IMPORT_ROOTS``      server folders datasets may be registered from (comma-separated)
- ``ARCHIVE_MAX_ENTRIES``       most members an uploaded archive may have
- ``ARCHIVE_MAX_TOTAL_BYTES``   most bytes it may unpack to
- ``ARCHIVE_MAX_RATIO``         highest compression ratio of any member (zip-bomb guard)
- ``UPLOAD_MAX_BYTES``          largest single upload (file or archive)
- ``UPLOAD_CHUNK_BYTES``        chunk size the web uploader uses
- ``PIPELINE_STALE_AFTER_S``    silence after which a validating submission counts as stuck
- ``PIPELINE_MAX_ATTEMPTS``     starts/requeues of one validation before it is abandoned
- ``PIPELINE_SWEEP_INTERVAL_S`` how often Celery beat runs the sweeper
- ``CATALOGUE_CACHE_SECONDS``   how long catalogue counts are cached (0: never); publishing clears them
"""

import os
from pathlib import Path

from django.conf import settings


def _setting(name: str, default):
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return type(default)(raw) if not isinstance(default, list) else raw.split(",")


def import_roots() -> list[Path]:
    roots = _setting("DATASET_IMPORT_ROOTS", [])
    if isinstance(roots, str):
        roots = roots.split(",")
    return [Path(r).resolve() for r in roots if str(r).strip()]


def archive_max_entries() -> int:
    return int(_setting("ARCHIVE_MAX_ENTRIES", 100_000))


def archive_max_total_bytes() -> int:
    return int(_setting("ARCHIVE_MAX_TOTAL_BYTES", 200 * 1024**3))


def archive_max_ratio() -> float:
    return float(_setting("ARCHIVE_MAX_RATIO", 200.0))


def upload_max_bytes() -> int:
    return int(_setting("UPLOAD_MAX_BYTES", 500 * 1024**3))


def upload_chunk_bytes() -> int:
    return int(_setting("UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024))


def pipeline_stale_after_s() -> float:
    """Seconds a validating submission may go without a sign of life before the sweeper acts.

    The pipeline reports progress per file, so silence this long means its worker is gone or
    stuck. Raise it if the validation queue can hold work waiting longer than this."""
    return float(_setting("PIPELINE_STALE_AFTER_S", 20 * 60.0))


def pipeline_max_attempts() -> int:
    """How many times one validation may start (or be requeued) before it is abandoned."""
    return int(_setting("PIPELINE_MAX_ATTEMPTS", 3))


def pipeline_sweep_interval_s() -> float:
    return float(_setting("PIPELINE_SWEEP_INTERVAL_S", 60.0))


def work_root() -> Path:
    """Working folders (materialised datasets, upload parts) live under STORAGE_ROOT."""
    return Path(settings.STORAGE_ROOT) / "curation"


def catalogue_cache_seconds() -> int:
    return int(_setting("CATALOGUE_CACHE_SECONDS", 60))
