"""Curation models, one module per area; import them from here (``from curation.models import Lab``)."""

from curation.models.audit import AuditEvent
from curation.models.catalogue import CatalogueGeneration, DatasetIndex, IndexCamera, IndexTask
from curation.models.comments import Comment
from curation.models.datasets import (
    Blob,
    Dataset,
    Submission,
    SubmissionFile,
    SubmissionState,
    UploadSession,
    ValidationOutcome,
)
from curation.models.inference import InferenceRun, Policy
from curation.models.labs import Lab

__all__ = [
    "AuditEvent",
    "Blob",
    "CatalogueGeneration",
    "Comment",
    "Dataset",
    "DatasetIndex",
    "IndexCamera",
    "IndexTask",
    "InferenceRun",
    "Lab",
    "Policy",
    "Submission",
    "SubmissionFile",
    "SubmissionState",
    "UploadSession",
    "ValidationOutcome",
]
