from django.apps import AppConfig


class GrowthConfig(AppConfig):
    name = "growth"
    verbose_name = "Hub growth and reuse"

    def ready(self):
        from growth import signals  # noqa: F401  (connects the rule-change receivers)
