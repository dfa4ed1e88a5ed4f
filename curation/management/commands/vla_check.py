"""``python manage.py vla_check DATASET_PATH --policy PATH_OR_ID [--device auto] [--steps N] [--json]``

Runs the inference check in this process (no worker, nothing stored) and prints the report.
Exit codes: 0 the policy ran and fits the dataset, 1 it does not fit or failed, 2 unusable arguments.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from validators.inference import UsageError, check_policy
from validators.inference.cli import EXIT_USAGE, add_arguments, exit_code, render_text


class Command(BaseCommand):
    help = "Run a lerobot policy on a dataset's frames on this device and report speed and fit."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        try:
            report = check_policy(
                options["dataset_path"],
                options["policy"],
                device=options["device"],
                steps=options["steps"],
                chunks=options["chunks"],
                warmup=options["warmup"],
                seed=options["seed"],
                vlm_model=options["vlm_model"],
            )
        except UsageError as exc:
            raise CommandError(str(exc), returncode=EXIT_USAGE) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2, default=str))
        else:
            self.stdout.write(render_text(report))
        code = exit_code(report)
        if code:
            raise CommandError(
                f"the policy {'does not fit the dataset' if report.status == 'incompatible' else 'failed'}",
                returncode=code,
            )
