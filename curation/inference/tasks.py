"""The Celery task: thin, takes a run id, idempotent (a finished run is left alone)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from curation.inference import services

SOFT_TIME_LIMIT = int(getattr(settings, "INFERENCE_SOFT_TIME_LIMIT", 30 * 60))
TIME_LIMIT = SOFT_TIME_LIMIT + 60


@shared_task(
    name="curation.inference.run_check",
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
    acks_late=True,
)
def run_inference_check(run_id: int) -> None:
    # Two guards: the check stops itself between calls once past the limit, and Celery's soft
    # limit interrupts whatever runs (a library that swallows exceptions may absorb that one).
    try:
        services.inference_run_execute(
            run_id, reraise=(SoftTimeLimitExceeded,), time_limit_s=SOFT_TIME_LIMIT
        )
    except SoftTimeLimitExceeded:
        services.inference_run_mark_failed(
            run_id, f"the check ran past its time limit of {SOFT_TIME_LIMIT} s and was stopped"
        )
