"""python manage.py crawl_hub [--endpoint URL] [--date YYYY-MM-DD] [--max-pages N]"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from growth import services
from growth.hub_client import HubCrawlError


class Command(BaseCommand):
    help = (
        "Crawl the Hub's model and dataset listings into today's live snapshot (what the daily "
        "beat job does), resuming an interrupted crawl of the same day where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--endpoint", help="Hub URL (default: HF_ENDPOINT or huggingface.co)")
        parser.add_argument("--date", type=date.fromisoformat, help="snapshot date (default today)")
        parser.add_argument("--max-pages", type=int, help="stop after N pages (resumable)")

    def handle(self, *args, endpoint, date, max_pages, **options):
        run = services.start_live_ingest(taken_on=date, endpoint=endpoint)
        try:
            run = services.run_live_ingest(run.pk, max_pages=max_pages)
        except HubCrawlError as exc:
            raise CommandError(f"{exc} (run {run.pk} is resumable: run the command again)") from exc
        rows = {k: v.get("rows", 0) for k, v in run.progress.items()}
        self.stdout.write(
            f"run {run.pk} [{run.status}] {run.snapshot.taken_on}: rows seen {rows}, "
            f"malformed {run.malformed_count}"
        )
