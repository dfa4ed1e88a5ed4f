"""Celery tasks: thin wrappers that take ids and call services (see curation/services/)."""

from celery import shared_task


@shared_task(name="curation.run_pipeline", acks_late=True, max_retries=0)
def run_pipeline(submission_id: int, run_id: int) -> None:
    from curation.services.pipeline import pipeline_run

    pipeline_run(submission_id, run_id)


@shared_task(name="curation.sweep", acks_late=True)
def sweep() -> dict:
    from curation.services.sweeper import pipelines_requeue, uploads_expire

    return {"uploads_expired": uploads_expire(), "pipelines_requeued": pipelines_requeue()}
