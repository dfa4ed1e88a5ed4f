"""Build the episode visualizer's precomputed data for one dataset folder (v2.0, v2.1, v3.0).

Everything heavy happens here, once, when a version is indexed: the data parquet files are read
once, each episode's numeric series are downsampled for the charts, quality flags are computed,
stats are recomputed, and the first and last frame of every camera of every episode are decoded
(in a limited subprocess, ``curation.visualizer.frames``). The result is a folder of small files:

    index.json                  dataset view: episodes (length, task, flags, video segments),
                                histogram, stats stored vs recomputed, features, problems
    episodes/<n>.json           episode view: time axis and series for the charts, frame files
    frames/<n>/<camera>-first.jpg, -last.jpg     first/last frame thumbnails
    images/<n>/<feature>.jpg    sprite sheet of an image feature stored in parquet

Anything missing or broken (a missing video, an undecodable frame, a feature without names) is
written down in ``problems`` (dataset) or the episode's entries, never raised: the page shows it.
Plain Python (numpy, pyarrow, Pillow): no Django import.
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import flags as quality

FORMAT = 1
MAX_POINTS = 600  # chart points per series: enough for a 600 px wide chart
SPRITE_FRAMES = 48  # frames of an image feature kept per episode
THUMB_WIDTH = 160
DEFAULT_COLUMNS = {"timestamp", "frame_index", "episode_index", "index", "task_index"}
NUMERIC_KINDS = "biuf"
FRAME_TIMEOUT_S = 600

# Validator codes that are the same thing as one of our flags (their findings name one episode).
VALIDATOR_FLAGS = {
    "quality.frozen_actuator": "frozen",
    "quality.action_jump": "jump",
    "quality.duplicate_episode": "near_duplicate",
}


class BuildError(Exception):
    """The folder cannot be visualised at all (no info.json, no data)."""


def _read_json(path: Path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def dimension_names(feature: str, spec: dict) -> tuple[list[str], str | None]:
    """Per-dimension names from info.json (a list, or a dict of lists like {"motors": [...]}),
    or ``feature[i]`` with a note saying the names are missing."""
    shape = spec.get("shape") or [1]
    size = int(np.prod(shape)) if shape else 1
    names = spec.get("names")
    if isinstance(names, dict):
        flat = [n for value in names.values() if isinstance(value, list) for n in value]
        names = flat
    if isinstance(names, list) and len(names) == size and all(isinstance(n, str) for n in names):
        return list(names), None
    fallback = [f"{feature}[{i}]" if size > 1 else feature for i in range(size)]
    if names is None or names == []:
        return fallback, f"{feature}: info.json gives no names for its {size} dimension(s)"
    return fallback, (
        f"{feature}: info.json names ({len(names) if isinstance(names, list) else type(names).__name__})"
        f" do not match its {size} dimension(s)"
    )


def is_numeric(spec: dict) -> bool:
    """A feature charted as numbers: a numpy numeric dtype (not video, image, string, or 0.6's
    language rows)."""
    try:
        return np.dtype(str(spec.get("dtype"))).kind in NUMERIC_KINDS
    except TypeError:
        return False


class Dataset:
    """What the builder reads from one dataset folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        info_path = self.root / "meta" / "info.json"
        if not info_path.is_file():
            raise BuildError("meta/info.json is missing")
        try:
            self.info = _read_json(info_path)
        except (OSError, ValueError) as exc:
            raise BuildError(f"meta/info.json is unreadable: {exc}") from exc
        self.version = str(self.info.get("codebase_version") or "")
        self.is_v3 = self.version.startswith("v3") or (self.root / "meta" / "episodes").is_dir()
        self.fps = float(self.info.get("fps") or 0) or None
        self.features = self.info.get("features") or {}
        self.problems: list[str] = []
        self.video_keys = [k for k, f in self.features.items() if f.get("dtype") == "video"]
        self.image_keys = [k for k, f in self.features.items() if f.get("dtype") == "image"]
        self.tasks = self._tasks()
        self.episodes = self._episodes()

    def _tasks(self) -> dict[int, str]:
        meta = self.root / "meta"
        try:
            if (meta / "tasks.parquet").is_file():
                table = pq.read_table(meta / "tasks.parquet")
                names = table.column_names
                text = next(
                    (c for c in ("task", "__index_level_0__") if c in names),
                    next((c for c in names if c != "task_index"), None),
                )
                return dict(
                    zip(table["task_index"].to_pylist(), table[text].to_pylist(), strict=False)
                )
            if (meta / "tasks.jsonl").is_file():
                return {r["task_index"]: r["task"] for r in _read_jsonl(meta / "tasks.jsonl")}
        except Exception as exc:
            self.problems.append(f"task table unreadable: {type(exc).__name__}: {exc}")
        return {}

    def _episodes(self) -> dict[int, dict]:
        meta = self.root / "meta"
        episodes: dict[int, dict] = {}
        try:
            if self.is_v3:
                for path in sorted((meta / "episodes").rglob("*.parquet")):
                    for row in pq.read_table(path).to_pylist():
                        episodes[int(row["episode_index"])] = row
            elif (meta / "episodes.jsonl").is_file():
                for row in _read_jsonl(meta / "episodes.jsonl"):
                    episodes[int(row["episode_index"])] = row
        except Exception as exc:
            self.problems.append(f"episode metadata unreadable: {type(exc).__name__}: {exc}")
        return episodes

    def data_files(self) -> list[Path]:
        return sorted((self.root / "data").rglob("*.parquet"))

    def video_segment(self, episode: int, key: str, length: int) -> tuple[str, float, float]:
        """(relative path, from, to) of one episode's part of a camera's video."""
        row = self.episodes.get(episode, {})
        template = self.info.get("video_path") or ""
        if self.is_v3:
            chunk = row.get(f"videos/{key}/chunk_index")
            file = row.get(f"videos/{key}/file_index")
            start = float(row.get(f"videos/{key}/from_timestamp") or 0.0)
            end = row.get(f"videos/{key}/to_timestamp")
            end = float(end) if end is not None else start + length / (self.fps or 1)
            if chunk is None or file is None:
                return "", start, end
            path = template.format(video_key=key, chunk_index=chunk, file_index=file)
            return path, start, end
        chunks_size = int(self.info.get("chunks_size") or 1000)
        path = template.format(
            video_key=key, episode_chunk=episode // chunks_size, episode_index=episode
        )
        return path, 0.0, length / (self.fps or 1)


def downsample_index(n: int, points: int = MAX_POINTS) -> np.ndarray:
    """Row positions kept for the charts: every k-th row, always the last one."""
    if n <= points:
        return np.arange(n)
    keep = np.unique(np.linspace(0, n - 1, points).round().astype(int))
    return keep


def _round(values: np.ndarray) -> list:
    """Five significant digits (the charts cannot show more, and the files stay small); None for
    NaN and infinities (JSON has neither). Vectorised: this runs over every charted point."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    safe = np.where(finite & (v != 0), np.abs(v), 1.0)
    scale = 10.0 ** (4 - np.floor(np.log10(safe)))
    rounded = np.where(finite, np.round(v * scale) / scale, 0.0)
    out = rounded.tolist()
    if not finite.all():
        for i in np.flatnonzero(~finite).tolist():
            out[i] = None
    return out


def _matrix(column: pa.ChunkedArray) -> np.ndarray | None:
    """A numeric column (scalars or fixed/variable-size lists of numbers) as a 2-D float array."""
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind) or pa.types.is_large_list(kind):
        combined = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        flat = pc.list_flatten(combined)
        if not (
            pa.types.is_integer(flat.type)
            or pa.types.is_floating(flat.type)
            or pa.types.is_boolean(flat.type)
        ):
            return None
        values = flat.to_numpy(zero_copy_only=False).astype(np.float64)
        rows = len(combined)
        if rows == 0:
            return np.zeros((0, 0))
        if values.size % rows:
            return None
        return values.reshape(rows, values.size // rows)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return column.to_numpy().astype(np.float64).reshape(-1, 1)
    return None


class StatsAccumulator:
    """Per-dimension min, max and sum over all rows of one feature (the recomputed stats)."""

    def __init__(self):
        self.min = self.max = self.sum = None
        self.count = 0

    def add(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        finite = np.where(np.isfinite(values), values, np.nan)
        lo, hi = np.nanmin(finite, axis=0), np.nanmax(finite, axis=0)
        total = np.nansum(finite, axis=0)
        if self.min is None or len(self.min) != len(lo):
            self.min, self.max, self.sum = lo, hi, total
        else:
            self.min, self.max = np.fmin(self.min, lo), np.fmax(self.max, hi)
            self.sum = self.sum + total
        self.count += len(values)

    def result(self) -> dict | None:
        if self.min is None:
            return None
        return {"min": self.min, "mean": self.sum / max(self.count, 1), "max": self.max}


def _decode_image(cell) -> object | None:
    from PIL import Image

    data = cell.get("bytes") if isinstance(cell, dict) else None
    if not data:
        return None
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _thumb(image, width: int = THUMB_WIDTH):
    image = image.convert("RGB")
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    return image


def _sprite(images: list, out: Path) -> dict:
    """Lay thumbnails out in a grid JPEG; the page draws one cell at a time on a canvas."""
    from PIL import Image

    w, h = images[0].size
    cols = min(8, len(images))
    rows = math.ceil(len(images) / cols)
    sheet = Image.new("RGB", (cols * w, rows * h))
    for i, image in enumerate(images):
        if image.size != (w, h):
            image = image.resize((w, h))
        sheet.paste(image, ((i % cols) * w, (i // cols) * h))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, format="JPEG", quality=75)
    return {"cols": cols, "w": w, "h": h}


def _write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # dumps, not dump: dump streams through the pure-Python encoder, ten times slower here.
    path.write_text(json.dumps(value, separators=(",", ":"), allow_nan=False), encoding="utf-8")


def _stored_stats(ds: Dataset) -> tuple[dict, str]:
    """{feature: {min, mean, max}} from meta/stats.json, or aggregated from v2.1's
    episodes_stats.jsonl when stats.json is absent; and where they came from."""
    meta = ds.root / "meta"
    try:
        if (meta / "stats.json").is_file():
            return _read_json(meta / "stats.json"), "meta/stats.json"
        if (meta / "episodes_stats.jsonl").is_file():
            merged: dict = {}
            weights: dict = defaultdict(float)
            for row in _read_jsonl(meta / "episodes_stats.jsonl"):
                for name, s in (row.get("stats") or {}).items():
                    count = float(np.ravel(s.get("count", [1]))[0])
                    m = merged.setdefault(name, {"min": None, "max": None, "mean": None})
                    lo, hi, mean = (np.asarray(s[k], dtype=float) for k in ("min", "max", "mean"))
                    m["min"] = lo if m["min"] is None else np.minimum(m["min"], lo)
                    m["max"] = hi if m["max"] is None else np.maximum(m["max"], hi)
                    m["mean"] = mean * count if m["mean"] is None else m["mean"] + mean * count
                    weights[name] += count
            for name, m in merged.items():
                m["mean"] = m["mean"] / max(weights[name], 1)
            return merged, "meta/episodes_stats.jsonl (aggregated)"
    except Exception as exc:
        ds.problems.append(f"stored stats unreadable: {type(exc).__name__}: {exc}")
    return {}, ""


def _flat(value) -> list[float] | None:
    try:
        array = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return array.tolist()


def stats_table(ds: Dataset, recomputed: dict, findings: list[dict]) -> tuple[list[dict], str]:
    stored, source = _stored_stats(ds)
    disputed = defaultdict(list)
    for f in findings:
        if f.get("code", "").startswith("stats.") and (f.get("location") or {}).get("feature"):
            disputed[f["location"]["feature"]].append(f.get("message", ""))
    rows = []
    for name in sorted(set(recomputed) | {n for n in stored if n in ds.features}):
        spec = ds.features.get(name, {})
        if not is_numeric(spec) or name in DEFAULT_COLUMNS:
            continue
        names, _ = dimension_names(name, spec)
        mine = recomputed.get(name)
        theirs = stored.get(name) or {}
        for d, label in enumerate(names):
            row = {"feature": name, "dim": label, "stored": {}, "recomputed": {}}
            for key in ("min", "mean", "max"):
                values = _flat(theirs.get(key)) if key in theirs else None
                row["stored"][key] = (
                    _round(np.array([values[d]]))[0] if values and d < len(values) else None
                )
                if mine is not None and d < len(mine[key]):
                    row["recomputed"][key] = _round(np.array([mine[key][d]]))[0]
                else:
                    row["recomputed"][key] = None
            row["disagrees"] = bool(disputed.get(name))
            row["notes"] = disputed.get(name, [])[:1]
            if not theirs:
                row["notes"] = ["not in the stored stats"]
            rows.append(row)
    return rows, source


def histogram(lengths: list[int], max_bins: int = 30) -> dict:
    """Bins of equal integer width covering [min, max]; one bin per distinct length when few, and
    a bin either side of a single length so it does not fill the chart."""
    if not lengths:
        return {"edges": [], "counts": []}
    low, high = min(lengths), max(lengths)
    if low == high:
        low, high = max(0, low - 1), high + 1
    width = max(1, math.ceil((high - low + 1) / max_bins))
    edges = list(range(low, high + width + 1, width))
    counts = np.histogram(lengths, bins=edges)[0].tolist()
    # numpy puts the right edge into the last bin; our bins are [a, b) integers, so the last
    # edge lies past the maximum.
    return {"edges": edges, "counts": counts}


def _action_feature(ds: Dataset) -> str | None:
    numeric = [k for k, f in ds.features.items() if k not in DEFAULT_COLUMNS and is_numeric(f)]
    for preferred in ("action",):
        if preferred in numeric:
            return preferred
    return next((k for k in numeric if k.startswith("action")), None) or next(
        (k for k in numeric if "state" in k), numeric[0] if numeric else None
    )


def build(
    root: Path, out: Path, findings: list[dict] | None = None, *, decode_frames: bool = True
) -> dict:
    """Read the dataset at ``root`` and write the visualizer files under ``out``; returns the
    index (also written to out/index.json)."""
    findings = findings or []
    ds = Dataset(root)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fps = ds.fps or 0
    if not ds.fps:
        ds.problems.append("info.json has no valid fps: times are shown in frames")
    numeric = {}
    for name, spec in ds.features.items():
        if name in DEFAULT_COLUMNS or not is_numeric(spec):
            continue
        names, note = dimension_names(name, spec)
        if note:
            ds.problems.append(note)
        numeric[name] = names
    action_key = _action_feature(ds)

    stats = {name: StatsAccumulator() for name in numeric}
    rows_by_episode: dict[int, dict] = {}
    actions: dict[int, np.ndarray] = {}
    series_dir = out / "episodes"
    files = ds.data_files()
    if not files:
        ds.problems.append("no data parquet files: nothing to chart")
    for path in files:
        rel = path.relative_to(ds.root).as_posix()
        try:
            parquet = pq.ParquetFile(path)
            columns = [c for c in parquet.schema_arrow.names]
            wanted = [
                c
                for c in columns
                if c in numeric
                or c in ds.image_keys
                or c in ("episode_index", "timestamp", "frame_index", "task_index")
            ]
            table = parquet.read(columns=wanted)
        except Exception as exc:
            ds.problems.append(f"{rel}: unreadable ({type(exc).__name__}: {exc})")
            continue
        if "episode_index" not in table.column_names:
            ds.problems.append(f"{rel}: no episode_index column")
            continue
        missing = [n for n in numeric if n not in table.column_names]
        for name in missing:
            ds.problems.append(f"{rel}: declared feature {name} has no column")
        episode_col = table["episode_index"].to_numpy()
        order = np.argsort(episode_col, kind="stable")
        sorted_eps = episode_col[order]
        starts = np.flatnonzero(np.r_[True, sorted_eps[1:] != sorted_eps[:-1]])
        ends = np.r_[starts[1:], len(sorted_eps)]
        matrices = {}
        for name in numeric:
            if name in table.column_names:
                m = _matrix(table[name])
                if m is None:
                    ds.problems.append(f"{rel}: {name} is not numeric")
                    continue
                matrices[name] = m
                stats[name].add(m)
        timestamps = (
            table["timestamp"].to_numpy().astype(np.float64)
            if "timestamp" in table.column_names
            else None
        )
        task_col = table["task_index"].to_numpy() if "task_index" in table.column_names else None
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            episode = int(sorted_eps[s])
            rows = order[s:e]
            n = len(rows)
            keep = downsample_index(n)
            picked = rows[keep]
            t = timestamps[picked] if timestamps is not None else keep / (fps or 1)
            series = {}
            for name, m in matrices.items():
                values = m[picked]
                series[name] = [_round(values[:, d]) for d in range(values.shape[1])]
            if action_key in matrices:
                actions[episode] = matrices[action_key][rows].astype(np.float32)
            record = rows_by_episode.setdefault(
                episode, {"length": 0, "task_index": None, "series": None}
            )
            record["length"] += n
            if task_col is not None and record["task_index"] is None:
                record["task_index"] = int(task_col[rows[0]])
            images = {}
            for key in ds.image_keys:
                if key in table.column_names:
                    images[key] = _image_sprite(table[key], rows, out, episode, key, ds)
            _write_json(
                series_dir / f"{episode}.json",
                {
                    "episode": episode,
                    "length": n,
                    "fps": fps,
                    "t": _round(t),
                    "series": series,
                    "images": images,
                },
            )

    # Episodes known from metadata or data, in order.
    episode_ids = sorted(set(ds.episodes) | set(rows_by_episode))
    lengths = {}
    for ep in episode_ids:
        meta_len = ds.episodes.get(ep, {}).get("length")
        lengths[ep] = int(rows_by_episode.get(ep, {}).get("length") or meta_len or 0)

    # Flags: computed from the actions, plus the validator's findings about single episodes.
    ordered = [ep for ep in episode_ids if ep in actions]
    names_of_action = numeric.get(action_key, [])
    scale = quality.dataset_scale([actions[ep] for ep in ordered])
    motions = {ep: quality.motion(actions[ep], scale, names_of_action) for ep in ordered}
    quality.mark_outliers([motions[ep] for ep in ordered])
    fingerprints = (
        np.array([quality.resample(actions[ep]) for ep in ordered]) if ordered else np.zeros((0, 0))
    )
    duplicates = quality.near_duplicates(fingerprints, [lengths[ep] for ep in ordered], scale.range)
    for pos, others in duplicates.items():
        motions[ordered[pos]].flags["near_duplicate"] = "like episode(s) " + ", ".join(
            str(ordered[o]) for o in sorted(others)[:5]
        )
    validator_notes = defaultdict(list)
    for f in findings:
        episode = (f.get("location") or {}).get("episode")
        if isinstance(episode, int):
            validator_notes[episode].append(f)

    frames = _first_last_frames(ds, episode_ids, lengths, out) if decode_frames else {}

    episodes_out = []
    for ep in episode_ids:
        meta = ds.episodes.get(ep, {})
        task_index = rows_by_episode.get(ep, {}).get("task_index")
        tasks = meta.get("tasks") or ([ds.tasks.get(task_index)] if task_index in ds.tasks else [])
        m = motions.get(ep) or quality.EpisodeMotion()
        ep_flags = dict(m.flags)
        if lengths[ep] < quality.CHUNK_SIZE:
            ep_flags["short"] = f"{lengths[ep]} frames < chunk size {quality.CHUNK_SIZE}"
        notes = []
        for f in validator_notes.get(ep, []):
            flag = VALIDATOR_FLAGS.get(f.get("code"))
            if flag and flag not in ep_flags:
                ep_flags[flag] = f.get("message", "")[:200]
            notes.append(
                {
                    "code": f.get("code"),
                    "severity": f.get("severity"),
                    "message": f.get("message", "")[:300],
                }
            )
        cameras = {}
        for key in ds.video_keys:
            path, start, end = ds.video_segment(ep, key, lengths[ep])
            entry = {"path": path, "from": round(start, 6), "to": round(end, 6)}
            if not path:
                entry["problem"] = "the episode metadata gives no video file for this camera"
            elif not (ds.root / path).is_file():
                entry["problem"] = f"video file {path} is missing"
            cameras[key] = entry
        problems = []
        if ep not in rows_by_episode:
            problems.append("no rows in the data files")
        episodes_out.append(
            {
                "episode": ep,
                "length": lengths[ep],
                "duration": round(lengths[ep] / fps, 3) if fps else None,
                "task": "; ".join(t for t in tasks if t) if tasks else "",
                "flags": ep_flags,
                "idle_start": m.idle_start,
                "idle_end": m.idle_end,
                "jump_z": round(m.jump_z, 2),
                "validator": notes[:5],
                "videos": cameras,
                "frames": frames.get(ep, {}),
                "problems": problems,
            }
        )
    recomputed = {name: acc.result() for name, acc in stats.items() if acc.result() is not None}
    table, source = stats_table(ds, recomputed, findings)
    index = {
        "format": FORMAT,
        "codebase_version": ds.version,
        "fps": fps,
        "action_feature": action_key,
        "features": [{"name": n, "names": names} for n, names in numeric.items()],
        "cameras": [{"key": k, "kind": "video"} for k in ds.video_keys]
        + [{"key": k, "kind": "image"} for k in ds.image_keys],
        "tasks": sorted({e["task"] for e in episodes_out if e["task"]}),
        "episodes": episodes_out,
        "histogram": histogram([e["length"] for e in episodes_out]),
        "stats": table,
        "stats_source": source,
        "chunk_size": quality.CHUNK_SIZE,
        "flag_labels": quality.FLAG_LABELS,
        "problems": list(dict.fromkeys(ds.problems))[:50],
        "repo_hint": ds.root.name,
    }
    _write_json(out / "index.json", index)
    return index


def _image_sprite(column, rows, out: Path, episode: int, key: str, ds: Dataset) -> dict:
    """Decode up to SPRITE_FRAMES evenly spaced frames of an image feature into a sprite sheet."""
    keep = downsample_index(len(rows), SPRITE_FRAMES)
    images, frames, failed = [], [], []
    cells = column.take(pa.array(rows[keep])).to_pylist()
    for position, cell in zip(keep.tolist(), cells, strict=True):
        try:
            image = _decode_image(cell)
        except Exception:
            image = None
        if image is None:
            failed.append(position)
            continue
        images.append(_thumb(image))
        frames.append(position)
    entry: dict = {"frames": frames, "failed": failed[:20]}
    if failed:
        entry["problem"] = f"{len(failed)} of {len(keep)} sampled frames could not be decoded"
    if images:
        name = f"images/{episode}/{_safe(key)}.jpg"
        entry.update(_sprite(images, out / name))
        entry["file"] = name
    return entry


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in key)


def _first_last_frames(ds: Dataset, episode_ids, lengths, out: Path) -> dict:
    """{episode: {camera: {"first": file, "last": file} or {"problem": ...}}} for video cameras,
    decoded in one limited subprocess; image features take theirs from the parquet sprites."""
    result: dict = defaultdict(dict)
    jobs, targets = [], []
    fps = ds.fps or 30
    for key in ds.video_keys:
        for ep in episode_ids:
            path, start, end = ds.video_segment(ep, key, lengths[ep])
            if not path or not (ds.root / path).is_file():
                result[ep][key] = {"problem": f"video file {path or '(none)'} is missing"}
                continue
            result[ep][key] = {}
            last = max(start, end - 1.0 / fps)
            for which, time in (("first", start), ("last", last)):
                name = f"frames/{ep}/{_safe(key)}-{which}.jpg"
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                jobs.append({"path": str(ds.root / path), "time": time, "out": str(out / name)})
                targets.append((ep, key, which, name))
    if not jobs:
        return dict(result)
    # Jobs on one file stay together (the subprocess opens each file once).
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i]["path"], jobs[i]["time"]))
    jobs = [jobs[i] for i in order]
    targets = [targets[i] for i in order]
    outcome: dict[int, dict] = {}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "curation.visualizer.frames"],
            input=json.dumps({"width": THUMB_WIDTH, "jobs": jobs}).encode(),
            capture_output=True,
            timeout=FRAME_TIMEOUT_S,
            check=False,
            cwd=str(Path(__file__).resolve().parents[2]),
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        stdout = done.stdout
        crash = done.returncode != 0
    except subprocess.TimeoutExpired as exc:
        stdout, crash = exc.stdout or b"", True
    for line in stdout.decode(errors="replace").splitlines():
        try:
            item = json.loads(line)
            outcome[int(item["i"])] = item
        except (ValueError, KeyError, TypeError):
            continue
    for i, (ep, key, which, name) in enumerate(targets):
        item = outcome.get(i)
        if item and item.get("ok"):
            result[ep][key][which] = name
        else:
            reason = (item or {}).get("error") or (
                "the decoder crashed or timed out on this file" if crash else "not decoded"
            )
            result[ep][key]["problem"] = f"{which} frame undecodable: {reason}"
    return dict(result)
