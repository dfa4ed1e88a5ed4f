from django.conf import settings
from django.db import models


class Lab(models.Model):
    """A research group. Lab members see and edit their lab's unpublished submissions."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="labs", blank=True)
    # Optional: push each approved version to the lab's Hugging Face organization.
    hub_push = models.BooleanField(
        default=False, help_text="push approved versions to the lab's Hugging Face organization"
    )
    hub_organization = models.CharField(max_length=100, blank=True)
    hub_token = models.CharField(
        max_length=200, blank=True, help_text="a write token of the organization (kept server-side)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
