"""The on-device inference check: registered policies, and runs of a policy against a dataset.

``InferenceRun`` points at a dataset by its folder (``dataset_path``) and/or by the id of the
dataset version it belongs to (``dataset_version_id``, a plain integer rather than a foreign key so
that this module does not depend on the submission/dataset models; the dataset page looks runs up
by either). When versions are stored as files that must be laid out before use, the setting
``INFERENCE_DATASET_RESOLVER`` names a context manager ``resolver(version_id) -> folder`` that the
worker uses around the check (``curation.inference.services.dataset_folder``).
"""

from django.conf import settings
from django.db import models


class Policy(models.Model):
    """A lerobot policy the platform can run: a local folder or a Hub id in the local cache."""

    class Type(models.TextChoices):
        SMOLVLA = "smolvla", "SmolVLA"
        PI0 = "pi0", "π0"
        PI05 = "pi05", "π0.5"
        ACT = "act", "ACT"
        DIFFUSION = "diffusion", "Diffusion policy"
        OTHER = "other", "Other lerobot policy"

    name = models.CharField(max_length=200, unique=True)
    path = models.CharField(
        max_length=1000,
        help_text="Policy folder written by save_pretrained, or a Hub id already in the local "
        "Hugging Face cache (the Hub is not contacted).",
    )
    policy_type = models.CharField(
        "type",
        max_length=40,
        choices=Type.choices,
        blank=True,
        help_text="For display and filtering; the check reads the real type from config.json.",
    )
    vlm_model = models.CharField(
        "VLM folder",
        max_length=1000,
        blank=True,
        help_text="VLA policies only: a local folder with the VLM's config and tokenizer, used "
        "instead of the vlm_model_name in the policy's config.",
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive policies stay in past reports but cannot be chosen."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name


class InferenceRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        OK = "ok", "Ran, fits the dataset"
        INCOMPATIBLE = "incompatible", "Does not fit the dataset"
        FAILED = "failed", "Failed"

    FINISHED = (Status.OK, Status.INCOMPATIBLE, Status.FAILED)

    dataset_path = models.CharField(
        max_length=1000,
        blank=True,
        db_index=True,
        help_text="The dataset folder; blank when the worker lays the version out itself.",
    )
    dataset_version_id = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, help_text="The dataset version this folder holds."
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="runs")
    requested_device = models.CharField(max_length=20, default="auto")
    steps = models.PositiveIntegerField(default=100)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inference_runs",
    )

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=100, blank=True)  # what the check is doing now
    progress = models.FloatField(default=0.0)  # 0..1
    attempts = models.PositiveSmallIntegerField(default=0)
    device = models.CharField(max_length=40, blank=True)  # what it actually ran on
    device_name = models.CharField(max_length=200, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    report = models.JSONField(null=True, blank=True)  # InferenceReport.to_dict()
    error = models.TextField(blank=True)

    # Headline figures copied out of the report, for lists and sorting.
    load_s = models.FloatField(null=True, blank=True)
    first_call_ms = models.FloatField(null=True, blank=True)
    action_p50_ms = models.FloatField(null=True, blank=True)
    action_p95_ms = models.FloatField(null=True, blank=True)
    chunk_p50_ms = models.FloatField(null=True, blank=True)
    achieved_hz = models.FloatField(null=True, blank=True)
    realtime_verdict = models.CharField(max_length=60, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["dataset_path", "policy", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.policy} on {self.dataset_path} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
