"""Totals in info.json (episodes, frames, tasks, videos, chunks, splits) against the files."""

from __future__ import annotations

import re

from .context import Context

INFO = "meta/info.json"


def _mismatch(ctx: Context, key: str, declared, actual, what: str) -> None:
    ctx.add(
        "totals.mismatch",
        f"info.json says {key} = {declared} but {what} {actual}; lerobot trusts {key} "
        f"(e.g. len(dataset) is total_frames) and fails later. Set {key} to {actual}.",
        file=INFO,
        feature=key,
    )


def check_totals(ctx: Context, scan) -> None:
    info, meta = ctx.info, ctx.episodes
    partial = ctx.selected_episodes is not None
    n_episodes = len(meta) if meta is not None else None
    if n_episodes is None and scan is not None and scan.table:
        n_episodes = len(scan.table["ep"])
    frames = (
        int(scan.table["rows"].sum()) if scan is not None and scan.table and not partial else None
    )
    if frames is None and meta is not None and all(isinstance(n, int) for n in meta.length):
        frames = sum(meta.length)
    ctx.summary["frames"] = frames
    if ctx.summary["episodes"] is None:
        ctx.summary["episodes"] = n_episodes

    declared = info.get("total_episodes")
    if isinstance(declared, int) and n_episodes is not None and declared != n_episodes:
        _mismatch(ctx, "total_episodes", declared, n_episodes, "the episode metadata lists")
    declared = info.get("total_frames")
    if isinstance(declared, int) and not partial and scan is not None and scan.results:
        rows = scan.total_rows
        if declared != rows and all(r.readable for r in scan.results):
            _mismatch(ctx, "total_frames", declared, rows, "the data files hold")
    declared = info.get("total_tasks")
    if isinstance(declared, int) and ctx.tasks is not None and declared != len(ctx.tasks):
        _mismatch(ctx, "total_tasks", declared, len(ctx.tasks), "the task table has")
    if not ctx.is_v3:
        declared = info.get("total_videos")
        videos = sum(1 for r in ctx.files if r.startswith("videos/") and r.endswith(".mp4"))
        if isinstance(declared, int) and declared > videos:
            # Fewer files than declared: the files are missing, not the number wrong.
            ctx.add(
                "totals.mismatch",
                f"info.json says total_videos = {declared} but the dataset holds {videos} mp4 "
                f"file(s): {declared - videos} video(s) are missing (the video findings name "
                "them). Upload the missing videos rather than lowering total_videos.",
                file=INFO,
                feature="total_videos",
            )
        elif isinstance(declared, int) and declared != videos:
            _mismatch(ctx, "total_videos", declared, videos, "there are mp4 files:")
        declared = info.get("total_chunks")
        chunks = {m.group(1) for r in ctx.files if (m := re.match(r"data/(chunk-\d+)/", r))}
        if isinstance(declared, int) and chunks and declared != len(chunks):
            _mismatch(ctx, "total_chunks", declared, len(chunks), "data/ has chunk folders:")
    splits = info.get("splits")
    if isinstance(splits, dict) and n_episodes is not None:
        covered = set()
        for name, spec in splits.items():
            match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", str(spec))
            if not match:
                ctx.add(
                    "totals.splits",
                    f'Split {name!r} is {spec!r}; write it as "start:end".',
                    file=INFO,
                )
                continue
            covered.update(range(int(match.group(1)), int(match.group(2))))
        if covered and (max(covered) >= n_episodes):
            ctx.add(
                "totals.splits",
                f"splits {splits} reach past the {n_episodes} episode(s); lerobot writes "
                f'{{"train": "0:{n_episodes}"}}.',
                file=INFO,
            )
    data_files = [r for r in ctx.files if r.startswith("data/") and r.endswith(".parquet")]
    if partial:
        return
    declared_episodes = _positive(info.get("total_episodes"))
    declared_frames = _positive(info.get("total_frames"))
    meta_rows = len(meta) if meta is not None else 0
    if not data_files:
        if meta_rows and isinstance(declared_frames, int):
            lengths = [n for n in meta.length if isinstance(n, int)]
            if len(lengths) == meta_rows and sum(lengths) != declared_frames:
                _mismatch(
                    ctx, "total_frames", declared_frames, sum(lengths),
                    "the episode lengths in the metadata sum to",
                )  # fmt: skip
        if declared_episodes or declared_frames or meta_rows:
            if not any(
                f.code == "file.missing" and str(f.location.get("file", "")).startswith("data/")
                for f in ctx.findings
            ):
                ctx.add(
                    "file.missing",
                    f"The metadata declares {declared_episodes or meta_rows or 0} episode(s) and "
                    f"{declared_frames or 0} frame(s), but data/ holds no parquet file: the data "
                    "files were not uploaded (or were deleted). Upload the data/ folder "
                    f"({info.get('data_path') or 'data/...'}).",
                    file="data/",
                )
            return
        ctx.add(
            "dataset.empty",
            "The dataset declares no episodes and holds no data files: there is nothing to use.",
        )
        return
    if frames == 0 or (n_episodes == 0 and not frames):
        # Data rows with unreadable episode metadata are not an empty dataset (the metadata
        # findings say what is wrong).
        ctx.add("dataset.empty", "The dataset holds no episodes or no frames.")


def _positive(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
