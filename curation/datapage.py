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


def preview_png(submission: Submission, camera_key: str) -> bytes:
    """The first frame of the camera's first video, cached as ``previews/<video sha>.png``."""
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
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return handle.read()
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
        except subprocess.TimeoutExpired as exc:
            raise PreviewUnavailable("decoding the preview frame took too long") from exc
    if result.returncode != 0 or not result.stdout.startswith(b"\x89PNG"):
        raise PreviewUnavailable(
            f"could not decode a frame: {result.stderr.decode(errors='replace')[-300:]}"
        )
    default_storage.save(name, ContentFile(result.stdout))
    return result.stdout
