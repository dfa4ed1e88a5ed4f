"""Celery tasks: thin wrappers that take ids and call services (see curation/services/)."""

from celery import shared_task


@shared_task(name="curation.run_pipeline", acks_late=True, max_retries=0)
def run_pipeline(submission_id: int, run_id: int) -> None:
    from curation.services.pipeline import pipeline_run

    pipeline_run(submission_id, run_id)
