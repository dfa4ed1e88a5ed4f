"""``python manage.py validate_dataset PATH [--json] [--max-episodes N]``: a thin wrapper over
``validators`` (same options and exit codes as ``python -m validators``)."""

import sys

from django.core.management.base import BaseCommand

from validators.__main__ import add_arguments, run


class Command(BaseCommand):
    help = "Validate a LeRobot dataset folder and print the report (exit 1 on errors, 2 if PATH is unusable)."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        class Options:
            pass

        parsed = Options()
        for key in (
            "path",
            "json",
            "format",
            "decode",
            "max_episodes",
            "no_decode",
            "workers",
            "repair",
            "revision",
        ):
            setattr(parsed, key, options[key])
        code = run(parsed, out=self.stdout)
        if code:
            sys.exit(code)
