"""``python manage.py reuse_metrics --snapshot FILE [--domain D] [--json]``

Computes every reuse metric straight from a snapshot parquet file, without the database, and
prints one JSON object ``{"domains": {name: {...}}}`` (``--json``) or a readable table.
Bad input (missing file, not parquet, missing columns, unknown domain) exits with code 2 and a
message on stderr.
"""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from growth.core.reuse.compute import UnknownDomain, compute_reuse_metrics, load_history
from growth.core.reuse.definitions import CORE
from growth.core.snapshot import SnapshotError, missing_warning

SHORT = {
    "repos": "repos",
    "downloads_total": "downloads",
    "gini_downloads": "gini",
    "top1pct_share_downloads": "top1%",
    "share_under_200_downloads": "<200dl",
    "hhi_authors": "hhi_auth",
    "derivatives_total": "derivs",
    "dataset_reuse_ratio": "ds_reuse",
    "declaration_rate": "declared",
}


def _format(value, kind: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):  # "not available": the snapshot lacks a column it needs
        return "n/a"
    if kind == "count":
        return f"{value:,}"
    return f"{value:.4f}"


class Command(BaseCommand):
    help = "Compute per-domain reuse metrics from a snapshot parquet file (no database needed)."
    requires_system_checks = []  # runs without a database, so skip checks that may touch one

    def add_arguments(self, parser):
        parser.add_argument("--snapshot", required=True, metavar="PARQUET", help="snapshot file")
        parser.add_argument(
            "--domain",
            action="append",
            metavar="D",
            help="only this domain key (e.g. robotics, science/biology); repeatable",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            default=None,
            help="the day a listing without a snapshot_date column was taken (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--store",
            action="store_true",
            help="also store the metrics of the file's latest date in the database (the only "
            "option that needs one); --all-dates stores every date of the file",
        )
        parser.add_argument("--all-dates", action="store_true", help="with --store: every date")

    def handle(
        self, *args, snapshot, domain, json: bool, store: bool, all_dates: bool, date, **options
    ):
        try:
            history = load_history(snapshot, snapshot_date=date)
            result = compute_reuse_metrics(history, domains=domain)
            if result["missing_columns"]:
                self.stderr.write(
                    "warning: " + missing_warning(snapshot, result["missing_columns"])
                )
            if store:
                from growth.reuse.services import reuse_metrics_store_file

                stored = reuse_metrics_store_file(snapshot, all_dates=all_dates)
                self.stderr.write(f"stored reuse metrics of {', '.join(map(str, stored))}")
        except (SnapshotError, UnknownDomain) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if json:
            self.stdout.write(_json_dumps({"domains": result["domains"]}))
            return
        self._table(result)

    def _table(self, result: dict) -> None:
        """One row per domain, one column per core metric, then what each column means."""
        domains = result["domains"]
        self.stdout.write(f"Reuse metrics, snapshot of {result['snapshot_date']}\n")
        name_width = max([len("domain"), *(len(name) for name in domains)])
        widths = [max(len(SHORT[m.key]), 9) for m in CORE]
        header = (
            "domain".ljust(name_width)
            + "  "
            + "  ".join(SHORT[m.key].rjust(w) for m, w in zip(CORE, widths, strict=True))
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, metrics in domains.items():
            cells = [
                _format(metrics[m.key], m.kind).rjust(w) for m, w in zip(CORE, widths, strict=True)
            ]
            self.stdout.write(name.ljust(name_width) + "  " + "  ".join(cells))
        self.stdout.write("\nColumns (null = the denominator is zero, the metric is undefined):")
        for metric in CORE:
            self.stdout.write(f"  {SHORT[metric.key]} = {metric.key}: {metric.definition}")


def _json_dumps(value) -> str:
    return json.dumps(value, allow_nan=False, ensure_ascii=False)
