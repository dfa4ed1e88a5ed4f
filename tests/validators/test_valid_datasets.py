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
    root = base_datasets["v21"]
    command = (
        "python -m lerobot.scripts.convert_dataset_v21_to_v30 "
        f"--repo-id=local/{root.name} --root={root.name} --push-to-hub=false"
    )
    assert command in outdated.message
    # Written for the user's copy: the path it was validated at never appears.
    assert str(root.parent) not in outdated.message


def test_v20_dataset_is_valid_and_told_to_go_through_v21_first(base_datasets):
    report = validate(base_datasets["v20"], workers=1)
    assert report.valid, errors(report)
    [outdated] = report.by_code("version.outdated")
    assert "v2.1 first" in outdated.message
    assert "convert_dataset_v20_to_v21" in outdated.message


def test_process_pool_finds_the_same_as_one_process(dataset, monkeypatch):
    import validators.data

    root = dataset("v21")
    (root / "data/chunk-000/episode_000001.parquet").write_bytes(b"PAR1 truncated")
    one = validate(root, workers=1).to_dict()
    monkeypatch.setattr(validators.data, "SMALL_DATA_BYTES", 0)  # use the pool even for tiny data
    calls = []
    pool = validate(root, workers=2, progress=lambda *a: calls.append(a)).to_dict()
    assert one == pool
    assert "lerobot_bug.2495" in {f["code"] for f in pool["findings"]}  # no footer
    assert ("data files", 2, 2) in calls


def _validate_in_daemon(path, queue):
    import validators.data

    validators.data.SMALL_DATA_BYTES = 0
    report = validate(path, workers=2)
    queue.put(sorted({f.code for f in report.findings if f.severity != "info"}))


def test_inside_a_daemonic_process_the_scan_falls_back_to_one_process(base_datasets):
    """Celery-like workers are daemonic and may not start children: validation still completes."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_validate_in_daemon, args=(str(base_datasets["v21"]), queue), daemon=True
    )
    process.start()
    codes = queue.get(timeout=120)
    process.join(timeout=30)
    assert codes == ["version.outdated"]


def test_report_round_trips_through_json(base_datasets):
    report = validate(base_datasets["v21"], workers=1)
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) == {"valid", "codebase_version", "summary", "findings", "compatibility"}
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


@pytest.mark.slow
def test_the_suggested_commands_convert_a_v21_dataset_and_add_quantiles(dataset):
    """Run the exact commands our findings give, offline, with lerobot 0.6.1, in the folder that
    holds the copy: the v2.1 dataset becomes a valid v3.0 one (without quantiles, as the converter
    writes none), then gets them."""
    import os
    import re
    import shlex
    import subprocess
    import sys

    copy = dataset("v21")
    root = copy.rename(copy.parent / "so101_pick")  # any folder names work
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}

    def command_in(finding):
        command = shlex.split(re.search(r"`(python -m [^`]+)`", finding.message).group(1))
        return [sys.executable, *command[1:]]

    [outdated] = validate(root, workers=1).by_code("version.outdated")
    subprocess.run(
        command_in(outdated), env=env, cwd=root.parent, check=True, capture_output=True, timeout=300
    )
    converted = validate(root, workers=1)
    assert converted.codebase_version == "v3.0"
    assert converted.valid, [(f.code, f.message) for f in converted.errors]
    # (info findings, such as episodes shorter than ACT's chunk, are not problems)
    assert {f.code for f in converted.findings if f.severity != "info"} == {"stats.no_quantiles"}

    [no_quantiles] = converted.by_code("stats.no_quantiles")
    # The script writes the stats, then tries to push to the Hub, which fails offline.
    subprocess.run(
        command_in(no_quantiles),
        env=env,
        cwd=root.parent,
        check=False,
        capture_output=True,
        timeout=300,
    )
    final = validate(root, workers=1)
    assert {f.code for f in final.findings if f.severity != "info"} == set()
    assert final.summary["has_quantiles"] is True


def test_a_check_that_breaks_is_reported_and_the_others_still_run(dataset, monkeypatch):
    import validators.timestamps

    def broken(ctx, scan):
        raise KeyError("surprise")

    monkeypatch.setattr(validators.timestamps, "check_timestamps", broken)
    root = dataset("v30")
    (root / "meta/stats.json").unlink()
    report = validate(root, workers=1)
    [failed] = report.by_code("check.failed")
    assert "timestamps" in failed.message and "KeyError" in failed.message
    assert "stats.missing" in report.codes()
