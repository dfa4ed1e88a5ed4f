"""The audit log: one row per action, written in the same transaction as the action itself."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    submission = models.ForeignKey(
        "curation.Submission", on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(max_length=40)
    old_state = models.CharField(max_length=20, blank=True)
    new_state = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        who = self.actor.get_username() if self.actor_id else "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} {self.action} {self.old_state}→{self.new_state}"
