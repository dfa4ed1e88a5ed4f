"""Format-width bombs in path templates, and the size of the stored report (issue 19, H4).

The validator runs on a small hand-written v2.1 dataset (metadata only): enough for it to fill
``data_path`` for every episode, which is where ``str.format`` used to turn a 28 KB upload into a
20 MB report. Each dataset here is a few kilobytes, and the bombs are sized so that the old code
also finishes (about 10 MB), failing only on the report's size.
"""

import json

import pytest

from validators import validate
from validators.path_templates import fill, problem
from validators.report import Finding

EPISODES = 300
REPORT_BOUND = 100_000  # bytes of JSON; a report a curator can open


def dataset(root, data_path: str):
    (root / "meta").mkdir(parents=True)
    info = {
        "codebase_version": "v2.1",
        "robot_type": "so101_follower",
        "total_episodes": EPISODES,
        "total_frames": EPISODES * 10,
        "total_tasks": 1,
        "total_chunks": 1,
        "total_videos": 0,
        "chunks_size": 1000,
        "fps": 10,
        "splits": {"train": f"0:{EPISODES}"},
        "data_path": data_path,
        "video_path": None,
        "features": {"action": {"dtype": "float32", "shape": [2], "names": None}},
    }
    (root / "meta/info.json").write_text(json.dumps(info))
    (root / "meta/episodes.jsonl").write_text(
        "".join(
            json.dumps({"episode_index": i, "tasks": ["pick"], "length": 10}) + "\n"
            for i in range(EPISODES)
        )
    )
    (root / "meta/tasks.jsonl").write_text(json.dumps({"task_index": 0, "task": "pick"}) + "\n")
    return root


def test_a_format_width_bomb_is_refused_by_name_and_the_report_stays_small(tmp_path):
    template = "data/chunk-{episode_chunk:03d}/episode_{episode_index:0100000d}.parquet"
    report = validate(dataset(tmp_path / "ds", template)).to_dict()
    size = len(json.dumps(report))
    assert size < REPORT_BOUND, size
    messages = [f["message"] for f in report["findings"] if f["code"] == "info.path_template"]
    assert any("width 100000 is more than 20 digits" in m for m in messages), messages


def test_every_finding_is_bounded_and_the_rest_is_summarised(tmp_path):
    # A legitimate template, but a megabyte long, and no data file for any of the 300 episodes.
    template = "data/" + "a" * 1_000_000 + "/episode_{episode_index:06d}.parquet"
    report = validate(dataset(tmp_path / "ds", template)).to_dict()
    assert len(json.dumps(report)) < REPORT_BOUND
    messages = [f["message"] for f in report["findings"] if f["code"] == "info.path_template"]
    assert any("longer than 1024 characters (1,000,041)" in m for m in messages), messages
    # Whatever a check quotes, one finding carries a bounded message and location.
    finding = Finding("file.missing", "error", "x" * 10**6, {"file": "y" * 10**6, "episode": 3})
    assert len(finding.message) < 2100 and finding.message.endswith("[998,000 more characters]")
    assert len(finding.location["file"]) < 600 and finding.location["episode"] == 3

    # 300 absent data files are one finding that counts them (issue 15's file.missing) ...
    short = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
    report = validate(dataset(tmp_path / "ds2", short)).to_dict()
    [missing] = [f for f in report["findings"] if f["code"] == "file.missing"]
    assert missing["message"].startswith("300 of the 300 data file(s)")
    assert len(json.dumps(report)) < REPORT_BOUND
    # ... and any check that reports one finding per item stops at 50 of a code, then says so.
    from pathlib import Path

    from validators.context import MAX_FINDINGS_PER_CODE, Context

    ctx = Context(Path(tmp_path), max_episodes=None, decode_video="none", workers=1)
    for episode in range(300):
        ctx.add("episodes.length_mismatch", "x" * 5000, episode=episode)
    ctx.finish()
    listed = [f for f in ctx.findings if f.code == "episodes.length_mismatch"]
    assert len(listed) == MAX_FINDINGS_PER_CODE == 50
    assert all(len(f.message) < 2100 for f in listed)
    [summary] = [f.message for f in ctx.findings if f.code == "report.truncated"]
    assert "250 more 'episodes.length_mismatch' findings are not listed (300 in all)" in summary


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{episode_index:0100000000d}", "width"),
        ("{episode_index:>99999}", "integer formats"),
        ("{episode_index.__class__}", "plain name"),
        ("{episode_index[0]}", "plain name"),
        ("{episode_index!r}", "conversions"),
        ("{episode_index:{episode_chunk}}", "integer formats"),
        ("{episode_index", "not a valid template"),
    ],
)
def test_templates_outside_the_allow_list_are_refused(template, why):
    assert why in (problem(template) or "")
    assert fill(template, episode_index=1, episode_chunk=0) is None


def test_lerobots_own_templates_still_fill():
    assert (
        fill(
            "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4",
            episode_chunk=0,
            episode_index=7,
            video_key="observation.images.wrist",
        )
        == "videos/chunk-000/observation.images.wrist/episode_000007.mp4"
    )
    assert fill("data/{chunk_index}/{file_index:3d}.parquet", chunk_index=2, file_index=5) == (
        "data/2/  5.parquet"
    )


def test_reports_show_paths_relative_to_the_dataset_not_the_servers(tmp_path, settings):
    """Low: server paths and the environment appeared in findings and inference reports."""
    import sys

    from config.security import strip_server_paths

    root = tmp_path / "work" / "submission-7-ab12cd"
    report = {
        "findings": [
            {"message": f"cannot read {root}/data/chunk-000/file-000.parquet", "location": {}},
            {"message": f"stats written to {settings.STORAGE_ROOT}/curation/tmp/x.json"},
            {"message": f"lerobot at {sys.prefix}/lib/python3.12/site-packages/lerobot"},
        ],
        "folder": str(root),
    }
    cleaned = strip_server_paths(report, root)
    text = json.dumps(cleaned)
    assert str(tmp_path) not in text and str(settings.STORAGE_ROOT) not in text
    assert sys.prefix not in text
    assert cleaned["findings"][0]["message"] == "cannot read data/chunk-000/file-000.parquet"
    assert cleaned["findings"][1]["message"] == "stats written to <storage>/curation/tmp/x.json"
    assert cleaned["folder"] == "."
