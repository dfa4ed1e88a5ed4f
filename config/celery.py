"""The Celery app: queues, routing and reliability settings shared by every worker.

Queues, so that each kind of work can get its own workers (platform/DEPLOY.md):
- ``default``     health pings, notifications, sweepers
- ``validation``  dataset validation and indexing (CPU and disk heavy)
- ``inference``   the VLA inference check (a GPU worker can serve it alone)
- ``hub``         Hugging Face Hub ingestion and metric roll-ups
"""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("curation_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")

QUEUES = ("default", "validation", "inference", "hub")


app.conf.update(
    broker_connection_retry_on_startup=True,
    task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
    task_default_queue="default",
    # Each kind of work on its own queue, by task name, so a deployment sizes workers per queue.
    task_routes={
        "curation.inference.*": {"queue": "inference"},
        "curation.run_pipeline": {"queue": "validation"},
        "growth.*": {"queue": "hub"},
    },
    # Long validations: take one task at a time, acknowledge it only when done, and give it back
    # to the queue when the worker dies mid-way. Every task is idempotent for this reason.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_track_started=True,
    task_time_limit=60 * 60,
    task_soft_time_limit=55 * 60,
    task_serializer="json",
    accept_content=["json"],
    result_expires=60 * 60,
    worker_send_task_events=True,
    timezone="UTC",
    beat_schedule={
        # The Hub keeps no history: one dated snapshot a day is what trends are made of.
        "growth-crawl-hub-daily": {
            "task": "growth.crawl_hub_daily",
            "schedule": crontab(hour=3, minute=17),
            "options": {"queue": "hub"},
        },
        # Retention of the columnar snapshot history (growth/core/history.py): keep the newest
        # HUB_HISTORY_KEEP_DAYS days of each kind, after the day's crawl.
        "growth-prune-history-daily": {
            "task": "growth.prune_history",
            "schedule": crontab(hour=5, minute=47),
            "options": {"queue": "hub"},
        },
        # Validations whose worker died or hung are requeued, then abandoned with a clear error;
        # abandoned uploads are removed (curation/services/sweeper.py).
        "curation-sweep": {
            "task": "curation.sweep",
            "schedule": float(os.environ.get("PIPELINE_SWEEP_INTERVAL_S", "60")),
            "options": {"queue": "default", "expires": 300},
        },
    },
)

app.autodiscover_tasks()


@app.task(
    name="platform.ping", ignore_result=False, acks_late=False, time_limit=30, soft_time_limit=25
)
def ping() -> str:
    """Round-trip check used by the health page: a worker on the queue answers "pong"."""
    return "pong"
