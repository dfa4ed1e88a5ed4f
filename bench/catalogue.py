"""Catalogue latency with 100,000 indexed datasets, under concurrent requests on loopback.

    python bench/catalogue.py                       # SQLite in var/bench/, 100,000 rows
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/curation_db python bench/catalogue.py
    python bench/catalogue.py --rows 20000 --concurrency 8 --seconds 20

It bulk-creates the index rows (once; a second run reuses them), starts gunicorn on 127.0.0.1,
then for each scenario sends requests from ``--concurrency`` threads for at most ``--seconds``
(or ``--requests``) and prints p50 / p95 / max latency and throughput. Nothing is asserted:
the figures are for people.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ROBOTS = [
    "so101_follower",
    "so100_follower",
    "koch",
    "aloha",
    "lekiwi",
    "unitree_g1",
    "franka",
    "ur5e",
    "xarm6",
    "widowx",
]
CAMERA_SETS = [
    ["front"],
    ["wrist"],
    ["front", "wrist"],
    ["top", "wrist", "front"],
    ["head"],
    ["left", "right", "wrist"],
]
TASKS = [
    "pick the cube",
    "stack the blocks",
    "open the drawer",
    "fold the towel",
    "pour the water",
    "drive to the door",
    "sort the screws",
    "wipe the table",
    "insert the peg",
    "hang the mug",
]
DOMAINS = ["manipulation", "navigation", "humanoid", "bimanual", "mobile manipulation"]
FPS = [10, 15, 30, 30, 30, 50, 60]
VERSIONS = ["v3.0", "v3.0", "v3.0", "v2.1", "v2.0"]


def configure(database_url: str | None, storage_root: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["STORAGE_ROOT"] = str(storage_root)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def seed(rows: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from curation.models import (
        Dataset,
        DatasetIndex,
        IndexCamera,
        IndexTask,
        Lab,
        Submission,
        SubmissionState,
        ValidationOutcome,
    )
    from curation.services.catalogue import refresh_search_vectors

    call_command("migrate", verbosity=0)
    have = DatasetIndex.objects.count()
    if have >= rows:
        print(f"index: {have} rows already there")
        vacuum(connection)
        return
    print(f"index: creating {rows - have} rows ...", flush=True)
    started = time.monotonic()
    rng = random.Random(42)
    user, _ = get_user_model().objects.get_or_create(username="bench")
    labs = [
        Lab.objects.get_or_create(slug=f"bench-lab-{i}", defaults={"name": f"Bench lab {i}"})[0]
        for i in range(20)
    ]
    now = timezone.now()
    batch = 5000
    for start in range(have, rows, batch):
        n = min(batch, rows - start)
        with transaction.atomic():
            datasets = Dataset.objects.bulk_create(
                [
                    Dataset(
                        lab=labs[(start + i) % 20],
                        slug=f"ds-{start + i}",
                        created_by=user,
                        title=f"{rng.choice(TASKS).capitalize()} {start + i}",
                        domain=rng.choice(DOMAINS),
                    )
                    for i in range(n)
                ]
            )
            submissions = Submission.objects.bulk_create(
                [
                    Submission(
                        dataset=d,
                        version=1,
                        submitted_by=user,
                        state=SubmissionState.APPROVED,
                        validation_outcome=ValidationOutcome.PASSED,
                        decided_at=now,
                    )
                    for d in datasets
                ]
            )
            indexes, cams, tasks = [], [], []
            for d, s in zip(datasets, submissions, strict=True):
                cameras = rng.choice(CAMERA_SETS)
                task_list = rng.sample(TASKS, rng.randint(1, 3))
                episodes = rng.randint(5, 2000)
                robot = rng.choice(ROBOTS)
                fps = rng.choice(FPS)
                indexes.append(
                    DatasetIndex(
                        submission=s,
                        dataset=d,
                        version=1,
                        title=d.title,
                        lab_name=d.lab.name,
                        domain=d.domain,
                        robot_type=robot,
                        fps=fps,
                        num_cameras=len(cameras),
                        episodes=episodes,
                        frames=episodes * rng.randint(100, 900),
                        codebase_version=rng.choice(VERSIONS),
                        card_line=f"{episodes} episodes · {fps} fps · {len(cameras)} cameras · {robot}",
                        search_text=" ".join(
                            [d.title, d.lab.name, d.domain, robot, *cameras, *task_list]
                        ),
                        published_at=now,
                    )
                )
                cams.append(cameras)
                tasks.append(task_list)
            indexes = DatasetIndex.objects.bulk_create(indexes)
            IndexCamera.objects.bulk_create(
                [
                    IndexCamera(index=r, name=c)
                    for r, cs in zip(indexes, cams, strict=True)
                    for c in cs
                ]
            )
            IndexTask.objects.bulk_create(
                [
                    IndexTask(index=r, task=t)
                    for r, ts in zip(indexes, tasks, strict=True)
                    for t in ts
                ]
            )
        print(f"  {start + n} rows", flush=True)
    refresh_search_vectors(DatasetIndex.objects.filter(search_vector__isnull=True))
    call_command("migrate", verbosity=0)
    vacuum(connection)
    print(f"index: done in {time.monotonic() - started:.0f}s", flush=True)


def vacuum(connection) -> None:
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load: clear the tsvector update's dead rows.
        with connection.cursor() as cursor:
            for table in ("curation_datasetindex", "curation_indexcamera", "curation_indextask"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "WEB_CONCURRENCY": str(workers), "WEB_THREADS": "4"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-c",
            "platform/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/datasets/", timeout=30).read()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-3000:]) from None
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60s")


def run_scenario(name, urls, concurrency, seconds, max_requests):
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0

    def one(url):
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback http only
            response.read()
            ok = response.status == 200
        return time.perf_counter() - t, ok

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        index = 0
        while time.monotonic() < deadline and len(latencies) + errors < max_requests:
            wave = [urls[(index + i) % len(urls)] for i in range(concurrency)]
            index += concurrency
            for future in [pool.submit(one, u) for u in wave]:
                try:
                    latency, ok = future.result()
                    latencies.append(latency)
                    errors += not ok
                except OSError:
                    errors += 1
    elapsed = time.monotonic() - started
    if not latencies:
        print(f"{name}: no successful request ({errors} errors)")
        return
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000
    print(
        f"{name:<34} n={len(latencies):>5}  p50={p50:7.1f} ms  p95={p95:7.1f} ms  "
        f"max={latencies[-1] * 1000:7.1f} ms  {len(latencies) / elapsed:6.1f} req/s  errors={errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--seconds", type=float, default=30, help="time limit per scenario")
    parser.add_argument("--requests", type=int, default=600, help="request limit per scenario")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="CATALOGUE_CACHE_SECONDS=0: every request counts facets from scratch",
    )
    args = parser.parse_args()
    configure(
        os.environ.get("DATABASE_URL"),
        Path(os.environ.get("BENCH_STORAGE_ROOT", REPO / "var" / "bench")),
    )
    from django.db import connection

    if args.no_cache:
        os.environ["CATALOGUE_CACHE_SECONDS"] = "0"
    seed(args.rows)
    print(
        f"database: {connection.vendor}; rows: {args.rows}; concurrency: {args.concurrency}; "
        f"gunicorn workers: {args.workers}; cpus: {os.cpu_count()}; "
        f"facet cache: {'off' if args.no_cache else 'on (per process)'}; "
        f"load average: {os.getloadavg()[0]:.1f}"
    )
    connection.close()
    port = free_port()
    server = start_server(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        rng = random.Random(7)
        scenarios = {
            "catalogue page (pages 1-50)": [
                f"{base}/datasets/?page={rng.randint(1, 50)}" for _ in range(200)
            ],
            "faceted search (robot+camera+fps)": [
                f"{base}/datasets/?robot_type={rng.choice(ROBOTS)}&camera={rng.choice(['wrist', 'front'])}"
                f"&fps={rng.choice([10, 30, 60])}"
                for _ in range(200)
            ],
            "full text + facet + range": [
                f"{base}/datasets/?q={rng.choice(TASKS).split()[-1]}"
                f"&domain={rng.choice(DOMAINS).replace(' ', '+')}&episodes_min={rng.randint(10, 500)}"
                for _ in range(200)
            ],
            "API faceted search (JSON)": [
                f"{base}/api/curation/catalogue/?robot_type={rng.choice(ROBOTS)}&cameras={rng.randint(1, 3)}"
                for _ in range(200)
            ],
        }
        for name, urls in scenarios.items():
            run_scenario(name, urls, args.concurrency, args.seconds, args.requests)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
