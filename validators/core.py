"""``validate``: run every check family in order and return a Report.

Each step reads what earlier steps learned (info.json, layout, episode metadata, the data scan)
from the shared Context and adds findings; a failing step never stops the others unless there is
nothing left to read (no info.json at all).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from . import (
    compatibility,
    data,
    episodes,
    info,
    layout,
    quality,
    stats,
    timestamps,
    totals,
    videos,
)
from .context import Context
from .report import Report

Progress = Callable[[str, int, int], None]
logger = logging.getLogger(__name__)


DECODE_MODES = ("none", "sample", "full")


def decode_mode(value: bool | str | None) -> str:
    if value is True or value is None:
        return "sample"
    if value is False:
        return "none"
    if value not in DECODE_MODES:
        raise ValueError(f"decode_video must be one of {DECODE_MODES}, not {value!r}")
    return value


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def validate(
    path,
    *,
    max_episodes: int | None = None,
    decode_video: bool | str = "sample",
    workers: int | None = None,
    progress: Progress | None = None,
    name: str | None = None,
) -> Report:
    """Validate the LeRobot dataset at ``path`` and return a Report of every finding.

    ``max_episodes`` checks only the first N episodes (and the files that hold them);
    ``decode_video`` is the video tier: ``"sample"`` (default, and ``True``) reads every packet
    of every video and decodes each episode's first and last frame plus a few keyframes,
    ``"full"`` decodes every frame, ``"none"`` (or ``False``) reads packets only; ``workers`` is the
    number of processes that read data files and probe videos (default: all cores);
    ``progress(step, done, total)`` is called as work advances. ``name`` is what the user calls
    the dataset (default: the folder's name): fix-it commands name the user's copy by it, never
    the path validated here.
    """
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"{path} is not a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        raise PermissionError(f"{path} cannot be read (permission denied)")
    progress = progress or _no_progress
    ctx = Context(
        root,
        max_episodes=max_episodes,
        decode_video=decode_mode(decode_video),
        workers=max(1, workers or os.cpu_count() or 1),
        name=name,
    )
    _run(ctx, progress)
    ctx.finish()
    ctx.summary["codebase_version"] = ctx.version
    ctx.summary["data_files"] = sum(
        1 for r in ctx.files if r.startswith("data/") and r.endswith(".parquet")
    )
    if not ctx.summary["video_files"]:
        ctx.summary["video_files"] = sum(
            1 for r in ctx.files if r.startswith("videos/") and r.endswith(".mp4")
        )
    return Report(
        codebase_version=ctx.version,
        summary=ctx.summary,
        findings=ctx.findings,
        compatibility=_compatibility(ctx),
    )


def _compatibility(ctx: Context) -> dict:
    """Which lerobot releases load the dataset; never fails the report (it is advice)."""
    columns: set[str] = set()
    data_files = sorted(r for r in ctx.files if r.startswith("data/") and r.endswith(".parquet"))
    readme = None
    try:
        if data_files:
            columns = set(pq.read_schema(ctx.root / data_files[0]).names)
    except Exception:  # noqa: S110 - a damaged file is reported by the data checks
        pass
    try:
        if "README.md" in ctx.files and ctx.files["README.md"] < 1_000_000:
            readme = (ctx.root / "README.md").read_text(errors="replace")
    except OSError:
        pass
    return compatibility.assess(
        codebase_version=ctx.version,
        features=ctx.info.get("features", {}) if isinstance(ctx.info, dict) else {},
        data_columns=columns,
        info=ctx.info if isinstance(ctx.info, dict) else None,
        readme=readme,
        name=ctx.name,
    )


def _guarded(ctx: Context, name: str, check, *args):
    """Run one check; if it fails on input nobody foresaw, say so in the report and go on."""
    try:
        return check(*args)
    except Exception as error:  # a validator must never crash on a dataset
        logger.exception("check %s failed on %s", name, ctx.root)
        ctx.add(
            "check.failed",
            f"The {name} check could not complete ({type(error).__name__}: {error}); the report "
            "may miss findings of this kind. Please report it with the dataset.",
        )
        return None


def _run(ctx: Context, progress: Progress) -> None:
    progress("layout", 0, 1)
    layout.walk(ctx)
    if not ctx.files:
        ctx.add("not_lerobot", "The folder is empty.")
        return
    layout.check_files(ctx)
    layout.load_info(ctx)
    if ctx.stop:
        return
    steps = [
        ("version", layout.check_version, ctx),
        ("layout", layout.detect_layout, ctx),
        ("info.json", info.check_info, ctx),
        ("version", layout.check_outdated, ctx),
        ("stray files", layout.check_unexpected, ctx),
    ]
    for name, check, *args in steps:
        _guarded(ctx, name, check, *args)
    progress("layout", 1, 1)

    progress("metadata", 0, 1)
    _guarded(ctx, "tasks", episodes.load_tasks, ctx)
    _guarded(ctx, "episode metadata", episodes.load_episodes, ctx)
    if ctx.max_episodes is not None:
        ctx.add(
            "report.partial",
            f"Only the first {ctx.max_episodes} episode(s) were checked; totals, global index and "
            "global stats were not.",
        )
    _guarded(ctx, "data file paths", episodes.check_data_files_resolve, ctx, None)
    progress("metadata", 1, 1)

    scan = _guarded(ctx, "data files", data.run_scan, ctx, progress)
    if scan is None:
        scan = data.DataScan(files=[], results=[])
    ctx.data_scan = scan
    steps = [
        ("data files", data.report_file_findings, ctx, scan),
        ("indices", data.check_indices, ctx, scan),
        ("timestamps", timestamps.check_timestamps, ctx, scan),
        ("episode metadata", episodes.check_against_data, ctx, scan),
        ("episode tasks", episodes.check_tasks_of_episodes, ctx),
        ("totals", totals.check_totals, ctx, scan),
        ("videos", videos.check_videos, ctx, progress),
    ]
    for name, check, *args in steps:
        _guarded(ctx, name, check, *args)
    if not ctx.summary["cameras"] and ctx.image_keys:
        ctx.summary["cameras"] = [videos.camera_summary(ctx, key, None) for key in ctx.image_keys]

    progress("stats", 0, 1)
    _guarded(ctx, "stats", stats.check_stats, ctx, scan)
    _guarded(ctx, "quality", quality.check_quality, ctx, scan)
    progress("stats", 1, 1)
