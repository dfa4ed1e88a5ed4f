"""Adoption over time, from a history of snapshots (one row per repo per snapshot_date).

The Hub has no download time series: ``downloadsAllTime`` is a running total and ``downloads`` a
rolling 30-day count. Between two snapshots of a repo, taken ``g`` days apart:

    interval downloads  = clip(A_t - A_prev, 0, W_t if g <= 30 else +inf)
    daily downloads d_t = interval downloads / g

where A is ``downloadsAllTime`` and W the 30-day ``downloads`` at t. The clip at 0 absorbs the
Hub's occasional decreasing totals; the cap at W guards against recounts (no more can have
happened in g <= 30 days than in the last 30). ``d_t`` is attributed to the later snapshot date.
A repo listed twice on the same date is refused (``SnapshotError``).

Half-life of interest of a repo: ``t_peak`` is the first date where ``d_t`` is at its maximum
(over the repo's history), and the half-life is the number of days from ``t_peak`` to the first
later date where ``d_t <= d_peak / 2``. Repos that never fall that low within the history are
"censored" (still in active interest) and left out of the median; repos with no download at all
have no peak and are left out too.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from growth.core.snapshot import SnapshotError

_NEVER = np.iinfo(np.int64).max


@dataclass
class Intervals:
    """One entry per pair of consecutive snapshots of the same repo."""

    end_row: np.ndarray  # history row of the later snapshot
    end_day: np.ndarray  # days since 1970-01-01 of the later snapshot
    days: np.ndarray  # gap in days (> 0)
    downloads: np.ndarray  # interval downloads (float)
    rate: np.ndarray  # daily downloads
    group_start: (
        np.ndarray
    )  # index of the first interval of each repo (intervals sorted by repo, day)


def _iso(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def days_since_epoch(dates) -> np.ndarray:
    return pc.cast(dates, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False)


def repo_codes(history: pa.Table, single_date: bool) -> np.ndarray:
    """An integer per repo (repo_type + id), the same on every date of the history."""
    if single_date:  # every row is its own repo (duplicates are refused elsewhere)
        return np.arange(history.num_rows, dtype=np.int64)
    repo_type = pc.fill_null(history["repo_type"], "")
    key = pc.binary_join_element_wise(repo_type, history["id"], "\x1f")
    encoded = pc.dictionary_encode(key).combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def snapshot_intervals(history: pa.Table, day: np.ndarray, repo: np.ndarray) -> Intervals:
    total = pc.fill_null(history["downloadsAllTime"], 0).to_numpy(zero_copy_only=False)
    window = pc.fill_null(history["downloads"], _NEVER).to_numpy(zero_copy_only=False)

    order = np.lexsort((day, repo))
    repo, d, total, window = repo[order], day[order], total[order], window[order]
    gap = (d[1:] - d[:-1]).astype(np.int64)
    same_repo = repo[1:] == repo[:-1]
    twice = np.flatnonzero(same_repo & (gap == 0))
    if twice.size:
        first = history["id"][int(order[twice[0]])].as_py()
        raise SnapshotError(
            f"{twice.size} repo(s) appear more than once on the same snapshot_date "
            f"(first: {first!r} on {_iso(int(d[twice[0]]))})"
        )
    valid = same_repo & (gap > 0)
    delta = np.clip(total[1:] - total[:-1], 0, None).astype(np.float64)
    delta = np.where(gap <= 30, np.minimum(delta, window[1:]), delta)

    end_row = order[1:][valid]
    repo_of_interval = repo[1:][valid]
    first = np.ones(repo_of_interval.size, dtype=bool)
    first[1:] = repo_of_interval[1:] != repo_of_interval[:-1]
    downloads = delta[valid]
    days = gap[valid]
    return Intervals(
        end_row=end_row,
        end_day=d[1:][valid].astype(np.int64),
        days=days,
        downloads=downloads,
        rate=downloads / np.maximum(days, 1),
        group_start=np.flatnonzero(first),
    )


def peak_and_half_life(
    rate: np.ndarray, day: np.ndarray, group_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (consecutive runs starting at ``group_start``, sorted by day): peak day, peak
    rate, and half-life in days (NaN when censored or when the peak is 0)."""
    m = rate.size
    if m == 0:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty
    group = np.zeros(m, dtype=np.int64)
    group[group_start[1:]] = 1
    group = np.cumsum(group)
    position = np.arange(m, dtype=np.int64)
    peak = np.maximum.reduceat(rate, group_start)
    peak_pos = np.minimum.reduceat(np.where(rate == peak[group], position, _NEVER), group_start)
    fallen = (position > peak_pos[group]) & (rate <= peak[group] / 2) & (peak[group] > 0)
    half_pos = np.minimum.reduceat(np.where(fallen, position, _NEVER), group_start)
    measured = half_pos != _NEVER
    half_life = np.full(group_start.size, np.nan)
    half_life[measured] = day[half_pos[measured]] - day[peak_pos[measured]]
    return day[peak_pos], peak, half_life


# --- downloads at a fixed age, for the age-matched Relative Adoption Metric ----------------------

MILESTONE_DAYS = (7, 14, 30, 60, 90, 180, 365)
AGE_TOLERANCE_DAYS = 7


def created_days(history: pa.Table) -> np.ndarray:
    """Day of ``createdAt`` (days since 1970-01-01) per row; far in the past when unknown, which
    no age window matches."""
    created = pc.cast(pc.cast(history["createdAt"], pa.date32()), pa.int32())
    created = pc.fill_null(created, np.iinfo(np.int32).min // 2)
    return created.to_numpy(zero_copy_only=False).astype(np.int64)


def downloads_at_age(
    history: pa.Table, day: np.ndarray, repo: np.ndarray, created: np.ndarray, age_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(repo codes, downloadsAllTime)`` of the repos seen ``age_days`` after their creation.

    D_m(t) is read from the first snapshot taken on or after ``createdAt + t`` days, if it is at
    most ``AGE_TOLERANCE_DAYS`` later (snapshots are not daily for every repo); repos without
    such a snapshot, or without ``createdAt``, have no D_m(t).
    """
    late = day.astype(np.int64) - (created + age_days)
    eligible = (late >= 0) & (late <= AGE_TOLERANCE_DAYS)
    rows = np.flatnonzero(eligible)
    if not rows.size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # The earliest eligible snapshot of each repo.
    rows = rows[np.lexsort((day[rows], repo[rows]))]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = repo[rows][1:] != repo[rows][:-1]
    rows = rows[first]
    total = pc.fill_null(history["downloadsAllTime"], 0).to_numpy(zero_copy_only=False)
    return repo[rows], total[rows].astype(np.int64)
