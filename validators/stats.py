"""Statistics: present, shaped right, with quantiles, and equal to statistics recomputed from the
data (lerobot's own tolerances: rtol 5e-6 / atol 6e-5 for numbers, 1e-2 for images and video)."""

from __future__ import annotations

import numpy as np

from .context import DEFAULT_FEATURES, Context
from .episodes import episode_stats_from_rows, read_episode_stats_v3, read_jsonl
from .jsonio import STATS_MAX_BYTES, JsonRefused, read_json
from .lerobot_commands import quantile_command, run_from
from .scan import numeric_features

QUANTILES = ("q01", "q10", "q50", "q90", "q99")
BASIC = ("min", "max", "mean", "std")
RTOL, ATOL = 5e-6, 6e-5
VIDEO_TOL = 1e-2  # lerobot's tolerance for image/video stats (rtol and atol)
STATS = "meta/stats.json"


def _load_stats_json(ctx: Context) -> dict | None:
    if STATS not in ctx.files or ctx.files[STATS] == 0:
        return None
    try:
        stats = read_json(ctx.root / STATS, what=STATS, max_bytes=STATS_MAX_BYTES)
    except JsonRefused as error:
        ctx.add("stats.invalid", f"{error}.", file=STATS)
        return None
    if not isinstance(stats, dict):
        ctx.add("stats.invalid", f"{STATS} must hold an object feature -> stats.", file=STATS)
        return None
    return stats


def check_stats(ctx: Context, scan) -> None:
    stats = _load_stats_json(ctx)
    episode_stats = None  # (feature, stat) -> (episodes, values), see read_episode_stats_v3
    has_episode_stats = False
    if ctx.is_v3:
        episode_stats = read_episode_stats_v3(ctx) or None
    elif ctx.version == "v2.1":
        rows = read_jsonl(ctx, "meta/episodes_stats.jsonl")
        if rows is not None:
            has_episode_stats = True
            valid_rows = {
                r["episode_index"]: r["stats"]
                for r in rows
                if isinstance(r.get("episode_index"), int) and isinstance(r.get("stats"), dict)
            }
            if len(valid_rows) < len(rows):
                ctx.add(
                    "stats.invalid",
                    f"{len(rows) - len(valid_rows)} row(s) of meta/episodes_stats.jsonl lack an "
                    "integer episode_index or a stats object.",
                    file="meta/episodes_stats.jsonl",
                )
            episode_stats = episode_stats_from_rows(valid_rows) or None
    has_stats = stats is not None or has_episode_stats
    ctx.summary["has_stats"] = has_stats
    if not has_stats:
        where = (
            "meta/stats.json"
            if (ctx.is_v3 or ctx.version == "v2.0")
            else "meta/episodes_stats.jsonl"
        )
        ctx.add(
            "stats.missing",
            f"{where} is missing: policies normalize inputs with these statistics and training fails "
            "without them. Recompute them with lerobot (compute_stats / aggregate_stats) before uploading.",
            file=where,
        )
    if stats is not None:
        _check_shapes(ctx, stats, STATS)
        with_q = [
            k for k, v in stats.items() if isinstance(v, dict) and all(q in v for q in QUANTILES)
        ]
        ctx.summary["has_quantiles"] = bool(stats) and len(with_q) == len(
            [v for v in stats.values() if isinstance(v, dict)]
        )
        if ctx.is_v3 and not ctx.summary["has_quantiles"]:
            ctx.add(
                "stats.no_quantiles",
                f"{STATS} has no q01/q10/q50/q90/q99 for some features; policies with QUANTILES "
                "normalization (pi0.5) fail (#2105). Add them with "
                f"`{quantile_command(ctx.name)}` ({run_from(ctx.name)}; offline it writes the "
                "stats, then fails to push to the Hub; the stats are written).",
                file=STATS,
            )
        missing = [
            f
            for f in numeric_features(ctx.features)
            if f not in stats and f not in DEFAULT_FEATURES
        ]
        missing += [
            f
            for f in ctx.features
            if ctx.features[f].get("dtype") in ("image", "video") and f not in stats
        ]
        if missing:
            ctx.add(
                "stats.invalid",
                f"{STATS} has no statistics for feature(s) {missing[:8]}.",
                file=STATS,
                severity="warning",
            )
    if stats is not None:
        _compare_video_means(ctx, stats)
    if scan is None or not scan.table:
        return
    if stats is not None and ctx.selected_episodes is None:
        _compare_global(ctx, stats, scan)
    if episode_stats:
        source = "meta/episodes/" if ctx.is_v3 else "meta/episodes_stats.jsonl"
        _compare_episodes(ctx, episode_stats, scan, source)


def is_depth_map(spec: dict) -> bool:
    """A depth camera, flagged as lerobot 0.6 reads it (``info.is_depth_map``, or the legacy
    ``video.is_depth_map`` in ``info`` or ``video_info``)."""
    info = spec.get("info") if isinstance(spec.get("info"), dict) else {}
    video_info = spec.get("video_info") if isinstance(spec.get("video_info"), dict) else {}
    return bool(
        info.get("is_depth_map")
        or info.get("video.is_depth_map")
        or video_info.get("video.is_depth_map")
    )


def _check_shapes(ctx: Context, stats: dict, source: str) -> None:
    for name, values in stats.items():
        spec = ctx.features.get(name)
        if spec is None or not isinstance(values, dict):
            continue
        camera = spec.get("dtype") in ("image", "video")
        # lerobot divides camera stats by 255, except for depth maps (0.6+), which keep their units.
        depth = is_depth_map(spec)
        for stat, value in values.items():
            try:
                array = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                ctx.add(
                    "stats.invalid",
                    f"{source}: {name}.{stat} is not numeric.",
                    file=source,
                    feature=name,
                )
                continue
            if stat == "count":
                continue
            if camera:
                if array.shape != (3, 1, 1) and array.shape != (1, 1, 1):
                    ctx.add(
                        "stats.invalid",
                        f"{source}: {name}.{stat} has shape {array.shape}; camera stats are per channel, shape (3,1,1).",
                        file=source,
                        feature=name,
                    )
                elif (
                    not depth
                    and stat in BASIC + QUANTILES
                    and stat != "std"
                    and ((array < -1e-6) | (array > 1 + 1e-6)).any()
                ):
                    ctx.add(
                        "stats.invalid",
                        f"{source}: {name}.{stat} is outside [0, 1]; camera stats are normalized pixel values (divide by 255).",
                        file=source,
                        feature=name,
                    )
            else:
                width = int(np.prod(spec.get("shape") or [1]))
                if array.size != width:
                    ctx.add(
                        "stats.invalid",
                        f"{source}: {name}.{stat} has {array.size} value(s), the feature has {width}.",
                        file=source,
                        feature=name,
                    )


def _recomputed(scan, name: str, rows: np.ndarray | None = None):
    t = scan.table
    if f"{name}|mean" not in t:
        return None
    counts = t["rows"].astype(np.float64)
    if rows is not None:
        counts = counts[rows]
    select = (lambda a: a[rows]) if rows is not None else (lambda a: a)
    means, m2 = select(t[f"{name}|mean"]), select(t[f"{name}|m2"])
    total = counts.sum()
    if total == 0:
        return None
    mean = (means * counts[:, None]).sum(axis=0) / total
    m2_total = m2.sum(axis=0) + (((means - mean) ** 2) * counts[:, None]).sum(axis=0)
    return {
        "min": select(t[f"{name}|min"]).min(axis=0),
        "max": select(t[f"{name}|max"]).max(axis=0),
        "mean": mean,
        "std": np.sqrt(np.maximum(m2_total / total, 0)),
        "count": np.array([total]),
    }


def _differs(stored, computed) -> tuple[bool, float]:
    try:
        stored = np.asarray(stored, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return True, float("nan")
    if stored.shape != computed.shape:
        return True, float("nan")
    gap = np.abs(stored - computed)
    return bool((gap > ATOL + RTOL * np.abs(computed)).any()), float(gap.max())


def _compare_global(ctx: Context, stats: dict, scan) -> None:
    t = scan.table
    for name in numeric_features(ctx.features):
        stored = stats.get(name)
        if (
            not isinstance(stored, dict)
            or f"{name}|nonfinite" not in t
            or t[f"{name}|nonfinite"].sum()
        ):
            continue
        computed = _recomputed(scan, name)
        if computed is None:
            continue
        bad = []
        for stat in BASIC:
            if stat in stored:
                differs, gap = _differs(stored[stat], computed[stat])
                if differs:
                    bad.append(f"{stat} (off by up to {gap:.3g})")
        if "count" in stored:
            count = np.asarray(stored["count"]).reshape(-1)
            if count.size and int(count[0]) != int(computed["count"][0]):
                bad.append(f"count ({int(count[0])} vs {int(computed['count'][0])} frames)")
        if bad:
            ctx.add(
                "stats.mismatch",
                f"{STATS}: {name} {', '.join(bad)} differ from the statistics of the data "
                f"(tolerance rtol {RTOL:g}, atol {ATOL:g}). The stats are stale (data edited after "
                "recording?); recompute them.",
                file=STATS,
                feature=name,
            )


def _compare_video_means(ctx: Context, stats: dict) -> None:
    """The stored per-channel mean of each camera against the mean of every decoded frame.

    Only the mean: lerobot computes the stats on the frames before encoding, and lossy encoding
    changes min, max and std far more than the mean (a few thousandths on pure noise)."""
    for key, computed in ctx.video_channel_means.items():
        stored = stats.get(key, {}).get("mean") if isinstance(stats.get(key), dict) else None
        if stored is None:
            continue
        try:
            stored = np.asarray(stored, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            continue  # stats.invalid already says it
        if stored.shape != computed.shape:
            continue
        gap = np.abs(stored - computed)
        if (gap > VIDEO_TOL + VIDEO_TOL * np.abs(computed)).any():
            ctx.add(
                "stats.mismatch",
                f"{STATS}: the per-channel mean of {key} is {np.round(stored, 4).tolist()} but the "
                f"decoded video frames average {np.round(computed, 4).tolist()} (tolerance "
                f"{VIDEO_TOL:g}); the stats do not describe these videos. Recompute them.",
                file=STATS,
                feature=key,
            )


def _compare_episodes(ctx: Context, episode_stats: dict, scan, source: str) -> None:
    """Per-episode stored stats against the per-episode numbers of the scan, vectorized."""
    t = scan.table
    for name in numeric_features(ctx.features):
        if f"{name}|mean" not in t:
            continue
        flagged: set[int] = set()
        for stat in BASIC:
            if (name, stat) not in episode_stats:
                continue
            episodes, stored = episode_stats[(name, stat)]
            rows = np.array([scan.row_of.get(ep, -1) for ep in episodes.tolist()], dtype=np.int64)
            known = rows >= 0
            episodes, stored, rows = episodes[known], stored[known], rows[known]
            if stat == "std":
                counts = t["rows"][rows].astype(np.float64)[:, None]
                computed = np.sqrt(np.maximum(t[f"{name}|m2"][rows] / counts, 0))
            else:
                computed = t[f"{name}|{stat}"][rows]
            if stored.shape[1] != computed.shape[1]:
                differs = np.ones(len(rows), dtype=bool)
            else:
                gap = np.abs(stored - computed) > ATOL + RTOL * np.abs(computed)
                differs = gap.any(axis=1) | ~np.isfinite(stored).all(axis=1)
            differs &= t[f"{name}|nonfinite"][rows] == 0  # NaN data is reported elsewhere
            flagged.update(episodes[differs].tolist())
        if flagged:
            first = sorted(flagged)[:5]
            ctx.add(
                "stats.mismatch",
                f"{source}: per-episode statistics of {name} differ from the data in {len(flagged)} "
                f"episode(s) (first: {first}); recompute them.",
                file=source,
                feature=name,
                episode=first[0],
            )
