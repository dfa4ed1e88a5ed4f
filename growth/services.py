"""Writes: load snapshots (file import, live crawl), and compute and store their aggregates.

Repo rows are written in bulk only: PostgreSQL gets them through ``COPY ... FROM STDIN`` (CSV
produced by Arrow's C++ writer, in chunks), SQLite through batched ``executemany``. Live pages
(a thousand rows at a time) go through ``bulk_create(ignore_conflicts=True)`` in the same
transaction as the crawl checkpoint, so a restarted crawl neither loses nor duplicates a row.
"""

import io
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from growth import hub_client, selectors
from growth.aggregate import AGGREGATE_COLUMNS, aggregate
from growth.models import (
    CategoryRank,
    DomainStat,
    HubRepo,
    IngestRun,
    MonthlyCreation,
    Snapshot,
    TopAuthor,
)
from growth.snapshot import (
    BASE_MODELS_TYPE,
    REQUIRED_COLUMNS,
    SNAPSHOT_SCHEMA,
    SnapshotError,
    read_snapshot,
)

log = logging.getLogger(__name__)

SIMULATED_METADATA_KEY = b"growth.simulated"
COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH_ROWS = 5_000
REPO_COLUMNS = [
    "snapshot_id", "repo_type", "repo_id", "author", "created_at", "last_modified", "downloads",
    "downloads_all_time", "likes", "tags", "pipeline_tag", "library_name", "base_relation",
    "base_models",
]  # fmt: skip


# --- snapshot rows <-> database ------------------------------------------------------------------


def _text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.fill_null(column.cast(pa.string()), "")


def _joined(lists: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A list<string> column as newline-separated text ('' for null or empty lists)."""
    return pc.fill_null(pc.binary_join(lists, "\n"), "")


def _db_columns(snapshot_id: int, table: pa.Table) -> pa.Table:
    """Snapshot-format rows as the columns of ``growth_hubrepo``, in ``REPO_COLUMNS`` order."""
    n = table.num_rows
    base = table["baseModels"].combine_chunks() if n else pa.array([], hub_base_type())
    # baseModels.models is list<struct<id>>: keep the list structure, take the ids.
    models = pc.struct_field(base, "models")
    base_lists = pa.ListArray.from_arrays(
        models.offsets, pc.struct_field(models.values, "id"), mask=models.is_null()
    )
    ts = pa.timestamp("ms", tz="UTC")
    return pa.table(
        {
            "snapshot_id": pa.array(np.full(n, snapshot_id, dtype=np.int64)),
            "repo_type": _text(table["repo_type"]),
            "repo_id": _text(table["id"]),
            "author": _text(table["author"]),
            "created_at": table["createdAt"].cast(ts),
            "last_modified": table["lastModified"].cast(ts),
            "downloads": pc.fill_null(table["downloads"].cast(pa.int64()), 0),
            "downloads_all_time": pc.fill_null(table["downloadsAllTime"].cast(pa.int64()), 0),
            "likes": pc.fill_null(table["likes"].cast(pa.int64()), 0),
            "tags": _joined(table["tags"]),
            "pipeline_tag": _text(table["pipeline_tag"]),
            "library_name": _text(table["library_name"]),
            "base_relation": _text(pc.struct_field(base, "relation")),
            "base_models": _joined(base_lists),
        }
    )


def hub_base_type():
    return SNAPSHOT_SCHEMA.field("baseModels").type


def _csv_chunk(rows: pa.Table, start: int) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(
        rows.slice(start, COPY_CHUNK_ROWS),
        buffer,
        write_options=pacsv.WriteOptions(include_header=False),
    )
    return buffer.getvalue()


def write_repo_rows(snapshot_id: int, table: pa.Table) -> int:
    """Bulk-insert snapshot rows into an empty snapshot. Returns the number of rows written."""
    rows = _db_columns(snapshot_id, table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in REPO_COLUMNS)
    target = HubRepo._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            copy_sql = f"COPY {target} ({quoted}) FROM STDIN WITH (FORMAT csv)"
            # Encode the next chunk (Arrow's C++ writer, no GIL) while PostgreSQL ingests this one.
            with raw.copy(copy_sql) as copy, ThreadPoolExecutor(max_workers=1) as encoder:
                pending = None
                for start in range(0, rows.num_rows, COPY_CHUNK_ROWS):
                    following = encoder.submit(_csv_chunk, rows, start)
                    if pending is not None:
                        copy.write(pending.result())
                    pending = following
                if pending is not None:
                    copy.write(pending.result())
        else:
            placeholders = ", ".join(["%s"] * len(REPO_COLUMNS))
            # Table and column names are ours (model metadata), values are parameters.
            sql = f"INSERT INTO {target} ({quoted}) VALUES ({placeholders})"  # noqa: S608
            for batch in rows.to_batches(max_chunksize=SQLITE_BATCH_ROWS):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                cursor.executemany(sql, list(zip(*columns, strict=True)))
    return rows.num_rows


def _split_lines(text: pa.Array) -> pa.Array:
    """Newline-separated text back into a list<string> column ('' becomes an empty list)."""
    parts = pc.split_pattern(text, "\n")
    flat = pc.list_flatten(parts)
    keep = pc.not_equal(flat, "")
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    parents = np.repeat(np.arange(len(lengths)), lengths)[keep.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents, minlength=len(lengths))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pc.filter(flat, keep))


def read_repo_rows(snapshot_id: int, columns: list[str] = AGGREGATE_COLUMNS) -> pa.Table:
    """A stored snapshot's rows back in the snapshot format (only what aggregation needs)."""
    # Our own table name (model metadata); the snapshot id is a parameter (or an int on COPY).
    table_name = HubRepo._meta.db_table
    sql = f"SELECT repo_type, repo_id, author, created_at, downloads, downloads_all_time, likes, tags, pipeline_tag, library_name, base_relation, base_models FROM {table_name} WHERE snapshot_id = %s"  # noqa: S608
    names = ["repo_type", "id", "author", "createdAt", "downloads", "downloadsAllTime", "likes",
             "tags", "pipeline_tag", "library_name", "base_relation", "base_models"]  # fmt: skip
    types = [pa.string(), pa.string(), pa.string(), pa.timestamp("ms", tz="UTC"), pa.int64(),
             pa.int64(), pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(),
             pa.string()]  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            raw = cursor.cursor
            copy_sql = (
                f"COPY ({sql.replace('%s', str(int(snapshot_id)))}) TO STDOUT WITH (FORMAT csv)"
            )
            with raw.copy(copy_sql) as copy:
                for block in copy:
                    buffer.write(block)
            buffer.seek(0)
            table = pacsv.read_csv(
                buffer,
                read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict(zip(names, types, strict=True)),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        else:
            cursor.execute(sql, [snapshot_id])
            data = cursor.fetchall()
            columns_data = list(zip(*data, strict=True)) if data else [[] for _ in names]
            arrays = []
            for name, values, kind in zip(names, columns_data, types, strict=True):
                if name == "createdAt":
                    values = [_as_datetime(v) for v in values]
                arrays.append(pa.array(list(values), kind))
            table = pa.table(dict(zip(names, arrays, strict=True)))
    tags = _split_lines(table["tags"].combine_chunks())
    table = table.set_column(table.schema.get_field_index("tags"), "tags", tags)
    if "baseModels" in columns:
        table = table.append_column("baseModels", _base_models_struct(table))
    return table.select([c for c in columns if c in table.column_names])


def _base_models_struct(table: pa.Table) -> pa.StructArray:
    """The stored ``base_relation`` + newline-separated ``base_models`` back into the Hub's
    ``baseModels`` struct (null where the repo has no parent)."""
    relation = table["base_relation"].combine_chunks()
    parents = _split_lines(table["base_models"].combine_chunks())
    models = pa.ListArray.from_arrays(
        parents.offsets, pa.StructArray.from_arrays([parents.values], names=["id"])
    )
    no_parent = pc.equal(pc.list_value_length(parents), 0)
    return pa.StructArray.from_arrays(
        [relation, models], fields=list(BASE_MODELS_TYPE), mask=no_parent
    )


def snapshot_table(snapshot_id: int) -> pa.Table:
    """A stored snapshot as a full snapshot-format table (what ``read_snapshot`` returns)."""
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    table = read_repo_rows(snapshot_id, [c for c in REQUIRED_COLUMNS if c != "snapshot_date"])
    dates = pa.array([snapshot.taken_on] * table.num_rows, pa.date32())
    return table.append_column("snapshot_date", dates)


def _as_datetime(value):
    if value is None or not isinstance(value, str):
        return value
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value)
    return parsed if parsed is None or parsed.tzinfo else timezone.make_aware(parsed, timezone.utc)


# --- aggregates ----------------------------------------------------------------------------------


def previous_snapshot(snapshot: Snapshot) -> Snapshot | None:
    """The latest ready snapshot before this one, of the same kind (never mixes simulated/real)."""
    return (
        Snapshot.objects.filter(
            taken_on__lt=snapshot.taken_on,
            simulated=snapshot.simulated,
            status=Snapshot.Status.READY,
            rows_pruned=False,
        )
        .order_by("-taken_on", "-id")
        .first()
    )


@transaction.atomic
def store_aggregates(snapshot: Snapshot, table: pa.Table, previous_table=None, previous=None):
    """Compute a snapshot's aggregates with the active rules and replace the stored ones."""
    result = aggregate(
        table,
        selectors.active_rules(),
        selectors.organization_names(),
        previous=previous_table,
    )
    for model in (MonthlyCreation, DomainStat, CategoryRank, TopAuthor):
        model.objects.filter(snapshot=snapshot).delete()
    MonthlyCreation.objects.bulk_create(
        [
            MonthlyCreation(snapshot=snapshot, domain=d, repo_type=t, month=m, created=c)
            for d, t, m, c in result.monthly
        ],
        batch_size=2000,
    )
    days = (snapshot.taken_on - previous.taken_on).days if previous is not None else None
    DomainStat.objects.bulk_create(
        [
            DomainStat(
                snapshot=snapshot,
                days_since_previous=days if s["downloads_since_previous"] is not None else None,
                **s,
            )
            for s in result.stats
        ],
        batch_size=2000,
    )
    CategoryRank.objects.bulk_create(
        [CategoryRank(snapshot=snapshot, **r) for r in result.ranks], batch_size=2000
    )
    TopAuthor.objects.bulk_create(
        [TopAuthor(snapshot=snapshot, **a) for a in result.top_authors], batch_size=2000
    )
    snapshot.models_count = result.models
    snapshot.datasets_count = result.datasets
    snapshot.status = Snapshot.Status.READY
    snapshot.aggregated_at = timezone.now()
    snapshot.save(update_fields=["models_count", "datasets_count", "status", "aggregated_at"])
    return result


def aggregate_snapshot(snapshot_id: int) -> Snapshot:
    """(Re)compute one stored snapshot's aggregates from its rows, e.g. after the rules changed."""
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    if snapshot.rows_pruned:
        raise ValueError(f"snapshot {snapshot} has no repo rows any more; its aggregates are kept")
    table = read_repo_rows(snapshot.pk)
    previous = previous_snapshot(snapshot)
    previous_table = (
        read_repo_rows(previous.pk, ["repo_type", "id", "downloadsAllTime"]) if previous else None
    )
    store_aggregates(snapshot, table, previous_table, previous)
    return snapshot


def reaggregate_all() -> int:
    """Recompute every ready snapshot, oldest first (rules or organizations changed)."""
    ids = list(
        Snapshot.objects.filter(status=Snapshot.Status.READY, rows_pruned=False)
        .order_by("taken_on", "id")
        .values_list("id", flat=True)
    )
    for snapshot_id in ids:
        aggregate_snapshot(snapshot_id)
    return len(ids)


def prune_repo_rows(keep: int = 2) -> list[Snapshot]:
    """Delete the repo rows of all but the ``keep`` latest ready snapshots of each kind.

    Aggregates (what the pages show) stay; a pruned snapshot cannot be re-aggregated after a rule
    change. A full Hub snapshot is ~2.5M rows (~1.6 GB on PostgreSQL), so daily crawls add up.
    """
    if keep < 1:
        raise ValueError("keep at least the latest snapshot: the next one needs it for deltas")
    pruned = []
    for simulated in (False, True):
        ready = Snapshot.objects.filter(status=Snapshot.Status.READY, simulated=simulated)
        for snapshot in ready.order_by("-taken_on", "-id")[keep:]:
            if snapshot.rows_pruned:
                continue
            with transaction.atomic():
                HubRepo.objects.filter(snapshot=snapshot).delete()
                snapshot.rows_pruned = True
                snapshot.save(update_fields=["rows_pruned"])
            pruned.append(snapshot)
    return pruned


# --- offline import ------------------------------------------------------------------------------


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
) -> list[Snapshot]:
    """Import a snapshot parquet file (one or several ``snapshot_date`` values), oldest first.

    The file is marked simulated when ``simulated`` is true, or when it is None and the file's
    metadata says so (``simulate_hub`` writes it). A date already imported from the same source is
    skipped unless ``replace``; a half-loaded one (an interrupted import) is always reloaded.
    """
    # One date at a time (row-group filtering), so a long history never sits in memory at once.
    dates_column = read_snapshot(path, ["snapshot_date"])["snapshot_date"]
    schema = pq.read_schema(path)
    missing = [name for name in REQUIRED_COLUMNS if name not in schema.names]
    if missing:
        raise SnapshotError(
            f"{path}: missing column(s) {missing}; a snapshot needs {list(REQUIRED_COLUMNS)}"
        )
    if simulated is None:
        simulated = (schema.metadata or {}).get(SIMULATED_METADATA_KEY, b"") == b"true"
    source = Snapshot.Source.SIMULATED if simulated else Snapshot.Source.IMPORT
    undated = dates_column.null_count
    if undated:
        report(f"{path}: {undated} row(s) without snapshot_date skipped")
    dates = sorted(d for d in pc.unique(dates_column).to_pylist() if d is not None)
    if not dates:
        raise SnapshotError(f"{path}: no rows to import")
    snapshots = []
    previous_table = None
    previous = None
    for taken_on in dates:
        day = pq.read_table(
            path, columns=list(REQUIRED_COLUMNS), filters=[("snapshot_date", "=", taken_on)]
        )
        try:
            day = day.cast(SNAPSHOT_SCHEMA)
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
        if previous is None:
            previous = previous_snapshot(snapshot)
            if previous is not None:
                previous_table = read_repo_rows(
                    previous.pk, ["repo_type", "id", "downloadsAllTime"]
                )
        store_aggregates(snapshot, day, previous_table, previous)
        report(
            f"{taken_on}: {day.num_rows} repos imported as snapshot {snapshot.pk}"
            f"{' (simulated)' if simulated else ''} in {time.perf_counter() - started:.1f}s"
        )
        previous_table, previous = day.select(["repo_type", "id", "downloadsAllTime"]), snapshot
        snapshots.append(snapshot)
    if snapshots:
        # Reuse metrics (issue 6) of every date in the file, in the background.
        from growth.reuse.services import reuse_metrics_schedule

        reuse_metrics_schedule(path=path, all_dates=True)
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


# --- live crawl ----------------------------------------------------------------------------------

MALFORMED_SAMPLE_SIZE = 100


def hub_endpoint() -> str:
    """Where to crawl: ``GROWTH_HUB_ENDPOINT`` setting, else ``HF_ENDPOINT``, else the Hub."""
    return (
        getattr(settings, "GROWTH_HUB_ENDPOINT", None)
        or os.environ.get("HF_ENDPOINT")
        or "https://huggingface.co"
    )


def start_live_ingest(taken_on: date | None = None, endpoint: str | None = None) -> IngestRun:
    """Get or create today's live crawl (idempotent: one live snapshot per day)."""
    taken_on = taken_on or timezone.now().date()
    endpoint = endpoint or hub_endpoint()
    with transaction.atomic():
        snapshot, _ = Snapshot.objects.get_or_create(
            taken_on=taken_on,
            source=Snapshot.Source.LIVE,
            defaults={"simulated": False, "label": endpoint},
        )
        run, _ = IngestRun.objects.get_or_create(snapshot=snapshot, defaults={"endpoint": endpoint})
    return run


def run_live_ingest(
    run_id: int, sleep: Callable[[float], None] = time.sleep, max_pages: int | None = None
) -> IngestRun:
    """Crawl (or continue crawling) the Hub into the run's snapshot, then aggregate it.

    Progress is checkpointed after every page, in the transaction that stores the page's rows.
    ``max_pages`` stops after that many pages (the run stays resumable); used by tests and to
    bound a manual run.
    """
    run = IngestRun.objects.select_related("snapshot").get(pk=run_id)
    if run.status == IngestRun.Status.DONE:
        return run
    run.status = IngestRun.Status.RUNNING
    run.attempts += 1
    run.started_at = run.started_at or timezone.now()
    run.error = ""
    run.save(update_fields=["status", "attempts", "started_at", "error"])
    token = os.environ.get("HF_TOKEN") or None
    pages = 0
    try:
        for repo_type in ("dataset", "model"):
            state = run.progress.get(repo_type, {"next_url": None, "rows": 0, "done": False})
            if state["done"]:
                continue
            for page in hub_client.crawl(
                run.endpoint,
                repo_type,
                run.snapshot.taken_on,
                start_url=state["next_url"],
                start_position=state["rows"],
                token=token,
                sleep=sleep,
            ):
                state = {
                    "next_url": page.next_url,
                    "rows": state["rows"] + len(page.rows) + len(page.malformed),
                    "done": page.next_url is None,
                }
                _store_page(run, repo_type, page, state)
                pages += 1
                if max_pages is not None and pages >= max_pages and not state["done"]:
                    return run
            if not state["done"]:  # an empty listing ends without a page
                state["done"] = True
                _store_page(run, repo_type, hub_client.Page("", None, []), state)
    except Exception as exc:
        IngestRun.objects.filter(pk=run.pk).update(
            status=IngestRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    aggregate_snapshot(run.snapshot_id)
    from growth.reuse.services import reuse_metrics_schedule

    reuse_metrics_schedule(snapshot_id=run.snapshot_id)
    run.snapshot.refresh_from_db()
    run.status = IngestRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run


@transaction.atomic
def _store_page(run: IngestRun, repo_type: str, page: hub_client.Page, state: dict) -> None:
    if page.rows:
        table = pa.Table.from_pylist(page.rows, schema=SNAPSHOT_SCHEMA)
        rows = _db_columns(run.snapshot_id, table).to_pylist()
        HubRepo.objects.bulk_create([HubRepo(**row) for row in rows], ignore_conflicts=True)
    run.progress = {**run.progress, repo_type: state}
    if page.malformed:
        for item in page.malformed:
            log.warning("malformed %s row at %s (%s): %s", repo_type, item["position"],
                        item["id"], item["error"])  # fmt: skip
        room = MALFORMED_SAMPLE_SIZE - len(run.malformed_sample)
        run.malformed_sample = run.malformed_sample + [
            {"repo_type": repo_type, **item} for item in page.malformed[: max(room, 0)]
        ]
        run.malformed_count += len(page.malformed)
    run.save(update_fields=["progress", "malformed_sample", "malformed_count"])
