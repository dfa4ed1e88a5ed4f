"""Pushing an approved version to the lab's Hugging Face organization, when the lab asked for it.

``hub_push_queue`` (called by the approval, inside its transaction) marks the version *queued* and
sends the task once the approval has committed. ``hub_push_run`` (the task) claims the row, lays
the version out on disk and pushes it with huggingface_hub's upload API (``create_repo``,
``upload_folder``, then the format tag, e.g. ``v3.0``, that lerobot's loader looks for). A failure
is recorded on the version (shown on the dataset page) and raised again so that Celery retries it
with backoff; each attempt redoes the whole commit, which the Hub deduplicates by content.
The endpoint is ``HUB_PUSH_ENDPOINT`` (default: huggingface_hub's), the token the lab's.
"""

import contextlib
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from curation import conf
from curation.distribution.selectors import codebase_version_of
from curation.models import Submission
from curation.services import storage

logger = logging.getLogger(__name__)

QUEUED, PUSHING, PUSHED, FAILED = "queued", "pushing", "pushed", "failed"


def wants_push(submission: Submission) -> bool:
    lab = submission.dataset.lab
    return bool(lab.hub_push and lab.hub_organization and lab.hub_token)


def hub_repo_id(submission: Submission) -> str:
    return f"{submission.dataset.lab.hub_organization}/{submission.dataset.slug}"


def hub_push_queue(submission: Submission) -> bool:
    """Inside the approval's transaction: mark it queued and send the task on commit."""
    if not wants_push(submission):
        return False
    Submission.objects.filter(pk=submission.pk).update(hub_push_state=QUEUED, hub_push_error="")
    from curation.tasks import push_to_hub

    transaction.on_commit(
        lambda: push_to_hub.apply_async(args=[submission.pk], queue="hub"), robust=True
    )
    return True


def _claim(submission_id: int) -> bool:
    """Only one worker pushes a version at a time (Healthchecks-style row claim)."""
    return bool(
        Submission.objects.filter(pk=submission_id, hub_push_state__in=(QUEUED, FAILED)).update(
            hub_push_state=PUSHING, hub_push_attempts=F("hub_push_attempts") + 1
        )
    )


def hub_push_run(submission_id: int) -> str | None:
    """Push one approved version; returns the Hub commit id, None when there is nothing to do."""
    if not _claim(submission_id):
        return None
    submission = Submission.objects.select_related("dataset__lab").get(pk=submission_id)
    lab = submission.dataset.lab
    repo_id = hub_repo_id(submission)
    folder = storage.materialise(submission)
    try:
        from huggingface_hub import HfApi

        api = HfApi(endpoint=conf.hub_push_endpoint() or None, token=lab.hub_token)
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=False)
        commit = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=folder,
            commit_message=f"{submission.dataset.title} v{submission.version} (approved)",
        )
        tag = codebase_version_of(submission)
        if tag:
            # The tag lerobot's loader resolves must follow the latest version.
            from huggingface_hub.errors import HfHubHTTPError

            with contextlib.suppress(HfHubHTTPError):  # not there yet
                api.delete_tag(repo_id, tag=tag, repo_type="dataset")
            api.create_tag(repo_id, tag=tag, repo_type="dataset", exist_ok=True)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".replace(lab.hub_token, "***")[:2000]
        Submission.objects.filter(pk=submission_id).update(
            hub_push_state=FAILED, hub_push_error=message
        )
        logger.warning("push of %s to %s failed: %s", submission_id, repo_id, message)
        raise
    finally:
        storage.dematerialise(folder)
    Submission.objects.filter(pk=submission_id).update(
        hub_push_state=PUSHED,
        hub_push_error="",
        hub_push_commit=commit.oid or "",
        hub_pushed_at=timezone.now(),
    )
    return commit.oid
