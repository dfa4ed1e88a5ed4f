"""Episode metadata and tasks: load them (v3 parquet or v2 jsonl) and check them against the data."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import path_templates
from .context import Context, EpisodeMeta
from .jsonio import JsonRefused, loads
from .parquet_io import first_of_each, open_parquet, report_duplicates
from .scan import to_numpy

V3_VIDEO_COLUMNS = ("chunk_index", "file_index", "from_timestamp", "to_timestamp")


def read_jsonl(ctx: Context, rel: str) -> list[dict] | None:
    """Rows of a jsonl file; a bad line is reported and skipped, it does not hide the others."""
    if rel not in ctx.files or ctx.files[rel] == 0:
        return None
    rows = []
    try:
        text = (ctx.root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        ctx.add("file.corrupt", f"{rel} cannot be read: {error}.", file=rel)
        return None
    bad = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = loads(line, what=f"{rel} line {number}")
        except JsonRefused as error:
            bad += 1
            if bad <= 5:
                ctx.add(
                    "file.corrupt",
                    f"{error}.",
                    file=rel,
                    frame=None,
                )
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


V3_DATA_FILE = re.compile(r"^data/chunk-\d+/file-\d+\.parquet$")
V3_EPISODES_FILE = re.compile(r"^meta/episodes/chunk-\d+/file-\d+\.parquet$")


def episode_files(ctx: Context) -> list[str]:
    """The v3 episode metadata files lerobot reads; other parquet files under meta/episodes/
    (stray copies) are reported by layout.check_unexpected and not read."""
    return sorted(r for r in ctx.files if V3_EPISODES_FILE.match(r))


def read_table(ctx: Context, rel: str, parquet, columns=None):
    """The file's table (first column of each name), or None after a file.corrupt finding when
    its pages do not decode (a footer can be intact over damaged data)."""
    try:
        return first_of_each(parquet.read(columns=columns))
    except (OSError, pa.ArrowException, ValueError, MemoryError) as error:
        text = str(error)
        ctx.add(
            "file.corrupt",
            f"{rel} has a readable footer but its data cannot be decoded "
            f"({type(error).__name__}: {text[:200]}); re-upload or re-create the file.",
            file=rel,
        )
        return None


# -- tasks ------------------------------------------------------------------------------------


def load_tasks(ctx: Context) -> None:
    if ctx.is_v3:
        rel = "meta/tasks.parquet"
        if rel not in ctx.files:
            ctx.add(
                "file.missing",
                "meta/tasks.parquet is missing; lerobot needs it to map task_index to text.",
                file=rel,
            )
            return
        parquet = open_parquet(ctx, rel)
        if parquet is None:
            return
        report_duplicates(ctx, rel, parquet.schema_arrow, code="parquet.duplicate_column")
        table = read_table(ctx, rel, parquet)
        if table is None:
            return
        names = table.column_names
        text_column = (
            "task"
            if "task" in names
            else ("__index_level_0__" if "__index_level_0__" in names else None)
        )
        if text_column is None or "task_index" not in names:
            ctx.add(
                "tasks.invalid",
                f"{rel} must have a task_index column and the task text as its index; it has {names}.",
                file=rel,
            )
            return
        pairs = list(
            zip(
                table.column("task_index").to_pylist(),
                table.column(text_column).to_pylist(),
                strict=True,
            )
        )
    else:
        rel = "meta/tasks.jsonl"
        rows = read_jsonl(ctx, rel)
        if rows is None:
            if rel not in ctx.files:
                ctx.add(
                    "file.missing",
                    "meta/tasks.jsonl is missing; it maps task_index to the task text.",
                    file=rel,
                )
            return
        pairs = [(r.get("task_index"), r.get("task")) for r in rows]
    by_index: dict[int, str] = {}
    for index, text in pairs:
        if not isinstance(index, int) or not isinstance(text, str) or not text.strip():
            ctx.add(
                "tasks.invalid",
                f"Task row ({index!r}, {text!r}) needs an integer index and a non-empty text.",
                file=rel,
            )
            continue
        if index in by_index:
            ctx.add("tasks.invalid", f"task_index {index} appears twice in {rel}.", file=rel)
        by_index[index] = text
    if sorted(by_index) != list(range(len(by_index))):
        ctx.add(
            "tasks.invalid",
            f"Task indices in {rel} are not 0..{len(by_index) - 1}: {sorted(by_index)[:10]}.",
            file=rel,
        )
    if len(set(by_index.values())) != len(by_index):
        ctx.add(
            "tasks.invalid",
            f"{rel} lists the same task text under several indices.",
            file=rel,
            severity="warning",
        )
    ctx.tasks = [by_index[i] for i in sorted(by_index)]
    ctx.summary["tasks"] = list(ctx.tasks)


# -- episodes ---------------------------------------------------------------------------------


def load_episodes(ctx: Context) -> None:
    if ctx.is_v3:
        _load_v3(ctx)
    else:
        _load_v2(ctx)
    meta = ctx.episodes
    if meta is None:
        return
    if ctx.max_episodes is not None:
        ctx.selected_episodes = set(sorted(meta.index)[: ctx.max_episodes])
    ctx.summary["episodes"] = len(meta)
    ctx.summary["episode_lengths"] = [int(x) if isinstance(x, int) else 0 for x in meta.length]


def _load_v3(ctx: Context) -> None:
    files = episode_files(ctx)
    if not files:
        ctx.add(
            "episodes.missing",
            "meta/episodes/ has no parquet file: the recording was probably stopped before "
            "dataset.finalize() (lerobot buffers episode metadata). Re-record or rebuild the metadata.",
            file="meta/episodes/",
        )
        return
    meta = EpisodeMeta(source="meta/episodes/")
    video_keys = ctx.video_keys
    for rel in files:
        parquet = open_parquet(ctx, rel)
        if parquet is None:
            continue
        report_duplicates(ctx, rel, parquet.schema_arrow, code="parquet.duplicate_column")
        names = set(parquet.schema_arrow.names)
        required = {"episode_index", "length"}
        if not required <= names:
            ctx.add(
                "episodes.invalid", f"{rel} lacks column(s) {sorted(required - names)}.", file=rel
            )
            continue
        wanted = sorted(c for c in names if not c.startswith("stats/"))
        table = read_table(ctx, rel, parquet, columns=wanted)
        if table is None:
            continue
        n = table.num_rows

        def col(name, table=table, n=n):
            return table.column(name).to_pylist() if name in table.column_names else [None] * n

        meta.index += col("episode_index")
        meta.length += col("length")
        meta.tasks += [t or [] for t in col("tasks")]
        meta.from_index += col("dataset_from_index")
        meta.to_index += col("dataset_to_index")
        meta.data_chunk += col("data/chunk_index")
        meta.data_file += col("data/file_index")
        for key in video_keys:
            store = meta.videos.setdefault(key, {c: [] for c in V3_VIDEO_COLUMNS})
            for c in V3_VIDEO_COLUMNS:
                store[c] += col(f"videos/{key}/{c}")
        missing = [
            c
            for c in (
                "dataset_from_index",
                "dataset_to_index",
                "data/chunk_index",
                "data/file_index",
            )
            if c not in names
        ]
        missing += [
            f"videos/{k}/{c}"
            for k in video_keys
            for c in V3_VIDEO_COLUMNS
            if f"videos/{k}/{c}" not in names
        ]
        if missing:
            ctx.add("episodes.invalid", f"{rel} lacks column(s) {missing[:6]}.", file=rel)
    _finish(ctx, meta)


def _load_v2(ctx: Context) -> None:
    rel = "meta/episodes.jsonl"
    rows = read_jsonl(ctx, rel)
    if rows is None:
        if rel not in ctx.files:
            ctx.add(
                "episodes.missing",
                "meta/episodes.jsonl is missing; it lists each episode's index, tasks and length.",
                file=rel,
            )
        return
    meta = EpisodeMeta(source=rel)
    for row in rows:
        meta.index.append(row.get("episode_index"))
        meta.length.append(row.get("length"))
        tasks = row.get("tasks") or []
        meta.tasks.append(tasks if isinstance(tasks, list) else [tasks])
        for column in (meta.from_index, meta.to_index, meta.data_chunk, meta.data_file):
            column.append(None)
    _finish(ctx, meta)


def _finish(ctx: Context, meta: EpisodeMeta) -> None:
    if not meta.index:
        ctx.add("episodes.missing", f"{meta.source} has no episode rows.", file=meta.source)
        ctx.episodes = meta
        return
    bad = [
        i
        for i, (ep, n) in enumerate(zip(meta.index, meta.length, strict=True))
        if not isinstance(ep, int) or not isinstance(n, int) or n < 0
    ]
    for i in bad[:5]:
        ctx.add(
            "episodes.invalid",
            f"Episode row {i} of {meta.source} needs integer episode_index and length (got {meta.index[i]!r}, {meta.length[i]!r}).",
            file=meta.source,
        )
    meta.index = [ep if isinstance(ep, int) else -1 for ep in meta.index]
    meta.length = [n if isinstance(n, int) and n >= 0 else None for n in meta.length]
    if sorted(meta.index) != list(range(len(meta.index))):
        seen, dups = set(), set()
        for ep in meta.index:
            (dups if ep in seen else seen).add(ep)
        missing = sorted(set(range(len(meta.index))) - seen)
        ctx.add(
            "episode_index.mismatch",
            f"Episode indices in {meta.source} are not 0..{len(meta.index) - 1}"
            + (f"; missing {missing[:10]}" if missing else "")
            + (f"; duplicated {sorted(dups)[:10]}" if dups else "")
            + ". lerobot requires contiguous episode indices (its v2.1→v3.0 converter renumbers by file order).",
            file=meta.source,
        )
    ctx.episodes = meta


def check_tasks_of_episodes(ctx: Context) -> None:
    """Each episode's tasks list against the tasks table and the task_index of its frames."""
    meta, scan, tasks = ctx.episodes, ctx.data_scan, ctx.tasks
    if meta is None or tasks is None:
        return
    known = set(tasks)
    for ep, episode_tasks in zip(meta.index, meta.tasks, strict=True):
        if not ctx.episode_selected(ep):
            continue
        unknown = [t for t in episode_tasks if t not in known]
        if unknown:
            ctx.add(
                "episodes.tasks_mismatch",
                f"Episode {ep} lists task(s) {unknown} that are not in the task table.",
                episode=ep,
                file=meta.source,
            )
            continue
        if scan is None or ep not in scan.episode_tasks:
            continue
        used = {tasks[i] for i in scan.episode_tasks[ep] if 0 <= i < len(tasks)}
        if used and set(episode_tasks) != used:
            ctx.add(
                "episodes.tasks_mismatch",
                f"Episode {ep} lists tasks {sorted(episode_tasks)} but its frames use {sorted(used)}.",
                episode=ep,
                file=meta.source,
            )


def _stat_matrix(column: pa.Array, rows: int) -> np.ndarray | None:
    """A (rows, width) float64 matrix of a list-typed stats column (image stats are nested)."""
    values = column
    while (
        pa.types.is_list(values.type)
        or pa.types.is_large_list(values.type)
        or pa.types.is_fixed_size_list(values.type)
    ):
        if values.null_count:
            return None
        values = values.flatten()
    if not (pa.types.is_floating(values.type) or pa.types.is_integer(values.type)) or rows == 0:
        return None
    flat = to_numpy(values).astype(np.float64)
    if flat.size % rows:
        return None
    return flat.reshape(rows, -1)


def read_episode_stats_v3(ctx: Context) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """Per-episode stats stored in v3 meta/episodes (stats/<feature>/<stat> columns), as
    (feature, stat) -> (episode indices, one row of values per episode)."""
    parts: dict[tuple[str, str], list] = {}
    for rel in episode_files(ctx):
        try:
            parquet = pq.ParquetFile(ctx.root / rel)
            columns = [c for c in parquet.schema_arrow.names if c.startswith("stats/")]
            if not columns or "episode_index" not in parquet.schema_arrow.names:
                continue
            columns = sorted(set(columns))
            table = first_of_each(parquet.read(columns=["episode_index", *columns]))
        except (OSError, pa.ArrowException):
            continue  # already reported by load_episodes
        episodes = table.column("episode_index").combine_chunks()
        if not pa.types.is_integer(episodes.type) or episodes.null_count:
            continue
        episodes = to_numpy(episodes).astype(np.int64)
        for column in columns:
            _, feature, stat = column.split("/", 2)
            matrix = _stat_matrix(table.column(column).combine_chunks(), len(episodes))
            if matrix is not None:
                parts.setdefault((feature, stat), []).append((episodes, matrix))
    result = {}
    for key, pieces in parts.items():
        if len({m.shape[1] for _, m in pieces}) == 1:
            result[key] = (
                np.concatenate([e for e, _ in pieces]),
                np.concatenate([m for _, m in pieces]),
            )
    return result


def episode_stats_from_rows(
    rows: dict[int, dict],
) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """The same shape as read_episode_stats_v3, from v2.1 episodes_stats.jsonl rows; an entry of
    the wrong length becomes a row of inf (so it differs from anything)."""
    collected: dict[tuple[str, str], list] = {}
    for episode, features in rows.items():
        for feature, values in features.items():
            if not isinstance(values, dict):
                continue
            for stat, value in values.items():
                try:
                    array = np.asarray(value, dtype=np.float64).reshape(-1)
                except (TypeError, ValueError):
                    array = np.array([np.inf])
                collected.setdefault((feature, stat), []).append((episode, array))
    result = {}
    for key, items in collected.items():
        widths = [a.size for _, a in items]
        width = max(set(widths), key=widths.count)
        matrix = np.array([a if a.size == width else np.full(width, np.inf) for _, a in items])
        result[key] = (np.array([e for e, _ in items], dtype=np.int64), matrix)
    return result


def check_against_data(ctx: Context, scan) -> None:
    """Lengths, from/to indices and data-file pointers of each episode against the data."""
    meta = ctx.episodes
    if meta is None or scan is None or not scan.table:
        return
    t, files = scan.table, scan.files
    template = ctx.info.get("data_path") or ""
    ranges = []
    for i, ep in enumerate(meta.index):
        if not ctx.episode_selected(ep) or ep not in scan.row_of:
            continue
        row = scan.row_of[ep]
        rows = int(t["rows"][row])
        where = {"episode": ep, "file": meta.source}
        if meta.length[i] is not None and meta.length[i] != rows:
            ctx.add(
                "episodes.length_mismatch",
                f"Episode {ep} has length {meta.length[i]} in {meta.source} but {rows} rows in "
                f"{files[t['file'][row]]}; lerobot slices episodes by these numbers and loads the "
                "wrong frames (#4143).",
                **where,
            )
        if not ctx.is_v3:
            continue
        start, stop = meta.from_index[i], meta.to_index[i]
        if isinstance(start, int) and isinstance(stop, int):
            ranges.append((start, stop, ep))
            if stop - start != rows:
                ctx.add(
                    "episodes.range_invalid",
                    f"Episode {ep}: dataset_to_index - dataset_from_index = {stop - start} but the episode has {rows} rows.",
                    **where,
                )
            elif "idx_first" in t and int(t["idx_first"][row]) != start:
                ctx.add(
                    "episodes.range_invalid",
                    f"Episode {ep}: dataset_from_index is {start} but its first row has index {t['idx_first'][row]}.",
                    **where,
                )
        expected = resolve(template, chunk_index=meta.data_chunk[i], file_index=meta.data_file[i])
        actual = files[t["file"][row]]
        if expected is None:
            ctx.add(
                "info.path_template",
                f"data_path {template!r} cannot be filled for episode {ep}.",
                file="meta/info.json",
            )
        elif expected != actual:
            ctx.add(
                "episodes.file_pointer",
                f"Episode {ep} points to {expected} (data/chunk_index={meta.data_chunk[i]}, "
                f"data/file_index={meta.data_file[i]}) but its rows are in {actual}; lerobot would "
                "read zero or wrong frames.",
                **where,
            )
    if ranges and ctx.selected_episodes is None:
        ranges.sort()
        if ranges[0][0] != 0:
            ctx.add(
                "episodes.range_invalid",
                f"The first episode starts at dataset_from_index {ranges[0][0]}, not 0.",
                file=meta.source,
                episode=ranges[0][2],
            )
        for (_, stop, ep_a), (start, _, ep_b) in itertools.pairwise(ranges):
            if start != stop:
                ctx.add(
                    "episodes.range_invalid",
                    f"Episodes {ep_a} and {ep_b} {'overlap' if start < stop else 'leave a gap'}: "
                    f"[{stop} vs {start}] in dataset_to_index/dataset_from_index.",
                    file=meta.source,
                    episode=ep_b,
                )


def check_data_files_resolve(ctx: Context, scan) -> None:
    """Every episode's data file exists where the template says (v2), and no orphan data files."""
    meta = ctx.episodes
    if meta is None:
        return
    template = ctx.info.get("data_path")
    if not isinstance(template, str):
        return
    chunks_size = (
        ctx.info.get("chunks_size")
        if isinstance(ctx.info.get("chunks_size"), int) and ctx.info.get("chunks_size") > 0
        else 1000
    )
    expected = set()
    missing = []
    for i, ep in enumerate(meta.index):
        if not ctx.episode_selected(ep):
            continue
        if ctx.is_v3:
            rel = resolve(template, chunk_index=meta.data_chunk[i], file_index=meta.data_file[i])
        else:
            rel = resolve(template, episode_chunk=ep // chunks_size, episode_index=ep)
        if rel is None:
            continue
        expected.add(rel)
        if rel not in ctx.files:
            missing.append((ep, rel))
    data_files = {r for r in ctx.files if r.startswith("data/") and r.endswith(".parquet")}
    orphans = sorted(data_files - expected)
    # Indices that point at no file while files of the very same naming exist that nothing
    # points at: a merge misaligned the indices (not a wrong template).
    misaligned = (
        missing
        and ctx.is_v3
        and orphans
        and ctx.selected_episodes is None
        and all(V3_DATA_FILE.match(r) for r in orphans)
        and all(V3_DATA_FILE.match(rel) for _, rel in missing)
    )
    if missing and not (expected & data_files) and data_files and not misaligned:
        ctx.add(
            "info.path_template",
            f"data_path {template!r} resolves to none of the {len(data_files)} data files (e.g. it gives "
            f"{missing[0][1]}, the folder has {sorted(data_files)[0]}). Fix data_path to match the files.",
            file="meta/info.json",
        )
        return
    if misaligned:
        missing_files = sorted({rel for _, rel in missing})
        ctx.add(
            "lerobot_bug.2264",
            f"{len(missing)} episode(s) point at data file(s) that do not exist "
            f"({', '.join(missing_files[:5])}) while {len(orphans)} data file(s) no episode points "
            f"at exist ({', '.join(orphans[:5])}): the chunk/file indices were misaligned by a "
            "merge (lerobot #2264, fixed in 0.6.1). Re-merge the sources with a current lerobot, "
            "or rewrite data/chunk_index and data/file_index from the files' episode_index.",
            file=missing_files[0],
            episode=min(ep for ep, _ in missing),
        )
        return
    if missing:
        missing_files = sorted({rel for _, rel in missing})
        episodes = sorted(ep for ep, _ in missing)
        ctx.add(
            "file.missing",
            f"{len(missing_files)} of the {len(expected)} data file(s) that {meta.source} points "
            f"to are missing ({', '.join(missing_files[:10])}"
            + (f" and {len(missing_files) - 10} more" if len(missing_files) > 10 else "")
            + f"), holding {len(episodes)} episode(s) (first: {episodes[:10]}). lerobot cannot "
            "load these frames: upload the data/ folder completely (with `hf upload` or "
            "`git lfs push --all`), or remove these episodes from the metadata.",
            file=missing_files[0],
            episode=episodes[0],
        )
    if ctx.selected_episodes is None:
        for rel in orphans:
            ctx.add(
                "file.unexpected",
                f"{rel} is not referenced by any episode (orphan data file).",
                file=rel,
            )


def resolve(template, **fields) -> str | None:
    """Fill a path template; None when it cannot be filled (bad placeholders, not a string).

    Never ``str.format``: see ``validators.path_templates`` (format-width bombs)."""
    return path_templates.fill(template, **fields)
