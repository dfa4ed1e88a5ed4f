"""The review workflow as one table: which action moves a submission from which states to which.

Every state change goes through ``curation.services.workflow._transition``, which checks this
table, so a transition that is not listed here cannot happen anywhere (web, API, admin, worker).
"""

from dataclasses import dataclass

from curation.models import SubmissionState as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the target depends on the submission (see validation_finished)
    actor: str  # "submitter" (the lab), "curator", or "system" (the pipeline)
    needs_reason: bool = False


AWAITING_REVIEW = frozenset({S.READY_FOR_REVIEW, S.RESUBMITTED, S.IN_REVIEW})

TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({S.DRAFT}), S.VALIDATING, "submitter"),
    # Back to the lab when the pipeline could not even read the upload (unsafe archive...).
    "upload_failed": Transition(frozenset({S.VALIDATING}), S.DRAFT, "system"),
    # ready_for_review in round 1, resubmitted afterwards; returned (to the lab) when it failed.
    "validation_finished": Transition(frozenset({S.VALIDATING}), None, "system"),
    # Back to the lab when validation never finished: its worker died or hung on every attempt
    # (curation.services.sweeper). Draft in round 1, changes requested afterwards.
    "validation_abandoned": Transition(frozenset({S.VALIDATING}), None, "system"),
    "claim": Transition(frozenset({S.READY_FOR_REVIEW, S.RESUBMITTED}), S.IN_REVIEW, "curator"),
    "assign": Transition(AWAITING_REVIEW, S.IN_REVIEW, "curator"),
    "approve": Transition(AWAITING_REVIEW, S.APPROVED, "curator"),
    "request_changes": Transition(AWAITING_REVIEW, S.CHANGES_REQUESTED, "curator", True),
    "reject": Transition(AWAITING_REVIEW, S.REJECTED, "curator", True),
    "resubmit": Transition(frozenset({S.CHANGES_REQUESTED, S.RETURNED}), S.VALIDATING, "submitter"),
    "withdraw": Transition(
        frozenset({S.DRAFT, S.READY_FOR_REVIEW, S.CHANGES_REQUESTED, S.RESUBMITTED, S.RETURNED}),
        S.WITHDRAWN,
        "submitter",
    ),
}

# Files may change only while the lab holds the submission; they are locked from submission on.
EDITABLE_STATES = frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.RETURNED})
FINAL_STATES = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})


def allowed_actions(state: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if state in t.sources]
