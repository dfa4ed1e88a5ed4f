"""Push to the Hub on approval (optional per lab), with huggingface_hub's upload API against the
local stand-in of the Hub's write endpoints (``tests/hub_write_stub.py``)."""

import pytest
from django.test import Client
from django.urls import reverse

from curation.services import workflow
from curation.services.hub_push import hub_push_run
from tests.curation.conftest import add_file, to_ready
from tests.hub_write_stub import HubWriteStub

pytestmark = pytest.mark.django_db

TOKEN = "hf_lab_write_token_0123456789"


@pytest.fixture
def pushing_lab(lab):
    lab.hub_push, lab.hub_organization, lab.hub_token = True, "robot-lab-org", TOKEN
    lab.save()
    return lab


@pytest.fixture
def online(monkeypatch):
    from huggingface_hub import constants

    # tests/conftest.py keeps the test process offline; these tests talk to a local stand-in.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def approved(draft, lab_member, curator, django_capture_on_commit_callbacks):
    add_file(draft, lab_member, path="README.md", content=b"# Pick and place\n")
    to_ready(draft, lab_member)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = workflow.submission_approve(submission_id=draft.pk, user=curator)
    submission.refresh_from_db()
    return submission, callbacks


def test_approval_pushes_the_version_with_the_labs_token(
    pushing_lab, draft, lab_member, curator, settings, online, django_capture_on_commit_callbacks
):
    submission, callbacks = approved(draft, lab_member, curator, django_capture_on_commit_callbacks)
    assert submission.hub_push_state == "queued" and callbacks  # the task goes out on commit
    with HubWriteStub() as hub:
        settings.HUB_PUSH_ENDPOINT = hub.url
        commit = hub_push_run(submission.pk)
        repo = hub.repos["robot-lab-org/pick-and-place"]
    files = {f.path: f for f in submission.files.select_related("blob")}
    assert sorted(repo["files"]) == sorted(files)
    assert repo["files"]["README.md"] == b"# Pick and place\n"
    assert repo["tags"] == {"v3.0": commit}  # the tag lerobot's loader resolves
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in hub.requests)
    submission.refresh_from_db()
    assert (submission.hub_push_state, submission.hub_push_commit) == ("pushed", commit)
    page = Client().get(reverse("curation:dataset", args=["manipulation-lab", "pick-and-place"]))
    assert "pushed to <code>robot-lab-org/pick-and-place</code>" in page.content.decode()
    assert hub_push_run(submission.pk) is None  # already pushed: nothing to do


def test_a_failed_push_is_reported_and_the_retry_completes_it(
    pushing_lab, draft, lab_member, curator, settings, online, django_capture_on_commit_callbacks
):
    submission, _ = approved(draft, lab_member, curator, django_capture_on_commit_callbacks)
    # Down for longer than huggingface_hub's own retries of a 5xx.
    with HubWriteStub(fail_commits=100) as hub:
        settings.HUB_PUSH_ENDPOINT = hub.url
        with pytest.raises(Exception, match="500"):
            hub_push_run(submission.pk)
        hub.fail_commits = 0  # the Hub is back
        submission.refresh_from_db()
        assert submission.hub_push_state == "failed" and "500" in submission.hub_push_error
        assert TOKEN not in submission.hub_push_error
        page = Client().get(
            reverse("curation:dataset", args=["manipulation-lab", "pick-and-place"])
        )
        assert "the push failed after 1 attempt" in page.content.decode()
        hub_push_run(submission.pk)  # what Celery's retry does
        submission.refresh_from_db()
        assert (submission.hub_push_state, submission.hub_push_attempts) == ("pushed", 2)
        assert "README.md" in hub.repos["robot-lab-org/pick-and-place"]["files"]


def test_labs_that_did_not_ask_are_not_pushed(
    draft, lab_member, curator, django_capture_on_commit_callbacks
):
    submission, _ = approved(draft, lab_member, curator, django_capture_on_commit_callbacks)
    assert submission.hub_push_state == "" and hub_push_run(submission.pk) is None
