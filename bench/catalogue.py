"""Catalogue latency with 100,000 indexed datasets, under concurrent requests on loopback,
side by side with the same SQL sent straight to PostgreSQL through psycopg.

    python bench/catalogue.py                       # PostgreSQL on 127.0.0.1, db curation_bench
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/catalogue.py
    BENCH_DATABASE_URL=sqlite:///var/bench/db.sqlite3 python bench/catalogue.py  # no peer then
    python bench/catalogue.py --rows 20000 --concurrency 8 --seconds 20

It creates the database if needed and bulk-creates the index rows (once; a second run reuses
them), starts gunicorn on 127.0.0.1, then for each scenario sends requests from ``--concurrency``
threads for at most ``--seconds`` (or ``--requests``) and prints p50 / p95 / p99 / max latency.

The peer: for every URL of a scenario the script records, in-process and with the count cache
off, the SQL statements the view runs for it (the page of results, the count and the facets) and
replays them through psycopg from the same number of threads, one "request" being all of a URL's
statements in a row. Our figure minus the peer's is what Django, the template or serializer, the
cache and HTTP add, with the catalogue's cache (``CATALOGUE_CACHE_SECONDS``, shared through
``CACHE_URL`` when set) saving some of the database's share. It ends with ``EXPLAIN (ANALYZE,
BUFFERS)`` of each scenario's slowest statement and one line ``p95_ms page=N facet=N fulltext=N
api=N``. Nothing is asserted: the figures are for people.
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


DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/curation_bench"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it is not there yet."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def configure(database_url: str | None, storage_root: Path) -> None:
    """Django for the bench; ``database_url`` None is SQLite under ``storage_root``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["STORAGE_ROOT"] = str(storage_root)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        ensure_database(database_url)
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
    from curation.search import index_text

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
                        # As curation.services.catalogue writes it: the title, robot type
                        # and tasks are indexed from their own columns, with more weight.
                        search_text=" ".join([d.lab.name, d.domain, *cameras]),
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
    index_text(None)
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


def percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies)

    def at(q):
        return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q + 0.5) - 1))] * 1000

    return {
        "n": len(ordered),
        "p50": statistics.median(ordered) * 1000,
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1] * 1000,
    }


def run_concurrently(work, items, concurrency, seconds, max_requests):
    """Call ``work(item)`` from ``concurrency`` threads, in waves, until the time or request
    limit; returns the latencies of the calls that succeeded and the number that failed."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0
    with ThreadPoolExecutor(concurrency) as pool:
        index = 0
        while time.monotonic() < deadline and len(latencies) + errors < max_requests:
            wave = [items[(index + i) % len(items)] for i in range(concurrency)]
            index += concurrency
            for future in [pool.submit(work, item) for item in wave]:
                try:
                    latency, ok = future.result()
                    latencies.append(latency)
                    errors += not ok
                except Exception:  # counted; the run goes on
                    errors += 1
    return latencies, errors


def http_get(url):
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback http only
        response.read()
        ok = response.status == 200
    return time.perf_counter() - t, ok


def capture_statements(path_and_query: str) -> list[tuple[str, tuple]]:
    """The SQL statements (with their parameters) the catalogue view runs for one URL when
    nothing is cached: what the psycopg peer replays."""
    from django.conf import settings
    from django.db import connection
    from django.test import RequestFactory

    from curation import api, views

    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    settings.CATALOGUE_CACHE_SECONDS = 0  # this process only; the server keeps its cache
    request = RequestFactory().get(path_and_query, HTTP_HOST="127.0.0.1")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    view = api.Catalogue.as_view() if path_and_query.startswith("/api/") else views.catalogue
    with connection.execute_wrapper(record):
        response = view(request)
        if hasattr(response, "render"):
            response.render()
    return statements


def psycopg_replay(database_url: str, concurrency: int):
    """A work function for run_concurrently: one connection per thread, a request's statements
    run one after another (as the view runs them)."""
    import threading

    import psycopg

    local = threading.local()

    def work(statements):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(database_url, autocommit=True)
        t = time.perf_counter()
        with conn.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params or None)
                if cursor.description:
                    cursor.fetchall()
        return time.perf_counter() - t, True

    return work


def slowest_statement(database_url: str, statement_sets) -> tuple[float, str, tuple]:
    import psycopg

    worst = (0.0, "", ())
    seen = set()
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statements in statement_sets[:20]:
            for sql, params in statements:
                if (sql, params) in seen:
                    continue
                seen.add((sql, params))
                t = time.perf_counter()
                cursor = conn.execute(sql, params or None)
                if cursor.description:
                    cursor.fetchall()
                elapsed = time.perf_counter() - t
                if elapsed > worst[0]:
                    worst = (elapsed, sql, params)
    return worst


def explain(database_url: str, sql: str, params: tuple) -> str:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params or None).fetchall()
    return "\n".join(r[0] for r in rows)


def line(name, who, stats, errors):
    return (
        f"{name:<34} {who:<8} n={stats['n']:>5}  p50={stats['p50']:7.1f}  p95={stats['p95']:7.1f}  "
        f"p99={stats['p99']:7.1f}  max={stats['max']:7.1f} ms  errors={errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--seconds", type=float, default=20, help="time limit per scenario")
    parser.add_argument("--requests", type=int, default=600, help="request limit per scenario")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="CATALOGUE_CACHE_SECONDS=0: every request counts facets from scratch",
    )
    parser.add_argument("--no-explain", action="store_true", help="skip the EXPLAIN output")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE
    configure(
        database_url,
        Path(os.environ.get("BENCH_STORAGE_ROOT", REPO / "var" / "bench")),
    )
    from django.conf import settings
    from django.db import connection

    if args.no_cache:
        os.environ["CATALOGUE_CACHE_SECONDS"] = "0"
    seed(args.rows)
    is_postgres = connection.vendor == "postgresql"
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"database: {connection.vendor}; rows: {args.rows}; concurrency: {args.concurrency}; "
        f"gunicorn workers: {args.workers}; cpus: {os.cpu_count()}; "
        f"count cache: {'off' if args.no_cache else cache}; "
        f"load average: {os.getloadavg()[0]:.1f} (a shared machine's figures are noisy)"
    )
    rng = random.Random(7)
    scenarios = {
        "page": (
            "catalogue page (pages 1-50)",
            [f"/datasets/?page={rng.randint(1, 50)}" for _ in range(200)],
        ),
        "facet": (
            "faceted search (robot+camera+fps)",
            [
                f"/datasets/?robot_type={rng.choice(ROBOTS)}&camera={rng.choice(['wrist', 'front'])}"
                f"&fps={rng.choice([10, 30, 60])}"
                for _ in range(200)
            ],
        ),
        "fulltext": (
            "full text + facet + range",
            [
                f"/datasets/?q={rng.choice(TASKS).split()[-1]}"
                f"&domain={rng.choice(DOMAINS).replace(' ', '+')}&episodes_min={rng.randint(10, 500)}"
                for _ in range(200)
            ],
        ),
        "api": (
            "API faceted search (JSON)",
            [
                f"/api/curation/catalogue/?robot_type={rng.choice(ROBOTS)}&cameras={rng.randint(1, 3)}"
                for _ in range(200)
            ],
        ),
    }
    statements = {}
    if is_postgres:
        from curation import facet_table

        # Record the statements of a request in the steady state: this process's columnar copy
        # of the index (curation.facet_table) is built once per generation, not per request.
        facet_table.table_for(facet_table.current_generation())
        for key, (_, paths) in scenarios.items():
            # A sample of each scenario's URLs (recording runs every statement uncached).
            statements[key] = [capture_statements(p) for p in sorted(set(paths))[::8][:25]]
            counts = sorted({len(s) for s in statements[key]})
            print(f"  {key}: {'/'.join(map(str, counts))} SQL statements per uncached request")
    connection.close()
    port = free_port()
    server = start_server(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    p95 = {}
    slowest = {}
    try:
        for key, (name, paths) in scenarios.items():
            urls = [base + p for p in paths]
            latencies, errors = run_concurrently(
                http_get, urls, args.concurrency, args.seconds, args.requests
            )
            if not latencies:
                print(f"{name}: no successful request ({errors} errors)")
                p95[key] = -1
                continue
            ours = percentiles(latencies)
            p95[key] = round(ours["p95"])
            print(line(name, "ours", ours, errors))
            if is_postgres:
                latencies, errors = run_concurrently(
                    psycopg_replay(database_url, args.concurrency),
                    statements[key],
                    args.concurrency,
                    args.seconds,
                    args.requests,
                )
                print(line("", "psycopg", percentiles(latencies), errors))
                if not args.no_explain:
                    slowest[key] = slowest_statement(database_url, statements[key])
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    for key, (elapsed, sql, params) in slowest.items():
        print(
            f"\n--- {key}: slowest statement ({elapsed * 1000:.1f} ms alone)\n{sql % tuple(repr(p) for p in params) if params else sql}"
        )
        print(explain(database_url, sql, params))
    print(
        f"p95_ms page={p95['page']} facet={p95['facet']} fulltext={p95['fulltext']} api={p95['api']}"
    )


if __name__ == "__main__":
    main()
