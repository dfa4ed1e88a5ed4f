"""A rule change recomputes the figures: editing, adding or deleting a domain rule or a known
organization (admin, shell or API alike) queues the recomputation of every snapshot's aggregates
once the change is committed. The recomputed aggregates record the new rule-set version, so
pages say which rules their figures come from (and "recomputing" until then)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from growth.models import DomainRule, KnownOrganization


def _send_recompute():
    from growth.tasks import reaggregate

    reaggregate.apply_async(queue="hub")


def queue_recompute() -> bool:
    """Queue one recomputation per transaction, however many rows it changed (list_editable).

    Nothing is queued if the transaction rolls back (Django drops its on-commit callbacks).
    """
    pending = transaction.get_connection().run_on_commit
    if any(entry[1] is _send_recompute for entry in pending):
        return False
    transaction.on_commit(_send_recompute)
    return True


@receiver([post_save, post_delete], sender=DomainRule)
@receiver([post_save, post_delete], sender=KnownOrganization)
def rules_changed(sender, **kwargs):
    queue_recompute()
