"""The conversation on a submission, both ways (InvenioRDM's request comments): lab members and
curators write; a curator's reason to request changes or reject is the first comment of its
round, kept prominent."""

from django.conf import settings
from django.db import models


class Comment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        REQUEST_CHANGES = "request_changes", "Changes requested"
        REJECT = "reject", "Rejected"

    submission = models.ForeignKey(
        "curation.Submission", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMMENT)
    round = models.PositiveIntegerField(help_text="the submission's review round when written")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["submission", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on {self.submission}: {self.body[:40]}"

    @property
    def is_decision(self) -> bool:
        return self.kind != self.Kind.COMMENT
