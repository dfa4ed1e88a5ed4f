"""Curation models, one module per area; import them from here (``from curation.models import Lab``)."""

from curation.models.labs import Lab

__all__ = ["Lab"]
