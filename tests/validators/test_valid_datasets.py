"""Valid datasets written by lerobot 0.4.4 (v3.0) and by hand (v2.1, v2.0) pass, with a full summary."""

import json

import pytest

from validators import Finding, Report, validate
from validators.report import empty_summary

SUMMARY_KEYS = set(empty_summary())


def errors(report):
    return [(f.code, f.message) for f in report.errors]


def test_v30_video_dataset_is_valid_with_a_complete_summary(base_datasets):
    report = validate(base_datasets["v30"], workers=1)
    assert report.valid, errors(report)
    assert report.warnings == []
    s = report.summary
    assert set(s) == SUMMARY_KEYS
    assert s["episodes"] == 3
    assert s["frames"] == 36
    assert s["episode_lengths"] == [12, 12, 12]
    assert s["fps"] == 10
    assert s["robot_type"] == "so101_follower"
    assert s["codebase_version"] == report.codebase_version == "v3.0"
    assert s["layout"] == "v3"
    assert s["tasks"] == ["pick the cube"]
    assert s["cameras"] == [
        {
            "key": "observation.images.front",
            "height": 48,
            "width": 64,
            "channels": 3,
            "codec": "h264",
            "fps": 10.0,
            "pix_fmt": "yuv420p",
        }
    ]
    assert s["features"]["action"] == {
        "dtype": "float32",
        "shape": [6],
        "names": [f"joint_{i}" for i in range(6)],
    }
    assert s["data_files"] == 1
    assert s["video_files"] == 1
    assert s["total_bytes"] > 0
    assert s["has_stats"] is True
    assert s["has_quantiles"] is True


def test_v30_image_dataset_is_valid(base_datasets):
    report = validate(base_datasets["v30_image"], workers=1)
    assert report.valid, errors(report)
    assert report.summary["video_files"] == 0
    assert [c["key"] for c in report.summary["cameras"]] == ["observation.images.front"]


def test_v21_dataset_is_valid_and_told_the_exact_conversion_command(base_datasets):
    report = validate(base_datasets["v21"], workers=1)
    assert report.valid, errors(report)
    assert report.codebase_version == "v2.1"
    assert report.summary["layout"] == "v2"
    assert report.summary["tasks"] == ["pick the cube", "place the cube"]
    [outdated] = report.by_code("version.outdated")
    assert outdated.severity == "warning"
    assert (
        "python -m lerobot.datasets.v30.convert_dataset_v21_to_v30 --repo-id=" in outdated.message
    )
    assert "--push-to-hub=false" in outdated.message


def test_v20_dataset_is_valid_and_told_to_go_through_v21_first(base_datasets):
    report = validate(base_datasets["v20"], workers=1)
    assert report.valid, errors(report)
    [outdated] = report.by_code("version.outdated")
    assert "v2.1 first" in outdated.message
    assert "convert_dataset_v20_to_v21" in outdated.message


def test_process_pool_finds_the_same_as_one_process(base_datasets):
    one = validate(base_datasets["v21"], workers=1).to_dict()
    pool = validate(base_datasets["v21"], workers=2).to_dict()
    assert one == pool


def test_report_round_trips_through_json(base_datasets):
    report = validate(base_datasets["v21"], workers=1)
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) == {"valid", "codebase_version", "summary", "findings"}
    assert set(data["findings"][0]) == {"code", "severity", "message", "location"}
    again = Report.from_dict(data)
    assert again.to_dict() == report.to_dict()
    assert again.valid is report.valid


def test_finding_rejects_unknown_severity_and_drops_empty_location_keys():
    finding = Finding("file.missing", "error", "gone", {"file": "a", "episode": None})
    assert finding.location == {"file": "a"}
    with pytest.raises(ValueError, match="severity"):
        Finding("file.missing", "fatal", "x")


def test_progress_is_reported_for_each_step(base_datasets):
    calls = []
    validate(base_datasets["v30"], workers=1, progress=lambda *a: calls.append(a))
    steps = {step for step, _, _ in calls}
    assert {"layout", "metadata", "data files", "videos", "stats"} <= steps
    assert ("data files", 1, 1) in calls
    assert all(0 <= done <= total for _, done, total in calls)


def test_max_episodes_checks_a_subset_and_says_so(dataset):
    root = dataset("v21")
    # Break episode 1 only: with --max-episodes 1 it is not read.
    from tests.validators.conftest import set_column

    set_column(root / "data/chunk-000/episode_000001.parquet", "frame_index", [5] * 12)
    assert "frame_index.invalid" in validate(root, workers=1).codes()
    partial = validate(root, workers=1, max_episodes=1)
    assert "report.partial" in partial.codes()
    assert "frame_index.invalid" not in partial.codes()
