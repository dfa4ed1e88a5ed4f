"""Statistics: present, shaped right, with sound quantiles, and equal to statistics recomputed from
the data within the error of lerobot's own arithmetic (float32 mean of squares, aggregation over
episodes; see scan.lerobot_episode_stats and lerobot_aggregate), 1e-2 for images and video."""

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
    if ctx.version == "v2.1" and not ctx.is_v3 and not has_episode_stats and stats is not None:
        ctx.add(
            "file.missing",
            "meta/episodes_stats.jsonl is missing: a v2.1 dataset keeps per-episode statistics "
            "there (lerobot 0.3.x loads them and its v2.1→v3.0 converter needs them; meta/stats.json "
            "alone is the v2.0 layout). Recompute them with lerobot 0.3.3 "
            "(convert_dataset_v20_to_v21 writes them) or convert from v2.0.",
            file="meta/episodes_stats.jsonl",
        )
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
        cameras_without = [
            f
            for f in ctx.features
            if ctx.features[f].get("dtype") in ("image", "video") and f not in stats
        ]
        if cameras_without:
            ctx.add(
                "lerobot_bug.3786",
                f"{STATS} has no image statistics for camera(s) {cameras_without[:6]}, as "
                "lerobot's v2.1→v3.0 converter left them (#3786): policies normalize camera "
                "inputs with them and fail. Recompute the stats (lerobot-edit-dataset "
                "--operation.type recompute_stats).",
                file=STATS,
                feature=cameras_without[0],
            )
        lacking_defaults = [f for f in DEFAULT_FEATURES if f in ctx.features and f not in stats]
        if lacking_defaults:
            ctx.add(
                "stats.incomplete",
                f"{STATS} lacks the default feature(s) {lacking_defaults}, which lerobot writes "
                "for every dataset: another tool wrote these stats (lerobot's merge and "
                "aggregate expect the same keys in every dataset). Recompute them with lerobot.",
                file=STATS,
            )
        _check_zero_variance(ctx, stats)
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


def _check_zero_variance(ctx: Context, stats: dict) -> None:
    for name, values in stats.items():
        spec = ctx.features.get(name)
        if not isinstance(values, dict) or spec is None or name in DEFAULT_FEATURES:
            continue
        if spec.get("dtype") in ("image", "video", "string"):
            continue
        std, low, high = (_flat(values.get(k)) for k in ("std", "min", "max"))
        dims = set()
        if std is not None:
            dims.update(np.flatnonzero(std == 0).tolist())
        if low is not None and high is not None and low.shape == high.shape:
            dims.update(np.flatnonzero(low == high).tolist())
        if dims:
            names = spec.get("names")
            labels = [
                names[d] if isinstance(names, list) and d < len(names) else d for d in sorted(dims)
            ]
            ctx.add(
                "lerobot_bug.3280",
                f"{STATS}: {name} has zero variance in dimension(s) {labels[:8]} (std 0 or "
                "min == max): MEAN_STD or MIN_MAX normalization divides by zero there and "
                "training gets NaN (lerobot #3280). Drop the dimension, or record it moving.",
                file=STATS,
                feature=name,
            )


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


EPS32 = float(np.finfo(np.float32).eps)


def _magnitude(lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(lows), np.abs(highs))


def _arith(magnitude: np.ndarray, rows) -> np.ndarray:
    """How far float32 arithmetic over ``rows`` values of up to ``magnitude`` can move a mean
    (sequential sums: rounding grows with the square root of the count in practice)."""
    return EPS32 * magnitude * (4.0 * np.sqrt(np.asarray(rows, dtype=np.float64)) + 4.0)


def _close(stat: str, stored, refs, magnitude, rows) -> np.ndarray:
    """Per element: whether ``stored`` is a value lerobot could have written.

    ``refs`` is [exact float64 value, lerobot's own float32 computation redone (or None/NaN when
    it cannot be redone)]. Means get the error of float32 sums around either. For std, the redone
    lerobot value is matched tightly (it reproduces lerobot bit for bit with the same numpy), the
    exact value within float32 two-pass error (older lerobot used np.std); only where lerobot's
    computation cannot be redone is the std compared as a variance with the cancellation error
    of lerobot's mean-of-squares formula, which is large for big values with little spread."""
    stored = np.asarray(stored, dtype=np.float64)
    exact = np.asarray(refs[0], dtype=np.float64)
    redone = refs[1] if len(refs) > 1 else None
    redone = None if redone is None else np.asarray(redone, dtype=np.float64)
    if redone is not None and redone.shape != stored.shape:
        redone = None
    with np.errstate(invalid="ignore", over="ignore"):
        base = ATOL + RTOL * np.abs(exact)
        if stat in ("min", "max"):
            return np.abs(stored - exact) <= base + 2 * EPS32 * magnitude
        if stat != "std":
            ok = np.abs(stored - exact) <= base + _arith(magnitude, rows)
            if redone is not None:
                ok |= (
                    np.abs(stored - redone) <= ATOL + RTOL * np.abs(redone) + 8 * EPS32 * magnitude
                )
            return ok
        ok = np.abs(stored - exact) <= base + _arith(exact + 1e-3 * magnitude, rows)
        if redone is not None:
            tight = ATOL + RTOL * np.abs(redone)
            var_tol = 2 * np.abs(redone) * tight + tight**2 + 16 * EPS32 * magnitude**2
            ok |= np.abs(stored**2 - redone**2) <= var_tol
            unknown = ~np.isfinite(redone)
        else:
            unknown = np.ones(stored.shape, dtype=bool)
        var_tol = 2 * np.abs(exact) * base + base**2 + 2 * _arith(magnitude**2, rows)
        ok |= unknown & (np.abs(stored**2 - exact**2) <= var_tol)
        return ok


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


def lerobot_aggregate(counts: np.ndarray, means: np.ndarray, stds: np.ndarray):
    """lerobot's global mean and std: ``aggregate_stats([stats, episode_stats])`` after each
    saved episode, in episode order (compute_stats.aggregate_feature_stats, float32 per-episode
    values, float64 sums). None when an episode's lerobot values are unknown."""
    if not len(counts) or not np.isfinite(means).all() or not np.isfinite(stds).all():
        return None
    mean = means[0].astype(np.float32)
    std = stds[0].astype(np.float32)
    count = np.array([counts[0]], dtype=np.int64)
    for i in range(1, len(counts)):
        pair_means = np.stack([mean, means[i].astype(np.float32)])
        pair_vars = np.stack([std**2, stds[i].astype(np.float32) ** 2])
        pair_counts = np.stack([count, np.array([counts[i]], dtype=np.int64)])
        total = pair_counts.sum(axis=0)
        total_mean = (pair_means * pair_counts).sum(axis=0) / total
        delta = pair_means - total_mean
        total_var = ((pair_vars + delta**2) * pair_counts).sum(axis=0) / total
        mean, std, count = total_mean, np.sqrt(total_var), total
    return np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)


def _flat(value) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        return None


def _compare_global(ctx: Context, stats: dict, scan) -> None:
    t = scan.table
    order = np.argsort(t["ep"], kind="stable")
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
        magnitude = _magnitude(computed["min"], computed["max"])
        rows = float(t["rows"].max()) if len(t["rows"]) else 1.0
        emulated = None
        if f"{name}|lmean" in t:
            emulated = lerobot_aggregate(
                t["rows"][order], t[f"{name}|lmean"][order], t[f"{name}|lstd"][order]
            )
        refs = {
            "min": [computed["min"]],
            "max": [computed["max"]],
            "mean": [computed["mean"], emulated[0] if emulated else None],
            "std": [computed["std"], emulated[1] if emulated else None],
        }
        bad = []
        for stat in BASIC:
            if stat not in stored:
                continue
            value = _flat(stored[stat])
            if value is None or value.shape != computed[stat].shape:
                bad.append(f"{stat} (shape {None if value is None else value.shape})")
                continue
            ok = _close(stat, value, refs[stat], magnitude, rows)
            if not ok.all():
                gap = np.abs(value - computed[stat])
                worst = int(np.argmax(np.where(ok, -1, gap)))
                bad.append(
                    f"{stat}[{worst}] = {value[worst]:.6g}, the data give {computed[stat][worst]:.6g}"
                )
        if "count" in stored:
            count = _flat(stored["count"])
            if (
                count is not None
                and count.size
                and np.isfinite(count[0])  # a NaN count is reported by the shape checks
                and int(count[0]) != int(computed["count"][0])
            ):
                bad.append(f"count ({int(count[0])} vs {int(computed['count'][0])} frames)")
        if bad:
            ctx.add(
                "stats.mismatch",
                f"{STATS}: {name} {'; '.join(bad[:4])}. The stored statistics differ from the data "
                "by more than lerobot's own float32 arithmetic could (so lerobot did not compute "
                "them from these frames): the data was edited after recording, or the stats are "
                "from another dataset. Recompute them (lerobot-edit-dataset "
                "--operation.type recompute_stats, or --repair OUT).",
                file=STATS,
                feature=name,
            )
    _check_quantiles(ctx, stats)


def _check_quantiles(ctx: Context, stats: dict) -> None:
    """Quantile values, not only their presence: ordered q01 <= ... <= q99 and inside
    [min, max] (lerobot's histogram estimator is off by at most a few of its 5000 bins)."""
    for name, values in stats.items():
        if not isinstance(values, dict) or not all(q in values for q in QUANTILES):
            continue
        low, high = _flat(values.get("min")), _flat(values.get("max"))
        qs = [_flat(values[q]) for q in QUANTILES]
        if low is None or high is None or any(q is None or q.shape != low.shape for q in qs):
            continue
        if high.shape != low.shape:
            continue
        slack = (high - low) * 4 / 5000 + ATOL + 2 * EPS32 * _magnitude(low, high)
        problems = []
        for (qa, a), (qb, b) in zip(
            zip(QUANTILES, qs, strict=True), zip(QUANTILES[1:], qs[1:], strict=True), strict=False
        ):
            if (a > b + slack).any():
                problems.append(f"{qa} > {qb}")
        for q, value in zip(QUANTILES, qs, strict=True):
            if ((value < low - slack) | (value > high + slack)).any() or not np.isfinite(
                value
            ).all():
                problems.append(f"{q} outside [min, max]")
        if problems:
            ctx.add(
                "stats.quantiles_invalid",
                f"{STATS}: the quantiles of {name} are impossible ({', '.join(problems[:4])}); "
                "QUANTILES normalization (pi0.5) would map the data wrongly. Recompute them.",
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
            counts = t["rows"][rows].astype(np.float64)[:, None]
            if stat == "std":
                refs = [np.sqrt(np.maximum(t[f"{name}|m2"][rows] / counts, 0))]
                refs.append(t[f"{name}|lstd"][rows] if f"{name}|lstd" in t else None)
            elif stat == "mean":
                refs = [t[f"{name}|mean"][rows]]
                refs.append(t[f"{name}|lmean"][rows] if f"{name}|lmean" in t else None)
            else:
                refs = [t[f"{name}|{stat}"][rows]]
            if stored.shape[1] != refs[0].shape[1]:
                differs = np.ones(len(rows), dtype=bool)
            else:
                magnitude = _magnitude(t[f"{name}|min"][rows], t[f"{name}|max"][rows])
                ok = _close(stat, stored, refs, magnitude, counts)
                differs = ~ok.all(axis=1) | ~np.isfinite(stored).all(axis=1)
            differs &= t[f"{name}|nonfinite"][rows] == 0  # NaN data is reported elsewhere
            flagged.update(episodes[differs].tolist())
        if flagged:
            first = sorted(flagged)[:5]
            ctx.add(
                "stats.mismatch",
                f"{source}: per-episode statistics of {name} differ from the data in {len(flagged)} "
                f"episode(s) (first: {first}) by more than lerobot's own arithmetic could; "
                "recompute them.",
                file=source,
                feature=name,
                episode=first[0],
            )
