"""Writes: compute the reuse metrics of a snapshot and store them (one row per date and domain)."""

import datetime as dt
import logging
from pathlib import Path

import pyarrow as pa
from django.conf import settings
from django.db import transaction

from growth.core.domains import Rule
from growth.core.reuse.compute import NEEDED_COLUMNS, compute_reuse_metrics, load_history
from growth.core.snapshot import MISSING_METADATA_KEY, SnapshotError
from growth.reuse.models import DatasetCitation, ReuseMetrics

logger = logging.getLogger(__name__)

# History series are rebuilt from the stored rows of each date, so a row keeps only its own date.
_SERIES = (("concentration", "over_time"), ("adoption", "daily_downloads"))
CITATION_BATCH = 2000


def domain_rules() -> tuple[Rule, ...]:
    """The domain rules in force: the admin's active ``DomainRule`` rows, else the defaults."""
    from growth.selectors import active_rules

    return tuple(active_rules())


def snapshot_dir() -> Path:
    """Where snapshot files named ``<YYYY-MM-DD>.parquet`` are looked up by date."""
    return Path(getattr(settings, "HUB_SNAPSHOT_DIR", settings.STORAGE_ROOT / "hub" / "snapshots"))


def snapshot_path_for(snapshot_date: dt.date) -> Path:
    return snapshot_dir() / f"{snapshot_date.isoformat()}.parquet"


def _storable(metrics: dict) -> dict:
    """The metrics of one date: the history series replaced by their value on that date."""
    stored = {**metrics}
    date = metrics["snapshot_date"]
    for group, series in _SERIES:
        if not isinstance(metrics[group], dict):  # "not available" (a missing column)
            continue
        values = [entry for entry in metrics[group][series] if entry["date"] == date]
        stored[group] = {k: v for k, v in metrics[group].items() if k != series}
        stored[group][f"{series}_at_date"] = values[0] if values else None
    return stored


def organization_directory():
    """The admin's organization table, for the one developer classifier."""
    from growth.selectors import organization_directory as directory

    return directory()


def file_source(path) -> str:
    """``simulated`` for a file ``simulate_hub`` wrote (its parquet metadata says so), else
    ``import``: the snapshot source its reuse rows are stored under."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except Exception:  # load_history reports unreadable files precisely
        return "import"
    return "simulated" if metadata.get(b"growth.simulated") == b"true" else "import"


def reuse_metrics_store(
    snapshot_date: dt.date,
    table: pa.Table,
    *,
    rules=None,
    source: str = "",
    snapshot_source: str = "import",
) -> list[ReuseMetrics]:
    """Compute every domain's metrics for ``snapshot_date`` from ``table`` and store them.

    ``table`` is a snapshot table holding that date (and possibly earlier ones, used for the
    adoption metrics). ``rules`` default to ``domain_rules()``, organizations to the admin's
    directory. ``snapshot_source`` (live, import, simulated) keys the rows with the date, as
    ``Snapshot`` is keyed: two snapshots of one day never overwrite each other. Idempotent: the
    rows and citations of that snapshot are replaced, and domains that the rules no longer
    define are removed for it.
    """
    rules = domain_rules() if rules is None else rules
    result = compute_reuse_metrics(
        table,
        rules,
        as_of=snapshot_date,
        include_citations=True,
        organizations=organization_directory(),
    )
    if result["snapshot_date"] != snapshot_date.isoformat():
        raise SnapshotError(
            f"{source or 'snapshot'}: no rows for {snapshot_date.isoformat()} "
            f"(the latest date on or before it is {result['snapshot_date']})"
        )
    citations = result["citations"].to_pylist()
    with transaction.atomic():
        rows = []
        for domain, metrics in result["domains"].items():
            row, _ = ReuseMetrics.objects.update_or_create(
                snapshot_date=snapshot_date,
                snapshot_source=snapshot_source,
                domain=domain,
                defaults={"metrics": _storable(metrics), "source": str(source)[:500]},
            )
            rows.append(row)
        this_snapshot = {"snapshot_date": snapshot_date, "snapshot_source": snapshot_source}
        ReuseMetrics.objects.filter(**this_snapshot).exclude(
            domain__in=list(result["domains"])
        ).delete()
        DatasetCitation.objects.filter(**this_snapshot).delete()
        DatasetCitation.objects.bulk_create(
            (DatasetCitation(**this_snapshot, **c) for c in citations),
            batch_size=CITATION_BATCH,
        )
    logger.info(
        "stored reuse metrics of %s: %d domains, %d citations",
        snapshot_date, len(rows), len(citations),
    )  # fmt: skip
    return rows


def reuse_metrics_store_file(
    path: str | Path | None = None,
    snapshot_date: dt.date | None = None,
    *,
    all_dates: bool = False,
    rules=None,
) -> list[dt.date]:
    """Store the metrics of a snapshot file: its latest date, ``snapshot_date``, or every date.

    With only ``snapshot_date``, the file is ``snapshot_path_for(snapshot_date)``. Returns the
    dates stored. Raises ``SnapshotError`` for unusable input.
    """
    if path is None:
        if snapshot_date is None:
            raise SnapshotError("give a snapshot file or a snapshot date")
        path = snapshot_path_for(snapshot_date)
    table = load_history(path)
    dates = sorted(set(table["snapshot_date"].to_pylist()) - {None})
    if snapshot_date is not None:
        wanted = [snapshot_date]
    elif all_dates:
        wanted = dates
    else:
        wanted = dates[-1:]
    rules = domain_rules() if rules is None else rules
    kind = file_source(path)
    from growth.models import Snapshot

    for date in wanted:
        # A file imported with --simulated (no metadata) is simulated too.
        imported_simulated = Snapshot.objects.filter(
            taken_on=date, label=str(path), simulated=True
        ).exists()
        source = "simulated" if imported_simulated else kind
        reuse_metrics_store(date, table, rules=rules, source=str(path), snapshot_source=source)
    return wanted


def reuse_metrics_store_snapshot(snapshot_id: int) -> list[dt.date]:
    """Store the metrics of a snapshot held in the database (a live crawl has no file)."""
    from growth.models import Snapshot

    snapshot = Snapshot.objects.get(pk=snapshot_id)
    table = snapshot_history(snapshot)
    reuse_metrics_store(
        snapshot.taken_on, table, source=str(snapshot), snapshot_source=snapshot.source
    )
    return [snapshot.taken_on]


def reuse_metrics_recompute(snapshot_ids: list[int] | None = None) -> list[dt.date]:
    """Recompute the stored reuse metrics of these snapshots (default: every ready one that
    still has rows or history), oldest first, with the rules and organizations in force."""
    from growth.core import history
    from growth.models import Snapshot
    from growth.services.history import history_root

    snapshots = Snapshot.objects.filter(status=Snapshot.Status.READY).order_by("taken_on", "id")
    if snapshot_ids is not None:
        snapshots = snapshots.filter(pk__in=snapshot_ids)
    done = []
    for snapshot in snapshots:
        kind = "simulated" if snapshot.simulated else "real"
        if snapshot.rows_pruned and snapshot.taken_on not in history.days(history_root(), kind):
            logger.info("reuse of %s not recomputed: no rows and no history left", snapshot)
            continue
        done += reuse_metrics_store_snapshot(snapshot.pk)
    return done


def snapshot_history(snapshot) -> pa.Table:
    """The snapshot's day and every earlier day of its kind, from the columnar history, so the
    time metrics (daily downloads, half-life, age-matched RAM) see the whole history. A
    snapshot missing from the history (stored before it existed) is read from its rows."""
    from growth.services import snapshot_table
    from growth.services.history import read_history

    history = read_history(snapshot, columns=NEEDED_COLUMNS)
    if snapshot.taken_on not in set(history["snapshot_date"].to_pylist()):
        own = snapshot_table(snapshot.pk).select(NEEDED_COLUMNS)
        history = pa.concat_tables([history, own.cast(history.schema)])
    if snapshot.missing_columns:  # a real listing without some columns: say so to the metrics
        metadata = {MISSING_METADATA_KEY: ",".join(snapshot.missing_columns).encode()}
        history = history.replace_schema_metadata(metadata)
    return history


def reuse_metrics_schedule(
    *,
    path: str | None = None,
    snapshot_date: dt.date | None = None,
    all_dates: bool = False,
    snapshot_id: int | None = None,
) -> None:
    """Queue the computation on the ``hub`` queue once the current transaction commits."""
    from .tasks import QUEUE, reuse_metrics_compute

    kwargs = {
        "path": str(path) if path else None,
        "snapshot_date": snapshot_date.isoformat() if snapshot_date else None,
        "all_dates": all_dates,
        "snapshot_id": snapshot_id,
    }
    transaction.on_commit(lambda: reuse_metrics_compute.apply_async(kwargs=kwargs, queue=QUEUE))
