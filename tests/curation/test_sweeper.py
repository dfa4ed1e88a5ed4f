"""Housekeeping: abandoned uploads go away; a validation whose message was lost is queued again."""

import io
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from curation.models import Submission, SubmissionState, UploadSession
from curation.services import sweeper, uploads, workflow

pytestmark = pytest.mark.django_db


def test_abandoned_upload_is_removed_with_its_part_file(draft, lab_member):
    session = uploads.upload_start(
        submission=draft, user=lab_member, kind="file", path="README.md", size=100
    )
    uploads.upload_append(
        token=session.token, user=lab_member, offset=0, stream=io.BytesIO(b"x" * 10), length=10
    )
    part = uploads.part_path(session)
    assert part.exists()
    assert sweeper.uploads_expire() == 0  # fresh: kept
    UploadSession.objects.filter(pk=session.pk).update(
        updated_at=timezone.now() - timedelta(days=4)
    )
    assert sweeper.uploads_expire() == 1
    assert not part.exists()
    assert not UploadSession.objects.filter(pk=session.pk).exists()


def test_stuck_validation_is_queued_again_once(
    draft, lab_member, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        workflow.submission_submit(submission_id=draft.pk, user=lab_member)
    run = Submission.objects.get(pk=draft.pk).pipeline_run
    assert sweeper.pipelines_requeue() == []  # it is making progress
    Submission.objects.filter(pk=draft.pk).update(
        progress_updated_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert sweeper.pipelines_requeue() == [draft.pk]
    assert len(callbacks) == 1  # one message, sent on commit
    s = Submission.objects.get(pk=draft.pk)
    assert s.pipeline_run == run + 1 and s.state == SubmissionState.VALIDATING
    assert s.audit_events.filter(action="pipeline_requeued").count() == 1
    assert sweeper.pipelines_requeue() == []  # claimed: a second sweep does nothing
