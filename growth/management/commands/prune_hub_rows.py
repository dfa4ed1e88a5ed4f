"""python manage.py prune_hub_rows [--keep N]"""

from django.core.management.base import BaseCommand, CommandError

from growth.services import prune_repo_rows


class Command(BaseCommand):
    help = (
        "Delete the repo rows of old snapshots, keeping their aggregates (what the pages show) "
        "and the rows of the N latest snapshots of each kind (real, simulated)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, default=2)

    def handle(self, *args, keep, **options):
        try:
            pruned = prune_repo_rows(keep=keep)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for snapshot in pruned:
            self.stdout.write(f"pruned repo rows of {snapshot}")
        self.stdout.write(self.style.SUCCESS(f"{len(pruned)} snapshot(s) pruned"))
