"""Statistics and data-quality checks."""

import json

import numpy as np

from tests.validators.conftest import edit_parquet, first_data_file, read_jsonl, write_jsonl
from validators import validate
from validators.synthetic import make_v21_dataset

V21_EP0 = "data/chunk-000/episode_000000.parquet"
V21_EP1 = "data/chunk-000/episode_000001.parquet"


def run(root):
    return validate(root, workers=1)


def test_missing_stats_json(dataset):
    root = dataset("v30")
    (root / "meta/stats.json").unlink()
    report = run(root)
    assert "stats.missing" in report.codes()
    assert report.summary["has_stats"] is False


def test_missing_episodes_stats_in_v21(dataset):
    root = dataset("v21")
    (root / "meta/episodes_stats.jsonl").unlink()
    assert "stats.missing" in run(root).codes()


def test_stale_global_stats(dataset):
    root = dataset("v30")
    stats = json.loads((root / "meta/stats.json").read_text())
    stats["action"]["mean"][0] += 0.01
    (root / "meta/stats.json").write_text(json.dumps(stats))
    [finding] = run(root).by_code("stats.mismatch")
    assert finding.location["feature"] == "action"
    assert "mean" in finding.message


def test_recomputed_stats_match_lerobots_own(base_datasets):
    """lerobot's float32 stats agree with our float64 recomputation within its tolerance."""
    assert "stats.mismatch" not in run(base_datasets["v30"]).codes()
    assert "stats.mismatch" not in run(base_datasets["v21"]).codes()


def test_data_edited_after_recording_makes_per_episode_stats_stale(dataset):
    root = dataset("v21")

    def shift(columns):
        columns["action"] = [[v + 1.0 for v in row] for row in columns["action"]]
        return columns

    edit_parquet(root / V21_EP1, shift)
    [finding] = run(root).by_code("stats.mismatch")
    assert finding.location["episode"] == 1
    assert finding.location["file"] == "meta/episodes_stats.jsonl"


def test_v3_per_episode_stats_are_compared(dataset):
    root = dataset("v30")

    def shift(columns):
        columns["observation.state"][30] = [v + 3.0 for v in columns["observation.state"][30]]
        return columns

    edit_parquet(first_data_file(root), shift)
    findings = run(root).by_code("stats.mismatch")
    assert {f.location.get("file") for f in findings} == {"meta/stats.json", "meta/episodes/"}
    assert [
        f.location.get("episode") for f in findings if f.location["file"] == "meta/episodes/"
    ] == [2]


def test_stats_without_quantiles(dataset):
    root = dataset("v30")
    stats = json.loads((root / "meta/stats.json").read_text())
    for values in stats.values():
        for q in ("q01", "q10", "q50", "q90", "q99"):
            values.pop(q, None)
    (root / "meta/stats.json").write_text(json.dumps(stats))
    report = run(root)
    [finding] = report.by_code("stats.no_quantiles")
    assert "augment_dataset_quantile_stats" in finding.message
    assert report.summary["has_quantiles"] is False


def test_stats_of_the_wrong_shape(dataset):
    root = dataset("v30")
    stats = json.loads((root / "meta/stats.json").read_text())
    stats["action"]["min"] = [0.0] * 4
    stats["observation.images.front"]["mean"] = [0.5, 0.5, 0.5]
    (root / "meta/stats.json").write_text(json.dumps(stats))
    features = {f.location["feature"] for f in run(root).by_code("stats.invalid")}
    assert features == {"action", "observation.images.front"}


# -- quality ----------------------------------------------------------------------------------


def test_frozen_actions(dataset):
    root = dataset("v21")

    def freeze(columns):
        columns["action"] = [columns["action"][0]] * len(columns["action"])
        return columns

    edit_parquet(root / V21_EP1, freeze)
    [finding] = run(root).by_code("quality.frozen_actuator")
    assert finding.location["episode"] == 1


def test_action_jump(dataset, tmp_path):
    root = make_v21_dataset(tmp_path / "long", episodes=3, frames=60)

    def jump(columns):
        columns["action"][30] = [v + 50.0 for v in columns["action"][30]]
        return columns

    edit_parquet(root / "data/chunk-000/episode_000002.parquet", jump)
    [finding] = run(root).by_code("quality.action_jump")
    assert finding.location["episode"] == 2


def test_short_episodes(tmp_path):
    root = make_v21_dataset(tmp_path / "short", episodes=2, frames=4)
    report = run(root)
    assert "quality.short_episode" in report.codes()
    assert report.valid


def test_duplicate_episode(dataset):
    root = dataset("v21")
    source = {
        k: v
        for k, v in __import__("pyarrow.parquet", fromlist=["x"])
        .read_table(root / V21_EP0)
        .to_pydict()
        .items()
    }

    def copy(columns):
        for name in ("observation.state", "action"):
            columns[name] = source[name]
        return columns

    edit_parquet(root / V21_EP1, copy)
    rows = read_jsonl(root / "meta/episodes_stats.jsonl")
    rows[1]["stats"]["action"] = rows[0]["stats"]["action"]
    rows[1]["stats"]["observation.state"] = rows[0]["stats"]["observation.state"]
    write_jsonl(root / "meta/episodes_stats.jsonl", rows)
    report = run(root)
    [finding] = report.by_code("quality.duplicate_episode")
    assert finding.location["episode"] == 1
    assert "stats.mismatch" not in report.codes()


def test_constant_feature(dataset):
    root = dataset("v21")
    for rel in (V21_EP0, V21_EP1):

        def flatten(columns):
            columns["observation.state"] = [
                [*row[:5], 0.25] for row in columns["observation.state"]
            ]
            return columns

        edit_parquet(root / rel, flatten)
    findings = run(root).by_code("quality.constant_feature")
    # Exactly one finding, for the flattened dimension only: the five moving joints are not flagged.
    [finding] = findings
    assert finding.location["feature"] == "observation.state"
    assert "dimension(s) [5] never change" in finding.message
    assert finding.severity == "warning"


def test_one_scalar_feature_per_joint(tmp_path):
    """Real uploads declare every joint as its own shape-[1] feature: that is valid."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = make_v21_dataset(tmp_path / "scalar", video=False)
    info = json.loads((root / "meta/info.json").read_text())
    for rel in ("data/chunk-000/episode_000000.parquet", "data/chunk-000/episode_000001.parquet"):
        table = pq.read_table(root / rel)
        state = np.asarray(table.column("observation.state").to_pylist(), dtype=np.float32)
        table = table.drop_columns(["observation.state"])
        for joint in range(6):
            table = table.append_column(
                f"observation.state.joint_{joint}", pa.array(state[:, joint])
            )
        pq.write_table(table, root / rel)
    del info["features"]["observation.state"]
    for joint in range(6):
        info["features"][f"observation.state.joint_{joint}"] = {
            "dtype": "float32",
            "shape": [1],
            "names": None,
        }
    (root / "meta/info.json").write_text(json.dumps(info))
    rows = read_jsonl(root / "meta/episodes_stats.jsonl")
    for row in rows:
        del row["stats"]["observation.state"]
    write_jsonl(root / "meta/episodes_stats.jsonl", rows)
    report = run(root)
    assert report.valid, [(f.code, f.message) for f in report.errors]
    assert "schema.undeclared_column" not in report.codes()


def test_video_stats_are_compared_with_the_decoded_frames(dataset):
    root = dataset("v30")
    stats = json.loads((root / "meta/stats.json").read_text())
    full = validate(root, workers=1, decode_video="full")  # video means need every frame
    assert "stats.mismatch" not in full.codes()  # lerobot's own stats pass (lossy h264)
    stats["observation.images.front"]["mean"] = [[[0.2]], [[0.5]], [[0.5]]]
    (root / "meta/stats.json").write_text(json.dumps(stats))
    [finding] = validate(root, workers=1, decode_video="full").by_code("stats.mismatch")
    assert finding.location["feature"] == "observation.images.front"


def test_a_nan_count_in_stats_is_a_finding_never_a_failed_check(dataset):
    """Found by the structural fuzzer: int(NaN) on a stored count broke the stats check."""
    root = dataset("v30")
    stats_path = root / "meta" / "stats.json"
    stats = json.loads(stats_path.read_text())
    stats["observation.state"]["count"] = [float("nan")]
    stats_path.write_text(json.dumps(stats))
    report = validate(root, workers=1, decode_video="none")
    assert "check.failed" not in report.codes(), [f.message for f in report.findings]
