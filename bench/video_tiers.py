"""Video tiers of the validator against lerobot-doctor on a dataset with many AV1 videos.

    python bench/video_tiers.py                          # 27 episodes x 3 cameras = 81 AV1 mp4s
    python bench/video_tiers.py --episodes 10 --frames 100 --keep /tmp/av1ds

The dataset is recorded by lerobot itself (LeRobotDataset.create / add_frame / save_episode,
libsvtav1, lerobot's own encoder settings) with a tiny ``video_files_size_in_mb`` so every episode
of every camera is its own mp4, like the v2.1 datasets of issue 15 (81 AV1 videos). Then, each
tool in its own process (interpreter start-up included), it runs:

  * ours, default tier   `python -m validators PATH --json`               (every packet + sample)
  * ours, packets only   `python -m validators PATH --json --decode none`
  * ours, full decode    `python -m validators PATH --json --decode full`
  * lerobot-doctor       `lerobot-doctor check PATH --json`

and prints wall time, what each did (videos probed, frames decoded) and the ratio to the doctor.
Timing belongs here, not in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CAMERAS = ("observation.images.top", "observation.images.wrist", "observation.images.side")


def record(root: Path, *, episodes: int, frames: int, height: int, width: int, fps: int) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    from lerobot.configs.video import RGBEncoderConfig
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    features = {
        "observation.state": {
            "dtype": "float32",
            "shape": (6,),
            "names": [f"j{i}" for i in range(6)],
        },
        "action": {"dtype": "float32", "shape": (6,), "names": [f"j{i}" for i in range(6)]},
    }
    for key in CAMERAS:
        features[key] = {
            "dtype": "video",
            "shape": (height, width, 3),
            "names": ["height", "width", "channels"],
        }
    dataset = LeRobotDataset.create(
        repo_id=f"bench/{root.name}",
        fps=fps,
        features=features,
        root=root,
        robot_type="so101_follower",
        use_videos=True,
        rgb_encoder=RGBEncoderConfig(vcodec="libsvtav1"),
        video_files_size_in_mb=0.001,  # every episode in its own file: many videos
    )
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:height, 0:width]
    for episode in range(episodes):
        state = rng.normal(0, 1, 6).astype(np.float32)
        for i in range(frames):
            state = (state + rng.normal(0, 0.05, 6)).astype(np.float32)
            frame = {"observation.state": state, "action": state.copy(), "task": "pick"}
            for c, key in enumerate(CAMERAS):
                # A moving gradient: realistic enough for the encoder, cheap to make.
                shift = (i * 3 + c * 40 + episode * 7) % 256
                image = np.stack(
                    [(xs + shift) % 256, (ys + 2 * shift) % 256, (xs + ys + shift) % 256], axis=-1
                ).astype(np.uint8)
                frame[key] = image
            dataset.add_frame(frame)
        dataset.save_episode()
    dataset.finalize()


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=27)
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--height", type=int, default=96)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument(
        "--keep", type=Path, default=None, help="record into (or reuse) this folder"
    )
    options = parser.parse_args()

    temp = None
    if options.keep is not None:
        root = options.keep
    else:
        temp = Path(tempfile.mkdtemp(prefix="av1bench-"))
        root = temp / "av1_many_videos"
    try:
        if not (root / "meta/info.json").exists():
            started = time.perf_counter()
            record(
                root,
                episodes=options.episodes,
                frames=options.frames,
                height=options.height,
                width=options.width,
                fps=options.fps,
            )
            print(f"recorded with lerobot in {time.perf_counter() - started:.1f} s")
        mp4s = sorted(root.rglob("*.mp4"))
        size = sum(p.stat().st_size for p in mp4s)
        codecs = json.loads((root / "meta/info.json").read_text())["features"][CAMERAS[0]]["info"]
        print(
            f"dataset: {root}\n  {len(mp4s)} mp4 files ({codecs.get('video.codec')}), "
            f"{options.episodes * options.frames * len(CAMERAS)} video frames, "
            f"{size / 1e6:.1f} MB of video"
        )
        runs = [
            ("ours, default (packets+sample)", [sys.executable, "-m", "validators", str(root), "--json"]),
            ("ours, --decode none", [sys.executable, "-m", "validators", str(root), "--json", "--decode", "none"]),
            ("ours, --decode full", [sys.executable, "-m", "validators", str(root), "--json", "--decode", "full"]),
            ("lerobot-doctor check", [str(Path(sys.executable).parent / "lerobot-doctor"), "check", str(root), "--json"]),
        ]  # fmt: skip
        rows = []
        for name, command in runs:
            seconds, done = timed(command)
            note = ""
            if name.startswith("ours"):
                try:
                    report = json.loads(done.stdout)
                    s = report["summary"]
                    note = (
                        f"valid={report['valid']}, {s['videos_probed']} videos probed, "
                        f"{s['frames_decoded']} frames decoded ({s['video_check']})"
                    )
                except (ValueError, KeyError):
                    note = f"no report (exit {done.returncode}): {done.stderr[-200:]}"
            else:
                note = f"exit {done.returncode}"
            rows.append((name, seconds, note))
        doctor = rows[-1][1]
        print(f"\n{'tool':<32} {'wall':>8} {'vs doctor':>10}  what it did")
        for name, seconds, note in rows:
            print(f"{name:<32} {seconds:>7.2f}s {seconds / doctor:>9.2f}x  {note}")
        print(f"\nmachine load average: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
