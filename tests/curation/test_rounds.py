"""Each resubmission is a round; the page shows what changed against the previous one: files
added, removed and changed, findings fixed and new, metadata."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from curation.rounds import round_diff
from curation.services import workflow
from tests.curation.conftest import add_file, report_dict

pytestmark = pytest.mark.django_db


def finish(submission, **report_kw):
    return workflow.submission_validation_finished(
        submission_id=submission.pk, report=report_dict(**report_kw)
    )


def test_second_round_shows_files_findings_and_metadata_changes(draft, lab_member, curator):
    add_file(draft, lab_member, path="meta/stats.json", content=b"{}")
    add_file(draft, lab_member, path="data/chunk-000/file-000.parquet", content=b"PAR1 v1")
    with transaction.atomic():
        workflow.submission_submit(submission_id=draft.pk, user=lab_member)
    first = finish(draft, warnings=1)
    assert round_diff(first) is None  # nothing to compare with yet
    draft = workflow.submission_request_changes(
        submission_id=draft.pk, user=curator, reason="fix it"
    )
    # The lab removes one file, changes one, adds one, and edits the description.
    from curation.services import uploads

    uploads.submission_remove_file(submission=draft, user=lab_member, path="meta/stats.json")
    add_file(draft, lab_member, path="data/chunk-000/file-000.parquet", content=b"PAR1 v2")
    add_file(draft, lab_member, path="README.md", content=b"# now with a README")
    draft.dataset.description = "Now described."
    draft.dataset.save()
    workflow.submission_resubmit(submission_id=draft.pk, user=lab_member)
    second = finish(draft, errors=0, warnings=0)
    diff = round_diff(second)
    assert (diff.previous_round, diff.round) == (1, 2)
    assert diff.added == ["README.md"]
    assert diff.removed == ["meta/stats.json"]
    assert diff.changed == ["data/chunk-000/file-000.parquet"]
    assert [f[0] for f in diff.fixed] == ["W1"] and diff.new == []
    assert diff.metadata == [("description", "", "Now described.")]
    client = Client()
    client.force_login(curator)
    page = client.get(reverse("curation:submission", args=[draft.pk])).content.decode()
    section = page[page.index('id="round-diff"') :]
    assert "Changes since round 1" in section
    assert "README.md" in section and "meta/stats.json" in section and "Now described." in section


def test_new_findings_are_listed(draft, lab_member, curator):
    with transaction.atomic():
        workflow.submission_submit(submission_id=draft.pk, user=lab_member)
    finish(draft)
    workflow.submission_request_changes(submission_id=draft.pk, user=curator, reason="more")
    workflow.submission_resubmit(submission_id=draft.pk, user=lab_member)
    diff = round_diff(finish(draft, warnings=2))
    assert diff.added == diff.removed == diff.changed == []
    assert [f[0] for f in diff.new] == ["W1"]  # two identical findings are one key
