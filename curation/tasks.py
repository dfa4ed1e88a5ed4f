"""Celery tasks: thin wrappers that take ids and call services (see curation/services/)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="curation.run_pipeline",
    acks_late=True,
    # A database or broker outage before the report is saved: run again later (the task is
    # idempotent, keyed on the run number). Anything else is the sweeper's to find.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def run_pipeline(submission_id: int, run_id: int) -> None:
    from curation.services.pipeline import pipeline_run

    pipeline_run(submission_id, run_id)


@shared_task(
    name="curation.sweep_stuck_validations",
    acks_late=True,
    max_retries=0,
    time_limit=300,
    soft_time_limit=240,
)
def sweep_stuck_validations() -> dict:
    """Periodic (Celery beat, ``default`` queue): requeue or abandon validations with no progress."""
    from curation.services.sweeper import sweep_stuck_validations as sweep

    return sweep().as_dict()
