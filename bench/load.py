"""Load: concurrent uploads and catalogue readers on loopback, against gunicorn and a real worker.

    python bench/load.py                                   # 50 uploads, 200 readers, SQLite + filesystem broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reliability_db \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 python bench/load.py
    python bench/load.py --uploads 8 --readers 20          # a quick run

Each uploader is its own lab member with an API token. It creates a submission, uploads a real
LeRobot v3.0 dataset (recorded with lerobot) as a .zip through the resumable API, submits it and
polls the status endpoint until the worker has validated it. Meanwhile every reader loops over the
catalogue (HTML page and API, with filters and full-text queries) until all uploads are processed
(or ``--max-seconds`` passed). Prints request counts, errors and p50/p95/max latencies per kind of
request, and how long processing took. Nothing is asserted: the figures are for people
(``tests/reliability/test_load.py`` runs a small version and asserts that nothing was lost).
"""

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CATALOGUE_QUERIES = [
    "/datasets/",
    "/datasets/?q=pick",
    "/datasets/?robot_type=koch",
    "/api/curation/catalogue/",
    "/api/curation/catalogue/?q=cube",
    "/api/curation/catalogue/?fps=30&cameras=2",
    "/api/curation/catalogue/?page=3",
]


@dataclass
class Figures:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[int, dict] = field(default_factory=dict)
    processing_s: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    retried: int = 0  # GETs retried once after a connection reset

    def record(self, kind: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[kind].append(error)

    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _call(session, figures, kind, method, url, expect=(200, 201), **kwargs):
    started = time.perf_counter()
    try:
        try:
            response = session.request(method, url, timeout=120, **kwargs)
        except requests.ConnectionError:
            if method != "GET":
                raise
            # A keep-alive connection the server closed just as we reused it: HTTP lets a client
            # retry an idempotent request once (RFC 9110 9.2.2), as browsers do. Counted apart.
            with figures.lock:
                figures.retried += 1
            response = session.request(method, url, timeout=120, **kwargs)
    except requests.RequestException as exc:
        figures.record(kind, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
        return None
    error = None if response.status_code in expect else f"{response.status_code} {url}"
    figures.record(kind, time.perf_counter() - started, error)
    return response if error is None else None


def upload_one(base: str, token: str, lab: str, archive: Path, figures: Figures, deadline, index):
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    api = f"{base}/api/curation"
    created = _call(
        session, figures, "create", "POST", f"{api}/submissions/",
        json={"lab": lab, "title": f"Load test dataset {index}", "domain": "manipulation"},
    )  # fmt: skip
    if created is None:
        return
    pk = created.json()["id"]
    data = archive.read_bytes()
    start = _call(
        session, figures, "upload start", "POST", f"{api}/submissions/{pk}/uploads/",
        json={"kind": "archive", "path": archive.name, "size": len(data)},
    )  # fmt: skip
    if start is None:
        return
    sent = _call(
        session, figures, "upload bytes", "PATCH", base + start.json()["url"], data=data,
        headers={"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
    )  # fmt: skip
    if sent is None:
        return
    if _call(session, figures, "submit", "POST", f"{api}/submissions/{pk}/submit/") is None:
        return
    submitted = time.monotonic()
    while time.monotonic() < deadline:
        status = _call(session, figures, "status", "GET", f"{api}/submissions/{pk}/status/")
        if status is not None and status.json()["finished"]:
            payload = status.json()
            with figures.lock:
                figures.outcomes[pk] = payload
                figures.processing_s.append(time.monotonic() - submitted)
            return
        time.sleep(0.5)
    with figures.lock:
        figures.errors["processing"].append(f"submission {pk} not processed before the deadline")


def read_catalogue(base: str, figures: Figures, stop: threading.Event, queries=CATALOGUE_QUERIES):
    session = requests.Session()
    rnd = random.Random()
    while not stop.is_set():
        path = rnd.choice(queries)
        kind = "catalogue api" if path.startswith("/api/") else "catalogue page"
        _call(session, figures, kind, "GET", base + path, expect=(200,))


def run_load(
    base: str,
    tokens: list[str],
    lab: str,
    archive: Path,
    readers: int,
    max_seconds: float,
    queries=CATALOGUE_QUERIES,
):
    """Upload one archive per token and read the catalogue from ``readers`` threads until every
    upload is processed (or ``max_seconds``). Returns the figures."""
    figures = Figures()
    deadline = time.monotonic() + max_seconds
    stop = threading.Event()
    reader_threads = [
        threading.Thread(target=read_catalogue, args=(base, figures, stop, queries), daemon=True)
        for _ in range(readers)
    ]
    upload_threads = [
        threading.Thread(
            target=upload_one, args=(base, token, lab, archive, figures, deadline, i), daemon=True
        )
        for i, token in enumerate(tokens)
    ]
    started = time.monotonic()
    for thread in reader_threads + upload_threads:
        thread.start()
    for thread in upload_threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 5)
    figures.wall_s = time.monotonic() - started
    stop.set()
    for thread in reader_threads:
        thread.join(130)
    return figures


def report(figures: Figures, uploads: int, readers: int) -> str:
    lines = [
        f"{uploads} concurrent uploads, {readers} concurrent catalogue readers, "
        f"{figures.wall_s:.0f}s until every upload was processed",
        f"{'request':<16}{'count':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}",
    ]
    for kind, values in sorted(figures.latencies.items()):
        lines.append(
            f"{kind:<16}{len(values):>8}{len(figures.errors.get(kind, [])):>8}"
            f"{percentile(values, 50) * 1000:>10.0f}{percentile(values, 95) * 1000:>10.0f}"
            f"{max(values) * 1000:>10.0f}"
        )
    states = defaultdict(int)
    for payload in figures.outcomes.values():
        states[f"{payload['state']}/{payload['validation_outcome']}"] += 1
    lines.append(f"processed: {len(figures.outcomes)}/{uploads} {dict(states)}")
    if figures.processing_s:
        lines.append(
            f"submit -> validated: p50 {statistics.median(figures.processing_s):.1f}s, "
            f"p95 {percentile(figures.processing_s, 95):.1f}s, max {max(figures.processing_s):.1f}s"
        )
    lines.append(f"GETs retried once after a connection reset: {figures.retried}")
    if figures.error_count():
        sample = [e for v in figures.errors.values() for e in v][:5]
        lines.append(f"errors: {figures.error_count()} e.g. {sample}")
    else:
        lines.append("errors: 0")
    return "\n".join(lines)


def zip_dataset(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--catalogue-rows", type=int, default=2000)
    args = parser.parse_args()

    storage = REPO / "var" / "bench-load"
    os.environ["UPLOAD_RATE_LIMIT"] = "100000/m"
    os.environ.setdefault("DJANGO_ALLOW_EPHEMERAL_SECRET", "1")
    from bench.catalogue import configure, free_port, seed, start_server

    configure(os.environ.get("DATABASE_URL"), storage)
    import shutil

    from django.conf import settings
    from rest_framework.authtoken.models import Token

    from config.celery import ping
    from curation import roles
    from curation.services import lab_get_or_create, user_create
    from validators.synthetic import make_v30_dataset

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        shutil.rmtree(settings.BROKER_FOLDER, ignore_errors=True)
        for sub in ("queue", "processed", "control"):
            (settings.BROKER_FOLDER / sub).mkdir(parents=True, exist_ok=True)
    seed(args.catalogue_rows)  # migrates, and fills the catalogue the readers search
    lab = lab_get_or_create(name="Load Lab", slug="load-lab")
    tokens = []
    run = int(time.time())
    for i in range(args.uploads):
        user = user_create(
            username=f"load-{run}-{i}",
            password=secrets.token_urlsafe(16),
            roles=[roles.LAB_MEMBER],
            lab=lab,
        )
        tokens.append(Token.objects.create(user=user).key)
    dataset = storage / "dataset"
    if not dataset.exists():
        make_v30_dataset(dataset)
    archive = zip_dataset(dataset, storage / "pick_place.zip")

    port = free_port()
    web = start_server(port, args.web_workers)
    worker_log = open(storage / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "validation,default",
         "-c", str(args.worker_concurrency), "-l", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=REPO, env=os.environ.copy(), stdout=worker_log, stderr=worker_log,
    )  # fmt: skip
    try:
        for queue in ("validation", "default"):
            ping.apply_async(queue=queue, expires=120).get(timeout=120)
        print(
            f"machine: {os.cpu_count()} cores; database {settings.DATABASES['default']['ENGINE']}; "
            f"broker {settings.CELERY_BROKER_URL.split(':')[0]}; gunicorn {args.web_workers}x4 "
            f"threads; worker concurrency {args.worker_concurrency}; dataset archive "
            f"{archive.stat().st_size} bytes (2 episodes, 1 camera); catalogue "
            f"{args.catalogue_rows} rows",
            flush=True,
        )
        figures = run_load(
            f"http://127.0.0.1:{port}", tokens, lab.slug, archive, args.readers, args.max_seconds
        )
        print(report(figures, args.uploads, args.readers))
    finally:
        for process in (web, worker):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        worker_log.close()


if __name__ == "__main__":
    main()
