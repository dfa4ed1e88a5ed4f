"""Submission metadata is editable while the lab holds the submission, audited, then locked."""

import pytest
from django.test import Client
from django.urls import reverse

from curation.services import workflow
from tests.curation.conftest import to_ready

pytestmark = pytest.mark.django_db


def test_lab_edits_metadata_of_its_draft(draft, lab_member):
    client = Client()
    client.force_login(lab_member)
    response = client.post(
        reverse("curation:submission_metadata", args=[draft.pk]),
        {
            "title": "Pick and place, wrist camera",
            "description": "50 demos",
            "domain": "manipulation",
        },
    )
    assert response.status_code == 302
    draft.dataset.refresh_from_db()
    assert (draft.dataset.title, draft.dataset.description) == (
        "Pick and place, wrist camera",
        "50 demos",
    )
    event = draft.audit_events.get(action="edit_metadata")
    assert event.extra["changes"]["title"] == ["Pick and place", "Pick and place, wrist camera"]


def test_metadata_is_locked_once_submitted_and_closed_to_others(
    draft, lab_member, other_lab_member
):
    with pytest.raises(workflow.PermissionDenied):
        workflow.submission_update_metadata(
            submission_id=draft.pk, user=other_lab_member, title="X"
        )
    ready = to_ready(draft, lab_member)
    with pytest.raises(workflow.WorkflowError, match="locked"):
        workflow.submission_update_metadata(submission_id=ready.pk, user=lab_member, title="X")
    with pytest.raises(workflow.WorkflowError, match="title is required"):
        workflow.submission_update_metadata(submission_id=ready.pk, user=lab_member, title=" ")
    ready.dataset.refresh_from_db()
    assert ready.dataset.title == "Pick and place"


def test_submit_is_disabled_while_the_draft_is_empty(lab_member, lab):
    empty = workflow.submission_create(user=lab_member, lab=lab, title="Nothing yet")
    client = Client()
    client.force_login(lab_member)
    page = client.get(reverse("curation:submission", args=[empty.pk])).content.decode()
    button = page[page.index('id="action-submit"') :].split(">", 1)[0]
    assert "disabled" in button


def test_curator_gets_a_preview_link_before_deciding(ready, curator):
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("curation:submission", args=[ready.pk])).content.decode()
    assert 'id="preview-link"' in page
    lab, slug = ready.dataset.lab.slug, ready.dataset.slug
    preview = client.get(reverse("curation:dataset", args=[lab, slug]), {"version": ready.version})
    assert preview.status_code == 200 and 'id="card-line"' in preview.content.decode()
