"""Build (or rebuild) the episode visualizer's data of dataset versions: versions validated before
the visualizer existed, or after a change of its format.

    python manage.py build_visualizer 12 15        # these submission ids
    python manage.py build_visualizer --missing    # every validated version without data
"""

from django.core.management.base import BaseCommand, CommandError

from curation.models import Submission
from curation.visualizer import store


class Command(BaseCommand):
    help = "Build the episode visualizer's precomputed data of dataset versions."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="submission ids")
        parser.add_argument(
            "--missing", action="store_true", help="every validated version without data"
        )

    def handle(self, *args, ids, missing, **options):
        if not ids and not missing:
            raise CommandError("give submission ids, or --missing")
        rows = Submission.objects.filter(report__isnull=False)
        rows = rows.filter(pk__in=ids) if ids else rows
        found = 0
        for submission in rows.order_by("pk").iterator():
            if missing and not ids and store.current_build(submission.pk):
                continue
            found += 1
            index = store.submission_index(submission.pk)
            problems = index.get("problems") or []
            self.stdout.write(
                f"{submission}: {len(index.get('episodes') or [])} episodes"
                + (f", {len(problems)} problem(s): {problems[0]}" if problems else "")
            )
        if ids and found < len(set(ids)):
            raise CommandError("some ids are not validated submissions")
