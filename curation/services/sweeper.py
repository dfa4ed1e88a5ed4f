"""Housekeeping, safe to run at any time (``manage.py curation_sweep`` or the
``curation.sweep`` task, e.g. from Celery beat every few minutes):

- abandoned uploads (no chunk for ``UPLOAD_EXPIRY_HOURS``) are deleted with their part files;
- submissions stuck in *validating* (no progress for ``PIPELINE_STALE_MINUTES``, e.g. the broker
  lost the message or the worker was killed) get their pipeline queued again. The database row is
  the source of truth; the broker is only the wake-up call. After ``PIPELINE_MAX_ATTEMPTS`` starts
  or requeues the submission goes back to the lab with the reason instead (never "validating"
  forever).
"""

import contextlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from curation import conf
from curation.models import Submission, SubmissionState, UploadSession
from curation.services.uploads import part_path
from curation.services.workflow import (
    _start_pipeline,
    audit,
    submission_validation_abandoned,
)


def uploads_expire(now=None) -> int:
    cutoff = (now or timezone.now()) - timedelta(hours=conf.upload_expiry_hours())
    stale = UploadSession.objects.filter(completed_at__isnull=True, updated_at__lt=cutoff)
    count = 0
    for session in stale:
        with contextlib.suppress(FileNotFoundError):
            part_path(session).unlink()
        session.delete()
        count += 1
    return count


def pipelines_requeue(now=None) -> list[int]:
    cutoff = (now or timezone.now()) - timedelta(minutes=conf.pipeline_stale_minutes())
    requeued = []
    for pk in Submission.objects.filter(
        state=SubmissionState.VALIDATING, progress_updated_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            # Claim: only one sweeper (and no live pipeline) can move the run number on.
            submission = Submission.objects.select_for_update().get(pk=pk)
            if (
                submission.state != SubmissionState.VALIDATING
                or submission.progress_updated_at >= cutoff
            ):
                continue
            requeues = submission.audit_events.filter(
                action="pipeline_requeued", created_at__gte=submission.submitted_at or cutoff
            ).count()
            tries = max(submission.pipeline_attempts, requeues + 1)
            if tries >= conf.pipeline_max_attempts():
                submission_validation_abandoned(
                    submission_id=pk,
                    error=(
                        f"validation did not finish after {tries} attempt(s): its worker stopped "
                        f"or made no progress for {conf.pipeline_stale_minutes():g} minute(s) "
                        "each time. Submit again; if it happens again, ask an administrator to "
                        "check the workers."
                    ),
                )
                continue
            submission.pipeline_run += 1
            submission.progress_step = "queued again"
            submission.progress_updated_at = timezone.now()
            submission.save(update_fields=["pipeline_run", "progress_step", "progress_updated_at"])
            audit(submission, actor=None, action="pipeline_requeued", run=submission.pipeline_run)
            _start_pipeline(submission)
            requeued.append(pk)
    return requeued
