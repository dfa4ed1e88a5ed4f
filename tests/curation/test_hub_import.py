"""Registering a dataset from a Hub repo id: the real ``snapshot_download`` against a local stub
of the Hub's endpoints (``tests/hub_files_stub.py``), reached through HF_ENDPOINT."""

import pytest

from curation.models import SubmissionState
from curation.services import uploads, workflow
from tests.curation.test_uploads import submit_and_run
from tests.hub_files_stub import HubFilesStub

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(v30_dataset, monkeypatch):
    from huggingface_hub import constants

    with HubFilesStub({"manipulation-lab/pick-place": v30_dataset}) as stub:
        monkeypatch.setenv("HF_ENDPOINT", stub.url)
        # tests/conftest.py keeps the test process offline; this test talks to the local stub.
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        yield stub


def test_import_from_a_hub_repo_id(hub, lab_member, lab, v30_dataset):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="From the Hub")
    uploads.submission_set_source(
        submission=submission, user=lab_member, source="hub", ref="manipulation-lab/pick-place"
    )
    submit_and_run(submission, lab_member)
    expected = sorted(
        p.relative_to(v30_dataset).as_posix() for p in v30_dataset.rglob("*") if p.is_file()
    )
    assert sorted(submission.files.values_list("path", flat=True)) == expected
    assert any(r.startswith("GET /api/datasets/manipulation-lab/pick-place") for r in hub.requests)
    assert any("/resolve/" in r for r in hub.requests)


def test_unknown_repo_is_a_clear_error(hub, lab_member, lab):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Missing")
    uploads.submission_set_source(
        submission=submission, user=lab_member, source="hub", ref="manipulation-lab/does-not-exist"
    )
    submit_and_run(submission, lab_member)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DRAFT
    assert "could not download manipulation-lab/does-not-exist" in submission.last_error


def test_repo_id_is_checked(lab_member, lab):
    submission = workflow.submission_create(user=lab_member, lab=lab, title="Bad id")
    with pytest.raises(uploads.UploadError, match="not a Hub dataset repo id"):
        uploads.submission_set_source(
            submission=submission, user=lab_member, source="hub", ref="no slash here"
        )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_from_a_hub_repo_id_runs_on_a_worker(v30_dataset, lab_member, lab):
    """The way production does it: submitting queues the pipeline, and a worker process (its own
    environment, pointed at the Hub stand-in) downloads, ingests and validates the repo."""
    import time

    from django.db import transaction

    from curation import conf
    from curation.models import ValidationOutcome
    from tests.conftest import start_worker, stop_worker, wait_for_worker
    from tests.reliability.conftest import OtherWorkersPaused

    queues = ("validation", "default")
    with (
        HubFilesStub({"manipulation-lab/pick-place": v30_dataset}) as stub,
        OtherWorkersPaused(queues=queues),
    ):
        worker = start_worker(queues=queues, HF_ENDPOINT=stub.url, HF_HUB_OFFLINE="0")
        try:
            wait_for_worker(worker, queues=queues)
            submission = workflow.submission_create(user=lab_member, lab=lab, title="Hub worker")
            uploads.submission_set_source(
                submission=submission,
                user=lab_member,
                source="hub",
                ref="manipulation-lab/pick-place",
            )
            with transaction.atomic():  # the pipeline message is sent on commit
                workflow.submission_submit(submission_id=submission.pk, user=lab_member)
            deadline = time.monotonic() + 240  # a hang guard, not a speed requirement
            while time.monotonic() < deadline:
                submission.refresh_from_db()
                if submission.state != SubmissionState.VALIDATING:
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"hang: still validating ({submission.progress_step})")
        finally:
            stop_worker(worker)
    assert submission.state == SubmissionState.READY_FOR_REVIEW, submission.last_error
    assert submission.validation_outcome in (ValidationOutcome.PASSED, ValidationOutcome.WARNINGS)
    expected = sorted(
        p.relative_to(v30_dataset).as_posix() for p in v30_dataset.rglob("*") if p.is_file()
    )
    assert sorted(submission.files.values_list("path", flat=True)) == expected
    assert submission.report["summary"]["episodes"] == 2
    # The worker, not this process (which is offline), fetched every file from the stand-in.
    prefix = "GET /datasets/manipulation-lab/pick-place/resolve/"
    fetched = {r[len(prefix) :].split("/", 1)[1] for r in stub.requests if r.startswith(prefix)}
    assert fetched == set(expected)
    # The download folder is removed once ingested.
    assert not list((conf.work_root() / "hub").glob("manipulation-lab__pick-place-*"))
