"""Benchmark of the LeRobot dataset validator; prints its figures.

    python bench/validate.py                    # 10M-frame dataset + medium + small fixtures
    python bench/validate.py --frames 2000000   # a smaller "large" dataset
    python bench/validate.py --keep DIR         # keep the generated datasets in DIR

What it measures, side by side on the same datasets, each tool in its own process:
  * ours      `python -m validators PATH --json` (all checks; video decoding where there is video)
  * doctor    `lerobot-doctor check PATH --json` (the community validator), under a time and memory cap
  * pyarrow   a bare `pq.read_table` of every data file: the floor for any check that reads the data
Wall time and peak memory (RSS summed over the process and its children, sampled every 20 ms).

The large dataset is written directly with pyarrow in the v3 layout (tiny state/action, no video,
~1000-frame episodes, 1M-row files) so that generating it takes seconds; it is deleted afterwards
unless --keep is given. It also prints the lerobot-doctor comparison on the damaged fixtures of
tests/validators/damages.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FPS = 30
EPISODE_FRAMES = 1000
FILE_ROWS = 1_000_000
STATE_DIM = 2
QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}

READ_ALL = """
import sys, pyarrow.parquet as pq, pathlib
rows = 0
for path in sorted(pathlib.Path(sys.argv[1], "data").rglob("*.parquet")):
    rows += pq.read_table(path).num_rows
print(rows)
"""


# -- generation -------------------------------------------------------------------------------


def _stats(values: np.ndarray) -> dict:
    values = values.reshape(len(values), -1).astype(np.float64)
    out = {
        "min": values.min(axis=0).tolist(),
        "max": values.max(axis=0).tolist(),
        "mean": values.mean(axis=0).tolist(),
        "std": values.std(axis=0).tolist(),
        "count": [len(values)],
    }
    sample = values[:: max(1, len(values) // 100_000)]
    for name, q in QUANTILES.items():
        out[name] = np.quantile(sample, q, axis=0).tolist()
    return out


def make_large_v3(root: Path, frames: int) -> Path:
    """A v3.0 dataset of ``frames`` frames written straight with pyarrow."""
    episodes = frames // EPISODE_FRAMES
    frames = episodes * EPISODE_FRAMES
    (root / "meta/episodes/chunk-000").mkdir(parents=True)
    (root / "data/chunk-000").mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"joint_{i}" for i in range(STATE_DIM)]
    per_file = FILE_ROWS // EPISODE_FRAMES
    # Streaming moments for the global stats (the data never sits in memory at once).
    acc = {
        k: {"n": 0, "sum": 0.0, "sq": 0.0, "min": None, "max": None, "sample": []}
        for k in (
            "observation.state",
            "action",
            "timestamp",
            "frame_index",
            "episode_index",
            "index",
            "task_index",
        )
    }
    episode_rows = {
        k: []
        for k in (
            "episode_index",
            "length",
            "dataset_from_index",
            "dataset_to_index",
            "data/chunk_index",
            "data/file_index",
        )
    }
    episode_stats: dict[str, list] = {}
    for file_index, first_episode in enumerate(range(0, episodes, per_file)):
        n_eps = min(per_file, episodes - first_episode)
        n = n_eps * EPISODE_FRAMES
        start = first_episode * EPISODE_FRAMES
        steps = rng.standard_normal((n_eps, EPISODE_FRAMES, STATE_DIM), dtype=np.float32) * 0.01
        state = np.cumsum(steps, axis=1).reshape(n, STATE_DIM).astype(np.float32)
        action = (state + rng.standard_normal((n, STATE_DIM), dtype=np.float32) * 0.001).astype(
            np.float32
        )
        frame_index = np.tile(np.arange(EPISODE_FRAMES, dtype=np.int64), n_eps)
        columns = {
            "observation.state": state,
            "action": action,
            "timestamp": (frame_index / FPS).astype(np.float32),
            "frame_index": frame_index,
            "episode_index": np.repeat(
                np.arange(first_episode, first_episode + n_eps, dtype=np.int64), EPISODE_FRAMES
            ),
            "index": np.arange(start, start + n, dtype=np.int64),
            "task_index": np.zeros(n, dtype=np.int64),
        }
        arrays = {
            k: (
                pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), STATE_DIM)
                if v.ndim == 2
                else pa.array(v)
            )
            for k, v in columns.items()
        }
        pq.write_table(
            pa.table(arrays),
            root / f"data/chunk-000/file-{file_index:03d}.parquet",
            row_group_size=128 * 1024,
        )
        for key, values in columns.items():
            flat = values.reshape(n, -1).astype(np.float64)
            a = acc[key]
            a["n"] += n
            a["sum"] = a["sum"] + flat.sum(axis=0)
            a["sq"] = a["sq"] + (flat * flat).sum(axis=0)
            a["min"] = (
                flat.min(axis=0) if a["min"] is None else np.minimum(a["min"], flat.min(axis=0))
            )
            a["max"] = (
                flat.max(axis=0) if a["max"] is None else np.maximum(a["max"], flat.max(axis=0))
            )
            a["sample"].append(flat[::1000])
            per_episode = flat.reshape(n_eps, EPISODE_FRAMES, -1)
            stats = {
                "min": per_episode.min(axis=1),
                "max": per_episode.max(axis=1),
                "mean": per_episode.mean(axis=1),
                "std": per_episode.std(axis=1),
            }
            for stat, value in stats.items():
                episode_stats.setdefault(f"stats/{key}/{stat}", []).extend(value.tolist())
            episode_stats.setdefault(f"stats/{key}/count", []).extend([[EPISODE_FRAMES]] * n_eps)
        for i in range(n_eps):
            ep = first_episode + i
            episode_rows["episode_index"].append(ep)
            episode_rows["length"].append(EPISODE_FRAMES)
            episode_rows["dataset_from_index"].append(ep * EPISODE_FRAMES)
            episode_rows["dataset_to_index"].append((ep + 1) * EPISODE_FRAMES)
            episode_rows["data/chunk_index"].append(0)
            episode_rows["data/file_index"].append(file_index)
    table = {k: pa.array(v) for k, v in episode_rows.items()}
    table["tasks"] = pa.array([["move the arm"]] * episodes)
    table.update({k: pa.array(v) for k, v in episode_stats.items()})
    pq.write_table(pa.table(table), root / "meta/episodes/chunk-000/file-000.parquet")
    pq.write_table(
        pa.table(
            {
                "task_index": pa.array([0]),
                "__index_level_0__": pa.array(["move the arm"], type=pa.large_string()),
            }
        ),
        root / "meta/tasks.parquet",
    )
    global_stats = {}
    for key, a in acc.items():
        mean = a["sum"] / a["n"]
        sample = np.concatenate(a["sample"])
        global_stats[key] = {
            "min": a["min"].tolist(),
            "max": a["max"].tolist(),
            "mean": mean.tolist(),
            "std": np.sqrt(np.maximum(a["sq"] / a["n"] - mean**2, 0)).tolist(),
            "count": [a["n"]],
            **{name: np.quantile(sample, q, axis=0).tolist() for name, q in QUANTILES.items()},
        }
    (root / "meta/stats.json").write_text(json.dumps(global_stats))
    features = {
        "observation.state": {"dtype": "float32", "shape": [STATE_DIM], "names": names},
        "action": {"dtype": "float32", "shape": [STATE_DIM], "names": names},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
        "index": {"dtype": "int64", "shape": [1], "names": None},
        "task_index": {"dtype": "int64", "shape": [1], "names": None},
    }
    info = {
        "codebase_version": "v3.0",
        "robot_type": "so101_follower",
        "total_episodes": episodes,
        "total_frames": frames,
        "total_tasks": 1,
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "fps": FPS,
        "splits": {"train": f"0:{episodes}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": None,
        "features": features,
    }
    (root / "meta/info.json").write_text(json.dumps(info, indent=2))
    return root


# -- measuring --------------------------------------------------------------------------------


def measure(command: list[str], *, timeout: float, memory_cap_gb: float | None = None) -> dict:
    """Run a command; wall time, peak RSS of its process tree, exit code, stdout."""
    preexec = None
    if memory_cap_gb:
        import resource

        limit = int(memory_cap_gb * 1024**3)

        def preexec():
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, preexec_fn=preexec, cwd=REPO
    )
    root = psutil.Process(process.pid)
    peak = 0
    timed_out = False
    chunks: list[bytes] = []
    import threading

    reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()), daemon=True)
    reader.start()
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = 0
            for p in tree:
                with contextlib.suppress(psutil.Error):
                    rss += p.memory_info().rss
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if time.perf_counter() - started > timeout:
            timed_out = True
            for p in [*root.children(recursive=True), root]:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            break
        time.sleep(0.02)
    process.wait()
    reader.join(timeout=5)
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": peak / 1024**2,
        "returncode": process.returncode,
        "timed_out": timed_out,
        "stdout": b"".join(chunks).decode(errors="replace"),
    }


def describe(result: dict) -> str:
    if result["timed_out"]:
        return f"> {result['seconds']:.0f} s (stopped)"
    return f"{result['seconds']:7.2f} s {result['peak_mb']:7.0f} MB"


def run_tools(
    name: str, path: Path, *, doctor_timeout: float, doctor_memory_gb: float, workers: int | None
) -> dict:
    ours_cmd = [sys.executable, "-m", "validators", str(path), "--json"]
    if workers:
        ours_cmd += ["--workers", str(workers)]
    ours = measure(ours_cmd, timeout=1800)
    findings = json.loads(ours["stdout"])["findings"] if ours["stdout"].strip() else []
    ours["errors"] = sum(1 for f in findings if f["severity"] == "error")
    doctor = measure(
        ["lerobot-doctor", "check", str(path), "--json"],
        timeout=doctor_timeout,
        memory_cap_gb=doctor_memory_gb,
    )
    if doctor["returncode"] not in (0, 1) and not doctor["timed_out"]:
        doctor["failed"] = True
    bare = measure([sys.executable, "-c", READ_ALL, str(path)], timeout=1800)
    return {"name": name, "ours": ours, "doctor": doctor, "pyarrow": bare}


def print_table(rows: list[dict]) -> None:
    print()
    print(
        f"{'dataset':<34} {'ours (time, peak RSS)':>24} {'lerobot-doctor':>24} {'bare pyarrow read':>24} {'ours/pyarrow':>12}"
    )
    print("-" * 122)
    for row in rows:
        doctor = describe(row["doctor"]) + (" (crashed/OOM)" if row["doctor"].get("failed") else "")
        ratio = row["ours"]["seconds"] / max(row["pyarrow"]["seconds"], 1e-9)
        print(
            f"{row['name']:<34} {describe(row['ours']):>24} {doctor:>24} {describe(row['pyarrow']):>24} {ratio:>11.2f}x"
        )


def in_process_scan_ratio(path: Path, workers: int | None) -> None:
    """ours (every check, no video here) against a bare read, in this process: no interpreter
    start-up on either side; best of two runs each, as the machine may be shared."""
    from validators import validate

    def best(function) -> float:
        times = []
        for _ in range(2):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        return min(times)

    files = sorted((path / "data").rglob("*.parquet"))
    bare = best(lambda: [pq.read_table(f) for f in files])
    print(
        f"\nIn-process on {path.name} (best of 2): bare pyarrow read of all data files {bare:.2f} s"
    )
    for label, count in (("1 process", 1), (f"{workers or os.cpu_count()} processes", workers)):
        reports: list = []
        seconds = best(
            lambda count=count, reports=reports: reports.append(
                validate(path, workers=count, decode_video=False)
            )
        )
        report = reports[-1]
        print(
            f"  validate(), {label}: {seconds:.2f} s = {seconds / bare:.2f}x the bare read; valid={report.valid}, "
            f"{report.summary['frames']:,} frames, {report.summary['episodes']:,} episodes, {len(report.findings)} finding(s)"
        )


def doctor_parity() -> None:
    """Our findings against lerobot-doctor's on the damaged fixtures of the test-suite."""
    from tests.validators.damages import DAMAGES, covered, doctor_findings, new_doctor_findings
    from validators import validate
    from validators.synthetic import make_v21_dataset, make_v30_dataset

    skipped = {"Per-Episode Summary", "Training Readiness"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bases = {
            "v30": make_v30_dataset(tmp / "v30", episodes=3),
            "v21": make_v21_dataset(tmp / "v21", tasks=("pick the cube", "place the cube")),
        }
        before = {k: (validate(p, workers=1).codes(), doctor_findings(p)) for k, p in bases.items()}
        print(
            f"\n{'damaged fixture':<26} {'lerobot-doctor reports (new WARN/FAIL)':<58} {'we report (new codes)':<60} ok"
        )
        print("-" * 150)
        all_ok = True
        for name in sorted(DAMAGES):
            base, recipe = DAMAGES[name]
            root = tmp / name
            shutil.copytree(bases[base], root, symlinks=True)
            recipe(root)
            ours = validate(root, workers=1).codes() - before[base][0]
            doctor = new_doctor_findings(doctor_findings(root), before[base][1])
            relevant = {c: m for c, m in doctor.items() if c not in skipped}
            ok = bool(ours) and all(covered(c, ours) for c in relevant)
            all_ok &= ok
            doctor_text = ", ".join(f"{c}:{len(m)}" for c, m in sorted(relevant.items())) or "-"
            print(
                f"{name:<26} {doctor_text[:58]:<58} {', '.join(sorted(ours))[:60]:<60} {'yes' if ok else 'NO'}"
            )
        print(
            f"\nWe find what lerobot-doctor finds on all {len(DAMAGES)} damaged fixtures: {all_ok}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--frames", type=int, default=10_000_000, help="frames of the large dataset"
    )
    parser.add_argument("--medium-frames", type=int, default=200_000)
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the datasets here and keep them"
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--doctor-timeout",
        type=float,
        default=300,
        help="stop lerobot-doctor after this many seconds",
    )
    parser.add_argument(
        "--doctor-memory-gb", type=float, default=8, help="address-space cap for lerobot-doctor"
    )
    parser.add_argument(
        "--no-parity", action="store_true", help="skip the damaged-fixture comparison"
    )
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-validate-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 1024**3:.0f} GB RAM, "
        f"load average {os.getloadavg()[0]:.1f} (shared with other jobs); data in {work}"
    )
    try:
        from validators.synthetic import make_v21_dataset, make_v30_dataset

        datasets = []
        small = work / "small-v30-video"
        if not small.exists():
            make_v30_dataset(small, episodes=5, frames=60)
        datasets.append(("v3.0 video, 5 ep x 60 fr", small))
        small21 = work / "small-v21-video"
        if not small21.exists():
            make_v21_dataset(small21, episodes=5, frames=60)
        datasets.append(("v2.1 video, 5 ep x 60 fr", small21))
        for label, frames in (("medium", args.medium_frames), ("large", args.frames)):
            path = work / f"{label}-v3-{frames}"
            if not path.exists():
                started = time.perf_counter()
                make_large_v3(path, frames)
                size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                print(
                    f"generated {path.name}: {frames:,} frames, {size / 1024**2:.0f} MB on disk in {time.perf_counter() - started:.1f} s"
                )
            datasets.append((f"v3.0 no video, {frames:,} frames", path))

        rows = []
        for label, path in datasets:
            print(f"running the three tools on {label} ...", flush=True)
            rows.append(
                run_tools(
                    label,
                    path,
                    doctor_timeout=args.doctor_timeout,
                    doctor_memory_gb=args.doctor_memory_gb,
                    workers=args.workers,
                )
            )
        print_table(rows)
        for row in rows:
            if row["ours"]["errors"]:
                print(f"note: ours reported {row['ours']['errors']} error(s) on {row['name']}")
        in_process_scan_ratio(datasets[-1][1], args.workers)
        if not args.no_parity:
            doctor_parity()
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
