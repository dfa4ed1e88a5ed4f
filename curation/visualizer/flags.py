"""Quality flags of single episodes, computed once at indexing time from their action series.

Plain numpy, no Django: every function takes arrays and returns plain values, so the unit tests
feed them hand-made series. Thresholds follow lerobot-doctor and the LeRobot dataset visualizer
where those have one (named below); the rest are documented next to their constant.

Flag names (the page filters and exports by them):

* ``frozen``      the whole action vector repeats exactly over an interior run of frames, or one
                  action dimension that moves in other episodes never moves in this one;
* ``jump``        one step is larger than JUMP_STD standard deviations of the dataset's steps;
* ``jerk`` / ``accel``  the episode's mean |third| / |second| difference of the action, in units
                  of each dimension's range, is a robust outlier among the episodes;
* ``idle_start`` / ``idle_end``  the action does not move for many frames at the start / end
                  (frames a user can trim);
* ``near_duplicate``  another episode of about the same length holds nearly the same actions;
* ``short``       fewer frames than a policy's action chunk (CHUNK_SIZE, changeable on the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FLAG_LABELS = {
    "frozen": "frozen actuator",
    "jump": "action jump",
    "jerk": "jerk outlier",
    "accel": "acceleration outlier",
    "idle_start": "idle start",
    "idle_end": "idle end",
    "near_duplicate": "near-duplicate",
    "short": "shorter than chunk",
}

CHUNK_SIZE = 100  # ACT's chunk_size, lerobot-doctor's "short episode" bound
FROZEN_SHARE = 0.05  # lerobot-doctor: identical actions over 5% of the episode
FROZEN_MIN_FRAMES = 3
JUMP_STD = 8.0  # lerobot-doctor: a step over 8 global std of the steps
OUTLIER_Z = 3.5  # Iglewicz & Hoaglin's modified z-score bound for outliers
OUTLIER_MIN_EPISODES = 5  # fewer episodes: no robust spread to compare against
IDLE_TOLERANCE = 0.01  # a frame is "not moving yet" within 1% of the dimension's range
IDLE_SHARE = 0.10  # flag idle ends of at least 10% of the episode ...
IDLE_MIN_FRAMES = 3  # ... and at least this many frames
DISCRETE_VALUES = 4  # the visualizer: dims with <= 4 distinct values are grippers/switches
DUPLICATE_POINTS = 32  # episodes are compared resampled to this many points
DUPLICATE_TOLERANCE = 1e-3  # max difference, in units of each dimension's range
DUPLICATE_LENGTH_SHARE = 0.05  # lengths within 5% of each other


@dataclass
class DatasetScale:
    """What flags of one episode need to know about the whole dataset."""

    range: np.ndarray  # per action dimension: max - min over the dataset
    step_std: np.ndarray  # per action dimension: std of the frame-to-frame steps
    moving: np.ndarray  # per action dimension: bool, not constant over the dataset
    continuous: np.ndarray  # per action dimension: bool, more than DISCRETE_VALUES values


@dataclass
class EpisodeMotion:
    """Per-episode measurements; ``flags`` maps flag name -> human-readable detail."""

    idle_start: int = 0
    idle_end: int = 0
    jump_z: float = 0.0
    accel: float = 0.0
    jerk: float = 0.0
    flags: dict[str, str] = field(default_factory=dict)


def _as_2d(actions) -> np.ndarray:
    a = np.asarray(actions, dtype=np.float64)
    return a.reshape(len(a), -1) if a.ndim != 2 else a


def dataset_scale(episodes: list) -> DatasetScale:
    """Per-dimension range, step spread and kind over every episode's actions."""
    arrays = [_as_2d(a) for a in episodes if len(a)]
    if not arrays:
        empty = np.zeros(0)
        return DatasetScale(empty, empty, empty.astype(bool), empty.astype(bool))
    stacked = np.concatenate(arrays)
    value_range = stacked.max(axis=0) - stacked.min(axis=0)
    steps = [np.diff(a, axis=0) for a in arrays if len(a) > 1]
    step_std = np.concatenate(steps).std(axis=0) if steps else np.zeros(stacked.shape[1])
    distinct = np.array([len(np.unique(stacked[:, d][:200_000])) for d in range(stacked.shape[1])])
    return DatasetScale(
        range=value_range,
        step_std=step_std,
        moving=value_range > 0,
        continuous=distinct > DISCRETE_VALUES,
    )


def idle_frames(actions, value_range: np.ndarray) -> tuple[int, int]:
    """Frames at the start and at the end during which the action stays within IDLE_TOLERANCE of
    each dimension's range of its first / last value (what a user could trim)."""
    a = _as_2d(actions)
    n = len(a)
    if n < 2:
        return 0, 0
    tolerance = np.where(value_range > 0, IDLE_TOLERANCE * value_range, 1e-9)
    still_from_start = np.all(np.abs(a - a[0]) <= tolerance, axis=1)
    still_from_end = np.all(np.abs(a - a[-1]) <= tolerance, axis=1)
    start = n if still_from_start.all() else int(np.argmin(still_from_start))
    end = n if still_from_end.all() else int(np.argmin(still_from_end[::-1]))
    # The first moving frame ends the idle start: frames before it are trimmable.
    return max(start - 1, 0) if start < n else n, max(end - 1, 0) if end < n else n


def longest_interior_repeat(actions) -> tuple[int, int]:
    """(length, first frame) of the longest run of exactly repeated action vectors that touches
    neither end of the episode (runs at the ends are idle start/end, not a freeze)."""
    a = _as_2d(actions)
    if len(a) < 3:
        return 0, 0
    same = np.all(a[1:] == a[:-1], axis=1)  # same[i]: frame i+1 repeats frame i
    best, best_start, run, run_start = 0, 0, 0, 0
    for i, s in enumerate(same.tolist()):
        if s:
            if run == 0:
                run_start = i
            run += 1
        else:
            if run and run_start > 0 and run + 1 > best:
                best, best_start = run + 1, run_start
            run = 0
    # a run still open at the end touches the end: not interior
    return best, best_start


def motion(actions, scale: DatasetScale, names: list[str] | None = None) -> EpisodeMotion:
    """Measurements and the per-episode flags that need no comparison with other episodes
    (frozen, jump, idle); accel/jerk outliers come from ``mark_outliers`` afterwards."""
    a = _as_2d(actions)
    n = len(a)
    result = EpisodeMotion()
    if n == 0 or a.shape[1] != len(scale.range):
        return result
    label = lambda d: names[d] if names and d < len(names) else f"[{d}]"  # noqa: E731

    run, first = longest_interior_repeat(a)
    if run >= max(FROZEN_MIN_FRAMES, FROZEN_SHARE * n):
        result.flags["frozen"] = f"action repeats exactly over frames {first}-{first + run - 1}"
    if n > 1:
        dead = np.flatnonzero(scale.moving & (a.max(axis=0) == a.min(axis=0)))
        if len(dead) and "frozen" not in result.flags:
            result.flags["frozen"] = "never moves in this episode: " + ", ".join(
                label(int(d)) for d in dead[:6]
            )

    result.idle_start, result.idle_end = idle_frames(a, scale.range)
    bound = max(IDLE_MIN_FRAMES, IDLE_SHARE * n)
    if result.idle_start < n:  # an episode that never moves is frozen, not idle
        if result.idle_start >= bound:
            result.flags["idle_start"] = f"{result.idle_start} still frames at the start"
        if result.idle_end >= bound:
            result.flags["idle_end"] = f"{result.idle_end} still frames at the end"

    if n > 1:
        steps = np.abs(np.diff(a, axis=0))
        std = np.where(scale.step_std > 0, scale.step_std, np.inf)
        z = (steps / std).mean(axis=1)
        worst = int(np.argmax(z))
        result.jump_z = float(z[worst])
        if result.jump_z > JUMP_STD:
            result.flags["jump"] = (
                f"step {worst}→{worst + 1} is {result.jump_z:.1f} std of the usual step"
            )
    use = scale.continuous & (scale.range > 0)
    if use.any():
        unit = scale.range[use]
        if n > 2:
            result.accel = float(np.abs(np.diff(a[:, use], n=2, axis=0) / unit).mean())
        if n > 3:
            result.jerk = float(np.abs(np.diff(a[:, use], n=3, axis=0) / unit).mean())
    return result


def robust_outliers(values) -> np.ndarray:
    """Indices whose modified z-score (0.6745·(x - median) / MAD) exceeds OUTLIER_Z, high side
    only (smooth episodes are not a problem); none with fewer than OUTLIER_MIN_EPISODES values."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) < OUTLIER_MIN_EPISODES:
        return np.zeros(0, dtype=int)
    median = np.median(x)
    mad = np.median(np.abs(x - median))
    if mad == 0:
        spread = np.mean(np.abs(x - median))
        if spread == 0:
            return np.zeros(0, dtype=int)
        z = (x - median) / (1.253314 * spread)  # mean absolute deviation fallback
    else:
        z = 0.6745 * (x - median) / mad
    return np.flatnonzero(z > OUTLIER_Z)


def mark_outliers(motions: list[EpisodeMotion]) -> None:
    """Adds ``accel`` and ``jerk`` flags to the episodes that are outliers of the dataset."""
    for flag, attribute in (("accel", "accel"), ("jerk", "jerk")):
        values = [getattr(m, attribute) for m in motions]
        median = float(np.median(values)) if values else 0.0
        for i in robust_outliers(values).tolist():
            m = motions[i]
            ratio = getattr(m, attribute) / median if median else float("inf")
            m.flags[flag] = (
                f"mean |Δ{'²' if flag == 'accel' else '³'}action| is {ratio:.1f}x the median episode"
            )


def resample(actions, points: int = DUPLICATE_POINTS) -> np.ndarray:
    """The series at ``points`` evenly spaced positions (linear interpolation), flattened."""
    a = _as_2d(actions)
    if len(a) == 0:
        return np.zeros(points * a.shape[1])
    x = np.linspace(0, len(a) - 1, points)
    return np.stack(
        [np.interp(x, np.arange(len(a)), a[:, d]) for d in range(a.shape[1])], 1
    ).ravel()


def near_duplicates(
    fingerprints: np.ndarray, lengths, value_range: np.ndarray
) -> dict[int, list[int]]:
    """Pairs of episodes (by position) whose resampled actions differ by at most
    DUPLICATE_TOLERANCE of each dimension's range everywhere and whose lengths are within
    DUPLICATE_LENGTH_SHARE: {position: [other positions]}."""
    f = np.asarray(fingerprints, dtype=np.float64)
    n = len(f)
    out: dict[int, list[int]] = {}
    if n < 2 or f.size == 0:
        return out
    dims = len(value_range)
    unit = np.tile(np.where(value_range > 0, value_range, 1.0), f.shape[1] // max(dims, 1))
    scaled = f / unit
    lengths = np.asarray(lengths, dtype=np.float64)
    # Sort by length: only neighbours within the length window can match.
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    for i_pos, i in enumerate(order.tolist()):
        upper = int(
            np.searchsorted(sorted_lengths, lengths[i] * (1 + DUPLICATE_LENGTH_SHARE), "right")
        )
        candidates = order[i_pos + 1 : upper]
        if not len(candidates):
            continue
        distance = np.max(np.abs(scaled[candidates] - scaled[i]), axis=1)
        for j in candidates[distance <= DUPLICATE_TOLERANCE].tolist():
            out.setdefault(i, []).append(j)
            out.setdefault(j, []).append(i)
    return out
