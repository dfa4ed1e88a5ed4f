"""Base datasets, built once per test session, and helpers that copy and damage them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from validators.synthetic import (
    make_v20_dataset,
    make_v21_dataset,
    make_v30_dataset,
)


@pytest.fixture(scope="session")
def base_datasets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lerobot-base")
    return {
        "v30": make_v30_dataset(root / "v30", episodes=3),
        "v30_image": make_v30_dataset(root / "v30_image", video=False, image=True),
        "v21": make_v21_dataset(root / "v21", tasks=("pick the cube", "place the cube")),
        "v20": make_v20_dataset(root / "v20"),
    }


@pytest.fixture
def dataset(base_datasets, tmp_path):
    """dataset("v30") -> a private copy of a base dataset that a test may damage."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(base_datasets[name], target, symlinks=True)
        return target

    return copy


# -- damage helpers -----------------------------------------------------------------------------


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def edit_info(root: Path, **changes) -> None:
    path = root / "meta" / "info.json"
    info = read_json(path)
    for key, value in changes.items():
        if value is DELETE:
            info.pop(key, None)
        else:
            info[key] = value
    path.write_text(json.dumps(info, indent=2))


def edit_feature(root: Path, name: str, **changes) -> None:
    path = root / "meta" / "info.json"
    info = read_json(path)
    info["features"][name].update(changes)
    path.write_text(json.dumps(info, indent=2))


DELETE = object()


def first_data_file(root: Path) -> Path:
    return sorted((root / "data").rglob("*.parquet"))[0]


def episodes_file(root: Path) -> Path:
    return sorted((root / "meta" / "episodes").rglob("*.parquet"))[0]


def edit_parquet(path: Path, edit) -> None:
    """Rewrite a parquet file after ``edit(dict of python columns) -> dict`` (schema kept where
    the types still fit, inferred otherwise)."""
    table = pq.read_table(path)
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    columns = edit(columns)
    arrays = {}
    for name, values in columns.items():
        if name in table.column_names:
            try:
                arrays[name] = pa.array(values, type=table.schema.field(name).type)
                continue
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                pass
        arrays[name] = pa.array(values)
    pq.write_table(pa.table(arrays), path)


def set_column(path: Path, name: str, values) -> None:
    edit_parquet(path, lambda c: {**c, name: list(values)})


def write_jsonl(path: Path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
