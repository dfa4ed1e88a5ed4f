"""Celery tasks (queue ``hub``): thin wrappers around growth.services, idempotent, taking ids."""

from celery import shared_task
from django.db import transaction

from growth import services
from growth.models import IngestRun


@shared_task(name="growth.crawl_hub_daily", acks_late=True)
def crawl_hub_daily() -> int:
    """Beat entry point: get or create today's live snapshot and queue its crawl."""
    run = services.start_live_ingest()
    transaction.on_commit(lambda: run_hub_ingest.apply_async(args=[run.pk], queue="hub"))
    return run.pk


# A whole-Hub crawl takes hours. Each task fetches a bounded number of pages (the run checkpoints
# after every page) and queues its own continuation, so no task outlives its time limit or the
# broker's visibility timeout (2 h on Redis), after which an unacknowledged task is redelivered.
PAGES_PER_TASK = 200


@shared_task(
    name="growth.run_hub_ingest", acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60
)
def run_hub_ingest(run_id: int) -> str:
    """Crawl the next pages of one run; a finished run is left alone."""
    run = services.run_live_ingest(run_id, max_pages=PAGES_PER_TASK)
    if run.status == IngestRun.Status.RUNNING:
        run_hub_ingest.apply_async(args=[run_id], queue="hub")
    return run.status


@shared_task(name="growth.reaggregate", acks_late=True)
def reaggregate(snapshot_id: int | None = None) -> int:
    """Recompute growth aggregates and reuse metrics of one snapshot, or of all of them (after
    a rule or organization change): both read the same rules and the same classifier."""
    from growth.reuse.services import reuse_metrics_recompute

    if snapshot_id is not None:
        services.aggregate_snapshot(snapshot_id)
        reuse_metrics_recompute([snapshot_id])
        return 1
    count = services.reaggregate_all()
    reuse_metrics_recompute()
    return count


@shared_task(name="growth.scan_community", acks_late=True, time_limit=4 * 60 * 60)
def scan_community(snapshot_id: int, domain: str = "science") -> dict:
    """Read the commit histories behind the community projects (resumable: skips what is done)."""
    from growth.services.community import scan_contributors

    return scan_contributors(snapshot_id, domain)


@shared_task(name="growth.prune_history", acks_late=True)
def prune_history() -> dict:
    """Beat: keep the newest ``HUB_HISTORY_KEEP_DAYS`` days (default 400) of the history."""
    from django.conf import settings

    from growth.services.history import prune_history as prune

    removed = prune(int(getattr(settings, "HUB_HISTORY_KEEP_DAYS", 400)))
    return {kind: [d.isoformat() for d in days] for kind, days in removed.items()}


# The reuse metrics task (issue 6) lives in growth.reuse; importing it here registers it.
from growth.reuse.tasks import reuse_metrics_compute  # noqa: E402, F401
