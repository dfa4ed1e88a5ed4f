"""The sweeper: finds validations that stopped making progress and sends them again.

Late acknowledgement brings a task back when its worker process dies, but not in every case: a
whole worker killed on Redis leaves the message invisible until the broker's visibility timeout
(hours), the filesystem broker has no redelivery at all, a message published while the broker was
down is simply not there, and a hung run never ends. So the database, not the broker, is the
source of truth: a submission "validating" whose last sign of life (``progress_at``, written by
every progress report) is older than ``PIPELINE_STALE_AFTER_S`` is requeued under a new run number
(the old run, if it is still alive somewhere, becomes stale and its result is dropped). After
``PIPELINE_MAX_ATTEMPTS`` starts or requeues the submission goes back to the lab with a clear
error instead: never lost, never "validating" forever.

Runs every ``PIPELINE_SWEEP_INTERVAL_S`` from Celery beat (``curation.sweep_stuck_validations``
on the ``default`` queue).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from curation import conf
from curation.models import AuditEvent, Submission, SubmissionState
from curation.services import workflow

logger = logging.getLogger(__name__)
REQUEUE_ACTION = "pipeline_requeued"


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"requeued": self.requeued, "abandoned": self.abandoned}


def stuck_submissions(*, stale_after_s: float | None = None, now=None):
    """Validating submissions with no sign of life for ``stale_after_s`` seconds."""
    now = now or timezone.now()
    cutoff = now - timedelta(
        seconds=conf.pipeline_stale_after_s() if stale_after_s is None else stale_after_s
    )
    return Submission.objects.filter(state=SubmissionState.VALIDATING).filter(
        Q(progress_at__lt=cutoff) | Q(progress_at__isnull=True, state_changed_at__lt=cutoff)
    )


def _requeues_since_submit(submission: Submission) -> int:
    events = AuditEvent.objects.filter(submission=submission, action=REQUEUE_ACTION)
    if submission.submitted_at:
        events = events.filter(created_at__gte=submission.submitted_at)
    return events.count()


def sweep_stuck_validations(
    *, stale_after_s: float | None = None, max_attempts: int | None = None
) -> SweepResult:
    max_attempts = conf.pipeline_max_attempts() if max_attempts is None else max_attempts
    result = SweepResult()
    for submission_id in stuck_submissions(stale_after_s=stale_after_s).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            # Lock, then check again: another sweeper or the run itself may have moved it on.
            submission = (
                stuck_submissions(stale_after_s=stale_after_s)
                .select_for_update(skip_locked=True)
                .filter(pk=submission_id)
                .first()
            )
            if submission is None:
                continue
            requeues = _requeues_since_submit(submission)
            tries = max(submission.pipeline_attempts, requeues + 1)
            if tries >= max_attempts:
                workflow.submission_validation_abandoned(
                    submission_id=submission.pk,
                    error=(
                        f"validation did not finish after {tries} attempt(s): its worker stopped "
                        f"or made no progress for {_minutes(stale_after_s)} each time. Submit "
                        "again; if it happens again, ask an administrator to check the workers."
                    ),
                )
                result.abandoned.append(submission.pk)
                logger.warning(
                    "sweeper: abandoned submission %s after %s tries", submission.pk, tries
                )
                continue
            old_run = submission.pipeline_run
            submission.pipeline_run += 1
            submission.progress_at = timezone.now()
            submission.progress_step = "requeued"
            submission.save(update_fields=["pipeline_run", "progress_at", "progress_step"])
            workflow.audit(
                submission,
                actor=None,
                action=REQUEUE_ACTION,
                old_state=submission.state,
                new_state=submission.state,
                reason="no progress from the validation worker",
                stale_run=old_run,
                run=submission.pipeline_run,
                attempt=tries + 1,
            )
            workflow.start_pipeline(submission)
            result.requeued.append(submission.pk)
            logger.warning(
                "sweeper: requeued submission %s (run %s -> %s)",
                submission.pk,
                old_run,
                submission.pipeline_run,
            )
    return result


def _minutes(stale_after_s: float | None) -> str:
    seconds = conf.pipeline_stale_after_s() if stale_after_s is None else stale_after_s
    return f"{seconds / 60:g} minute(s)"
