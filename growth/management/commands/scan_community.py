"""``python manage.py scan_community --snapshot ID [--domain science] [--projects 20]
[--repos 10] [--endpoint URL]``: read the commit histories behind the community projects
page (one request per repo; HF_TOKEN is used when set). Rerunning skips what is done."""

import os

from django.core.management.base import BaseCommand, CommandError

from growth.services.community import CommunityScanError, scan_contributors


class Command(BaseCommand):
    help = "Read commit authors of a domain's largest organizations' repos (community projects)."

    def add_arguments(self, parser):
        parser.add_argument("--snapshot", type=int, required=True)
        parser.add_argument("--domain", default="science")
        parser.add_argument("--projects", type=int, default=20)
        parser.add_argument("--repos", type=int, default=10, help="repos per project")
        parser.add_argument("--endpoint", default=None)

    def handle(self, *args, snapshot, domain, projects, repos, endpoint, **options):
        if projects < 1 or repos < 1:
            raise CommandError("--projects and --repos must be at least 1")
        try:
            counts = scan_contributors(
                snapshot, domain, projects, repos, endpoint, os.environ.get("HF_TOKEN") or None
            )
        except CommunityScanError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{counts['scanned']} repo histories read, {counts['skipped']} already done, "
            f"{counts['failed']} could not be read"
        )
