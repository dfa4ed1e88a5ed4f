"""Faults with real processes: workers killed with SIGKILL mid-validation, a broker restarted, the
database connections cut, stuck jobs swept. The submission must always end in the right state.

- kill -9 of a pool process: late acknowledgement + ``task_reject_on_worker_lost`` put the task
  back, it runs again (the pipeline is idempotent, keyed on the run number);
- kill -9 of the whole worker: nothing redelivers soon (Redis: after the visibility timeout,
  hours; the filesystem broker: never), so the sweeper (Celery beat) requeues it;
- a job that never finishes is requeued, then abandoned with a clear error after
  ``PIPELINE_MAX_ATTEMPTS``, never left "validating";
- Redis restarted during work (our own redis-server, never the shared one): running jobs finish,
  later jobs flow, a job submitted while it was down is recovered by the sweeper;
- PostgreSQL connections terminated mid-validation (``pg_terminate_backend``): the job resumes.

"Mid-validation" is made certain, not hoped for: the workers these tests start hold every
validation at its start until the test releases it (tests/reliability/hold_validation.py).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import timedelta

import kombu.pools
import psutil
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app
from curation.models import AuditEvent, Submission, ValidationOutcome
from curation.models import SubmissionState as S
from curation.services import pipeline, sweeper, workflow
from tests.conftest import REPO, start_worker, stop_worker, wait_for_worker, worker_environment
from tests.reliability.conftest import (
    Api,
    OtherWorkersPaused,
    ValidationHold,
    descendants,
    kill_tree,
    tried,
    wait_until_settled,
    worker_answers,
)

GOOD = (ValidationOutcome.PASSED, ValidationOutcome.WARNINGS)
QUEUES = ("validation", "default")


def submit_dataset(api: Api, lab, folder, title="Fault") -> int:
    pk = api.create(lab, title=title)
    api.upload_folder(pk, folder)
    assert api.action(pk, "submit").status_code == 200
    return pk


def audit_actions(pk: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(submission_id=pk).order_by("pk").values_list("action", flat=True)
    )


def start_beat(tmp_path, **env):
    log = open(tmp_path / "beat.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
         "-s", str(tmp_path / "beat-schedule"), "--pidfile="],
        cwd=REPO, env=worker_environment(**env), stdout=log, stderr=log,
    )  # fmt: skip
    process.log_file = log
    return process


def stop(process) -> None:
    with contextlib.suppress(Exception):
        kill_tree(process)
    with contextlib.suppress(Exception):
        process.log_file.close()


# --- kill -9 ------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_pool_process_killed_mid_validation_runs_again(tmp_path, lab_member, lab, v30_dataset):
    # The validation is held at its start (tests/reliability/hold_validation.py), so the kill
    # lands mid-validation for certain, however fast or slow the machine.
    hold = ValidationHold(tmp_path / "hold")
    with OtherWorkersPaused(QUEUES):
        worker = start_worker(queues=QUEUES, concurrency=1, include=hold.MODULE, **hold.env)
        try:
            wait_for_worker(worker, queues=QUEUES)
            api = Api(lab_member)
            pk = submit_dataset(api, lab, v30_dataset, "Killed pool process")
            pool_pid = hold.wait_started()
            assert pool_pid in [p.pid for p in descendants(worker.pid) if p.ppid() == worker.pid]
            held = Submission.objects.get(pk=pk)
            assert (held.state, held.pipeline_attempts) == (S.VALIDATING, 1)
            pool = psutil.Process(pool_pid)
            for proc in [pool, *pool.children(recursive=True)]:  # and what it started
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
            hold.release()  # the redelivered task runs straight through
            submission = wait_until_settled(pk)
            assert worker_answers("validation")
        finally:
            stop_worker(worker)
            for proc in descendants(worker.pid):
                proc.kill()
    assert submission.state == S.READY_FOR_REVIEW, submission.last_error
    assert submission.validation_outcome in GOOD
    assert submission.pipeline_attempts == 2  # it ran again, once
    assert audit_actions(pk).count("validation_finished") == 1  # and only one result counted
    tried(
        "faults",
        "SIGKILL of the pool process mid-validation",
        f"task ran again ({submission.pipeline_attempts} starts), ended {submission.state}",
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_whole_worker_killed_then_beat_sweeper_requeues(tmp_path, lab_member, lab, v30_dataset):
    hold = ValidationHold(tmp_path / "hold")
    with OtherWorkersPaused(QUEUES):
        first = start_worker(queues=QUEUES, concurrency=1, include=hold.MODULE, **hold.env)
        try:
            wait_for_worker(first, queues=QUEUES)
            api = Api(lab_member)
            pk = submit_dataset(api, lab, v30_dataset, "Killed worker")
            hold.wait_started()  # held mid-validation until the worker is gone
        finally:
            kill_tree(first)
            first.log_file.close()
        assert Submission.objects.get(pk=pk).state == S.VALIDATING
        hold.release()
        killed_at = time.monotonic()
        # A new worker and Celery beat: the sweeper runs every second, a job is stuck after 6 s.
        env = {"PIPELINE_STALE_MINUTES": "0.1", "PIPELINE_SWEEP_INTERVAL_S": "1"}
        second = start_worker(queues=QUEUES, concurrency=1, **env)
        beat = start_beat(tmp_path, **env)
        try:
            wait_for_worker(second, queues=QUEUES)
            submission = wait_until_settled(pk, timeout=120)
            recovered_in = time.monotonic() - killed_at
        finally:
            stop(beat)
            stop_worker(second)
    assert submission.state == S.READY_FOR_REVIEW, submission.last_error
    assert submission.validation_outcome in GOOD
    actions = audit_actions(pk)
    assert "pipeline_requeued" in actions
    assert actions.count("validation_finished") == 1
    tried(
        "faults",
        "SIGKILL of the whole worker mid-validation, new worker + beat sweeper",
        f"requeued by the sweeper, ended {submission.state} {recovered_in:.0f}s after the kill",
    )


# --- the sweeper's bounds (no worker needed) --------------------------------------------------------


def _validating_submission(user, lab, title="Stuck", content=b'{"codebase_version": "v3.0"}'):
    from tests.curation.conftest import add_file

    submission = workflow.submission_create(user=user, lab=lab, title=title)
    add_file(submission, user, content=content)
    with transaction.atomic():  # the pipeline message is sent on commit: not in this test
        workflow.submission_submit(submission_id=submission.pk, user=user)
    return submission.pk


def _make_stale(pk: int, seconds: float = 3600) -> None:
    Submission.objects.filter(pk=pk).update(
        progress_updated_at=timezone.now() - timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_sweeper_requeues_then_abandons_with_a_clear_error(lab_member, lab):
    pk = _validating_submission(lab_member, lab)
    fresh = _validating_submission(lab_member, lab, "Fresh", content=b'{"fps": 10}')
    runs = [Submission.objects.get(pk=pk).pipeline_run]
    outcomes = []
    for _ in range(3):
        _make_stale(pk)
        requeued = sweeper.pipelines_requeue()
        assert fresh not in requeued  # still making progress
        assert Submission.objects.get(pk=fresh).state == S.VALIDATING
        outcomes.append("requeued" if pk in requeued else Submission.objects.get(pk=pk).state)
        runs.append(Submission.objects.get(pk=pk).pipeline_run)
    assert outcomes == ["requeued", "requeued", S.DRAFT]
    assert runs[0] < runs[1] < runs[2]  # each requeue is a new run; the old message is stale
    submission = Submission.objects.get(pk=pk)
    assert submission.state == S.DRAFT
    assert submission.validation_outcome == ValidationOutcome.ERROR
    assert "did not finish after 3 attempt(s)" in submission.last_error
    assert audit_actions(pk)[-3:] == [
        "pipeline_requeued",
        "pipeline_requeued",
        "validation_abandoned",
    ]
    assert Submission.objects.get(pk=fresh).state == S.VALIDATING
    # A stale message of an old run does nothing.
    pipeline.pipeline_run(pk, runs[0])
    assert Submission.objects.get(pk=pk).state == S.DRAFT
    tried(
        "sweeper", "stuck job swept 3 times", "requeued, requeued, abandoned to draft with reason"
    )


@pytest.mark.django_db
def test_a_message_that_keeps_killing_its_worker_is_abandoned(lab_member, lab):
    """Late acknowledgement redelivers a task whose worker died; the pipeline counts its starts
    and stops a dataset that kills the worker every time (a poison message)."""
    pk = _validating_submission(lab_member, lab, "Poison")
    run = Submission.objects.get(pk=pk).pipeline_run
    Submission.objects.filter(pk=pk).update(pipeline_attempts=3)  # three starts already died
    pipeline.pipeline_run(pk, run)
    submission = Submission.objects.get(pk=pk)
    assert submission.state == S.DRAFT
    assert "started 3 times" in submission.last_error
    tried("sweeper", "poison message redelivered a 4th time", "abandoned with reason")


@pytest.mark.django_db
def test_resubmission_that_never_finishes_goes_back_to_changes_requested(lab_member, lab):
    pk = _validating_submission(lab_member, lab, "Round two")
    Submission.objects.filter(pk=pk).update(round=2)
    workflow.submission_validation_abandoned(submission_id=pk, error="worker lost")
    assert Submission.objects.get(pk=pk).state == S.CHANGES_REQUESTED


def test_beat_schedule_runs_the_sweeper_on_the_default_queue():
    entry = app.conf.beat_schedule["curation-sweep"]
    assert entry["task"] == "curation.sweep"
    assert entry["options"]["queue"] == "default"
    task = app.tasks[entry["task"]]
    # Celery refuses to send a task whose soft limit exceeds its hard limit (beat would fail).
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    hard = task.time_limit or app.conf.task_time_limit
    assert soft <= hard


# --- Redis restarted during work ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A private redis-server on a free port (never the shared one), restartable."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "yes", "--dir", str(self.dir),
             "--pidfile", str(self.dir / "redis.pid")],
            check=True, capture_output=True,
        )  # fmt: skip
        for _ in range(100):
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return done.stdout.strip() == "PONG"

    def stop(self):
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        for _ in range(100):
            if not self.ping():
                return
            time.sleep(0.05)


@contextlib.contextmanager
def broker(url: str):
    """Point this process's Celery app at another broker for a while."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options)

    def reset():
        # Producer and connection pools are cached per connection, app-wide and in kombu's
        # registry: drop them all so that the next publish connects to the current URL.
        kombu.pools.reset()
        if app._pool is not None:
            with contextlib.suppress(Exception):
                app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None

    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"visibility_timeout": 7200}
    reset()
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.broker_url, app.conf.broker_transport_options = saved
        reset()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"), reason="the Redis lane only (lane 2)"
)
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_redis_restart_during_work(tmp_path, lab_member, lab, v30_dataset):
    redis = OwnRedis(tmp_path)
    redis.start()
    api = Api(lab_member)
    try:
        with broker(redis.url):
            hold = ValidationHold(tmp_path / "hold")
            worker = start_worker(
                queues=QUEUES,
                concurrency=1,
                include=hold.MODULE,
                CELERY_BROKER_URL=redis.url,
                **hold.env,
            )
            try:
                wait_for_worker(worker, queues=QUEUES)
                running = submit_dataset(api, lab, v30_dataset, "Running at restart")
                hold.wait_started()
                redis.stop()  # mid-validation, for certain: it is held there
                down = submit_dataset(api, lab, v30_dataset, "Submitted while down")
                assert Submission.objects.get(pk=down).state == S.VALIDATING
                redis.start()
                hold.release()
                after = submit_dataset(api, lab, v30_dataset, "Submitted after restart")
                first = wait_until_settled(running)
                third = wait_until_settled(after)
                # The message of the one submitted while Redis was down never existed: the
                # sweeper finds it (here called at once instead of waiting for beat's schedule).
                later = timezone.now() + timedelta(hours=1)
                assert sweeper.pipelines_requeue(now=later) == [down]
                second = wait_until_settled(down)
                assert worker_answers("validation")
            finally:
                stop_worker(worker)
    finally:
        redis.stop()
    for submission in (first, second, third):
        assert submission.state == S.READY_FOR_REVIEW, submission.last_error
        assert submission.validation_outcome in GOOD
    tried(
        "faults",
        "Redis (own server) shut down mid-validation and restarted",
        "running job finished, job submitted while down recovered by the sweeper, later job ran",
    )


# --- PostgreSQL connections cut ----------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL lane only (lane 2)")
def test_postgres_connections_terminated_mid_validation(tmp_path, lab_member, lab, v30_dataset):
    """``pg_terminate_backend`` on every other connection to the test database, which is what a
    database restart looks like to the worker (the shared server itself is never restarted)."""
    with OtherWorkersPaused(QUEUES):
        hold = ValidationHold(tmp_path / "hold")
        worker = start_worker(queues=QUEUES, concurrency=1, include=hold.MODULE, **hold.env)
        try:
            wait_for_worker(worker, queues=QUEUES)
            api = Api(lab_member)
            pk = submit_dataset(api, lab, v30_dataset, "Database cut")
            hold.wait_started()
            terminated = 0
            for cut in range(3):  # the first cut while it is held mid-validation, then as it works
                if cut == 1:
                    hold.release()
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    terminated += cursor.fetchone()[0]
                time.sleep(0.3)
            submission = wait_until_settled(pk, timeout=120)
            assert worker_answers("validation")
        finally:
            stop_worker(worker)
    assert terminated >= 1
    assert submission.state == S.READY_FOR_REVIEW, submission.last_error
    assert submission.validation_outcome in GOOD, submission.last_error
    tried(
        "faults",
        f"pg_terminate_backend x3 mid-validation ({terminated} connections cut)",
        f"job resumed, ended {submission.state}",
    )


def _can_make_a_cluster() -> bool:
    import os
    from pathlib import Path

    has_initdb = shutil.which("initdb") or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return bool(has_initdb) and shutil.which("runuser") is not None and os.geteuid() == 0


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL lane only (lane 2)")
@pytest.mark.skipif(not _can_make_a_cluster(), reason="needs initdb and root (throwaway cluster)")
def test_real_postgres_restart_on_a_throwaway_cluster():
    """``bench/pg_restart.py``: a cluster of its own, restarted (and stopped 10 s) mid-validation."""
    done = subprocess.run(
        [sys.executable, "bench/pg_restart.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")},
    )
    lines = [line for line in done.stdout.splitlines() if "mid-validation" in line]
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert len(lines) == 2 and all("ready_for_review" in line for line in lines)
    for line in lines:
        tried(
            "faults",
            "real PostgreSQL (throwaway cluster) " + line.split(":")[0],
            line.split(": ", 1)[1],
        )
