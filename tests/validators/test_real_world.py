"""Issue 15: real-world datasets. Stats written by lerobot itself are never a stats.mismatch, a
real 1% disagreement still is; no crash (check.failed) on odd but plausible metadata; the real
problem named when data files are absent; shapes checked by element count."""

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.validators.conftest import (
    edit_feature,
    edit_info,
    episodes_file,
    first_data_file,
)
from tests.validators.lerobot_recordings import record_realistic
from validators import validate


def run(root, **kwargs):
    return validate(root, workers=1, **kwargs)


def no_check_failed(report):
    failed = report.by_code("check.failed")
    assert not failed, [f.message for f in failed]


@pytest.fixture(scope="session")
def realistic(tmp_path_factory):
    """12 episodes recorded by lerobot (one of 2000 frames), joints near ±100 degrees."""
    return record_realistic(tmp_path_factory.mktemp("realistic") / "so101_realistic")


@pytest.fixture
def realistic_copy(realistic, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(realistic, target)
    return target


# -- stats: lerobot's arithmetic is not an error, a 1% disagreement is -----------------------


def test_stats_written_by_lerobot_with_realistic_magnitudes_validate_clean(realistic):
    report = run(realistic)
    assert report.valid, [(f.code, f.message) for f in report.errors]
    assert "stats.mismatch" not in report.codes()
    assert "stats.quantiles_invalid" not in report.codes()
    assert report.summary["episodes"] == 12
    assert max(report.summary["episode_lengths"]) == 2000
    # The fixture does exercise float32 cancellation: lerobot's std of the constant gripper
    # column is not 0 (an exact float64 recomputation gives 0).
    stats = json.loads((realistic / "meta/stats.json").read_text())
    assert stats["observation.ee_pos_mm"]["std"][1] > 1e-3


@pytest.mark.parametrize(
    ("feature", "stat", "index"),
    [
        ("observation.state", "mean", 0),  # ~98 degrees
        ("observation.state", "std", 1),
        ("action", "max", 2),
        ("observation.ee_pos_mm", "mean", 0),  # ~400 mm
    ],
)
def test_a_one_percent_disagreement_in_global_stats_is_reported(
    realistic_copy, feature, stat, index
):
    path = realistic_copy / "meta/stats.json"
    stats = json.loads(path.read_text())
    stats[feature][stat][index] *= 1.01
    path.write_text(json.dumps(stats))
    [finding] = run(realistic_copy).by_code("stats.mismatch")
    assert finding.severity == "error"
    assert finding.location["feature"] == feature
    assert f"{stat}[{index}]" in finding.message


def test_a_one_percent_disagreement_in_one_episodes_stats_is_reported(realistic_copy):
    path = episodes_file(realistic_copy)
    table = pq.read_table(path)
    column = "stats/observation.state/mean"
    values = table.column(column).to_pylist()
    values[4] = [v * 1.01 for v in values[4]]
    table = table.set_column(
        table.column_names.index(column),
        column,
        pa.array(values, type=table.schema.field(column).type),
    )
    pq.write_table(table, path)
    findings = run(realistic_copy).by_code("stats.mismatch")
    assert [f.location.get("episode") for f in findings] == [4]
    assert "1 episode(s)" in findings[0].message


def test_quantile_values_are_checked_not_only_present(realistic_copy):
    path = realistic_copy / "meta/stats.json"
    stats = json.loads(path.read_text())
    stats["action"]["q99"][0] = stats["action"]["q01"][0] - 50  # q99 below q01, below min
    path.write_text(json.dumps(stats))
    [finding] = run(realistic_copy).by_code("stats.quantiles_invalid")
    assert finding.location["feature"] == "action"
    assert "q90 > q99" in finding.message


# -- never crash on plausible metadata -----------------------------------------------------------


def test_a_feature_info_given_as_a_string_is_a_finding_not_a_crash(dataset):
    root = dataset("v30")
    edit_feature(root, "observation.images.front", info="h264 640x480")
    report = run(root)
    no_check_failed(report)
    [finding] = [f for f in report.by_code("info.feature_invalid") if "info" in f.message]
    assert finding.location["feature"] == "observation.images.front"
    assert report.summary["cameras"][0]["key"] == "observation.images.front"


def test_duplicated_field_names_in_episode_metadata(dataset):
    root = dataset("v30")
    path = episodes_file(root)
    table = pq.read_table(path)
    name = "videos/observation.images.front/chunk_index"
    table = table.append_column(pa.field(name, pa.int64()), table.column(name))
    pq.write_table(table, path)
    assert pq.read_schema(path).names.count(name) == 2
    report = run(root)
    no_check_failed(report)
    [finding] = report.by_code("parquet.duplicate_column")
    assert name in finding.message and finding.severity == "warning"
    assert report.valid  # the first column is right: nothing else is wrong


def test_duplicated_field_names_in_a_data_file(dataset):
    root = dataset("v30")
    path = first_data_file(root)
    table = pq.read_table(path)
    table = table.append_column(
        pa.field("action", table.schema.field("action").type), table.column("action")
    )
    pq.write_table(table, path)
    report = run(root)
    no_check_failed(report)
    assert "parquet.duplicate_column" in report.codes()


def test_missing_data_files_are_named_not_called_empty(dataset):
    root = dataset("v30")
    shutil.rmtree(root / "data")
    report = run(root)
    no_check_failed(report)
    assert "dataset.empty" not in report.codes()
    [finding] = [f for f in report.by_code("file.missing") if "data" in f.location.get("file", "")]
    assert "1 of the 1 data file(s)" in finding.message
    assert finding.location["file"] == "data/chunk-000/file-000.parquet"


def test_declared_frames_without_data_or_episode_metadata(dataset):
    root = dataset("v30")
    shutil.rmtree(root / "data")
    shutil.rmtree(root / "meta/episodes")
    edit_info(root, total_frames=607)
    report = run(root)
    no_check_failed(report)
    assert "dataset.empty" not in report.codes()
    [finding] = [f for f in report.by_code("file.missing") if f.location.get("file") == "data/"]
    assert "607 frame(s)" in finding.message


def test_episode_lengths_that_sum_below_total_frames_without_data(dataset):
    root = dataset("v30")
    shutil.rmtree(root / "data")
    edit_info(root, total_frames=680)
    report = run(root)
    [finding] = report.by_code("totals.mismatch")
    assert "680" in finding.message and "36" in finding.message


def test_shape_element_count_and_dtype_are_both_reported(dataset):
    root = dataset("v30")
    path = first_data_file(root)
    table = pq.read_table(path)
    rows = table.num_rows
    values = pa.array([[0.5] * 41] * rows, type=pa.list_(pa.float64(), 41))
    index = table.column_names.index("observation.state")
    pq.write_table(table.set_column(index, "observation.state", values), path)
    edit_feature(root, "observation.state", shape=[17], names=None)
    report = run(root)
    no_check_failed(report)
    messages = " ".join(
        f.message
        for f in report.by_code("schema.mismatch")
        if f.location.get("feature") == "observation.state"
    )
    assert "float64" in messages and "float32" in messages  # the dtype
    assert "41 value(s)" in messages and "[17]" in messages and "17" in messages  # the shape


def test_variable_length_rows_report_the_element_count(dataset):
    root = dataset("v30")
    path = first_data_file(root)
    table = pq.read_table(path)
    values = pa.array([[np.float32(0.5)] * 4] * table.num_rows, type=pa.list_(pa.float32()))
    index = table.column_names.index("observation.state")
    pq.write_table(table.set_column(index, "observation.state", values), path)
    report = run(root)
    no_check_failed(report)
    assert any(
        "hold 4 value(s)" in f.message and "6 element(s)" in f.message
        for f in report.by_code("schema.mismatch")
    )
