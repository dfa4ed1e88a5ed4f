"""Storage quotas per lab and per user, and collection of blobs nothing uses (issue 19, M4).

- ``LAB_STORAGE_QUOTA_BYTES`` (default 2 TiB): what a lab's submissions reference (each distinct
  blob once) plus the declared sizes of its uploads in progress.
- ``USER_STORAGE_QUOTA_BYTES`` (default 1 TiB): what one user's uploads in progress declare plus
  what their own unpublished submissions reference.

Both are checked when an upload starts (its declared size) and when an archive is unpacked (the
size it unpacks to), with an error that says the usage, the quota and what to do.
"""

from datetime import timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from curation import conf
from curation.models import Blob, Submission, SubmissionState, UploadSession
from curation.services.workflow import WorkflowError


class QuotaExceeded(WorkflowError):
    pass


def _size(n: int) -> str:
    for unit, scale in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:,} bytes"


def lab_usage(lab) -> int:
    stored = (
        Blob.objects.filter(uses__submission__dataset__lab=lab)
        .distinct()
        .aggregate(total=Sum("size"))["total"]
        or 0
    )
    pending = (
        UploadSession.objects.filter(
            submission__dataset__lab=lab, completed_at__isnull=True
        ).aggregate(total=Sum("size"))["total"]
        or 0
    )
    return stored + pending


def user_usage(user) -> int:
    unpublished = ~Q(uses__submission__state=SubmissionState.APPROVED)
    stored = (
        Blob.objects.filter(Q(uses__submission__submitted_by=user) & unpublished)
        .distinct()
        .aggregate(total=Sum("size"))["total"]
        or 0
    )
    pending = (
        UploadSession.objects.filter(created_by=user, completed_at__isnull=True).aggregate(
            total=Sum("size")
        )["total"]
        or 0
    )
    return stored + pending


def check_room(*, user, submission: Submission, adding: int, what: str) -> None:
    """Refuse ``adding`` more bytes for ``submission`` if the lab's or the user's quota would be
    exceeded."""
    lab = submission.dataset.lab
    lab_quota, user_quota = conf.lab_storage_quota_bytes(), conf.user_storage_quota_bytes()
    used = lab_usage(lab)
    if used + adding > lab_quota:
        raise QuotaExceeded(
            f"{what} ({_size(adding)}) would take the lab {lab.name} past its storage quota: "
            f"{_size(used)} of {_size(lab_quota)} used. Withdraw old drafts or ask an administrator "
            "for more room."
        )
    if user is not None:
        used = user_usage(user)
        if used + adding > user_quota:
            raise QuotaExceeded(
                f"{what} ({_size(adding)}) would take you past your storage quota: {_size(used)} of "
                f"{_size(user_quota)} used by your uploads and unpublished submissions."
            )


def blobs_collect(now=None) -> int:
    """Delete blobs no submission file uses (refused archives, replaced files), once they have
    been unused for ``BLOB_ORPHAN_GRACE_HOURS`` (an upload or unpacking in progress attaches its
    blobs well within that). Returns how many were deleted."""
    from django.core.files.storage import default_storage

    cutoff = (now or timezone.now()) - timedelta(hours=conf.blob_orphan_grace_hours())
    deleted = 0
    for sha256 in Blob.objects.filter(uses__isnull=True, created_at__lt=cutoff).values_list(
        "sha256", flat=True
    )[:1000]:
        # One statement re-checks both conditions: a blob attached meanwhile is kept.
        count, _ = Blob.objects.filter(
            sha256=sha256, uses__isnull=True, created_at__lt=cutoff
        ).delete()
        if count:
            default_storage.delete(Blob(sha256=sha256, size=0).storage_name)
            deleted += 1
    return deleted
