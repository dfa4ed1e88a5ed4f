"""Downloads of a published version: a streamed zip, and huggingface_hub's snapshot_download
through the Hub-compatible API; prints throughput and the web process's peak memory.

    python bench/download.py              # a 2 GB version (16 files of 128 MB + metadata)
    python bench/download.py --gb 0.5     # a quicker run
    python bench/download.py --keep       # keep the generated storage (var/bench-download)

It publishes one version through the real services (SQLite, storage under var/bench-download),
starts gunicorn on 127.0.0.1 (1 worker, gthread, 8 threads, the deployment's config) and then, one
after the other:
  * zip        GET /datasets/<lab>/<slug>/archive/main.zip, read to the end by ``requests``
  * snapshot   ``snapshot_download(repo_id, repo_type="dataset", local_dir=...)`` in a fresh
               Python with only HF_ENDPOINT set (8 parallel file downloads, its default)
  * peer       Python's ``http.server`` serving the same blobs, fetched by ``requests``: the floor
               for sending these bytes over loopback from Python
  * disk       reading the blobs from disk (no HTTP): the floor of the floor
The web worker's resident memory (RSS) is sampled every 20 ms: before, and the peak during each
download. It must stay flat whatever the size of the version: nothing is built in memory or on
disk. Nothing is asserted; the figures are for people.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MB = 1024 * 1024


def configure(storage_root: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["STORAGE_ROOT"] = str(storage_root)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{storage_root / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_ALLOW_EPHEMERAL_SECRET", "1")
    import django

    django.setup()


def write_dataset(folder: Path, total_bytes: int, files: int = 16) -> None:
    """A v3.0-shaped folder of ``files`` big files (distinct random content) and its metadata."""
    folder.mkdir(parents=True)
    (folder / "meta").mkdir()
    (folder / "meta/info.json").write_text(json.dumps({"codebase_version": "v3.0", "fps": 30}))
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# Bench dataset\n")
    noise = os.urandom(8 * MB)
    per_file = total_bytes // files
    for i in range(files):
        kind = "videos/observation.images.front" if i % 2 else "data"
        ext = "mp4" if i % 2 else "parquet"
        path = folder / kind / "chunk-000" / f"file-{i:03d}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            written = 0
            while written < per_file:
                block = noise[: min(8 * MB, per_file - written)]
                header = f"{i}:{written}".encode()
                out.write(header + block[len(header) :])
                written += len(block)


def publish(folder: Path) -> tuple[str, list[Path]]:
    from django.core.management import call_command
    from django.db import transaction

    from curation import roles
    from curation.distribution import selectors as dist
    from curation.models import Submission, SubmissionState
    from curation.services import lab_get_or_create, storage, user_create, workflow

    call_command("migrate", verbosity=0)
    done = Submission.objects.filter(state=SubmissionState.APPROVED).first()
    if done is None:
        lab = lab_get_or_create(name="Bench Lab", slug="bench-lab")
        member = user_create(
            username="bench-member",
            password=secrets.token_urlsafe(16),
            lab=lab,
            roles=[roles.LAB_MEMBER],
        )
        curator = user_create(
            username="bench-curator", password=secrets.token_urlsafe(16), roles=[roles.CURATOR]
        )
        done = workflow.submission_create(user=member, lab=lab, title="Bench download")
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            blob = storage.blob_from_path(path, move=True)
            storage.submission_file_set(done, path.relative_to(folder).as_posix(), blob)
        with transaction.atomic():
            workflow.submission_submit(submission_id=done.pk, user=member)
        report = {"valid": True, "summary": {"codebase_version": "v3.0"}, "findings": []}
        workflow.submission_validation_finished(submission_id=done.pk, report=report)
        done = workflow.submission_approve(submission_id=done.pk, user=curator)
    blobs = [storage.local_path_of(f.blob) for f in done.files.select_related("blob")]
    return dist.repo_id_of(done.dataset), blobs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, "WEB_CONCURRENCY": "1", "WEB_THREADS": "8"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "platform/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/datasets", timeout=30).read()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-3000:]) from None
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 90s")


class RssSampler:
    """Peak RSS of a process's children (gunicorn's workers), sampled every 20 ms."""

    def __init__(self, parent_pid: int):
        self.parent = psutil.Process(parent_pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> int:
        return sum(c.memory_info().rss for c in self.parent.children(recursive=True))

    def _run(self):
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.current())
            time.sleep(0.02)

    def __enter__(self):
        self.peak = self.current()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def fetch(url: str) -> int:
    total = 0
    with requests.get(url, stream=True, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_content(MB):
            total += len(chunk)
    return total


SNAPSHOT = """
import sys
from huggingface_hub import snapshot_download
print(snapshot_download(sys.argv[1], repo_type="dataset", local_dir=sys.argv[2]))
"""


def snapshot(endpoint: str, repo_id: str, target: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(target.parent / "hf-home"),
               HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1")  # fmt: skip
    subprocess.run(
        [sys.executable, "-c", SNAPSHOT, repo_id, str(target)], env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=2.0, help="size of the version in GB")
    parser.add_argument("--keep", action="store_true", help="keep var/bench-download")
    args = parser.parse_args()
    storage_root = REPO / "var" / "bench-download"
    if not args.keep and storage_root.exists():
        shutil.rmtree(storage_root)
    storage_root.mkdir(parents=True, exist_ok=True)
    configure(storage_root)
    source = storage_root / "source"
    if not source.exists() and not (storage_root / "bench.sqlite3").exists():
        print(f"writing a {args.gb:g} GB version ...", flush=True)
        write_dataset(source, int(args.gb * 1024**3))
    repo_id, blobs = publish(source)
    shutil.rmtree(source, ignore_errors=True)
    size = sum(p.stat().st_size for p in blobs)
    lab, slug = repo_id.split("/")
    port = free_port()
    server = start_gunicorn(port)
    endpoint = f"http://127.0.0.1:{port}"
    rows = []
    try:
        fetch(f"{endpoint}/api/datasets/{repo_id}")  # warm the worker (imports, first query)
        with RssSampler(server.pid) as rss:
            before = rss.current()
            started = time.monotonic()
            sent = fetch(f"{endpoint}/datasets/{lab}/{slug}/archive/main.zip")
            rows.append(("zip (streamed)", sent, time.monotonic() - started, before, rss.peak))
        target = Path(tempfile.mkdtemp(dir=storage_root)) / "snapshot"
        with RssSampler(server.pid) as rss:
            before = rss.current()
            started = time.monotonic()
            snapshot(endpoint, repo_id, target)
            got = sum(
                p.stat().st_size
                for p in target.rglob("*")
                if p.is_file() and ".cache" not in p.parts
            )
            rows.append(("snapshot_download", got, time.monotonic() - started, before, rss.peak))
        shutil.rmtree(target.parent, ignore_errors=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Peer: the standard library's static file server on the same blobs.
    blob_root = blobs[0].parents[2]
    peer_port = free_port()
    peer = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(peer_port), "--bind", "127.0.0.1",
         "--directory", str(blob_root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        peer_proc = psutil.Process(peer.pid)
        before = peer_proc.memory_info().rss
        started = time.monotonic()
        sent = sum(fetch(f"http://127.0.0.1:{peer_port}/{p.relative_to(blob_root)}") for p in blobs)
        rows.append(
            (
                "peer: http.server",
                sent,
                time.monotonic() - started,
                before,
                peer_proc.memory_info().rss,
            )
        )
    finally:
        peer.terminate()
        peer.wait(timeout=30)
    started = time.monotonic()
    read = 0
    for path in blobs:
        with open(path, "rb") as handle:
            while chunk := handle.read(MB):
                read += len(chunk)
    rows.append(("disk read (floor)", read, time.monotonic() - started, 0, 0))

    print(f"\nversion: {len(blobs)} files, {size / 1024**3:.2f} GB; cpus: {os.cpu_count()}; "
          f"gunicorn 1 worker x 8 threads (gthread)")  # fmt: skip
    print(
        f"{'download':<22} {'bytes':>14} {'seconds':>8} {'MB/s':>8} {'RSS before':>11} {'RSS peak':>9}"
    )
    for name, count, seconds, before, peak in rows:
        rss = f"{before / MB:>9.0f}MB {peak / MB:>7.0f}MB" if peak else f"{'-':>11} {'-':>9}"
        print(f"{name:<22} {count:>14,} {seconds:>8.1f} {count / MB / seconds:>8.0f} {rss}")
    if not args.keep:
        shutil.rmtree(storage_root, ignore_errors=True)


if __name__ == "__main__":
    main()
