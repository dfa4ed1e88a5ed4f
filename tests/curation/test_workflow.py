"""The state machine, the audit log and the notifications, through the real services."""

import pytest
from django.core import mail

from curation import selectors
from curation.models import AuditEvent, DatasetIndex, ValidationOutcome
from curation.models import SubmissionState as S
from curation.services import workflow
from curation.workflow import TRANSITIONS, allowed_actions
from tests.curation.conftest import add_file, to_ready

pytestmark = pytest.mark.django_db


def test_every_state_is_reachable_and_final_states_have_no_way_out():
    targets = {t.target for t in TRANSITIONS.values() if t.target} | {
        S.READY_FOR_REVIEW,
        S.RESUBMITTED,
        S.RETURNED,  # validation_finished's targets depend on the report
    }
    assert set(S.values) - {S.DRAFT} <= targets
    for final in (S.APPROVED, S.REJECTED, S.WITHDRAWN):
        assert allowed_actions(final) == []


def test_full_path_with_changes_requested_writes_one_audit_row_per_action(
    ready, lab_member, curator
):
    assert ready.state == S.READY_FOR_REVIEW
    workflow.submission_claim(submission_id=ready.pk, user=curator)
    s = workflow.submission_request_changes(
        submission_id=ready.pk, user=curator, reason="Episode 3 is empty"
    )
    assert s.state == S.CHANGES_REQUESTED
    add_file(s, lab_member, path="README.md", content=b"# fixed")
    s = to_ready_again(s, lab_member)
    assert s.state == S.RESUBMITTED and s.round == 2
    s = workflow.submission_approve(submission_id=s.pk, user=curator)
    assert s.state == S.APPROVED and s.decided_at is not None
    actions = list(s.audit_events.values_list("action", "old_state", "new_state", "reason"))
    transitions = [a for a in actions if a[1] or a[2]]
    assert [a[0] for a in transitions] == [
        "create",
        "submit",
        "validation_finished",
        "claim",
        "request_changes",
        "resubmit",
        "validation_finished",
        "approve",
    ]
    assert ("request_changes", S.IN_REVIEW, S.CHANGES_REQUESTED, "Episode 3 is empty") in actions
    assert DatasetIndex.objects.get(submission=s).is_latest


def to_ready_again(s, user):
    from django.db import transaction

    with transaction.atomic():
        workflow.submission_resubmit(submission_id=s.pk, user=user)
    from tests.curation.conftest import report_dict

    return workflow.submission_validation_finished(submission_id=s.pk, report=report_dict())


@pytest.mark.parametrize("action", ["request_changes", "reject"])
def test_reason_is_required(ready, curator, action):
    with pytest.raises(workflow.WorkflowError, match="reason is required"):
        getattr(workflow, f"submission_{action}")(submission_id=ready.pk, user=curator, reason=" ")
    ready.refresh_from_db()
    assert ready.state == S.READY_FOR_REVIEW
    assert not ready.audit_events.filter(action=action).exists()


def test_validation_errors_block_approval(
    draft, lab_member, curator, django_capture_on_commit_callbacks
):
    lab_member.email = "member@lab.example"
    lab_member.save()
    with django_capture_on_commit_callbacks(execute=True):
        s = to_ready(draft, lab_member, errors=2, warnings=1)
    assert s.validation_outcome == ValidationOutcome.FAILED
    assert (s.error_count, s.warning_count) == (2, 1)
    # Returned to the lab, never in the review queue: nothing for a curator to decide.
    assert s.state == S.RETURNED
    assert s.pk not in set(selectors.review_queue().values_list("pk", flat=True))
    with pytest.raises(workflow.WorkflowError, match="validation errors cannot be approved"):
        workflow.submission_approve(submission_id=s.pk, user=curator)
    s.refresh_from_db()
    assert s.state == S.RETURNED
    # The lab's files are unlocked, it was told by email, and it can resubmit (a new round).
    from django.core import mail

    from curation import policies

    assert policies.can_edit_files(lab_member, s)
    assert "returned to you" in mail.outbox[-1].body
    again = workflow.submission_resubmit(submission_id=s.pk, user=lab_member)
    assert (again.state, again.round) == (S.VALIDATING, 2)


def test_warnings_only_can_be_approved(draft, lab_member, curator):
    s = to_ready(draft, lab_member, warnings=3)
    assert s.validation_outcome == ValidationOutcome.WARNINGS
    assert workflow.submission_approve(submission_id=s.pk, user=curator).state == S.APPROVED


def test_transition_not_in_the_table_is_refused_and_leaves_no_trace(draft, curator):
    before = AuditEvent.objects.count()
    with pytest.raises(workflow.WorkflowError, match="cannot approve a submission that is draft"):
        workflow.submission_approve(submission_id=draft.pk, user=curator)
    assert AuditEvent.objects.count() == before


def test_submitting_without_files_is_refused(lab_member, lab):
    s = workflow.submission_create(user=lab_member, lab=lab, title="Empty")
    with pytest.raises(workflow.WorkflowError, match="upload the dataset"):
        workflow.submission_submit(submission_id=s.pk, user=lab_member)


def test_nobody_reviews_their_own_lab(ready, lab):
    from curation import roles
    from curation.services import user_create

    curator_in_lab = user_create(
        username="cl", password="x-pass-123", lab=lab, roles=[roles.CURATOR, roles.LAB_MEMBER]
    )
    with pytest.raises(workflow.PermissionDenied):
        workflow.submission_claim(submission_id=ready.pk, user=curator_in_lab)


def test_lab_member_cannot_review(ready, other_lab_member, researcher):
    for user in (other_lab_member, researcher):
        with pytest.raises(workflow.PermissionDenied):
            workflow.submission_approve(submission_id=ready.pk, user=user)


def test_decisions_email_the_submitter_on_commit(
    ready, curator, lab_member, django_capture_on_commit_callbacks
):
    lab_member.email = "member@example.org"
    lab_member.save()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submission_request_changes(
            submission_id=ready.pk, user=curator, reason="Add a README"
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["member@example.org"]
    assert "changes requested" in mail.outbox[0].subject
    assert "Add a README" in mail.outbox[0].body


def test_no_email_when_the_transaction_rolls_back(ready, curator, lab_member):
    from django.db import transaction

    lab_member.email = "member@example.org"
    lab_member.save()

    def reject_then_fail():
        with transaction.atomic():
            workflow.submission_reject(submission_id=ready.pk, user=curator, reason="dup")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        reject_then_fail()
    ready.refresh_from_db()
    assert ready.state == S.READY_FOR_REVIEW
    assert mail.outbox == []


def test_new_version_of_a_published_dataset_goes_through_review(ready, curator, lab_member):
    workflow.submission_approve(submission_id=ready.pk, user=curator)
    v2 = workflow.submission_create(
        user=lab_member, lab=ready.dataset.lab, title="", dataset=ready.dataset
    )
    assert (v2.version, v2.state) == (2, S.DRAFT)
    with pytest.raises(workflow.WorkflowError, match="still open"):
        workflow.submission_create(
            user=lab_member, lab=ready.dataset.lab, title="", dataset=ready.dataset
        )
    add_file(v2, lab_member)
    v2 = to_ready(v2, lab_member)
    assert v2.state == S.READY_FOR_REVIEW
    workflow.submission_approve(submission_id=v2.pk, user=curator)
    rows = DatasetIndex.objects.filter(dataset=ready.dataset).order_by("version")
    assert [(r.version, r.is_latest) for r in rows] == [(1, False), (2, True)]


def test_withdraw_by_the_lab(draft, lab_member, other_lab_member):
    with pytest.raises(workflow.PermissionDenied):
        workflow.submission_withdraw(submission_id=draft.pk, user=other_lab_member)
    s = workflow.submission_withdraw(submission_id=draft.pk, user=lab_member, reason="wrong data")
    assert s.state == S.WITHDRAWN


def test_assign_to_a_reviewer(ready, curator, lab_member):
    from curation import roles
    from curation.services import user_create

    second = user_create(username="c2", password="x-pass-123", roles=[roles.CURATOR])
    s = workflow.submission_assign(submission_id=ready.pk, user=curator, reviewer=second)
    assert (s.state, s.reviewer) == (S.IN_REVIEW, second)
    with pytest.raises(workflow.WorkflowError, match="cannot review"):
        workflow.submission_assign(submission_id=ready.pk, user=curator, reviewer=lab_member)


def test_a_new_version_starts_from_the_published_files(ready, curator, lab_member):
    published = workflow.submission_approve(submission_id=ready.pk, user=curator)
    v1_files = dict(published.files.values_list("path", "blob_id"))
    v2 = workflow.submission_create(
        user=lab_member, lab=ready.dataset.lab, title="", dataset=ready.dataset
    )
    assert dict(v2.files.values_list("path", "blob_id")) == v1_files  # same content, no copy
    created = v2.audit_events.get(action="create")
    assert created.extra["from_version"] == 1 and created.extra["files_copied"] == len(v1_files)
    # Changing v2 leaves the published v1 as it was.
    add_file(v2, lab_member, path="meta/info.json", content=b'{"codebase_version": "v3.0"}')
    assert dict(published.files.values_list("path", "blob_id")) == v1_files
