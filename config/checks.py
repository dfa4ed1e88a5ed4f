"""System checks of our own settings, run by ``manage.py check`` (``--deploy`` for production)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def shared_cache_for_rate_limits(app_configs, **kwargs):
    if settings.CACHE_URL:
        return []
    return [
        Warning(
            "CACHE_URL is not set, so each web process counts rate limits on its own.",
            hint="Set CACHE_URL=redis://... so login and upload limits hold across processes.",
            id="config.W001",
        )
    ]
