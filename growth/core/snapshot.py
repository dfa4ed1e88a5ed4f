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
