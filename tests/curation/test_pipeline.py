"""The real pipeline: a Celery worker process unpacks, validates (``validators.validate``) and
reports, on lane 1's filesystem broker and lane 2's Redis alike."""

import shutil
import time

import pytest
from django.db import transaction

from curation.models import DatasetIndex, Submission, ValidationOutcome
from curation.models import SubmissionState as S
from curation.services import workflow
from tests.curation.test_uploads import upload_whole, zip_of_folder

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def wait_until_validated(submission_id: int, timeout: float = 120) -> Submission:
    deadline = time.monotonic() + timeout
    seen_steps = set()
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=submission_id)
        seen_steps.add(submission.progress_step)
        if submission.state != S.VALIDATING:
            submission.seen_steps = seen_steps
            return submission
        time.sleep(0.2)
    raise AssertionError(f"still validating after {timeout}s: {submission.progress_step}")


def submit(submission, user):
    with transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=user)


def test_uploaded_archive_is_validated_by_the_worker_and_can_be_published(
    celery_worker, lab_member, lab, curator, tmp_path, v30_dataset
):
    from curation.visualizer.store import ROOT, _delete_tree, load_index

    _delete_tree(ROOT)  # submission ids restart with each test database
    submission = workflow.submission_create(
        user=lab_member, lab=lab, title="Pick and place", domain="manipulation"
    )
    upload_whole(
        submission, lab_member, zip_of_folder(v30_dataset, tmp_path / "ds.zip"), kind="archive"
    )
    submit(submission, lab_member)
    submission = wait_until_validated(submission.pk)
    assert submission.state == S.READY_FOR_REVIEW, submission.last_error
    assert submission.validation_outcome in (ValidationOutcome.PASSED, ValidationOutcome.WARNINGS)
    assert submission.report["summary"]["episodes"] == 2
    assert submission.report["summary"]["robot_type"] == "so101_follower"
    assert submission.progress_step == "done"
    workflow.submission_approve(submission_id=submission.pk, user=curator)
    row = DatasetIndex.objects.get(submission=submission)
    assert row.card_line.startswith("2 episodes · 10 fps · 1 camera 64×48")  # noqa: RUF001
    assert [c.name for c in row.cameras.all()] == ["front"]
    # The worker then builds the episode visualizer's data of the version (its own task).
    deadline = time.monotonic() + 120
    while load_index(submission.pk) is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [e["episode"] for e in load_index(submission.pk)["episodes"]] == [0, 1]


def test_broken_dataset_gets_errors_with_locations_and_cannot_be_approved(
    celery_worker, lab_member, lab, curator, tmp_path, v30_dataset
):
    broken = tmp_path / "broken"
    shutil.copytree(v30_dataset, broken)
    (broken / "data" / "chunk-000" / "file-000.parquet").write_bytes(b"not a parquet file")
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Broken")
    upload_whole(submission, lab_member, zip_of_folder(broken, tmp_path / "b.zip"), kind="archive")
    submit(submission, lab_member)
    submission = wait_until_validated(submission.pk)
    assert submission.state == S.RETURNED  # back to the lab, not to the curators
    assert submission.validation_outcome == ValidationOutcome.FAILED
    errors = [f for f in submission.report["findings"] if f["severity"] == "error"]
    assert errors and any("data/chunk-000/file-000.parquet" in str(f["location"]) for f in errors)
    with pytest.raises(workflow.WorkflowError, match="validation errors cannot be approved"):
        workflow.submission_approve(submission_id=submission.pk, user=curator)


def test_unsafe_archive_comes_back_to_the_lab_with_the_reason(
    celery_worker, lab_member, lab, tmp_path
):
    import zipfile

    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta/info.json", "{}")
        archive.writestr("../../etc/cron.d/x", "boom")
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Evil")
    upload_whole(submission, lab_member, path, kind="archive")
    submit(submission, lab_member)
    submission = wait_until_validated(submission.pk)
    assert submission.state == S.DRAFT
    assert "'..' is not allowed" in submission.last_error


def test_failed_validation_fix_resubmit_and_approve(
    celery_worker, lab_member, lab, curator, tmp_path, v30_dataset
):
    """The whole way back from a failed validation: it returns to the lab (never the curators'
    queue) and approval is refused; the lab uploads the repaired file and resubmits, the worker
    validates again, and the curator approves."""
    broken_rel = "data/chunk-000/file-000.parquet"
    broken = tmp_path / "broken"
    shutil.copytree(v30_dataset, broken)
    (broken / broken_rel).write_bytes(b"not a parquet file")
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Fixed later")
    upload_whole(submission, lab_member, zip_of_folder(broken, tmp_path / "b.zip"), kind="archive")
    submit(submission, lab_member)

    failed = wait_until_validated(submission.pk)
    assert (failed.state, failed.validation_outcome) == (S.RETURNED, ValidationOutcome.FAILED)
    assert failed.error_count > 0
    with pytest.raises(workflow.WorkflowError, match="validation errors cannot be approved"):
        workflow.submission_approve(submission_id=submission.pk, user=curator)

    # The lab replaces the one damaged file and resubmits; the worker validates round 2.
    fixed = tmp_path / "file-000.parquet"
    shutil.copyfile(v30_dataset / broken_rel, fixed)
    upload_whole(submission, lab_member, fixed, kind="file", name=broken_rel)
    with transaction.atomic():
        workflow.submission_resubmit(submission_id=submission.pk, user=lab_member)
    passed = wait_until_validated(submission.pk)
    assert passed.state == S.RESUBMITTED, passed.last_error
    assert passed.validation_outcome in (ValidationOutcome.PASSED, ValidationOutcome.WARNINGS)
    assert passed.error_count == 0 and passed.round == 2

    workflow.submission_claim(submission_id=submission.pk, user=curator)
    approved = workflow.submission_approve(submission_id=submission.pk, user=curator)
    assert approved.state == S.APPROVED
    assert DatasetIndex.objects.filter(submission=submission).exists()
    transitions = list(
        submission.audit_events.exclude(new_state="").values_list("action", "new_state")
    )
    assert transitions == [
        ("create", S.DRAFT),
        ("submit", S.VALIDATING),
        ("validation_finished", S.RETURNED),
        ("resubmit", S.VALIDATING),
        ("validation_finished", S.RESUBMITTED),
        ("claim", S.IN_REVIEW),
        ("approve", S.APPROVED),
    ]
