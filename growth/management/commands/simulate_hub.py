"""python manage.py simulate_hub --out PARQUET [--models N] [--datasets N] [--seed S]"""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from growth.core.simulate import simulate


class Command(BaseCommand):
    help = (
        "Write a SIMULATED Hub snapshot history (weekly snapshots) calibrated to the Spring 2026 "
        "report's figures, for demos and benchmarks. Import it with import_snapshot."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="parquet file to write")
        parser.add_argument("--models", type=int, default=20_000)
        parser.add_argument("--datasets", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--snapshots", type=int, default=8, help="number of dated snapshots")
        parser.add_argument("--interval-days", type=int, default=7, help="days between snapshots")
        parser.add_argument(
            "--end", type=date.fromisoformat, default=date(2026, 11, 16), help="last snapshot date"
        )

    def handle(self, *args, **o):
        started = time.perf_counter()
        try:
            result = simulate(
                o["out"],
                models=o["models"],
                datasets=o["datasets"],
                seed=o["seed"],
                snapshots=o["snapshots"],
                interval_days=o["interval_days"],
                end=o["end"],
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"simulated {result.models} models + {result.datasets} datasets, "
            f"{len(result.dates)} snapshots ({result.dates[0]} .. {result.dates[-1]}), "
            f"{result.rows} rows -> {result.path} in {time.perf_counter() - started:.1f}s"
        )
