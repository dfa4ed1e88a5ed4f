"""Review workflow services: one function per transition of ``curation.workflow.TRANSITIONS``.

Each one locks the submission row, checks the table and the actor's right, changes the state and
writes the audit row in the same transaction, then queues side effects (pipeline, email) to run
only once that transaction has committed.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from config.security import header_text
from curation import policies
from curation.models import AuditEvent, Dataset, Submission, SubmissionState, ValidationOutcome
from curation.workflow import TRANSITIONS

logger = logging.getLogger(__name__)


class WorkflowError(Exception):
    """An action that is not allowed now; the message says why, for people."""


class PermissionDenied(WorkflowError):
    pass


def audit(submission, *, actor, action, old_state="", new_state="", reason="", **extra):
    return AuditEvent.objects.create(
        submission=submission,
        actor=actor,
        action=action,
        old_state=old_state,
        new_state=new_state,
        reason=reason,
        extra=extra,
    )


def _transition(
    submission_id: int,
    action: str,
    *,
    actor,
    reason: str = "",
    target=None,
    audit_extra=None,
    guard=None,
    **fields,
) -> Submission:
    transition = TRANSITIONS[action]
    reason = (reason or "").strip()
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .select_related("dataset__lab")
            .get(pk=submission_id)
        )
        if submission.state not in transition.sources:
            # A curator asking to approve a version that validation returned to its lab is told
            # the real reason (its errors), not only that its state does not allow it.
            if (
                guard is not None
                and submission.state == SubmissionState.RETURNED
                and transition.actor == "curator"
                and policies.can_review(actor, submission)
            ):
                guard(submission)
            raise WorkflowError(
                f"cannot {action.replace('_', ' ')} a submission that is "
                f"{submission.get_state_display().lower()}"
            )
        if transition.actor != "system" and not policies.can_act(actor, submission, action):
            raise PermissionDenied(f"you are not allowed to {action.replace('_', ' ')} this")
        if transition.needs_reason and not reason:
            raise WorkflowError(f"a reason is required to {action.replace('_', ' ')}")
        if guard is not None:
            guard(submission)
        old_state = submission.state
        submission.state = target or transition.target
        submission.state_changed_at = timezone.now()
        for name, value in fields.items():
            setattr(submission, name, value)
        submission.save()
        audit(
            submission,
            actor=actor,
            action=action,
            old_state=old_state,
            new_state=submission.state,
            reason=reason,
            **(audit_extra or {}),
        )
    return submission


# --- the lab's side -----------------------------------------------------------------------------


@transaction.atomic
def submission_create(
    *,
    user,
    lab,
    title: str,
    description: str = "",
    domain: str = "",
    dataset: Dataset | None = None,
    notes: str = "",
) -> Submission:
    """A new draft: version 1 of a new dataset, or the next version of ``dataset``."""
    if not policies.can_create_in_lab(user, lab if dataset is None else dataset.lab):
        raise PermissionDenied("only members of the lab can upload its datasets")
    if dataset is None:
        title = title.strip()
        if not title:
            raise WorkflowError("a title is required")
        base = slugify(title)[:100] or "dataset"
        slug, n = base, 1
        while Dataset.objects.filter(lab=lab, slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        dataset = Dataset.objects.create(
            lab=lab,
            slug=slug,
            title=title,
            description=description,
            domain=domain.strip(),
            created_by=user,
        )
    else:
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        open_ = dataset.submissions.exclude(
            state__in=[
                SubmissionState.APPROVED,
                SubmissionState.REJECTED,
                SubmissionState.WITHDRAWN,
            ]
        )
        if open_.exists():
            raise WorkflowError(
                f"version {open_.first().version} of this dataset is still open; "
                "finish or withdraw it before starting a new version"
            )
    version = (dataset.submissions.aggregate(v=Max("version"))["v"] or 0) + 1
    submission = Submission.objects.create(
        dataset=dataset, version=version, submitted_by=user, notes=notes
    )
    previous = (
        dataset.submissions.filter(state=SubmissionState.APPROVED).order_by("-version").first()
    )
    copied = _copy_files(previous, submission) if previous else 0
    audit(
        submission,
        actor=user,
        action="create",
        new_state=submission.state,
        version=version,
        **({"from_version": previous.version, "files_copied": copied} if previous else {}),
    )
    return submission


def _copy_files(source: Submission, target: Submission) -> int:
    """A new version starts from the latest published one: its file list, not its bytes (blobs
    are shared by content), so the lab changes only what changed."""
    from curation.models import SubmissionFile

    rows = [
        SubmissionFile(submission=target, path=f.path, blob_id=f.blob_id)
        for f in source.files.only("path", "blob_id")
    ]
    SubmissionFile.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _start_pipeline(submission: Submission) -> None:
    from curation.tasks import run_pipeline

    run_id = submission.pipeline_run
    # robust: the state change is committed whatever happens to the message; if the broker is
    # down right now the submission is still "validating", and the sweeper sends it again.
    transaction.on_commit(
        lambda: run_pipeline.apply_async(args=[submission.pk, run_id], queue="validation"),
        robust=True,
    )


def _check_has_content(submission_id: int) -> None:
    submission = Submission.objects.get(pk=submission_id)
    fetched_later = submission.pending_archive or submission.source in ("path", "hub")
    if not submission.files.exists() and not fetched_later:
        raise WorkflowError("upload the dataset's files (or an archive) before submitting")
    if submission.uploads.filter(completed_at__isnull=True).exists():
        raise WorkflowError("an upload is still in progress; finish or cancel it first")


def _submit(submission_id: int, action: str, *, user) -> Submission:
    _check_has_content(submission_id)
    with transaction.atomic():
        submission = _transition(
            submission_id,
            action,
            actor=user,
            progress_step="queued",
            progress_done=0,
            progress_total=0,
            progress_updated_at=timezone.now(),
            last_error="",
            validation_outcome=ValidationOutcome.RUNNING,
            submitted_at=timezone.now(),
            pipeline_attempts=0,
        )
        submission.pipeline_run += 1
        if action == "resubmit":
            submission.round += 1
        submission.save(update_fields=["pipeline_run", "round"])
        _start_pipeline(submission)
    return submission


def submission_submit(*, submission_id: int, user) -> Submission:
    """Draft → validating: lock the files and start validation and indexing."""
    return _submit(submission_id, "submit", user=user)


def submission_resubmit(*, submission_id: int, user) -> Submission:
    """Changes requested → validating (→ resubmitted once validated)."""
    return _submit(submission_id, "resubmit", user=user)


def submission_withdraw(*, submission_id: int, user, reason: str = "") -> Submission:
    return _transition(submission_id, "withdraw", actor=user, reason=reason)


# --- the pipeline's side ------------------------------------------------------------------------


def submission_upload_failed(*, submission_id: int, error: str) -> Submission:
    return _transition(
        submission_id,
        "upload_failed",
        actor=None,
        reason=error,
        last_error=error,
        validation_outcome=ValidationOutcome.ERROR,
        progress_step="failed",
    )


def submission_validation_abandoned(*, submission_id: int, error: str) -> Submission:
    """Validation never finished (worker lost or stuck on every attempt): back to the lab, with
    the files unlocked and the reason, so that nothing stays "validating" forever."""
    current = Submission.objects.only("round").get(pk=submission_id)
    target = SubmissionState.DRAFT if current.round == 1 else SubmissionState.CHANGES_REQUESTED
    return _transition(
        submission_id,
        "validation_abandoned",
        actor=None,
        target=target,
        reason=error,
        last_error=error,
        validation_outcome=ValidationOutcome.ERROR,
        progress_step="failed",
    )


def submission_validation_finished(
    *, submission_id: int, report: dict | None, error: str = ""
) -> Submission:
    """Store the report and hand the submission to the curators (ready, or resubmitted)."""
    findings = (report or {}).get("findings", [])
    errors = sum(1 for f in findings if f.get("severity") == "error")
    warnings = sum(1 for f in findings if f.get("severity") == "warning")
    if error:
        outcome = ValidationOutcome.ERROR
    elif errors or not (report or {}).get("valid", False):
        outcome = ValidationOutcome.FAILED
    elif warnings:
        outcome = ValidationOutcome.WARNINGS
    else:
        outcome = ValidationOutcome.PASSED
    current = Submission.objects.only("round").get(pk=submission_id)
    if outcome in (ValidationOutcome.FAILED, ValidationOutcome.ERROR):
        # Nothing a curator could approve: straight back to the lab, never into the queue.
        target = SubmissionState.RETURNED
    elif current.round == 1:
        target = SubmissionState.READY_FOR_REVIEW
    else:
        target = SubmissionState.RESUBMITTED
    with transaction.atomic():
        submission = _transition(
            submission_id,
            "validation_finished",
            actor=None,
            target=target,
            report=report,
            error_count=errors,
            warning_count=warnings,
            validation_outcome=outcome,
            last_error=error,
            validated_at=timezone.now(),
            progress_step="done",
            audit_extra=round_snapshot(submission_id, report),
        )
        if target == SubmissionState.RETURNED:
            _notify_on_commit(
                submission,
                "returned to you: validation found errors",
                error or f"{errors} error(s), {warnings} warning(s). Fix them, then resubmit.",
            )
    return submission


ROUND_FINDINGS_KEPT = 2000


def finding_key(finding: dict) -> list:
    location = finding.get("location") or {}
    where = ", ".join(f"{k} {v}" for k, v in sorted(location.items())) if location else ""
    return [str(finding.get("code", "")), where, str(finding.get("message", ""))[:300]]


def round_snapshot(submission_id: int, report: dict | None) -> dict:
    """What a round was made of, kept in its ``validation_finished`` audit row so the next round
    can show its diff: the files (path → sha256), the findings, the metadata."""
    submission = Submission.objects.select_related("dataset").get(pk=submission_id)
    files = dict(submission.files.values_list("path", "blob__sha256"))
    findings = [finding_key(f) for f in (report or {}).get("findings") or []]
    return {
        "round": submission.round,
        "files": files,
        "findings": findings[:ROUND_FINDINGS_KEPT],
        "metadata": {
            "title": submission.dataset.title,
            "description": submission.dataset.description,
            "domain": submission.dataset.domain,
            "notes": submission.notes,
        },
    }


# --- the curators' side -------------------------------------------------------------------------


def submission_claim(*, submission_id: int, user) -> Submission:
    return _transition(submission_id, "claim", actor=user, reviewer=user)


def submission_assign(*, submission_id: int, user, reviewer) -> Submission:
    candidate = Submission.objects.select_related("dataset__lab").get(pk=submission_id)
    if not policies.can_review(reviewer, candidate):
        raise WorkflowError(f"{reviewer.get_username()} cannot review this submission")
    return _transition(
        submission_id,
        "assign",
        actor=user,
        reviewer=reviewer,
        audit_extra={"reviewer": reviewer.get_username()},
    )


def submission_approve(*, submission_id: int, user, reason: str = "") -> Submission:
    from curation.services.catalogue import index_publish

    def validated(current):
        if current.validation_outcome not in (ValidationOutcome.PASSED, ValidationOutcome.WARNINGS):
            raise WorkflowError(
                "a dataset with validation errors cannot be approved "
                f"(validation: {current.get_validation_outcome_display().lower()})"
            )

    with transaction.atomic():
        submission = _transition(
            submission_id,
            "approve",
            actor=user,
            reason=reason,
            reviewer=user,
            decided_at=timezone.now(),
            guard=validated,
        )
        index_publish(submission)
        from curation.services.hub_push import hub_push_queue

        hub_push_queue(submission)
        _notify_on_commit(submission, "approved", reason)
    return submission


def submission_request_changes(*, submission_id: int, user, reason: str) -> Submission:
    with transaction.atomic():
        submission = _transition(
            submission_id, "request_changes", actor=user, reason=reason, reviewer=user
        )
        _decision_comment(submission, user, "request_changes", reason)
        _notify_on_commit(submission, "changes requested", reason)
    return submission


def submission_reject(*, submission_id: int, user, reason: str) -> Submission:
    with transaction.atomic():
        submission = _transition(
            submission_id,
            "reject",
            actor=user,
            reason=reason,
            reviewer=user,
            decided_at=timezone.now(),
        )
        _decision_comment(submission, user, "reject", reason)
        _notify_on_commit(submission, "rejected", reason)
    return submission


def _decision_comment(submission: Submission, user, kind: str, reason: str) -> None:
    from curation.services.comments import decision_comment

    decision_comment(submission, user=user, kind=kind, reason=reason.strip())


def _notify_on_commit(submission: Submission, decision: str, reason: str) -> None:
    """Email the submitter once the decision has committed. Sending never undoes or fails the
    decision: an error is logged and the email is handed to a Celery task that retries it."""
    if not submission.submitted_by.email:
        return
    submission_id = submission.pk
    transaction.on_commit(
        lambda: decision_email_send_or_queue(submission_id, decision, reason), robust=True
    )


def decision_email_send(submission_id: int, decision: str, reason: str) -> None:
    submission = Submission.objects.select_related("dataset__lab", "submitted_by").get(
        pk=submission_id
    )
    recipient = submission.submitted_by.email
    if not recipient:
        return
    # The title is the lab's text: no line break may reach a header (issue 19).
    subject = header_text(
        f"[LeRobot curation] {submission.dataset.title} v{submission.version}: {decision}"
    )
    lines = [
        f"Hello {submission.submitted_by.get_username()},",
        "",
        f"Your submission {submission.dataset} v{submission.version} was {decision}.",
    ]
    if reason:
        lines += ["", "Reason:", reason]
    send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [recipient])


def decision_email_send_or_queue(submission_id: int, decision: str, reason: str) -> None:
    try:
        decision_email_send(submission_id, decision, reason)
    except Exception:
        logger.exception("decision email for submission %s failed; queued for retry", submission_id)
        from curation.tasks import send_decision_email

        send_decision_email.apply_async(
            args=[submission_id, decision, reason], queue="default", countdown=60
        )


METADATA_FIELDS = ("title", "description", "domain")


def submission_update_metadata(
    *, submission_id: int, user, title: str, description: str = "", domain: str = "", notes=None
) -> Submission:
    """Edit the dataset's title, description and domain (and the version's notes) while the lab
    holds the submission (draft, changes requested, returned); audited with before and after."""
    title = (title or "").strip()
    if not title:
        raise WorkflowError("a title is required")
    if len(title) > 200 or len(domain or "") > 60:
        raise WorkflowError("the title is at most 200 characters and the domain 60")
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("dataset__lab")
            .get(pk=submission_id)
        )
        if not policies.can_edit_files(user, submission):
            if policies.can_create_in_lab(user, submission.dataset.lab):
                raise WorkflowError(
                    "metadata is locked while the submission is "
                    f"{submission.get_state_display().lower()}"
                )
            raise PermissionDenied("only the lab edits its submission's metadata")
        dataset = Dataset.objects.select_for_update().get(pk=submission.dataset_id)
        new = {
            "title": title,
            "description": (description or "").strip(),
            "domain": (domain or "").strip(),
        }
        changes = {
            name: [getattr(dataset, name), value]
            for name, value in new.items()
            if getattr(dataset, name) != value
        }
        for name, (_old, value) in changes.items():
            setattr(dataset, name, value)
        if changes:
            dataset.save(update_fields=list(changes))
        if notes is not None and notes.strip() != submission.notes:
            changes["notes"] = [submission.notes, notes.strip()]
            submission.notes = notes.strip()
            submission.save(update_fields=["notes"])
        if changes:
            audit(submission, actor=user, action="edit_metadata", changes=changes)
    submission.dataset = dataset
    return submission
