"""Curation models, one module per area; import them from here (``from curation.models import Lab``)."""

from curation.models.inference import InferenceRun, Policy
from curation.models.labs import Lab

__all__ = ["InferenceRun", "Lab", "Policy"]
