"""The live crawl of the Hub into a dated snapshot: resumable, checkpointed after every page."""

import logging
import os
import time
from collections.abc import Callable
from datetime import date

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from growth import hub_client
from growth.core.snapshot import SNAPSHOT_SCHEMA
from growth.models import HubRepo, IngestRun, Snapshot

from .aggregates import aggregate_snapshot
from .history import record_history
from .repo_rows import _db_columns, snapshot_table

log = logging.getLogger(__name__)

MALFORMED_SAMPLE_SIZE = 100


def hub_endpoint() -> str:
    """Where to crawl: ``GROWTH_HUB_ENDPOINT`` setting, else ``HF_ENDPOINT``, else the Hub."""
    return (
        getattr(settings, "GROWTH_HUB_ENDPOINT", None)
        or os.environ.get("HF_ENDPOINT")
        or "https://huggingface.co"
    )


def start_live_ingest(taken_on: date | None = None, endpoint: str | None = None) -> IngestRun:
    """Get or create today's live crawl (idempotent: one live snapshot per day)."""
    taken_on = taken_on or timezone.now().date()
    endpoint = endpoint or hub_endpoint()
    with transaction.atomic():
        snapshot, _ = Snapshot.objects.get_or_create(
            taken_on=taken_on,
            source=Snapshot.Source.LIVE,
            defaults={"simulated": False, "label": endpoint},
        )
        run, _ = IngestRun.objects.get_or_create(snapshot=snapshot, defaults={"endpoint": endpoint})
    return run


def run_live_ingest(
    run_id: int, sleep: Callable[[float], None] = time.sleep, max_pages: int | None = None
) -> IngestRun:
    """Crawl (or continue crawling) the Hub into the run's snapshot, then aggregate it.

    Progress is checkpointed after every page, in the transaction that stores the page's rows.
    ``max_pages`` stops after that many pages (the run stays resumable); used by tests and to
    bound a manual run.
    """
    run = IngestRun.objects.select_related("snapshot").get(pk=run_id)
    if run.status == IngestRun.Status.DONE:
        return run
    run.status = IngestRun.Status.RUNNING
    run.attempts += 1
    run.started_at = run.started_at or timezone.now()
    run.error = ""
    run.save(update_fields=["status", "attempts", "started_at", "error"])
    token = os.environ.get("HF_TOKEN") or None
    pages = 0
    try:
        for repo_type in ("dataset", "model"):
            state = run.progress.get(repo_type, {"next_url": None, "rows": 0, "done": False})
            if state["done"]:
                continue
            for page in hub_client.crawl(
                run.endpoint,
                repo_type,
                run.snapshot.taken_on,
                start_url=state["next_url"],
                start_position=state["rows"],
                token=token,
                sleep=sleep,
            ):
                state = {
                    "next_url": page.next_url,
                    "rows": state["rows"] + len(page.rows) + len(page.malformed),
                    "done": page.next_url is None,
                }
                _store_page(run, repo_type, page, state)
                pages += 1
                if max_pages is not None and pages >= max_pages and not state["done"]:
                    return run
            if not state["done"]:  # an empty listing ends without a page
                state["done"] = True
                _store_page(run, repo_type, hub_client.Page("", None, []), state)
    except Exception as exc:
        IngestRun.objects.filter(pk=run.pk).update(
            status=IngestRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    aggregate_snapshot(run.snapshot_id)
    record_history(run.snapshot, snapshot_table(run.snapshot_id))
    from growth.reuse.services import reuse_metrics_schedule

    reuse_metrics_schedule(snapshot_id=run.snapshot_id)
    run.snapshot.refresh_from_db()
    run.status = IngestRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


@transaction.atomic
def _store_page(run: IngestRun, repo_type: str, page: hub_client.Page, state: dict) -> None:
    if page.rows:
        table = pa.Table.from_pylist(page.rows, schema=SNAPSHOT_SCHEMA)
        rows = _db_columns(run.snapshot_id, table).to_pylist()
        HubRepo.objects.bulk_create([HubRepo(**row) for row in rows], ignore_conflicts=True)
    run.progress = {**run.progress, repo_type: state}
    if page.malformed:
        for item in page.malformed:
            log.warning("malformed %s row at %s (%s): %s", repo_type, item["position"],
                        item["id"], item["error"])  # fmt: skip
        room = MALFORMED_SAMPLE_SIZE - len(run.malformed_sample)
        run.malformed_sample = run.malformed_sample + [
            {"repo_type": repo_type, **item} for item in page.malformed[: max(room, 0)]
        ]
        run.malformed_count += len(page.malformed)
    run.save(update_fields=["progress", "malformed_sample", "malformed_count"])
