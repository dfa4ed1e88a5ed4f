"""The snapshot file: one row per Hub repo, as seen on one day.

Both the live ingestion and the offline import read and write this shape, and so does
``simulate_hub``. ``baseModels`` has the shape the Hub API returns:
``{"relation": "finetune"|"adapter"|"quantized"|"merge", "models": [{"id": ...}, ...]}``, null when
the repo has no parent. Links to datasets and base models also live in ``tags``
(``dataset:<id>``, ``base_model:<relation>:<id>``), as on the Hub.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BASE_MODELS_TYPE = pa.struct(
    [("relation", pa.string()), ("models", pa.list_(pa.struct([("id", pa.string())])))]
)

SNAPSHOT_SCHEMA = pa.schema(
    [
        ("repo_type", pa.string()),  # "model" or "dataset"
        ("id", pa.string()),
        ("author", pa.string()),
        ("createdAt", pa.timestamp("ms", tz="UTC")),
        ("lastModified", pa.timestamp("ms", tz="UTC")),
        ("downloads", pa.int64()),  # the Hub's rolling 30-day count
        ("downloadsAllTime", pa.int64()),
        ("likes", pa.int64()),
        ("tags", pa.list_(pa.string())),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("baseModels", BASE_MODELS_TYPE),
        ("snapshot_date", pa.date32()),
    ]
)
REQUIRED_COLUMNS = tuple(SNAPSHOT_SCHEMA.names)


class SnapshotError(ValueError):
    """A snapshot file that cannot be used, with a message that says what is wrong."""


def read_snapshot(path: str | Path, columns: list[str] | None = None) -> pa.Table:
    """Read a snapshot parquet file (only ``columns``, if given), checking the columns exist."""
    path = Path(path)
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file")
    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise SnapshotError(f"{path}: not a readable parquet file ({exc})") from exc
    wanted = list(columns) if columns is not None else list(REQUIRED_COLUMNS)
    missing = [name for name in wanted if name not in schema.names]
    if missing:
        raise SnapshotError(
            f"{path}: missing column(s) {missing}; a snapshot needs {list(REQUIRED_COLUMNS)}"
        )
    return pq.read_table(path, columns=wanted)


# --- real listings with missing columns ----------------------------------------------------------

# Older research dumps hold only some columns (e.g. id, author, createdAt, downloads and
# pipeline_tag). Such a listing is usable: the absent columns become nulls, a warning names them,
# and every metric that needs one says "not available" (``growth.core.reuse.availability``).
MISSING_METADATA_KEY = b"growth.missing_columns"
ALWAYS_NEEDED = ("id",)


def missing_columns(table: pa.Table) -> list[str]:
    """The snapshot columns a table was read without (recorded in its schema metadata)."""
    raw = (table.schema.metadata or {}).get(MISSING_METADATA_KEY, b"")
    return [name for name in raw.decode().split(",") if name]


def conform(
    table: pa.Table,
    source: str = "snapshot",
    *,
    snapshot_date=None,
    repo_type: str | None = None,
) -> tuple[pa.Table, list[str]]:
    """A listing with any subset of the snapshot columns as a full snapshot table.

    Absent columns are added as nulls and listed (in the returned list and in the table's
    metadata, so ``missing_columns`` finds them later). ``snapshot_date`` and ``repo_type``
    fill those two columns when the listing lacks them (they are then not "missing": the caller
    said what they are). Raises ``SnapshotError`` when even ``id`` is absent, or when the date is
    neither a column nor given.
    """
    absent = [name for name in ALWAYS_NEEDED if name not in table.column_names]
    if absent:
        raise SnapshotError(
            f"{source}: missing column(s) {absent}; a listing needs at least {list(ALWAYS_NEEDED)}"
        )
    n = table.num_rows
    if "snapshot_date" not in table.column_names:
        if snapshot_date is None:
            raise SnapshotError(
                f"{source}: no snapshot_date column; say which day the listing was taken "
                "(--date YYYY-MM-DD)"
            )
        table = table.append_column("snapshot_date", pa.array([snapshot_date] * n, pa.date32()))
    if "repo_type" not in table.column_names:
        table = table.append_column("repo_type", pa.array([repo_type or "model"] * n, pa.string()))
    missing = [f.name for f in SNAPSHOT_SCHEMA if f.name not in table.column_names]
    for name in missing:
        field = SNAPSHOT_SCHEMA.field(name)
        table = table.append_column(field, pa.nulls(n, field.type))
    extra = [c for c in table.column_names if c not in SNAPSHOT_SCHEMA.names]
    table = table.select(list(SNAPSHOT_SCHEMA.names) + extra)
    metadata = {**(table.schema.metadata or {}), MISSING_METADATA_KEY: ",".join(missing).encode()}
    return table.replace_schema_metadata(metadata), missing


def missing_warning(source: str, missing: list[str]) -> str:
    return (
        f"{source}: the listing has no {', '.join(missing)} column(s); they are stored empty "
        "and every metric that needs them says 'not available'"
    )
