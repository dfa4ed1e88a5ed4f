from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self):
        # Register the inference check's Celery task with every worker (autodiscovery only looks
        # for curation/tasks.py).
        from curation.inference import tasks  # noqa: F401
