"""Timestamps: per episode, start at 0, strictly increasing, steps of 1/fps within lerobot's
tolerance (1e-4 s). Findings are aggregated: the worst gap and how many episodes are off."""

from __future__ import annotations

import numpy as np

from .context import TIMESTAMP_TOLERANCE_S, Context


def check_timestamps(ctx: Context, scan) -> None:
    t = scan.table
    if not t or "ts_off" not in t or not ctx.fps:
        return
    # With video, lerobot decodes the frame at from_timestamp + timestamp within 1e-4 s: any
    # deviation is an error. Without video nothing breaks at load time, so it is a warning.
    severity = "error" if ctx.has_video else "warning"
    eps, files, starts = t["ep"], scan.files, t["start"]
    period = 1.0 / ctx.fps

    nonmono = np.flatnonzero(t["ts_nonmono"] > 0)
    if len(nonmono):
        row = nonmono[0]
        frame = int(t["ts_nonmono_at"][row] - starts[row])
        ctx.add(
            "timestamp.non_monotonic",
            f"Timestamps go backwards or repeat in {len(nonmono)} episode(s) "
            f"({int(t['ts_nonmono'].sum())} step(s) in all; first: episode {eps[row]}, frame {frame}). "
            "Timestamps must strictly increase within an episode; a resumed recording or merged files "
            "often cause this (lerobot #933).",
            episode=int(eps[row]),
            frame=frame,
            file=files[t["file"][row]],
            feature="timestamp",
        )

    offset = np.flatnonzero(t["ts_start"] > TIMESTAMP_TOLERANCE_S)
    if len(offset):
        row = offset[np.argmax(t["ts_start"][offset])]
        ctx.add(
            "timestamp.not_zero_based",
            f"{len(offset)} episode(s) do not start at timestamp 0 (largest first timestamp: "
            f"{t['ts_start'][row]:.6g} s in episode {eps[row]}). Timestamps are seconds from the "
            "episode start (frame_index / fps), not wall-clock time; subtract each episode's first "
            "timestamp.",
            severity=severity,
            episode=int(eps[row]),
            frame=0,
            file=files[t["file"][row]],
            feature="timestamp",
        )

    off = np.flatnonzero(t["ts_off"] > 0)
    if len(off):
        worst_row = off[np.argmax(t["ts_worst"][off])]
        frame = int(t["ts_worst_at"][worst_row] - starts[worst_row])
        drift = float(np.max(t["ts_drift"])) if "ts_drift" in t else None
        dropped = int(np.sum(t["ts_gap_max"][off] > 1.5 * period))
        ctx.add(
            "timestamp.off_grid",
            f"{len(off)} of {len(eps)} episode(s) have timestamp steps that are not 1/fps = {period:.6g} s "
            f"(tolerance {TIMESTAMP_TOLERANCE_S:g} s); {int(t['ts_off'].sum())} step(s) in all. "
            f"Worst: a deviation of {t['ts_worst'][worst_row]:.6g} s at episode {eps[worst_row]}, frame {frame}"
            + (f"; largest drift from frame_index/fps: {drift:.6g} s" if drift is not None else "")
            + (
                f"; {dropped} episode(s) have gaps over 1.5 frames (dropped frames)"
                if dropped
                else ""
            )
            + ". Record with a fixed-rate clock, or rewrite timestamp = frame_index / fps if the frames "
            "really are evenly spaced.",
            severity=severity,
            episode=int(eps[worst_row]),
            frame=frame,
            file=files[t["file"][worst_row]],
            feature="timestamp",
        )
        for row in off[:10].tolist():
            if row == worst_row:
                continue
            ctx.add(
                "timestamp.off_grid",
                f"Episode {eps[row]}: {int(t['ts_off'][row])} timestamp step(s) off the 1/fps grid "
                f"(worst deviation {t['ts_worst'][row]:.6g} s).",
                severity=severity,
                episode=int(eps[row]),
                frame=int(t["ts_worst_at"][row] - starts[row]),
                file=files[t["file"][row]],
                feature="timestamp",
            )
