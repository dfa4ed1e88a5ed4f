"""What the dataset page shows beyond the index row: a preview frame per camera (decoded in a
subprocess, cached as PNG in storage). The episode visualizer (histogram, charts, videos, flags)
lives in ``curation.visualizer`` and reads data precomputed at indexing time."""

import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from curation.models import Submission
from curation.services import storage
from curation.services.catalogue import card_line  # noqa: F401 - the page uses the index's wording


class PreviewUnavailable(Exception):
    pass


class PreviewBusy(PreviewUnavailable):
    """Too many previews decoded for this user just now; try again shortly."""


def preview_png(submission: Submission, camera_key: str, may_decode=None) -> bytes:
    """The first frame of the camera's first video, cached as ``previews/<video sha>.png``.

    A failure is cached too, as ``previews/<video sha>.failed`` (keyed by content, like a
    success): a video that cannot be decoded costs one decoder run, not one per request (issue
    19, M5). ``may_decode()``, when given, is asked before a decoder is started (the view's rate
    limit); False raises ``PreviewBusy``."""
    file = (
        # v3.0: videos/<camera>/chunk-000/file-000.mp4; v2.x: videos/chunk-000/<camera>/episode_000000.mp4
        submission.files.filter(path__startswith="videos/", path__contains=f"/{camera_key}/")
        .select_related("blob")
        .order_by("path")
        .first()
    )
    if file is None:
        raise PreviewUnavailable(f"no video for camera {camera_key}")
    name = f"previews/{file.blob.sha256}.png"
    failed = f"previews/{file.blob.sha256}.failed"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    if default_storage.exists(failed):
        with default_storage.open(failed, "rb") as handle:
            raise PreviewUnavailable(handle.read().decode(errors="replace"))
    if may_decode is not None and not may_decode():
        raise PreviewBusy("too many previews decoded just now; try again in a minute")
    local = storage.local_path_of(file.blob)
    with tempfile.TemporaryDirectory() as tmp:
        if local is None:
            local = Path(tmp) / "video.mp4"
            with storage.open_blob(file.blob) as src, open(local, "wb") as dst:
                dst.write(src.read())
        try:
            result = subprocess.run(
                [sys.executable, "-m", "curation.frame_grab", str(local)],
                capture_output=True,
                timeout=30,
                check=False,
            )
        except subprocess.TimeoutExpired:
            result = None
    if result is None or result.returncode != 0 or not result.stdout.startswith(b"\x89PNG"):
        message = (
            "decoding the preview frame took too long"
            if result is None
            else f"could not decode a frame: {result.stderr.decode(errors='replace')[-300:]}"
        )
        default_storage.save(failed, ContentFile(message.encode()))
        raise PreviewUnavailable(message)
    default_storage.save(name, ContentFile(result.stdout))
    return result.stdout
