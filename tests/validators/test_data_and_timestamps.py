"""Data parquet checks (schema, indices, tasks, NaN) and timestamps, on damaged copies."""

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.validators.conftest import (
    edit_feature,
    edit_info,
    edit_parquet,
    first_data_file,
    set_column,
)
from validators import validate

V21_EP0 = "data/chunk-000/episode_000000.parquet"
V21_EP1 = "data/chunk-000/episode_000001.parquet"


def run(root):
    return validate(root, workers=1)


def test_truncated_parquet_says_finalize(dataset):
    root = dataset("v30")
    path = first_data_file(root)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    (root / "meta/stats.json").unlink()
    report = run(root)
    [finding] = report.by_code("lerobot_bug.2495")  # footerless: lerobot #2495/#3522
    assert finding.severity == "error"
    assert "finalize()" in finding.message
    assert finding.location["file"] == "data/chunk-000/file-000.parquet"
    # One run reports everything: the checks after the broken file still ran.
    assert "stats.missing" in report.codes()
    assert report.summary["cameras"][0]["codec"] == "h264"


def test_episodes_parquet_truncated(dataset):
    root = dataset("v30")
    path = next((root / "meta/episodes").rglob("*.parquet"))
    path.write_bytes(path.read_bytes()[:-10])
    codes = run(root).codes()
    assert "lerobot_bug.2495" in codes
    assert "dataset.empty" not in codes  # the data is there; its metadata is broken


def test_declared_shape_differs_from_the_data(dataset):
    root = dataset("v30")
    edit_feature(root, "action", shape=[7])
    report = run(root)
    [finding] = report.by_code("schema.mismatch")
    assert finding.location["feature"] == "action"


def store_as_variable_lists(path, name, rows) -> None:
    """Rewrite one column as list<float32> (what pandas or HF datasets without a fixed length
    write), whose Arrow type carries no length for the schema check to compare."""
    table = pq.read_table(path)
    column = pa.array(rows, type=pa.list_(pa.float32()))
    pq.write_table(table.set_column(table.schema.get_field_index(name), name, column), path)


def test_stored_lists_shorter_than_the_declared_shape(dataset):
    """info.json declares 6 joints but every row of one episode stores 5: only the number of
    values read back can tell."""
    root = dataset("v21")
    rows = pq.read_table(root / V21_EP1).column("observation.state").to_pylist()
    store_as_variable_lists(root / V21_EP1, "observation.state", [row[:5] for row in rows])
    report = run(root)
    [finding] = report.by_code("schema.mismatch")
    assert finding.location == {"file": V21_EP1, "feature": "observation.state"}
    assert "hold 5 value(s) each" in finding.message
    assert "declared shape has 6" in finding.message
    assert not report.valid


def test_stored_lists_of_different_lengths(dataset):
    root = dataset("v21")
    rows = pq.read_table(root / V21_EP0).column("observation.state").to_pylist()
    rows[3] = rows[3][:4]
    store_as_variable_lists(root / V21_EP0, "observation.state", rows)
    report = run(root)
    [finding] = report.by_code("schema.mismatch")
    assert finding.location == {"file": V21_EP0, "feature": "observation.state"}
    assert "rows of 'observation.state' have different lengths (4..6)" in finding.message
    assert not report.valid


def test_variable_lists_of_the_declared_length_are_fine(dataset):
    """The same list<float32> column with 6 values in every row is valid: the two tests above fail
    because of the lengths, not because of the column type."""
    root = dataset("v21")
    rows = pq.read_table(root / V21_EP0).column("observation.state").to_pylist()
    store_as_variable_lists(root / V21_EP0, "observation.state", rows)
    report = run(root)
    assert "schema.mismatch" not in report.codes()


def test_float64_state_declared_float32(dataset):
    root = dataset("v21")
    for rel in (V21_EP0, V21_EP1):
        table = pq.read_table(root / rel)
        state = table.column("observation.state").cast(pa.list_(pa.float64(), 6))
        pq.write_table(table.set_column(0, "observation.state", state), root / rel)
    report = run(root)
    [finding] = report.by_code("schema.mismatch")
    assert "float64" in finding.message and "float32" in finding.message
    assert (
        "2 " not in finding.message or "other data file" in finding.message
    )  # grouped, not repeated


def test_float64_declared_and_stored_is_fine(dataset):
    root = dataset("v21")
    for rel in (V21_EP0, V21_EP1):
        table = pq.read_table(root / rel)
        state = table.column("observation.state").cast(pa.list_(pa.float64(), 6))
        pq.write_table(table.set_column(0, "observation.state", state), root / rel)
    edit_feature(root, "observation.state", dtype="float64")
    assert "schema.mismatch" not in run(root).codes()


def test_undeclared_column(dataset):
    root = dataset("v30")
    set_column(first_data_file(root), "debug.temperature", [20.0] * 36)
    report = run(root)
    assert report.by_code("schema.undeclared_column")[0].location["feature"] == "debug.temperature"
    assert report.valid


def test_declared_column_absent(dataset):
    root = dataset("v30")
    edit_parquet(first_data_file(root), lambda c: {k: v for k, v in c.items() if k != "action"})
    assert "schema.missing_column" in run(root).codes()


def test_missing_frame_index_column(dataset):
    root = dataset("v21")
    for rel in (V21_EP0, V21_EP1):
        edit_parquet(root / rel, lambda c: {k: v for k, v in c.items() if k != "frame_index"})
    report = run(root)
    assert "frame_index.invalid" in report.codes()
    assert "schema.missing_column" not in report.codes()


def test_frame_index_not_zero_based(dataset):
    root = dataset("v21")
    set_column(root / V21_EP1, "frame_index", range(1, 13))
    [finding] = run(root).by_code("frame_index.invalid")
    assert finding.location == {"file": V21_EP1, "episode": 1, "frame": 0}


def test_frame_index_with_a_repeat(dataset):
    root = dataset("v30")
    fi = list(range(12)) * 3
    fi[20] = fi[19]
    set_column(first_data_file(root), "frame_index", fi)
    [finding] = run(root).by_code("frame_index.invalid")
    assert finding.location["episode"] == 1 and finding.location["frame"] == 8


def test_global_index_all_zeros(dataset):
    root = dataset("v30")
    set_column(first_data_file(root), "index", [0] * 36)
    report = run(root)
    assert "index.not_contiguous" in report.codes()


def test_global_index_gap_between_episodes(dataset):
    root = dataset("v21")
    set_column(root / V21_EP1, "index", range(20, 32))
    report = run(root)
    [finding] = report.by_code("index.not_contiguous")
    assert "episode 0 ends at 11 but episode 1 starts at 20" in finding.message


def test_task_index_out_of_range(dataset):
    root = dataset("v30")
    set_column(first_data_file(root), "task_index", [0] * 24 + [7] * 12)
    [finding] = run(root).by_code("task_index.out_of_range")
    assert finding.location["episode"] == 2


def test_episode_index_in_data_unknown_to_the_metadata(dataset):
    root = dataset("v30")
    set_column(first_data_file(root), "episode_index", [0] * 12 + [1] * 12 + [9] * 12)
    report = run(root)
    messages = " ".join(f.message for f in report.by_code("episode_index.mismatch"))
    assert "[9]" in messages and "[2]" in messages


def test_v2_file_holding_another_episode(dataset):
    root = dataset("v21")
    set_column(root / V21_EP1, "episode_index", [0] * 12)
    assert "episode_index.mismatch" in run(root).codes()


def test_nan_and_inf_in_actions(dataset):
    root = dataset("v30")

    def poison(columns):
        columns["action"][5][2] = math.nan
        columns["action"][30][0] = math.inf
        return columns

    edit_parquet(first_data_file(root), poison)
    [finding] = run(root).by_code("data.non_finite")
    assert finding.location["feature"] == "action"
    assert "2 NaN/Inf" in finding.message and "2 episode" in finding.message


# -- timestamps -------------------------------------------------------------------------------


def timestamps(episodes=3, frames=12, fps=10):
    return [np.float32(i / fps).item() for _ in range(episodes) for i in range(frames)]


def test_last_timestamp_jumps_in_a_video_dataset_is_an_error(dataset):
    root = dataset("v30")
    ts = timestamps()
    ts[-1] += 0.5
    set_column(first_data_file(root), "timestamp", ts)
    [finding] = run(root).by_code("timestamp.off_grid")
    assert finding.severity == "error"
    assert finding.location == {
        "file": "data/chunk-000/file-000.parquet",
        "episode": 2,
        "frame": 11,
        "feature": "timestamp",
    }
    assert "1 of 3 episode(s)" in finding.message
    assert "0.5" in finding.message


def test_timestamp_jump_in_an_image_dataset_is_a_warning(dataset):
    root = dataset("v30_image")
    ts = timestamps(episodes=2)
    ts[5] += 0.5
    set_column(first_data_file(root), "timestamp", ts)
    report = run(root)
    assert report.by_code("timestamp.off_grid")[0].severity == "warning"


def test_non_monotonic_timestamps(dataset):
    root = dataset("v21")
    ts = timestamps(episodes=1)
    ts[3], ts[4] = ts[4], ts[3]
    set_column(root / V21_EP0, "timestamp", ts)
    [finding] = run(root).by_code("timestamp.non_monotonic")
    assert finding.location["episode"] == 0 and finding.location["frame"] == 4


def test_wall_clock_timestamps(dataset):
    root = dataset("v21")
    table = pq.read_table(root / V21_EP0)
    wall = pa.array([1_731_000_000.0 + i / 10 for i in range(12)], type=pa.float64())
    pq.write_table(
        table.set_column(table.schema.get_field_index("timestamp"), "timestamp", wall),
        root / V21_EP0,
    )
    report = run(root)
    assert "timestamp.not_zero_based" in report.codes()
    assert "wall-clock" in report.by_code("timestamp.not_zero_based")[0].message


def test_fps_declared_wrong_puts_every_step_off_grid(dataset):
    root = dataset("v30_image")
    edit_info(root, fps=30)
    finding = run(root).by_code("timestamp.off_grid")[0]
    assert "2 of 2 episode(s)" in finding.message


@pytest.mark.parametrize("batch_rows", [1, 5, 7, 1000])
def test_scan_gives_the_same_answer_whatever_the_batch_size(dataset, batch_rows):
    """Episodes spanning record batches are stitched together exactly."""
    from validators.scan import FileJob, scan_file

    root = dataset("v30")
    ts = timestamps()
    ts[17] += 0.05
    set_column(first_data_file(root), "timestamp", ts)

    def freeze(columns):  # rows 2..8 of episode 0 repeat row 2: a frozen run across batches
        columns["action"][3:9] = [columns["action"][2]] * 6
        return columns

    edit_parquet(first_data_file(root), freeze)
    info_features = __import__("json").loads((root / "meta/info.json").read_text())["features"]
    job = FileJob(
        path=str(first_data_file(root)),
        rel="x",
        features=info_features,
        fps=10,
        n_tasks=1,
        batch_rows=batch_rows,
    )
    table = scan_file(job).table
    reference = scan_file(FileJob(**{**job.__dict__, "batch_rows": 100_000})).table
    assert table["rows"].tolist() == [12, 12, 12]
    assert table["ts_off"].tolist() == [0, 2, 0]
    assert table["action|frozen_run"].tolist() == [6, 0, 0]
    for key, value in reference.items():
        np.testing.assert_allclose(table[key], value, rtol=1e-9, atol=1e-12, err_msg=key)


def test_float32_rounding_in_long_episodes_is_not_off_grid(tmp_path):
    """At one hour, float32 seconds are 0.24 ms apart: that rounding is not a timing error,
    while a real 0.5 ms jitter still is."""
    from validators.scan import FileJob, scan_file

    frames = 40_000  # 4000 s at 10 fps
    fi = np.arange(frames, dtype=np.int64)
    ts = (fi / 10).astype(np.float32)
    features = {
        "timestamp": {"dtype": "float32", "shape": [1]},
        "frame_index": {"dtype": "int64", "shape": [1]},
        "episode_index": {"dtype": "int64", "shape": [1]},
    }

    def scan(timestamps):
        path = tmp_path / "long.parquet"
        pq.write_table(
            pa.table(
                {
                    "timestamp": timestamps,
                    "frame_index": fi,
                    "episode_index": np.zeros(frames, dtype=np.int64),
                }
            ),
            path,
        )
        return scan_file(
            FileJob(path=str(path), rel="long.parquet", features=features, fps=10, n_tasks=None)
        ).table

    assert scan(ts)["ts_off"].tolist() == [0]
    jittered = ts.copy()
    jittered[100] += np.float32(0.0005)
    assert scan(jittered)["ts_off"].tolist() == [2]


def test_many_very_short_episodes_are_not_mistaken_for_interleaving(tmp_path):
    from validators.scan import FileJob, scan_file

    episodes, frames = 5000, 2
    ep = np.repeat(np.arange(episodes, dtype=np.int64), frames)
    fi = np.tile(np.arange(frames, dtype=np.int64), episodes)
    path = tmp_path / "short.parquet"
    pq.write_table(
        pa.table(
            {"episode_index": ep, "frame_index": fi, "timestamp": (fi / 10).astype(np.float32)}
        ),
        path,
    )
    features = {name: {"dtype": "int64", "shape": [1]} for name in ("episode_index", "frame_index")}
    features["timestamp"] = {"dtype": "float32", "shape": [1]}
    result = scan_file(
        FileJob(path=str(path), rel="short.parquet", features=features, fps=10, n_tasks=None)
    )
    assert not result.interleaved
    assert result.table["rows"].tolist() == [2] * episodes
    assert result.table["ts_off"].sum() == 0


def test_interleaved_episodes(dataset):
    root = dataset("v30")
    set_column(first_data_file(root), "episode_index", [0, 1] * 18)
    report = run(root)
    assert any(
        "interleaved" in f.message or "not contiguous" in f.message
        for f in report.by_code("episode_index.mismatch")
    )
