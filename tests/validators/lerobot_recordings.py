"""Datasets recorded by lerobot itself (``LeRobotDataset.create`` / ``add_frame`` /
``save_episode`` / ``finalize``) with the magnitudes of real robots: joint angles in degrees
around ±100, end-effector positions in millimetres, a gripper held still, many episodes and a long
one. Their stats are lerobot's own arithmetic, so the validator must find nothing wrong with them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
# Where each joint rests, in degrees (so101 calibration puts several joints near ±100).
JOINT_REST = np.array([100.0, -95.0, 87.5, 12.3, 170.0, 33.3])


def record_realistic(
    root: Path,
    *,
    episodes: int = 12,
    long_episode: int = 2000,
    fps: int = 30,
    seed: int = 0,
) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    features = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": JOINTS},
        "action": {"dtype": "float32", "shape": (6,), "names": JOINTS},
        "observation.ee_pos_mm": {"dtype": "float32", "shape": (3,), "names": ["x", "y", "z"]},
    }
    dataset = LeRobotDataset.create(
        repo_id=f"local/{Path(root).name}",
        fps=fps,
        features=features,
        root=root,
        robot_type="so101_follower",
        use_videos=False,
    )
    rng = np.random.default_rng(seed)
    for episode in range(episodes):
        frames = long_episode if episode == 1 else int(rng.integers(150, 400))
        joints = JOINT_REST + np.cumsum(rng.normal(0, 0.3, (frames, 6)), axis=0)
        if episode % 2 == 0:
            joints[:, 5] = JOINT_REST[5]  # the gripper stays closed: a constant column
        for i in range(frames):
            state = joints[i].astype(np.float32)
            dataset.add_frame(
                {
                    "observation.state": state,
                    "action": (state + rng.normal(0, 0.1, 6)).astype(np.float32),
                    "observation.ee_pos_mm": np.array(
                        [312.5 + 0.1 * i, -140.2, 95.0 + 20 * np.sin(i / fps)], dtype=np.float32
                    ),
                    "task": "pick the cube" if episode % 3 else "place the cube",
                }
            )
        dataset.save_episode()
    dataset.finalize()
    return Path(root)
