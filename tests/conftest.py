"""Shared fixtures: users in each role, and a real Celery worker process.

The worker runs ``celery -A config worker`` against the test database and the same broker as the
test process (filesystem queue in lane 1, Redis in lane 2). Tests that need it must use
``transactional_db`` (or ``@pytest.mark.django_db(transaction=True)``) so that what they write is
committed and visible to the worker.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.exceptions import TimeoutError
from django.conf import settings

from config.celery import QUEUES, app, ping
from curation import roles
from curation.services import lab_get_or_create, user_create

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"
# The environment as the suite was started, before any test module's import changed it (fixture
# builders switch huggingface_hub to offline mode, for instance): workers start from this, the way
# a deployed worker starts from its own configuration.
STARTING_ENVIRONMENT = dict(os.environ)
# The test process itself never reaches for the Hub (there is no network); tests that talk to a
# local Hub stand-in switch huggingface_hub back on for themselves.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def database_url_of(settings_dict) -> str:
    """The URL of the database this test process is connected to (the test database)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "")
    password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return (
        f"postgres://{auth}{settings_dict.get('HOST') or '127.0.0.1'}{port}/{settings_dict['NAME']}"
    )


def worker_environment(**overrides) -> dict:
    from django.db import connection

    env = {
        **STARTING_ENVIRONMENT,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url_of(connection.settings_dict),
        "STORAGE_ROOT": str(settings.STORAGE_ROOT),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


def purge_queues() -> None:
    """Drop messages left over from an earlier run, so they cannot reach this run's worker."""
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # Only the queued messages: control/ holds the broadcast bindings of workers that are
        # still running, and without them remote control (ping, cancel_consumer) misses them.
        for sub in ("queue", "processed"):
            shutil.rmtree(settings.BROKER_FOLDER / sub, ignore_errors=True)
            (settings.BROKER_FOLDER / sub).mkdir(parents=True, exist_ok=True)
        return
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in QUEUES:
            # A queue that does not exist yet has nothing to purge.
            with contextlib.suppress(Exception):
                channel.queue_purge(queue)


def start_worker(
    queues=QUEUES, concurrency=2, log_path: Path | None = None, include=(), **env_overrides
):
    """A worker process; ``include`` names extra modules it imports at start (test hooks such as
    tests.reliability.hold_validation)."""
    log_path = log_path or settings.STORAGE_ROOT / f"worker-{uuid.uuid4().hex[:8]}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "-Q", ",".join(queues), "-c", str(concurrency), "-l", "INFO",
        "-n", f"test-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    if include:
        command += ["--include", ",".join(include)]
    log = open(log_path, "wb")  # noqa: SIM115 - closed when the process is stopped
    process = subprocess.Popen(
        command, cwd=REPO, env=worker_environment(**env_overrides), stdout=log, stderr=log
    )
    process.log_path = log_path
    process.log_file = log
    return process


# A hang guard, not a speed requirement: a worker on a loaded machine (CI shared by many jobs) can
# take minutes to import everything; one that never answers is reported as a hang.
WORKER_START_HANG_GUARD_S = 600.0


def wait_for_worker(process, queues=QUEUES, timeout=WORKER_START_HANG_GUARD_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{process.log_path.read_text()[-4000:]}")
        results = [ping.apply_async(queue=q, expires=30) for q in queues]
        try:
            if all(r.get(timeout=5) == "pong" for r in results):
                return
        except TimeoutError:
            time.sleep(0.5)
    raise RuntimeError(
        f"hang: worker did not answer in {timeout:g} s:\n{process.log_path.read_text()[-4000:]}"
    )


def stop_worker(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log_file.close()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real worker process serving every queue, shared by the whole session."""
    with django_db_blocker.unblock():
        purge_queues()
        process = start_worker()
        try:
            wait_for_worker(process)
        except Exception:
            stop_worker(process)
            raise
    yield process
    stop_worker(process)


def within_hang_guard(call, *, seconds: float, what: str):
    """Run ``call()`` and return its result; if it has not returned after ``seconds``, fail the
    test as a hang. The guard is generous on purpose: it tells a hang from a slow machine, and
    says nothing about speed (that is bench/'s job)."""
    import threading

    outcome = {}

    def target():
        try:
            outcome["result"] = call()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"hang: {what} did not return within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts from an empty cache: catalogue counts and rate-limit windows (which live
    in Redis in lane 2, across runs) from earlier tests or earlier runs cannot leak into it."""
    from django.core.cache import cache

    cache.clear()


# --- users in each role -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate limits and login back-off persist in the shared ``limits`` cache (files or Redis);
    each test starts from none, so one test's failed logins never slow another's."""
    from django.core.cache import caches

    caches["limits"].clear()


@pytest.fixture
def lab(db):
    return lab_get_or_create(name="Manipulation Lab", slug="manipulation-lab")


@pytest.fixture
def other_lab(db):
    return lab_get_or_create(name="Other Lab", slug="other-lab")


@pytest.fixture
def lab_member(lab):
    return user_create(username="member", password=PASSWORD, roles=[roles.LAB_MEMBER], lab=lab)


@pytest.fixture
def other_lab_member(other_lab):
    return user_create(
        username="outsider", password=PASSWORD, roles=[roles.LAB_MEMBER], lab=other_lab
    )


@pytest.fixture
def curator(db):
    return user_create(username="curator", password=PASSWORD, roles=[roles.CURATOR])


@pytest.fixture
def researcher(db):
    return user_create(username="researcher", password=PASSWORD, roles=[roles.RESEARCHER])
