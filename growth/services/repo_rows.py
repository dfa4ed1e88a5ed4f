"""Snapshot repo rows <-> the database, in bulk.

PostgreSQL gets them through ``COPY ... FROM STDIN`` (CSV produced by Arrow's C++ writer, in
chunks), SQLite through batched ``executemany``; both read back as snapshot-format Arrow tables.
"""

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import connection
from django.utils import timezone

from growth.core.aggregate import AGGREGATE_COLUMNS
from growth.core.snapshot import BASE_MODELS_TYPE, REQUIRED_COLUMNS, SNAPSHOT_SCHEMA
from growth.models import HubRepo, Snapshot

COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH_ROWS = 5_000
REPO_COLUMNS = [
    "snapshot_id", "repo_type", "repo_id", "author", "created_at", "last_modified", "downloads",
    "downloads_all_time", "likes", "tags", "pipeline_tag", "library_name", "base_relation",
    "base_models",
]  # fmt: skip


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
