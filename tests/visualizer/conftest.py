"""Visualizer fixtures: small datasets recorded with lerobot (v3.0) or written in the v2.x layouts,
published through the real services, with the visualizer built the way the pipeline builds it."""

import shutil

import pytest
from django.db import transaction

from curation.services import storage, uploads, workflow
from curation.visualizer import store


@pytest.fixture(scope="session")
def recorded(tmp_path_factory):
    """One v3.0 dataset recorded with lerobot: 3 episodes of 20 frames, one camera, and one with
    a damaged episode (a frozen stretch and a jump) for the flags."""
    from validators.synthetic import make_v30_dataset

    return make_v30_dataset(tmp_path_factory.mktemp("vis") / "pick_place", episodes=3, frames=20)


def publish_folder(folder, user, lab, curator, title="Pick and place", approve=True):
    """Upload a folder, validate it in-process, build the visualizer and (optionally) approve.

    This helper plays the pipeline, so the pipeline message is not sent: in a live-server test
    the session worker would otherwise validate the same submission first, and race it."""
    from unittest import mock

    from validators import validate

    submission = workflow.submission_create(user=user, lab=lab, title=title)
    uploads.ingest_folder(submission, folder)
    with mock.patch("curation.tasks.run_pipeline.apply_async"), transaction.atomic():
        workflow.submission_submit(submission_id=submission.pk, user=user)
    work = storage.materialise(submission)
    try:
        report = validate(work).to_dict()
        store.version_index(submission.pk, work, report)
    finally:
        storage.dematerialise(work)
    submission = workflow.submission_validation_finished(submission_id=submission.pk, report=report)
    if approve:
        submission = workflow.submission_approve(submission_id=submission.pk, user=curator)
    return submission


def copy_of(folder, tmp_path, name="copy"):
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


@pytest.fixture(autouse=True)
def _fresh_visualizer_storage():
    """Visualizer files are keyed by submission id, and ids restart with each test's database:
    every test starts without earlier tests' builds."""
    store._delete_tree(store.ROOT)


def record_with_frozen_episode(root, *, episodes=4, frames=30, fps=10, frozen=2):
    """Record with lerobot's defaults (AV1 video, as lerobot-record writes it) a dataset whose
    episode ``frozen`` holds the same action over frames 10-20; the others move smoothly."""
    import numpy as np
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    names = ["shoulder_pan", "shoulder_lift", "elbow", "wrist_flex", "wrist_roll", "gripper"]
    features = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": names},
        "action": {"dtype": "float32", "shape": (6,), "names": names},
        "observation.images.front": {
            "dtype": "video",
            "shape": (48, 64, 3),
            "names": ["height", "width", "channels"],
        },
    }
    dataset = LeRobotDataset.create(
        repo_id="local/frozen", fps=fps, features=features, root=root, robot_type="so101_follower"
    )
    for episode in range(episodes):
        t = np.linspace(0, 2 * np.pi, frames)
        action = np.stack([np.sin((d + 1) * t + episode) for d in range(6)], 1).astype(np.float32)
        if episode == frozen:
            action[10:21] = action[10]
        for i in range(frames):
            shade = np.full((48, 64, 3), (i * 8) % 255, dtype=np.uint8)  # brightens over time
            dataset.add_frame(
                {
                    "observation.state": action[i] + np.float32(0.01),
                    "action": action[i],
                    "observation.images.front": shade,
                    "task": "pick the cube" if episode % 2 == 0 else "place the cube",
                }
            )
        dataset.save_episode()
    dataset.finalize()
    return root


@pytest.fixture(scope="session")
def frozen_dataset(tmp_path_factory):
    return record_with_frozen_episode(tmp_path_factory.mktemp("vis-browser") / "frozen")
