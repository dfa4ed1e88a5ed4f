#!/usr/bin/env python
import os
import sys

# Commands that sign nothing and serve no request may run without a SECRET_KEY, e.g. computing
# reuse metrics from a snapshot file on a laptop (growth/REUSE.md) or validating a dataset folder
# on a fresh checkout (README). Listing a command here only lets it start without the secret.
OFFLINE_COMMANDS = {"reuse_metrics", "validate_dataset", "vla_check"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ.setdefault("DJANGO_ALLOW_EPHEMERAL_SECRET", "1")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:  # a missing SECRET_KEY (or another setting) is said plainly, not as a later traceback
        settings.INSTALLED_APPS  # noqa: B018 - loading the settings is the point
    except ImproperlyConfigured as error:
        sys.exit(f"error: {error}")

    execute_from_command_line(sys.argv)
