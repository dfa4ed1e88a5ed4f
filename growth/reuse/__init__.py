"""Reuse metrics, Django side: models, services (store), selectors (read), views, API, urls and
tasks. The computation itself is Django-free, in ``growth.core.reuse``."""
