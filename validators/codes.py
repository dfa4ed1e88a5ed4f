"""The catalogue of finding codes: each code has a default severity and a one-line meaning.

Codes are stable: the platform stores them, filters on them and links them to documentation.
Add new codes here (and to validators/README.md); never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    meaning: str


_CATALOGUE = [
    # Layout and version
    Code(
        "not_lerobot", "error", "The folder is not a LeRobot dataset (no meta/info.json, no data/)."
    ),
    Code("dataset.empty", "error", "The dataset has no episodes or no frames."),
    Code("info.missing", "error", "meta/info.json is missing."),
    Code(
        "info.invalid",
        "error",
        "meta/info.json is unreadable, or a required field is missing or has the wrong type.",
    ),
    Code(
        "info.fps_not_integer",
        "warning",
        "fps is a float; lerobot's converter casts it with int().",
    ),
    Code(
        "info.robot_type_missing",
        "warning",
        "robot_type is missing or null; catalogue and merges rely on it.",
    ),
    Code(
        "info.default_feature_missing",
        "error",
        "One of timestamp, frame_index, episode_index, index, task_index is not declared.",
    ),
    Code(
        "info.feature_name_invalid",
        "error",
        "A feature name contains '/', lerobot's separator for stats and episode columns.",
    ),
    Code(
        "info.feature_invalid",
        "error",
        "A feature has an unknown dtype, or a shape that is not a list of positive ints (at most 5 dims).",
    ),
    Code(
        "info.camera_convention",
        "warning",
        "A camera feature's names do not follow HWC [height, width, channels] or CHW.",
    ),
    Code(
        "info.image_in_name",
        "warning",
        "A non-camera feature has 'image' in its name; lerobot's stats code then expects image stats (#1449).",
    ),
    Code(
        "info.path_template",
        "error",
        "data_path/video_path uses unknown placeholders or does not resolve to the files on disk.",
    ),
    Code(
        "version.unsupported",
        "error",
        "codebase_version is not a LeRobot format version this platform reads (v2.0, v2.1, v3.0).",
    ),
    Code(
        "version.unknown",
        "warning",
        "codebase_version is a newer or unusual spelling of a known version; checked as the nearest one.",
    ),
    Code(
        "version.outdated",
        "warning",
        "A v2.x dataset: lerobot 0.4.x cannot load it until it is converted to v3.0.",
    ),
    Code(
        "layout.mixed",
        "error",
        "Files of both the v2 (episode_*.parquet) and v3 (file-*.parquet) layouts are present.",
    ),
    Code(
        "layout.version_mismatch",
        "error",
        "The files follow a different layout than codebase_version says.",
    ),
    Code("file.missing", "error", "A file the metadata requires is absent."),
    Code("file.empty", "error", "A file has 0 bytes."),
    Code(
        "file.corrupt",
        "error",
        "A file cannot be parsed (a parquet without its footer, bad JSON lines).",
    ),
    Code(
        "file.lfs_pointer",
        "error",
        "A Git-LFS pointer file stands in place of the data (cloned without git lfs).",
    ),
    Code(
        "file.unexpected",
        "warning",
        "A file that is not part of the LeRobot layout (stray, orphan or temporary).",
    ),
    Code("file.link_outside", "error", "A symbolic link points outside the dataset folder."),
    # Totals
    Code(
        "totals.mismatch",
        "error",
        "A total in info.json disagrees with the data (episodes, frames, tasks, videos, chunks).",
    ),
    Code("totals.splits", "warning", "info.json splits do not cover the episodes 0..N."),
    # Data parquet
    Code(
        "schema.mismatch",
        "error",
        "A parquet column's type or shape differs from the dtype/shape in info.json.",
    ),
    Code(
        "schema.missing_column",
        "error",
        "A declared (non-video) feature has no column in a data file.",
    ),
    Code(
        "parquet.duplicate_column",
        "warning",
        "A parquet file has two columns of the same name; the first is read.",
    ),
    Code(
        "schema.undeclared_column",
        "warning",
        "A data file has a column that info.json does not declare.",
    ),
    Code(
        "index.not_contiguous",
        "error",
        "The global index column is not 0..total_frames-1 in order (gaps or duplicates).",
    ),
    Code(
        "frame_index.invalid", "error", "frame_index is missing, or not 0..n-1 within an episode."
    ),
    Code(
        "episode_index.mismatch",
        "error",
        "episode_index values disagree with the episode metadata (unknown, missing or misplaced episodes).",
    ),
    Code(
        "task_index.out_of_range",
        "error",
        "task_index is negative or not below the number of tasks.",
    ),
    Code("data.non_finite", "error", "A numeric feature holds NaN or Inf values."),
    # Timestamps
    Code(
        "timestamp.non_monotonic", "error", "Timestamps go backwards or repeat inside an episode."
    ),
    Code(
        "timestamp.off_grid",
        "error",
        "Consecutive timestamps are not 1/fps apart (tolerance 1e-4 s); warning on datasets without video.",
    ),
    Code(
        "timestamp.not_zero_based",
        "error",
        "An episode's first timestamp is not 0 (wall-clock time?); warning on datasets without video.",
    ),
    # Episode metadata
    Code(
        "episodes.missing",
        "error",
        "Episode metadata (meta/episodes/ or meta/episodes.jsonl) is missing or has no rows.",
    ),
    Code(
        "episodes.invalid",
        "error",
        "Episode metadata rows lack required fields or have wrong types.",
    ),
    Code(
        "episodes.length_mismatch",
        "error",
        "An episode's length in the metadata differs from its rows in the data.",
    ),
    Code(
        "episodes.range_invalid",
        "error",
        "dataset_from_index/dataset_to_index do not match the data (overlaps, gaps, wrong length).",
    ),
    Code(
        "episodes.file_pointer",
        "error",
        "data/chunk_index,file_index of an episode points to a file that does not hold it.",
    ),
    Code(
        "episodes.video_range",
        "error",
        "videos/<key>/from_timestamp,to_timestamp lie outside the mp4 or disagree with the length.",
    ),
    Code(
        "episodes.tasks_mismatch",
        "warning",
        "An episode's tasks list differs from the tasks of its frames.",
    ),
    Code(
        "tasks.invalid",
        "error",
        "The task table is missing, unreadable, or has duplicate/empty tasks or indices.",
    ),
    # Videos
    Code("video.missing", "error", "No video file for an episode and camera."),
    Code(
        "video.undecodable",
        "error",
        "A video cannot be opened or its frames cannot be decoded (or the decoder crashed/hung).",
    ),
    Code("video.fps_mismatch", "error", "A video's frame rate differs from the dataset fps."),
    Code(
        "video.resolution_mismatch",
        "error",
        "A video's width/height differs from the declared feature shape.",
    ),
    Code(
        "video.frame_count_mismatch",
        "error",
        "A video holds a different number of frames than the episode has rows.",
    ),
    Code(
        "video.codec",
        "warning",
        "The video codec is unusual for LeRobot (e.g. mp4v); some decoders (torchcodec) may fail.",
    ),
    Code(
        "video.info_mismatch",
        "warning",
        "features[key].info in info.json disagrees with the file (codec, pix_fmt, size, fps).",
    ),
    # Stats
    Code(
        "stats.missing",
        "error",
        "No statistics (meta/stats.json, or episodes_stats.jsonl for v2.1); normalization will fail.",
    ),
    Code(
        "stats.invalid",
        "error",
        "Statistics are unreadable or shaped wrong (length != feature shape, image stats not (3,1,1)).",
    ),
    Code(
        "stats.mismatch",
        "error",
        "Stored statistics differ from the data by more than lerobot's own float32 arithmetic could.",
    ),
    Code(
        "stats.quantiles_invalid",
        "warning",
        "Stored quantiles are out of order (q01 > q10 ...) or outside [min, max].",
    ),
    Code(
        "stats.no_quantiles",
        "warning",
        "Statistics lack q01..q99; policies with QUANTILES normalization (pi0.5) fail (#2105).",
    ),
    # Quality
    Code(
        "quality.frozen_actuator",
        "warning",
        "An action dimension stays constant over most of an episode (stuck or unplugged motor).",
    ),
    Code("quality.action_jump", "warning", "Sudden action jumps far beyond the usual step size."),
    Code(
        "quality.short_episode",
        "warning",
        "Very short episodes (fewer frames than typical policy chunk sizes).",
    ),
    Code(
        "quality.shorter_than_chunk",
        "info",
        "Episodes shorter than a policy's action chunk (ACT 100, pi0/SmolVLA 50, Diffusion 16).",
    ),
    Code(
        "quality.idle_frames",
        "warning",
        "Episodes that start or end with the arm idle (the same action) over a fifth of their frames.",
    ),
    Code(
        "quality.duplicate_episode",
        "warning",
        "Two episodes hold identical data (recorded or copied twice).",
    ),
    Code(
        "quality.constant_feature",
        "warning",
        "A numeric feature dimension never changes over the whole dataset.",
    ),
    # Known lerobot bugs that recordings made with older releases carry (the code names the
    # issue; validators/README.md says which release fixed it)
    Code(
        "lerobot_bug.4109",
        "error",
        "An episode's video segment is longer than its frames: a discarded re-recorded take was "
        "encoded into it (lerobot #4109, 0.4.3 to 0.6.0; fixed in 0.6.1).",
    ),
    Code(
        "lerobot_bug.2627",
        "error",
        "Episode timestamps point past the end of the mp4 after a merge (lerobot #2627; fixed in "
        "lerobot 0.6.1).",
    ),
    Code(
        "lerobot_bug.2264",
        "error",
        "Episode chunk/file indices point at files that do not exist while unreferenced files do: "
        "a merge misaligned them (lerobot #2264, fixed in 0.6.1).",
    ),
    Code(
        "lerobot_bug.2495",
        "error",
        "A parquet file has no footer: recording crashed before finalize() (lerobot #2495/#3522, "
        "fixed in 0.6.1).",
    ),
    Code(
        "lerobot_bug.3786",
        "error",
        "A visual feature has names=None or no image stats, as the v2.1 to v3.0 converter wrote "
        "them (lerobot #3786, fixed in 0.6.1).",
    ),
    Code(
        "lerobot_bug.3280",
        "warning",
        "A dimension has zero variance (std 0 or min == max): mean/std or min/max normalization "
        "divides by zero and gives NaN (lerobot #3280).",
    ),
    # Shape of the content
    Code(
        "data.training_dump",
        "error",
        "The data parquet holds training items (*_is_pad columns, a string task column), not "
        "recorded frames.",
    ),
    Code(
        "features.no_policy_streams",
        "warning",
        "No observation.state and no action feature: no lerobot policy trains on the dataset as it is.",
    ),
    Code(
        "info.nonstandard_path",
        "warning",
        "data_path or video_path differs from lerobot's template for this version.",
    ),
    Code(
        "stats.incomplete",
        "warning",
        "stats.json lacks the default features (timestamp, frame_index, ...) that lerobot writes.",
    ),
    # Report bookkeeping
    Code(
        "check.failed",
        "warning",
        "A check could not complete on this dataset (a validator bug); the report may be incomplete.",
    ),
    Code(
        "report.truncated",
        "info",
        "More findings of one code than the report lists; the rest are counted.",
    ),
    Code("report.partial", "info", "Only part of the dataset was checked (--max-episodes)."),
]

CODES: dict[str, Code] = {c.code: c for c in _CATALOGUE}


def severity_of(code: str) -> str:
    return CODES[code].severity
