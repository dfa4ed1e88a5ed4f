"""Data quality, as warnings: frozen actions, stuck actuators, action jumps, very short episodes,
duplicate episodes, constant features. Thresholds follow lerobot-doctor where it has one."""

from __future__ import annotations

import numpy as np

from .context import DEFAULT_FEATURES, Context
from .scan import numeric_features

SHORT_EPISODE_FRAMES = 10
# Action chunk sizes of lerobot's policies (their config defaults): an episode shorter than the
# chunk is trained on mostly padded targets.
POLICY_CHUNKS = {"ACT": 100, "pi0 / pi0.5 / SmolVLA": 50, "Diffusion (horizon)": 16}
IDLE_SHARE = 0.2  # idle head or tail over a fifth of the episode (and at least a second)
FROZEN_SHARE = 0.05  # lerobot-doctor: a run of identical actions over 5% of the episode
JUMP_STD = 8.0  # lerobot-doctor: a step whose mean |z| across dims exceeds 8 global std
STUCK_SHARE = 0.8


def check_quality(ctx: Context, scan) -> None:
    t = scan.table if scan is not None else None
    if not t:
        return
    eps = t["ep"]
    rows = t["rows"]
    short = np.flatnonzero(rows < SHORT_EPISODE_FRAMES)
    if len(short):
        ctx.add(
            "quality.short_episode",
            f"{len(short)} episode(s) have fewer than {SHORT_EPISODE_FRAMES} frames "
            f"(e.g. {eps[short[:5]].tolist()}); policies predicting chunks of actions cannot train on them.",
            episode=int(eps[short[0]]),
        )
    _chunk_sizes(ctx, eps, rows)
    quality = [
        n
        for n in numeric_features(ctx.features)
        if n not in DEFAULT_FEATURES and f"{n}|frozen_run" in t
    ]
    _idle(ctx, t, [n for n in quality if n.startswith("action")])
    for name in quality:
        frozen = np.flatnonzero(
            (t[f"{name}|frozen_run"] >= 3) & (t[f"{name}|frozen_run"] >= FROZEN_SHARE * rows)
        )
        if name.startswith("action") and len(frozen):
            worst = frozen[np.argmax(t[f"{name}|frozen_run"][frozen] / rows[frozen])]
            ctx.add(
                "quality.frozen_actuator",
                f"{name}: {len(frozen)} episode(s) repeat the exact same action over many frames "
                f"(worst: episode {eps[worst]}, {int(t[f'{name}|frozen_run'][worst])} of {rows[worst]} frames); "
                "the teleoperator paused or the leader arm stopped sending.",
                feature=name,
                episode=int(eps[worst]),
            )
        diffs = t[f"{name}|diffs"].astype(np.float64)
        zero_share = t[f"{name}|zero_diffs"] / np.maximum(diffs, 1)[:, None]
        moving = t[f"{name}|max"] > t[f"{name}|min"]
        stuck = (zero_share > STUCK_SHARE) & moving & (diffs[:, None] > 10)
        counts = stuck.sum(axis=0)
        for dim in np.flatnonzero(counts > STUCK_SHARE * len(eps)).tolist():
            ctx.add(
                "quality.frozen_actuator",
                f"{name}[{dim}] stays still over 80% of the time in {counts[dim]} of {len(eps)} episodes: "
                "a stuck actuator or an unused degree of freedom.",
                feature=name,
            )
        # Jumps, measured like lerobot-doctor: the biggest step of each episode in global std units.
        total = diffs.sum()
        if name.startswith("action") and total > 1:
            mean = t[f"{name}|dsum"].sum(axis=0) / total
            std = np.sqrt(np.maximum(t[f"{name}|dsq"].sum(axis=0) / total - mean**2, 0))
            std[std == 0] = 1.0
            z = (t[f"{name}|jump_row"] / std).mean(axis=1)
            jumps = np.flatnonzero(z > JUMP_STD)
            if len(jumps):
                ctx.add(
                    "quality.action_jump",
                    f"{name}: {len(jumps)} episode(s) have sudden action jumps over {JUMP_STD:g} std of the "
                    f"usual step (e.g. episodes {eps[jumps[:5]].tolist()}, up to {z[jumps].max():.1f} std); "
                    "check for dropped frames or a controller glitch.",
                    feature=name,
                    episode=int(eps[jumps[0]]),
                )
    _constant_features(ctx, t, quality)
    _duplicates(ctx, t, quality)


def _chunk_sizes(ctx: Context, eps, rows) -> None:
    for policy, chunk in POLICY_CHUNKS.items():
        shorter = np.flatnonzero((rows >= SHORT_EPISODE_FRAMES) & (rows < chunk))
        if len(shorter):
            ctx.add(
                "quality.shorter_than_chunk",
                f"{len(shorter)} of {len(eps)} episode(s) have fewer frames than {policy}'s action "
                f"chunk of {chunk} (e.g. episodes {eps[shorter[:5]].tolist()}, "
                f"{int(rows[shorter].min())} frames): their training targets are mostly padding. "
                "Use a smaller chunk_size, or record longer episodes.",
                episode=int(eps[shorter[0]]),
            )
            return  # the largest chunk that matters says it; smaller ones would repeat it


def _idle(ctx: Context, t, names) -> None:
    rows = t["rows"]
    fps = ctx.fps or 30.0
    for name in names:
        if f"{name}|idle_head" not in t:
            continue
        for end, key in (("start", "idle_head"), ("end", "idle_tail")):
            idle = t[f"{name}|{key}"]
            bad = np.flatnonzero((idle >= IDLE_SHARE * rows) & (idle >= fps) & (rows > 1))
            if len(bad):
                worst = bad[np.argmax(idle[bad] / rows[bad])]
                ctx.add(
                    "quality.idle_frames",
                    f"{name}: {len(bad)} episode(s) {'start' if end == 'start' else 'end'} with the "
                    f"arm idle (the same action repeated; worst: episode {t['ep'][worst]}, "
                    f"{int(idle[worst])} of {int(rows[worst])} frames at the {end}). Idle frames "
                    "teach a policy to wait; trim them (lerobot-doctor trim, or re-record).",
                    feature=name,
                    episode=int(t["ep"][worst]),
                )


def _constant_features(ctx: Context, t, names) -> None:
    if len(t["ep"]) < 2:
        return
    for name in names:
        constant = np.flatnonzero(t[f"{name}|min"].min(axis=0) == t[f"{name}|max"].max(axis=0))
        if len(constant):
            ctx.add(
                "quality.constant_feature",
                f"{name} dimension(s) {constant.tolist()[:10]} never change over the dataset (zero "
                "variance): a disconnected sensor or an unused joint; normalization divides by zero std.",
                feature=name,
            )


def _duplicates(ctx: Context, t, names) -> None:
    if not names:
        return
    seen: dict[tuple, int] = {}
    for row, ep in enumerate(t["ep"].tolist()):
        if t["rows"][row] < 2:
            continue
        key = (
            int(t["rows"][row]),
            *tuple(
                np.round(
                    np.concatenate(
                        [
                            t[f"{n}|{s}"][row].ravel()
                            for n in names
                            for s in ("mean", "m2", "min", "max")
                        ]
                    ),
                    9,
                ).tolist()
            ),
        )
        if key in seen:
            labels = _tasks_of(ctx, ep), _tasks_of(ctx, seen[key])
            conflict = labels[0] is not None and labels[1] is not None and labels[0] != labels[1]
            ctx.add(
                "quality.duplicate_episode",
                f"Episode {ep} holds the same data as episode {seen[key]} (same length, same values); "
                + (
                    f"they are labelled differently ({sorted(labels[0])} vs {sorted(labels[1])}), "
                    "so one label is wrong. "
                    if conflict
                    else ""
                )
                + "It was probably saved or uploaded twice. Delete one.",
                episode=ep,
            )
        else:
            seen[key] = ep


def _tasks_of(ctx: Context, episode: int) -> frozenset | None:
    meta = ctx.episodes
    if meta is None or episode not in meta.position():
        return None
    tasks = meta.tasks[meta.position()[episode]]
    try:
        return frozenset(str(t) for t in tasks) if isinstance(tasks, list) else None
    except TypeError:
        return None
