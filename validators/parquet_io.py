"""Opening parquet files with a precise diagnosis of why one cannot be read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MAGIC = b"PAR1"


def diagnose_parquet(path: Path) -> str:
    """Why a parquet file does not open, in words a lab member can act on."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4)
            f.seek(max(0, size - 4))
            tail = f.read(4)
    except OSError as error:
        return f"cannot be read ({error})"
    if size == 0:
        return "is empty (0 bytes)"
    if head.startswith(b"vers"):
        return "is a Git-LFS pointer, not parquet data (clone with git lfs)"
    if head != MAGIC:
        return "is not a parquet file (no PAR1 magic at the start)"
    if tail != MAGIC:
        return (
            "is truncated: the parquet footer is missing, which happens when a recording crashes "
            "or stops before dataset.finalize() (lerobot #2495/#3522), or an upload is cut. "
            "Re-upload the full file; a recording cut short must be re-recorded"
        )
    return "has a corrupt parquet footer or metadata"


def open_parquet(ctx, rel: str) -> pq.ParquetFile | None:
    """Open a parquet file of the dataset; on failure report file.corrupt (or skip files already
    reported as empty or LFS pointers) and return None."""
    path = ctx.root / rel
    size = ctx.files.get(rel, 0)
    if size == 0:
        return None  # file.empty already says it
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        reason = diagnose_parquet(path)
        if "Git-LFS" in reason:
            return None  # file.lfs_pointer already says it
        ctx.add(
            "lerobot_bug.2495" if footerless(reason) else "file.corrupt",
            f"{rel} {reason} ({type(error).__name__}).",
            file=rel,
        )
        return None


def footerless(reason: str) -> bool:
    """Whether diagnose_parquet found the footer missing: a recording that crashed before
    finalize() (lerobot_bug.2495), not any other damage (file.corrupt)."""
    return "footer is missing" in reason


def duplicate_names(schema: pa.Schema) -> list[str]:
    """Column names that appear more than once (real v3.0 episode files have shipped with
    ``videos/<key>/chunk_index`` twice); pyarrow then refuses to look the name up."""
    seen, dups = set(), []
    for name in schema.names:
        if name in seen and name not in dups:
            dups.append(name)
        seen.add(name)
    return dups


def first_of_each(data):
    """The table, batch or schema with only the first column of each name, so that lookups by
    name work; the duplicates are reported by the caller."""
    names = data.names if isinstance(data, pa.Schema) else data.schema.names
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        first.setdefault(name, i)
    if len(first) == len(names):
        return data
    keep = sorted(first.values())
    if isinstance(data, pa.Schema):
        return pa.schema([data.field(i) for i in keep], metadata=data.metadata)
    return data.select(keep)


def report_duplicates(ctx, rel: str, schema: pa.Schema, *, code: str) -> None:
    dups = duplicate_names(schema)
    if dups:
        ctx.add(
            code,
            f"{rel} has column(s) {dups[:6]} more than once; the first of each was read. "
            "Rewrite the file with one column per name (pandas/pyarrow readers refuse or pick "
            "one at random).",
            file=rel,
        )
