"""Scanning data parquet files: schema, indices, timestamps, task indices, NaN/Inf, and per-episode numbers.

One file is scanned by ``scan_file`` (run in a worker process): it streams the file in record
batches, reading only the columns it needs, and reduces every batch to one row per *run* of
consecutive rows of the same episode with vectorized numpy (``reduceat``). Memory is bounded by the
batch size, whatever the file size. Runs are then merged into one row per episode
(``EpisodeTable``): row counts, index ranges, timestamp deviations, and for every numeric feature
count/mean/M2/min/max (Chan's parallel variance), so that statistics can be recomputed without a
second pass over the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .context import DEFAULT_FEATURES, NON_NUMERIC_DTYPES, TIMESTAMP_TOLERANCE_S
from .parquet_io import diagnose_parquet, duplicate_names, first_of_each, footerless

BATCH_ROWS = 256 * 1024
BIG = np.iinfo(np.int64).max

ARROW_TO_DTYPE = {
    pa.float16(): "float16",
    pa.float32(): "float32",
    pa.float64(): "float64",
    pa.int8(): "int8",
    pa.int16(): "int16",
    pa.int32(): "int32",
    pa.int64(): "int64",
    pa.uint8(): "uint8",
    pa.uint16(): "uint16",
    pa.uint32(): "uint32",
    pa.uint64(): "uint64",
    pa.bool_(): "bool",
}


@dataclass
class FileJob:
    path: str
    rel: str
    features: dict
    fps: float | None
    n_tasks: int | None
    file_episode: int | None = None  # v2: the episode the file name says it holds
    batch_rows: int = BATCH_ROWS


@dataclass
class FileResult:
    rel: str
    num_rows: int = 0
    readable: bool = True
    findings: list[tuple] = field(default_factory=list)  # (code, message, extra location dict)
    table: dict[str, np.ndarray] | None = None  # one row per episode, see _merge_runs
    feature_dims: dict[str, int] = field(default_factory=dict)
    episode_tasks: dict[int, set[int]] = field(default_factory=dict)
    interleaved: bool = False


def to_numpy(array: pa.Array) -> np.ndarray:
    """A numpy view of a primitive Arrow array.

    Not ``Array.to_numpy``: its first call imports pandas (2.5 s here), in every worker process.
    """
    dtype = ARROW_TO_DTYPE.get(array.type)
    if dtype is not None and dtype != "bool" and array.null_count == 0:
        np_dtype = np.dtype(dtype)
        return np.frombuffer(
            array.buffers()[1],
            dtype=np_dtype,
            count=len(array),
            offset=array.offset * np_dtype.itemsize,
        )
    if pa.types.is_boolean(array.type) and array.null_count == 0:
        return to_numpy(pc.cast(array, pa.int8()))
    # Nulls (or an unusual type): as float64 with NaN for the missing values.
    return to_numpy(pc.fill_null(pc.cast(array, pa.float64()), np.nan))


def numeric_features(features: dict) -> dict[str, dict]:
    """Features whose values are numbers stored in the parquet (not image, video, string, language)."""
    return {
        name: spec for name, spec in features.items() if spec.get("dtype") not in NON_NUMERIC_DTYPES
    }


def _leaf_type(arrow_type: pa.DataType) -> tuple[pa.DataType, list]:
    """(leaf value type, list of list lengths or None per nesting level)."""
    dims = []
    while (
        pa.types.is_list(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
    ):
        dims.append(arrow_type.list_size if pa.types.is_fixed_size_list(arrow_type) else None)
        arrow_type = arrow_type.value_type
    if isinstance(arrow_type, pa.ExtensionType):
        arrow_type = arrow_type.storage_type
        inner, more = _leaf_type(arrow_type)
        return inner, dims + more
    return arrow_type, dims


def check_schema(job: FileJob, schema: pa.Schema, result: FileResult) -> dict[str, int]:
    """Compare the Arrow schema with the declared features; return the numeric columns to read
    with their flattened width."""
    to_read: dict[str, int] = {}
    names = set(schema.names)
    for name, spec in job.features.items():
        dtype, shape = spec.get("dtype"), list(spec.get("shape") or [])
        if dtype == "video":
            continue
        where = {"feature": name}
        if name not in names:
            result.findings.append(
                (
                    "frame_index.invalid" if name == "frame_index" else "schema.missing_column",
                    f"{job.rel} has no column {name!r} although info.json declares it"
                    + (
                        " (lerobot fills frame_index on save; this file was written by another tool)."
                        if name == "frame_index"
                        else "."
                    ),
                    where,
                )
            )
            continue
        arrow_type = schema.field(name).type
        if dtype == "image":
            if not (
                pa.types.is_struct(arrow_type) and {"bytes", "path"} <= {f.name for f in arrow_type}
            ):
                result.findings.append(
                    (
                        "schema.mismatch",
                        f"{job.rel}: image column {name!r} is {arrow_type}, expected struct<bytes, path>.",
                        where,
                    )
                )
            continue
        if dtype == "language":
            if not (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)):
                result.findings.append(
                    (
                        "schema.mismatch",
                        f"{job.rel}: language column {name!r} is {arrow_type}; lerobot 0.6 stores "
                        "a list of annotation rows.",
                        where,
                    )
                )
            continue
        if dtype == "string":
            if not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
                result.findings.append(
                    (
                        "schema.mismatch",
                        f"{job.rel}: string column {name!r} is {arrow_type}.",
                        where,
                    )
                )
            continue
        leaf, dims = _leaf_type(arrow_type)
        actual = ARROW_TO_DTYPE.get(leaf)
        if actual is None:
            result.findings.append(
                (
                    "schema.mismatch",
                    f"{job.rel}: column {name!r} holds {arrow_type}, not numbers ({dtype}{shape}).",
                    where,
                )
            )
            continue
        if actual != dtype:
            result.findings.append(
                (
                    "schema.mismatch",
                    f"{job.rel}: column {name!r} is {actual} but info.json declares {dtype}; lerobot casts "
                    f"with the declared features and rejects frames of the wrong dtype. Cast the data to "
                    f"{dtype} or declare {actual}.",
                    where,
                )
            )
        expected_dims = shape if shape != [1] else []
        fixed = [d for d in dims if d is not None]
        if len(dims) == len(expected_dims) and fixed == [
            d for d, a in zip(expected_dims, dims, strict=True) if a is not None
        ]:
            pass
        elif shape == [1] and dims in ([1], [None]):
            pass  # a scalar stored as a one-element list: lerobot reads it
        else:
            declared_count = int(np.prod(shape)) if shape else 1
            stored = (
                f" Each row holds {int(np.prod(dims))} value(s), the declared shape {shape} has "
                f"{declared_count}."
                if dims and None not in dims
                else ""
            )
            result.findings.append(
                (
                    "schema.mismatch",
                    f"{job.rel}: column {name!r} is {arrow_type}, which does not match the declared "
                    f"shape {shape}.{stored} Declare the shape the data has, or fix the data.",
                    where,
                )
            )
            continue
        to_read[name] = int(np.prod(shape)) if shape else 1
    declared = set(job.features)
    pads = [n for n in schema.names if n.endswith("_is_pad")]
    task_text = "task" in schema.names and "task" not in declared
    if pads or task_text:
        result.findings.append(
            (
                "data.training_dump",
                f"{job.rel} looks like a dump of training items, not recorded frames: "
                + ", ".join(
                    ([f"padding masks {pads[:3]}"] if pads else [])
                    + (["a 'task' text column"] if task_text else [])
                )
                + ". lerobot builds these when it loads a dataset (delta timestamps, task text); "
                "save the frames with LeRobotDataset.add_frame/save_episode instead.",
                {},
            )
        )
    for name in schema.names:
        if name not in declared and name != "__index_level_0__":
            result.findings.append(
                (
                    "schema.undeclared_column",
                    f"{job.rel} has column {name!r} that info.json does not declare; declare it in "
                    "features (with dtype, shape, names) or drop it.",
                    {"feature": name},
                )
            )
    return to_read


MAX_ROWS = 2**40
# Bytes one value of a numeric column can take uncompressed, at most (int64/float64), with room
# for repetition/definition levels and page headers; anything claiming far more is refused before
# a page is decompressed.
VALUE_BYTES_ALLOWANCE = 8 * 2
CHUNK_SLACK_BYTES = 1024 * 1024


def _is_numeric(arrow_type: pa.DataType) -> bool:
    leaf, _ = _leaf_type(arrow_type)
    return leaf in ARROW_TO_DTYPE


def _short(error: BaseException, limit: int = 300) -> str:
    text = f"{type(error).__name__}: {error}" if not isinstance(error, OSError) else str(error)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _footer_problem(metadata: pq.FileMetaData, widths: dict[str, int]) -> str | None:
    """What is impossible about the sizes the footer declares for the columns we will read.

    A crafted footer (or page) can claim row groups of 2**62 rows or petabytes of column data so
    that a reader allocates for them; real files never do. Each column chunk may hold at most
    rows x width x 16 bytes (+1 MiB), the file at most 2**40 rows."""
    if metadata.num_rows < 0 or metadata.num_rows > MAX_ROWS:
        return f"claims {metadata.num_rows} rows; the footer is corrupt or crafted"
    total = 0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        rows = group.num_rows
        if rows < 0 or rows > MAX_ROWS:
            return f"row group {g} claims {rows} rows; the footer is corrupt or crafted"
        total += rows
        for c in range(group.num_columns):
            column = group.column(c)
            path = column.path_in_schema
            name = next((n for n in widths if path == n or path.startswith(n + ".")), None)
            if name is None:
                continue
            limit = rows * max(1, widths[name]) * VALUE_BYTES_ALLOWANCE + CHUNK_SLACK_BYTES
            size = column.total_uncompressed_size
            if size < 0 or size > limit:
                return (
                    f"row group {g} declares {size} bytes for column {name!r} of {rows} rows, "
                    f"more than such rows can hold ({limit}); the file is corrupt or crafted to "
                    "exhaust memory, and was not read"
                )
    if total != metadata.num_rows:
        return (
            f"declares {metadata.num_rows} rows but its row groups hold {total}; the footer is "
            "corrupt"
        )
    return None


def _matrix(
    column: pa.Array, width: int, name: str, result: FileResult, rel: str
) -> np.ndarray | None:
    """A (rows, width) float64 matrix of a numeric column (lists are flattened)."""
    values = column
    while (
        pa.types.is_list(values.type)
        or pa.types.is_fixed_size_list(values.type)
        or pa.types.is_large_list(values.type)
        or isinstance(values.type, pa.ExtensionType)
    ):
        if isinstance(values.type, pa.ExtensionType):
            values = values.storage
            continue
        if not pa.types.is_fixed_size_list(values.type):
            lengths = pc.list_value_length(values)
            low, high = pc.min_max(lengths).values()
            if low.as_py() != high.as_py():
                result.findings.append(
                    (
                        "schema.mismatch",
                        f"{rel}: rows of {name!r} have different lengths ({low}..{high}).",
                        {"feature": name},
                    )
                )
                return None
        values = values.flatten()
    flat = to_numpy(values)
    if flat.size != len(column) * width:
        result.findings.append(
            (
                "schema.mismatch",
                f"{rel}: rows of {name!r} hold {flat.size // max(1, len(column))} value(s) each, "
                f"but its declared shape has {width} element(s); lerobot reshapes every frame to "
                "the declared shape and fails. Declare the shape the data has, or fix the data.",
                {"feature": name},
            )
        )
        return None
    return flat.reshape(len(column), width)


def lerobot_episode_stats(
    native: np.ndarray, bounds: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the mean and std that lerobot's ``compute_episode_stats`` writes for these rows.

    lerobot (0.4 to 0.6) promotes the values to at least float32, takes ``np.mean`` of the values
    and of their squares over the episode (one batch, sequential float32 sums), and the std as
    ``sqrt(max(0, mean_of_squares - mean**2))``: cancellation in float32 makes that std differ
    from the exact one (a constant joint at 100 degrees gets a std of a few thousandths). The
    stats check accepts a stored value that matches either this or the exact statistics, so a
    value lerobot itself wrote is never an error. Episodes of one row use ``np.std``, as lerobot
    does.
    """
    calc = native.astype(np.result_type(native.dtype, np.float32), copy=False)
    width = calc.shape[1]
    means = np.empty((len(bounds), width), dtype=np.float64)
    stds = np.empty((len(bounds), width), dtype=np.float64)
    for i, (a, b) in enumerate(zip(bounds.tolist(), ends.tolist(), strict=True)):
        segment = calc[a:b]
        mean = np.mean(segment, axis=0)
        if b - a < 2:
            std = np.std(segment, axis=0)
        else:
            variance = np.mean(segment**2, axis=0) - mean**2
            std = np.sqrt(np.maximum(0, variance))
        means[i], stds[i] = mean, std
    return means, stds


def _ints(batch: pa.RecordBatch, name: str) -> np.ndarray | None:
    if name not in batch.schema.names:
        return None
    column = batch.column(name)
    if pa.types.is_list(column.type) or pa.types.is_fixed_size_list(column.type):
        column = column.flatten()
    return to_numpy(column).astype(np.int64, copy=False)


def _run_first(mask: np.ndarray, bounds: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per run, the first position where mask is True (BIG when none)."""
    return np.minimum.reduceat(np.where(mask, positions, BIG), bounds)


class _Runs:
    """Per-run arrays of one batch, concatenated over the file."""

    def __init__(self):
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **arrays):
        for key, value in arrays.items():
            self.parts.setdefault(key, []).append(value)

    def concat(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


def scan_file(job: FileJob) -> FileResult:
    """Read one data parquet file and reduce it to per-episode numbers and findings."""
    # NaN and Inf in the data are findings (data.non_finite), not numpy warnings.
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return _scan_file(job)


def _scan_file(job: FileJob) -> FileResult:
    result = FileResult(rel=job.rel)
    path = Path(job.path)
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
    except (OSError, pa.ArrowException) as error:
        result.readable = False
        reason = diagnose_parquet(path)
        if "Git-LFS" not in reason:
            result.findings.append(
                (
                    "lerobot_bug.2495" if footerless(reason) else "file.corrupt",
                    f"{job.rel} {reason} ({type(error).__name__}).",
                    {},
                )
            )
        return result
    dups = duplicate_names(schema)
    if dups:
        result.findings.append(
            (
                "parquet.duplicate_column",
                f"{job.rel} has column(s) {dups[:6]} more than once; the first of each was read. "
                "Rewrite the file with one column per name.",
                {},
            )
        )
        schema = first_of_each(schema)
    numeric = check_schema(job, schema, result)
    result.feature_dims = dict(numeric)
    # Index columns are read as numbers: one that holds strings (or anything else) is reported by
    # check_schema and never decoded, so a giant string there cannot be pulled into memory.
    columns = [
        c
        for c in ("episode_index", "frame_index", "timestamp", "index", "task_index")
        if c in schema.names and _is_numeric(schema.field(c).type)
    ]
    columns += [c for c in numeric if c not in columns]
    problem = _footer_problem(parquet.metadata, {c: numeric.get(c, 1) for c in columns})
    if problem:
        result.readable = False
        result.findings.append(("file.corrupt", f"{job.rel} {problem}.", {}))
        return result
    result.num_rows = parquet.metadata.num_rows
    if "episode_index" not in schema.names and job.file_episode is None:
        return result  # nothing can be attributed to episodes (schema finding already made)

    # Bound the memory of one batch: about 64 MB of float64 values, whatever the feature widths.
    row_width = 5 + sum(numeric.values())
    batch_rows = max(1024, min(job.batch_rows, 8_000_000 // row_width))
    period = 1.0 / job.fps if job.fps else None
    quality = [
        n for n in numeric if n not in DEFAULT_FEATURES and (n.startswith("action") or "state" in n)
    ]
    runs = _Runs()
    carry: dict | None = None  # the last row of the previous batch
    offset = 0
    try:
        for batch in parquet.iter_batches(
            batch_size=batch_rows, columns=columns, use_threads=False
        ):
            batch = first_of_each(batch)
            n = batch.num_rows
            if n == 0:
                continue
            ep = _ints(batch, "episode_index")
            if ep is None:
                ep = np.full(n, job.file_episode, dtype=np.int64)
            starts = np.flatnonzero(ep[1:] != ep[:-1]) + 1
            if len(starts) > n // 2 and 4 * len(np.unique(ep)) < len(starts):
                # Rows of a few episodes alternate (not short episodes, which are distinct):
                # per-run numbers would be as large as the data itself, so stop here.
                result.interleaved = True
                return result
            bounds = np.concatenate([[0], starts]).astype(np.int64)
            ends = np.concatenate([starts, [n]]).astype(np.int64)
            lengths = ends - bounds
            pos = np.arange(n, dtype=np.int64)
            prev_ep = carry["ep"] if carry else None
            # valid[i]: row i continues the same episode as the row before it (in file order)
            valid = np.empty(n, dtype=bool)
            valid[1:] = ep[1:] == ep[:-1]
            valid[0] = prev_ep is not None and prev_ep == ep[0]
            row = dict(
                ep=ep[bounds],
                rows=lengths,
                start=bounds + offset,
                continues=valid[bounds],
            )
            fi = _ints(batch, "frame_index")
            if fi is not None:
                prev = carry["fi"] if carry and carry.get("fi") is not None else 0
                dfi = np.diff(fi, prepend=prev)
                bad = (valid & (dfi != 1)) | (~valid & (fi != 0))
                row.update(
                    fi_bad=np.add.reduceat(bad, bounds),
                    fi_bad_at=_run_first(bad, bounds, pos + offset),
                    fi_first=fi[bounds],
                )
            ts_column = "timestamp" in batch.schema.names
            if ts_column and period:
                raw = to_numpy(batch.column("timestamp"))
                ts = raw.astype(np.float64)
                prev = carry["ts"] if carry and carry.get("ts") is not None else 0.0
                dts = np.diff(ts, prepend=prev)
                nonmono = valid & ~(dts > 0)
                dev = np.where(valid, np.abs(dts - period), 0.0)
                dev = np.where(np.isnan(dev), np.inf, dev)
                tolerance = TIMESTAMP_TOLERANCE_S
                if raw.dtype == np.float32:
                    # float32 seconds lose precision in long episodes (0.24 ms steps at one hour):
                    # rounding of the stored value is not a recording error.
                    tolerance = tolerance + 2 * np.spacing(np.abs(raw)).astype(np.float64)
                off = dev > tolerance
                worst = np.maximum.reduceat(dev, bounds)
                start_rows = ~valid
                row.update(
                    ts_nonmono=np.add.reduceat(nonmono, bounds),
                    ts_nonmono_at=_run_first(nonmono, bounds, pos + offset),
                    ts_off=np.add.reduceat(off, bounds),
                    ts_worst=worst,
                    ts_worst_at=_run_first(dev == np.repeat(worst, lengths), bounds, pos + offset),
                    ts_gap_max=np.maximum.reduceat(np.where(valid, dts, -np.inf), bounds),
                    ts_start=np.maximum.reduceat(np.where(start_rows, np.abs(ts), -1.0), bounds),
                    ts_nonfinite=np.add.reduceat(~np.isfinite(ts), bounds),
                )
                if fi is not None:
                    row["ts_drift"] = np.maximum.reduceat(np.abs(ts - fi * period), bounds)
            idx = _ints(batch, "index")
            if idx is not None:
                prev = carry["idx"] if carry and carry.get("idx") is not None else 0
                didx = np.diff(idx, prepend=prev)
                bad = valid & (didx != 1)
                row.update(
                    idx_bad=np.add.reduceat(bad, bounds),
                    idx_first=idx[bounds],
                    idx_last=idx[ends - 1],
                )
            task = _ints(batch, "task_index")
            if task is not None:
                row.update(
                    task_min=np.minimum.reduceat(task, bounds),
                    task_max=np.maximum.reduceat(task, bounds),
                )
                task_min, task_max = row["task_min"], row["task_max"]
                for e, low, high, a, b in zip(
                    ep[bounds].tolist(),
                    task_min.tolist(),
                    task_max.tolist(),
                    bounds.tolist(),
                    ends.tolist(),
                    strict=True,
                ):
                    tasks = result.episode_tasks.setdefault(e, set())
                    # One task per run is the rule; only mixed runs need the distinct values.
                    tasks.update({low} if low == high else set(np.unique(task[a:b]).tolist()))
            new_carry = {
                "ep": int(ep[-1]),
                "fi": fi[-1] if fi is not None else None,
                "ts": ts[-1] if ts_column and period else None,
                "idx": idx[-1] if idx is not None else None,
            }
            for name, width in numeric.items():
                native = _matrix(batch.column(name), width, name, result, job.rel)
                if native is None:
                    continue
                matrix = native.astype(np.float64, copy=False)
                if str(job.features[name].get("dtype", "")).startswith(("int", "uint", "bool")):
                    nonfinite = np.zeros(len(bounds), dtype=np.int64)  # integers are finite
                else:
                    nonfinite = np.add.reduceat(~np.isfinite(matrix), bounds, axis=0).sum(axis=1)
                sums = np.add.reduceat(matrix, bounds, axis=0)
                means = sums / lengths[:, None]
                dev2 = matrix - np.repeat(means, lengths, axis=0)
                row.update(
                    {
                        f"{name}|nonfinite": nonfinite,
                        f"{name}|mean": means,
                        f"{name}|m2": np.add.reduceat(dev2 * dev2, bounds, axis=0),
                        f"{name}|min": np.minimum.reduceat(matrix, bounds, axis=0),
                        f"{name}|max": np.maximum.reduceat(matrix, bounds, axis=0),
                    }
                )
                lmean, lstd = lerobot_episode_stats(native, bounds, ends)
                row.update({f"{name}|lmean": lmean, f"{name}|lstd": lstd})
                if name in quality:
                    prev_row = carry.get(name) if carry else None
                    first = prev_row if prev_row is not None else matrix[0]
                    diff = np.empty_like(matrix)
                    diff[0] = matrix[0] - first
                    np.subtract(matrix[1:], matrix[:-1], out=diff[1:])
                    diff[~valid] = 0.0
                    zero = diff == 0
                    # Row-wise reductions column by column: numpy's axis=1 on narrow rows is slow.
                    same, l1 = valid.copy(), np.zeros(n)
                    for column in range(width):
                        same &= zero[:, column]
                        l1 += np.abs(diff[:, column])
                    carry_same = carry.get(f"{name}|same_run", 0) if carry and valid[0] else 0
                    if same.any():
                        # Length of the run of identical rows ending at each row (over batches).
                        base = np.maximum.accumulate(np.where(~same, pos, -1 - carry_same))
                        run_len = np.where(same, pos - base, 0)
                    else:
                        run_len = np.zeros(n, dtype=np.int64)
                    l1[~np.isfinite(l1)] = np.inf  # NaN rows are reported by data.non_finite
                    top = np.maximum.reduceat(l1, bounds)
                    top_at = _run_first(l1 == np.repeat(top, lengths), bounds, pos)
                    change = ~same & valid  # the row differs from the one before it
                    first_change = _run_first(change, bounds, pos)
                    idle_head = np.where(
                        first_change == BIG, lengths - 1, first_change - bounds - 1
                    )
                    row.update(
                        {
                            f"{name}|idle_head": np.maximum(idle_head, 0),
                            f"{name}|idle_tail": run_len[ends - 1],
                            f"{name}|frozen_run": np.maximum.reduceat(run_len, bounds),
                            f"{name}|zero_diffs": np.add.reduceat(
                                zero & valid[:, None], bounds, axis=0
                            ),
                            f"{name}|diffs": np.add.reduceat(valid, bounds),
                            f"{name}|dsum": np.add.reduceat(diff, bounds, axis=0),
                            f"{name}|dsq": np.add.reduceat(diff * diff, bounds, axis=0),
                            f"{name}|jump_row": np.abs(diff[top_at]),
                        }
                    )
                    new_carry[name] = matrix[-1]
                    new_carry[f"{name}|same_run"] = int(run_len[-1])
            runs.add(**row)
            carry = new_carry
            offset += n
    except (OSError, pa.ArrowException, MemoryError, ValueError, TypeError, OverflowError) as error:
        # Crafted files make pyarrow and numpy fail in many ways; each is the file's problem, said
        # once, and the message is cut short (it can quote the file's own bytes).
        result.readable = False
        result.findings.append(
            (
                "file.corrupt",
                f"{job.rel} could not be read to the end: {_short(error)}.",
                {},
            )
        )
        return result
    if runs.parts:
        result.table = _merge_runs(runs.concat())
    return result


def _merge_runs(runs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Combine runs of the same episode (an episode split over batches) into one row each.

    ``split`` counts episodes whose rows are not contiguous in the file (runs of one episode
    separated by other episodes)."""
    ep = runs["ep"]
    order = np.argsort(ep, kind="stable")
    sorted_ep = ep[order]
    group_starts = np.concatenate([[0], np.flatnonzero(sorted_ep[1:] != sorted_ep[:-1]) + 1])
    n_runs_in_group = np.diff(np.concatenate([group_starts, [len(ep)]]))
    out: dict[str, np.ndarray] = {"ep": sorted_ep[group_starts]}
    if len(group_starts) == len(ep):
        # The common case: every episode is a single run.
        out.update({k: v[order] for k, v in runs.items() if k != "ep"})
        out["split"] = np.zeros(len(group_starts), dtype=bool)
        return out

    def take(key):
        return runs[key][order]

    def first(key):
        return take(key)[group_starts]

    def last(key):
        return take(key)[np.concatenate([group_starts[1:], [len(ep)]]) - 1]

    def total(key):
        return np.add.reduceat(take(key), group_starts, axis=0)

    rows = total("rows")
    out["rows"] = rows
    out["start"] = first("start")
    # An episode is split when a later run does not continue the previous one.
    continues = take("continues")
    starts_mask = np.zeros(len(ep), dtype=bool)
    starts_mask[group_starts] = True
    out["split"] = np.add.reduceat(~continues & ~starts_mask, group_starts) > 0
    out["continues"] = first("continues")
    for key in runs:
        if key in out or key in ("continues",):
            continue
        if key == "ts_worst_at":
            continue  # taken from the run with the worst deviation, below
        if key.endswith("_at"):
            out[key] = np.minimum.reduceat(take(key), group_starts)
        elif key in ("fi_first", "idx_first"):
            out[key] = first(key)
        elif key == "idx_last":
            out[key] = last(key)
        elif key in ("task_min",) or key.endswith("|min"):
            out[key] = np.minimum.reduceat(take(key), group_starts, axis=0)
        elif key in ("task_max", "ts_worst", "ts_gap_max", "ts_start", "ts_drift") or key.endswith(
            ("|max", "|frozen_run")
        ):
            out[key] = np.maximum.reduceat(take(key), group_starts, axis=0)
        elif key.endswith(("|mean", "|m2", "|jump_row")):
            continue
        elif key.endswith("|idle_head"):
            out[key] = first(key)
        elif key.endswith("|idle_tail"):
            out[key] = last(key)
        elif key.endswith(("|lmean", "|lstd")):
            # lerobot's arithmetic over one episode cannot be redone from parts of it: unknown.
            single = n_runs_in_group == 1
            values = first(key)
            out[key] = np.where(single[:, None], values, np.nan)
        else:
            out[key] = total(key)
    # Chan's parallel combination of means and M2, feature by feature.
    run_rows = take("rows").astype(np.float64)
    group_of_run = np.repeat(np.arange(len(group_starts)), n_runs_in_group)
    run_ids = np.arange(len(ep))
    if "ts_worst_at" in runs:
        worst = take("ts_worst")
        best = np.maximum.reduceat(worst, group_starts)
        pick = np.minimum.reduceat(
            np.where(worst == best[group_of_run], run_ids, BIG), group_starts
        )
        out["ts_worst_at"] = take("ts_worst_at")[pick]
    for key in runs:
        if key.endswith("|mean"):
            name = key[: -len("|mean")]
            means, m2 = take(key), take(f"{name}|m2")
            weights = run_rows[:, None]
            mean = np.add.reduceat(means * weights, group_starts, axis=0) / rows[:, None]
            spread = (means - mean[group_of_run]) ** 2 * weights
            out[key] = mean
            out[f"{name}|m2"] = np.add.reduceat(m2 + spread, group_starts, axis=0)
        elif key.endswith("|jump_row"):
            name = key[: -len("|jump_row")]
            jump = take(key)
            l1 = jump.sum(axis=1)
            l1[~np.isfinite(l1)] = np.inf
            best = np.maximum.reduceat(l1, group_starts)
            pick = np.minimum.reduceat(
                np.where(l1 == best[group_of_run], run_ids, BIG), group_starts
            )
            out[key] = jump[pick]
    return out


V2_FILE_EPISODE = re.compile(r"episode_(\d+)\.parquet$")


def file_episode_of(rel: str) -> int | None:
    match = V2_FILE_EPISODE.search(rel)
    return int(match.group(1)) if match else None
