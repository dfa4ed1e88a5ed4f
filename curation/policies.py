"""Object-level permission predicates. Lists are filtered by selectors; these decide one object.

- A lab member sees and edits only their own lab's submissions (published ones are public).
- Only curators review, and never a submission they submitted or one of their own lab's.
"""

from curation import roles
from curation.models import Submission, SubmissionState
from curation.workflow import EDITABLE_STATES, TRANSITIONS


def is_in_lab(user, lab) -> bool:
    if not user.is_authenticated:
        return False
    return lab.members.filter(pk=user.pk).exists()


def can_view_submission(user, submission: Submission) -> bool:
    if submission.state == SubmissionState.APPROVED:
        return True
    if not user.is_authenticated:
        return False
    return roles.is_curator(user) or is_in_lab(user, submission.dataset.lab)


def can_create_in_lab(user, lab) -> bool:
    return roles.is_lab_member(user) and is_in_lab(user, lab)


def can_edit_files(user, submission: Submission) -> bool:
    return submission.state in EDITABLE_STATES and can_create_in_lab(user, submission.dataset.lab)


def can_review(user, submission: Submission) -> bool:
    """Curators review, but not their own work: not as submitter, nor as a member of the lab."""
    if not roles.is_curator(user):
        return False
    if submission.submitted_by_id == user.pk:
        return False
    return not is_in_lab(user, submission.dataset.lab)


def can_act(user, submission: Submission, action: str) -> bool:
    transition = TRANSITIONS.get(action)
    if transition is None or submission.state not in transition.sources:
        return False
    if transition.actor == "submitter":
        return can_create_in_lab(user, submission.dataset.lab)
    if transition.actor == "curator":
        return can_review(user, submission)
    return False  # "system" transitions are the pipeline's, never a person's
