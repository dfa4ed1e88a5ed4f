# Celery discovers tasks in <app>.tasks; the reuse metrics task (issue 6) lives in growth.reuse.
from growth.reuse.tasks import reuse_metrics_compute

__all__ = ["reuse_metrics_compute"]
