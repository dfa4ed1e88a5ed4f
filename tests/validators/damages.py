"""Named ways to damage a copy of a base dataset, shared by the lerobot-doctor comparison test and
the benchmark (bench/validate.py). Each recipe takes the dataset root and breaks one thing."""

from __future__ import annotations

import json
import math
import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.validators.conftest import (
    edit_feature,
    edit_info,
    edit_parquet,
    first_data_file,
    set_column,
)
from validators.synthetic import write_mp4

KEY = "observation.images.front"
V21_EP0 = "data/chunk-000/episode_000000.parquet"
V21_EP1 = "data/chunk-000/episode_000001.parquet"
V21_VIDEO_0 = f"videos/chunk-000/{KEY}/episode_000000.mp4"


def _ts(episodes, frames=12, fps=10):
    return [np.float32(i / fps).item() for _ in range(episodes) for i in range(frames)]


def timestamp_jump(root):
    ts = _ts(3)
    ts[-1] += 0.5
    set_column(first_data_file(root), "timestamp", ts)


def timestamps_backwards(root):
    ts = _ts(1)
    ts[3], ts[4] = ts[4], ts[3]
    set_column(root / V21_EP0, "timestamp", ts)


def frame_index_shifted(root):
    set_column(root / V21_EP1, "frame_index", range(1, 13))


def index_all_zeros(root):
    set_column(first_data_file(root), "index", [0] * 36)


def nan_in_action(root):
    def poison(columns):
        columns["action"][5][2] = math.nan
        columns["action"][30][0] = math.inf
        return columns

    edit_parquet(first_data_file(root), poison)


def total_frames_wrong(root):
    edit_info(root, total_frames=999)


def missing_info_field(root):
    edit_info(root, fps=None)


def video_missing(root):
    (root / V21_VIDEO_0).unlink()


def video_25fps(root):
    write_mp4(root / V21_VIDEO_0, frames=12, fps=25)


def video_resolution(root):
    write_mp4(root / V21_VIDEO_0, frames=12, fps=10, shape=(32, 32, 3))


def video_short(root):
    write_mp4(root / V21_VIDEO_0, frames=9, fps=10)


def video_garbage(root):
    (root / V21_VIDEO_0).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)


def frozen_actions(root):
    def freeze(columns):
        columns["action"] = [columns["action"][0]] * len(columns["action"])
        return columns

    edit_parquet(root / V21_EP1, freeze)


def stats_missing(root):
    (root / "meta/stats.json").unlink()


def constant_state_dim(root):
    for rel in (V21_EP0, V21_EP1):
        edit_parquet(
            root / rel,
            lambda c: {**c, "observation.state": [[*r[:5], 0.25] for r in c["observation.state"]]},
        )


def float64_in_one_file(root):
    table = pq.read_table(root / V21_EP1)
    state = table.column("observation.state").cast(pa.list_(pa.float64(), 6))
    pq.write_table(table.set_column(0, "observation.state", state), root / V21_EP1)


def truncated_parquet(root):
    path = first_data_file(root)
    path.write_bytes(path.read_bytes()[:-200])


def lfs_pointer(root):
    first_data_file(root).write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n"
    )


def link_outside(root):
    target = root.parent / f"{root.name}-outside.txt"
    target.write_text("x")
    os.symlink(target, root / "meta" / "outside.txt")


def task_index_out_of_range(root):
    set_column(first_data_file(root), "task_index", [0] * 24 + [7] * 12)


def episodes_meta_missing(root):
    shutil.rmtree(root / "meta/episodes")


def declared_shape_wrong(root):
    edit_feature(root, "action", shape=[7])


def episode_length_wrong(root):
    path = root / "meta/episodes.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[1]["length"] = 15
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


# name -> (base dataset, recipe)
DAMAGES = {
    "timestamp_jump": ("v30", timestamp_jump),
    "timestamps_backwards": ("v21", timestamps_backwards),
    "frame_index_shifted": ("v21", frame_index_shifted),
    "index_all_zeros": ("v30", index_all_zeros),
    "nan_in_action": ("v30", nan_in_action),
    "total_frames_wrong": ("v30", total_frames_wrong),
    "missing_info_field": ("v30", missing_info_field),
    "video_missing": ("v21", video_missing),
    "video_25fps": ("v21", video_25fps),
    "video_resolution": ("v21", video_resolution),
    "video_short": ("v21", video_short),
    "video_garbage": ("v21", video_garbage),
    "frozen_actions": ("v21", frozen_actions),
    "stats_missing": ("v30", stats_missing),
    "constant_state_dim": ("v21", constant_state_dim),
    "float64_in_one_file": ("v21", float64_in_one_file),
    "truncated_parquet": ("v30", truncated_parquet),
    "lfs_pointer": ("v30", lfs_pointer),
    "link_outside": ("v30", link_outside),
    "task_index_out_of_range": ("v30", task_index_out_of_range),
    "episodes_meta_missing": ("v30", episodes_meta_missing),
    "declared_shape_wrong": ("v30", declared_shape_wrong),
    "episode_length_wrong": ("v21", episode_length_wrong),
}

# lerobot-doctor check -> the code families of ours that cover it
DOCTOR_TO_CODES = {
    "Metadata & Format Compliance": (
        "info.",
        "totals.",
        "tasks.",
        "episodes.",
        "not_lerobot",
        "version.",
        "file.",
        "schema.",
        "dataset.empty",
        "lerobot_bug.",
    ),
    "Temporal Consistency": ("timestamp.", "frame_index.", "index.", "episode_index.", "info."),
    "Action Quality": ("data.non_finite", "quality."),
    "Video Integrity": ("video.", "episodes.video_range", "file.", "info.", "lerobot_bug."),
    "Data Distribution": ("stats.", "data.non_finite", "quality."),
    "Episode Health": (
        "quality.short_episode",
        "episodes.",
        "dataset.empty",
        "totals.",
        "episode_index.",
    ),
    "Feature Consistency": ("schema.", "file.", "lerobot_bug."),
    "Anomaly Detection": ("quality.",),
    "Portability": ("file.",),
    "Training Readiness": ("stats.", "quality.", "info.", "schema."),
}


METADATA = "Metadata & Format Compliance"


def doctor_findings(root) -> dict[str, set[str]]:
    """lerobot-doctor's WARN/FAIL messages per check (its Python API); a crash counts as nothing
    found, the load error as a metadata failure."""
    from lerobot_doctor.dataset_loader import load_dataset
    from lerobot_doctor.runner import run_checks

    found: dict[str, set[str]] = {}
    try:
        loaded = load_dataset(str(root))
        if loaded.info is None:
            return {METADATA: {f"FAIL load: {loaded.info_error}"}}
        report = run_checks(loaded)
    except Exception as error:
        return {METADATA: {f"FAIL crash: {type(error).__name__}"}}
    for result in report.results:
        for message in result.messages:
            if message.severity.value in ("WARN", "FAIL"):
                found.setdefault(result.name, set()).add(
                    f"{message.severity.value} {message.message}"
                )
    return found


def new_doctor_findings(
    damaged: dict[str, set[str]], baseline: dict[str, set[str]]
) -> dict[str, set[str]]:
    """What lerobot-doctor reports on the damaged copy and not on the intact one."""
    return {
        check: messages - baseline.get(check, set())
        for check, messages in damaged.items()
        if messages - baseline.get(check, set())
    }


def covered(check: str, new_codes: set[str]) -> bool:
    prefixes = DOCTOR_TO_CODES.get(check, ())
    return any(code.startswith(prefixes) for code in new_codes)
