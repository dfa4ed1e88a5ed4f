from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self):
        # The platform-wide system checks live in config/; registering them needs an app's ready().
        from config import checks  # noqa: F401

        # Register the inference check's Celery task with every worker (autodiscovery only looks
        # for curation/tasks.py).
        from curation.inference import tasks  # noqa: F401

        # Connect the catalogue's signal receivers (a deleted index row changes the counts).
        from curation.services import catalogue  # noqa: F401
