"""Datasets, their versions (submissions) and the content-addressed files they are made of.

A ``Dataset`` is the stable identity a researcher cites; each upload of it is a ``Submission``
(version 1, 2, ...) that goes through validation and review on its own. Files are stored once per
content (``Blob``, keyed by sha256) and listed per submission (``SubmissionFile``), so a re-upload
of identical files costs no storage and is recognised.
"""

from django.conf import settings
from django.db import models


class Dataset(models.Model):
    lab = models.ForeignKey("curation.Lab", on_delete=models.PROTECT, related_name="datasets")
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    domain = models.CharField(
        max_length=60, blank=True, help_text="e.g. manipulation, navigation, humanoid"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lab__name", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "slug"], name="dataset_unique_slug_per_lab")
        ]

    def __str__(self) -> str:
        return f"{self.lab.slug}/{self.slug}"


class SubmissionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    VALIDATING = "validating", "Validating"
    READY_FOR_REVIEW = "ready_for_review", "Ready for review"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    # Validation found errors (or could not run): back to the lab with the report, files unlocked,
    # never in the review queue (Dataverse's "return to author", done by the pipeline).
    RETURNED = "returned", "Returned: validation failed"
    RESUBMITTED = "resubmitted", "Resubmitted"
    APPROVED = "approved", "Approved (published)"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ValidationOutcome(models.TextChoices):
    NOT_RUN = "not_run", "Not run"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    WARNINGS = "warnings", "Passed with warnings"
    FAILED = "failed", "Failed"
    ERROR = "error", "Pipeline error"


class Submission(models.Model):
    """One version of a dataset, from upload to decision. Its state changes only through
    ``curation.services.workflow`` (one function per transition, table in ``curation.workflow``)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=SubmissionState.choices, default=SubmissionState.DRAFT
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
    )
    # Review round: 1 for the first submission, +1 per resubmission after changes were requested.
    round = models.PositiveIntegerField(default=1)
    notes = models.TextField(blank=True, help_text="what changed in this version")
    # Where the files came from: upload, folder, archive, server path or Hub repo id.
    source = models.CharField(max_length=20, default="upload")
    source_ref = models.CharField(max_length=500, blank=True)
    # An uploaded archive waiting to be unpacked by the pipeline (path under STORAGE_ROOT).
    pending_archive = models.CharField(max_length=500, blank=True)
    # Pipeline progress, read by the polled status endpoint.
    pipeline_run = models.PositiveIntegerField(default=0)
    progress_step = models.CharField(max_length=80, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_updated_at = models.DateTimeField(null=True, blank=True)
    # Starts of the pipeline for the current validation (redeliveries after a worker died, and
    # requeues by the sweeper): a dataset that kills its worker every time must not be retried
    # forever (curation.services.pipeline, curation.services.sweeper).
    pipeline_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    validation_outcome = models.CharField(
        max_length=10, choices=ValidationOutcome.choices, default=ValidationOutcome.NOT_RUN
    )
    report = models.JSONField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    validated_at = models.DateTimeField(null=True, blank=True)
    # Push to the Hub after approval (when the lab asked for it): "", queued, pushing, pushed, failed.
    hub_push_state = models.CharField(max_length=10, blank=True, default="")
    hub_push_attempts = models.PositiveIntegerField(default=0)
    hub_push_error = models.TextField(blank=True)
    hub_push_commit = models.CharField(max_length=64, blank=True)
    hub_pushed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="submission_unique_version")
        ]
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
            models.Index(fields=["validation_outcome"]),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.version}"

    @property
    def lab(self):
        return self.dataset.lab

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


class Blob(models.Model):
    """File content stored once, under ``blobs/<aa>/<bb>/<sha256>`` in the default storage."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256[:12]

    @property
    def storage_name(self) -> str:
        return f"blobs/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"


class SubmissionFile(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500, help_text="relative path inside the dataset")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="uses")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "path"], name="submission_file_unique")
        ]

    def __str__(self) -> str:
        return self.path


class UploadSession(models.Model):
    """A resumable upload: the client sends chunks at ``offset``; the bytes go to a part file on
    disk (never memory) until ``size`` is reached, then become a blob or a pending archive."""

    class Kind(models.TextChoices):
        FILE = "file", "A file of the dataset (folder upload)"
        ARCHIVE = "archive", "A .zip / .tar / .tar.gz archive of the dataset"

    token = models.CharField(max_length=64, unique=True)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    path = models.CharField(max_length=500, help_text="file name, or relative path in the folder")
    size = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.path} ({self.offset}/{self.size})"
