"""A real PostgreSQL restart during validation, on a throwaway cluster (never the shared server).

    python bench/pg_restart.py            # needs PostgreSQL's initdb/pg_ctl; run as root or postgres

Creates a cluster with ``initdb`` in a temporary folder on a free port, migrates a database there,
starts a Celery worker against it (filesystem broker in its own storage root), submits a real
LeRobot dataset, and while the worker validates it: (1) restarts PostgreSQL (``pg_ctl restart -m
fast``), then for a second submission (2) stops it for 10 seconds and starts it again. Prints what
each submission ended as; exits 1 if one did not end validated. Everything is removed afterwards.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if versions and (versions[-1] / name).exists():
        return str(versions[-1] / name)
    raise SystemExit(f"{name} not found: install PostgreSQL")


def as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root; run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="pg-restart-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def ctl(self, *args, check=True):
        return subprocess.run(
            as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args]),
            check=check, capture_output=True, text=True,
        )  # fmt: skip

    def create(self):
        subprocess.run(
            as_postgres([pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.options = ["-o", options, "-l", str(self.dir / "log")]
        self.ctl(*self.options, "start")
        subprocess.run(
            [
                pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "relpg",
            ],
            check=True,
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/relpg"

    def restart(self):
        self.ctl(*self.options, "-m", "fast", "restart")

    def stop(self):
        self.ctl("-m", "fast", "stop", check=False)

    def start(self):
        self.ctl(*self.options, "start")

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> int:
    cluster = Cluster()
    storage = Path(tempfile.mkdtemp(prefix="pg-restart-storage-"))
    worker = None
    try:
        url = cluster.create()
        os.environ.update(
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=url,
            STORAGE_ROOT=str(storage),
            CELERY_BROKER_URL="filesystem://",
        )
        os.environ.pop("CACHE_URL", None)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        from config.celery import ping
        from curation import roles
        from curation.models import Submission, SubmissionState
        from curation.services import lab_get_or_create, user_create, workflow
        from curation.services import storage as blobs
        from validators.synthetic import make_v30_dataset

        call_command("migrate", verbosity=0)
        lab = lab_get_or_create(name="Restart Lab", slug="restart-lab")
        user = user_create(username="restart", password="x-" + os.urandom(8).hex(),
                           roles=[roles.LAB_MEMBER], lab=lab)  # fmt: skip
        dataset = make_v30_dataset(storage / "dataset")
        log = open(storage / "worker.log", "wb")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "validation,default",
             "-c", "1", "-l", "INFO", "--without-gossip", "--without-mingle"],
            cwd=REPO, env=os.environ.copy(), stdout=log, stderr=log,
        )  # fmt: skip
        ping.apply_async(queue="validation", expires=120).get(timeout=120)

        def submit(title):
            submission = workflow.submission_create(user=user, lab=lab, title=title)
            for file in sorted(dataset.rglob("*")):
                if file.is_file():
                    rel = file.relative_to(dataset).as_posix()
                    blobs.submission_file_set(submission, rel, blobs.blob_from_path(file))
            with transaction.atomic():
                workflow.submission_submit(submission_id=submission.pk, user=user)
            return submission.pk

        def wait(pk, started_only=False, timeout=300):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    s = Submission.objects.get(pk=pk)
                except Exception:  # the database is down: our own connection too
                    connection.close()
                    time.sleep(0.5)
                    continue
                if started_only and (s.pipeline_attempts or s.state != SubmissionState.VALIDATING):
                    return s
                if not started_only and s.state != SubmissionState.VALIDATING:
                    return s
                time.sleep(0.05 if started_only else 0.5)
            raise SystemExit(f"submission {pk} did not move within {timeout}s")

        results = []
        first = submit("Restarted database")
        wait(first, started_only=True)
        cluster.restart()
        connection.close()
        results.append(("pg_ctl restart -m fast mid-validation", wait(first)))

        second = submit("Database down for 10 s")
        wait(second, started_only=True)
        cluster.stop()
        time.sleep(10)
        cluster.start()
        connection.close()
        results.append(("PostgreSQL stopped 10 s mid-validation", wait(second)))

        ok = True
        for what, s in results:
            good = s.state == SubmissionState.READY_FOR_REVIEW and s.validation_outcome in (
                "passed",
                "warnings",
            )
            ok &= good
            print(
                f"{what}: {s.state}/{s.validation_outcome}, {s.pipeline_attempts} start(s)"
                + ("" if good else f" -- {s.last_error}")
            )
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        cluster.remove()
        shutil.rmtree(storage, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
