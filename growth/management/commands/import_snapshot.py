"""python manage.py import_snapshot PARQUET [--simulated] [--replace] [--date YYYY-MM-DD]"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from growth.core.snapshot import SnapshotError
from growth.services import import_snapshot_file


class Command(BaseCommand):
    help = (
        "Import a Hub snapshot parquet file (growth.core.snapshot.SNAPSHOT_SCHEMA, one row per repo and "
        "snapshot_date) and compute its per-domain aggregates."
    )

    def add_arguments(self, parser):
        parser.add_argument("parquet", help="path of the snapshot parquet file")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument(
            "--simulated",
            action="store_true",
            default=None,
            help="label the data as simulated (default: what the file's metadata says)",
        )
        kind.add_argument(
            "--real", dest="simulated", action="store_false", help="label the data as real"
        )
        parser.add_argument(
            "--replace", action="store_true", help="reload dates that were already imported"
        )
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            default=None,
            help="the day a listing without a snapshot_date column was taken (YYYY-MM-DD)",
        )

    def handle(self, *args, parquet, simulated, replace, date, **options):
        try:
            snapshots = import_snapshot_file(
                parquet,
                simulated=simulated,
                replace=replace,
                report=lambda line: self.stdout.write(line),
                taken_on=date,
            )
        except SnapshotError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{len(snapshots)} snapshot(s) ready"))
