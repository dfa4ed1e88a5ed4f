"""Celery tasks: thin wrappers that take ids and call services (see curation/services/)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="curation.run_pipeline",
    acks_late=True,
    # A database outage before the report is saved: run again later (the task is idempotent,
    # keyed on the run number). Anything else is the sweeper's to find.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def run_pipeline(submission_id: int, run_id: int) -> None:
    from curation.services.pipeline import pipeline_run

    pipeline_run(submission_id, run_id)


# Beat sends it every PIPELINE_SWEEP_INTERVAL_S (config/celery.py); its own limits, since Celery
# refuses a task whose soft limit (the global 55 min) exceeds its hard one.
@shared_task(name="curation.sweep", acks_late=True, time_limit=300, soft_time_limit=240)
def sweep() -> dict:
    from curation.services.quotas import blobs_collect
    from curation.services.sweeper import pipelines_requeue, uploads_expire

    return {
        "uploads_expired": uploads_expire(),
        "pipelines_requeued": pipelines_requeue(),
        "blobs_collected": blobs_collect(),
    }


@shared_task(
    name="curation.send_decision_email",
    acks_late=True,
    # Mail server down or refusing: try again later, about 1 min, 2, 4 ... up to an hour apart,
    # then give up with the error in the worker's log (the decision itself stands).
    autoretry_for=(Exception,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
    time_limit=120,
    soft_time_limit=90,
)
def send_decision_email(submission_id: int, decision: str, reason: str) -> None:
    from curation.services.workflow import decision_email_send

    decision_email_send(submission_id, decision, reason)


# The episode visualizer's data (series, flags, stats, frames) of a validated version. Queued by
# the pipeline once the report is saved, so the lab sees its report without waiting for it.
@shared_task(
    name="curation.build_visualizer", acks_late=True, time_limit=3600, soft_time_limit=3300
)
def build_visualizer(submission_id: int) -> int:
    from curation.visualizer.store import submission_index

    return len(submission_index(submission_id).get("episodes") or [])


@shared_task(
    name="curation.push_to_hub",
    acks_late=True,
    # The Hub or the network down: try again with backoff; each failure is shown on the page.
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=6,
)
def push_to_hub(submission_id: int) -> str | None:
    from curation.services.hub_push import hub_push_run

    return hub_push_run(submission_id)
