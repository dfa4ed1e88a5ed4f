"""Issue 15: one fixture per new code, each a dataset written by lerobot (validators.synthetic
records v3.0 with LeRobotDataset) and then damaged; report formats; video tiers."""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import REPO
from tests.validators.conftest import (
    edit_feature,
    edit_info,
    episodes_file,
    first_data_file,
)
from validators import validate
from validators.formats import render

KEY = "observation.images.front"
VIDEO = f"videos/{KEY}/chunk-000/file-000.mp4"


def run(root, **kwargs):
    report = validate(root, workers=1, **kwargs)
    assert "check.failed" not in report.codes(), report.by_code("check.failed")
    return report


def set_episode_column(root, column, row, value):
    path = episodes_file(root)
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.column_names.index(column)
    table = table.set_column(index, column, pa.array(values, type=table.schema.field(column).type))
    pq.write_table(table, path)


# -- lerobot's known bugs ---------------------------------------------------------------------


def test_4109_a_video_segment_longer_than_its_episode(dataset):
    root = dataset("v30")
    # Episode 0 has 12 frames at 10 fps (1.2 s) but its segment now spans 1.7 s of video.
    set_episode_column(root, f"videos/{KEY}/to_timestamp", 0, 1.7)
    [finding] = run(root).by_code("lerobot_bug.4109")
    assert finding.location["episode"] == 0 and finding.severity == "error"
    assert "#4109" in finding.message and "0.6.1" in finding.message


def test_2627_timestamps_past_the_end_of_the_mp4(dataset):
    root = dataset("v30")
    set_episode_column(root, f"videos/{KEY}/from_timestamp", 2, 9.0)
    set_episode_column(root, f"videos/{KEY}/to_timestamp", 2, 10.2)
    [finding] = run(root).by_code("lerobot_bug.2627")
    assert finding.location["episode"] == 2
    assert finding.location["file"] == VIDEO


def test_2264_indices_pointing_at_no_file_while_an_unreferenced_file_exists(dataset):
    root = dataset("v30")
    data = root / "data/chunk-000"
    (data / "file-000.parquet").rename(data / "file-003.parquet")
    report = run(root)
    [finding] = report.by_code("lerobot_bug.2264")
    assert "file-000.parquet" in finding.message and "file-003.parquet" in finding.message


def test_3786_camera_without_names_and_image_stats(dataset):
    root = dataset("v30")
    edit_feature(root, KEY, names=None)
    stats = json.loads((root / "meta/stats.json").read_text())
    del stats[KEY]
    (root / "meta/stats.json").write_text(json.dumps(stats))
    findings = run(root).by_code("lerobot_bug.3786")
    assert {f.location.get("file") for f in findings} == {"meta/info.json", "meta/stats.json"}


def test_3280_zero_variance_dimension(dataset):
    root = dataset("v30")
    stats = json.loads((root / "meta/stats.json").read_text())
    stats["action"]["std"][2] = 0.0
    (root / "meta/stats.json").write_text(json.dumps(stats))
    [finding] = run(root).by_code("lerobot_bug.3280")
    assert finding.location["feature"] == "action" and "joint_2" in finding.message


# -- defects no tool reported -----------------------------------------------------------------


def test_training_item_dump(dataset):
    root = dataset("v30")
    path = first_data_file(root)
    table = pq.read_table(path)
    n = table.num_rows
    table = table.append_column("action_is_pad", pa.array([False] * n))
    table = table.append_column("task", pa.array(["pick the cube"] * n))
    pq.write_table(table, path)
    [finding] = run(root).by_code("data.training_dump")
    assert "action_is_pad" in finding.message and "'task'" in finding.message


def test_no_standard_state_or_action(dataset):
    root = dataset("v30")
    info = json.loads((root / "meta/info.json").read_text())
    info["features"]["joints"] = info["features"].pop("observation.state")
    (root / "meta/info.json").write_text(json.dumps(info))
    [finding] = run(root).by_code("features.no_policy_streams")
    assert finding.message.startswith("No 'observation.state' feature:")


def test_nonstandard_video_path(dataset):
    root = dataset("v30")
    template = "videos/{video_key}/c{chunk_index:03d}/f{file_index:03d}.mp4"
    edit_info(root, video_path=template)
    (root / f"videos/{KEY}/c000").mkdir()
    (root / VIDEO).rename(root / f"videos/{KEY}/c000/f000.mp4")
    report = run(root)
    [finding] = report.by_code("info.nonstandard_path")
    assert finding.location["feature"] == "video_path"
    assert "video.missing" not in report.codes()  # lerobot follows the template: so do we


def test_stats_without_the_default_features(dataset):
    root = dataset("v30")
    stats = json.loads((root / "meta/stats.json").read_text())
    for name in ("timestamp", "frame_index", "index"):
        del stats[name]
    (root / "meta/stats.json").write_text(json.dumps(stats))
    [finding] = run(root).by_code("stats.incomplete")
    assert "timestamp" in finding.message


def test_videos_declared_but_no_mp4_at_all(dataset):
    root = dataset("v21")
    shutil.rmtree(root / "videos")
    report = run(root)
    [missing] = report.by_code("video.missing")
    assert "no mp4 file at all" in missing.message
    [total] = [f for f in report.by_code("totals.mismatch") if "total_videos" in f.message]
    assert "missing" in total.message and "set total_videos to 0" not in total.message.lower()


def test_mp4_under_a_camera_no_feature_declares(dataset):
    root = dataset("v30")
    side = root / "videos/observation.images.side/chunk-000"
    side.mkdir(parents=True)
    shutil.copy(root / VIDEO, side / "file-000.mp4")
    [finding] = [f for f in run(root).by_code("file.unexpected") if f.location.get("feature")]
    assert finding.location["feature"] == "observation.images.side"


def test_stray_parquet_in_meta_episodes(dataset):
    root = dataset("v30")
    shutil.copy(episodes_file(root), root / "meta/episodes/chunk-000/file-000 (copy).parquet")
    report = run(root)
    [finding] = [f for f in report.by_code("file.unexpected") if "stray" in f.message]
    assert finding.severity == "error"
    assert "episode_index.mismatch" not in report.codes()  # the stray copy is not read as episodes


def test_v21_without_episodes_stats(dataset):
    root = dataset("v21")
    (root / "meta/stats.json").write_text(json.dumps({"action": {"mean": [0.0] * 6}}))
    (root / "meta/episodes_stats.jsonl").unlink()
    [finding] = run(root).by_code("file.missing")
    assert finding.location["file"] == "meta/episodes_stats.jsonl"


def test_mixed_layout_names_files_that_exist(dataset):
    root = dataset("v30")
    (root / "meta/episodes.jsonl").write_text('{"episode_index": 0, "length": 12}\n')
    [finding] = run(root).by_code("layout.mixed")
    assert (root / finding.location["file"]).exists()
    assert "meta/episodes.jsonl" in finding.message
    assert "episode_000000.parquet" not in finding.message  # not on disk


# -- video tiers -------------------------------------------------------------------------------


def test_default_tier_reads_every_packet_and_decodes_a_sample(dataset):
    root = dataset("v30")
    report = run(root)
    s = report.summary
    assert s["video_check"] == "packets+sample"
    assert s["videos_probed"] == 1
    # 3 episodes: first and last frame each (6) plus up to 4 keyframes, never all 36 frames.
    assert 6 <= s["frames_decoded"] < 36
    full = run(root, decode_video="full").summary
    assert full["video_check"] == "full" and full["frames_decoded"] == 36
    none = run(root, decode_video="none").summary
    assert none["video_check"] == "packets" and none["frames_decoded"] == 0
    assert none["videos_probed"] == 1


def test_default_tier_finds_a_truncated_video(dataset):
    root = dataset("v30")
    path = root / VIDEO
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.6)])
    report = run(root)
    assert not report.valid
    assert report.codes() & {"video.undecodable", "video.frame_count_mismatch"}


# -- formats -----------------------------------------------------------------------------------


def test_every_format_renders_the_same_findings(dataset):
    root = dataset("v30")
    edit_info(root, total_frames=99)
    report = run(root)
    assert not report.valid
    data = json.loads(render(report, "json", str(root)))
    assert data["valid"] is False and data["summary"]["video_check"] == "packets+sample"
    md = render(report, "markdown", str(root))
    assert "`totals.mismatch`" in md and "invalid" in md
    sarif = json.loads(render(report, "sarif", str(root)))
    results = sarif["runs"][0]["results"]
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in results} == report.codes()
    assert any(r["level"] == "error" for r in results)
    suite = ET.fromstring(render(report, "junit", str(root)))  # noqa: S314 (our own output)
    assert int(suite.get("failures")) == len({f.code for f in report.errors})
    assert suite.find("testcase[@name='totals.mismatch']/failure") is not None


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_cli_formats_keep_the_exit_status(dataset):
    root = dataset("v30")
    for fmt in ("json", "markdown", "sarif", "junit"):
        ok = _cli("-m", "validators", str(root), "--format", fmt, "--workers", "1")
        assert ok.returncode == 0, ok.stderr
    edit_info(root, total_frames=99)
    bad = _cli("-m", "validators", str(root), "--format", "junit", "--workers", "1")
    assert bad.returncode == 1
    assert ET.fromstring(bad.stdout).get("failures") == "1"  # noqa: S314 (our own output)


def test_validate_dataset_command_needs_no_environment(dataset):
    root = dataset("v30")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    done = _cli("manage.py", "validate_dataset", str(root), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["valid"] is True


# -- repair ------------------------------------------------------------------------------------


def test_repair_writes_a_copy_that_validates_clean(dataset, tmp_path):
    root = dataset("v30")
    edit_info(root, total_frames=99, total_episodes=5)
    path = first_data_file(root)
    table = pq.read_table(path)
    n = table.num_rows
    jitter = [((i % 12) / 10 + (0.003 if i % 2 else -0.002)) for i in range(n)]  # < 1/4 frame
    for name, values in (("timestamp", jitter), ("index", [0] * n)):
        i = table.column_names.index(name)
        field = table.schema.field(i)
        table = table.set_column(i, field, pa.array(values, type=field.type))
    pq.write_table(table, path)
    stats = json.loads((root / "meta/stats.json").read_text())
    stats["action"]["mean"][0] += 1.0
    (root / "meta/stats.json").write_text(json.dumps(stats))
    before = run(root)
    assert {"totals.mismatch", "timestamp.off_grid", "index.not_contiguous", "stats.mismatch"} <= (
        before.codes()
    )
    original = (root / "meta/info.json").read_bytes()
    out = tmp_path / "repaired"
    done = _cli(
        "-m", "validators", str(root), "--repair", str(out), "--format", "json", "--workers", "1"
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["valid"] is True and result["path"] == str(out.resolve())
    changes = " ".join(result["repairs"])
    for word in ("snapped", "renumbered", "stats.json", "total_frames = 36", "total_episodes = 3"):
        assert word in changes, changes
    assert (root / "meta/info.json").read_bytes() == original  # never in place
    again = _cli("-m", "validators", str(root), "--repair", str(out), "--workers", "1")
    assert again.returncode == 2 and "already exists" in again.stderr


# -- by repo id --------------------------------------------------------------------------------


def test_validate_a_hub_dataset_by_repo_id(dataset, tmp_path):
    from tests.hub_files_stub import HubFilesStub

    root = dataset("v30")
    (root / "README.md").write_text("# a dataset card, not needed to validate\n")
    (root / "images").mkdir(exist_ok=True)  # lerobot leaves an empty images/ behind
    (root / "images/leftover.png").write_bytes(b"not fetched")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "0",
        "VALIDATOR_HUB_CACHE": str(tmp_path / "hub-cache"),
    }
    with HubFilesStub({"manipulation-lab/pick-place": root}) as hub:
        env["HF_ENDPOINT"] = hub.url
        done = _cli("-m", "validators", "manipulation-lab/pick-place", "--json", env=env)
        missing = _cli("-m", "validators", "manipulation-lab/nothing-here", "--json", env=env)
        fetched = [r for r in hub.requests if "/resolve/" in r]
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["valid"] is True and report["summary"]["episodes"] == 3
    assert not any("README.md" in r or "images/" in r for r in fetched)  # only what is needed
    assert any("data/chunk-000/file-000.parquet" in r for r in fetched)
    assert missing.returncode == 2 and "manipulation-lab/nothing-here" in missing.stderr


# -- peers' checks -----------------------------------------------------------------------------


def test_episodes_shorter_than_a_policy_chunk_are_noted(dataset):
    report = run(dataset("v30"))  # 3 episodes of 12 frames
    [finding] = report.by_code("quality.shorter_than_chunk")
    assert finding.severity == "info" and "ACT" in finding.message and "100" in finding.message
    assert report.valid


def test_idle_frames_at_the_end_of_an_episode(dataset):
    root = dataset("v30")
    path = first_data_file(root)
    table = pq.read_table(path)
    actions = table.column("action").to_pylist()
    for i in range(2, 12):  # episode 0: the arm stops after its second frame
        actions[i] = actions[1]
    index = table.column_names.index("action")
    field = table.schema.field(index)
    pq.write_table(table.set_column(index, field, pa.array(actions, type=field.type)), path)
    findings = run(root).by_code("quality.idle_frames")
    assert [f.location["episode"] for f in findings] == [0]
    assert "10 of 12 frames at the end" in findings[0].message
