"""Publishing a real dataset folder through the real services (upload, validation report from the
real validator, approval), for tests of what leaves the platform."""

from pathlib import Path

from django.db import transaction

from curation.services import storage, workflow


def add_folder(submission, folder: Path) -> None:
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            relative = path.relative_to(folder).as_posix()
            storage.submission_file_set(submission, relative, storage.blob_from_path(path))


def submit_with_real_report(submission, user, folder: Path):
    """Submit, then finish validation with the real validator's report on ``folder``: this helper
    plays the pipeline, so the pipeline message is not sent (a session worker would race it)."""
    from unittest import mock

    from validators import validate

    with (
        mock.patch("curation.tasks.run_pipeline.apply_async") as queued,
        transaction.atomic(),
    ):
        workflow.submission_submit(submission_id=submission.pk, user=user)
    assert queued.call_count <= 1
    report = validate(folder, workers=1).to_dict()
    return workflow.submission_validation_finished(submission_id=submission.pk, report=report)


def publish_folder(folder: Path, *, lab, by, curator, title: str):
    submission = workflow.submission_create(user=by, lab=lab, title=title)
    add_folder(submission, folder)
    submit_with_real_report(submission, by, folder)
    return workflow.submission_approve(submission_id=submission.pk, user=curator)


def draft_from_folder(folder: Path, *, lab, by, title: str):
    submission = workflow.submission_create(user=by, lab=lab, title=title)
    add_folder(submission, folder)
    return submission
