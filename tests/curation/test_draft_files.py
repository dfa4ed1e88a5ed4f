"""A draft's files: an archive that failed to unpack is shown by name with its reason, and can be
removed so the next submit does not fail on it again."""

import io

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from curation.models import AuditEvent
from curation.models import SubmissionState as S
from curation.services import uploads, workflow
from curation.services.pipeline import pipeline_run

pytestmark = pytest.mark.django_db


def upload_archive(submission, user, name: str, content: bytes):
    session = uploads.upload_start(
        submission=submission, user=user, kind="archive", path=name, size=len(content)
    )
    uploads.upload_append(
        token=session.token, user=user, offset=0, stream=io.BytesIO(content), length=len(content)
    )


def submit_and_process(submission, user):
    with transaction.atomic():
        submitted = workflow.submission_submit(submission_id=submission.pk, user=user)
    pipeline_run(submission.pk, submitted.pipeline_run)  # what the worker does, in this process
    submission.refresh_from_db()
    return submission


def test_failed_archive_is_named_and_can_be_removed(draft, lab_member):
    upload_archive(draft, lab_member, "recording-day-3.zip", b"this is not a zip file at all")
    draft = submit_and_process(draft, lab_member)
    assert draft.state == S.DRAFT and draft.last_error
    client = Client()
    client.force_login(lab_member)
    page = client.get(reverse("curation:submission", args=[draft.pk])).content.decode()
    assert 'id="failed-archive"' in page and "recording-day-3.zip" in page
    assert draft.pending_archive not in page  # the server path is never shown
    response = client.post(reverse("curation:submission_remove_archive", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.pending_archive == "" and draft.last_error == ""
    assert AuditEvent.objects.filter(
        submission=draft, action="remove_archive", extra__path="recording-day-3.zip"
    ).exists()
    # The next submit is about the files again, not the removed archive.
    with transaction.atomic():
        workflow.submission_submit(submission_id=draft.pk, user=lab_member)
    draft.refresh_from_db()
    assert draft.state == S.VALIDATING and not draft.pending_archive


def test_only_the_lab_removes_an_archive(draft, lab_member, other_lab_member, curator):
    upload_archive(draft, lab_member, "a.zip", b"PK")
    for user in (other_lab_member, curator):
        with pytest.raises(workflow.WorkflowError):
            uploads.submission_remove_archive(submission=draft, user=user)
    draft.refresh_from_db()
    assert draft.pending_archive


def test_pipeline_advice_names_the_dataset_not_the_work_folder(lab_member, lab, tmp_path):
    """A v2.1 upload: the conversion command names the lab's copy by the dataset's slug."""
    from tests.curation.publishing import add_folder
    from validators.synthetic import make_v21_dataset

    folder = make_v21_dataset(tmp_path / "old_recording")
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Old recording")
    add_folder(submission, folder)
    submission = submit_and_process(submission, lab_member)
    [outdated] = [f for f in submission.report["findings"] if f["code"] == "version.outdated"]
    assert f"--root={submission.dataset.slug}" in outdated["message"]
    assert "submission-" not in outdated["message"] and "/curation/work" not in outdated["message"]


def test_a_whole_folder_can_be_removed_from_a_draft(draft, lab_member):
    from tests.curation.conftest import add_file

    for i in range(3):
        add_file(draft, lab_member, path=f"data/chunk-001/file-00{i}.parquet", content=b"x%d" % i)
    add_file(draft, lab_member, path="data/chunk-000/file-000.parquet", content=b"keep")
    client = Client()
    client.force_login(lab_member)
    page = client.get(reverse("curation:submission", args=[draft.pk])).content.decode()
    assert "<code>data/chunk-001/</code>" in page and "remove folder" in page
    client.post(
        reverse("curation:submission_remove_file", args=[draft.pk]), {"path": "data/chunk-001"}
    )
    paths = set(draft.files.values_list("path", flat=True))
    assert paths == {"meta/info.json", "data/chunk-000/file-000.parquet"}
    assert AuditEvent.objects.get(submission=draft, action="remove_file").extra["files"] == 3
