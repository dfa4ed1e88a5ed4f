"""Offline import of snapshot parquet files (one or several dates), oldest first."""

import logging
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.db import transaction

from growth.core.snapshot import (
    REQUIRED_COLUMNS,
    SNAPSHOT_SCHEMA,
    SnapshotError,
    conform,
    missing_warning,
    read_snapshot,
)
from growth.models import HubRepo, Snapshot

from .aggregates import previous_snapshot, store_aggregates
from .history import record_history
from .repo_rows import read_repo_rows, write_repo_rows

log = logging.getLogger(__name__)

SIMULATED_METADATA_KEY = b"growth.simulated"


def _dedupe(table: pa.Table) -> tuple[pa.Table, int]:
    """Keep the first row of each (repo_type, id); a file may list a repo twice."""
    if table.num_rows == 0:
        return table, 0
    keys = pa.table({"repo_type": table["repo_type"], "id": table["id"]})
    keys = keys.append_column("_row", pa.array(np.arange(table.num_rows)))
    first = keys.group_by(["repo_type", "id"], use_threads=False).aggregate([("_row", "min")])
    rows = np.sort(first["_row_min"].to_numpy(zero_copy_only=False))
    dropped = table.num_rows - len(rows)
    return (table.take(pa.array(rows)) if dropped else table), dropped


def _validate_rows(table: pa.Table, path) -> tuple[pa.Table, list[str]]:
    """Drop rows that cannot be stored (no id, unknown repo type), saying which and why."""
    problems = []
    repo_type = pc.fill_null(table["repo_type"].cast(pa.string()), "")
    ids = pc.fill_null(table["id"].cast(pa.string()), "")
    good = pc.and_(pc.is_in(repo_type, pa.array(["model", "dataset"])), pc.not_equal(ids, ""))
    bad = np.nonzero(~good.to_numpy(zero_copy_only=False))[0]
    for row in bad[:20]:
        problems.append(
            f"{path}: row {row}: skipped (repo_type={repo_type[row].as_py()!r}, "
            f"id={ids[row].as_py()!r})"
        )
    if len(bad) > 20:
        problems.append(f"{path}: ... and {len(bad) - 20} more rows skipped for the same reasons")
    return (table.filter(good) if len(bad) else table), problems


def import_snapshot_file(
    path,
    simulated: bool | None = None,
    replace: bool = False,
    report: Callable[[str], None] = log.info,
    taken_on: date | None = None,
) -> list[Snapshot]:
    """Import a snapshot parquet file (one or several ``snapshot_date`` values), oldest first.

    The file is marked simulated when ``simulated`` is true, or when it is None and the file's
    metadata says so (``simulate_hub`` writes it). A date already imported from the same source is
    skipped unless ``replace``; a half-loaded one (an interrupted import) is always reloaded.

    A real listing may lack columns (older research dumps have only id, author, createdAt,
    downloads and pipeline_tag): it imports with a warning naming them, they are stored empty,
    the snapshot records them (``Snapshot.missing_columns``) and every metric that needs one says
    "not available". A listing without ``snapshot_date`` needs ``taken_on``; without
    ``repo_type`` its rows are models.
    """
    read_snapshot(path, [])  # a clear error for a missing or unreadable file
    schema = pq.read_schema(path)
    if "id" not in schema.names:
        raise SnapshotError(f"{path}: missing column(s) ['id']; a listing needs at least an id")
    present = [name for name in REQUIRED_COLUMNS if name in schema.names]
    if "snapshot_date" in schema.names:
        # One date at a time (row-group filtering), so a long history never sits in memory.
        dates_column = read_snapshot(path, ["snapshot_date"])["snapshot_date"]
        undated = dates_column.null_count
        if undated:
            report(f"{path}: {undated} row(s) without snapshot_date skipped")
        dates = sorted(d for d in pc.unique(dates_column).to_pylist() if d is not None)
    elif taken_on is not None:
        dates = [taken_on]
    else:
        raise SnapshotError(
            f"{path}: no snapshot_date column; say which day the listing was taken (--date)"
        )
    if simulated is None:
        simulated = (schema.metadata or {}).get(SIMULATED_METADATA_KEY, b"") == b"true"
    source = Snapshot.Source.SIMULATED if simulated else Snapshot.Source.IMPORT
    if not dates:
        raise SnapshotError(f"{path}: no rows to import")
    snapshots = []
    previous_table = None
    previous = None
    warned = False
    for taken_on in dates:
        filters = [("snapshot_date", "=", taken_on)] if "snapshot_date" in present else None
        day = pq.read_table(path, columns=present, filters=filters)
        day, missing = conform(day, str(path), snapshot_date=taken_on)
        if missing and not warned:
            report(missing_warning(str(path), missing))
            warned = True
        try:
            day = day.select(SNAPSHOT_SCHEMA.names).cast(SNAPSHOT_SCHEMA)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SnapshotError(f"{path}: columns have the wrong types ({exc})") from exc
        day, problems = _validate_rows(day, f"{path}: {taken_on}")
        for problem in problems:
            report(problem)
        day, dropped = _dedupe(day)
        if dropped:
            report(f"{path}: {taken_on}: {dropped} repeated (repo_type, id) rows ignored")
        existing = Snapshot.objects.filter(taken_on=taken_on, source=source).first()
        if existing and existing.status == Snapshot.Status.READY and not replace:
            report(
                f"{taken_on}: already imported (snapshot {existing.pk}); use --replace to reload"
            )
            previous_table, previous = day.select(["repo_type", "id", "downloadsAllTime"]), existing
            snapshots.append(existing)
            continue
        started = time.perf_counter()
        snapshot = load_snapshot_rows(taken_on, source, simulated, day, label=str(path))
        snapshot.missing_columns = missing
        snapshot.save(update_fields=["missing_columns"])
        if previous is None:
            previous = previous_snapshot(snapshot)
            if previous is not None:
                previous_table = read_repo_rows(
                    previous.pk, ["repo_type", "id", "downloadsAllTime"]
                )
        store_aggregates(snapshot, day, previous_table, previous)
        record_history(snapshot, day)
        report(
            f"{taken_on}: {day.num_rows} repos imported as snapshot {snapshot.pk}"
            f"{' (simulated)' if simulated else ''} in {time.perf_counter() - started:.1f}s"
        )
        previous_table, previous = day.select(["repo_type", "id", "downloadsAllTime"]), snapshot
        snapshots.append(snapshot)
    if snapshots:
        # Reuse metrics of every date in the file, in the background, from the stored history
        # (earlier imports and crawls included), exactly as for a live crawl.
        from growth.reuse.services import reuse_metrics_schedule

        for snapshot in snapshots:
            reuse_metrics_schedule(snapshot_id=snapshot.pk)
    return snapshots


@transaction.atomic
def load_snapshot_rows(taken_on: date, source: str, simulated: bool, table: pa.Table, label=""):
    """Create (or empty) the snapshot for a day and bulk-load its rows, in one transaction."""
    snapshot, _ = Snapshot.objects.get_or_create(
        taken_on=taken_on, source=source, defaults={"simulated": simulated, "label": label}
    )
    HubRepo.objects.filter(snapshot=snapshot).delete()
    snapshot.simulated = simulated
    snapshot.label = label
    snapshot.status = Snapshot.Status.LOADING
    snapshot.save(update_fields=["simulated", "label", "status"])
    write_repo_rows(snapshot.pk, table)
    return snapshot
