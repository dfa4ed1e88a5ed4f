"""What the dataset page shows beyond the index row: an episode-length histogram, state/action
plots of one episode (read from parquet with pyarrow) and a preview frame per camera (decoded in a
subprocess, cached as PNG in storage). All charts are inline SVG: nothing loads from a CDN."""

import math
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from curation.models import Submission
from curation.services import storage
from curation.services.catalogue import card_line  # noqa: F401 - the page uses the index's wording

PLOT_W, PLOT_H = 560, 160
MAX_POINTS = 600
PALETTE = ["#2454c5", "#b3261e", "#1b7a3d", "#a86400", "#6a3fb5", "#00838f", "#c2185b", "#5d4037"]


def episode_length_histogram(lengths: list[int], bins: int = 20) -> dict | None:
    if not lengths:
        return None
    low, high = min(lengths), max(lengths)
    bins = max(1, min(bins, high - low + 1))
    width = (high - low + 1) / bins
    counts = [0] * bins
    for n in lengths:
        counts[min(bins - 1, int((n - low) / width))] += 1
    top = max(counts)
    bar_w = PLOT_W / bins
    bars = [
        {
            "x": round(i * bar_w, 1),
            "w": round(max(bar_w - 2, 1), 1),
            "h": round(PLOT_H * c / top, 1),
            "y": round(PLOT_H - PLOT_H * c / top, 1),
            "count": c,
            "from": math.floor(low + i * width),
            "to": math.floor(low + (i + 1) * width - 1e-9),
        }
        for i, c in enumerate(counts)
    ]
    return {"bars": bars, "width": PLOT_W, "height": PLOT_H, "low": low, "high": high, "top": top}


def _source(file):
    local = storage.local_path_of(file.blob)
    return str(local) if local is not None else storage.open_blob(file.blob)


def episode_columns(submission: Submission, episode: int, columns=("observation.state", "action")):
    """The given columns of one episode, as {column: list of rows}; empty when not found."""
    files = submission.files.filter(
        path__startswith="data/", path__endswith=".parquet"
    ).select_related("blob")
    for file in files:
        source = _source(file)
        schema = pq.read_schema(source)
        wanted = [c for c in columns if c in schema.names]
        if "episode_index" not in schema.names or not wanted:
            continue
        table = pq.read_table(source, columns=["episode_index", *wanted])
        table = table.filter(pc.equal(table["episode_index"], episode))
        if table.num_rows:
            return {c: table[c].to_pylist() for c in wanted}
    return {}


def _polyline(values: list[float], lo: float, hi: float, n: int) -> str:
    span = (hi - lo) or 1.0
    step = max(1, math.ceil(n / MAX_POINTS))
    points = []
    for i in range(0, n, step):
        x = PLOT_W * i / max(n - 1, 1)
        y = PLOT_H - PLOT_H * (values[i] - lo) / span
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


def episode_plots(submission: Submission, episode: int) -> list[dict]:
    try:
        data = episode_columns(submission, episode)
    except Exception as exc:  # a broken file must not break the page; the report says why
        return [{"title": "plots unavailable", "error": str(exc)}]
    plots = []
    for column, rows in data.items():
        rows = [r if isinstance(r, list) else [r] for r in rows if r is not None]
        if not rows:
            continue
        dims = len(rows[0])
        flat = [v for r in rows for v in r if v is not None]
        lo, hi = min(flat), max(flat)
        series = [
            {
                "name": f"{column}[{d}]",
                "color": PALETTE[d % len(PALETTE)],
                "points": _polyline([r[d] for r in rows], lo, hi, len(rows)),
            }
            for d in range(dims)
        ]
        plots.append(
            {
                "title": column,
                "series": series,
                "width": PLOT_W,
                "height": PLOT_H,
                "lo": f"{lo:.3g}",
                "hi": f"{hi:.3g}",
                "frames": len(rows),
            }
        )
    return plots


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
