"""Celery task: compute and store the reuse metrics of a snapshot, on the ``hub`` queue.

Queue it with ``services.reuse_metrics_schedule`` (which names the queue), or route
``growth.*`` tasks to ``hub`` in ``task_routes``.
"""

import datetime as dt
import logging

from celery import shared_task

from growth.core.reuse.compute import UnknownDomain
from growth.core.snapshot import SnapshotError

from .services import reuse_metrics_store_file, reuse_metrics_store_snapshot

logger = logging.getLogger(__name__)

QUEUE = "hub"


@shared_task(name="growth.reuse_metrics_compute", ignore_result=False)
def reuse_metrics_compute(
    path: str | None = None,
    snapshot_date: str | None = None,
    all_dates: bool = False,
    snapshot_id: int | None = None,
) -> dict:
    """Idempotent: storing a date again replaces its rows. Unusable input is logged and
    reported in the result, never retried (it would fail the same way)."""
    try:
        if snapshot_id is not None:
            stored = reuse_metrics_store_snapshot(snapshot_id)
        else:
            date = dt.date.fromisoformat(snapshot_date) if snapshot_date else None
            stored = reuse_metrics_store_file(path, date, all_dates=all_dates)
    except (SnapshotError, UnknownDomain, ValueError) as exc:
        logger.error("reuse metrics not computed (path=%s, date=%s): %s", path, snapshot_date, exc)
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "stored": [d.isoformat() for d in stored]}
