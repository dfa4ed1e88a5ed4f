"""The conversation on a submission: one function writes a comment, audits it in the same
transaction, and emails the other side once that transaction has committed."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from curation import policies, roles
from curation.models import Comment, Submission
from curation.services.workflow import PermissionDenied, WorkflowError, audit

MAX_COMMENT_CHARS = 10_000


def can_comment(user, submission: Submission) -> bool:
    """The two sides of the review: the lab's members, and curators who may review it."""
    if not user.is_authenticated:
        return False
    return policies.is_in_lab(user, submission.dataset.lab) or policies.can_review(user, submission)


def _recipients(submission: Submission, author) -> list[str]:
    """The other side: the lab's submitter when a curator writes; the reviewer (or, before anyone
    claimed it, every curator) when the lab writes."""
    if policies.is_in_lab(author, submission.dataset.lab):
        if submission.reviewer_id and submission.reviewer_id != author.pk:
            people = [submission.reviewer]
        else:
            people = get_user_model().objects.filter(groups__name=roles.CURATOR)
    else:
        people = [submission.submitted_by]
    return sorted({p.email for p in people if p.email and p.pk != author.pk})


def comment_add(
    *, submission_id: int, user, body: str, kind: str = Comment.Kind.COMMENT
) -> Comment:
    body = (body or "").strip()
    if not body:
        raise WorkflowError("write something before sending the comment")
    if len(body) > MAX_COMMENT_CHARS:
        raise WorkflowError(f"a comment is at most {MAX_COMMENT_CHARS} characters")
    with transaction.atomic():
        submission = (
            Submission.objects.select_related("dataset__lab", "submitted_by", "reviewer")
            .select_for_update(of=("self",))
            .get(pk=submission_id)
        )
        if not can_comment(user, submission):
            raise PermissionDenied("only the lab and its reviewers take part in this conversation")
        comment = Comment.objects.create(
            submission=submission, author=user, kind=kind, round=submission.round, body=body
        )
        audit(submission, actor=user, action="comment", reason=body[:500], comment=comment.pk)
        recipients = _recipients(submission, user)
        if recipients:
            subject = (
                f"[LeRobot curation] {submission.dataset.title} v{submission.version}: "
                f"{user.get_username()} wrote"
            )
            text = f"{user.get_username()} wrote on {submission.dataset} v{submission.version}:\n\n{body}"
            transaction.on_commit(
                lambda: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
            )
    return comment


def decision_comment(submission: Submission, *, user, kind: str, reason: str) -> Comment:
    """The reason of a "request changes" or "reject": the first comment of its round. Called by
    the workflow inside the transition's transaction (which audits and emails the decision)."""
    return Comment.objects.create(
        submission=submission, author=user, kind=kind, round=submission.round, body=reason
    )
