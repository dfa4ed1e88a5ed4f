"""Writes of the growth app, split by concern:

- ``repo_rows``: snapshot repo rows <-> the database, in bulk (COPY on PostgreSQL);
- ``aggregates``: compute and store a snapshot's growth aggregates, recompute, prune;
- ``imports``: offline import of snapshot files;
- ``ingest``: the live, resumable crawl of the Hub.

The names below are re-exported so callers write ``services.import_snapshot_file(...)``.
"""

from .aggregates import (
    aggregate_snapshot,
    previous_snapshot,
    prune_repo_rows,
    reaggregate_all,
    store_aggregates,
)
from .imports import SIMULATED_METADATA_KEY, import_snapshot_file, load_snapshot_rows
from .ingest import hub_endpoint, run_live_ingest, start_live_ingest
from .repo_rows import read_repo_rows, snapshot_table, write_repo_rows

__all__ = [
    "SIMULATED_METADATA_KEY",
    "aggregate_snapshot",
    "hub_endpoint",
    "import_snapshot_file",
    "load_snapshot_rows",
    "previous_snapshot",
    "prune_repo_rows",
    "read_repo_rows",
    "reaggregate_all",
    "run_live_ingest",
    "snapshot_table",
    "start_live_ingest",
    "store_aggregates",
    "write_repo_rows",
]
