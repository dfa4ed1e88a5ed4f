"""Reliability and security tests: helpers to drive the real API and real workers, and a summary.

Every test records what it tried (``tried("hostile upload", "zip bomb ...", "refused: ...")``);
the summary is printed at the end of the run (``pytest_terminal_summary``), so a plain
``pytest tests/reliability`` says which cases, faults and figures were exercised.
"""

import contextlib
import os
import signal
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config.celery import app, ping
from curation.models import Submission
from curation.models import SubmissionState as S

TRIED: dict[str, list[str]] = defaultdict(list)


def tried(area: str, case: str, outcome: str = "") -> None:
    TRIED[area].append(f"{case}: {outcome}" if outcome else case)


def pytest_terminal_summary(terminalreporter):
    if not TRIED:
        return
    write = terminalreporter.write_line
    terminalreporter.section("reliability: what was tried")
    for area, cases in TRIED.items():
        write(f"{area} ({len(cases)})")
        for case in cases:
            write(f"  - {case}")


@pytest.fixture(autouse=True)
def _role_groups(request, django_db_blocker):
    """Transactional tests flush every table, including the role groups; put them back."""
    from django.contrib.auth.models import Group

    from curation.roles import ALL_ROLES

    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    with django_db_blocker.unblock():
        for name in ALL_ROLES:
            Group.objects.get_or_create(name=name)


@pytest.fixture(scope="session")
def v30_dataset(tmp_path_factory):
    """A small real v3.0 dataset (2 episodes, 1 camera) recorded with lerobot, built once."""
    from validators.synthetic import make_v30_dataset

    return make_v30_dataset(tmp_path_factory.mktemp("lerobot") / "pick_place")


# --- the API, as a script would use it ------------------------------------------------------------


class Api:
    """A token-authenticated client of the curation API (CSRF does not apply to tokens)."""

    def __init__(self, user):
        token, _ = Token.objects.get_or_create(user=user)
        self.client = Client(enforce_csrf_checks=True)
        self.auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}

    def create(self, lab, title="Hostile") -> int:
        response = self.client.post(
            reverse("curation:api_submissions"),
            {"lab": lab.slug, "title": title},
            content_type="application/json",
            **self.auth,
        )
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def upload(self, pk: int, kind: str, path: str, data_path: Path, chunk=8 * 1024 * 1024):
        """Returns the last response: 201/200 on success, the refusal otherwise."""
        size = data_path.stat().st_size
        start = self.client.post(
            reverse("curation:api_upload_create", args=[pk]),
            {"kind": kind, "path": path, "size": size},
            content_type="application/json",
            **self.auth,
        )
        if start.status_code != 201:
            return start
        url = start.json()["url"]
        response = start
        with open(data_path, "rb") as handle:
            offset = 0
            while offset < size:
                data = handle.read(chunk)
                response = self.client.patch(
                    url,
                    data,
                    content_type="application/offset+octet-stream",
                    HTTP_UPLOAD_OFFSET=str(offset),
                    **self.auth,
                )
                assert response.status_code == 200, response.content[:500]
                offset = int(response["Upload-Offset"])
        return response

    def upload_folder(self, pk: int, folder: Path) -> None:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                response = self.upload(pk, "file", file.relative_to(folder).as_posix(), file)
                assert response.status_code in (200, 201), response.content[:500]

    def action(self, pk: int, action: str, **data):
        return self.client.post(
            reverse("curation:api_action", args=[pk, action]),
            data,
            content_type="application/json",
            **self.auth,
        )

    def status(self, pk: int) -> dict:
        return self.client.get(reverse("curation:api_status", args=[pk]), **self.auth).json()


def wait_until_settled(pk: int, timeout: float = 180) -> Submission:
    """The submission once it has left "validating" (the pipeline finished, or refused it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=pk)
        if submission.state != S.VALIDATING:
            return submission
        time.sleep(0.2)
    raise AssertionError(f"submission {pk} still validating after {timeout}s")


def worker_answers(queue: str = "validation", timeout: float = 30) -> bool:
    """A real round trip through the broker: some worker on ``queue`` answers a ping task."""
    try:
        return ping.apply_async(queue=queue, expires=timeout).get(timeout=timeout) == "pong"
    except Exception:
        return False


# --- worker processes we start and kill ourselves -----------------------------------------------


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kill_tree(process) -> None:
    """SIGKILL a worker and everything it started (pool children, validator subprocesses)."""
    family = descendants(process.pid)
    for proc in [psutil.Process(process.pid), *family] if process.poll() is None else family:
        with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
            os.kill(proc.pid, signal.SIGKILL)
    process.wait(timeout=30)
    psutil.wait_procs(family, timeout=10)


class OtherWorkersPaused:
    """Stop every running worker (the session's shared one, typically) from taking tasks from
    ``queues`` for a while, so that the worker a fault test starts and kills is the one that
    runs its task. Consumers are given back afterwards."""

    def __init__(self, queues=("validation", "default")):
        self.queues = queues
        self.names: list[str] = []

    def __enter__(self):
        replies = app.control.ping(timeout=2) or []
        self.names = [name for reply in replies for name in reply]
        for queue in self.queues:
            if self.names:
                app.control.cancel_consumer(queue, destination=self.names, reply=True, timeout=5)
        return self

    def __exit__(self, *exc):
        for queue in self.queues:
            if self.names:
                app.control.add_consumer(queue, destination=self.names, reply=True, timeout=5)


def unique_marker() -> str:
    return f"pwned-{uuid.uuid4().hex[:10]}"


def files_named(name: str, roots) -> list[Path]:
    found = []
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        for dirpath, _dirnames, filenames in os.walk(root):
            if name in filenames or any(name in f for f in filenames):
                found += [Path(dirpath) / f for f in filenames if name in f]
    return found


def storage_snapshot() -> set[str]:
    """Every file under STORAGE_ROOT except the broker's queue and logs."""
    root = Path(settings.STORAGE_ROOT)
    out = set()
    for dirpath, _dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        if rel_dir.startswith("broker"):
            continue
        for name in filenames:
            if name.endswith(".log") or name.startswith("test-db"):
                continue
            out.add(f"{rel_dir}/{name}" if rel_dir != "." else name)
    return out


class ValidationHold:
    """The test's side of tests/reliability/hold_validation.py: start the worker with
    ``include=ValidationHold.MODULE`` and ``**hold.env``, then wait_started() and release()."""

    MODULE = ("tests.reliability.hold_validation",)

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = {"VALIDATION_HOLD_DIR": str(self.folder)}

    def wait_started(self, timeout: float = 180) -> int:
        """The pid of the pool process holding a validation. ``timeout`` is a hang guard."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = sorted(self.folder.glob("started-*"))
            if started:
                return int(started[0].name.split("-", 1)[1])
            time.sleep(0.05)
        raise AssertionError(f"hang: no validation started within {timeout} s")

    def release(self) -> None:
        (self.folder / "release").touch()
