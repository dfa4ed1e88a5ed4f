"""A rule change recomputes the figures: editing, adding or deleting a domain rule or a known
organization (admin, shell or API alike) queues the recomputation of every snapshot's aggregates
once the change is committed. The recomputed aggregates record the new rule-set version, so
pages say which rules their figures come from (and "recomputing" until then)."""

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from growth.models import DomainRule, KnownOrganization


def queue_recompute() -> bool:
    """Queue one recomputation per transaction, however many rows it changed (list_editable)."""
    if getattr(connection, "_growth_recompute_queued", False):
        return False
    connection._growth_recompute_queued = True

    def send():
        connection._growth_recompute_queued = False
        from growth.tasks import reaggregate

        reaggregate.apply_async(queue="hub")

    transaction.on_commit(send)
    return True


@receiver([post_save, post_delete], sender=DomainRule)
@receiver([post_save, post_delete], sender=KnownOrganization)
def rules_changed(sender, **kwargs):
    queue_recompute()
