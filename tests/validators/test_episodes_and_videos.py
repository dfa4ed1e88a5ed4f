"""Episode metadata and video checks, on damaged copies."""

import json
import shutil

from tests.validators.conftest import (
    edit_info,
    edit_parquet,
    episodes_file,
    read_jsonl,
    write_jsonl,
)
from validators import validate
from validators.synthetic import write_mp4

KEY = "observation.images.front"
V3_VIDEO = f"videos/{KEY}/chunk-000/file-000.mp4"
V21_VIDEO_0 = f"videos/chunk-000/{KEY}/episode_000000.mp4"


def run(root, **kwargs):
    return validate(root, workers=1, **kwargs)


def edit_episode(root, episode, **values):
    def edit(columns):
        for name, value in values.items():
            columns[name][episode] = value
        return columns

    edit_parquet(episodes_file(root), edit)


# -- episode metadata -------------------------------------------------------------------------


def test_meta_episodes_missing_after_a_crash_before_finalize(dataset):
    root = dataset("v30")
    shutil.rmtree(root / "meta/episodes")
    [finding] = run(root).by_code("episodes.missing")
    assert "finalize()" in finding.message


def test_dataset_to_index_past_the_data(dataset):
    root = dataset("v30")
    edit_episode(root, 2, dataset_to_index=40)
    [finding] = run(root).by_code("episodes.range_invalid")
    assert finding.location["episode"] == 2


def test_overlapping_episode_ranges(dataset):
    root = dataset("v30")
    edit_episode(root, 1, dataset_from_index=10, dataset_to_index=22)
    report = run(root)
    assert "overlap" in " ".join(f.message for f in report.by_code("episodes.range_invalid"))


def test_episode_length_differs_from_its_rows(dataset):
    root = dataset("v21")
    rows = read_jsonl(root / "meta/episodes.jsonl")
    rows[1]["length"] = 15
    write_jsonl(root / "meta/episodes.jsonl", rows)
    [finding] = run(root).by_code("episodes.length_mismatch")
    assert finding.location["episode"] == 1
    assert "15" in finding.message and "12 rows" in finding.message


def test_data_file_pointer_to_the_wrong_file(dataset):
    root = dataset("v30")
    edit_episode(root, 1, **{"data/file_index": 5})
    report = run(root)
    [finding] = report.by_code("episodes.file_pointer")
    assert "data/chunk-000/file-005.parquet" in finding.message


def test_video_timestamps_outside_the_mp4(dataset):
    root = dataset("v30")
    edit_episode(
        root, 2, **{f"videos/{KEY}/from_timestamp": 5.0, f"videos/{KEY}/to_timestamp": 6.2}
    )
    # Past the end of the mp4: the signature of lerobot's merge bug #2627.
    [finding] = run(root).by_code("lerobot_bug.2627")
    assert finding.location == {"file": V3_VIDEO, "episode": 2, "feature": KEY}


def test_episode_indices_with_a_gap(dataset):
    root = dataset("v21")
    rows = read_jsonl(root / "meta/episodes.jsonl")
    rows[1]["episode_index"] = 5
    write_jsonl(root / "meta/episodes.jsonl", rows)
    assert "episode_index.mismatch" in run(root).codes()


def test_bad_jsonl_line_is_reported_and_the_rest_still_read(dataset):
    root = dataset("v21")
    text = (root / "meta/episodes.jsonl").read_text()
    (root / "meta/episodes.jsonl").write_text(text + "{broken\n")
    report = run(root)
    assert "file.corrupt" in report.codes()
    assert report.summary["episodes"] == 2


def test_episode_tasks_differ_from_the_frames(dataset):
    root = dataset("v21")
    rows = read_jsonl(root / "meta/episodes.jsonl")
    rows[0]["tasks"] = ["place the cube"]
    write_jsonl(root / "meta/episodes.jsonl", rows)
    assert "episodes.tasks_mismatch" in run(root).codes()


def test_total_mismatches(dataset):
    root = dataset("v30")
    edit_info(root, total_frames=999, total_episodes=5, total_tasks=9)
    report = run(root)
    keys = {f.location["feature"] for f in report.by_code("totals.mismatch")}
    assert keys == {"total_frames", "total_episodes", "total_tasks"}


def test_v2_totals_of_videos_and_chunks(dataset):
    root = dataset("v21")
    edit_info(root, total_videos=7, total_chunks=3)
    keys = {f.location["feature"] for f in run(root).by_code("totals.mismatch")}
    assert keys == {"total_videos", "total_chunks"}


def test_splits_past_the_episodes(dataset):
    root = dataset("v30")
    edit_info(root, splits={"train": "0:10"})
    report = run(root)
    assert "totals.splits" in report.codes()
    assert report.valid


def test_tasks_table_with_duplicate_index(dataset):
    root = dataset("v21")
    write_jsonl(
        root / "meta/tasks.jsonl", [{"task_index": 0, "task": "a"}, {"task_index": 0, "task": "b"}]
    )
    assert "tasks.invalid" in run(root).codes()


def test_episode_metadata_without_rows(dataset):
    root = dataset("v21")
    (root / "meta/episodes.jsonl").write_text("\n")
    report = run(root)
    assert "episodes.missing" in report.codes()
    assert "episode_index.mismatch" in report.codes()  # the data holds episodes nobody lists


def test_empty_dataset(dataset):
    root = dataset("v21")
    (root / "meta/episodes.jsonl").write_text("\n")
    shutil.rmtree(root / "data")
    shutil.rmtree(root / "videos")
    edit_info(root, total_episodes=0, total_frames=0, total_videos=0, splits={})
    report = run(root)
    assert "dataset.empty" in report.codes()
    assert not report.valid


# -- videos -----------------------------------------------------------------------------------


def test_missing_video_file(dataset):
    root = dataset("v21")
    (root / V21_VIDEO_0).unlink()
    [finding] = run(root).by_code("video.missing")
    assert finding.location == {"file": V21_VIDEO_0, "episode": 0, "feature": KEY}


def test_missing_v3_video_folder(dataset):
    root = dataset("v30")
    shutil.rmtree(root / "videos")
    assert "video.missing" in run(root).codes()


def test_garbage_video(dataset):
    root = dataset("v21")
    (root / V21_VIDEO_0).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    [finding] = run(root).by_code("video.undecodable")
    assert finding.location["file"] == V21_VIDEO_0


def test_truncated_video(dataset):
    root = dataset("v30")
    path = root / V3_VIDEO
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    report = run(root)
    assert {"video.undecodable", "video.frame_count_mismatch"} & report.codes()
    assert not report.valid


def test_25_fps_video_in_a_10_fps_dataset(dataset):
    root = dataset("v21")
    write_mp4(root / V21_VIDEO_0, frames=12, fps=25)
    report = run(root)
    [finding] = report.by_code("video.fps_mismatch")
    # The message names both rates, so the submitter knows which way the video is off.
    assert "plays at 25 fps" in finding.message
    assert "dataset is 10 fps" in finding.message
    assert finding.location == {"file": V21_VIDEO_0, "feature": KEY}
    assert not report.valid


def test_video_resolution_differs_from_the_shape(dataset):
    root = dataset("v21")
    write_mp4(root / V21_VIDEO_0, frames=12, fps=10, shape=(32, 32, 3))
    report = run(root)
    assert "video.resolution_mismatch" in report.codes()
    assert "video.info_mismatch" in report.codes()


def test_video_with_fewer_frames_than_rows(dataset):
    root = dataset("v21")
    write_mp4(root / V21_VIDEO_0, frames=9, fps=10)
    [finding] = run(root).by_code("video.frame_count_mismatch")
    assert "9 frames for 12 rows" in finding.message


def test_mp4v_codec_is_a_warning(dataset):
    root = dataset("v21")
    write_mp4(root / V21_VIDEO_0, frames=12, fps=10, codec="mpeg4")
    report = run(root)
    assert report.by_code("video.codec")[0].severity == "warning"


def test_orphan_video_is_unexpected(dataset):
    root = dataset("v21")
    shutil.copy(root / V21_VIDEO_0, root / f"videos/chunk-000/{KEY}/episode_000009.mp4")
    files = {f.location.get("file") for f in run(root).by_code("file.unexpected")}
    assert f"videos/chunk-000/{KEY}/episode_000009.mp4" in files


def test_without_decoding_the_container_is_still_checked(dataset):
    root = dataset("v21")
    write_mp4(root / V21_VIDEO_0, frames=12, fps=25)
    report = run(root, decode_video=False)
    assert "video.fps_mismatch" in report.codes()


def test_camera_info_in_summary_comes_from_the_file(dataset):
    root = dataset("v21")
    info = json.loads((root / "meta/info.json").read_text())
    del info["features"][KEY]["info"]
    (root / "meta/info.json").write_text(json.dumps(info))
    camera = run(root).summary["cameras"][0]
    assert (camera["codec"], camera["width"], camera["height"], camera["pix_fmt"]) == (
        "h264",
        64,
        48,
        "yuv420p",
    )
