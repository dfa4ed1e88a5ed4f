"""Episode visualizer latency on a dataset of 1,000 episodes and 1,000,000 frames.

    python bench/visualizer.py                     # 1,000 episodes x 1,000 frames, SQLite
    python bench/visualizer.py --episodes 200 --frames 500 --requests 50

It writes a v3.0 dataset the way lerobot lays it out (data files of 100 episodes, one row group
per episode, 6-D state and action), stores it as a published version, builds the visualizer data
once (the indexing step, timed), then measures in the same process, interleaved:

* the dataset page's HTML (Django test client: view, selectors, template, json_script);
* one episode's chart data (the visualizer's episode endpoint);
* the peer: a bare pyarrow read of that episode's rows from its parquet file (filter pushdown on
  episode_index, the two numeric columns), which is what the page did per request before.

Prints p50 / p95 / max in milliseconds. Nothing is asserted: the figures are for people. No video
(decoding first/last frames is indexing time, not request time).
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = REPO / "var" / "bench-visualizer"


def write_dataset(root: Path, episodes: int, frames: int, per_file: int = 100) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ["shoulder_pan", "shoulder_lift", "elbow", "wrist_flex", "wrist_roll", "gripper"]
    fps = 30
    (root / "meta" / "episodes" / "chunk-000").mkdir(parents=True)
    (root / "data" / "chunk-000").mkdir(parents=True)
    features = {
        "observation.state": {"dtype": "float32", "shape": [6], "names": names},
        "action": {"dtype": "float32", "shape": [6], "names": names},
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
        "total_frames": episodes * frames,
        "total_tasks": 2,
        "chunks_size": 1000,
        "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 200,
        "fps": fps,
        "splits": {"train": f"0:{episodes}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
        "video_path": None,
        "features": features,
    }
    (root / "meta" / "info.json").write_text(json.dumps(info))
    tasks = ["pick the cube", "place the cube"]
    pq.write_table(
        pa.table({"task_index": [0, 1], "__index_level_0__": tasks}),
        root / "meta" / "tasks.parquet",
    )
    rng = np.random.default_rng(0)
    t = np.linspace(0, 2 * np.pi, frames)
    episode_rows = []
    writer = None
    all_action = []
    for ep in range(episodes):
        file_index = ep // per_file
        if ep % per_file == 0:
            if writer is not None:
                writer.close()
            writer = None
        action = np.stack(
            [np.sin((d + 1) * t + ep) + 0.01 * rng.standard_normal(frames) for d in range(6)], 1
        ).astype(np.float32)
        state = action + np.float32(0.01)
        start = ep * frames
        table = pa.table(
            {
                "observation.state": pa.FixedSizeListArray.from_arrays(state.ravel(), 6),
                "action": pa.FixedSizeListArray.from_arrays(action.ravel(), 6),
                "timestamp": pa.array((np.arange(frames) / fps).astype(np.float32)),
                "frame_index": pa.array(np.arange(frames, dtype=np.int64)),
                "episode_index": pa.array(np.full(frames, ep, dtype=np.int64)),
                "index": pa.array(np.arange(start, start + frames, dtype=np.int64)),
                "task_index": pa.array(np.full(frames, ep % 2, dtype=np.int64)),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(
                root / "data" / "chunk-000" / f"file-{file_index:03d}.parquet", table.schema
            )
        writer.write_table(table)  # one row group per episode, as lerobot writes them
        if ep % 50 == 0:
            all_action.append(action)
        episode_rows.append(
            {
                "episode_index": ep,
                "tasks": [tasks[ep % 2]],
                "length": frames,
                "data/chunk_index": 0,
                "data/file_index": file_index,
                "dataset_from_index": start,
                "dataset_to_index": start + frames,
            }
        )
    writer.close()
    pq.write_table(
        pa.Table.from_pylist(episode_rows),
        root / "meta" / "episodes" / "chunk-000" / "file-000.parquet",
    )
    sample = np.concatenate(all_action)
    stats = {
        key: {
            "min": sample.min(0).tolist(),
            "max": sample.max(0).tolist(),
            "mean": sample.mean(0).tolist(),
            "std": sample.std(0).tolist(),
            "count": [episodes * frames],
        }
        for key in ("action", "observation.state")
    }
    (root / "meta" / "stats.json").write_text(json.dumps(stats))


def configure(storage_root: Path, database: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["STORAGE_ROOT"] = str(storage_root)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("CACHE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def publish(folder: Path):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from curation import roles
    from curation.models import Submission
    from curation.services import lab_get_or_create, uploads, workflow

    User = get_user_model()
    lab = lab_get_or_create(name="Bench Lab", slug="bench-lab")
    member = User.objects.create_user("bench-member", password=None)
    lab.members.add(member)
    curator = User.objects.create_user("bench-curator", password=None)
    from django.contrib.auth.models import Group

    member.groups.add(Group.objects.get_or_create(name=roles.LAB_MEMBER)[0])
    curator.groups.add(Group.objects.get_or_create(name=roles.CURATOR)[0])
    submission = workflow.submission_create(user=member, lab=lab, title="Bench arm")
    uploads.ingest_folder(submission, folder)
    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=member)
    report = {
        "valid": True,
        "codebase_version": "v3.0",
        "summary": {"episodes": 0, "frames": 0, "codebase_version": "v3.0", "cameras": []},
        "findings": [],
    }
    workflow.submission_validation_finished(submission_id=submission.pk, report=report)
    workflow.submission_approve(submission_id=submission.pk, user=curator)
    return Submission.objects.get(pk=submission.pk)


def line(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return f"{name:<44} p50 {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms   max {samples[-1]:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    dataset = WORK / "dataset"
    start = time.perf_counter()
    write_dataset(dataset, args.episodes, args.frames)
    print(
        f"dataset: {args.episodes} episodes x {args.frames} frames = {args.episodes * args.frames:,} "
        f"frames, {sum(p.stat().st_size for p in dataset.rglob('*') if p.is_file()) / 1e6:.1f} MB, "
        f"written in {time.perf_counter() - start:.1f} s"
    )
    configure(WORK / "storage", WORK / "db.sqlite3")
    submission = publish(dataset)

    from django.test import Client
    from django.urls import reverse

    from curation.visualizer import store

    start = time.perf_counter()
    index = store.submission_index(submission.pk)
    print(
        f"indexing (build once: series, flags, stats): {time.perf_counter() - start:.1f} s, "
        f"{sum(1 for e in index['episodes'] if len(e['flags']) > 1)} episode(s) with flags besides 'short'"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    page_url = reverse("curation:dataset", args=["bench-lab", submission.dataset.slug])
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    print(f"page HTML: {len(page.content) / 1e3:.0f} kB")

    import pyarrow.parquet as pq

    rng = random.Random(0)
    episodes = [rng.randrange(args.episodes) for _ in range(args.requests)]
    page_ms, data_ms, bare_ms = [], [], []
    size = 0
    for ep in episodes:
        data_url = reverse("curation:visualizer_episode", args=[submission.pk, ep])
        path = dataset / "data" / "chunk-000" / f"file-{ep // 100:03d}.parquet"
        start = time.perf_counter()
        client.get(page_url, {"episode": ep})
        page_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        size = len(client.get(data_url).content)
        data_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        pq.read_table(
            path,
            columns=["observation.state", "action", "timestamp"],
            filters=[("episode_index", "=", ep)],
        )
        bare_ms.append((time.perf_counter() - start) * 1000)
    print(line("dataset page HTML (GET, in-process client)", page_ms))
    print(line(f"episode chart data (GET, {size / 1e3:.0f} kB JSON)", data_ms))
    print(line("peer: bare parquet read of the episode's rows", bare_ms))


if __name__ == "__main__":
    main()
