"""``--repair OUT``: a repaired copy of a dataset, never an edit in place.

Only mechanical defects are repaired, the ones whose right value follows from the data itself:

* the global ``index`` renumbered 0..N-1 in file order, and v3 ``dataset_from_index`` /
  ``dataset_to_index`` / ``length`` set from the frames of each episode;
* timestamps snapped to ``frame_index / fps`` where every step of the file is within a quarter
  frame of that grid (further off, the timing is real information and stays a finding);
* statistics of numeric features recomputed with lerobot's own functions (per episode, then
  aggregated episode after episode as lerobot does when recording), global and per episode;
  camera statistics are kept (they come from the frames before encoding);
* totals and splits in info.json.

The caller validates the copy afterwards; everything not repaired stays a finding there.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .report import Report

SNAP_LIMIT_FRAMES = 0.25
STATS_CODES = ("stats.", "lerobot_bug.3786")


def repair(source, out, report: Report) -> tuple[Path, list[str]]:
    source, out = Path(source).resolve(), Path(out).resolve()
    if out.exists():
        raise ValueError(f"{out} already exists; --repair writes a new folder and never overwrites")
    if out == source or source in out.parents:
        raise ValueError(f"{out} is inside the dataset; write the repaired copy elsewhere")
    shutil.copytree(source, out, ignore=shutil.ignore_patterns(".git", ".cache"))
    notes: list[str] = []
    try:
        info = json.loads((out / "meta/info.json").read_text())
    except (OSError, ValueError) as error:
        notes.append(f"nothing repaired: meta/info.json cannot be read ({error})")
        return out, notes
    if not isinstance(info, dict) or not isinstance(info.get("features"), dict):
        notes.append("nothing repaired: meta/info.json has no features")
        return out, notes
    fps = info.get("fps") if isinstance(info.get("fps"), (int, float)) else None
    features = {k: v for k, v in info["features"].items() if isinstance(v, dict)}
    v3 = report.summary.get("layout") == "v3" or (
        report.summary.get("layout") != "v2" and report.codebase_version == "v3.0"
    )
    episodes = _repair_data(out, fps, notes)
    if episodes is None:
        return out, notes
    if v3:
        _repair_episode_ranges(out, episodes, notes)
    codes = report.codes()
    data_changed = any(n.startswith(("data/", "renumbered", "snapped")) for n in notes)
    if data_changed or any(c.startswith(STATS_CODES) for c in codes):
        _recompute_stats(out, features, episodes, v3, report.codebase_version, notes)
    _repair_totals(out, info, episodes, v3, notes)
    return out, notes


def _repair_data(out: Path, fps, notes: list[str]) -> dict[int, dict] | None:
    """Snap timestamps, renumber index; return episode -> {"rows", "first", "file", "values"}."""
    files = sorted((out / "data").rglob("*.parquet")) if (out / "data").is_dir() else []
    episodes: dict[int, dict] = {}
    next_index = 0
    snapped = renumbered = 0
    for path in files:
        rel = path.relative_to(out).as_posix()
        try:
            table = pq.ParquetFile(path).read()
        except (OSError, pa.ArrowException) as error:
            notes.append(f"not repaired: {rel} cannot be read ({type(error).__name__})")
            return None
        n = table.num_rows
        columns = table.column_names
        if "episode_index" not in columns:
            notes.append(f"not repaired: {rel} has no episode_index column")
            return None
        changed = False
        if fps and "timestamp" in columns and "frame_index" in columns:
            frame_index = np.asarray(table.column("frame_index").to_numpy(zero_copy_only=False))
            timestamps = np.asarray(table.column("timestamp").to_numpy(zero_copy_only=False))
            ideal = (frame_index / float(fps)).astype(timestamps.dtype)
            deviation = np.abs(timestamps.astype(np.float64) - ideal.astype(np.float64))
            if n and 1e-4 < deviation.max() <= SNAP_LIMIT_FRAMES / float(fps):
                table = _set(table, "timestamp", ideal)
                snapped += int((deviation > 1e-6).sum())
                changed = True
        if "index" in columns:
            wanted = np.arange(next_index, next_index + n, dtype=np.int64)
            current = np.asarray(table.column("index").to_numpy(zero_copy_only=False))
            if current.shape != wanted.shape or (current != wanted).any():
                table = _set(table, "index", wanted)
                renumbered += n
                changed = True
        if changed:
            pq.write_table(table, path)
        ep = np.asarray(table.column("episode_index").to_numpy(zero_copy_only=False))
        for value in np.unique(ep).tolist():
            rows = np.flatnonzero(ep == value)
            entry = episodes.setdefault(
                int(value), {"rows": 0, "first": next_index + int(rows[0]), "parts": []}
            )
            entry["rows"] += len(rows)
            entry["parts"].append((path, rows))
        next_index += n
    if snapped:
        notes.append(
            f"snapped {snapped} timestamp(s) to frame_index / fps (each within "
            f"{SNAP_LIMIT_FRAMES} frame of the grid)"
        )
    if renumbered:
        notes.append(f"renumbered the index column of {renumbered} frame(s) to 0..N-1")
    return episodes


def _set(table: pa.Table, name: str, values: np.ndarray) -> pa.Table:
    index = table.column_names.index(name)
    field = table.schema.field(index)
    return table.set_column(index, field, pa.array(values, type=field.type))


def _episode_files(out: Path) -> list[Path]:
    folder = out / "meta/episodes"
    return sorted(folder.glob("chunk-*/file-*.parquet")) if folder.is_dir() else []


def _repair_episode_ranges(out: Path, episodes: dict[int, dict], notes: list[str]) -> None:
    fixed = 0
    for path in _episode_files(out):
        try:
            table = pq.ParquetFile(path).read()
        except (OSError, pa.ArrowException):
            continue
        if "episode_index" not in table.column_names:
            continue
        eps = table.column("episode_index").to_pylist()
        changes = {}
        for column, value in (
            ("dataset_from_index", lambda e: e["first"]),
            ("dataset_to_index", lambda e: e["first"] + e["rows"]),
            ("length", lambda e: e["rows"]),
        ):
            if column not in table.column_names:
                continue
            current = table.column(column).to_pylist()
            wanted = [
                value(episodes[e]) if e in episodes else c
                for e, c in zip(eps, current, strict=True)
            ]
            if wanted != current:
                fixed += sum(1 for a, b in zip(wanted, current, strict=True) if a != b)
                changes[column] = wanted
        for column, wanted in changes.items():
            table = _set(table, column, np.asarray(wanted, dtype=np.int64))
        if changes:
            pq.write_table(table, path)
    if fixed:
        notes.append(
            f"set {fixed} dataset_from_index/dataset_to_index/length value(s) in meta/episodes "
            "from the frames"
        )


def _numeric(features: dict) -> list[str]:
    return [
        name
        for name, spec in features.items()
        if spec.get("dtype") not in ("image", "video", "string", "language")
    ]


def _episode_values(entry: dict, name: str) -> np.ndarray | None:
    parts = []
    for path, rows in entry["parts"]:
        table = pq.ParquetFile(path).read(columns=[name])
        if name not in table.column_names:
            return None
        column = table.column(name).combine_chunks().take(pa.array(rows))
        parts.append(np.asarray(column.to_numpy(zero_copy_only=False).tolist()))
    values = np.concatenate(parts) if parts else None
    if values is not None and values.dtype == object:
        return None
    return values


def _recompute_stats(out, features, episodes, v3, version, notes) -> None:
    try:
        from lerobot.datasets.compute_stats import aggregate_stats, get_feature_stats
    except ImportError:
        notes.append("statistics not recomputed: lerobot is not installed")
        return
    names = _numeric(features)
    per_episode: dict[int, dict] = {}
    for ep in sorted(episodes):
        stats = {}
        for name in names:
            values = _episode_values(episodes[ep], name)
            if values is None or not len(values):
                continue
            keepdims = values.ndim == 1
            try:
                stats[name] = get_feature_stats(values, axis=0, keepdims=keepdims)
            except (ValueError, TypeError):
                continue
        per_episode[ep] = stats
    if not per_episode:
        return
    total = None
    for ep in sorted(per_episode):
        total = per_episode[ep] if total is None else aggregate_stats([total, per_episode[ep]])
    path = out / "meta/stats.json"
    try:
        old = json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        old = {}
    old = old if isinstance(old, dict) else {}
    merged = {k: v for k, v in old.items() if k not in names}
    merged.update(
        {k: {s: np.asarray(v).tolist() for s, v in st.items()} for k, st in total.items()}
    )
    if v3 or path.exists() or version == "v2.0":
        path.write_text(json.dumps(merged, indent=4))
        notes.append(f"recomputed meta/stats.json for {len(total)} numeric feature(s) with lerobot")
    if v3:
        _write_episode_stats_v3(out, per_episode, notes)
    elif version == "v2.1":
        rows = []
        jsonl = out / "meta/episodes_stats.jsonl"
        previous = {}
        if jsonl.exists():
            for line in jsonl.read_text().splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and isinstance(row.get("stats"), dict):
                    previous[row.get("episode_index")] = row["stats"]
        for ep, stats in sorted(per_episode.items()):
            row_stats = {k: v for k, v in previous.get(ep, {}).items() if k not in names}
            row_stats.update(
                {k: {s: np.asarray(v).tolist() for s, v in st.items()} for k, st in stats.items()}
            )
            rows.append({"episode_index": ep, "stats": row_stats})
        jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
        notes.append(
            f"recomputed meta/episodes_stats.jsonl for {len(rows)} episode(s) with lerobot"
        )


def _write_episode_stats_v3(out: Path, per_episode: dict[int, dict], notes: list[str]) -> None:
    written = 0
    for path in _episode_files(out):
        try:
            table = pq.ParquetFile(path).read()
        except (OSError, pa.ArrowException):
            continue
        if "episode_index" not in table.column_names:
            continue
        eps = table.column("episode_index").to_pylist()
        keys = sorted({(f, s) for st in per_episode.values() for f, v in st.items() for s in v})
        for feature, stat in keys:
            column = f"stats/{feature}/{stat}"
            values = []
            for ep in eps:
                value = per_episode.get(ep, {}).get(feature, {}).get(stat)
                values.append(
                    None if value is None else np.asarray(value, np.float64).reshape(-1).tolist()
                )
            array = pa.array(values, type=pa.list_(pa.float64()))
            if column in table.column_names:
                index = table.column_names.index(column)
                table = table.set_column(index, column, array)
            else:
                table = table.append_column(column, array)
        pq.write_table(table, path)
        written += len(eps)
    if written:
        notes.append(
            f"recomputed the per-episode statistics of {written} episode(s) in meta/episodes"
        )


def _repair_totals(out: Path, info: dict, episodes: dict, v3: bool, notes: list[str]) -> None:
    changes = {}
    frames = sum(e["rows"] for e in episodes.values())
    if info.get("total_frames") != frames:
        changes["total_frames"] = frames
    if info.get("total_episodes") != len(episodes):
        changes["total_episodes"] = len(episodes)
    tasks = None
    if (out / "meta/tasks.parquet").exists():
        try:
            tasks = pq.ParquetFile(out / "meta/tasks.parquet").metadata.num_rows
        except (OSError, pa.ArrowException):
            tasks = None
    elif (out / "meta/tasks.jsonl").exists():
        tasks = sum(
            1 for line in (out / "meta/tasks.jsonl").read_text().splitlines() if line.strip()
        )
    if tasks is not None and info.get("total_tasks") != tasks:
        changes["total_tasks"] = tasks
    if not v3:
        videos = len(list((out / "videos").rglob("*.mp4"))) if (out / "videos").is_dir() else 0
        if "total_videos" in info and info.get("total_videos") != videos:
            changes["total_videos"] = videos
        chunks = len({p.parent.name for p in (out / "data").rglob("*.parquet")})
        if "total_chunks" in info and chunks and info.get("total_chunks") != chunks:
            changes["total_chunks"] = chunks
    splits = {"train": f"0:{len(episodes)}"}
    if (
        isinstance(info.get("splits"), dict)
        and info["splits"] != splits
        and len(info["splits"]) <= 1
    ):
        changes["splits"] = splits
    if changes:
        info.update(changes)
        (out / "meta/info.json").write_text(json.dumps(info, indent=4))
        notes.append("info.json: " + ", ".join(f"{k} = {v}" for k, v in changes.items()))
