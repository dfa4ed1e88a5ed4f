"""The snapshot history: one columnar parquet file per snapshot date, partitioned by date.

A year of daily whole-Hub snapshots is ~900M rows: too many for PostgreSQL rows and for memory.
The history therefore lives as files, in a hive-partitioned layout that DuckDB and Arrow datasets
read with partition pruning and column projection::

    <root>/<kind>/snapshot_date=2026-11-16/part-0.parquet

``kind`` is ``real`` or ``simulated``: the two are never mixed in one history (a simulated day
must not feed a real half-life). PostgreSQL keeps what pages read (aggregates, per-snapshot
metrics, the admin tables); the reuse time metrics (daily downloads, half-life, age-matched RAM)
are computed from this history, so a live crawl gets them exactly like an imported file.

Writes are atomic (a temporary file renamed into place), so a reader never sees half a day, and
idempotent (writing a day again replaces it). ``prune`` keeps the newest ``keep_days`` days.
Django-free; ``growth.services`` decides the root (``HUB_HISTORY_DIR``, default
``STORAGE_ROOT/hub/history``).
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from growth.core.snapshot import SNAPSHOT_SCHEMA

KINDS = ("real", "simulated")
PARTITION = "snapshot_date="
# What the reuse computation reads; the partition column comes back from the directory name.
DAY_SCHEMA = pa.schema([f for f in SNAPSHOT_SCHEMA if f.name != "snapshot_date"])


def _kind_dir(root: str | Path, kind: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"history kind {kind!r} is not one of {KINDS}")
    return Path(root) / kind


def day_dir(root: str | Path, kind: str, day: dt.date) -> Path:
    return _kind_dir(root, kind) / f"{PARTITION}{day.isoformat()}"


def write_day(root: str | Path, kind: str, day: dt.date, table: pa.Table) -> Path:
    """Store one snapshot date (a snapshot-format table; its ``snapshot_date`` column, if any,
    is dropped: the directory says it). Replaces that date atomically."""
    columns = [f.name for f in DAY_SCHEMA if f.name in table.column_names]
    rows = table.select(columns)
    for field in DAY_SCHEMA:  # a real listing may lack columns: store them as nulls
        if field.name not in rows.column_names:
            rows = rows.append_column(field, pa.nulls(rows.num_rows, field.type))
    rows = rows.select(DAY_SCHEMA.names).cast(DAY_SCHEMA)
    target = day_dir(root, kind, day)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    pq.write_table(rows, staging / "part-0.parquet", compression="zstd", row_group_size=500_000)
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)
    return target


def days(root: str | Path, kind: str) -> list[dt.date]:
    """The stored dates, oldest first (half-written ``.tmp`` directories are not dates)."""
    base = _kind_dir(root, kind)
    if not base.is_dir():
        return []
    found = []
    for entry in base.iterdir():
        name = entry.name
        if entry.is_dir() and name.startswith(PARTITION) and "." not in name[len(PARTITION) :]:
            try:
                found.append(dt.date.fromisoformat(name[len(PARTITION) :]))
            except ValueError:
                continue
    return sorted(found)


def dataset(root: str | Path, kind: str) -> ds.Dataset:
    """The history as an Arrow dataset (hive partitioning on ``snapshot_date``)."""
    paths = [str(day_dir(root, kind, day) / "part-0.parquet") for day in days(root, kind)]
    partitioning = ds.partitioning(pa.schema([("snapshot_date", pa.date32())]), flavor="hive")
    return ds.dataset(
        paths,
        schema=DAY_SCHEMA.append(pa.field("snapshot_date", pa.date32())),
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=str(_kind_dir(root, kind)),
    )


def read(
    root: str | Path,
    kind: str,
    *,
    until: dt.date | None = None,
    since: dt.date | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """The history (only ``columns``; dates in [since, until]) as one snapshot-format table.
    Partition pruning skips the files of other dates without opening them."""
    if not days(root, kind):
        return SNAPSHOT_SCHEMA.empty_table().select(columns or SNAPSHOT_SCHEMA.names)
    where = None
    date = ds.field("snapshot_date")
    if until is not None:
        where = date <= pa.scalar(until, pa.date32())
    if since is not None:
        lower = date >= pa.scalar(since, pa.date32())
        where = lower if where is None else (where & lower)
    table = dataset(root, kind).to_table(columns=columns, filter=where)
    if "snapshot_date" in table.column_names:
        table = table.take(pc.sort_indices(table["snapshot_date"]))
    return table


def prune(root: str | Path, kind: str, keep_days: int) -> list[dt.date]:
    """Delete all but the newest ``keep_days`` dates; returns the dates removed."""
    if keep_days < 1:
        raise ValueError("keep at least one day of history")
    stored = days(root, kind)
    removed = stored[: max(len(stored) - keep_days, 0)]
    for day in removed:
        shutil.rmtree(day_dir(root, kind, day), ignore_errors=True)
    return removed
