"""Queue routing with one worker per queue, as a deployment runs them (platform/DEPLOY.md).

The session's shared worker consumes every queue, so a task routed to the wrong queue would still
run there and no other test would notice. Here each queue gets its own worker process, the shared
worker is paused, and every kind of task is sent the way the platform sends it (its name decides
the queue, ``config.celery.task_routes``). Each task must be received by its queue's worker only.
"""

import time

import pytest

from config.celery import QUEUES
from tests.conftest import start_worker, stop_worker, wait_for_worker
from tests.reliability.conftest import OtherWorkersPaused

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

# A hang guard, not a speed requirement: a loaded machine takes long, a broken route never ends.
HANG_GUARD_S = 180


def send_one_of_each():
    """One real task per queue, sent without naming a queue. Their ids point at nothing, so each
    runs to its "nothing to do" end without side effects."""
    from curation.inference.tasks import run_inference_check
    from curation.tasks import run_pipeline, sweep
    from growth.tasks import reaggregate

    return {
        "validation": ("curation.run_pipeline", run_pipeline.delay(987_654, 1).id),
        "inference": ("curation.inference.run_check", run_inference_check.delay(987_654).id),
        "hub": ("growth.reaggregate", reaggregate.delay().id),
        "default": ("curation.sweep", sweep.delay().id),
    }


def logs_of(workers) -> dict[str, str]:
    return {queue: w.log_path.read_text(errors="replace") for queue, w in workers.items()}


def wait_until_all_ran(workers, sent) -> dict[str, str]:
    """Until every sent task has finished on some worker; then every worker's log."""
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        logs = logs_of(workers)
        if all(
            any(f"Task {name}[{task_id}] succeeded" in log for log in logs.values())
            for name, task_id in sent.values()
        ):
            return logs
        for queue, worker in workers.items():
            if worker.poll() is not None:
                raise AssertionError(f"the {queue} worker exited:\n{logs[queue][-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"hang: not every task ran within {HANG_GUARD_S} s: {sent}")


def test_each_task_reaches_only_the_worker_of_its_queue():
    with OtherWorkersPaused(queues=QUEUES):
        workers = {queue: start_worker(queues=(queue,), concurrency=1) for queue in QUEUES}
        try:
            for queue, worker in workers.items():
                wait_for_worker(worker, queues=(queue,))
            sent = send_one_of_each()
            logs = wait_until_all_ran(workers, sent)
            for queue, (name, task_id) in sent.items():
                received_by = [other for other, log in logs.items() if task_id in log]
                assert received_by == [queue], f"{name} was received by the {received_by} workers"
                assert f"Task {name}[{task_id}] received" in logs[queue]
        finally:
            for worker in workers.values():
                stop_worker(worker)
