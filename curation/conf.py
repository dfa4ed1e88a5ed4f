"""Curation settings, each overridable in Django settings or the environment.

- ``DATASET_IMPORT_ROOTS``      server folders datasets may be registered from (comma-separated)
- ``ARCHIVE_MAX_ENTRIES``       most members an uploaded archive may have
- ``ARCHIVE_MAX_TOTAL_BYTES``   most bytes it may unpack to
- ``ARCHIVE_MAX_RATIO``         highest compression ratio of any member (zip-bomb guard)
- ``ARCHIVE_MAX_SECONDS``       seconds one pass over an archive may take, plus one per
                                ``ARCHIVE_MIN_BYTES_PER_SECOND`` of its size (10 s + 1 s per 5 MB)
- ``UPLOAD_MAX_BYTES``          largest single upload (file or archive)
- ``LAB_STORAGE_QUOTA_BYTES``, ``USER_STORAGE_QUOTA_BYTES`` storage quotas (2 TiB, 1 TiB)
- ``BLOB_ORPHAN_GRACE_HOURS``   unused blobs are deleted after this long (24)
- ``UPLOAD_CHUNK_BYTES``        chunk size the web uploader uses
- ``UPLOAD_READ_TIMEOUT_SECONDS`` a chunk's body read waits this long for the next bytes (30)
- ``UPLOAD_EXPIRY_HOURS``       abandoned uploads are removed after this long (72)
- ``PIPELINE_STALE_MINUTES``    a validation without progress for this long is queued again (30)
- ``PIPELINE_MAX_ATTEMPTS``     starts/requeues of one validation before it goes back to the lab (3)
- ``CATALOGUE_CACHE_SECONDS``   how long catalogue counts are cached (0: never); publishing clears them
- ``CATALOGUE_FACET_TABLE``     count facets without a text query from a per-process copy (1, 0 = off)
- ``S3_DOWNLOADS``              with S3 storage: ``stream`` file downloads through the web process
                                (default) or redirect to a ``presigned`` URL (``S3_PRESIGNED_EXPIRY_S``)
- ``HUB_PUSH_ENDPOINT``         where approved versions of labs that ask for it are pushed (default: the Hub)
- ``VALIDATOR_VIDEO_DECODE``    how deeply validation reads videos: ``sample`` (default: every packet,
                                 plus the first and last frame of each episode and a few keyframes),
                                 ``full`` (decode every frame) or ``none`` (packets only)
- ``VALIDATOR_FULL_DECODE_LABS`` lab slugs (comma-separated) whose uploads are always fully decoded
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


def archive_max_seconds(archive_size: int) -> float:
    """Time one pass over an archive of ``archive_size`` bytes may take before it is refused."""
    base = float(_setting("ARCHIVE_MAX_SECONDS", 10.0))
    rate = float(_setting("ARCHIVE_MIN_BYTES_PER_SECOND", 5_000_000.0))
    return base + archive_size / max(rate, 1.0)


def upload_max_bytes() -> int:
    return int(_setting("UPLOAD_MAX_BYTES", 500 * 1024**3))


def lab_storage_quota_bytes() -> int:
    return int(_setting("LAB_STORAGE_QUOTA_BYTES", 2 * 1024**4))


def user_storage_quota_bytes() -> int:
    return int(_setting("USER_STORAGE_QUOTA_BYTES", 1024**4))


def blob_orphan_grace_hours() -> float:
    return float(_setting("BLOB_ORPHAN_GRACE_HOURS", 24.0))


def upload_chunk_bytes() -> int:
    return int(_setting("UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024))


def work_root() -> Path:
    """Working folders (materialised datasets, upload parts) live under STORAGE_ROOT."""
    return Path(settings.STORAGE_ROOT) / "curation"


def catalogue_cache_seconds() -> int:
    return int(_setting("CATALOGUE_CACHE_SECONDS", 60))


def upload_expiry_hours() -> float:
    return float(_setting("UPLOAD_EXPIRY_HOURS", 72.0))


def pipeline_stale_minutes() -> float:
    return float(_setting("PIPELINE_STALE_MINUTES", 30.0))


def pipeline_max_attempts() -> int:
    """Starts (or requeues) of one validation before it is abandoned with a clear error."""
    return int(_setting("PIPELINE_MAX_ATTEMPTS", 3))


def s3_downloads() -> str:
    mode = str(_setting("S3_DOWNLOADS", "stream")).strip().lower()
    if mode not in ("stream", "presigned"):
        raise ValueError(f"S3_DOWNLOADS={mode!r}: use 'stream' or 'presigned'")
    return mode


def catalogue_facet_table() -> bool:
    return str(_setting("CATALOGUE_FACET_TABLE", "1")).lower() not in ("0", "false", "no", "off")


def hub_push_endpoint() -> str:
    """Where approved versions are pushed (``HUB_PUSH_ENDPOINT``); empty: huggingface_hub's own."""
    return str(_setting("HUB_PUSH_ENDPOINT", ""))


def upload_read_timeout_seconds() -> float:
    """How long one read of an upload's body may wait for bytes before the request ends with what
    arrived (the client resumes from the offset it is told)."""
    return float(_setting("UPLOAD_READ_TIMEOUT_SECONDS", 30.0))


VIDEO_DECODE_MODES = ("none", "sample", "full")


def video_decode_mode(lab_slug: str | None = None) -> str:
    """The validator's video tier for an upload of ``lab_slug`` (see validators/README.md)."""
    labs = [s.strip() for s in _setting("VALIDATOR_FULL_DECODE_LABS", []) if s.strip()]
    if lab_slug and lab_slug in labs:
        return "full"
    mode = str(_setting("VALIDATOR_VIDEO_DECODE", "sample")).strip().lower()
    return mode if mode in VIDEO_DECODE_MODES else "sample"
