"""Builders for small, real LeRobot datasets on disk: the demo data, the benchmarks and every test
package use them.

* ``make_v30_dataset`` records a dataset with lerobot 0.6.1's own ``LeRobotDataset.create`` /
  ``add_frame`` / ``save_episode`` / ``finalize`` (h264 videos, or PNG images embedded in parquet;
  optionally the language columns and a depth camera that 0.6 added), so what the tests see is
  byte-for-byte what a lab member's recording produces.
* ``make_v21_dataset`` and ``make_v20_dataset`` write the older one-file-per-episode layouts by hand
  (lerobot 0.4 and later can no longer write them): per-episode parquet and mp4, jsonl metadata.

Every builder takes the target folder (which must not exist yet) and returns it. Data is random but
seeded, so two calls with the same arguments give the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CAMERA_KEY = "observation.images.front"
CAMERA_SHAPE = (48, 64, 3)  # H, W, C: small so that encoding stays fast
DEPTH_KEY = "observation.images.depth"


def _quiet_encoders() -> None:
    """libx264 prints its statistics for every file; keep test output readable."""
    import av

    av.logging.set_level(av.logging.ERROR)


def _joint_names(state_dim: int) -> list[str]:
    return [f"joint_{i}" for i in range(state_dim)]


def make_v30_dataset(
    root,
    *,
    episodes: int = 2,
    frames: int = 12,
    fps: int = 10,
    video: bool = True,
    image: bool = False,
    robot_type: str = "so101_follower",
    state_dim: int = 6,
    tasks: Sequence[str] = ("pick the cube",),
    action_dim: int | None = None,
    cameras: dict[str, tuple[int, int]] | None = None,
    seed: int = 0,
    language: bool = False,
    depth: bool = False,
) -> Path:
    """Record a v3.0 dataset with lerobot 0.6.1 at ``root`` (must not exist) and return it.

    ``video`` adds h264 cameras; ``image`` adds them as PNG images embedded in the parquet instead
    (``use_videos=False``). ``cameras`` maps feature keys to (height, width); the default is one
    camera ``observation.images.front``. Episode ``i`` uses task ``tasks[i % len(tasks)]``.
    ``frames`` is the length of every episode; ``action_dim`` defaults to ``state_dim``.
    ``language`` declares lerobot 0.6's ``language_persistent`` / ``language_events`` columns (left
    empty, as a recording leaves them until the annotation pipeline fills them); ``depth`` adds a
    depth camera ``observation.images.depth`` (uint16 millimetres, encoded as 12-bit HEVC video).
    """
    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets.language import LANGUAGE_COLUMNS, language_feature_info
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    _quiet_encoders()
    root = Path(root)
    action_dim = state_dim if action_dim is None else action_dim
    if not (video or image):
        cameras = {}
    elif cameras is None:
        cameras = {CAMERA_KEY: CAMERA_SHAPE[:2]}
    features: dict = {
        "observation.state": {
            "dtype": "float32",
            "shape": (state_dim,),
            "names": _joint_names(state_dim),
        },
        "action": {"dtype": "float32", "shape": (action_dim,), "names": _joint_names(action_dim)},
    }
    for key, (height, width) in cameras.items():
        features[key] = {
            "dtype": "video" if video else "image",
            "shape": (height, width, 3),
            "names": ["height", "width", "channels"],
        }
    depth_shape = CAMERA_SHAPE[:2]
    if depth:
        features[DEPTH_KEY] = {
            "dtype": "video" if video else "image",
            "shape": (*depth_shape, 1),
            "names": ["height", "width", "channels"],
            "info": {"is_depth_map": True},
        }
    if language:
        features.update(language_feature_info())
    dataset = LeRobotDataset.create(
        repo_id=f"local/{root.name}",
        fps=fps,
        features=features,
        root=root,
        robot_type=robot_type,
        use_videos=video,
        rgb_encoder=RGBEncoderConfig(vcodec="h264"),
    )
    rng = np.random.default_rng(seed)
    for episode in range(episodes):
        # A smooth random walk looks like a real arm (no action jumps, no frozen joints); the
        # action follows the state (its first action_dim joints, extra joints walk on their own).
        state = rng.standard_normal(state_dim).astype(np.float32)
        extra = rng.standard_normal(max(0, action_dim - state_dim)).astype(np.float32)
        for _ in range(frames):
            state = (state + 0.05 * rng.standard_normal(state_dim)).astype(np.float32)
            extra = (extra + 0.05 * rng.standard_normal(extra.shape)).astype(np.float32)
            target = np.concatenate([state, extra])[:action_dim]
            frame = {
                "observation.state": state,
                "action": (target + 0.01 * rng.standard_normal(action_dim)).astype(np.float32),
                "task": tasks[episode % len(tasks)],
            }
            for key, (height, width) in cameras.items():
                frame[key] = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            if depth:
                frame[DEPTH_KEY] = rng.integers(300, 3000, (*depth_shape, 1), dtype=np.uint16)
            if language:  # declared at record time, filled later by lerobot's annotation pipeline
                frame.update(dict.fromkeys(LANGUAGE_COLUMNS))
            dataset.add_frame(frame)
        dataset.save_episode()
    dataset.finalize()
    return root


# ---------------------------------------------------------------------------------------------
# v2.x layouts, written by hand (one parquet per episode, one mp4 per episode and camera).
# ---------------------------------------------------------------------------------------------

V2_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
V2_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"


def _write_mp4(path: Path, frames: int, fps: int, shape=CAMERA_SHAPE, codec: str = "h264") -> None:
    """Encode ``frames`` random frames at ``fps`` with PyAV (yuv420p, like lerobot)."""
    import av

    _quiet_encoders()
    height, width, _ = shape
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(frames)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264" if codec == "h264" else codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(frames):
            image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _stats_of(values: np.ndarray) -> dict:
    """Per-episode stats as lerobot computes them (its own ``get_feature_stats``, so the fixtures
    never check our stats code against itself), keeping the keys v2.x wrote (no quantiles)."""
    from lerobot.datasets.compute_stats import get_feature_stats

    stats = get_feature_stats(np.asarray(values), axis=0, keepdims=np.asarray(values).ndim == 1)
    return {key: np.asarray(stats[key]).tolist() for key in ("min", "max", "mean", "std", "count")}


def _image_stats() -> dict:
    # Per-channel stats of uniform random uint8 pixels, normalized to [0, 1], shape (3, 1, 1).
    def channel(value: float) -> list:
        return [[[value]], [[value]], [[value]]]

    return {
        "min": channel(0.0),
        "max": channel(1.0),
        "mean": channel(0.5),
        "std": channel(0.29),
        "count": [100],
    }


def _make_v2_dataset(
    root,
    *,
    version: str,
    episodes: int,
    frames: int,
    fps: int,
    video: bool,
    robot_type: str,
    state_dim: int,
    tasks: Sequence[str],
) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(root)
    root.mkdir(parents=True, exist_ok=False)
    (root / "meta").mkdir()
    names = _joint_names(state_dim)
    features: dict = {
        "observation.state": {"dtype": "float32", "shape": [state_dim], "names": names},
        "action": {"dtype": "float32", "shape": [state_dim], "names": names},
    }
    if video:
        features[CAMERA_KEY] = {
            "dtype": "video",
            "shape": list(CAMERA_SHAPE),
            "names": ["height", "width", "channels"],
            "info": {
                "video.fps": fps,
                "video.height": CAMERA_SHAPE[0],
                "video.width": CAMERA_SHAPE[1],
                "video.channels": 3,
                "video.codec": "h264",
                "video.pix_fmt": "yuv420p",
                "video.is_depth_map": False,
                "has_audio": False,
            },
        }
    for column, dtype in (
        ("timestamp", "float32"),
        ("frame_index", "int64"),
        ("episode_index", "int64"),
        ("index", "int64"),
        ("task_index", "int64"),
    ):
        features[column] = {"dtype": dtype, "shape": [1], "names": None}

    unique_tasks = list(dict.fromkeys(tasks))
    rng = np.random.default_rng(0)
    all_state, all_action = [], []
    episode_rows, stats_rows = [], []
    for episode in range(episodes):
        task = tasks[episode % len(tasks)]
        task_index = unique_tasks.index(task)
        state = np.cumsum(0.05 * rng.standard_normal((frames, state_dim)), axis=0).astype(
            np.float32
        )
        action = (state + 0.01 * rng.standard_normal((frames, state_dim))).astype(np.float32)
        frame_index = np.arange(frames, dtype=np.int64)
        timestamp = (frame_index / fps).astype(np.float32)
        columns = {
            "observation.state": pa.array(list(state), type=pa.list_(pa.float32(), state_dim)),
            "action": pa.array(list(action), type=pa.list_(pa.float32(), state_dim)),
            "timestamp": pa.array(timestamp),
            "frame_index": pa.array(frame_index),
            "episode_index": pa.array(np.full(frames, episode, dtype=np.int64)),
            "index": pa.array(frame_index + episode * frames),
            "task_index": pa.array(np.full(frames, task_index, dtype=np.int64)),
        }
        chunk = episode // 1000
        path = root / V2_DATA_PATH.format(episode_chunk=chunk, episode_index=episode)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), path)
        if video:
            _write_mp4(
                root
                / V2_VIDEO_PATH.format(
                    episode_chunk=chunk, video_key=CAMERA_KEY, episode_index=episode
                ),
                frames,
                fps,
            )
        all_state.append(state)
        all_action.append(action)
        episode_rows.append({"episode_index": episode, "tasks": [task], "length": frames})
        episode_stats = {
            "observation.state": _stats_of(state),
            "action": _stats_of(action),
            "timestamp": _stats_of(timestamp[:, None]),
            "frame_index": _stats_of(frame_index[:, None]),
            "episode_index": _stats_of(np.full((frames, 1), episode)),
            "index": _stats_of((frame_index + episode * frames)[:, None]),
            "task_index": _stats_of(np.full((frames, 1), task_index)),
        }
        if video:
            episode_stats[CAMERA_KEY] = _image_stats()
        stats_rows.append({"episode_index": episode, "stats": episode_stats})

    total_frames = episodes * frames
    info = {
        "codebase_version": version,
        "robot_type": robot_type,
        "total_episodes": episodes,
        "total_frames": total_frames,
        "total_tasks": len(unique_tasks),
        "total_videos": episodes if video else 0,
        "total_chunks": max(1, (episodes + 999) // 1000),
        "chunks_size": 1000,
        "fps": fps,
        "splits": {"train": f"0:{episodes}"},
        "data_path": V2_DATA_PATH,
        "video_path": V2_VIDEO_PATH if video else None,
        "features": features,
    }
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    _write_jsonl(root / "meta" / "episodes.jsonl", episode_rows)
    _write_jsonl(
        root / "meta" / "tasks.jsonl",
        [{"task_index": i, "task": task} for i, task in enumerate(unique_tasks)],
    )
    if version == "v2.1":
        _write_jsonl(root / "meta" / "episodes_stats.jsonl", stats_rows)
    else:
        # v2.0: one global stats.json with mean/std/min/max (no count).
        state, action = np.concatenate(all_state), np.concatenate(all_action)
        stats = {
            "observation.state": _stats_of(state),
            "action": _stats_of(action),
        }
        for value in stats.values():
            value.pop("count")
        if video:
            stats[CAMERA_KEY] = {k: v for k, v in _image_stats().items() if k != "count"}
        (root / "meta" / "stats.json").write_text(json.dumps(stats, indent=4))
    return root


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def make_v21_dataset(
    root,
    *,
    episodes: int = 2,
    frames: int = 12,
    fps: int = 10,
    video: bool = True,
    robot_type: str = "so101_follower",
    state_dim: int = 6,
    tasks: Sequence[str] = ("pick the cube",),
) -> Path:
    """Write a v2.1 dataset (per-episode files, episodes_stats.jsonl) at ``root`` and return it."""
    return _make_v2_dataset(
        root,
        version="v2.1",
        episodes=episodes,
        frames=frames,
        fps=fps,
        video=video,
        robot_type=robot_type,
        state_dim=state_dim,
        tasks=tasks,
    )


def make_v20_dataset(
    root,
    *,
    episodes: int = 2,
    frames: int = 12,
    fps: int = 10,
    video: bool = True,
    robot_type: str = "so101_follower",
    state_dim: int = 6,
    tasks: Sequence[str] = ("pick the cube",),
) -> Path:
    """Write a v2.0 dataset (per-episode files, one global stats.json) at ``root`` and return it."""
    return _make_v2_dataset(
        root,
        version="v2.0",
        episodes=episodes,
        frames=frames,
        fps=fps,
        video=video,
        robot_type=robot_type,
        state_dim=state_dim,
        tasks=tasks,
    )


def write_mp4(path, *, frames: int, fps: int, shape=CAMERA_SHAPE, codec: str = "h264") -> Path:
    """Encode a standalone mp4 (for damaged fixtures: a 25 fps video, an mp4v codec...)."""
    _write_mp4(Path(path), frames, fps, shape=shape, codec=codec)
    return Path(path)
