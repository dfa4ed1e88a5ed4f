"""Small snapshot tables for the reuse tests, in the real snapshot schema (``SNAPSHOT_SCHEMA``)."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from growth.core.snapshot import SNAPSHOT_SCHEMA

DAY = dt.date(2026, 3, 1)


def repo(repo_id, repo_type="model", *, downloads_all=0, downloads=None, likes=0, tags=(),
         pipeline_tag=None, library_name=None, parents=(), relation="finetune", author=None,
         date=DAY, created=dt.datetime(2025, 6, 1, tzinfo=dt.UTC)):  # fmt: skip
    """One snapshot row; ``parents`` fill ``baseModels`` (null when empty)."""
    return {
        "repo_type": repo_type,
        "id": repo_id,
        "author": author if author is not None else repo_id.split("/")[0],
        "createdAt": created,
        "lastModified": created,
        "downloads": downloads_all if downloads is None else downloads,
        "downloadsAllTime": downloads_all,
        "likes": likes,
        "tags": list(tags),
        "pipeline_tag": pipeline_tag,
        "library_name": library_name,
        "baseModels": {"relation": relation, "models": [{"id": p} for p in parents]}
        if parents
        else None,
        "snapshot_date": date,
    }


def robot_model(repo_id, **kw):
    kw.setdefault("pipeline_tag", "robotics")
    kw.setdefault("library_name", "lerobot")
    return repo(repo_id, **kw)


def robot_dataset(repo_id, **kw):
    tags = ["LeRobot", "task_categories:robotics", *kw.pop("tags", ())]
    return repo(repo_id, "dataset", tags=tags, **kw)


def table(rows) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SNAPSHOT_SCHEMA)


def write(path, rows) -> str:
    pq.write_table(table(rows), path)
    return str(path)
