"""Data parquet files: find them, scan them in a process pool, and check what the scan found
(schema, episode/frame/global indices, task indices, NaN and Inf)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np

from .context import Context
from .episodes import resolve
from .scan import FileJob, FileResult, file_episode_of, numeric_features, scan_file

logger = logging.getLogger(__name__)
SMALL_DATA_BYTES = 32 * 1024 * 1024


@dataclass
class DataScan:
    """All data files reduced to one row per episode (numpy columns) plus file-level facts."""

    files: list[str]
    results: list[FileResult]
    table: dict[str, np.ndarray] = field(default_factory=dict)  # "file" column: index into files
    episode_tasks: dict[int, set[int]] = field(default_factory=dict)
    row_of: dict[int, int] = field(default_factory=dict)  # episode -> row in table

    @property
    def total_rows(self) -> int:
        return sum(r.num_rows for r in self.results)

    def has(self, key: str) -> bool:
        return key in self.table

    def value(self, episode: int, key: str):
        row = self.row_of.get(episode)
        if row is None or key not in self.table:
            return None
        return self.table[key][row]


def data_files_to_scan(ctx: Context) -> list[str]:
    all_files = sorted(r for r in ctx.files if r.startswith("data/") and r.endswith(".parquet"))
    if ctx.selected_episodes is None or ctx.episodes is None:
        return all_files
    meta, template = ctx.episodes, ctx.info.get("data_path") or ""
    wanted = set()
    for i, ep in enumerate(meta.index):
        if ep not in ctx.selected_episodes:
            continue
        if ctx.is_v3:
            rel = resolve(template, chunk_index=meta.data_chunk[i], file_index=meta.data_file[i])
        else:
            rel = resolve(
                template,
                episode_chunk=ep // max(1, ctx.info.get("chunks_size") or 1000),
                episode_index=ep,
            )
        if rel:
            wanted.add(rel)
    return [r for r in all_files if r in wanted]


def run_scan(ctx: Context, progress) -> DataScan:
    files = [r for r in data_files_to_scan(ctx) if ctx.files.get(r, 0) > 0]
    jobs = [
        FileJob(
            path=str(ctx.root / rel),
            rel=rel,
            features=ctx.features,
            fps=ctx.fps,
            n_tasks=len(ctx.tasks) if ctx.tasks is not None else None,
            file_episode=None if ctx.is_v3 else file_episode_of(rel),
        )
        for rel in files
    ]
    results: list[FileResult | None] = [None] * len(jobs)
    progress("data files", 0, len(jobs))
    workers = min(ctx.workers, len(jobs))
    if sum(ctx.files.get(job.rel, 0) for job in jobs) < SMALL_DATA_BYTES:
        workers = 1  # starting worker processes costs more than reading a few MB
    if workers > 1:
        try:
            _scan_in_pool(jobs, results, workers, progress)
        except (AssertionError, OSError, BrokenProcessPool) as error:
            # A daemonic parent (some task runners) may not start children, or a worker died:
            # finish what is left in this process rather than fail the validation.
            logger.warning("data scan falls back to one process: %s", error)
    done = sum(r is not None for r in results)
    for i, job in enumerate(jobs):
        if results[i] is None:
            results[i] = scan_file(job)
            done += 1
            progress("data files", done, len(jobs))
    scan = DataScan(files=files, results=results)
    _combine(ctx, scan)
    return scan


def _scan_in_pool(jobs: list[FileJob], results: list, workers: int, progress) -> None:
    # forkserver: clean children that do not inherit the caller's threads (Celery, pyarrow).
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["validators.scan"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(scan_file, job): i for i, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            progress("data files", done, len(jobs))


def _combine(ctx: Context, scan: DataScan) -> None:
    tables = []
    for file_id, result in enumerate(scan.results):
        for episode, tasks in result.episode_tasks.items():
            scan.episode_tasks.setdefault(episode, set()).update(tasks)
        if result.table is not None:
            table = dict(result.table)
            table["file"] = np.full(len(table["ep"]), file_id, dtype=np.int64)
            tables.append(table)
    if not tables:
        return
    keys = set.intersection(*(set(t) for t in tables))
    combined = {k: np.concatenate([t[k] for t in tables]) for k in keys}
    # An episode found in several files: keep its first occurrence, report the others.
    seen: dict[int, int] = {}
    keep = np.ones(len(combined["ep"]), dtype=bool)
    for row, (ep, file_id) in enumerate(
        zip(combined["ep"].tolist(), combined["file"].tolist(), strict=True)
    ):
        if ep in seen:
            keep[row] = False
            ctx.add(
                "episode_index.mismatch",
                f"Rows of episode {ep} are in {scan.files[seen[ep]]} and {scan.files[file_id]}; an "
                "episode must live in one data file.",
                episode=int(ep),
                file=scan.files[file_id],
            )
        else:
            seen[ep] = file_id
    if not keep.all():
        combined = {k: v[keep] for k, v in combined.items()}
    scan.table = combined
    scan.row_of = {int(ep): i for i, ep in enumerate(combined["ep"].tolist())}


def report_file_findings(ctx: Context, scan: DataScan) -> None:
    """File-level findings, grouped so that the same problem in 500 files is one finding."""
    grouped: dict[tuple, list[tuple[str, str, dict]]] = defaultdict(list)
    for result in scan.results:
        # A file can have several problems of one code for one feature (its dtype and its
        # shape): each is its own group, or the second would be hidden behind the first.
        seen: dict[tuple, int] = defaultdict(int)
        for code, message, where in result.findings:
            key = (code, where.get("feature"))
            grouped[(*key, seen[key])].append((result.rel, message, where))
            seen[key] += 1
        if result.interleaved:
            ctx.add(
                "episode_index.mismatch",
                f"{result.rel}: rows of different episodes are interleaved; lerobot expects each "
                "episode's frames to be contiguous and in order. Sort by episode_index, frame_index.",
                file=result.rel,
            )
    for (code, feature, _), items in grouped.items():
        rel, message, _ = items[0]
        if len(items) > 1:
            message += f" The same holds for {len(items) - 1} other data file(s)."
        ctx.add(code, message, file=rel, feature=feature)


def check_indices(ctx: Context, scan: DataScan) -> None:
    t = scan.table
    if not t:
        return
    files = scan.files
    eps = t["ep"]
    starts = t["start"]
    # v2: the file name says which episode the file holds.
    if not ctx.is_v3:
        for ep, file_id in zip(eps.tolist(), t["file"].tolist(), strict=True):
            named = file_episode_of(files[file_id])
            if named is not None and named != ep:
                ctx.add(
                    "episode_index.mismatch",
                    f"{files[file_id]} holds episode_index {ep}, but its name says episode {named}.",
                    file=files[file_id],
                    episode=ep,
                )
    if "split" in t:
        for row in np.flatnonzero(t["split"]).tolist():
            ctx.add(
                "episode_index.mismatch",
                f"The rows of episode {eps[row]} are not contiguous in {files[t['file'][row]]}.",
                episode=int(eps[row]),
                file=files[t["file"][row]],
            )
    if ctx.episodes is not None:
        known = set(ctx.episodes.index)
        unknown = [int(e) for e in eps.tolist() if e not in known]
        if unknown:
            ctx.add(
                "episode_index.mismatch",
                f"The data holds episode(s) {unknown[:10]} that the episode metadata does not list"
                + (f" ({len(unknown)} in all)" if len(unknown) > 10 else "")
                + ".",
                file=files[t["file"][scan.row_of[unknown[0]]]],
                episode=unknown[0],
            )
        if ctx.selected_episodes is None:
            absent = sorted(known - set(eps.tolist()))
            if absent:
                ctx.add(
                    "episode_index.mismatch",
                    f"Episode(s) {absent[:10]} are in the episode metadata but have no rows in the data"
                    + (f" ({len(absent)} in all)" if len(absent) > 10 else "")
                    + ".",
                    episode=absent[0],
                )
    if "fi_bad" in t:
        for row in np.flatnonzero(t["fi_bad"] > 0).tolist():
            frame = int(t["fi_bad_at"][row] - starts[row])
            ctx.add(
                "frame_index.invalid",
                f"frame_index of episode {eps[row]} is not 0..{t['rows'][row] - 1} in order "
                f"({t['fi_bad'][row]} wrong value(s), the first at frame {frame}).",
                episode=int(eps[row]),
                frame=frame,
                file=files[t["file"][row]],
            )
    if "idx_first" in t:
        _check_global_index(ctx, scan)
    if "task_max" in t and ctx.tasks is not None:
        n_tasks = len(ctx.tasks)
        bad = np.flatnonzero((t["task_min"] < 0) | (t["task_max"] >= n_tasks)).tolist()
        for row in bad:
            ctx.add(
                "task_index.out_of_range",
                f"Episode {eps[row]} uses task_index {t['task_min'][row]}..{t['task_max'][row]} but "
                f"there are {n_tasks} task(s) (0..{n_tasks - 1}); lerobot raises IndexError on these frames.",
                episode=int(eps[row]),
                file=files[t["file"][row]],
                feature="task_index",
            )
    for name in numeric_features(ctx.features):
        key = f"{name}|nonfinite"
        if key not in t:
            continue
        rows = np.flatnonzero(t[key] > 0)
        if len(rows):
            first = rows[0]
            ctx.add(
                "data.non_finite",
                f"{name} holds {int(t[key].sum())} NaN/Inf value(s) in {len(rows)} episode(s) "
                f"(first: episode {eps[first]}); training on them gives NaN losses. Fix or drop these frames.",
                feature=name,
                episode=int(eps[first]),
                file=files[t["file"][first]],
            )


def _check_global_index(ctx: Context, scan: DataScan) -> None:
    t = scan.table
    eps, files = t["ep"], scan.files
    first, last, rows = t["idx_first"], t["idx_last"], t["rows"]
    problems = []
    inner = np.flatnonzero(t["idx_bad"] > 0).tolist()
    for row in inner[:5]:
        problems.append(f"inside episode {eps[row]} ({t['idx_bad'][row]} step(s) other than +1)")
    order = np.argsort(first, kind="stable")
    if ctx.selected_episodes is None:
        if len(order) and first[order[0]] != 0:
            problems.append(f"it starts at {first[order[0]]}, not 0")
        joins = np.flatnonzero(first[order][1:] != last[order][:-1] + 1)
        for k in joins[:5].tolist():
            a, b = order[k], order[k + 1]
            problems.append(
                f"episode {eps[a]} ends at {last[a]} but episode {eps[b]} starts at {first[b]}"
            )
        total = int(rows.sum())
        if len(order) and not inner and not len(joins) and last[order[-1]] != total - 1:
            problems.append(f"it ends at {last[order[-1]]} instead of {total - 1}")
    if problems:
        ctx.add(
            "index.not_contiguous",
            "The global index column is not 0..total_frames-1 without gaps or duplicates: "
            + "; ".join(problems)
            + ". Rewrite it as the running frame number (lerobot-doctor's `fix` or a re-export does this).",
            feature="index",
            file=files[t["file"][order[0]]] if len(order) else None,
        )


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
