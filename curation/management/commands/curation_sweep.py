from django.core.management.base import BaseCommand

from curation.services.quotas import blobs_collect
from curation.services.sweeper import pipelines_requeue, uploads_expire


class Command(BaseCommand):
    help = (
        "Remove abandoned uploads and unused blobs, and queue again validations that stopped "
        "making progress."
    )

    def handle(self, *args, **options):
        expired = uploads_expire()
        requeued = pipelines_requeue()
        collected = blobs_collect()
        self.stdout.write(
            f"uploads expired: {expired}; pipelines queued again: {requeued or 'none'}; "
            f"unused blobs deleted: {collected}"
        )
